//! A quarter's suppression: primary cells judged from their contributors, complementary
//! cells added over the hierarchy, and the answer to "may this value leave?". No I/O.

use std::collections::{BTreeMap, BTreeSet};

use super::{Cell, Contributions, Reason, Row, Rules, hidden, primary, secondary};
use crate::model::catalogue::parent_code;
use crate::model::period::Period;

/// What is known of one cell for disclosure: its contributors for each magnitude judged
/// (operating income, output value), whether the bureau published it, and what
/// suppressing it would lose (its level).
#[derive(Debug, Clone, PartialEq)]
pub struct CellFacts {
    pub contributions: Vec<Contributions>,
    pub published: bool,
    pub cost: f64,
}

/// The policy: the primary rules, and whether published aggregates are protected too.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Policy {
    pub rules: Rules,
    /// Suppress a cell the bureau published (already public) when its records are
    /// sensitive; off by default.
    pub protect_published: bool,
    /// A complementary cell must reach this share of the cell it protects (%).
    pub margin_pct: f64,
}

/// Measures only enterprise records give: hidden with a sensitive cell even where the
/// bureau published its level (and so is its enterprise count).
const FROM_RECORDS_ONLY: &[&str] = crate::compute::enterprises::ENTERPRISE_MEASURES;

/// The suppressed cells of each quarter, and why.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Suppression {
    pub cells: BTreeMap<(Period, Cell), Reason>,
    /// Sensitive cells the bureau published: only what records alone give is hidden.
    published: BTreeSet<(Period, Cell)>,
    /// The regions any of whose cells is in `cells` or `published`: every other value
    /// leaves without a look-up (most of a national table).
    regions: std::collections::HashSet<String>,
    /// (quarter, parent region, industry) of every suppressed cell: the ranks of its
    /// siblings would place it between two published growth rates.
    ranked: std::collections::HashSet<(Period, String, String)>,
}

/// Suppresses the cells of each quarter of `facts`: primary by `policy`, then secondary
/// over `rows(period)`.
pub fn suppress(policy: &Policy, facts: &BTreeMap<(Period, Cell), CellFacts>, rows: impl Fn(Period) -> Vec<Row>) -> Suppression {
    let mut out = Suppression::default();
    let periods: BTreeSet<Period> = facts.keys().map(|(p, _)| *p).collect();
    for period in periods {
        let of_period = facts
            .range((period, (String::new(), String::new()))..)
            .take_while(|((p, _), _)| *p == period);
        let mut cells: BTreeMap<Cell, Reason> = BTreeMap::new();
        let mut fixed: BTreeSet<Cell> = BTreeSet::new();
        for ((_, cell), f) in of_period {
            let reason = f.contributions.iter().find_map(|c| primary(&policy.rules, c));
            if f.published && !policy.protect_published {
                fixed.insert(cell.clone());
                if reason.is_some() {
                    out.published.insert((period, cell.clone()));
                }
                continue;
            }
            if let Some(r) = reason {
                cells.insert(cell.clone(), r);
            }
        }
        // published cells are public: they can neither be suppressed nor complement
        let rows: Vec<Row> = rows(period)
            .into_iter()
            .map(|row| Row {
                children: row.children.into_iter().filter(|c| !fixed.contains(c)).collect(),
                ..row
            })
            .collect();
        let cost = |c: &Cell| facts.get(&(period, c.clone())).map_or(0.0, |f| f.cost);
        secondary(&rows, &mut cells, cost, policy.margin_pct / 100.0);
        for (cell, reason) in cells {
            if !fixed.contains(&cell) {
                out.cells.insert((period, cell), reason);
            }
        }
    }
    out.regions = out.cells.keys().chain(&out.published).map(|(_, (r, _))| r.clone()).collect();
    out.ranked = out
        .cells
        .keys()
        .filter_map(|(p, (r, i))| Some((*p, parent_code(r)?, i.clone())))
        .collect();
    out
}

