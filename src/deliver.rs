//! Delivering composed e-mails: to `.eml` files, or over SMTP with lettre.
//!
//! Without an `[smtp]` section, messages are written as `.eml` files (RFC 5322, exactly
//! the bytes an SMTP server would receive). With one, they are sent through lettre's
//! tokio transport — STARTTLS, implicit TLS or plain for a local relay, with AUTH — and
//! every send is wrapped in `tokio::time::timeout`, since lettre's own timeout covers
//! only the connection. Errors never contain the password.

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{Security, Smtp};
use crate::store::{Store, StoreError};

/// A delivery failed.
#[derive(Debug, thiserror::Error)]
pub enum DeliverError {
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("SMTP server {server}: {message}")]
    Smtp { server: String, message: String, permanent: bool },
    #[error("SMTP server {server}: no answer within {secs} s")]
    Timeout { server: String, secs: u64 },
    /// The server cannot be reached or will not talk (no connection, TLS failed, 421): no
    /// other message would fare better in this pass.
    #[error("SMTP server {server}: unavailable: {message}")]
    Unavailable { server: String, message: String },
}

impl DeliverError {
    /// Whether the failure is the server's, not the message's.
    pub fn server_down(&self) -> bool {
        matches!(self, DeliverError::Timeout { .. } | DeliverError::Unavailable { .. })
    }
}

/// A lettre error that says the server is down or refuses service, whatever the message:
/// no connection, a network or TLS failure, an unreadable answer, or 421 ("service not
/// available, closing transmission channel").
fn server_unavailable(e: &lettre::transport::smtp::Error) -> bool {
    match e.status() {
        Some(code) => code.to_string() == "421",
        None => !e.is_client(),
    }
}

/// Writes a message as an `.eml` file (atomically: a temporary file, then a rename).
pub fn write_eml(path: &Path, message: &Message) -> Result<(), DeliverError> {
    let err = |source| DeliverError::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    let tmp = path.with_extension("eml.tmp");
    std::fs::write(&tmp, message.formatted()).map_err(err)?;
    std::fs::rename(&tmp, path).map_err(err)
}

/// A file name for a recipient's message: `province__leaders_at_example.org.eml`.
pub fn eml_name(audience: &str, recipient: &str) -> String {
    let clean = |s: &str| {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect::<String>()
    };
    format!("{}__{}.eml", clean(audience), clean(&recipient.replace('@', "_at_")))
}

fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Another part of the process may have installed one already; either is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// An SMTP transport built from the settings.
pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    server: String,
    timeout: Duration,
}

impl SmtpSender {
    pub fn new(smtp: &Smtp) -> Result<SmtpSender, DeliverError> {
        install_crypto_provider();
        if let Some(warning) = smtp.clear_text_warning() {
            tracing::warn!("{warning}");
        }
        let server = format!("{}:{}", smtp.host, smtp.port);
        let fail = |e: lettre::transport::smtp::Error| DeliverError::Smtp {
            server: server.clone(),
            message: e.to_string(),
            permanent: true,
        };
        let tls = |wrapper: bool| -> Result<Tls, DeliverError> {
            let mut params = TlsParameters::builder(smtp.host.clone());
            if let Some(ca) = &smtp.ca_file {
                let pem = std::fs::read(ca).map_err(|e| DeliverError::Smtp {
                    server: server.clone(),
                    message: format!("cannot read {}: {e}", ca.display()),
                    permanent: true,
                })?;
                let cert = Certificate::from_pem(&pem).map_err(|e| DeliverError::Smtp {
                    server: server.clone(),
                    message: format!("{}: {e}", ca.display()),
                    permanent: true,
                })?;
                params = params.add_root_certificate(cert);
            }
            let params = params.build_rustls().map_err(fail)?;
            Ok(if wrapper { Tls::Wrapper(params) } else { Tls::Required(params) })
        };
        let builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host).tls(match smtp.security {
            Security::Tls => tls(true)?,
            Security::Starttls => tls(false)?,
            Security::None => Tls::None,
        });
        let mut builder = builder.port(smtp.port).timeout(Some(smtp.timeout));
        if let (Some(user), Some(password)) = (&smtp.username, &smtp.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.expose().to_string()));
        }
        Ok(SmtpSender {
            transport: builder.build(),
            server,
            timeout: smtp.timeout,
        })
    }

    /// Sends one message; the whole exchange is bounded by the configured timeout.
    pub async fn send(&self, message: &Message) -> Result<(), DeliverError> {
        self.bounded(self.transport.send(message.clone())).await
    }

    /// Sends the bytes of a stored message to one recipient.
    pub async fn send_raw(&self, from: &str, to: &str, bytes: &[u8]) -> Result<(), DeliverError> {
        let address = |a: &str| {
            a.parse::<lettre::message::Mailbox>()
                .map(|m| m.email)
                .or_else(|_| a.parse::<Address>())
                .map_err(|e| DeliverError::Smtp {
                    server: self.server.clone(),
                    message: format!("bad address `{a}`: {e}"),
                    permanent: true,
                })
        };
        let envelope = Envelope::new(Some(address(from)?), vec![address(to)?]).map_err(|e| DeliverError::Smtp {
            server: self.server.clone(),
            message: e.to_string(),
            permanent: true,
        })?;
        self.bounded(self.transport.send_raw(&envelope, bytes)).await
    }

    async fn bounded<T>(
        &self,
        send: impl std::future::Future<Output = Result<T, lettre::transport::smtp::Error>>,
    ) -> Result<(), DeliverError> {
        match tokio::time::timeout(self.timeout, send).await {
            Err(_) => Err(DeliverError::Timeout {
                server: self.server.clone(),
                secs: self.timeout.as_secs(),
            }),
            Ok(Err(e)) if server_unavailable(&e) => Err(DeliverError::Unavailable {
                server: self.server.clone(),
                message: e.to_string(),
            }),
            Ok(Err(e)) => Err(DeliverError::Smtp {
                server: self.server.clone(),
                message: e.to_string(),
                permanent: e.is_permanent(),
            }),
            Ok(Ok(_)) => Ok(()),
        }
    }
}

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

