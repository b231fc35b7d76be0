//! The outbox worker: one pass sends what is due, lane by lane — the e-mails over SMTP, each
//! robot's posts at its rate — each message leased while it is sent and its outcome
//! recorded before the next goes.

use std::path::PathBuf;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::{DeliverError, RobotSender, SmtpSender};
use crate::store::{Lane, OutboxMessage, Store, StoreError};

/// How temporary failures are retried.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// The wait after the first failure; it doubles with each further one.
    pub base: std::time::Duration,
    /// After this many attempts a message is dead.
    pub max_attempts: i64,
}

/// What one pass over the outbox did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct DrainReport {
    pub sent: usize,
    pub retrying: usize,
    pub dead: usize,
}

/// What a pass sends through: the SMTP server (when configured) and the robots.
pub struct Channels<'a> {
    pub smtp: Option<(&'a SmtpSender, RetryPolicy)>,
    pub robots: &'a [RobotSender],
}

/// One lane's sender.
#[derive(Clone, Copy)]
enum Sender<'a> {
    Smtp(&'a SmtpSender),
    Robot(&'a RobotSender),
}

impl Sender<'_> {
    async fn send(&self, m: &OutboxMessage) -> Result<(), DeliverError> {
        match self {
            Sender::Smtp(s) => s.send_raw(&m.sender, &m.recipient, &m.message).await,
            Sender::Robot(r) => r.post(&m.message, &m.message_id).await,
        }
    }

    fn timeout(&self) -> Duration {
        match self {
            Sender::Smtp(s) => s.timeout,
            Sender::Robot(r) => r.robot.timeout,
        }
    }

    fn what(&self) -> &'static str {
        match self {
            Sender::Smtp(_) => "e-mail",
            Sender::Robot(_) => "robot post",
        }
    }
}

/// This process's identity as an outbox sender: an id, and an OS file lock under
/// `<data>/locks/` held for the life of the process. Another sender tells that this one is
/// dead — and its leases safe to take over at once — when it can take the lock itself.
struct SenderIdentity {
    id: String,
    _lock: std::fs::File,
}

fn identity(store: &Store) -> Result<&'static SenderIdentity, StoreError> {
    static IDENTITY: std::sync::OnceLock<SenderIdentity> = std::sync::OnceLock::new();
    if let Some(me) = IDENTITY.get() {
        return Ok(me);
    }
    let id = format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple());
    let path = sender_lock(store, &id);
    let io = |source| StoreError::Dir {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(path.parent().expect("in the locks folder")).map_err(io)?;
    let lock = std::fs::File::create(&path).map_err(io)?;
    lock.lock().map_err(io)?;
    Ok(IDENTITY.get_or_init(|| SenderIdentity { id, _lock: lock }))
}

fn sender_lock(store: &Store, id: &str) -> PathBuf {
    store.dir().join("locks").join(format!("outbox-{id}.lock"))
}

/// Whether the sender `id` is alive: its lock file is held (by its process).
fn alive(store: &Store, id: &str) -> bool {
    let path = sender_lock(store, id);
    match std::fs::OpenOptions::new().write(true).open(&path) {
        Ok(f) => f.try_lock().is_err(),
        Err(_) => false, // no lock file: a sender of an older version, or long gone
    }
}

/// One pass of the outbox worker: every message due at `now` is sent, the e-mails first,
/// then each robot's posts; each outcome is recorded before the next message goes. Each
/// message is leased to this process while it is sent (for the send's timeout, twice over),
/// so a second sender — another pass of this process, or another process — never sends it
/// too; the leases of a sender that died are taken over at once. A temporary failure (an
/// SMTP 4xx; HTTP 5xx, 429 or 408; no connection; a timeout) is retried
/// `base × 2^(attempts − 1)` after the failure (or after the platform's `Retry-After`,
/// when longer); a permanent one (SMTP 5xx, another HTTP 4xx, a platform's error code) or
/// the last allowed attempt makes the message dead, with its reason. One bad message does
/// not stop the others; a server that is down (no connection, no answer, 421) ends its
/// lane's pass, leaving the rest untouched for the next one. A robot posts at most
/// `rate_limit` times in any `rate_window` — counted in the store, so across passes and
/// processes: the pass waits for the window (or for `shutdown`, which puts the message back
/// untouched). A pass takes only what is due when it begins.
pub async fn drain(
    store: &Store,
    channels: &Channels<'_>,
    now: chrono::DateTime<chrono::Utc>,
    shutdown: &CancellationToken,
) -> Result<DrainReport, StoreError> {
    let me = &identity(store)?.id;
    for owner in store.lease_owners(me)? {
        if !alive(store, &owner) {
            let n = store.release_leases(&owner)?;
            tracing::warn!(sender = %owner, messages = n, "a sender died while sending: its messages go out again");
            let _ = std::fs::remove_file(sender_lock(store, &owner));
        }
    }
    let mut report = DrainReport::default();
    let started = std::time::Instant::now();
    if let Some((smtp, policy)) = channels.smtp {
        drain_lane(
            store,
            me,
            Lane::Email,
            Sender::Smtp(smtp),
            policy,
            (now, started),
            shutdown,
            &mut report,
        )
        .await?;
    }
    for robot in channels.robots {
        let policy = RetryPolicy {
            base: robot.robot.retry_base,
            max_attempts: robot.robot.max_attempts,
        };
        let lane = Lane::Robot(&robot.robot.name);
        drain_lane(store, me, lane, Sender::Robot(robot), policy, (now, started), shutdown, &mut report).await?;
        if shutdown.is_cancelled() {
            break;
        }
    }
    Ok(report)
}

