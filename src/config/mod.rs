//! Configuration: TOML layered with `SEIMON_<SECTION>__<KEY>` environment overrides,
//! validated into typed [`Settings`] before anything starts.
//!
//! Layers, later wins: the built-in defaults (`config/seimon.toml`, embedded), the
//! configuration file, the environment. Syntax and type errors carry the position serde
//! gives; semantic errors (an unknown industry in an audience, a bad address) carry the
//! key path of the value, which [`crate::model::tomlspan::locate`] turns into a line of the file
//! — or names the environment variable when the value came from there. Secrets (SMTP
//! password, API token) are read from the environment or a file into [`Secret`], which
//! never prints its content.

pub mod catalogue_file;

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use lettre::message::Mailbox;
use serde::Deserialize;

use crate::model::audience::Audience;
use crate::model::catalogue::Catalogue;
use crate::model::language::Language;
use crate::model::tomlspan::{self, KeyPath, Step};

/// The built-in defaults, the same document as the shipped `config/seimon.toml`.
pub const DEFAULTS: &str = include_str!("../../config/seimon.toml");

/// The profiles for other monitoring schemes: (name, configuration). Each is also a file
/// under `config/profiles/`; `seimon demo --profile NAME` runs one on demo data.
pub const PROFILES: &[(&str, &str)] = &[
    ("anhui", DEFAULTS),
    ("jilin", include_str!("../../config/profiles/jilin.toml")),
    ("chongqing", include_str!("../../config/profiles/chongqing.toml")),
    ("hefei", include_str!("../../config/profiles/hefei.toml")),
];
/// Where the configuration is looked for when `--config` is not given.
pub const DEFAULT_PATH: &str = "config/seimon.toml";
const ENV_PREFIX: &str = "SEIMON_";
const SECRET_VARS: [&str; 2] = ["SEIMON_SMTP__PASSWORD", "SEIMON_API__TOKEN"];

/// A secret value: readable by the code that needs it, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Validated settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where the settings came from, for messages: a file path or "built-in defaults".
    pub origin: String,
    pub paths: Paths,
    pub monitor: Monitor,
    pub catalogue: Arc<Catalogue>,
    pub mail: Mail,
    pub smtp: Option<Smtp>,
    pub subscriptions: Vec<Subscription>,
    pub api: Api,
    pub schedule: Schedule,
    pub log: Log,
    /// Plan targets from the configuration (a targets file replaces those with the same key).
    pub targets: Vec<crate::model::target::Target>,
    /// Scale tiers (千亿级, 万亿级): counts of industries, exported as indicators.
    pub tiers: Vec<crate::compute::tiers::Tier>,
    /// The components of the city assessment (none: no assessment).
    pub assessment: Vec<crate::assessment::Component>,
    /// How loads judge dates (`[ingest]`).
    pub ingest: Ingest,
    /// What the report archive and the quarantine keep (`[archive]`).
    pub archive: Archive,
    /// The quarter `seimon demo` reports by default (else the latest complete one).
    pub demo_through: Option<crate::model::period::Period>,
    /// Risk rules (business traffic lights).
    pub rules: Vec<crate::risk::Rule>,
    /// Silenced risks.
    pub silences: Vec<crate::risk::Silence>,
    /// Indicators whose series every region and industry is expected to report.
    pub expected_indicators: Vec<String>,
    /// SHA-256 of the effective configuration without secrets (recorded in manifests).
    pub hash: String,
}

/// `[ingest]`: how far ahead of today a release date, or the end of a period, may lie.
#[derive(Debug, Clone, Copy)]
pub struct Ingest {
    pub horizon_days: u32,
}

/// `[archive]`: how many runs of a period the report archive keeps (the current one and
/// the latest before it; a run whose e-mails went out is always kept), and how many
/// rejected files the quarantine keeps.
#[derive(Debug, Clone, Copy)]
pub struct Archive {
    pub keep_runs: usize,
    pub keep_quarantined: usize,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Paths {
    pub data: PathBuf,
    pub reports: PathBuf,
    pub inbox: PathBuf,
}

#[derive(Debug, Clone)]
pub struct Monitor {
    pub catalogue: String,
    /// The region the reports are about: a province, or a city (then its counties are the
    /// sub-regions).
    pub region: String,
    pub headline_indicator: String,
    pub language: Language,
}

#[derive(Debug, Clone)]
pub struct Mail {
    pub from: Mailbox,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    None,
    Starttls,
    Tls,
}

#[derive(Debug, Clone)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub from: Mailbox,
    pub timeout: std::time::Duration,
    /// Temporary failures are retried after this, doubling each time.
    pub retry_base: std::time::Duration,
    pub max_attempts: i64,
    /// A PEM certificate to trust besides the public roots (a private CA, or a relay's
    /// self-signed certificate).
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct Subscription {
    pub audience: Audience,
    pub to: Vec<Mailbox>,
    pub language: Language,
    /// Attach the report's workbook (`attachments = ["xlsx"]`, the default).
    pub attach_xlsx: bool,
}

impl Smtp {
    /// A warning when the password would cross the network in clear: AUTH with
    /// `security = "none"` to a server that is not on this machine.
    pub fn clear_text_warning(&self) -> Option<String> {
        let local = matches!(self.host.as_str(), "localhost" | "127.0.0.1" | "::1");
        (matches!(self.security, Security::None) && self.username.is_some() && !local).then(|| {
            format!(
                "[smtp] security = \"none\" with a username: the password goes to {} in clear; use \"starttls\" or \"tls\"",
                self.host
            )
        })
    }
}

#[derive(Debug, Clone)]
pub struct Api {
    pub listen: SocketAddr,
    pub token: Option<Secret>,
}

#[derive(Debug, Clone)]
pub struct Schedule {
    pub tz: chrono_tz::Tz,
    /// When the quarterly report is due (6 or 7 cron fields, seconds first), as written
    /// (what tokio-cron-scheduler is given) and parsed (what catch-up iterates).
    pub report: String,
    pub report_cron: croner::Cron,
    /// How often the outbox is retried and waiting reports are looked at again.
    pub outbox: String,
    /// How long a due report waits for complete data before it goes out incomplete.
    pub deadline: chrono::Duration,
    /// How often the inbox is looked at.
    pub inbox_poll: std::time::Duration,
    /// Whether a report already sent is sent again, as a correction, when revised data
    /// change its values.
    pub send_corrections: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Debug, Clone)]
