//! `Seimon`: the settings, the store and the period locks — the handle every door holds.
//! Opening it cleans what a dead process left (runs left running, staging folders); it
//! answers what the doors ask besides a run (completeness, silences, the data vintage)
//! and sends the outbox.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;

use super::{RunError, io};
use crate::config::Settings;
use crate::deliver::{self, RobotSender, SmtpSender};
use crate::model::period::Period;
use crate::risk;
use crate::store::Store;

/// The application: settings, store and the period locks, shared by every door.
#[derive(Clone)]
pub struct Seimon {
    pub settings: Arc<Settings>,
    pub store: Arc<Store>,
    locks: Arc<Mutex<HashMap<Period, Arc<tokio::sync::Mutex<()>>>>>,
}

impl Seimon {
    /// Opens the store named by the settings.
    /// Opens the store named by the settings. What a dead process left behind is cleaned
    /// up first: its runs left `running` are marked failed, its staging folders removed.
    pub fn open(settings: Settings) -> Result<Seimon, RunError> {
        let store = Store::open(&settings.paths.data)?;
        let app = Seimon {
            settings: Arc::new(settings),
            store: Arc::new(store),
            locks: Arc::default(),
        };
        app.recover_interrupted()?;
        let reports = &app.settings.paths.reports;
        let live = |id: &str| app.store.run(id).ok().flatten().is_some_and(|r| !r.state.finished());
        for dir in crate::pipeline::archive::clean_staging(reports, live).map_err(io(reports))? {
            tracing::info!(dir = %dir.display(), "removed the staging folder of a run that did not finish");
        }
        Ok(app)
    }

    /// One pass of the outbox: the e-mails over SMTP (when a server is configured), then
    /// each robot's posts; messages a dead sender left `sending` go out again (see
    /// [`deliver::drain`]).
    pub async fn send_outbox(&self) -> Result<deliver::DrainReport, RunError> {
        self.send_outbox_until(&tokio_util::sync::CancellationToken::new()).await
    }

    /// [`Seimon::send_outbox`], stopping when `shutdown` is cancelled while a robot waits
    /// for its rate window.
    pub async fn send_outbox_until(&self, shutdown: &tokio_util::sync::CancellationToken) -> Result<deliver::DrainReport, RunError> {
        let settings = &self.settings;
        let smtp = settings.smtp.as_ref().map(SmtpSender::new).transpose()?;
        let policy = settings.smtp.as_ref().map(|smtp| deliver::RetryPolicy {
            base: smtp.retry_base,
            max_attempts: smtp.max_attempts,
        });
        let robots: Vec<RobotSender> = settings.robots.iter().map(RobotSender::new).collect::<Result<_, _>>()?;
        let channels = deliver::Channels {
            smtp: smtp.as_ref().zip(policy),
            robots: &robots,
        };
        Ok(deliver::drain(&self.store, &channels, chrono::Utc::now(), shutdown).await?)
    }

    /// How complete a period's data is, as of a date: what the daemon reads to decide
    /// whether a scheduled report can go out.
    pub fn completeness(&self, period: Period, as_of: Option<NaiveDate>) -> Result<risk::Completeness, RunError> {
        let as_of = as_of.map(|d| d.to_string());
        let observations: Vec<_> = self
            .store
            .period_observations(period, as_of.as_deref())?
            .into_iter()
            .map(|s| s.obs)
            .collect();
        let top = &self.settings.monitor.region;
        let regions: Vec<String> = std::iter::once(top.clone())
            .chain(self.settings.catalogue.children_of(top).map(|r| r.code.clone()))
            .collect();
        let (_, completeness) = risk::data_quality(&risk::QualityInputs {
            period,
            observations: &observations,
            revisions: &[],
            regions: &regions,
            expected_indicators: &self.settings.expected_indicators,
            catalogue: &self.settings.catalogue,
            lang: self.settings.monitor.language,
        });
        Ok(completeness)
    }

    /// Marks as failed the runs a dead process left `running` (their period's file lock is
    /// free again); a run of a live process — the CLI beside the daemon — is left alone.
    /// Returns the periods whose runs were marked: they are safe to run again.
    pub fn recover_interrupted(&self) -> Result<Vec<String>, RunError> {
        let mut recovered = Vec::new();
        for period in self.store.unfinished_run_periods()? {
            let path = self.settings.paths.data.join("locks").join(format!("{period}.lock"));
            let free = match std::fs::File::create(&path) {
                Ok(f) => f.try_lock().is_ok(),
                Err(_) => true, // no lock directory: no process ever held it
            };
            if free {
                let n = self.store.interrupt_runs(&period)?;
                tracing::warn!(%period, runs = n, "a run was interrupted by a stop of the process; marked failed");
                recovered.push(period);
            }
        }
        Ok(recovered)
    }

    /// The silences in force: the configured ones and the acknowledgements made over the API
    /// (for a risk in both, the one that lasts longer).
    pub fn silences(&self) -> Result<Vec<risk::Silence>, RunError> {
        let mut silences = self.settings.silences.clone();
        for ack in self.store.risk_acks()? {
            let Ok(until) = ack.until.parse::<NaiveDate>() else { continue };
            match silences.iter_mut().find(|s| s.risk_id == ack.risk_id) {
                Some(s) if s.until >= until => {}
                Some(s) => {
                    s.until = until;
                    s.reason = ack.reason;
                }
                None => silences.push(risk::Silence {
                    risk_id: ack.risk_id,
                    reason: ack.reason,
                    until,
                }),
            }
        }
        Ok(silences)
    }

    /// The fingerprint of the data a run of `period` would read now: when it differs from
    /// the one a report was made from, that report is out of date.
    pub fn data_vintage(&self, period: Period) -> Result<String, RunError> {
        Ok(self.inputs(period, None)?.data_vintage)
    }

    pub(super) fn period_lock(&self, period: Period) -> Arc<tokio::sync::Mutex<()>> {
        self.locks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(period)
            .or_default()
            .clone()
    }
}
