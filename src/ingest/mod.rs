//! Loading input files into the store: all or nothing per file.
//!
//! A file is read into a table ([`table`]), its kind recognised by its columns (or given),
//! its rows validated ([`observations`]), and then either stored in one transaction —
//! recorded in the ledger with its checksum, its original kept under `<data>/accepted/` —
//! or rejected whole: copied to `<data>/quarantine/` beside a report naming each bad row,
//! column and reason, with nothing stored changed. Loading a file whose checksum was
//! already accepted changes nothing and says so.

pub mod enterprises;
pub mod mapping;
pub mod observations;
pub mod projects;
pub mod quarantine;
pub mod rows;
pub mod table;
pub mod targets;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use crate::model::catalogue::Catalogue;
use crate::store::{FileRecord, Store, StoreError};
use table::{Format, RawTable, TableError, read_table};

/// The kinds of input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Published aggregate statistics, long format.
    Observations,
    /// Enterprise records (microdata).
    Enterprises,
    /// Which GB/T 4754 classes feed which industry.
    Mapping,
    /// Major projects.
    Projects,
    /// Plan targets.
    Targets,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Observations => "observations",
            Kind::Enterprises => "enterprises",
            Kind::Mapping => "mapping",
            Kind::Projects => "projects",
            Kind::Targets => "targets",
        }
    }

    fn columns(self) -> &'static [rows::Column] {
        match self {
            Kind::Observations => observations::COLUMNS,
            Kind::Enterprises => enterprises::COLUMNS,
            Kind::Mapping => mapping::COLUMNS,
            Kind::Projects => projects::COLUMNS,
            Kind::Targets => targets::COLUMNS,
        }
    }
}

/// What a valid file holds.
enum Payload {
    Observations(Vec<crate::model::observation::Observation>),
    /// The number of observations of a CSV file, read again as they are stored.
    CsvObservations(usize),
    /// The accepted records as columns (see [`enterprises::validate`]).
    Enterprises(polars::prelude::DataFrame),
    Mapping(Vec<(String, String)>),
    Projects(Vec<crate::model::observation::Project>),
    Targets(Vec<crate::model::target::Target>),
}

/// One problem with one row (or the whole file when `row` is 0).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowProblem {
    pub row: usize,
    pub column: Option<String>,
    pub value: String,
    pub reason: String,
}

/// How much of a cell a problem quotes: a report names the cell, it does not copy it (a
/// 50 MB cell would otherwise be repeated into the message, the log and the ledger).
const QUOTED_CHARS: usize = 80;
/// How long a problem's reason may be, whatever it quotes.
const REASON_CHARS: usize = 400;

/// `text` cut to `max` characters, saying how long it was.
pub(crate) fn clipped(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => text.into(),
        Some((end, _)) => format!("{}… ({} bytes in all)", &text[..end], text.len()).into(),
    }
}

/// The columns a file has beyond its kind's, in one line: the first few named, the rest
/// counted (a file of 1,500 stray columns gives one warning, not 1,500).
fn extra_columns_warning(extra: &[String]) -> Option<String> {
    const NAMED: usize = 10;
    let named: Vec<String> = extra
        .iter()
        .take(NAMED)
        .map(|h| format!("`{}`", clipped(h, QUOTED_CHARS)))
        .collect();
    match extra.len() {
        0 => None,
        1 => Some(format!("extra column {} ignored", named[0])),
        n if n <= NAMED => Some(format!("extra columns {} ignored", named.join(", "))),
        n => Some(format!("{n} extra columns ignored: {} and {} more", named.join(", "), n - NAMED)),
    }
}

/// A reason whose `quoted` cells are each cut to [`QUOTED_CHARS`], and the whole to
/// [`REASON_CHARS`]: what it says about the cell stays readable.
fn bounded_reason(reason: &str) -> String {
    let quoted: Vec<std::borrow::Cow<'_, str>> = reason
        .split('`')
        .enumerate()
        .map(|(i, part)| if i % 2 == 1 { clipped(part, QUOTED_CHARS) } else { part.into() })
        .collect();
    clipped(&quoted.join("`"), REASON_CHARS).into_owned()
}

