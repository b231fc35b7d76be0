//! The province report: the monitored region's report: the ten industries, the sub-regions, goals, targets, tiers, projects, the industrial chains, the assessment, risks.

use super::{
    Parts, assessment_table, chain, goals_table, groups_sheet, growth_by_region, headline, industries_table, matrix_cell, notes,
    projects_table, regions_table, risk_table, summary, targets_table, tiers_table, trend,
};
use crate::model::catalogue::{TEN, TOTAL};
use crate::model::chain::Chain;
use crate::model::language::Language;
use crate::render::chart::{Bar, BarChart, MatrixChart};
use crate::render::{ChartSpec, Report};
use crate::risk::Group;

/// Builds the monitored region's report.
pub(super) fn build(parts: &Parts<'_>) -> Report {
    let q = &parts.q;
    let audience = parts.audience;
    let Parts {
        lang,
        c,
        top,
        label,
        indicator,
        sub,
        children,
        members,
        quality,
        time_progress,
        all_industry,
        growth_axis,
        ..
    } = parts;
    let (lang, c, top, time_progress) = (*lang, *c, *top, *time_progress);
    let name = |n: &str| parts.name(n);
    let subject = |t: &str| parts.subject(t);

    let catalogue_title = if lang == Language::En {
        c.title_en.clone()
    } else {
        c.title_zh.clone()
    };
    let title = q.sentence("{title}监测季报", &[("title", &catalogue_title)]);
    let mut tables = vec![industries_table(q, top, "二")];
    if !children.is_empty() {
        tables.push(regions_table(q, TEN, "三"));
    }
    let mut target_codes = vec![TEN.to_string()];
    target_codes.extend(members.iter().cloned());
    tables.push(targets_table(q, &target_codes, "四"));
    tables.extend(tiers_table(q));
    tables.extend(goals_table(q));
    let lines: Vec<(String, String, String)> = std::iter::once((top.to_string(), TOTAL.to_string(), q.region_name(top)))
        .chain(children.iter().map(|r| (r.code.clone(), TOTAL.to_string(), q.region_name(&r.code))))
        .collect();
    tables.push(projects_table(q, &lines, "五", "地区"));
    let chains: Vec<&Chain> = c.chains.iter().collect();
    if !chains.is_empty() {
        tables.push(chain::chains_table(q, top, &chains, "六"));
    }
    let in_scope = |g: &Group| g.region == top || children.iter().any(|r| r.code == g.region);
    let risks_number = if chains.is_empty() { "六" } else { "七" };
    let (risk_section, risks) = risk_table(q, &in_scope, q.input.key_risks.province, risks_number);
    tables.push(risk_section);

    let mut bars: Vec<Bar> = members.iter().map(|i| q.bar(q.short(i), top, i, "yoy_pct")).collect();
    bars.insert(0, q.bar(q.short(TEN), top, TEN, "yoy_pct"));
    let mut references: Vec<(String, f64)> = q
        .headline(top, TOTAL, "yoy_pct")
        .map(|v| (all_industry.clone(), v))
        .into_iter()
        .collect();
    if let Some(cagr) = q.headline(top, TEN, "plan_cagr_pct") {
        references.push((q.label("规划年均增速"), cagr));
    }
    let mut charts = vec![ChartSpec::Bar(BarChart {
        name: name("growth_by_industry"),
        title: q.sentence("{period}分产业{indicator}同比增长", &[("period", label), ("indicator", indicator)]),
        axis: growth_axis.clone(),
        bars,
        references,
        horizontal: true,
    })];
    charts.push(trend(
        q,
        name("growth_trend"),
        q.sentence(
            "{what}{indicator}累计增速走势",
            &[("what", &q.short(TEN)), ("indicator", indicator)],
        ),
        growth_axis.clone(),
        &[(q.short(TEN), top, TEN, "yoy_pct"), (all_industry.clone(), top, TOTAL, "yoy_pct")],
    ));
    charts.push(trend(
        q,
        name("share_trend"),
        q.sentence("{what}占规上工业比重走势", &[("what", &q.short(TEN))]),
        q.label("比重（%）"),
        &[
            (q.label("比重"), top, TEN, "share_pct"),
            (q.label("目标比重"), top, TEN, "target_share_pct"),
        ],
    ));
    if target_codes.iter().any(|i| q.headline(top, i, "task_progress_pct").is_some()) {
        charts.push(ChartSpec::Bar(BarChart {
            name: name("task_progress"),
            title: q.sentence("{period}目标进度与时间进度", &[("period", label)]),
            axis: q.label("目标进度（%）_axis"),
            bars: target_codes
                .iter()
                .map(|i| q.bar(q.short(i), top, i, "task_progress_pct"))
                .collect(),
            references: vec![(q.label("时间进度"), time_progress)],
            horizontal: true,
        }));
    }
    if !children.is_empty() {
        charts.extend(growth_by_region(q, name("growth_by_city"), TEN, children));
    }
    if !chains.is_empty() {
        charts.push(chain::growth_by_chain(q, name("growth_by_chain"), top, &chains));
    }
    charts.push(ChartSpec::Bar(BarChart {
        name: name("contribution"),
        title: q.sentence("{period}各产业对规上工业增长的贡献率", &[("period", label)]),
        axis: q.label("贡献率（%）"),
        bars: members.iter().map(|i| q.bar(q.short(i), top, i, "contribution_pct")).collect(),
        references: vec![],
        horizontal: true,
    }));
    if !children.is_empty() {
        let industries: Vec<String> = std::iter::once(TEN.to_string()).chain(members.iter().cloned()).collect();
        let cells = industries
            .iter()
            .map(|i| children.iter().map(|r| matrix_cell(q, &r.code, i)).collect())
            .collect();
        charts.push(ChartSpec::Matrix(MatrixChart {
            name: name("risk_matrix"),
            title: q.sentence("{period}风险矩阵（产业 × {sub}）", &[("period", label), ("sub", sub)]),
            rows: industries.iter().map(|i| q.short(i)).collect(),
            columns: children.iter().map(|r| q.n.region_short(&r.code)).collect(),
            cells,
            legend: ["红灯", "黄灯", "绿灯", "规模较小", "无数据", "不予公布"].map(|l| q.label(l)),
        }));
        charts.push(ChartSpec::Bar(BarChart {
            name: name("projects_by_city"),
            title: q.sentence("{period}分{sub}重大项目投资完成率", &[("period", label), ("sub", sub)]),
            axis: q.label("投资完成率（%）"),
            bars: children
                .iter()
                .map(|r| Bar {
                    label: q.n.region_short(&r.code),
                    value: q.project(&r.code, TOTAL, "investment_completion_pct"),
                    withheld: false,
                })
                .collect(),
            references: vec![(q.label("时间进度"), time_progress)],
            horizontal: false,
        }));
    }
    if let Some(a) = q.input.assessment.filter(|a| !a.cities.is_empty()) {
        tables.push(assessment_table(q, a));
        charts.push(ChartSpec::Bar(BarChart {
            name: name("assessment"),
            title: q.sentence("{period}{sub}考核评价得分", &[("period", label), ("sub", sub)]),
            axis: q.label("得分"),
            bars: a
                .cities
                .iter()
                .map(|c| Bar {
                    label: q.n.region_short(&c.region),
                    value: Some(c.score),
                    withheld: false,
                })
                .collect(),
            references: vec![],
            horizontal: true,
        }));
    }
    Report {
        audience: audience.clone(),
        file: "report.html".into(),
        subject: subject(&title),
        indicator: q.input.indicator.to_string(),
        title,
        summary: summary(q, top, TEN, &q.short(TEN)),
        headline: headline(q, top, TEN),
        tables,
        sheets: vec![groups_sheet(q)],
        charts,
        notes: notes(q, quality),
        risks,
    }
}
