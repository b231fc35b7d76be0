//! Major-project measures (domain.md "Major projects"), under indicator `major_projects`.
//! No I/O.
//!
//! Per (region, industry, period) — the project's own region, its city and its province;
//! its own industry, `TEN` when that is a member industry, and `TOTAL` — the number of
//! projects, investment completion against the annual plan and against time progress, and
//! the start and completion rates of projects planned to start (complete) in the year.

use polars::prelude::*;

use super::{null_f64, ratio};
use crate::catalogue::{self, TEN, TOTAL};
use crate::store::Project;

/// The project measures, in output order.
pub const PROJECT_MEASURES: &[&str] = &[
    "projects",
    "investment_completion_pct",
    "investment_progress_gap_pp",
    "start_rate_pct",
    "completion_rate_pct",
];
/// The indicator project measures are exported under.
pub const INDICATOR: &str = "major_projects";

fn frame(projects: &[Project], members: &[String]) -> PolarsResult<DataFrame> {
    let n = projects.len();
    let mut cols: (Vec<&str>, Vec<Option<String>>, Vec<Option<String>>, Vec<&str>, Vec<bool>) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut year, mut q, mut plan, mut done, mut ps, mut act_s, mut pc, mut act_c) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for p in projects {
        let parent = catalogue::parent_code(&p.region);
        let grandparent = parent.as_deref().and_then(catalogue::parent_code);
        cols.0.push(p.region.as_str());
        cols.1.push(parent);
        cols.2.push(grandparent);
        cols.3.push(p.industry.as_str());
        cols.4.push(members.iter().any(|m| *m == p.industry));
        year.push(p.period.year());
        q.push(i32::from(p.period.quarter()));
        plan.push(p.annual_plan_investment);
        done.push(p.completed_investment_ytd);
        ps.push(p.planned_start);
        act_s.push(p.actual_start);
        pc.push(p.planned_completion);
        act_c.push(p.actual_completion);
    }
    df!(
        "r1" => cols.0, "r2" => cols.1, "r3" => cols.2, "industry" => cols.3, "member" => cols.4,
        "year" => year, "q" => q, "plan" => plan, "done" => done,
        "ps_year" => ps.iter().map(|m| m.map(|m: i32| m.div_euclid(12))).collect::<Vec<_>>(),
        "pc_year" => pc.iter().map(|m| m.map(|m: i32| m.div_euclid(12))).collect::<Vec<_>>(),
        "as" => act_s, "ac" => act_c,
    )
}

/// The project measures for every period in the projects, long format
/// (`year`, `q`, `region_code`, `industry_code`, `indicator`, `measure`, `value`).
pub fn project_measures(projects: &[Project], members: &[String]) -> PolarsResult<LazyFrame> {
    let base = frame(projects, members)?.lazy();
    // every region level × own industry, TEN (members), TOTAL
    let mut parts = Vec::new();
    for level in ["r1", "r2", "r3"] {
        let at_level = base
            .clone()
            .filter(col(level).is_not_null())
            .with_column(col(level).alias("region_code"));
        parts.push(
            at_level
                .clone()
                .filter(col("industry").neq(lit(TOTAL)))
                .with_column(col("industry").alias("industry_code")),
        );
        parts.push(at_level.clone().filter(col("member")).with_column(lit(TEN).alias("industry_code")));
        parts.push(at_level.with_column(lit(TOTAL).alias("industry_code")));
    }
    let rows = concat(parts, UnionArgs::default())?;
    let last_month = col("year") * lit(12) + col("q") * lit(3) - lit(1);
    let in_year = |m: &str| col(format!("{m}_year")).eq(col("year")).fill_null(lit(false));
    let done_by = |m: &str| col(m).lt_eq(last_month.clone()).fill_null(lit(false));
    let agg = rows
        .group_by([col("region_code"), col("industry_code"), col("year"), col("q")])
        .agg([
            len().cast(DataType::Float64).alias("projects"),
            col("plan").sum().alias("plan_sum"),
            col("done").sum().alias("done_sum"),
            in_year("ps").cast(DataType::Float64).sum().alias("to_start"),
            in_year("ps").and(done_by("as")).cast(DataType::Float64).sum().alias("started"),
            in_year("pc").cast(DataType::Float64).sum().alias("to_complete"),
            in_year("pc").and(done_by("ac")).cast(DataType::Float64).sum().alias("completed"),
        ]);
    let wide = agg
        .with_column(
            when(col("plan_sum").gt(lit(0.0)))
                .then(col("done_sum") * lit(100.0) / col("plan_sum"))
                .otherwise(null_f64())
                .alias("investment_completion_pct"),
        )
        .with_columns([
            (col("investment_completion_pct") - col("q").cast(DataType::Float64) * lit(25.0)).alias("investment_progress_gap_pp"),
            ratio(col("started") * lit(100.0), col("to_start")).alias("start_rate_pct"),
            ratio(col("completed") * lit(100.0), col("to_complete")).alias("completion_rate_pct"),
        ]);
    let parts: Vec<LazyFrame> = PROJECT_MEASURES
        .iter()
        .map(|m| {
            wide.clone()
                .select([
                    col("year"),
                    col("q"),
                    col("region_code"),
                    col("industry_code"),
                    lit(INDICATOR).alias("indicator"),
                    lit(*m).alias("measure"),
                    col(*m).cast(DataType::Float64).alias("value"),
                ])
                .filter(col("value").is_not_null())
        })
        .collect();
    concat(parts, UnionArgs::default())
}
