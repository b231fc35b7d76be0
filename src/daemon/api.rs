//! The HTTP API (axum): runs, files, periods, health and metrics.
//!
//! Every route under `/api/v1` needs `Authorization: Bearer <token>`, checked (in constant
//! time) before anything of the body is read; errors are JSON `{"error": …}`. The
//! analyst's token opens every route and every value (each indicator says whether it is
//! withheld from readers, and why); a reader's token ([`Role::Reader`]) only the periods,
//! indicators and risks, without what disclosure control withholds (the run's
//! `disclosure.csv`) — else 403. Bodies are
//! bounded per route: a file up to [`MAX_BODY`], anything else [`SMALL_BODY`]. Every
//! handler that reads the store or a report runs on the blocking pool, at most
//! [`CONCURRENT_READS`] at a time and each within [`READ_DEADLINE`] (else 503), so that a
//! flood of slow requests never starves the server; `/healthz` reads no table. A run of a period already under way is joined, not doubled: the API
//! answers 202 with the running one's id (see [`crate::daemon::runs`]). Indicators and risks are
//! read from the period's report folder (the last run); acknowledgements are stored and
//! act as silences from the next run on.

// Handlers and their helpers fail with the response to send (axum's idiom): a `Response` is
// large, and boxing it would only move the allocation.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::Deserialize;
use std::time::Duration;

use tokio::sync::{Notify, Semaphore};

use crate::config::Secret;
use crate::daemon::runs::Runs;
use crate::ingest::{self, Outcome};
use crate::model::period::Period;
use crate::pipeline::{RunOptions, Seimon, Trigger};
use crate::store::OutboxState;

/// The largest file the API accepts.
pub const MAX_BODY: usize = 256 * 1024 * 1024;

/// The largest body of any other request (a run request, an acknowledgement).
pub const SMALL_BODY: usize = 64 * 1024;

/// How many requests read the store or a report at once; the others wait their turn.
pub const CONCURRENT_READS: usize = 4;

/// How long a request may wait for and take its read before it is answered 503.
pub const READ_DEADLINE: Duration = Duration::from_secs(20);

/// How long a file upload may wait for and take its load.
const LOAD_DEADLINE: Duration = Duration::from_secs(600);

/// Who a token belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Every route and every value.
    Analyst,
    /// What readers get: the periods, and the indicators and risks not withheld.
    Reader,
}

/// The API's shared state.
#[derive(Clone)]
pub struct ApiState {
    token: Secret,
    reader_token: Option<Secret>,
    runs: Runs,
    scheduler: Arc<AtomicBool>,
    loaded: Arc<Notify>,
    reads: Arc<Semaphore>,
    loads: Arc<Semaphore>,
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
            reader_token: None,
            runs,
            scheduler,
            loaded,
            reads: Arc::new(Semaphore::new(CONCURRENT_READS)),
            loads: Arc::new(Semaphore::new(1)),
        }
    }

    /// Also accepts `reader`'s token, for [`Role::Reader`].
    pub fn with_reader_token(self, reader: Option<Secret>) -> ApiState {
        ApiState {
            reader_token: reader,
            ..self
        }
    }

    fn app(&self) -> &Seimon {
        self.runs.app()
    }

    fn authorised(&self, headers: &HeaderMap) -> Result<Role, Response> {
        use subtle::ConstantTimeEq;
        // the scheme is case-insensitive (RFC 9110 §11.1)
        let given = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim());
        let is = |secret: &Secret, t: &str| bool::from(t.as_bytes().ct_eq(secret.expose().as_bytes()));
        match given {
            Some(t) if is(&self.token, t) => Ok(Role::Analyst),
            Some(t) if self.reader_token.as_ref().is_some_and(|r| is(r, t)) => Ok(Role::Reader),
            _ => Err(error(StatusCode::UNAUTHORIZED, "a valid bearer token is required")),
        }
    }

    /// Runs `read` on the blocking pool, after waiting for one of the read slots, all
    /// within `deadline`; past it the request is answered 503 (the read, once started,
    /// finishes on its own and frees its slot).
    async fn blocking<T: Send + 'static>(
        &self,
        slots: &Arc<Semaphore>,
        deadline: Duration,
        read: impl FnOnce(&Seimon) -> Result<T, Response> + Send + 'static,
    ) -> Result<T, Response> {
        let until = tokio::time::Instant::now() + deadline;
        let busy = || {
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("the server is busy: no answer within {} s, try again", deadline.as_secs()),
            )
        };
        let permit = match tokio::time::timeout_at(until, slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => permit,
            _ => return Err(busy()),
        };
        let app = self.app().clone();
        let task = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            read(&app)
        });
        match tokio::time::timeout_at(until, task).await {
            Err(_) => Err(busy()),
            Ok(Err(e)) => Err(error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())),
            Ok(Ok(result)) => result,
        }
    }

    /// [`ApiState::blocking`] with the read slots and deadline.
    async fn read<T: Send + 'static>(&self, read: impl FnOnce(&Seimon) -> Result<T, Response> + Send + 'static) -> Result<T, Response> {
        self.blocking(&self.reads, READ_DEADLINE, read).await
    }
}