pub struct Log {
    pub level: String,
    pub format: LogFormat,
}

// ---------------------------------------------------------------------------------------
// The raw, file-shaped layer.

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
struct RawSettings {
    paths: RawPaths,
    monitor: RawMonitor,
    mail: RawMail,
    smtp: Option<RawSmtp>,
    subscriptions: Vec<RawSubscription>,
    api: RawApi,
    schedule: RawSchedule,
    log: RawLog,
    targets: Vec<crate::model::target::TargetFields>,
    demo: RawDemo,
    ingest: RawIngest,
    archive: RawArchive,
    risk: RawRisk,
    rules: Vec<RawRule>,
    silences: Vec<RawSilence>,
    indicators: Vec<RawIndicator>,
    tiers: Vec<RawTier>,
    assessment: RawAssessment,
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
struct RawAssessment {
    components: Vec<RawComponent>,
}

/// One component of the city assessment.
#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
struct RawComponent {
    id: Option<String>,
    name: Option<String>,
    name_en: Option<String>,
    measure: Option<String>,
    industry: Option<String>,
    indicator: Option<String>,
    weight: Option<f64>,
    direction: Option<crate::assessment::Direction>,
    normalise: Option<crate::assessment::Normalise>,
}

/// A scale tier: the count of industries whose projected annual `indicator` reaches
/// `threshold` (in the indicator's canonical unit, 亿元 for money).
#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
struct RawTier {
    code: Option<String>,
    zh: Option<String>,
    en: Option<String>,
    indicator: Option<String>,
    threshold: Option<f64>,
}

/// An extra indicator of the catalogue (a count goal of the plan, …).
#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
struct RawIndicator {
    code: Option<String>,
    zh: Option<String>,
    en: Option<String>,
    kind: Option<crate::model::catalogue::IndicatorKind>,
    cumulative: Option<bool>,
    unit: Option<String>,
    nonnegative: Option<bool>,
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
struct RawRisk {
    expected_indicators: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
struct RawRule {
    id: Option<String>,
    name: Option<String>,
    name_en: Option<String>,
    measure: Option<String>,
    regions: Vec<String>,
    levels: Vec<String>,
    industries: Vec<String>,
    indicators: Vec<String>,
    direction: Option<String>,
    inclusive: bool,
    yellow: Option<f64>,
    red: Option<f64>,
    running: Option<u32>,
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
struct RawSilence {
    risk: Option<String>,
    reason: Option<String>,
    until: Option<String>,
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
struct RawIngest {
    horizon_days: Option<u32>,
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
struct RawArchive {
    keep_runs: Option<usize>,
    keep_quarantined: Option<usize>,
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
struct RawDemo {
    through: Option<String>,
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
struct RawPaths {
    data: Option<PathBuf>,
    reports: Option<PathBuf>,
    inbox: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
struct RawMonitor {
    catalogue: Option<String>,
    region: Option<String>,
    headline_indicator: Option<String>,
    language: Option<Language>,
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
struct RawMail {
    from: Option<String>,
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
struct RawSmtp {
    host: Option<String>,
    port: Option<u16>,
    security: Option<Security>,
    username: Option<String>,
    password_file: Option<PathBuf>,
    from: Option<String>,
    timeout_secs: Option<u64>,
    retry_base_secs: Option<u64>,
    max_attempts: Option<i64>,
    ca_file: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
struct RawSubscription {
    audience: Option<String>,
    to: Vec<String>,
    language: Option<Language>,
    attachments: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
struct RawApi {
    listen: Option<String>,
    token_file: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
struct RawSchedule {
    timezone: Option<String>,
    report: Option<String>,
    outbox: Option<String>,
    deadline_days: Option<i64>,
    inbox_poll_secs: Option<u64>,
    send_corrections: Option<bool>,
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
struct RawLog {
    level: Option<String>,
    format: Option<LogFormat>,
}

// ---------------------------------------------------------------------------------------
// Errors.

/// One problem found in the configuration, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// `config/seimon.toml:12:8`, `environment variable SEIMON_SMTP__PORT`, …
    pub place: String,
    /// The key path, when known.
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.key {
            Some(k) => write!(f, "{}: {k}: {}", self.place, self.message),
            None => write!(f, "{}: {}", self.place, self.message),
        }
    }
}

/// The configuration could not be used; every problem found is listed.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{}", .0.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Problem>),
}

impl ConfigError {
    pub fn problems(&self) -> &[Problem] {
        match self {
            ConfigError::Invalid(p) => p,
            ConfigError::Read { .. } => &[],
        }
    }
}

// ---------------------------------------------------------------------------------------
// Loading.

/// Loads the settings: `path` if given (it must exist), else `config/seimon.toml` when it
/// exists, else the built-in defaults; then the `SEIMON_*` variables of `env`.
pub fn load<I>(path: Option<&Path>, env: I) -> Result<Settings, ConfigError>
where
    I: IntoIterator<Item = (String, String)>,
{
    let (origin, text) = match path {
        Some(p) => (p.display().to_string(), read(p)?),
        None if Path::new(DEFAULT_PATH).exists() => (DEFAULT_PATH.to_string(), read(Path::new(DEFAULT_PATH))?),
        None => ("built-in defaults".to_string(), DEFAULTS.to_string()),
    };
    load_text(&origin, &text, env)
}

fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Loads settings from a configuration document (`origin` names it in messages).
pub fn load_text<I>(origin: &str, text: &str, env: I) -> Result<Settings, ConfigError>
where
    I: IntoIterator<Item = (String, String)>,
{
    let invalid = |place: String, key: Option<String>, message: String| ConfigError::Invalid(vec![Problem { place, key, message }]);
    // 1. The file alone: syntax, unknown keys and types, with positions.
    if let Err(e) = toml::from_str::<RawSettings>(text) {
        let place = match e.span() {
            Some(s) => {
                let (l, c) = tomlspan::line_col(text, s.start);
                format!("{origin}:{l}:{c}")
            }
            None => origin.to_string(),
        };
        return Err(invalid(place, None, e.message().trim().to_string()));
    }
    // 2. Merge: defaults, then the file, then the environment.
    let mut merged: toml::Table = toml::from_str(DEFAULTS).expect("built-in defaults parse");
    let file: toml::Table = toml::from_str(text).expect("checked above");
    merge(&mut merged, file);
    let mut secrets = BTreeMap::new();
    let mut from_env: Vec<(KeyPath, String)> = Vec::new();
    let mut env: Vec<(String, String)> = env
        .into_iter()
        .filter(|(k, _)| k.starts_with(ENV_PREFIX) && k.contains("__"))
        .collect();
    env.sort();
    for (var, value) in env {
        if SECRET_VARS.contains(&var.as_str()) {
            secrets.insert(var, Secret(value));
            continue;
        }
        let path: Vec<String> = var[ENV_PREFIX.len()..].split("__").map(|s| s.to_ascii_lowercase()).collect();
        if path.iter().any(|s| s.is_empty()) {
            return Err(invalid(
                format!("environment variable {var}"),
                None,
                "malformed name: expected SEIMON_<SECTION>__<KEY>".into(),
            ));
        }
        set_path(&mut merged, &path, &value);
        from_env.push((KeyPath(path.iter().map(|s| Step::Key(s.clone())).collect()), var));
    }
    let raw: RawSettings = match merged.clone().try_into() {
        Ok(raw) => raw,
        Err(e) => {
            let vars: Vec<_> = from_env.iter().map(|(_, v)| v.as_str()).collect();
            return Err(invalid(
                format!("environment variables {}", vars.join(", ")),
                None,
                e.message().trim().to_string(),
            ));
        }
    };
    let locate = |key: &KeyPath| -> String {
        if let Some((_, var)) = from_env.iter().find(|(p, _)| key.0.starts_with(&p.0) || p.0.starts_with(&key.0)) {
            return format!("environment variable {var}");
        }
        match tomlspan::locate(text, key) {
            Some((l, c)) => format!("{origin}:{l}:{c}"),
            None if key
                .section()
                .is_some_and(|s| text.contains(&format!("[{s}]")) || text.contains(&format!("[[{s}]]"))) =>
            {
                origin.to_string()
            }
            None => format!("{origin} (built-in default)"),
        }
    };
    let hash = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(serde_json::to_vec(&raw).expect("raw settings serialise")))
    };
    validate(origin, raw, secrets, hash).map_err(|problems| {
        ConfigError::Invalid(
            problems
                .into_iter()
                .map(|(key, message)| Problem {
                    place: locate(&key),
                    key: Some(key.to_string()),
                    message,
                })
                .collect(),
        )
    })
}

fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// Sets `path` in `table` from an environment value: kept as a string when the key it
/// replaces is a string, else read as a TOML value (number, boolean, array) when it is one.
fn set_path(table: &mut toml::Table, path: &[String], value: &str) {
    let (last, parents) = path.split_last().expect("non-empty path");
    let mut t = table;
    for p in parents {
        let entry = t.entry(p.clone()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if !entry.is_table() {
            *entry = toml::Value::Table(toml::Table::new());
        }
        t = entry.as_table_mut().expect("made a table");
    }
    let was_string = matches!(t.get(last), Some(toml::Value::String(_)));
    let parsed = if was_string {
        None
    } else {
        toml::from_str::<toml::Table>(&format!("v = {value}"))
            .ok()
            .and_then(|mut t| t.remove("v"))
    };
    t.insert(last.clone(), parsed.unwrap_or_else(|| toml::Value::String(value.to_string())));
}

type Problems = Vec<(KeyPath, String)>;

fn validate(origin: &str, raw: RawSettings, secrets: BTreeMap<String, Secret>, hash: String) -> Result<Settings, Problems> {
    let mut problems: Problems = Vec::new();
    let key = |s: &str| KeyPath::parse(s);
    let need = |v: Option<String>, k: &str, problems: &mut Problems| -> String {
        v.filter(|s| !s.trim().is_empty()).unwrap_or_else(|| {
            problems.push((key(k), "is required and may not be empty".into()));
            String::new()
        })
    };
    let path_or = |v: Option<PathBuf>, d: &str| v.unwrap_or_else(|| PathBuf::from(d));
    let paths = Paths {
        data: path_or(raw.paths.data, "data"),
        reports: path_or(raw.paths.reports, "reports"),
        inbox: path_or(raw.paths.inbox, "inbox"),
    };

    let catalogue_name = need(raw.monitor.catalogue, "monitor.catalogue", &mut problems);
    let catalogue = match catalogue_file::load_catalogue(&catalogue_name) {
        Ok(c) => {
            // tiers are indicators too (stock counts): defined after the extra indicators
            let tier_indicators: Vec<RawIndicator> = raw
                .tiers
                .iter()
                .map(|t| RawIndicator {
                    code: t.code.clone(),
                    zh: t.zh.clone(),
                    en: t.en.clone(),
                    kind: Some(crate::model::catalogue::IndicatorKind::Count),
                    cumulative: Some(false),
                    unit: Some("个".into()),
                    nonnegative: Some(true),
                })
                .collect();
            let c = extra_indicators(&c, &raw.indicators, "indicators", &mut problems);
            Some(Arc::new(extra_indicators(&c, &tier_indicators, "tiers", &mut problems)))
        }
        Err(e) => {
            problems.push((key("monitor.catalogue"), e.to_string()));
            None
        }
    };
    let region = need(raw.monitor.region, "monitor.region", &mut problems);
    let headline = need(raw.monitor.headline_indicator, "monitor.headline_indicator", &mut problems);
    if let Some(c) = &catalogue {
        match c.region(&region) {
            Some(r) if r.level() != crate::model::catalogue::RegionLevel::County => {}
            Some(_) => problems.push((
                key("monitor.region"),
                format!("`{region}` is a county: monitor a province (xx0000) or a city (xxxx00)"),
            )),
            None => problems.push((
                key("monitor.region"),
                format!("unknown region code `{region}` (not in catalogue {})", c.name),
            )),
        }
        if c.indicator(&headline).is_none() {
            problems.push((
                key("monitor.headline_indicator"),
                format!("unknown indicator `{headline}` (not in catalogue {})", c.name),
            ));
        }
    }
    let language = raw.monitor.language.unwrap_or(Language::Zh);
    let (rules, silences, expected_indicators) = match &catalogue {
        Some(c) => validate_risk(&raw.rules, &raw.silences, &raw.risk, c, &mut problems),
        None => Default::default(),
    };

    let mailbox = |text: &str, k: KeyPath, problems: &mut Problems| -> Option<Mailbox> {
        match text.parse::<Mailbox>() {
            Ok(m) => Some(m),
            Err(e) => {
                problems.push((k, format!("`{text}` is not a valid e-mail address ({e})")));
                None
            }
        }
    };
    let mail_from_text = need(raw.mail.from, "mail.from", &mut problems);
    let mail_from = mailbox(&mail_from_text, key("mail.from"), &mut problems);

    let smtp = raw.smtp.map(|s| {
        let host = need(s.host, "smtp.host", &mut problems);
        let security = s.security.unwrap_or(Security::Starttls);
        let port = s.port.unwrap_or(match security {
            Security::None => 25,
            Security::Starttls => 587,
            Security::Tls => 465,
        });
        if port == 0 {
            problems.push((key("smtp.port"), "must be between 1 and 65535".into()));
        }
        let from = match s.from {
            Some(f) => mailbox(&f, key("smtp.from"), &mut problems),
            None => mail_from.clone(),
        };
        let password = match (secrets.get("SEIMON_SMTP__PASSWORD"), s.password_file) {
            (Some(p), _) => Some(p.clone()),
            (None, Some(file)) => match std::fs::read_to_string(&file) {
                Ok(p) => Some(Secret(p.trim_end_matches(['\r', '\n']).to_string())),
                Err(e) => {
                    problems.push((key("smtp.password_file"), format!("cannot read {}: {e}", file.display())));
                    None
                }
            },
            (None, None) => None,
        };
        if s.username.is_some() && password.is_none() {
            problems.push((
                key("smtp.username"),
                "a username is set but no password: set SEIMON_SMTP__PASSWORD or smtp.password_file".into(),
            ));
        }
        if let Some(ca) = &s.ca_file
            && let Err(e) = std::fs::read(ca)
        {
            problems.push((key("smtp.ca_file"), format!("cannot read {}: {e}", ca.display())));
        }
        let timeout_secs = s.timeout_secs.unwrap_or(30);
        if timeout_secs == 0 {
            problems.push((key("smtp.timeout_secs"), "must be at least 1".into()));
        }
        Smtp {
            host,
            port,
            security,
            username: s.username,
            password,
            from: from.unwrap_or_else(|| "invalid@invalid".parse().expect("valid")),
            timeout: std::time::Duration::from_secs(timeout_secs),
            retry_base: std::time::Duration::from_secs(s.retry_base_secs.unwrap_or(60)),
            max_attempts: s.max_attempts.unwrap_or(6).max(1),
            ca_file: s.ca_file.clone(),
        }
    });

    let mut subscriptions = Vec::new();
    for (i, s) in raw.subscriptions.into_iter().enumerate() {
        let at = |k: &str| KeyPath::default().key("subscriptions").index(i).key(k);
        let audience_text = s.audience.unwrap_or_default();
        let audience = match audience_text.split_once(':') {
            None if audience_text == "province" => Some(Audience::Province),
            Some(("industry", code)) => match &catalogue {
                Some(c) if c.industry(code).is_none() => {
                    problems.push((
                        at("audience"),
                        format!("unknown industry code `{code}` (not in catalogue {})", c.name),
                    ));
                    None
                }
                _ => Some(Audience::Industry(code.to_string())),
            },
            Some(("city", code)) => match &catalogue {
                Some(c)
                    if c.region(code)
                        .is_none_or(|r| r.level() == crate::model::catalogue::RegionLevel::Province) =>
                {
                    problems.push((
                        at("audience"),
                        format!("unknown city code `{code}` (not a city or county of catalogue {})", c.name),
                    ));
                    None
                }
                _ => Some(Audience::City(code.to_string())),
            },
            _ => {
                problems.push((
                    at("audience"),
                    format!("`{audience_text}` is not an audience: expected \"province\", \"industry:<code>\" or \"city:<code>\""),
                ));
                None
            }
        };
        if s.to.is_empty() {
            problems.push((at("to"), "lists no recipient".into()));
        }
        let to: Vec<Mailbox> =
            s.to.iter()
                .enumerate()
                .filter_map(|(j, t)| mailbox(t, at("to").index(j), &mut problems))
                .collect();
        let attachments = s.attachments.clone().unwrap_or_else(|| vec!["xlsx".into()]);
        for (j, a) in attachments.iter().enumerate() {
            if a != "xlsx" {
                problems.push((
                    at("attachments").index(j),
                    format!("`{a}` is not an attachment seimon makes (\"xlsx\")"),
                ));
            }
        }
        if let Some(audience) = audience {
            subscriptions.push(Subscription {
                audience,
                to,
                language: s.language.unwrap_or(language),
                attach_xlsx: attachments.iter().any(|a| a == "xlsx"),
            });
        }
    }

    let listen_text = raw.api.listen.unwrap_or_else(|| "127.0.0.1:8650".into());
    let listen = listen_text.parse::<SocketAddr>().unwrap_or_else(|_| {
        problems.push((
            key("api.listen"),
            format!("`{listen_text}` is not an address:port such as 127.0.0.1:8650"),
        ));
        SocketAddr::from(([127, 0, 0, 1], 8650))
    });
    let token = match (secrets.get("SEIMON_API__TOKEN"), raw.api.token_file) {
        (Some(t), _) => Some(t.clone()),
        (None, Some(file)) => match std::fs::read_to_string(&file) {
            Ok(t) => Some(Secret(t.trim().to_string())),
            Err(e) => {
                problems.push((key("api.token_file"), format!("cannot read {}: {e}", file.display())));
                None
            }
        },
        (None, None) => None,
    };
    let token = token.filter(|t| {
        // an empty token would start a daemon that refuses every request
        let empty = t.expose().trim().is_empty();
        if empty {
            problems.push((
                key("api.token"),
                "the API token is empty: set SEIMON_API__TOKEN (or [api] token_file) to a secret".into(),
            ));
        }
        !empty
    });

    let timezone = raw.schedule.timezone.unwrap_or_else(|| "Asia/Shanghai".into());
    if timezone.parse::<chrono_tz::Tz>().is_err() {
        problems.push((
            key("schedule.timezone"),
            format!("unknown time zone `{timezone}` (an IANA name such as Asia/Shanghai)"),
        ));
    }
    let mut cron = |name: &str, default: &str, given: Option<String>| {
        let text = given.unwrap_or_else(|| default.into());
        let parsed = parse_cron(&text).map_err(|e| problems.push((key(name), format!("`{text}`: {e} (e.g. \"{default}\")"))));
        (text, parsed.ok())
    };
    let (report, report_cron) = cron("schedule.report", "0 0 9 25 1,4,7,10 *", raw.schedule.report);
    let (outbox, _) = cron("schedule.outbox", "0 */5 * * * *", raw.schedule.outbox);
    let deadline_days = raw.schedule.deadline_days.unwrap_or(10);
    if !(0..=92).contains(&deadline_days) {
        problems.push((
            key("schedule.deadline_days"),
            format!("{deadline_days} days: a report waits for its data between 0 and 92 days"),
        ));
    }
    let inbox_poll_secs = raw.schedule.inbox_poll_secs.unwrap_or(5);
    if inbox_poll_secs == 0 {
        problems.push((key("schedule.inbox_poll_secs"), "must be at least 1 second".into()));
    }

    let level = raw.log.level.unwrap_or_else(|| "info".into());
    if tracing_subscriber::EnvFilter::try_new(&level).is_err() {
        problems.push((
            key("log.level"),
            format!("`{level}` is not a log filter such as \"info\" or \"seimon=debug,info\""),
        ));
    }

    let mut tiers = Vec::new();
    if let Some(c) = &catalogue {
        for (i, t) in raw.tiers.iter().enumerate() {
            let at = |field: &str| KeyPath::parse(&format!("tiers[{i}].{field}"));
            let indicator = t.indicator.clone().unwrap_or_default();
            match c.indicator(&indicator) {
                Some(k) if k.kind == crate::model::catalogue::IndicatorKind::Money => {}
                Some(_) => problems.push((
                    at("indicator"),
                    format!("`{indicator}` is not a money indicator: a tier compares 亿元"),
                )),
                None => problems.push((
                    at("indicator"),
                    format!("unknown indicator `{indicator}` (not in catalogue {})", c.name),
                )),
            }
            let threshold = t.threshold.unwrap_or(0.0);
            if !(threshold.is_finite() && threshold > 0.0) {
                problems.push((
                    at("threshold"),
                    "a tier needs a threshold above 0 (in 亿元: 1000 for 千亿级)".into(),
                ));
            }
            tiers.push(crate::compute::tiers::Tier {
                code: t.code.clone().unwrap_or_default(),
                indicator,
                threshold,
            });
        }
    }
    let assessment = match &catalogue {
        Some(c) => validate_assessment(&raw.assessment, c, &mut problems),
        None => Vec::new(),
    };
    let mut targets = Vec::new();
    if let Some(c) = &catalogue {
        for (i, t) in raw.targets.iter().enumerate() {
            match t.validate(c) {
                Ok(mut ts) => targets.append(&mut ts),
                Err(ps) => problems.extend(
                    ps.into_iter()
                        .map(|(field, m)| (KeyPath::default().key("targets").index(i).key(field), m)),
                ),
            }
        }
    }

    let keep_runs = raw.archive.keep_runs.unwrap_or(5);
    if keep_runs == 0 {
        problems.push((
            key("archive.keep_runs"),
            "at least 1: the period's current run is always kept".into(),
        ));
    }
    let archive = Archive {
        keep_runs: keep_runs.max(1),
        keep_quarantined: raw.archive.keep_quarantined.unwrap_or(200),
    };
    let ingest = Ingest {
        horizon_days: raw.ingest.horizon_days.unwrap_or(crate::ingest::DEFAULT_HORIZON_DAYS),
    };

    let demo_through = raw.demo.through.as_deref().and_then(|t| match t.parse() {
        Ok(p) => Some(p),
        Err(e) => {
            problems.push((key("demo.through"), format!("{e}")));
            None
        }
    });

    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Settings {
        origin: origin.to_string(),
        paths,
        monitor: Monitor {
            catalogue: catalogue_name,
            region,
            headline_indicator: headline,
            language,
        },
        catalogue: catalogue.expect("no problems means a catalogue"),
        mail: Mail {
            from: mail_from.expect("no problems means an address"),
        },
        smtp,
        subscriptions,
        api: Api { listen, token },
        schedule: Schedule {
            tz: timezone.parse().unwrap_or(chrono_tz::Asia::Shanghai),
            report,
            report_cron: report_cron.expect("no problems means a schedule"),
            outbox,
            deadline: chrono::Duration::days(deadline_days),
            inbox_poll: std::time::Duration::from_secs(inbox_poll_secs.max(1)),
            send_corrections: raw.schedule.send_corrections.unwrap_or(true),
        },
        log: Log {
            level,
            format: raw.log.format.unwrap_or(LogFormat::Human),
        },
        targets,
        tiers,
        assessment,
        ingest,
        archive,
        demo_through,
        rules,
        silences,
        expected_indicators,
        hash,
    })
}

/// Validates the components of the city assessment: known measures (or risk counts),
/// industries and indicators; weights not negative and summing to a positive number.
fn validate_assessment(raw: &RawAssessment, c: &Catalogue, problems: &mut Problems) -> Vec<crate::assessment::Component> {
    use crate::assessment::{Component, Direction, Normalise, RISK_MEASURES};
    let measures: Vec<&str> = crate::compute::all_measures().collect();
    let mut components: Vec<Component> = Vec::new();
    for (i, r) in raw.components.iter().enumerate() {
        let at = |k: &str| KeyPath::default().key("assessment").key("components").index(i).key(k);
        let id = r.id.clone().unwrap_or_default();
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
            problems.push((at("id"), format!("`{id}` is not a component id (lower-case letters, digits and _)")));
        } else if components.iter().any(|x| x.id == id) {
            problems.push((at("id"), format!("component id `{id}` appears twice")));
        }
        let measure = r.measure.clone().unwrap_or_default();
        let counts_risks = RISK_MEASURES.contains(&measure.as_str());
        if !counts_risks && !measures.contains(&measure.as_str()) {
            problems.push((
                at("measure"),
                format!("unknown measure `{measure}` (a measure of indicators.csv, or red_risks / yellow_risks)"),
            ));
        }
        let industry = r.industry.clone().unwrap_or_else(|| crate::model::catalogue::TEN.to_string());
        let indicator = r.indicator.clone().unwrap_or_default();
        if !counts_risks {
            if c.industry(&industry).is_none() {
                problems.push((
                    at("industry"),
                    format!("unknown industry code `{industry}` (not in catalogue {})", c.name),
                ));
            }
            if !c.knows_indicator(&indicator) {
                problems.push((
                    at("indicator"),
                    format!("unknown indicator `{indicator}` (not in catalogue {})", c.name),
                ));
            }
        }
        let weight = r.weight.unwrap_or(f64::NAN);
        if !weight.is_finite() || weight < 0.0 {
            problems.push((
                at("weight"),
                "a weight is a number of at least 0 (for lower-is-better use direction = \"lower\")".into(),
            ));
        }
        components.push(Component {
            name: r.name.clone().unwrap_or_else(|| id.clone()),
            name_en: r.name_en.clone().or_else(|| r.name.clone()).unwrap_or_else(|| id.replace('_', " ")),
            id,
            measure,
            industry,
            indicator,
            weight,
            direction: r.direction.unwrap_or(Direction::Higher),
            normalise: r.normalise.unwrap_or(Normalise::Minmax),
        });
    }
    let total: f64 = components.iter().map(|k| k.weight).filter(|w| w.is_finite()).sum();
    if !components.is_empty() && total <= 0.0 {
        problems.push((
            KeyPath::default().key("assessment").key("components").index(0).key("weight"),
            format!("the weights sum to {total}: they must sum to a positive number"),
        ));
    }
    components
}

/// Validates the risk rules, silences and expected indicators.
fn validate_risk(
    raw_rules: &[RawRule],
    raw_silences: &[RawSilence],
    raw_risk: &RawRisk,
    c: &Catalogue,
    problems: &mut Problems,
) -> (Vec<crate::risk::Rule>, Vec<crate::risk::Silence>, Vec<String>) {
    use crate::risk::{Direction, Rule, Silence};
    let measures: Vec<&str> = crate::compute::all_measures().collect();
    let is_indicator = |k: &str| c.knows_indicator(k);
    let mut rules: Vec<Rule> = Vec::new();
    for (i, r) in raw_rules.iter().enumerate() {
        let at = |k: &str| KeyPath::default().key("rules").index(i).key(k);
        let before = problems.len();
        let id = r.id.clone().unwrap_or_default();
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
            problems.push((at("id"), format!("`{id}` is not a rule id (lower-case letters, digits and _)")));
        } else if rules.iter().any(|x| x.id == id) {
            problems.push((at("id"), format!("rule id `{id}` appears twice")));
        }
        let measure = r.measure.clone().unwrap_or_default();
        if !measures.contains(&measure.as_str()) {
            problems.push((at("measure"), format!("unknown measure `{measure}`")));
        }
        for (j, code) in r.regions.iter().enumerate() {
            if c.region(code).is_none() {
                problems.push((
                    at("regions").index(j),
                    format!("unknown region code `{code}` (not in catalogue {})", c.name),
                ));
            }
        }
        let mut levels = Vec::new();
        for (j, l) in r.levels.iter().enumerate() {
            match l.as_str() {
                "province" => levels.push(crate::model::catalogue::RegionLevel::Province),
                "city" => levels.push(crate::model::catalogue::RegionLevel::City),
                "county" => levels.push(crate::model::catalogue::RegionLevel::County),
                other => problems.push((
                    at("levels").index(j),
                    format!("`{other}` is not a region level (province, city, county)"),
                )),
            }
        }
        for (j, code) in r.industries.iter().enumerate() {
            if c.industry(code).is_none() {
                problems.push((
                    at("industries").index(j),
                    format!("unknown industry code `{code}` (not in catalogue {})", c.name),
                ));
            }
        }
        for (j, code) in r.indicators.iter().enumerate() {
            if !is_indicator(code) {
                problems.push((at("indicators").index(j), format!("unknown indicator `{code}`")));
            }
        }
        let direction = match r.direction.as_deref() {
            Some("below") => Direction::Below,
            Some("above") => Direction::Above,
            other => {
                problems.push((
                    at("direction"),
                    format!("`{}` is not a direction: expected \"below\" or \"above\"", other.unwrap_or("")),
                ));
                Direction::Below
            }
        };
        match (r.yellow, r.red) {
            (None, None) => problems.push((at("red"), "a rule needs a `yellow` or a `red` threshold".into())),
            (Some(y), Some(rd)) if (direction == Direction::Below && rd > y) || (direction == Direction::Above && rd < y) => {
                problems.push((at("red"), format!("the red threshold {rd} is less severe than the yellow {y}")))
            }
            _ => {}
        }
        let running = r.running.unwrap_or(1);
        if running == 0 {
            problems.push((at("running"), "must be at least 1".into()));
        }
        if problems.len() == before {
            rules.push(Rule {
                name: r.name.clone().unwrap_or_else(|| id.clone()),
                name_en: r.name_en.clone().unwrap_or_else(|| id.replace('_', " ")),
                id,
                measure,
                regions: r.regions.clone(),
                levels,
                industries: r.industries.clone(),
                indicators: r.indicators.clone(),
                direction,
                inclusive: r.inclusive,
                yellow: r.yellow,
                red: r.red,
                running,
            });
        }
    }
    let mut silences = Vec::new();
    for (i, s) in raw_silences.iter().enumerate() {
        let at = |k: &str| KeyPath::default().key("silences").index(i).key(k);
        let risk = s.risk.clone().unwrap_or_default();
        if !raw_rules
            .iter()
            .any(|r| r.id.as_deref().is_some_and(|id| risk.starts_with(&format!("{id}:"))))
            || risk.split(':').count() != 4
        {
            problems.push((
                at("risk"),
                format!("`{risk}` is not a risk id of a configured rule (rule:region:industry:indicator)"),
            ));
        }
        let reason = s.reason.clone().unwrap_or_default();
        if reason.trim().is_empty() {
            problems.push((at("reason"), "a silence needs a reason".into()));
        }
        let until = s
            .until
            .as_deref()
            .and_then(|u| chrono::NaiveDate::parse_from_str(u, "%Y-%m-%d").ok());
        match until {
            Some(until) => silences.push(Silence {
                risk_id: risk,
                reason,
                until,
            }),
            None => problems.push((
                at("until"),
                format!("`{}` is not a date (YYYY-MM-DD)", s.until.as_deref().unwrap_or("")),
            )),
        }
    }
    let expected = raw_risk
        .expected_indicators
        .clone()
        .unwrap_or_else(|| vec!["operating_income".into()]);
    for (j, k) in expected.iter().enumerate() {
        if c.indicator(k).is_none() {
            problems.push((
                KeyPath::default().key("risk").key("expected_indicators").index(j),
                format!("unknown indicator `{k}`"),
            ));
        }
    }
    (rules, silences, expected)
}

impl Settings {
    /// The built-in defaults, without any environment: for tests and the demo.
    pub fn defaults() -> Settings {
        load_text("built-in defaults", DEFAULTS, std::iter::empty()).expect("the built-in defaults are valid")
    }

