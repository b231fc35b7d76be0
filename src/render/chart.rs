//! Charts with plotters, drawn into memory and encoded as PNG. No I/O.
//!
//! The CJK font (WenQuanYi Micro Hei, Apache-2.0 or GPL-3+ with font exception, `src/render/fonts/` with its licence) is embedded in the
//! binary and registered once as plotters' "sans-serif" through `ab_glyph`, so charts
//! look the same on every machine. The house style — sizes, colours, value labels, gaps
//! for absent values (never zero bars) — lives here.

use std::sync::OnceLock;

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use plotters::style::FontStyle;

/// WenQuanYi Micro Hei; plotters reads the first face of the collection, the right one.
pub static FONT: &[u8] = include_bytes!("fonts/wqy-microhei.ttc");
const FAMILY: &str = "sans-serif";

pub const WIDTH: u32 = 960;
const BLUE: RGBColor = RGBColor(31, 78, 121);
const RED: RGBColor = RGBColor(192, 57, 43);
const ORANGE: RGBColor = RGBColor(230, 126, 34);
const GREY: RGBColor = RGBColor(110, 110, 110);

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
}

/// A bar chart of growth rates with a reference line (the all-industry or province rate).
#[derive(Debug, Clone)]
pub struct BarChart {
    pub name: String,
    pub title: String,
    pub axis: String,
    pub bars: Vec<Bar>,
    /// The reference line: (legend, value).
    pub reference: Option<(String, f64)>,
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

/// Encodes an RGB buffer as PNG.
fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(rgb).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(out)
}

fn pct(v: f64) -> String {
    format!("{v:.1}%")
}

/// The value range of the axis: all bars, the reference and zero, padded for labels.
fn axis_range(chart: &BarChart) -> (f64, f64) {
    let values = chart
        .bars
        .iter()
        .filter_map(|b| b.value)
        .chain(chart.reference.as_ref().map(|r| r.1))
        .chain([0.0]);
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let span = (hi - lo).max(1.0);
    (lo - span * 0.12, hi + span * 0.18)
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
                SegmentValue::CenterOf(slot) if *slot < n => labels[n - 1 - slot].clone(),
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
        let text = self.bars.iter().enumerate().map(|(i, b)| {
            let slot = n - 1 - i;
            let (x, s) = match b.value {
                Some(v) if v < 0.0 => (v, pct(v)),
                Some(v) => (v, pct(v)),
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
        if let Some((legend, v)) = &self.reference {
            let style = ShapeStyle::from(&ORANGE).stroke_width(3);
            chart
                .draw_series(LineSeries::new([(*v, SegmentValue::Exact(0)), (*v, SegmentValue::Exact(n))], style))
                .map_err(|e| e.to_string())?
                .label(format!("{legend} {}", pct(*v)))
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 24, y)], style));
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::LowerRight)
                .label_font((FAMILY, 15))
                .background_style(WHITE.mix(0.9))
                .border_style(GREY)
                .draw()
                .map_err(|e| e.to_string())?;
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
        let labels: Vec<String> = self.bars.iter().map(|b| b.label.clone()).collect();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(RGBColor(235, 235, 235))
            .x_labels(n)
            .x_label_formatter(&|v: &SegmentValue<usize>| match v {
                SegmentValue::CenterOf(i) if *i < n => labels[*i].clone(),
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
        let text = self.bars.iter().enumerate().map(|(i, b)| {
            let (y, s, vpos) = match b.value {
                Some(v) if v < 0.0 => (v, pct(v), plotters::style::text_anchor::VPos::Top),
                Some(v) => (v, pct(v), plotters::style::text_anchor::VPos::Bottom),
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
        if let Some((legend, v)) = &self.reference {
            let style = ShapeStyle::from(&ORANGE).stroke_width(3);
            chart
                .draw_series(LineSeries::new([(SegmentValue::Exact(0), *v), (SegmentValue::Exact(n), *v)], style))
                .map_err(|e| e.to_string())?
                .label(format!("{legend} {}", pct(*v)))
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 24, y)], style));
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .label_font((FAMILY, 15))
                .background_style(WHITE.mix(0.9))
                .border_style(GREY)
                .draw()
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}
