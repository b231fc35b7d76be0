//! Posting to chat robots over HTTP(S) with reqwest: DingTalk's signed robot (the URL gets
//! `timestamp` and `sign` = base64 of HMAC-SHA256 over "timestamp\nsecret"), WeCom's group
//! robot (the key is in its URL), and a generic webhook (`X-Seimon-Signature: sha256=` hex
//! HMAC-SHA256 over "timestamp.body", with `X-Seimon-Timestamp` and `X-Seimon-Delivery`,
//! the message's stable id, so a receiver can drop a post it has seen).
//!
//! What the platform answered decides the outcome: HTTP 2xx with `errcode` 0 is sent; 429,
//! 5xx, 408 and the platforms' "too fast" and "busy" codes are retried (after `Retry-After`
//! when given); any other 4xx or error code is the message's fault, dead with its reason. An
//! error never carries the URL (it holds the access token): reqwest's are stripped of it.

use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{DeliverError, install_crypto_provider};
use crate::chat::RobotKind;
use crate::config::Robot;

/// How much of an answer is read: the platforms answer in a few dozen bytes.
const ANSWER_BYTES: usize = 64 * 1024;

/// A robot's HTTP client, made from its settings.
pub struct RobotSender {
    pub robot: Robot,
    client: reqwest::Client,
}

/// HMAC-SHA256 of `message` under `key`.
fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// DingTalk's signature of a request made at `timestamp_ms`: base64 of HMAC-SHA256, keyed
/// by the secret, of "timestamp\nsecret".
pub fn dingtalk_sign(timestamp_ms: i64, secret: &str) -> String {
    use base64::Engine;
    let mac = hmac_sha256(secret.as_bytes(), format!("{timestamp_ms}\n{secret}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac)
}

/// The webhook's signature of `body` sent at `timestamp` (Unix seconds): `sha256=` and the
/// hex HMAC-SHA256, keyed by the secret, of "timestamp.body".
pub fn webhook_signature(timestamp: i64, body: &[u8], secret: &str) -> String {
    let mut signed = format!("{timestamp}.").into_bytes();
    signed.extend_from_slice(body);
    format!("sha256={}", hex::encode(hmac_sha256(secret.as_bytes(), &signed)))
}

impl RobotSender {
    pub fn new(robot: &Robot) -> Result<RobotSender, DeliverError> {
        install_crypto_provider();
        let fail = |message: String| DeliverError::Robot {
            robot: robot.name.clone(),
            message,
            permanent: true,
            retry_after: None,
        };
        let mut builder = reqwest::Client::builder()
            .timeout(robot.timeout)
            .connect_timeout(robot.timeout)
            // a redirect would take the body somewhere the configuration did not name
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("seimon/", env!("CARGO_PKG_VERSION")));
        if let Some(ca) = &robot.ca_file {
            let pem = std::fs::read(ca).map_err(|e| fail(format!("cannot read {}: {e}", ca.display())))?;
            let cert = reqwest::Certificate::from_pem(&pem).map_err(|e| fail(format!("{}: {e}", ca.display())))?;
            builder = builder.add_root_certificate(cert);
        }
        let client = builder.build().map_err(|e| fail(e.without_url().to_string()))?;
        Ok(RobotSender {
            robot: robot.clone(),
            client,
        })
    }

    fn name(&self) -> String {
        format!("robot {}", self.robot.name)
    }

    fn refused(&self, message: String, permanent: bool, retry_after: Option<Duration>) -> DeliverError {
        DeliverError::Robot {
            robot: self.robot.name.clone(),
            message,
            permanent,
            retry_after,
        }
    }

    /// Posts one message's JSON body, signed as the platform wants it; the whole exchange
    /// is bounded by the robot's timeout.
    pub async fn post(&self, body: &[u8], delivery_id: &str) -> Result<(), DeliverError> {
        let secs = self.robot.timeout.as_secs();
        match tokio::time::timeout(self.robot.timeout, self.exchange(body, delivery_id)).await {
            Err(_) => Err(DeliverError::Timeout { server: self.name(), secs }),
            Ok(r) => r,
        }
    }

    async fn exchange(&self, body: &[u8], delivery_id: &str) -> Result<(), DeliverError> {
        let mut url =
            reqwest::Url::parse(self.robot.url.expose()).map_err(|_| self.refused("the URL does not parse".into(), true, None))?;
        let secret = self.robot.secret.as_ref().map(|s| s.expose());
        let now = chrono::Utc::now();
        let mut request = self.client.post(url.clone());
        match (self.robot.kind, secret) {
            (RobotKind::Dingtalk, Some(secret)) => {
                let ts = now.timestamp_millis();
                url.query_pairs_mut()
                    .append_pair("timestamp", &ts.to_string())
                    .append_pair("sign", &dingtalk_sign(ts, secret));
                request = self.client.post(url);
            }
            (RobotKind::Webhook, Some(secret)) => {
                let ts = now.timestamp();
                request = request
                    .header("X-Seimon-Timestamp", ts.to_string())
                    .header("X-Seimon-Signature", webhook_signature(ts, body, secret))
                    .header("X-Seimon-Delivery", delivery_id.trim_matches(['<', '>']));
            }
            _ => {}
        }
        let response = request
            .header(reqwest::header::CONTENT_TYPE, "application/json; charset=utf-8")
            .body(body.to_vec())
            .send()
            .await
            .map_err(|e| self.transport(e))?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let answer = read_bounded(response).await.map_err(|e| self.transport(e))?;
        let said = String::from_utf8_lossy(&answer);
        let said: String = said.trim().chars().take(200).collect();
        if status.as_u16() == 429 || status.is_server_error() || status.as_u16() == 408 {
            return Err(self.refused(format!("HTTP {status}: {said}"), false, retry_after));
        }
        if !status.is_success() {
            return Err(self.refused(format!("HTTP {status}: {said}"), true, None));
        }
        if self.robot.kind == RobotKind::Webhook {
            return Ok(());
        }
        // the platforms answer 200 with an error code
        let code = serde_json::from_slice::<serde_json::Value>(&answer).ok().and_then(|v| {
            Some((
                v.get("errcode")?.as_i64()?,
                v.get("errmsg").and_then(|m| m.as_str()).unwrap_or("").to_string(),
            ))
        });
        match code {
            Some((0, _)) => Ok(()),
            Some((code, message)) => {
                // too fast (DingTalk 130101, 130102; WeCom 45009) or busy (-1): later
                let transient = matches!(code, -1 | 130101 | 130102 | 45009);
                let wait = transient.then(|| Duration::from_secs(60)).filter(|_| code != -1);
                Err(self.refused(format!("errcode {code}: {message}"), !transient, wait))
            }
            None => Err(self.refused(format!("HTTP {status} without an errcode: {said}"), false, None)),
        }
    }

    /// A request that did not get an answer: the far end is down (no connection, TLS, no
    /// answer in time), never with the URL.
    fn transport(&self, e: reqwest::Error) -> DeliverError {
        let e = e.without_url();
        if e.is_timeout() {
            DeliverError::Timeout {
                server: self.name(),
                secs: self.robot.timeout.as_secs(),
            }
        } else {
            let mut message = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                message.push_str(&format!(": {s}"));
                source = s.source();
            }
            DeliverError::Unavailable {
                server: self.name(),
                message,
            }
        }
    }
}

