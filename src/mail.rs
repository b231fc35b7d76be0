//! Composing report e-mails with lettre. No I/O.
//!
//! A report mail is `multipart/alternative`: a plain-text part, then a
//! `multipart/related` holding the HTML and its charts as inline PNGs referenced by
//! Content-ID. lettre encodes the Chinese subject (RFC 2047) and file names. The
//! Message-ID is deterministic — a hash of (report, period, data vintage, recipient) —
//! so the same report to the same reader on the same data is recognisably the same mail.

use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use sha2::{Digest, Sha256};

use crate::render::{RenderedReport, mail_content_id};

/// A message could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot compose the e-mail to {to}: {source}")]
pub struct MailError {
    pub to: String,
    #[source]
    pub source: lettre::error::Error,
}

/// The deterministic Message-ID (with angle brackets) of a report mail.
pub fn message_id(report: &str, period: &str, data_vintage: &str, recipient: &str) -> String {
    let mut h = Sha256::new();
    for part in [report, period, data_vintage, &recipient.to_ascii_lowercase()] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    format!("<{}@seimon>", &hex::encode(h.finalize())[..32])
}

/// The content type of an XLSX workbook.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Builds the mail of a rendered report for one recipient, with its workbook attached
/// (`workbook`: file name and bytes).
pub fn compose(
    report: &RenderedReport,
    from: &Mailbox,
    to: &Mailbox,
    message_id: &str,
    workbook: Option<(&str, &[u8])>,
) -> Result<Message, MailError> {
    let mut related = MultiPart::related().singlepart(SinglePart::html(report.html_mail.clone()));
    for chart in &report.charts {
        let part = Attachment::new_inline_with_name(mail_content_id(&chart.name), chart.file_name())
            .body(chart.png.clone(), ContentType::parse("image/png").expect("valid content type"));
        related = related.singlepart(part);
    }
    let alternative = MultiPart::alternative()
        .singlepart(SinglePart::plain(report.text.clone()))
        .multipart(related);
    let body = match workbook {
        Some((name, bytes)) => MultiPart::mixed()
            .multipart(alternative)
            .singlepart(Attachment::new(name.to_string()).body(bytes.to_vec(), ContentType::parse(XLSX).expect("valid content type"))),
        None => alternative,
    };
    Message::builder()
        .from(from.clone())
        .to(to.clone())
        .subject(report.subject.clone())
        .message_id(Some(message_id.to_string()))
        .date(std::time::SystemTime::now())
        .multipart(body)
        .map_err(|source| MailError {
            to: to.to_string(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_deterministic_per_key() {
        let a = message_id("province", "2025Q3", "v1", "a@example.org");
        assert_eq!(a, message_id("province", "2025Q3", "v1", "A@Example.org"));
        assert_ne!(a, message_id("province", "2025Q3", "v2", "a@example.org"));
        assert_ne!(a, message_id("city:340100", "2025Q3", "v1", "a@example.org"));
        assert!(a.starts_with('<') && a.ends_with("@seimon>") && a.len() == 1 + 32 + "@seimon>".len());
    }
}
