//! What a loaded file changed against the vintages stored before it: each published value
//! it revised (the value it replaced, or none for a new key), and for enterprise records,
//! each quarter's batch against the batches that quarter already held.

use rusqlite::params;

use super::{Store, StoreError};

/// A value a file stored: its key, the value and growth it replaced (none for a new key)
/// and its own.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FileChange {
    pub period: String,
    pub region: String,
    pub industry: String,
    pub indicator: String,
    pub before: Option<f64>,
    pub before_yoy_pct: Option<f64>,
    /// Whether an earlier vintage of this key existed.
    pub revised: bool,
    pub after: Option<f64>,
    pub after_yoy_pct: Option<f64>,
}

/// A quarter's batch of enterprise records from one file, beside what the quarter held.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BatchAgainstEarlier {
    pub period: String,
    pub rows: i64,
    /// Earlier batches of the quarter and their records.
    pub earlier_batches: i64,
    pub earlier_rows: i64,
}

impl Store {
    /// The first `limit` values file `file_id` stored, with the vintage each replaced.
    pub fn file_changes(&self, file_id: i64, limit: usize) -> Result<Vec<FileChange>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT o.year, o.quarter, o.region, o.industry, o.indicator, o.value, o.yoy_pct, p.id, p.value, p.yoy_pct
                 FROM observations o
                 LEFT JOIN observations p ON p.id = (
                     SELECT e.id FROM observations e
                     WHERE e.region = o.region AND e.industry = o.industry AND e.indicator = o.indicator
                       AND e.year = o.year AND e.quarter = o.quarter AND e.release_date <= o.release_date AND e.id < o.id
                     ORDER BY e.release_date DESC, e.id DESC LIMIT 1)
                 WHERE o.file_id = ?1 ORDER BY o.id LIMIT ?2",
            )
            .map_err(|e| self.err(e))?;
        stmt.query_map(params![file_id, limit as i64], |r| {
            let (year, quarter): (i32, u8) = (r.get(0)?, r.get(1)?);
            Ok(FileChange {
                period: format!("{year}Q{quarter}"),
                region: r.get(2)?,
                industry: r.get(3)?,
                indicator: r.get(4)?,
                after: r.get(5)?,
                after_yoy_pct: r.get(6)?,
                revised: r.get::<_, Option<i64>>(7)?.is_some(),
                before: r.get(8)?,
                before_yoy_pct: r.get(9)?,
            })
        })
        .and_then(|r| r.collect())
        .map_err(|e| self.err(e))
    }

    /// Each quarter's batch of enterprise records file `file_id` stored, beside the
    /// batches of that quarter loaded before it.
    pub fn batches_against_earlier(&self, file_id: i64) -> Result<Vec<BatchAgainstEarlier>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT b.year, b.quarter, b.rows,
                        (SELECT COUNT(*) FROM enterprise_batches e WHERE e.year = b.year AND e.quarter = b.quarter AND e.file_id < b.file_id),
                        (SELECT COALESCE(SUM(e.rows), 0) FROM enterprise_batches e WHERE e.year = b.year AND e.quarter = b.quarter AND e.file_id < b.file_id)
                 FROM enterprise_batches b WHERE b.file_id = ?1 ORDER BY b.year, b.quarter",
            )
            .map_err(|e| self.err(e))?;
        stmt.query_map([file_id], |r| {
            let (year, quarter): (i32, u8) = (r.get(0)?, r.get(1)?);
            Ok(BatchAgainstEarlier {
                period: format!("{year}Q{quarter}"),
                rows: r.get(2)?,
                earlier_batches: r.get(3)?,
                earlier_rows: r.get(4)?,
            })
        })
        .and_then(|r| r.collect())
        .map_err(|e| self.err(e))
    }
}