fn stamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The messages of one lane due when the pass began.
#[allow(clippy::too_many_arguments)]
async fn drain_lane(
    store: &Store,
    me: &str,
    lane: Lane<'_>,
    sender: Sender<'_>,
    policy: RetryPolicy,
    (now, started): (chrono::DateTime<chrono::Utc>, std::time::Instant),
    shutdown: &CancellationToken,
    report: &mut DrainReport,
) -> Result<(), StoreError> {
    // the pass's clock: `now`, advanced by the time the pass has taken
    let clock = || now + chrono::Duration::from_std(started.elapsed()).unwrap_or_default();
    let window = match sender {
        Sender::Robot(r) => r.robot.rate_window,
        Sender::Smtp(_) => Duration::ZERO,
    };
    // a robot's lease covers a wait for its rate window too
    let lease =
        chrono::Duration::from_std(sender.timeout() * 2 + window).unwrap_or(chrono::Duration::hours(1)) + chrono::Duration::seconds(30);
    let what = sender.what();
    // what is due when the pass begins: a message whose retry falls due during the pass
    // waits for the next one (a pass takes each message once)
    let due = stamp(now);
    while let Some(m) = store.claim_next(lane, me, &due, &stamp(clock() + lease))? {
        if let Sender::Robot(r) = sender {
            let robot = &r.robot;
            let window = chrono::Duration::from_std(robot.rate_window).unwrap_or(chrono::Duration::minutes(1));
            let limit = robot.rate_limit as usize;
            loop {
                let t = clock();
                let recent = store.robot_posts_since(&robot.name, &stamp(t - window))?;
                if recent.len() < limit {
                    break;
                }
                // the window frees when the post `limit` back from the newest leaves it
                let oldest = chrono::DateTime::parse_from_rfc3339(&recent[recent.len() - limit])
                    .map(|d| d.with_timezone(&chrono::Utc))
                    .unwrap_or(t);
                let wait = (oldest + window - t).to_std().unwrap_or_default() + Duration::from_millis(5);
                tracing::info!(robot = %robot.name, wait_ms = wait.as_millis() as u64, posts = recent.len(), "rate limit: waiting for the window");
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = shutdown.cancelled() => {
                        store.unclaim(m.id, me)?;
                        return Ok(());
                    }
                }
            }
            let t = clock();
            store.record_robot_post(&robot.name, &stamp(t), &stamp(t - window))?;
        }
        let outcome = sender.send(&m).await;
        let server_down = outcome.as_ref().is_err_and(DeliverError::server_down);
        let kept = match outcome {
            Ok(()) => {
                tracing::info!(to = %m.recipient, message_id = %m.message_id, "{what} sent");
                report.sent += 1;
                store.mark_sent(m.id, me)?
            }
            Err(e) => {
                if e.permanent() || m.attempts >= policy.max_attempts {
                    tracing::warn!(to = %m.recipient, error = %e, attempts = m.attempts, "{what} dead");
                    report.dead += 1;
                    store.mark_dead(m.id, me, &e.to_string())?
                } else {
                    let backoff = policy.base * 2u32.saturating_pow((m.attempts - 1).clamp(0, 20) as u32);
                    let wait = backoff.max(e.retry_after().unwrap_or_default());
                    let next = clock() + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1));
                    tracing::warn!(to = %m.recipient, error = %e, retry_at = %stamp(next), "{what} will be retried");
                    report.retrying += 1;
                    store.mark_retry(m.id, me, &e.to_string(), &stamp(next))?
                }
            }
        };
        if !kept {
            tracing::warn!(to = %m.recipient, message_id = %m.message_id, "the lease of the message expired during its send");
        }
        if server_down {
            tracing::warn!(to = %m.recipient, "the server is unavailable: the lane's other messages wait for the next pass");
            break;
        }
    }
    Ok(())
}
