//! Validation: the merged raw configuration checked key by key — every problem collected,
//! each with its key — and turned into typed [`Settings`](super::Settings), each stage's
//! parameters included. Defaults live in the built-in `config/seimon.toml` alone.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use lettre::message::Mailbox;

use super::raw::{
    RawApi, RawAssessment, RawDisclosure, RawFloors, RawIndicator, RawLog, RawMateriality, RawRisk, RawRule, RawSchedule, RawSettings,
    RawSilence, RawSmtp, RawSubscription,
};
use super::{
    Api, Archive, Ingest, Log, Mail, Monitor, Paths, Schedule, Secret, Security, Settings, Smtp, Subscription, catalogue_file, parse_cron,
    robots,
};
use crate::model::audience::Audience;
use crate::model::catalogue::Catalogue;
use crate::model::language::Language;
use crate::model::tomlspan::KeyPath;

pub(super) type Problems = Vec<(KeyPath, String)>;

/// A value the built-in defaults (`config/seimon.toml`, merged under every file) always
/// set: after the merge it cannot be absent, so its default lives there and only there.
fn defaulted<T>(value: Option<T>) -> T {
    value.expect("set by the built-in defaults, merged under every configuration")
}

/// The key path `s` (`smtp.port`, `rules[2].measure`).
fn key(s: &str) -> KeyPath {
    KeyPath::parse(s)
}

/// A text the configuration must give, not empty.
fn need(v: Option<String>, k: &str, problems: &mut Problems) -> String {
    v.filter(|s| !s.trim().is_empty()).unwrap_or_else(|| {
        problems.push((key(k), "is required and may not be empty".into()));
        String::new()
    })
}

/// An e-mail address (`名字 <a@b>` or `a@b`).
fn mailbox(text: &str, k: KeyPath, problems: &mut Problems) -> Option<Mailbox> {
    match text.parse::<Mailbox>() {
        Ok(m) => Some(m),
        Err(e) => {
            problems.push((k, format!("`{text}` is not a valid e-mail address ({e})")));
            None
        }
    }
}

pub(super) fn validate(origin: &str, raw: RawSettings, secrets: BTreeMap<String, Secret>, hash: String) -> Result<Settings, Problems> {
    let mut problems: Problems = Vec::new();
    let paths = Paths {
        data: defaulted(raw.paths.data),
        reports: defaulted(raw.paths.reports),
        inbox: defaulted(raw.paths.inbox),
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
    let language = defaulted(raw.monitor.language);
    let RiskSection {
        rules,
        silences,
        expected_indicators,
        grouping,
        key_risks,
    } = match &catalogue {
        Some(c) => validate_risk(&raw.rules, &raw.silences, &raw.risk, c, &mut problems),
        None => RiskSection::default(),
    };

    let mail_from_text = need(raw.mail.from, "mail.from", &mut problems);
    let mail_from = mailbox(&mail_from_text, key("mail.from"), &mut problems);

    let smtp = raw.smtp.map(|s| smtp_section(s, &secrets, mail_from.as_ref(), &mut problems));

    // a robot defined with a problem of its own is still defined for the subscriptions
    let robot_names: Vec<String> = raw.robots.iter().filter_map(|r| r.name.clone()).collect();
    let robots = robots::robots_section(raw.robots, &secrets, &mut problems);
    let console_url = robots::console_url(raw.console.url, &mut problems);
    let subscriptions = subscriptions_section(raw.subscriptions, catalogue.as_deref(), language, &robot_names, &mut problems);

    let api = api_section(raw.api, &secrets, &mut problems);

    let schedule = schedule_section(raw.schedule, &mut problems);
    let log = log_section(raw.log, &mut problems);

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

    let keep_runs = defaulted(raw.archive.keep_runs);
    if keep_runs == 0 {
        problems.push((
            key("archive.keep_runs"),
            "at least 1: the period's current run is always kept".into(),
        ));
    }
    let archive = Archive {
        keep_runs: keep_runs.max(1),
        keep_quarantined: defaulted(raw.archive.keep_quarantined),
    };
    let ingest = Ingest {
        horizon_days: defaulted(raw.ingest.horizon_days),
    };
    let disclosure = disclosure_section(&raw.disclosure, &mut problems);
    let chain_min_enterprises = defaulted(raw.chains.min_enterprises);
    if !(1..=1000).contains(&chain_min_enterprises) {
        problems.push((
            key("chains.min_enterprises"),
            format!("`{chain_min_enterprises}`: a segment is present with at least 1 to 1000 enterprises"),
        ));
    }

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
        robots,
        console_url,
        api,
        schedule: schedule.expect("no problems means a schedule"),
        log,
        targets,
        tiers,
        assessment,
        ingest,
        archive,
        demo_through,
        rules,
        silences,
        expected_indicators,
        grouping,
        key_risks,
        disclosure,
        chain_min_enterprises: chain_min_enterprises.clamp(1, 1000) as u32,
        hash,
    })
}

