//! The web console at `/`: signing in with an account of the store, the periods with their
//! completeness, vintage and schedule, and each period's archived reports — a reader only
//! those of the audiences granted to it (the archived reports already leave out what
//! disclosure control withholds); everything else is 403.
//!
//! Sessions: a random token in an HttpOnly, SameSite=Strict cookie (Secure when the request
//! came over TLS, as a proxy's `X-Forwarded-Proto: https` says), kept in the store as its
//! SHA-256, expiring after [`SESSION_HOURS`]. Every form carries a CSRF token: the
//! session's, or for the sign-in form the one its own cookie carries (double submit). Failed
//! sign-ins slow down per name ([`auth::Throttle`]). Store reads run on the blocking pool.

mod accounts;
pub mod auth;
mod downloads;
mod history;
mod operations;
mod outbox;
mod pages;
mod risks;

use std::sync::Arc;

use axum::extract::{Form, FromRequest, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Router, body::Body};
use serde::Deserialize;

use self::pages::{PeriodRow, ReportLink, Viewer};
use crate::model::account::Account;
use crate::model::audience::Audience;
use crate::model::language::Language;
use crate::model::period::Period;
use crate::pipeline::Seimon;
use crate::store::Session;

/// How long a session lasts after sign-in.
pub const SESSION_HOURS: i64 = 8;
const SESSION_COOKIE: &str = "seimon_session";
const LOGIN_COOKIE: &str = "seimon_login";

/// The console's shared state.
#[derive(Clone)]
pub struct ConsoleState {
    app: Seimon,
    runs: crate::daemon::runs::Runs,
    /// Notified when a file is loaded (the scheduler looks for reported periods it changed).
    loaded: Arc<tokio::sync::Notify>,
    throttle: Arc<auth::Throttle>,
    /// One upload loads at a time: each holds its file in memory.
    loads: Arc<tokio::sync::Semaphore>,
}

impl ConsoleState {
    pub fn new(runs: crate::daemon::runs::Runs, loaded: Arc<tokio::sync::Notify>) -> ConsoleState {
        ConsoleState {
            app: runs.app().clone(),
            runs,
            loaded,
            throttle: Arc::default(),
            loads: Arc::new(tokio::sync::Semaphore::new(1)),
        }
    }

    /// Runs `work` on the blocking pool with the application.
    async fn blocking<T: Send + 'static>(&self, work: impl FnOnce(&Seimon) -> T + Send + 'static) -> Result<T, Response> {
        let app = self.app.clone();
        tokio::task::spawn_blocking(move || work(&app))
            .await
            .map_err(|e| plain(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()))
    }
}

/// The console's routes.
pub fn router(state: ConsoleState) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/periods/{period}", get(period_reports))
        .route("/reports/{period}/{*file}", get(report_file))
        .route("/upload", get(operations::upload_page).post(operations::upload))
        .route("/runs", post(operations::start_run))
        .route("/runs/{run_id}", get(operations::run_page))
        .route("/periods/{period}/risks", get(risks::risks_page))
        .route("/risks/ack", post(risks::ack))
        .route("/audit", get(operations::audit_page))
        .route("/outbox", get(outbox::outbox_page))
        .route("/outbox/retry", post(outbox::retry))
        .route("/accounts", get(accounts::accounts_page).post(accounts::change))
        .route("/periods/{period}/runs", get(history::runs_page))
        .route("/periods/{period}/runs/{run_id}/changes", get(history::changes_page))
        .route("/periods/{period}/files/{name}", get(downloads::download))
        .with_state(state)
}

fn plain(status: StatusCode, text: &str) -> Response {
    (status, text.to_string()).into_response()
}

