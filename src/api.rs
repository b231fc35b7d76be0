//! The HTTP API (axum): runs, files, periods, health and metrics.
//!
//! Every route under `/api/v1` needs `Authorization: Bearer <token>`; errors are JSON
//! `{"error": …}`. A run of a period already under way is joined, not doubled: the API
//! answers 202 with the running one's id (see [`crate::runs`]). Indicators and risks are
//! read from the period's report folder (the last run); acknowledgements are stored and
//! act as silences from the next run on.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::Deserialize;
use tokio::sync::Notify;

use crate::config::Secret;
use crate::ingest::{self, Outcome};
use crate::period::Period;
use crate::pipeline::{RunOptions, Seimon, Trigger};
use crate::runs::Runs;

/// The largest file the API accepts.
pub const MAX_BODY: usize = 256 * 1024 * 1024;

/// The API's shared state.
#[derive(Clone)]
pub struct ApiState {
    token: Secret,
    runs: Runs,
    scheduler: Arc<AtomicBool>,
    loaded: Arc<Notify>,
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(serde_json::json!({ "error": message.into() }))).into_response()
}

impl ApiState {
    /// `scheduler` is true while the daemon's scheduler loop is alive (`/healthz`);
    /// `loaded` is notified when a file is loaded (the scheduler then looks for reported
    /// periods whose data changed).
    pub fn new(runs: Runs, token: Secret, scheduler: Arc<AtomicBool>, loaded: Arc<Notify>) -> ApiState {
        ApiState {
            token,
            runs,
            scheduler,
            loaded,
        }
    }

    fn app(&self) -> &Seimon {
        self.runs.app()
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
        .route("/api/v1/periods/{period}/indicators", get(indicators))
        .route("/api/v1/periods/{period}/risks", get(risks))
        .route("/api/v1/risks/{risk_id}/ack", post(ack))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "no such route") })
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

async fn healthz(State(s): State<ApiState>) -> Response {
    if let Err(e) = s.app().store.periods() {
        return error(StatusCode::SERVICE_UNAVAILABLE, e.to_string());
    }
    if !s.scheduler.load(Ordering::SeqCst) {
        return error(StatusCode::SERVICE_UNAVAILABLE, "the scheduler is not running");
    }
    Json(serde_json::json!({ "status": "ok", "store": "ok", "scheduler": "running" })).into_response()
}

async fn metrics(State(s): State<ApiState>) -> Response {
    let c = s.runs.counters();
    let (started, succeeded, failed, seconds) = (c.started, c.succeeded, c.failed, c.seconds);
    let outbox = s.app().store.outbox().unwrap_or_default();
    let count = |state: &str| outbox.iter().filter(|m| m.state == state).count();
    let rejected = s.app().store.rejected_files().unwrap_or(0);
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
    let started = s.runs.start(RunOptions {
        period,
        as_of: None,
        send: request.send,
        only_if_changed: false,
        trigger: Trigger::Api,
        notes: vec![],
    });
    (
        StatusCode::ACCEPTED,
        Json(serde_json::json!({ "run_id": started.run_id, "joined": started.joined })),
    )
        .into_response()
}

