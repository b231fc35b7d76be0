//! The SMTP sender: lettre's tokio transport built from `[smtp]` — STARTTLS, implicit TLS
//! or plain for a local relay, AUTH, a private CA — every send bounded by the configured
//! timeout (lettre's own covers only the connection). Errors never contain the password.

use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::{DeliverError, install_crypto_provider};
use crate::config::{Security, Smtp};

/// A lettre error that says the server is down or refuses service, whatever the message:
/// no connection, a network or TLS failure, an unreadable answer, or 421 ("service not
/// available, closing transmission channel").
fn server_unavailable(e: &lettre::transport::smtp::Error) -> bool {
    match e.status() {
        Some(code) => code.to_string() == "421",
        None => !e.is_client(),
    }
}

/// An SMTP transport built from the settings.
pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    server: String,
    pub(super) timeout: Duration,
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
                server: format!("SMTP server {}", self.server),
                secs: self.timeout.as_secs(),
            }),
            Ok(Err(e)) if server_unavailable(&e) => Err(DeliverError::Unavailable {
                server: format!("SMTP server {}", self.server),
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
