//! Reading an input file into a table of text cells, whatever its format.
//!
//! CSV (UTF-8 with or without BOM, UTF-16 with BOM, or GB18030/GBK as Excel saves it on a
//! Chinese Windows machine — detected, not configured), XLSX (the first sheet or a named
//! one) and Parquet all become a [`RawTable`]: a header and rows of strings, each row with
//! the number a user sees in their spreadsheet or editor, so errors can point at it.
//! Interpretation of the cells belongs to the loaders of each kind.

use std::io::{Cursor, Read};

use polars::prelude::{DataFrame, DataType, PolarsResult, StringChunked};

/// The formats seimon reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
    Parquet,
}

impl Format {
    /// The format from a file name's extension (`.csv`, `.txt`, `.xlsx`, `.parquet`).
    pub fn from_name(name: &str) -> Option<Format> {
        let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase())?;
        match ext.as_str() {
            "csv" | "txt" => Some(Format::Csv),
            "xlsx" | "xlsm" => Some(Format::Xlsx),
            "parquet" | "pq" => Some(Format::Parquet),
            _ => None,
        }
    }
}

/// A file's cells as text.
#[derive(Debug, Clone, Default)]
pub struct RawTable {
    pub headers: Vec<String>,
    /// (row number as the user sees it, cells); cells may be fewer or more than headers.
    pub rows: Vec<(usize, Vec<String>)>,
    /// How the text was decoded, for the load report (`UTF-8`, `GB18030`, …).
    pub encoding: &'static str,
}

/// A file that cannot be read as a table at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    #[error("the file is empty")]
    Empty,
    #[error("the file has a header row but no data rows")]
    NoRows,
    #[error("the text is neither UTF-8 nor GB18030")]
    Encoding,
    #[error("not a readable CSV file: {0}")]
    Csv(String),
    #[error("the file could not be read (the reader failed on it: {0})")]
    ReaderFailed(String),
    #[error(
        "row {0}: a quote opened in this row is not closed where the row ends, so the lines after it (to line {1}) would be read as part of one cell: close the quote, or remove it"
    )]
    UnclosedQuote(usize, usize),
    #[error("too large to read: {0}")]
    TooLarge(String),
    #[error("not a readable XLSX workbook (damaged or truncated?): {0}")]
    Xlsx(String),
    #[error("the workbook has no sheet named `{0}` (sheets: {1})")]
    NoSheet(String, String),
    #[error("not a readable Parquet file: {0}")]
    Parquet(String),
    #[error("unknown file type `{0}`: expected .csv, .xlsx or .parquet")]
    UnknownFormat(String),
}

/// Reads `bytes` (named `name`, whose extension gives the format) into a table.
pub fn read_table(name: &str, bytes: &[u8], sheet: Option<&str>) -> Result<RawTable, TableError> {
    if bytes.is_empty() {
        return Err(TableError::Empty);
    }
    let table = match Format::from_name(name) {
        Some(Format::Csv) => read_csv(bytes)?,
        Some(Format::Xlsx) => read_xlsx(bytes, sheet)?,
        Some(Format::Parquet) => read_parquet(bytes)?,
        None => return Err(TableError::UnknownFormat(name.to_string())),
    };
    if table.headers.iter().all(|h| h.trim().is_empty()) {
        return Err(TableError::Empty);
    }
    if table.rows.is_empty() {
        return Err(TableError::NoRows);
    }
    Ok(table)
}

/// Decodes CSV bytes: BOM first, then UTF-8 (borrowed, not copied), then GB18030 (a
/// superset of GBK and GB2312).
pub fn decode_text(bytes: &[u8]) -> Result<(std::borrow::Cow<'_, str>, &'static str), TableError> {
    use std::borrow::Cow;
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, had_errors) = encoding.decode_without_bom_handling(&bytes[bom..]);
        if had_errors {
            return Err(TableError::Encoding);
        }
        return Ok((text, encoding.name()));
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok((Cow::Borrowed(text), "UTF-8"));
    }
    let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
    if had_errors {
        return Err(TableError::Encoding);
    }
    Ok((text, "GB18030"))
}

