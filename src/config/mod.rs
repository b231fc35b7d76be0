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
mod raw;
mod robots;
mod secret;
mod validate;

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use lettre::message::Mailbox;
use serde::Deserialize;

use self::raw::*;
pub use self::secret::Secret;
use self::validate::validate;
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
const SECRET_VARS: [&str; 3] = ["SEIMON_SMTP__PASSWORD", "SEIMON_API__TOKEN", "SEIMON_API__READER_TOKEN"];
/// Every variable under this prefix is a robot's secret (its URL or signing key).
const ROBOT_ENV_PREFIX: &str = "SEIMON_ROBOT__";

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
    /// The chat robots subscriptions post to (`[[robots]]`).
    pub robots: Vec<Robot>,
    /// The console as readers reach it (`[console] url`): robot cards link to reports there.
    pub console_url: Option<String>,
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
    /// How flags form groups and which groups follow from which.
    pub grouping: crate::risk::Grouping,
    /// How many key risks each kind of report leads with.
    pub key_risks: crate::render::KeyRisks,
    /// Statistical disclosure control of what leaves the analyst (`[disclosure]`).
    pub disclosure: crate::disclosure::Policy,
    /// How many enterprises a chain's segment needs in a region to count as present
    /// (`[chains] min_enterprises`): the coverage of a chain and its missing links.
    pub chain_min_enterprises: u32,
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
    /// Attach the report typeset on A4 (`attachments = ["pdf"]`).
    pub attach_pdf: bool,
    /// The robots that post the report's card to their groups (`robots = ["name"]`).
    pub robots: Vec<String>,
}

/// A chat robot (`[[robots]]`): where it posts, how it signs, how fast it may go.
#[derive(Debug, Clone)]
pub struct Robot {
    /// The robot's name in subscriptions and in the outbox (`robot:NAME`).
    pub name: String,
    pub kind: crate::chat::RobotKind,
    /// The webhook address; it holds the platform's access token, so it is a secret.
    pub url: Secret,
    /// DingTalk's signing secret (`SEC…`), or the webhook's HMAC key; WeCom has none.
    pub secret: Option<Secret>,
    /// A PEM certificate to trust besides the system's roots.
    pub ca_file: Option<PathBuf>,
    pub timeout: std::time::Duration,
    /// At most `rate_limit` posts in any `rate_window` (both platforms: 20 a minute).
    pub rate_limit: u32,
    pub rate_window: std::time::Duration,
    pub retry_base: std::time::Duration,
    pub max_attempts: i64,
}

impl Robot {
    /// The environment variables of a robot's URL and secret: `SEIMON_ROBOT__<NAME>__URL`,
    /// the name upper-cased with `-` as `_`.
    pub fn env_var(name: &str, what: &str) -> String {
        format!("{ROBOT_ENV_PREFIX}{}__{what}", name.to_ascii_uppercase().replace('-', "_"))
    }
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
    /// The analyst's token: every route, every value.
    pub token: Option<Secret>,
    /// A reader's token (a portal, a dashboard): the periods, and the indicators and risks
    /// readers may see — without the values disclosure control withholds.
    pub reader_token: Option<Secret>,
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
        if SECRET_VARS.contains(&var.as_str()) || var.starts_with(ROBOT_ENV_PREFIX) {
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
    fn robots_take_their_url_and_secret_from_the_environment_and_never_show_them() {
        let text = "[[robots]]\nname = \"hefei-group\"\nkind = \"dingtalk\"\n\n[[subscriptions]]\naudience = \"city:340100\"\nrobots = [\"hefei-group\"]\n";
        let url = "https://oapi.dingtalk.com/robot/send?access_token=abc123secret";
        let s = load_text(
            "x.toml",
            text,
            env(&[
                ("SEIMON_ROBOT__HEFEI_GROUP__URL", url),
                ("SEIMON_ROBOT__HEFEI_GROUP__SECRET", "SECsigning"),
            ]),
        )
        .unwrap();
        assert_eq!(s.robots[0].url.expose(), url);
        assert_eq!(s.robots[0].rate_limit, 20, "the platforms' 20 a minute");
        assert_eq!(s.subscriptions.last().unwrap().robots, ["hefei-group"]);
        assert!(s.subscriptions.last().unwrap().to.is_empty(), "a robot alone is a recipient");
        let shown = format!("{s:?}");
        assert!(!shown.contains("abc123secret") && !shown.contains("SECsigning"), "{shown}");
        // a DingTalk robot without its secret; a URL that is not one, never echoed
        let e = load_text("x.toml", text, env(&[("SEIMON_ROBOT__HEFEI_GROUP__URL", "ftp:abc123secret")])).unwrap_err();
        let e = e.to_string();
        assert!(e.contains("no secret: set SEIMON_ROBOT__HEFEI_GROUP__SECRET or secret_file"), "{e}");
        assert!(e.contains("is not an http(s) address"), "{e}");
        assert!(!e.contains("abc123secret"), "{e}");
        // a subscription naming a robot that is not defined
        let e = load_text(
            "x.toml",
            "[[subscriptions]]\naudience = \"province\"\nrobots = [\"nobody\"]\n",
            env(&[]),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("subscriptions[0].robots[0]: no robot `nobody` is defined in [[robots]]"),
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
