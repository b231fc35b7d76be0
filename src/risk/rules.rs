//! Evaluating the rules: each series' light at each quarter of its history, its state
//! against the previous quarter and since when it has been raised, silences applied.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::{Class, Flag, Level, Rule, Silence, State, fmt, subject};
use crate::compute::MeasureRow;
use crate::model::catalogue::Catalogue;
use crate::model::labels::{fill, tr};
use crate::model::language::Language;
use crate::model::period::Period;

type Series = BTreeMap<Period, f64>;

/// How far back a flag's "since" is traced.
const HISTORY: usize = 12;

/// A series and, for a rule that reads it only while another grows, that other series
/// (a segment's chain's growth).
type Guarded<'a> = (&'a Series, Option<&'a Series>);

/// The level of a series at `p` under a rule: the lowest of the last `running` quarters'
/// levels (all of them must be present); green in a quarter its guard did not grow.
fn level_at(rule: &Rule, (series, guard): Guarded<'_>, p: Period) -> Option<Level> {
    let mut level = Level::Red;
    let mut t = p;
    for i in 0..rule.running.max(1) {
        if i > 0 {
            t = t.previous()?;
        }
        let here = rule.level(*series.get(&t)?);
        let grows = guard.is_none_or(|g| g.get(&t).is_some_and(|v| *v > 0.0));
        level = level.min(if grows { here } else { Level::Green });
    }
    Some(level)
}

/// Every chain's comparable growth by (region, chain code, indicator), for the rules that
/// read a segment only while its chain grows.
type ChainGrowth<'m> = BTreeMap<(&'m str, &'m str, &'m str), Series>;

fn chain_growth(measures: &[MeasureRow]) -> ChainGrowth<'_> {
    let mut out = ChainGrowth::new();
    for m in measures
        .iter()
        .filter(|m| m.measure == "yoy_pct" && super::On::of(&m.industry) == Some(super::On::Chains))
    {
        if let Some(chain) = crate::model::chain::chain_code_of(&m.industry) {
            out.entry((m.region.as_str(), chain, m.indicator.as_str()))
                .or_default()
                .insert(m.period, m.value);
        }
    }
    out
}

/// What a rule reading a segment only while its chain grows compares with: the chain's
/// growth in the same region on the same indicator (none known: not known to grow).
fn guard<'m>(rule: &Rule, chains: &'m ChainGrowth<'m>, (region, industry, indicator): (&'m str, &'m str, &'m str)) -> Option<&'m Series> {
    static NONE: Series = BTreeMap::new();
    if !rule.while_chain_grows {
        return None;
    }
    let chain = crate::model::chain::chain_code_of(industry)?;
    Some(chains.get(&(region, chain, indicator)).unwrap_or(&NONE))
}

fn state_label(lang: Language, state: State) -> &'static str {
    tr(
        lang,
        match state {
            State::New => "新增_state",
            State::Persisting => "持续_state",
            State::Escalated => "升级",
            State::Eased => "缓解",
            State::Resolved => "解除_state",
        },
    )
}

