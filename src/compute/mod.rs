//! The measures of domain.md §4 (first table), computed with lazy Polars. No I/O.
//!
//! Input: the latest vintage of every observation (one row per region × industry ×
//! indicator × period, canonical units). Output: the long table of `indicators.csv`
//! (`period, region_code, industry_code, indicator, measure, value`), one row per measure
//! that has a value. A measure is *absent* — no row — when any input it needs is absent
//! or a denominator is zero or, where the spec says so, not positive.
//!
//! Series are joined with themselves on a dense period index (`year × 4 + quarter − 1`)
//! rather than shifted, so a missing quarter makes the measures that need it absent
//! instead of silently pairing the wrong quarters. Decisions the spec leaves open:
//! measures relative to `TOTAL` (share, gaps, pull, contribution) are not emitted for
//! `TOTAL` itself, where they would be identities; `gap_to_parent_pp` is emitted for
//! every region with a parent in the data (city → province, county → city); `rank` is
//! among the cities of a province with a growth rate, 1 = highest, ties share the lowest.

pub mod chains;
pub mod enterprises;
pub mod projects;
mod sums;
pub mod targets;
pub mod tiers;

use polars::prelude::*;

use crate::model::catalogue::{self, TOTAL};
use crate::model::observation::{Observation, Project};
use crate::model::period::Period;
use crate::model::target::Target;

/// The measures this module computes, in output order.
pub const MEASURES: &[&str] = &[
    "ytd",
    "yoy_pct",
    "base_ytd",
    "quarter",
    "quarter_yoy_pct",
    "share_pct",
    "share_change_pp",
    "gap_to_total_pp",
    "pull_pp",
    "contribution_pct",
    "gap_to_parent_pp",
    "rank",
];

const KEYS: [&str; 3] = ["region_code", "industry_code", "indicator"];

pub(crate) fn keys_and(extra: &[&str]) -> Vec<Expr> {
    KEYS.iter().chain(extra).map(|k| col(*k)).collect()
}

/// The observations as a Polars frame: keys, `year`, `q`, `p` (period index), `parent`
/// (the region one level up, null for a province), `is_city`, `x` (level) and `g_pub`
/// (published growth, percent).
pub fn observations_frame(rows: &[Observation]) -> PolarsResult<DataFrame> {
    let n = rows.len();
    let mut region = Vec::with_capacity(n);
    let mut industry = Vec::with_capacity(n);
    let mut indicator = Vec::with_capacity(n);
    let mut year = Vec::with_capacity(n);
    let mut q = Vec::with_capacity(n);
    let mut parent = Vec::with_capacity(n);
    let mut is_city = Vec::with_capacity(n);
    let mut x = Vec::with_capacity(n);
    let mut g = Vec::with_capacity(n);
    for o in rows {
        region.push(o.region.as_str());
        industry.push(o.industry.as_str());
        indicator.push(o.indicator.as_str());
        year.push(o.period.year());
        q.push(i32::from(o.period.quarter()));
        parent.push(catalogue::parent_code(&o.region));
        is_city.push(catalogue::region_level(&o.region) == catalogue::RegionLevel::City);
        x.push(o.value);
        g.push(o.yoy_pct);
    }
    let df = df!(
        "region_code" => region,
        "industry_code" => industry,
        "indicator" => indicator,
        "year" => year,
        "q" => q,
        "parent" => parent,
        "is_city" => is_city,
        "x" => x,
        "g_pub" => g,
    )?;
    df.lazy().with_column(quarter_index().alias("p")).collect()
}

pub(crate) fn left_join(left: LazyFrame, right: LazyFrame, left_on: Vec<Expr>, right_on: Vec<Expr>) -> LazyFrame {
    left.join(right, left_on, right_on, JoinArgs::new(JoinType::Left))
}

pub(crate) fn null_f64() -> Expr {
    lit(NULL).cast(DataType::Float64)
}

/// `num / den`, absent unless `den` is non-zero (and both present).
pub(crate) fn ratio(num: Expr, den: Expr) -> Expr {
    when(den.clone().neq(lit(0.0))).then(num / den).otherwise(null_f64())
}

/// Materialises a stage. Each stage below joins the previous one with itself, so without
/// this the plan tree doubles per stage; the frames are aggregate-sized (series × periods).
pub(crate) fn stage(lf: LazyFrame) -> PolarsResult<LazyFrame> {
    Ok(lf.collect()?.lazy())
}

/// Quarter indices below this (years before 4096): the last factor of a packed key
/// ([`SeriesKeys`], [`enterprises`]' group keys).
pub(crate) const QUARTER_SPAN: i64 = 1 << 14;

/// A row's quarter index from its `year` and `q`, as [`crate::model::period::Period::index`].
pub(crate) fn quarter_index() -> Expr {
    col("year") * lit(4) + col("q") - lit(1)
}

/// A series (region, industry, indicator) and quarter packed into one integer, so that
/// the measure stages join series with themselves on one integer column rather than on
/// three text columns and a number. Industries and indicators are numbered in text order.
struct SeriesKeys {
    industries: Vec<String>,
    indicators: Vec<String>,
}

impl SeriesKeys {
    fn of(df: &DataFrame) -> PolarsResult<SeriesKeys> {
        Ok(SeriesKeys {
            industries: sorted_values(df, "industry_code")?,
            indicators: sorted_values(df, "indicator")?,
        })
    }

    /// Adds `ind` and `ndc`, the numbers of `industry_code` and `indicator`.
    fn numbered(&self, frame: LazyFrame) -> PolarsResult<LazyFrame> {
        numbered_in(
            numbered_in(frame, &self.industries, "industry_code", "ind")?,
            &self.indicators,
            "indicator",
            "ndc",
        )
    }

    /// The key of the row's series in `region` (a region number) with industry `ind`.
    fn key(&self, region: Expr, ind: Expr) -> Expr {
        ((region * lit(self.industries.len() as i64) + ind) * lit(self.indicators.len() as i64) + col("ndc")) * lit(QUARTER_SPAN)
            + col("p").cast(DataType::Int64)
    }

