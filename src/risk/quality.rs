//! Data quality: missing series (completeness), published growth far from growth computed
//! from levels, large revisions and outliers — findings of their own class, never counted
//! among business risks.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::{Class, Flag, Level, State, fmt, subject};
use crate::model::catalogue::Catalogue;
use crate::model::labels::fill;
use crate::model::language::Language;
use crate::model::observation::Revision;
use crate::model::period::Period;

/// How complete a period's data is against what the catalogue expects.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Completeness {
    pub expected: usize,
    pub present: usize,
    /// (region, industry, indicator) of the missing series.
    pub missing: Vec<(String, String, String)>,
}

impl Completeness {
    pub fn pct(&self) -> f64 {
        if self.expected == 0 {
            100.0
        } else {
            self.present as f64 * 100.0 / self.expected as f64
        }
    }
}

/// What data quality is judged on.
pub struct QualityInputs<'a> {
    pub period: Period,
    /// Every observation up to the period (latest vintages).
    pub observations: &'a [crate::model::observation::Observation],
    /// Values of the period revised since their previous vintage.
    pub revisions: &'a [Revision],
    /// The regions whose series are expected (the monitored region and its sub-regions).
    pub regions: &'a [String],
    /// The indicators whose series are expected for every region and industry.
    pub expected_indicators: &'a [String],
    pub catalogue: &'a Catalogue,
    /// The language of the findings' messages.
    pub lang: Language,
}

/// Thresholds of the data-quality checks.
pub const GROWTH_GAP_PP: f64 = 5.0;
pub const REVISION_PCT: f64 = 1.0;
pub const OUTLIER_Z: f64 = 3.5;

// each argument is one field of the finding, named at every call
#[allow(clippy::too_many_arguments)]
fn finding(
    period: Period,
    rule: &str,
    level: Level,
    region: &str,
    industry: &str,
    indicator: &str,
    measure: &str,
    value: Option<f64>,
    threshold: Option<f64>,
    message: String,
) -> Flag {
    let risk_id = format!("{rule}:{region}:{industry}:{indicator}");
    Flag {
        period,
        class: Class::DataQuality,
        group: risk_id.clone(),
        risk_id,
        rule: rule.to_string(),
        level,
        state: State::New,
        region: region.to_string(),
        industry: industry.to_string(),
        indicator: indicator.to_string(),
        measure: measure.to_string(),
        value,
        threshold,
        message,
        since: period,
        silenced: None,
        previous: Level::Green,
        group_since: period,
        material: true,
        score: 0.0,
    }
}

