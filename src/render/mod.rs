//! Rendering a quarter's report: the report model, charts and HTML/text. No I/O.
//!
//! One model feeds every rendering: the archived `report.html` (images from `charts/`),
//! the e-mail HTML (the same template, images by Content-ID, inline CSS, sizes set) and
//! the plain-text alternative. Numbers follow Chinese statistical conventions: money in
//! 亿元, growth in %, differences of rates in 个百分点, absent values as "—".

pub mod chart;

use minijinja::Environment;
use serde::Serialize;

use crate::catalogue::{Catalogue, TEN, TOTAL};
use crate::compute::MeasureTable;
use crate::period::Period;
use chart::{Bar, BarChart, Chart};

const HTML_TEMPLATE: &str = include_str!("templates/report.html");
const TEXT_TEMPLATE: &str = include_str!("templates/report.txt");
/// Width of the report body in pixels (mail clients: 600–800 is safe).
const BODY_WIDTH: u32 = 760;

/// What went wrong while rendering.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(transparent)]
    Chart(#[from] chart::ChartError),
    #[error("template: {0}")]
    Template(#[from] minijinja::Error),
}

/// Everything a report is made from.
#[derive(Debug, Clone)]
pub struct ReportInput<'a> {
    pub period: Period,
    pub measures: &'a MeasureTable,
    pub catalogue: &'a Catalogue,
    /// The region of the report (a province or a city).
    pub region: &'a str,
    /// The headline indicator code.
    pub indicator: &'a str,
    pub data_vintage: &'a str,
    pub generated_at: &'a str,
    /// Notes from the pipeline (data provenance, synthetic data, …).
    pub notes: Vec<String>,
    /// The period's risk flags (business and data quality).
    pub flags: &'a [crate::risk::Flag],
    pub completeness: Option<&'a crate::risk::Completeness>,
}

/// A rendered report: charts, two HTML renderings and text.
#[derive(Debug, Clone)]
pub struct RenderedReport {
    pub title: String,
    /// The e-mail subject.
    pub subject: String,
    pub charts: Vec<Chart>,
    /// For the archive: images from `charts/`.
    pub html: String,
    /// For e-mail: images by Content-ID (`cid:<chart name>`).
    pub html_mail: String,
    pub text: String,
}

/// `12,345.67` — money in 亿元 with thousands separators and two decimals.
pub fn fmt_money(v: Option<f64>) -> String {
    let Some(v) = v else { return "—".into() };
    let s = format!("{:.2}", v.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, "00"));
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{}{grouped}.{frac}", if v < 0.0 && s != "0.00" { "-" } else { "" })
}

/// One decimal, `—` when absent (rates in %, differences in percentage points).
pub fn fmt_1(v: Option<f64>) -> String {
    match v {
        Some(v) if v.abs() < 0.05 => "0.0".into(),
        Some(v) => format!("{v:.1}"),
        None => "—".into(),
    }
}

fn fmt_rank(v: Option<f64>) -> String {
    v.map_or("—".into(), |r| format!("{}", r as i64))
}

#[derive(Serialize)]
struct Figure {
    label: String,
    value: String,
}

#[derive(Serialize)]
struct Row {
    cells: Vec<String>,
    emphasis: bool,
}

#[derive(Serialize)]
struct Table {
    title: String,
    header: Vec<String>,
    rows: Vec<Row>,
    note: Option<String>,
}

#[derive(Serialize)]
struct ChartRef {
    /// Rendered unescaped: built only from chart names, which are ASCII identifiers.
    src: String,
    title: String,
    display_width: u32,
    display_height: u32,
}

#[derive(Serialize)]
struct Context {
    org: String,
    title: String,
    period: String,
    period_label: String,
    indicator_zh: String,
    summary: String,
    correction: Option<String>,
    headline: Vec<Figure>,
    charts: Vec<ChartRef>,
    tables: Vec<Table>,
    notes: Vec<String>,
    generated_at: String,
    data_vintage: String,
    width: u32,
}

/// "高于" / "低于" / "持平于" a reference by `gap` percentage points.
fn compare(gap: f64) -> String {
    if gap.abs() < 0.05 {
        "与规上工业持平".into()
    } else if gap > 0.0 {
        format!("高于规上工业{:.1}个百分点", gap)
    } else {
        format!("低于规上工业{:.1}个百分点", -gap)
    }
}