/// One pass of the outbox worker: every message due at `now` is sent; each outcome is
/// recorded before the next message goes. Each message is leased to this process while it
/// is sent (for the send's timeout, twice over), so a second sender — another pass of this
/// process, or another process — never sends it too; the leases of a sender that died are
/// taken over at once. A temporary failure (4xx, no connection, a timeout) is retried
/// `base × 2^(attempts − 1)` after the failure; a permanent one (5xx) or the last allowed
/// attempt makes the message dead, with its reason. One bad address does not stop the
/// others; a server that is down (no connection, no answer, 421) ends the pass, leaving the
/// rest untouched for the next one. A pass takes only what is due when it begins.
pub async fn drain(
    store: &Store,
    sender: &SmtpSender,
    policy: RetryPolicy,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<DrainReport, StoreError> {
    let stamp = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let me = &identity(store)?.id;
    for owner in store.lease_owners(me)? {
        if !alive(store, &owner) {
            let n = store.release_leases(&owner)?;
            tracing::warn!(sender = %owner, messages = n, "a sender died while sending: its messages go out again");
            let _ = std::fs::remove_file(sender_lock(store, &owner));
        }
    }
    // the pass's clock: `now`, advanced by the time the pass has taken
    let started = std::time::Instant::now();
    let clock = || now + chrono::Duration::from_std(started.elapsed()).unwrap_or_default();
    let lease = chrono::Duration::from_std(sender.timeout * 2).unwrap_or(chrono::Duration::hours(1)) + chrono::Duration::seconds(30);
    let mut report = DrainReport::default();
    // what is due when the pass begins: a message whose retry falls due during the pass
    // waits for the next one (a pass takes each message once)
    let due = stamp(now);
    while let Some(m) = store.claim_next(me, &due, &stamp(clock() + lease))? {
        let outcome = sender.send_raw(&m.sender, &m.recipient, &m.message).await;
        let server_down = outcome.as_ref().is_err_and(DeliverError::server_down);
        let kept = match outcome {
            Ok(()) => {
                tracing::info!(to = %m.recipient, message_id = %m.message_id, "e-mail sent");
                report.sent += 1;
                store.mark_sent(m.id, me)?
            }
            Err(e) => {
                let permanent = matches!(e, DeliverError::Smtp { permanent: true, .. });
                if permanent || m.attempts >= policy.max_attempts {
                    tracing::warn!(to = %m.recipient, error = %e, attempts = m.attempts, "e-mail dead");
                    report.dead += 1;
                    store.mark_dead(m.id, me, &e.to_string())?
                } else {
                    let wait = policy.base * 2u32.saturating_pow((m.attempts - 1).clamp(0, 20) as u32);
                    let next = clock() + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1));
                    tracing::warn!(to = %m.recipient, error = %e, retry_at = %stamp(next), "e-mail will be retried");
                    report.retrying += 1;
                    store.mark_retry(m.id, me, &e.to_string(), &stamp(next))?
                }
            }
        };
        if !kept {
            tracing::warn!(to = %m.recipient, message_id = %m.message_id, "the lease of the message expired during its send");
        }
        if server_down {
            tracing::warn!("the SMTP server is unavailable: the other messages wait for the next pass");
            break;
        }
    }
    Ok(report)
}