impl RowProblem {
    /// A problem with one cell, quoting it within bounds.
    pub fn cell(row: usize, column: &str, value: &str, reason: &str) -> RowProblem {
        RowProblem {
            row,
            column: Some(column.to_string()),
            value: clipped(value, QUOTED_CHARS).into_owned(),
            reason: bounded_reason(reason),
        }
    }
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
    #[error("the file could not be read again to store it: {0}")]
    Reread(String),
}

/// Options of one load.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub kind: Option<Kind>,
    pub sheet: Option<String>,
    /// The date used as the vintage of rows without `release_date` (default: today).
    pub today: Option<NaiveDate>,
    /// How many days after today a release date may lie, and a period end (default
    /// [`DEFAULT_HORIZON_DAYS`]; `[ingest] horizon_days`).
    pub horizon_days: Option<u32>,
    /// How many rejected files `<data>/quarantine/` keeps (default: all).
    pub keep_quarantined: Option<usize>,
}

/// The horizon of a load when none is configured: one quarter.
pub const DEFAULT_HORIZON_DAYS: u32 = 92;

/// The dates a load judges its rows by: today (the vintage of rows without a release
/// date) and the latest plausible date (today + the horizon). A period that has not ended
/// by then has no figures yet, and a vintage released after it would stay invisible to
/// every report until that day: both are mistakes (2199Q4, a year typed wrong).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dates {
    pub today: NaiveDate,
    pub latest: NaiveDate,
    pub horizon_days: u32,
}

impl Dates {
    pub fn new(today: NaiveDate, horizon_days: u32) -> Dates {
        Dates {
            today,
            latest: today + chrono::Duration::days(i64::from(horizon_days)),
            horizon_days,
        }
    }

    /// A period cell: a period that has ended within the horizon, or why not.
    pub fn period(&self, text: &str) -> Result<crate::model::period::Period, String> {
        let period: crate::model::period::Period = text.parse().map_err(|e: crate::model::period::PeriodError| e.to_string())?;
        if period <= crate::model::period::Period::latest_complete(self.latest) {
            return Ok(period);
        }
        Err(format!(
            "{period} has not ended by {} ({} days after today, {}): a period has figures only once it has ended",
            self.latest, self.horizon_days, self.today
        ))
    }

    /// A release date cell: today when empty, else a date within the horizon, or why not.
    pub fn release_date(&self, text: &str) -> Result<NaiveDate, String> {
        if text.is_empty() {
            return Ok(self.today);
        }
        let date = rows::parse_date(text).ok_or_else(|| format!("`{text}` is not a date (expected 2025-10-20)"))?;
        if date <= self.latest {
            return Ok(date);
        }
        Err(format!(
            "release date {date} lies more than {} days after today ({}): the figures would stay invisible to every report until then",
            self.horizon_days, self.today
        ))
    }
}

/// Parses a number cell: empty is `None`; thousands separators and a trailing `%` are
/// accepted; anything else that is not a finite number is an error message.
pub fn parse_number(text: &str) -> Result<Option<f64>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    // a plain number, as most cells are (no separators, no per cent sign)
    if let Ok(v) = t.parse::<f64>() {
        return if v.is_finite() {
            Ok(Some(v))
        } else {
            Err(format!("`{t}` is not a number"))
        };
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

/// A file as read, kept as it is until its kind is known: a CSV file as its text (a large
/// file of observations is validated row by row as it is read, and stored the same way),
/// a Parquet file as its frame (enterprise records are validated from the columns), an
/// XLSX file as a table of text.
enum Input<'b> {
    Table(RawTable),
    Frame(polars::prelude::DataFrame),
    Csv {
        text: std::borrow::Cow<'b, str>,
        headers: Vec<String>,
        encoding: &'static str,
    },
}

