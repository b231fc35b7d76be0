//! Reading one row's cells by column name, collecting the problems of each cell — shared
//! by the loaders of every file kind.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::{RowProblem, parse_number};
use crate::model::catalogue::{Catalogue, IndicatorKind};
use crate::model::period::Period;
use crate::model::units::{Unit, parse_unit};

/// A column of a file kind: (English name, Chinese aliases, required).
pub type Column = (&'static str, &'static [&'static str], bool);

/// One row of a file, with the problems found so far. The cells are owned text (a
/// [`RawTable`](super::table::RawTable) row) or borrowed from columns (`&str`).
pub struct RowReader<'a, S: AsRef<str> = String> {
    pub row: usize,
    cols: &'a HashMap<&'static str, usize>,
    cells: &'a [S],
    pub problems: &'a mut Vec<RowProblem>,
}

impl<'a, S: AsRef<str>> RowReader<'a, S> {
    pub fn new(row: usize, cols: &'a HashMap<&'static str, usize>, cells: &'a [S], problems: &'a mut Vec<RowProblem>) -> Self {
        RowReader {
            row,
            cols,
            cells,
            problems,
        }
    }

    /// The cell of a column (empty when the column or cell is missing).
    pub fn get(&self, name: &str) -> &'a str {
        self.cols.get(name).and_then(|&i| self.cells.get(i)).map_or("", |s| s.as_ref())
    }

    pub fn bad(&mut self, column: &str, reason: String) {
        self.problems.push(RowProblem::cell(self.row, column, self.get(column), &reason));
    }

    /// A problem of the whole row.
    pub fn bad_row(&mut self, reason: String) {
        self.problems.push(RowProblem {
            row: self.row,
            column: None,
            value: String::new(),
            reason,
        });
    }

    /// A required non-empty text.
    pub fn text(&mut self, name: &str) -> Option<&'a str> {
        let t = self.get(name);
        if t.is_empty() {
            self.bad(name, format!("`{name}` is required"));
            None
        } else {
            Some(t)
        }
    }

    pub fn number(&mut self, name: &str) -> Option<f64> {
        match parse_number(self.get(name)) {
            Ok(v) => v,
            Err(reason) => {
                self.bad(name, reason);
                None
            }
        }
    }

    /// A whole number (a year), or `None` when empty.
    pub fn integer(&mut self, name: &str) -> Option<i32> {
        let t = self.get(name);
        if t.is_empty() {
            return None;
        }
        match t.trim_end_matches(".0").parse::<i32>() {
            Ok(v) => Some(v),
            Err(_) => {
                self.bad(name, format!("`{t}` is not a whole number"));
                None
            }
        }
    }

    /// The period, which must have ended within the load's horizon.
    pub fn period(&mut self, dates: super::Dates) -> Option<Period> {
        match dates.period(self.get("period")) {
            Ok(p) => Some(p),
            Err(e) => {
                self.bad("period", e);
                None
            }
        }
    }

    /// A region code of the catalogue.
    pub fn region(&mut self, catalogue: &Catalogue) -> Option<&'a str> {
        let r = self.get("region_code");
        if catalogue.region(r).is_some() {
            return Some(r);
        }
        let why = if r.len() == 6 && r.bytes().all(|b| b.is_ascii_digit()) {
            format!("unknown region code `{r}` (not in catalogue {})", catalogue.name)
        } else {
            format!("`{r}` is not a six-digit GB/T 2260 region code")
        };
        self.bad("region_code", why);
        None
    }

    /// An industry code of the catalogue.
    pub fn industry(&mut self, catalogue: &Catalogue) -> Option<&'a str> {
        let i = self.get("industry_code");
        if catalogue.industry(i).is_some() {
            return Some(i);
        }
        self.bad(
            "industry_code",
            format!("unknown industry code `{i}` (not in catalogue {})", catalogue.name),
        );
        None
    }

    /// The money unit of the row (required when any of `columns` has a value).
    pub fn money_unit(&mut self, columns: &[&str]) -> Option<Unit> {
        if columns.iter().all(|c| self.get(c).is_empty()) {
            return None;
        }
        let text = self.get("unit");
        match parse_unit(text) {
            Some(u) if u.kind == IndicatorKind::Money => Some(u),
            Some(_) => {
                self.bad("unit", format!("unit `{text}` is not a money unit (元, 万元, 亿元, 万亿元)"));
                None
            }
            None if text.is_empty() => {
                self.bad("unit", "money values need their unit (元, 万元, 亿元, 万亿元)".into());
                None
            }
            None => {
                self.bad("unit", format!("unknown unit `{text}` (expected 元, 万元, 亿元 or 万亿元)"));
                None
            }
        }
    }

    /// A money value in 亿元; `nonnegative` rejects negatives.
    pub fn money(&mut self, name: &str, unit: Option<Unit>, nonnegative: bool) -> Option<f64> {
        let v = self.number(name)?;
        if nonnegative && v < 0.0 {
            self.bad(name, format!("a negative {name} is impossible"));
            return None;
        }
        match unit.map(|u| u.to_canonical_checked(v)) {
            Some(Ok(v)) => Some(v),
            Some(Err(reason)) => {
                self.bad(name, format!("`{}` {reason}", self.get(name)));
                None
            }
            None => None,
        }
    }

    /// A month `2025-03` (also `2025/3`, `202503`, `2025年3月`) as `year × 12 + month − 1`.
    pub fn month(&mut self, name: &str) -> Option<i32> {
        let t = self.get(name);
        if t.is_empty() {
            return None;
        }
        match parse_month(t) {
            Some(m) => Some(m),
            None => {
                self.bad(name, format!("`{t}` is not a month (expected 2025-03)"));
                None
            }
        }
    }

    /// The release date (today when empty), within the load's horizon.
    pub fn release_date(&mut self, dates: super::Dates) -> Option<NaiveDate> {
        match dates.release_date(self.get("release_date")) {
            Ok(d) => Some(d),
            Err(e) => {
                self.bad("release_date", e);
                None
            }
        }
    }
}

