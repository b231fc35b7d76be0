//! Aggregates of enterprise records (domain.md "Enterprise records"), lazily. No I/O.
//!
//! Input: a lazy frame of records in canonical units — `year`, `q`, `enterprise_id`,
//! `region_code` (county or city), `class_code`, `output_value`, `operating_income`,
//! `profit` — typically a scan of the store's Parquet files, and the class mapping.
//! Each record is attributed to every industry its class feeds, to `TEN` once (when any
//! of its industries is a member) and to `TOTAL`; and to its county, city and province.
//!
//! Output: (1) observation-shaped aggregates (`x` = year-to-date sum or count, `g_pub` =
//! growth on the comparable basis, i.e. over enterprises present in both t and t−4), which
//! then feed every other measure exactly as published aggregates do; (2) the measures
//! only microdata can give — `growth_breadth_pct`, `loss_ratio_pct`, `cr4_pct`, `hhi`.

use polars::prelude::*;

use super::{null_f64, ratio};
use crate::catalogue::{TEN, TOTAL};

/// Measures computed only from enterprise records, in output order.
pub const ENTERPRISE_MEASURES: &[&str] = &["growth_breadth_pct", "loss_ratio_pct", "cr4_pct", "hhi"];
const MONEY: [&str; 3] = ["output_value", "operating_income", "profit"];

/// The records expanded to every (region level, industry) they count in.
fn attributed(records: LazyFrame, mapping: &[(String, String)], members: &[String]) -> PolarsResult<LazyFrame> {
    let classes: Vec<&str> = mapping.iter().map(|m| m.0.as_str()).collect();
    let industries: Vec<&str> = mapping.iter().map(|m| m.1.as_str()).collect();
    let member: Vec<bool> = mapping.iter().map(|m| members.contains(&m.1)).collect();
    let map = df!("class_code" => classes, "industry_code" => industries, "member" => member)?.lazy();
    // Each record joined with itself a year earlier: present in both years or not.
    let before = records.clone().select([
        col("enterprise_id"),
        (col("year") + lit(1)).alias("year"),
        col("q"),
        lit(true).alias("in_both"),
        col("output_value").alias("output_value_ly"),
        col("operating_income").alias("operating_income_ly"),
        col("profit").alias("profit_ly"),
    ]);
    let on = || vec![col("enterprise_id"), col("year"), col("q")];
    let records = records
        .join(before, on(), on(), JoinArgs::new(JoinType::Left))
        .with_column(col("in_both").fill_null(lit(false)));
    let mapped = records
        .clone()
        .join(map, [col("class_code")], [col("class_code")], JoinArgs::new(JoinType::Inner));
    let ten = mapped
        .clone()
        .filter(col("member"))
        .unique(Some(cols(["enterprise_id", "year", "q"])), UniqueKeepStrategy::First)
        .with_column(lit(TEN).alias("industry_code"));
    let total = records.with_column(lit(TOTAL).alias("industry_code"));
    let by_industry = concat(
        [mapped.drop(cols(["member"])), ten.drop(cols(["member"])), total],
        UnionArgs::default(),
    )?;
    // Region levels: the record's own code, its city (for a county), its province.
    let region = col("region_code");
    let city = concat_str([region.clone().str().slice(lit(0), lit(4)), lit("00")], "", false);
    let province = concat_str([region.clone().str().slice(lit(0), lit(2)), lit("0000")], "", false);
    let is_county = region.clone().str().ends_with(lit("00")).not();
    let is_province = region.clone().str().ends_with(lit("0000"));
    concat(
        [
            by_industry.clone(),
            by_industry.clone().filter(is_county).with_column(city.alias("region_code")),
            by_industry.filter(is_province.not()).with_column(province.alias("region_code")),
        ],
        UnionArgs::default(),
    )
}

