//! Which measures give a suppressed cell back, and so are hidden with it. No I/O.
//!
//! Everything of a suppressed cell (every indicator and measure, the enterprise count
//! included: "four enterprises or fewer" is itself about them). And of a published cell:
//! - growth and what is built on it (`yoy_pct`, `base_ytd`, the gaps, pull,
//!   contribution, rank, breadth) when the cell a year earlier is suppressed — the
//!   comparable base gives the year-earlier level back;
//! - the single quarter (`quarter`, `quarter_yoy_pct`) when the quarter before is
//!   suppressed — the difference of two year-to-date levels gives it back;
//! - `share_change_pp` when the cell a year earlier is suppressed;
//! - its share, pull and contribution when its region's all-industry total is
//!   suppressed — a share and a level give the total back;
//! - its rank among its siblings when one of them is suppressed — the published ranks
//!   would place the suppressed growth between two published ones (this one lives in
//!   `suppression.rs`, which knows the siblings);
//! - a chain segment's share of its chain (and its change) when the chain is suppressed;
//! - a chain's leaders' share and growth (the rest's growth) when the leaders (the rest),
//!   judged as a cell of their own, are suppressed.

use crate::model::catalogue::TOTAL;
use crate::model::period::Period;

/// Measures that compare with the same quarter a year earlier.
const AGAINST_A_YEAR_EARLIER: &[&str] = &[
    "yoy_pct",
    "base_ytd",
    "gap_to_total_pp",
    "gap_to_parent_pp",
    "pull_pp",
    "contribution_pct",
    "rank",
    "growth_breadth_pct",
    "share_change_pp",
    "segment_share_change_pp",
];
/// Measures that take the difference with the quarter before.
const AGAINST_THE_QUARTER_BEFORE: &[&str] = &["quarter", "quarter_yoy_pct"];
/// Measures of a segment that divide by its chain.
const OVER_THE_CHAIN: &[&str] = &["segment_share_pct", "segment_share_change_pp"];
/// Measures that divide by the region's all-industry total.
const OVER_THE_TOTAL: &[&str] = &["share_pct", "share_change_pp", "pull_pp", "contribution_pct"];

/// Whether `measure` of (region, industry) at `period` must be hidden, given which cells
/// are suppressed (`suppressed(period, region, industry)`).
pub fn hidden(measure: &str, period: Period, region: &str, industry: &str, suppressed: impl Fn(Period, &str, &str) -> bool) -> bool {
    if suppressed(period, region, industry) {
        return true;
    }
    let at = |p: Option<Period>| p.is_some_and(|p| suppressed(p, region, industry));
    let year_earlier = Period::from_index(period.index() - 4);
    if AGAINST_A_YEAR_EARLIER.contains(&measure) && at(year_earlier) {
        return true;
    }
    let before = if period.quarter() > 1 { period.previous() } else { None };
    if AGAINST_THE_QUARTER_BEFORE.contains(&measure) && at(before) {
        return true;
    }
    // a chain's leaders' (and the rest's) measures are theirs: hidden with their group
    let group = match measure {
        "leaders_share_pct" | "leaders_yoy_pct" => Some(crate::model::chain::LEADERS_SUFFIX),
        "others_yoy_pct" => Some(crate::model::chain::OTHERS_SUFFIX),
        _ => None,
    };
    if let Some(suffix) = group {
        let cell = format!("{industry}{suffix}");
        if suppressed(period, region, &cell) || measure.ends_with("yoy_pct") && year_earlier.is_some_and(|p| suppressed(p, region, &cell)) {
            return true;
        }
    }
    if OVER_THE_CHAIN.contains(&measure)
        && let Some(chain) = chain_of(industry)
        && (suppressed(period, region, chain)
            || AGAINST_A_YEAR_EARLIER.contains(&measure) && year_earlier.is_some_and(|p| suppressed(p, region, chain)))
    {
        return true;
    }
    OVER_THE_TOTAL.contains(&measure) && industry != TOTAL && suppressed(period, region, TOTAL)
}

/// The chain row of a segment row (`chain.IC.design` → `chain.IC`).
fn chain_of(industry: &str) -> Option<&str> {
    let rest = industry.strip_prefix(crate::model::chain::ROW_PREFIX)?;
    let (chain, _) = rest.split_once('.')?;
    Some(&industry[..crate::model::chain::ROW_PREFIX.len() + chain.len()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_gives_a_suppressed_cell_back_is_hidden_with_it() {
        let p = |s: &str| s.parse::<Period>().unwrap();
        // Feixi's NGIT suppressed in 2024Q3 and 2025Q2; Feixi's TOTAL in 2025Q3
        let suppressed = |period: Period, region: &str, industry: &str| {
            (region, industry, period.to_string().as_str()) == ("340123", "NGIT", "2024Q3")
                || (region, industry, period.to_string().as_str()) == ("340123", "NGIT", "2025Q2")
                || (region, industry, period.to_string().as_str()) == ("340123", "TOTAL", "2025Q3")
        };
        let h = |m: &str, period: &str, industry: &str| hidden(m, p(period), "340123", industry, suppressed);
        assert!(h("ytd", "2024Q3", "NGIT"), "the cell itself");
        assert!(h("hhi", "2025Q2", "NGIT"), "every measure of it");
        assert!(h("yoy_pct", "2025Q3", "NGIT"), "growth against a suppressed year-earlier level");
        assert!(!h("ytd", "2025Q3", "NGIT"), "the level itself is published");
        assert!(
            h("quarter", "2025Q3", "NGIT"),
            "the third quarter alone is 1–9 minus a suppressed 1–6"
        );
        assert!(h("share_pct", "2025Q3", "NGIT"), "a share of a suppressed total");
        assert!(h("share_pct", "2025Q3", "TOTAL") && h("ytd", "2025Q3", "TOTAL"), "the total itself");
        assert!(!h("yoy_pct", "2025Q4", "NGIT"), "2024Q4 was published");
        assert!(!h("quarter", "2025Q1", "NGIT"), "a first quarter is its own level");
    }

    #[test]
    fn a_segments_share_of_a_suppressed_chain_is_hidden() {
        let p: Period = "2025Q3".parse().unwrap();
        let suppressed = |_: Period, region: &str, industry: &str| (region, industry) == ("340102", "chain.IC");
        let h = |m: &str, industry: &str| hidden(m, p, "340102", industry, suppressed);
        assert!(h("segment_share_pct", "chain.IC.design"), "its level and share give the chain back");
        assert!(!h("ytd", "chain.IC.design"), "the segment's own level is its own");
        assert!(!h("segment_share_pct", "chain.ICX.design"), "another chain");
        assert_eq!(chain_of("chain.IC.design"), Some("chain.IC"));
        // two leaders are two enterprises: their group is judged as a cell of its own
        let leaders = |_: Period, region: &str, industry: &str| (region, industry) == ("340102", "chain.IC@leaders");
        let h = |m: &str| hidden(m, p, "340102", "chain.IC", leaders);
        assert!(h("leaders_yoy_pct") && h("leaders_share_pct"));
        assert!(!h("others_yoy_pct") && !h("ytd"), "the chain and the rest are their own");
        assert_eq!(chain_of("chain.IC"), None);
    }
}
