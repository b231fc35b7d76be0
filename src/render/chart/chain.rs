//! The chain chart: an industrial chain's segments from upstream to downstream, one column
//! per stage, each segment a box whose height grows with its level and whose colour is
//! its comparable growth; a segment without enough enterprises (a missing link) is an
//! empty red frame, a withheld one a grey box with the mark. No I/O.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{Chart, ChartError, EMPTY, FAMILY, RED, Swatch, WIDTH, encode_png, fit, legend_row, register_font};

/// One segment of the chain.
#[derive(Debug, Clone)]
pub struct ChainBox {
    pub label: String,
    /// The column (stage) it stands in, from 0 (upstream).
    pub column: usize,
    /// Its level (亿元), when a reader may see it.
    pub level: Option<f64>,
    /// Its comparable growth (%), when a reader may see it.
    pub growth: Option<f64>,
    /// Its figures exist but disclosure control withholds them.
    pub withheld: bool,
    /// It has fewer enterprises than a present segment needs: a missing link.
    pub missing: bool,
}

/// An industrial chain's segments as boxes, stage by stage.
#[derive(Debug, Clone)]
pub struct ChainChart {
    pub name: String,
    pub title: String,
    /// The columns' headings (upstream, midstream, …), in order.
    pub columns: Vec<String>,
    pub boxes: Vec<ChainBox>,
    /// The unit of the levels, shown after each (亿元).
    pub unit: String,
    /// The legend's words for each growth band of [`BANDS`], then for a missing link and
    /// for a withheld segment.
    pub legend: [String; 7],
}

/// Growth bands, their lower bounds (%) and colours: a fall of more than 10 %, a fall, up
/// to 10 %, up to 20 %, more.
pub const BANDS: [(f64, RGBColor); 5] = [
    (f64::NEG_INFINITY, RGBColor(192, 57, 43)),
    (-10.0, RGBColor(241, 148, 138)),
    (0.0, RGBColor(171, 235, 198)),
    (10.0, RGBColor(88, 214, 141)),
    (20.0, RGBColor(30, 132, 73)),
];
/// The lowest box: room for the segment's name and its figures.
const MIN_BOX: i32 = 50;
const GAP: i32 = 8;
/// The height the tallest column may take.
const AREA: i32 = 420;
const ARROW: i32 = 36;

/// The colour of a growth rate.
fn band(growth: f64) -> &'static RGBColor {
    BANDS.iter().rev().find(|(lower, _)| growth >= *lower).map_or(&BANDS[0].1, |b| &b.1)
}

/// Dark fills take white text.
fn text_colour(fill: &RGBColor) -> &'static RGBColor {
    if *fill == BANDS[0].1 || *fill == BANDS[4].1 {
        &WHITE
    } else {
        &BLACK
    }
}

impl ChainChart {
    /// Each box's height: the lowest [`MIN_BOX`], the rest in proportion to the level on
    /// one scale for all columns, so that the fullest column fills [`AREA`].
    fn heights(&self) -> Vec<i32> {
        let columns = self.columns.len().max(1);
        let mut sums = vec![0.0f64; columns];
        let mut counts = vec![0i32; columns];
        for b in &self.boxes {
            let c = b.column.min(columns - 1);
            sums[c] += b.level.filter(|v| v.is_finite() && *v > 0.0).unwrap_or(0.0);
            counts[c] += 1;
        }
        let scale = (0..columns)
            .filter(|&c| sums[c] > 0.0)
            .map(|c| f64::from((AREA - counts[c] * MIN_BOX - (counts[c] - 1).max(0) * GAP).max(0)) / sums[c])
            .fold(f64::INFINITY, f64::min);
        let scale = if scale.is_finite() { scale } else { 0.0 };
        self.boxes
            .iter()
            .map(|b| {
                let v = b.level.filter(|v| v.is_finite() && *v > 0.0).unwrap_or(0.0);
                MIN_BOX + (v * scale).round() as i32
            })
            .collect()
    }