    /// The number of `TOTAL` (one past the last when absent: it then matches nothing).
    fn total(&self) -> i64 {
        self.industries.iter().position(|i| i == TOTAL).unwrap_or(self.industries.len()) as i64
    }
}

/// The wide measure frame: one row per observation key and period in `wanted`, a column
/// per measure (null where absent); and the Q4 rows (`KEYS`, `year`, `x`) of every
/// period, which the target measures read.
///
/// `wanted(p)` says whether the rows of quarter `p` are output. A stage keeps only the
/// rows a later stage reads: growth reads the same quarter a year earlier, the single
/// quarter the quarter before, the change of share a year earlier; rows of other
/// quarters (at national scale, most of them) are dropped as soon as nothing reads them.
pub fn measures_wide(obs: LazyFrame, stocks: &[String], wanted: &dyn Fn(Expr) -> Expr) -> PolarsResult<(LazyFrame, LazyFrame)> {
    // rows of quarter p are read while a wanted quarter lies `lag` quarters later
    let read = |lags: &[i32]| lags.iter().fold(lit(false), |e, lag| e.or(wanted(col("p") + lit(*lag))));
    // a stock (counted at the period's end) has no single quarter
    let stock = stocks
        .iter()
        .fold(lit(false), |any, code| any.or(col("indicator").eq(lit(code.as_str()))));
    let obs = obs.with_column(stock.alias("stock")).collect()?;
    let series = SeriesKeys::of(&obs)?;
    let obs = obs.lazy();
    let q4 = obs.clone().filter(col("q").eq(lit(4))).select(keys_and(&["year", "x"]));
    let region_number = |name: &str| col(name).cast(DataType::Int64);
    let obs = stage(series.numbered(obs.filter(read(&[0, 1, 4, 5])))?.with_columns([
        series.key(region_number("region_code"), col("ind")).alias("k"),
        series.key(region_number("parent"), col("ind")).alias("k_parent"),
        series.key(region_number("region_code"), lit(series.total())).alias("k_total"),
    ]))?;
    let on = |name: &str| vec![col(name)];
    // the same series `lag` quarters later
    let later = |lag: i64| (col("k") + lit(lag)).alias("k");

    // yoy_pct: published growth wins; else from levels, absent when last year's level ≤ 0.
    let last_year = obs.clone().select([later(4), col("x").alias("x_ly")]);
    let with_yoy = left_join(obs, last_year, on("k"), on("k"))
        .with_column(
            when(col("g_pub").is_not_null())
                .then(col("g_pub"))
                .when(col("x_ly").gt(lit(0.0)))
                .then((col("x") / col("x_ly") - lit(1.0)) * lit(100.0))
                .otherwise(null_f64())
                .alias("yoy_pct"),
        )
        .with_column(ratio(col("x"), lit(1.0) + col("yoy_pct") / lit(100.0)).alias("base_ytd"))
        .filter(read(&[0, 1, 4]));
    let with_yoy = stage(with_yoy)?;

    // Single quarter: Q1 is the level; Qn is the difference with Qn−1 of the same year.
    let previous = with_yoy
        .clone()
        .select([later(1), col("x").alias("x_prev"), col("base_ytd").alias("b_prev")]);
    let with_quarter = left_join(with_yoy, previous, on("k"), on("k"))
        .with_columns([
            when(col("stock"))
                .then(null_f64())
                .when(col("q").eq(lit(1)))
                .then(col("x"))
                .otherwise(col("x") - col("x_prev"))
                .alias("quarter"),
            when(col("stock"))
                .then(null_f64())
                .when(col("q").eq(lit(1)))
                .then(col("yoy_pct"))
                .when((col("base_ytd") - col("b_prev")).gt(lit(0.0)))
                .then(((col("x") - col("x_prev")) / (col("base_ytd") - col("b_prev")) - lit(1.0)) * lit(100.0))
                .otherwise(null_f64())
                .alias("quarter_yoy_pct"),
        ])
        .filter(read(&[0, 4]));
    let with_quarter = stage(with_quarter)?;

    // Against TOTAL of the same region, indicator and period.
    let total = with_quarter.clone().filter(col("ind").eq(lit(series.total()))).select([
        col("k").alias("k_total"),
        col("x").alias("x_t"),
        col("yoy_pct").alias("yoy_t"),
        col("base_ytd").alias("b_t"),
    ]);
    let not_total = col("ind").neq(lit(series.total()));
    let only = |e: Expr| when(not_total.clone()).then(e).otherwise(null_f64());
    let with_total = left_join(with_quarter, total, on("k_total"), on("k_total")).with_columns([
        only(ratio(col("x") * lit(100.0), col("x_t"))).alias("share_pct"),
        only(col("yoy_pct") - col("yoy_t")).alias("gap_to_total_pp"),
        only(ratio((col("x") - col("base_ytd")) * lit(100.0), col("b_t"))).alias("pull_pp"),
        only(ratio((col("x") - col("base_ytd")) * lit(100.0), col("x_t") - col("b_t"))).alias("contribution_pct"),
    ]);
    let with_total = stage(with_total)?;

    // Share change against last year's share, as reported.
    let share_ly = with_total.clone().select([later(4), col("share_pct").alias("share_ly")]);
    let with_share = left_join(with_total, share_ly, on("k"), on("k"))
        .with_column((col("share_pct") - col("share_ly")).alias("share_change_pp"))
        .filter(read(&[0]));

    // Against the parent region.
    let parent = with_share
        .clone()
        .select([col("k").alias("k_parent"), col("yoy_pct").alias("yoy_parent")]);
    let with_parent = stage(
        left_join(with_share, parent, on("k_parent"), on("k_parent"))
            .with_column((col("yoy_pct") - col("yoy_parent")).alias("gap_to_parent_pp")),
    )?;

    // Rank among the cities of a province that have a growth rate.
    let ranked = with_parent
        .clone()
        .filter(col("is_city").and(col("yoy_pct").is_not_null()))
        .select([
            col("k"),
            col("yoy_pct")
                .rank(
                    RankOptions {
                        method: RankMethod::Min,
                        descending: true,
                    },
                    None,
                )
                .over([col("k_parent")])
                .expect("partitioned window")
                .cast(DataType::Float64)
                .alias("rank"),
        ]);
    let wide = stage(left_join(with_parent, ranked, on("k"), on("k")).with_column(col("x").alias("ytd")))?;
    Ok((wide, q4))
}