/// Renders the province report.
pub fn province_report(input: &ReportInput<'_>) -> Result<RenderedReport, RenderError> {
    let (c, m, p) = (input.catalogue, input.measures, input.period.to_string());
    let prov = input.region;
    let ind = input.indicator;
    let get = |region: &str, industry: &str, measure: &str| m.get(&p, region, industry, ind, measure);
    let indicator_zh = c.indicator(ind).map_or(ind.to_string(), |k| k.zh.clone());
    let title = format!("{}监测季报", c.title_zh);
    let period_label = input.period.label_zh();

    // Headline: the ten industries' total against all industry.
    let ytd = get(prov, TEN, "ytd");
    let yoy = get(prov, TEN, "yoy_pct");
    let gap = get(prov, TEN, "gap_to_total_pp");
    let share = get(prov, TEN, "share_pct");
    let share_change = get(prov, TEN, "share_change_pp");
    let pull = get(prov, TEN, "pull_pp");
    let contribution = get(prov, TEN, "contribution_pct");
    let ten_name = c.industry_short_zh(TEN).to_string();
    let mut summary = format!("{period_label}，{}{ten_name}{indicator_zh}", c.region_zh(prov));
    match ytd {
        Some(v) => summary.push_str(&format!("{}亿元", fmt_money(Some(v)))),
        None => summary.push_str("总量暂缺"),
    }
    if let Some(g) = yoy {
        summary.push_str(&format!("，同比{}{:.1}%", if g < 0.0 { "下降" } else { "增长" }, g.abs()));
    }
    if let Some(g) = gap {
        summary.push_str(&format!("，{}", compare(g)));
    }
    if let Some(s) = share {
        summary.push_str(&format!("；占规上工业比重{s:.1}%"));
        if let Some(d) = share_change {
            summary.push_str(&format!(
                "，比上年同期{}{:.1}个百分点",
                if d < 0.0 { "下降" } else { "提高" },
                d.abs()
            ));
        }
    }
    if let (Some(pl), Some(ct)) = (pull, contribution) {
        summary.push_str(&format!("；拉动规上工业增长{pl:.1}个百分点，贡献率{ct:.1}%"));
    }
    summary.push('。');
    let headline = vec![
        Figure {
            label: format!("{indicator_zh}（亿元）"),
            value: fmt_money(ytd),
        },
        Figure {
            label: "同比增长（%）".into(),
            value: fmt_1(yoy),
        },
        Figure {
            label: "与规上工业增速差（个百分点）".into(),
            value: fmt_1(gap),
        },
        Figure {
            label: "占规上工业比重（%）".into(),
            value: fmt_1(share),
        },
        Figure {
            label: "比重变化（个百分点）".into(),
            value: fmt_1(share_change),
        },
        Figure {
            label: "拉动（个百分点）".into(),
            value: fmt_1(pull),
        },
        Figure {
            label: "贡献率（%）".into(),
            value: fmt_1(contribution),
        },
    ];

    // Industries.
    let industry_rows: Vec<Row> = std::iter::once(TEN)
        .chain(c.members().map(|i| i.code.as_str()))
        .chain([TOTAL])
        .map(|code| Row {
            cells: vec![
                c.industry(code).map_or(code.to_string(), |i| i.zh.clone()),
                fmt_money(get(prov, code, "ytd")),
                fmt_1(get(prov, code, "yoy_pct")),
                fmt_1(get(prov, code, "gap_to_total_pp")),
                fmt_1(get(prov, code, "share_pct")),
                fmt_1(get(prov, code, "share_change_pp")),
                fmt_1(get(prov, code, "pull_pp")),
                fmt_1(get(prov, code, "contribution_pct")),
            ],
            emphasis: code == TEN || code == TOTAL,
        })
        .collect();
    // Cities.
    let cities: Vec<_> = c.children_of(prov).collect();
    let sub = if crate::catalogue::region_level(prov) == crate::catalogue::RegionLevel::Province {
        "城市"
    } else {
        "区县"
    };
    let city_rows: Vec<Row> = cities
        .iter()
        .map(|r| Row {
            cells: vec![
                r.zh.clone(),
                fmt_money(get(&r.code, TEN, "ytd")),
                fmt_1(get(&r.code, TEN, "yoy_pct")),
                fmt_1(get(&r.code, TEN, "gap_to_parent_pp")),
                fmt_rank(get(&r.code, TEN, "rank")),
                fmt_1(get(&r.code, TEN, "share_pct")),
                fmt_1(get(&r.code, TEN, "contribution_pct")),
            ],
            emphasis: false,
        })
        .collect();
    let tables = vec![
        Table {
            title: "二、分产业情况".into(),
            header: [
                "产业",
                &format!("{indicator_zh}（亿元）"),
                "同比增长（%）",
                "与规上工业增速差（个百分点）",
                "占规上工业比重（%）",
                "比重变化（个百分点）",
                "拉动（个百分点）",
                "贡献率（%）",
            ]
            .map(String::from)
            .to_vec(),
            rows: industry_rows,
            note: Some(format!("各产业之间存在交叉，{ten_name}合计不等于各产业之和。")),
        },
        Table {
            title: format!("三、分{sub}情况（{ten_name}）"),
            header: [
                sub,
                &format!("{indicator_zh}（亿元）"),
                "同比增长（%）",
                &format!("与{}增速差（个百分点）", c.region_zh(prov)),
                "增速位次",
                "占规上工业比重（%）",
                "对规上工业贡献率（%）",
            ]
            .map(String::from)
            .to_vec(),
            rows: city_rows,
            note: Some("位次按同比增速由高到低排列，增速相同者位次相同。".into()),
        },
    ];

    // Target progress (level targets of the headline indicator).
    let target_rows: Vec<Row> = std::iter::once(TEN)
        .chain(c.members().map(|i| i.code.as_str()))
        .filter(|code| get(prov, code, "annual_target").is_some())
        .map(|code| Row {
            cells: vec![
                c.industry(code).map_or(code.to_string(), |i| i.zh.clone()),
                fmt_money(get(prov, code, "annual_target")),
                fmt_1(get(prov, code, "task_progress_pct")),
                fmt_1(get(prov, code, "time_progress_pct")),
                fmt_1(get(prov, code, "progress_gap_pp")),
                fmt_1(get(prov, code, "projected_attainment_pct")),
                fmt_1(get(prov, code, "required_cagr_pct")),
            ],
            emphasis: code == TEN,
        })
        .collect();
    let mut tables = tables;
    if target_rows.is_empty() {
        tables.push(Table {
            title: "四、规划目标进度".into(),
            header: vec!["说明".into()],
            rows: vec![Row {
                cells: vec![format!("{}年没有{indicator_zh}的规划目标。", input.period.year())],
                emphasis: false,
            }],
            note: None,
        });
    } else {
        tables.push(Table {
            title: "四、规划目标进度".into(),
            header: [
                "产业",
                "年度目标（亿元）",
                "目标进度（%）",
                "时间进度（%）",
                "进度差（个百分点）",
                "预计全年完成（%）",
                "所需年均增速（%）",
            ]
            .map(String::from)
            .to_vec(),
            rows: target_rows,
            note: Some("年度目标按规划期几何增长路径计算；预计全年完成按上年季节结构推算。".into()),
        });
    }
    // Major projects, all industries, by city.
    let project = |region: &str, measure: &str| m.get(&p, region, TOTAL, crate::compute::projects::INDICATOR, measure);
    let project_rows: Vec<Row> = std::iter::once((prov, c.region_zh(prov), true))
        .chain(cities.iter().map(|r| (r.code.as_str(), r.zh.as_str(), false)))
        .filter(|(code, _, _)| project(code, "projects").is_some())
        .map(|(code, name, emphasis)| Row {
            cells: vec![
                name.to_string(),
                fmt_rank(project(code, "projects")),
                fmt_1(project(code, "investment_completion_pct")),
                fmt_1(project(code, "investment_progress_gap_pp")),
                fmt_1(project(code, "start_rate_pct")),
                fmt_1(project(code, "completion_rate_pct")),
            ],
            emphasis,
        })
        .collect();
    if !project_rows.is_empty() {
        tables.push(Table {
            title: "五、重大项目进展".into(),
            header: [
                "地区",
                "项目数（个）",
                "投资完成率（%）",
                "与时间进度差（个百分点）",
                "开工率（%）",
                "竣工率（%）",
            ]
            .map(String::from)
            .to_vec(),
            rows: project_rows,
            note: Some("投资完成率 = 本年累计完成投资 ÷ 年度计划投资；开工率、竣工率按计划于本年开工（竣工）的项目计算。".into()),
        });
    }

    // Risks: counts over every scope; lists for the report's own region.
    {
        use crate::risk::{Class, Level, State};
        let business: Vec<&crate::risk::Flag> = input.flags.iter().filter(|f| f.class == Class::Business).collect();
        let count = |l: Level, top: bool| {
            business
                .iter()
                .filter(|f| f.counts() && f.level == l && (f.region == prov) == top)
                .count()
        };
        let mut rows = vec![
            Row {
                cells: vec![
                    c.region_zh(prov).to_string(),
                    count(Level::Red, true).to_string(),
                    count(Level::Yellow, true).to_string(),
                ],
                emphasis: true,
            },
            Row {
                cells: vec![
                    format!("各{sub}合计"),
                    count(Level::Red, false).to_string(),
                    count(Level::Yellow, false).to_string(),
                ],
                emphasis: false,
            },
        ];
        let list = |states: &[State]| -> Vec<String> {
            business
                .iter()
                .filter(|f| f.region == prov && states.contains(&f.state))
                .map(|f| format!("【{}】{}", f.level.zh(), f.message))
                .collect()
        };
        let new = list(&[State::New]);
        let persisting = list(&[State::Persisting, State::Escalated, State::Eased]);
        let resolved: Vec<String> = business
            .iter()
            .filter(|f| f.region == prov && f.state == State::Resolved)
            .map(|f| f.message.clone())
            .collect();
        let silenced: Vec<String> = business
            .iter()
            .filter(|f| f.silenced.is_some())
            .map(|f| {
                format!(
                    "{}（{}，至{}）",
                    f.message,
                    f.silenced.as_ref().map_or("", |s| s.reason.as_str()),
                    f.silenced.as_ref().map_or(String::new(), |s| s.until.to_string())
                )
            })
            .collect();
        for (title, items) in [
            ("新增", new),
            ("持续", persisting),
            ("解除", resolved),
            ("已确认（不计入）", silenced),
        ] {
            rows.push(Row {
                cells: vec![format!("{title}：{}项", items.len()), String::new(), String::new()],
                emphasis: false,
            });
            for item in items.into_iter().take(15) {
                rows.push(Row {
                    cells: vec![item, String::new(), String::new()],
                    emphasis: false,
                });
            }
        }
        tables.push(Table {
            title: "六、风险监测".into(),
            header: ["", "红灯（项）", "黄灯（项）"].map(String::from).to_vec(),
            rows,
            note: Some("全部风险（含各地区）见 risks.csv；已确认的风险列出但不计入。".into()),
        });
    }

    // Charts.
    let mut bars: Vec<Bar> = c
        .members()
        .map(|i| Bar {
            label: i.short_zh().to_string(),
            value: get(prov, &i.code, "yoy_pct"),
        })
        .collect();
    bars.insert(
        0,
        Bar {
            label: c.industry_short_zh(TEN).to_string(),
            value: yoy,
        },
    );
    let mut charts = vec![
        BarChart {
            name: "growth_by_industry".into(),
            title: format!("{period_label}分产业{indicator_zh}同比增长"),
            axis: "同比增长（%）".into(),
            bars,
            reference: get(prov, TOTAL, "yoy_pct").map(|v| ("规上工业".to_string(), v)),
            horizontal: true,
        }
        .render()?,
    ];
    if !cities.is_empty() {
        charts.push(
            BarChart {
                name: "growth_by_city".into(),
                title: format!("{period_label}分{sub}{ten_name}{indicator_zh}同比增长"),
                axis: "同比增长（%）".into(),
                bars: cities
                    .iter()
                    .map(|r| Bar {
                        label: r.zh.trim_end_matches('市').to_string(),
                        value: get(&r.code, TEN, "yoy_pct"),
                    })
                    .collect(),
                reference: yoy.map(|v| (c.region_zh(prov).to_string(), v)),
                horizontal: false,
            }
            .render()?,
        );
    }

    // Data notes.
    let mut notes = vec![
        "数据为本年累计数；增速为同比增速，以统计部门按可比口径公布的增速为准，未公布增速的按总量计算。".to_string(),
        "比重变化、增速差、拉动以百分点计；拉动 = 本期增量 ÷ 规上工业上年同期可比基数。".to_string(),
    ];
    let missing: Vec<&str> = cities
        .iter()
        .filter(|r| get(&r.code, TEN, "yoy_pct").is_none())
        .map(|r| r.zh.as_str())
        .collect();
    if !missing.is_empty() {
        notes.push(format!("以下{sub}本期缺少{ten_name}{indicator_zh}增速：{}。", missing.join("、")));
    }
    if let Some(done) = input.completeness {
        notes.push(format!(
            "本期应报数据{}项，已报{}项，完整率{:.1}%。",
            done.expected,
            done.present,
            done.pct()
        ));
    }
    let quality: Vec<&crate::risk::Flag> = input
        .flags
        .iter()
        .filter(|f| f.class == crate::risk::Class::DataQuality && f.rule != "missing_series")
        .collect();
    for f in quality.iter().take(10) {
        notes.push(f.message.clone());
    }
    if quality.len() > 10 {
        notes.push(format!("另有{}项数据质量提示，见 risks.csv。", quality.len() - 10));
    }
    notes.extend(input.notes.iter().cloned());

    let context = |src: &dyn Fn(&Chart) -> String| Context {
        org: format!("{} · 战略性新兴产业统计监测", c.region_zh(prov)),
        title: title.clone(),
        period: p.clone(),
        period_label: period_label.clone(),
        indicator_zh: indicator_zh.clone(),
        summary: summary.clone(),
        correction: None,
        headline: headline
            .iter()
            .map(|f| Figure {
                label: f.label.clone(),
                value: f.value.clone(),
            })
            .collect(),
        charts: charts
            .iter()
            .map(|ch| {
                let w = BODY_WIDTH - 48;
                ChartRef {
                    src: src(ch),
                    title: ch.title.clone(),
                    display_width: w,
                    display_height: ch.height * w / ch.width,
                }
            })
            .collect(),
        tables: tables
            .iter()
            .map(|t| Table {
                title: t.title.clone(),
                header: t.header.clone(),
                rows: t
                    .rows
                    .iter()
                    .map(|r| Row {
                        cells: r.cells.clone(),
                        emphasis: r.emphasis,
                    })
                    .collect(),
                note: t.note.clone(),
            })
            .collect(),
        notes: notes.clone(),
        generated_at: input.generated_at.to_string(),
        data_vintage: input.data_vintage.to_string(),
        width: BODY_WIDTH,
    };
    let mut env = Environment::new();
    env.add_template("report.html", HTML_TEMPLATE)?;
    env.add_template("report.txt", TEXT_TEMPLATE)?;
    let html = env
        .get_template("report.html")?
        .render(context(&|ch| format!("charts/{}", ch.file_name())))?;
    let html_mail = env
        .get_template("report.html")?
        .render(context(&|ch| format!("cid:{}", mail_content_id(&ch.name))))?;
    let text = env.get_template("report.txt")?.render(context(&|ch| ch.file_name()))?;
    let subject = format!("【{}】{period_label}", title);
    Ok(RenderedReport {
        title,
        subject,
        charts,
        html,
        html_mail,
        text,
    })
}

