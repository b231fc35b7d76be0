//! The chain report: one industrial chain's report, for its chief (链长) — the chain's
//! headline, its segments from upstream to downstream, the sub-regions, the chain leaders
//! against the rest, the chain chart and the chain's risks; and the chains section of the
//! monitored region's report and of each sub-region's.
//!
//! Chains are aggregated from enterprise records, which carry income and output, not the
//! published headline indicator (added value): a chain is reported on the headline
//! indicator when its rows have it, else on operating income ([`indicator`]).

use super::{Context, Parts, growth_by_region_of, notes, risk_table, trend_of};
use crate::model::catalogue::TOTAL;
use crate::model::chain::{Chain, Stage, row_of_chain};
use crate::model::language::Language;
use crate::render::chart::{Bar, BarChart, ChainBox, ChainChart};
use crate::render::{Cell, ChartSpec, Fmt, Report, Row, Table};
use crate::risk::{Flag, Group};

/// The indicator a chain is reported on: the headline one when the chain's rows have it.
pub(super) fn indicator<'a>(q: &Context<'a>, chains: &[&Chain]) -> &'a str {
    let top = q.input.region;
    let has = |k: &str| {
        chains
            .iter()
            .any(|c| q.input.measures.get(&q.period, top, &c.row_code(), k, "ytd").is_some())
    };
    [q.input.indicator, "operating_income", "output_value"]
        .into_iter()
        .find(|k| has(k))
        .unwrap_or("operating_income")
}

/// The chains `region` holds enterprises of, in catalogue order.
pub(super) fn chains_in<'a>(q: &Context<'a>, region: &str) -> Vec<&'a Chain> {
    q.input
        .catalogue
        .chains
        .iter()
        .filter(|c| {
            q.input
                .measures
                .get(&q.period, region, &c.row_code(), "enterprises", "ytd")
                .is_some_and(|n| n > 0.0)
        })
        .collect()
}

/// A chain's name where the column or the axis already says "chain": 集成电路 for
/// 集成电路产业链.
fn chain_short(q: &Context<'_>, chain: &Chain) -> String {
    if q.lang == Language::En {
        chain.en.trim_end_matches(" chain").to_string()
    } else {
        chain.zh.trim_end_matches("产业链").to_string()
    }
}

fn segment_name(q: &Context<'_>, segment: &crate::model::chain::Segment) -> String {
    if q.lang == Language::En {
        segment.en.clone()
    } else {
        segment.zh.clone()
    }
}

fn stage_label(q: &Context<'_>, stage: Stage) -> String {
    q.label(match stage {
        Stage::Upstream => "上游",
        Stage::Midstream => "中游",
        Stage::Downstream => "下游",
        Stage::Link => "配套环节",
    })
}

/// The stages a chain's segments stand in, in order from upstream.
fn stages(chain: &Chain) -> Vec<Stage> {
    [Stage::Upstream, Stage::Midstream, Stage::Downstream, Stage::Link]
        .into_iter()
        .filter(|s| chain.segments.iter().any(|g| g.stage == *s))
        .collect()
}

/// A segment is missing in `region` when it has fewer enterprises than a present one
/// needs (none reported: none there).
fn missing(q: &Context<'_>, region: &str, row: &str) -> bool {
    let n = q.input.measures.get(&q.period, region, row, "enterprises", "ytd").unwrap_or(0.0);
    n < f64::from(q.input.chain_min_enterprises)
}

/// `"{indicator}（亿元）"` for a chain's indicator.
fn money_header(q: &Context<'_>, k: &str) -> String {
    q.sentence("{indicator}（亿元）", &[("indicator", &q.n.indicator(k))])
}