/// Aggregates enterprise records: (observation-shaped rows, extra measures in long form).
pub fn aggregate(records: LazyFrame, mapping: &[(String, String)], members: &[String]) -> PolarsResult<(LazyFrame, LazyFrame)> {
    let rows = attributed(records, mapping, members)?;
    let mut aggs = vec![col("enterprise_id").n_unique().cast(DataType::Float64).alias("enterprises__x")];
    for m in MONEY {
        let ly = format!("{m}_ly");
        let both = col("in_both").and(col(m).is_not_null()).and(col(ly.as_str()).is_not_null());
        aggs.push(
            when(col(m).count().gt(lit(0)))
                .then(col(m).sum())
                .otherwise(null_f64())
                .alias(format!("{m}__x")),
        );
        aggs.push(col(m).filter(both.clone()).sum().alias(format!("{m}__now")));
        aggs.push(col(ly.as_str()).filter(both.clone()).sum().alias(format!("{m}__base")));
        aggs.push(both.clone().cast(DataType::Float64).sum().alias(format!("{m}__both")));
        aggs.push(
            both.and(col(m).gt(col(ly.as_str())))
                .cast(DataType::Float64)
                .sum()
                .alias(format!("{m}__grew")),
        );
        aggs.push(
            col(m)
                .sort(SortOptions::default().with_order_descending(true).with_nulls_last(true))
                .head(Some(4))
                .sum()
                .alias(format!("{m}__top4")),
        );
        aggs.push(col(m).pow(lit(2.0)).sum().alias(format!("{m}__sq")));
    }
    aggs.push(col("profit").lt(lit(0.0)).cast(DataType::Float64).sum().alias("losses"));
    aggs.push(col("profit").count().cast(DataType::Float64).alias("with_profit"));
    let groups = rows
        .group_by([col("region_code"), col("industry_code"), col("year"), col("q")])
        .agg(aggs)
        .cache();

    let keys = || vec![col("region_code"), col("industry_code"), col("year"), col("q")];
    let mut observations = vec![
        groups.clone().select(
            keys()
                .into_iter()
                .chain([
                    lit("enterprises").alias("indicator"),
                    col("enterprises__x").alias("x"),
                    null_f64().alias("g_pub"),
                ])
                .collect::<Vec<_>>(),
        ),
    ];
    let mut extra = Vec::new();
    let long = |indicator: &str, measure: &str, value: Expr| {
        groups.clone().select(
            [col("year"), col("q"), col("region_code"), col("industry_code")]
                .into_iter()
                .chain([
                    lit(indicator.to_string()).alias("indicator"),
                    lit(measure.to_string()).alias("measure"),
                    value.alias("value"),
                ])
                .collect::<Vec<_>>(),
        )
    };
    for m in MONEY {
        let c = |s: &str| col(format!("{m}__{s}"));
        let growth = when(c("base").gt(lit(0.0)))
            .then((c("now") / c("base") - lit(1.0)) * lit(100.0))
            .otherwise(null_f64());
        observations.push(
            groups.clone().select(
                keys()
                    .into_iter()
                    .chain([lit(m).alias("indicator"), c("x").alias("x"), growth.alias("g_pub")])
                    .collect::<Vec<_>>(),
            ),
        );
        if m != "profit" {
            extra.push(long(m, "growth_breadth_pct", ratio(c("grew") * lit(100.0), c("both"))));
            extra.push(long(
                m,
                "cr4_pct",
                when(c("x").gt(lit(0.0)))
                    .then(c("top4") * lit(100.0) / c("x"))
                    .otherwise(null_f64()),
            ));
            extra.push(long(
                m,
                "hhi",
                when(c("x").gt(lit(0.0)))
                    .then(c("sq") * lit(10_000.0) / (c("x") * c("x")))
                    .otherwise(null_f64()),
            ));
        }
    }
    extra.push(long(
        "profit",
        "loss_ratio_pct",
        ratio(col("losses") * lit(100.0), col("with_profit")),
    ));
    let extra = concat(extra, UnionArgs::default())?.filter(col("value").is_not_null());
    Ok((concat(observations, UnionArgs::default())?, extra))
}

#[cfg(test)]
mod tests {
    //! Worked cases: five enterprises in Anhui, 2024Q3 and 2025Q3; numbers by hand.
    use super::super::{Inputs, MeasureTable, compute};
    use crate::period::Period;
    use polars::prelude::*;

    fn records() -> LazyFrame {
        // (year, id, region, class, output, income, profit)
        let rows: &[(i32, &str, &str, &str, f64, f64, f64)] = &[
            (2025, "E1", "340102", "3971", 100.0, 90.0, 5.0),
            (2024, "E1", "340102", "3971", 80.0, 70.0, 4.0),
            (2025, "E2", "340102", "3562", 50.0, 45.0, -2.0), // class 3562 feeds NGIT and HEM
            (2024, "E2", "340102", "3562", 60.0, 55.0, 1.0),
            (2025, "E3", "340103", "3971", 30.0, 25.0, 1.0), // entered the roster in 2025
            (2024, "E4", "340104", "1310", 40.0, 35.0, 2.0), // left the roster in 2025
            (2025, "E5", "340200", "3311", 20.0, 18.0, 3.0), // city-coded, unmapped class: TOTAL only
            (2024, "E5", "340200", "3311", 10.0, 9.0, 2.0),
            (2025, "E6", "340200", "3311", 5.0, 4.0, 0.5),
        ];
        df!(
            "year" => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            "q" => vec![3i32; rows.len()],
            "enterprise_id" => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
            "region_code" => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
            "class_code" => rows.iter().map(|r| r.3).collect::<Vec<_>>(),
            "output_value" => rows.iter().map(|r| Some(r.4)).collect::<Vec<_>>(),
            "operating_income" => rows.iter().map(|r| Some(r.5)).collect::<Vec<_>>(),
            "profit" => rows.iter().map(|r| Some(r.6)).collect::<Vec<_>>(),
        )
        .unwrap()
        .lazy()
    }

