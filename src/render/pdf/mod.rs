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
