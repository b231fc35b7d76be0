//! The HTTP API (axum): runs, files, periods, health and metrics.
//!
//! Every route under `/api/v1` needs `Authorization: Bearer <token>`; errors are JSON
//! `{"error": …}`. A run of a period already under way is joined, not doubled: the API
//! answers 202 with the running one's id. Runs are spawned on the server's task tracker,
//! so a shutdown waits for them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tokio_util::task::TaskTracker;

use crate::config::Secret;
use crate::ingest::{self, Outcome};
use crate::period::Period;
use crate::pipeline::{RunOptions, Seimon, Trigger, new_run_id};

/// The largest file the API accepts.
pub const MAX_BODY: usize = 256 * 1024 * 1024;

/// A run as the API reports it.
#[derive(Debug, Clone, Serialize)]
pub struct RunStatus {
    pub run_id: String,
    pub state: String,
    pub period: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub outputs: Vec<String>,
    pub error: Option<String>,
}

#[derive(Default)]
struct Counters {
    runs_started: u64,
    runs_succeeded: u64,
    runs_failed: u64,
    run_seconds: f64,
}

/// The API's shared state.
#[derive(Clone)]
pub struct ApiState {
    app: Seimon,
    token: Secret,
    tracker: TaskTracker,
    runs: Arc<Mutex<HashMap<String, RunStatus>>>,
    running: Arc<Mutex<HashMap<Period, String>>>,
    counters: Arc<Mutex<Counters>>,
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(serde_json::json!({ "error": message.into() }))).into_response()
}

impl ApiState {
    pub fn new(app: Seimon, token: Secret, tracker: TaskTracker) -> ApiState {
        ApiState {
            app,
            token,
            tracker,
            runs: Arc::default(),
            running: Arc::default(),
            counters: Arc::default(),
        }
    }

    fn authorised(&self, headers: &HeaderMap) -> Result<(), Response> {
        let given = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        match given {
            Some(t) if t == self.token.expose() => Ok(()),
            _ => Err(error(StatusCode::UNAUTHORIZED, "a valid bearer token is required")),
        }
    }

    /// Starts a run of `period`, or joins the one under way; returns its id.
    pub fn start(&self, period: Period, send: bool, trigger: Trigger) -> String {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(id) = running.get(&period) {
            return id.clone();
        }
        let run_id = new_run_id();
        running.insert(period, run_id.clone());
        self.runs.lock().unwrap_or_else(|p| p.into_inner()).insert(
            run_id.clone(),
            RunStatus {
                run_id: run_id.clone(),
                state: "queued".into(),
                period: period.to_string(),
                started_at: None,
                finished_at: None,
                outputs: vec![],
                error: None,
            },
        );
        self.counters.lock().unwrap_or_else(|p| p.into_inner()).runs_started += 1;
        let this = self.clone();
        let id = run_id.clone();
        self.tracker.spawn(async move {
            this.set(&id, |r| {
                r.state = "running".into();
                r.started_at = Some(crate::store::now());
            });
            let started = std::time::Instant::now();
            let result = this
                .app
                .run_quarter_as(
                    Some(id.clone()),
                    RunOptions {
                        period,
                        as_of: None,
                        send,
                        trigger,
                        notes: vec![],
                    },
                )
                .await;
            {
                let mut c = this.counters.lock().unwrap_or_else(|p| p.into_inner());
                c.run_seconds += started.elapsed().as_secs_f64();
                if result.is_ok() {
                    c.runs_succeeded += 1
                } else {
                    c.runs_failed += 1
                }
            }
            this.set(&id, |r| {
                r.finished_at = Some(crate::store::now());
                match &result {
                    Ok(s) => {
                        r.state = "succeeded".into();
                        r.outputs = s.outputs.clone();
                    }
                    Err(e) => {
                        r.state = "failed".into();
                        r.error = Some(e.to_string());
                    }
                }
            });
            this.running.lock().unwrap_or_else(|p| p.into_inner()).remove(&period);
        });
        run_id
    }

    fn set(&self, id: &str, f: impl FnOnce(&mut RunStatus)) {
        if let Some(r) = self.runs.lock().unwrap_or_else(|p| p.into_inner()).get_mut(id) {
            f(r);
        }
    }
}

/// The router.
pub fn router(state: ApiState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/api/v1/runs", post(post_run))
        .route("/api/v1/runs/{run_id}", get(get_run))
        .route("/api/v1/files", post(post_file))
        .route("/api/v1/periods", get(periods))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "no such route") })
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

async fn healthz(State(s): State<ApiState>) -> Response {
    match s.app.store.periods() {
        Ok(_) => Json(serde_json::json!({ "status": "ok" })).into_response(),
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    }
}

