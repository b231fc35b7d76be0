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

use std::collections::BTreeMap;

use polars::prelude::*;

use super::{QUARTER_SPAN, null_f64, quarter_index, ratio};
use crate::model::catalogue::{TEN, TOTAL};

/// Measures computed only from enterprise records, in output order. The shares of the
/// largest and of the two largest enterprises are what disclosure control judges a cell
/// by (dominance, p %); the first is also the chains' dependence on one enterprise.
pub const ENTERPRISE_MEASURES: &[&str] = &[
    "growth_breadth_pct",
    "loss_ratio_pct",
    "cr4_pct",
    "hhi",
    "top1_share_pct",
    "top2_share_pct",
];
const MONEY: [&str; 3] = ["output_value", "operating_income", "profit"];
/// The figures whose concentration (CR4, HHI) is measured.
const CONCENTRATED: [&str; 2] = ["output_value", "operating_income"];

/// Which records a computation reads, as predicates over the records' `year`, `q` and
/// `region_code` (see [`super::record_selection`]): `levels` for the aggregates, of which
/// `growth` also need the comparable basis — the same enterprises a year earlier,
/// `before`, and `movers`: records outside the focus, read only for enterprises that are
/// in it (`focus`), since an enterprise may have moved; `extra` for the measures only
/// microdata give.
pub struct Selection {
    pub levels: Expr,
    pub growth: Expr,
    /// The quarters some of whose records are in `growth`.
    pub growth_quarters: std::ops::RangeInclusive<i32>,
    pub before: Expr,
    pub movers: Expr,
    pub focus: Expr,
    pub extra: Expr,
}

/// Classes grouped by the set of industries they feed (a few sets, however many
/// classes): (class, set), (set, industry number) and (industry number, industry code)
/// frames, where each set also feeds `TEN` once when any of its industries is a member,
/// and `TOTAL`. Set 0 — a class mapped to no industry — feeds `TOTAL` only. Sets and
/// industries are numbers so that grouping by them is grouping by integers; with the
/// frames come the number of sets and of industries.
fn industry_sets(mapping: &[(String, String)], members: &[String]) -> PolarsResult<([LazyFrame; 3], i64, i64)> {
    let mut by_class: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (class, industry) in mapping {
        let v = by_class.entry(class.as_str()).or_default();
        if !v.contains(&industry.as_str()) {
            v.push(industry.as_str());
        }
    }
    let mut sets: Vec<Vec<&str>> = vec![vec![]];
    let (mut classes, mut class_set) = (Vec::new(), Vec::new());
    for (class, mut industries) in by_class {
        industries.sort_unstable();
        let id = sets.iter().position(|s| *s == industries).unwrap_or_else(|| {
            sets.push(industries);
            sets.len() - 1
        });
        classes.push(class);
        class_set.push(id as u32);
    }
    let mut codes: Vec<&str> = Vec::new();
    let (mut set, mut industry) = (Vec::new(), Vec::new());
    for (id, industries) in sets.iter().enumerate() {
        let ten = industries.iter().any(|i| members.iter().any(|m| m == i));
        for i in industries.iter().copied().chain(ten.then_some(TEN)).chain([TOTAL]) {
            let number = codes.iter().position(|c| *c == i).unwrap_or_else(|| {
                codes.push(i);
                codes.len() - 1
            });
            set.push(id as u32);
            industry.push(number as u32);
        }
    }
    let numbers: Vec<u32> = (0..codes.len() as u32).collect();
    let counts = (sets.len() as i64, codes.len() as i64);
    Ok((
        [
            df!("class_code" => classes, "set" => class_set)?.lazy(),
            df!("set" => set, "industry" => industry)?.lazy(),
            df!("industry" => numbers, "industry_code" => codes)?.lazy(),
        ],
        counts.0,
        counts.1,
    ))
}

