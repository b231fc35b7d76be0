//! What each audience's report says: headline figures, tables, charts, risks and notes,
//! built from the measures and the flags. No I/O, no drawing.
//!
//! Audiences: the monitored region (province leaders), each member industry (its special
//! class), each sub-region (a city's government; a county's for a city profile).

use super::chart::{Bar, BarChart, Line, LineChart, MatrixChart};
use super::{Cell, ChartSpec, Fmt, Report, ReportInput, Row, Table};
use crate::catalogue::{TEN, TOTAL};
use crate::compute::projects::INDICATOR as PROJECTS;
use crate::config::Audience;
use crate::period::Period;
use crate::risk::{Class, Flag, Level, State};

/// "高于" / "低于" / "持平" against a reference, by `gap` percentage points.
pub fn compare(gap: f64, reference: &str) -> String {
    if gap.abs() < 0.05 {
        format!("与{reference}持平")
    } else if gap > 0.0 {
        format!("高于{reference}{:.1}个百分点", gap)
    } else {
        format!("低于{reference}{:.1}个百分点", -gap)
    }
}

/// Every audience of a quarter's report set, in order.
pub fn audiences(input: &ReportInput<'_>) -> Vec<Audience> {
    std::iter::once(Audience::Province)
        .chain(input.catalogue.members().map(|i| Audience::Industry(i.code.clone())))
        .chain(input.catalogue.children_of(input.region).map(|r| Audience::City(r.code.clone())))
        .collect()
}

/// Looks measures up for one report.
struct Q<'a> {
    input: &'a ReportInput<'a>,
    period: String,
}

impl<'a> Q<'a> {
    fn at(&self, period: &str, region: &str, industry: &str, indicator: &str, measure: &str) -> Option<f64> {
        self.input.measures.get(period, region, industry, indicator, measure)
    }
    /// The headline indicator in the report's period.
    fn h(&self, region: &str, industry: &str, measure: &str) -> Option<f64> {
        self.at(&self.period, region, industry, self.input.indicator, measure)
    }
    fn project(&self, region: &str, industry: &str, measure: &str) -> Option<f64> {
        self.at(&self.period, region, industry, PROJECTS, measure)
    }
    fn num(&self, region: &str, industry: &str, measure: &str, fmt: Fmt) -> Cell {
        Cell::Num(self.h(region, industry, measure), fmt)
    }
    fn industry_zh(&self, code: &str) -> String {
        self.input.catalogue.industry(code).map_or(code.to_string(), |i| i.zh.clone())
    }
    fn short(&self, code: &str) -> String {
        self.input.catalogue.industry_short_zh(code).to_string()
    }
    fn region_zh(&self, code: &str) -> String {
        self.input.catalogue.region_zh(code).to_string()
    }
}

/// The quarters of the trend charts: the report's and up to eight before it.
fn trend_periods(period: Period) -> Vec<Period> {
    let mut ps = vec![period];
    while ps.len() < 9 {
        match ps.last().and_then(|p| p.previous()) {
            Some(p) => ps.push(p),
            None => break,
        }
    }
    ps.reverse();
    ps
}

/// The summary sentence about one (region, industry) against all industry.
fn summary(q: &Q<'_>, region: &str, industry: &str, what: &str) -> String {
    let indicator_zh = q
        .input
        .catalogue
        .indicator(q.input.indicator)
        .map_or(q.input.indicator, |k| k.zh.as_str());
    let mut s = format!("{}，{}{what}{indicator_zh}", q.input.period.label_zh(), q.region_zh(region));
    match q.h(region, industry, "ytd") {
        Some(v) => s.push_str(&format!("{}亿元", super::fmt_money(Some(v)))),
        None => s.push_str("总量暂缺"),
    }
    if let Some(g) = q.h(region, industry, "yoy_pct") {
        s.push_str(&format!("，同比{}{:.1}%", if g < 0.0 { "下降" } else { "增长" }, g.abs()));
    }
    if let Some(g) = q.h(region, industry, "gap_to_total_pp") {
        s.push_str(&format!("，{}", compare(g, "规上工业")));
    }
    if let Some(sh) = q.h(region, industry, "share_pct") {
        s.push_str(&format!("；占规上工业比重{sh:.1}%"));
        if let Some(d) = q.h(region, industry, "share_change_pp") {
            s.push_str(&format!(
                "，比上年同期{}{:.1}个百分点",
                if d < 0.0 { "下降" } else { "提高" },
                d.abs()
            ));
        }
    }
    if let (Some(pl), Some(ct)) = (q.h(region, industry, "pull_pp"), q.h(region, industry, "contribution_pct")) {
        s.push_str(&format!("；拉动规上工业增长{pl:.1}个百分点，贡献率{ct:.1}%"));
    }
    s.push('。');
    s
}