impl Suppression {
    /// Why the cell is suppressed, if it is.
    pub fn reason(&self, period: Period, region: &str, industry: &str) -> Option<Reason> {
        self.cells.get(&(period, (region.to_string(), industry.to_string()))).copied()
    }

    /// Whether `measure` of `indicator` on (region, industry) at `period` may not leave
    /// the analyst.
    pub fn hidden(&self, period: Period, region: &str, industry: &str, indicator: &str, measure: &str) -> bool {
        if measure == "rank"
            && !self.ranked.is_empty()
            && parent_code(region).is_some_and(|parent| self.ranked.contains(&(period, parent, industry.to_string())))
        {
            return true;
        }
        if !self.regions.contains(region) {
            return false;
        }
        let key = |p: Period, r: &str, i: &str| (p, (r.to_string(), i.to_string()));
        if (indicator == "enterprises" || FROM_RECORDS_ONLY.contains(&measure)) && self.published.contains(&key(period, region, industry)) {
            return true;
        }
        hidden(measure, period, region, industry, |p, r, i| self.cells.contains_key(&key(p, r, i)))
    }

    /// Why a value is withheld, if it is: its cell's rule (`threshold`, `dominance`,
    /// `p_percent`, `secondary`), `derived` when it would give another suppressed cell
    /// back, `records` when only records give it and its published cell is sensitive.
    pub fn why(&self, period: Period, region: &str, industry: &str, indicator: &str, measure: &str) -> Option<&'static str> {
        if !self.hidden(period, region, industry, indicator, measure) {
            return None;
        }
        Some(match self.reason(period, region, industry) {
            Some(reason) => reason.as_str(),
            None if self.published.contains(&(period, (region.to_string(), industry.to_string()))) => "records",
            None => "derived",
        })
    }

    /// The cells suppressed in `period`, primary and secondary, among those `keep` keeps.
    pub fn counts(&self, period: Period, keep: impl Fn(&str, &str) -> bool) -> (usize, usize) {
        let mut n = (0, 0);
        for ((p, (r, i)), reason) in &self.cells {
            if *p == period && keep(r, i) {
                if reason.is_primary() {
                    n.0 += 1;
                } else {
                    n.1 += 1;
                }
            }
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disclosure::Dominance;

    #[test]
    fn a_suppressed_county_takes_its_siblings_ranks_with_it() {
        let policy = Policy {
            rules: Rules {
                min_contributors: 3,
                dominance: Some(Dominance { n: 2, k_pct: 85.0 }),
                p_pct: None,
            },
            protect_published: false,
            margin_pct: 10.0,
        };
        let p: Period = "2025Q3".parse().unwrap();
        let cell = |r: &str| (r.to_string(), "NGIT".to_string());
        let facts = |n: u32, total: f64| CellFacts {
            contributions: vec![Contributions {
                enterprises: n,
                total,
                largest: [total / f64::from(n), total / f64::from(n)],
            }],
            published: false,
            cost: total,
        };
        let all = BTreeMap::from([
            ((p, cell("340100")), facts(20, 100.0)),
            ((p, cell("340102")), facts(1, 5.0)),
            ((p, cell("340103")), facts(9, 45.0)),
            ((p, cell("340104")), facts(10, 50.0)),
        ]);
        let rows = |_| {
            vec![Row {
                parent: cell("340100"),
                children: vec![cell("340102"), cell("340103"), cell("340104")],
            }]
        };
        let s = suppress(&policy, &all, rows);
        assert_eq!(s.reason(p, "340102", "NGIT"), Some(Reason::Threshold));
        assert_eq!(
            s.reason(p, "340103", "NGIT"),
            Some(Reason::Secondary),
            "smallest sufficient sibling"
        );
        assert!(!s.hidden(p, "340104", "NGIT", "operating_income", "ytd"), "a published sibling");
        assert!(
            s.hidden(p, "340104", "NGIT", "operating_income", "rank"),
            "but not its rank among its siblings"
        );
        assert!(
            !s.hidden(p, "340100", "NGIT", "operating_income", "rank"),
            "the city's own rank is among cities"
        );
    }
}
