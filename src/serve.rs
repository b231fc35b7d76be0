//! `seimon serve`: the daemon's process — the HTTP API now, the scheduler and the inbox
//! watcher in later steps — under one cancellation token. On shutdown it stops taking
//! work, lets the runs under way finish (the task tracker waits for them), and returns.

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::api::{ApiState, router};
use crate::pipeline::Seimon;

/// The daemon could not start or serve.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("no API token: set SEIMON_API__TOKEN or [api] token_file")]
    NoToken,
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("the HTTP server failed: {0}")]
    Http(std::io::Error),
}

/// Runs the daemon until `shutdown` is cancelled; waits for the work under way.
pub async fn run(app: Seimon, shutdown: CancellationToken) -> Result<(), ServeError> {
    let token = app.settings.api.token.clone().ok_or(ServeError::NoToken)?;
    let addr = app.settings.api.listen;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Listen { addr, source })?;
    let local = listener.local_addr().map_err(|source| ServeError::Listen { addr, source })?;
    tracing::info!(%local, "listening");
    // the one line a supervisor or a test reads to find the port
    println!("listening on {local}");
    let tracker = TaskTracker::new();
    let state = ApiState::new(app, token, tracker.clone());
    let stop = shutdown.clone();
    axum::serve(listener, router(state))
        .with_graceful_shutdown(async move { stop.cancelled().await })
        .await
        .map_err(ServeError::Http)?;
    tracing::info!(runs = tracker.len(), "shutting down: waiting for the runs under way");
    tracker.close();
    tracker.wait().await;
    tracing::info!("stopped");
    Ok(())
}

/// Cancels `token` on Ctrl-C or SIGTERM.
pub async fn signals(token: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
        _ = token.cancelled() => return,
    }
    tracing::info!("signal received");
    token.cancel();
}
