//! What each audience's report says: headline figures, tables, charts, risks and notes,
//! built from the measures and the flags. No I/O, no drawing.
//!
//! Audiences: the monitored region (province leaders), each member industry (its special
//! class), each sub-region (a city's government; a county's for a city profile), each
//! industrial chain of the catalogue (its chief, 链长).

mod chain;
mod city;
mod industry;
mod province;
mod risks;

use self::risks::{groups_sheet, matrix_cell, risk_table};
use super::chart::{Bar, BarChart, Line, LineChart};
use super::{Cell, ChartSpec, Fmt, Report, ReportInput, Row, Table};
use crate::model::audience::Audience;
use crate::model::catalogue::PROJECTS_INDICATOR as PROJECTS;
use crate::model::catalogue::{TEN, TOTAL};
use crate::model::labels::{Names, fill, tr};
use crate::model::language::Language;
use crate::model::period::Period;
use crate::risk::{Class, Flag};

/// "高于" / "低于" / "持平" against a reference, by `gap` percentage points.
pub fn compare(lang: Language, gap: f64, reference: &str) -> String {
    let pp = format!("{:.1}", gap.abs());
    let args = [("reference", reference), ("pp", pp.as_str())];
    if gap.abs() < 0.05 {
        fill(lang, "与{reference}持平", &args)
    } else if gap > 0.0 {
        fill(lang, "高于{reference}{pp}个百分点", &args)
    } else {
        fill(lang, "低于{reference}{pp}个百分点", &args)
    }
}

/// Every audience of a quarter's report set, in order.
pub fn audiences(input: &ReportInput<'_>) -> Vec<Audience> {
    std::iter::once(Audience::Province)
        .chain(input.catalogue.members().map(|i| Audience::Industry(i.code.clone())))
        .chain(input.catalogue.children_of(input.region).map(|r| Audience::City(r.code.clone())))
        .chain(input.catalogue.chains.iter().map(|c| Audience::Chain(c.code.clone())))
        .collect()
}

/// What one report is written from: the measures, the period, the names and the reader's
/// language, with the look-ups and labels every section uses.
struct Context<'a> {
    input: &'a ReportInput<'a>,
    period: String,
    n: Names<'a>,
    lang: Language,
    /// Set when the report asked for a value disclosure control withholds (its notes
    /// then say why; they are written last).
    withheld_any: std::cell::Cell<bool>,
}