impl<'b> Input<'b> {
    fn read(name: &str, bytes: &'b [u8], sheet: Option<&str>) -> Result<Input<'b>, TableError> {
        match Format::from_name(name) {
            Some(Format::Parquet) if !bytes.is_empty() => Ok(Input::Frame(table::read_parquet_frame(bytes)?)),
            Some(Format::Csv) => {
                let (text, encoding) = table::decode_text(bytes)?;
                let (_, headers) = table::CsvRecords::new(&text).next().ok_or(TableError::Empty)??;
                Ok(Input::Csv { text, headers, encoding })
            }
            _ => read_table(name, bytes, sheet).map(Input::Table),
        }
    }

    fn headers(&self) -> Vec<String> {
        match self {
            Input::Table(t) => t.headers.clone(),
            Input::Csv { headers, .. } => headers.clone(),
            Input::Frame(df) => df.get_column_names().iter().map(|s| s.to_string()).collect(),
        }
    }

    fn encoding(&self) -> &'static str {
        match self {
            Input::Table(t) => t.encoding,
            Input::Csv { encoding, .. } => encoding,
            Input::Frame(_) => "Parquet",
        }
    }

    /// The whole file as a table of text.
    fn into_table(self) -> Result<RawTable, TableError> {
        let table = match self {
            // both were read by readers that refuse a file without rows
            Input::Table(t) => t,
            Input::Frame(df) => table::frame_table(&df)?,
            Input::Csv { text, headers, encoding } => {
                let rows: Vec<_> = table::CsvRecords::new(&text).skip(1).collect::<Result<_, _>>()?;
                if rows.is_empty() {
                    return Err(TableError::NoRows);
                }
                RawTable { headers, rows, encoding }
            }
        };
        Ok(table)
    }
}

/// Validates the observations of a CSV text row by row, keeping none of them: how many
/// rows it holds to store, or every problem.
fn validate_csv_observations(text: &str, headers: &[String], catalogue: &Catalogue, dates: Dates) -> Result<usize, Vec<RowProblem>> {
    let mut validator = observations::Validator::new(headers, catalogue, dates);
    let (mut rows, mut kept) = (0, 0);
    for record in table::CsvRecords::new(text).skip(1) {
        let (row, cells) = record.map_err(file_problem)?;
        rows += 1;
        kept += usize::from(validator.row(row, &cells).is_some());
    }
    if rows == 0 {
        return Err(file_problem(TableError::NoRows));
    }
    let problems = validator.into_problems();
    if problems.is_empty() { Ok(kept) } else { Err(problems) }
}

/// The observations of a CSV text that [`validate_csv_observations`] accepted, one at a
/// time as they are read again.
fn csv_observations<'t>(
    text: &'t str,
    catalogue: &'t Catalogue,
    dates: Dates,
) -> impl Iterator<Item = crate::model::observation::Observation> + 't {
    let mut records = table::CsvRecords::new(text);
    let headers = records.next().and_then(Result::ok).map(|(_, h)| h).unwrap_or_default();
    let mut validator = observations::Validator::new(&headers, catalogue, dates);
    records
        .filter_map(Result::ok)
        .filter_map(move |(row, cells)| validator.row(row, &cells))
}

/// Recognises a file's kind by its columns: the kind whose distinguishing column is
/// present (enterprise_id, project_id, kind, class_code), else observations.
fn detect(headers: &[String]) -> Kind {
    let has = |kind: Kind, column: &str| rows::map_headers(headers, kind.columns()).0.contains_key(column);
    if has(Kind::Enterprises, "enterprise_id") {
        Kind::Enterprises
    } else if has(Kind::Projects, "project_id") {
        Kind::Projects
    } else if has(Kind::Targets, "kind") {
        Kind::Targets
    } else if has(Kind::Mapping, "class_code") {
        Kind::Mapping
    } else {
        Kind::Observations
    }
}

