//! Industrial chains' measures (domain.md §4 "Industrial chains"), lazily. No I/O.
//!
//! A chain and each of its segments are aggregated from enterprise records like an
//! industry: their classes are mapped to the chain's row code (`chain.IC`) and to the
//! segment's (`chain.IC.design`) beside the class mapping ([`pairs`]), so every measure
//! of an industry — level, comparable growth, share, pull, breadth, loss ratio, CR4, HHI,
//! the largest enterprise's share (the chain's dependence on it) — comes out for them,
//! each enterprise counted once in its chain (a class is in one segment of a chain).
//! Then the chain's own, from those aggregates ([`chain_measures`]):
//! - `segment_share_pct`: a segment's X / its chain's X × 100 (income, output), on the
//!   segment's rows; `segment_share_change_pp` its change from a year earlier;
//! - `coverage_pct` and `missing_segments`, on the chain's `enterprises` rows: the
//!   segments with at least k enterprises in the region, as a share of the chain's
//!   segments, and the number short of k (the missing links 补链 is about).

use polars::prelude::*;

use super::{measure_order, quarter_index};
use crate::model::chain::Chain;

/// The chains' own measures, in output order.
pub const CHAIN_MEASURES: &[&str] = &[
    "segment_share_pct",
    "segment_share_change_pp",
    "coverage_pct",
    "missing_segments",
    "leaders_share_pct",
    "leaders_yoy_pct",
    "others_yoy_pct",
];

/// The magnitudes a segment's share of its chain is measured on.
const SHARED: [&str; 2] = ["operating_income", "output_value"];

/// (class, row code) pairs that aggregate the chains and their segments with the
/// industries: each class of a segment feeds its chain and its segment.
pub fn pairs(chains: &[Chain]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for chain in chains {
        for segment in &chain.segments {
            for class in &segment.classes {
                out.push((class.clone(), chain.row_code()));
                out.push((class.clone(), chain.segment_row_code(segment)));
            }
        }
    }
    out
}

/// The aggregates of each chain's leaders together (`chain.IC@leaders`) and of its other
/// enterprises (`chain.IC@others`), from the partials of the chain's classes, added to the
/// industries' `(aggregates, extra)`: every measure of an industry comes out for them, and
/// disclosure control judges them as cells of their own (two leaders are two enterprises).
/// The partials keep each leader's records apart (`leader`, its place in
/// [`crate::model::chain::all_leaders`]), so the records are not read.
pub fn with_leaders(
    (aggregates, extra): (LazyFrame, LazyFrame),
    partials: &LazyFrame,
    chains: &[Chain],
    selection: &super::enterprises::Selection,
) -> PolarsResult<(LazyFrame, LazyFrame)> {
    let led: Vec<&Chain> = chains.iter().filter(|c| !c.leaders.is_empty()).collect();
    if led.is_empty() {
        return Ok((aggregates, extra));
    }
    let numbered = crate::model::chain::all_leaders(chains);
    // The partials of the chains' classes that the aggregation reads, read once; then one
    // copy per chain, its classes rewritten to the group they are in (`L{i}`, `O{i}`): one
    // aggregation for every chain's two groups.
    let all_classes: std::collections::BTreeSet<&str> = led
        .iter()
        .flat_map(|c| c.segments.iter().flat_map(|s| s.classes.iter().map(String::as_str)))
        .collect();
    let classes_frame = |classes: Vec<&str>| -> PolarsResult<LazyFrame> { Ok(df!("class_code" => classes)?.lazy()) };
    let in_chains = partials
        .clone()
        .filter(selection.levels.clone())
        .join(
            classes_frame(all_classes.into_iter().collect())?,
            [col("class_code")],
            [col("class_code")],
            JoinArgs::new(JoinType::Inner),
        )
        .collect()?;
    let (mut copies, mut mapping) = (Vec::new(), Vec::new());
    for (i, chain) in led.iter().enumerate() {
        let classes: Vec<&str> = chain.segments.iter().flat_map(|s| s.classes.iter().map(String::as_str)).collect();
        let leaders: Vec<u32> = chain
            .leaders
            .iter()
            .filter_map(|l| numbered.iter().position(|n| n == l).map(|p| p as u32 + 1))
            .collect();
        let is_leader = leaders.iter().fold(lit(false), |any, n| any.or(col("leader").eq(lit(*n))));
        let copy = in_chains
            .clone()
            .lazy()
            .join(
                classes_frame(classes)?,
                [col("class_code")],
                [col("class_code")],
                JoinArgs::new(JoinType::Inner),
            )
            .with_columns([
                col("class_code").alias("from_class"),
                when(is_leader)
                    .then(lit(format!("L{i}")))
                    .otherwise(lit(format!("O{i}")))
                    .alias("class_code"),
            ]);
        copies.push(copy);
        mapping.push((format!("L{i}"), chain.leaders_row_code()));
        mapping.push((format!("O{i}"), chain.others_row_code()));
    }
    let copies = concat(copies, UnionArgs::default())?;
    let (a, e) = super::enterprises::aggregate(copies, &mapping, &[], selection)?;
    // the groups' own rows (not the TOTAL their records also feed)
    let own = || col("industry_code").str().starts_with(lit(crate::model::chain::ROW_PREFIX));
    let (all, all_extra) = (vec![aggregates, a.filter(own())], vec![extra, e.filter(own())]);
    let union = |parts: Vec<LazyFrame>| {
        concat(
            parts,
            UnionArgs {
                to_supertypes: true,
                ..Default::default()
            },
        )
    };
    Ok((union(all)?, union(all_extra)?))
}