fn headline(q: &Q<'_>, region: &str, industry: &str) -> Vec<(String, Cell)> {
    let indicator_zh = q
        .input
        .catalogue
        .indicator(q.input.indicator)
        .map_or(q.input.indicator, |k| k.zh.as_str());
    vec![
        (format!("{indicator_zh}（亿元）"), q.num(region, industry, "ytd", Fmt::Money)),
        ("同比增长（%）".into(), q.num(region, industry, "yoy_pct", Fmt::One)),
        (
            "与规上工业增速差（个百分点）".into(),
            q.num(region, industry, "gap_to_total_pp", Fmt::One),
        ),
        ("占规上工业比重（%）".into(), q.num(region, industry, "share_pct", Fmt::One)),
        ("比重变化（个百分点）".into(), q.num(region, industry, "share_change_pp", Fmt::One)),
        ("拉动（个百分点）".into(), q.num(region, industry, "pull_pp", Fmt::One)),
        ("贡献率（%）".into(), q.num(region, industry, "contribution_pct", Fmt::One)),
    ]
}

/// A table of industries of one region.
fn industries_table(q: &Q<'_>, region: &str, number: &str) -> Table {
    let indicator_zh = q
        .input
        .catalogue
        .indicator(q.input.indicator)
        .map_or(q.input.indicator, |k| k.zh.as_str());
    let codes: Vec<String> = std::iter::once(TEN.to_string())
        .chain(q.input.catalogue.members().map(|i| i.code.clone()))
        .chain([TOTAL.to_string()])
        .collect();
    let city = region != q.input.region;
    let mut header = vec![
        "产业".to_string(),
        format!("{indicator_zh}（亿元）"),
        "同比增长（%）".into(),
        "与规上工业增速差（个百分点）".into(),
        "占规上工业比重（%）".into(),
        "比重变化（个百分点）".into(),
        "拉动（个百分点）".into(),
        "贡献率（%）".into(),
    ];
    if city {
        header.push(format!("与{}增速差（个百分点）", q.region_zh(q.input.region)));
        header.push("增速位次".into());
    }
    let rows = codes
        .iter()
        .map(|code| {
            let mut cells = vec![
                Cell::Text(q.industry_zh(code)),
                q.num(region, code, "ytd", Fmt::Money),
                q.num(region, code, "yoy_pct", Fmt::One),
                q.num(region, code, "gap_to_total_pp", Fmt::One),
                q.num(region, code, "share_pct", Fmt::One),
                q.num(region, code, "share_change_pp", Fmt::One),
                q.num(region, code, "pull_pp", Fmt::One),
                q.num(region, code, "contribution_pct", Fmt::One),
            ];
            if city {
                cells.push(q.num(region, code, "gap_to_parent_pp", Fmt::One));
                cells.push(q.num(region, code, "rank", Fmt::Int));
            }
            Row {
                cells,
                emphasis: code == TEN || code == TOTAL,
            }
        })
        .collect();
    Table {
        sheet: "分产业".into(),
        title: format!("{number}、分产业情况"),
        header,
        rows,
        note: Some(format!("各产业之间存在交叉，{}合计不等于各产业之和。", q.short(TEN))),
    }
}