/// The Content-ID of a chart in e-mails (without angle brackets).
pub fn mail_content_id(chart: &str) -> String {
    format!("{chart}@seimon")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_chinese_statistical_conventions() {
        assert_eq!(fmt_money(Some(12345.678)), "12,345.68");
        assert_eq!(fmt_money(Some(-1234567.0)), "-1,234,567.00");
        assert_eq!(fmt_money(Some(0.004)), "0.00");
        assert_eq!(fmt_money(None), "—");
        assert_eq!(fmt_1(Some(-0.04)), "0.0");
        assert_eq!(fmt_1(Some(12.345)), "12.3");
        assert_eq!(fmt_1(None), "—");
        assert_eq!(compare(2.04), "高于规上工业2.0个百分点");
        assert_eq!(compare(-1.26), "低于规上工业1.3个百分点");
    }

    #[test]
    fn charts_render_chinese_and_gaps_without_panicking() {
        let chart = BarChart {
            name: "t".into(),
            title: "分产业营业收入同比增长".into(),
            axis: "同比增长（%）".into(),
            bars: vec![
                Bar {
                    label: "新一代信息技术".into(),
                    value: Some(12.5),
                },
                Bar {
                    label: "数字创意".into(),
                    value: None,
                },
                Bar {
                    label: "绿色食品".into(),
                    value: Some(-3.0),
                },
            ],
            reference: Some(("规上工业".into(), 6.1)),
            horizontal: true,
        }
        .render()
        .unwrap();
        assert_eq!(&chart.png[..8], b"\x89PNG\r\n\x1a\n");
        let decoder = png::Decoder::new(std::io::Cursor::new(&chart.png));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (chart.width, chart.height));
        let non_white = buf.chunks(3).filter(|p| p != &[255, 255, 255]).count();
        assert!(non_white > 5_000, "the chart is not blank ({non_white} coloured pixels)");
    }
}
