//! Finding where a key stands in a TOML document, so configuration errors can name the
//! file and line.
//!
//! serde gives positions only for syntax and type errors; semantic checks (an unknown
//! industry code, a bad e-mail address) know the key path of the value they reject.
//! [`locate`] walks the span-carrying parse of the document (`toml::de::DeTable`) along
//! that path and returns the 1-based line and column of the value.

use toml::de::{DeTable, DeValue};

/// One step of a key path: a table key or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// A key path such as `subscriptions[1].to`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyPath(pub Vec<Step>);

impl KeyPath {
    pub fn key(mut self, key: &str) -> KeyPath {
        self.0.push(Step::Key(key.to_string()));
        self
    }

    pub fn index(mut self, index: usize) -> KeyPath {
        self.0.push(Step::Index(index));
        self
    }

    /// Parses `a.b[2].c` (keys without dots or brackets, as seimon's are).
    pub fn parse(text: &str) -> KeyPath {
        let mut path = KeyPath::default();
        for part in text.split('.') {
            let (key, mut rest) = part.split_once('[').map_or((part, ""), |(k, r)| (k, r));
            if !key.is_empty() {
                path = path.key(key);
            }
            while let Some((n, r)) = rest.split_once(']') {
                if let Ok(i) = n.parse() {
                    path = path.index(i);
                }
                rest = r.strip_prefix('[').unwrap_or(r);
            }
        }
        path
    }

    /// The path's first key (the section).
    pub fn section(&self) -> Option<&str> {
        match self.0.first() {
            Some(Step::Key(k)) => Some(k),
            _ => None,
        }
    }
}

impl std::fmt::Display for KeyPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (n, step) in self.0.iter().enumerate() {
            match step {
                Step::Key(k) if n == 0 => write!(f, "{k}")?,
                Step::Key(k) => write!(f, ".{k}")?,
                Step::Index(i) => write!(f, "[{i}]")?,
            }
        }
        Ok(())
    }
}

/// 1-based (line, column) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rfind('\n')
        .map_or(before.chars().count(), |nl| before[nl + 1..].chars().count())
        + 1;
    (line, col)
}

/// Where the value at `path` stands in `text`: the deepest step of the path that exists
/// (so a missing key points at its table), or `None` when the text does not parse or
/// not even the first step exists.
pub fn locate(text: &str, path: &KeyPath) -> Option<(usize, usize)> {
    let root = DeTable::parse(text).ok()?;
    let mut span: Option<std::ops::Range<usize>> = None;
    let mut table: Option<&DeTable> = Some(root.get_ref());
    let mut value: Option<&DeValue> = None;
    for step in &path.0 {
        let next = match (step, table, value) {
            (Step::Key(k), Some(t), _) => t.get(k.as_str()),
            (Step::Index(i), _, Some(DeValue::Array(a))) => a.get(*i),
            _ => None,
        };
        let Some(next) = next else { break };
        span = Some(next.span());
        value = Some(next.get_ref());
        table = match next.get_ref() {
            DeValue::Table(t) => Some(t),
            _ => None,
        };
    }
    span.map(|s| line_col(text, s.start))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "[paths]\ndata = \"d\"\n\n[[subscriptions]]\naudience = \"province\"\n\n[[subscriptions]]\naudience = \"city:1\"\nto = [\"a\", \"b\"]\n";

    #[test]
    fn finds_nested_values() {
        assert_eq!(locate(DOC, &KeyPath::parse("paths.data")), Some((2, 8)));
        assert_eq!(locate(DOC, &KeyPath::parse("subscriptions[1].audience")), Some((8, 12)));
        assert_eq!(locate(DOC, &KeyPath::parse("subscriptions[1].to[1]")), Some((9, 12)));
        assert_eq!(locate(DOC, &KeyPath::parse("nothing.here")), None);
        assert_eq!(KeyPath::parse("subscriptions[1].to[1]").to_string(), "subscriptions[1].to[1]");
    }
}