/// A table of the sub-regions for one industry.
fn regions_table(q: &Q<'_>, industry: &str, number: &str) -> Table {
    let indicator_zh = q
        .input
        .catalogue
        .indicator(q.input.indicator)
        .map_or(q.input.indicator, |k| k.zh.as_str());
    let top = q.input.region;
    let sub = sub_name(q);
    let rows = std::iter::once(top.to_string())
        .chain(q.input.catalogue.children_of(top).map(|r| r.code.clone()))
        .map(|r| Row {
            cells: vec![
                Cell::Text(q.region_zh(&r)),
                q.num(&r, industry, "ytd", Fmt::Money),
                q.num(&r, industry, "yoy_pct", Fmt::One),
                q.num(&r, industry, "gap_to_parent_pp", Fmt::One),
                q.num(&r, industry, "rank", Fmt::Int),
                q.num(&r, industry, "share_pct", Fmt::One),
                q.num(&r, industry, "contribution_pct", Fmt::One),
            ],
            emphasis: r == top,
        })
        .collect();
    Table {
        sheet: format!("分{sub}"),
        title: format!("{number}、分{sub}情况（{}）", q.short(industry)),
        header: vec![
            sub.to_string(),
            format!("{indicator_zh}（亿元）"),
            "同比增长（%）".into(),
            format!("与{}增速差（个百分点）", q.region_zh(top)),
            "增速位次".into(),
            "占规上工业比重（%）".into(),
            "对规上工业贡献率（%）".into(),
        ],
        rows,
        note: Some("位次按同比增速由高到低排列，增速相同者位次相同。".into()),
    }
}

fn targets_table(q: &Q<'_>, codes: &[String], number: &str) -> Table {
    let top = q.input.region;
    let rows: Vec<Row> = codes
        .iter()
        .filter(|code| q.h(top, code, "annual_target").is_some())
        .map(|code| Row {
            cells: vec![
                Cell::Text(q.industry_zh(code)),
                q.num(top, code, "annual_target", Fmt::Money),
                q.num(top, code, "task_progress_pct", Fmt::One),
                q.num(top, code, "time_progress_pct", Fmt::One),
                q.num(top, code, "progress_gap_pp", Fmt::One),
                q.num(top, code, "projected_attainment_pct", Fmt::One),
                q.num(top, code, "plan_cagr_pct", Fmt::One),
                q.num(top, code, "required_cagr_pct", Fmt::One),
            ],
            emphasis: code == TEN,
        })
        .collect();
    let note = if rows.is_empty() {
        Some(format!(
            "{}年没有{}的规划目标。",
            q.input.period.year(),
            q.input.catalogue.indicator(q.input.indicator).map_or("", |k| k.zh.as_str())
        ))
    } else {
        Some("年度目标按规划期几何增长路径计算；预计全年完成按上年季节结构推算。".into())
    };
    Table {
        sheet: "目标进度".into(),
        title: format!("{number}、规划目标进度"),
        header: [
            "产业",
            "年度目标（亿元）",
            "目标进度（%）",
            "时间进度（%）",
            "进度差（个百分点）",
            "预计全年完成（%）",
            "规划年均增速（%）",
            "所需年均增速（%）",
        ]
        .map(String::from)
        .to_vec(),
        rows,
        note,
    }
}

/// Projects of one industry by region, or of one region by industry.
fn projects_table(q: &Q<'_>, lines: &[(String, String, String)], number: &str, first: &str) -> Table {
    let rows = lines
        .iter()
        .filter(|(region, industry, _)| q.project(region, industry, "projects").is_some())
        .map(|(region, industry, label)| Row {
            cells: vec![
                Cell::Text(label.clone()),
                Cell::Num(q.project(region, industry, "projects"), Fmt::Int),
                Cell::Num(q.project(region, industry, "investment_completion_pct"), Fmt::One),
                Cell::Num(q.project(region, industry, "investment_progress_gap_pp"), Fmt::One),
                Cell::Num(q.project(region, industry, "start_rate_pct"), Fmt::One),
                Cell::Num(q.project(region, industry, "completion_rate_pct"), Fmt::One),
            ],
            emphasis: false,
        })
        .collect::<Vec<_>>();
    let note = if rows.is_empty() {
        Some("本期没有重大项目数据。".into())
    } else {
        Some("投资完成率 = 本年累计完成投资 ÷ 年度计划投资；开工率、竣工率按计划于本年开工（竣工）的项目计算。".into())
    };
    Table {
        sheet: "重大项目".into(),
        title: format!("{number}、重大项目进展"),
        header: [
            first,
            "项目数（个）",
            "投资完成率（%）",
            "与时间进度差（个百分点）",
            "开工率（%）",
            "竣工率（%）",
        ]
        .map(String::from)
        .to_vec(),
        rows,
        note,
    }
}

