//! Rendering a quarter's reports: the report model, charts, HTML, text, the PDF and the
//! workbook. No I/O.
//!
//! [`report`] builds one [`Report`] per audience (the monitored region, each member
//! industry, each sub-region) from the measures and the risk flags; [`render`] turns it
//! into charts (PNG), two HTML renderings of the same content — the archived one with
//! images from `charts/`, and the e-mail one with images by Content-ID, inline CSS and
//! sizes set — a plain-text alternative, and the same content typeset on A4 by typst
//! ([`pdf`]); [`xlsx`] writes its tables as a workbook.
//! Cells hold numbers, formatted for display here and written as numbers to the workbook.
//! Numbers follow Chinese statistical conventions: money in 亿元, growth in %, differences
//! of rates in 个百分点, absent values as "—" (and as gaps in charts, never zeros).

pub mod chart;
pub mod pdf;
pub mod report;
pub mod xlsx;

use minijinja::Environment;
use serde::Serialize;

use crate::compute::MeasureTable;
use crate::model::audience::Audience;
use crate::model::catalogue::Catalogue;
use crate::model::period::Period;
use chart::Chart;

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
    #[error("workbook: {0}")]
    Workbook(#[from] rust_xlsxwriter::XlsxError),
    #[error(transparent)]
    Pdf(#[from] pdf::PdfError),
    #[error("the report's data: {0}")]
    Data(#[from] serde_json::Error),
}

/// How many key risks each kind of report leads with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeyRisks {
    pub province: usize,
    pub industry: usize,
    pub city: usize,
}

/// Everything the reports are made from.
#[derive(Debug, Clone)]
pub struct ReportInput<'a> {
    pub period: Period,
    /// The measures of the period and the quarters before it (for trends).
    pub measures: &'a MeasureTable,
    pub catalogue: &'a Catalogue,
    /// The monitored region (a province or a city).
    pub region: &'a str,
    /// The headline indicator code.
    pub indicator: &'a str,
    pub data_vintage: &'a str,
    pub generated_at: &'a str,
    /// Notes from the pipeline (data provenance, synthetic data, …).
    pub notes: Vec<String>,
    /// The period's risk flags (business and data quality).
    pub flags: &'a [crate::risk::Flag],
    /// The business flags' groups, ranked (their members index `flags`).
    pub groups: &'a [crate::risk::Group],
    /// How many key risks each report leads with.
    pub key_risks: KeyRisks,
    /// The rules (their names and thresholds, for the key-risk sentences).
    pub rules: &'a [crate::risk::Rule],
    /// What may not reach a reader (statistical disclosure control).
    pub suppression: &'a crate::disclosure::Suppression,
    pub completeness: Option<&'a crate::risk::Completeness>,
    /// The scale tiers whose counts the report shows.
    pub tiers: &'a [crate::compute::tiers::Tier],
    /// The assessment of the sub-regions, when configured.
    pub assessment: Option<&'a crate::assessment::Assessment>,
    /// The enterprises a chain's segment needs in a region to be present there.
    pub chain_min_enterprises: u32,
    /// The language of the reports.
    pub lang: crate::model::language::Language,
}

/// How a number is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Fmt {
    /// 亿元, thousands separators, two decimals.
    Money,
    /// Rates and percentage points: one decimal.
    One,
    /// Counts and ranks.
    Int,
}

/// A table cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Num(Option<f64>, Fmt),
    /// A value withheld to protect the enterprises behind it (see the report's notes).
    Suppressed,
}

/// The mark of a withheld value.
pub const SUPPRESSED_MARK: &str = "×";

impl Cell {
    pub fn display(&self) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            Cell::Num(v, Fmt::Money) => fmt_money(*v),
            Cell::Num(v, Fmt::One) => fmt_1(*v),
            Cell::Num(v, Fmt::Int) => v.map_or("—".into(), |r| format!("{}", r.round() as i64)),
            Cell::Suppressed => SUPPRESSED_MARK.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub cells: Vec<Cell>,
    pub emphasis: bool,
}