async fn get_run(State(s): State<ApiState>, headers: HeaderMap, Path(run_id): Path<String>) -> Response {
    if let Err(r) = s.authorised(&headers) {
        return r;
    }
    if let Some(r) = s.runs.status(&run_id) {
        return Json(r).into_response();
    }
    // a run of another process (the CLI) or of an earlier life of the daemon
    match s.app().store.run(&run_id) {
        Ok(Some(r)) => Json(serde_json::json!({
            "run_id": r.run_id,
            "state": r.state,
            "period": r.period,
            "trigger": r.trigger,
            "send": r.sent,
            "started_at": r.started_at,
            "finished_at": r.finished_at,
            "outputs": r.outputs,
            "error": r.error,
        }))
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
    let app = s.app().clone();
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
            s.loaded.notify_one();
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
    let periods = match s.app().store.periods() {
        Ok(p) => p,
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    let list: Vec<serde_json::Value> = periods
        .into_iter()
        .map(|p| {
            let completeness = s.app().completeness(p, None).map(|c| c.pct()).ok();
            serde_json::json!({ "period": p.to_string(), "completeness_pct": completeness })
        })
        .collect();
    Json(list).into_response()
}

/// The latest report folder of a period, or a 404 naming what to do.
fn report_file(s: &ApiState, period: &str, file: &str) -> Result<PathBuf, Response> {
    let period: Period = period
        .parse()
        .map_err(|e: crate::period::PeriodError| error(StatusCode::BAD_REQUEST, e.to_string()))?;
    let path = s.app().settings.paths.reports.join(period.to_string()).join(file);
    if path.is_file() {
        Ok(path)
    } else {
        Err(error(
            StatusCode::NOT_FOUND,
            format!("no report for {period} yet: POST /api/v1/runs {{\"period\": \"{period}\"}} first"),
        ))
    }
}

/// The rows of a CSV file as JSON objects; `numbers` are the columns written as numbers.
fn csv_rows(
    path: &std::path::Path,
    numbers: &[&str],
    keep: impl Fn(&csv::StringRecord, &csv::StringRecord) -> bool,
) -> Result<Vec<serde_json::Value>, csv::Error> {
    let mut reader = csv::Reader::from_path(path)?;
    let headers = reader.headers()?.clone();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record?;
        if !keep(&headers, &record) {
            continue;
        }
        let object: serde_json::Map<String, serde_json::Value> = headers
            .iter()
            .zip(record.iter())
            .map(|(h, v)| {
                let value = if v.is_empty() {
                    serde_json::Value::Null
                } else if numbers.contains(&h) {
                    v.parse::<f64>()
                        .ok()
                        .and_then(serde_json::Number::from_f64)
                        .map_or_else(|| v.into(), serde_json::Value::Number)
                } else {
                    v.into()
                };
                (h.to_string(), value)
            })
            .collect();
        rows.push(serde_json::Value::Object(object));
    }
    Ok(rows)
}

async fn indicators(
    State(s): State<ApiState>,
    headers: HeaderMap,
    Path(period): Path<String>,
    Query(filter): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = s.authorised(&headers) {
        return r;
    }
    let path = match report_file(&s, &period, "indicators.csv") {
        Ok(p) => p,
        Err(r) => return r,
    };
    // each filter is a comma-separated list of accepted values of one column
    let columns = [
        ("region", "region_code"),
        ("industry", "industry_code"),
        ("indicator", "indicator"),
        ("measure", "measure"),
    ];
    if let Some(unknown) = filter.keys().find(|k| !columns.iter().any(|(q, c)| k == q || k == c)) {
        return error(
            StatusCode::BAD_REQUEST,
            format!("unknown filter `{unknown}`: filter by region, industry, indicator or measure"),
        );
    }
    let wanted: Vec<(&str, Vec<String>)> = columns
        .iter()
        .filter_map(|(q, c)| {
            let v = filter.get(*q).or_else(|| filter.get(*c))?;
            Some((*c, v.split(',').map(|x| x.trim().to_string()).collect()))
        })
        .collect();
    let rows = tokio::task::spawn_blocking(move || {
        csv_rows(&path, &["value"], |headers, record| {
            wanted.iter().all(|(column, values)| {
                let i = headers.iter().position(|h| h == *column);
                i.and_then(|i| record.get(i)).is_some_and(|v| values.iter().any(|w| w == v))
            })
        })
    })
    .await;
    match rows {
        Ok(Ok(rows)) => Json(rows).into_response(),
        Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

async fn risks(State(s): State<ApiState>, headers: HeaderMap, Path(period): Path<String>) -> Response {
    if let Err(r) = s.authorised(&headers) {
        return r;
    }
    let path = match report_file(&s, &period, "risks.csv") {
        Ok(p) => p,
        Err(r) => return r,
    };
    let acks: HashMap<String, crate::store::RiskAck> = match s.app().store.risk_acks() {
        Ok(a) => a.into_iter().map(|a| (a.risk_id.clone(), a)).collect(),
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    let rows = tokio::task::spawn_blocking(move || csv_rows(&path, &["value", "threshold"], |_, _| true)).await;
    match rows {
        Ok(Ok(mut rows)) => {
            // an acknowledgement made since the report was built shows here at once
            for row in &mut rows {
                let ack = row.get("risk_id").and_then(|v| v.as_str()).and_then(|id| acks.get(id));
                row["acknowledged"] = ack.map_or(serde_json::Value::Null, |a| serde_json::json!(a));
            }
            Json(rows).into_response()
        }
        Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

#[derive(Deserialize)]
struct AckRequest {
    reason: String,
    until: String,
}

async fn ack(State(s): State<ApiState>, headers: HeaderMap, Path(risk_id): Path<String>, body: axum::body::Bytes) -> Response {
    if let Err(r) = s.authorised(&headers) {
        return r;
    }
    let request: AckRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("expected {{\"reason\": \"…\", \"until\": \"2026-03-31\"}}: {e}"),
            );
        }
    };
    let settings = &s.app().settings;
    let parts: Vec<&str> = risk_id.split(':').collect();
    let known = match parts.as_slice() {
        [rule, region, industry, indicator] => {
            settings.rules.iter().any(|r| r.id == *rule)
                && settings.catalogue.region(region).is_some()
                && (settings.catalogue.industry(industry).is_some() || matches!(*industry, "TEN" | "TOTAL"))
                && (settings.catalogue.indicator(indicator).is_some() || *indicator == crate::compute::projects::INDICATOR)
        }
        _ => false,
    };
    if !known {
        return error(
            StatusCode::NOT_FOUND,
            format!("no risk `{risk_id}`: a risk id is rule:region:industry:indicator, as in risks.csv"),
        );
    }
    if request.reason.trim().is_empty() {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "a reason is required");
    }
    let until: NaiveDate = match request.until.parse() {
        Ok(d) => d,
        Err(_) => {
            return error(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("`{}` is not a date such as 2026-03-31", request.until),
            );
        }
    };
    if until < settings.today() {
        return error(StatusCode::UNPROCESSABLE_ENTITY, format!("{until} is in the past"));
    }
    match s.app().store.ack_risk(&risk_id, request.reason.trim(), until) {
        Ok(a) => {
            tracing::info!(risk_id = %a.risk_id, until = %a.until, "risk acknowledged");
            Json(a).into_response()
        }
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}
