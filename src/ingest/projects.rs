//! Major-projects files: one row per project and period (interfaces.md "Major projects").

use std::collections::HashMap;

use super::RowProblem;
use super::rows::{Column, read_rows};
use super::table::RawTable;
use crate::model::catalogue::{Catalogue, TEN};
use crate::model::observation::Project;

pub const COLUMNS: &[Column] = &[
    ("project_id", &["项目编号", "项目代码"], true),
    ("name", &["项目名称"], true),
    ("region_code", &["地区代码"], true),
    ("industry_code", &["产业代码"], true),
    ("period", &["期别"], true),
    ("total_investment", &["总投资"], false),
    ("annual_plan_investment", &["年度计划投资"], false),
    ("completed_investment_ytd", &["本年完成投资", "累计完成投资"], false),
    ("unit", &["单位"], false),
    ("planned_start", &["计划开工时间", "计划开工"], false),
    ("actual_start", &["实际开工时间", "实际开工"], false),
    ("planned_completion", &["计划竣工时间", "计划竣工"], false),
    ("actual_completion", &["实际竣工时间", "实际竣工"], false),
    ("release_date", &["发布日期"], false),
];

const MONEY: [&str; 3] = ["total_investment", "annual_plan_investment", "completed_investment_ytd"];

pub fn validate(table: &RawTable, catalogue: &Catalogue, dates: super::Dates) -> Result<Vec<Project>, Vec<RowProblem>> {
    let (rows, mut problems) = read_rows(table, COLUMNS, |r| {
        let id = r.text("project_id");
        let name = r.text("name");
        let region = r.region(catalogue);
        let industry = r.industry(catalogue);
        if industry == Some(TEN) {
            r.bad("industry_code", "a project belongs to one industry; `TEN` is an aggregate".into());
        }
        let period = r.period(dates);
        let unit = r.money_unit(&MONEY);
        let [total, plan, done] = MONEY.map(|c| r.money(c, unit, true));
        let [ps, act_s, pc, act_c] = ["planned_start", "actual_start", "planned_completion", "actual_completion"].map(|c| r.month(c));
        if let (Some(s), Some(c)) = (act_s, act_c)
            && c < s
        {
            r.bad("actual_completion", "completed before it started".into());
        }
        let release = r.release_date(dates)?;
        Some(Project {
            project_id: id?.to_string(),
            name: name?.to_string(),
            region: region?.to_string(),
            industry: industry?.to_string(),
            period: period?,
            total_investment: total,
            annual_plan_investment: plan,
            completed_investment_ytd: done,
            planned_start: ps,
            actual_start: act_s,
            planned_completion: pc,
            actual_completion: act_c,
            release_date: release.to_string(),
        })
    });
    let mut seen: HashMap<(String, crate::model::period::Period), (usize, usize)> = HashMap::new();
    let mut out: Vec<Project> = Vec::with_capacity(rows.len());
    for (row, p) in rows {
        match seen.get(&(p.project_id.clone(), p.period)) {
            Some(&(first, i)) if out[i] != p => problems.push(RowProblem {
                row,
                column: None,
                value: String::new(),
                reason: format!(
                    "duplicate key ({}, {}) with different values than row {first}",
                    p.project_id, p.period
                ),
            }),
            Some(_) => {}
            None => {
                seen.insert((p.project_id.clone(), p.period), (row, out.len()));
                out.push(p);
            }
        }
    }
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}
