//! The stages of a run over what it read: the measures (compute), the flags (risk) and
//! the cities' assessment. Each step takes the stage's parameters from the settings; the
//! stages themselves do no I/O.

use chrono::NaiveDate;
use polars::prelude::*;

use super::inputs::{Inputs, quarter_span};
use super::{RunError, Seimon};
use crate::compute::{self, MeasureTable};
use crate::disclosure;
use crate::model::period::Period;
use crate::risk;

/// The measures of a run: the reported quarter's rows (`indicators.csv`) and the history
/// of the monitored province that the reports and the rules read.
pub(super) struct Computed {
    pub(super) current: DataFrame,
    pub(super) table: MeasureTable,
}

/// The risks of a run: every flag, the groups of the business flags (ranked), and the
/// period's completeness.
pub(super) struct Risks {
    pub(super) flags: Vec<risk::Flag>,
    pub(super) groups: Vec<risk::Group>,
    pub(super) completeness: risk::Completeness,
}

impl Seimon {
    /// Computes every measure of `span` from `inputs`.
    pub(super) fn measures(&self, inputs: &Inputs, span: &compute::Span) -> Result<compute::Measures, RunError> {
        let settings = &self.settings;
        let stage = compute::Inputs {
            focus: Some(self.focus()),
            observations: &inputs.observations,
            targets: &inputs.targets,
            projects: &inputs.projects,
            partials: self.store.enterprise_partials(
                &inputs.batches,
                inputs.partial_quarters.iter().copied(),
                &crate::model::chain::all_leaders(&settings.catalogue.chains),
            )?,
            mapping: &inputs.mapping,
            members: settings.catalogue.members().map(|i| i.code.clone()).collect(),
            chains: &settings.catalogue.chains,
            chain_min_enterprises: settings.chain_min_enterprises,
            stocks: settings.catalogue.stocks(),
            tiers: settings.tiers.clone(),
        };
        Ok(compute::measures(stage, span)?)
    }

    /// Every measure of `period` and its history, taken out of `measures`.
    pub(super) fn quarter(&self, measures: &compute::Measures, period: Period) -> Result<Computed, RunError> {
        let current = measures.long(&compute::Span::quarter(&(period.index()..=period.index())))?;
        let table = MeasureTable::from_frame(&measures.focus_rows(&quarter_span(period))?)?;
        Ok(Computed { current, table })
    }

    /// The regions that get the history of measures: every measure of a region depends
    /// only on regions of its own province, so the monitored region's province gets the
    /// history the reports and risk rules read, every other region (at national scale) the
    /// quarter itself.
    fn focus(&self) -> String {
        self.settings.monitor.region[..2].to_string()
    }

    /// A run's flags: the business rules over the measure history, silences applied, and
    /// the data-quality findings with the period's completeness; and the business flags'
    /// groups, ranked.
    pub(super) fn risks(
        &self,
        table: &MeasureTable,
        observations: &[crate::model::observation::Observation],
        period: Period,
        as_of_day: Option<NaiveDate>,
        as_of: Option<&str>,
    ) -> Result<Risks, RunError> {
        let settings = &self.settings;
        let catalogue = &settings.catalogue;
        let rule_measures: Vec<&str> = settings.rules.iter().map(|r| r.measure.as_str()).collect();
        let rows = table.rows(&rule_measures);
        let today = as_of_day.unwrap_or_else(|| settings.today());
        let lang = settings.monitor.language;
        let silences = self.silences()?;
        let mut flags = risk::evaluate(&settings.rules, &rows, period, &silences, today, catalogue, lang);
        let revisions = self.store.revisions(period, as_of)?;
        let top = settings.monitor.region.clone();
        let regions: Vec<String> = std::iter::once(top.clone())
            .chain(catalogue.children_of(&top).map(|r| r.code.clone()))
            .collect();
        let (quality, completeness) = risk::data_quality(&risk::QualityInputs {
            period,
            observations,
            revisions: &revisions,
            regions: &regions,
            expected_indicators: &settings.expected_indicators,
            catalogue,
            lang,
        });
        flags.extend(quality);
        let sizes = risk::Sizes {
            table,
            period,
            indicator: &settings.monitor.headline_indicator,
            top: &settings.monitor.region,
        };
        let groups = risk::group(&mut flags, &settings.rules, &settings.grouping, &sizes);
        Ok(Risks {
            flags,
            groups,
            completeness,
        })
    }

