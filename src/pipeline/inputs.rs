//! What a run reads from the store — observations, targets, projects, the class mapping,
//! the quarters of enterprise records its measures need (as partial aggregates) — with
//! the fingerprint of exactly those inputs (the data vintage).

use sha2::{Digest, Sha256};

use super::{RunError, Seimon};
use crate::compute;
use crate::model::period::Period;

/// How many quarters before the reported one are computed (for trends and t−4 inputs).
pub(super) const HISTORY_QUARTERS: i32 = 8;

/// The quarters (period indices) a run of `period` computes: the reports' history for the
/// monitored province, the quarter itself for every region.
pub(super) fn quarter_span(period: Period) -> compute::Span {
    compute::Span::quarter(&((period.index() - HISTORY_QUARTERS)..=period.index()))
}

/// The quarters a pass over the history from `from` to `to` computes: every quarter of
/// the range for every region, with the reports' history of the first for the monitored
/// province.
pub(super) fn history_span(from: Period, to: Period) -> compute::Span {
    compute::Span {
        focus_from: from.index() - HISTORY_QUARTERS,
        all_from: from.index(),
        to: to.index(),
    }
}

/// What a run reads from the store.
pub(super) struct Inputs {
    pub(super) observations: Vec<crate::model::observation::Observation>,
    /// Every enterprise batch released by the run's date, up to its period (the partials
    /// of a quarter are keyed by its batches and those a year earlier).
    pub(super) batches: Vec<crate::store::EnterpriseBatch>,
    /// The quarters whose partial aggregates of enterprise records the measures read.
    pub(super) partial_quarters: Vec<Period>,
    pub(super) targets: Vec<crate::model::target::Target>,
    pub(super) projects: Vec<crate::model::observation::Project>,
    pub(super) mapping: Vec<(String, String)>,
    pub(super) data_vintage: String,
}

impl Inputs {
    /// Whether anything was read for `period` itself (not only its history).
    pub(super) fn has_period(&self, period: Period) -> bool {
        self.observations.iter().any(|o| o.period == period) || self.partial_quarters.contains(&period)
    }

    /// How many enterprise records the partials read stand for.
    pub(super) fn enterprise_records(&self) -> usize {
        self.batches
            .iter()
            .filter(|b| self.partial_quarters.contains(&b.period))
            .map(|b| b.rows)
            .sum()
    }

    /// The latest release date of the observations read.
    pub(super) fn latest_release_date(&self) -> Option<String> {
        self.observations.iter().map(|o| o.release_date.as_str()).max().map(str::to_string)
    }
}

impl Seimon {
    /// Everything a run of `period` reads from the store, with its fingerprint.
    pub(super) fn inputs(&self, period: Period, as_of: Option<&str>) -> Result<Inputs, RunError> {
        self.inputs_of(&quarter_span(period), as_of)
    }

    /// What the measures of `span` read: everything up to its last quarter.
    pub(super) fn inputs_of(&self, span: &compute::Span, as_of: Option<&str>) -> Result<Inputs, RunError> {
        let period = Period::from_index(span.to).expect("a span ends at a quarter index of a period");
        let stored = self.store.observations(as_of, Some(period))?;
        let targets = crate::model::target::overlay(&self.settings.targets, &self.store.targets(as_of)?);
        // only the quarters of enterprise records the measures read
        let reads = compute::partial_quarters(span, &targets, !self.settings.tiers.is_empty());
        let batches = self.store.enterprise_batches(as_of, Some(period))?;
        let partial_quarters: std::collections::BTreeSet<Period> = batches.iter().map(|b| b.period).filter(|p| reads(p.index())).collect();
        let projects = self.store.projects(as_of, Some(period))?;
        let mapping = self.store.mapping(&self.settings.catalogue.name, as_of)?;
        // The data vintage: a fingerprint of exactly the inputs this run reads.
        let data_vintage = {
            let mut h = Sha256::new();
            for s in &stored {
                h.update(s.id.to_le_bytes());
            }
            h.update(format!("{targets:?}{projects:?}{mapping:?}").as_bytes());
            for b in batches.iter().filter(|b| partial_quarters.contains(&b.period)) {
                h.update(b.file_id.to_le_bytes());
                h.update(b.period.index().to_le_bytes());
            }
            hex::encode(h.finalize())[..16].to_string()
        };
        Ok(Inputs {
            observations: stored.into_iter().map(|s| s.obs).collect(),
            batches,
            partial_quarters: partial_quarters.into_iter().collect(),
            targets,
            projects,
            mapping,
            data_vintage,
        })
    }
}