/// The chains of `region`, one row each: level, growth, enterprises, coverage, missing
/// links, dependence on the largest enterprise, the leaders against the rest.
pub(super) fn chains_table(q: &Context<'_>, region: &str, chains: &[&Chain], number: &'static str) -> Table {
    let k = indicator(q, chains);
    let rows = chains
        .iter()
        .map(|c| {
            let row = c.row_code();
            Row {
                cells: vec![
                    Cell::Text(chain_short(q, c)),
                    q.cell(region, &row, k, "ytd", Fmt::Money),
                    q.cell(region, &row, k, "yoy_pct", Fmt::One),
                    q.cell(region, &row, "enterprises", "ytd", Fmt::Int),
                    q.cell(region, &row, "enterprises", "coverage_pct", Fmt::One),
                    q.cell(region, &row, "enterprises", "missing_segments", Fmt::Int),
                    q.cell(region, &row, k, "top1_share_pct", Fmt::One),
                    q.cell(region, &row, k, "leaders_share_pct", Fmt::One),
                    q.cell(region, &row, k, "leaders_yoy_pct", Fmt::One),
                    q.cell(region, &row, k, "others_yoy_pct", Fmt::One),
                ],
                emphasis: false,
            }
        })
        .collect();
    Table {
        sheet: q.label("重点产业链"),
        title: q.sentence("{number}、重点产业链", &[("number", &q.label(number))]),
        header: vec![
            q.label("产业链"),
            money_header(q, k),
            q.label("同比增长（%）"),
            q.label("企业数（家）"),
            q.label("环节覆盖率（%）"),
            q.label("缺失环节（个）"),
            q.label("最大企业占比（%）"),
            q.label("链主企业占比（%）"),
            q.label("链主企业同比增长（%）"),
            q.label("其他企业同比增长（%）"),
        ],
        rows,
        note: Some(coverage_note(q)),
    }
}

fn coverage_note(q: &Context<'_>) -> String {
    q.sentence(
        "产业链按企业所属行业小类归集，产业链之间、产业链与产业之间存在交叉；环节覆盖率为企业数达到{k}家的环节占全部环节的比重，其余为缺失环节；最大企业占比为最大一家企业所占比重（对单一企业的依赖度）；链主企业与其他企业的增速均按可比口径计算。",
        &[("k", &q.input.chain_min_enterprises.to_string())],
    )
}

/// The summary sentence: the chain's level and growth against all industry, its missing
/// links, its leaders against the rest.
fn summary(q: &Context<'_>, chain: &Chain, k: &str) -> String {
    let (top, row) = (q.input.region, chain.row_code());
    let at = |row: &str, indicator: &str, measure: &str| q.at(&q.period, top, row, indicator, measure);
    let period = crate::model::labels::period(q.lang, q.input.period);
    let mut s = q.sentence(
        "{period}，{region}{chain}{indicator}",
        &[
            ("period", &period),
            ("region", &q.region_name(top)),
            ("chain", &q.industry_name(&row)),
            ("indicator", &q.n.indicator(k)),
        ],
    );
    let growth = at(&row, k, "yoy_pct");
    s.push_str(&super::level_and_growth(q, at(&row, k, "ytd"), growth));
    if let (Some(g), Some(t)) = (growth, at(TOTAL, k, "yoy_pct")) {
        s.push_str(&q.sentence(
            "，{comparison}",
            &[("comparison", &super::compare(q.lang, g - t, &q.label("规上工业")))],
        ));
    }
    let absent: Vec<String> = chain
        .segments
        .iter()
        .filter(|g| missing(q, top, &chain.segment_row_code(g)))
        .map(|g| segment_name(q, g))
        .collect();
    let n = chain.segments.len().to_string();
    if absent.is_empty() {
        s.push_str(&q.sentence("；{n}个环节均有企业", &[("n", &n)]));
    } else {
        s.push_str(&q.sentence(
            "；{n}个环节中缺少{missing}",
            &[("n", &n), ("missing", &absent.join(q.label("、_list").as_str()))],
        ));
    }
    if let (Some(share), Some(lg)) = (at(&row, k, "leaders_share_pct"), at(&row, k, "leaders_yoy_pct")) {
        let mut leaders = q.sentence(
            "；链主企业{n}家，占全链{share}%，同比{change}",
            &[
                ("n", &chain.leaders.len().to_string()),
                ("share", &format!("{share:.1}")),
                ("change", &signed(q, lg)),
            ],
        );
        if let Some(og) = at(&row, k, "others_yoy_pct") {
            leaders.push_str(&q.sentence("，其他企业{change}", &[("change", &signed(q, og))]));
        }
        s.push_str(&leaders);
    }
    s.push_str(&q.label("。"));
    s
}

