//! Statistical disclosure control: which cells aggregated from enterprise records may
//! not reach a reader, because one enterprise's figures could be read or inferred from
//! them (能够识别或者推断单个统计调查对象身份的资料, domain.md §7). No I/O.
//!
//! A cell is a (region, industry) of one quarter. **Primary suppression** marks a cell
//! by its contributors (`primary.rs`): fewer than `min_contributors` enterprises (the
//! threshold rule), the `n` largest holding more than `k` % of it (the (n, k) dominance
//! rule), or — optionally — the rest of the cell being too small to hide the largest from
//! the second largest within `p` % (the p % rule). **Secondary suppression**
//! (`secondary.rs`) adds complementary cells over the region hierarchy until no row
//! (a parent and its children) holds exactly one suppressed cell, so that no suppressed
//! value is the difference of published ones. **Derived measures** (`derived.rs`): every
//! measure of a suppressed cell, and the measures of other cells that would give a
//! suppressed value back (a growth rate against a suppressed year-earlier level, a share
//! of a suppressed total).
//!
//! The defaults follow common statistical-office practice: at least three contributors
//! (the threshold used by Eurostat, the US Census Bureau and the UK ONS for business
//! statistics), and the (2, 85) dominance rule (no two enterprises may hold more than
//! 85 % of a cell; Eurostat's handbook on statistical disclosure control gives it as the
//! usual setting). The p % rule is off unless configured (10 % is the usual value).

mod derived;
mod primary;
mod secondary;
mod suppression;

pub use self::derived::hidden;
pub use self::primary::{Contributions, primary};
pub use self::secondary::{Row, secondary};
pub use self::suppression::{CellFacts, Policy, Suppression, suppress};

use serde::{Deserialize, Serialize};

/// The primary rules.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rules {
    /// The threshold rule: a cell of fewer enterprises than this is sensitive.
    pub min_contributors: u32,
    /// The (n, k) dominance rule.
    pub dominance: Option<Dominance>,
    /// The p % rule, when set.
    pub p_pct: Option<f64>,
}

/// The (n, k) dominance rule: the `n` largest contributors may hold at most `k_pct` % of
/// a cell.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Dominance {
    pub n: u32,
    pub k_pct: f64,
}

/// Why a cell is suppressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Primary: fewer contributors than the threshold.
    Threshold,
    /// Primary: dominated by its largest contributors.
    Dominance,
    /// Primary: the p % rule.
    PPercent,
    /// Secondary: suppressed so that a primary cell cannot be derived.
    Secondary,
}

impl Reason {
    pub fn is_primary(self) -> bool {
        self != Reason::Secondary
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Threshold => "threshold",
            Reason::Dominance => "dominance",
            Reason::PPercent => "p_percent",
            Reason::Secondary => "secondary",
        }
    }
}

/// A cell of one quarter: (region, industry).
pub type Cell = (String, String);
