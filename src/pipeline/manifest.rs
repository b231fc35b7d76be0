//! `manifest.json`: what a run read, computed, wrote and sent.

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;

use super::{EmailRecord, RunError, Trigger, io};

#[derive(Serialize)]
pub(super) struct ManifestFile {
    pub(super) name: String,
    pub(super) kind: String,
    pub(super) sha256: String,
    pub(super) loaded_at: String,
    pub(super) rows: i64,
    pub(super) new_vintages: i64,
}

/// A run's `manifest.json`, kept by the run until it has sent its e-mails: written into the
/// staging folder with the e-mails as written, and again with their outcomes once sent.
#[derive(Serialize)]
pub(super) struct Manifest {
    pub(super) seimon_version: &'static str,
    pub(super) period: String,
    pub(super) run_id: String,
    pub(super) trigger: Trigger,
    pub(super) as_of: Option<String>,
    pub(super) started_at: String,
    pub(super) finished_at: String,
    pub(super) data_vintage: String,
    pub(super) inputs: ManifestInputs,
    pub(super) config: ManifestConfig,
    pub(super) timings_ms: HashMap<&'static str, u128>,
    pub(super) outputs: Vec<String>,
    pub(super) emails: Vec<EmailRecord>,
    pub(super) completeness: ManifestCompleteness,
    pub(super) risks: ManifestRisks,
    pub(super) disclosure: ManifestDisclosure,
}

/// The audit of disclosure control: the rules, and the cells suppressed in the quarter,
/// in all and within each report's regions and industries.
#[derive(Serialize)]
pub(super) struct ManifestDisclosure {
    pub(super) policy: crate::disclosure::Policy,
    pub(super) primary: usize,
    pub(super) secondary: usize,
    pub(super) reports: Vec<ManifestDisclosed>,
}

#[derive(Serialize)]
pub(super) struct ManifestDisclosed {
    pub(super) file: String,
    pub(super) primary: usize,
    pub(super) secondary: usize,
}

impl ManifestDisclosure {
    pub(super) fn of(
        settings: &crate::config::Settings,
        suppression: &crate::disclosure::Suppression,
        period: crate::model::period::Period,
        reports: &[crate::render::RenderedReport],
    ) -> ManifestDisclosure {
        use crate::model::audience::Audience;
        use crate::model::catalogue::parent_code;
        let top = settings.monitor.region.as_str();
        let near_top = |r: &str| r == top || parent_code(r).as_deref() == Some(top);
        let (primary, secondary) = suppression.counts(period, |_, _| true);
        let reports = reports
            .iter()
            .map(|report| {
                let (primary, secondary) = match &report.audience {
                    Audience::Province => suppression.counts(period, |r, _| near_top(r)),
                    Audience::Industry(code) => suppression.counts(period, |r, i| i == code && near_top(r)),
                    Audience::Chain(code) => {
                        let row = format!("{}{code}", crate::model::chain::ROW_PREFIX);
                        suppression.counts(period, |r, i| crate::model::chain::row_of_chain(i, &row) && near_top(r))
                    }
                    Audience::City(code) => {
                        suppression.counts(period, |r, _| r == code || parent_code(r).as_deref() == Some(code.as_str()))
                    }
                };
                ManifestDisclosed {
                    file: report.file.clone(),
                    primary,
                    secondary,
                }
            })
            .collect();
        ManifestDisclosure {
            policy: settings.disclosure,
            primary,
            secondary,
            reports,
        }
    }
}

#[derive(Serialize)]
pub(super) struct ManifestCompleteness {
    pub(super) expected: usize,
    pub(super) present: usize,
    pub(super) pct: f64,
}

#[derive(Serialize)]
pub(super) struct ManifestRisks {
    pub(super) red: usize,
    pub(super) yellow: usize,
    pub(super) silenced: usize,
    pub(super) resolved: usize,
    pub(super) data_quality: usize,
    /// Business flags that do not matter enough to count (listed in `risks.csv`).
    pub(super) immaterial: usize,
    /// Groups (one per cause) that count, by light, and those listed under a cause.
    pub(super) groups_red: usize,
    pub(super) groups_yellow: usize,
    pub(super) groups_under_a_cause: usize,
}

#[derive(Serialize)]
pub(super) struct ManifestInputs {
    pub(super) observations: usize,
    pub(super) latest_release_date: Option<String>,
    pub(super) files: Vec<ManifestFile>,
}

#[derive(Serialize)]
pub(super) struct ManifestConfig {
    pub(super) origin: String,
    pub(super) sha256: String,
    pub(super) catalogue: String,
}

impl ManifestFile {
    /// The files loaded into the store (up to the end of `as_of`, when given).
    pub(super) fn loaded(store: &crate::store::Store, as_of: Option<&str>) -> Result<Vec<ManifestFile>, RunError> {
        let cutoff = as_of.map(|d| format!("{d}T23:59:59.999Z"));
        Ok(store
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
            .collect())
    }
}

impl ManifestConfig {
    pub(super) fn of(settings: &crate::config::Settings) -> ManifestConfig {
        ManifestConfig {
            origin: settings.origin.clone(),
            sha256: settings.hash.clone(),
            catalogue: settings.catalogue.name.clone(),
        }
    }
}

impl ManifestCompleteness {
    pub(super) fn of(c: &crate::risk::Completeness) -> ManifestCompleteness {
        ManifestCompleteness {
            expected: c.expected,
            present: c.present,
            pct: c.pct(),
        }
    }
}

impl ManifestRisks {
    /// The counts of the run's flags: lit ones by light, and the rest by why they do not count.
    pub(super) fn of(flags: &[crate::risk::Flag], groups: &[crate::risk::Group]) -> ManifestRisks {
        use crate::risk::{Class, Level, State};
        let lit = |level: Level| flags.iter().filter(|f| f.counts() && f.level == level).count();
        let groups_lit = |level: Level| {
            groups
                .iter()
                .filter(|g| g.counts() && g.cause.is_none() && g.level == level)
                .count()
        };
        ManifestRisks {
            red: lit(Level::Red),
            yellow: lit(Level::Yellow),
            silenced: flags.iter().filter(|f| f.silenced.is_some()).count(),
            resolved: flags.iter().filter(|f| f.state == State::Resolved).count(),
            data_quality: flags.iter().filter(|f| f.class == Class::DataQuality).count(),
            immaterial: flags.iter().filter(|f| f.class == Class::Business && !f.material).count(),
            groups_red: groups_lit(Level::Red),
            groups_yellow: groups_lit(Level::Yellow),
            groups_under_a_cause: groups.iter().filter(|g| g.counts() && g.cause.is_some()).count(),
        }
    }
}

impl Manifest {
    /// Writes the manifest as `manifest.json` in `dir`.
    pub(super) fn write(&self, dir: &Path) -> Result<(), RunError> {
        let path = dir.join("manifest.json");
        let json = serde_json::to_vec_pretty(self).expect("manifest serialises");
        std::fs::write(&path, json).map_err(io(&path))
    }
}