/// "增长5.0%" / "下降5.0%".
fn signed(q: &Context<'_>, g: f64) -> String {
    let pct = format!("{:.1}", g.abs());
    q.sentence(if g < 0.0 { "下降{pct}%" } else { "增长{pct}%" }, &[("pct", &pct)])
}

fn headline(q: &Context<'_>, chain: &Chain, k: &str) -> Vec<(String, Cell)> {
    let (top, row) = (q.input.region, chain.row_code());
    let mut out = vec![
        (money_header(q, k), q.cell(top, &row, k, "ytd", Fmt::Money)),
        (q.label("同比增长（%）"), q.cell(top, &row, k, "yoy_pct", Fmt::One)),
        (q.label("企业数（家）"), q.cell(top, &row, "enterprises", "ytd", Fmt::Int)),
        (
            q.label("环节覆盖率（%）"),
            q.cell(top, &row, "enterprises", "coverage_pct", Fmt::One),
        ),
        (q.label("最大企业占比（%）"), q.cell(top, &row, k, "top1_share_pct", Fmt::One)),
    ];
    if !chain.leaders.is_empty() {
        out.push((q.label("链主企业占比（%）"), q.cell(top, &row, k, "leaders_share_pct", Fmt::One)));
        out.push((q.label("链主企业同比增长（%）"), q.cell(top, &row, k, "leaders_yoy_pct", Fmt::One)));
    }
    out
}

/// The chain and its segments in the monitored region, from upstream to downstream.
fn segments_table(q: &Context<'_>, chain: &Chain, k: &str) -> Table {
    let top = q.input.region;
    let line = |name: String, stage: String, row: &str, emphasis: bool| Row {
        cells: vec![
            Cell::Text(name),
            Cell::Text(stage),
            q.cell(top, row, k, "ytd", Fmt::Money),
            q.cell(top, row, k, "yoy_pct", Fmt::One),
            if emphasis {
                Cell::Num(None, Fmt::One)
            } else {
                q.cell(top, row, k, "segment_share_pct", Fmt::One)
            },
            if emphasis {
                Cell::Num(None, Fmt::One)
            } else {
                q.cell(top, row, k, "segment_share_change_pp", Fmt::One)
            },
            q.cell(top, row, "enterprises", "ytd", Fmt::Int),
            q.cell(top, row, k, "growth_breadth_pct", Fmt::One),
            q.cell(top, row, "profit", "loss_ratio_pct", Fmt::One),
            q.cell(top, row, k, "top1_share_pct", Fmt::One),
        ],
        emphasis,
    };
    let mut rows = vec![line(q.label("全链"), String::new(), &chain.row_code(), true)];
    for stage in stages(chain) {
        for g in chain.segments.iter().filter(|g| g.stage == stage) {
            rows.push(line(segment_name(q, g), stage_label(q, stage), &chain.segment_row_code(g), false));
        }
    }
    Table {
        sheet: q.label("分环节"),
        title: q.sentence("{number}、分环节情况", &[("number", &q.label("二"))]),
        header: vec![
            q.label("环节"),
            q.label("位置"),
            money_header(q, k),
            q.label("同比增长（%）"),
            q.label("占全链比重（%）"),
            q.label("比重变化（个百分点）"),
            q.label("企业数（家）"),
            q.label("增长面（%）"),
            q.label("亏损面（%）"),
            q.label("最大企业占比（%）"),
        ],
        rows,
        note: Some(coverage_note(q)),
    }
}