/// Everything the measures are computed from.
#[derive(Default)]
pub struct Inputs<'a> {
    /// Published aggregates (latest vintages).
    pub observations: &'a [Observation],
    pub targets: &'a [Target],
    pub projects: &'a [Project],
    /// The partial aggregates of enterprise records (see [`enterprises::partials`]) of the
    /// quarters [`partial_quarters`] names, typically a lazy scan of the store's Parquet
    /// files; their leader groups numbered as [`crate::model::chain::all_leaders`] of
    /// `chains` numbers them.
    pub partials: Option<LazyFrame>,
    /// The class mapping: (GB/T 4754 class, industry).
    pub mapping: &'a [(String, String)],
    /// The member industries whose union is `TEN`.
    pub members: Vec<String>,
    /// The industrial chains, aggregated from the records with the industries.
    pub chains: &'a [crate::model::chain::Chain],
    /// How many enterprises a chain's segment needs in a region to count as present.
    pub chain_min_enterprises: u32,
    /// Indicators that are stocks, not accumulating within a year (see
    /// [`crate::model::catalogue::Indicator::cumulative`]).
    pub stocks: Vec<String>,
    /// Scale tiers whose counts are computed as observations of their own indicators.
    pub tiers: Vec<tiers::Tier>,
    /// The regions that get every period of the range: a region-code prefix (a
    /// province's two digits); the others get the last period only. `None`: every region
    /// gets every period.
    pub focus: Option<String>,
}

/// The quarters a computation of `span` reads partial aggregates of (the aggregates of a
/// quarter need the quarter before, the same quarter a year earlier, last year's Q4 — with
/// scale `tiers`, what the count of a year earlier projects from, two years earlier — and
/// the base year's Q4 of a level target): the scan of the store can leave out every other
/// quarter.
pub fn partial_quarters(span: &Span, targets: &[Target], tiers: bool) -> impl Fn(i32) -> bool + use<> {
    let range = span.focus_from.min(span.all_from) - lag(tiers)..=span.to;
    let bases = base_quarters(targets);
    move |quarter| range.contains(&quarter) || bases.contains(&quarter)
}

/// How many quarters before the first a computation reads: growth reads a year earlier and
/// the single quarter the quarter before that; a scale tier's growth, two years earlier.
fn lag(tiers: bool) -> i32 {
    if tiers { 8 } else { 5 }
}

/// The Q4 of each level target's base year (its base value when not given).
fn base_quarters(targets: &[Target]) -> std::collections::BTreeSet<i32> {
    targets
        .iter()
        .filter_map(|t| match t.spec {
            crate::model::target::TargetSpec::Level { base_year, .. } => Some(base_year * 4 + 3),
            _ => None,
        })
        .collect()
}

/// Whether a row (with `region_code`) is in the focus (see [`Inputs::focus`]).
pub fn in_focus(focus: Option<&str>) -> Expr {
    match focus {
        Some(prefix) => col("region_code").str().starts_with(lit(prefix.to_string())),
        None => lit(true),
    }
}

/// Whether a partial aggregate (with `region`, its code as a number) is in the focus (see
/// [`Inputs::focus`]).
fn region_in_focus(focus: Option<&str>) -> Expr {
    match focus.and_then(|prefix| Some((prefix.parse::<i32>().ok()?, 6u32.checked_sub(prefix.len() as u32)?))) {
        // a range, not a division: the scan of the store then skips the row groups
        // (sorted by quarter and region) whose statistics lie outside it
        Some((prefix, digits)) => {
            let unit = 10i32.pow(digits);
            col("region")
                .gt_eq(lit(prefix * unit))
                .and(col("region").lt(lit((prefix + 1) * unit)))
        }
        None if focus.is_some() => lit(false),
        None => lit(true),
    }
}

/// Which partial aggregates the measures of `span` need (see [`Inputs::focus`]): every
/// region's of the quarters its every-region quarters read, the focus regions' of every
/// quarter its history reads.
fn partial_selection(span: &Span, focus: Option<&str>, targets: &[Target], tiers: bool) -> enterprises::Selection {
    let mut levels: std::collections::BTreeSet<i32> = base_quarters(targets);
    let last_q4 = |p: i32| p - (p.rem_euclid(4) + 1);
    // each quarter and the one before, each a year earlier too (growth from levels where
    // the comparable base is not positive), last year's Q4; with scale tiers, what a
    // year-earlier count projects from (two years earlier, the Q4 before it)
    for p in span.all_from..=span.to {
        levels.extend([p, p - 1, p - 4, p - 5, last_q4(p)]);
        if tiers {
            levels.extend([p - 8, last_q4(p - 4)]);
        }
    }
    let focus = || region_in_focus(focus);
    enterprises::Selection {
        levels: quarter_in(&levels).or(focus().and(quarter_between(span.focus_from - lag(tiers), span.to))),
        extra: quarter_between(span.all_from, span.to).or(focus().and(quarter_between(span.focus_from, span.to))),
    }
}

/// Whether `quarter` lies in `from..=to`.
fn quarter_between(from: i32, to: i32) -> Expr {
    col("quarter").gt_eq(lit(from)).and(col("quarter").lt_eq(lit(to)))
}

/// Whether `quarter` is one of `set`: one comparison per run of consecutive quarters.
fn quarter_in(set: &std::collections::BTreeSet<i32>) -> Expr {
    let mut runs: Vec<(i32, i32)> = Vec::new();
    for &p in set {
        match runs.last_mut() {
            Some((_, end)) if *end + 1 == p => *end = p,
            _ => runs.push((p, p)),
        }
    }
    runs.into_iter().fold(lit(false), |e, (from, to)| {
        e.or(if from == to {
            col("quarter").eq(lit(from))
        } else {
            quarter_between(from, to)
        })
    })
}

/// The quarters a computation outputs: the focus regions' (see [`Inputs::focus`]) from
/// `focus_from`, every region's from `all_from`, both through `to`. A quarter's run has
/// the reports' history for the focus and the quarter itself for every region; a pass
/// over the history has every quarter of the range for every region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub focus_from: i32,
    pub all_from: i32,
    pub to: i32,
}