/// The data-quality findings of a period, and its completeness.
pub fn data_quality(q: &QualityInputs<'_>) -> (Vec<Flag>, Completeness) {
    let c = q.catalogue;
    let p = q.period;
    let lang = q.lang;
    let name = |r: &str, i: &str, k: &str| subject(lang, c, r, i, k);
    let mut flags = Vec::new();
    let current: HashMap<(&str, &str, &str), &crate::model::observation::Observation> = q
        .observations
        .iter()
        .filter(|o| o.period == p)
        .map(|o| ((o.region.as_str(), o.industry.as_str(), o.indicator.as_str()), o))
        .collect();

    // Completeness against the catalogue.
    let mut missing = Vec::new();
    let mut expected = 0;
    for r in q.regions {
        for i in &c.industries {
            for k in q.expected_indicators {
                expected += 1;
                if !current.contains_key(&(r.as_str(), i.code.as_str(), k.as_str())) {
                    missing.push((r.clone(), i.code.clone(), k.clone()));
                }
            }
        }
    }
    for (r, i, k) in &missing {
        flags.push(finding(
            p,
            "missing_series",
            Level::Yellow,
            r,
            i,
            k,
            "ytd",
            None,
            None,
            fill(lang, "{what}：本期数据缺失", &[("what", &name(r, i, k))]),
        ));
    }
    let completeness = Completeness {
        expected,
        present: expected - missing.len(),
        missing,
    };

    // Published growth far from growth computed from levels.
    let last_year = p.year_earlier();
    let before: HashMap<(&str, &str, &str), f64> = q
        .observations
        .iter()
        .filter(|o| Some(o.period) == last_year)
        .filter_map(|o| Some(((o.region.as_str(), o.industry.as_str(), o.indicator.as_str()), o.value?)))
        .collect();
    for (key, o) in &current {
        if let (Some(g), Some(x), Some(&b)) = (o.yoy_pct, o.value, before.get(key))
            && b > 0.0
        {
            let naive = (x / b - 1.0) * 100.0;
            let gap = g - naive;
            if gap.abs() > GROWTH_GAP_PP {
                flags.push(finding(
                    p,
                    "growth_mismatch",
                    Level::Yellow,
                    key.0,
                    key.1,
                    key.2,
                    "yoy_pct",
                    Some(g),
                    Some(GROWTH_GAP_PP),
                    fill(
                        lang,
                        "{what}：公布增速{published}%与按总量计算的{computed}%相差{gap}个百分点",
                        &[
                            ("what", &name(key.0, key.1, key.2)),
                            ("published", &fmt(g)),
                            ("computed", &fmt(naive)),
                            ("gap", &fmt(gap.abs())),
                        ],
                    ),
                ));
            }
        }
    }

    // Large revisions since the previous vintage.
    for r in q.revisions {
        if r.before != 0.0 {
            let pct = (r.after / r.before - 1.0) * 100.0;
            if pct.abs() > REVISION_PCT {
                flags.push(finding(
                    p,
                    "large_revision",
                    Level::Yellow,
                    &r.region,
                    &r.industry,
                    &r.indicator,
                    "ytd",
                    Some(r.after),
                    Some(REVISION_PCT),
                    fill(
                        lang,
                        "{what}：本期数据修订{pct}%（{before} → {after}）",
                        &[
                            ("what", &name(&r.region, &r.industry, &r.indicator)),
                            ("pct", &fmt(pct)),
                            ("before", &fmt(r.before)),
                            ("after", &fmt(r.after)),
                        ],
                    ),
                ));
            }
        }
    }

    // Outliers: robust z-score of growth across the sub-regions of each parent.
    // (parent, industry, indicator) → (sub-region, growth)
    type Groups<'a> = BTreeMap<(String, &'a str, &'a str), Vec<(&'a str, f64)>>;
    let mut groups: Groups<'_> = BTreeMap::new();
    for ((region, industry, indicator), o) in &current {
        if let (Some(g), Some(parent)) = (o.yoy_pct, crate::model::catalogue::parent_code(region)) {
            groups.entry((parent, industry, indicator)).or_default().push((region, g));
        }
    }
    for ((_, industry, indicator), members) in groups {
        if members.len() < 5 {
            continue;
        }
        let mut values: Vec<f64> = members.iter().map(|m| m.1).collect();
        let med = median(&mut values);
        let mut deviations: Vec<f64> = values.iter().map(|v| (v - med).abs()).collect();
        let mad = median(&mut deviations);
        if mad == 0.0 {
            continue;
        }
        for (region, g) in members {
            let z = 0.6745 * (g - med) / mad;
            if z.abs() > OUTLIER_Z {
                flags.push(finding(
                    p,
                    "outlier",
                    Level::Yellow,
                    region,
                    industry,
                    indicator,
                    "yoy_pct",
                    Some(g),
                    Some(OUTLIER_Z),
                    fill(
                        lang,
                        "{what}：增速{growth}%异常（稳健Z值{z}，中位数{median}%）",
                        &[
                            ("what", &name(region, industry, indicator)),
                            ("growth", &fmt(g)),
                            ("z", &fmt(z)),
                            ("median", &fmt(med)),
                        ],
                    ),
                ));
            }
        }
    }
    flags.sort_by(|a, b| (&a.rule, &a.region, &a.industry, &a.indicator).cmp(&(&b.rule, &b.region, &b.industry, &b.indicator)));
    (flags, completeness)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}
