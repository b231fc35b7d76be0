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
pub fn message_id(report: &str, period: &str, data_vintage: &str, recipient: &str, sender: &Mailbox) -> String {
    let mut h = Sha256::new();
    for part in [report, period, data_vintage, &recipient.to_ascii_lowercase()] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    // the right-hand side is the sender's domain (RFC 5322 §3.6.4: unique where it is made)
    format!("<{}@{}>", &hex::encode(h.finalize())[..32], sender.email.domain())
}

/// The content type of an XLSX workbook.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A correction: the mail replaces one sent before; what it says about the change.
#[derive(Debug, Clone, PartialEq)]
pub struct Correction {
    /// When the replaced version was sent.
    pub replaces: String,
    /// The changed figures, one line each.
    pub changes: Vec<String>,
}

/// The correction banner's HTML (mail-client-safe) and text.
fn correction_banner(c: &Correction) -> (String, String) {
    let changes = if c.changes.is_empty() {
        "见附件".to_string()
    } else {
        c.changes.join("；")
    };
    let text = format!("更正：本期数据已修订，本报告替代{}发送的版本。主要变化：{changes}", c.replaces);
    let escaped = text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    (
        format!("<tr><td style=\"padding:12px 24px;background:#fff4e5;color:#8a4b00;font-size:14px;\">{escaped}</td></tr>"),
        text,
    )
}

/// A file attached to a report's mail: its workbook, its PDF.
pub struct Attached<'a> {
    pub name: String,
    pub content_type: &'static str,
    pub bytes: &'a [u8],
}

/// The content type of a PDF attachment.
pub const PDF: &str = "application/pdf";

/// Builds the mail of a rendered report for one recipient, with its attachments, marked as
/// a correction when it replaces a version already sent.
pub fn compose(
    report: &RenderedReport,
    from: &Mailbox,
    to: &Mailbox,
    message_id: &str,
    attachments: &[Attached<'_>],
    correction: Option<&Correction>,
) -> Result<Message, MailError> {
    let (banner_html, banner_text) = correction.map(correction_banner).unwrap_or_default();
    let html = report.html_mail.replace("<!--correction-->", &banner_html);
    let text = report.text.replace("<!--correction-->", &banner_text);
    let subject = if correction.is_some() {
        format!("【更正】{}", report.subject)
    } else {
        report.subject.clone()
    };
    let mut related = MultiPart::related().singlepart(SinglePart::html(html));
    for chart in &report.charts {
        let part = Attachment::new_inline_with_name(mail_content_id(&chart.name), chart.file_name())
            .body(chart.png.clone(), ContentType::parse("image/png").expect("valid content type"));
        related = related.singlepart(part);
    }
    let alternative = MultiPart::alternative().singlepart(SinglePart::plain(text)).multipart(related);
    let body = if attachments.is_empty() {
        alternative
    } else {
        attachments.iter().fold(MultiPart::mixed().multipart(alternative), |mixed, a| {
            mixed.singlepart(
                Attachment::new(a.name.clone()).body(a.bytes.to_vec(), ContentType::parse(a.content_type).expect("valid content type")),
            )
        })
    };
    Message::builder()
        .from(from.clone())
        .to(to.clone())
        .subject(subject)
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
        let from: Mailbox = "产业监测 <monitor@stats.ah.gov.cn>".parse().unwrap();
        let a = message_id("province", "2025Q3", "v1", "a@example.org", &from);
        assert_eq!(a, message_id("province", "2025Q3", "v1", "A@Example.org", &from));
        assert_ne!(a, message_id("province", "2025Q3", "v2", "a@example.org", &from));
        assert_ne!(a, message_id("city:340100", "2025Q3", "v1", "a@example.org", &from));
        assert!(
            a.starts_with('<') && a.ends_with("@stats.ah.gov.cn>") && a.len() == 1 + 32 + "@stats.ah.gov.cn>".len(),
            "{a}"
        );
    }
}