fn html(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

fn language(account: &Account) -> Language {
    if account.language == "en" { Language::En } else { Language::Zh }
}

fn viewer(session: &Session) -> Viewer {
    let lang = language(&session.account);
    Viewer {
        name: session.account.name.clone(),
        role: crate::model::labels::tr(
            lang,
            match session.account.role {
                crate::model::account::Role::Reader => "读者",
                crate::model::account::Role::Analyst => "分析员",
                crate::model::account::Role::Admin => "管理员",
            },
        )
        .to_string(),
        analyst: session.account.role.is_analyst(),
        admin: session.account.role == crate::model::account::Role::Admin,
        csrf: session.csrf.clone(),
    }
}

/// What a report is for, as a reader says it: (kind, name) — (地区, 芜湖市).
fn audience_name(app: &Seimon, lang: Language, audience: &Audience) -> (String, String) {
    let names = crate::model::labels::Names {
        lang,
        catalogue: &app.settings.catalogue,
    };
    let (kind, name) = match audience {
        Audience::Province => ("总体", names.region(&app.settings.monitor.region)),
        Audience::Industry(code) => ("产业", names.industry(code)),
        Audience::City(code) => ("地区", names.region(code)),
        Audience::Chain(code) => ("产业链", names.industry(&format!("{}{code}", crate::model::chain::ROW_PREFIX))),
    };
    (crate::model::labels::tr(lang, kind).to_string(), name)
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A cookie of the console: HttpOnly, SameSite=Strict, Secure over TLS.
fn set_cookie(headers: &HeaderMap, name: &str, value: &str, max_age_secs: i64) -> HeaderValue {
    let tls = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|p| p.eq_ignore_ascii_case("https"));
    let secure = if tls { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}"
    ))
    .expect("a cookie of token characters")
}

/// The signed-in session of a request, if any.
async fn session(s: &ConsoleState, headers: &HeaderMap) -> Result<Option<Session>, Response> {
    let Some(token) = cookie(headers, SESSION_COOKIE).map(auth::token_hash) else {
        return Ok(None);
    };
    s.blocking(move |app| app.store.session(&token))
        .await?
        .map_err(|e| plain(StatusCode::SERVICE_UNAVAILABLE, &e.to_string()))
}

/// The session, or the way to sign in.
async fn signed_in(s: &ConsoleState, headers: &HeaderMap) -> Result<Session, Response> {
    session(s, headers).await?.ok_or_else(|| Redirect::to("/login").into_response())
}

fn forbidden(s: &ConsoleState, session: &Session, audience: &Audience) -> Response {
    let lang = language(&session.account);
    let (_, name) = audience_name(&s.app, lang, audience);
    let text = crate::model::labels::fill(lang, "您的账号无权查看{what}的报告。", &[("what", &name)]);
    html(
        StatusCode::FORBIDDEN,
        pages::message(lang, Some(&viewer(session)), crate::model::labels::tr(lang, "无权访问"), &text),
    )
}

async fn home(State(s): State<ConsoleState>, headers: HeaderMap) -> Response {
    let session = match signed_in(&s, &headers).await {
        Ok(session) => session,
        Err(r) => return r,
    };
    let lang = language(&session.account);
    let rows = s.blocking(move |app| period_rows(app, lang)).await;
    match rows {
        Ok(Ok(rows)) => html(StatusCode::OK, pages::periods(lang, &viewer(&session), &rows)),
        Ok(Err(e)) => plain(StatusCode::SERVICE_UNAVAILABLE, &e),
        Err(r) => r,
    }
}

/// Each stored quarter, latest first: its completeness with the missing series named, the
/// vintage of its last report and the schedule's state.
fn period_rows(app: &Seimon, lang: Language) -> Result<Vec<PeriodRow>, String> {
    const NAMED: usize = 5;
    let store = &app.store;
    let mut periods = store.periods().map_err(|e| e.to_string())?;
    periods.reverse();
    let runs = store.latest_runs().map_err(|e| e.to_string())?;
    let schedule = store.schedule().map_err(|e| e.to_string())?;
    let c = &app.settings.catalogue;
    let deadline = app.settings.schedule.deadline;
    Ok(periods
        .into_iter()
        .map(|p| {
            let done = app.completeness(p, None).ok();
            let key = p.to_string();
            let run = runs
                .iter()
                .find(|r| r.period == key && r.state == crate::store::RunState::Succeeded);
            let plan = schedule.iter().find(|r| r.period == key);
            let schedule = match plan {
                Some(r) if r.state == crate::store::ScheduleState::Done => crate::model::labels::fill(
                    lang,
                    "已报送（{at}）",
                    &[("at", r.done_at.as_deref().unwrap_or("").get(..10).unwrap_or(""))],
                ),
                Some(r) => {
                    let deadline = chrono::DateTime::parse_from_rfc3339(&r.due_at)
                        .map(|d| (d + deadline).format("%Y-%m-%d").to_string())
                        .unwrap_or_default();
                    crate::model::labels::fill(lang, "已到期，等待数据（截止{deadline}）", &[("deadline", &deadline)])
                }
                // not (yet) on the daemon's schedule
                None => "—".to_string(),
            };
            let missing = done.as_ref().map(|d| d.missing.as_slice()).unwrap_or_default();
            PeriodRow {
                period: key.clone(),
                label: crate::model::labels::period(lang, p),
                completeness: done.as_ref().map_or("—".into(), |d| format!("{:.1}", d.pct())),
                missing: missing
                    .iter()
                    .take(NAMED)
                    .map(|(r, i, k)| crate::risk::subject(lang, c, r, i, k))
                    .collect(),
                more_missing: missing.len().saturating_sub(NAMED),
                vintage: run.and_then(|r| r.data_vintage.clone()).unwrap_or_else(|| "—".into()),
                schedule,
                reported: run.is_some(),
            }
        })
        .collect())
}