fn internal(e: impl std::fmt::Display) -> Response {
    error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}

/// The token check of every `/api/v1` route: before any extractor reads the body. A
/// reader may only read periods (`GET /api/v1/periods…`); the role goes to the handler.
async fn require_token(State(s): State<ApiState>, mut request: Request, next: Next) -> Response {
    match s.authorised(request.headers()) {
        Ok(Role::Reader) if request.method() != axum::http::Method::GET || !request.uri().path().starts_with("/api/v1/periods") => error(
            StatusCode::FORBIDDEN,
            "a reader's token reads the published figures only: GET /api/v1/periods, …/indicators, …/risks",
        ),
        Ok(role) => {
            request.extensions_mut().insert(role);
            next.run(request).await
        }
        Err(refused) => refused,
    }
}

/// A request body of at most `limit` bytes, or the JSON error to answer: a declared length
/// over the limit is refused before anything is read.
async fn read_body(request: Request, limit: usize) -> Result<axum::body::Bytes, Response> {
    let too_large = || {
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is larger than this route accepts ({} KiB)", limit / 1024),
        )
    };
    let declared = request
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    axum::body::to_bytes(request.into_body(), limit).await.map_err(|_| too_large())
}

/// The router.
pub fn router(state: ApiState) -> Router {
    let api = Router::new()
        .route("/api/v1/runs", post(post_run))
        .route("/api/v1/runs/{run_id}", get(get_run))
        .route("/api/v1/files", post(post_file))
        .route("/api/v1/periods", get(periods))
        .route("/api/v1/periods/{period}/indicators", get(indicators))
        .route("/api/v1/periods/{period}/risks", get(risks))
        .route("/api/v1/risks/{risk_id}/ack", post(ack))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_token));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .merge(api)
        .fallback(|| async { error(StatusCode::NOT_FOUND, "no such route") })
        // bodies are read by `read_body` with each route's own limit
        .layer(DefaultBodyLimit::disable())
        .with_state(state)
}

async fn healthz(State(s): State<ApiState>) -> Response {
    let store = s.app().store.clone();
    match tokio::task::spawn_blocking(move || store.ping()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
        Err(e) => return error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    }
    if !s.scheduler.load(Ordering::SeqCst) {
        return error(StatusCode::SERVICE_UNAVAILABLE, "the scheduler is not running");
    }
    Json(serde_json::json!({ "status": "ok", "store": "ok", "scheduler": "running" })).into_response()
}

