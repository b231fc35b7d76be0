//! Aggregates of enterprise records (domain.md "Enterprise records"), lazily. No I/O.
//!
//! In two steps. [`partials`]: records in canonical units — `year`, `q`,
//! `enterprise_id`, `region_code` (county or city), `class_code`, `output_value`,
//! `operating_income`, `profit` — are summed per (quarter, region, class, chain leader)
//! into additive terms and their largest values; the store keeps these beside the records
//! when they are loaded. [`aggregate`]: the partials of the quarters a run reads, with
//! the class mapping, give every aggregate: each class is attributed to every industry it
//! feeds, to `TEN` once (when any of its industries is a member) and to `TOTAL`; each
//! region to its county, city and province.
//!
//! Output: (1) observation-shaped aggregates (`x` = year-to-date sum or count, `g_pub` =
//! growth on the comparable basis, i.e. over enterprises present in both t and t−4), which
//! then feed every other measure exactly as published aggregates do; (2) the measures
//! only microdata can give — `growth_breadth_pct`, `loss_ratio_pct`, `cr4_pct`, `hhi`.

use std::collections::BTreeMap;

use polars::prelude::*;

use rustc_hash::FxHashMap;

use super::sums::{Largest, Sums};
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

/// Which partials a computation reads, as predicates over their `quarter` (period index)
/// and `region` (the six-digit code as a number; see [`super::partial_selection`]):
/// `levels` for the aggregates, of which `extra` also for the measures only microdata
/// give.
pub struct Selection {
    pub levels: Expr,
    pub extra: Expr,
}

/// Classes grouped by the set of industries they feed (a few sets, however many
/// classes): each class's set (a frame), each set's industries, each industry's code,
/// where each set also feeds `TEN` once when any of its industries is a member, and
/// `TOTAL`. Set 0 — a class mapped to no industry — feeds `TOTAL` only. Sets and
/// industries are numbers so that grouping by them is grouping by integers.
fn industry_sets(mapping: &[(String, String)], members: &[String]) -> PolarsResult<IndustrySets> {
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
    let mut set_industries = vec![Vec::new(); sets.len()];
    for (s, i) in set.iter().zip(&industry) {
        set_industries[*s as usize].push(*i);
    }
    Ok(IndustrySets {
        class_sets: df!("class_code" => classes, "set" => class_set)?.lazy(),
        set_industries,
        codes: codes.into_iter().map(str::to_string).collect(),
    })
}

/// What [`industry_sets`] numbers: each class's set, each set's industries (numbers),
/// each industry number's code.
struct IndustrySets {
    class_sets: LazyFrame,
    set_industries: Vec<Vec<u32>>,
    codes: Vec<String>,
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

    /// [`Packed::key`] of numbers.
    fn pack(self, region: i64, group: i64, quarter: i64) -> i64 {
        (region * self.groups + group) * QUARTER_SPAN + quarter
    }

    fn region(self, key: i64) -> i64 {
        key / (self.groups * QUARTER_SPAN)
    }

    fn group(self, key: i64) -> i64 {
        key / QUARTER_SPAN % self.groups
    }

    fn quarter(self, key: i64) -> i64 {
        key % QUARTER_SPAN
    }

    /// The key with its region replaced.
    fn with_region(self, key: i64, region: i64) -> i64 {
        self.pack(region, self.group(key), self.quarter(key))
    }
}

/// The quarters whose records [`partials`] of `quarters` read: each, and a year earlier.
pub fn partial_inputs(quarters: &[i32]) -> std::collections::BTreeSet<i32> {
    quarters.iter().flat_map(|q| [*q, *q - 4]).collect()
}