/// A record's region (the number `region` of its six-digit code) at each level it counts
/// in: its own code when a county, its city, its province (records are never located at
/// a province).
fn region_levels(frame: LazyFrame) -> PolarsResult<LazyFrame> {
    let region = || col("region");
    concat(
        [
            frame.clone().filter((region() % lit(100)).neq(lit(0))),
            frame.clone().with_column((region() - region() % lit(100)).alias("region")),
            frame.with_column((region() - region() % lit(10_000)).alias("region")),
        ],
        UnionArgs::default(),
    )
}

/// Group keys (region number, a group number below `groups`, quarter) packed into one
/// integer `key`: a group-by on one integer is many times faster than on four columns.
#[derive(Clone, Copy)]
struct Packed {
    groups: i64,
}

impl Packed {
    fn key(self, region: Expr, group: Expr, quarter: Expr) -> Expr {
        ((region.cast(DataType::Int64) * lit(self.groups) + group.cast(DataType::Int64)) * lit(QUARTER_SPAN)
            + quarter.cast(DataType::Int64))
        .alias("key")
    }

    /// `region`, the group (as `name`), `year` and `q` back from `key` (integer division:
    /// every part is non-negative).
    fn unpack(self, name: &str) -> [Expr; 4] {
        let key = || col("key");
        let quarter = || key() % lit(QUARTER_SPAN);
        [
            (key() / lit(self.groups * QUARTER_SPAN)).cast(DataType::Int32).alias("region"),
            (key() / lit(QUARTER_SPAN) % lit(self.groups)).cast(DataType::UInt32).alias(name),
            (quarter() / lit(4i64)).cast(DataType::Int32).alias("year"),
            (quarter() % lit(4i64) + lit(1i64)).cast(DataType::Int32).alias("q"),
        ]
    }
}

/// Numbered industries and regions back to their codes.
fn with_codes(frame: LazyFrame, industries: LazyFrame) -> LazyFrame {
    frame
        .join(industries, [col("industry")], [col("industry")], JoinArgs::new(JoinType::Inner))
        .with_column(col("region").cast(DataType::String).alias("region_code"))
}