/// The answer's first [`ANSWER_BYTES`].
async fn read_bounded(mut response: reqwest::Response) -> Result<Vec<u8>, reqwest::Error> {
    let mut answer = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        answer.extend_from_slice(&chunk);
        if answer.len() >= ANSWER_BYTES {
            answer.truncate(ANSWER_BYTES);
            break;
        }
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dingtalk_signs_timestamp_and_secret_as_its_documentation_does() {
        // DingTalk's documented Python: hmac.new(secret, f"{ts}\n{secret}", sha256), base64;
        // computed with Python's hmac and base64 for these inputs
        assert_eq!(
            dingtalk_sign(1_577_000_000_000, "SECtest"),
            "IiFtpMQ69TSK6Fd0eNwtkRUKj9E2jZ/MYMStetJ9MJQ="
        );
    }

    #[test]
    fn a_webhook_signature_covers_the_timestamp_and_the_body() {
        // Python: hmac.new(b"k", b'1700000000.{"a":1}', sha256).hexdigest()
        let a = webhook_signature(1_700_000_000, b"{\"a\":1}", "k");
        assert_eq!(a, "sha256=1b6ad1bc9bf48c52ce01939866d5877c6cc4e87ddad27e16673cb8c4964394a3");
        assert_ne!(a, webhook_signature(1_700_000_001, b"{\"a\":1}", "k"));
        assert_ne!(a, webhook_signature(1_700_000_000, b"{\"a\":2}", "k"));
    }
}
