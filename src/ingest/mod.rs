//! Loading input files into the store: all or nothing per file.
//!
//! A file is read into a table ([`table`]), its kind recognised by its columns (or given),
//! its rows validated ([`observations`]), and then either stored in one transaction —
//! recorded in the ledger with its checksum, its original kept under `<data>/accepted/` —
//! or rejected whole: copied to `<data>/quarantine/` beside a report naming each bad row,
//! column and reason, with nothing stored changed. Loading a file whose checksum was
//! already accepted changes nothing and says so.

pub mod observations;
pub mod table;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use crate::catalogue::Catalogue;
use crate::store::{FileRecord, Store, StoreError};
use table::{RawTable, TableError, read_table};

/// The kinds of input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Published aggregate statistics, long format.
    Observations,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Observations => "observations",
        }
    }
}

/// One problem with one row (or the whole file when `row` is 0).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowProblem {
    pub row: usize,
    pub column: Option<String>,
    pub value: String,
    pub reason: String,
}

impl std::fmt::Display for RowProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.row > 0 {
            write!(f, "row {}", self.row)?;
        } else {
            f.write_str("file")?;
        }
        if let Some(c) = &self.column {
            write!(f, ", column {c}")?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// What loading a file did.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Stored: the ledger record (rows read, new vintages).
    Accepted { file: FileRecord, warnings: Vec<String> },
    /// The same bytes were accepted before; nothing changed.
    AlreadyLoaded { file: FileRecord },
    /// Rejected whole; nothing stored changed.
    Rejected(Rejection),
}

/// A rejected file: why, and where it was put.
#[derive(Debug, Clone)]
pub struct Rejection {
    pub name: String,
    pub problems: Vec<RowProblem>,
    pub quarantined: PathBuf,
    pub report_path: PathBuf,
}

impl Rejection {
    /// The report a user reads: one line per problem (the first 200), then a count.
    pub fn report(&self) -> String {
        const SHOWN: usize = 200;
        let mut s = format!("{} rejected: {} problem(s); nothing was stored\n", self.name, self.problems.len());
        for p in self.problems.iter().take(SHOWN) {
            s.push_str("  ");
            s.push_str(&p.to_string());
            s.push('\n');
        }
        if self.problems.len() > SHOWN {
            s.push_str(&format!("  … and {} more\n", self.problems.len() - SHOWN));
        }
        s
    }
}

/// Loading could not even decide (the store or the disk failed): nothing was stored.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Options of one load.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub kind: Option<Kind>,
    pub sheet: Option<String>,
    /// The date used as the vintage of rows without `release_date` (default: today).
    pub today: Option<NaiveDate>,
}

/// Parses a number cell: empty is `None`; thousands separators and a trailing `%` are
/// accepted; anything else that is not a finite number is an error message.
pub fn parse_number(text: &str) -> Result<Option<f64>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let cleaned: String = t
        .trim_end_matches(['%', '％'])
        .chars()
        .filter(|&c| c != ',' && c != '，' && c != ' ')
        .collect();
    match cleaned.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(Some(v)),
        _ => Err(format!("`{t}` is not a number")),
    }
}

/// Recognises a file's kind by its columns.
fn detect(table: &RawTable) -> Result<Kind, Vec<RowProblem>> {
    let (found, _) = observations::map_headers(&table.headers, observations::COLUMNS);
    let missing: Vec<&str> = observations::COLUMNS
        .iter()
        .filter(|(n, _, req)| *req && !found.contains_key(n))
        .map(|(n, _, _)| *n)
        .collect();
    if missing.is_empty() {
        return Ok(Kind::Observations);
    }
    let normalised: Vec<String> = table.headers.iter().map(|h| observations::normalise_header(h)).collect();
    let looks_like = ["enterprise_id", "统一社会信用代码", "project_id", "class_code", "kind"]
        .iter()
        .find(|c| normalised.iter().any(|h| h == *c));
    let reason = match looks_like {
        Some(col) => format!(
            "column `{col}` suggests enterprise records, projects, a class mapping or targets, which this version does not load yet; as observations it lacks: {}",
            missing.join(", ")
        ),
        None => format!(
            "missing required column(s): {} (found: {})",
            missing.join(", "),
            table.headers.join(", ")
        ),
    };
    Err(vec![RowProblem {
        row: 0,
        column: None,
        value: String::new(),
        reason,
    }])
}

