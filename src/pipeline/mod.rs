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
pub mod changes;
mod compose;
mod history;
mod inputs;
mod manifest;
pub mod run_log;
mod stages;
mod staging;

pub use self::app::Seimon;
pub use self::archive::new_run_id;
pub use self::changes::Change;
use self::changes::{changes, previous_values};
use self::compose::outbox_messages;
pub use self::history::HistorySummary;
use self::inputs::quarter_span;
use self::manifest::*;
use self::stages::{Computed, Risks, assessment_rows, disclosure_csv};
use self::staging::Staging;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use chrono::NaiveDate;
use polars::prelude::*;
use serde::Serialize;
use tracing::Instrument;

use crate::compute;
use crate::deliver::DeliverError;
use crate::mail;
use crate::model::period::Period;
use crate::render::{self, RenderError, ReportInput};
use crate::store::{OutboxState, RunFinish, StoreError};

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

/// One e-mail of a run, or one post to a chat robot (`to` = `robot:NAME`).
#[derive(Debug, Clone, Serialize)]
pub struct EmailRecord {
    pub audience: String,
    pub to: String,
    pub subject: String,
    pub message_id: String,
    /// The `.eml` file (a post: its JSON body), relative to the period folder.
    pub file: String,
    /// "written" (a file only), "sent", or "failed: …".
    pub status: String,
    /// Its key in the outbox.
    #[serde(skip)]
    pub(crate) key: String,
}

/// What a run sends: an e-mail, or a robot's post (its JSON body, unsigned).
pub(crate) enum Outgoing {
    Mail(lettre::Message),
    Post(Vec<u8>),
}