/// Parses a month into `year × 12 + month − 1`.
pub fn parse_month(text: &str) -> Option<i32> {
    let t = text.trim().trim_end_matches('月');
    let (y, m) = if let Some((y, m)) = t.split_once(['-', '/', '年', '.']) {
        (y, m)
    } else if t.len() == 6 && t.bytes().all(|b| b.is_ascii_digit()) {
        t.split_at(4)
    } else {
        return None;
    };
    let (y, m): (i32, i32) = (y.trim().parse().ok()?, m.trim().parse().ok()?);
    ((1949..=2199).contains(&y) && (1..=12).contains(&m)).then_some(y * 12 + m - 1)
}

/// Formats a month index as `2025-03`.
pub fn format_month(m: i32) -> String {
    format!("{}-{:02}", m.div_euclid(12), m.rem_euclid(12) + 1)
}

/// Normalises a header for matching: trimmed, ASCII lower-case, full-width brackets and
/// percent signs folded, inner spaces dropped.
pub fn normalise_header(h: &str) -> String {
    h.trim()
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            '％' => '%',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// Maps each header of the file to a known column, in `columns`; unknown headers are
/// returned separately (they are ignored with a warning).
pub fn map_headers(headers: &[String], columns: &[(&'static str, &[&str], bool)]) -> (HashMap<&'static str, usize>, Vec<String>) {
    let mut found = HashMap::new();
    let mut extra = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        let n = normalise_header(h);
        let hit = columns
            .iter()
            .find(|(name, aliases, _)| *name == n || aliases.iter().any(|a| normalise_header(a) == n));
        match hit {
            Some((name, _, _)) if !found.contains_key(name) => {
                found.insert(*name, i);
            }
            _ if h.trim().is_empty() => {}
            _ => extra.push(h.clone()),
        }
    }
    (found, extra)
}

/// Parses a release date: `2025-10-20`, `2025/10/20`, `20251020` or `2025年10月20日`.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    let t = t.split([' ', 'T']).next().unwrap_or(t); // a date-time from a spreadsheet
    for fmt in ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y年%m月%d日", "%Y.%m.%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(t, fmt) {
            return Some(d);
        }
    }
    None
}

/// Runs `read` over every row of `table` with its columns mapped; returns what it read
/// (with row numbers) and every problem. A row with more fields than the header is a
/// problem of its own.
pub fn read_rows<T>(
    table: &super::table::RawTable,
    columns: &[Column],
    mut read: impl FnMut(&mut RowReader<'_>) -> Option<T>,
) -> (Vec<(usize, T)>, Vec<RowProblem>) {
    let (cols, _) = super::rows::map_headers(&table.headers, columns);
    let mut problems = Vec::new();
    let mut out = Vec::with_capacity(table.rows.len());
    let needed = needed_fields(&cols, columns);
    for (row, cells) in &table.rows {
        if let Some(problem) = wrong_width(*row, cells, table.headers.len(), needed) {
            problems.push(problem);
            continue;
        }
        let before = problems.len();
        let mut reader = RowReader::new(*row, &cols, cells, &mut problems);
        let value = read(&mut reader);
        if problems.len() == before
            && let Some(v) = value
        {
            out.push((*row, v));
        }
    }
    (out, problems)
}

/// How many fields a row needs: up to the last required column the header has.
pub fn needed_fields(cols: &HashMap<&'static str, usize>, columns: &[Column]) -> usize {
    columns
        .iter()
        .filter(|(_, _, required)| *required)
        .filter_map(|(name, _, _)| cols.get(name))
        .map(|i| i + 1)
        .max()
        .unwrap_or(0)
}

/// A row with more (non-empty) fields than the header has, or too few to reach a required
/// column: a problem of its own (not a misleading one about the first column it lacks).
pub fn wrong_width(row: usize, cells: &[String], header: usize, needed: usize) -> Option<RowProblem> {
    let long = cells.len() > header && cells[header..].iter().any(|c| !c.is_empty());
    (long || cells.len() < needed).then(|| RowProblem {
        row,
        column: None,
        value: String::new(),
        reason: format!("the row has {} fields, the header {header}", cells.len()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months() {
        for t in ["2025-03", "2025/3", "202503", "2025年3月", "2025.03"] {
            assert_eq!(parse_month(t), Some(2025 * 12 + 2), "{t}");
        }
        assert_eq!(parse_month("2025-13"), None);
        assert_eq!(parse_month("March"), None);
        assert_eq!(format_month(2025 * 12 + 2), "2025-03");
    }
}
