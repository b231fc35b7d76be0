//! The schedule's bookkeeping: which quarter's report is due, whether its data are in, and
//! which reports revised data have made out of date.
//!
//! tokio-cron-scheduler only wakes the daemon (see `serve`); what is due is decided here,
//! from the store, so that it survives restarts: a watermark records up to when the cron
//! firings have been registered, and each firing registers the quarter before it (the
//! report of 25 January is for Q4) as `waiting` in the `schedule` table, exactly once. A
//! waiting report goes out when its data are complete, or at its deadline with the missing
//! series named; it is then `done` and never runs again. After downtime the firings missed
//! are registered on the next [`Scheduler::tick`], so each missed period runs once.
//!
//! [`Scheduler::tick`] takes the time as an argument: the daemon passes the clock, tests
//! pass the instant they want.

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use crate::daemon::runs::Runs;
use crate::model::period::Period;
use crate::pipeline::{RunError, RunOptions, Trigger};
use crate::store::{RunState, ScheduleState, StoreError};

/// The scheduler's bookkeeping failed (a run's own failure is reported in the tick).
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Run(#[from] RunError),
}

const WATERMARK: &str = "schedule_watermark";
/// More firings than this between two ticks are not listed one by one (a cron firing every
/// second over a long downtime); the periods they are due for are what matters.
const MAX_FIRINGS: usize = 200_000;

/// The cron firings in `(after, until]`, each with the period it is due for (the latest
/// quarter ended by the firing's date in the schedule's time zone), one per period, first
/// firing kept.
pub fn due_between(cron: &croner::Cron, tz: chrono_tz::Tz, after: DateTime<Utc>, until: DateTime<Utc>) -> Vec<(Period, DateTime<Utc>)> {
    let mut due: Vec<(Period, DateTime<Utc>)> = Vec::new();
    for firing in cron.iter_after(after.with_timezone(&tz)).take(MAX_FIRINGS) {
        let utc = firing.with_timezone(&Utc);
        if utc > until {
            break;
        }
        let period = Period::latest_complete(firing.date_naive());
        if !due.iter().any(|(p, _)| *p == period) {
            due.push((period, utc));
        }
    }
    due
}

/// What one tick did.
#[derive(Debug, Default, Clone)]
pub struct TickReport {
    /// Periods whose report became due in this tick.
    pub registered: Vec<Period>,
    /// Scheduled reports that went out: period, run id, whether the data were complete.
    pub reported: Vec<(Period, String, bool)>,
    /// Due reports still waiting for their data.
    pub waiting: Vec<Period>,
    /// Reported periods recomputed because their data changed: period, run id.
    pub recomputed: Vec<(Period, String)>,
    /// Runs that failed: period, error.
    pub failed: Vec<(Period, String)>,
}

/// The scheduler's step.
#[derive(Clone)]
pub struct Scheduler {
    runs: Runs,
    shutdown: CancellationToken,
    /// The load ledger's size when reported periods were last compared with the store.
    checked_files: std::sync::Arc<std::sync::Mutex<Option<usize>>>,
}

impl Scheduler {
    pub fn new(runs: Runs, shutdown: CancellationToken) -> Scheduler {
        Scheduler {
            runs,
            shutdown,
            checked_files: Default::default(),
        }
    }

    pub fn app(&self) -> &crate::pipeline::Seimon {
        self.runs.app()
    }