/// The partial aggregates of enterprise records of `quarters` (period indices), kept in
/// the store beside the records: one row per (quarter, region code, class, leader) with
/// every additive term of the aggregates and the four largest values of the concentrated
/// figures (see the module's description).
///
/// `records` holds the records of `quarters` and of a year before each (see
/// [`partial_inputs`]), in canonical units, one per enterprise and quarter. Each record
/// is paired with the same enterprise's record a year earlier, wherever it was then
/// (another region, another class): present in both years or not — the comparable basis.
/// `leaders` are the chain leaders' credit codes: each leader's records keep a group of
/// their own (`leader`, its 1-based place in `leaders`; 0 for every other enterprise), so
/// that a chain's leaders and the rest can be told apart without the records.
///
/// The terms of a group are summed in ascending order of value, so the same records give
/// the same bits whatever order they come in.
pub fn partials(records: LazyFrame, quarters: &[i32], leaders: &[String]) -> PolarsResult<DataFrame> {
    let wanted: Vec<i32> = partial_inputs(quarters).into_iter().collect();
    let records = records
        .select(
            [
                quarter_index().alias("quarter"),
                col("enterprise_id"),
                col("region_code").cast(DataType::Int32).alias("region"),
                col("class_code"),
            ]
            .into_iter()
            .chain(MONEY.map(col))
            .collect::<Vec<_>>(),
        )
        .filter(wanted.iter().fold(lit(false), |any, q| any.or(col("quarter").eq(lit(*q)))))
        .collect()?;
    let groups = i64::from(leaders.len() as u32 + 1);
    let leaders = df!(
        "enterprise_id" => leaders.to_vec(),
        "leader" => (1..=leaders.len() as u32).collect::<Vec<u32>>(),
    )?
    .lazy();
    // one join per quarter, on the enterprise alone: a join on one text key is much faster
    // than on two keys
    let paired = quarters
        .iter()
        .map(|&t| {
            let year_earlier = records.clone().lazy().filter(col("quarter").eq(lit(t - 4))).select(
                [col("enterprise_id"), lit(true).alias("in_both")]
                    .into_iter()
                    .chain(MONEY.map(|m| col(m).alias(format!("{m}_ly"))))
                    .collect::<Vec<_>>(),
            );
            records
                .clone()
                .lazy()
                .filter(col("quarter").eq(lit(t)))
                .join(
                    year_earlier,
                    [col("enterprise_id")],
                    [col("enterprise_id")],
                    JoinArgs::new(JoinType::Left),
                )
                .join(
                    leaders.clone(),
                    [col("enterprise_id")],
                    [col("enterprise_id")],
                    JoinArgs::new(JoinType::Left),
                )
                .with_columns([col("in_both").fill_null(lit(false)), col("leader").fill_null(lit(0u32))])
        })
        .collect::<Vec<_>>();
    if paired.is_empty() {
        return Ok(DataFrame::empty());
    }
    let terms = additive_terms();
    // A group is (quarter, region, class, leader), packed into one integer: the records are
    // sorted by it and by enterprise, so each group's terms are added in one order
    // whatever order the joins left them in — the same records give the same bits — and
    // a group-by on one integer is many times faster than on four columns. (Classes are
    // four digits, checked at load.)
    let key = ((col("quarter").cast(DataType::Int64) * lit(1_000_000i64) + col("region").cast(DataType::Int64)) * lit(10_000i64)
        + col("class_code").strict_cast(DataType::Int64))
        * lit(groups)
        + col("leader").cast(DataType::Int64);
    let records = concat(paired, UnionArgs::default())?
        .with_columns(
            terms
                .iter()
                .map(|(name, e)| e.clone().alias(name.as_str()))
                .chain([key.alias("key")])
                .collect::<Vec<_>>(),
        )
        .sort(["key", "enterprise_id"], SortMultipleOptions::default())
        .collect()?;
    let names: Vec<String> = terms.iter().map(|(name, _)| name.clone()).collect();
    let sums = sum_runs(&records, "key", &names, &["quarter", "region", "class_code", "leader"])?.lazy();
    // the four largest of each group: the records sorted by the value, largest first
    let largest = |m: &str| {
        records
            .clone()
            .lazy()
            .select([col("key"), col(m)])
            .sort(
                ["key", m],
                SortMultipleOptions::default()
                    .with_order_descending_multi([false, true])
                    .with_nulls_last(true),
            )
            .group_by([col("key")])
            .agg([col(m).head(Some(4)).alias(format!("{m}__top"))])
    };
    let with_largest = CONCENTRATED.iter().fold(sums, |frame, m| {
        frame.join(largest(m), [col("key")], [col("key")], JoinArgs::new(JoinType::Left))
    });
    with_largest
        .sort(["key"], SortMultipleOptions::default())
        .drop(cols(["key"]))
        .collect()
}

