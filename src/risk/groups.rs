//! Risk groups: one risk per cause, with its materiality, severity, state and place under
//! the cause it follows from. No I/O.
//!
//! The flags of one rule over several indicators of one (region, industry) are one
//! group: its light is its worst member's, its state (new, persisting, escalated, eased,
//! resolved) compares that light with the worst of the members' lights a quarter
//! earlier, and it has been raised since the first quarter of the current run in which
//! any of its indicators was lit. Like the flags, all
//! of it is derived from the measure history, so `--as-of` reproduces it.
//!
//! A group is listed under the group it follows from (Alertmanager calls this inhibition),
//! when that group is material and lit at least as brightly as it is:
//! a consequence rule (a falling share) under a cause rule (negative growth) of the same
//! region and industry, as `[[risk.inhibit]]` says; and, with `inhibit_by_parent`, a
//! sub-region's group under its parent region's group of the same rule and industry. A
//! group under a cause is not counted on its own; the chain of causes is followed to its
//! root, so every group is listed once, under one root.
//!
//! The severity score (0–100) ranks groups:
//!
//! ```text
//! score = light + distance + weight + persistence (+ spread, for a group)
//!   light        red 50, yellow 25
//!   distance     15 × min(1, |value − threshold| / span)   span = |red − yellow|, or 10
//!   weight       15 × clamp(log10(w / 0.1) / 2, 0, 1)
//!                w: the industry's level as a share of the monitored region's total, %
//!                (0.1 % scores nothing, 1 % half, 10 % all)
//!   persistence  10 × min(1, (n − 1) / 4)   n: quarters lit in a row, this one included
//!   spread       min(10, 2.5 × the groups listed under it)
//! ```
//!
//! A flag's score has the first four parts (`risks.csv`); a group's is its worst member's
//! plus its spread — a cause that shows in many cities outranks one city's — at most
//! 100. A resolved group scores 0.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::materiality::{Sizes, is_material};
use super::{Class, Flag, Level, Rule, State, fmt};
use crate::model::catalogue::{Catalogue, parent_code};
use crate::model::labels::{fill, tr};
use crate::model::language::Language;
use crate::model::period::Period;

/// Points of the light in the score.
const LIGHT_POINTS: [(Level, f64); 2] = [(Level::Red, 50.0), (Level::Yellow, 25.0)];
/// Points for the distance past the threshold, reached at one span past it.
const DISTANCE_POINTS: f64 = 15.0;
/// The span of a rule with one threshold, in the measure's units (percentage points).
const DEFAULT_SPAN: f64 = 10.0;
/// Points for the series' weight: none at 0.1 % of the monitored total, all at 10 %,
/// on a logarithmic scale between (sizes span orders of magnitude).
const WEIGHT_POINTS: f64 = 15.0;
const WEIGHT_FROM_PCT: f64 = 0.1;
const WEIGHT_DECADES: f64 = 2.0;
/// Points for persistence, reached after `FULL_PERSISTENCE` further quarters.
const PERSISTENCE_POINTS: f64 = 10.0;
const FULL_PERSISTENCE: f64 = 4.0;
/// Points a group gains per group listed under it, and at most.
const SPREAD_POINTS: f64 = 2.5;
const SPREAD_MAX: f64 = 10.0;

/// One inhibition: a group of a `consequences` rule is listed under a lit, material group
/// of a `causes` rule of the same region and industry.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Inhibit {
    pub causes: Vec<String>,
    pub consequences: Vec<String>,
}

/// How flags are grouped and which groups follow from which.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct Grouping {
    pub inhibit: Vec<Inhibit>,
    /// A sub-region's group is listed under its parent region's group of the same rule
    /// and industry.
    pub by_parent: bool,
}

/// One risk: the flags of one rule on one (region, industry).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    /// `rule:region:industry`.
    pub id: String,
    pub rule: String,
    pub region: String,
    pub industry: String,
    pub level: Level,
    /// The worst of the members' lights a quarter earlier.
    pub previous: Level,
    pub state: State,
    pub since: Period,
    pub material: bool,
    /// Every lit member is silenced.
    pub silenced: bool,
    pub score: f64,
    /// The members: indices into the flags, in indicator order.
    pub members: Vec<usize>,
    /// The group this one follows from directly (an index into the groups), if any.
    pub cause: Option<usize>,
    /// The root of its chain of causes (the group that follows from nothing), if any.
    pub root: Option<usize>,
}

