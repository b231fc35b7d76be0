//! Class-mapping files: which GB/T 4754 classes feed which industry of a catalogue. A
//! mapping file is a whole version of the mapping for its catalogue.

use std::collections::BTreeSet;

use super::RowProblem;
use super::rows::{Column, read_rows};
use super::table::RawTable;
use crate::model::catalogue::{Catalogue, TEN, TOTAL};

pub const COLUMNS: &[Column] = &[
    ("class_code", &["行业代码", "国民经济行业代码"], true),
    ("industry_code", &["产业代码"], true),
    ("catalogue", &["目录", "目录版本"], true),
];

/// Is this a GB/T 4754 class (four digits)?
pub fn is_class(code: &str) -> bool {
    code.len() == 4 && code.bytes().all(|b| b.is_ascii_digit())
}

pub fn validate(table: &RawTable, catalogue: &Catalogue) -> Result<Vec<(String, String)>, Vec<RowProblem>> {
    let (rows, problems) = read_rows(table, COLUMNS, |r| {
        let class = r.get("class_code");
        if !is_class(class) {
            r.bad("class_code", format!("`{class}` is not a four-digit GB/T 4754 class"));
        }
        let cat = r.get("catalogue");
        if cat != catalogue.name {
            r.bad(
                "catalogue",
                format!("mapping for catalogue `{cat}`, but the active catalogue is `{}`", catalogue.name),
            );
        }
        let industry = r.industry(catalogue)?;
        if industry == TEN || industry == TOTAL {
            r.bad(
                "industry_code",
                format!("`{industry}` is an aggregate: map classes to the catalogue's industries"),
            );
            return None;
        }
        Some((class.to_string(), industry.to_string()))
    });
    if problems.is_empty() {
        let unique: BTreeSet<(String, String)> = rows.into_iter().map(|(_, m)| m).collect();
        Ok(unique.into_iter().collect())
    } else {
        Err(problems)
    }
}
