//! Reading an input file into a table of text cells, whatever its format.
//!
//! CSV (UTF-8 with or without BOM, UTF-16 with BOM, or GB18030/GBK as Excel saves it on a
//! Chinese Windows machine — detected, not configured), XLSX (the first sheet or a named
//! one) and Parquet all become a [`RawTable`]: a header and rows of strings, each row with
//! the number a user sees in their spreadsheet or editor, so errors can point at it.
//! Interpretation of the cells belongs to the loaders of each kind.

use std::io::Cursor;

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

/// Decodes CSV bytes: BOM first, then UTF-8, then GB18030 (a superset of GBK and GB2312).
pub fn decode_text(bytes: &[u8]) -> Result<(String, &'static str), TableError> {
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, had_errors) = encoding.decode_without_bom_handling(&bytes[bom..]);
        if had_errors {
            return Err(TableError::Encoding);
        }
        return Ok((text.into_owned(), encoding.name()));
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok((text.to_string(), "UTF-8"));
    }
    let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
    if had_errors {
        return Err(TableError::Encoding);
    }
    Ok((text.into_owned(), "GB18030"))
}

fn read_csv(bytes: &[u8]) -> Result<RawTable, TableError> {
    let (text, encoding) = decode_text(bytes)?;
    if text.trim().is_empty() {
        return Err(TableError::Empty);
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut headers = None;
    let mut rows = Vec::new();
    // The csv crate does not count skipped blank lines: count newlines up to each record,
    // incrementally from the previous one.
    let (mut counted_to, mut line) = (0usize, 1usize);
    for record in reader.records() {
        let record = record.map_err(|e| TableError::Csv(e.to_string()))?;
        let mut offset = record.position().map_or(0, |p| p.byte() as usize).min(text.len());
        while matches!(text.as_bytes().get(offset), Some(b'\r' | b'\n')) {
            offset += 1; // the position may point at the blank lines before the record
        }
        line += text.as_bytes()[counted_to..offset].iter().filter(|&&b| b == b'\n').count();
        counted_to = offset;
        let cells: Vec<String> = record.iter().map(|c| c.trim().to_string()).collect();
        if cells.iter().all(String::is_empty) {
            continue; // blank lines between blocks, as spreadsheets leave them
        }
        if headers.is_none() {
            headers = Some(cells);
        } else {
            rows.push((line, cells));
        }
    }
    Ok(RawTable {
        headers: headers.ok_or(TableError::Empty)?,
        rows,
        encoding,
    })
}

fn read_xlsx(bytes: &[u8], sheet: Option<&str>) -> Result<RawTable, TableError> {
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| TableError::Xlsx(e.to_string()))?;
    let range = match sheet {
        Some(name) => {
            let names = book.sheet_names();
            if !names.iter().any(|n| n == name) {
                return Err(TableError::NoSheet(name.to_string(), names.join(", ")));
            }
            book.worksheet_range(name).map_err(|e| TableError::Xlsx(e.to_string()))?
        }
        None => book
            .worksheet_range_at(0)
            .ok_or_else(|| TableError::Xlsx("the workbook has no sheet".into()))?
            .map_err(|e| TableError::Xlsx(e.to_string()))?,
    };
    let first_row = range.start().map_or(0, |(r, _)| r as usize);
    let cell = |d: &Data| -> String {
        match d {
            Data::Empty => String::new(),
            Data::String(s) => s.trim().to_string(),
            Data::Int(i) => i.to_string(),
            Data::Float(f) => format!("{f}"),
            Data::Bool(b) => b.to_string(),
            Data::DateTime(dt) => excel_date(dt.as_f64()),
            Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
            Data::Error(e) => format!("#{e:?}"),
        }
    };
    let mut headers = None;
    let mut rows = Vec::new();
    for (i, row) in range.rows().enumerate() {
        let cells: Vec<String> = row.iter().map(cell).collect();
        if cells.iter().all(String::is_empty) {
            continue;
        }
        if headers.is_none() {
            headers = Some(cells);
        } else {
            rows.push((first_row + i + 1, cells));
        }
    }
    Ok(RawTable {
        headers: headers.ok_or(TableError::Empty)?,
        rows,
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
    let columns = super::enterprises::frame_text(df).map_err(|e| TableError::Parquet(e.to_string()))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_encodings() {
        let text = "期别,地区代码\n2025Q3,340100\n";
        let (utf8, enc) = decode_text(text.as_bytes()).unwrap();
        assert_eq!((utf8.as_str(), enc), (text, "UTF-8"));
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(text.as_bytes());
        assert_eq!(decode_text(&bom).unwrap().0, text, "the BOM is removed");
        let (gb, _, _) = encoding_rs::GB18030.encode(text);
        assert!(std::str::from_utf8(&gb).is_err(), "the fixture really is not UTF-8");
        assert_eq!(decode_text(&gb).unwrap(), (text.to_string(), "GB18030"));
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