/// The chain in the monitored region and each sub-region.
fn regions_table(q: &Context<'_>, parts: &Parts<'_>, chain: &Chain, k: &str) -> Table {
    let (top, row) = (q.input.region, chain.row_code());
    let rows = std::iter::once(top)
        .chain(parts.children.iter().map(|r| r.code.as_str()))
        .map(|r| Row {
            cells: vec![
                Cell::Text(q.region_name(r)),
                q.cell(r, &row, k, "ytd", Fmt::Money),
                q.cell(r, &row, k, "yoy_pct", Fmt::One),
                q.cell(r, &row, "enterprises", "ytd", Fmt::Int),
                q.cell(r, &row, "enterprises", "coverage_pct", Fmt::One),
                q.cell(r, &row, "enterprises", "missing_segments", Fmt::Int),
                q.cell(r, &row, k, "top1_share_pct", Fmt::One),
            ],
            emphasis: r == top,
        })
        .collect();
    let sub = q.label(super::sub_name(q).0);
    Table {
        sheet: q.label(super::sub_name(q).1),
        title: q.sentence(
            "{number}、分{sub}情况（{industry}）",
            &[("number", &q.label("三")), ("sub", &sub), ("industry", &q.industry_name(&row))],
        ),
        header: vec![
            sub,
            money_header(q, k),
            q.label("同比增长（%）"),
            q.label("企业数（家）"),
            q.label("环节覆盖率（%）"),
            q.label("缺失环节（个）"),
            q.label("最大企业占比（%）"),
        ],
        rows,
        note: None,
    }
}

/// The chain leaders together against the chain's other enterprises.
fn leaders_table(q: &Context<'_>, chain: &Chain, k: &str) -> Table {
    let top = q.input.region;
    let (row, leaders, others) = (chain.row_code(), chain.leaders_row_code(), chain.others_row_code());
    let share = q.at(&q.period, top, &row, k, "leaders_share_pct");
    let share_cell = |v: Option<f64>| match (v, q.cell(top, &row, k, "leaders_share_pct", Fmt::One)) {
        (_, Cell::Suppressed) => Cell::Suppressed,
        (v, _) => Cell::Num(v, Fmt::One),
    };
    let line = |name: String, group: &str, share: Cell, emphasis: bool| Row {
        cells: vec![
            Cell::Text(name),
            q.cell(top, group, "enterprises", "ytd", Fmt::Int),
            q.cell(top, group, k, "ytd", Fmt::Money),
            q.cell(top, group, k, "yoy_pct", Fmt::One),
            share,
        ],
        emphasis,
    };
    let rows = vec![
        line(q.label("链主企业"), &leaders, share_cell(share), false),
        line(q.label("其他企业"), &others, share_cell(share.map(|s| 100.0 - s)), false),
        line(q.label("全链"), &row, Cell::Num(Some(100.0), Fmt::One), true),
    ];
    Table {
        sheet: q.label("链主企业"),
        title: q.sentence("{number}、链主企业", &[("number", &q.label("四"))]),
        header: vec![
            q.label("企业"),
            q.label("企业数（家）"),
            money_header(q, k),
            q.label("同比增长（%）"),
            q.label("占全链比重（%）"),
        ],
        rows,
        note: Some(q.sentence(
            "链主企业（统一社会信用代码）：{codes}。链主企业合计与其他企业合计的增速均按可比口径（与上年同期的同一批企业相比）计算；各企业的数据不单独公布。",
            &[("codes", &chain.leaders.join(q.label("、_list").as_str()))],
        )),
    }
}

/// The chain chart of the monitored region: its segments stage by stage.
fn chain_chart(q: &Context<'_>, parts: &Parts<'_>, chain: &Chain, k: &str) -> ChartSpec {
    let top = q.input.region;
    let stages = stages(chain);
    let boxes = stages
        .iter()
        .enumerate()
        .flat_map(|(column, stage)| {
            chain.segments.iter().filter(move |g| g.stage == *stage).map(move |g| {
                let row = chain.segment_row_code(g);
                let level = q.at(&q.period, top, &row, k, "ytd");
                ChainBox {
                    label: segment_name(q, g),
                    column,
                    level,
                    growth: q.at(&q.period, top, &row, k, "yoy_pct"),
                    withheld: level.is_none() && q.input.measures.get(&q.period, top, &row, k, "ytd").is_some(),
                    missing: missing(q, top, &row),
                }
            })
        })
        .collect();
    ChartSpec::Chain(ChainChart {
        name: parts.name("chain"),
        title: q.sentence(
            "{period}{chain}各环节{indicator}及增速",
            &[
                ("period", &parts.label),
                ("chain", &q.industry_name(&chain.row_code())),
                ("indicator", &q.n.indicator(k)),
            ],
        ),
        columns: stages.iter().map(|s| stage_label(q, *s)).collect(),
        boxes,
        unit: q.label("亿元"),
        legend: [
            "下降10%以上",
            "下降0–10%",
            "增长0–10%",
            "增长10–20%",
            "增长20%以上",
            "缺失环节",
            "不予公布",
        ]
        .map(|l| q.label(l)),
    })
}