impl Group {
    /// Raised, material and not silenced: a risk a reader is told about.
    pub fn counts(&self) -> bool {
        self.state != State::Resolved && self.material && !self.silenced
    }
}

/// The severity of one lit value of a rule (see the module's documentation).
pub fn severity(rule: &Rule, level: Level, value: Option<f64>, quarters_lit: i32, weight_in_top_pct: Option<f64>) -> f64 {
    let Some(&(_, light)) = LIGHT_POINTS.iter().find(|(l, _)| *l == level) else {
        return 0.0;
    };
    let span = match (rule.yellow, rule.red) {
        (Some(y), Some(r)) if (y - r).abs() > 0.0 => (y - r).abs(),
        _ => DEFAULT_SPAN,
    };
    let distance = match (value, rule.threshold(level)) {
        (Some(v), Some(t)) => DISTANCE_POINTS * ((v - t).abs() / span).min(1.0),
        _ => 0.0,
    };
    let weight = weight_in_top_pct.filter(|w| *w > 0.0).map_or(0.0, |w| {
        WEIGHT_POINTS * ((w / WEIGHT_FROM_PCT).log10() / WEIGHT_DECADES).clamp(0.0, 1.0)
    });
    let persistence = PERSISTENCE_POINTS * ((f64::from(quarters_lit.max(1)) - 1.0) / FULL_PERSISTENCE).min(1.0);
    light + distance + weight + persistence
}

/// The state of a light against the previous quarter's.
pub(super) fn state_of(before: Level, now: Level) -> Option<State> {
    Some(match (before, now) {
        (Level::Green, Level::Green) => return None,
        (Level::Green, _) => State::New,
        (_, Level::Green) => State::Resolved,
        (b, n) if b == n => State::Persisting,
        (b, n) if n > b => State::Escalated,
        _ => State::Eased,
    })
}

/// Marks each flag with its materiality, score and group, and returns the groups of the
/// business flags, ranked: highest score first.
pub fn group(flags: &mut [Flag], rules: &[Rule], grouping: &Grouping, sizes: &Sizes<'_>) -> Vec<Group> {
    let mut cells = HashMap::new();
    let mut by_id: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, f) in flags.iter_mut().enumerate() {
        if f.class != Class::Business {
            f.group = f.risk_id.clone();
            continue;
        }
        let size = *cells
            .entry((f.region.clone(), f.industry.clone()))
            .or_insert_with(|| sizes.of(&f.region, &f.industry));
        if let Some(rule) = rules.iter().find(|r| r.id == f.rule) {
            f.material = is_material(&rule.materiality, &f.region, &size);
            let lit = f.period.index() - f.since.index() + 1;
            f.score = severity(rule, f.level, f.value, lit, size.weight_in_top_pct);
        }
        f.group = format!("{}:{}:{}", f.rule, f.region, f.industry);
        by_id.entry(f.group.clone()).or_default().push(i);
    }
    let mut groups: Vec<Group> = by_id
        .into_iter()
        .map(|(id, members)| {
            let of = |i: &usize| &flags[*i];
            let level = members.iter().map(|i| of(i).level).max().unwrap_or(Level::Green);
            let previous = members.iter().map(|i| of(i).previous).max().unwrap_or(Level::Green);
            let lit: Vec<&Flag> = members.iter().map(of).filter(|f| f.level != Level::Green).collect();
            let first = of(&members[0]);
            Group {
                rule: first.rule.clone(),
                region: first.region.clone(),
                industry: first.industry.clone(),
                level,
                previous,
                state: state_of(previous, level).unwrap_or(State::Resolved),
                since: if lit.is_empty() { first.period } else { first.group_since },
                material: first.material,
                silenced: if lit.is_empty() {
                    members.iter().all(|i| of(i).silenced.is_some())
                } else {
                    lit.iter().all(|f| f.silenced.is_some())
                },
                score: members.iter().map(|i| of(i).score).fold(0.0, f64::max),
                id,
                members,
                cause: None,
                root: None,
            }
        })
        .collect();
    link_causes(&mut groups, grouping);
    // the spread: a group gains for each counted group that follows from it, directly
    // or through others
    let mut spread = vec![0usize; groups.len()];
    for g in groups.iter().filter(|g| g.counts()) {
        let mut up = g.cause;
        while let Some(c) = up {
            spread[c] += 1;
            up = groups[c].cause;
        }
    }
    for (g, n) in groups.iter_mut().zip(spread) {
        if g.state != State::Resolved {
            g.score = (g.score + (SPREAD_POINTS * n as f64).min(SPREAD_MAX)).min(100.0);
        }
    }
    rank(groups)
}