/// The required columns of `kind` the table lacks, as a file problem.
fn missing_columns(headers: &[String], kind: Kind) -> Result<(), Vec<RowProblem>> {
    let (found, _) = rows::map_headers(headers, kind.columns());
    let missing: Vec<&str> = kind
        .columns()
        .iter()
        .filter(|(n, _, req)| *req && !found.contains_key(n))
        .map(|(n, _, _)| *n)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let reason = format!(
        "missing required column(s) of {}: {} (found: {})",
        kind.as_str(),
        missing.join(", "),
        headers.join(", ")
    );
    Err(vec![RowProblem {
        row: 0,
        column: None,
        value: String::new(),
        reason,
    }])
}

/// The text a panic carried (a `&str` or a `String`), for the rejection report.
fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".into())
}

fn file_problem(e: TableError) -> Vec<RowProblem> {
    vec![RowProblem {
        row: 0,
        column: None,
        value: String::new(),
        reason: e.to_string(),
    }]
}

/// The longest file name seimon keeps, in bytes: a copy's name adds a time stamp and
/// `.report.txt` to it, and a file system allows 255.
const NAME_BYTES: usize = 160;

/// A file name safe to use on disk: the base name, path separators and controls removed,
/// and a long name shortened (its extension kept) so that the names seimon gives its
/// copies stay within what a file system allows.
pub fn safe_name(name: &str) -> String {
    let s = clean_name(name);
    if s.len() <= NAME_BYTES {
        return s;
    }
    let (stem, ext) = match s.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && ext.len() <= 16 => (stem, format!(".{ext}")),
        _ => (s.as_str(), String::new()),
    };
    let mut cut = NAME_BYTES - ext.len() - 1;
    while !stem.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}~{ext}", &stem[..cut])
}

