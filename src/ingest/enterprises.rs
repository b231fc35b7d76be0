//! Enterprise-records files: one row per enterprise and period, validated and converted to
//! the columnar frame (canonical units) that the store keeps as Parquet, one file per
//! period.
//!
//! A national file holds millions of rows, so the records are never materialised as one
//! string per cell or one struct per row: a Parquet file stays a Polars frame whose columns
//! are viewed as text ([`frame_text`]), a CSV or XLSX table lends its cells, and each row is
//! checked in place by the same [`RowReader`] rules as every other kind of file — every
//! problem of every row named — before the accepted rows are written out as columns.

use std::collections::HashMap;

use polars::prelude::*;

use super::RowProblem;
use super::rows::{Column, RowReader};
use super::table::RawTable;
use crate::model::catalogue::Catalogue;
use crate::model::period::Period;

pub const COLUMNS: &[Column] = &[
    ("period", &["期别"], true),
    ("enterprise_id", &["统一社会信用代码", "企业代码"], true),
    ("region_code", &["地区代码"], true),
    ("class_code", &["行业代码", "国民经济行业代码"], true),
    ("output_value", &["工业总产值", "产值"], false),
    ("operating_income", &["营业收入"], false),
    ("profit", &["利润总额"], false),
    ("unit", &["单位"], false),
];

const MONEY: [&str; 3] = ["output_value", "operating_income", "profit"];

/// The cells of a file column by column, in the order of [`COLUMNS`] (a column the file
/// lacks is empty and reads as `""`), with the row number a user sees for each row.
#[derive(Debug, Default)]
pub struct TextColumns<'a> {
    pub rows: Vec<usize>,
    pub columns: Vec<Vec<&'a str>>,
}

impl<'a> TextColumns<'a> {
    /// The cells of a table read as text (CSV, XLSX). A row with more fields than the
    /// header is a problem of its own, and left out.
    pub fn from_table(table: &'a RawTable) -> (TextColumns<'a>, Vec<RowProblem>) {
        let (found, _) = super::rows::map_headers(&table.headers, COLUMNS);
        let mut problems = Vec::new();
        let mut out = TextColumns {
            rows: Vec::with_capacity(table.rows.len()),
            columns: vec![Vec::new(); COLUMNS.len()],
        };
        let needed = super::rows::needed_fields(&found, COLUMNS);
        for (row, cells) in &table.rows {
            if let Some(problem) = super::rows::wrong_width(*row, cells, table.headers.len(), needed) {
                problems.push(problem);
                continue;
            }
            out.rows.push(*row);
            for (c, (name, _, _)) in COLUMNS.iter().enumerate() {
                if let Some(&i) = found.get(name) {
                    out.columns[c].push(cells.get(i).map_or("", String::as_str));
                }
            }
        }
        (out, problems)
    }

    /// The cells of a frame's columns as [`frame_text`] gives them; rows are numbered as
    /// a spreadsheet shows them, the header being row 1.
    pub fn from_frame(text: &'a [(String, StringChunked)]) -> TextColumns<'a> {
        let headers: Vec<String> = text.iter().map(|(h, _)| h.clone()).collect();
        let (found, _) = super::rows::map_headers(&headers, COLUMNS);
        let height = text.first().map_or(0, |(_, ca)| ca.len());
        let columns = COLUMNS
            .iter()
            .map(|(name, _, _)| match found.get(name) {
                Some(&i) => text[i].1.iter().map(|v| v.unwrap_or("").trim()).collect(),
                None => Vec::new(),
            })
            .collect();
        TextColumns {
            rows: (2..height + 2).collect(),
            columns,
        }
    }
}

/// Validates every row; the accepted records as one frame: `year`, `q`, `enterprise_id`,
/// `region_code`, `class_code`, `output_value`, `operating_income`, `profit` (亿元). A
/// second row of the same (period, enterprise) is a problem when its values differ and
/// dropped when they are the same.
pub fn validate(cells: &TextColumns<'_>, catalogue: &Catalogue, dates: super::Dates) -> Result<DataFrame, Vec<RowProblem>> {
    let cols: HashMap<&'static str, usize> = COLUMNS.iter().enumerate().map(|(i, c)| (c.0, i)).collect();
    let n = cells.rows.len();
    let mut problems = Vec::new();
    let mut duplicates = Vec::new();
    let (mut year, mut q) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut id, mut region, mut class): (Vec<&str>, Vec<&str>, Vec<&str>) =
        (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    let mut money: [Vec<Option<f64>>; 3] = std::array::from_fn(|_| Vec::with_capacity(n));
    let mut first: HashMap<(Period, &str), (usize, usize)> = HashMap::with_capacity(n);
    let mut row_cells: Vec<&str> = vec![""; COLUMNS.len()];
    for (i, &row) in cells.rows.iter().enumerate() {
        for (c, column) in cells.columns.iter().enumerate() {
            row_cells[c] = column.get(i).copied().unwrap_or("");
        }
        // the cells, with the lifetime of the file's columns
        let (enterprise, located, class_code) = (row_cells[1], row_cells[2], row_cells[3]);
        let before = problems.len();
        let (period, known, values) = {
            let mut r = RowReader::new(row, &cols, &row_cells, &mut problems);
            let period = r.period(dates);
            if let Err(reason) = crate::model::uscc::validate(enterprise) {
                r.bad("enterprise_id", reason);
            }
            let known = r.region(catalogue).is_some();
            if known && crate::model::catalogue::region_level(located) == crate::model::catalogue::RegionLevel::Province {
                r.bad("region_code", "an enterprise is located in a county or city, not a province".into());
            }
            if !super::mapping::is_class(class_code) {
                r.bad("class_code", format!("`{class_code}` is not a four-digit GB/T 4754 class"));
            }
            let unit = r.money_unit(&MONEY);
            let values = [
                r.money("output_value", unit, true),
                r.money("operating_income", unit, true),
                r.money("profit", unit, false),
            ];
            (period, known, values)
        };
        let Some(period) = period else { continue };
        if !known || problems.len() > before {
            continue;
        }
        match first.get(&(period, enterprise)).copied() {
            Some((first_row, k)) => {
                let same = region[k] == located && class[k] == class_code && (0..3).all(|m| money[m][k] == values[m]);
                if !same {
                    duplicates.push(RowProblem {
                        row,
                        column: None,
                        value: String::new(),
                        reason: format!("duplicate key ({period}, {enterprise}) with different values than row {first_row}"),
                    });
                }
            }
            None => {
                first.insert((period, enterprise), (row, id.len()));
                year.push(period.year());
                q.push(i32::from(period.quarter()));
                id.push(enterprise);
                region.push(located);
                class.push(class_code);
                for (m, v) in values.into_iter().enumerate() {
                    money[m].push(v);
                }
            }
        }
    }
    problems.extend(duplicates);
    if !problems.is_empty() {
        return Err(problems);
    }
    let [output, income, profit] = money;
    df!(
        "year" => year,
        "q" => q,
        "enterprise_id" => id,
        "region_code" => region,
        "class_code" => class,
        "output_value" => output,
        "operating_income" => income,
        "profit" => profit,
    )
    .map_err(|e| {
        vec![RowProblem {
            row: 0,
            column: None,
            value: String::new(),
            reason: format!("the records cannot be put into columns: {e}"),
        }]
    })
}