async fn metrics(State(s): State<ApiState>) -> Response {
    let c = s.runs.counters();
    let (started, succeeded, failed, seconds) = (c.started, c.succeeded, c.failed, c.seconds);
    let counts = s
        .read(|app| {
            let outbox = app.store.outbox_counts().map_err(internal)?;
            Ok((outbox, app.store.rejected_files().map_err(internal)?))
        })
        .await;
    let (outbox, rejected) = match counts {
        Ok(c) => c,
        Err(r) => return r,
    };
    let count = |state: &str| outbox.get(state).copied().unwrap_or(0);
    let body = format!(
        "# TYPE seimon_runs_total counter\nseimon_runs_total{{state=\"started\"}} {started}\nseimon_runs_total{{state=\"succeeded\"}} {succeeded}\nseimon_runs_total{{state=\"failed\"}} {failed}\n\
         # TYPE seimon_run_duration_seconds_sum counter\nseimon_run_duration_seconds_sum {seconds}\n\
         # TYPE seimon_emails_total gauge\nseimon_emails_total{{state=\"sent\"}} {}\nseimon_emails_total{{state=\"dead\"}} {}\nseimon_emails_total{{state=\"pending\"}} {}\n\
         # TYPE seimon_files_rejected_total counter\nseimon_files_rejected_total {rejected}\n",
        count(OutboxState::Sent.as_str()),
        count(OutboxState::Dead.as_str()),
        count(OutboxState::Pending.as_str())
    );
    ([("content-type", "text/plain; version=0.0.4")], body).into_response()
}

#[derive(Deserialize)]
struct RunRequest {
    period: String,
    #[serde(default)]
    send: bool,
}