/// The chains' growth in the monitored region (or a sub-region), against all industry.
pub(super) fn growth_by_chain(q: &Context<'_>, name: String, region: &str, chains: &[&Chain]) -> ChartSpec {
    let k = indicator(q, chains);
    let bars: Vec<Bar> = chains
        .iter()
        .map(|c| q.bar_of(chain_short(q, c), region, &c.row_code(), k, "yoy_pct"))
        .collect();
    ChartSpec::Bar(BarChart {
        name,
        title: q.sentence(
            "{period}{region}重点产业链{indicator}同比增长",
            &[
                ("period", &crate::model::labels::period(q.lang, q.input.period)),
                ("region", &q.region_name(region)),
                ("indicator", &q.n.indicator(k)),
            ],
        ),
        axis: q.label("同比增长（%）"),
        bars,
        references: q
            .at(&q.period, region, TOTAL, k, "yoy_pct")
            .map(|v| (q.label("规上工业"), v))
            .into_iter()
            .collect(),
        horizontal: true,
    })
}

/// Builds one chain's report, for its chief.
pub(super) fn build(parts: &Parts<'_>, chain: &Chain) -> Report {
    let q = &parts.q;
    let top = parts.top;
    let row = chain.row_code();
    let k = indicator(q, &[chain]);
    let title = q.sentence(
        "{region}{chain}监测季报",
        &[("region", &q.region_name(top)), ("chain", &q.industry_name(&row))],
    );
    let mut tables = vec![segments_table(q, chain, k)];
    if !parts.children.is_empty() {
        tables.push(regions_table(q, parts, chain, k));
    }
    if !chain.leaders.is_empty() {
        tables.push(leaders_table(q, chain, k));
    }
    let children = &parts.children;
    let in_scope = |g: &Group| row_of_chain(&g.industry, &row) && (g.region == top || children.iter().any(|r| r.code == g.region));
    let risks_number = if chain.leaders.is_empty() { "四" } else { "五" };
    let (risk_section, risks) = risk_table(q, &in_scope, q.input.key_risks.industry, risks_number);
    tables.push(risk_section);
    let mut lines = vec![
        (q.short(&row), top, row.as_str(), "yoy_pct"),
        (parts.all_industry.clone(), top, TOTAL, "yoy_pct"),
    ];
    if !chain.leaders.is_empty() {
        lines.push((q.label("链主企业"), top, row.as_str(), "leaders_yoy_pct"));
        lines.push((q.label("其他企业"), top, row.as_str(), "others_yoy_pct"));
    }
    let mut charts = vec![
        chain_chart(q, parts, chain, k),
        trend_of(
            q,
            k,
            parts.name("growth_trend"),
            q.sentence(
                "{what}{indicator}累计增速走势",
                &[("what", &q.short(&row)), ("indicator", &q.n.indicator(k))],
            ),
            parts.growth_axis.clone(),
            &lines,
        ),
    ];
    if !children.is_empty() {
        charts.extend(growth_by_region_of(q, parts.name("growth_by_city"), &row, k, children));
    }
    let own_quality: Vec<&Flag> = parts.quality.iter().copied().filter(|f| row_of_chain(&f.industry, &row)).collect();
    Report {
        audience: parts.audience.clone(),
        file: format!("chain/{}.html", chain.code),
        subject: parts.subject(&title),
        indicator: k.to_string(),
        title,
        summary: summary(q, chain, k),
        headline: headline(q, chain, k),
        tables,
        sheets: Vec::new(),
        charts,
        notes: notes(q, &own_quality),
        risks,
    }
}
