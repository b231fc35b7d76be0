//! The embedded store: one SQLite database (`<data>/seimon.db`, WAL mode) holding the
//! load ledger, observations with all their vintages, and run records.
//!
//! Why SQLite (see ARCHITECTURE.md): transactions make a file's load all-or-nothing and a
//! crash harmless; one file survives restarts and is readable by the CLI while the daemon
//! runs (WAL, busy timeout); vintages, the e-mail outbox and schedule state are small
//! relational data with keys and state transitions. Enterprise records at national scale
//! are columnar and go to Parquet files beside the database, recorded in its ledger.
//!
//! Vintages: an observation row is never updated. Loading a row whose value differs from
//! the latest stored vintage of its key inserts a new row; an identical row is skipped.
//! The latest vintage as of a date is the row with the greatest (release_date, id) whose
//! release date is on or before that date.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, params};

use crate::model::observation::{Observation, Project, Revision};
use crate::model::period::Period;
use crate::model::target::Target;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the data directory {path}: {source}")]
    Dir { path: PathBuf, source: std::io::Error },
    #[error("store {path}: {source}")]
    Sqlite { path: PathBuf, source: rusqlite::Error },
    #[error("the store {path} was written by a newer seimon (schema {found}, this one knows {known})")]
    Schema { path: PathBuf, found: i64, known: i64 },
}

/// A message in the outbox.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OutboxMessage {
    pub id: i64,
    /// (report, period, data vintage, recipient): the same key is the same message.
    pub key: String,
    pub message_id: String,
    pub run_id: String,
    pub period: String,
    pub audience: String,
    pub sender: String,
    pub recipient: String,
    pub subject: String,
    #[serde(skip)]
    pub message: Vec<u8>,
    /// pending → sending → sent, or dead (permanent failure or too many attempts).
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: String,
    pub last_error: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
}

/// One period's enterprise records from one file, kept as a Parquet file.
#[derive(Debug, Clone, PartialEq)]
pub struct EnterpriseBatch {
    pub period: Period,
    pub rows: usize,
    pub path: PathBuf,
    pub file_id: i64,
}

/// A stored observation: the row plus its id (load order) and the file it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredObservation {
    pub id: i64,
    pub file_id: i64,
    pub obs: Observation,
}

/// A file in the load ledger.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FileRecord {
    pub id: i64,
    pub sha256: String,
    pub name: String,
    pub kind: String,
    pub status: String,
    pub loaded_at: String,
    pub rows: i64,
    pub new_vintages: i64,
    pub stored_as: Option<String>,
}

/// A run of a quarter.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RunRecord {
    pub run_id: String,
    pub period: String,
    pub state: String,
    pub trigger: String,
    pub as_of: Option<String>,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub outputs: Vec<String>,
    pub error: Option<String>,
    /// The fingerprint of the inputs the run read (absent until it finished).
    pub data_vintage: Option<String>,
    /// Whether the run sent its e-mails.
    pub sent: bool,
}

/// A period's scheduled report: waiting for its data, or done.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ScheduleRecord {
    pub period: String,
    /// When the schedule fired for it (RFC 3339, UTC).
    pub due_at: String,
    /// "waiting" or "done".
    pub state: String,
    pub run_id: Option<String>,
    /// Whether the data were complete when the report went out.
    pub complete: Option<bool>,
    pub done_at: Option<String>,
}

/// An acknowledgement of a risk, made over the API.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RiskAck {
    pub risk_id: String,
    pub reason: String,
    /// The last day the acknowledgement silences the risk.
    pub until: String,
    pub acked_at: String,
}

const SCHEMA_VERSION: i64 = 5;

/// The schema, one migration per version: `MIGRATIONS[n]` takes version n to n + 1.
const MIGRATIONS: [&str; 5] = [SCHEMA_1, SCHEMA_2, SCHEMA_3, SCHEMA_4, SCHEMA_5];

const SCHEMA_3: &str = "
CREATE TABLE outbox(
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    message_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    period TEXT NOT NULL,
    audience TEXT NOT NULL,
    sender TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    message BLOB NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
";

const SCHEMA_1: &str = "
CREATE TABLE files(
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('accepted', 'rejected')),
    loaded_at TEXT NOT NULL,
    rows INTEGER NOT NULL,
    new_vintages INTEGER NOT NULL,
    stored_as TEXT,
    report TEXT
);
CREATE UNIQUE INDEX files_accepted_sha ON files(sha256) WHERE status = 'accepted';
CREATE TABLE observations(
    id INTEGER PRIMARY KEY,
    year INTEGER NOT NULL,
    quarter INTEGER NOT NULL CHECK (quarter BETWEEN 1 AND 4),
    region TEXT NOT NULL,
    industry TEXT NOT NULL,
    indicator TEXT NOT NULL,
    value REAL,
    yoy_pct REAL,
    release_date TEXT NOT NULL,
    source TEXT,
    file_id INTEGER NOT NULL REFERENCES files(id),
    CHECK (value IS NOT NULL OR yoy_pct IS NOT NULL)
);
CREATE INDEX observations_key ON observations(region, industry, indicator, year, quarter, release_date, id);
CREATE TABLE runs(
    run_id TEXT PRIMARY KEY,
    period TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed')),
    trigger TEXT NOT NULL,
    as_of TEXT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    outputs TEXT NOT NULL DEFAULT '[]',
    error TEXT
);
CREATE INDEX runs_period ON runs(period, started_at);
";