/// A table of a report (and a sheet of its workbook).
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The workbook sheet name (short, unique within a report).
    pub sheet: String,
    pub title: String,
    pub header: Vec<String>,
    pub rows: Vec<Row>,
    pub note: Option<String>,
}

/// A chart to draw.
#[derive(Debug, Clone)]
pub enum ChartSpec {
    Bar(chart::BarChart),
    Line(chart::LineChart),
    Matrix(chart::MatrixChart),
    Chain(chart::ChainChart),
}

impl ChartSpec {
    pub fn render(&self) -> Result<Chart, chart::ChartError> {
        match self {
            ChartSpec::Bar(c) => c.render(),
            ChartSpec::Line(c) => c.render(),
            ChartSpec::Matrix(c) => c.render(),
            ChartSpec::Chain(c) => c.render(),
        }
    }
}

/// One audience's report, before rendering.
#[derive(Debug, Clone)]
pub struct Report {
    pub audience: Audience,
    /// Where the archived HTML goes, relative to the period folder.
    pub file: String,
    pub title: String,
    pub subject: String,
    /// The indicator the report is on: the headline one, or a chain's (see
    /// `report::chain::indicator`).
    pub indicator: String,
    pub summary: String,
    pub headline: Vec<(String, Cell)>,
    pub tables: Vec<Table>,
    /// Tables for the workbook only (after `tables`): the full list of risk groups.
    pub sheets: Vec<Table>,
    pub charts: Vec<ChartSpec>,
    pub notes: Vec<String>,
    /// The risk section in brief (what a chat card says of risks).
    pub risks: RiskBrief,
}

/// A report's risks in brief: its counted groups by light, and its key risks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RiskBrief {
    pub red: usize,
    pub yellow: usize,
    pub keys: Vec<KeyRisk>,
}

/// One key risk of a report: its light and its sentence, as the risk section says them.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyRisk {
    pub level: crate::risk::Level,
    /// The light as the report's language names it (`红灯`, `red`).
    pub light: String,
    pub sentence: String,
}

/// A rendered report: charts, two HTML renderings and text (and its tables for the
/// workbook).
#[derive(Debug, Clone)]
pub struct RenderedReport {
    pub audience: Audience,
    pub lang: crate::model::language::Language,
    pub file: String,
    pub title: String,
    /// The e-mail subject.
    pub subject: String,
    pub charts: Vec<Chart>,
    /// The headline sentence (the report's first paragraph).
    pub summary: String,
    /// The headline figures (label, value as displayed), disclosure control applied.
    pub headline: Vec<(String, String)>,
    pub risks: RiskBrief,
    /// For the archive: images from `charts/`.
    pub html: String,
    /// For e-mail: images by Content-ID (`cid:<chart name>@seimon`).
    pub html_mail: String,
    pub text: String,
    /// What the PDF is typeset from (the HTML's data, as JSON).
    pub pdf_data: Vec<u8>,
    /// The report typeset on A4 (`report.pdf` beside `report.html`), once [`typeset_pdfs`]
    /// has run.
    pub pdf: Vec<u8>,
    pub tables: Vec<Table>,
    /// The workbook-only tables.
    pub sheets: Vec<Table>,
}

/// `12,345.67` — money in 亿元 with thousands separators and two decimals.
pub fn fmt_money(v: Option<f64>) -> String {
    // a value that is not a number is absent, never `inf.00`
    let Some(v) = v.filter(|v| v.is_finite()) else {
        return "—".into();
    };
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
    match v.filter(|v| v.is_finite()) {
        Some(v) if v.abs() < 0.05 => "0.0".into(),
        Some(v) => format!("{v:.1}"),
        None => "—".into(),
    }
}

#[derive(Serialize)]
struct Figure {
    label: String,
    value: String,
}

#[derive(Serialize)]
struct RowView {
    cells: Vec<String>,
    emphasis: bool,
}