/// What the blocking part of a run made: the summary, each e-mail with its message (kept
/// together until it is queued), and the manifest (written again once the e-mails went).
struct Built {
    summary: RunSummary,
    composed: Vec<(EmailRecord, Outgoing)>,
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
        self.run_quarter_with(run_id, options, None).await
    }

    /// [`Seimon::run_quarter_as`], its measures taken out of `measures` when given (a pass
    /// over the history computes them once for every quarter).
    async fn run_quarter_with(
        &self,
        run_id: Option<String>,
        options: RunOptions,
        measures: Option<Arc<compute::Measures>>,
    ) -> Result<RunSummary, RunError> {
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
        let result = async {
            tracing::info!(trigger = options.trigger.as_str(), as_of = as_of.as_deref().unwrap_or("latest"), "run started");
            let result = self.run_inner(&run_id, &options, measures).await;
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
        .await;
        // The run's own lines, kept with its record (outside its span: a warning about
        // keeping them is not one of them).
        if let Err(e) = self.store.save_run_log(&run_id, &run_log::take(&run_id)) {
            tracing::warn!(%run_id, error = %e, "the run's log lines were not kept");
        }
        result
    }

    async fn run_inner(
        &self,
        run_id: &str,
        options: &RunOptions,
        measures: Option<Arc<compute::Measures>>,
    ) -> Result<RunSummary, RunError> {
        let this = self.clone();
        let (run_id_owned, opts) = (run_id.to_string(), options.clone());
        let span = tracing::Span::current();
        let Built {
            mut summary,
            mut composed,
            mut manifest,
        } = tokio::task::spawn_blocking(move || span.in_scope(|| this.build(&run_id_owned, &opts, measures.as_deref())))
            .await
            .map_err(|e| RunError::Join(e.to_string()))??;
        let wanted = options.send && (!options.only_if_changed || !summary.changes.is_empty());
        if options.send && !wanted {
            tracing::info!("no value changed since the previous run: nothing to send");
        }
        let posts = composed.iter().any(|(_, o)| matches!(o, Outgoing::Post(_)));
        if wanted && (self.settings.smtp.is_some() || posts) {
            let started = Instant::now();
            let smtp = self.settings.smtp.as_ref();
            let queued = outbox_messages(&composed, &summary, smtp.map(|s| s.from.to_string()));
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
                record.status = match states.get(&record.key) {
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

    /// The blocking part of a run: everything up to the e-mails, which it returns. Each
    /// step is timed: load, compute, risk, render, write.
    fn build(&self, run_id: &str, options: &RunOptions, measures: Option<&compute::Measures>) -> Result<Built, RunError> {
        let started_at = crate::store::now();
        let settings = &self.settings;
        let period = options.period;
        let mut timings = HashMap::new();
        let mut clock = Instant::now();
        let mut lap = |name: &'static str, timings: &mut HashMap<&'static str, u128>| {
            timings.insert(name, clock.elapsed().as_millis());
            clock = Instant::now();
        };

        let as_of = options.as_of.map(|d| d.to_string());
        let inputs = self.inputs(period, as_of.as_deref())?;
        if !inputs.has_period(period) {
            return Err(RunError::NoData(period));
        }
        let files = ManifestFile::loaded(&self.store, as_of.as_deref())?;
        lap("load", &mut timings);
        tracing::info!(
            observations = inputs.observations.len(),
            enterprise_records = inputs.enterprise_records(),
            projects = inputs.projects.len(),
            ms = timings["load"],
            "inputs read"
        );

        let Computed { mut current, table } = match measures {
            Some(measures) => self.quarter(measures, period)?,
            None => self.quarter(&self.measures(&inputs, &quarter_span(period))?, period)?,
        };
        lap("compute", &mut timings);
        tracing::info!(rows = current.height(), ms = timings["compute"], "measures computed");
        let suppression = self.disclose(&table, &inputs);
        let withheld = disclosure_csv(&current, &suppression)?;
        lap("disclose", &mut timings);
        tracing::info!(
            withheld_cells = suppression.cells.len(),
            ms = timings["disclose"],
            "disclosure control applied"
        );

        let Risks {
            flags,
            groups,
            completeness,
        } = self.risks(&table, &inputs.observations, period, options.as_of, as_of.as_deref())?;
        lap("risk", &mut timings);
        tracing::info!(flags = flags.len(), groups = groups.len(), ms = timings["risk"], "risks flagged");

        let assessment = self.assess(&table, &groups, period, &suppression);
        if let Some(a) = &assessment {
            current.vstack_mut(&assessment_rows(a, period)?)?;
        }
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
            data_vintage: &inputs.data_vintage,
            generated_at: &generated_at,
            notes: options.notes.clone(),
            flags: &flags,
            groups: &groups,
            key_risks: settings.key_risks,
            rules: &settings.rules,
            suppression: &suppression,
            completeness: Some(&completeness),
            tiers: &settings.tiers,
            assessment: assessment.as_ref(),
            chain_min_enterprises: settings.chain_min_enterprises,
            lang: settings.monitor.language,
        };
        // indicators.csv (for users) and indicators.parquet (for the API and the next run's
        // comparison) are written out while the reports render
        let tables = {
            let mut current = current.clone();
            std::thread::spawn(move || -> PolarsResult<(Vec<u8>, Vec<u8>)> {
                let (mut csv, mut parquet) = (Vec::new(), Vec::new());
                CsvWriter::new(&mut csv).include_header(true).finish(&mut current)?;
                // LZ4: written in half the time of the default zstd, 10 % larger
                ParquetWriter::new(&mut parquet)
                    .with_compression(ParquetCompression::Lz4Raw)
                    .finish(&mut current)?;
                Ok((csv, parquet))
            })
        };
        let mut reports_set = render::report_set(&input)?;
        let workbook = render::xlsx::workbook(&reports_set[0])?;
        lap("render", &mut timings);
        tracing::info!(reports = reports_set.len(), ms = timings["render"], "reports rendered");
        render::typeset_pdfs(&mut reports_set)?;
        lap("pdf", &mut timings);
        tracing::info!(reports = reports_set.len(), ms = timings["pdf"], "PDFs typeset");

        let reports = &settings.paths.reports;
        let changed = previous_values(&archive::current_folder(reports, period))
            .map(|before| changes(&before, &current))
            .transpose()?
            .unwrap_or_default();
        let composed = self.compose(&input, &reports_set, &current, &inputs.data_vintage)?;
        let mut staging = Staging::new(reports, run_id)?;
        let (csv, parquet) = tables.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        staging.put_run(&csv, &parquet, &flags, &reports_set, &workbook, &composed)?;
        staging.put("disclosure.csv", &withheld)?;
        lap("write", &mut timings);
        tracing::info!(changed_values = changed.len(), ms = timings["write"], "outputs written");

        staging.note("manifest.json");
        let manifest = Manifest {
            seimon_version: env!("CARGO_PKG_VERSION"),
            period: period.to_string(),
            run_id: run_id.to_string(),
            trigger: options.trigger,
            as_of,
            started_at,
            finished_at: crate::store::now(),
            data_vintage: inputs.data_vintage.clone(),
            inputs: ManifestInputs {
                observations: inputs.observations.len(),
                latest_release_date: inputs.latest_release_date(),
                files,
            },
            config: ManifestConfig::of(settings),
            timings_ms: timings.clone(),
            outputs: staging.outputs().to_vec(),
            emails: composed.iter().map(|(record, _)| record.clone()).collect(),
            completeness: ManifestCompleteness::of(&completeness),
            risks: ManifestRisks::of(&flags, &groups),
            disclosure: ManifestDisclosure::of(settings, &suppression, period, &reports_set),
        };
        manifest.write(staging.dir())?;
        let (dir, outputs) = staging.publish(reports, period)?;
        let kept = self.store.kept_run_ids()?;
        for old in archive::prune_runs(reports, period, settings.archive.keep_runs, &kept).map_err(io(reports))? {
            tracing::info!(dir = %old.display(), keep = settings.archive.keep_runs, "removed an old run of the period");
        }
        Ok(Built {
            summary: RunSummary {
                run_id: run_id.to_string(),
                period,
                dir,
                data_vintage: inputs.data_vintage,
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
