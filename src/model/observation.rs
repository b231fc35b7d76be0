//! What the loaders read and the stages compute from: published observations, major
//! projects, and a value revised between two vintages.

use super::period::Period;

/// One observation as loaded: canonical units, key and vintage.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub period: Period,
    pub region: String,
    pub industry: String,
    pub indicator: String,
    /// Year-to-date level in canonical units (亿元 or units); `None` when only a rate was published.
    pub value: Option<f64>,
    /// Published year-on-year growth in percent, on the comparable basis.
    pub yoy_pct: Option<f64>,
    /// The vintage: ISO date `YYYY-MM-DD`.
    pub release_date: String,
    pub source: Option<String>,
}

/// A major project in one period (year-to-date figures in 亿元; months as the index
/// `year × 12 + month − 1`).
#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    pub project_id: String,
    pub name: String,
    pub region: String,
    pub industry: String,
    pub period: Period,
    pub total_investment: Option<f64>,
    pub annual_plan_investment: Option<f64>,
    pub completed_investment_ytd: Option<f64>,
    pub planned_start: Option<i32>,
    pub actual_start: Option<i32>,
    pub planned_completion: Option<i32>,
    pub actual_completion: Option<i32>,
    pub release_date: String,
}

/// A value revised between two vintages.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    pub region: String,
    pub industry: String,
    pub indicator: String,
    pub before: f64,
    pub after: f64,
}
