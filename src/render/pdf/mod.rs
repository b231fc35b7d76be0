//! A report typeset as a PDF (A4, the look of a quarterly bulletin) by typst, in process:
//! the template `report.typ` reads the report's data as JSON and its charts as PNG files
//! from a world of its own — nothing on disk, no package, no system font. The project's CJK
//! font (the charts' WenQuanYi Micro Hei) is the only font, embedded in every PDF as the
//! subset the report uses. The stage does no I/O.

use std::sync::LazyLock;

use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

use super::chart::Chart;

/// The template; its data arrive as `data.json`.
const TEMPLATE: &str = include_str!("report.typ");

/// Why a report could not be typeset.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("typesetting the PDF: {0}")]
    Typeset(String),
}

/// The standard library, the fonts and their book: made once per process.
struct Shared {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

static SHARED: LazyLock<Shared> = LazyLock::new(|| {
    let fonts: Vec<Font> = Font::iter(Bytes::new(super::chart::FONT)).collect();
    Shared {
        library: LazyHash::new(Library::default()),
        book: LazyHash::new(FontBook::from_fonts(&fonts)),
        fonts,
    }
});

fn file_id(path: &str) -> FileId {
    FileId::new(RootedPath::new(
        VirtualRoot::Project,
        VirtualPath::new(path).expect("a fixed relative path"),
    ))
}

/// One report's world: the template, its data and its charts (by file name).
struct ReportWorld {
    main: Source,
    data: Bytes,
    charts: Vec<(String, Bytes)>,
}

impl World for ReportWorld {
    fn library(&self) -> &LazyHash<Library> {
        &SHARED.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &SHARED.book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::NotFound(id.get().vpath().get_without_slash().into()))
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        let path = id.get().vpath().get_without_slash();
        if path == "data.json" {
            return Ok(self.data.clone());
        }
        path.strip_prefix("charts/")
            .and_then(|name| self.charts.iter().find(|(file, _)| file == name))
            .map(|(_, png)| png.clone())
            .ok_or_else(|| FileError::NotFound(path.into()))
    }

    fn font(&self, index: usize) -> Option<Font> {
        SHARED.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        // the report carries its own generation time; the template never asks
        None
    }
}

fn messages(diagnostics: &[SourceDiagnostic]) -> String {
    diagnostics.iter().map(|d| d.message.to_string()).collect::<Vec<_>>().join("; ")
}

/// Typesets a report from its data (`data`: the JSON the HTML is rendered from, with each
/// chart's `src` as `charts/NAME.png`) and its charts.
pub fn typeset(data: Vec<u8>, charts: &[Chart]) -> Result<Vec<u8>, PdfError> {
    let world = ReportWorld {
        main: Source::new(file_id("report.typ"), TEMPLATE.to_string()),
        data: Bytes::new(data),
        charts: charts.iter().map(|c| (c.file_name(), Bytes::new(c.png.clone()))).collect(),
    };
    let document: PagedDocument = typst::compile(&world)
        .output
        .map_err(|errors| PdfError::Typeset(messages(&errors)))?;
    typst_pdf::pdf(&document, &typst_pdf::PdfOptions::default()).map_err(|errors| PdfError::Typeset(messages(&errors)))
}

/// The text width of a table on the page, in ems of its 8 pt body text: A4 less 2 cm margins.
const TABLE_EMS: f64 = 170.0 / 25.4 * 72.0 / 8.0;
/// A cell's horizontal inset (4 pt each side), in ems.
const INSET_EMS: f64 = 1.0;

/// The width of `text` in ems of the CJK font: a Han character or full-width sign one em,
/// a Latin letter or digit 0.6, and the quarter em typst puts between Han and Latin text at
/// each change from one to the other.
fn ems(text: &str) -> f64 {
    let chars: f64 = text.chars().map(|c| if c.is_ascii() { 0.6 } else { 1.0 }).sum();
    let changes = text
        .chars()
        .zip(text.chars().skip(1))
        .filter(|(a, b)| a.is_ascii() != b.is_ascii())
        .count();
    chars + 0.25 * changes as f64
}

/// The relative widths of a table's columns on the page (what the template gives typst as
/// fractions), sized as a browser sizes a table: each column's natural width is its widest
/// cell (its header may wrap over three lines); when they all fit, they get it; when they
/// do not, the columns narrower than a fair share keep their width and the wide ones share
/// what is left by their natural width. Long headers thus no longer squeeze the first
/// column's names onto three lines while numbers sit in wide columns.
pub fn column_widths(header: &[String], rows: &[Vec<String>]) -> Vec<f64> {
    let natural: Vec<f64> = (0..header.len())
        .map(|j| {
            let body = rows.iter().filter_map(|r| r.get(j)).map(|c| ems(c)).fold(0.0, f64::max);
            let head = ems(&header[j]) * 7.5 / 8.0 / 3.0;
            body.max(head).max(2.0) + INSET_EMS
        })
        .collect();
    if natural.iter().sum::<f64>() <= TABLE_EMS {
        return natural;
    }
    let mut fixed = vec![false; natural.len()];
    let mut left = TABLE_EMS;
    loop {
        let open: Vec<usize> = (0..natural.len()).filter(|&j| !fixed[j]).collect();
        let fair = left / open.len().max(1) as f64;
        let narrow: Vec<usize> = open.iter().copied().filter(|&j| natural[j] <= fair).collect();
        if narrow.is_empty() || narrow.len() == open.len() {
            let wide: f64 = open.iter().map(|&j| natural[j]).sum();
            return (0..natural.len())
                .map(|j| if fixed[j] { natural[j] } else { left * natural[j] / wide })
                .collect();
        }
        for j in narrow {
            fixed[j] = true;
            left -= natural[j];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn numbers_keep_their_width_and_the_names_get_what_is_left() {
        // the city report's industries table: ten columns of numbers under long headers
        let header = strings(&[
            "产业",
            "营业收入（亿元）",
            "同比增长（%）",
            "与规上工业增速差（个百分点）",
            "占规上工业比重（%）",
        ]);
        let rows = vec![
            strings(&["新能源汽车和智能网联汽车", "3,457.10", "33.3", "19.9", "17.5"]),
            strings(&["数字创意", "327.59", "14.2", "0.8", "1.7"]),
        ];
        let w = column_widths(&header, &rows);
        // all fit: each its natural width — the name 12 ems + inset, "3,457.10" 8 × 0.6 + 1
        assert!((w[0] - 13.0).abs() < 1e-9, "{w:?}");
        assert!((w[1] - (8.0 * 0.6 + 1.0)).abs() < 1e-9, "{w:?}");
        // too wide for the page: the narrow columns keep theirs, the widest shares the rest
        let long = vec![strings(&["字".repeat(80).as_str(), "3,457.10", "33.3", "19.9", "2024年四季度"])];
        let w = column_widths(&header, &long);
        assert!((w.iter().sum::<f64>() - TABLE_EMS).abs() < 1e-9, "{w:?}");
        // 2024年四季度: four digits, four Han characters, one change between them
        assert!(
            (w[4] - (4.0 * 0.6 + 0.25 + 4.0 + 1.0)).abs() < 1e-9,
            "the date keeps its width: {w:?}"
        );
        assert!(w[0] > 35.0, "the long text takes what is left: {w:?}");
    }
}