impl Span {
    /// The focus regions' `periods`, every region's last period.
    pub fn quarter(periods: &std::ops::RangeInclusive<i32>) -> Span {
        Span {
            focus_from: *periods.start(),
            all_from: *periods.end(),
            to: *periods.end(),
        }
    }

    /// Whether a row of quarter `p` (with `region_code`) is output.
    fn wanted(&self, focus: Option<&str>, p: Expr) -> Expr {
        let between = |from: i32| p.clone().gt_eq(lit(from)).and(p.clone().lt_eq(lit(self.to)));
        between(self.all_from).or(in_focus(focus).and(between(self.focus_from)))
    }
}

/// Every measure, in output order: base, targets, projects, enterprise records.
pub fn all_measures() -> impl Iterator<Item = &'static str> {
    MEASURES
        .iter()
        .chain(targets::TARGET_MEASURES)
        .chain(projects::PROJECT_MEASURES)
        .chain(enterprises::ENTERPRISE_MEASURES)
        .chain(chains::CHAIN_MEASURES)
        .copied()
}

/// A wide frame (a column per measure) as long rows (`year`, `q`, `region_code`,
/// `industry_code`, `indicator`, `measure`, `value`), one per measure that has a value.
pub(crate) fn unpivot(wide: &LazyFrame, measures: &[&str], indicator: Expr) -> PolarsResult<LazyFrame> {
    unpivot_carrying(wide, measures, indicator, &[])
}

/// [`unpivot`], each row carrying the columns `carry` of its wide row too.
fn unpivot_carrying(wide: &LazyFrame, measures: &[&str], indicator: Expr, carry: &[&str]) -> PolarsResult<LazyFrame> {
    let parts: Vec<LazyFrame> = measures
        .iter()
        .map(|m| {
            wide.clone()
                .select(
                    [
                        col("year"),
                        col("q"),
                        col("region_code"),
                        col("industry_code"),
                        indicator.clone().alias("indicator"),
                        lit(*m).alias("measure"),
                        lit(measure_order(m)).alias("m_order"),
                        col(*m).cast(DataType::Float64).alias("value"),
                    ]
                    .into_iter()
                    .chain(carry.iter().map(|c| col(*c)))
                    .collect::<Vec<_>>(),
                )
                .filter(col("value").is_not_null())
        })
        .collect();
    concat(parts, UnionArgs::default())
}

/// A measure's place in the output order ([`all_measures`]).
pub(crate) fn measure_order(measure: &str) -> i32 {
    all_measures()
        .position(|m| m == measure)
        .unwrap_or_else(|| panic!("{measure} is not a measure")) as i32
}

/// The distinct values of a text column, in byte order.
fn sorted_values(df: &DataFrame, name: &str) -> PolarsResult<Vec<String>> {
    let unique = df.column(name)?.str()?.unique()?;
    let mut v: Vec<String> = unique.iter().flatten().map(str::to_string).collect();
    v.sort_unstable();
    Ok(v)
}

/// Adds `name`, the number of the text column `column`'s value among `values` (null for
/// another), by a join with the numbered values: with the chains' and segments' codes
/// there are dozens, and a chain of comparisons would read the column once per value.
fn numbered_in(frame: LazyFrame, values: &[String], column: &str, name: &str) -> PolarsResult<LazyFrame> {
    let numbers = DataFrame::new_infer_height(vec![
        Column::new(column.into(), values),
        Column::new(name.into(), (0..values.len() as i64).collect::<Vec<_>>()),
    ])?;
    Ok(frame.join(numbers.lazy(), [col(column)], [col(column)], JoinArgs::new(JoinType::Left)))
}

/// The long table of `indicators.csv` for the periods with index in `periods` (inclusive
/// range of [`crate::model::period::Period::index`]; every region outside the focus gets
/// the last only), sorted by period, region, industry, indicator and measure order.
pub fn compute(inputs: Inputs<'_>, periods: std::ops::RangeInclusive<i32>) -> PolarsResult<DataFrame> {
    let span = Span::quarter(&periods);
    measures(inputs, &span)?.long(&span)
}

/// Every measure of `span`, computed once: a quarter's rows are then taken out with
/// [`Measures::long`] (a pass over the history takes each quarter's in turn).
pub struct Measures {
    /// The wide frame (a column per measure), one row per series and quarter of the span.
    wide: LazyFrame,
    /// The measures computed as long rows (projects, enterprise records, chains), with
    /// their quarter index `p` (none without projects, records or chains).
    long: Option<LazyFrame>,
    focus: Option<String>,
}