/// Long rows (`year`, `q`, `region_code`, `industry_code`, `indicator`, `measure`,
/// `m_order`, `value`) of the chains' own measures, from observation-shaped aggregates
/// (`region_code`, `industry_code`, `indicator`, `year`, `q`, `x`) that hold the chains'
/// and segments' rows; `k` is the enterprises a segment needs to count as present.
pub fn chain_measures(obs: LazyFrame, chains: &[Chain], k: f64) -> PolarsResult<LazyFrame> {
    let (mut segment, mut chain_of) = (Vec::new(), Vec::new());
    let (mut chain, mut segments) = (Vec::new(), Vec::new());
    for c in chains {
        chain.push(c.row_code());
        segments.push(c.segments.len() as f64);
        for s in &c.segments {
            segment.push(c.segment_row_code(s));
            chain_of.push(c.row_code());
        }
    }
    let of_chain = df!("industry_code" => segment, "chain" => chain_of)?.lazy();
    let sizes = df!("chain" => chain, "segments" => segments)?.lazy();
    let obs = obs.select([
        col("region_code"),
        col("industry_code"),
        col("indicator"),
        col("year"),
        col("q"),
        col("x"),
        col("g_pub"),
    ]);
    let join = |left: LazyFrame, right: LazyFrame, on: &[&str], how: JoinType| {
        let on: Vec<Expr> = on.iter().map(|c| col(*c)).collect();
        left.join(right, on.clone(), on, JoinArgs::new(how))
    };
    // a segment's share of its chain, and a year earlier
    let shared = || SHARED.iter().fold(lit(false), |e, k| e.or(col("indicator").eq(lit(*k))));
    let seg = join(obs.clone().filter(shared()), of_chain.clone(), &["industry_code"], JoinType::Inner);
    // each chain's level, joined by the segments and by the leaders and the rest
    let totals = obs.clone().filter(shared()).select([
        col("region_code"),
        col("industry_code").alias("chain"),
        col("indicator"),
        col("year"),
        col("q"),
        col("x").alias("x_chain"),
    ]);
    let share = join(
        seg,
        totals.clone(),
        &["region_code", "chain", "indicator", "year", "q"],
        JoinType::Inner,
    )
    .filter(col("x_chain").gt(lit(0.0)))
    .with_columns([(col("x") / col("x_chain") * lit(100.0)).alias("share"), quarter_index().alias("p")])
    .select([
        col("region_code"),
        col("industry_code"),
        col("indicator"),
        col("year"),
        col("q"),
        col("p"),
        col("share"),
    ])
    .collect()?
    .lazy();
    let year_earlier = share.clone().select([
        col("region_code"),
        col("industry_code"),
        col("indicator"),
        (col("p") + lit(4)).alias("p"),
        col("share").alias("share_ly"),
    ]);
    let with_change = join(
        share,
        year_earlier,
        &["region_code", "industry_code", "indicator", "p"],
        JoinType::Left,
    )
    .with_column((col("share") - col("share_ly")).alias("change"));
    let row = |frame: LazyFrame, measure: &str, value: Expr| {
        frame
            .select([
                col("year"),
                col("q"),
                col("region_code"),
                col("industry_code"),
                col("indicator"),
                lit(measure).alias("measure"),
                lit(measure_order(measure)).alias("m_order"),
                value.cast(DataType::Float64).alias("value"),
            ])
            .filter(col("value").is_not_null())
    };
    // segments with at least k enterprises, per chain, region and quarter
    let counts = join(
        obs.clone().filter(col("indicator").eq(lit("enterprises"))),
        of_chain,
        &["industry_code"],
        JoinType::Inner,
    )
    .group_by([col("region_code"), col("chain"), col("year"), col("q")])
    .agg([col("x").gt_eq(lit(k)).cast(DataType::Float64).sum().alias("covered")]);
    let coverage = join(counts, sizes, &["chain"], JoinType::Inner)
        .with_columns([col("chain").alias("industry_code"), lit("enterprises").alias("indicator")]);
    // the leaders' share of their chain and growth, and the rest's growth
    let (mut group, mut group_chain, mut kind) = (Vec::new(), Vec::new(), Vec::new());
    for c in chains.iter().filter(|c| !c.leaders.is_empty()) {
        for (code, k) in [(c.leaders_row_code(), "leaders"), (c.others_row_code(), "others")] {
            group.push(code);
            group_chain.push(c.row_code());
            kind.push(k);
        }
    }
    let groups = df!("industry_code" => group, "chain" => group_chain, "kind" => kind)?.lazy();
    let of_group = join(obs.clone().filter(shared()), groups, &["industry_code"], JoinType::Inner);
    let chain_level = totals;
    let by_group = join(
        of_group,
        chain_level,
        &["region_code", "chain", "indicator", "year", "q"],
        JoinType::Inner,
    )
    .with_column(col("chain").alias("industry_code"));
    let kind = |k: &str| by_group.clone().filter(col("kind").eq(lit(k.to_string())));
    concat(
        [
            row(with_change.clone(), "segment_share_pct", col("share")),
            row(with_change, "segment_share_change_pp", col("change")),
            row(coverage.clone(), "coverage_pct", col("covered") / col("segments") * lit(100.0)),
            row(coverage, "missing_segments", col("segments") - col("covered")),
            row(
                kind("leaders").filter(col("x_chain").gt(lit(0.0))),
                "leaders_share_pct",
                col("x") / col("x_chain") * lit(100.0),
            ),
            row(kind("leaders"), "leaders_yoy_pct", col("g_pub")),
            row(kind("others"), "others_yoy_pct", col("g_pub")),
        ],
        UnionArgs::default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::chain::{Segment, Stage};

    fn ic() -> Chain {
        let segment = |code: &str, classes: &[&str]| Segment {
            code: code.into(),
            zh: String::new(),
            en: String::new(),
            stage: Stage::Midstream,
            classes: classes.iter().map(|c| c.to_string()).collect(),
        };
        Chain {
            code: "IC".into(),
            zh: "集成电路".into(),
            en: "Integrated circuits".into(),
            segments: vec![segment("design", &["6520"]), segment("fab", &["3973"]), segment("test", &["3972"])],
            // the chain leader: C (its records carry the code as their enterprise id)
            leaders: vec!["C".into()],
        }
    }

    /// Hefei's IC chain in two counties, income in 2024Q3 and 2025Q3 (0: not on the roster):
    /// 瑶海 340102: A design 50 → 60, B design entered (20), C fab 80 → 100, D fab left
    /// (30); 庐阳 340103: E test 40 → 40, F fab 10 → 10.
    fn table(k: u32) -> crate::compute::MeasureTable {
        use crate::compute::{Inputs, MeasureTable, compute};
        /// (enterprise, county, class, income 2024Q3, 2025Q3)
        type Firm = (&'static str, &'static str, &'static str, f64, f64);
        let rows: &[Firm] = &[
            ("A", "340102", "6520", 50.0, 60.0),
            ("B", "340102", "6520", 0.0, 20.0),
            ("C", "340102", "3973", 80.0, 100.0),
            ("D", "340102", "3973", 30.0, 0.0),
            ("E", "340103", "3972", 40.0, 40.0),
            ("F", "340103", "3973", 10.0, 10.0),
        ];
        // one record per enterprise and year on the roster
        let on: Vec<(i32, &Firm)> = rows
            .iter()
            .flat_map(|r| [(2024, r), (2025, r)])
            .filter(|(year, r)| if *year == 2024 { r.3 > 0.0 } else { r.4 > 0.0 })
            .collect();
        let income: Vec<f64> = on.iter().map(|(year, r)| if *year == 2024 { r.3 } else { r.4 }).collect();
        let records = df!(
            "year" => on.iter().map(|r| r.0).collect::<Vec<_>>(),
            "q" => vec![3i32; on.len()],
            "enterprise_id" => on.iter().map(|r| r.1.0).collect::<Vec<_>>(),
            "region_code" => on.iter().map(|r| r.1.1).collect::<Vec<_>>(),
            "class_code" => on.iter().map(|r| r.1.2).collect::<Vec<_>>(),
            "output_value" => income.iter().map(|v| Some(v * 1.1)).collect::<Vec<_>>(),
            "operating_income" => income.iter().map(|v| Some(*v)).collect::<Vec<_>>(),
            "profit" => income.iter().map(|v| Some(v * 0.1)).collect::<Vec<_>>(),
        )
        .unwrap()
        .lazy();
        let chains = [ic()];
        let p = crate::model::period::Period::new(2025, 3).unwrap().index();
        let inputs = Inputs {
            partials: Some(crate::compute::partials_of(records, &chains)),
            chains: &chains,
            chain_min_enterprises: k,
            ..Inputs::default()
        };
        MeasureTable::from_frame(&compute(inputs, p..=p).unwrap()).unwrap()
    }

    fn close(t: &crate::compute::MeasureTable, region: &str, row: &str, indicator: &str, measure: &str, expected: f64) {
        let v = t
            .get("2025Q3", region, row, indicator, measure)
            .unwrap_or_else(|| panic!("{region} {row} {indicator} {measure} absent"));
        assert!(
            (v - expected).abs() < 1e-9,
            "{region} {row} {measure}: expected {expected}, got {v}"
        );
    }

    #[test]
    fn a_chain_and_its_segments_by_hand() {
        let t = table(1);
        let oi = "operating_income";
        // levels: 60 + 20 + 100 + 40 + 10; the design segment 60 + 20
        close(&t, "340100", "chain.IC", oi, "ytd", 230.0);
        close(&t, "340100", "chain.IC.design", oi, "ytd", 80.0);
        close(&t, "340100", "chain.IC", "enterprises", "ytd", 5.0);
        // comparable growth: design over A alone (B entered), 60 / 50 − 1; fab over C and F
        // (D left), 110 / 90 − 1; the chain over A, C, E, F, 210 / 180 − 1
        close(&t, "340100", "chain.IC.design", oi, "yoy_pct", 20.0);
        close(&t, "340100", "chain.IC.fab", oi, "yoy_pct", 100.0 * (110.0 / 90.0 - 1.0));
        close(&t, "340100", "chain.IC", oi, "yoy_pct", 100.0 * (210.0 / 180.0 - 1.0));
        // dependence on the largest enterprise: C, 100 of 230; of the fab segment 100 of 110
        close(&t, "340100", "chain.IC", oi, "top1_share_pct", 100.0 * 100.0 / 230.0);
        close(&t, "340100", "chain.IC.fab", oi, "top1_share_pct", 100.0 * 100.0 / 110.0);
        // a segment's share of its chain, 80 / 230, and its change from 50 / 210
        close(&t, "340100", "chain.IC.design", oi, "segment_share_pct", 100.0 * 80.0 / 230.0);
        close(
            &t,
            "340100",
            "chain.IC.design",
            oi,
            "segment_share_change_pp",
            100.0 * (80.0 / 230.0 - 50.0 / 210.0),
        );
        // coverage: 瑶海 has design and fab, no test; Hefei all three
        close(&t, "340102", "chain.IC", "enterprises", "coverage_pct", 200.0 / 3.0);
        close(&t, "340102", "chain.IC", "enterprises", "missing_segments", 1.0);
        close(&t, "340100", "chain.IC", "enterprises", "coverage_pct", 100.0);
        close(&t, "340100", "chain.IC", "enterprises", "missing_segments", 0.0);
        // the leader C, 100 of 230, grew 100 / 80 − 1; the rest on the comparable basis:
        // A, E, F (B entered, D left), 110 / 100 − 1
        close(&t, "340100", "chain.IC", oi, "leaders_share_pct", 100.0 * 100.0 / 230.0);
        close(&t, "340100", "chain.IC", oi, "leaders_yoy_pct", 25.0);
        close(&t, "340100", "chain.IC", oi, "others_yoy_pct", 10.0);
        close(&t, "340100", "chain.IC@leaders", "enterprises", "ytd", 1.0);
        close(&t, "340100", "chain.IC@others", oi, "ytd", 130.0);
        assert!(
            t.get("2025Q3", "340103", "chain.IC@leaders", oi, "ytd").is_none(),
            "no leader in 庐阳"
        );
        // at least two enterprises a segment: Hefei's test segment (E alone) is thin
        let t = table(2);
        close(&t, "340100", "chain.IC", "enterprises", "coverage_pct", 200.0 / 3.0);
        close(&t, "340100", "chain.IC", "enterprises", "missing_segments", 1.0);
    }

    #[test]
    fn every_class_of_a_segment_feeds_its_chain_and_its_segment() {
        let p = pairs(&[ic()]);
        assert!(p.contains(&("3973".into(), "chain.IC".into())));
        assert!(p.contains(&("3973".into(), "chain.IC.fab".into())));
        assert_eq!(p.len(), 6);
        assert_eq!(ic().leaders_row_code(), "chain.IC@leaders");
    }
}
