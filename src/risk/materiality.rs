//! Materiality: whether a series matters enough for its flag to count. No I/O.
//!
//! A flag is material when its (region, industry) clears every floor of its rule at its
//! region's level: the industry's level in the region (the headline indicator, 亿元), its
//! weight in the region (share of the region's all-industry total), and the enterprises
//! behind the cell (from enterprise records). A floor the data cannot check — no level
//! published, no enterprise records — does not hide a flag: materiality only ever removes
//! what is known to be small. Materiality is a property of the cause (rule, region,
//! industry), not of one indicator, so the flags of one group are material together.

use serde::{Deserialize, Serialize};

use crate::compute::MeasureTable;
use crate::model::catalogue::{RegionLevel, TOTAL, region_level};
use crate::model::period::Period;

/// The floors of one region level; `None` is no floor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Floors {
    /// The industry's year-to-date level in the region, in 亿元, at least this.
    pub level_yi: Option<f64>,
    /// Its share of the region's all-industry total, in per cent, at least this.
    pub weight_pct: Option<f64>,
    /// Enterprises behind the cell, at least this many.
    pub enterprises: Option<u32>,
}

impl Floors {
    /// These floors with each one `over` sets replacing this one's.
    pub fn overlaid(self, over: Floors) -> Floors {
        Floors {
            level_yi: over.level_yi.or(self.level_yi),
            weight_pct: over.weight_pct.or(self.weight_pct),
            enterprises: over.enterprises.or(self.enterprises),
        }
    }

    /// Whether `size` clears every floor (a floor the size cannot be checked against holds).
    pub fn cleared_by(&self, size: &Size) -> bool {
        let at_least = |floor: Option<f64>, value: Option<f64>| match (floor, value) {
            (Some(f), Some(v)) => v >= f,
            _ => true,
        };
        at_least(self.level_yi, size.level)
            && at_least(self.weight_pct, size.weight_pct)
            && at_least(self.enterprises.map(f64::from), size.enterprises)
    }
}

/// The floors of each region level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Materiality {
    pub province: Floors,
    pub city: Floors,
    pub county: Floors,
}

impl Materiality {
    pub fn at(&self, level: RegionLevel) -> &Floors {
        match level {
            RegionLevel::Province => &self.province,
            RegionLevel::City => &self.city,
            RegionLevel::County => &self.county,
        }
    }

    /// Each level's floors overlaid with `over`'s.
    pub fn overlaid(self, over: &Materiality) -> Materiality {
        Materiality {
            province: self.province.overlaid(over.province),
            city: self.city.overlaid(over.city),
            county: self.county.overlaid(over.county),
        }
    }
}

/// How large an industry is in a region, as far as the measures tell.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Size {
    /// The headline indicator's year-to-date level (亿元).
    pub level: Option<f64>,
    /// Its share of the region's all-industry total (%); 100 for the total itself.
    pub weight_pct: Option<f64>,
    /// Enterprises in the cell's records.
    pub enterprises: Option<f64>,
    /// The level as a share of the monitored region's all-industry total (%): what the
    /// severity score weighs, so that a series of the province outranks one of a county.
    pub weight_in_top_pct: Option<f64>,
}

/// Reads the sizes of (region, industry) cells from the measures of one quarter.
pub struct Sizes<'a> {
    pub table: &'a MeasureTable,
    pub period: Period,
    /// The headline indicator (`operating_income`): an industry's size is its level.
    pub indicator: &'a str,
    /// The monitored region.
    pub top: &'a str,
}

impl Sizes<'_> {
    pub fn of(&self, region: &str, industry: &str) -> Size {
        let p = self.period.to_string();
        let get = |r: &str, i: &str, k: &str, m: &str| self.table.get(&p, r, i, k, m);
        // a chain's size is its income where the headline indicator is one records cannot
        // give (added value)
        let level = get(region, industry, self.indicator, "ytd").or_else(|| {
            industry
                .starts_with(crate::model::chain::ROW_PREFIX)
                .then(|| get(region, industry, "operating_income", "ytd"))
                .flatten()
        });
        let weight_pct = if industry == TOTAL {
            Some(100.0)
        } else {
            get(region, industry, self.indicator, "share_pct")
        };
        let top_total = get(self.top, TOTAL, self.indicator, "ytd").filter(|t| *t > 0.0);
        Size {
            level,
            weight_pct,
            enterprises: get(region, industry, "enterprises", "ytd"),
            weight_in_top_pct: level.zip(top_total).map(|(l, t)| l / t * 100.0),
        }
    }
}

/// Whether a flag of `rule` on (region, industry) is material.
pub fn is_material(materiality: &Materiality, region: &str, size: &Size) -> bool {
    materiality.at(region_level(region)).cleared_by(size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_floor_the_data_cannot_check_holds() {
        let floors = Floors {
            level_yi: Some(5.0),
            weight_pct: Some(1.0),
            enterprises: Some(10),
        };
        let size = |level, weight, enterprises| Size {
            level,
            weight_pct: weight,
            enterprises,
            weight_in_top_pct: None,
        };
        assert!(
            floors.cleared_by(&size(Some(5.0), Some(1.0), Some(10.0))),
            "a floor is a minimum, inclusive"
        );
        assert!(!floors.cleared_by(&size(Some(4.99), Some(30.0), Some(100.0))), "too small in 亿元");
        assert!(
            !floors.cleared_by(&size(Some(50.0), Some(0.9), Some(100.0))),
            "too light in its region"
        );
        assert!(!floors.cleared_by(&size(Some(50.0), Some(30.0), Some(9.0))), "too few enterprises");
        assert!(floors.cleared_by(&size(None, None, None)), "nothing known: not hidden");
        let over = Floors {
            enterprises: Some(20),
            ..Floors::default()
        };
        assert_eq!(floors.overlaid(over).enterprises, Some(20));
        assert_eq!(floors.overlaid(over).level_yi, Some(5.0), "what a rule does not set, it inherits");
    }
}