#[derive(Serialize)]
struct TableView {
    title: String,
    header: Vec<String>,
    rows: Vec<RowView>,
    note: Option<String>,
    /// The columns' relative widths on the page (the PDF's; a browser sizes its own).
    widths: Vec<f64>,
}

#[derive(Serialize)]
struct ChartRef {
    /// Rendered unescaped: built only from chart names, which are ASCII identifiers.
    src: String,
    title: String,
    display_width: u32,
    display_height: u32,
}

/// The fixed wording of the page, in the report's language.
#[derive(Serialize)]
struct Ui {
    lang: &'static str,
    overview: &'static str,
    notes: &'static str,
    generated: &'static str,
    vintage: &'static str,
    charts_in_html: &'static str,
}

#[derive(Serialize)]
struct Context {
    ui: Ui,
    org: String,
    title: String,
    period: String,
    period_label: String,
    indicator_zh: String,
    summary: String,
    headline: Vec<Figure>,
    charts: Vec<ChartRef>,
    tables: Vec<TableView>,
    notes: Vec<String>,
    generated_at: String,
    data_vintage: String,
    width: u32,
}

/// The Content-ID of a chart in e-mails (without angle brackets).
pub fn mail_content_id(chart: &str) -> String {
    format!("{chart}@seimon")
}

/// Draws a report's charts and renders its HTML and text.
pub fn render(report: Report, input: &ReportInput<'_>) -> Result<RenderedReport, RenderError> {
    let charts: Vec<Chart> = report.charts.iter().map(ChartSpec::render).collect::<Result<_, _>>()?;
    let c = input.catalogue;
    // archived reports in sub-folders (industry/, city/) reach the charts one level up
    let up = if report.file.contains('/') { "../" } else { "" };
    let (lang, tr) = (input.lang, |zh| crate::model::labels::tr(input.lang, zh));
    let names = crate::model::labels::Names { lang, catalogue: c };
    let context = |src: &dyn Fn(&Chart) -> String| Context {
        ui: Ui {
            lang: if lang == crate::model::language::Language::En {
                "en"
            } else {
                "zh-CN"
            },
            overview: tr("一、总体情况"),
            notes: tr("数据说明"),
            generated: tr("生成于"),
            vintage: tr("数据版本"),
            charts_in_html: tr("（图表见 HTML 版本）"),
        },
        org: crate::model::labels::fill(
            lang,
            "{region} · 战略性新兴产业统计监测",
            &[("region", &names.region(input.region))],
        ),
        title: report.title.clone(),
        period: input.period.to_string(),
        period_label: crate::model::labels::period(lang, input.period),
        indicator_zh: names.indicator(&report.indicator),
        summary: report.summary.clone(),
        headline: report
            .headline
            .iter()
            .map(|(label, cell)| Figure {
                label: label.clone(),
                value: cell.display(),
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
        tables: report
            .tables
            .iter()
            .map(|t| {
                let rows: Vec<RowView> = t
                    .rows
                    .iter()
                    .map(|r| RowView {
                        cells: r.cells.iter().map(Cell::display).collect(),
                        emphasis: r.emphasis,
                    })
                    .collect();
                let cells: Vec<Vec<String>> = rows.iter().map(|r| r.cells.clone()).collect();
                TableView {
                    title: t.title.clone(),
                    widths: pdf::column_widths(&t.header, &cells),
                    header: t.header.clone(),
                    rows,
                    note: t.note.clone(),
                }
            })
            .collect(),
        notes: report.notes.clone(),
        generated_at: input.generated_at.to_string(),
        data_vintage: input.data_vintage.to_string(),
        width: BODY_WIDTH,
    };
    let mut env = Environment::new();
    env.add_template("report.html", HTML_TEMPLATE)?;
    env.add_template("report.txt", TEXT_TEMPLATE)?;
    let html = env
        .get_template("report.html")?
        .render(context(&|ch| format!("{up}charts/{}", ch.file_name())))?;
    let html_mail = env
        .get_template("report.html")?
        .render(context(&|ch| format!("cid:{}", mail_content_id(&ch.name))))?;
    let text = env.get_template("report.txt")?.render(context(&|ch| ch.file_name()))?;
    let pdf_data = serde_json::to_vec(&context(&|ch| format!("charts/{}", ch.file_name())))?;
    Ok(RenderedReport {
        audience: report.audience,
        lang: input.lang,
        file: report.file,
        title: report.title,
        subject: report.subject,
        charts,
        summary: report.summary.clone(),
        headline: report
            .headline
            .iter()
            .map(|(label, cell)| (label.clone(), cell.display()))
            .collect(),
        risks: report.risks.clone(),
        html,
        html_mail,
        text,
        pdf_data,
        pdf: Vec::new(),
        tables: report.tables,
        sheets: report.sheets,
    })
}

/// Typesets every report's PDF, on as many threads as the machine has cores.
pub fn typeset_pdfs(reports: &mut [RenderedReport]) -> Result<(), RenderError> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(reports.len().max(1));
    let per = reports.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let jobs: Vec<_> = reports
            .chunks_mut(per)
            .map(|chunk| {
                scope.spawn(move || -> Result<(), pdf::PdfError> {
                    for r in chunk {
                        r.pdf = pdf::typeset(std::mem::take(&mut r.pdf_data), &r.charts)?;
                    }
                    Ok(())
                })
            })
            .collect();
        jobs.into_iter()
            .try_for_each(|j| j.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
    })?;
    // typst memoizes into one cache for the whole process, never emptied by itself: what
    // the last two report sets did not reuse goes (else a daemon, or a pass over the
    // history, grows by some 150 MB a quarter)
    comemo::evict(2);
    Ok(())
}

