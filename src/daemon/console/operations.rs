//! What an analyst does in the console: upload a file (loaded like `seimon ingest`; a
//! rejected one answered with its row-level report), recompute a period (its progress on a
//! page that reloads itself until the run ends), read the period's risks and acknowledge
//! one with a reason and an expiry; and the admin's audit of every change made here. Each
//! change is written to the audit with the account that made it; every form carries the
//! session's CSRF token (the upload, sent by the page's script, in `X-CSRF-Token`).

use axum::extract::{Form, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use minijinja::context;
use serde::Deserialize;

use super::{ConsoleState, auth, html, language, pages, plain, signed_in, viewer};
use crate::ingest::{self, Outcome};
use crate::model::labels::{fill, tr};
use crate::model::period::Period;
use crate::pipeline::{RunOptions, Trigger};
use crate::store::Session;

/// The largest file an upload may be.
const MAX_UPLOAD: usize = crate::daemon::api::MAX_BODY;

/// The session of an analyst (or admin), or the answer to give: the way to sign in, or 403.
pub(super) async fn analyst(s: &ConsoleState, headers: &HeaderMap) -> Result<Session, Response> {
    let session = signed_in(s, headers).await?;
    if session.account.role.is_analyst() {
        Ok(session)
    } else {
        Err(refused(&session, "这一页面仅供分析员使用。"))
    }
}

fn refused(session: &Session, why: &'static str) -> Response {
    let lang = language(&session.account);
    html(
        StatusCode::FORBIDDEN,
        pages::message(lang, Some(&viewer(session)), tr(lang, "无权访问"), tr(lang, why)),
    )
}

pub(super) fn csrf_refused(session: &Session) -> Response {
    refused(session, "表单缺少有效的校验码（CSRF），已拒绝。")
}

pub(super) fn audit(s: &ConsoleState, who: &str, action: &str, detail: String) {
    let (store, who, action) = (s.app.store.clone(), who.to_string(), action.to_string());
    // written on the blocking pool, waited for by nobody: a failure is logged
    tokio::task::spawn_blocking(move || {
        if let Err(e) = store.audit(&who, &action, &detail) {
            tracing::error!(error = %e, "writing the console's audit");
        }
    });
}

pub(super) async fn upload_page(State(s): State<ConsoleState>, headers: HeaderMap) -> Response {
    let session = match analyst(&s, &headers).await {
        Ok(session) => session,
        Err(r) => return r,
    };
    let lang = language(&session.account);
    html(
        StatusCode::OK,
        pages::page(
            "upload.html",
            lang,
            &viewer(&session),
            context! {
                title => tr(lang, "上传数据"),
                hint => tr(lang, "把文件拖到这里，或选择文件（CSV、XLSX、Parquet）：整份文件或全部入库，或全部拒收。"),
                choose => tr(lang, "选择文件"),
                loading => tr(lang, "正在入库……"),
            },
        ),
    )
}

#[derive(Deserialize)]
pub(super) struct UploadQuery {
    name: Option<String>,
}

/// Loads the body as a file named `?name=`; answers an HTML fragment for the page.
pub(super) async fn upload(State(s): State<ConsoleState>, Query(q): Query<UploadQuery>, request: Request) -> Response {
    let headers = request.headers().clone();
    let session = match analyst(&s, &headers).await {
        Ok(session) => session,
        Err(r) => return r,
    };
    let token = headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("");
    if !auth::same(token, &session.csrf) {
        return csrf_refused(&session);
    }
    let lang = language(&session.account);
    let Some(name) = q.name.filter(|n| !n.is_empty()) else {
        return plain(StatusCode::BAD_REQUEST, "the file's name is required: ?name=data.csv");
    };
    let declared = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_UPLOAD as u64) {
        return plain(StatusCode::PAYLOAD_TOO_LARGE, "the file is larger than 256 MiB");
    }
    let Ok(body) = axum::body::to_bytes(request.into_body(), MAX_UPLOAD).await else {
        return plain(StatusCode::PAYLOAD_TOO_LARGE, "the file is larger than 256 MiB");
    };
    let Ok(_permit) = s.loads.clone().acquire_owned().await else {
        return plain(StatusCode::SERVICE_UNAVAILABLE, "the server is stopping");
    };
    let file_name = name.clone();
    let loaded = s
        .blocking(move |app| {
            let options = app.settings.ingest_options();
            ingest::ingest_bytes(&app.store, &app.settings.catalogue, &file_name, &body, &options)
        })
        .await;
    let who = session.account.name.clone();
    let (status, fragment) = match loaded {
        Ok(Ok(Outcome::Accepted { file, warnings })) => {
            s.loaded.notify_one();
            audit(
                &s,
                &who,
                "upload",
                format!("{name}: accepted, {} rows, {} new vintages", file.rows, file.new_vintages),
            );
            let text = fill(
                lang,
                "{name} 已入库：{rows} 行，其中 {new} 个数值为新的数据版本（与库中已有版本不同）。",
                &[
                    ("name", &name),
                    ("rows", &file.rows.to_string()),
                    ("new", &file.new_vintages.to_string()),
                ],
            );
            (
                StatusCode::OK,
                pages::fragment("accepted.html", context! { text => text, warnings => warnings }),
            )
        }
        Ok(Ok(Outcome::AlreadyLoaded { .. })) => (
            StatusCode::OK,
            pages::fragment(
                "accepted.html",
                context! { text => fill(lang, "{name} 与已入库的文件完全相同，未作改动。", &[("name", &name)]) },
            ),
        ),
        Ok(Ok(Outcome::Rejected(r))) => {
            audit(&s, &who, "upload", format!("{name}: rejected, {} problems", r.problems.len()));
            const SHOWN: usize = 200;
            let rows: Vec<[String; 4]> = r
                .problems
                .iter()
                .take(SHOWN)
                .map(|p| {
                    [
                        p.row.to_string(),
                        p.column.clone().unwrap_or_default(),
                        p.value.clone(),
                        p.reason.clone(),
                    ]
                })
                .collect();
            let text = fill(
                lang,
                "{name} 被拒收：{n} 处问题，未入库任何数据。",
                &[("name", &name), ("n", &r.problems.len().to_string())],
            );
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                pages::fragment(
                    "rejected.html",
                    context! {
                        text => text,
                        header => [tr(lang, "行"), tr(lang, "列"), tr(lang, "值"), tr(lang, "问题")],
                        rows => rows,
                        more => r.problems.len().saturating_sub(SHOWN),
                    },
                ),
            )
        }
        Ok(Err(e)) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            pages::fragment("accepted.html", context! { text => e.to_string() }),
        ),
        Err(r) => return r,
    };
    html(status, fragment)
}