impl<'a> Context<'a> {
    /// A value as a reader may see it: none when disclosure control withholds it.
    fn at(&self, period: &str, region: &str, industry: &str, indicator: &str, measure: &str) -> Option<f64> {
        let value = self.input.measures.get(period, region, industry, indicator, measure)?;
        if self.withheld(period, region, industry, indicator, measure) {
            self.withheld_any.set(true);
            return None;
        }
        Some(value)
    }
    fn withheld(&self, period: &str, region: &str, industry: &str, indicator: &str, measure: &str) -> bool {
        period
            .parse()
            .is_ok_and(|p| self.input.suppression.hidden(p, region, industry, indicator, measure))
    }
    /// The headline indicator in the report's period.
    fn headline(&self, region: &str, industry: &str, measure: &str) -> Option<f64> {
        self.at(&self.period, region, industry, self.input.indicator, measure)
    }
    fn project(&self, region: &str, industry: &str, measure: &str) -> Option<f64> {
        self.at(&self.period, region, industry, PROJECTS, measure)
    }
    /// A bar of the headline indicator's `measure`: withheld ones are marked, not drawn.
    fn bar(&self, label: String, region: &str, industry: &str, measure: &str) -> Bar {
        self.bar_of(label, region, industry, self.input.indicator, measure)
    }
    /// A bar of any indicator's `measure` in the report's period.
    fn bar_of(&self, label: String, region: &str, industry: &str, indicator: &str, measure: &str) -> Bar {
        let value = self.at(&self.period, region, industry, indicator, measure);
        let withheld = value.is_none()
            && self
                .input
                .measures
                .get(&self.period, region, industry, indicator, measure)
                .is_some();
        Bar { label, value, withheld }
    }
    fn num(&self, region: &str, industry: &str, measure: &str, fmt: Fmt) -> Cell {
        self.cell(region, industry, self.input.indicator, measure, fmt)
    }
    /// A table cell of any indicator's `measure` in the report's period: the mark when
    /// disclosure control withholds it.
    fn cell(&self, region: &str, industry: &str, indicator: &str, measure: &str, fmt: Fmt) -> Cell {
        match self.bar_of(String::new(), region, industry, indicator, measure) {
            Bar { withheld: true, .. } => Cell::Suppressed,
            Bar { value, .. } => Cell::Num(value, fmt),
        }
    }
    fn industry_name(&self, code: &str) -> String {
        self.n.industry(code)
    }
    fn short(&self, code: &str) -> String {
        self.n.industry_short(code)
    }
    fn region_name(&self, code: &str) -> String {
        self.n.region(code)
    }
    fn indicator(&self) -> String {
        self.n.indicator(self.input.indicator)
    }
    fn label(&self, zh: &'static str) -> String {
        tr(self.lang, zh).to_string()
    }
    fn sentence(&self, zh: &'static str, args: &[(&str, &str)]) -> String {
        fill(self.lang, zh, args)
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

/// "1,234.56亿元，同比增长5.0%" of a summary sentence (the total said to be missing, the
/// growth left out, when a reader may not see them).
fn level_and_growth(q: &Context<'_>, level: Option<f64>, growth: Option<f64>) -> String {
    let mut s = match level {
        Some(v) => q.sentence("{value}亿元", &[("value", &super::fmt_money(Some(v)))]),
        None => q.label("总量暂缺"),
    };
    if let Some(g) = growth {
        let pct = format!("{:.1}", g.abs());
        s.push_str(&q.sentence(
            if g < 0.0 {
                "，同比下降{pct}%"
            } else {
                "，同比增长{pct}%"
            },
            &[("pct", &pct)],
        ));
    }
    s
}

/// The summary sentence about one (region, industry) against all industry.
fn summary(q: &Context<'_>, region: &str, industry: &str, what: &str) -> String {
    let period = crate::model::labels::period(q.lang, q.input.period);
    let mut s = q.sentence(
        "{period}，{region}{what}{indicator}",
        &[
            ("period", &period),
            ("region", &q.region_name(region)),
            ("what", what),
            ("indicator", &q.indicator()),
        ],
    );
    s.push_str(&level_and_growth(
        q,
        q.headline(region, industry, "ytd"),
        q.headline(region, industry, "yoy_pct"),
    ));
    if let Some(g) = q.headline(region, industry, "gap_to_total_pp") {
        s.push_str(&q.sentence("，{comparison}", &[("comparison", &compare(q.lang, g, &q.label("规上工业")))]));
    }
    if let Some(sh) = q.headline(region, industry, "share_pct") {
        s.push_str(&q.sentence("；占规上工业比重{share}%", &[("share", &format!("{sh:.1}"))]));
        if let Some(d) = q.headline(region, industry, "share_change_pp") {
            let pp = format!("{:.1}", d.abs());
            s.push_str(&q.sentence(
                if d < 0.0 {
                    "，比上年同期下降{pp}个百分点"
                } else {
                    "，比上年同期提高{pp}个百分点"
                },
                &[("pp", &pp)],
            ));
        }
    }
    if let (Some(pl), Some(ct)) = (
        q.headline(region, industry, "pull_pp"),
        q.headline(region, industry, "contribution_pct"),
    ) {
        s.push_str(&q.sentence(
            "；拉动规上工业增长{pull}个百分点，贡献率{contribution}%",
            &[("pull", &format!("{pl:.1}")), ("contribution", &format!("{ct:.1}"))],
        ));
    }
    s.push_str(&q.label("。"));
    s
}

fn headline(q: &Context<'_>, region: &str, industry: &str) -> Vec<(String, Cell)> {
    vec![
        (
            q.sentence("{indicator}（亿元）", &[("indicator", &q.indicator())]),
            q.num(region, industry, "ytd", Fmt::Money),
        ),
        (q.label("同比增长（%）"), q.num(region, industry, "yoy_pct", Fmt::One)),
        (
            q.label("与规上工业增速差（个百分点）"),
            q.num(region, industry, "gap_to_total_pp", Fmt::One),
        ),
        (q.label("占规上工业比重（%）"), q.num(region, industry, "share_pct", Fmt::One)),
        (
            q.label("比重变化（个百分点）"),
            q.num(region, industry, "share_change_pp", Fmt::One),
        ),
        (q.label("拉动（个百分点）"), q.num(region, industry, "pull_pp", Fmt::One)),
        (q.label("贡献率（%）"), q.num(region, industry, "contribution_pct", Fmt::One)),
    ]
}

/// A table of industries of one region.
fn industries_table(q: &Context<'_>, region: &str, number: &'static str) -> Table {
    let codes: Vec<String> = std::iter::once(TEN.to_string())
        .chain(q.input.catalogue.members().map(|i| i.code.clone()))
        .chain([TOTAL.to_string()])
        .collect();
    let city = region != q.input.region;
    let mut header = vec![
        q.label("产业"),
        q.sentence("{indicator}（亿元）", &[("indicator", &q.indicator())]),
        q.label("同比增长（%）"),
        q.label("与规上工业增速差（个百分点）"),
        q.label("占规上工业比重（%）"),
        q.label("比重变化（个百分点）"),
        q.label("拉动（个百分点）"),
        q.label("贡献率（%）"),
    ];
    if city {
        header.push(q.sentence("与{region}增速差（个百分点）", &[("region", &q.region_name(q.input.region))]));
        header.push(q.label("增速位次"));
    }
    let rows = codes
        .iter()
        .map(|code| {
            let mut cells = vec![
                Cell::Text(q.industry_name(code)),
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
        sheet: q.label("分产业"),
        title: q.sentence("{number}、分产业情况", &[("number", &q.label(number))]),
        header,
        rows,
        note: Some(q.sentence("各产业之间存在交叉，{ten}合计不等于各产业之和。", &[("ten", &q.short(TEN))])),
    }
}

/// A table of the sub-regions for one industry.
fn regions_table(q: &Context<'_>, industry: &str, number: &'static str) -> Table {
    let top = q.input.region;
    let (sub, sheet) = sub_name(q);
    let mut rows: Vec<Row> = std::iter::once(top.to_string())
        .chain(q.input.catalogue.children_of(top).map(|r| r.code.clone()))
        .map(|r| Row {
            cells: vec![
                Cell::Text(q.region_name(&r)),
                q.num(&r, industry, "ytd", Fmt::Money),
                q.num(&r, industry, "yoy_pct", Fmt::One),
                q.num(&r, industry, "gap_to_parent_pp", Fmt::One),
                // the monitored region's rank is among regions this table does not show
                if r == top {
                    Cell::Num(None, Fmt::Int)
                } else {
                    q.num(&r, industry, "rank", Fmt::Int)
                },
                q.num(&r, industry, "share_pct", Fmt::One),
                q.num(&r, industry, "contribution_pct", Fmt::One),
            ],
            emphasis: r == top,
        })
        .collect();
    let mut header = vec![
        q.label(sub),
        q.sentence("{indicator}（亿元）", &[("indicator", &q.indicator())]),
        q.label("同比增长（%）"),
        q.sentence("与{region}增速差（个百分点）", &[("region", &q.region_name(top))]),
        q.label("增速位次"),
        q.label("占规上工业比重（%）"),
        q.label("对规上工业贡献率（%）"),
    ];
    let mut note = Some(q.label("位次按同比增速由高到低排列，增速相同者位次相同。"));
    // ranks are among a province's cities: counties have none, and no column of dashes
    const RANK: usize = 4;
    if rows.iter().all(|row| matches!(row.cells[RANK], Cell::Num(None, _))) {
        for row in &mut rows {
            row.cells.remove(RANK);
        }
        header.remove(RANK);
        note = None;
    }
    Table {
        sheet: q.label(sheet),
        title: q.sentence(
            "{number}、分{sub}情况（{industry}）",
            &[
                ("number", &q.label(number)),
                ("sub", &q.label(sub)),
                ("industry", &q.short(industry)),
            ],
        ),
        header,
        rows,
        note,
    }
}

/// The plan's goals on indicators other than the headline one (counts of platforms, listed
/// companies, …) for the monitored region's ten industries: one row per goal of the year.
fn goals_table(q: &Context<'_>) -> Option<Table> {
    let top = q.input.region;
    let at = |indicator: &str, measure: &str| q.at(&q.period, top, TEN, indicator, measure);
    let rows: Vec<Row> = q
        .input
        .catalogue
        .indicators
        .iter()
        .filter(|k| k.code != q.input.indicator && !q.input.tiers.iter().any(|t| t.code == k.code))
        .filter(|k| at(&k.code, "annual_target").is_some())
        .map(|k| {
            let fmt = if k.kind == crate::model::catalogue::IndicatorKind::Count {
                Fmt::Int
            } else {
                Fmt::Money
            };
            let unit = k.unit.clone().unwrap_or_default();
            let name = q.n.indicator(&k.code);
            Row {
                cells: vec![
                    Cell::Text(if unit.is_empty() || q.lang == Language::En {
                        name
                    } else {
                        format!("{name}（{unit}）")
                    }),
                    Cell::Num(at(&k.code, "ytd"), fmt),
                    Cell::Num(at(&k.code, "annual_target"), fmt),
                    Cell::Num(at(&k.code, "task_progress_pct"), Fmt::One),
                    Cell::Num(at(&k.code, "time_progress_pct"), Fmt::One),
                    Cell::Num(at(&k.code, "progress_gap_pp"), Fmt::One),
                ],
                emphasis: false,
            }
        })
        .collect();
    if rows.is_empty() {
        return None;
    }
    Some(Table {
        sheet: q.label("数量目标"),
        title: q.label("规划数量目标进度"),
        header: ["指标", "本期数", "年度目标", "目标进度（%）", "时间进度（%）", "进度差（个百分点）"]
            .map(|h| q.label(h))
            .to_vec(),
        rows,
        note: Some(q.label("年度目标按规划期几何增长路径计算；平台、企业等数量为期末累计数。")),
    })
}

fn component_name(q: &Context<'_>, k: &crate::assessment::Component) -> String {
    if q.lang == Language::En {
        k.name_en.clone()
    } else {
        k.name.clone()
    }
}

/// The assessment of the sub-regions, best first: score, rank and each component's points
/// of the score, so a city can see why it ranks where it does.
fn assessment_table(q: &Context<'_>, a: &crate::assessment::Assessment) -> Table {
    let (sub_zh, _) = sub_name(q);
    let mut header = vec![q.label("位次"), q.label(sub_zh), q.label("得分")];
    header.extend(a.components.iter().map(|k| component_name(q, k)));
    let rows = a
        .cities
        .iter()
        .map(|c| {
            let mut cells = vec![
                Cell::Num(Some(f64::from(c.rank)), Fmt::Int),
                Cell::Text(q.region_name(&c.region)),
                Cell::Num(Some(c.score), Fmt::One),
            ];
            cells.extend(c.parts.iter().map(|p| Cell::Num(p.as_ref().map(|p| p.contribution), Fmt::One)));
            Row { cells, emphasis: false }
        })
        .collect();
    let weights: Vec<String> = a
        .components
        .iter()
        .map(|k| format!("{} {}", component_name(q, k), k.weight))
        .collect();
    let mut note = q.sentence(
        "得分满分100，各项为该项对得分的贡献（权重 {weights}）；缺报的项得0分，位次按得分由高到低，得分相同者位次相同。",
        &[("weights", &weights.join(q.label("、_list").as_str()))],
    );
    // sub-regions left out: their figures are withheld (see `Seimon::assess`)
    let unassessed: Vec<String> = q
        .input
        .catalogue
        .children_of(q.input.region)
        .filter(|r| a.city(&r.code).is_none())
        .map(|r| q.region_name(&r.code))
        .collect();
    if !unassessed.is_empty() {
        q.withheld_any.set(true);
        note.push_str(&q.sentence(
            "{regions}的数据不予公布，未参加考核评价。",
            &[("regions", &unassessed.join(q.label("、_list").as_str()))],
        ));
    }
    Table {
        sheet: q.label("考核评价"),
        title: q.sentence("{sub}考核评价", &[("sub", &q.label(sub_zh))]),
        header,
        rows,
        note: Some(note),
    }
}

/// One sub-region's assessment: each component's value, points and contribution.
fn city_assessment_table(q: &Context<'_>, a: &crate::assessment::Assessment, region: &str) -> Option<Table> {
    let city = a.city(region)?;
    let rows = a
        .components
        .iter()
        .zip(&city.parts)
        .map(|(k, p)| Row {
            cells: vec![
                Cell::Text(component_name(q, k)),
                Cell::Num(Some(k.weight), Fmt::One),
                Cell::Num(p.as_ref().and_then(|p| p.value), Fmt::One),
                Cell::Num(p.as_ref().map(|p| p.points), Fmt::One),
                Cell::Num(p.as_ref().map(|p| p.contribution), Fmt::One),
            ],
            emphasis: false,
        })
        .collect();
    Some(Table {
        sheet: q.label("考核评价"),
        title: q.sentence(
            "考核评价：得分{score}，第{rank}位（共{n}个）",
            &[
                ("score", &format!("{:.1}", city.score)),
                ("rank", &city.rank.to_string()),
                ("n", &a.cities.len().to_string()),
            ],
        ),
        header: ["考核项", "权重", "本期值", "标准分", "对得分的贡献"].map(|h| q.label(h)).to_vec(),
        rows,
        note: Some(q.label("标准分为该项在各地区中的相对位置（0–100）；缺报的项得0分。")),
    })
}

/// The scale tiers: how many industries are on course for each, now and a year earlier.
fn tiers_table(q: &Context<'_>) -> Option<Table> {
    let top = q.input.region;
    let year_ago = q.input.period.year_earlier().map(|p| p.to_string());
    let rows: Vec<Row> = q
        .input
        .tiers
        .iter()
        .map(|t| {
            let at = |period: &str, measure: &str| q.at(period, top, TEN, &t.code, measure);
            Row {
                cells: vec![
                    Cell::Text(q.n.indicator(&t.code)),
                    Cell::Num(Some(t.threshold), Fmt::Money),
                    Cell::Num(at(&q.period, "ytd"), Fmt::Int),
                    Cell::Num(year_ago.as_deref().and_then(|p| at(p, "ytd")), Fmt::Int),
                    Cell::Num(at(&q.period, "annual_target"), Fmt::One),
                ],
                emphasis: false,
            }
        })
        .collect();
    if rows.is_empty() {
        return None;
    }
    Some(Table {
        sheet: q.label("规模梯队"),
        title: q.label("产业规模梯队"),
        header: ["梯队", "门槛（亿元）", "本期（个）", "上年同期（个）", "年度目标（个）"]
            .map(|h| q.label(h))
            .to_vec(),
        rows,
        note: Some(q.sentence(
            "按十大产业预计全年{indicator}计（四季度为全年实绩，其余按上年季节结构推算），达到门槛即计入。",
            &[("indicator", &q.indicator())],
        )),
    })
}

fn targets_table(q: &Context<'_>, codes: &[String], number: &'static str) -> Table {
    let top = q.input.region;
    let rows: Vec<Row> = codes
        .iter()
        .filter(|code| q.headline(top, code, "annual_target").is_some())
        .map(|code| Row {
            cells: vec![
                Cell::Text(q.industry_name(code)),
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
        q.sentence(
            "{year}年没有{indicator}的规划目标。",
            &[("year", &q.input.period.year().to_string()), ("indicator", &q.indicator())],
        )
    } else {
        q.label("年度目标按规划期几何增长路径计算；预计全年完成按上年季节结构推算。")
    };
    Table {
        sheet: q.label("目标进度"),
        title: q.sentence("{number}、规划目标进度", &[("number", &q.label(number))]),
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
        .map(|h| q.label(h))
        .to_vec(),
        rows,
        note: Some(note),
    }
}

/// Projects of one industry by region, or of one region by industry.
fn projects_table(q: &Context<'_>, lines: &[(String, String, String)], number: &'static str, first: &'static str) -> Table {
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
        q.label("本期没有重大项目数据。")
    } else {
        q.label("投资完成率 = 本年累计完成投资 ÷ 年度计划投资；开工率、竣工率按计划于本年开工（竣工）的项目计算。")
    };
    Table {
        sheet: q.label("重大项目"),
        title: q.sentence("{number}、重大项目进展", &[("number", &q.label(number))]),
        header: [
            first,
            "项目数（个）",
            "投资完成率（%）",
            "与时间进度差（个百分点）",
            "开工率（%）",
            "竣工率（%）",
        ]
        .map(|h| q.label(h))
        .to_vec(),
        rows,
        note: Some(note),
    }
}

/// The sub-regions' word and sheet name: cities of a province, counties of a city.
fn sub_name(q: &Context<'_>) -> (&'static str, &'static str) {
    if crate::model::catalogue::region_level(q.input.region) == crate::model::catalogue::RegionLevel::Province {
        ("城市", "分城市")
    } else {
        ("区县", "分区县")
    }
}

fn notes(q: &Context<'_>, flags: &[&Flag]) -> Vec<String> {
    let mut notes = vec![
        q.label("数据为本年累计数；增速为同比增速，以统计部门按可比口径公布的增速为准，未公布增速的按总量计算。"),
        q.label("比重变化、增速差、拉动以百分点计；拉动 = 本期增量 ÷ 规上工业上年同期可比基数。"),
    ];
    if let Some(done) = q.input.completeness {
        notes.push(q.sentence(
            "本期应报数据{expected}项，已报{present}项，完整率{pct}%。",
            &[
                ("expected", &done.expected.to_string()),
                ("present", &done.present.to_string()),
                ("pct", &format!("{:.1}", done.pct())),
            ],
        ));
        // never silently incomplete: the missing series are named
        const NAMED: usize = 12;
        if !done.missing.is_empty() {
            let names: Vec<String> = done
                .missing
                .iter()
                .take(NAMED)
                .map(|(r, i, k)| crate::risk::subject(q.lang, q.input.catalogue, r, i, k))
                .collect();
            let more = if done.missing.len() > NAMED {
                q.sentence("等{n}项", &[("n", &done.missing.len().to_string())])
            } else {
                String::new()
            };
            notes.push(q.sentence(
                "缺报数据：{list}{more}。",
                &[("list", &names.join(q.label("、_list").as_str())), ("more", &more)],
            ));
        }
    }
    if q.withheld_any.get() {
        notes.push(q.sentence(
            "{mark}：为保护统计调查对象的资料，企业数过少或由个别企业主导的数据不予公布，可据以推算出这些数据的其他数据一并不予公布（《中华人民共和国统计法》第二十五条）；图中相应的柱不予绘制。",
            &[("mark", crate::render::SUPPRESSED_MARK)],
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
        notes.push(q.sentence("另有{n}项数据质量提示，见 risks.csv。", &[("n", &(quality.len() - 8).to_string())]));
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
        Audience::Chain(code) => format!("chain-{code}-{name}"),
    }
}

fn trend(q: &Context<'_>, name: String, title: String, axis: String, lines: &[(String, &str, &str, &str)]) -> ChartSpec {
    trend_of(q, q.input.indicator, name, title, axis, lines)
}

/// A trend chart of any indicator: lines of (legend, region, industry, measure).
fn trend_of(
    q: &Context<'_>,
    indicator: &str,
    name: String,
    title: String,
    axis: String,
    lines: &[(String, &str, &str, &str)],
) -> ChartSpec {
    let periods = trend_periods(q.input.period);
    ChartSpec::Line(LineChart {
        name,
        title,
        axis,
        labels: periods.iter().map(|p| format!("{}Q{}", p.year() % 100, p.quarter())).collect(),
        lines: lines
            .iter()
            .map(|(legend, region, industry, measure)| Line {
                legend: legend.clone(),
                values: periods
                    .iter()
                    .map(|p| q.at(&p.to_string(), region, industry, indicator, measure))
                    .collect(),
                dashed: measure.starts_with("target_"),
            })
            .collect(),
    })
}

/// The bar chart of one industry's growth in each sub-region, against the monitored
/// region; none when every bar would be withheld (the table says so with its marks).
fn growth_by_region(q: &Context<'_>, name: String, industry: &str, children: &[&crate::model::catalogue::Region]) -> Option<ChartSpec> {
    growth_by_region_of(q, name, industry, q.input.indicator, children)
}

/// [`growth_by_region`] of any indicator.
fn growth_by_region_of(
    q: &Context<'_>,
    name: String,
    industry: &str,
    indicator: &str,
    children: &[&crate::model::catalogue::Region],
) -> Option<ChartSpec> {
    let top = q.input.region;
    let period = crate::model::labels::period(q.lang, q.input.period);
    let bars: Vec<Bar> = children
        .iter()
        .map(|r| q.bar_of(q.n.region_short(&r.code), &r.code, industry, indicator, "yoy_pct"))
        .collect();
    if bars.iter().all(|b| b.withheld) {
        return None;
    }
    Some(ChartSpec::Bar(BarChart {
        name,
        title: q.sentence(
            "{period}分{sub}{what}{indicator}同比增长",
            &[
                ("period", &period),
                ("sub", &q.label(sub_name(q).0)),
                ("what", &q.short(industry)),
                ("indicator", &q.n.indicator(indicator)),
            ],
        ),
        axis: q.label("同比增长（%）"),
        bars,
        references: q
            .at(&q.period, top, industry, indicator, "yoy_pct")
            .map(|v| (q.region_name(top), v))
            .into_iter()
            .collect(),
        horizontal: false,
    }))
}

/// Builds one audience's report.
/// What every audience's report is built from: the look-ups, the monitored region and
/// its sub-regions, the flags by class, and the labels the sections share.
struct Parts<'a> {
    q: Context<'a>,
    audience: &'a Audience,
    lang: Language,
    c: &'a crate::model::catalogue::Catalogue,
    top: &'a str,
    /// The period as a reader says it (`2025年1-9月`).
    label: String,
    indicator: String,
    /// What the sub-regions are called (cities, or counties).
    sub: String,
    children: Vec<&'a crate::model::catalogue::Region>,
    members: Vec<String>,
    quality: Vec<&'a Flag>,
    /// The share of the year gone by the period's end, in percent.
    time_progress: f64,
    all_industry: String,
    growth_axis: String,
}

impl Parts<'_> {
    /// A chart's file name for this audience.
    fn name(&self, n: &str) -> String {
        chart_name(self.audience, n)
    }
    /// The e-mail subject of a report titled `title`.
    fn subject(&self, title: &str) -> String {
        self.q.sentence("【{title}】{period}", &[("title", title), ("period", &self.label)])
    }
}

/// Builds the report of one audience; none for a chain the catalogue does not hold.
pub fn build<'a>(input: &'a ReportInput<'a>, audience: &'a Audience) -> Option<Report> {
    let lang = input.lang;
    let q = Context {
        input,
        period: input.period.to_string(),
        n: Names {
            lang,
            catalogue: input.catalogue,
        },
        lang,
        withheld_any: std::cell::Cell::new(false),
    };
    let c = input.catalogue;
    let top = input.region;
    let (sub_zh, _) = sub_name(&q);
    let parts = Parts {
        audience,
        lang,
        c,
        top,
        label: crate::model::labels::period(lang, input.period),
        indicator: q.indicator(),
        sub: q.label(sub_zh),
        children: c.children_of(top).collect(),
        members: c.members().map(|i| i.code.clone()).collect(),
        quality: input.flags.iter().filter(|f| f.class == Class::DataQuality).collect(),
        time_progress: f64::from(input.period.quarter()) * 25.0,
        all_industry: q.label("规上工业"),
        growth_axis: q.label("同比增长（%）"),
        q,
    };
    Some(match audience {
        Audience::Province => province::build(&parts),
        Audience::Industry(code) => industry::build(&parts, code),
        Audience::City(region) => city::build(&parts, region),
        Audience::Chain(code) => {
            return c
                .chains
                .iter()
                .find(|chain| &chain.code == code)
                .map(|chain| chain::build(&parts, chain));
        }
    })
}
