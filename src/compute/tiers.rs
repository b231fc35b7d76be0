//! Scale tiers: how many of the member industries of a region are on course for a scale
//! tier this year — 千亿级 (CNY 100 bn, 1,000 亿元) or 万亿级 (CNY 1 tn) industries of the
//! plan. An industry is counted when its projected annual value of the tier's indicator
//! (domain.md: `projected_annual`, Q4 itself, else last year's seasonal profile) is at or
//! above the threshold. The counts become observations of their own indicator (industry
//! `TEN`, a stock) before the measures are computed, so a level target on a count gives
//! progress like any other indicator.

use polars::prelude::*;

use super::{keys_and, left_join, null_f64};
use crate::model::catalogue::TEN;

/// A scale tier: its count is exported under `code`.
#[derive(Debug, Clone, PartialEq)]
pub struct Tier {
    pub code: String,
    /// The indicator whose projected annual value is compared (money, in 亿元).
    pub indicator: String,
    /// In the indicator's canonical unit (亿元 for money).
    pub threshold: f64,
}

/// Observation rows (the schema of [`super::observations_frame`]) with each tier's count
/// per region and period; a region and period where no member industry has a projection
/// has no count (absent, not zero).
pub(crate) fn tier_counts(obs: &LazyFrame, tiers: &[Tier], members: &[String]) -> PolarsResult<Vec<LazyFrame>> {
    let member = members
        .iter()
        .fold(lit(false), |any, m| any.or(col("industry_code").eq(lit(m.as_str()))));
    tiers
        .iter()
        .map(|tier| {
            let base = obs
                .clone()
                .filter(col("indicator").eq(lit(tier.indicator.as_str())).and(member.clone()));
            let year_ago = base.clone().select([
                col("region_code"),
                col("industry_code"),
                col("indicator"),
                (col("p") + lit(4)).alias("p"),
                col("x").alias("x_ly"),
            ]);
            let last_q4 = base.clone().filter(col("q").eq(lit(4))).select([
                col("region_code"),
                col("industry_code"),
                col("indicator"),
                (col("year") + lit(1)).alias("year"),
                col("x").alias("x_q4ly"),
            ]);
            let projected = left_join(
                left_join(base, year_ago, keys_and(&["p"]), keys_and(&["p"])),
                last_q4,
                keys_and(&["year"]),
                keys_and(&["year"]),
            )
            .with_column(
                when(col("q").eq(lit(4)))
                    .then(col("x"))
                    .when(col("x_ly").gt(lit(0.0)))
                    .then(col("x") * col("x_q4ly") / col("x_ly"))
                    .otherwise(null_f64())
                    .alias("projected"),
            );
            let counts = projected
                .group_by([col("region_code"), col("year"), col("q"), col("p"), col("parent"), col("is_city")])
                .agg([
                    col("projected").gt_eq(lit(tier.threshold)).cast(DataType::Float64).sum().alias("x"),
                    col("projected").count().alias("known"),
                ])
                .filter(col("known").gt(lit(0)))
                .select([
                    col("region_code"),
                    lit(TEN).alias("industry_code"),
                    lit(tier.code.as_str()).alias("indicator"),
                    col("year"),
                    col("q"),
                    col("parent"),
                    col("is_city"),
                    col("x"),
                    null_f64().alias("g_pub"),
                    col("p"),
                ]);
            Ok(counts)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    //! Worked cases computed by hand.
    use super::super::{Inputs, MeasureTable, compute};
    use super::Tier;
    use crate::model::observation::Observation;
    use crate::model::period::Period;

    fn o(period: &str, region: &str, industry: &str, x: f64) -> Observation {
        Observation {
            period: period.parse().unwrap(),
            region: region.into(),
            industry: industry.into(),
            indicator: "operating_income".into(),
            value: Some(x),
            yoy_pct: None,
            release_date: "2025-01-01".into(),
            source: None,
        }
    }

    fn tiers() -> Vec<Tier> {
        vec![
            Tier {
                code: "industries_100bn".into(),
                indicator: "operating_income".into(),
                threshold: 1000.0,
            },
            Tier {
                code: "industries_1tn".into(),
                indicator: "operating_income".into(),
                threshold: 10000.0,
            },
        ]
    }

    fn counts(rows: &[Observation], period: &str) -> MeasureTable {
        let p = period.parse::<Period>().unwrap().index();
        let inputs = Inputs {
            observations: rows,
            members: ["NGIT", "NEV", "HEM", "NMAT"].map(String::from).to_vec(),
            tiers: tiers(),
            stocks: vec!["industries_100bn".into(), "industries_1tn".into()],
            ..Inputs::default()
        };
        MeasureTable::from_frame(&compute(inputs, p..=p).unwrap()).unwrap()
    }

    #[test]
    fn an_industry_projected_exactly_at_the_threshold_counts() {
        let rows = [
            // Q4: the year itself — exactly 1,000 亿元 counts
            o("2024Q4", "340000", "NGIT", 1000.0),
            // just under: 999.99 does not
            o("2024Q4", "340000", "NEV", 999.99),
            // a member without data is not counted (and does not make the count absent)
            // TOTAL is not a member: never counted, however large
            o("2024Q4", "340000", "TOTAL", 50000.0),
            // Hefei: no member industry has data: no count at all
            o("2024Q4", "340100", "TOTAL", 3000.0),
        ];
        let t = counts(&rows, "2024Q4");
        let get = |region: &str, code: &str| t.get("2024Q4", region, "TEN", code, "ytd");
        assert_eq!(get("340000", "industries_100bn"), Some(1.0));
        assert_eq!(
            get("340000", "industries_1tn"),
            Some(0.0),
            "zero, not absent: there are projections"
        );
        assert_eq!(get("340100", "industries_100bn"), None, "absent: nothing to project");
    }

    #[test]
    fn the_count_uses_last_years_seasonal_profile_before_q4() {
        let rows = [
            // HEM: 600 by Q3; last year 500 by Q3 and 900 in all → 600 × 900 / 500 = 1080
            o("2024Q3", "340000", "HEM", 500.0),
            o("2024Q4", "340000", "HEM", 900.0),
            o("2025Q3", "340000", "HEM", 600.0),
            // NMAT: 800 by Q3; last year 800 by Q3, 990 in all → 990: under
            o("2024Q3", "340000", "NMAT", 800.0),
            o("2024Q4", "340000", "NMAT", 990.0),
            o("2025Q3", "340000", "NMAT", 800.0),
            // NGIT: 700 by Q3 and no data a year earlier: no projection, not counted
            o("2025Q3", "340000", "NGIT", 700.0),
        ];
        let t = counts(&rows, "2025Q3");
        assert_eq!(t.get("2025Q3", "340000", "TEN", "industries_100bn", "ytd"), Some(1.0));
        assert_eq!(t.get("2025Q3", "340000", "TEN", "industries_100bn", "quarter"), None, "a stock");
    }
}