/// Aggregates enterprise records: (observation-shaped rows, extra measures in long form).
///
/// Every aggregate but CR4 adds up, so the records are summed once per (region code,
/// industry set, quarter) — one pass over the records, read once, sorted by that key —
/// and those partial sums, a few hundred thousand rows at national scale, are rolled up
/// to each region level and spread over the industries of their set. The comparable
/// basis pairs each record whose growth is wanted with the same enterprise a year
/// earlier, quarter by quarter. CR4 keeps each partial group's four largest values: the
/// four largest of a union are among the four largest of its parts.
pub fn aggregate(
    records: LazyFrame,
    mapping: &[(String, String)],
    members: &[String],
    selection: &Selection,
) -> PolarsResult<(LazyFrame, LazyFrame)> {
    let ([class_sets, set_industries, industries], set_count, industry_count) = industry_sets(mapping, members)?;
    let by_set = Packed { groups: set_count };
    let quarter = quarter_index;
    // Each record whose growth is wanted joined with the same enterprise a year earlier
    // (wherever it was then): present in both years or not.
    let year_earlier = |lf: LazyFrame| {
        lf.select([
            col("enterprise_id"),
            (quarter_index() + lit(4)).alias("quarter"),
            lit(true).alias("in_both"),
            col("output_value").alias("output_value_ly"),
            col("operating_income").alias("operating_income_ly"),
            col("profit").alias("profit_ly"),
        ])
    };
    // The records of the quarters aggregated, read once: the year-earlier side of the
    // comparable basis is among them (all but the movers').
    let levels = records
        .clone()
        .filter(selection.levels.clone())
        .select(
            ["year", "q", "enterprise_id", "region_code", "class_code"]
                .map(col)
                .into_iter()
                .chain(MONEY.map(col))
                .collect::<Vec<_>>(),
        )
        .join(class_sets, [col("class_code")], [col("class_code")], JoinArgs::new(JoinType::Left))
        .with_columns([
            col("set").fill_null(lit(0u32)),
            col("region_code").cast(DataType::Int32).alias("region"),
        ])
        .with_columns([
            by_set.key(col("region"), col("set"), quarter()),
            quarter().alias("quarter"),
            // which parts of the selection each record is in, evaluated once
            selection.growth.clone().alias("in_growth"),
            selection.before.clone().alias("in_before"),
            selection.focus.clone().alias("in_focus"),
            selection.extra.clone().alias("in_extra"),
        ])
        // sorted by the key of their partial sum: a group-by on a sorted key sums slices
        .sort(["key"], SortMultipleOptions::default())
        .collect()?
        .lazy();
    let focus_ids = levels
        .clone()
        .filter(col("in_focus"))
        .select([col("enterprise_id")])
        .unique(None, UniqueKeepStrategy::Any);
    let movers = records.filter(selection.movers.clone()).join(
        focus_ids,
        [col("enterprise_id")],
        [col("enterprise_id")],
        JoinArgs::new(JoinType::Inner),
    );
    let before = concat(
        [year_earlier(levels.clone().filter(col("in_before"))), year_earlier(movers)],
        UnionArgs::default(),
    )?;
    // one join per quarter, on the enterprise alone: a join on one text key is much
    // faster than on three keys
    let before = before.collect()?.lazy();
    let with_growth = concat(
        selection
            .growth_quarters
            .clone()
            .map(|g| {
                levels
                    .clone()
                    .filter(col("in_growth").and(col("quarter").eq(lit(g))))
                    .join(
                        before.clone().filter(col("quarter").eq(lit(g))).drop(cols(["quarter"])),
                        [col("enterprise_id")],
                        [col("enterprise_id")],
                        JoinArgs::new(JoinType::Left),
                    )
                    .with_column(col("in_both").fill_null(lit(false)))
            })
            .collect::<Vec<_>>(),
        UnionArgs::default(),
    )?;

    // Additive partial sums per (region code, industry set, quarter): each term is a
    // column of the records, so every aggregation is a plain sum (the fast path of a
    // group-by; conditions inside an aggregation are not). Terms of levels are summed
    // over every record, terms of the comparable basis over the records whose growth is
    // wanted.
    let flag = |e: Expr| e.cast(DataType::Float64);
    let mut level_terms: Vec<(String, Expr)> = vec![("enterprises__x".into(), lit(1.0))];
    let mut growth_terms: Vec<(String, Expr)> = Vec::new();
    for m in MONEY {
        let ly = format!("{m}_ly");
        let both = col("in_both").and(col(m).is_not_null()).and(col(ly.as_str()).is_not_null());
        let name = |term: &str| format!("{m}__{term}");
        level_terms.push((name("sum"), col(m)));
        level_terms.push((name("count"), flag(col(m).is_not_null())));
        growth_terms.push((name("now"), when(both.clone()).then(col(m)).otherwise(lit(0.0))));
        growth_terms.push((name("base"), when(both.clone()).then(col(ly.as_str())).otherwise(lit(0.0))));
        growth_terms.push((name("both"), flag(both.clone())));
        if CONCENTRATED.contains(&m) {
            level_terms.push((name("sq"), col(m) * col(m)));
            growth_terms.push((name("grew"), flag(both.and(col(m).gt(col(ly.as_str()))))));
        }
    }
    level_terms.push(("losses".into(), flag(col("profit").lt(lit(0.0)))));
    level_terms.push(("with_profit".into(), flag(col("profit").is_not_null())));
    let names = |terms: &[(String, Expr)]| terms.iter().map(|(name, _)| name.clone()).collect::<Vec<_>>();
    let (level_names, growth_names) = (names(&level_terms), names(&growth_terms));
    let additive: Vec<String> = level_names.iter().chain(&growth_names).cloned().collect();
    let by_industry = Packed { groups: industry_count };
    let keys = || vec![col("region_code"), col("industry_code"), col("year"), col("q")];
    // Each group's terms are summed in ascending order of value: a float sum depends on
    // the order of its terms, and the order rows reach a group (after joins, hashed
    // group-bys and concatenations on several threads) differs from run to run; sorted,
    // the same data give the same bits every time. (The slice keeps the optimizer from
    // dropping the sort: a sum alone does not observe order.)
    let sum_of = |names: &[String]| {
        names
            .iter()
            .map(|c| col(c.as_str()).sort(SortOptions::default()).head(Some(usize::MAX)).sum())
            .collect::<Vec<_>>()
    };
    let sums = || sum_of(&additive);
    let part_sums = |lf: LazyFrame, terms: Vec<(String, Expr)>, names: &[String]| {
        lf.with_columns(terms.into_iter().map(|(name, e)| e.alias(name)).collect::<Vec<_>>())
            .group_by([col("key")])
            .agg(sum_of(names))
    };
    let parts = part_sums(levels.clone(), level_terms, &level_names)
        .join(
            part_sums(with_growth, growth_terms, &growth_names),
            [col("key")],
            [col("key")],
            JoinArgs::new(JoinType::Left),
        )
        .with_columns(growth_names.iter().map(|c| col(c.as_str()).fill_null(lit(0.0))).collect::<Vec<_>>())
        .with_columns(by_set.unpack("set"))
        .collect()?;
    let parts = parts.lazy();
    // Rolled up level by level (county parts, then city, then province), each level a
    // group-by of the one below, then spread over the industries of each set.
    let region = || col("region");
    let roll_up = |lf: LazyFrame, unit: i32| {
        lf.group_by([by_set.key(region() - region() % lit(unit), col("set"), quarter())])
            .agg(sums())
            .with_columns(by_set.unpack("set"))
    };
    let cities = roll_up(parts.clone(), 100).collect()?.lazy();
    let every_level = concat(
        [
            parts.filter((region() % lit(100)).neq(lit(0))),
            cities.clone(),
            roll_up(cities, 10_000),
        ],
        UnionArgs::default(),
    )?;
    // partial groups spread over the industries of their set, and aggregated per industry
    let by_industries = |lf: LazyFrame, aggregates: Vec<Expr>| {
        lf.join(set_industries.clone(), [col("set")], [col("set")], JoinArgs::new(JoinType::Inner))
            .group_by([by_industry.key(region(), col("industry"), quarter())])
            .agg(aggregates)
            .with_columns(by_industry.unpack("industry"))
    };
    let groups = by_industries(every_level, sums());
    let groups = with_codes(groups, industries.clone()).with_columns(
        MONEY
            .iter()
            .map(|m| {
                when(col(format!("{m}__count")).gt(lit(0.0)))
                    .then(col(format!("{m}__sum")))
                    .otherwise(null_f64())
                    .alias(format!("{m}__x"))
            })
            .collect::<Vec<_>>(),
    );
    // aggregate-sized, and read by the observations and the extra measures
    let groups = groups.collect()?.lazy();

    // CR4: the four largest of each partial group, then of each rolled-up group.
    let largest = |m: &str| {
        col(m)
            .sort(SortOptions::default().with_order_descending(true).with_nulls_last(true))
            .head(Some(4))
    };
    let top_parts = levels
        .filter(col("in_extra"))
        .group_by([col("key")])
        .agg(CONCENTRATED.map(largest))
        .with_columns(by_set.unpack("set"))
        .explode(
            cols(CONCENTRATED),
            ExplodeOptions {
                empty_as_null: false,
                keep_nulls: false,
            },
        );
    // the largest, the two largest and the four largest of each group
    let tops = |m: &str| {
        [1usize, 2, 4].map(|n| {
            col(m)
                .sort(SortOptions::default().with_order_descending(true).with_nulls_last(true))
                .head(Some(n))
                .sum()
                .alias(format!("{m}__top{n}"))
        })
    };
    let top4 = by_industries(region_levels(top_parts)?, CONCENTRATED.iter().flat_map(|m| tops(m)).collect()).select(
        [col("region"), col("industry"), col("year"), col("q")]
            .into_iter()
            .chain(CONCENTRATED.iter().flat_map(|m| [1, 2, 4].map(|n| col(format!("{m}__top{n}")))))
            .collect::<Vec<_>>(),
    );
    let top4 = with_codes(top4, industries).drop(cols(["region", "industry"]));
    let extra_groups = groups
        .clone()
        .filter(selection.extra.clone())
        .join(top4, keys(), keys(), JoinArgs::new(JoinType::Left));
    let extra_groups = extra_groups.collect()?.lazy();

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
        extra_groups.clone().select(
            [col("year"), col("q"), col("region_code"), col("industry_code")]
                .into_iter()
                .chain([
                    lit(indicator.to_string()).alias("indicator"),
                    lit(measure.to_string()).alias("measure"),
                    lit(super::measure_order(measure)).alias("m_order"),
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
        if CONCENTRATED.contains(&m) {
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
            for n in [1, 2] {
                extra.push(long(
                    m,
                    &format!("top{n}_share_pct"),
                    when(c("x").gt(lit(0.0)))
                        .then(c(&format!("top{n}")) * lit(100.0) / c("x"))
                        .otherwise(null_f64()),
                ));
            }
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
    use crate::model::period::Period;
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
        close(&t, "340000", "TOTAL", "output_value", "top1_share_pct", 100.0 * 100.0 / 205.0);
        close(&t, "340000", "TOTAL", "output_value", "top2_share_pct", 100.0 * 150.0 / 205.0);
        close(&t, "340100", "NGIT", "output_value", "top2_share_pct", 100.0 * 150.0 / 180.0); // 100 + 50 of 180
    }
}

#[cfg(test)]
mod focus_tests {
    //! The focus (history for one province, the last quarter for every region) must give
    //! exactly the values of computing every region over every quarter.
    use super::super::{Inputs, compute};
    use crate::model::period::Period;
    use polars::prelude::*;

    /// Twelve enterprises in Anhui and Guangdong, every quarter of 2022–2025Q3, with
    /// entries, exits, a loss-maker and one enterprise that moves from Guangzhou to Hefei.
    fn records() -> LazyFrame {
        let (mut year, mut q, mut id, mut region, mut class) = (vec![], vec![], vec![], vec![], vec![]);
        let (mut output, mut income, mut profit) = (vec![], vec![], vec![]);
        let counties = ["340102", "340103", "340202", "440103", "440104", "440303"];
        let classes = ["3971", "3562", "1310", "3311"];
        for p in Period::new(2022, 1).unwrap().index()..=Period::new(2025, 3).unwrap().index() {
            let period = Period::from_index(p).unwrap();
            for e in 0..12usize {
                // E10 enters in 2023, E11 leaves after 2023
                if (e == 10 && period.year() < 2023) || (e == 11 && period.year() > 2023) {
                    continue;
                }
                let county = if e == 9 {
                    if period.year() >= 2025 { "340102" } else { "440103" }
                } else {
                    counties[e % counties.len()]
                };
                // each enterprise its own growth, so that no two regions' rates tie exactly
                let scale =
                    (1.0 + e as f64) * (1.0 + (0.03 + 0.011 * e as f64) * f64::from(period.year() - 2022)) * f64::from(period.quarter());
                year.push(period.year());
                q.push(i32::from(period.quarter()));
                id.push(format!("E{e}"));
                region.push(county);
                class.push(classes[e % classes.len()]);
                output.push(Some(scale * 10.0 + (e * p as usize % 7) as f64));
                income.push(Some(scale * 9.0));
                profit.push(Some(if e == 4 { -scale } else { scale * 0.5 }));
            }
        }
        df!(
            "year" => year, "q" => q, "enterprise_id" => id, "region_code" => region, "class_code" => class,
            "output_value" => output, "operating_income" => income, "profit" => profit,
        )
        .unwrap()
        .lazy()
    }

    fn run(focus: Option<&str>) -> DataFrame {
        let to = Period::new(2025, 3).unwrap().index();
        run_range(focus, (to - 8)..=to)
    }

    fn run_range(focus: Option<&str>, periods: std::ops::RangeInclusive<i32>) -> DataFrame {
        let mapping: Vec<(String, String)> = [("3971", "NGIT"), ("3562", "NGIT"), ("3562", "HEM"), ("1310", "GFD")]
            .iter()
            .map(|(c, i)| (c.to_string(), i.to_string()))
            .collect();
        let inputs = Inputs {
            enterprises: Some(records()),
            mapping: &mapping,
            members: ["NGIT", "HEM", "GFD"].map(String::from).to_vec(),
            focus: focus.map(str::to_string),
            ..Inputs::default()
        };
        compute(inputs, periods).unwrap()
    }

    /// Rows as (key texts, value), for comparing two tables whatever their order.
    fn keyed(df: &DataFrame) -> std::collections::BTreeMap<[String; 5], f64> {
        let text = |c: &str| df.column(c).unwrap().str().unwrap().clone();
        let keys = ["period", "region_code", "industry_code", "indicator", "measure"].map(text);
        let value = df.column("value").unwrap().f64().unwrap();
        (0..df.height())
            .map(|i| (std::array::from_fn(|k| keys[k].get(i).unwrap().to_string()), value.get(i).unwrap()))
            .collect()
    }

    #[test]
    fn a_quarter_computed_alone_has_the_values_it_has_in_a_longer_range() {
        // Computed alone, a quarter's stages drop every row but the few quarters it reads;
        // in a range of nine, they keep the others' too. The values must not differ.
        let to = Period::new(2025, 3).unwrap().index();
        let long = keyed(&run_range(None, (to - 8)..=to));
        for p in [to, to - 2, to - 5] {
            let alone = keyed(&run_range(None, p..=p));
            let period = Period::from_index(p).unwrap().to_string();
            let same_quarter: Vec<_> = long.iter().filter(|(k, _)| k[0] == period).collect();
            assert!(alone.len() > 100, "{period}: a real table ({} rows)", alone.len());
            assert_eq!(alone.len(), same_quarter.len(), "{period}: the same rows");
            for (k, v) in same_quarter {
                let a = alone.get(k).unwrap_or_else(|| panic!("{k:?} absent when computed alone"));
                assert!((a - v).abs() <= 1e-12 * v.abs().max(1.0), "{k:?}: {a} alone vs {v}");
            }
        }
    }

    #[test]
    fn the_focus_gives_every_value_of_the_full_computation_it_keeps() {
        let full = run(None);
        let focused = run(Some("34"));
        let wanted = full
            .clone()
            .lazy()
            .filter(col("period").eq(lit("2025Q3")).or(col("region_code").str().starts_with(lit("34"))))
            .collect()
            .unwrap();
        assert!(focused.height() > 500, "a real table: {} rows", focused.height());
        assert_eq!(focused.height(), wanted.height(), "the same rows");
        for c in ["period", "region_code", "industry_code", "indicator", "measure"] {
            assert!(
                focused.column(c).unwrap().equals(wanted.column(c).unwrap()),
                "the same rows in the same order ({c})"
            );
        }
        let (a, b) = (
            focused.column("value").unwrap().f64().unwrap(),
            wanted.column("value").unwrap().f64().unwrap(),
        );
        for (i, (x, y)) in a.iter().zip(b.iter()).enumerate() {
            let (x, y) = (x.unwrap(), y.unwrap());
            // the same sums, perhaps added in another order
            assert!(
                (x - y).abs() <= 1e-12 * x.abs().max(1.0),
                "row {i}: {x} vs {y}: {:?}",
                focused.get_row(i).unwrap()
            );
        }
        // the history is Anhui's only; Guangdong has the last quarter
        let guangdong_history = focused
            .clone()
            .lazy()
            .filter(
                col("region_code")
                    .str()
                    .starts_with(lit("44"))
                    .and(col("period").neq(lit("2025Q3"))),
            )
            .collect()
            .unwrap();
        assert_eq!(guangdong_history.height(), 0);
        assert!(full.height() > focused.height(), "the full computation has Guangdong's history");
    }
}