/// The risk section: counts by level (not counting silenced flags) and the lists.
fn risk_table(flags: &[&Flag], number: &str) -> Table {
    let count = |l: Level| flags.iter().filter(|f| f.counts() && f.level == l).count();
    let mut rows = vec![Row {
        cells: vec![
            Cell::Text("本期风险".into()),
            Cell::Num(Some(count(Level::Red) as f64), Fmt::Int),
            Cell::Num(Some(count(Level::Yellow) as f64), Fmt::Int),
        ],
        emphasis: true,
    }];
    let listed = |states: &[State]| -> Vec<String> {
        let mut v: Vec<&&Flag> = flags.iter().filter(|f| f.silenced.is_none() && states.contains(&f.state)).collect();
        v.sort_by_key(|f| std::cmp::Reverse(f.level));
        v.iter()
            .map(|f| {
                if f.state == State::Resolved {
                    f.message.clone()
                } else {
                    format!("【{}】{}（自{}）", f.level.zh(), f.message, f.since)
                }
            })
            .collect()
    };
    let silenced: Vec<String> = flags
        .iter()
        .filter_map(|f| f.silenced.as_ref().map(|s| format!("{}（{}，至{}）", f.message, s.reason, s.until)))
        .collect();
    for (title, items) in [
        ("新增", listed(&[State::New])),
        ("持续", listed(&[State::Persisting, State::Escalated, State::Eased])),
        ("解除", listed(&[State::Resolved])),
        ("已确认（不计入）", silenced),
    ] {
        rows.push(Row {
            cells: vec![
                Cell::Text(format!("{title}：{}项", items.len())),
                Cell::Text(String::new()),
                Cell::Text(String::new()),
            ],
            emphasis: false,
        });
        let n = items.len();
        for item in items.into_iter().take(12) {
            rows.push(Row {
                cells: vec![Cell::Text(item), Cell::Text(String::new()), Cell::Text(String::new())],
                emphasis: false,
            });
        }
        if n > 12 {
            rows.push(Row {
                cells: vec![
                    Cell::Text(format!("……另有{}项，见 risks.csv", n - 12)),
                    Cell::Text(String::new()),
                    Cell::Text(String::new()),
                ],
                emphasis: false,
            });
        }
    }
    Table {
        sheet: "风险监测".into(),
        title: format!("{number}、风险监测"),
        header: ["", "红灯（项）", "黄灯（项）"].map(String::from).to_vec(),
        rows,
        note: Some("已确认的风险列出但不计入；全部风险见 risks.csv。".into()),
    }
}

