//! Major-project measures (domain.md "Major projects"), under indicator `major_projects`.
//! No I/O.
//!
//! Per (region, industry, period) — the project's own region, its city and its province;
//! its own industry, `TEN` when that is a member industry, and `TOTAL` — the number of
//! projects, investment completion against the annual plan and against time progress, and
//! the start and completion rates of projects planned to start (complete) in the year.

use polars::prelude::*;

use super::{null_f64, ratio};
use crate::model::catalogue::{self, PROJECTS_INDICATOR, TEN, TOTAL};
use crate::model::observation::Project;

/// The project measures, in output order.
pub const PROJECT_MEASURES: &[&str] = &[
    "projects",
    "investment_completion_pct",
    "investment_progress_gap_pp",
    "start_rate_pct",
    "completion_rate_pct",
];

/// A project's columns: id, city, province, industry, whether the industry is a member.
type ProjectColumns<'a> = (Vec<&'a str>, Vec<Option<String>>, Vec<Option<String>>, Vec<&'a str>, Vec<bool>);

fn frame(projects: &[Project], members: &[String]) -> PolarsResult<DataFrame> {
    let n = projects.len();
    let mut cols: ProjectColumns<'_> = (
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
        cols.4.push(members.contains(&p.industry));
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
    super::unpivot(&wide, PROJECT_MEASURES, lit(PROJECTS_INDICATOR))
}

#[cfg(test)]
mod tests {
    //! Worked cases for 2025Q3 (last month: September); expected numbers by hand.
    use super::super::{Inputs, MeasureTable, compute};
    use crate::model::observation::Project;
    use crate::model::period::Period;

    fn month(y: i32, m: i32) -> Option<i32> {
        Some(y * 12 + m - 1)
    }

    #[allow(clippy::too_many_arguments)]
    fn project(
        id: &str,
        region: &str,
        industry: &str,
        plan: f64,
        done: f64,
        ps: Option<i32>,
        act_s: Option<i32>,
        pc: Option<i32>,
        act_c: Option<i32>,
    ) -> Project {
        Project {
            project_id: id.into(),
            name: id.into(),
            region: region.into(),
            industry: industry.into(),
            period: Period::new(2025, 3).unwrap(),
            total_investment: Some(plan * 3.0),
            annual_plan_investment: Some(plan),
            completed_investment_ytd: Some(done),
            planned_start: ps,
            actual_start: act_s,
            planned_completion: pc,
            actual_completion: act_c,
            release_date: "2025-10-20".into(),
        }
    }

    fn projects() -> Vec<Project> {
        vec![
            // a county project in Hefei, started on time
            project(
                "A",
                "340102",
                "NGIT",
                10.0,
                6.0,
                month(2025, 3),
                month(2025, 4),
                month(2026, 6),
                None,
            ),
            // started in October: after the period's last month, so not yet started in Q3
            project(
                "B",
                "340100",
                "NGIT",
                20.0,
                5.0,
                month(2025, 6),
                month(2025, 10),
                month(2025, 12),
                None,
            ),
            // planned to start last year; due to complete in August, not completed
            project(
                "C",
                "340200",
                "LH",
                30.0,
                30.0,
                month(2024, 5),
                month(2024, 6),
                month(2025, 8),
                None,
            ),
            // completed in September, on time
            project(
                "D",
                "340100",
                "NGIT",
                5.0,
                5.0,
                month(2024, 1),
                month(2024, 2),
                month(2025, 9),
                month(2025, 9),
            ),
        ]
    }

    fn get(t: &MeasureTable, region: &str, industry: &str, measure: &str) -> Option<f64> {
        t.get("2025Q3", region, industry, "major_projects", measure)
    }

    fn close(actual: Option<f64>, expected: f64) {
        let a = actual.expect("present");
        assert!((a - expected).abs() < 1e-9, "expected {expected}, got {a}");
    }

    #[test]
    fn project_measures_per_region_and_industry() {
        let p = Period::new(2025, 3).unwrap().index();
        let members: Vec<String> = ["NGIT", "LH"].map(String::from).to_vec();
        let ps = projects();
        let t = MeasureTable::from_frame(
            &compute(
                Inputs {
                    projects: &ps,
                    members,
                    ..Inputs::default()
                },
                p..=p,
            )
            .unwrap(),
        )
        .unwrap();
        // Hefei NGIT: A (from its county), B and D
        close(get(&t, "340100", "NGIT", "projects"), 3.0);
        close(get(&t, "340100", "NGIT", "investment_completion_pct"), 45.714285714285715); // 16 / 35
        close(get(&t, "340100", "NGIT", "investment_progress_gap_pp"), 45.714285714285715 - 75.0);
        close(get(&t, "340100", "NGIT", "start_rate_pct"), 50.0); // B started after September
        close(get(&t, "340100", "NGIT", "completion_rate_pct"), 50.0); // D done, B due in December
        // the county itself: A's completion is due in 2026, so no completion rate
        close(get(&t, "340102", "NGIT", "projects"), 1.0);
        close(get(&t, "340102", "NGIT", "start_rate_pct"), 100.0);
        assert_eq!(get(&t, "340102", "NGIT", "completion_rate_pct"), None);
        // Wuhu LH: nothing planned to start in 2025; C overdue
        close(get(&t, "340200", "LH", "investment_progress_gap_pp"), 25.0);
        assert_eq!(get(&t, "340200", "LH", "start_rate_pct"), None);
        close(get(&t, "340200", "LH", "completion_rate_pct"), 0.0);
        // the province, TEN and TOTAL over all four
        for industry in ["TEN", "TOTAL"] {
            close(get(&t, "340000", industry, "projects"), 4.0);
            close(get(&t, "340000", industry, "investment_completion_pct"), 70.76923076923077); // 46 / 65
            close(get(&t, "340000", industry, "start_rate_pct"), 50.0); // A of A, B
            close(get(&t, "340000", industry, "completion_rate_pct"), 100.0 / 3.0); // D of B, C, D
        }
    }
}
