//! The city report: one sub-region's report, with the industrial chains it holds segments of.

use super::{Parts, chain, city_assessment_table, headline, industries_table, notes, projects_table, risk_table, summary, trend};
use crate::model::catalogue::{TEN, TOTAL};
use crate::render::chart::{Bar, BarChart};
use crate::render::{ChartSpec, Report};
use crate::risk::{Flag, Group};

/// Builds one sub-region's report.
pub(super) fn build(parts: &Parts<'_>, region: &String) -> Report {
    let q = &parts.q;
    let audience = parts.audience;
    let Parts {
        top,
        label,
        indicator,
        members,
        quality,
        all_industry,
        growth_axis,
        ..
    } = parts;
    let top = *top;
    let name = |n: &str| parts.name(n);
    let subject = |t: &str| parts.subject(t);

    let title = q.sentence(
        "{region}{ten}监测季报",
        &[("region", &q.region_name(region)), ("ten", &q.short(TEN))],
    );
    let mut tables = vec![industries_table(q, region, "二")];
    let lines: Vec<(String, String, String)> = std::iter::once((region.clone(), TOTAL.to_string(), q.label("合计")))
        .chain(members.iter().map(|i| (region.clone(), i.clone(), q.short(i))))
        .collect();
    tables.push(projects_table(q, &lines, "三", "产业"));
    // the chains the sub-region holds segments of
    let chains = chain::chains_in(q, region);
    if !chains.is_empty() {
        tables.push(chain::chains_table(q, region, &chains, "四"));
    }
    let in_scope = |g: &Group| &g.region == region;
    let risks_number = if chains.is_empty() { "四" } else { "五" };
    let (risk_section, risks) = risk_table(q, &in_scope, q.input.key_risks.city, risks_number);
    tables.push(risk_section);
    if let Some(t) = q.input.assessment.and_then(|a| city_assessment_table(q, a, region)) {
        tables.push(t);
    }
    let mut bars: Vec<Bar> = members.iter().map(|i| q.bar(q.short(i), region, i, "yoy_pct")).collect();
    bars.insert(0, q.bar(q.short(TEN), region, TEN, "yoy_pct"));
    let references: Vec<(String, f64)> = [
        (all_industry.clone(), q.headline(region, TOTAL, "yoy_pct")),
        (format!("{} {}", q.region_name(top), q.short(TEN)), q.headline(top, TEN, "yoy_pct")),
    ]
    .into_iter()
    .filter_map(|(l, v)| v.map(|v| (l, v)))
    .collect();
    let charts = vec![
        ChartSpec::Bar(BarChart {
            name: name("growth_by_industry"),
            title: q.sentence(
                "{period}{region}分产业{indicator}同比增长",
                &[("period", label), ("region", &q.region_name(region)), ("indicator", indicator)],
            ),
            axis: growth_axis.clone(),
            bars,
            references,
            horizontal: true,
        }),
        trend(
            q,
            name("growth_trend"),
            q.sentence(
                "{what}{indicator}累计增速走势",
                &[
                    ("what", &format!("{} {}", q.region_name(region), q.short(TEN))),
                    ("indicator", indicator),
                ],
            ),
            growth_axis.clone(),
            &[
                (q.short(TEN), region, TEN, "yoy_pct"),
                (all_industry.clone(), region, TOTAL, "yoy_pct"),
                (q.region_name(top), top, TEN, "yoy_pct"),
            ],
        ),
    ];
    let own_quality: Vec<&Flag> = quality.iter().copied().filter(|f| &f.region == region).collect();
    Report {
        audience: audience.clone(),
        file: format!("city/{region}.html"),
        subject: subject(&title),
        indicator: q.input.indicator.to_string(),
        title,
        summary: summary(q, region, TEN, &q.short(TEN)),
        headline: headline(q, region, TEN),
        tables,
        sheets: Vec::new(),
        charts,
        notes: notes(q, &own_quality),
        risks,
    }
}
