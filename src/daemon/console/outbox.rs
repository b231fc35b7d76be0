//! The outbox in the console: every message with its state, attempts and last error, by
//! state; a dead one put back in the queue by an analyst (the daemon's next outbox pass
//! sends it), written to the audit.

use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;

use super::operations::{analyst, audit, csrf_refused};
use super::{ConsoleState, auth, html, language, pages, plain, viewer};
use crate::model::labels::tr;

pub(super) async fn outbox_page(State(s): State<ConsoleState>, headers: HeaderMap) -> Response {
    let session = match analyst(&s, &headers).await {
        Ok(session) => session,
        Err(r) => return r,
    };
    let lang = language(&session.account);
    let Ok(Ok(mut messages)) = s.blocking(|app| app.store.outbox()).await else {
        return plain(StatusCode::SERVICE_UNAVAILABLE, "the outbox cannot be read");
    };
    // dead first (they need someone), then pending, sending, sent; newest first within
    let rank = |m: &crate::store::OutboxMessage| match m.state {
        crate::store::OutboxState::Dead => 0,
        crate::store::OutboxState::Pending => 1,
        crate::store::OutboxState::Sending => 2,
        crate::store::OutboxState::Sent => 3,
    };
    messages.sort_by_key(|m| (rank(m), std::cmp::Reverse(m.id)));
    html(
        StatusCode::OK,
        pages::page(
            "outbox.html",
            lang,
            &viewer(&session),
            context! {
                title => tr(lang, "发件箱"),
                header => [tr(lang, "状态"), tr(lang, "期别"), tr(lang, "报告"), tr(lang, "收件人"), tr(lang, "尝试次数"), tr(lang, "原因")],
                messages => messages,
                retry => tr(lang, "重新发送"),
                none => tr(lang, "发件箱是空的。"),
            },
        ),
    )
}

#[derive(Deserialize)]
pub(super) struct RetryForm {
    id: i64,
    #[serde(default)]
    csrf: String,
}

pub(super) async fn retry(State(s): State<ConsoleState>, headers: HeaderMap, Form(form): Form<RetryForm>) -> Response {
    let session = match analyst(&s, &headers).await {
        Ok(session) => session,
        Err(r) => return r,
    };
    if !auth::same(&form.csrf, &session.csrf) {
        return csrf_refused(&session);
    }
    let id = form.id;
    match s.blocking(move |app| app.store.retry_message(id)).await {
        Ok(Ok(true)) => {
            audit(&s, &session.account.name, "outbox retry", format!("message {id}"));
            Redirect::to("/outbox").into_response()
        }
        Ok(Ok(false)) => plain(StatusCode::CONFLICT, "the message is not dead: nothing to retry"),
        Ok(Err(e)) => plain(StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
        Err(r) => r,
    }
}