fn sub_name(q: &Q<'_>) -> &'static str {
    if crate::catalogue::region_level(q.input.region) == crate::catalogue::RegionLevel::Province {
        "城市"
    } else {
        "区县"
    }
}

fn notes(q: &Q<'_>, flags: &[&Flag]) -> Vec<String> {
    let mut notes = vec![
        "数据为本年累计数；增速为同比增速，以统计部门按可比口径公布的增速为准，未公布增速的按总量计算。".to_string(),
        "比重变化、增速差、拉动以百分点计；拉动 = 本期增量 ÷ 规上工业上年同期可比基数。".to_string(),
    ];
    if let Some(done) = q.input.completeness {
        notes.push(format!(
            "本期应报数据{}项，已报{}项，完整率{:.1}%。",
            done.expected,
            done.present,
            done.pct()
        ));
    }
    let quality: Vec<&&Flag> = flags
        .iter()
        .filter(|f| f.class == Class::DataQuality && f.rule != "missing_series")
        .collect();
    for f in quality.iter().take(8) {
        notes.push(f.message.clone());
    }
    if quality.len() > 8 {
        notes.push(format!("另有{}项数据质量提示，见 risks.csv。", quality.len() - 8));
    }
    notes.extend(q.input.notes.iter().cloned());
    notes
}

/// A chart name unique across the report set.
fn chart_name(audience: &Audience, name: &str) -> String {
    match audience {
        Audience::Province => name.to_string(),
        Audience::Industry(code) => format!("industry-{code}-{name}"),
        Audience::City(code) => format!("city-{code}-{name}"),
    }
}

fn trend(q: &Q<'_>, name: String, title: String, axis: &str, lines: &[(String, &str, &str, &str)]) -> ChartSpec {
    let periods = trend_periods(q.input.period);
    ChartSpec::Line(LineChart {
        name,
        title,
        axis: axis.into(),
        labels: periods.iter().map(|p| format!("{}Q{}", p.year() % 100, p.quarter())).collect(),
        lines: lines
            .iter()
            .map(|(legend, region, industry, measure)| Line {
                legend: legend.clone(),
                values: periods
                    .iter()
                    .map(|p| q.at(&p.to_string(), region, industry, q.input.indicator, measure))
                    .collect(),
                dashed: measure.starts_with("target_"),
            })
            .collect(),
    })
}

/// Builds one audience's report.
pub fn build(input: &ReportInput<'_>, audience: &Audience) -> Report {
    let q = Q {
        input,
        period: input.period.to_string(),
    };
    let c = input.catalogue;
    let top = input.region;
    let label = input.period.label_zh();
    let indicator_zh = c.indicator(input.indicator).map_or(input.indicator, |k| k.zh.as_str()).to_string();
    let sub = sub_name(&q);
    let children: Vec<&crate::catalogue::Region> = c.children_of(top).collect();
    let members: Vec<String> = c.members().map(|i| i.code.clone()).collect();
    let business: Vec<&Flag> = input.flags.iter().filter(|f| f.class == Class::Business).collect();
    let quality: Vec<&Flag> = input.flags.iter().filter(|f| f.class == Class::DataQuality).collect();
    let time_progress = f64::from(input.period.quarter()) * 25.0;
    let name = |n: &str| chart_name(audience, n);
    match audience {
        Audience::Province => {
            let title = format!("{}监测季报", c.title_zh);
            let mut tables = vec![industries_table(&q, top, "二")];
            if !children.is_empty() {
                tables.push(regions_table(&q, TEN, "三"));
            }
            let mut target_codes = vec![TEN.to_string()];
            target_codes.extend(members.iter().cloned());
            tables.push(targets_table(&q, &target_codes, "四"));
            let lines: Vec<(String, String, String)> = std::iter::once((top.to_string(), TOTAL.to_string(), q.region_zh(top)))
                .chain(children.iter().map(|r| (r.code.clone(), TOTAL.to_string(), r.zh.clone())))
                .collect();
            tables.push(projects_table(&q, &lines, "五", "地区"));
            let own: Vec<&Flag> = business.iter().copied().filter(|f| f.region == top).collect();
            tables.push(risk_table(&own, "六"));

            let mut bars: Vec<Bar> = members
                .iter()
                .map(|i| Bar {
                    label: q.short(i),
                    value: q.h(top, i, "yoy_pct"),
                })
                .collect();
            bars.insert(
                0,
                Bar {
                    label: q.short(TEN),
                    value: q.h(top, TEN, "yoy_pct"),
                },
            );
            let mut references: Vec<(String, f64)> = q
                .h(top, TOTAL, "yoy_pct")
                .map(|v| ("规上工业".to_string(), v))
                .into_iter()
                .collect();
            if let Some(cagr) = q.h(top, TEN, "plan_cagr_pct") {
                references.push(("规划年均增速".into(), cagr));
            }
            let mut charts = vec![ChartSpec::Bar(BarChart {
                name: name("growth_by_industry"),
                title: format!("{label}分产业{indicator_zh}同比增长"),
                axis: "同比增长（%）".into(),
                bars,
                references,
                horizontal: true,
            })];
            charts.push(trend(
                &q,
                name("growth_trend"),
                format!("{}{indicator_zh}累计增速走势", q.short(TEN)),
                "同比增长（%）",
                &[(q.short(TEN), top, TEN, "yoy_pct"), ("规上工业".into(), top, TOTAL, "yoy_pct")],
            ));
            charts.push(trend(
                &q,
                name("share_trend"),
                format!("{}占规上工业比重走势", q.short(TEN)),
                "比重（%）",
                &[
                    ("比重".into(), top, TEN, "share_pct"),
                    ("目标比重".into(), top, TEN, "target_share_pct"),
                ],
            ));
            if target_codes.iter().any(|i| q.h(top, i, "task_progress_pct").is_some()) {
                charts.push(ChartSpec::Bar(BarChart {
                    name: name("task_progress"),
                    title: format!("{label}目标进度与时间进度"),
                    axis: "目标进度（%）".into(),
                    bars: target_codes
                        .iter()
                        .map(|i| Bar {
                            label: q.short(i),
                            value: q.h(top, i, "task_progress_pct"),
                        })
                        .collect(),
                    references: vec![("时间进度".into(), time_progress)],
                    horizontal: true,
                }));
            }
            if !children.is_empty() {
                charts.push(ChartSpec::Bar(BarChart {
                    name: name("growth_by_city"),
                    title: format!("{label}分{sub}{}{indicator_zh}同比增长", q.short(TEN)),
                    axis: "同比增长（%）".into(),
                    bars: children
                        .iter()
                        .map(|r| Bar {
                            label: r.zh.trim_end_matches('市').to_string(),
                            value: q.h(&r.code, TEN, "yoy_pct"),
                        })
                        .collect(),
                    references: q.h(top, TEN, "yoy_pct").map(|v| (q.region_zh(top), v)).into_iter().collect(),
                    horizontal: false,
                }));
            }
            charts.push(ChartSpec::Bar(BarChart {
                name: name("contribution"),
                title: format!("{label}各产业对规上工业增长的贡献率"),
                axis: "贡献率（%）".into(),
                bars: members
                    .iter()
                    .map(|i| Bar {
                        label: q.short(i),
                        value: q.h(top, i, "contribution_pct"),
                    })
                    .collect(),
                references: vec![],
                horizontal: true,
            }));
            if !children.is_empty() {
                let industries: Vec<String> = std::iter::once(TEN.to_string()).chain(members.iter().cloned()).collect();
                let cells = industries
                    .iter()
                    .map(|i| {
                        children
                            .iter()
                            .map(|r| {
                                let worst = business
                                    .iter()
                                    .filter(|f| f.region == r.code && &f.industry == i && f.state != State::Resolved)
                                    .map(|f| f.level)
                                    .max();
                                worst.or_else(|| q.h(&r.code, i, "ytd").or(q.h(&r.code, i, "yoy_pct")).map(|_| Level::Green))
                            })
                            .collect()
                    })
                    .collect();
                charts.push(ChartSpec::Matrix(MatrixChart {
                    name: name("risk_matrix"),
                    title: format!("{label}风险矩阵（产业 × {sub}）"),
                    rows: industries.iter().map(|i| q.short(i)).collect(),
                    columns: children.iter().map(|r| r.zh.trim_end_matches('市').to_string()).collect(),
                    cells,
                }));
                charts.push(ChartSpec::Bar(BarChart {
                    name: name("projects_by_city"),
                    title: format!("{label}分{sub}重大项目投资完成率"),
                    axis: "投资完成率（%）".into(),
                    bars: children
                        .iter()
                        .map(|r| Bar {
                            label: r.zh.trim_end_matches('市').to_string(),
                            value: q.project(&r.code, TOTAL, "investment_completion_pct"),
                        })
                        .collect(),
                    references: vec![("时间进度".into(), time_progress)],
                    horizontal: false,
                }));
            }
            Report {
                audience: audience.clone(),
                file: "report.html".into(),
                subject: format!("【{title}】{label}"),
                title,
                summary: summary(&q, top, TEN, &q.short(TEN)),
                headline: headline(&q, top, TEN),
                tables,
                charts,
                notes: notes(&q, &quality),
            }
        }
        Audience::Industry(code) => {
            let title = format!("{}{}产业监测季报", q.region_zh(top), q.short(code));
            let mut tables = vec![];
            if !children.is_empty() {
                tables.push(regions_table(&q, code, "二"));
            }
            tables.push(targets_table(&q, std::slice::from_ref(code), "三"));
            let lines: Vec<(String, String, String)> = std::iter::once((top.to_string(), code.clone(), q.region_zh(top)))
                .chain(children.iter().map(|r| (r.code.clone(), code.clone(), r.zh.clone())))
                .collect();
            tables.push(projects_table(&q, &lines, "四", "地区"));
            let own: Vec<&Flag> = business.iter().copied().filter(|f| &f.industry == code).collect();
            tables.push(risk_table(&own, "五"));
            let mut charts = vec![trend(
                &q,
                name("growth_trend"),
                format!("{}{indicator_zh}累计增速走势", q.short(code)),
                "同比增长（%）",
                &[
                    (q.short(code), top, code, "yoy_pct"),
                    (q.short(TEN), top, TEN, "yoy_pct"),
                    ("规上工业".into(), top, TOTAL, "yoy_pct"),
                ],
            )];
            if !children.is_empty() {
                charts.push(ChartSpec::Bar(BarChart {
                    name: name("growth_by_city"),
                    title: format!("{label}分{sub}{}{indicator_zh}同比增长", q.short(code)),
                    axis: "同比增长（%）".into(),
                    bars: children
                        .iter()
                        .map(|r| Bar {
                            label: r.zh.trim_end_matches('市').to_string(),
                            value: q.h(&r.code, code, "yoy_pct"),
                        })
                        .collect(),
                    references: q.h(top, code, "yoy_pct").map(|v| (q.region_zh(top), v)).into_iter().collect(),
                    horizontal: false,
                }));
            }
            let own_quality: Vec<&Flag> = quality.iter().copied().filter(|f| &f.industry == code).collect();
            Report {
                audience: audience.clone(),
                file: format!("industry/{code}.html"),
                subject: format!("【{title}】{label}"),
                title,
                summary: summary(&q, top, code, &q.short(code)),
                headline: headline(&q, top, code),
                tables,
                charts,
                notes: notes(&q, &own_quality),
            }
        }
        Audience::City(region) => {
            let title = format!("{}{}监测季报", q.region_zh(region), q.short(TEN));
            let mut tables = vec![industries_table(&q, region, "二")];
            let lines: Vec<(String, String, String)> = std::iter::once((region.clone(), TOTAL.to_string(), "合计".to_string()))
                .chain(members.iter().map(|i| (region.clone(), i.clone(), q.short(i))))
                .collect();
            tables.push(projects_table(&q, &lines, "三", "产业"));
            let own: Vec<&Flag> = business.iter().copied().filter(|f| &f.region == region).collect();
            tables.push(risk_table(&own, "四"));
            let mut bars: Vec<Bar> = members
                .iter()
                .map(|i| Bar {
                    label: q.short(i),
                    value: q.h(region, i, "yoy_pct"),
                })
                .collect();
            bars.insert(
                0,
                Bar {
                    label: q.short(TEN),
                    value: q.h(region, TEN, "yoy_pct"),
                },
            );
            let charts = vec![
                ChartSpec::Bar(BarChart {
                    name: name("growth_by_industry"),
                    title: format!("{label}{}分产业{indicator_zh}同比增长", q.region_zh(region)),
                    axis: "同比增长（%）".into(),
                    bars,
                    references: [
                        ("本地规上工业", q.h(region, TOTAL, "yoy_pct")),
                        ("上级地区", q.h(top, TEN, "yoy_pct")),
                    ]
                    .into_iter()
                    .filter_map(|(l, v)| {
                        v.map(|v| {
                            (
                                if l == "上级地区" {
                                    format!("{}{}", q.region_zh(top), q.short(TEN))
                                } else {
                                    "规上工业".to_string()
                                },
                                v,
                            )
                        })
                    })
                    .collect(),
                    horizontal: true,
                }),
                trend(
                    &q,
                    name("growth_trend"),
                    format!("{}{}{indicator_zh}累计增速走势", q.region_zh(region), q.short(TEN)),
                    "同比增长（%）",
                    &[
                        (q.short(TEN), region, TEN, "yoy_pct"),
                        ("规上工业".into(), region, TOTAL, "yoy_pct"),
                        (q.region_zh(top), top, TEN, "yoy_pct"),
                    ],
                ),
            ];
            let own_quality: Vec<&Flag> = quality.iter().copied().filter(|f| &f.region == region).collect();
            Report {
                audience: audience.clone(),
                file: format!("city/{region}.html"),
                subject: format!("【{title}】{label}"),
                title,
                summary: summary(&q, region, TEN, &q.short(TEN)),
                headline: headline(&q, region, TEN),
                tables,
                charts,
                notes: notes(&q, &own_quality),
            }
        }
    }
}
