//! What an analyst does in the console: upload a file (loaded like `seimon ingest`; a
//! rejected one answered with its row-level report), recompute a period (its progress on a
//! page that reloads itself until the run ends, with its log lines); and the admin's audit
//! of every change made here (the risks page is `risks.rs`). Each
//! change is written to the audit with the account that made it; every form carries the
//! session's CSRF token (the upload, sent by the page's script, in `X-CSRF-Token`).

use axum::extract::{Form, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
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
            let changed = match s.blocking(move |app| against_stored(app, &file, lang)).await {
                Ok(changed) => changed,
                Err(r) => return r,
            };
            (
                StatusCode::OK,
                pages::fragment(
                    "accepted.html",
                    context! {
                        text => text,
                        warnings => warnings,
                        header => changed.header,
                        rows => changed.rows,
                        more => changed.more,
                    },
                ),
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

/// What an accepted file changed against the stored vintages, as a table: each published
/// value with the one it replaced; each quarter of enterprise records with the records the
/// quarter held before.
#[derive(Default)]
struct Changed {
    header: Vec<&'static str>,
    rows: Vec<Vec<String>>,
    more: usize,
}

fn against_stored(app: &crate::pipeline::Seimon, file: &crate::store::FileRecord, lang: crate::model::language::Language) -> Changed {
    const SHOWN: usize = 200;
    let names = crate::model::labels::Names {
        lang,
        catalogue: &app.settings.catalogue,
    };
    let number = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{v:.4}"));
    match file.kind.as_str() {
        "observations" => {
            let Ok(revisions) = app.store.file_changes(file.id, SHOWN) else {
                return Changed::default();
            };
            Changed {
                header: vec![
                    tr(lang, "期间"),
                    tr(lang, "地区"),
                    tr(lang, "产业"),
                    tr(lang, "指标"),
                    tr(lang, "库中原值"),
                    tr(lang, "新值"),
                    tr(lang, "原增速(%)"),
                    tr(lang, "新增速(%)"),
                ],
                rows: revisions
                    .iter()
                    .map(|r| {
                        let before = |v: Option<f64>| if r.revised { number(v) } else { tr(lang, "新增").to_string() };
                        vec![
                            r.period.clone(),
                            names.region(&r.region),
                            names.industry(&r.industry),
                            names.indicator(&r.indicator),
                            before(r.before),
                            number(r.after),
                            before(r.before_yoy_pct),
                            number(r.after_yoy_pct),
                        ]
                    })
                    .collect(),
                more: usize::try_from(file.new_vintages).unwrap_or(0).saturating_sub(SHOWN),
            }
        }
        "enterprises" => {
            let Ok(batches) = app.store.batches_against_earlier(file.id) else {
                return Changed::default();
            };
            Changed {
                header: vec![
                    tr(lang, "期间"),
                    tr(lang, "本文件记录数"),
                    tr(lang, "此前批次"),
                    tr(lang, "此前记录数"),
                ],
                rows: batches
                    .iter()
                    .map(|b| {
                        vec![
                            b.period.clone(),
                            b.rows.to_string(),
                            b.earlier_batches.to_string(),
                            b.earlier_rows.to_string(),
                        ]
                    })
                    .collect(),
                more: 0,
            }
        }
        _ => Changed::default(),
    }
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
    // The lines so far while it runs in this process; once it has ended, those it kept.
    let mut log = crate::pipeline::run_log::so_far(&run_id);
    if log.is_empty() {
        let id = run_id.clone();
        if let Ok(Ok(Some(kept))) = s.blocking(move |app| app.store.run_log(&id)).await {
            log = kept;
        }
    }
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
                log => log,
                log_label => tr(lang, "运行日志"),
                reports_label => tr(lang, "查看报告"),
            },
        ),
    )
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
