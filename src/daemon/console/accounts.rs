//! The admin's accounts page: every account with its role, grants and state; add one,
//! set a password, disable one — each written to the audit with the admin who did it.

use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;

use super::operations::{audit, csrf_refused};
use super::{ConsoleState, auth, html, language, pages, plain, signed_in, viewer};
use crate::model::account::{Role, valid_name};
use crate::model::audience::Audience;
use crate::model::labels::tr;
use crate::store::Session;

async fn admin(s: &ConsoleState, headers: &HeaderMap) -> Result<Session, Response> {
    let session = signed_in(s, headers).await?;
    if session.account.role == Role::Admin {
        return Ok(session);
    }
    let lang = language(&session.account);
    Err(html(
        StatusCode::FORBIDDEN,
        pages::message(
            lang,
            Some(&viewer(&session)),
            tr(lang, "无权访问"),
            tr(lang, "账号管理仅供管理员使用。"),
        ),
    ))
}

pub(super) async fn accounts_page(State(s): State<ConsoleState>, headers: HeaderMap) -> Response {
    let session = match admin(&s, &headers).await {
        Ok(session) => session,
        Err(r) => return r,
    };
    accounts_view(&s, &session, None).await
}

async fn accounts_view(s: &ConsoleState, session: &Session, problem: Option<String>) -> Response {
    let lang = language(&session.account);
    let Ok(Ok(accounts)) = s.blocking(|app| app.store.accounts()).await else {
        return plain(StatusCode::SERVICE_UNAVAILABLE, "the accounts cannot be read");
    };
    let rows: Vec<_> = accounts
        .iter()
        .map(|a| {
            context! {
                name => a.name,
                role => a.role.to_string(),
                audiences => a.audiences.iter().map(ToString::to_string).collect::<Vec<_>>().join(" "),
                language => a.language,
                disabled => a.disabled,
            }
        })
        .collect();
    let status = if problem.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    html(
        status,
        pages::page(
            "accounts.html",
            lang,
            &viewer(session),
            context! {
                title => tr(lang, "账号管理"),
                header => [tr(lang, "用户名"), tr(lang, "角色"), tr(lang, "可查看的报告"), tr(lang, "语言"), tr(lang, "状态")],
                rows => rows,
                problem => problem,
                add => tr(lang, "新增账号"),
                password => tr(lang, "密码"),
                set_password => tr(lang, "设置密码"),
                disable => tr(lang, "停用"),
                disabled => tr(lang, "已停用"),
                audiences_hint => tr(lang, "读者可查看的报告，以空格分隔：province、industry:代码、city:代码、chain:代码"),
            },
        ),
    )
}

#[derive(Deserialize)]
pub(super) struct AccountForm {
    action: String,
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    audiences: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

/// Adds an account, sets a password or disables one.
pub(super) async fn change(State(s): State<ConsoleState>, headers: HeaderMap, Form(form): Form<AccountForm>) -> Response {
    let session = match admin(&s, &headers).await {
        Ok(session) => session,
        Err(r) => return r,
    };
    if !auth::same(&form.csrf, &session.csrf) {
        return csrf_refused(&session);
    }
    let who = session.account.name.clone();
    let name = form.name.trim().to_string();
    let result: Result<String, String> = match form.action.as_str() {
        "add" => {
            let role = form.role.parse::<Role>();
            let grants: Result<Vec<Audience>, String> = form.audiences.split_whitespace().map(str::parse).collect();
            let language = if form.language == "en" { "en" } else { "zh" };
            match (valid_name(&name), role, grants) {
                (false, _, _) => Err(format!(
                    "`{name}` is not an account name: 1–64 letters, digits, `.`, `_`, `-` or `@`"
                )),
                (_, Err(e), _) | (_, _, Err(e)) => Err(e),
                (_, Ok(Role::Reader), Ok(g)) if g.is_empty() => Err("a reader needs at least one report".into()),
                _ if form.password.chars().count() < auth::MIN_PASSWORD => {
                    Err(format!("a password has at least {} characters", auth::MIN_PASSWORD))
                }
                (_, Ok(role), Ok(grants)) => {
                    let password = form.password.clone();
                    let (n, l) = (name.clone(), language.to_string());
                    let added = s
                        .blocking(move |app| -> Result<bool, String> {
                            if let Some(a) = grants.iter().find(|a| !a.is_in(&app.settings.catalogue)) {
                                return Err(format!("`{a}`: no such code in the catalogue"));
                            }
                            let hash = auth::hash_password(&password).map_err(|e| e.to_string())?;
                            app.store
                                .add_account(&n, role, &hash, &grants, &l)
                                .map(|a| a.is_some())
                                .map_err(|e| e.to_string())
                        })
                        .await;
                    match added {
                        Ok(Ok(true)) => Ok(format!("{name} ({role}) {}", form.audiences.trim())),
                        Ok(Ok(false)) => Err(format!("an account `{name}` exists already")),
                        Ok(Err(e)) => Err(e),
                        Err(r) => return r,
                    }
                }
            }
        }
        "passwd" if form.password.chars().count() < auth::MIN_PASSWORD => {
            Err(format!("a password has at least {} characters", auth::MIN_PASSWORD))
        }
        "passwd" => {
            let (n, password) = (name.clone(), form.password.clone());
            match s
                .blocking(move |app| -> Result<bool, String> {
                    let hash = auth::hash_password(&password).map_err(|e| e.to_string())?;
                    app.store.set_password(&n, &hash).map_err(|e| e.to_string())
                })
                .await
            {
                Ok(Ok(true)) => Ok(name.clone()),
                Ok(Ok(false)) => Err(format!("no account `{name}`")),
                Ok(Err(e)) => Err(e),
                Err(r) => return r,
            }
        }
        "disable" if name == who => Err("an admin does not disable the account it is signed in with".into()),
        "disable" => {
            let n = name.clone();
            match s.blocking(move |app| app.store.disable_account(&n)).await {
                Ok(Ok(true)) => Ok(name.clone()),
                Ok(Ok(false)) => Err(format!("no account `{name}`")),
                Ok(Err(e)) => Err(e.to_string()),
                Err(r) => return r,
            }
        }
        other => Err(format!("`{other}` is not an action: add, passwd or disable")),
    };
    match result {
        Ok(detail) => {
            audit(&s, &who, &format!("user {}", form.action), detail);
            Redirect::to("/accounts").into_response()
        }
        Err(problem) => accounts_view(&s, &session, Some(problem)).await,
    }
}