/// The additive terms of a record paired with its year-earlier self (`{m}_ly`, `in_both`),
/// by name: the terms of levels (`enterprises__x`, `{m}__sum`, `{m}__count`, `{m}__sq`,
/// `losses`, `with_profit`) and of the comparable basis (`{m}__now`, `{m}__base`,
/// `{m}__both`, `{m}__grew`). Each is a column of the records, so every aggregation is a
/// plain sum (the fast path of a group-by; conditions inside an aggregation are not).
fn additive_terms() -> Vec<(String, Expr)> {
    let flag = |e: Expr| e.cast(DataType::Float64);
    let mut terms: Vec<(String, Expr)> = vec![("enterprises__x".into(), lit(1.0))];
    for m in MONEY {
        let ly = format!("{m}_ly");
        let both = col("in_both").and(col(m).is_not_null()).and(col(ly.as_str()).is_not_null());
        let name = |term: &str| format!("{m}__{term}");
        terms.push((name("sum"), col(m)));
        terms.push((name("count"), flag(col(m).is_not_null())));
        terms.push((name("now"), when(both.clone()).then(col(m)).otherwise(lit(0.0))));
        terms.push((name("base"), when(both.clone()).then(col(ly.as_str())).otherwise(lit(0.0))));
        terms.push((name("both"), flag(both.clone())));
        if CONCENTRATED.contains(&m) {
            terms.push((name("sq"), col(m) * col(m)));
            terms.push((name("grew"), flag(both.and(col(m).gt(col(ly.as_str()))))));
        }
    }
    terms.push(("losses".into(), flag(col("profit").lt(lit(0.0)))));
    terms.push(("with_profit".into(), flag(col("profit").is_not_null())));
    terms
}

/// The sums of `sums` over each run of equal `group` values of `frame` (sorted by
/// `group`), added in the frame's order, with the first value of each of `firsts`: one row
/// per run. Polars' group-by splits large frames over threads and adds the partial sums
/// afterwards, so its sums depend on where the splits fall; added here in one pass, the
/// same rows in the same order give the same bits. Nulls count as nothing, as in a sum.
fn sum_runs(frame: &DataFrame, group: &str, sums: &[String], firsts: &[&str]) -> PolarsResult<DataFrame> {
    let (summed, starts) = Sums::of_runs(frame, group, sums)?;
    let mut columns: Vec<Column> = vec![frame.column(group)?.take_slice(&starts)?];
    for name in firsts {
        columns.push(frame.column(name)?.take_slice(&starts)?);
    }
    columns.extend(
        sums.iter()
            .enumerate()
            .map(|(t, name)| Column::new(name.as_str().into(), summed.column(t))),
    );
    DataFrame::new_infer_height(columns)
}