/// Evaluates the business rules for `period` over the measures (which must include enough
/// history: the previous quarter, and `running − 1` more). Messages are in `lang`.
pub fn evaluate<'a>(
    rules: &[Rule],
    measures: &'a [MeasureRow],
    period: Period,
    silences: &[Silence],
    today: NaiveDate,
    catalogue: &Catalogue,
    lang: Language,
) -> Vec<Flag> {
    let mut flags = Vec::new();
    let chains = if rules.iter().any(|r| r.while_chain_grows) {
        chain_growth(measures)
    } else {
        BTreeMap::new()
    };
    for rule in rules {
        let mut by_scope: BTreeMap<(&str, &str, &str), Series> = BTreeMap::new();
        for m in measures
            .iter()
            .filter(|m| m.measure == rule.measure && rule.applies(&m.region, &m.industry, &m.indicator))
        {
            by_scope
                .entry((m.region.as_str(), m.industry.as_str(), m.indicator.as_str()))
                .or_default()
                .insert(m.period, m.value);
        }
        let guarded = |scope: (&'a str, &'a str, &'a str), series| (series, guard(rule, &chains, scope));
        // each (region, industry) of the rule: the quarter since which its worst light
        // over all indicators has been lit (the group's since)
        let mut cells: BTreeMap<(&str, &str), Vec<Guarded<'_>>> = BTreeMap::new();
        for (&(region, industry, indicator), series) in &by_scope {
            cells
                .entry((region, industry))
                .or_default()
                .push(guarded((region, industry, indicator), series));
        }
        let group_since: BTreeMap<(&str, &str), Period> = cells
            .iter()
            .map(|(&cell, all)| {
                let lit = |p: Period| all.iter().any(|s| level_at(rule, *s, p).is_some_and(|l| l != Level::Green));
                let mut since = period;
                for _ in 0..HISTORY {
                    match since.previous() {
                        Some(p) if lit(p) => since = p,
                        _ => break,
                    }
                }
                (cell, since)
            })
            .collect();
        for (&(region, industry, indicator), series) in &by_scope {
            let series = guarded((region, industry, indicator), series);
            let now = level_at(rule, series, period).unwrap_or(Level::Green);
            let before = period.previous().and_then(|p| level_at(rule, series, p)).unwrap_or(Level::Green);
            let Some(state) = super::groups::state_of(before, now) else {
                continue;
            };
            let mut since = period;
            if now != Level::Green {
                for _ in 0..HISTORY {
                    match since.previous() {
                        Some(p) if level_at(rule, series, p).is_some_and(|l| l != Level::Green) => since = p,
                        _ => break,
                    }
                }
            }
            let risk_id = format!("{}:{region}:{industry}:{indicator}", rule.id);
            let value = series.0.get(&period).copied();
            // a resolved flag shows the line it crossed back over
            let threshold = rule.threshold(if now == Level::Green { Level::Yellow } else { now });
            let what = subject(lang, catalogue, region, industry, indicator);
            let measure_name = crate::model::labels::measure(lang, &rule.measure);
            let message = match (state, value, threshold) {
                (State::Resolved, Some(v), _) => fill(
                    lang,
                    "{what}：{rule}风险解除（{measure} {value}）",
                    &[
                        ("what", &what),
                        ("rule", rule.label(lang)),
                        ("measure", measure_name),
                        ("value", &fmt(v)),
                    ],
                ),
                (_, Some(v), Some(t)) => {
                    let running = if rule.running > 1 {
                        fill(lang, "连续{n}个季度", &[("n", &rule.running.to_string())])
                    } else {
                        String::new()
                    };
                    fill(
                        lang,
                        "{what}：{rule}（{measure} {value}，{running}{comparison}{threshold}），{level}{state}",
                        &[
                            ("what", &what),
                            ("rule", rule.label(lang)),
                            ("measure", measure_name),
                            ("value", &fmt(v)),
                            ("running", &running),
                            ("comparison", tr(lang, rule.comparison())),
                            ("threshold", &fmt(t)),
                            ("level", tr(lang, now.zh())),
                            ("state", state_label(lang, state)),
                        ],
                    )
                }
                _ => format!("{what}: {}", rule.name),
            };
            // a silence of the flag, or of its group (rule:region:industry)
            let group = format!("{}:{region}:{industry}", rule.id);
            let silenced = silences
                .iter()
                .find(|s| (s.risk_id == risk_id || s.risk_id == group) && s.until >= today)
                .cloned();
            flags.push(Flag {
                period,
                class: Class::Business,
                risk_id,
                rule: rule.id.clone(),
                level: now,
                state,
                region: region.to_string(),
                industry: industry.to_string(),
                indicator: indicator.to_string(),
                measure: rule.measure.clone(),
                value,
                threshold,
                message,
                since,
                silenced,
                previous: before,
                group_since: group_since.get(&(region, industry)).copied().unwrap_or(period),
                material: true,
                group,
                score: 0.0,
            });
        }
    }
    flags
}
