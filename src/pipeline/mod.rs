//! The one entry point that runs a quarter: store → compute → render → write → deliver.
//!
//! Every door (the CLI, the scheduler and the HTTP API) calls [`Seimon::run_quarter`]. It
//! holds one lock per period — an in-process mutex and an OS file lock under
//! `<data>/locks/`, so two doors, or two processes, never run the same quarter at once.
//! A run writes into a staging folder and then swaps it into `reports/<period>/`; the
//! previous run moves beside it as `reports/<period>.<run id>/`, so the period's folder
//! always holds one complete run. Only this module calls the stages and does their I/O.

mod app;
pub mod archive;
mod changes;
mod compose;
mod inputs;
mod manifest;
mod staging;

pub use self::app::Seimon;
pub use self::archive::new_run_id;
pub use self::changes::Change;
use self::changes::{changes, previous_values};
use self::inputs::{Inputs, enterprise_scan, history};
use self::manifest::*;
use self::staging::Staging;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::NaiveDate;
use polars::prelude::*;
use serde::Serialize;
use tracing::Instrument;

use crate::compute::{self, MeasureTable};
use crate::deliver::DeliverError;
use crate::mail;
use crate::model::period::Period;
use crate::render::{self, RenderError, ReportInput};
use crate::risk;
use crate::store::{OutboxMessage, OutboxState, RunFinish, StoreError};

