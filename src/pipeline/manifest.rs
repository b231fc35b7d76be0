//! `manifest.json`: what a run read, computed, wrote and sent.

use super::*;

#[derive(Serialize)]
pub(super) struct ManifestFile {
    pub(super) name: String,
    pub(super) kind: String,
    pub(super) sha256: String,
    pub(super) loaded_at: String,
    pub(super) rows: i64,
    pub(super) new_vintages: i64,
}

#[derive(Serialize)]
pub(super) struct Manifest<'a> {
    pub(super) seimon_version: &'static str,
    pub(super) period: String,
    pub(super) run_id: &'a str,
    pub(super) trigger: Trigger,
    pub(super) as_of: Option<String>,
    pub(super) started_at: String,
    pub(super) finished_at: String,
    pub(super) data_vintage: &'a str,
    pub(super) inputs: ManifestInputs,
    pub(super) config: ManifestConfig<'a>,
    pub(super) timings_ms: &'a HashMap<&'static str, u128>,
    pub(super) outputs: &'a [String],
    pub(super) emails: &'a [EmailRecord],
    pub(super) completeness: ManifestCompleteness,
    pub(super) risks: ManifestRisks,
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
}

#[derive(Serialize)]
pub(super) struct ManifestInputs {
    pub(super) observations: usize,
    pub(super) latest_release_date: Option<String>,
    pub(super) files: Vec<ManifestFile>,
}

#[derive(Serialize)]
pub(super) struct ManifestConfig<'a> {
    pub(super) origin: &'a str,
    pub(super) sha256: &'a str,
    pub(super) catalogue: &'a str,
}