const SCHEMA_2: &str = "
CREATE TABLE targets(
    id INTEGER PRIMARY KEY,
    file_id INTEGER NOT NULL REFERENCES files(id),
    release_date TEXT NOT NULL,
    key TEXT NOT NULL,
    spec TEXT NOT NULL
);
CREATE TABLE projects(
    id INTEGER PRIMARY KEY,
    project_id TEXT NOT NULL,
    year INTEGER NOT NULL,
    quarter INTEGER NOT NULL,
    name TEXT NOT NULL,
    region TEXT NOT NULL,
    industry TEXT NOT NULL,
    total_investment REAL,
    annual_plan_investment REAL,
    completed_investment_ytd REAL,
    planned_start INTEGER,
    actual_start INTEGER,
    planned_completion INTEGER,
    actual_completion INTEGER,
    release_date TEXT NOT NULL,
    file_id INTEGER NOT NULL REFERENCES files(id)
);
CREATE INDEX projects_key ON projects(project_id, year, quarter, release_date, id);
CREATE TABLE class_mapping(
    id INTEGER PRIMARY KEY,
    file_id INTEGER NOT NULL REFERENCES files(id),
    catalogue TEXT NOT NULL,
    release_date TEXT NOT NULL,
    class_code TEXT NOT NULL,
    industry_code TEXT NOT NULL
);
CREATE INDEX class_mapping_version ON class_mapping(catalogue, release_date, file_id);
CREATE TABLE enterprise_batches(
    id INTEGER PRIMARY KEY,
    file_id INTEGER NOT NULL REFERENCES files(id),
    year INTEGER NOT NULL,
    quarter INTEGER NOT NULL,
    release_date TEXT NOT NULL,
    rows INTEGER NOT NULL,
    path TEXT NOT NULL
);
CREATE INDEX enterprise_batches_period ON enterprise_batches(year, quarter, release_date, file_id);
";

/// Version 4: the daemon's state. A run records the data vintage it read and whether it
/// sent its e-mails; `schedule` is the persisted record of each period's scheduled report
/// (waiting for its data, or done); `meta` holds the scheduler's watermark; `risk_acks` are
/// the acknowledgements made over the API (silences that live in the store).
const SCHEMA_4: &str = "
ALTER TABLE runs ADD COLUMN data_vintage TEXT;
ALTER TABLE runs ADD COLUMN sent INTEGER NOT NULL DEFAULT 0;
CREATE TABLE schedule(
    period TEXT PRIMARY KEY,
    due_at TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('waiting', 'done')),
    run_id TEXT,
    complete INTEGER,
    done_at TEXT
);
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE risk_acks(
    id INTEGER PRIMARY KEY,
    risk_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    until TEXT NOT NULL,
    acked_at TEXT NOT NULL
);
CREATE INDEX risk_acks_risk ON risk_acks(risk_id, id);
";

/// Version 5: a message being sent is leased by one sender (`lease_owner`, until
/// `lease_until`), so that no other sender — in this process or another — takes it; the
/// periods of observations are indexed (the API lists them on every request).
const SCHEMA_5: &str = "
ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
ALTER TABLE outbox ADD COLUMN lease_until TEXT;
CREATE INDEX observations_period ON observations(year, quarter);
";

/// The store. Cheap to share behind an `Arc`; every call takes the connection briefly.
pub struct Store {
    path: PathBuf,
    dir: PathBuf,
    conn: Mutex<Connection>,
    /// A read-only connection for [`Store::ping`], opened on first use.
    health: Mutex<Option<Connection>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// Two observations carry the same numbers (within float noise of unit conversion).
fn same_number(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => x == y || (x - y).abs() <= 1e-12 * x.abs().max(y.abs()),
        _ => false,
    }
}