    /// One step at time `now`: registers the reports that became due, sends those whose data
    /// are complete or whose deadline has come, and recomputes reported periods whose data
    /// changed. Stops starting runs once shutdown is asked.
    pub async fn tick(&self, now: DateTime<Utc>) -> Result<TickReport, ScheduleError> {
        let app = self.runs.app().clone();
        let settings = app.settings.clone();
        let schedule = &settings.schedule;
        let mut report = TickReport::default();

        // 1. Register the firings since the watermark.
        let watermark = app.store.meta(WATERMARK)?.and_then(|w| DateTime::parse_from_rfc3339(&w).ok());
        match watermark {
            None => {
                tracing::info!(report = %schedule.report, timezone = %schedule.tz, "first start: reports are scheduled from now on");
                app.store.schedule_due(&[], &now.to_rfc3339())?;
            }
            Some(w) if w.with_timezone(&Utc) < now => {
                let due: Vec<(Period, String)> = due_between(&schedule.report_cron, schedule.tz, w.with_timezone(&Utc), now)
                    .into_iter()
                    .map(|(p, t)| (p, t.to_rfc3339()))
                    .collect();
                for period in app.store.schedule_due(&due, &now.to_rfc3339())? {
                    tracing::info!(%period, "report due");
                    report.registered.push(period);
                }
            }
            Some(_) => {} // the clock has not moved on (or went back): nothing new is due
        }

        // 2. Send the due reports whose data are in, or whose deadline has come.
        for record in app.store.schedule()? {
            if record.state != ScheduleState::Waiting {
                continue;
            }
            let Ok(period) = record.period.parse::<Period>() else { continue };
            if self.shutdown.is_cancelled() {
                report.waiting.push(period);
                continue;
            }
            let due_at = DateTime::parse_from_rfc3339(&record.due_at).map_or(now, |d| d.with_timezone(&Utc));
            let deadline = due_at + schedule.deadline;
            let done = {
                let app = app.clone();
                tokio::task::spawn_blocking(move || app.completeness(period, None))
                    .await
                    .map_err(|e| RunError::Join(e.to_string()))??
            };
            let complete = done.missing.is_empty();
            if !complete && now < deadline {
                tracing::info!(%period, present = done.present, expected = done.expected, deadline = %deadline.with_timezone(&schedule.tz), "report waiting for its data");
                report.waiting.push(period);
                continue;
            }
            let mut notes = Vec::new();
            if !complete {
                let day = deadline.with_timezone(&schedule.tz).date_naive();
                notes.push(crate::model::labels::fill(
                    settings.monitor.language,
                    "本报告按报送期限（{day}）发布，数据尚不完整：应报{expected}项，缺{missing}项，见数据说明。",
                    &[
                        ("day", &day.to_string()),
                        ("expected", &done.expected.to_string()),
                        ("missing", &done.missing.len().to_string()),
                    ],
                ));
                tracing::warn!(%period, missing = done.missing.len(), "deadline reached: the report goes out incomplete");
            }
            let status = self
                .runs
                .run(RunOptions {
                    period,
                    as_of: None,
                    send: true,
                    only_if_changed: false,
                    trigger: Trigger::Schedule,
                    notes,
                })
                .await;
            match status {
                Some(s) if s.state == RunState::Succeeded => {
                    app.store.schedule_done(period, &s.run_id, complete)?;
                    report.reported.push((period, s.run_id, complete));
                }
                Some(s) => {
                    let error = s.error.unwrap_or_else(|| "failed".into());
                    tracing::error!(%period, %error, "the scheduled report failed; it stays due");
                    report.failed.push((period, error));
                }
                None => report.failed.push((period, "the run was lost".into())),
            }
        }

        // 3. Recompute reported periods whose data changed (only after a load).
        let files = app.store.files()?.len();
        let changed = *self.checked_files.lock().unwrap_or_else(|p| p.into_inner()) != Some(files);
        if changed {
            let failures = report.failed.len();
            let sent: Vec<String> = app
                .store
                .schedule()?
                .into_iter()
                .filter(|r| r.state == ScheduleState::Done)
                .map(|r| r.period)
                .collect();
            for run in app.store.latest_runs()? {
                if self.shutdown.is_cancelled() {
                    break;
                }
                let (Ok(period), Some(vintage)) = (run.period.parse::<Period>(), run.data_vintage.as_deref()) else {
                    continue;
                };
                if report.reported.iter().any(|(p, _, _)| *p == period) {
                    continue;
                }
                let now_vintage = {
                    let app = app.clone();
                    tokio::task::spawn_blocking(move || app.data_vintage(period))
                        .await
                        .map_err(|e| RunError::Join(e.to_string()))??
                };
                if now_vintage == vintage {
                    continue;
                }
                let send = schedule.send_corrections && (run.sent || sent.contains(&run.period));
                tracing::info!(%period, before = vintage, after = %now_vintage, send, "the data of a reported period changed: recomputing");
                match self
                    .runs
                    .run(RunOptions {
                        period,
                        as_of: None,
                        send,
                        only_if_changed: true,
                        trigger: Trigger::Schedule,
                        notes: vec![],
                    })
                    .await
                {
                    Some(s) if s.state == RunState::Succeeded => report.recomputed.push((period, s.run_id)),
                    Some(s) => report.failed.push((period, s.error.unwrap_or_default())),
                    None => report.failed.push((period, "the run was lost".into())),
                }
            }
            // looked at again after the next load, or at once when something failed
            if report.failed.len() == failures && !self.shutdown.is_cancelled() {
                *self.checked_files.lock().unwrap_or_else(|p| p.into_inner()) = Some(files);
            }
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    fn periods(due: &[(Period, DateTime<Utc>)]) -> Vec<String> {
        due.iter().map(|(p, t)| format!("{p}@{}", t.to_rfc3339())).collect()
    }

    #[test]
    fn each_firing_is_due_for_the_quarter_before_it_in_shanghai_time() {
        let cron = crate::config::parse_cron("0 0 9 25 1,4,7,10 *").unwrap();
        let tz = chrono_tz::Asia::Shanghai;
        let due = due_between(&cron, tz, utc("2024-12-31T00:00:00Z"), utc("2025-12-31T00:00:00Z"));
        assert_eq!(
            periods(&due),
            [
                "2024Q4@2025-01-25T01:00:00+00:00",
                "2025Q1@2025-04-25T01:00:00+00:00",
                "2025Q2@2025-07-25T01:00:00+00:00",
                "2025Q3@2025-10-25T01:00:00+00:00",
            ]
        );
        // (after, until]: a firing exactly at `until` is due, one exactly at `after` is not
        let at = utc("2025-04-25T01:00:00Z");
        assert_eq!(periods(&due_between(&cron, tz, utc("2025-04-01T00:00:00Z"), at)).len(), 1);
        assert!(due_between(&cron, tz, at, utc("2025-05-01T00:00:00Z")).is_empty());
    }

    #[test]
    fn several_firings_for_one_quarter_make_it_due_once() {
        // on the 5th and 25th of every month: the six firings from April to June are all due
        // for Q1, the one of 5 July for Q2
        let cron = crate::config::parse_cron("0 0 9 5,25 * *").unwrap();
        let due = due_between(
            &cron,
            chrono_tz::Asia::Shanghai,
            utc("2025-04-01T00:00:00Z"),
            utc("2025-07-06T00:00:00Z"),
        );
        assert_eq!(
            periods(&due),
            ["2025Q1@2025-04-05T01:00:00+00:00", "2025Q2@2025-07-05T01:00:00+00:00"]
        );
    }

    #[test]
    fn five_field_cron_lines_and_nonsense_are_refused() {
        assert!(crate::config::parse_cron("0 9 25 1,4,7,10 *").unwrap_err().contains("5 fields"));
        assert!(crate::config::parse_cron("0 0 9 32 1 *").is_err());
        assert!(crate::config::parse_cron("0 0 9 25 1,4,7,10 *").is_ok());
    }
}
