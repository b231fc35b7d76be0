//! Target measures (domain.md "Targets"), joined onto the wide measure frame. No I/O.
//!
//! Level targets follow the geometric path P_y = V0 × (VT / V0)^((y − Y0) / (YT − Y0)) for
//! Y0 ≤ y ≤ YT; V0 is given or taken from the data (the Q4 year-to-date of Y0), VT is given
//! or `multiple` × V0. Growth targets compare cumulative growth with the rate; share targets
//! compare the share of TOTAL with the year's target share. After the target year a level
//! target has no measures; `required_cagr_pct` exists only before it.

use polars::prelude::*;

use super::{keys_and, left_join, null_f64, ratio};
use crate::model::target::{Target, TargetSpec};

/// The target measures, in output order.
pub const TARGET_MEASURES: &[&str] = &[
    "annual_target",
    "task_progress_pct",
    "time_progress_pct",
    "progress_gap_pp",
    "projected_annual",
    "projected_attainment_pct",
    "plan_cagr_pct",
    "required_cagr_pct",
    "target_growth_pct",
    "growth_gap_pp",
    "target_share_pct",
    "share_gap_pp",
];

/// How far back a share path without a base year reaches.
const SHARE_PATH_YEARS: i32 = 20;

fn level_frame(targets: &[Target]) -> PolarsResult<DataFrame> {
    let (mut r, mut i, mut k, mut y0, mut yt, mut v0, mut vt, mut m) = (vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for t in targets {
        if let TargetSpec::Level {
            base_year,
            base_value,
            target_year,
            target_value,
            multiple,
        } = &t.spec
        {
            r.push(t.region.as_str());
            i.push(t.industry.as_str());
            k.push(t.indicator.as_str());
            y0.push(*base_year);
            yt.push(*target_year);
            v0.push(*base_value);
            vt.push(*target_value);
            m.push(*multiple);
        }
    }
    df!("region_code" => r, "industry_code" => i, "indicator" => k, "y0" => y0, "yt" => yt, "v0_given" => v0, "vt_given" => vt, "multiple" => m)
}

/// Per-year values of growth or share targets: (series, year, value).
fn yearly_frame(targets: &[Target], name: &str, share: bool) -> PolarsResult<DataFrame> {
    // explicit years override a path's value for the same series and year
    let mut rows: std::collections::BTreeMap<(&str, &str, &str, i32), (bool, f64)> = Default::default();
    for t in targets {
        let key = |y| (t.region.as_str(), t.industry.as_str(), t.indicator.as_str(), y);
        match (&t.spec, share) {
            (TargetSpec::Growth { year, pct }, false) | (TargetSpec::Share { year, pct }, true) => {
                rows.insert(key(*year), (true, *pct));
            }
            (
                TargetSpec::SharePath {
                    target_year,
                    pct,
                    pp_per_year,
                    base_year,
                },
                true,
            ) => {
                let from = base_year.unwrap_or(target_year - SHARE_PATH_YEARS);
                for y in from..=*target_year {
                    let value = pct - pp_per_year * f64::from(target_year - y);
                    rows.entry(key(y))
                        .and_modify(|e| {
                            if !e.0 {
                                *e = (false, value)
                            }
                        })
                        .or_insert((false, value));
                }
            }
            _ => {}
        }
    }
    let (mut r, mut i, mut k, mut y, mut v) = (vec![], vec![], vec![], vec![], vec![]);
    for ((region, industry, indicator, year), (_, value)) in rows {
        r.push(region);
        i.push(industry);
        k.push(indicator);
        y.push(year);
        v.push(value);
    }
    df!("region_code" => r, "industry_code" => i, "indicator" => k, "year" => y, name => v)
}

/// Adds the target measures to the wide frame (which has `x`, `x_ly`, `yoy_pct`,
/// `share_pct`, `year`, `q`), reading base and last year's values from `q4`, the Q4 rows
/// (keys, `year`, `x`) of every year.
pub fn with_targets(wide: LazyFrame, q4: LazyFrame, targets: &[Target]) -> PolarsResult<LazyFrame> {
    let f = |e: Expr| e.cast(DataType::Float64);
    // V0 from the data when not given; VT from the multiple when not given.
    let base = q4.clone().select([
        col("region_code"),
        col("industry_code"),
        col("indicator"),
        col("year").alias("y0"),
        col("x").alias("v0_data"),
    ]);
    let levels = left_join(level_frame(targets)?.lazy(), base, keys_and(&["y0"]), keys_and(&["y0"]))
        .with_column(coalesce(&[col("v0_given"), col("v0_data")]).alias("V0"))
        .with_column(coalesce(&[col("vt_given"), col("multiple") * col("V0")]).alias("VT"))
        .select([
            col("region_code"),
            col("industry_code"),
            col("indicator"),
            col("y0"),
            col("yt"),
            col("V0"),
            col("VT"),
            col("v0_given").is_null().alias("v0_from_data"),
        ]);
    let last_q4 = q4.select([
        col("region_code"),
        col("industry_code"),
        col("indicator"),
        (col("year") + lit(1)).alias("year"),
        col("x").alias("x_q4ly"),
    ]);
    let in_plan = col("year")
        .gt_eq(col("y0"))
        .and(col("year").lt_eq(col("yt")))
        .and(col("V0").gt(lit(0.0)))
        .and(col("VT").gt(lit(0.0)))
        // a base value from the data is known from the base year's Q4 on: a quarter's
        // measures read nothing later than the quarter
        .and(col("v0_from_data").not().or(col("year").gt(col("y0"))).or(col("q").eq(lit(4))));
    let planned = |e: Expr| when(col("in_plan")).then(e).otherwise(null_f64());
    let with_level = left_join(wide, levels, keys_and(&[]), keys_and(&[])).with_column(in_plan.fill_null(lit(false)).alias("in_plan"));
    let with_level = super::stage(left_join(with_level, last_q4, keys_and(&["year"]), keys_and(&["year"])))?
        .with_columns([
            planned(col("V0") * (col("VT") / col("V0")).pow(f(col("year") - col("y0")) / f(col("yt") - col("y0")))).alias("annual_target"),
            planned((((col("VT") / col("V0")).pow(lit(1.0) / f(col("yt") - col("y0")))) - lit(1.0)) * lit(100.0)).alias("plan_cagr_pct"),
            planned(f(col("q")) * lit(25.0)).alias("time_progress_pct"),
            // projected annual: Q4 is the year; else last year's seasonal profile; a stock
            // (counted at the period's end) is its own projection
            planned(
                when(col("q").eq(lit(4)).or(col("stock")))
                    .then(col("x"))
                    .when(col("x_ly").gt(lit(0.0)))
                    .then(col("x") * col("x_q4ly") / col("x_ly"))
                    .otherwise(null_f64()),
            )
            .alias("projected_annual"),
        ])
        .with_columns([
            ratio(col("x") * lit(100.0), col("annual_target")).alias("task_progress_pct"),
            ratio(col("projected_annual") * lit(100.0), col("annual_target")).alias("projected_attainment_pct"),
            planned(
                when(col("year").lt(col("yt")).and(col("projected_annual").gt(lit(0.0))))
                    .then(((col("VT") / col("projected_annual")).pow(lit(1.0) / f(col("yt") - col("year"))) - lit(1.0)) * lit(100.0))
                    .otherwise(null_f64()),
            )
            .alias("required_cagr_pct"),
        ])
        .with_column((col("task_progress_pct") - col("time_progress_pct")).alias("progress_gap_pp"));
    let with_level = super::stage(with_level)?;
    let with_growth = left_join(
        with_level,
        yearly_frame(targets, "target_growth_pct", false)?.lazy(),
        keys_and(&["year"]),
        keys_and(&["year"]),
    )
    .with_column((col("yoy_pct") - col("target_growth_pct")).alias("growth_gap_pp"));
    Ok(left_join(
        with_growth,
        yearly_frame(targets, "target_share_pct", true)?.lazy(),
        keys_and(&["year"]),
        keys_and(&["year"]),
    )
    .with_column((col("share_pct") - col("target_share_pct")).alias("share_gap_pp")))
}

#[cfg(test)]
mod tests {
    //! Worked cases; the expected numbers were computed by hand from the formulas.
    use super::super::{Inputs, MeasureTable, compute};
    use crate::model::observation::Observation;
    use crate::model::period::Period;
    use crate::model::target::{Target, TargetSpec};

    fn o(period: &str, industry: &str, x: Option<f64>, g: Option<f64>) -> Observation {
        Observation {
            period: period.parse().unwrap(),
            region: "340000".into(),
            industry: industry.into(),
            indicator: "operating_income".into(),
            value: x,
            yoy_pct: g,
            release_date: "2025-01-01".into(),
            source: None,
        }
    }

    fn level(industry: &str, base_value: Option<f64>, target_year: i32) -> Target {
        Target {
            region: "340000".into(),
            industry: industry.into(),
            indicator: "operating_income".into(),
            spec: TargetSpec::Level {
                base_year: 2020,
                base_value,
                target_year,
                target_value: None,
                multiple: Some(2.0),
            },
        }
    }

    fn measures(rows: &[Observation], targets: &[Target], period: &str) -> MeasureTable {
        let p = period.parse::<Period>().unwrap().index();
        MeasureTable::from_frame(
            &compute(
                Inputs {
                    observations: rows,
                    targets,
                    ..Inputs::default()
                },
                p..=p,
            )
            .unwrap(),
        )
        .unwrap()
    }

    fn close(t: &MeasureTable, period: &str, industry: &str, measure: &str, expected: f64) {
        let v = t
            .get(period, "340000", industry, "operating_income", measure)
            .unwrap_or_else(|| panic!("{measure} absent"));
        assert!((v - expected).abs() < 1e-9, "{measure}: expected {expected}, got {v}");
    }

    /// A count goal of the plan, a stock (not accumulating within a year): 260 national
    /// innovation platforms in 2025, from 150 at the end of 2020.
    #[test]
    fn a_stock_count_goal_has_progress_but_no_single_quarter() {
        let stock = |period: &str, x: f64| Observation {
            indicator: "innovation_platforms".into(),
            ..o(period, "TEN", Some(x), None)
        };
        let rows = [
            stock("2020Q4", 150.0),
            stock("2024Q3", 210.0),
            stock("2025Q2", 230.0),
            stock("2025Q3", 240.0),
        ];
        let target = Target {
            indicator: "innovation_platforms".into(),
            spec: TargetSpec::Level {
                base_year: 2020,
                base_value: None,
                target_year: 2025,
                target_value: Some(260.0),
                multiple: None,
            },
            ..level("TEN", None, 2025)
        };
        let p = Period::new(2025, 3).unwrap().index();
        let inputs = Inputs {
            observations: &rows,
            targets: std::slice::from_ref(&target),
            stocks: vec!["innovation_platforms".into()],
            ..Inputs::default()
        };
        let t = MeasureTable::from_frame(&compute(inputs, p..=p).unwrap()).unwrap();
        let get = |m: &str| t.get("2025Q3", "340000", "TEN", "innovation_platforms", m);
        let close = |m: &str, expected: f64| {
            let v = get(m).unwrap_or_else(|| panic!("{m} absent"));
            assert!((v - expected).abs() < 1e-9, "{m}: expected {expected}, got {v}");
        };
        close("ytd", 240.0);
        close("yoy_pct", 14.28571428571428); // 240 / 210 − 1
        close("annual_target", 260.0); // the target year
        close("task_progress_pct", 92.3076923076923); // 240 / 260
        close("progress_gap_pp", 17.307692307692307); // 92.31 − 75
        close("plan_cagr_pct", 11.628841548417412); // (260 / 150)^(1/5) − 1
        // a stock is its own projection: no seasonal extrapolation of a count at period end
        close("projected_annual", 240.0);
        close("projected_attainment_pct", 92.3076923076923);
        // and has no single quarter (240 − 230 would be a difference of stocks, not a flow)
        assert_eq!(get("quarter"), None);
        assert_eq!(get("quarter_yoy_pct"), None);
    }

    /// Operating income doubles 2020 → 2025 from 1,000 (the 2020 Q4 data).
    fn doubling_data() -> Vec<Observation> {
        vec![
            o("2020Q4", "NGIT", Some(1000.0), None),
            o("2022Q3", "NGIT", Some(950.0), None),
            o("2022Q4", "NGIT", Some(1300.0), None),
            o("2023Q3", "NGIT", Some(1100.0), Some(15.0)),
            o("2025Q3", "NGIT", Some(1800.0), Some(9.0)),
            o("2026Q3", "NGIT", Some(2100.0), Some(8.0)),
        ]
    }

    #[test]
    fn the_doubling_path() {
        let t = measures(&doubling_data(), &[level("NGIT", None, 2025)], "2023Q3");
        close(&t, "2023Q3", "NGIT", "plan_cagr_pct", 14.869835499703509); // 2^(1/5) − 1: 14.87 %
        close(&t, "2023Q3", "NGIT", "annual_target", 1515.716566510398); // 1000 × 2^(3/5)
        close(&t, "2023Q3", "NGIT", "task_progress_pct", 72.57293509250918);
        close(&t, "2023Q3", "NGIT", "time_progress_pct", 75.0);
        close(&t, "2023Q3", "NGIT", "progress_gap_pp", -2.4270649074908164);
        close(&t, "2023Q3", "NGIT", "projected_annual", 1505.2631578947369); // 1100 × 1300 / 950
        close(&t, "2023Q3", "NGIT", "projected_attainment_pct", 99.31033223185469);
        close(&t, "2023Q3", "NGIT", "required_cagr_pct", 15.268006344836582); // (2000 / 1505.26)^(1/2) − 1
    }

    #[test]
    fn a_given_base_value_and_the_target_year_itself() {
        // base value given: 900 → target 1800 in 2025
        let t = measures(&doubling_data(), &[level("NGIT", Some(900.0), 2025)], "2025Q3");
        close(&t, "2025Q3", "NGIT", "annual_target", 1800.0);
        close(&t, "2025Q3", "NGIT", "task_progress_pct", 100.0);
        assert_eq!(
            t.get("2025Q3", "340000", "NGIT", "operating_income", "required_cagr_pct"),
            None,
            "no required CAGR in the target year"
        );
        assert_eq!(
            t.get("2025Q3", "340000", "NGIT", "operating_income", "projected_annual"),
            None,
            "no 2024 data for the seasonal profile"
        );
        // after the target year the plan says nothing
        let t = measures(&doubling_data(), &[level("NGIT", None, 2025)], "2026Q3");
        assert_eq!(t.get("2026Q3", "340000", "NGIT", "operating_income", "annual_target"), None);
        assert_eq!(t.get("2026Q3", "340000", "NGIT", "operating_income", "time_progress_pct"), None);
    }

    #[test]
    fn without_base_data_a_level_target_has_no_measures() {
        let rows = vec![o("2023Q3", "NGIT", Some(1100.0), Some(15.0))];
        let t = measures(&rows, &[level("NGIT", None, 2025)], "2023Q3");
        assert_eq!(t.get("2023Q3", "340000", "NGIT", "operating_income", "annual_target"), None);
        assert_eq!(t.get("2023Q3", "340000", "NGIT", "operating_income", "task_progress_pct"), None);
    }

    #[test]
    fn growth_and_share_targets() {
        let rows = vec![
            o("2023Q3", "TOTAL", Some(1000.0), Some(7.5)),
            o("2023Q3", "NGIT", Some(152.0), Some(12.0)),
        ];
        let target = |industry: &str, spec| Target {
            region: "340000".into(),
            industry: String::from(industry),
            indicator: "operating_income".into(),
            spec,
        };
        let targets = vec![
            target("TOTAL", TargetSpec::Growth { year: 2023, pct: 6.0 }),
            // +1 pp a year to 18.7 % in 2025: 16.7 % in 2023
            target(
                "NGIT",
                TargetSpec::SharePath {
                    target_year: 2025,
                    pct: 18.7,
                    pp_per_year: 1.0,
                    base_year: None,
                },
            ),
        ];
        let t = measures(&rows, &targets, "2023Q3");
        close(&t, "2023Q3", "TOTAL", "target_growth_pct", 6.0);
        close(&t, "2023Q3", "TOTAL", "growth_gap_pp", 1.5);
        close(&t, "2023Q3", "NGIT", "target_share_pct", 16.7);
        close(&t, "2023Q3", "NGIT", "share_gap_pp", 15.2 - 16.7);
        // an explicit year overrides the path
        let mut with_explicit = targets.clone();
        with_explicit.push(target("NGIT", TargetSpec::Share { year: 2023, pct: 15.0 }));
        let t = measures(&rows, &with_explicit, "2023Q3");
        close(&t, "2023Q3", "NGIT", "target_share_pct", 15.0);
    }
}