impl Store {
    /// Opens (creating if needed) the store under the data directory `dir`.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Dir {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = dir.join("seimon.db");
        let sq = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let mut conn = Connection::open(&path).map_err(sq)?;
        conn.busy_timeout(std::time::Duration::from_secs(30)).map_err(sq)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(sq)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(sq)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(sq)?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(sq)?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::Schema {
                path,
                found: version,
                known: SCHEMA_VERSION,
            });
        }
        for (from, migration) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = conn.transaction().map_err(sq)?;
            tx.execute_batch(migration).map_err(sq)?;
            tx.pragma_update(None, "user_version", from as i64 + 1).map_err(sq)?;
            tx.commit().map_err(sq)?;
        }
        Ok(Store {
            path,
            dir: dir.to_path_buf(),
            conn: Mutex::new(conn),
            health: Mutex::new(None),
        })
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The accepted file with this checksum, if any.
    pub fn accepted_file(&self, sha256: &str) -> Result<Option<FileRecord>, StoreError> {
        self.conn()
            .query_row(
                "SELECT id, sha256, name, kind, status, loaded_at, rows, new_vintages, stored_as FROM files WHERE sha256 = ?1 AND status = 'accepted'",
                [sha256],
                file_record,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// All accepted files, in load order.
    pub fn files(&self) -> Result<Vec<FileRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT id, sha256, name, kind, status, loaded_at, rows, new_vintages, stored_as FROM files WHERE status = 'accepted' ORDER BY id")
            .map_err(|e| self.err(e))?;
        stmt.query_map([], file_record)
            .and_then(|rows| rows.collect())
            .map_err(|e| self.err(e))
    }

    /// Records a rejected file (with its report) in the ledger.
    pub fn record_rejected(
        &self,
        sha256: &str,
        name: &str,
        kind: &str,
        rows: usize,
        report: &str,
        stored_as: &str,
    ) -> Result<i64, StoreError> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO files(sha256, name, kind, status, loaded_at, rows, new_vintages, stored_as, report) VALUES (?1, ?2, ?3, 'rejected', ?4, ?5, 0, ?6, ?7)",
            params![sha256, name, kind, now(), rows as i64, stored_as, report],
        )
        .map_err(|e| self.err(e))?;
        Ok(conn.last_insert_rowid())
    }

    /// Records an accepted file and stores its content in one transaction: `insert` gets
    /// the transaction and the new file id and returns how many new vintages it stored.
    /// Nothing is written when it fails.
    fn load_file(
        &self,
        sha256: &str,
        name: &str,
        kind: &str,
        stored_as: &str,
        rows: usize,
        insert: impl FnOnce(&rusqlite::Transaction<'_>, i64) -> Result<i64, StoreError>,
    ) -> Result<FileRecord, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(|e| self.err(e))?;
        let loaded_at = now();
        tx.execute(
            "INSERT INTO files(sha256, name, kind, status, loaded_at, rows, new_vintages, stored_as) VALUES (?1, ?2, ?3, 'accepted', ?4, ?5, 0, ?6)",
            params![sha256, name, kind, loaded_at, rows as i64, stored_as],
        )
        .map_err(|e| self.err(e))?;
        let file_id = tx.last_insert_rowid();
        let new_vintages = insert(&tx, file_id)?;
        tx.execute("UPDATE files SET new_vintages = ?1 WHERE id = ?2", params![new_vintages, file_id])
            .map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))?;
        Ok(FileRecord {
            id: file_id,
            sha256: sha256.to_string(),
            name: name.to_string(),
            kind: kind.to_string(),
            status: "accepted".into(),
            loaded_at,
            rows: rows as i64,
            new_vintages,
            stored_as: Some(stored_as.to_string()),
        })
    }

    /// Loads one accepted file's observations: a new vintage for each row whose numbers
    /// differ from the latest stored vintage of its key (as of the row's release date).
    /// Loads a file's `count` observations, taken one at a time from `rows` (a large file is
    /// read as it is stored, never held whole).
    pub fn load_observations(
        &self,
        sha256: &str,
        name: &str,
        stored_as: &str,
        rows: impl IntoIterator<Item = Observation>,
        count: usize,
    ) -> Result<FileRecord, StoreError> {
        self.load_file(sha256, name, "observations", stored_as, count, |tx, file_id| {
            let mut latest = tx
                .prepare_cached(
                    "SELECT value, yoy_pct FROM observations WHERE region = ?1 AND industry = ?2 AND indicator = ?3 AND year = ?4 AND quarter = ?5 AND release_date <= ?6 ORDER BY release_date DESC, id DESC LIMIT 1",
                )
                .map_err(|e| self.err(e))?;
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO observations(year, quarter, region, industry, indicator, value, yoy_pct, release_date, source, file_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )
                .map_err(|e| self.err(e))?;
            let mut new_vintages = 0;
            for o in rows {
                let (y, q) = (o.period.year(), o.period.quarter());
                let current: Option<(Option<f64>, Option<f64>)> = latest
                    .query_row(params![o.region, o.industry, o.indicator, y, q, o.release_date], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
                    .map_err(|e| self.err(e))?;
                if current.is_some_and(|(v, g)| same_number(v, o.value) && same_number(g, o.yoy_pct)) {
                    continue;
                }
                insert
                    .execute(params![y, q, o.region, o.industry, o.indicator, o.value, o.yoy_pct, o.release_date, o.source, file_id])
                    .map_err(|e| self.err(e))?;
                new_vintages += 1;
            }
            Ok(new_vintages)
        })
    }

    /// Loads a targets file; each target is a new version of its key.
    pub fn load_targets(
        &self,
        sha256: &str,
        name: &str,
        stored_as: &str,
        release_date: &str,
        targets: &[Target],
    ) -> Result<FileRecord, StoreError> {
        self.load_file(sha256, name, "targets", stored_as, targets.len(), |tx, file_id| {
            let mut insert = tx
                .prepare_cached("INSERT INTO targets(file_id, release_date, key, spec) VALUES (?1, ?2, ?3, ?4)")
                .map_err(|e| self.err(e))?;
            for t in targets {
                let spec = serde_json::to_string(t).expect("targets serialise");
                insert
                    .execute(params![file_id, release_date, t.key(), spec])
                    .map_err(|e| self.err(e))?;
            }
            Ok(targets.len() as i64)
        })
    }

    /// The targets loaded from files as of a date: per key, the latest.
    pub fn targets(&self, as_of: Option<&str>) -> Result<Vec<Target>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT spec FROM (SELECT spec, ROW_NUMBER() OVER (PARTITION BY key ORDER BY release_date DESC, id DESC) AS rn
                 FROM targets WHERE release_date <= ?1) WHERE rn = 1 ORDER BY spec",
            )
            .map_err(|e| self.err(e))?;
        let specs: Vec<String> = stmt
            .query_map([as_of.unwrap_or("9999-12-31")], |r| r.get(0))
            .and_then(|r| r.collect())
            .map_err(|e| self.err(e))?;
        Ok(specs.iter().filter_map(|s| serde_json::from_str(s).ok()).collect())
    }

    /// Loads a projects file: a new vintage for each (project, period) whose figures changed.
    pub fn load_projects(&self, sha256: &str, name: &str, stored_as: &str, projects: &[Project]) -> Result<FileRecord, StoreError> {
        self.load_file(sha256, name, "projects", stored_as, projects.len(), |tx, file_id| {
            let mut latest = tx
                .prepare_cached(&format!("SELECT {PROJECT_COLUMNS} FROM projects WHERE project_id = ?1 AND year = ?2 AND quarter = ?3 AND release_date <= ?4 ORDER BY release_date DESC, id DESC LIMIT 1"))
                .map_err(|e| self.err(e))?;
            let mut insert = tx
                .prepare_cached(&format!("INSERT INTO projects({PROJECT_COLUMNS}, file_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"))
                .map_err(|e| self.err(e))?;
            let mut new_vintages = 0;
            for p in projects {
                let current = latest.query_row(params![p.project_id, p.period.year(), p.period.quarter(), p.release_date], project).optional().map_err(|e| self.err(e))?;
                if current.is_some_and(|c| Project { release_date: p.release_date.clone(), ..c } == *p) {
                    continue;
                }
                insert
                    .execute(params![
                        p.project_id,
                        p.period.year(),
                        p.period.quarter(),
                        p.name,
                        p.region,
                        p.industry,
                        p.total_investment,
                        p.annual_plan_investment,
                        p.completed_investment_ytd,
                        p.planned_start,
                        p.actual_start,
                        p.planned_completion,
                        p.actual_completion,
                        p.release_date,
                        file_id
                    ])
                    .map_err(|e| self.err(e))?;
                new_vintages += 1;
            }
            Ok(new_vintages)
        })
    }

    /// The latest vintage of every project's figures as of a date, for the periods up to
    /// `through`.
    pub fn projects(&self, as_of: Option<&str>, through: Option<Period>) -> Result<Vec<Project>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {PROJECT_COLUMNS} FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY project_id, year, quarter ORDER BY release_date DESC, id DESC) AS rn
                 FROM projects WHERE release_date <= ?1 AND (year * 4 + quarter - 1) <= ?2) WHERE rn = 1 ORDER BY project_id, year, quarter"
            ))
            .map_err(|e| self.err(e))?;
        stmt.query_map(
            params![as_of.unwrap_or("9999-12-31"), through.map_or(i32::MAX, Period::index)],
            project,
        )
        .and_then(|r| r.collect())
        .map_err(|e| self.err(e))
    }

    /// Loads a class mapping: a whole new version of the mapping of `catalogue`.
    pub fn load_mapping(
        &self,
        sha256: &str,
        name: &str,
        stored_as: &str,
        catalogue: &str,
        release_date: &str,
        pairs: &[(String, String)],
    ) -> Result<FileRecord, StoreError> {
        self.load_file(sha256, name, "mapping", stored_as, pairs.len(), |tx, file_id| {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO class_mapping(file_id, catalogue, release_date, class_code, industry_code) VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(|e| self.err(e))?;
            for (class, industry) in pairs {
                insert
                    .execute(params![file_id, catalogue, release_date, class, industry])
                    .map_err(|e| self.err(e))?;
            }
            Ok(pairs.len() as i64)
        })
    }

    /// The class mapping of `catalogue` as of a date: the latest version's pairs.
    pub fn mapping(&self, catalogue: &str, as_of: Option<&str>) -> Result<Vec<(String, String)>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT class_code, industry_code FROM class_mapping WHERE file_id = (
                   SELECT file_id FROM class_mapping WHERE catalogue = ?1 AND release_date <= ?2 ORDER BY release_date DESC, file_id DESC LIMIT 1)
                 ORDER BY class_code, industry_code",
            )
            .map_err(|e| self.err(e))?;
        stmt.query_map(params![catalogue, as_of.unwrap_or("9999-12-31")], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(|r| r.collect())
            .map_err(|e| self.err(e))
    }

    /// Loads enterprise records: `write(file_id)` writes the Parquet files and returns one
    /// batch per period; they are recorded in the same transaction as the file. Files
    /// written before a failure are removed.
    pub fn load_enterprises(
        &self,
        sha256: &str,
        name: &str,
        stored_as: &str,
        rows: usize,
        release_date: &str,
        write: impl FnOnce(i64) -> Result<Vec<EnterpriseBatch>, StoreError>,
    ) -> Result<FileRecord, StoreError> {
        let mut written: Vec<PathBuf> = Vec::new();
        let result = self.load_file(sha256, name, "enterprises", stored_as, rows, |tx, file_id| {
            let batches = write(file_id)?;
            written.extend(batches.iter().map(|b| b.path.clone()));
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO enterprise_batches(file_id, year, quarter, release_date, rows, path) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(|e| self.err(e))?;
            for b in &batches {
                insert
                    .execute(params![
                        file_id,
                        b.period.year(),
                        b.period.quarter(),
                        release_date,
                        b.rows as i64,
                        b.path.display().to_string()
                    ])
                    .map_err(|e| self.err(e))?;
            }
            Ok(rows as i64)
        });
        if result.is_err() {
            for path in written {
                let _ = std::fs::remove_file(path);
            }
        }
        result
    }

    /// The enterprise batches released by `as_of`, for the periods up to `through`, in
    /// vintage order (a later batch's record of an enterprise replaces an earlier one's).
    pub fn enterprise_batches(&self, as_of: Option<&str>, through: Option<Period>) -> Result<Vec<EnterpriseBatch>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT year, quarter, rows, path, file_id FROM enterprise_batches WHERE release_date <= ?1 AND (year * 4 + quarter - 1) <= ?2
                 ORDER BY year, quarter, release_date, file_id",
            )
            .map_err(|e| self.err(e))?;
        let rows: Vec<(i32, u8, i64, String, i64)> = stmt
            .query_map(
                params![as_of.unwrap_or("9999-12-31"), through.map_or(i32::MAX, Period::index)],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .and_then(|r| r.collect())
            .map_err(|e| self.err(e))?;
        Ok(rows
            .into_iter()
            .filter_map(|(y, q, n, path, file_id)| {
                Some(EnterpriseBatch {
                    period: Period::new(y, q)?,
                    rows: n as usize,
                    path: PathBuf::from(path),
                    file_id,
                })
            })
            .collect())
    }

    /// The latest vintage of every observation key, as of `as_of` (an ISO date; `None`:
    /// everything stored), for the periods up to and including `through`.
    pub fn observations(&self, as_of: Option<&str>, through: Option<Period>) -> Result<Vec<StoredObservation>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT id, file_id, year, quarter, region, industry, indicator, value, yoy_pct, release_date, source FROM (
                   SELECT o.*, ROW_NUMBER() OVER (
                       PARTITION BY region, industry, indicator, year, quarter ORDER BY release_date DESC, id DESC) AS rn
                   FROM observations o
                   WHERE release_date <= ?1 AND (year * 4 + quarter - 1) <= ?2)
                 WHERE rn = 1 ORDER BY region, industry, indicator, year, quarter",
            )
            .map_err(|e| self.err(e))?;
        let as_of = as_of.unwrap_or("9999-12-31");
        let through = through.map_or(i32::MAX, Period::index);
        stmt.query_map(params![as_of, through], stored_observation)
            .and_then(|rows| rows.collect())
            .map_err(|e| self.err(e))
    }

    /// The latest vintage of every observation key of one period, as of `as_of` (read
    /// through the period index, however large the store).
    pub fn period_observations(&self, period: Period, as_of: Option<&str>) -> Result<Vec<StoredObservation>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT id, file_id, year, quarter, region, industry, indicator, value, yoy_pct, release_date, source FROM (
                   SELECT o.*, ROW_NUMBER() OVER (
                       PARTITION BY region, industry, indicator ORDER BY release_date DESC, id DESC) AS rn
                   FROM observations o
                   WHERE year = ?2 AND quarter = ?3 AND release_date <= ?1)
                 WHERE rn = 1 ORDER BY region, industry, indicator",
            )
            .map_err(|e| self.err(e))?;
        stmt.query_map(
            params![as_of.unwrap_or("9999-12-31"), period.year(), period.quarter()],
            stored_observation,
        )
        .and_then(|rows| rows.collect())
        .map_err(|e| self.err(e))
    }

    /// Every stored vintage of one key, oldest first.
    pub fn vintages(&self, period: Period, region: &str, industry: &str, indicator: &str) -> Result<Vec<StoredObservation>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT id, file_id, year, quarter, region, industry, indicator, value, yoy_pct, release_date, source FROM observations
                 WHERE region = ?1 AND industry = ?2 AND indicator = ?3 AND year = ?4 AND quarter = ?5 ORDER BY release_date, id",
            )
            .map_err(|e| self.err(e))?;
        stmt.query_map(
            params![region, industry, indicator, period.year(), period.quarter()],
            stored_observation,
        )
        .and_then(|rows| rows.collect())
        .map_err(|e| self.err(e))
    }

    /// The values of `period` whose latest vintage as of a date differs from the one
    /// before it: (region, industry, indicator, previous value, latest value).
    pub fn revisions(&self, period: Period, as_of: Option<&str>) -> Result<Vec<Revision>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT region, industry, indicator, value, rn FROM (
                   SELECT region, industry, indicator, value, ROW_NUMBER() OVER (
                       PARTITION BY region, industry, indicator ORDER BY release_date DESC, id DESC) AS rn
                   FROM observations WHERE year = ?1 AND quarter = ?2 AND release_date <= ?3)
                 WHERE rn <= 2 ORDER BY region, industry, indicator, rn",
            )
            .map_err(|e| self.err(e))?;
        let rows: Vec<(String, String, String, Option<f64>, i64)> = stmt
            .query_map(params![period.year(), period.quarter(), as_of.unwrap_or("9999-12-31")], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .and_then(|r| r.collect())
            .map_err(|e| self.err(e))?;
        Ok(rows
            .windows(2)
            .filter(|w| w[0].4 == 1 && w[1].4 == 2 && (&w[0].0, &w[0].1, &w[0].2) == (&w[1].0, &w[1].1, &w[1].2))
            .filter_map(|w| {
                let (after, before) = (w[0].3?, w[1].3?);
                (after != before).then(|| Revision {
                    region: w[0].0.clone(),
                    industry: w[0].1.clone(),
                    indicator: w[0].2.clone(),
                    before,
                    after,
                })
            })
            .collect())
    }

    /// Puts messages in the outbox; a message whose key is already there (the same report,
    /// period, data vintage and recipient) is not added again. Returns how many were new.
    pub fn enqueue(&self, messages: &[OutboxMessage]) -> Result<usize, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(|e| self.err(e))?;
        let mut added = 0;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO outbox(key, message_id, run_id, period, audience, sender, recipient, subject, message, state, attempts, next_attempt_at, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'pending', 0, ?10, ?10)",
                )
                .map_err(|e| self.err(e))?;
            let created = now();
            for m in messages {
                added += insert
                    .execute(params![
                        m.key,
                        m.message_id,
                        m.run_id,
                        m.period,
                        m.audience,
                        m.sender,
                        m.recipient,
                        m.subject,
                        m.message,
                        created
                    ])
                    .map_err(|e| self.err(e))?;
            }
        }
        tx.commit().map_err(|e| self.err(e))?;
        Ok(added)
    }

    /// Leases the next message due at `now` to `owner` until `until`: pending → sending in
    /// one statement, so two senders never take the same message. A message left `sending`
    /// is taken again only when its lease has expired (its sender died or hung).
    pub fn claim_next(&self, owner: &str, now: &str, until: &str) -> Result<Option<OutboxMessage>, StoreError> {
        self.conn()
            .query_row(
                &format!(
                    "UPDATE outbox SET state = 'sending', attempts = attempts + 1, lease_owner = ?1, lease_until = ?3
                     WHERE id = (SELECT id FROM outbox
                                 WHERE (state = 'pending' AND next_attempt_at <= ?2)
                                    OR (state = 'sending' AND (lease_until IS NULL OR lease_until < ?2))
                                 ORDER BY id LIMIT 1)
                     RETURNING {OUTBOX_COLUMNS}"
                ),
                params![owner, now, until],
                outbox_message,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// The owners of the leases of messages being sent, other than `me`.
    pub fn lease_owners(&self, me: &str) -> Result<Vec<String>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT DISTINCT lease_owner FROM outbox WHERE state = 'sending' AND lease_owner IS NOT NULL AND lease_owner <> ?1",
            )
            .map_err(|e| self.err(e))?;
        stmt.query_map([me], |r| r.get(0))
            .and_then(|r| r.collect())
            .map_err(|e| self.err(e))
    }

    /// The leases of a sender known to be dead go back to pending, due now. The server may
    /// have accepted the message it was sending just before it died; that one is sent again
    /// with the same Message-ID, which lets the receiving side recognise it.
    pub fn release_leases(&self, owner: &str) -> Result<usize, StoreError> {
        self.conn()
            .execute(
                "UPDATE outbox SET state = 'pending', lease_owner = NULL, lease_until = NULL WHERE state = 'sending' AND lease_owner = ?1",
                [owner],
            )
            .map_err(|e| self.err(e))
    }

    /// Ends `owner`'s lease of message `id` with its outcome; false when the lease was no
    /// longer `owner`'s (it expired and another sender took the message).
    fn end_lease(&self, id: i64, owner: &str, set: &str, values: &[&dyn rusqlite::ToSql]) -> Result<bool, StoreError> {
        let sql = format!(
            "UPDATE outbox SET {set}, lease_owner = NULL, lease_until = NULL WHERE id = ?1 AND lease_owner = ?2 AND state = 'sending'"
        );
        let mut all: Vec<&dyn rusqlite::ToSql> = vec![&id, &owner];
        all.extend_from_slice(values);
        self.conn().execute(&sql, all.as_slice()).map(|n| n == 1).map_err(|e| self.err(e))
    }

    /// The server accepted the message.
    pub fn mark_sent(&self, id: i64, owner: &str) -> Result<bool, StoreError> {
        self.end_lease(id, owner, "state = 'sent', sent_at = ?3, last_error = NULL", &[&now()])
    }

    /// A temporary failure: try again at `next`.
    pub fn mark_retry(&self, id: i64, owner: &str, error: &str, next: &str) -> Result<bool, StoreError> {
        self.end_lease(
            id,
            owner,
            "state = 'pending', last_error = ?3, next_attempt_at = ?4",
            &[&error, &next],
        )
    }

    /// A permanent failure, or too many attempts.
    pub fn mark_dead(&self, id: i64, owner: &str, error: &str) -> Result<bool, StoreError> {
        self.end_lease(id, owner, "state = 'dead', last_error = ?3", &[&error])
    }

    /// Dead messages go back to pending (an explicit retry), due now.
    pub fn retry_dead(&self) -> Result<usize, StoreError> {
        self.conn()
            .execute(
                "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?1 WHERE state = 'dead'",
                [now()],
            )
            .map_err(|e| self.err(e))
    }

    /// Every message in the outbox (without their bodies' bytes), newest first.
    pub fn outbox(&self) -> Result<Vec<OutboxMessage>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(&format!("SELECT {OUTBOX_COLUMNS} FROM outbox ORDER BY id DESC"))
            .map_err(|e| self.err(e))?;
        stmt.query_map([], outbox_message)
            .and_then(|r| r.collect())
            .map_err(|e| self.err(e))
    }

    /// The runs a reader may have received (a message of theirs sent, queued or being sent,
    /// or the run recorded as sent): the archive always keeps them.
    pub fn kept_run_ids(&self) -> Result<std::collections::HashSet<String>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT run_id FROM outbox WHERE state IN ('sent', 'pending', 'sending') UNION SELECT run_id FROM runs WHERE sent = 1",
            )
            .map_err(|e| self.err(e))?;
        stmt.query_map([], |r| r.get(0)).and_then(|r| r.collect()).map_err(|e| self.err(e))
    }

    /// The copy in quarantine of the same bytes rejected before, if it is still there.
    pub fn rejected_copy(&self, sha256: &str) -> Result<Option<PathBuf>, StoreError> {
        let copies: Vec<String> = {
            let conn = self.conn();
            let mut stmt = conn
                .prepare_cached(
                    "SELECT stored_as FROM files WHERE sha256 = ?1 AND status = 'rejected' AND stored_as IS NOT NULL ORDER BY id DESC",
                )
                .map_err(|e| self.err(e))?;
            stmt.query_map([sha256], |r| r.get(0))
                .and_then(|r| r.collect())
                .map_err(|e| self.err(e))?
        };
        Ok(copies.into_iter().map(PathBuf::from).find(|p| p.is_file()))
    }

    /// How many messages of the outbox are in each state.
    pub fn outbox_counts(&self) -> Result<std::collections::BTreeMap<String, i64>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached("SELECT state, COUNT(*) FROM outbox GROUP BY state")
            .map_err(|e| self.err(e))?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(|r| r.collect())
            .map_err(|e| self.err(e))
    }

    /// Whether the database answers, on a connection of its own: never waits behind a long
    /// query of the store's main connection, and reads no table.
    pub fn ping(&self) -> Result<(), StoreError> {
        let mut health = self.health.lock().unwrap_or_else(|p| p.into_inner());
        if health.is_none() {
            let conn = Connection::open_with_flags(&self.path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(|e| self.err(e))?;
            conn.busy_timeout(std::time::Duration::from_millis(500)).map_err(|e| self.err(e))?;
            *health = Some(conn);
        }
        let conn = health.as_ref().expect("opened above");
        conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// How many files were rejected.
    pub fn rejected_files(&self) -> Result<i64, StoreError> {
        self.conn()
            .query_row("SELECT COUNT(*) FROM files WHERE status = 'rejected'", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// Number of stored observation rows (all vintages): a cheap fingerprint for tests.
    pub fn observation_count(&self) -> Result<i64, StoreError> {
        self.conn()
            .query_row("SELECT COUNT(*) FROM observations", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// The periods that have observations, oldest first.
    pub fn periods(&self) -> Result<Vec<Period>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT DISTINCT year, quarter FROM observations ORDER BY year, quarter")
            .map_err(|e| self.err(e))?;
        let rows: Vec<(i32, u8)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(|r| r.collect())
            .map_err(|e| self.err(e))?;
        Ok(rows.into_iter().filter_map(|(y, q)| Period::new(y, q)).collect())
    }

    /// Records the start of a run.
    pub fn start_run(&self, run_id: &str, period: Period, trigger: &str, as_of: Option<&str>) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "INSERT INTO runs(run_id, period, state, trigger, as_of, started_at) VALUES (?1, ?2, 'running', ?3, ?4, ?5)",
                params![run_id, period.to_string(), trigger, as_of, now()],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// Records the end of a run, with its outputs or its error.
    pub fn finish_run(&self, run_id: &str, finish: &RunFinish<'_>) -> Result<(), StoreError> {
        let state = if finish.error.is_some() { "failed" } else { "succeeded" };
        let outputs = serde_json::to_string(finish.outputs).expect("strings serialise");
        self.conn()
            .execute(
                "UPDATE runs SET state = ?2, finished_at = ?3, outputs = ?4, error = ?5, data_vintage = ?6, sent = ?7 WHERE run_id = ?1",
                params![run_id, state, now(), outputs, finish.error, finish.data_vintage, finish.sent],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// One run's record.
    pub fn run(&self, run_id: &str) -> Result<Option<RunRecord>, StoreError> {
        self.conn()
            .query_row(&format!("SELECT {RUN_COLUMNS} FROM runs WHERE run_id = ?1"), [run_id], run_row)
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Every run, oldest first.
    pub fn runs(&self) -> Result<Vec<RunRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(&format!("SELECT {RUN_COLUMNS} FROM runs ORDER BY started_at, rowid"))
            .map_err(|e| self.err(e))?;
        stmt.query_map([], run_row).and_then(|r| r.collect()).map_err(|e| self.err(e))
    }

    /// The latest successful run of each period on the latest data (no `--as-of`).
    pub fn latest_runs(&self) -> Result<Vec<RunRecord>, StoreError> {
        let mut latest: std::collections::BTreeMap<String, RunRecord> = Default::default();
        for run in self.runs()? {
            if run.state == "succeeded" && run.as_of.is_none() {
                latest.insert(run.period.clone(), run);
            }
        }
        Ok(latest.into_values().collect())
    }

    /// Marks as failed the runs of `period` left `running` by a process that died.
    pub fn interrupt_runs(&self, period: &str) -> Result<usize, StoreError> {
        self.conn()
            .execute(
                "UPDATE runs SET state = 'failed', finished_at = ?2, error = 'interrupted: the process stopped during the run' \
                 WHERE period = ?1 AND state IN ('queued', 'running')",
                params![period, now()],
            )
            .map_err(|e| self.err(e))
    }

    /// The periods with runs left `running` or `queued`.
    pub fn unfinished_run_periods(&self) -> Result<Vec<String>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT DISTINCT period FROM runs WHERE state IN ('queued', 'running') ORDER BY period")
            .map_err(|e| self.err(e))?;
        stmt.query_map([], |r| r.get(0)).and_then(|r| r.collect()).map_err(|e| self.err(e))
    }

    /// A value of the daemon's own bookkeeping.
    pub fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.conn()
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// Records that the schedule fired for `period` (kept as it is when already recorded)
    /// and moves the watermark, in one transaction: a firing is registered exactly once.
    /// Returns the periods newly registered.
    pub fn schedule_due(&self, due: &[(Period, String)], watermark: &str) -> Result<Vec<Period>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(|e| self.err(e))?;
        let mut added = Vec::new();
        for (period, due_at) in due {
            let inserted = tx
                .execute(
                    "INSERT OR IGNORE INTO schedule(period, due_at, state) VALUES (?1, ?2, 'waiting')",
                    params![period.to_string(), due_at],
                )
                .map_err(|e| self.err(e))?;
            if inserted > 0 {
                added.push(*period);
            }
        }
        tx.execute(
            "INSERT INTO meta(key, value) VALUES ('schedule_watermark', ?1) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [watermark],
        )
        .map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))?;
        Ok(added)
    }

    /// The scheduled reports, by period.
    pub fn schedule(&self) -> Result<Vec<ScheduleRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT period, due_at, state, run_id, complete, done_at FROM schedule ORDER BY period")
            .map_err(|e| self.err(e))?;
        stmt.query_map([], |r| {
            Ok(ScheduleRecord {
                period: r.get(0)?,
                due_at: r.get(1)?,
                state: r.get(2)?,
                run_id: r.get(3)?,
                complete: r.get(4)?,
                done_at: r.get(5)?,
            })
        })
        .and_then(|r| r.collect())
        .map_err(|e| self.err(e))
    }

    /// Records that a period's scheduled report went out.
    pub fn schedule_done(&self, period: Period, run_id: &str, complete: bool) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "UPDATE schedule SET state = 'done', run_id = ?2, complete = ?3, done_at = ?4 WHERE period = ?1",
                params![period.to_string(), run_id, complete, now()],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// Records an acknowledgement of a risk.
    pub fn ack_risk(&self, risk_id: &str, reason: &str, until: NaiveDate) -> Result<RiskAck, StoreError> {
        let ack = RiskAck {
            risk_id: risk_id.to_string(),
            reason: reason.to_string(),
            until: until.to_string(),
            acked_at: now(),
        };
        self.conn()
            .execute(
                "INSERT INTO risk_acks(risk_id, reason, until, acked_at) VALUES (?1, ?2, ?3, ?4)",
                params![ack.risk_id, ack.reason, ack.until, ack.acked_at],
            )
            .map_err(|e| self.err(e))?;
        Ok(ack)
    }

    /// The latest acknowledgement of each risk.
    pub fn risk_acks(&self) -> Result<Vec<RiskAck>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT risk_id, reason, until, acked_at FROM risk_acks a \
                 WHERE id = (SELECT MAX(id) FROM risk_acks b WHERE b.risk_id = a.risk_id) ORDER BY risk_id",
            )
            .map_err(|e| self.err(e))?;
        stmt.query_map([], |r| {
            Ok(RiskAck {
                risk_id: r.get(0)?,
                reason: r.get(1)?,
                until: r.get(2)?,
                acked_at: r.get(3)?,
            })
        })
        .and_then(|r| r.collect())
        .map_err(|e| self.err(e))
    }
}