/// Builds and renders the whole report set: the monitored region, each member industry,
/// each sub-region.
pub fn report_set(input: &ReportInput<'_>) -> Result<Vec<RenderedReport>, RenderError> {
    report::audiences(input)
        .into_iter()
        .filter_map(|a| report::build(input, &a).map(|r| render(r, input)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chart::{Bar, BarChart};

    #[test]
    fn numbers_follow_chinese_statistical_conventions() {
        assert_eq!(fmt_money(Some(12345.678)), "12,345.68");
        assert_eq!(fmt_money(Some(-1234567.0)), "-1,234,567.00");
        assert_eq!(fmt_money(Some(0.004)), "0.00");
        assert_eq!(fmt_money(None), "—");
        assert_eq!(fmt_1(Some(-0.04)), "0.0");
        assert_eq!(fmt_1(Some(12.345)), "12.3");
        assert_eq!(fmt_1(None), "—");
        assert_eq!(Cell::Num(Some(3.0), Fmt::Int).display(), "3");
        use crate::model::language::Language;
        assert_eq!(report::compare(Language::Zh, 2.04, "规上工业"), "高于规上工业2.0个百分点");
        assert_eq!(report::compare(Language::Zh, -1.26, "规上工业"), "低于规上工业1.3个百分点");
        assert_eq!(
            report::compare(Language::En, -1.26, "all industry"),
            "1.3 points below all industry"
        );
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
                    withheld: false,
                },
                Bar {
                    label: "数字创意".into(),
                    value: None,
                    withheld: false,
                },
                Bar {
                    label: "绿色食品".into(),
                    value: Some(-3.0),
                    withheld: false,
                },
            ],
            references: vec![("规上工业".into(), 6.1), ("目标".into(), 14.87)],
            horizontal: true,
        }
        .render()
        .unwrap();
        assert_eq!(&chart.png[..8], b"\x89PNG\r\n\x1a\n");
        // a palette PNG, expanded to RGB
        let mut decoder = png::Decoder::new(std::io::Cursor::new(&chart.png));
        decoder.set_transformations(png::Transformations::EXPAND);
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (chart.width, chart.height));
        let non_white = buf.chunks(3).filter(|p| p != &[255, 255, 255]).count();
        assert!(non_white > 5_000, "the chart is not blank ({non_white} coloured pixels)");
    }
}
