//! Charts with plotters, drawn into memory and encoded as PNG. No I/O.
//!
//! The CJK font (WenQuanYi Micro Hei, Apache-2.0 or GPL-3+ with font exception, `src/render/chart/fonts/` with its licence) is embedded in the
//! binary and registered once as plotters' "sans-serif" through `ab_glyph`, so charts
//! look the same on every machine. The house style — sizes, colours, value labels, gaps
//! for absent values (never zero bars) — lives here.

mod chain;

use std::sync::OnceLock;

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use plotters::style::FontStyle;

/// WenQuanYi Micro Hei; plotters reads the first face of the collection, the right one.
pub static FONT: &[u8] = include_bytes!("fonts/wqy-microhei.ttc");
const FAMILY: &str = "sans-serif";

pub use chain::{ChainBox, ChainChart};

pub const WIDTH: u32 = 960;
const BLUE: RGBColor = RGBColor(31, 78, 121);
const RED: RGBColor = RGBColor(192, 57, 43);
const ORANGE: RGBColor = RGBColor(230, 126, 34);
const GREY: RGBColor = RGBColor(110, 110, 110);
const GREEN: RGBColor = RGBColor(39, 174, 96);
const YELLOW: RGBColor = RGBColor(241, 196, 15);
const EMPTY: RGBColor = RGBColor(236, 239, 241);
/// A matrix cell whose only lit risks are too small to count: a pale slate blue, a
/// colour no light uses.
const IMMATERIAL: RGBColor = RGBColor(196, 210, 228);
/// Reference lines, in order: the all-industry rate, a target, time progress.
const REFERENCE: [RGBColor; 3] = [ORANGE, RGBColor(142, 68, 173), GREY];
/// Series of line charts.
const SERIES: [RGBColor; 5] = [BLUE, ORANGE, RGBColor(39, 174, 96), RGBColor(142, 68, 173), GREY];

/// A chart could not be drawn or encoded.
#[derive(Debug, thiserror::Error)]
#[error("chart {name}: {message}")]
pub struct ChartError {
    pub name: String,
    pub message: String,
}

/// A rendered chart.
#[derive(Debug, Clone)]
pub struct Chart {
    /// File stem, also the Content-ID stem in e-mails: `growth_by_industry`.
    pub name: String,
    pub title: String,
    pub width: u32,
    pub height: u32,
    pub png: Vec<u8>,
}

impl Chart {
    pub fn file_name(&self) -> String {
        format!("{}.png", self.name)
    }
}

/// One bar: its label and value (`None`: absent, drawn as a gap marked "—").
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub value: Option<f64>,
    /// The value exists but disclosure control withholds it: no bar, marked "×".
    pub withheld: bool,
}

/// A bar chart of growth rates with a reference line (the all-industry or province rate).
#[derive(Debug, Clone)]
pub struct BarChart {
    pub name: String,
    pub title: String,
    pub axis: String,
    pub bars: Vec<Bar>,
    /// Reference lines: (legend, value) — the all-industry rate, a target, time progress.
    pub references: Vec<(String, f64)>,
    /// Horizontal bars (long labels) or vertical (short labels).
    pub horizontal: bool,
}

fn register_font() -> Result<(), String> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            plotters::style::register_font(FAMILY, FontStyle::Normal, FONT)
                .map_err(|_| "the embedded CJK font is not a valid font".to_string())
        })
        .clone()
}

/// Draws the series legend of a chart in the house style.
fn legend<'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, BitMapBackend<'a>, CT>,
    position: SeriesLabelPosition,
    size: u32,
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .position(position)
        .label_font((FAMILY, size))
        .background_style(WHITE.mix(0.9))
        .border_style(GREY)
        .draw()
        .map_err(|e| e.to_string())
}

