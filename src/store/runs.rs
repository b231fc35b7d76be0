//! Run records: a quarter's run from start to end, with the data vintage it read and
//! whether it sent; the runs a dead process left running are marked failed.

use rusqlite::{OptionalExtension, params};

use super::{RunState, Store, StoreError, now};
use crate::model::period::Period;

/// A run of a quarter.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RunRecord {
    pub run_id: String,
    pub period: String,
    pub state: RunState,
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

impl Store {
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
        let state = if finish.error.is_some() {
            RunState::Failed
        } else {
            RunState::Succeeded
        };
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

    /// Keeps a run's log lines.
    pub fn save_run_log(&self, run_id: &str, lines: &[String]) -> Result<(), StoreError> {
        let log = serde_json::to_string(lines).expect("strings serialise");
        self.conn()
            .execute("UPDATE runs SET log = ?2 WHERE run_id = ?1", params![run_id, log])
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// A run's log lines, if it kept them.
    pub fn run_log(&self, run_id: &str) -> Result<Option<Vec<String>>, StoreError> {
        let log: Option<Option<String>> = self
            .conn()
            .query_row("SELECT log FROM runs WHERE run_id = ?1", [run_id], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))?;
        Ok(log.flatten().map(|l| serde_json::from_str(&l).unwrap_or_default()))
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
            if run.state == RunState::Succeeded && run.as_of.is_none() {
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
}
