//! Enterprise-records files: one row per enterprise and period, validated and converted to
//! a columnar frame (canonical units) that the store keeps as Parquet.

use std::collections::HashMap;

use polars::prelude::*;

use super::RowProblem;
use super::rows::{Column, read_rows};
use super::table::RawTable;
use crate::catalogue::Catalogue;
use crate::period::Period;

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

/// One enterprise's figures in one period (亿元).
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub period: Period,
    pub enterprise_id: String,
    pub region: String,
    pub class: String,
    pub output_value: Option<f64>,
    pub operating_income: Option<f64>,
    pub profit: Option<f64>,
}

pub fn validate(table: &RawTable, catalogue: &Catalogue) -> Result<Vec<Record>, Vec<RowProblem>> {
    let (rows, mut problems) = read_rows(table, COLUMNS, |r| {
        let period = r.period();
        let id = r.get("enterprise_id");
        if let Err(reason) = crate::uscc::validate(id) {
            r.bad("enterprise_id", reason);
        }
        let region = r.region(catalogue);
        if region.is_some_and(|c| crate::catalogue::region_level(c) == crate::catalogue::RegionLevel::Province) {
            r.bad("region_code", "an enterprise is located in a county or city, not a province".into());
        }
        let class = r.get("class_code");
        if !super::mapping::is_class(class) {
            r.bad("class_code", format!("`{class}` is not a four-digit GB/T 4754 class"));
        }
        let unit = r.money_unit(&MONEY);
        let output = r.money("output_value", unit, true);
        let income = r.money("operating_income", unit, true);
        let profit = r.money("profit", unit, false);
        Some(Record {
            period: period?,
            enterprise_id: id.to_string(),
            region: region?.to_string(),
            class: class.to_string(),
            output_value: output,
            operating_income: income,
            profit,
        })
    });
    let mut seen: HashMap<(Period, &str), (usize, usize)> = HashMap::new();
    let mut keep = Vec::with_capacity(rows.len());
    for (i, (row, rec)) in rows.iter().enumerate() {
        match seen.get(&(rec.period, rec.enterprise_id.as_str())) {
            Some(&(first, j)) if rows[j].1 != *rec => problems.push(RowProblem {
                row: *row,
                column: None,
                value: String::new(),
                reason: format!(
                    "duplicate key ({}, {}) with different values than row {first}",
                    rec.period, rec.enterprise_id
                ),
            }),
            Some(_) => {}
            None => {
                seen.insert((rec.period, rec.enterprise_id.as_str()), (*row, i));
                keep.push(i);
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut rows: Vec<Option<Record>> = rows.into_iter().map(|(_, r)| Some(r)).collect();
    Ok(keep.into_iter().filter_map(|i| rows[i].take()).collect())
}

/// The records of one period as the columnar frame the store writes to Parquet.
pub fn frame(records: &[&Record]) -> PolarsResult<DataFrame> {
    df!(
        "year" => records.iter().map(|r| r.period.year()).collect::<Vec<_>>(),
        "q" => records.iter().map(|r| i32::from(r.period.quarter())).collect::<Vec<_>>(),
        "enterprise_id" => records.iter().map(|r| r.enterprise_id.as_str()).collect::<Vec<_>>(),
        "region_code" => records.iter().map(|r| r.region.as_str()).collect::<Vec<_>>(),
        "class_code" => records.iter().map(|r| r.class.as_str()).collect::<Vec<_>>(),
        "output_value" => records.iter().map(|r| r.output_value).collect::<Vec<_>>(),
        "operating_income" => records.iter().map(|r| r.operating_income).collect::<Vec<_>>(),
        "profit" => records.iter().map(|r| r.profit).collect::<Vec<_>>(),
    )
}