fn file_problem(e: TableError) -> Vec<RowProblem> {
    vec![RowProblem {
        row: 0,
        column: None,
        value: String::new(),
        reason: e.to_string(),
    }]
}

/// A file name safe to use on disk: the base name, path separators and controls removed.
fn safe_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let s: String = base
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                '_'
            } else {
                c
            }
        })
        .collect();
    if s.is_empty() || s == "." || s == ".." { "file".into() } else { s }
}

/// Loads a file from disk (see [`ingest_bytes`]).
pub fn ingest_path(store: &Store, catalogue: &Catalogue, path: &Path, options: &Options) -> Result<Outcome, IngestError> {
    let bytes = std::fs::read(path).map_err(|source| IngestError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let name = path
        .file_name()
        .map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
    ingest_bytes(store, catalogue, &name, &bytes, options)
}

/// Loads one file's bytes, named `name` (its extension gives the format).
pub fn ingest_bytes(store: &Store, catalogue: &Catalogue, name: &str, bytes: &[u8], options: &Options) -> Result<Outcome, IngestError> {
    let sha = hex::encode(Sha256::digest(bytes));
    if let Some(file) = store.accepted_file(&sha)? {
        return Ok(Outcome::AlreadyLoaded { file });
    }
    let today = options.today.unwrap_or_else(|| chrono::Local::now().date_naive());
    let name = safe_name(name);
    let result = read_table(&name, bytes, options.sheet.as_deref())
        .map_err(file_problem)
        .and_then(|table| {
            let kind = match options.kind {
                Some(k) => k,
                None => detect(&table)?,
            };
            if options.kind.is_some() {
                detect(&table)?; // the required columns must be there either way
            }
            match kind {
                Kind::Observations => observations::validate(&table, catalogue, today).map(|rows| (kind, table, rows)),
            }
        });
    match result {
        Ok((kind, table, rows)) => {
            let (_, extra) = observations::map_headers(&table.headers, observations::COLUMNS);
            let warnings = extra.iter().map(|h| format!("extra column `{h}` ignored")).collect();
            let dir = store.dir().join("accepted");
            let stored_as = dir.join(format!("{}-{}", &sha[..16], name));
            write_file(&dir, &stored_as, bytes)?;
            debug_assert_eq!(kind, Kind::Observations);
            let file = store.load_observations(&sha, &name, &stored_as.display().to_string(), &rows)?;
            tracing::info!(file = %name, rows = file.rows, new_vintages = file.new_vintages, encoding = table.encoding, "file accepted");
            Ok(Outcome::Accepted { file, warnings })
        }
        Err(problems) => {
            let dir = store.dir().join("quarantine");
            let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
            let quarantined = dir.join(format!("{stamp}-{name}"));
            let report_path = dir.join(format!("{stamp}-{name}.report.txt"));
            let rejection = Rejection {
                name: name.clone(),
                problems,
                quarantined: quarantined.clone(),
                report_path: report_path.clone(),
            };
            write_file(&dir, &quarantined, bytes)?;
            write_file(&dir, &report_path, rejection.report().as_bytes())?;
            let kind = options.kind.map_or("unknown", Kind::as_str);
            store.record_rejected(
                &sha,
                &name,
                kind,
                rejection.problems.len(),
                &rejection.report(),
                &quarantined.display().to_string(),
            )?;
            tracing::warn!(file = %name, problems = rejection.problems.len(), quarantine = %quarantined.display(), "file rejected");
            Ok(Outcome::Rejected(rejection))
        }
    }
}

fn write_file(dir: &Path, path: &Path, bytes: &[u8]) -> Result<(), IngestError> {
    let err = |source| IngestError::Write {
        path: path.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(err)?;
    std::fs::write(path, bytes).map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_parsed_strictly() {
        assert_eq!(parse_number("1,234.5"), Ok(Some(1234.5)));
        assert_eq!(parse_number(" 12.5% "), Ok(Some(12.5)));
        assert_eq!(parse_number("-3"), Ok(Some(-3.0)));
        assert_eq!(parse_number(""), Ok(None));
        assert_eq!(parse_number("12,3a"), Err("`12,3a` is not a number".into()));
        assert_eq!(parse_number("NaN"), Err("`NaN` is not a number".into()));
        assert_eq!(parse_number("inf"), Err("`inf` is not a number".into()));
    }

    #[test]
    fn file_names_cannot_escape_the_quarantine() {
        assert_eq!(safe_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_name("a\\b:c.csv"), "b_c.csv");
        assert_eq!(safe_name(".."), "file");
    }
}