async fn post_run(State(s): State<ApiState>, request: Request) -> Response {
    let body = match read_body(request, SMALL_BODY).await {
        Ok(b) => b,
        Err(r) => return r,
    };
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

async fn get_run(State(s): State<ApiState>, Path(run_id): Path<String>) -> Response {
    if let Some(r) = s.runs.status(&run_id) {
        return Json(r).into_response();
    }
    // a run of another process (the CLI) or of an earlier life of the daemon
    let id = run_id.clone();
    match s.read(move |app| app.store.run(&id).map_err(internal)).await {
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
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct FileQuery {
    name: Option<String>,
}

async fn post_file(State(s): State<ApiState>, Query(q): Query<FileQuery>, request: Request) -> Response {
    let Some(name) = q.name else {
        return error(StatusCode::BAD_REQUEST, "the file's name is required: ?name=data.csv");
    };
    let body = match read_body(request, MAX_BODY).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let load = move |app: &Seimon| {
        let options = app.settings.ingest_options();
        Ok(ingest::ingest_bytes(&app.store, &app.settings.catalogue, &name, &body, &options))
    };
    // one load at a time: each holds a whole file in memory
    match s.blocking(&s.loads, LOAD_DEADLINE, load).await {
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
        Ok(Err(e)) => internal(e),
        Err(r) => r,
    }
}

async fn periods(State(s): State<ApiState>) -> Response {
    let list = s
        .read(|app| {
            let periods = app.store.periods().map_err(internal)?;
            Ok(periods
                .into_iter()
                .map(|p| {
                    let completeness = app.completeness(p, None).map(|c| c.pct()).ok();
                    serde_json::json!({ "period": p.to_string(), "completeness_pct": completeness })
                })
                .collect::<Vec<_>>())
        })
        .await;
    match list {
        Ok(list) => Json(list).into_response(),
        Err(r) => r,
    }
}

/// The latest report folder of a period, or a 404 naming what to do.
fn report_file(app: &Seimon, period: &str, file: &str) -> Result<PathBuf, Response> {
    let period: Period = period
        .parse()
        .map_err(|e: crate::model::period::PeriodError| error(StatusCode::BAD_REQUEST, e.to_string()))?;
    crate::pipeline::archive::current_file(&app.settings.paths.reports, period, file).ok_or_else(|| {
        error(
            StatusCode::NOT_FOUND,
            format!("no report for {period} yet: POST /api/v1/runs {{\"period\": \"{period}\"}} first"),
        )
    })
}

/// The rows of a run's `indicators.parquet` whose columns hold one of the wanted values,
/// as JSON objects (the columns of `indicators.csv`, `value` a number).
fn parquet_rows(path: &std::path::Path, wanted: &[(&str, Vec<String>)]) -> polars::prelude::PolarsResult<Vec<serde_json::Value>> {
    use polars::prelude::*;
    let scan = LazyFrame::scan_parquet(PlRefPath::new(path.display().to_string().as_str()), ScanArgsParquet::default())?;
    let filtered = wanted.iter().fold(scan, |lf, (column, values)| {
        lf.filter(values.iter().fold(lit(false), |any, v| any.or(col(*column).eq(lit(v.clone())))))
    });
    let df = filtered.collect()?;
    const TEXT: [&str; 5] = ["period", "region_code", "industry_code", "indicator", "measure"];
    let text = TEXT
        .iter()
        .map(|c| df.column(c)?.str().cloned())
        .collect::<PolarsResult<Vec<_>>>()?;
    let value = df.column("value")?.f64()?;
    Ok((0..df.height())
        .map(|i| {
            let mut object: serde_json::Map<String, serde_json::Value> = TEXT
                .iter()
                .zip(&text)
                .map(|(name, column)| {
                    (
                        name.to_string(),
                        column.get(i).map_or(serde_json::Value::Null, serde_json::Value::from),
                    )
                })
                .collect();
            let number = value.get(i).and_then(serde_json::Number::from_f64);
            object.insert("value".into(), number.map_or(serde_json::Value::Null, serde_json::Value::Number));
            serde_json::Value::Object(object)
        })
        .collect())
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

/// The values of a run that readers do not get, from its `disclosure.csv`: (region,
/// industry, indicator, measure) → why. A report written before disclosure control has
/// none, and is not served to readers until it is recomputed.
type Withheld = HashMap<(String, String, String, String), String>;

fn withheld(app: &Seimon, period: &str, role: Role) -> Result<Withheld, Response> {
    let Ok(path) = report_file(app, period, "disclosure.csv") else {
        if role == Role::Reader && report_file(app, period, "indicators.csv").is_ok() {
            return Err(error(
                StatusCode::CONFLICT,
                format!("the report of {period} was written before disclosure control: recompute it before readers may read it"),
            ));
        }
        return Ok(Withheld::new());
    };
    let mut reader = csv::Reader::from_path(path).map_err(internal)?;
    let mut out = Withheld::new();
    for record in reader.records() {
        let r = record.map_err(internal)?;
        let field = |i: usize| r.get(i).unwrap_or_default().to_string();
        out.insert((field(1), field(2), field(3), field(4)), field(5));
    }
    Ok(out)
}

/// The withheld-value key of a JSON row of `indicators.csv` or `risks.csv`.
fn value_key(row: &serde_json::Value) -> (String, String, String, String) {
    let field = |k: &str| row.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string();
    (field("region_code"), field("industry_code"), field("indicator"), field("measure"))
}

async fn indicators(
    State(s): State<ApiState>,
    axum::Extension(role): axum::Extension<Role>,
    Path(period): Path<String>,
    Query(filter): Query<HashMap<String, String>>,
) -> Response {
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
    let rows = s
        .read(move |app| {
            let withheld = withheld(app, &period, role)?;
            // the Parquet copy when the run wrote one (filtered by Polars), else the CSV
            let rows = match report_file(app, &period, "indicators.parquet") {
                Ok(path) => parquet_rows(&path, &wanted).map_err(internal)?,
                Err(_) => {
                    let path = report_file(app, &period, "indicators.csv")?;
                    csv_rows(&path, &["value"], |headers, record| {
                        wanted.iter().all(|(column, values)| {
                            let i = headers.iter().position(|h| h == *column);
                            i.and_then(|i| record.get(i)).is_some_and(|v| values.iter().any(|w| w == v))
                        })
                    })
                    .map_err(internal)?
                }
            };
            Ok(match role {
                // a reader gets what leaves; the analyst every value, with why it is withheld
                Role::Reader => rows.into_iter().filter(|row| !withheld.contains_key(&value_key(row))).collect(),
                Role::Analyst => rows
                    .into_iter()
                    .map(|mut row| {
                        let why = withheld.get(&value_key(&row)).cloned();
                        row["withheld"] = why.map_or(serde_json::Value::Null, serde_json::Value::String);
                        row
                    })
                    .collect::<Vec<_>>(),
            })
        })
        .await;
    match rows {
        Ok(rows) => Json(rows).into_response(),
        Err(r) => r,
    }
}

async fn risks(State(s): State<ApiState>, axum::Extension(role): axum::Extension<Role>, Path(period): Path<String>) -> Response {
    let rows = s
        .read(move |app| {
            let path = report_file(app, &period, "risks.csv")?;
            let withheld = withheld(app, &period, role)?;
            let acks: HashMap<String, crate::store::RiskAck> = app
                .store
                .risk_acks()
                .map_err(internal)?
                .into_iter()
                .map(|a| (a.risk_id.clone(), a))
                .collect();
            let mut rows = csv_rows(&path, &["value", "threshold", "score"], |_, _| true).map_err(internal)?;
            if role == Role::Reader {
                // as in the reports: a group any of whose figures is withheld is left out
                let group = |row: &serde_json::Value| row.get("group_id").and_then(|v| v.as_str()).unwrap_or_default().to_string();
                let hidden: std::collections::HashSet<String> = rows
                    .iter()
                    .filter(|row| withheld.contains_key(&value_key(row)))
                    .map(group)
                    .filter(|g| !g.is_empty())
                    .collect();
                rows.retain(|row| !withheld.contains_key(&value_key(row)) && !hidden.contains(&group(row)));
            }
            // an acknowledgement made since the report was built shows here at once,
            // whether of the flag or of its group
            for row in &mut rows {
                let id = |k: &str| row.get(k).and_then(|v| v.as_str()).map(str::to_string);
                let ack = [id("risk_id"), id("group_id")].into_iter().flatten().find_map(|id| acks.get(&id));
                row["acknowledged"] = ack.map_or(serde_json::Value::Null, |a| serde_json::json!(a));
                let material = row.get("material").and_then(|v| v.as_str()).map(|m| m == "true");
                row["material"] = material.map_or(serde_json::Value::Null, serde_json::Value::Bool);
            }
            Ok(rows)
        })
        .await;
    match rows {
        Ok(rows) => Json(rows).into_response(),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct AckRequest {
    reason: String,
    until: String,
}

async fn ack(State(s): State<ApiState>, Path(risk_id): Path<String>, request: Request) -> Response {
    let body = match read_body(request, SMALL_BODY).await {
        Ok(b) => b,
        Err(r) => return r,
    };
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
    let cell = |rule: &str, region: &str, industry: &str| {
        settings.rules.iter().any(|r| r.id == *rule)
            && settings.catalogue.region(region).is_some()
            && (settings.catalogue.industry(industry).is_some()
                || matches!(industry, "TEN" | "TOTAL")
                || settings.catalogue.chain_row_names(industry).is_some())
    };
    let known = match parts.as_slice() {
        [rule, region, industry, indicator] => cell(rule, region, industry) && settings.catalogue.knows_indicator(indicator),
        // a group: every indicator of one rule on one region and industry
        [rule, region, industry] => cell(rule, region, industry),
        _ => false,
    };
    if !known {
        return error(
            StatusCode::NOT_FOUND,
            format!(
                "no risk `{risk_id}`: a risk id is rule:region:industry:indicator (risk_id in risks.csv), or a group's rule:region:industry (group_id)"
            ),
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
    let reason = request.reason.trim().to_string();
    match s
        .read(move |app| app.store.ack_risk(&risk_id, &reason, until).map_err(internal))
        .await
    {
        Ok(a) => {
            tracing::info!(risk_id = %a.risk_id, until = %a.until, "risk acknowledged");
            Json(a).into_response()
        }
        Err(r) => r,
    }
}
