//! The industry report: one member industry's report, for its special class.

use super::{Parts, growth_by_region, headline, notes, projects_table, regions_table, risk_table, summary, targets_table, trend};
use crate::model::catalogue::{TEN, TOTAL};
use crate::render::Report;
use crate::risk::{Flag, Group};

/// Builds one member industry's report, for its special class.
pub(super) fn build(parts: &Parts<'_>, code: &String) -> Report {
    let q = &parts.q;
    let audience = parts.audience;
    let Parts {
        top,
        indicator,
        children,
        quality,
        all_industry,
        growth_axis,
        ..
    } = parts;
    let top = *top;
    let name = |n: &str| parts.name(n);
    let subject = |t: &str| parts.subject(t);

    let title = q.sentence(
        "{region}{industry}产业监测季报",
        &[("region", &q.region_name(top)), ("industry", &q.short(code))],
    );
    let mut tables = vec![];
    if !children.is_empty() {
        tables.push(regions_table(q, code, "二"));
    }
    tables.push(targets_table(q, std::slice::from_ref(code), "三"));
    let lines: Vec<(String, String, String)> = std::iter::once((top.to_string(), code.clone(), q.region_name(top)))
        .chain(children.iter().map(|r| (r.code.clone(), code.clone(), q.region_name(&r.code))))
        .collect();
    tables.push(projects_table(q, &lines, "四", "地区"));
    let (top, children) = (parts.top, &parts.children);
    let in_scope = |g: &Group| &g.industry == code && (g.region == top || children.iter().any(|r| r.code == g.region));
    let (risk_section, risks) = risk_table(q, &in_scope, q.input.key_risks.industry, "五");
    tables.push(risk_section);
    let mut charts = vec![trend(
        q,
        name("growth_trend"),
        q.sentence(
            "{what}{indicator}累计增速走势",
            &[("what", &q.short(code)), ("indicator", indicator)],
        ),
        growth_axis.clone(),
        &[
            (q.short(code), top, code, "yoy_pct"),
            (q.short(TEN), top, TEN, "yoy_pct"),
            (all_industry.clone(), top, TOTAL, "yoy_pct"),
        ],
    )];
    if !children.is_empty() {
        charts.extend(growth_by_region(q, name("growth_by_city"), code, children));
    }
    let own_quality: Vec<&Flag> = quality.iter().copied().filter(|f| &f.industry == code).collect();
    Report {
        audience: audience.clone(),
        file: format!("industry/{code}.html"),
        subject: subject(&title),
        indicator: q.input.indicator.to_string(),
        title,
        summary: summary(q, top, code, &q.short(code)),
        headline: headline(q, top, code),
        tables,
        sheets: Vec::new(),
        charts,
        notes: notes(q, &own_quality),
        risks,
    }
}