/// Encodes an RGB buffer as an 8-bit palette PNG: a chart is a few flat colours and the
/// anti-aliased edges between them, so 256 colours hold it — exactly when it has no more,
/// else the most frequent 256 (a rare edge pixel moves by a shade). A third to a fifth of the
/// 24-bit file, which matters in an e-mail carrying a dozen charts.
fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, String> {
    let (palette, indices) = palette_of(rgb);
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Indexed);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_palette(palette);
    // zlib's default level: the best level costs five to ten times as long for 5–20 % less
    encoder.set_compression(png::Compression::Default);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(&indices).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(out)
}

/// A palette of at most 256 colours (RGB triples) and each pixel's index into it.
fn palette_of(rgb: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut exact: rustc_hash::FxHashMap<[u8; 3], u8> = rustc_hash::FxHashMap::default();
    let indices = indices_by_run(rgb, |key| {
        let next = exact.len();
        match exact.get(&key) {
            Some(&i) => Some(i),
            None if next < 256 => {
                exact.insert(key, next as u8);
                Some(next as u8)
            }
            None => None,
        }
    });
    let Some(indices) = indices else {
        return quantised(rgb);
    };
    let mut palette = vec![0u8; exact.len() * 3];
    for (c, i) in exact {
        palette[usize::from(i) * 3..usize::from(i) * 3 + 3].copy_from_slice(&c);
    }
    (palette, indices)
}

/// The runs of one colour of an RGB buffer (most of a chart), as (colour, pixels).
fn runs(rgb: &[u8]) -> impl Iterator<Item = ([u8; 3], usize)> + '_ {
    let mut pixels = rgb.chunks_exact(3).map(|px| [px[0], px[1], px[2]]).peekable();
    std::iter::from_fn(move || {
        let colour = pixels.next()?;
        let mut n = 1;
        while pixels.next_if_eq(&colour).is_some() {
            n += 1;
        }
        Some((colour, n))
    })
}

/// Each pixel's index from `index`, asked once per run of one colour; none as soon as
/// `index` has none.
fn indices_by_run(rgb: &[u8], mut index: impl FnMut([u8; 3]) -> Option<u8>) -> Option<Vec<u8>> {
    let mut indices = Vec::with_capacity(rgb.len() / 3);
    for (colour, n) in runs(rgb) {
        let i = index(colour)?;
        indices.extend(std::iter::repeat_n(i, n));
    }
    Some(indices)
}

/// More than 256 colours: the 256 most frequent (the flat colours and the commonest edge
/// shades), every other colour — a few edge pixels — mapped to its nearest among them,
/// searched once per colour. Ties in frequency go to the smaller colour, so the same chart
/// gives the same bytes every time.
fn quantised(rgb: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut counts: rustc_hash::FxHashMap<[u8; 3], usize> = rustc_hash::FxHashMap::default();
    for (colour, n) in runs(rgb) {
        *counts.entry(colour).or_default() += n;
    }
    let mut by_frequency: Vec<([u8; 3], usize)> = counts.into_iter().collect();
    by_frequency.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let kept: Vec<[u8; 3]> = by_frequency.iter().take(256).map(|(c, _)| *c).collect();
    let mut index: rustc_hash::FxHashMap<[u8; 3], u8> = kept.iter().enumerate().map(|(i, c)| (*c, i as u8)).collect();
    let distance = |a: [u8; 3], b: [u8; 3]| -> u32 { a.iter().zip(b).map(|(x, y)| (i32::from(*x) - i32::from(y)).pow(2) as u32).sum() };
    let indices = indices_by_run(rgb, |c| {
        Some(*index.entry(c).or_insert_with(|| {
            let nearest = (0..kept.len()).min_by_key(|&i| distance(kept[i], c)).expect("a chart has a colour");
            nearest as u8
        }))
    })
    .expect("every colour has a nearest");
    (kept.concat(), indices)
}

/// A value as its bar shows it: with `%` when the axis is in percent (growth, progress),
/// bare otherwise (a score).
fn value_label(axis: &str, v: f64) -> String {
    if axis.contains('%') {
        format!("{v:.1}%")
    } else {
        format!("{v:.1}")
    }
}