    /// Which cells of the reported quarter and its history may not reach a reader: the
    /// cells aggregated from enterprise records, judged by their contributors, with their
    /// complements over the region hierarchy (and over `TEN` and its industries where the
    /// class mapping gives each class to one industry at most).
    pub(super) fn disclose(&self, table: &MeasureTable, inputs: &Inputs) -> disclosure::Suppression {
        use std::collections::{BTreeMap, HashSet};

        use crate::model::catalogue::TEN;
        let settings = &self.settings;
        let headline = settings.monitor.headline_indicator.as_str();
        let published: HashSet<(Period, &str, &str)> = inputs
            .observations
            .iter()
            .filter(|o| o.indicator == headline && o.value.is_some())
            .map(|o| (o.period, o.region.as_str(), o.industry.as_str()))
            .collect();
        let mut facts: BTreeMap<(Period, disclosure::Cell), disclosure::CellFacts> = BTreeMap::new();
        for ([period, region, industry, indicator, measure], n) in table.entries() {
            if indicator != "enterprises" || measure != "ytd" {
                continue;
            }
            let Ok(p) = period.parse::<Period>() else { continue };
            let get = |k: &str, m: &str| table.get(period, region, industry, k, m);
            let contributions = ["operating_income", "output_value"]
                .iter()
                .filter_map(|k| {
                    let total = get(k, "ytd")?;
                    let share = |m: &str| get(k, m).unwrap_or(0.0) / 100.0 * total;
                    let (top1, top2) = (share("top1_share_pct"), share("top2_share_pct"));
                    Some(disclosure::Contributions {
                        enterprises: n as u32,
                        total,
                        largest: [top1, (top2 - top1).max(0.0)],
                    })
                })
                .collect();
            facts.insert(
                (p, (region.to_string(), industry.to_string())),
                disclosure::CellFacts {
                    contributions,
                    published: published.contains(&(p, region, industry)),
                    cost: get(headline, "ytd").unwrap_or(0.0),
                },
            );
        }
        // TEN is the sum of its industries when no class feeds two of them
        let mut feeds: BTreeMap<&str, usize> = BTreeMap::new();
        let members: Vec<String> = settings.catalogue.members().map(|i| i.code.clone()).collect();
        for (class, industry) in &inputs.mapping {
            if members.contains(industry) {
                *feeds.entry(class.as_str()).or_default() += 1;
            }
        }
        let partition = feeds.values().all(|n| *n <= 1);
        // each region's sub-regions, once
        let mut children: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for r in &settings.catalogue.regions {
            if let Some(parent) = crate::model::catalogue::parent_code(&r.code)
                && let Some(parent) = settings.catalogue.region(&parent)
            {
                children.entry(parent.code.as_str()).or_default().push(r.code.as_str());
            }
        }
        // a chain adds up over its segments; where an industry's classes are whole segments
        // of a chain, the chain is that industry and its other segments
        // (chain, its segments, (industry, the chain's other segments))
        type ChainRows = Vec<(String, Vec<String>, Vec<(String, Vec<String>)>)>;
        let mut chain_rows: ChainRows = Vec::new();
        let mut industries: BTreeMap<&str, HashSet<&str>> = BTreeMap::new();
        for (class, industry) in &inputs.mapping {
            industries.entry(industry.as_str()).or_default().insert(class.as_str());
        }
        for chain in &settings.catalogue.chains {
            let segments: Vec<String> = chain.segments.iter().map(|s| chain.segment_row_code(s)).collect();
            let mut relations = Vec::new();
            for (industry, classes) in &industries {
                let inside = |s: &crate::model::chain::Segment| s.classes.iter().filter(|c| classes.contains(c.as_str())).count();
                let whole = chain.segments.iter().all(|s| inside(s) == 0 || inside(s) == s.classes.len());
                let within: usize = chain.segments.iter().map(inside).sum();
                if whole && within == classes.len() && within > 0 {
                    let rest = chain
                        .segments
                        .iter()
                        .filter(|s| inside(s) == 0)
                        .map(|s| chain.segment_row_code(s))
                        .collect();
                    relations.push((industry.to_string(), rest));
                }
            }
            chain_rows.push((chain.row_code(), segments, relations));
        }
        let rows = |p: Period| {
            let cells: Vec<&disclosure::Cell> = facts
                .range((p, (String::new(), String::new()))..)
                .take_while(|((q, _), _)| *q == p)
                .map(|((_, c), _)| c)
                .collect();
            let present: HashSet<(&str, &str)> = cells.iter().map(|(r, i)| (r.as_str(), i.as_str())).collect();
            let mut rows = Vec::new();
            for (region, industry) in &cells {
                let subs: Vec<disclosure::Cell> = children
                    .get(region.as_str())
                    .into_iter()
                    .flatten()
                    .filter(|c| present.contains(&(**c, industry.as_str())))
                    .map(|c| (c.to_string(), industry.clone()))
                    .collect();
                if !subs.is_empty() {
                    rows.push(disclosure::Row {
                        parent: (region.clone(), industry.clone()),
                        children: subs,
                    });
                }
                if let Some((_, segments, relations)) = chain_rows.iter().find(|(code, _, _)| code == industry) {
                    let present_of = |codes: &[String]| -> Vec<disclosure::Cell> {
                        codes
                            .iter()
                            .filter(|c| present.contains(&(region.as_str(), c.as_str())))
                            .map(|c| (region.clone(), c.clone()))
                            .collect()
                    };
                    rows.push(disclosure::Row {
                        parent: (region.clone(), industry.clone()),
                        children: present_of(segments),
                    });
                    // the chain is its leaders and the rest
                    let groups = [
                        format!("{industry}{}", crate::model::chain::LEADERS_SUFFIX),
                        format!("{industry}{}", crate::model::chain::OTHERS_SUFFIX),
                    ];
                    rows.push(disclosure::Row {
                        parent: (region.clone(), industry.clone()),
                        children: present_of(&groups),
                    });
                    for (other, rest) in relations {
                        if present.contains(&(region.as_str(), other.as_str())) {
                            let mut children = vec![(region.clone(), other.clone())];
                            children.extend(present_of(rest));
                            rows.push(disclosure::Row {
                                parent: (region.clone(), industry.clone()),
                                children,
                            });
                        }
                    }
                }
                if partition && industry == TEN {
                    let subs: Vec<disclosure::Cell> = members
                        .iter()
                        .filter(|i| present.contains(&(region.as_str(), i.as_str())))
                        .map(|i| (region.clone(), i.clone()))
                        .collect();
                    rows.push(disclosure::Row {
                        parent: (region.clone(), TEN.to_string()),
                        children: subs,
                    });
                }
            }
            rows
        };
        disclosure::suppress(&settings.disclosure, &facts, rows)
    }