/// How a run ended.
pub struct RunFinish<'a> {
    pub outputs: &'a [String],
    pub error: Option<&'a str>,
    pub data_vintage: Option<&'a str>,
    pub sent: bool,
}

const RUN_COLUMNS: &str = "run_id, period, state, trigger, as_of, started_at, finished_at, outputs, error, data_vintage, sent";

fn run_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RunRecord> {
    let outputs: String = r.get(7)?;
    Ok(RunRecord {
        run_id: r.get(0)?,
        period: r.get(1)?,
        state: r.get(2)?,
        trigger: r.get(3)?,
        as_of: r.get(4)?,
        started_at: r.get(5)?,
        finished_at: r.get(6)?,
        outputs: serde_json::from_str(&outputs).unwrap_or_default(),
        error: r.get(8)?,
        data_vintage: r.get(9)?,
        sent: r.get(10)?,
    })
}

const OUTBOX_COLUMNS: &str = "id, key, message_id, run_id, period, audience, sender, recipient, subject, message, state, attempts, next_attempt_at, last_error, created_at, sent_at";

fn outbox_message(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxMessage> {
    Ok(OutboxMessage {
        id: r.get(0)?,
        key: r.get(1)?,
        message_id: r.get(2)?,
        run_id: r.get(3)?,
        period: r.get(4)?,
        audience: r.get(5)?,
        sender: r.get(6)?,
        recipient: r.get(7)?,
        subject: r.get(8)?,
        message: r.get(9)?,
        state: r.get(10)?,
        attempts: r.get(11)?,
        next_attempt_at: r.get(12)?,
        last_error: r.get(13)?,
        created_at: r.get(14)?,
        sent_at: r.get(15)?,
    })
}

const PROJECT_COLUMNS: &str = "project_id, year, quarter, name, region, industry, total_investment, annual_plan_investment, completed_investment_ytd, planned_start, actual_start, planned_completion, actual_completion, release_date";

fn project(r: &rusqlite::Row<'_>) -> rusqlite::Result<Project> {
    let (y, q): (i32, u8) = (r.get(1)?, r.get(2)?);
    Ok(Project {
        project_id: r.get(0)?,
        period: Period::new(y, q).ok_or(rusqlite::Error::IntegralValueOutOfRange(2, i64::from(q)))?,
        name: r.get(3)?,
        region: r.get(4)?,
        industry: r.get(5)?,
        total_investment: r.get(6)?,
        annual_plan_investment: r.get(7)?,
        completed_investment_ytd: r.get(8)?,
        planned_start: r.get(9)?,
        actual_start: r.get(10)?,
        planned_completion: r.get(11)?,
        actual_completion: r.get(12)?,
        release_date: r.get(13)?,
    })
}

fn file_record(r: &rusqlite::Row<'_>) -> rusqlite::Result<FileRecord> {
    Ok(FileRecord {
        id: r.get(0)?,
        sha256: r.get(1)?,
        name: r.get(2)?,
        kind: r.get(3)?,
        status: r.get(4)?,
        loaded_at: r.get(5)?,
        rows: r.get(6)?,
        new_vintages: r.get(7)?,
        stored_as: r.get(8)?,
    })
}

fn stored_observation(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredObservation> {
    let (y, q): (i32, u8) = (r.get(2)?, r.get(3)?);
    Ok(StoredObservation {
        id: r.get(0)?,
        file_id: r.get(1)?,
        obs: Observation {
            period: Period::new(y, q).ok_or_else(|| rusqlite::Error::IntegralValueOutOfRange(3, i64::from(q)))?,
            region: r.get(4)?,
            industry: r.get(5)?,
            indicator: r.get(6)?,
            value: r.get(7)?,
            yoy_pct: r.get(8)?,
            release_date: r.get(9)?,
            source: r.get(10)?,
        },
    })
}

/// The current time as an RFC 3339 string (UTC), for ledgers and run records.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(value: f64, release: &str) -> Observation {
        Observation {
            period: Period::new(2025, 3).unwrap(),
            region: "340100".into(),
            industry: "NGIT".into(),
            indicator: "operating_income".into(),
            value: Some(value),
            yoy_pct: Some(10.0),
            release_date: release.into(),
            source: None,
        }
    }

    #[test]
    fn changed_values_become_vintages_and_as_of_picks_the_right_one() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let f1 = store.load_observations("a", "a.csv", "a", [obs(100.0, "2025-10-20")], 1).unwrap();
        assert_eq!(f1.new_vintages, 1);
        let f2 = store.load_observations("b", "b.csv", "b", [obs(100.0, "2025-11-01")], 1).unwrap();
        assert_eq!(f2.new_vintages, 0, "an unchanged value is not a new vintage");
        let f3 = store.load_observations("c", "c.csv", "c", [obs(101.5, "2025-12-01")], 1).unwrap();
        assert_eq!(f3.new_vintages, 1);
        let p = Period::new(2025, 3).unwrap();
        let all = store.vintages(p, "340100", "NGIT", "operating_income").unwrap();
        assert_eq!(all.iter().map(|s| s.obs.value.unwrap()).collect::<Vec<_>>(), vec![100.0, 101.5]);
        let latest = store.observations(None, None).unwrap();
        assert_eq!(latest.len(), 1);
        assert_eq!(latest[0].obs.value, Some(101.5));
        let past = store.observations(Some("2025-11-30"), None).unwrap();
        assert_eq!(past[0].obs.value, Some(100.0));
        assert!(store.observations(Some("2025-10-19"), None).unwrap().is_empty());
        drop(store);
        let reopened = Store::open(dir.path()).unwrap();
        assert_eq!(reopened.observation_count().unwrap(), 2, "the store survives a restart");
        assert_eq!(reopened.files().unwrap().len(), 3);
    }
}