/// A run failed; the store and the previous report are intact.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("computing the measures: {0}")]
    Compute(#[from] PolarsError),
    #[error("rendering: {0}")]
    Render(#[from] RenderError),
    #[error("composing e-mail: {0}")]
    Mail(#[from] mail::MailError),
    #[error(transparent)]
    Deliver(#[from] DeliverError),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("no observations for {0}: load data first (seimon ingest FILE)")]
    NoData(Period),
    #[error("the run task failed: {0}")]
    Join(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> RunError + '_ {
    move |source| RunError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What asked for the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Trigger {
    Cli,
    Demo,
    Schedule,
    Api,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Trigger::Cli => "cli",
            Trigger::Demo => "demo",
            Trigger::Schedule => "schedule",
            Trigger::Api => "api",
        }
    }
}

/// Options of one run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub period: Period,
    /// Use only vintages released on or before this date.
    pub as_of: Option<NaiveDate>,
    /// Send the e-mails over SMTP (when configured); they are always written as `.eml`.
    pub send: bool,
    /// With `send`: send only when a value differs from the previous run of the period
    /// (the daemon's recompute after revised data: a correction, or nothing).
    pub only_if_changed: bool,
    pub trigger: Trigger,
    /// Extra notes for the report's data notes (e.g. "synthetic data").
    pub notes: Vec<String>,
}

/// One e-mail of a run.
#[derive(Debug, Clone, Serialize)]
pub struct EmailRecord {
    pub audience: String,
    pub to: String,
    pub subject: String,
    pub message_id: String,
    /// The `.eml` file, relative to the period folder.
    pub file: String,
    /// "written" (an .eml file only), "sent", or "failed: …".
    pub status: String,
}

/// The assessment as rows of `indicators.csv` (indicator `assessment`, industry `TEN`):
/// score, rank, and the points each component adds to the score.
fn assessment_rows(a: &crate::assessment::Assessment, period: Period) -> PolarsResult<DataFrame> {
    let (mut region, mut measure, mut value) = (Vec::new(), Vec::new(), Vec::new());
    for city in &a.cities {
        let mut push = |m: String, v: f64| {
            region.push(city.region.clone());
            measure.push(m);
            value.push(v);
        };
        push("assessment_score".into(), city.score);
        push("assessment_rank".into(), f64::from(city.rank));
        for (k, part) in a.components.iter().zip(&city.parts) {
            if let Some(p) = part {
                push(format!("assessment_{}", k.id), p.contribution);
            }
        }
    }
    let n = region.len();
    df!(
        "period" => vec![period.to_string(); n],
        "region_code" => region,
        "industry_code" => vec![crate::model::catalogue::TEN; n],
        "indicator" => vec![crate::model::catalogue::ASSESSMENT_INDICATOR; n],
        "measure" => measure,
        "value" => value,
    )
}

/// What the blocking part of a run made: the summary, each e-mail with its message (kept
/// together until it is queued), and the manifest (written again once the e-mails went).
struct Built {
    summary: RunSummary,
    composed: Vec<(EmailRecord, lettre::Message)>,
    manifest: Manifest,
}

/// What a run produced.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    pub run_id: String,
    pub period: Period,
    pub dir: PathBuf,
    pub data_vintage: String,
    pub measures: usize,
    pub outputs: Vec<String>,
    pub emails: Vec<EmailRecord>,
    pub timings_ms: HashMap<&'static str, u128>,
    /// Values that differ from the previous run of the period (empty on the first run).
    pub changes: Vec<Change>,
}

impl Seimon {
    /// Runs one quarter: recomputes its measures from the store, writes its report folder
    /// and its e-mails, and sends them when asked.
    pub async fn run_quarter(&self, options: RunOptions) -> Result<RunSummary, RunError> {
        self.run_quarter_as(None, options).await
    }

    /// [`Seimon::run_quarter`] under a run id chosen by the caller (the API answers with it
    /// before the run starts).
    pub async fn run_quarter_as(&self, run_id: Option<String>, options: RunOptions) -> Result<RunSummary, RunError> {
        let period = options.period;
        let in_process = self.period_lock(period);
        let _guard = in_process.lock().await;
        let lock_dir = self.settings.paths.data.join("locks");
        let lock_path = lock_dir.join(format!("{period}.lock"));
        let file_lock = tokio::task::spawn_blocking(move || -> Result<std::fs::File, RunError> {
            std::fs::create_dir_all(&lock_dir).map_err(io(&lock_dir))?;
            let f = std::fs::File::create(&lock_path).map_err(io(&lock_path))?;
            // released when the file is dropped (or the process dies)
            match f.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => {
                    tracing::info!(%period, "another process is running this quarter: waiting for it");
                    f.lock().map_err(io(&lock_path))?;
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(io(&lock_path)(e)),
            }
            Ok(f)
        })
        .await
        .map_err(|e| RunError::Join(e.to_string()))??;

        let run_id = run_id.unwrap_or_else(new_run_id);
        let as_of = options.as_of.map(|d| d.to_string());
        self.store.start_run(&run_id, period, options.trigger.as_str(), as_of.as_deref())?;
        let span = tracing::info_span!("run", %period, run_id = %run_id);
        async {
            tracing::info!(trigger = options.trigger.as_str(), as_of = as_of.as_deref().unwrap_or("latest"), "run started");
            let result = self.run_inner(&run_id, &options).await;
            drop(file_lock);
            match &result {
                Ok(summary) => {
                    let sent = summary.emails.iter().any(|e| e.status == "sent");
                    self.store.finish_run(
                        &run_id,
                        &RunFinish {
                            outputs: &summary.outputs,
                            error: None,
                            data_vintage: Some(&summary.data_vintage),
                            sent,
                        },
                    )?;
                    tracing::info!(measures = summary.measures, emails = summary.emails.len(), dir = %summary.dir.display(), "run succeeded");
                }
                Err(e) => {
                    let error = e.to_string();
                    self.store.finish_run(
                        &run_id,
                        &RunFinish {
                            outputs: &[],
                            error: Some(&error),
                            data_vintage: None,
                            sent: false,
                        },
                    )?;
                    tracing::error!(error = %e, "run failed");
                }
            }
            result
        }
        .instrument(span)
        .await
    }

    async fn run_inner(&self, run_id: &str, options: &RunOptions) -> Result<RunSummary, RunError> {
        let this = self.clone();
        let (run_id_owned, opts) = (run_id.to_string(), options.clone());
        let span = tracing::Span::current();
        let Built {
            mut summary,
            mut composed,
            mut manifest,
        } = tokio::task::spawn_blocking(move || span.in_scope(|| this.build(&run_id_owned, &opts)))
            .await
            .map_err(|e| RunError::Join(e.to_string()))??;
        let wanted = options.send && (!options.only_if_changed || !summary.changes.is_empty());
        if options.send && !wanted {
            tracing::info!("no value changed since the previous run: nothing to send");
        }
        if wanted && let Some(smtp) = &self.settings.smtp {
            let started = Instant::now();
            let from = smtp.from.to_string();
            let queued: Vec<OutboxMessage> = composed
                .iter()
                .map(|(record, message)| OutboxMessage {
                    id: 0,
                    key: OutboxMessage::key_for(&record.audience, &summary.period.to_string(), &summary.data_vintage, &record.to),
                    message_id: record.message_id.clone(),
                    run_id: summary.run_id.clone(),
                    period: summary.period.to_string(),
                    audience: record.audience.clone(),
                    sender: from.clone(),
                    recipient: record.to.clone(),
                    subject: record.subject.clone(),
                    message: message.formatted(),
                    state: OutboxState::Pending,
                    attempts: 0,
                    next_attempt_at: String::new(),
                    last_error: None,
                    created_at: String::new(),
                    sent_at: None,
                })
                .collect();
            let added = self.store.enqueue(&queued)?;
            tracing::info!(queued = queued.len(), new = added, "e-mails in the outbox");
            summary.timings_ms.insert("outbox", started.elapsed().as_millis());
            let sending = Instant::now();
            self.send_outbox().await?;
            let states: HashMap<String, (OutboxState, Option<String>)> = self
                .store
                .outbox()?
                .into_iter()
                .map(|m| (m.key.clone(), (m.state, m.last_error.clone())))
                .collect();
            for (record, _) in &mut composed {
                let key = OutboxMessage::key_for(&record.audience, &summary.period.to_string(), &summary.data_vintage, &record.to);
                record.status = match states.get(&key) {
                    Some((state, Some(error))) if *state != OutboxState::Sent => format!("{state}: {error}"),
                    Some((state, _)) => state.to_string(),
                    None => "unknown".into(),
                };
            }
            summary.timings_ms.insert("send", sending.elapsed().as_millis());
            // the manifest again, with what became of each e-mail
            manifest.emails = composed.iter().map(|(record, _)| record.clone()).collect();
            manifest.timings_ms = summary.timings_ms.clone();
            manifest.write(&summary.dir)?;
        }
        summary.emails = composed.into_iter().map(|(record, _)| record).collect();
        Ok(summary)
    }

    /// A run's flags: the business rules over the measure history, silences applied, and
    /// the data-quality findings with the period's completeness.
    fn risks(
        &self,
        table: &MeasureTable,
        observations: &[crate::model::observation::Observation],
        period: Period,
        as_of_day: Option<NaiveDate>,
        as_of: Option<&str>,
    ) -> Result<(Vec<risk::Flag>, risk::Completeness), RunError> {
        let settings = &self.settings;
        let catalogue = &settings.catalogue;
        let rule_measures: Vec<&str> = settings.rules.iter().map(|r| r.measure.as_str()).collect();
        let rows = table.rows(&rule_measures);
        let today = as_of_day.unwrap_or_else(|| settings.today());
        let lang = settings.monitor.language;
        let silences = self.silences()?;
        let mut flags = risk::evaluate(&settings.rules, &rows, period, &silences, today, catalogue, lang);
        let revisions = self.store.revisions(period, as_of)?;
        let top = settings.monitor.region.clone();
        let regions: Vec<String> = std::iter::once(top.clone())
            .chain(catalogue.children_of(&top).map(|r| r.code.clone()))
            .collect();
        let (quality, completeness) = risk::data_quality(&risk::QualityInputs {
            period,
            observations,
            revisions: &revisions,
            regions: &regions,
            expected_indicators: &settings.expected_indicators,
            catalogue,
            lang,
        });
        flags.extend(quality);
        Ok((flags, completeness))
    }

    /// The blocking part of a run: everything up to the e-mails, which it returns.
    fn build(&self, run_id: &str, options: &RunOptions) -> Result<Built, RunError> {
        let started_at = crate::store::now();
        let settings = &self.settings;
        let period = options.period;
        let mut timings = HashMap::new();
        let mut clock = Instant::now();
        let mut lap = |name: &'static str, timings: &mut HashMap<&'static str, u128>| {
            timings.insert(name, clock.elapsed().as_millis());
            clock = Instant::now();
        };

        // Load.
        let as_of = options.as_of.map(|d| d.to_string());
        let Inputs {
            stored,
            batches,
            targets,
            projects,
            mapping,
            data_vintage,
        } = self.inputs(period, as_of.as_deref())?;
        if !stored.iter().any(|s| s.obs.period == period) && !batches.iter().any(|b| b.period == period) {
            return Err(RunError::NoData(period));
        }
        let latest_release = stored.iter().map(|s| s.obs.release_date.as_str()).max().map(str::to_string);
        let cutoff = as_of.as_deref().map(|d| format!("{d}T23:59:59.999Z"));
        let files: Vec<ManifestFile> = self
            .store
            .files()?
            .into_iter()
            .filter(|f| cutoff.as_deref().is_none_or(|c| f.loaded_at.as_str() <= c))
            .map(|f| ManifestFile {
                name: f.name,
                kind: f.kind,
                sha256: f.sha256,
                loaded_at: f.loaded_at,
                rows: f.rows,
                new_vintages: f.new_vintages,
            })
            .collect();
        let observations: Vec<_> = stored.into_iter().map(|s| s.obs).collect();
        lap("load", &mut timings);

        // Compute.
        let history = history(period);
        // Every measure of a region depends only on regions of its own province: the
        // monitored region's province gets the history the reports and risk rules read,
        // every other region (at national scale) the quarter itself.
        let focus = settings.monitor.region[..2].to_string();
        let inputs = compute::Inputs {
            focus: Some(focus.clone()),
            observations: &observations,
            targets: &targets,
            projects: &projects,
            enterprises: enterprise_scan(&batches)?,
            mapping: &mapping,
            members: settings.catalogue.members().map(|i| i.code.clone()).collect(),
            stocks: settings.catalogue.stocks(),
            tiers: settings.tiers.clone(),
        };
        let long = compute::compute(inputs, history)?;
        let mut current = long.clone().lazy().filter(col("period").eq(lit(period.to_string()))).collect()?;
        let table = MeasureTable::from_frame(&long.lazy().filter(compute::in_focus(Some(&focus))).collect()?)?;
        lap("compute", &mut timings);

        // Risks: business rules over the measure history, and data quality.
        let catalogue = &settings.catalogue;
        let lang = settings.monitor.language;
        let top = settings.monitor.region.clone();
        let (flags, completeness) = self.risks(&table, &observations, period, options.as_of, as_of.as_deref())?;
        lap("risk", &mut timings);

        // The assessment of the sub-regions (cities), from the measures and the risks.
        let assessment = (!settings.assessment.is_empty()).then(|| {
            let cities: Vec<String> = catalogue.children_of(&top).map(|r| r.code.clone()).collect();
            let period_text = period.to_string();
            crate::assessment::assess(&settings.assessment, &cities, |k, city| match k.measure.as_str() {
                "red_risks" | "yellow_risks" => {
                    let level = if k.measure == "red_risks" {
                        risk::Level::Red
                    } else {
                        risk::Level::Yellow
                    };
                    Some(flags.iter().filter(|f| f.region == city && f.level == level && f.counts()).count() as f64)
                }
                measure => table.get(&period_text, city, &k.industry, &k.indicator, measure),
            })
        });
        if let Some(a) = &assessment {
            current.vstack_mut(&assessment_rows(a, period)?)?;
        }

        // Render.
        let generated_at = chrono::Utc::now()
            .with_timezone(&settings.schedule.tz)
            .format("%Y-%m-%d %H:%M")
            .to_string();
        let input = ReportInput {
            period,
            measures: &table,
            catalogue: &settings.catalogue,
            region: &settings.monitor.region,
            indicator: &settings.monitor.headline_indicator,
            data_vintage: &data_vintage,
            generated_at: &generated_at,
            notes: options.notes.clone(),
            flags: &flags,
            completeness: Some(&completeness),
            tiers: &settings.tiers,
            assessment: assessment.as_ref(),
            lang,
        };
        // indicators.csv is written out while the reports render
        let csv = {
            let mut current = current.clone();
            std::thread::spawn(move || -> PolarsResult<Vec<u8>> {
                let mut csv = Vec::new();
                CsvWriter::new(&mut csv).include_header(true).finish(&mut current)?;
                Ok(csv)
            })
        };
        let reports_set = render::report_set(&input)?;
        let workbook = render::xlsx::workbook(&reports_set[0])?;
        lap("render", &mut timings);

        // What changed since the previous run of the period.
        let reports = &settings.paths.reports;
        let dir = reports.join(period.to_string());
        let changed = previous_values(&dir)
            .map(|before| changes(&before, &current))
            .transpose()?
            .unwrap_or_default();
        // Compose the e-mails: each subscription gets its audience's report.
        let composed = self.compose(&input, &reports_set, &current, &data_vintage)?;

        // Write the staging folder, then swap it into place.
        let mut staging = Staging::new(reports, run_id)?;
        let csv = csv.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        staging.put("indicators.csv", &csv)?;
        staging.put("risks.csv", &risk::to_csv(&flags))?;
        for report in &reports_set {
            staging.put(&report.file, report.html.as_bytes())?;
            for chart in &report.charts {
                staging.put(&format!("charts/{}", chart.file_name()), &chart.png)?;
            }
        }
        staging.put("report.xlsx", &workbook)?;
        for (record, message) in &composed {
            staging.put_eml(&record.file, message)?;
        }
        lap("write", &mut timings);
        staging.note("manifest.json");
        let manifest = Manifest {
            seimon_version: env!("CARGO_PKG_VERSION"),
            period: period.to_string(),
            run_id: run_id.to_string(),
            trigger: options.trigger,
            as_of,
            started_at,
            finished_at: crate::store::now(),
            data_vintage: data_vintage.clone(),
            inputs: ManifestInputs {
                observations: observations.len(),
                latest_release_date: latest_release,
                files,
            },
            config: ManifestConfig {
                origin: settings.origin.clone(),
                sha256: settings.hash.clone(),
                catalogue: settings.catalogue.name.clone(),
            },
            timings_ms: timings.clone(),
            outputs: staging.outputs().to_vec(),
            emails: composed.iter().map(|(record, _)| record.clone()).collect(),
            completeness: ManifestCompleteness {
                expected: completeness.expected,
                present: completeness.present,
                pct: completeness.pct(),
            },
            risks: ManifestRisks {
                red: flags.iter().filter(|f| f.counts() && f.level == risk::Level::Red).count(),
                yellow: flags.iter().filter(|f| f.counts() && f.level == risk::Level::Yellow).count(),
                silenced: flags.iter().filter(|f| f.silenced.is_some()).count(),
                resolved: flags.iter().filter(|f| f.state == risk::State::Resolved).count(),
                data_quality: flags.iter().filter(|f| f.class == risk::Class::DataQuality).count(),
            },
        };
        manifest.write(staging.dir())?;
        let (dir, outputs) = staging.publish(reports, period)?;
        let kept = self.store.kept_run_ids()?;
        for old in crate::pipeline::archive::prune_runs(reports, period, settings.archive.keep_runs, &kept).map_err(io(reports))? {
            tracing::info!(dir = %old.display(), keep = settings.archive.keep_runs, "removed an old run of the period");
        }
        Ok(Built {
            summary: RunSummary {
                run_id: run_id.to_string(),
                period,
                dir,
                data_vintage,
                measures: current.height(),
                outputs,
                emails: Vec::new(),
                timings_ms: timings,
                changes: changed,
            },
            composed,
            manifest,
        })
    }
}
