//! The schedule's record: each period the schedule made due, waiting or done, and the
//! watermark up to which firings were registered (`meta`).

use rusqlite::{OptionalExtension, params};

use super::{ScheduleState, Store, StoreError, now};
use crate::model::period::Period;

/// A period's scheduled report: waiting for its data, or done.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ScheduleRecord {
    pub period: String,
    /// When the schedule fired for it (RFC 3339, UTC).
    pub due_at: String,
    pub state: ScheduleState,
    pub run_id: Option<String>,
    /// Whether the data were complete when the report went out.
    pub complete: Option<bool>,
    pub done_at: Option<String>,
}

impl Store {
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
}