/// The records of a CSV text one at a time — the header first, then each data row — with
/// the line number a user sees in an editor; blank lines are skipped. A loader of a large
/// file validates each row as it comes, so memory does not grow with the file.
pub struct CsvRecords<'t> {
    text: &'t str,
    reader: csv::Reader<&'t [u8]>,
    record: csv::StringRecord,
    counted_to: usize,
    line: usize,
}

impl<'t> CsvRecords<'t> {
    pub fn new(text: &'t str) -> CsvRecords<'t> {
        CsvRecords {
            text,
            reader: csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(text.as_bytes()),
            record: csv::StringRecord::new(),
            counted_to: 0,
            line: 1,
        }
    }
}

impl Iterator for CsvRecords<'_> {
    type Item = Result<(usize, Vec<String>), TableError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.reader.read_record(&mut self.record) {
                Ok(false) => return None,
                Ok(true) => {}
                Err(e) => return Some(Err(TableError::Csv(e.to_string()))),
            }
            let (text, record) = (self.text.as_bytes(), &self.record);
            // The csv crate does not count skipped blank lines: count newlines up to each
            // record, incrementally from the previous one.
            let mut offset = record.position().map_or(0, |p| p.byte() as usize).min(text.len());
            while matches!(text.get(offset), Some(b'\r' | b'\n')) {
                offset += 1; // the position may point at the blank lines before the record
            }
            self.line += text[self.counted_to..offset].iter().filter(|&&b| b == b'\n').count();
            self.counted_to = offset;
            // A cell never spans lines in a statistics file: one that does is a quote left
            // open, which would silently swallow the rows after it.
            if record.iter().any(|c| c.contains(['\n', '\r'])) {
                let spans: usize = record.iter().map(|c| c.matches('\n').count()).sum();
                return Some(Err(TableError::UnclosedQuote(self.line, self.line + spans.max(1))));
            }
            if record.iter().all(|c| c.trim().is_empty()) {
                continue; // blank lines between blocks, as spreadsheets leave them
            }
            return Some(Ok((self.line, record.iter().map(|c| c.trim().to_string()).collect())));
        }
    }
}

fn read_csv(bytes: &[u8]) -> Result<RawTable, TableError> {
    let (text, encoding) = decode_text(bytes)?;
    let mut records = CsvRecords::new(&text);
    let (_, headers) = records.next().ok_or(TableError::Empty)??;
    let rows = records.collect::<Result<Vec<_>, _>>()?;
    Ok(RawTable { headers, rows, encoding })
}

/// What an XLSX file may make the reader allocate. A workbook is a zip of XML parts; a
/// small file can declare a used range of 17 billion cells or decompress to gigabytes, so
/// the parts' real decompressed sizes are checked before the reader opens the workbook,
/// and the sheet is read cell by cell into rows (never as its whole used range).
pub mod xlsx_limits {
    /// The largest decompressed part (a sheet, the shared strings).
    pub const PART_BYTES: u64 = 256 * 1024 * 1024;
    /// The largest decompressed workbook, all parts together.
    pub const TOTAL_BYTES: u64 = 512 * 1024 * 1024;
    /// The most non-empty cells a sheet may hold.
    pub const CELLS: usize = 10_000_000;
    /// The most columns a sheet may use (every file kind has fewer than 20).
    pub const COLUMNS: u32 = 1024;
}