    /// The assessment of the monitored region's cities, from the measures and the risks
    /// (`None` when no component is configured). The assessment is published: a city any
    /// of whose components is withheld from readers is not assessed, so that neither its
    /// score nor the others' (normalised among the cities) give the value back.
    pub(super) fn assess(
        &self,
        table: &MeasureTable,
        groups: &[risk::Group],
        period: Period,
        suppression: &disclosure::Suppression,
    ) -> Option<crate::assessment::Assessment> {
        let settings = &self.settings;
        if settings.assessment.is_empty() {
            return None;
        }
        let withheld = |city: &str| {
            settings.assessment.iter().any(|k| {
                !crate::assessment::RISK_MEASURES.contains(&k.measure.as_str())
                    && suppression.hidden(period, city, &k.industry, &k.indicator, &k.measure)
            })
        };
        let cities: Vec<String> = settings
            .catalogue
            .children_of(&settings.monitor.region)
            .map(|r| r.code.clone())
            .filter(|city| !withheld(city))
            .collect();
        let period_text = period.to_string();
        Some(crate::assessment::assess(&settings.assessment, &cities, |k, city| {
            match k.measure.as_str() {
                "red_risks" | "yellow_risks" => {
                    let level = if k.measure == "red_risks" {
                        risk::Level::Red
                    } else {
                        risk::Level::Yellow
                    };
                    Some(groups.iter().filter(|g| g.region == city && g.level == level && g.counts()).count() as f64)
                }
                measure => table.get(&period_text, city, &k.industry, &k.indicator, measure),
            }
        }))
    }
}

/// The assessment as rows of `indicators.csv` (indicator `assessment`, industry `TEN`):
/// score, rank, and the points each component adds to the score.
pub(super) fn assessment_rows(a: &crate::assessment::Assessment, period: Period) -> PolarsResult<DataFrame> {
    let (mut region, mut measure, mut value) = (Vec::new(), Vec::new(), Vec::new());
    for city in &a.cities {
        let mut push = |m: String, v: f64| {
            region.push(city.region.clone());
            measure.push(m);
            value.push(v);
        };
        push("assessment_score".into(), city.score);
        push("assessment_rank".into(), f64::from(city.rank));
        for (k, part) in a.components.iter().zip(&city.parts) {
            if let Some(p) = part {
                push(format!("assessment_{}", k.id), p.contribution);
            }
        }
    }
    let n = region.len();
    df!(
        "period" => vec![period.to_string(); n],
        "region_code" => region,
        "industry_code" => vec![crate::model::catalogue::TEN; n],
        "indicator" => vec![crate::model::catalogue::ASSESSMENT_INDICATOR; n],
        "measure" => measure,
        "value" => value,
    )
}

/// `disclosure.csv`: every value of `indicators.csv` that does not leave the analyst, and
/// why (the columns of indicators.csv but `value`, then `reason`).
pub(super) fn disclosure_csv(current: &DataFrame, suppression: &disclosure::Suppression) -> PolarsResult<Vec<u8>> {
    let text = |name: &str| -> PolarsResult<&StringChunked> { current.column(name)?.str() };
    let (period, region, industry, indicator, measure) = (
        text("period")?,
        text("region_code")?,
        text("industry_code")?,
        text("indicator")?,
        text("measure")?,
    );
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| PolarsError::ComputeError(e.to_string().into());
    w.write_record(["period", "region_code", "industry_code", "indicator", "measure", "reason"])
        .map_err(io)?;
    for i in 0..current.height() {
        let (Some(p), Some(r), Some(n), Some(k), Some(m)) =
            (period.get(i), region.get(i), industry.get(i), indicator.get(i), measure.get(i))
        else {
            continue;
        };
        let Ok(quarter) = p.parse::<Period>() else { continue };
        if let Some(why) = suppression.why(quarter, r, n, k, m) {
            w.write_record([p, r, n, k, m, why]).map_err(io)?;
        }
    }
    w.into_inner().map_err(|e| PolarsError::ComputeError(e.to_string().into()))
}
