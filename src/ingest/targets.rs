//! Targets files: the columns of interfaces.md "Targets", one target per row, validated by
//! the same code as the configuration's `[[targets]]`.

use std::collections::HashMap;

use super::RowProblem;
use super::rows::{Column, read_rows};
use super::table::RawTable;
use crate::model::catalogue::Catalogue;
use crate::model::target::{OneOrMany, Target, TargetFields};

pub const COLUMNS: &[Column] = &[
    ("kind", &["类型", "目标类型"], true),
    ("region_code", &["地区代码"], true),
    ("industry_code", &["产业代码"], true),
    ("indicator", &["指标"], true),
    ("base_year", &["基期年份", "基年"], false),
    ("base_value", &["基期值"], false),
    ("target_year", &["目标年份"], false),
    ("target_value", &["目标值"], false),
    ("multiple", &["倍数"], false),
    ("year", &["年份"], false),
    ("pct", &["目标%", "百分比"], false),
    ("pp_per_year", &["每年提高百分点"], false),
    ("unit", &["单位"], false),
];

pub fn validate(table: &RawTable, catalogue: &Catalogue) -> Result<Vec<Target>, Vec<RowProblem>> {
    let (rows, mut problems) = read_rows(table, COLUMNS, |r| {
        let text = |r: &super::rows::RowReader<'_>, n: &str| Some(r.get(n).to_string()).filter(|s| !s.is_empty());
        let fields = TargetFields {
            kind: text(r, "kind"),
            region_code: text(r, "region_code"),
            industry_code: text(r, "industry_code").map(OneOrMany::One),
            indicator: text(r, "indicator"),
            base_year: r.integer("base_year"),
            base_value: r.number("base_value"),
            target_year: r.integer("target_year"),
            target_value: r.number("target_value"),
            multiple: r.number("multiple"),
            year: r.integer("year"),
            pct: r.number("pct"),
            pp_per_year: r.number("pp_per_year"),
            unit: text(r, "unit"),
        };
        match fields.validate(catalogue) {
            Ok(mut targets) => targets.pop(),
            Err(ps) => {
                for (field, reason) in ps {
                    r.bad(field, reason);
                }
                None
            }
        }
    });
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for (row, target) in rows {
        match seen.insert(target.key(), row) {
            Some(first) => problems.push(RowProblem {
                row,
                column: None,
                value: String::new(),
                reason: format!("the same target as row {first} ({})", target.key()),
            }),
            None => out.push(target),
        }
    }
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}
