//! The load ledger and the loads: every file accepted (its rows stored in one
//! transaction, values differing from the latest vintage as new rows) or rejected (its
//! report kept, its bytes once in quarantine).

use std::path::PathBuf;

use rusqlite::{OptionalExtension, params};

use super::inputs::{EnterpriseBatch, PROJECT_COLUMNS, project};
use super::{Store, StoreError, now};
use crate::model::observation::{Observation, Project};
use crate::model::target::Target;

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

/// Two observations carry the same numbers (within float noise of unit conversion).
fn same_number(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => x == y || (x - y).abs() <= 1e-12 * x.abs().max(y.abs()),
        _ => false,
    }
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

impl Store {
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

    /// How many files were rejected.
    pub fn rejected_files(&self) -> Result<i64, StoreError> {
        self.conn()
            .query_row("SELECT COUNT(*) FROM files WHERE status = 'rejected'", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }
}