    /// Today's date in the configured time zone (the vintage of rows loaded today).
    pub fn today(&self) -> chrono::NaiveDate {
        chrono::Utc::now().with_timezone(&self.schedule.tz).date_naive()
    }

    /// The options of a load by any door: today in the configured time zone, the horizon.
    pub fn ingest_options(&self) -> crate::ingest::Options {
        crate::ingest::Options {
            today: Some(self.today()),
            horizon_days: Some(self.ingest.horizon_days),
            keep_quarantined: Some(self.archive.keep_quarantined),
            ..crate::ingest::Options::default()
        }
    }

    /// The same settings with the data and reports directories moved under `root`.
    pub fn rooted(mut self, root: &Path) -> Settings {
        self.paths.data = root.join("data");
        self.paths.reports = root.join("reports");
        self.paths.inbox = root.join("inbox");
        self
    }
}

/// The catalogue with the configuration's `[[indicators]]`: new codes only (lowercase
/// letters, digits and `_`), never one of the catalogue's or seimon's own.
fn extra_indicators(c: &Catalogue, raw: &[RawIndicator], section: &str, problems: &mut Problems) -> Catalogue {
    let mut extra: Vec<crate::model::catalogue::Indicator> = Vec::new();
    for (i, r) in raw.iter().enumerate() {
        let at = |field: &str| KeyPath::parse(&format!("{section}[{i}].{field}"));
        let Some(code) = r.code.clone() else {
            problems.push((at("code"), "missing: an indicator needs a code".into()));
            continue;
        };
        let well_formed = !code.is_empty() && code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        let problem = if !well_formed {
            Some(format!("`{code}`: an indicator code is lowercase letters, digits and _"))
        } else if crate::model::catalogue::RESERVED_INDICATORS.contains(&code.as_str()) {
            Some(format!("`{code}` is an indicator seimon exports itself: choose another code"))
        } else if c.indicator(&code).is_some() {
            Some(format!(
                "`{code}` clashes with the built-in indicator of catalogue {}: choose another code",
                c.name
            ))
        } else if extra.iter().any(|k| k.code == code) {
            Some(format!("`{code}` is defined twice"))
        } else {
            None
        };
        if let Some(p) = problem {
            problems.push((at("code"), p));
            continue;
        }
        let (Some(zh), Some(en)) = (r.zh.clone(), r.en.clone()) else {
            problems.push((at("code"), format!("`{code}` needs a Chinese (zh) and an English (en) name")));
            continue;
        };
        extra.push(crate::model::catalogue::Indicator {
            code,
            zh,
            en,
            kind: r.kind.unwrap_or(crate::model::catalogue::IndicatorKind::Count),
            nonnegative: r.nonnegative.unwrap_or(true),
            cumulative: r.cumulative.unwrap_or(true),
            unit: r.unit.clone(),
        });
    }
    c.with_indicators(extra)
}

/// Parses a schedule the way tokio-cron-scheduler does: seconds first (6 or 7 fields), and
/// day-of-month and day-of-week both required when both are given.
pub fn parse_cron(text: &str) -> Result<croner::Cron, String> {
    let fields = text.split_whitespace().count();
    if !(6..=7).contains(&fields) {
        return Err(format!("{fields} fields; a schedule needs 6 or 7, seconds first"));
    }
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Required)
        .dom_and_dow(true)
        .build()
        .parse(text)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> Vec<(String, String)> {
        vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn built_in_defaults_are_anhui_with_mail_to_files() {
        let s = Settings::defaults();
        assert_eq!(s.monitor.region, "340000");
        assert!(s.smtp.is_none(), "no SMTP by default: e-mails are written as files");
        assert_eq!(s.paths.data, PathBuf::from("data"));
        assert_eq!(s.subscriptions[0].audience, Audience::Province);
        assert_eq!(s.catalogue.members().count(), 10);
    }

    #[test]
    fn environment_overrides_the_file() {
        let text = "[paths]\ndata = \"/srv/a\"\n[smtp]\nhost = \"mail\"\n";
        let s = load_text(
            "x.toml",
            text,
            env(&[("SEIMON_PATHS__DATA", "/srv/b"), ("SEIMON_SMTP__PORT", "2525"), ("OTHER", "1")]),
        )
        .unwrap();
        assert_eq!(s.paths.data, PathBuf::from("/srv/b"));
        let smtp = s.smtp.unwrap();
        assert_eq!(smtp.port, 2525);
        assert_eq!(smtp.host, "mail");
        // a string key stays a string even when the value looks like a number
        let s = load_text("x.toml", "", env(&[("SEIMON_PATHS__REPORTS", "2025")])).unwrap();
        assert_eq!(s.paths.reports, PathBuf::from("2025"));
    }

    #[test]
    fn errors_name_file_line_and_problem() {
        let text =
            "[paths]\ndata = \"d\"\n\n[[subscriptions]]\naudience = \"industry:XYZ\"\nto = [\"ok@example.org\", \"not an address\"]\n";
        let e = load_text("my.toml", text, env(&[])).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("my.toml:5:12: subscriptions[0].audience: unknown industry code `XYZ`"),
            "{msg}"
        );
        assert!(
            msg.contains("my.toml:6:25: subscriptions[0].to[1]: `not an address` is not a valid e-mail address"),
            "{msg}"
        );
    }

