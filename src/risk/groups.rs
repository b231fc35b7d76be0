//! Risk groups: one risk per cause, with its materiality, severity, state and place under
//! the cause it follows from. No I/O.
//!
//! The flags of one rule over several indicators of one (region, industry) are one
//! group: its light is its worst member's, its state (new, persisting, escalated, eased,
//! resolved) compares that light with the worst of the members' lights a quarter
//! earlier, and it has been raised since its earliest lit member was. Like the flags, all
//! of it is derived from the measure history, so `--as-of` reproduces it.
//!
//! A group is listed under the group it follows from (Alertmanager calls this inhibition):
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
                since: lit.iter().map(|f| f.since).min().unwrap_or(first.period),
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
    let can_cause = |g: &Group| g.state != State::Resolved && g.material;
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
                .filter(|&c| can_cause(&groups[c]) && groups[c].id != g.id)
                .max_by(|&a, &b| {
                    groups[a]
                        .score
                        .total_cmp(&groups[b].score)
                        .then_with(|| groups[b].id.cmp(&groups[a].id))
                });
            let parent = || {
                let parent = parent_code(&g.region)?;
                let c = *index.get(format!("{}:{parent}:{}", g.rule, g.industry).as_str())?;
                can_cause(&groups[c]).then_some(c)
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
        .map(|f| match f.value {
            Some(v) => format!("{} {}", names.indicator(&f.indicator), fmt(v)),
            None => names.indicator(&f.indicator),
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