/// The value range of the axis: all bars, the reference and zero, padded for labels.
fn axis_range(chart: &BarChart) -> (f64, f64) {
    let values = chart
        .bars
        .iter()
        .filter_map(|b| b.value)
        .chain(chart.references.iter().map(|r| r.1))
        .chain([0.0])
        .filter(|v| v.is_finite()); // an infinite value would make an endless axis
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let span = (hi - lo).max(1.0);
    // room for the value labels, and for the legend box (lower right of horizontal bars,
    // upper right of vertical ones) so it never covers a bar
    let legend = if chart.references.is_empty() {
        0.0
    } else if chart.horizontal {
        0.42
    } else {
        0.3
    };
    (lo - span * 0.12, hi + span * (0.18 + legend))
}

impl BarChart {
    /// Draws the chart and encodes it.
    pub fn render(&self) -> Result<Chart, ChartError> {
        let err = |message: String| ChartError {
            name: self.name.clone(),
            message,
        };
        register_font().map_err(err)?;
        let n = self.bars.len().max(2); // plotters needs a non-empty segmented range
        let (width, height) = if self.horizontal {
            (WIDTH, (110 + 34 * n as u32).max(260))
        } else {
            (WIDTH, 460)
        };
        let mut rgb = vec![255u8; (width * height * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
            root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
            if self.horizontal {
                self.draw_horizontal(&root, n)
            } else {
                self.draw_vertical(&root, n)
            }
            .map_err(err)?;
            root.present().map_err(|e| err(e.to_string()))?;
        }
        let png = encode_png(&rgb, width, height).map_err(err)?;
        Ok(Chart {
            name: self.name.clone(),
            title: self.title.clone(),
            width,
            height,
            png,
        })
    }

    fn draw_horizontal(&self, root: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>, n: usize) -> Result<(), String> {
        let (lo, hi) = axis_range(self);
        let label_width = self.bars.iter().map(|b| b.label.chars().count()).max().unwrap_or(4) as u32 * 16 + 16;
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FAMILY, 24).into_font().color(&BLACK))
            .margin(18)
            .x_label_area_size(44)
            .y_label_area_size(label_width)
            .build_cartesian_2d(lo..hi, (0..n - 1).into_segmented())
            .map_err(|e| e.to_string())?;
        // bar i is drawn at slot n − 1 − i so the first bar is at the top
        let labels: Vec<String> = self.bars.iter().map(|b| b.label.clone()).collect();
        chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(RGBColor(235, 235, 235))
            .y_labels(n)
            .y_label_formatter(&|v: &SegmentValue<usize>| match v {
                SegmentValue::CenterOf(slot) if *slot < n => labels.get(n - 1 - slot).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .x_label_formatter(&|v: &f64| format!("{v:.0}"))
            .x_desc(&self.axis)
            .label_style((FAMILY, 15))
            .axis_desc_style((FAMILY, 15))
            .draw()
            .map_err(|e| e.to_string())?;
        let bars = self.bars.iter().enumerate().filter_map(|(i, b)| {
            b.value.map(|v| {
                let slot = n - 1 - i;
                let colour = if v < 0.0 { RED } else { BLUE };
                let mut r = Rectangle::new(
                    [(0.0, SegmentValue::Exact(slot)), (v, SegmentValue::Exact(slot + 1))],
                    colour.filled(),
                );
                r.set_margin(6, 6, 0, 0);
                r
            })
        });
        chart.draw_series(bars).map_err(|e| e.to_string())?;
        for (i, (legend, v)) in self.references.iter().enumerate() {
            let style = ShapeStyle::from(&REFERENCE[i % REFERENCE.len()]).stroke_width(3);
            chart
                .draw_series(LineSeries::new([(*v, SegmentValue::Exact(0)), (*v, SegmentValue::Exact(n))], style))
                .map_err(|e| e.to_string())?
                .label(format!("{legend} {}", value_label(&self.axis, *v)))
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 24, y)], style));
        }
        let text = self.bars.iter().enumerate().map(|(i, b)| {
            let slot = n - 1 - i;
            let (x, s) = match b.value {
                Some(v) if v < 0.0 => (v, value_label(&self.axis, v)),
                Some(v) => (v, value_label(&self.axis, v)),
                None if b.withheld => (0.0, crate::render::SUPPRESSED_MARK.to_string()),
                None => (0.0, "—".to_string()),
            };
            let style = TextStyle::from((FAMILY, 14).into_font())
                .color(&BLACK)
                .pos(plotters::style::text_anchor::Pos::new(
                    if x < 0.0 {
                        plotters::style::text_anchor::HPos::Right
                    } else {
                        plotters::style::text_anchor::HPos::Left
                    },
                    plotters::style::text_anchor::VPos::Center,
                ));
            Text::new(format!(" {s} "), (x, SegmentValue::CenterOf(slot)), style)
        });
        chart.draw_series(text).map_err(|e| e.to_string())?;
        if !self.references.is_empty() {
            legend(&mut chart, SeriesLabelPosition::LowerRight, 15)?;
        }
        Ok(())
    }

    fn draw_vertical(&self, root: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>, n: usize) -> Result<(), String> {
        let (lo, hi) = axis_range(self);
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FAMILY, 24).into_font().color(&BLACK))
            .margin(18)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d((0..n - 1).into_segmented(), lo..hi)
            .map_err(|e| e.to_string())?;
        // each label fits its bar's slot (a long county name is cut with an ellipsis
        // rather than run into its neighbours')
        let slot = (WIDTH as i32 - 56 - 36) / n.max(1) as i32;
        let labels: Vec<String> = self.bars.iter().map(|b| fit(&b.label, slot - 6)).collect();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(RGBColor(235, 235, 235))
            .x_labels(n)
            .x_label_formatter(&|v: &SegmentValue<usize>| match v {
                SegmentValue::CenterOf(i) if *i < n => labels.get(*i).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .y_label_formatter(&|v: &f64| format!("{v:.0}"))
            .y_desc(&self.axis)
            .label_style((FAMILY, 14))
            .axis_desc_style((FAMILY, 15))
            .draw()
            .map_err(|e| e.to_string())?;
        let bars = self.bars.iter().enumerate().filter_map(|(i, b)| {
            b.value.map(|v| {
                let colour = if v < 0.0 { RED } else { BLUE };
                let mut r = Rectangle::new([(SegmentValue::Exact(i), 0.0), (SegmentValue::Exact(i + 1), v)], colour.filled());
                r.set_margin(0, 0, 8, 8);
                r
            })
        });
        chart.draw_series(bars).map_err(|e| e.to_string())?;
        for (i, (legend, v)) in self.references.iter().enumerate() {
            let style = ShapeStyle::from(&REFERENCE[i % REFERENCE.len()]).stroke_width(3);
            chart
                .draw_series(LineSeries::new([(SegmentValue::Exact(0), *v), (SegmentValue::Exact(n), *v)], style))
                .map_err(|e| e.to_string())?
                .label(format!("{legend} {}", value_label(&self.axis, *v)))
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 24, y)], style));
        }
        let text = self.bars.iter().enumerate().map(|(i, b)| {
            let (y, s, vpos) = match b.value {
                Some(v) if v < 0.0 => (v, value_label(&self.axis, v), plotters::style::text_anchor::VPos::Top),
                Some(v) => (v, value_label(&self.axis, v), plotters::style::text_anchor::VPos::Bottom),
                None if b.withheld => (
                    0.0,
                    crate::render::SUPPRESSED_MARK.into(),
                    plotters::style::text_anchor::VPos::Bottom,
                ),
                None => (0.0, "—".into(), plotters::style::text_anchor::VPos::Bottom),
            };
            let style = TextStyle::from((FAMILY, 12).into_font())
                .color(&BLACK)
                .pos(plotters::style::text_anchor::Pos::new(
                    plotters::style::text_anchor::HPos::Center,
                    vpos,
                ));
            Text::new(s, (SegmentValue::CenterOf(i), y), style)
        });
        chart.draw_series(text).map_err(|e| e.to_string())?;
        if !self.references.is_empty() {
            legend(&mut chart, SeriesLabelPosition::UpperRight, 15)?;
        }
        Ok(())
    }
}

