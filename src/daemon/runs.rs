//! The runs of the daemon: every door inside the process (the API, the schedule, the inbox)
//! starts a quarter's run through [`Runs::start`], so a request for a period already under
//! way joins that run instead of doubling it. Runs are spawned on the daemon's task tracker,
//! so a shutdown waits for them; each run's status is watchable until it ends. (A run from
//! another process — the CLI — is kept apart by the period's file lock in the pipeline.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tokio::sync::watch;
use tokio_util::task::TaskTracker;

use crate::model::period::Period;
use crate::pipeline::{RunOptions, Seimon, Trigger, new_run_id};
use crate::store::RunState;

/// A run as the API reports it.
#[derive(Debug, Clone, Serialize)]
pub struct RunStatus {
    pub run_id: String,
    pub state: RunState,
    pub period: String,
    pub trigger: Trigger,
    pub send: bool,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub outputs: Vec<String>,
    pub error: Option<String>,
    /// How many values differ from the previous run of the period.
    pub changes: Option<usize>,
}

impl RunStatus {
    pub fn finished(&self) -> bool {
        self.state.finished()
    }
}

/// Counts for `/metrics`.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counters {
    pub started: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub seconds: f64,
}

/// A started run: its id, and whether it was already under way (joined).
#[derive(Debug, Clone)]
pub struct Started {
    pub run_id: String,
    pub joined: bool,
}

#[derive(Default)]
struct Inner {
    runs: HashMap<String, watch::Sender<RunStatus>>,
    running: HashMap<Period, String>,
    counters: Counters,
}

/// The runs of this process.
#[derive(Clone)]
pub struct Runs {
    app: Seimon,
    tracker: TaskTracker,
    inner: Arc<Mutex<Inner>>,
}

impl Runs {
    pub fn new(app: Seimon, tracker: TaskTracker) -> Runs {
        Runs {
            app,
            tracker,
            inner: Arc::default(),
        }
    }

    pub fn app(&self) -> &Seimon {
        &self.app
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts a run of `options.period`, or joins the one under way.
    pub fn start(&self, options: RunOptions) -> Started {
        let period = options.period;
        let mut inner = self.inner();
        if let Some(id) = inner.running.get(&period) {
            return Started {
                run_id: id.clone(),
                joined: true,
            };
        }
        let run_id = new_run_id();
        inner.running.insert(period, run_id.clone());
        let (tx, _) = watch::channel(RunStatus {
            run_id: run_id.clone(),
            state: RunState::Queued,
            period: period.to_string(),
            trigger: options.trigger,
            send: options.send,
            started_at: None,
            finished_at: None,
            outputs: vec![],
            error: None,
            changes: None,
        });
        inner.runs.insert(run_id.clone(), tx.clone());
        inner.counters.started += 1;
        drop(inner);
        let this = self.clone();
        let id = run_id.clone();
        self.tracker.spawn(async move {
            tx.send_modify(|r| {
                r.state = RunState::Running;
                r.started_at = Some(crate::store::now());
            });
            let started = std::time::Instant::now();
            let result = this.app.run_quarter_as(Some(id), options).await;
            let mut inner = this.inner();
            inner.counters.seconds += started.elapsed().as_secs_f64();
            if result.is_ok() {
                inner.counters.succeeded += 1
            } else {
                inner.counters.failed += 1
            }
            inner.running.remove(&period);
            drop(inner);
            tx.send_modify(|r| {
                r.finished_at = Some(crate::store::now());
                match &result {
                    Ok(s) => {
                        r.state = RunState::Succeeded;
                        r.outputs = s.outputs.clone();
                        r.changes = Some(s.changes.len());
                    }
                    Err(e) => {
                        r.state = RunState::Failed;
                        r.error = Some(e.to_string());
                    }
                }
            });
        });
        Started { run_id, joined: false }
    }

    /// A run of this process, as it stands.
    pub fn status(&self, run_id: &str) -> Option<RunStatus> {
        self.inner().runs.get(run_id).map(|tx| tx.borrow().clone())
    }

    /// Waits for a run of this process to end.
    pub async fn wait(&self, run_id: &str) -> Option<RunStatus> {
        let mut rx = self.inner().runs.get(run_id)?.subscribe();
        let status = rx.wait_for(RunStatus::finished).await.ok()?.clone();
        Some(status)
    }

    /// Runs `options` to its end: joins a run under way first, and starts its own after it
    /// when the joined run was not sending and this one must.
    pub async fn run(&self, options: RunOptions) -> Option<RunStatus> {
        loop {
            let started = self.start(options.clone());
            let status = self.wait(&started.run_id).await?;
            if !started.joined || status.send || !options.send {
                return Some(status);
            }
        }
    }

    pub fn counters(&self) -> Counters {
        self.inner().counters
    }

    /// How many runs are under way.
    pub fn under_way(&self) -> usize {
        self.inner().running.len()
    }
}