    fn table() -> MeasureTable {
        let mapping: Vec<(String, String)> = [("3971", "NGIT"), ("3562", "NGIT"), ("3562", "HEM"), ("1310", "GFD")]
            .iter()
            .map(|(c, i)| (c.to_string(), i.to_string()))
            .collect();
        let members = ["NGIT", "HEM", "GFD"].map(String::from).to_vec();
        let p = Period::new(2025, 3).unwrap().index();
        let inputs = Inputs {
            enterprises: Some(records()),
            mapping: &mapping,
            members,
            ..Inputs::default()
        };
        MeasureTable::from_frame(&compute(inputs, p..=p).unwrap()).unwrap()
    }

    fn close(t: &MeasureTable, region: &str, industry: &str, indicator: &str, measure: &str, expected: f64) {
        let v = t
            .get("2025Q3", region, industry, indicator, measure)
            .unwrap_or_else(|| panic!("{region} {industry} {indicator} {measure} absent"));
        assert!(
            (v - expected).abs() < 1e-9,
            "{region} {industry} {indicator} {measure}: expected {expected}, got {v}"
        );
    }

    #[test]
    fn comparable_growth_excludes_entries_and_exits() {
        let t = table();
        // Hefei NGIT: E1, E2 (from county 340102) and E3 (340103, entered)
        close(&t, "340100", "NGIT", "output_value", "ytd", 180.0);
        // comparable: E1 + E2 only: 150 / 140 − 1 (not 180 / 140 − 1)
        close(&t, "340100", "NGIT", "output_value", "yoy_pct", 7.14285714285714);
        close(&t, "340100", "NGIT", "enterprises", "ytd", 3.0);
        // Hefei TOTAL: E4 left the roster; it is not in the comparable base either
        close(&t, "340100", "TOTAL", "output_value", "yoy_pct", 7.14285714285714);
        // the province: E1, E2, E5 comparable: 170 / 150 − 1
        close(&t, "340000", "TOTAL", "output_value", "yoy_pct", 13.33333333333333);
        close(&t, "340000", "TOTAL", "enterprises", "ytd", 5.0);
        // the county level exists too
        close(&t, "340102", "NGIT", "output_value", "ytd", 150.0);
        assert!(
            t.get("2025Q3", "340104", "GFD", "output_value", "ytd").is_none(),
            "E4 left: no 2025 row"
        );
    }

    #[test]
    fn one_class_feeding_two_industries_and_ten_counting_each_enterprise_once() {
        let t = table();
        close(&t, "340100", "HEM", "output_value", "ytd", 50.0);
        close(&t, "340100", "HEM", "output_value", "yoy_pct", -16.666666666666664);
        // TEN: E1, E2, E3 once each (E2 feeds two members): 180, not 230
        close(&t, "340100", "TEN", "output_value", "ytd", 180.0);
        close(&t, "340100", "TEN", "enterprises", "ytd", 3.0);
        // shares use the aggregates like any published figure: TEN is all of Hefei's industry
        close(&t, "340100", "TEN", "output_value", "share_pct", 100.0);
    }

    #[test]
    fn breadth_loss_ratio_concentration() {
        let t = table();
        close(&t, "340100", "NGIT", "output_value", "growth_breadth_pct", 50.0); // E1 grew, E2 fell
        close(&t, "340100", "NGIT", "profit", "loss_ratio_pct", 100.0 / 3.0); // E2 made a loss
        close(&t, "340100", "NGIT", "output_value", "cr4_pct", 100.0); // fewer than four: all of them
        close(&t, "340100", "NGIT", "output_value", "hhi", 4135.802469135802); // 10⁴ × (100² + 50² + 30²) / 180²
        close(&t, "340000", "TOTAL", "output_value", "cr4_pct", 97.5609756097561); // (100+50+30+20) / 205
    }
}