fn clean_name(name: &str) -> String {
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
    let dates = Dates::new(today, options.horizon_days.unwrap_or(DEFAULT_HORIZON_DAYS));
    let name = safe_name(name);
    // A reader crate that panics on a hostile file rejects that file; it never takes the
    // process (the daemon's inbox) down with it.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_and_validate(catalogue, &name, bytes, options, dates)
    }))
    .unwrap_or_else(|panic| Err(file_problem(TableError::ReaderFailed(panic_message(&panic)))));
    match result {
        Ok((kind, headers, encoding, payload)) => {
            let (_, extra) = rows::map_headers(&headers, kind.columns());
            let warnings = extra_columns_warning(&extra).into_iter().collect();
            let dir = store.dir().join("accepted");
            let stored_as = dir.join(format!("{}-{}", &sha[..16], name));
            write_file(&dir, &stored_as, bytes)?;
            let stored = stored_as.display().to_string();
            let release = today.to_string();
            let file = match payload {
                Payload::Observations(rows) => {
                    let count = rows.len();
                    store.load_observations(&sha, &name, &stored, rows, count)?
                }
                Payload::CsvObservations(count) => {
                    let (text, _) = table::decode_text(bytes).map_err(|e| IngestError::Reread(e.to_string()))?;
                    store.load_observations(&sha, &name, &stored, csv_observations(&text, catalogue, dates), count)?
                }
                Payload::Targets(t) => store.load_targets(&sha, &name, &stored, &release, &t)?,
                Payload::Projects(p) => store.load_projects(&sha, &name, &stored, &p)?,
                Payload::Mapping(m) => store.load_mapping(&sha, &name, &stored, &catalogue.name, &release, &m)?,
                Payload::Enterprises(records) => {
                    let dir = store.dir().join("enterprises");
                    let mut periods = Vec::new();
                    let file = store.load_enterprises(&sha, &name, &stored, records.height(), &release, |file_id| {
                        let batches = write_enterprise_batches(&dir, file_id, &records)?;
                        periods.extend(batches.iter().map(|b| b.period));
                        Ok(batches)
                    })?;
                    drop(records);
                    keep_partials(store, catalogue, &periods);
                    file
                }
            };
            tracing::info!(file = %name, kind = kind.as_str(), rows = file.rows, new_vintages = file.new_vintages, encoding, "file accepted");
            Ok(Outcome::Accepted { file, warnings })
        }
        Err(problems) => {
            let dir = store.dir().join("quarantine");
            let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
            // the same bytes rejected again keep their one copy
            let copy = store.rejected_copy(&sha)?;
            let quarantined = copy.clone().unwrap_or_else(|| dir.join(format!("{stamp}-{name}")));
            let report_path = PathBuf::from(format!("{}.report.txt", quarantined.display()));
            let rejection = Rejection {
                name: name.clone(),
                problems,
                quarantined: quarantined.clone(),
                report_path: report_path.clone(),
            };
            if copy.is_none() {
                write_file(&dir, &quarantined, bytes)?;
            }
            write_file(&dir, &report_path, rejection.report().as_bytes())?;
            if let Some(keep) = options.keep_quarantined {
                quarantine::prune_quarantine(&dir, keep).map_err(|source| IngestError::Write { path: dir.clone(), source })?;
            }
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

type Validated = (Kind, Vec<String>, &'static str, Payload);

/// Reads a file's bytes and validates its rows: the payload to store, or every problem.
fn read_and_validate(
    catalogue: &Catalogue,
    name: &str,
    bytes: &[u8],
    options: &Options,
    dates: Dates,
) -> Result<Validated, Vec<RowProblem>> {
    let input = Input::read(name, bytes, options.sheet.as_deref()).map_err(file_problem)?;
    let headers = input.headers();
    let encoding = input.encoding();
    let kind = options.kind.unwrap_or_else(|| detect(&headers));
    missing_columns(&headers, kind)?;
    let payload = match (kind, input) {
        (Kind::Enterprises, Input::Frame(df)) => {
            let text = table::frame_text(&df).map_err(|e| file_problem(TableError::Parquet(e.to_string())))?;
            drop(df);
            enterprises::validate(&enterprises::TextColumns::from_frame(&text), catalogue, dates).map(Payload::Enterprises)
        }
        (Kind::Enterprises, input) => {
            let table = input.into_table().map_err(file_problem)?;
            let (cells, problems) = enterprises::TextColumns::from_table(&table);
            match enterprises::validate(&cells, catalogue, dates) {
                Ok(records) if problems.is_empty() => Ok(Payload::Enterprises(records)),
                Ok(_) => Err(problems),
                Err(more) => Err(problems.into_iter().chain(more).collect()),
            }
        }
        (Kind::Observations, Input::Csv { text, headers, .. }) => {
            validate_csv_observations(&text, &headers, catalogue, dates).map(Payload::CsvObservations)
        }
        (kind, input) => {
            let table = input.into_table().map_err(file_problem)?;
            match kind {
                Kind::Observations => observations::validate(&table, catalogue, dates).map(Payload::Observations),
                Kind::Mapping => mapping::validate(&table, catalogue).map(Payload::Mapping),
                Kind::Projects => projects::validate(&table, catalogue, dates).map(Payload::Projects),
                Kind::Targets => targets::validate(&table, catalogue).map(Payload::Targets),
                Kind::Enterprises => unreachable!("enterprise records are read from columns above"),
            }
        }
    }?;
    Ok((kind, headers, encoding, payload))
}

/// Writes one Parquet file per period under `dir/<period>/<file id>.parquet`, its rows in
/// region order so that a scan filtered by region reads only the row groups it needs.
/// Computes and keeps the partial aggregates of the quarters a load of enterprise records
/// of `periods` changes — each, and the same quarter a year later, whose comparable basis
/// it is — so that the next run reads partials, not records. They are derived data: if
/// this fails the load stands, and the first run that needs them computes them.
fn keep_partials(store: &Store, catalogue: &Catalogue, periods: &[crate::model::period::Period]) {
    let started = std::time::Instant::now();
    let result = store.enterprise_batches(None, None).and_then(|batches| {
        let quarters: std::collections::BTreeSet<crate::model::period::Period> = periods
            .iter()
            .flat_map(|p| [Some(*p), crate::model::period::Period::from_index(p.index() + 4)])
            .flatten()
            .collect();
        let leaders = crate::model::chain::all_leaders(&catalogue.chains);
        store.enterprise_partials(&batches, quarters, &leaders)
    });
    match result {
        Ok(_) => tracing::info!(ms = started.elapsed().as_millis() as u64, "enterprise aggregates kept"),
        Err(e) => tracing::warn!(error = %e, "enterprise aggregates not kept: the next run computes them"),
    }
}

fn write_enterprise_batches(
    dir: &Path,
    file_id: i64,
    records: &polars::prelude::DataFrame,
) -> Result<Vec<crate::store::EnterpriseBatch>, StoreError> {
    use polars::prelude::*;
    let polars_error = |path: &Path, e: PolarsError| StoreError::Dir {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    };
    let periods: std::collections::BTreeSet<crate::model::period::Period> = {
        let column = |c: &str| -> Result<Int32Chunked, StoreError> {
            records.column(c).and_then(|s| s.i32().cloned()).map_err(|e| polars_error(dir, e))
        };
        let (year, q) = (column("year")?, column("q")?);
        year.iter()
            .zip(q.iter())
            .filter_map(|(y, q)| crate::model::period::Period::new(y?, u8::try_from(q?).ok()?))
            .collect()
    };
    let mut batches = Vec::new();
    for period in periods {
        let path = dir.join(period.to_string()).join(format!("{file_id}.parquet"));
        let io = |source: std::io::Error| StoreError::Dir {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(path.parent().expect("has a parent")).map_err(io)?;
        let mut df = records
            .clone()
            .lazy()
            .filter(
                col("year")
                    .eq(lit(period.year()))
                    .and(col("q").eq(lit(i32::from(period.quarter())))),
            )
            .sort(["region_code", "enterprise_id"], SortMultipleOptions::default())
            .collect()
            .map_err(|e| polars_error(&path, e))?;
        let file = std::fs::File::create(&path).map_err(io)?;
        ParquetWriter::new(file)
            .with_row_group_size(Some(64 * 1024))
            .finish(&mut df)
            .map_err(|e| polars_error(&path, e))?;
        batches.push(crate::store::EnterpriseBatch {
            period,
            rows: df.height(),
            path,
            file_id,
        });
    }
    Ok(batches)
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
    fn stray_columns_give_one_bounded_warning() {
        let cols = |n: usize| (0..n).map(|i| format!("x{i}")).collect::<Vec<_>>();
        assert_eq!(extra_columns_warning(&cols(0)), None);
        assert_eq!(extra_columns_warning(&cols(1)).unwrap(), "extra column `x0` ignored");
        assert_eq!(extra_columns_warning(&cols(2)).unwrap(), "extra columns `x0`, `x1` ignored");
        assert_eq!(
            extra_columns_warning(&cols(1500)).unwrap(),
            "1500 extra columns ignored: `x0`, `x1`, `x2`, `x3`, `x4`, `x5`, `x6`, `x7`, `x8`, `x9` and 1490 more"
        );
        assert_eq!(clipped("一二三四", 2), "一二… (12 bytes in all)");
        assert_eq!(
            bounded_reason(&format!("`{}` is not a number", "9".repeat(100))),
            format!("`{}… (100 bytes in all)` is not a number", "9".repeat(80))
        );
    }

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
        let long = format!("{}.csv", "观测数据".repeat(40));
        let short = safe_name(&long);
        assert!(short.len() <= NAME_BYTES && short.ends_with("~.csv"), "{short}");
        assert!(long.starts_with(short.trim_end_matches("~.csv")));
    }
}