/// `[disclosure]`: the primary rules of statistical disclosure control.
fn disclosure_section(raw: &RawDisclosure, problems: &mut Problems) -> crate::disclosure::Policy {
    use crate::disclosure::{Dominance, Policy, Rules};
    let mut whole = |v: i64, k: &str, range: std::ops::RangeInclusive<i64>| {
        if range.contains(&v) {
            v as u32
        } else {
            problems.push((
                key(&format!("disclosure.{k}")),
                format!("`{v}`: expected a whole number from {} to {}", range.start(), range.end()),
            ));
            *range.start() as u32
        }
    };
    let min_contributors = whole(defaulted(raw.min_contributors), "min_contributors", 1..=100);
    let n = whole(defaulted(raw.dominance_n), "dominance_n", 0..=10);
    let mut percent = |v: f64, k: &str| {
        if v.is_finite() && v > 0.0 && v <= 100.0 {
            v
        } else {
            problems.push((
                key(&format!("disclosure.{k}")),
                format!("`{v}`: expected a percentage above 0 and at most 100"),
            ));
            100.0
        }
    };
    let k_pct = percent(defaulted(raw.dominance_k_pct), "dominance_k_pct");
    let p_pct = raw.p_pct.map(|p| percent(p, "p_pct"));
    Policy {
        rules: Rules {
            min_contributors,
            dominance: (n > 0).then_some(Dominance { n, k_pct }),
            p_pct,
        },
        protect_published: defaulted(raw.protect_published),
        margin_pct: percent(defaulted(raw.margin_pct), "margin_pct"),
    }
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
/// The ids of the built-in rules (`config/seimon.toml`).
fn built_in_rule_ids() -> &'static [String] {
    static IDS: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
        let raw: super::raw::RawSettings = toml::from_str(super::DEFAULTS).expect("built-in defaults parse");
        raw.rules.into_iter().filter_map(|r| r.id).collect()
    });
    &IDS
}

/// The risk settings, validated.
#[derive(Default)]
struct RiskSection {
    rules: Vec<crate::risk::Rule>,
    silences: Vec<crate::risk::Silence>,
    expected_indicators: Vec<String>,
    grouping: crate::risk::Grouping,
    key_risks: crate::render::KeyRisks,
}

/// Materiality floors: each one finite and not negative, a weight at most 100 %.
fn materiality_section(raw: &RawMateriality, at: &KeyPath, problems: &mut Problems) -> crate::risk::Materiality {
    let floors = |f: &RawFloors, level: &str, problems: &mut Problems| {
        let at = |k: &str| at.clone().key(level).key(k);
        let mut amount = |v: Option<f64>, k: &str, max: Option<f64>| {
            v.filter(|v| {
                let ok = v.is_finite() && *v >= 0.0 && max.is_none_or(|m| *v <= m);
                if !ok {
                    let range = max.map_or("0 or more".to_string(), |m| format!("from 0 to {m}"));
                    problems.push((at(k), format!("`{v}` is not a floor: expected a number {range}")));
                }
                ok
            })
        };
        let level_yi = amount(f.level_yi, "level_yi", None);
        let weight_pct = amount(f.weight_pct, "weight_pct", Some(100.0));
        let enterprises = f.enterprises.and_then(|n| match u32::try_from(n) {
            Ok(n) => Some(n),
            Err(_) => {
                problems.push((at("enterprises"), format!("`{n}` is not a number of enterprises")));
                None
            }
        });
        crate::risk::Floors {
            level_yi,
            weight_pct,
            enterprises,
        }
    };
    crate::risk::Materiality {
        province: floors(&raw.province, "province", problems),
        city: floors(&raw.city, "city", problems),
        county: floors(&raw.county, "county", problems),
    }
}

