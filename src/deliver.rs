//! Delivering composed e-mails: to `.eml` files, or over SMTP with lettre.
//!
//! Without an `[smtp]` section, messages are written as `.eml` files (RFC 5322, exactly
//! the bytes an SMTP server would receive). With one, they are sent through lettre's
//! tokio transport — STARTTLS, implicit TLS or plain for a local relay, with AUTH — and
//! every send is wrapped in `tokio::time::timeout`, since lettre's own timeout covers
//! only the connection. Errors never contain the password.

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{Security, Smtp};

/// A delivery failed.
#[derive(Debug, thiserror::Error)]
pub enum DeliverError {
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("SMTP server {server}: {message}")]
    Smtp { server: String, message: String, permanent: bool },
    #[error("SMTP server {server}: no answer within {secs} s")]
    Timeout { server: String, secs: u64 },
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
        let server = format!("{}:{}", smtp.host, smtp.port);
        let fail = |e: lettre::transport::smtp::Error| DeliverError::Smtp {
            server: server.clone(),
            message: e.to_string(),
            permanent: true,
        };
        let builder = match smtp.security {
            Security::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host).map_err(fail)?,
            Security::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host).map_err(fail)?,
            Security::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host),
        };
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
        match tokio::time::timeout(self.timeout, self.transport.send(message.clone())).await {
            Err(_) => Err(DeliverError::Timeout {
                server: self.server.clone(),
                secs: self.timeout.as_secs(),
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