/// Checks the zip container's parts against [`xlsx_limits`] by decompressing each into a
/// counter (a declared size can lie): nothing the workbook holds is kept.
fn check_xlsx_container(bytes: &[u8]) -> Result<(), TableError> {
    use xlsx_limits::{PART_BYTES, TOTAL_BYTES};
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| TableError::Xlsx(e.to_string()))?;
    let mib = |b: u64| b / (1024 * 1024);
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).map_err(|e| TableError::Xlsx(e.to_string()))?;
        let name = part.name().map(|n| n.into_owned()).unwrap_or_default();
        let too_big = |size: u64| {
            TableError::TooLarge(format!(
                "the workbook's part `{name}` decompresses to more than {} MiB (it has {} MiB)",
                mib(PART_BYTES),
                mib(size)
            ))
        };
        if part.size() > PART_BYTES {
            return Err(too_big(part.size()));
        }
        let read = std::io::copy(&mut (&mut part).take(PART_BYTES + 1), &mut std::io::sink())
            .map_err(|e| TableError::Xlsx(format!("part `{name}`: {e}")))?;
        if read > PART_BYTES {
            return Err(too_big(read));
        }
        total += read;
        if total > TOTAL_BYTES {
            return Err(TableError::TooLarge(format!(
                "the workbook decompresses to more than {} MiB",
                mib(TOTAL_BYTES)
            )));
        }
    }
    Ok(())
}

/// A column number (0-based) as Excel names it: 0 → A, 16383 → XFD.
fn column_name(mut c: u32) -> String {
    let mut name = Vec::new();
    loop {
        name.push(b'A' + (c % 26) as u8);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    name.reverse();
    String::from_utf8(name).expect("ASCII")
}

fn read_xlsx(bytes: &[u8], sheet: Option<&str>) -> Result<RawTable, TableError> {
    use calamine::{DataRef, Reader, Xlsx};
    use xlsx_limits::{CELLS, COLUMNS};
    check_xlsx_container(bytes)?;
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| TableError::Xlsx(e.to_string()))?;
    let names = book.sheet_names();
    let name = match sheet {
        Some(name) if !names.iter().any(|n| n == name) => return Err(TableError::NoSheet(name.to_string(), names.join(", "))),
        Some(name) => name.to_string(),
        None => names
            .first()
            .cloned()
            .ok_or_else(|| TableError::Xlsx("the workbook has no sheet".into()))?,
    };
    let mut cells = book.worksheet_cells_reader(&name).map_err(|e| TableError::Xlsx(e.to_string()))?;
    let text = |d: &DataRef<'_>| -> String {
        match d {
            DataRef::Empty => String::new(),
            DataRef::String(s) => s.trim().to_string(),
            DataRef::SharedString(s) => s.trim().to_string(),
            DataRef::Int(i) => i.to_string(),
            DataRef::Float(f) => format!("{f}"),
            DataRef::Bool(b) => b.to_string(),
            DataRef::DateTime(dt) => excel_date(dt.as_f64()),
            DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
            DataRef::Error(e) => format!("#{e:?}"),
        }
    };
    // Rows as the sheet holds them: only non-empty cells are kept, so memory follows the
    // cells the file really has, not the range it declares.
    let mut rows: std::collections::BTreeMap<u32, Vec<(u32, String)>> = Default::default();
    let mut count = 0usize;
    while let Some(cell) = cells.next_cell().map_err(|e| TableError::Xlsx(e.to_string()))? {
        let value = text(cell.get_value());
        if value.is_empty() {
            continue; // a formatted empty cell, however far out
        }
        let (row, column) = cell.get_position();
        if column >= COLUMNS {
            return Err(TableError::TooLarge(format!(
                "cell {}{} lies beyond column {}: seimon reads at most {COLUMNS} columns",
                column_name(column),
                u64::from(row) + 1,
                column_name(COLUMNS - 1)
            )));
        }
        count += 1;
        if count > CELLS {
            return Err(TableError::TooLarge(format!("the sheet has more than {CELLS} non-empty cells")));
        }
        rows.entry(row).or_default().push((column, value));
    }
    let mut headers = None;
    let mut out = Vec::new();
    for (row, mut values) in rows {
        values.sort_by_key(|(c, _)| *c);
        let width = values.last().map_or(0, |(c, _)| *c as usize + 1);
        let mut line = vec![String::new(); width];
        for (c, v) in values {
            line[c as usize] = v;
        }
        if headers.is_none() {
            headers = Some(line);
        } else {
            out.push((row as usize + 1, line));
        }
    }
    Ok(RawTable {
        headers: headers.ok_or(TableError::Empty)?,
        rows: out,
        encoding: "XLSX",
    })
}

