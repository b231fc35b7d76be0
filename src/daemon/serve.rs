//! `seimon serve`: the daemon's process — the scheduler, the inbox watcher, the outbox
//! sender and the HTTP API — under one cancellation token.
//!
//! tokio-cron-scheduler wakes the worker at the report schedule and at the outbox cadence;
//! the worker also looks at the inbox every poll. What is due is decided by
//! [`Scheduler::tick`] from the store, so a restart catches up exactly once. On shutdown the
//! API stops taking requests, the worker stops starting runs, the runs under way finish
//! (the task tracker waits for them), and `run` returns.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::{Notify, mpsc};
use tokio_cron_scheduler::{Job, JobScheduler, JobSchedulerError};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::daemon::api::{ApiState, router};
use crate::daemon::inbox::Inbox;
use crate::daemon::runs::Runs;
use crate::daemon::schedule::Scheduler;
use crate::pipeline::{RunError, Seimon};

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
    #[error("the scheduler: {0}")]
    Scheduler(#[from] JobSchedulerError),
    #[error(transparent)]
    Run(#[from] RunError),
}

/// Why the worker woke up.
#[derive(Debug, Clone, Copy)]
enum Wake {
    /// The report schedule fired.
    Report,
    /// The outbox cadence fired.
    Outbox,
}

/// How long requests in flight may take after a shutdown signal.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// Runs the daemon until `shutdown` is cancelled; waits for the work under way.
pub async fn run(app: Seimon, shutdown: CancellationToken) -> Result<(), ServeError> {
    let token = app.settings.api.token.clone().ok_or(ServeError::NoToken)?;
    let addr = app.settings.api.listen;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Listen { addr, source })?;
    let local = listener.local_addr().map_err(|source| ServeError::Listen { addr, source })?;

    let tracker = TaskTracker::new();
    let runs = Runs::new(app.clone(), tracker.clone());
    // alive from the moment the worker is spawned (before the port is announced, so a
    // health check right after it is told the truth); the worker clears it when it ends
    let alive = Arc::new(AtomicBool::new(true));
    let loaded = Arc::new(Notify::new());
    let (wake, woken) = mpsc::channel(8);
    let mut cron = cron(&app, wake).await?;
    tracker.spawn(worker(
        Scheduler::new(runs.clone(), shutdown.clone()),
        Inbox::new(&app.settings.paths.inbox),
        Wakers {
            woken,
            loaded: loaded.clone(),
        },
        shutdown.clone(),
        alive.clone(),
    ));

    tracing::info!(%local, "listening");
    // the one line a supervisor or a test reads to find the port
    println!("listening on {local}");
    let console = super::console::ConsoleState::new(runs.clone(), loaded.clone());
    let state = ApiState::new(runs, token, alive, loaded).with_reader_token(app.settings.api.reader_token.clone());
    let stop = shutdown.clone();
    let routes = router(state).merge(super::console::router(console));
    let server = axum::serve(listener, routes).with_graceful_shutdown(async move { stop.cancelled().await });
    // Requests in flight get a bounded grace; a client that never finishes (or a read past
    // its deadline) does not hold the process.
    let grace = shutdown.clone();
    let served = tokio::select! {
        served = async { server.await } => served.map_err(ServeError::Http),
        _ = async { grace.cancelled().await; tokio::time::sleep(SHUTDOWN_GRACE).await } => {
            tracing::warn!(secs = SHUTDOWN_GRACE.as_secs(), "requests still in flight at the end of the grace period: closed");
            Ok(())
        }
    };
    shutdown.cancel(); // the server may also have stopped on its own
    if let Err(e) = cron.shutdown().await {
        tracing::warn!(error = %e, "stopping the scheduler");
    }
    tracing::info!(tasks = tracker.len(), "shutting down: waiting for the work under way");
    tracker.close();
    tracker.wait().await;
    tracing::info!("stopped");
    served
}

/// The cron jobs: each firing only wakes the worker (a full channel means it is already
/// awake, so a firing is never queued twice).
async fn cron(app: &Seimon, wake: mpsc::Sender<Wake>) -> Result<JobScheduler, ServeError> {
    let schedule = &app.settings.schedule;
    let cron = JobScheduler::new().await?;
    for (spec, what) in [(&schedule.report, Wake::Report), (&schedule.outbox, Wake::Outbox)] {
        let wake = wake.clone();
        cron.add(Job::new_async_tz(spec.as_str(), schedule.tz, move |_, _| {
            let wake = wake.clone();
            Box::pin(async move {
                let _ = wake.try_send(what);
            })
        })?)
        .await?;
    }
    cron.start().await?;
    tracing::info!(report = %schedule.report, outbox = %schedule.outbox, timezone = %schedule.tz, "scheduler started");
    Ok(cron)
}

/// Sets the scheduler's liveness flag for as long as it lives.
struct Alive(Arc<AtomicBool>);

impl Drop for Alive {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// What wakes the worker: the cron jobs, and a file loaded over the API.
struct Wakers {
    woken: mpsc::Receiver<Wake>,
    loaded: Arc<Notify>,
}

/// The worker: catches up at start, then ticks on every wake-up and after every load.
async fn worker(scheduler: Scheduler, mut inbox: Inbox, wakers: Wakers, shutdown: CancellationToken, alive: Arc<AtomicBool>) {
    let Wakers { mut woken, loaded } = wakers;
    let _alive = Alive(alive);
    let app = scheduler.app().clone();
    // what was left pending (or cut short mid-send) before the last stop goes first
    send_outbox(&app, &shutdown).await;
    tick(&scheduler).await;
    let mut poll = tokio::time::interval(app.settings.schedule.inbox_poll);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            Some(what) = woken.recv() => {
                if let Wake::Outbox = what {
                    send_outbox(&app, &shutdown).await;
                }
                tick(&scheduler).await;
            }
            _ = loaded.notified() => tick(&scheduler).await,
            _ = poll.tick() => {
                let scanning = app.clone();
                let (back, picked) = match tokio::task::spawn_blocking(move || {
                    let picked = inbox.scan(&scanning);
                    (inbox, picked)
                })
                .await
                {
                    Ok(r) => r,
                    Err(e) => {
                        // a load that fails in any way rejects its file (see ingest); should
                        // the look itself fail, the inbox is looked at afresh next time
                        tracing::error!(error = %e, "the inbox task failed");
                        (Inbox::new(&app.settings.paths.inbox), Vec::new())
                    }
                };
                inbox = back;
                if picked.iter().any(|p| p.loaded()) {
                    tick(&scheduler).await;
                }
            }
        }
    }
    tracing::info!("worker stopped");
}

/// One pass of the outbox (a robot's wait for its rate window ends at shutdown).
async fn send_outbox(app: &Seimon, shutdown: &CancellationToken) {
    match app.send_outbox_until(shutdown).await {
        Ok(r) if r.sent + r.retrying + r.dead > 0 => tracing::info!(sent = r.sent, retrying = r.retrying, dead = r.dead, "outbox"),
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "outbox"),
    }
}

async fn tick(scheduler: &Scheduler) {
    match scheduler.tick(chrono::Utc::now()).await {
        Ok(r) => {
            if !(r.registered.is_empty() && r.reported.is_empty() && r.recomputed.is_empty() && r.failed.is_empty()) {
                tracing::info!(
                    due = r.registered.len(),
                    reported = r.reported.len(),
                    waiting = r.waiting.len(),
                    recomputed = r.recomputed.len(),
                    failed = r.failed.len(),
                    "schedule"
                );
            }
        }
        Err(e) => tracing::error!(error = %e, "schedule"),
    }
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