async fn period_reports(State(s): State<ConsoleState>, Path(period): Path<String>, headers: HeaderMap) -> Response {
    let session = match signed_in(&s, &headers).await {
        Ok(session) => session,
        Err(r) => return r,
    };
    let lang = language(&session.account);
    let Ok(p) = period.parse::<Period>() else {
        return html(
            StatusCode::NOT_FOUND,
            pages::message(
                lang,
                Some(&viewer(&session)),
                &period,
                crate::model::labels::tr(lang, "没有这一期。"),
            ),
        );
    };
    let account = session.account.clone();
    let links = s
        .blocking(move |app| {
            let folder = crate::pipeline::archive::current_folder(&app.settings.paths.reports, p);
            let c = &app.settings.catalogue;
            let audiences = std::iter::once(Audience::Province)
                .chain(c.members().map(|i| Audience::Industry(i.code.clone())))
                .chain(c.children_of(&app.settings.monitor.region).map(|r| Audience::City(r.code.clone())))
                .chain(c.chains.iter().map(|ch| Audience::Chain(ch.code.clone())));
            audiences
                .filter(|a| account.may_read(a) && folder.join(a.report_file()).is_file())
                .map(|a| {
                    let (kind, title) = audience_name(app, lang, &a);
                    ReportLink {
                        kind,
                        title,
                        href: format!("/reports/{p}/{}", a.report_file()),
                        pdf: folder
                            .join(a.pdf_file())
                            .is_file()
                            .then(|| format!("/reports/{p}/{}", a.pdf_file())),
                    }
                })
                .collect::<Vec<_>>()
        })
        .await;
    match links {
        Ok(links) => html(
            StatusCode::OK,
            pages::reports(
                lang,
                &viewer(&session),
                &p.to_string(),
                &crate::model::labels::period(lang, p),
                &links,
                session.account.may_read(&Audience::Province),
            ),
        ),
        Err(r) => r,
    }
}

/// A file of a period's archived report set: a report or one of its charts, to whoever may
/// read that report; the analysts' files (indicators, workbook, e-mails) are not served here.
async fn report_file(State(s): State<ConsoleState>, Path((period, file)): Path<(String, String)>, headers: HeaderMap) -> Response {
    let session = match signed_in(&s, &headers).await {
        Ok(session) => session,
        Err(r) => return r,
    };
    let (Ok(p), Some(audience)) = (period.parse::<Period>(), Audience::of_file(&file)) else {
        return plain(StatusCode::NOT_FOUND, "no such report file");
    };
    if !session.account.may_read(&audience) {
        return forbidden(&s, &session, &audience);
    }
    let read = s
        .blocking(move |app| {
            let path = crate::pipeline::archive::current_folder(&app.settings.paths.reports, p).join(&file);
            std::fs::read(path).ok().map(|bytes| (file, bytes))
        })
        .await;
    match read {
        Ok(Some((file, bytes))) => {
            let kind = if file.ends_with(".png") {
                "image/png"
            } else if file.ends_with(".pdf") {
                "application/pdf"
            } else {
                "text/html; charset=utf-8"
            };
            (
                [(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, "private, no-store")],
                Body::from(bytes),
            )
                .into_response()
        }
        Ok(None) => plain(StatusCode::NOT_FOUND, "no such report file"),
        Err(r) => r,
    }
}