#[derive(Deserialize)]
pub(super) struct RunForm {
    period: String,
    #[serde(default)]
    send: Option<String>,
    #[serde(default)]
    csrf: String,
}

/// Starts (or joins) a recompute of a period, then shows it.
pub(super) async fn start_run(State(s): State<ConsoleState>, headers: HeaderMap, Form(form): Form<RunForm>) -> Response {
    let session = match analyst(&s, &headers).await {
        Ok(session) => session,
        Err(r) => return r,
    };
    if !auth::same(&form.csrf, &session.csrf) {
        return csrf_refused(&session);
    }
    let Ok(period) = form.period.parse::<Period>() else {
        return plain(StatusCode::UNPROCESSABLE_ENTITY, "not a period");
    };
    let send = form.send.is_some();
    let started = s.runs.start(RunOptions {
        period,
        as_of: None,
        send,
        only_if_changed: false,
        trigger: Trigger::Api,
        notes: vec![],
    });
    audit(
        &s,
        &session.account.name,
        "recompute",
        format!("{period}{} run {}", if send { " (send)" } else { "" }, started.run_id),
    );
    Redirect::to(&format!("/runs/{}", started.run_id)).into_response()
}

/// A run: its state, reloading itself every two seconds until it ends; then its outputs
/// or its error.
pub(super) async fn run_page(State(s): State<ConsoleState>, Path(run_id): Path<String>, headers: HeaderMap) -> Response {
    let session = match analyst(&s, &headers).await {
        Ok(session) => session,
        Err(r) => return r,
    };
    let lang = language(&session.account);
    let status = match s.runs.status(&run_id) {
        Some(status) => Some((status.state, status.period, status.outputs, status.error, status.changes)),
        None => {
            let id = run_id.clone();
            match s.blocking(move |app| app.store.run(&id)).await {
                Ok(Ok(Some(r))) => Some((r.state, r.period, r.outputs, r.error, None)),
                _ => None,
            }
        }
    };
    let Some((state, period, outputs, error, changes)) = status else {
        return plain(StatusCode::NOT_FOUND, "no such run");
    };
    let state_label = tr(
        lang,
        match state {
            crate::store::RunState::Queued => "排队中",
            crate::store::RunState::Running => "计算中",
            crate::store::RunState::Succeeded => "已完成",
            crate::store::RunState::Failed => "失败",
        },
    );
    html(
        StatusCode::OK,
        pages::page(
            "run.html",
            lang,
            &viewer(&session),
            context! {
                title => fill(lang, "重新计算 {period}", &[("period", &period)]),
                run_id => run_id,
                state => state.to_string(),
                state_label => state_label,
                finished => state.finished(),
                period => period,
                changes => changes.map(|n| fill(lang, "与上次计算相比有 {n} 个数值不同。", &[("n", &n.to_string())])),
                outputs => outputs,
                error => error,
                outputs_label => tr(lang, "输出文件"),
                reports_label => tr(lang, "查看报告"),
            },
        ),
    )
}

#[derive(Deserialize, Default)]
pub(super) struct RiskFilter {
    level: Option<String>,
    region: Option<String>,
}

