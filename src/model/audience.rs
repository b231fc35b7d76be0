//! Who a report is for: the province's leaders, one industry's special class, one city, or
//! one industrial chain's chief (链长).

use std::fmt;

/// Who a report is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Audience {
    Province,
    Industry(String),
    City(String),
    /// An industrial chain of the catalogue, by its code (not its row code).
    Chain(String),
}

impl fmt::Display for Audience {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Audience::Province => f.write_str("province"),
            Audience::Industry(c) => write!(f, "industry:{c}"),
            Audience::City(c) => write!(f, "city:{c}"),
            Audience::Chain(c) => write!(f, "chain:{c}"),
        }
    }
}
