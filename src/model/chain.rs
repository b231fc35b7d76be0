//! Industrial chains (产业链) as catalogue data: a chain's segments from upstream to
//! downstream, each a set of GB/T 4754 classes, and its chain-leader enterprises (链主) by
//! credit code; and the codes under which chain and segment rows are exported, which no
//! industry code can take. Parsed and checked here, no I/O.

use serde::Deserialize;

/// Where a segment stands in its chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Upstream,
    Midstream,
    Downstream,
    /// A named link outside the three stages (a service, a supporting trade).
    Link,
}

/// One segment of a chain.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Segment {
    /// Lower-case letters, digits or `_`, unique in its chain.
    pub code: String,
    pub zh: String,
    pub en: String,
    pub stage: Stage,
    /// Four-digit GB/T 4754 classes; a class is in at most one segment of a chain.
    pub classes: Vec<String>,
}

/// A chain, its segments in order from upstream to downstream.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Chain {
    /// Upper-case letters, digits or `_`, unique among the catalogue's chains (it may be
    /// an industry's code too: the rows are exported under [`Chain::row_code`]).
    pub code: String,
    pub zh: String,
    pub en: String,
    pub segments: Vec<Segment>,
    /// Chain-leader enterprises (链主), by unified social credit code.
    #[serde(default)]
    pub leaders: Vec<String>,
}

/// What starts the code of every chain row in `indicators.csv`: industry codes are
/// upper-case letters, digits and `_`, so `chain.IC` and `chain.IC.design` clash with none.
pub const ROW_PREFIX: &str = "chain.";
/// What ends the code of a chain's leaders' rows (`chain.IC@leaders`) and of the rest of
/// the chain's (`chain.IC@others`): no segment code has an `@`.
pub const LEADERS_SUFFIX: &str = "@leaders";
pub const OTHERS_SUFFIX: &str = "@others";

impl Chain {
    /// The chain's rows' industry code: `chain.IC`.
    pub fn row_code(&self) -> String {
        format!("{ROW_PREFIX}{}", self.code)
    }

    /// A segment's rows' industry code: `chain.IC.design`.
    pub fn segment_row_code(&self, segment: &Segment) -> String {
        format!("{ROW_PREFIX}{}.{}", self.code, segment.code)
    }

    /// The rows of the chain's leader enterprises together: `chain.IC@leaders`.
    pub fn leaders_row_code(&self) -> String {
        format!("{ROW_PREFIX}{}{LEADERS_SUFFIX}", self.code)
    }

    /// The rows of the chain's other enterprises together: `chain.IC@others`.
    pub fn others_row_code(&self) -> String {
        format!("{ROW_PREFIX}{}{OTHERS_SUFFIX}", self.code)
    }
}

/// Every chain's leaders, each once, in text order: the enterprises whose records keep a
/// group of their own in the partial aggregates (the 1-based place of each in this list
/// is its group's number), so that a chain's leaders can be told from the rest without
/// the records.
pub fn all_leaders(chains: &[Chain]) -> Vec<String> {
    let set: std::collections::BTreeSet<&String> = chains.iter().flat_map(|c| &c.leaders).collect();
    set.into_iter().cloned().collect()
}

/// Whether the rows of `industry` belong to the chain whose row code is `chain_row`: the
/// chain's own, a segment's (`chain.IC.design`) or its leaders' and others' (`chain.IC@…`).
pub fn row_of_chain(industry: &str, chain_row: &str) -> bool {
    industry
        .strip_prefix(chain_row)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('@'))
}

/// The code of the chain a chain's or a segment's row belongs to: `IC` for `chain.IC` and
/// `chain.IC.design`; none for an industry's row or the leaders' and the others'.
pub fn chain_code_of(row: &str) -> Option<&str> {
    let rest = row.strip_prefix(ROW_PREFIX)?;
    if rest.contains('@') {
        return None;
    }
    Some(rest.split_once('.').map_or(rest, |(chain, _)| chain))
}

/// Whether `code` can be a four-digit GB/T 4754-2017 class: a division that exists (01–97,
/// all of them do) and a group within it (the third digit; groups are numbered from 1).
pub fn is_class(code: &str) -> bool {
    code.len() == 4
        && code.bytes().all(|b| b.is_ascii_digit())
        && matches!(code[..2].parse::<u8>(), Ok(1..=97))
        && code.as_bytes()[2] != b'0'
}