/// Computes every measure of `span` from `inputs` (see [`Measures`]).
pub fn measures(inputs: Inputs<'_>, span: &Span) -> PolarsResult<Measures> {
    let published = observations_frame(inputs.observations)?.lazy();
    let (obs, extra) = match inputs.partials {
        Some(partials) => {
            let selection = partial_selection(span, inputs.focus.as_deref(), inputs.targets, !inputs.tiers.is_empty());
            // the chains and their segments aggregate with the industries
            let with_chains: Vec<(String, String)>;
            let mapping = if inputs.chains.is_empty() {
                inputs.mapping
            } else {
                with_chains = inputs.mapping.iter().cloned().chain(chains::pairs(inputs.chains)).collect();
                &with_chains
            };
            let (aggregates, extra) = chains::with_leaders(
                enterprises::aggregate(partials.clone(), mapping, &inputs.members, &selection)?,
                &partials,
                inputs.chains,
                &selection,
            )?;
            let aggregates = with_hierarchy(aggregates);
            // Published aggregates win over those computed from enterprise records.
            let key = || vec![col("region_code"), col("industry_code"), col("indicator"), col("year"), col("q")];
            let only_micro = if inputs.observations.is_empty() {
                aggregates
            } else {
                let marker = published.clone().select(key()).with_column(lit(true).alias("published"));
                aggregates
                    .join(marker, key(), key(), JoinArgs::new(JoinType::Left))
                    .filter(col("published").is_null())
                    .drop(cols(["published"]))
            };
            (
                concat(
                    [published, only_micro],
                    UnionArgs {
                        to_supertypes: true,
                        ..Default::default()
                    },
                )?,
                Some(extra),
            )
        }
        None => (published, None),
    };
    // The chains' own measures, from their aggregates (read twice: materialised once).
    let (obs, chain_rows) = if inputs.chains.is_empty() || extra.is_none() {
        (obs, None)
    } else {
        let obs = stage(obs)?;
        let rows = chains::chain_measures(obs.clone(), inputs.chains, f64::from(inputs.chain_min_enterprises))?;
        (obs, Some(rows))
    };
    // Scale tiers: counts of industries on course for a tier, as observations.
    let obs = if inputs.tiers.is_empty() {
        obs
    } else {
        let obs = stage(obs)?;
        let mut parts = vec![obs.clone()];
        parts.extend(tiers::tier_counts(&obs, &inputs.tiers, &inputs.members)?);
        concat(
            parts,
            UnionArgs {
                to_supertypes: true,
                ..Default::default()
            },
        )?
    };
    // The wide frame is aggregate-sized (series × periods, even at national scale): it is
    // materialised once here rather than re-planned for each measure below.
    // the last period for every region, the whole range for the focus
    let focus = inputs.focus.as_deref();
    let wanted = |p: Expr| span.wanted(focus, p);
    let (wide, q4) = measures_wide(obs, &inputs.stocks, &wanted)?;
    let wide = stage(targets::with_targets(wide, q4, inputs.targets)?)?;
    let mut parts = Vec::new();
    if !inputs.projects.is_empty() {
        parts.push(projects::project_measures(inputs.projects, &inputs.members)?);
    }
    parts.extend(extra);
    parts.extend(chain_rows);
    let long = match parts.is_empty() {
        true => None,
        false => Some(stage(
            concat(
                parts,
                UnionArgs {
                    to_supertypes: true,
                    ..Default::default()
                },
            )?
            .with_column(quarter_index().alias("p"))
            .filter(wanted(col("p"))),
        )?),
    };
    // Industries and indicators numbered in text order once, for the order of every
    // quarter's rows (a join per quarter on its two million rows would cost more than the
    // sort it serves).
    let mut frames = vec![wide.clone().collect()?];
    if let Some(long) = &long {
        frames.push(long.clone().collect()?);
    }
    let vocabulary = |name: &str| -> PolarsResult<Vec<String>> {
        let mut values = std::collections::BTreeSet::new();
        for frame in &frames {
            values.extend(sorted_values(frame, name)?);
        }
        Ok(values.into_iter().collect())
    };
    let (industries, indicators) = (vocabulary("industry_code")?, vocabulary("indicator")?);
    let numbered = |frame: LazyFrame| -> PolarsResult<LazyFrame> {
        stage(numbered_in(
            numbered_in(frame, &industries, "industry_code", "industry_number")?,
            &indicators,
            "indicator",
            "indicator_number",
        )?)
    };
    Ok(Measures {
        wide: numbered(wide)?,
        long: long.map(numbered).transpose()?,
        focus: inputs.focus,
    })
}

impl Measures {
    /// The long table of `indicators.csv` for the quarters of `span` (which lies within
    /// the span the measures were computed for), sorted by period, region, industry,
    /// indicator and measure order.
    pub fn long(&self, span: &Span) -> PolarsResult<DataFrame> {
        // Sorted by one number standing for (period, region, industry, indicator, measure
        // order): a sort on several keys, text among them, is many times slower. Region codes
        // are six digits; industries and indicators (a few dozen) are numbered in text order.
        let order = ((((col("p").cast(DataType::Int64) * lit(1_000_000i64) + col("region_code").cast(DataType::Int64)) * lit(1024i64)
            + col("industry_number"))
            * lit(1024i64)
            + col("indicator_number"))
            * lit(64i64)
            + col("m_order").cast(DataType::Int64))
        .alias("order");
        self.rows(span)?
            .with_column(order)
            .sort(["order"], SortMultipleOptions::default())
            .select(output_columns(span))
            .collect()
    }

    /// The focus regions' rows of [`Measures::long`], in no particular order: what the
    /// reports and the risk rules look values up in.
    pub fn focus_rows(&self, span: &Span) -> PolarsResult<DataFrame> {
        self.rows(span)?
            .filter(in_focus(self.focus.as_deref()))
            .select(output_columns(span))
            .collect()
    }

    /// Every value of `span` as a long row with its quarter index `p` and the numbers of
    /// its industry and indicator.
    fn rows(&self, span: &Span) -> PolarsResult<LazyFrame> {
        let wanted = |p: Expr| span.wanted(self.focus.as_deref(), p);
        let wide = self.wide.clone().filter(wanted(col("p")));
        let wide_measures: Vec<&str> = all_measures().take(MEASURES.len() + targets::TARGET_MEASURES.len()).collect();
        let numbers = ["industry_number", "indicator_number"];
        let columns = || {
            [
                "year",
                "q",
                "p",
                "region_code",
                "industry_code",
                "indicator",
                "measure",
                "m_order",
                "value",
                numbers[0],
                numbers[1],
            ]
            .map(col)
        };
        let mut parts = vec![
            unpivot_carrying(&wide, &wide_measures, col("indicator"), &numbers)?
                .with_column(quarter_index().alias("p"))
                .select(columns()),
        ];
        parts.extend(self.long.iter().map(|long| long.clone().filter(wanted(col("p"))).select(columns())));
        concat(
            parts,
            UnionArgs {
                to_supertypes: true,
                ..Default::default()
            },
        )
    }
}

/// The columns of `indicators.csv`, for rows of `span`.
fn output_columns(span: &Span) -> [Expr; 6] {
    [
        period_of(span),
        col("region_code"),
        col("industry_code"),
        col("indicator"),
        col("measure"),
        col("value"),
    ]
}

/// The `period` column of the rows of `span` (from `year` and `q`): one text when the
/// span is one quarter.
fn period_of(span: &Span) -> Expr {
    let one = Some(span.to).filter(|to| span.focus_from == *to && span.all_from == *to);
    match one.and_then(Period::from_index) {
        Some(period) => lit(period.to_string()).alias("period"),
        None => concat_str(
            [col("year").cast(DataType::String), lit("Q"), col("q").cast(DataType::String)],
            "",
            true,
        )
        .alias("period"),
    }
}