/// The groups ranked by score (then id), their causes re-pointed to the new places.
fn rank(groups: Vec<Group>) -> Vec<Group> {
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by(|&a, &b| {
        groups[b]
            .score
            .total_cmp(&groups[a].score)
            .then_with(|| groups[a].id.cmp(&groups[b].id))
    });
    let mut place = vec![0; groups.len()];
    for (new, &old) in order.iter().enumerate() {
        place[old] = new;
    }
    let mut slots: Vec<Option<Group>> = groups.into_iter().map(Some).collect();
    order
        .iter()
        .map(|&old| {
            let mut g = slots[old].take().expect("each group once");
            g.cause = g.cause.map(|c| place[c]);
            g.root = g.root.map(|c| place[c]);
            g
        })
        .collect()
}

/// Sets each lit group's direct cause and the root of its chain. A chain that comes back
/// on itself is cut where it would.
fn link_causes(groups: &mut [Group], grouping: &Grouping) {
    let index: HashMap<&str, usize> = groups.iter().enumerate().map(|(i, g)| (g.id.as_str(), i)).collect();
    // a cause hides a consequence only if it is lit at least as brightly: a yellow fall
    // does not hide a red gap to all industry, which stands as a risk of its own
    let can_cause = |c: &Group, g: &Group| c.state != State::Resolved && c.material && c.level >= g.level;
    let direct: Vec<Option<usize>> = groups
        .iter()
        .map(|g| {
            if g.state == State::Resolved {
                return None;
            }
            // a cause rule of the same region and industry: the highest-scoring one
            let same = grouping
                .inhibit
                .iter()
                .filter(|inhibit| inhibit.consequences.contains(&g.rule))
                .flat_map(|inhibit| inhibit.causes.iter())
                .filter_map(|cause| index.get(format!("{cause}:{}:{}", g.region, g.industry).as_str()).copied())
                .filter(|&c| can_cause(&groups[c], g) && groups[c].id != g.id)
                .max_by(|&a, &b| {
                    groups[a]
                        .score
                        .total_cmp(&groups[b].score)
                        .then_with(|| groups[b].id.cmp(&groups[a].id))
                });
            let parent = || {
                let parent = parent_code(&g.region)?;
                let c = *index.get(format!("{}:{parent}:{}", g.rule, g.industry).as_str())?;
                can_cause(&groups[c], g).then_some(c)
            };
            same.or_else(|| grouping.by_parent.then(parent).flatten())
        })
        .collect();
    let mut direct = direct;
    for i in 0..groups.len() {
        let mut seen = vec![i];
        let mut at = i;
        while let Some(c) = direct[at] {
            if seen.contains(&c) {
                direct[at] = None; // a cycle of causes: cut it here
                break;
            }
            seen.push(c);
            at = c;
        }
    }
    for i in 0..groups.len() {
        let mut root = None;
        let mut at = i;
        while let Some(c) = direct[at] {
            root = Some(c);
            at = c;
        }
        groups[i].cause = direct[i];
        groups[i].root = root;
    }
}

