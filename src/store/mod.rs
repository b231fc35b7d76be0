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
//!
//! One concern per file, each an `impl Store` of its own: `schema` (migrations), `ledger`
//! (loads and the ledger of files), `inputs` (as-of reads of what a run needs), `runs`,
//! `outbox` (with its leases), `schedule`, `acks`, `accounts` (the console's accounts,
//! sessions and audit), `file_changes` (what a loaded file changed), `aggregates` (the
//! partial aggregates of enterprise records, kept beside their batches), and `states`
//! (the records' states).

mod accounts;
mod acks;
mod aggregates;
mod file_changes;
mod inputs;
mod ledger;
mod outbox;
mod runs;
mod schedule;
mod schema;
pub mod states;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::Connection;

pub use self::accounts::{AuditEntry, Session};
pub use self::acks::RiskAck;
pub use self::file_changes::{BatchAgainstEarlier, FileChange};
pub use self::inputs::{EnterpriseBatch, StoredObservation};
pub use self::ledger::FileRecord;
pub use self::outbox::{Lane, OutboxMessage, robot_recipient};
pub use self::runs::{RunFinish, RunRecord};
pub use self::schedule::ScheduleRecord;
use self::schema::{MIGRATIONS, SCHEMA_VERSION};
pub use self::states::{Channel, OutboxState, RunState, ScheduleState};

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the data directory {path}: {source}")]
    Dir { path: PathBuf, source: std::io::Error },
    #[error("store {path}: {source}")]
    Sqlite { path: PathBuf, source: rusqlite::Error },
    #[error("enterprise aggregates ({what}): {message}")]
    Aggregates { what: String, message: String },
    #[error("the store {path} was written by a newer seimon (schema {found}, this one knows {known})")]
    Schema { path: PathBuf, found: i64, known: i64 },
}

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
}

/// The current time as an RFC 3339 string (UTC), for ledgers and run records.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::observation::Observation;
    use crate::model::period::Period;

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
