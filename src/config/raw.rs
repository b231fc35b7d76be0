//! The configuration as written: every section and key, all optional, unknown keys
//! refused. The built-in defaults, the file and the environment are merged as tables and
//! read into these types; validation turns them into [`Settings`](super::Settings).

use std::path::PathBuf;

use serde::Deserialize;

use super::{LogFormat, Security};
use crate::model::language::Language;

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawSettings {
    pub(super) paths: RawPaths,
    pub(super) monitor: RawMonitor,
    pub(super) mail: RawMail,
    pub(super) smtp: Option<RawSmtp>,
    pub(super) subscriptions: Vec<RawSubscription>,
    pub(super) robots: Vec<RawRobot>,
    pub(super) console: RawConsole,
    pub(super) api: RawApi,
    pub(super) schedule: RawSchedule,
    pub(super) log: RawLog,
    pub(super) targets: Vec<crate::model::target::TargetFields>,
    pub(super) demo: RawDemo,
    pub(super) ingest: RawIngest,
    pub(super) archive: RawArchive,
    pub(super) disclosure: RawDisclosure,
    pub(super) chains: RawChains,
    pub(super) risk: RawRisk,
    pub(super) rules: Vec<RawRule>,
    pub(super) silences: Vec<RawSilence>,
    pub(super) indicators: Vec<RawIndicator>,
    pub(super) tiers: Vec<RawTier>,
    pub(super) assessment: RawAssessment,
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawAssessment {
    pub(super) components: Vec<RawComponent>,
}

/// One component of the city assessment.
#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawComponent {
    pub(super) id: Option<String>,
    pub(super) name: Option<String>,
    pub(super) name_en: Option<String>,
    pub(super) measure: Option<String>,
    pub(super) industry: Option<String>,
    pub(super) indicator: Option<String>,
    pub(super) weight: Option<f64>,
    pub(super) direction: Option<crate::assessment::Direction>,
    pub(super) normalise: Option<crate::assessment::Normalise>,
}

/// A scale tier: the count of industries whose projected annual `indicator` reaches
/// `threshold` (in the indicator's canonical unit, 亿元 for money).
#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawTier {
    pub(super) code: Option<String>,
    pub(super) zh: Option<String>,
    pub(super) en: Option<String>,
    pub(super) indicator: Option<String>,
    pub(super) threshold: Option<f64>,
}

/// An extra indicator of the catalogue (a count goal of the plan, …).
#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawIndicator {
    pub(super) code: Option<String>,
    pub(super) zh: Option<String>,
    pub(super) en: Option<String>,
    pub(super) kind: Option<crate::model::catalogue::IndicatorKind>,
    pub(super) cumulative: Option<bool>,
    pub(super) unit: Option<String>,
    pub(super) nonnegative: Option<bool>,
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawRisk {
    pub(super) expected_indicators: Option<Vec<String>>,
    pub(super) materiality: RawMateriality,
    pub(super) inhibit: Vec<RawInhibit>,
    pub(super) inhibit_by_parent: Option<bool>,
    pub(super) key_risks: RawKeyRisks,
}

/// Materiality floors per region level (`[risk.materiality.city]`, or a rule's own).
#[derive(Debug, Default, Clone, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawMateriality {
    pub(super) province: RawFloors,
    pub(super) city: RawFloors,
    pub(super) county: RawFloors,
}

#[derive(Debug, Default, Clone, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawFloors {
    pub(super) level_yi: Option<f64>,
    pub(super) weight_pct: Option<f64>,
    pub(super) enterprises: Option<i64>,
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawInhibit {
    pub(super) causes: Vec<String>,
    pub(super) consequences: Vec<String>,
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawKeyRisks {
    pub(super) province: Option<i64>,
    pub(super) industry: Option<i64>,
    pub(super) city: Option<i64>,
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawRule {
    pub(super) id: Option<String>,
    pub(super) on: Option<String>,
    pub(super) name: Option<String>,
    pub(super) name_en: Option<String>,
    pub(super) measure: Option<String>,
    pub(super) regions: Vec<String>,
    pub(super) levels: Vec<String>,
    pub(super) industries: Vec<String>,
    pub(super) indicators: Vec<String>,
    pub(super) direction: Option<String>,
    pub(super) inclusive: bool,
    pub(super) yellow: Option<f64>,
    pub(super) red: Option<f64>,
    pub(super) running: Option<u32>,
    pub(super) while_chain_grows: bool,
    pub(super) materiality: RawMateriality,
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawSilence {
    pub(super) risk: Option<String>,
    pub(super) reason: Option<String>,
    pub(super) until: Option<String>,
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawIngest {
    pub(super) horizon_days: Option<u32>,
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawChains {
    pub(super) min_enterprises: Option<i64>,
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawDisclosure {
    pub(super) min_contributors: Option<i64>,
    pub(super) dominance_n: Option<i64>,
    pub(super) dominance_k_pct: Option<f64>,
    pub(super) p_pct: Option<f64>,
    pub(super) protect_published: Option<bool>,
    pub(super) margin_pct: Option<f64>,
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawArchive {
    pub(super) keep_runs: Option<usize>,
    pub(super) keep_quarantined: Option<usize>,
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawDemo {
    pub(super) through: Option<String>,
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawPaths {
    pub(super) data: Option<PathBuf>,
    pub(super) reports: Option<PathBuf>,
    pub(super) inbox: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawMonitor {
    pub(super) catalogue: Option<String>,
    pub(super) region: Option<String>,
    pub(super) headline_indicator: Option<String>,
    pub(super) language: Option<Language>,
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawMail {
    pub(super) from: Option<String>,
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawSmtp {
    pub(super) host: Option<String>,
    pub(super) port: Option<u16>,
    pub(super) security: Option<Security>,
    pub(super) username: Option<String>,
    pub(super) password_file: Option<PathBuf>,
    pub(super) from: Option<String>,
    pub(super) timeout_secs: Option<u64>,
    pub(super) retry_base_secs: Option<u64>,
    pub(super) max_attempts: Option<i64>,
    pub(super) ca_file: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawSubscription {
    pub(super) audience: Option<String>,
    pub(super) to: Vec<String>,
    pub(super) language: Option<Language>,
    pub(super) attachments: Option<Vec<String>>,
    pub(super) robots: Vec<String>,
}

/// A chat robot: the URL and secret come from the environment or files, never from here.
#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawRobot {
    pub(super) name: Option<String>,
    pub(super) kind: Option<crate::chat::RobotKind>,
    pub(super) url_file: Option<PathBuf>,
    pub(super) secret_file: Option<PathBuf>,
    pub(super) ca_file: Option<PathBuf>,
    pub(super) timeout_secs: Option<u64>,
    pub(super) rate_limit: Option<u32>,
    pub(super) rate_window_secs: Option<u64>,
    pub(super) retry_base_secs: Option<u64>,
    pub(super) max_attempts: Option<i64>,
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawConsole {
    pub(super) url: Option<String>,
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawApi {
    pub(super) listen: Option<String>,
    pub(super) token_file: Option<PathBuf>,
    pub(super) reader_token_file: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawSchedule {
    pub(super) timezone: Option<String>,
    pub(super) report: Option<String>,
    pub(super) outbox: Option<String>,
    pub(super) deadline_days: Option<i64>,
    pub(super) inbox_poll_secs: Option<u64>,
    pub(super) send_corrections: Option<bool>,
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawLog {
    pub(super) level: Option<String>,
    pub(super) format: Option<LogFormat>,
}

// ---------------------------------------------------------------------------------------
// Errors.
