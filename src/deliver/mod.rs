//! Delivering what a run composed: e-mails to `.eml` files or over SMTP (`smtp.rs`), robot
//! posts over HTTPS (`robot.rs`), both through the durable outbox (`outbox.rs`).
//!
//! Without an `[smtp]` section, messages are written as `.eml` files (RFC 5322, exactly
//! the bytes an SMTP server would receive). With one, they are sent through lettre's
//! tokio transport, every send wrapped in `tokio::time::timeout`, since lettre's own
//! timeout covers only the connection. Errors never contain the password, a robot's URL
//! (it holds the platform's access token) or its secret.

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::Message;

mod outbox;
mod robot;
mod smtp;

pub use self::outbox::{Channels, DrainReport, RetryPolicy, drain};
pub use self::robot::RobotSender;
pub use self::smtp::SmtpSender;

/// A delivery failed.
#[derive(Debug, thiserror::Error)]
pub enum DeliverError {
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("SMTP server {server}: {message}")]
    Smtp { server: String, message: String, permanent: bool },
    /// A robot's platform refused the post or answered with an error.
    #[error("robot {robot}: {message}")]
    Robot {
        robot: String,
        message: String,
        permanent: bool,
        /// How long the platform asked us to wait (HTTP 429's `Retry-After`).
        retry_after: Option<Duration>,
    },
    /// `server` names the far end: `SMTP server host:port`, `robot NAME`.
    #[error("{server}: no answer within {secs} s")]
    Timeout { server: String, secs: u64 },
    /// The server cannot be reached or will not talk (no connection, TLS failed, 421): no
    /// other message would fare better in this pass.
    #[error("{server}: unavailable: {message}")]
    Unavailable { server: String, message: String },
}

impl DeliverError {
    /// Whether the failure is the server's, not the message's.
    pub fn server_down(&self) -> bool {
        matches!(self, DeliverError::Timeout { .. } | DeliverError::Unavailable { .. })
    }

    /// Whether trying again cannot help (the message is dead at once).
    pub fn permanent(&self) -> bool {
        matches!(
            self,
            DeliverError::Smtp { permanent: true, .. } | DeliverError::Robot { permanent: true, .. } | DeliverError::Write { .. }
        )
    }

    /// The wait the far end asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            DeliverError::Robot { retry_after, .. } => *retry_after,
            _ => None,
        }
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

/// rustls 0.23 needs a crypto provider once per process (lettre and reqwest both use it).
fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Another part of the process may have installed one already; either is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