/// The values of a group's lit members, named: `营业收入 -12.3、产值 -8.1`.
fn member_values(lang: Language, catalogue: &Catalogue, flags: &[Flag], group: &Group) -> String {
    let names = crate::model::labels::Names { lang, catalogue };
    let sep = if lang == Language::En { ", " } else { "、" };
    group
        .members
        .iter()
        .map(|&i| &flags[i])
        .filter(|f| group.state == State::Resolved || f.level != Level::Green)
        .map(|f| {
            // in an English list an indicator's name is lower case ("operating income")
            let mut name = names.indicator(&f.indicator);
            if lang == Language::En
                && let Some(first) = name.chars().next()
            {
                name = first.to_lowercase().chain(name.chars().skip(1)).collect();
            }
            match f.value {
                Some(v) => format!("{name} {}", fmt(v)),
                None => name,
            }
        })
        .collect::<Vec<_>>()
        .join(sep)
}

/// What changed since last quarter, in words.
fn change(lang: Language, group: &Group) -> String {
    let level = |l: Level| tr(lang, l.zh()).to_string();
    match group.state {
        State::New => tr(lang, "本季新增").to_string(),
        State::Persisting => fill(lang, "与上季相同（{level}）", &[("level", &level(group.previous))]),
        State::Escalated => fill(lang, "较上季升级（上季{level}）", &[("level", &level(group.previous))]),
        State::Eased => fill(lang, "较上季缓解（上季{level}）", &[("level", &level(group.previous))]),
        State::Resolved => tr(lang, "本季解除").to_string(),
    }
}

/// A group in one sentence: what, its values against the threshold, its light since when,
/// and what changed since last quarter.
pub fn sentence(lang: Language, catalogue: &Catalogue, rules: &[Rule], flags: &[Flag], group: &Group) -> String {
    let what = group_subject(lang, catalogue, group);
    let rule = rules.iter().find(|r| r.id == group.rule);
    let rule_name = rule.map_or(group.rule.as_str(), |r| r.label(lang));
    let measure = flags
        .get(group.members[0])
        .map_or("", |f| crate::model::labels::measure(lang, &f.measure));
    let values = member_values(lang, catalogue, flags, group);
    if group.state == State::Resolved {
        return fill(
            lang,
            "{what}{rule}风险解除（{measure}：{values}）",
            &[("what", &what), ("rule", rule_name), ("measure", measure), ("values", &values)],
        );
    }
    let bound = rule
        .and_then(|r| Some((tr(lang, r.comparison()), fmt(r.threshold(group.level)?))))
        .map_or(String::new(), |(comparison, t)| match lang {
            Language::Zh => format!("{comparison}{t}"),
            Language::En => format!("{comparison} {t}"),
        });
    fill(
        lang,
        "{what}{rule}：{measure} {values}（{bound}），{level}，自{since}起；{change}",
        &[
            ("what", &what),
            ("rule", rule_name),
            ("measure", measure),
            ("values", &values),
            ("bound", &bound),
            ("level", tr(lang, group.level.zh())),
            ("since", &crate::model::labels::quarter(lang, group.since)),
            ("change", &change(lang, group)),
        ],
    )
}

/// A group in brief, for lists: `合肥市新能源汽车负增长（同比增长(%)：营业收入 -12.3、产值 -8）`.
pub fn brief(lang: Language, catalogue: &Catalogue, rules: &[Rule], flags: &[Flag], group: &Group) -> String {
    let rule = rules
        .iter()
        .find(|r| r.id == group.rule)
        .map_or(group.rule.as_str(), |r| r.label(lang));
    let measure = flags
        .get(group.members[0])
        .map_or("", |f| crate::model::labels::measure(lang, &f.measure));
    fill(
        lang,
        "{what}{rule}（{measure}：{values}）",
        &[
            ("what", &group_subject(lang, catalogue, group)),
            ("rule", rule),
            ("measure", measure),
            ("values", &member_values(lang, catalogue, flags, group)),
        ],
    )
}