/// The partials of every quarter of `records` (the store computes them at load), for tests
/// that start from records.
#[cfg(test)]
pub(crate) fn partials_of(records: LazyFrame, chains: &[crate::model::chain::Chain]) -> LazyFrame {
    let quarters = records
        .clone()
        .select([quarter_index().alias("quarter")])
        .unique(None, UniqueKeepStrategy::Any)
        .collect()
        .unwrap();
    let quarters: Vec<i32> = quarters.column("quarter").unwrap().i32().unwrap().iter().flatten().collect();
    enterprises::partials(records, &quarters, &crate::model::chain::all_leaders(chains))
        .unwrap()
        .lazy()
}

/// Adds the columns [`observations_frame`] derives (`p`, `parent`, `is_city`) to
/// observation-shaped rows that lack them.
fn with_hierarchy(rows: LazyFrame) -> LazyFrame {
    let region = col("region_code");
    let is_province = region.clone().str().ends_with(lit("0000"));
    let is_city = region.clone().str().ends_with(lit("00")).and(is_province.clone().not());
    let city_parent = concat_str([region.clone().str().slice(lit(0), lit(2)), lit("0000")], "", false);
    let county_parent = concat_str([region.clone().str().slice(lit(0), lit(4)), lit("00")], "", false);
    rows.with_columns([
        when(is_province)
            .then(lit(NULL).cast(DataType::String))
            .when(is_city.clone())
            .then(city_parent)
            .otherwise(county_parent)
            .alias("parent"),
        is_city.alias("is_city"),
        quarter_index().alias("p"),
    ])
    .select(
        [
            "region_code",
            "industry_code",
            "indicator",
            "year",
            "q",
            "parent",
            "is_city",
            "x",
            "g_pub",
            "p",
        ]
        .map(col),
    )
}

/// The distinct values of one text field, each numbered once.
#[derive(Debug, Clone, Default)]
struct Vocabulary {
    numbers: rustc_hash::FxHashMap<String, u32>,
    values: Vec<String>,
}

impl Vocabulary {
    fn number(&mut self, value: &str) -> u32 {
        if let Some(n) = self.numbers.get(value) {
            return *n;
        }
        let n = self.values.len() as u32;
        self.values.push(value.to_string());
        self.numbers.insert(value.to_string(), n);
        n
    }

    fn find(&self, value: &str) -> Option<u32> {
        self.numbers.get(value).copied()
    }
}

/// The long table as a map, for renderers that look values up one by one. The five key
/// fields (period, region, industry, indicator, measure) are interned: a key is five
/// numbers, and each distinct text is stored once.
#[derive(Debug, Clone, Default)]
pub struct MeasureTable {
    fields: [Vocabulary; 5],
    values: rustc_hash::FxHashMap<[u32; 5], f64>,
}

impl MeasureTable {
    /// Indexes a long measure frame (as returned by [`compute`]).
    pub fn from_frame(df: &DataFrame) -> PolarsResult<MeasureTable> {
        let s = |name: &str| -> PolarsResult<&StringChunked> { df.column(name)?.str() };
        let (period, region, industry, indicator, measure) =
            (s("period")?, s("region_code")?, s("industry_code")?, s("indicator")?, s("measure")?);
        let mut table = MeasureTable::default();
        table.values.reserve(df.height());
        // rows come sorted, so a field mostly repeats the row before's value: it is
        // looked up only when it changes
        let mut last: [(&str, u32); 5] = [("", u32::MAX); 5];
        let rows = period
            .iter()
            .zip(region.iter())
            .zip(industry.iter())
            .zip(indicator.iter())
            .zip(measure.iter())
            .zip(df.column("value")?.f64()?.iter());
        for (((((p, r), i), k), m), v) in rows {
            let Some(v) = v else { continue };
            let mut key = [0u32; 5];
            for (f, text) in [p, r, i, k, m].into_iter().enumerate() {
                let text = text.unwrap_or_default();
                if last[f].1 == u32::MAX || last[f].0 != text {
                    last[f] = (text, table.fields[f].number(text));
                }
                key[f] = last[f].1;
            }
            table.values.insert(key, v);
        }
        Ok(table)
    }