/// One line of a line chart: its legend, its values (None: a gap), dashed or solid.
#[derive(Debug, Clone)]
pub struct Line {
    pub legend: String,
    pub values: Vec<Option<f64>>,
    pub dashed: bool,
}

/// A line chart over periods (trends), with gaps where values are absent.
#[derive(Debug, Clone)]
pub struct LineChart {
    pub name: String,
    pub title: String,
    pub axis: String,
    /// The x labels (periods).
    pub labels: Vec<String>,
    pub lines: Vec<Line>,
}

impl LineChart {
    pub fn render(&self) -> Result<Chart, ChartError> {
        let err = |message: String| ChartError {
            name: self.name.clone(),
            message,
        };
        register_font().map_err(err)?;
        let (width, height) = (WIDTH, 440);
        let mut rgb = vec![255u8; (width * height * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
            root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
            self.draw(&root).map_err(err)?;
            root.present().map_err(|e| err(e.to_string()))?;
        }
        Ok(Chart {
            name: self.name.clone(),
            title: self.title.clone(),
            width,
            height,
            png: encode_png(&rgb, width, height).map_err(err)?,
        })
    }

    fn draw(&self, root: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>) -> Result<(), String> {
        let n = self.labels.len().max(2);
        let values = self
            .lines
            .iter()
            .flat_map(|l| l.values.iter().flatten().copied())
            .filter(|v| v.is_finite());
        let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
        let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
        // values close together (one quarter, or a flat series) are shown on an axis at
        // least four units high around them, not magnified into noise
        let widen = (4.0 - (hi - lo)).max(0.0) / 2.0;
        let (lo, hi) = (lo - widen, hi + widen);
        let span = hi - lo;
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FAMILY, 24).into_font().color(&BLACK))
            .margin(18)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(-0.5..(n as f64 - 0.5), (lo - span * 0.15)..(hi + span * 0.2))
            .map_err(|e| e.to_string())?;
        let labels = self.labels.clone();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(RGBColor(235, 235, 235))
            .x_labels(n)
            .x_label_formatter(&|x: &f64| {
                let i = x.round();
                if (x - i).abs() < 1e-6 && i >= 0.0 {
                    labels.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|v: &f64| format!("{v:.1}").trim_end_matches(".0").to_string())
            .y_desc(&self.axis)
            .label_style((FAMILY, 14))
            .axis_desc_style((FAMILY, 15))
            .draw()
            .map_err(|e| e.to_string())?;
        for (k, line) in self.lines.iter().enumerate() {
            let colour = SERIES[k % SERIES.len()];
            let style = ShapeStyle::from(&colour).stroke_width(if line.dashed { 2 } else { 3 });
            // consecutive present values form a segment; an absent value is a gap
            let mut segments: Vec<Vec<(f64, f64)>> = vec![vec![]];
            for (i, v) in line.values.iter().enumerate() {
                match v {
                    Some(v) => segments.last_mut().expect("non-empty").push((i as f64, *v)),
                    None if !segments.last().expect("non-empty").is_empty() => segments.push(vec![]),
                    None => {}
                }
            }
            let mut first = true;
            for seg in segments.into_iter().filter(|s| !s.is_empty()) {
                let drawn = if line.dashed {
                    chart
                        .draw_series(DashedLineSeries::new(seg.clone(), 8, 6, style))
                        .map_err(|e| e.to_string())?
                } else {
                    chart.draw_series(LineSeries::new(seg.clone(), style)).map_err(|e| e.to_string())?
                };
                if first {
                    drawn
                        .label(line.legend.clone())
                        .legend(move |(x, y)| PathElement::new([(x, y), (x + 24, y)], style));
                    first = false;
                }
                chart
                    .draw_series(seg.iter().map(|&(x, y)| Circle::new((x, y), 3, colour.filled())))
                    .map_err(|e| e.to_string())?;
            }
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft, 14)?;
        Ok(())
    }
}

/// A cell of the risk matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatrixCell {
    /// The light of the cell's material risks (green: data, no risk lit).
    Lit(crate::risk::Level),
    /// Only risks too small to count are lit.
    Immaterial,
    /// No data for the cell.
    NoData,
    /// Withheld by disclosure control (drawn as the mark on no colour).
    Suppressed,
}