/// An Excel date serial as an ISO date (the 1900 date system, as Excel writes it).
fn excel_date(serial: f64) -> String {
    let base = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).expect("valid date");
    base.checked_add_signed(chrono::Duration::days(serial.floor() as i64))
        .map_or_else(|| serial.to_string(), |d| d.to_string())
}

/// Reads a Parquet file as the frame it is (enterprise records are validated column by
/// column from it, see [`super::enterprises`]).
pub fn read_parquet_frame(bytes: &[u8]) -> Result<polars::prelude::DataFrame, TableError> {
    use polars::prelude::*;
    let df = ParquetReader::new(Cursor::new(bytes))
        .finish()
        .map_err(|e| TableError::Parquet(e.to_string()))?;
    if df.width() == 0 {
        return Err(TableError::Empty);
    }
    if df.height() == 0 {
        return Err(TableError::NoRows);
    }
    Ok(df)
}

/// A frame's cells as text, rows numbered as a spreadsheet shows them (the header is row 1).
pub fn frame_table(df: &polars::prelude::DataFrame) -> Result<RawTable, TableError> {
    let columns = frame_text(df).map_err(|e| TableError::Parquet(e.to_string()))?;
    let headers: Vec<String> = columns.iter().map(|(h, _)| h.clone()).collect();
    let rows = (0..df.height())
        .map(|i| {
            (
                i + 2,
                columns.iter().map(|(_, ca)| ca.get(i).unwrap_or("").trim().to_string()).collect(),
            )
        })
        .collect();
    Ok(RawTable {
        headers,
        rows,
        encoding: "Parquet",
    })
}

fn read_parquet(bytes: &[u8]) -> Result<RawTable, TableError> {
    frame_table(&read_parquet_frame(bytes)?)
}

/// A frame's columns as text, whatever their types (numbers print as the shortest text
/// that reads back as the same number).
pub fn frame_text(frame: &DataFrame) -> PolarsResult<Vec<(String, StringChunked)>> {
    frame
        .columns()
        .iter()
        .map(|c| {
            let s = c.as_materialized_series().cast(&DataType::String)?;
            Ok((c.name().to_string(), s.str()?.rechunk().into_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_encodings() {
        let text = "期别,地区代码\n2025Q3,340100\n";
        let (utf8, enc) = decode_text(text.as_bytes()).unwrap();
        assert_eq!((utf8.as_ref(), enc), (text, "UTF-8"));
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(text.as_bytes());
        assert_eq!(decode_text(&bom).unwrap().0, text, "the BOM is removed");
        let (gb, _, _) = encoding_rs::GB18030.encode(text);
        assert!(std::str::from_utf8(&gb).is_err(), "the fixture really is not UTF-8");
        assert_eq!(decode_text(&gb).unwrap(), (text.into(), "GB18030"));
    }

    #[test]
    fn csv_rows_keep_their_line_numbers() {
        let t = read_table("a.csv", b"a,b\n\n1,2\n3,4\n", None).unwrap();
        assert_eq!(t.headers, vec!["a", "b"]);
        assert_eq!(t.rows.iter().map(|r| r.0).collect::<Vec<_>>(), vec![3, 4]);
        assert_eq!(read_table("a.csv", b"", None).unwrap_err(), TableError::Empty);
        assert_eq!(read_table("a.csv", b"a,b\n", None).unwrap_err(), TableError::NoRows);
        assert!(matches!(read_table("a.xlsx", b"PK\x03\x04broken", None), Err(TableError::Xlsx(_))));
    }
}