/// Aggregates enterprise records from their [`partials`]: (observation-shaped rows, extra
/// measures in long form).
///
/// Every aggregate but CR4 adds up, so the partials (a few hundred thousand rows at
/// national scale, however many records) are grouped once per (region code, industry
/// set, quarter) through the class mapping, rolled up to each region level and spread
/// over the industries of their set: a change of mapping or chains re-groups the
/// partials, the records are not read. CR4 keeps each partial group's four largest
/// values: the four largest of a union are among the four largest of its parts.
///
/// `partials` may hold leader groups (`leader` > 0): they count with the other
/// enterprises of their class (see [`super::chains::with_leaders`] for the leaders apart).
pub fn aggregate(
    partials: LazyFrame,
    mapping: &[(String, String)],
    members: &[String],
    selection: &Selection,
) -> PolarsResult<(LazyFrame, LazyFrame)> {
    let IndustrySets {
        class_sets,
        set_industries,
        codes: industry_codes,
    } = industry_sets(mapping, members)?;
    let by_set = Packed {
        groups: set_industries.len() as i64,
    };
    let industry_count = industry_codes.len() as i64;
    let quarter = quarter_index;
    // the partials of the quarters aggregated, each with the set of industries its class
    // feeds, read once
    let levels = partials
        .filter(selection.levels.clone())
        .join(class_sets, [col("class_code")], [col("class_code")], JoinArgs::new(JoinType::Left))
        .with_columns([col("set").fill_null(lit(0u32))])
        .with_columns([
            by_set.key(col("region"), col("set"), col("quarter")),
            selection.extra.clone().alias("in_extra"),
        ]);
    // each partial once in a fixed order: a group's terms are then added in that order
    let order: Vec<&str> = if levels.clone().collect_schema()?.contains("from_class") {
        vec!["key", "class_code", "from_class", "leader"]
    } else {
        vec!["key", "class_code", "leader"]
    };
    let sorted = levels.sort(order, SortMultipleOptions::default()).collect()?;
    let additive: Vec<String> = additive_terms().into_iter().map(|(name, _)| name).collect();
    let by_industry = Packed { groups: industry_count };
    let keys = || vec![col("region_code"), col("industry_code"), col("year"), col("q")];
    // Every sum below adds a group's terms in ascending order of the key of the rows they
    // come from (see [`Sums`]), whatever order a join left them in: the same data give the
    // same bits.
    // additive partial sums per (region code, industry set, quarter)
    let (parts, _) = Sums::of_runs(&sorted, "key", &additive)?;
    // Rolled up level by level (county parts, then city, then province), then spread over
    // the industries of each set.
    let region_of = |key: i64| by_set.region(key);
    let rolled =
        |sums: &Sums, unit: i64| sums.regroup(|key, out| out.push(by_set.with_region(key, region_of(key) - region_of(key) % unit)));
    let cities = rolled(&parts, 100);
    let provinces = rolled(&cities, 10_000);
    let every_level = parts.filter(|key| region_of(key) % 100 != 0).union(&cities).union(&provinces);
    let spread = |key: i64, out: &mut Vec<i64>| {
        let (region, set, quarter) = (by_set.region(key), by_set.group(key), by_set.quarter(key));
        out.extend(
            set_industries[set as usize]
                .iter()
                .map(|i| by_industry.pack(region, i64::from(*i), quarter)),
        );
    };
    let sums = every_level.regroup(spread);

    // CR4: the four largest of each partial group, then of each rolled-up group.
    let mut largest: [FxHashMap<i64, Largest>; 2] = Default::default();
    let in_extra = sorted.column("in_extra")?.bool()?;
    let partial_keys = sorted.column("key")?.i64()?;
    let top_list = |figure: &str| sorted.column(&format!("{figure}__top"));
    let (first, second) = (top_list(CONCENTRATED[0])?.list()?, top_list(CONCENTRATED[1])?.list()?);
    let mut groups_of = Vec::new();
    let rows = in_extra
        .iter()
        .zip(partial_keys.iter())
        .zip(first.amortized_iter().zip(second.amortized_iter()));
    for ((extra, key), tops) in rows {
        let (Some(true), Some(key)) = (extra, key) else {
            continue;
        };
        // the partial's groups: its county (when it is one), its city, its province, each
        // spread over the industries of its set
        let region = by_set.region(key);
        groups_of.clear();
        for level in [region, region - region % 100, region - region % 10_000] {
            if level == region && region % 100 == 0 {
                continue;
            }
            spread(by_set.with_region(key, level), &mut groups_of);
        }
        for (largest, values) in largest.iter_mut().zip([tops.0, tops.1]) {
            let Some(values) = values else { continue };
            let values = values.as_ref().f64()?;
            for group in &groups_of {
                let top = largest.entry(*group).or_default();
                for v in values.iter().flatten() {
                    top.add(v);
                }
            }
        }
    }
    let tops = CONCENTRATED.iter().zip(&largest).flat_map(|(figure, largest)| {
        [1, 2, 4].map(|n| {
            let values: Vec<Option<f64>> = sums.keys.iter().map(|k| largest.get(k).map(|l| l.top(n))).collect();
            Column::new(format!("{figure}__top{n}").into(), values)
        })
    });

    let (mut region, mut industry, mut year, mut q) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for key in &sums.keys {
        let quarter = by_industry.quarter(*key);
        region.push(by_industry.region(*key) as i32);
        industry.push(industry_codes[by_industry.group(*key) as usize].as_str());
        year.push(quarter.div_euclid(4) as i32);
        q.push(quarter.rem_euclid(4) as i32 + 1);
    }
    let columns: Vec<Column> = [
        Column::new("region".into(), region),
        Column::new("industry_code".into(), industry),
        Column::new("year".into(), year),
        Column::new("q".into(), q),
    ]
    .into_iter()
    .chain(
        additive
            .iter()
            .enumerate()
            .map(|(t, name)| Column::new(name.as_str().into(), sums.column(t))),
    )
    .chain(tops)
    .collect();
    let groups = DataFrame::new_infer_height(columns)?
        .lazy()
        .with_columns(
            MONEY
                .iter()
                .map(|m| {
                    when(col(format!("{m}__count")).gt(lit(0.0)))
                        .then(col(format!("{m}__sum")))
                        .otherwise(null_f64())
                        .alias(format!("{m}__x"))
                })
                .chain([
                    col("region").cast(DataType::String).alias("region_code"),
                    quarter().alias("quarter"),
                ])
                .collect::<Vec<_>>(),
        )
        .collect()?
        .lazy();
    let extra_groups = groups.clone().filter(selection.extra.clone()).collect()?.lazy();

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
            partials: Some(super::super::partials_of(records(), &[])),
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
            partials: Some(super::super::partials_of(records(), &[])),
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