/// A group's subject: region and industry (`合肥市新能源汽车`).
pub fn group_subject(lang: Language, catalogue: &Catalogue, group: &Group) -> String {
    let names = crate::model::labels::Names { lang, catalogue };
    match lang {
        Language::Zh => format!("{}{}", names.region(&group.region), names.industry_short(&group.industry)),
        Language::En => format!("{}, {}", names.region(&group.region), names.industry_short(&group.industry)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::{MeasureRow, MeasureTable};
    use crate::risk::{Materiality, evaluate};
    use polars::prelude::*;

    fn rule(id: &str, measure: &str, yellow: Option<f64>, red: Option<f64>) -> Rule {
        let name = if id == "negative_growth" { "负增长" } else { "占比下降" };
        Rule {
            on: crate::risk::On::Industries,
            materiality: Materiality {
                province: crate::risk::Floors {
                    level_yi: Some(50.0),
                    weight_pct: Some(1.0),
                    enterprises: None,
                },
                ..Materiality::default()
            },
            ..Rule::below(id, name, measure, yellow, red)
        }
    }

    fn m(period: &str, region: &str, indicator: &str, measure: &str, value: f64) -> MeasureRow {
        MeasureRow {
            period: period.parse().unwrap(),
            region: region.into(),
            industry: "NGIT".into(),
            indicator: indicator.into(),
            measure: measure.into(),
            value,
        }
    }

    /// A measure table of (region, industry, indicator, measure, value) in `period`.
    fn table(period: &str, rows: &[(&str, &str, &str, &str, f64)]) -> MeasureTable {
        let col = |i: usize| -> Vec<String> { rows.iter().map(|r| [r.0, r.1, r.2, r.3][i].to_string()).collect() };
        let df = df!(
            "period" => vec![period.to_string(); rows.len()],
            "region_code" => col(0),
            "industry_code" => col(1),
            "indicator" => col(2),
            "measure" => col(3),
            "value" => rows.iter().map(|r| r.4).collect::<Vec<f64>>(),
        )
        .unwrap();
        MeasureTable::from_frame(&df).unwrap()
    }

    fn eval(rules: &[Rule], rows: &[MeasureRow], period: &str) -> Vec<Flag> {
        evaluate(
            rules,
            rows,
            period.parse().unwrap(),
            &[],
            "2025-11-01".parse().unwrap(),
            &Catalogue::anhui(),
            Language::Zh,
        )
    }

    /// NGIT of the province: 200 亿元 of an all-industry total of 2,000 (10 %).
    fn sizes<'a>(t: &'a MeasureTable, period: &str) -> Sizes<'a> {
        Sizes {
            table: t,
            period: period.parse().unwrap(),
            indicator: "operating_income",
            top: "340000",
        }
    }

    #[test]
    fn three_indicators_of_one_cause_are_one_risk_naming_each_value() {
        let r = rule("negative_growth", "yoy_pct", Some(0.0), Some(-10.0));
        let rows = [
            m("2025Q3", "340000", "operating_income", "yoy_pct", -12.0),
            m("2025Q3", "340000", "output_value", "yoy_pct", -4.0),
            m("2025Q3", "340000", "added_value", "yoy_pct", -2.5),
        ];
        let mut flags = eval(std::slice::from_ref(&r), &rows, "2025Q3");
        assert_eq!(flags.len(), 3, "one flag per indicator");
        let t = table(
            "2025Q3",
            &[
                ("340000", "NGIT", "operating_income", "ytd", 200.0),
                ("340000", "NGIT", "operating_income", "share_pct", 10.0),
                ("340000", "TOTAL", "operating_income", "ytd", 2000.0),
            ],
        );
        let groups = group(&mut flags, std::slice::from_ref(&r), &Grouping::default(), &sizes(&t, "2025Q3"));
        assert_eq!(groups.len(), 1, "one risk");
        let g = &groups[0];
        assert_eq!(
            (g.id.as_str(), g.level, g.state, g.members.len()),
            ("negative_growth:340000:NGIT", Level::Red, State::New, 3)
        );
        assert!(flags.iter().all(|f| f.group == g.id && f.material));
        let cat = Catalogue::anhui();
        assert_eq!(
            sentence(Language::Zh, &cat, std::slice::from_ref(&r), &flags, g),
            "安徽省新一代信息技术负增长：同比增长(%) 增加值 -2.5、营业收入 -12、产值 -4（低于-10），红灯，自2025年三季度起；本季新增"
        );
        assert_eq!(
            sentence(Language::En, &cat, std::slice::from_ref(&r), &flags, g),
            "Anhui, New-generation information technology: negative growth, growth (%) added value -2.5, operating income -12, output value -4 (below -10), red since 2025 Q3; new this quarter"
        );
    }

    #[test]
    fn an_immaterial_series_never_counts() {
        let r = rule("negative_growth", "yoy_pct", Some(0.0), Some(-10.0));
        let mut flags = eval(
            std::slice::from_ref(&r),
            &[m("2025Q3", "340000", "operating_income", "yoy_pct", -30.0)],
            "2025Q3",
        );
        // 40 亿元 is under the province's floor of 50, though 2 % of all industry
        let t = table(
            "2025Q3",
            &[
                ("340000", "NGIT", "operating_income", "ytd", 40.0),
                ("340000", "NGIT", "operating_income", "share_pct", 2.0),
                ("340000", "TOTAL", "operating_income", "ytd", 2000.0),
            ],
        );
        let groups = group(&mut flags, std::slice::from_ref(&r), &Grouping::default(), &sizes(&t, "2025Q3"));
        assert!(!flags[0].material && !flags[0].counts(), "listed, not counted");
        assert!(!groups[0].material && !groups[0].counts());
        assert_eq!(flags[0].level, Level::Red, "its light is kept for risks.csv");
    }

    #[test]
    fn scores_by_hand() {
        let r = rule("negative_growth", "yoy_pct", Some(0.0), Some(-10.0));
        // red, 4 past −10 of a span of 10: 15 × 0.4 = 6; 1 % of the total: 15 × log10(10) / 2
        // = 7.5; lit 3 quarters: 10 × 2 / 4 = 5 → 50 + 6 + 7.5 + 5
        assert!((severity(&r, Level::Red, Some(-14.0), 3, Some(1.0)) - 68.5).abs() < 1e-9);
        // yellow, 3 past 0: 15 × 0.3 = 4.5; 10 %: 15; first quarter: 0 → 25 + 4.5 + 15
        assert!((severity(&r, Level::Yellow, Some(-3.0), 1, Some(10.0)) - 44.5).abs() < 1e-9);
        // far past (capped), tiny, long-standing: 50 + 15 + 0 + 10
        assert!((severity(&r, Level::Red, Some(-90.0), 9, Some(0.05)) - 75.0).abs() < 1e-9);
        assert_eq!(severity(&r, Level::Green, Some(3.0), 1, Some(10.0)), 0.0, "resolved");
    }

    #[test]
    fn a_consequence_is_listed_under_its_cause_and_groups_are_ranked() {
        let growth = rule("negative_growth", "yoy_pct", Some(0.0), Some(-10.0));
        let share = rule("share_falling", "share_change_pp", Some(-1.0), Some(-3.0));
        let rules = [growth, share];
        let rows = [
            // the province: growth −12 (red), share −1.5 (yellow)
            m("2025Q3", "340000", "operating_income", "yoy_pct", -12.0),
            m("2025Q3", "340000", "operating_income", "share_change_pp", -1.5),
            // Hefei: growth −2 (yellow), a city under the province's same risk
            m("2025Q3", "340100", "operating_income", "yoy_pct", -2.0),
        ];
        let mut flags = eval(&rules, &rows, "2025Q3");
        let t = table(
            "2025Q3",
            &[
                ("340000", "NGIT", "operating_income", "ytd", 200.0),
                ("340000", "NGIT", "operating_income", "share_pct", 10.0),
                ("340000", "TOTAL", "operating_income", "ytd", 2000.0),
                ("340100", "NGIT", "operating_income", "ytd", 20.0),
                ("340100", "NGIT", "operating_income", "share_pct", 5.0),
            ],
        );
        let grouping = Grouping {
            inhibit: vec![Inhibit {
                causes: vec!["negative_growth".into()],
                consequences: vec!["share_falling".into()],
            }],
            by_parent: true,
        };
        let groups = group(&mut flags, &rules, &grouping, &sizes(&t, "2025Q3"));
        let ids: Vec<&str> = groups.iter().map(|g| g.id.as_str()).collect();
        // scores: the province's growth: 50 + 15 × 0.2 + 15 × log10(100) / 2 + 0 = 68, plus
        // 2.5 for each of its two consequences = 73; its share, 0.5 past −1 of a span of 2:
        // 25 + 15 × 0.25 + 15 = 43.75;
        // Hefei (20 亿元, 1 % of the province): 25 + 15 × 0.2 + 7.5 = 35.5
        assert_eq!(
            ids,
            [
                "negative_growth:340000:NGIT",
                "share_falling:340000:NGIT",
                "negative_growth:340100:NGIT"
            ]
        );
        let score: Vec<f64> = groups.iter().map(|g| (g.score * 1e6).round() / 1e6).collect();
        assert_eq!(score, [73.0, 43.75, 35.5]);
        assert_eq!(groups[0].cause, None, "the cause");
        assert_eq!(groups[1].cause, Some(0), "a falling share follows from negative growth");
        assert_eq!(groups[2].cause, Some(0), "a city's risk under the province's same one");
        assert!(groups.iter().all(Group::counts), "a consequence still counts, under its cause");
    }

    #[test]
    fn a_dimmer_cause_does_not_hide_a_brighter_consequence() {
        let rules = [
            rule("negative_growth", "yoy_pct", Some(0.0), Some(-10.0)),
            rule("share_falling", "share_change_pp", Some(-1.0), Some(-3.0)),
        ];
        // growth −2 (yellow), share −4 (red)
        let rows = [
            m("2025Q3", "340000", "operating_income", "yoy_pct", -2.0),
            m("2025Q3", "340000", "operating_income", "share_change_pp", -4.0),
        ];
        let mut flags = eval(&rules, &rows, "2025Q3");
        let t = table("2025Q3", &[("340000", "NGIT", "operating_income", "ytd", 200.0)]);
        let grouping = Grouping {
            inhibit: vec![Inhibit {
                causes: vec!["negative_growth".into()],
                consequences: vec!["share_falling".into()],
            }],
            by_parent: true,
        };
        let groups = group(&mut flags, &rules, &grouping, &sizes(&t, "2025Q3"));
        assert!(
            groups.iter().all(|g| g.cause.is_none()),
            "a red share stands on its own: {groups:?}"
        );
    }

    #[test]
    fn group_states_over_three_quarters() {
        let r = rule("negative_growth", "yoy_pct", Some(0.0), Some(-10.0));
        // income: −2, +1, −1; output: +3, −12, −3
        let rows = [
            m("2025Q1", "340000", "operating_income", "yoy_pct", -2.0),
            m("2025Q2", "340000", "operating_income", "yoy_pct", 1.0),
            m("2025Q3", "340000", "operating_income", "yoy_pct", -1.0),
            m("2025Q1", "340000", "output_value", "yoy_pct", 3.0),
            m("2025Q2", "340000", "output_value", "yoy_pct", -12.0),
            m("2025Q3", "340000", "output_value", "yoy_pct", -3.0),
        ];
        let at = |p: &str| {
            let mut flags = eval(std::slice::from_ref(&r), &rows, p);
            let t = table(p, &[("340000", "NGIT", "operating_income", "ytd", 200.0)]);
            let g = group(&mut flags, std::slice::from_ref(&r), &Grouping::default(), &sizes(&t, p));
            assert_eq!(g.len(), 1, "{p}");
            (g[0].level, g[0].previous, g[0].state, g[0].since.to_string())
        };
        assert_eq!(at("2025Q1"), (Level::Yellow, Level::Green, State::New, "2025Q1".into()));
        // income resolves as output turns red: the risk escalates, lit since Q1
        assert_eq!(at("2025Q2"), (Level::Red, Level::Yellow, State::Escalated, "2025Q1".into()));
        assert_eq!(at("2025Q3"), (Level::Yellow, Level::Red, State::Eased, "2025Q1".into()));
    }
}
