//! A pass over the history: the quarters of a range computed a few at a time in one plan —
//! the store's partial aggregates of each quarter read once, each measure stage run once
//! over all the plan's quarters — and then each quarter's run (its folder, flags, reports,
//! e-mails) made from its share of the measures, exactly as `seimon recompute --period`
//! makes it. Nothing is sent unless asked.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

use super::inputs::history_span;
use super::{RunError, RunOptions, RunSummary, Seimon};
use crate::model::period::Period;

/// What a pass over the history did.
#[derive(Debug)]
pub struct HistorySummary {
    /// Each quarter's run, oldest first.
    pub runs: Vec<RunSummary>,
    /// The quarters of the range with no data (no run).
    pub skipped: Vec<Period>,
    /// The time to compute the measures of every quarter, ms (all the plans).
    pub compute_ms: u128,
}

impl Seimon {
    /// The quarters with data in the store (observations or enterprise records), oldest
    /// first.
    pub fn data_periods(&self, as_of: Option<&str>) -> Result<BTreeSet<Period>, RunError> {
        let mut periods: BTreeSet<Period> = self.store.periods()?.into_iter().collect();
        periods.extend(self.store.enterprise_batches(as_of, None)?.into_iter().map(|b| b.period));
        Ok(periods)
    }

    /// Runs every quarter from `from` to `to` with `options` (its period aside): the
    /// measures are computed for [`QUARTERS_A_PLAN`] quarters at a time, then those quarters
    /// are run, two at once, each under its own lock, from their share of them. A quarter
    /// without data is skipped; the first run that fails stops the pass (the quarters run
    /// before it are kept).
    pub async fn run_history(&self, from: Period, to: Period, options: RunOptions) -> Result<HistorySummary, RunError> {
        let as_of = options.as_of.map(|d| d.to_string());
        let with_data = self.data_periods(as_of.as_deref())?;
        let mut pass = HistorySummary {
            runs: Vec::new(),
            skipped: Vec::new(),
            compute_ms: 0,
        };
        let quarters: Vec<Period> = (from.index()..=to.index()).filter_map(Period::from_index).collect();
        for plan in quarters.chunks(QUARTERS_A_PLAN) {
            let (run, skip): (Vec<Period>, Vec<Period>) = plan.iter().partition(|p| with_data.contains(p));
            for period in &skip {
                tracing::info!(%period, "no data for the quarter: skipped");
            }
            pass.skipped.extend(skip);
            let (Some(&first), Some(&last)) = (run.first(), run.last()) else {
                continue;
            };
            let started = Instant::now();
            let this = self.clone();
            let as_of = as_of.clone();
            let span = tracing::Span::current();
            let measures = tokio::task::spawn_blocking(move || {
                span.in_scope(|| -> Result<_, RunError> {
                    let span = history_span(first, last);
                    let inputs = this.inputs_of(&span, as_of.as_deref())?;
                    Ok(Arc::new(this.measures(&inputs, &span)?))
                })
            })
            .await
            .map_err(|e| RunError::Join(e.to_string()))??;
            let ms = started.elapsed().as_millis();
            pass.compute_ms += ms;
            tracing::info!(from = %first, to = %last, ms, "measures of the quarters computed");
            for pair in run.chunks(2) {
                let quarter = |period: Period| {
                    let options = RunOptions { period, ..options.clone() };
                    self.run_quarter_with(None, options, Some(measures.clone()))
                };
                let (a, b) = match pair {
                    [a, b] => tokio::join!(quarter(*a), async { Some(quarter(*b).await) }),
                    [a] => (quarter(*a).await, None),
                    _ => unreachable!("chunks of two"),
                };
                pass.runs.push(a?);
                pass.runs.extend(b.transpose()?);
            }
        }
        Ok(pass)
    }
}

/// How many quarters' measures a pass computes in one plan. The time is about the same for
/// the whole history at once (a plan's first quarters read the year before it again), the
/// memory is not: at national scale the measures of 24 quarters held 8.4 GiB at their peak;
/// a plan of six holds 0.8 GiB beside two quarters' runs, 3.5 GiB at most in all.
const QUARTERS_A_PLAN: usize = 6;