/// The period's business risks from its last run's `risks.csv`, filtered by light and
/// region, each with a form to acknowledge it.
pub(super) async fn risks_page(
    State(s): State<ConsoleState>,
    Path(period): Path<String>,
    Query(filter): Query<RiskFilter>,
    headers: HeaderMap,
) -> Response {
    let session = match analyst(&s, &headers).await {
        Ok(session) => session,
        Err(r) => return r,
    };
    let lang = language(&session.account);
    let Ok(p) = period.parse::<Period>() else {
        return plain(StatusCode::NOT_FOUND, "no such period");
    };
    let rows = s
        .blocking(move |app| -> Vec<[String; 5]> {
            let Some(path) = crate::pipeline::archive::current_file(&app.settings.paths.reports, p, "risks.csv") else {
                return Vec::new();
            };
            let Ok(mut reader) = csv::Reader::from_path(path) else {
                return Vec::new();
            };
            let Ok(headers) = reader.headers().cloned() else {
                return Vec::new();
            };
            let col = |name: &str| headers.iter().position(|h| h == name);
            let (Some(class), Some(level), Some(region), Some(message), Some(id)) =
                (col("class"), col("level"), col("region_code"), col("message"), col("risk_id"))
            else {
                return Vec::new();
            };
            reader
                .records()
                .filter_map(Result::ok)
                .filter(|r| &r[class] == "business" && &r[level] != "green")
                .filter(|r| filter.level.as_deref().is_none_or(|l| l.is_empty() || &r[level] == l))
                .filter(|r| filter.region.as_deref().is_none_or(|g| g.is_empty() || &r[region] == g))
                .map(|r| {
                    [
                        r[level].to_string(),
                        r[region].to_string(),
                        r[message].to_string(),
                        r[id].to_string(),
                        String::new(),
                    ]
                })
                .collect()
        })
        .await
        .unwrap_or_default();
    let until = (chrono::Utc::now().date_naive() + chrono::Duration::days(90)).to_string();
    html(
        StatusCode::OK,
        pages::page(
            "risks.html",
            lang,
            &viewer(&session),
            context! {
                title => fill(lang, "{period} 风险", &[("period", &crate::model::labels::period(lang, p))]),
                period => p.to_string(),
                rows => rows,
                until => until,
                filter_label => tr(lang, "筛选"),
                level_label => tr(lang, "灯号"),
                region_label => tr(lang, "地区代码"),
                reason_label => tr(lang, "确认理由"),
                until_label => tr(lang, "有效期至"),
                ack_label => tr(lang, "确认"),
                none => tr(lang, "没有符合条件的风险。"),
            },
        ),
    )
}

#[derive(Deserialize)]
pub(super) struct AckForm {
    risk_id: String,
    reason: String,
    until: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    csrf: String,
}

/// Acknowledges a risk: a silence from the next run on, until the day given.
pub(super) async fn ack(State(s): State<ConsoleState>, headers: HeaderMap, Form(form): Form<AckForm>) -> Response {
    let session = match analyst(&s, &headers).await {
        Ok(session) => session,
        Err(r) => return r,
    };
    if !auth::same(&form.csrf, &session.csrf) {
        return csrf_refused(&session);
    }
    let (Ok(until), false) = (form.until.parse::<NaiveDate>(), form.reason.trim().is_empty()) else {
        return plain(StatusCode::UNPROCESSABLE_ENTITY, "a reason and a date (YYYY-MM-DD) are required");
    };
    let (risk_id, reason) = (form.risk_id.clone(), form.reason.clone());
    match s.blocking(move |app| app.store.ack_risk(&risk_id, &reason, until)).await {
        Ok(Ok(_)) => {
            audit(
                &s,
                &session.account.name,
                "acknowledge",
                format!("{} until {until}: {}", form.risk_id, form.reason),
            );
            Redirect::to(&format!("/periods/{}/risks", form.period)).into_response()
        }
        Ok(Err(e)) => plain(StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
        Err(r) => r,
    }
}

/// The audit, newest first: admins only.
pub(super) async fn audit_page(State(s): State<ConsoleState>, headers: HeaderMap) -> Response {
    let session = match signed_in(&s, &headers).await {
        Ok(session) => session,
        Err(r) => return r,
    };
    if session.account.role != crate::model::account::Role::Admin {
        return refused(&session, "审计记录仅供管理员查看。");
    }
    let lang = language(&session.account);
    let entries = s.blocking(|app| app.store.audit_log(500)).await;
    let Ok(Ok(entries)) = entries else {
        return plain(StatusCode::SERVICE_UNAVAILABLE, "the audit cannot be read");
    };
    html(
        StatusCode::OK,
        pages::page(
            "audit.html",
            lang,
            &viewer(&session),
            context! {
                title => tr(lang, "审计记录"),
                header => [tr(lang, "时间"), tr(lang, "账号"), tr(lang, "操作"), tr(lang, "内容")],
                entries => entries,
            },
        ),
    )
}
