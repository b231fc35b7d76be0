//! Composing a run's e-mails and robot posts: each subscription gets its audience's report,
//! rendered in the subscriber's language, with the workbook or the PDF when asked, marked as
//! a correction when a version of the quarter already reached that reader (naming what
//! changed since); each robot it names gets the report's card (see `chat`).

use polars::prelude::DataFrame;

use super::archive::run_folder;
use super::changes::{changes, correction_lines, previous_values};
use super::{EmailRecord, Outgoing, RunError, RunSummary, Seimon};
use crate::chat;
use crate::deliver;
use crate::mail;
use crate::render::{self, ReportInput};
use crate::store::{Channel, OutboxMessage, OutboxState, robot_recipient};

impl Seimon {
    /// Every e-mail of a run with its message: `reports_set` is the report set in the
    /// archive's language, `current` the run's `indicators.csv` as a frame.
    pub(super) fn compose(
        &self,
        input: &ReportInput<'_>,
        reports_set: &[render::RenderedReport],
        current: &DataFrame,
        data_vintage: &str,
    ) -> Result<Vec<(EmailRecord, Outgoing)>, RunError> {
        let settings = &self.settings;
        let (period, lang, catalogue) = (input.period, input.lang, &settings.catalogue);
        let reports = &settings.paths.reports;
        let sent = self.store.outbox()?;
        let mut composed: Vec<(EmailRecord, Outgoing)> = Vec::new();
        let from = settings.smtp.as_ref().map_or(&settings.mail.from, |s| &s.from);
        // A subscriber who reads another language gets the report rendered in it.
        let mut other_language: Vec<render::RenderedReport> = Vec::new();
        for sub in settings.subscriptions.iter().filter(|s| s.language != lang) {
            if render::report::audiences(input).contains(&sub.audience)
                && !other_language.iter().any(|r| r.audience == sub.audience && r.lang == sub.language)
            {
                let translated = ReportInput {
                    lang: sub.language,
                    ..input.clone()
                };
                if let Some(report) = render::report::build(&translated, &sub.audience) {
                    other_language.push(render::render(report, &translated)?);
                }
            }
        }
        if settings.subscriptions.iter().any(|s| s.attach_pdf && s.language != lang) {
            render::typeset_pdfs(&mut other_language)?;
        }
        for sub in &settings.subscriptions {
            let Some(report) = reports_set
                .iter()
                .chain(&other_language)
                .find(|r| r.audience == sub.audience && r.lang == sub.language)
            else {
                tracing::warn!(audience = %sub.audience, "no report for this audience in the report set");
                continue;
            };
            let workbook = if sub.attach_xlsx {
                Some(render::xlsx::workbook(report)?)
            } else {
                None
            };
            let mut attachments = Vec::new();
            if let Some(w) = &workbook {
                attachments.push(mail::Attached {
                    name: format!("{}-{period}.xlsx", report.title),
                    content_type: mail::XLSX,
                    bytes: w,
                });
            }
            if sub.attach_pdf {
                attachments.push(mail::Attached {
                    name: format!("{}-{period}.pdf", report.title),
                    content_type: mail::PDF,
                    bytes: &report.pdf,
                });
            }
            for to in &sub.to {
                let audience = sub.audience.to_string();
                let id = mail::message_id(&audience, &period.to_string(), data_vintage, to.email.as_ref(), from);
                // a version of this quarter already sent to this reader makes this a correction
                let key = OutboxMessage::key_for(&audience, &period.to_string(), data_vintage, &to.to_string());
                let earlier = sent
                    .iter()
                    .filter(|m| {
                        m.state == OutboxState::Sent
                            && m.audience == audience
                            && m.period == period.to_string()
                            && m.recipient.to_lowercase() == to.to_string().to_lowercase()
                            && m.key != key
                    })
                    .max_by(|a, b| a.sent_at.cmp(&b.sent_at));
                // what changed since the version this reader received
                let correction = earlier.map(|m| {
                    let received = run_folder(reports, period, &m.run_id)
                        .and_then(|d| previous_values(&d))
                        .and_then(|before| changes(&before, current).ok())
                        .unwrap_or_default();
                    mail::Correction {
                        replaces: m.sent_at.as_deref().and_then(|t| t.get(..10)).unwrap_or_default().to_string(),
                        changes: correction_lines(
                            &received,
                            &sub.audience,
                            &settings.monitor.region,
                            &settings.monitor.headline_indicator,
                            catalogue,
                        ),
                    }
                });
                let message = mail::compose(report, from, to, &id, &attachments, correction.as_ref())?;
                let record = EmailRecord {
                    audience: audience.clone(),
                    to: to.to_string(),
                    subject: report.subject.clone(),
                    message_id: id,
                    file: format!("mail/{}", deliver::eml_name(&audience, to.email.as_ref())),
                    status: "written".into(),
                    key,
                };
                composed.push((record, Outgoing::Mail(message)));
            }
            for name in &sub.robots {
                let robot = settings
                    .robots
                    .iter()
                    .find(|r| &r.name == name)
                    .expect("validated: a configured robot");
                let audience = sub.audience.to_string();
                let recipient = robot_recipient(name);
                let key = OutboxMessage::key_for(&audience, &period.to_string(), data_vintage, &recipient);
                // the group had a card of this quarter on other data: this one corrects it
                let correction = sent.iter().any(|m| {
                    m.state == OutboxState::Sent
                        && m.audience == audience
                        && m.period == period.to_string()
                        && m.recipient == recipient
                        && !m.key.starts_with(&key)
                });
                let link = settings
                    .console_url
                    .as_ref()
                    .map(|base| format!("{base}/reports/{period}/{}", report.file));
                let about = chat::About {
                    period,
                    data_vintage,
                    link: link.as_deref(),
                    correction,
                };
                for post in chat::posts(robot.kind, report, &about) {
                    let part_key = format!("{key}|{}", post.part);
                    let record = EmailRecord {
                        audience: audience.clone(),
                        to: recipient.clone(),
                        subject: report.subject.clone(),
                        message_id: mail::message_id(&audience, &period.to_string(), data_vintage, &part_key, from),
                        file: format!("robots/{name}/{}", deliver::eml_name(&audience, post.part).replace(".eml", ".json")),
                        status: "written".into(),
                        key: part_key,
                    };
                    composed.push((record, Outgoing::Post(post.body)));
                }
            }
        }
        Ok(composed)
    }
}

/// The outbox messages of a run: its e-mails (when there is an SMTP server, sent as
/// `from`) and its robot posts, one per (audience, period, vintage, recipient and part).
pub(super) fn outbox_messages(composed: &[(EmailRecord, Outgoing)], summary: &RunSummary, from: Option<String>) -> Vec<OutboxMessage> {
    composed
        .iter()
        .filter_map(|(record, outgoing)| {
            let (channel, sender, message) = match outgoing {
                Outgoing::Mail(message) => (Channel::Email, from.clone()?, message.formatted()),
                Outgoing::Post(body) => (Channel::Robot, "seimon".to_string(), body.clone()),
            };
            Some(OutboxMessage {
                id: 0,
                channel,
                key: record.key.clone(),
                message_id: record.message_id.clone(),
                run_id: summary.run_id.clone(),
                period: summary.period.to_string(),
                audience: record.audience.clone(),
                sender,
                recipient: record.to.clone(),
                subject: record.subject.clone(),
                message,
                state: OutboxState::Pending,
                attempts: 0,
                next_attempt_at: String::new(),
                last_error: None,
                created_at: String::new(),
                sent_at: None,
            })
        })
        .collect()
}