    pub fn render(&self) -> Result<Chart, ChartError> {
        let err = |message: String| ChartError {
            name: self.name.clone(),
            message,
        };
        register_font().map_err(err)?;
        let columns = self.columns.len().max(1) as i32;
        let (left, top) = (18, 84);
        let column_w = (WIDTH as i32 - 2 * left - (columns - 1) * ARROW) / columns;
        let heights = self.heights();
        let mut column_h = vec![0i32; columns as usize];
        for (b, h) in self.boxes.iter().zip(&heights) {
            let c = b.column.min(columns as usize - 1);
            column_h[c] += h + if column_h[c] > 0 { GAP } else { 0 };
        }
        let tallest = column_h.iter().copied().max().unwrap_or(0).max(MIN_BOX);
        let height = (top + tallest + 70) as u32;
        let mut rgb = vec![255u8; (WIDTH * height * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, height)).into_drawing_area();
            root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
            let d = |e: plotters::drawing::DrawingAreaErrorKind<_>| err(e.to_string());
            let centred = |size: u32, colour: &'static RGBColor| {
                TextStyle::from((FAMILY, size).into_font())
                    .color(colour)
                    .pos(Pos::new(HPos::Center, VPos::Center))
            };
            root.draw(&Text::new(self.title.clone(), (18, 14), (FAMILY, 24).into_font().color(&BLACK)))
                .map_err(d)?;
            for (c, heading) in self.columns.iter().enumerate() {
                let x = left + c as i32 * (column_w + ARROW);
                root.draw(&Text::new(heading.clone(), (x + column_w / 2, top - 20), centred(16, &BLACK)))
                    .map_err(d)?;
                if c > 0 {
                    // an arrow from the column before, at mid-height of the boxes
                    let (x0, x1, y) = (x - ARROW + 6, x - 6, top + tallest / 2);
                    root.draw(&PathElement::new(vec![(x0, y), (x1, y)], BLACK.stroke_width(2)))
                        .map_err(d)?;
                    root.draw(&Polygon::new(vec![(x1, y), (x1 - 9, y - 6), (x1 - 9, y + 6)], BLACK.filled()))
                        .map_err(d)?;
                }
            }
            let mut y_next = vec![top; columns as usize];
            for (b, h) in self.boxes.iter().zip(&heights) {
                let c = b.column.min(columns as usize - 1);
                let x = left + c as i32 * (column_w + ARROW);
                let y = y_next[c];
                y_next[c] += h + GAP;
                let corners = [(x, y), (x + column_w, y + h)];
                let (fill, ink): (&RGBColor, &'static RGBColor) = match (b.missing, b.withheld, b.growth) {
                    (true, _, _) => (&WHITE, &RED),
                    (_, true, _) | (_, _, None) => (&EMPTY, &BLACK),
                    (_, _, Some(g)) => (band(g), text_colour(band(g))),
                };
                root.draw(&Rectangle::new(corners, fill.filled())).map_err(d)?;
                if b.missing {
                    root.draw(&Rectangle::new(corners, RED.stroke_width(2))).map_err(d)?;
                }
                let mid = y + h / 2;
                root.draw(&Text::new(
                    fit(&b.label, column_w - 12),
                    (x + column_w / 2, mid - 10),
                    centred(15, ink),
                ))
                .map_err(d)?;
                let figures = if b.missing {
                    self.legend[5].clone()
                } else if b.withheld {
                    crate::render::SUPPRESSED_MARK.to_string()
                } else {
                    let level = b
                        .level
                        .map_or("—".into(), |v| format!("{}{}", crate::render::fmt_money(Some(v)), self.unit));
                    let growth = b.growth.map_or("—".into(), |g| format!("{g:+.1}%"));
                    format!("{level}  {growth}")
                };
                let size = if b.withheld && !b.missing { 18 } else { 13 };
                root.draw(&Text::new(
                    fit(&figures, column_w - 8),
                    (x + column_w / 2, mid + 12),
                    centred(size, ink),
                ))
                .map_err(d)?;
            }
            // the legend, under the columns from the left margin
            let swatches = BANDS.iter().map(|b| Swatch::Fill(b.1)).chain([Swatch::Framed, Swatch::Marked]);
            legend_row(&root, top + tallest + 34, 22, swatches.zip(self.legend.iter().map(String::as_str))).map_err(err)?;
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

    fn segment(label: &str, column: usize, level: Option<f64>, growth: Option<f64>) -> ChainBox {
        ChainBox {
            label: label.into(),
            column,
            level,
            growth,
            withheld: false,
            missing: false,
        }
    }

    #[test]
    fn boxes_grow_with_their_level_on_one_scale() {
        let chart = ChainChart {
            name: "c".into(),
            title: "集成电路产业链".into(),
            columns: vec!["上游".into(), "中游".into()],
            boxes: vec![
                segment("材料", 0, Some(100.0), Some(5.0)),
                segment("设备", 0, Some(300.0), Some(-12.0)),
                segment("设计", 1, Some(100.0), Some(25.0)),
                segment("制造", 1, None, None),
            ],
            unit: "亿元".into(),
            legend: ["a", "b", "c", "d", "e", "f", "g"].map(String::from),
        };
        let h = chart.heights();
        // the upstream column is the fullest: 400 of the level fill what two minimum boxes
        // and a gap leave of the area, 420 − 100 − 8 = 312 pixels
        assert_eq!(h[0] - MIN_BOX, 78);
        assert_eq!(h[1] - MIN_BOX, 234);
        // the same level is the same height in another column; no level, the minimum
        assert_eq!(h[2], h[0]);
        assert_eq!(h[3], MIN_BOX);
        assert_eq!(*band(-12.0), BANDS[0].1);
        assert_eq!(*band(-0.5), BANDS[1].1);
        assert_eq!(*band(0.0), BANDS[2].1);
        assert_eq!(*band(25.0), BANDS[4].1);
        let png = chart.render().unwrap();
        assert_eq!(png.width, WIDTH);
        assert!(png.height as i32 >= 84 + 420, "the fullest column is drawn whole");
    }
}