    #[test]
    fn syntax_and_type_errors_have_positions() {
        let e = load_text("my.toml", "[smtp]\nport = \"x\"\n", env(&[])).unwrap_err();
        assert!(e.to_string().starts_with("my.toml:2:8:"), "{e}");
        let e = load_text("my.toml", "[paths]\ndta = \"x\"\n", env(&[])).unwrap_err();
        assert!(e.to_string().starts_with("my.toml:2:1:") && e.to_string().contains("dta"), "{e}");
        let e = load_text("my.toml", "[paths\n", env(&[])).unwrap_err();
        assert!(e.to_string().starts_with("my.toml:1:"), "{e}");
    }

    #[test]
    fn environment_errors_name_the_variable() {
        let e = load_text("my.toml", "", env(&[("SEIMON_MONITOR__REGION", "999999")])).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("environment variable SEIMON_MONITOR__REGION: monitor.region: unknown region code `999999`"),
            "{e}"
        );
    }

    #[test]
    fn secrets_come_from_the_environment_and_never_print() {
        let text = "[smtp]\nhost = \"mail\"\nusername = \"u\"\n";
        let s = load_text(
            "x.toml",
            text,
            env(&[("SEIMON_SMTP__PASSWORD", "hunter2-secret"), ("SEIMON_API__TOKEN", "tok-secret")]),
        )
        .unwrap();
        assert_eq!(s.smtp.as_ref().unwrap().password.as_ref().unwrap().expose(), "hunter2-secret");
        let shown = format!("{s:?}");
        assert!(!shown.contains("hunter2-secret") && !shown.contains("tok-secret"), "{shown}");
        assert_eq!(
            s.hash,
            load_text("x.toml", text, env(&[("SEIMON_SMTP__PASSWORD", "other")])).unwrap().hash,
            "secrets are not hashed"
        );
        let e = load_text("x.toml", text, env(&[])).unwrap_err();
        assert!(
            e.to_string()
                .contains("x.toml:3:12: smtp.username: a username is set but no password"),
            "{e}"
        );
    }
}