/// A red/yellow/green matrix: rows × columns of cells.
#[derive(Debug, Clone)]
pub struct MatrixChart {
    pub name: String,
    pub title: String,
    pub rows: Vec<String>,
    pub columns: Vec<String>,
    /// `cells[row][column]`
    pub cells: Vec<Vec<MatrixCell>>,
    /// The legend's words for red, yellow, green, immaterial, no data and withheld.
    pub legend: [String; 6],
}

/// A swatch of a legend row.
#[derive(Debug, Clone, Copy)]
enum Swatch {
    Fill(RGBColor),
    /// An empty frame in red (a missing link).
    Framed,
    /// The mark of a withheld value on no colour.
    Marked,
}

/// A row of swatches with their words at `y`, from the left margin, `gap` pixels apart.
fn legend_row<'a>(
    root: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    y: i32,
    gap: i32,
    items: impl IntoIterator<Item = (Swatch, &'a str)>,
) -> Result<(), String> {
    use plotters::style::text_anchor::{HPos, Pos, VPos};
    let d = |e: plotters::drawing::DrawingAreaErrorKind<_>| e.to_string();
    let mut x = 18;
    for (swatch, text) in items {
        let corners = [(x, y), (x + 22, y + 16)];
        match swatch {
            Swatch::Fill(colour) => root.draw(&Rectangle::new(corners, colour.filled())).map_err(d)?,
            Swatch::Framed => root.draw(&Rectangle::new(corners, RED.stroke_width(2))).map_err(d)?,
            Swatch::Marked => {
                root.draw(&Rectangle::new(corners, EMPTY.filled())).map_err(d)?;
                let style = TextStyle::from((FAMILY, 14).into_font())
                    .color(&BLACK)
                    .pos(Pos::new(HPos::Center, VPos::Center));
                root.draw(&Text::new(crate::render::SUPPRESSED_MARK, (x + 11, y + 8), style))
                    .map_err(d)?;
            }
        }
        root.draw(&Text::new(text.to_string(), (x + 28, y), (FAMILY, 14).into_font().color(&BLACK)))
            .map_err(d)?;
        x += 28 + text_width(text) + gap;
    }
    Ok(())
}