fn validate_risk(
    raw_rules: &[RawRule],
    raw_silences: &[RawSilence],
    raw_risk: &RawRisk,
    c: &Catalogue,
    problems: &mut Problems,
) -> RiskSection {
    use crate::risk::{Direction, Rule, Silence};
    let defaults = materiality_section(&raw_risk.materiality, &KeyPath::default().key("risk").key("materiality"), problems);
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
        let on = match r.on.as_deref() {
            None | Some("industries") => crate::risk::On::Industries,
            Some("chains") => crate::risk::On::Chains,
            Some("segments") => crate::risk::On::Segments,
            Some(other) => {
                problems.push((
                    at("on"),
                    format!("`{other}` is not what a rule reads: \"industries\", \"chains\" or \"segments\""),
                ));
                crate::risk::On::Industries
            }
        };
        if on != crate::risk::On::Industries && !r.industries.is_empty() {
            problems.push((
                at("industries"),
                "a rule on chains or segments reads every chain: leave `industries` out".into(),
            ));
        }
        if r.while_chain_grows && on != crate::risk::On::Segments {
            problems.push((
                at("while_chain_grows"),
                "only a rule on segments (`on = \"segments\"`) has a chain to compare with".into(),
            ));
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
        let materiality = defaults.overlaid(&materiality_section(&r.materiality, &at("materiality"), problems));
        if problems.len() == before {
            rules.push(Rule {
                on,
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
                while_chain_grows: r.while_chain_grows,
                materiality,
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
            || !(3..=4).contains(&risk.split(':').count())
        {
            problems.push((
                at("risk"),
                format!(
                    "`{risk}` is not a risk id of a configured rule (rule:region:industry:indicator, or a group's rule:region:industry)"
                ),
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
    let mut inhibit = Vec::new();
    for (i, raw) in raw_risk.inhibit.iter().enumerate() {
        let at = |k: &str| KeyPath::default().key("risk").key("inhibit").index(i).key(k);
        let before = problems.len();
        for (k, list) in [("causes", &raw.causes), ("consequences", &raw.consequences)] {
            if list.is_empty() {
                problems.push((at(k), "needs at least one rule id".into()));
            }
            for (j, id) in list.iter().enumerate() {
                // a built-in rule a configuration left out is no mistake: its inhibition
                // (a built-in default) simply has nothing to act on
                let known = raw_rules.iter().any(|r| r.id.as_ref() == Some(id)) || built_in_rule_ids().contains(id);
                if !known {
                    problems.push((at(k).index(j), format!("`{id}` is not the id of a configured rule")));
                }
            }
        }
        for (j, id) in raw.consequences.iter().enumerate() {
            if raw.causes.contains(id) {
                problems.push((
                    at("consequences").index(j),
                    format!("`{id}` is among the causes too: a rule cannot follow from itself"),
                ));
            }
        }
        if problems.len() == before {
            inhibit.push(crate::risk::Inhibit {
                causes: raw.causes.clone(),
                consequences: raw.consequences.clone(),
            });
        }
    }
    let k = &raw_risk.key_risks;
    let mut key_risks = |v: Option<i64>, name: &str| match v.map(usize::try_from) {
        Some(Ok(n)) if (1..=20).contains(&n) => n,
        Some(_) => {
            problems.push((
                KeyPath::default().key("risk").key("key_risks").key(name),
                format!("`{}` key risks: expected 1 to 20", v.unwrap_or_default()),
            ));
            1
        }
        None => defaulted(None),
    };
    let key_risks = crate::render::KeyRisks {
        province: key_risks(k.province, "province"),
        industry: key_risks(k.industry, "industry"),
        city: key_risks(k.city, "city"),
    };
    RiskSection {
        rules,
        silences,
        expected_indicators: expected,
        grouping: crate::risk::Grouping {
            inhibit,
            by_parent: defaulted(raw_risk.inhibit_by_parent),
        },
        key_risks,
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

/// `[smtp]`: the relay, its security and port (by security when not given), the sender,
/// the password (environment or file), timeouts and retries.
fn smtp_section(s: RawSmtp, secrets: &BTreeMap<String, Secret>, mail_from: Option<&Mailbox>, problems: &mut Problems) -> Smtp {
    let host = need(s.host, "smtp.host", problems);
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
        Some(f) => mailbox(&f, key("smtp.from"), problems),
        None => mail_from.cloned(),
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
}

/// `[api]`: the address to listen on and the token (environment or file; never empty).
fn api_section(raw: RawApi, secrets: &BTreeMap<String, Secret>, problems: &mut Problems) -> Api {
    let listen_text = defaulted(raw.listen);
    let listen = listen_text.parse::<SocketAddr>().unwrap_or_else(|_| {
        problems.push((
            key("api.listen"),
            format!("`{listen_text}` is not an address:port such as 127.0.0.1:8650"),
        ));
        SocketAddr::from(([127, 0, 0, 1], 8650))
    });
    let mut token = |var: &str, file: Option<PathBuf>, name: &str, what: &str| {
        let token = match (secrets.get(var), file) {
            (Some(t), _) => Some(t.clone()),
            (None, Some(file)) => match std::fs::read_to_string(&file) {
                Ok(t) => Some(Secret(t.trim().to_string())),
                Err(e) => {
                    problems.push((key(&format!("api.{name}_file")), format!("cannot read {}: {e}", file.display())));
                    None
                }
            },
            (None, None) => None,
        };
        token.filter(|t| {
            // an empty token would start a daemon that refuses every request
            let empty = t.expose().trim().is_empty();
            if empty {
                problems.push((
                    key(&format!("api.{name}")),
                    format!("the {what} is empty: set {var} (or [api] {name}_file) to a secret"),
                ));
            }
            !empty
        })
    };
    let analyst = token("SEIMON_API__TOKEN", raw.token_file, "token", "API token");
    let reader = token(
        "SEIMON_API__READER_TOKEN",
        raw.reader_token_file,
        "reader_token",
        "API reader token",
    );
    let reader = reader.filter(|r| {
        // one token for two roles would give readers everything
        let same = analyst.as_ref().is_some_and(|a| a.expose() == r.expose());
        if same {
            problems.push((
                key("api.reader_token"),
                "the reader token is the analyst's token: give readers a secret of their own".into(),
            ));
        }
        !same
    });
    Api {
        listen,
        token: analyst,
        reader_token: reader,
    }
}

/// `[[subscriptions]]`: who receives which audience's report, in which language, with
/// which attachments.
fn subscriptions_section(
    raw: Vec<RawSubscription>,
    catalogue: Option<&Catalogue>,
    language: Language,
    robots: &[String],
    problems: &mut Problems,
) -> Vec<Subscription> {
    let mut subscriptions = Vec::new();
    for (i, s) in raw.into_iter().enumerate() {
        let at = |k: &str| KeyPath::default().key("subscriptions").index(i).key(k);
        let audience_text = s.audience.unwrap_or_default();
        let audience = match audience_text.split_once(':') {
            None if audience_text == "province" => Some(Audience::Province),
            Some(("industry", code)) => match catalogue {
                Some(c) if c.industry(code).is_none() => {
                    problems.push((
                        at("audience"),
                        format!("unknown industry code `{code}` (not in catalogue {})", c.name),
                    ));
                    None
                }
                _ => Some(Audience::Industry(code.to_string())),
            },
            Some(("chain", code)) => match catalogue {
                Some(c) if !c.chains.iter().any(|chain| chain.code == code) => {
                    problems.push((at("audience"), format!("unknown chain code `{code}` (not in catalogue {})", c.name)));
                    None
                }
                _ => Some(Audience::Chain(code.to_string())),
            },
            Some(("city", code)) => match catalogue {
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
                    format!("`{audience_text}` is not an audience: expected \"province\", \"industry:<code>\", \"city:<code>\" or \"chain:<code>\""),
                ));
                None
            }
        };
        if s.to.is_empty() && s.robots.is_empty() {
            problems.push((at("to"), "lists no recipient (and the subscription names no robot)".into()));
        }
        for (j, name) in s.robots.iter().enumerate() {
            if !robots.contains(name) {
                problems.push((at("robots").index(j), format!("no robot `{name}` is defined in [[robots]]")));
            }
        }
        let to: Vec<Mailbox> =
            s.to.iter()
                .enumerate()
                .filter_map(|(j, t)| mailbox(t, at("to").index(j), problems))
                .collect();
        let attachments = s.attachments.clone().unwrap_or_else(|| vec!["xlsx".into()]);
        for (j, a) in attachments.iter().enumerate() {
            if a != "xlsx" && a != "pdf" {
                problems.push((
                    at("attachments").index(j),
                    format!("`{a}` is not an attachment seimon makes (\"xlsx\", \"pdf\")"),
                ));
            }
        }
        if let Some(audience) = audience {
            subscriptions.push(Subscription {
                audience,
                to,
                language: s.language.unwrap_or(language),
                attach_xlsx: attachments.iter().any(|a| a == "xlsx"),
                attach_pdf: attachments.iter().any(|a| a == "pdf"),
                robots: s.robots.clone(),
            });
        }
    }

    subscriptions
}

/// `[schedule]`: the time zone, when reports fall due and the outbox is sent, how long a
/// report waits for its data, how often the inbox is looked at. `None` when a problem was
/// found.
fn schedule_section(raw: RawSchedule, problems: &mut Problems) -> Option<Schedule> {
    let timezone = defaulted(raw.timezone);
    if timezone.parse::<chrono_tz::Tz>().is_err() {
        problems.push((
            key("schedule.timezone"),
            format!("unknown time zone `{timezone}` (an IANA name such as Asia/Shanghai)"),
        ));
    }
    let mut cron = |name: &str, example: &str, given: Option<String>| {
        let text = defaulted(given);
        let parsed = parse_cron(&text).map_err(|e| problems.push((key(name), format!("`{text}`: {e} (e.g. \"{example}\")"))));
        (text, parsed.ok())
    };
    let (report, report_cron) = cron("schedule.report", "0 0 9 25 1,4,7,10 *", raw.report);
    let (outbox, _) = cron("schedule.outbox", "0 */5 * * * *", raw.outbox);
    let deadline_days = defaulted(raw.deadline_days);
    if !(0..=92).contains(&deadline_days) {
        problems.push((
            key("schedule.deadline_days"),
            format!("{deadline_days} days: a report waits for its data between 0 and 92 days"),
        ));
    }
    let inbox_poll_secs = defaulted(raw.inbox_poll_secs);
    if inbox_poll_secs == 0 {
        problems.push((key("schedule.inbox_poll_secs"), "must be at least 1 second".into()));
    }

    Some(Schedule {
        tz: timezone.parse().ok()?,
        report,
        report_cron: report_cron?,
        outbox,
        deadline: chrono::Duration::days(deadline_days),
        inbox_poll: std::time::Duration::from_secs(inbox_poll_secs.max(1)),
        send_corrections: defaulted(raw.send_corrections),
    })
}

/// `[log]`: the filter (checked) and the format.
fn log_section(raw: RawLog, problems: &mut Problems) -> Log {
    let level = defaulted(raw.level);
    if tracing_subscriber::EnvFilter::try_new(&level).is_err() {
        problems.push((
            key("log.level"),
            format!("`{level}` is not a log filter such as \"info\" or \"seimon=debug,info\""),
        ));
    }

    Log {
        level,
        format: defaulted(raw.format),
    }
}
