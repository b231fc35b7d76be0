//! What a run reads from the store — observations, targets, projects, the class mapping,
//! the enterprise batches its measures need — with the fingerprint of exactly those inputs
//! (the data vintage).

use std::collections::BTreeSet;

use polars::prelude::*;
use sha2::{Digest, Sha256};

use super::{RunError, Seimon};
use crate::compute;
use crate::model::period::Period;

/// How many quarters before the reported one are computed (for trends and t−4 inputs).
pub(super) const HISTORY_QUARTERS: i32 = 8;

/// The quarters (period indices) a run of `period` computes: the reports' history.
pub(super) fn history(period: Period) -> std::ops::RangeInclusive<i32> {
    (period.index() - HISTORY_QUARTERS)..=period.index()
}

/// What a run reads from the store.
pub(super) struct Inputs {
    pub(super) observations: Vec<crate::model::observation::Observation>,
    pub(super) batches: Vec<crate::store::EnterpriseBatch>,
    pub(super) targets: Vec<crate::model::target::Target>,
    pub(super) projects: Vec<crate::model::observation::Project>,
    pub(super) mapping: Vec<(String, String)>,
    pub(super) data_vintage: String,
}

/// A lazy scan of the enterprise batches; where a period has several, an enterprise's
/// record from the latest batch replaces the earlier ones.
pub(super) fn enterprise_scan(batches: &[crate::store::EnterpriseBatch]) -> PolarsResult<Option<LazyFrame>> {
    if batches.is_empty() {
        return Ok(None);
    }
    let scans = batches
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let path = b.path.display().to_string();
            Ok(LazyFrame::scan_parquet(PlRefPath::new(&path), ScanArgsParquet::default())?.with_column(lit(i as i64).alias("batch")))
        })
        .collect::<PolarsResult<Vec<_>>>()?;
    let all = concat(scans, UnionArgs::default())?;
    let periods: BTreeSet<Period> = batches.iter().map(|b| b.period).collect();
    let records = if periods.len() < batches.len() {
        all.sort(["batch"], SortMultipleOptions::default())
            .unique_stable(Some(cols(["year", "q", "enterprise_id"])), UniqueKeepStrategy::Last)
    } else {
        all
    };
    Ok(Some(records.drop(cols(["batch"]))))
}

impl Inputs {
    /// Whether anything was read for `period` itself (not only its history).
    pub(super) fn has_period(&self, period: Period) -> bool {
        self.observations.iter().any(|o| o.period == period) || self.batches.iter().any(|b| b.period == period)
    }

    /// The latest release date of the observations read.
    pub(super) fn latest_release_date(&self) -> Option<String> {
        self.observations.iter().map(|o| o.release_date.as_str()).max().map(str::to_string)
    }
}

impl Seimon {
    /// Everything a run of `period` reads from the store, with its fingerprint.
    pub(super) fn inputs(&self, period: Period, as_of: Option<&str>) -> Result<Inputs, RunError> {
        let stored = self.store.observations(as_of, Some(period))?;
        let targets = crate::model::target::overlay(&self.settings.targets, &self.store.targets(as_of)?);
        // only the quarters of enterprise records the measures read
        let reads = compute::record_quarters(&history(period), &targets);
        let batches: Vec<_> = self
            .store
            .enterprise_batches(as_of, Some(period))?
            .into_iter()
            .filter(|b| reads(b.period.index()))
            .collect();
        let projects = self.store.projects(as_of, Some(period))?;
        let mapping = self.store.mapping(&self.settings.catalogue.name, as_of)?;
        // The data vintage: a fingerprint of exactly the inputs this run reads.
        let data_vintage = {
            let mut h = Sha256::new();
            for s in &stored {
                h.update(s.id.to_le_bytes());
            }
            h.update(format!("{targets:?}{projects:?}{mapping:?}").as_bytes());
            for b in &batches {
                h.update(b.file_id.to_le_bytes());
                h.update(b.period.index().to_le_bytes());
            }
            hex::encode(h.finalize())[..16].to_string()
        };
        Ok(Inputs {
            observations: stored.into_iter().map(|s| s.obs).collect(),
            batches,
            targets,
            projects,
            mapping,
            data_vintage,
        })
    }
}