/// Approximate width in pixels of a label at 14 px: CJK characters are square, Latin
/// ones about half as wide.
fn text_width(text: &str) -> i32 {
    text.chars().map(|c| if c.is_ascii() { 8 } else { 15 }).sum()
}

/// A label cut to `max` pixels, with an ellipsis.
fn fit(text: &str, max: i32) -> String {
    if text_width(text) <= max {
        return text.to_string();
    }
    let mut out = String::new();
    for c in text.chars() {
        if text_width(&out) + text_width(&c.to_string()) + 15 > max {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

impl MatrixChart {
    pub fn render(&self) -> Result<Chart, ChartError> {
        use plotters::style::text_anchor::{HPos, Pos, VPos};
        let err = |message: String| ChartError {
            name: self.name.clone(),
            message,
        };
        register_font().map_err(err)?;
        let width = WIDTH as i32;
        let label_w = (self.rows.iter().map(|r| text_width(r)).max().unwrap_or(60) + 24).min(width * 2 / 5);
        let cell_w = ((width - label_w - 30) / self.columns.len().max(1) as i32).clamp(16, 80);
        let cell_h = 28;
        // column labels stand upright when they fit a cell, else turned a quarter
        let upright = self.columns.iter().all(|c| text_width(c) * 13 / 14 <= cell_w - 4);
        let header_h = if upright {
            40
        } else {
            self.columns.iter().map(|c| text_width(c)).max().unwrap_or(40).min(140) + 16
        };
        let top = 50 + header_h;
        let height = (top + cell_h * self.rows.len() as i32 + 60).max(200) as u32;
        let mut rgb = vec![255u8; (WIDTH * height * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, height)).into_drawing_area();
            root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
            let d = |e: plotters::drawing::DrawingAreaErrorKind<_>| err(e.to_string());
            root.draw(&Text::new(self.title.clone(), (18, 14), (FAMILY, 24).into_font().color(&BLACK)))
                .map_err(d)?;
            for (j, c) in self.columns.iter().enumerate() {
                let x = label_w + j as i32 * cell_w + cell_w / 2;
                if upright {
                    let style = TextStyle::from((FAMILY, 13).into_font())
                        .color(&BLACK)
                        .pos(Pos::new(HPos::Center, VPos::Bottom));
                    root.draw(&Text::new(c.clone(), (x, top - 4), style)).map_err(d)?;
                } else {
                    let style = TextStyle::from((FAMILY, 13).into_font().transform(FontTransform::Rotate270)).color(&BLACK);
                    root.draw(&Text::new(fit(c, 130), (x - 7, top - 6), style)).map_err(d)?;
                }
            }
            for (i, r) in self.rows.iter().enumerate() {
                let y = top + i as i32 * cell_h;
                let style = TextStyle::from((FAMILY, 14).into_font())
                    .color(&BLACK)
                    .pos(Pos::new(HPos::Right, VPos::Center));
                root.draw(&Text::new(fit(r, label_w - 16), (label_w - 8, y + cell_h / 2), style))
                    .map_err(d)?;
                for j in 0..self.columns.len() {
                    let x = label_w + j as i32 * cell_w;
                    let colour = match self.cells.get(i).and_then(|row| row.get(j)).copied() {
                        Some(MatrixCell::Lit(crate::risk::Level::Red)) => RED,
                        Some(MatrixCell::Lit(crate::risk::Level::Yellow)) => YELLOW,
                        Some(MatrixCell::Lit(crate::risk::Level::Green)) => GREEN,
                        Some(MatrixCell::Immaterial) => IMMATERIAL,
                        Some(MatrixCell::NoData | MatrixCell::Suppressed) | None => EMPTY,
                    };
                    root.draw(&Rectangle::new([(x + 1, y + 1), (x + cell_w - 1, y + cell_h - 1)], colour.filled()))
                        .map_err(d)?;
                    if self.cells.get(i).and_then(|row| row.get(j)) == Some(&MatrixCell::Suppressed) {
                        let style = TextStyle::from((FAMILY, 16).into_font())
                            .color(&BLACK)
                            .pos(Pos::new(HPos::Center, VPos::Center));
                        root.draw(&Text::new(crate::render::SUPPRESSED_MARK, (x + cell_w / 2, y + cell_h / 2), style))
                            .map_err(d)?;
                    }
                }
            }
            // legend, under the grid from the left margin
            let y = top + cell_h * self.rows.len() as i32 + 18;
            let swatches = [RED, YELLOW, GREEN, IMMATERIAL, EMPTY]
                .map(Swatch::Fill)
                .into_iter()
                .chain([Swatch::Marked]);
            legend_row(&root, y, 30, swatches.zip(self.legend.iter().map(String::as_str))).map_err(err)?;
            root.present().map_err(|e| err(e.to_string()))?;
        }
        Ok(Chart {
            name: self.name.clone(),
            title: self.title.clone(),
            width: WIDTH,
            height,
            png: encode_png(&rgb, WIDTH, height).map_err(err)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes a chart's PNG and counts the pixels that are not white.
    fn coloured(chart: &Chart) -> usize {
        let mut decoder = png::Decoder::new(std::io::Cursor::new(&chart.png));
        decoder.set_transformations(png::Transformations::EXPAND);
        let mut reader = decoder.read_info().expect("a PNG");
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).expect("decodes");
        assert_eq!((info.width, info.height), (chart.width, chart.height));
        buf.chunks(3).filter(|p| p != &[255, 255, 255]).count()
    }

    #[test]
    fn more_than_256_colours_keep_the_most_frequent_and_map_the_rest_to_their_nearest() {
        let (white, blue) = ([255, 255, 255], [31, 78, 121]);
        let mut pixels: Vec<[u8; 3]> = vec![white; 1000];
        pixels.extend(std::iter::repeat_n(blue, 500));
        for r in 0..254u8 {
            pixels.extend([[r, 0, 0], [r, 0, 0]]);
        }
        // seen once each: an edge shade beside white and one beside the blue
        pixels.extend([[250, 250, 250], [30, 80, 120]]);
        let rgb: Vec<u8> = pixels.concat();
        let (palette, indices) = palette_of(&rgb);
        assert_eq!(palette.len(), 256 * 3);
        let colour = |i: u8| {
            [
                palette[usize::from(i) * 3],
                palette[usize::from(i) * 3 + 1],
                palette[usize::from(i) * 3 + 2],
            ]
        };
        // every pixel kept exactly, but the two rare shades
        for (p, i) in pixels.iter().zip(&indices).take(pixels.len() - 2) {
            assert_eq!(&colour(*i), p);
        }
        let n = pixels.len();
        assert_eq!(colour(indices[n - 2]), white);
        assert_eq!(colour(indices[n - 1]), blue);
        // the same pixels, the same bytes
        assert_eq!(palette_of(&rgb), (palette, indices));
    }

    #[test]
    fn every_kind_renders_sparse_data() {
        // a line with a missing quarter in the middle and one with nothing at all
        let line = LineChart {
            name: "trend".into(),
            title: "增速走势".into(),
            axis: "同比增长（%）".into(),
            labels: ["24Q3", "24Q4", "25Q1", "25Q2", "25Q3"].map(String::from).to_vec(),
            lines: vec![
                Line {
                    legend: "十大新兴产业".into(),
                    values: vec![Some(10.0), None, Some(12.0), Some(11.0), Some(13.0)],
                    dashed: false,
                },
                Line {
                    legend: "目标比重".into(),
                    values: vec![None; 5],
                    dashed: true,
                },
            ],
        }
        .render()
        .unwrap();
        assert!(coloured(&line) > 5_000);
        // a city without projects: its bar is a gap; a chart where every bar is absent
        let bars = BarChart {
            name: "projects".into(),
            title: "分城市重大项目投资完成率".into(),
            axis: "投资完成率（%）".into(),
            bars: vec![
                Bar {
                    label: "合肥".into(),
                    value: Some(70.0),
                    withheld: false,
                },
                Bar {
                    label: "黄山".into(),
                    value: None,
                    withheld: false,
                },
            ],
            references: vec![("时间进度".into(), 75.0)],
            horizontal: false,
        }
        .render()
        .unwrap();
        assert!(coloured(&bars) > 5_000);
        let empty = BarChart {
            name: "empty".into(),
            title: "无数据".into(),
            axis: "%".into(),
            bars: vec![],
            references: vec![],
            horizontal: true,
        }
        .render()
        .unwrap();
        assert!(coloured(&empty) > 1_000, "axes and title even without data");
        let matrix = MatrixChart {
            name: "matrix".into(),
            title: "风险矩阵".into(),
            rows: vec!["十大新兴产业".into(), "新材料".into()],
            columns: vec!["合肥".into(), "芜湖".into(), "黄山".into()],
            cells: vec![
                vec![
                    MatrixCell::Lit(crate::risk::Level::Red),
                    MatrixCell::Lit(crate::risk::Level::Green),
                    MatrixCell::NoData,
                ],
                vec![
                    MatrixCell::Lit(crate::risk::Level::Yellow),
                    MatrixCell::Immaterial,
                    MatrixCell::NoData,
                ],
            ],
            legend: ["红灯", "黄灯", "绿灯", "规模较小", "无数据", "不予公布"].map(String::from),
        }
        .render()
        .unwrap();
        assert!(coloured(&matrix) > 5_000);
    }
}