/// The first problem of the chains, as (key path, message), or none.
pub fn check(chains: &[Chain]) -> Option<(String, String)> {
    let upper = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    let lower = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    let mut codes = std::collections::HashSet::new();
    for (i, chain) in chains.iter().enumerate() {
        let at = |rest: &str| format!("chains[{i}]{rest}");
        if !upper(&chain.code) {
            return Some((
                at(".code"),
                format!("chain code `{}` must be upper-case letters, digits or _", chain.code),
            ));
        }
        if !codes.insert(chain.code.as_str()) {
            return Some((at(".code"), format!("chain `{}` appears twice", chain.code)));
        }
        if chain.segments.is_empty() {
            return Some((at(""), format!("chain `{}` has no segments", chain.code)));
        }
        let mut segments = std::collections::HashSet::new();
        let mut classes: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
        for (j, s) in chain.segments.iter().enumerate() {
            let at = |rest: &str| format!("chains[{i}].segments[{j}]{rest}");
            if !lower(&s.code) {
                return Some((
                    at(".code"),
                    format!("segment code `{}` must be lower-case letters, digits or _", s.code),
                ));
            }
            if !segments.insert(s.code.as_str()) {
                return Some((at(".code"), format!("segment `{}` appears twice in chain `{}`", s.code, chain.code)));
            }
            if s.classes.is_empty() {
                return Some((
                    at(".classes"),
                    format!(
                        "segment `{}` of chain `{}` is empty: name its GB/T 4754 classes",
                        s.code, chain.code
                    ),
                ));
            }
            for (k, class) in s.classes.iter().enumerate() {
                if !is_class(class) {
                    return Some((
                        at(&format!(".classes[{k}]")),
                        format!("`{class}` is not a GB/T 4754 class (four digits, division 01–97)"),
                    ));
                }
                if let Some(other) = classes.insert(class, &s.code) {
                    return Some((
                        at(&format!(".classes[{k}]")),
                        format!(
                            "class {class} is in segments `{other}` and `{}` of chain `{}`: a class belongs to one segment of a chain",
                            s.code, chain.code
                        ),
                    ));
                }
            }
        }
        let mut leaders = std::collections::HashSet::new();
        for (k, code) in chain.leaders.iter().enumerate() {
            if let Err(why) = crate::model::uscc::validate(code) {
                return Some((at(&format!(".leaders[{k}]")), format!("chain leader {why}")));
            }
            if !leaders.insert(code.as_str()) {
                return Some((at(&format!(".leaders[{k}]")), format!("chain leader `{code}` appears twice")));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(segments: &[(&str, &[&str])], leaders: &[&str]) -> Vec<Chain> {
        vec![Chain {
            code: "IC".into(),
            zh: "集成电路".into(),
            en: "Integrated circuits".into(),
            segments: segments
                .iter()
                .map(|(code, classes)| Segment {
                    code: code.to_string(),
                    zh: String::new(),
                    en: String::new(),
                    stage: Stage::Midstream,
                    classes: classes.iter().map(|c| c.to_string()).collect(),
                })
                .collect(),
            leaders: leaders.iter().map(|c| c.to_string()).collect(),
        }]
    }

    #[test]
    fn chains_are_checked_segment_by_segment() {
        let leader = {
            let body = "91340100MA2N0B001";
            format!("{body}{}", crate::model::uscc::check_char(body).unwrap())
        };
        assert_eq!(check(&chain(&[("design", &["6520"]), ("fab", &["3973"])], &[&leader])), None);
        let problem = |c: &[Chain]| check(c).unwrap();
        assert_eq!(problem(&chain(&[("fab", &[])], &[])).0, "chains[0].segments[0].classes");
        let (at, why) = problem(&chain(&[("fab", &["3973", "9901"])], &[]));
        assert_eq!(at, "chains[0].segments[0].classes[1]");
        assert!(why.contains("`9901` is not a GB/T 4754 class"), "{why}");
        // division 39 has no group 0
        assert!(problem(&chain(&[("fab", &["3901"])], &[])).1.contains("`3901`"));
        let (at, why) = problem(&chain(&[("design", &["3973"]), ("fab", &["3973"])], &[]));
        assert_eq!(at, "chains[0].segments[1].classes[0]");
        assert!(why.contains("segments `design` and `fab`"), "{why}");
        let (at, why) = problem(&chain(&[("fab", &["3973"])], &["91340100MA2N0B001I"]));
        assert_eq!(at, "chains[0].leaders[0]");
        assert!(why.starts_with("chain leader"), "{why}");
        assert_eq!(problem(&chain(&[], &[])).0, "chains[0]");
        assert_eq!(problem(&chain(&[("Fab", &["3973"])], &[])).0, "chains[0].segments[0].code");
    }

    #[test]
    fn chain_rows_cannot_take_an_industry_code() {
        let c = &chain(&[("design", &["6520"])], &[])[0];
        assert_eq!(c.row_code(), "chain.IC");
        assert_eq!(c.segment_row_code(&c.segments[0]), "chain.IC.design");
        assert!(c.row_code().contains('.'), "industry codes have no dot");
        for row in ["chain.IC", "chain.IC.design", "chain.IC@leaders"] {
            assert!(row_of_chain(row, "chain.IC"), "{row}");
        }
        assert!(!row_of_chain("chain.ICT", "chain.IC"), "another chain whose code starts alike");
        assert_eq!(chain_code_of("chain.IC.design"), Some("IC"));
        assert_eq!(chain_code_of("chain.IC"), Some("IC"));
        assert_eq!(chain_code_of("chain.IC@leaders"), None);
        assert_eq!(chain_code_of("NGIT"), None);
    }
}