async fn login_form(headers: HeaderMap) -> Response {
    // a fresh CSRF token for the form, in its cookie too
    let csrf = auth::new_token();
    let mut response = html(StatusCode::OK, pages::login(Language::Zh, &csrf, None));
    response
        .headers_mut()
        .insert(header::SET_COOKIE, set_cookie(&headers, LOGIN_COOKIE, &csrf, 3600));
    response
}

#[derive(Deserialize)]
struct LoginForm {
    name: String,
    password: String,
    csrf: String,
}

async fn login(State(s): State<ConsoleState>, headers: HeaderMap, Form(form): Form<LoginForm>) -> Response {
    let lang = Language::Zh;
    let again = |status: StatusCode, error: &str| {
        let csrf = auth::new_token();
        let mut response = html(status, pages::login(lang, &csrf, Some(error)));
        response
            .headers_mut()
            .insert(header::SET_COOKIE, set_cookie(&headers, LOGIN_COOKIE, &csrf, 3600));
        response
    };
    if !cookie(&headers, LOGIN_COOKIE).is_some_and(|c| auth::same(c, &form.csrf)) {
        return again(StatusCode::FORBIDDEN, crate::model::labels::tr(lang, "表单已失效，请重新登录。"));
    }
    if let Some(wait) = s.throttle.wait(&form.name) {
        let text = crate::model::labels::fill(
            lang,
            "登录失败次数过多，请{n}秒后再试。",
            &[("n", &wait.as_secs().max(1).to_string())],
        );
        let mut response = again(StatusCode::TOO_MANY_REQUESTS, &text);
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from_str(&wait.as_secs().max(1).to_string()).expect("digits"),
        );
        return response;
    }
    let name = form.name.clone();
    let checked = s
        .blocking(move |app| -> Result<Option<(Account, String)>, String> {
            let account = app.store.account(&name).map_err(|e| e.to_string())?;
            let hash = account.as_ref().filter(|a| !a.disabled).map(|a| a.password_hash.as_str());
            if !auth::verify_password(hash, &form.password) {
                return Ok(None);
            }
            let Some(account) = account else { return Ok(None) };
            let token = auth::new_token();
            let expires =
                (chrono::Utc::now() + chrono::Duration::hours(SESSION_HOURS)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            app.store
                .open_session(&auth::token_hash(&token), account.id, &auth::new_token(), &expires)
                .map_err(|e| e.to_string())?;
            Ok(Some((account, token)))
        })
        .await;
    match checked {
        Ok(Ok(Some((account, token)))) => {
            s.throttle.succeeded(&account.name);
            tracing::info!(account = %account.name, "signed in to the console");
            let mut response = Redirect::to("/").into_response();
            let h = response.headers_mut();
            h.append(
                header::SET_COOKIE,
                set_cookie(&headers, SESSION_COOKIE, &token, SESSION_HOURS * 3600),
            );
            h.append(header::SET_COOKIE, set_cookie(&headers, LOGIN_COOKIE, "", 0));
            response
        }
        Ok(Ok(None)) => {
            s.throttle.failed(&form.name);
            tracing::warn!(account = %form.name, "a failed sign-in to the console");
            again(StatusCode::UNAUTHORIZED, crate::model::labels::tr(lang, "用户名或密码错误。"))
        }
        Ok(Err(e)) => plain(StatusCode::SERVICE_UNAVAILABLE, &e),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(State(s): State<ConsoleState>, request: Request) -> Response {
    let headers = request.headers().clone();
    let session = match signed_in(&s, &headers).await {
        Ok(session) => session,
        Err(r) => return r,
    };
    let Ok(Form(form)) = Form::<CsrfForm>::from_request(request, &()).await else {
        return plain(StatusCode::BAD_REQUEST, "a form is expected");
    };
    if !auth::same(&session.csrf, &form.csrf) {
        return html(
            StatusCode::FORBIDDEN,
            pages::message(
                language(&session.account),
                Some(&viewer(&session)),
                crate::model::labels::tr(language(&session.account), "无权访问"),
                crate::model::labels::tr(language(&session.account), "表单缺少有效的校验码（CSRF），已拒绝。"),
            ),
        );
    }
    let token = cookie(&headers, SESSION_COOKIE).map(auth::token_hash).unwrap_or_default();
    let _ = s.blocking(move |app| app.store.close_session(&token)).await;
    let mut response = Redirect::to("/login").into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, set_cookie(&headers, SESSION_COOKIE, "", 0));
    response
}