async fn metrics(State(s): State<ApiState>) -> Response {
    let (started, succeeded, failed, seconds) = {
        let c = s.counters.lock().unwrap_or_else(|p| p.into_inner());
        (c.runs_started, c.runs_succeeded, c.runs_failed, c.run_seconds)
    };
    let outbox = s.app.store.outbox().unwrap_or_default();
    let count = |state: &str| outbox.iter().filter(|m| m.state == state).count();
    let rejected = s.app.store.rejected_files().unwrap_or(0);
    let body = format!(
        "# TYPE seimon_runs_total counter\nseimon_runs_total{{state=\"started\"}} {started}\nseimon_runs_total{{state=\"succeeded\"}} {succeeded}\nseimon_runs_total{{state=\"failed\"}} {failed}\n\
         # TYPE seimon_run_duration_seconds_sum counter\nseimon_run_duration_seconds_sum {seconds}\n\
         # TYPE seimon_emails_total gauge\nseimon_emails_total{{state=\"sent\"}} {}\nseimon_emails_total{{state=\"dead\"}} {}\nseimon_emails_total{{state=\"pending\"}} {}\n\
         # TYPE seimon_files_rejected_total counter\nseimon_files_rejected_total {rejected}\n",
        count("sent"),
        count("dead"),
        count("pending")
    );
    ([("content-type", "text/plain; version=0.0.4")], body).into_response()
}

#[derive(Deserialize)]
struct RunRequest {
    period: String,
    #[serde(default)]
    send: bool,
}

async fn post_run(State(s): State<ApiState>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    if let Err(r) = s.authorised(&headers) {
        return r;
    }
    let request: RunRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("expected {{\"period\": \"2025Q3\", \"send\": false}}: {e}"),
            );
        }
    };
    let period: Period = match request.period.parse() {
        Ok(p) => p,
        Err(e) => return error(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
    };
    let run_id = s.start(period, request.send, Trigger::Api);
    (StatusCode::ACCEPTED, Json(serde_json::json!({ "run_id": run_id }))).into_response()
}

async fn get_run(State(s): State<ApiState>, headers: HeaderMap, Path(run_id): Path<String>) -> Response {
    if let Err(r) = s.authorised(&headers) {
        return r;
    }
    if let Some(r) = s.runs.lock().unwrap_or_else(|p| p.into_inner()).get(&run_id) {
        return Json(r.clone()).into_response();
    }
    match s.app.store.run(&run_id) {
        Ok(Some(r)) => Json(RunStatus {
            run_id: r.run_id,
            state: r.state,
            period: r.period,
            started_at: Some(r.started_at),
            finished_at: r.finished_at,
            outputs: r.outputs,
            error: r.error,
        })
        .into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, format!("no run {run_id}")),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

#[derive(Deserialize)]
struct FileQuery {
    name: Option<String>,
}

async fn post_file(State(s): State<ApiState>, headers: HeaderMap, Query(q): Query<FileQuery>, body: axum::body::Bytes) -> Response {
    if let Err(r) = s.authorised(&headers) {
        return r;
    }
    let Some(name) = q.name else {
        return error(StatusCode::BAD_REQUEST, "the file's name is required: ?name=data.csv");
    };
    let app = s.app.clone();
    let today = app.settings.today();
    let outcome = tokio::task::spawn_blocking(move || {
        ingest::ingest_bytes(
            &app.store,
            &app.settings.catalogue,
            &name,
            &body,
            &ingest::Options {
                today: Some(today),
                ..ingest::Options::default()
            },
        )
    })
    .await;
    match outcome {
        Ok(Ok(Outcome::Accepted { file, warnings })) => {
            Json(serde_json::json!({ "status": "accepted", "file": file, "warnings": warnings })).into_response()
        }
        Ok(Ok(Outcome::AlreadyLoaded { file })) => Json(serde_json::json!({ "status": "unchanged", "file": file })).into_response(),
        Ok(Ok(Outcome::Rejected(r))) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(serde_json::json!({ "error": format!("{} rejected", r.name), "problems": r.problems, "report": r.report() })),
        )
            .into_response(),
        Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

async fn periods(State(s): State<ApiState>, headers: HeaderMap) -> Response {
    if let Err(r) = s.authorised(&headers) {
        return r;
    }
    let periods = match s.app.store.periods() {
        Ok(p) => p,
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    let list: Vec<serde_json::Value> = periods
        .into_iter()
        .map(|p| {
            let completeness = s.app.completeness(p, None).map(|c| c.pct()).ok();
            serde_json::json!({ "period": p.to_string(), "completeness_pct": completeness })
        })
        .collect();
    Json(list).into_response()
}