    pub fn get(&self, period: &str, region: &str, industry: &str, indicator: &str, measure: &str) -> Option<f64> {
        let mut key = [0u32; 5];
        for (f, text) in [period, region, industry, indicator, measure].into_iter().enumerate() {
            key[f] = self.fields[f].find(text)?;
        }
        self.values.get(&key).copied()
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Every value with its key's texts (period, region, industry, indicator, measure).
    pub fn entries(&self) -> impl Iterator<Item = ([&str; 5], f64)> {
        self.values
            .iter()
            .map(|(key, v)| (std::array::from_fn(|f| self.fields[f].values[key[f] as usize].as_str()), *v))
    }

    /// The values of the given measures, as rows for the risk rules.
    pub fn rows(&self, measures: &[&str]) -> Vec<MeasureRow> {
        let wanted: Vec<u32> = measures.iter().filter_map(|m| self.fields[4].find(m)).collect();
        let periods: Vec<Option<Period>> = self.fields[0].values.iter().map(|p| p.parse().ok()).collect();
        let text = |f: usize, n: u32| self.fields[f].values[n as usize].clone();
        self.values
            .iter()
            .filter(|(k, _)| wanted.contains(&k[4]))
            .filter_map(|(k, v)| {
                Some(MeasureRow {
                    period: periods[k[0] as usize]?,
                    region: text(1, k[1]),
                    industry: text(2, k[2]),
                    indicator: text(3, k[3]),
                    measure: text(4, k[4]),
                    value: *v,
                })
            })
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// One value of a measure.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasureRow {
    pub period: Period,
    pub region: String,
    pub industry: String,
    pub indicator: String,
    pub measure: String,
    pub value: f64,
}

#[cfg(test)]
mod tests {
    //! Worked cases, every expected number computed by hand from the formulas of domain.md.
    use super::*;
    use crate::model::period::Period;

    fn o(period: &str, region: &str, industry: &str, x: Option<f64>, g: Option<f64>) -> Observation {
        Observation {
            period: period.parse::<Period>().unwrap(),
            region: region.into(),
            industry: industry.into(),
            indicator: "operating_income".into(),
            value: x,
            yoy_pct: g,
            release_date: "2025-10-20".into(),
            source: None,
        }
    }

    fn table(rows: &[Observation], period: &str) -> MeasureTable {
        let p = period.parse::<Period>().unwrap().index();
        MeasureTable::from_frame(
            &compute(
                Inputs {
                    observations: rows,
                    ..Inputs::default()
                },
                p..=p,
            )
            .unwrap(),
        )
        .unwrap()
    }

    fn get(t: &MeasureTable, region: &str, industry: &str, measure: &str) -> Option<f64> {
        t.entries()
            .find(|(k, _)| k[1] == region && k[2] == industry && k[4] == measure)
            .map(|(_, v)| v)
    }

    fn close(actual: Option<f64>, expected: f64) {
        let a = actual.unwrap_or_else(|| panic!("expected {expected}, got an absent measure"));
        assert!((a - expected).abs() < 1e-9, "expected {expected}, got {a}");
    }

    #[test]
    fn published_growth_wins_over_levels() {
        // Levels say 120 / 100 − 1 = 20 %; the bureau published 15 % on the comparable basis.
        let rows = [
            o("2024Q3", "340100", "NGIT", Some(100.0), None),
            o("2025Q3", "340100", "NGIT", Some(120.0), Some(15.0)),
        ];
        let t = table(&rows, "2025Q3");
        close(get(&t, "340100", "NGIT", "yoy_pct"), 15.0);
        close(get(&t, "340100", "NGIT", "ytd"), 120.0);
        // B = 120 / 1.15 = 104.347826086956…
        close(get(&t, "340100", "NGIT", "base_ytd"), 104.34782608695652);
    }

    #[test]
    fn growth_falls_back_to_levels_and_is_absent_on_a_base_at_or_below_zero() {
        let rows = [
            o("2024Q3", "340100", "NGIT", Some(100.0), None),
            o("2025Q3", "340100", "NGIT", Some(120.0), None),
            o("2024Q3", "340100", "LH", Some(0.0), None),
            o("2025Q3", "340100", "LH", Some(5.0), None),
            o("2024Q3", "340100", "AI", Some(-2.0), None),
            o("2025Q3", "340100", "AI", Some(3.0), None),
        ];
        let t = table(&rows, "2025Q3");
        close(get(&t, "340100", "NGIT", "yoy_pct"), 20.0);
        close(get(&t, "340100", "NGIT", "base_ytd"), 100.0);
        assert_eq!(get(&t, "340100", "LH", "yoy_pct"), None, "base 0: absent, not infinite");
        assert_eq!(get(&t, "340100", "AI", "yoy_pct"), None, "negative base: absent");
        assert_eq!(get(&t, "340100", "AI", "base_ytd"), None);
        close(get(&t, "340100", "AI", "ytd"), 3.0);
    }

    #[test]
    fn single_quarter_from_cumulative_data() {
        // Q2: X = 50, g = 10 → B = 45.454545…; Q3: X = 80, g = 12 → B = 71.428571…
        // quarter = 30; quarter_yoy = (30 / (71.428571… − 45.454545…) − 1) × 100 = 15.5
        let rows = [
            o("2025Q1", "340100", "NGIT", Some(20.0), Some(8.0)),
            o("2025Q2", "340100", "NGIT", Some(50.0), Some(10.0)),
            o("2025Q3", "340100", "NGIT", Some(80.0), Some(12.0)),
        ];
        let t = table(&rows, "2025Q3");
        close(get(&t, "340100", "NGIT", "quarter"), 30.0);
        close(get(&t, "340100", "NGIT", "quarter_yoy_pct"), 15.5);
        let t1 = table(&rows, "2025Q1");
        close(get(&t1, "340100", "NGIT", "quarter"), 20.0);
        close(get(&t1, "340100", "NGIT", "quarter_yoy_pct"), 8.0);
    }

    #[test]
    fn a_missing_previous_quarter_makes_the_single_quarter_absent_and_never_crosses_years() {
        let rows = [
            o("2024Q4", "340100", "NGIT", Some(90.0), Some(5.0)),
            o("2025Q3", "340100", "NGIT", Some(80.0), Some(12.0)),
        ];
        let t = table(&rows, "2025Q3");
        assert_eq!(get(&t, "340100", "NGIT", "quarter"), None);
        assert_eq!(get(&t, "340100", "NGIT", "quarter_yoy_pct"), None);
        close(get(&t, "340100", "NGIT", "ytd"), 80.0);
        // Q1 follows Q4 of the previous year but is never differenced with it.
        let rows = [
            o("2024Q4", "340100", "NGIT", Some(90.0), Some(5.0)),
            o("2025Q1", "340100", "NGIT", Some(25.0), Some(6.0)),
        ];
        close(get(&table(&rows, "2025Q1"), "340100", "NGIT", "quarter"), 25.0);
    }

    #[test]
    fn share_pull_contribution_and_gaps_against_total() {
        // TOTAL: X = 1000, g = 10 → B_T = 909.090909…, X_T − B_T = 90.909090…
        // NGIT:  X = 300,  g = 20 → B = 250, X − B = 50
        // SHA:   X = 100,  g = −5 → B = 105.263157…, X − B = −5.263157…
        // Last year: TOTAL 950, NGIT 228 → share 24 %.
        let rows = [
            o("2024Q3", "340000", "TOTAL", Some(950.0), None),
            o("2024Q3", "340000", "NGIT", Some(228.0), None),
            o("2025Q3", "340000", "TOTAL", Some(1000.0), Some(10.0)),
            o("2025Q3", "340000", "NGIT", Some(300.0), Some(20.0)),
            o("2025Q3", "340000", "SHA", Some(100.0), Some(-5.0)),
        ];
        let t = table(&rows, "2025Q3");
        close(get(&t, "340000", "NGIT", "share_pct"), 30.0);
        close(get(&t, "340000", "NGIT", "share_change_pp"), 6.0);
        close(get(&t, "340000", "NGIT", "gap_to_total_pp"), 10.0);
        close(get(&t, "340000", "NGIT", "pull_pp"), 50.0 / (1000.0 / 1.1) * 100.0); // 5.5
        close(get(&t, "340000", "NGIT", "pull_pp"), 5.5);
        close(get(&t, "340000", "NGIT", "contribution_pct"), 55.0); // 50 / 90.90… × 100
        // a falling industry in a growing total contributes negatively
        close(
            get(&t, "340000", "SHA", "contribution_pct"),
            (100.0 - 100.0 / 0.95) / (1000.0 - 1000.0 / 1.1) * 100.0,
        );
        assert!(get(&t, "340000", "SHA", "contribution_pct").unwrap() < 0.0);
        close(get(&t, "340000", "SHA", "contribution_pct"), -5.789473684210526);
        close(get(&t, "340000", "SHA", "gap_to_total_pp"), -15.0);
        assert_eq!(get(&t, "340000", "SHA", "share_change_pp"), None, "no share last year");
        // TOTAL against itself is not reported
        assert_eq!(get(&t, "340000", "TOTAL", "share_pct"), None);
        assert_eq!(get(&t, "340000", "TOTAL", "contribution_pct"), None);
        close(get(&t, "340000", "TOTAL", "yoy_pct"), 10.0);
    }

    #[test]
    fn rank_among_cities_with_ties_and_gap_to_the_province() {
        let rows = [
            o("2025Q3", "340000", "NGIT", Some(100.0), Some(9.0)),
            o("2025Q3", "340100", "NGIT", Some(40.0), Some(12.0)),
            o("2025Q3", "340200", "NGIT", Some(20.0), Some(8.0)),
            o("2025Q3", "340300", "NGIT", Some(20.0), Some(8.0)),
            o("2025Q3", "340400", "NGIT", Some(20.0), Some(5.0)),
            o("2025Q3", "340500", "NGIT", Some(1.0), None), // no growth: no rank
        ];
        let t = table(&rows, "2025Q3");
        let ranks: Vec<Option<f64>> = ["340100", "340200", "340300", "340400", "340500"]
            .iter()
            .map(|r| get(&t, r, "NGIT", "rank"))
            .collect();
        assert_eq!(ranks, vec![Some(1.0), Some(2.0), Some(2.0), Some(4.0), None]);
        assert_eq!(get(&t, "340000", "NGIT", "rank"), None, "the province is not ranked");
        close(get(&t, "340100", "NGIT", "gap_to_parent_pp"), 3.0);
        close(get(&t, "340400", "NGIT", "gap_to_parent_pp"), -4.0);
        assert_eq!(get(&t, "340000", "NGIT", "gap_to_parent_pp"), None);
    }

    #[test]
    fn growth_only_rows_have_no_level_measures() {
        // Added value is often published as a growth rate only.
        let mut a = o("2025Q3", "340000", "NGIT", None, Some(11.2));
        a.indicator = "added_value".into();
        let t = table(&[a], "2025Q3");
        close(get(&t, "340000", "NGIT", "yoy_pct"), 11.2);
        for m in ["ytd", "base_ytd", "quarter", "share_pct", "pull_pp"] {
            assert_eq!(get(&t, "340000", "NGIT", m), None, "{m}");
        }
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn the_measure_table_finds_each_value_by_its_five_texts_and_nothing_else() {
        // rows partly in order (fields repeat the row before), partly not, one value absent
        let df = df!(
            "period" => ["2025Q3", "2025Q3", "2025Q3", "2025Q2", "2025Q3"],
            "region_code" => ["340000", "340000", "340100", "340000", "340000"],
            "industry_code" => ["TEN", "TEN", "TEN", "TEN", "NGIT"],
            "indicator" => ["output_value", "output_value", "output_value", "output_value", "output_value"],
            "measure" => ["ytd", "yoy_pct", "ytd", "ytd", "ytd"],
            "value" => [Some(10.0), Some(2.5), Some(4.0), Some(7.0), None],
        )
        .unwrap();
        let t = MeasureTable::from_frame(&df).unwrap();
        assert_eq!(t.len(), 4, "the absent value is not stored");
        assert_eq!(t.get("2025Q3", "340000", "TEN", "output_value", "ytd"), Some(10.0));
        assert_eq!(t.get("2025Q3", "340000", "TEN", "output_value", "yoy_pct"), Some(2.5));
        assert_eq!(t.get("2025Q3", "340100", "TEN", "output_value", "ytd"), Some(4.0));
        assert_eq!(t.get("2025Q2", "340000", "TEN", "output_value", "ytd"), Some(7.0));
        // each text is known, the combination is not
        assert_eq!(t.get("2025Q2", "340100", "TEN", "output_value", "ytd"), None);
        assert_eq!(t.get("2025Q3", "340000", "NGIT", "output_value", "ytd"), None);
        assert_eq!(t.get("2025Q3", "340000", "TEN", "output_value", "share_pct"), None);
        assert_eq!(t.get("2025Q4", "340000", "TEN", "output_value", "ytd"), None);
        let mut rows: Vec<(String, String, f64)> = t
            .rows(&["ytd", "rank"])
            .into_iter()
            .map(|r| (r.period.to_string(), r.region, r.value))
            .collect();
        rows.sort_by(|a, b| a.partial_cmp(b).unwrap());
        assert_eq!(
            rows,
            vec![
                ("2025Q2".to_string(), "340000".to_string(), 7.0),
                ("2025Q3".to_string(), "340000".to_string(), 10.0),
                ("2025Q3".to_string(), "340100".to_string(), 4.0),
            ]
        );
        let mut entries: Vec<_> = t.entries().map(|(k, v)| (k.map(str::to_string), v)).collect();
        entries.sort_by(|a, b| a.partial_cmp(b).unwrap());
        assert_eq!(entries[0].0, ["2025Q2", "340000", "TEN", "output_value", "ytd"].map(str::to_string));
        assert_eq!(entries.len(), 4);
    }
}
