//! Primary suppression: a cell judged by its own contributors. No I/O.

use super::{Reason, Rules};

/// What the records say of one cell's contributors, for one magnitude (operating
/// income, or output value).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Contributions {
    /// Enterprises in the cell.
    pub enterprises: u32,
    /// The cell's total.
    pub total: f64,
    /// The largest and the second-largest contribution (0 when there is none).
    pub largest: [f64; 2],
}

/// Why the cell is sensitive, if it is: the threshold rule first, then dominance, then
/// the p % rule. A cell of no enterprise discloses nobody.
pub fn primary(rules: &Rules, c: &Contributions) -> Option<Reason> {
    if c.enterprises == 0 {
        return None;
    }
    if c.enterprises < rules.min_contributors {
        return Some(Reason::Threshold);
    }
    if c.total <= 0.0 {
        return None;
    }
    if let Some(d) = rules.dominance {
        let top: f64 = c.largest.iter().take(d.n as usize).sum();
        if top > d.k_pct / 100.0 * c.total {
            return Some(Reason::Dominance);
        }
    }
    if let Some(p) = rules.p_pct {
        // the second largest, knowing the total, bounds the largest by what is left:
        // that must exceed p % of the largest
        let [x1, x2] = c.largest;
        if c.total - x1 - x2 < p / 100.0 * x1 {
            return Some(Reason::PPercent);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disclosure::Dominance;

    fn rules(p_pct: Option<f64>) -> Rules {
        Rules {
            min_contributors: 3,
            dominance: Some(Dominance { n: 2, k_pct: 85.0 }),
            p_pct,
        }
    }

    fn cell(enterprises: u32, total: f64, largest: [f64; 2]) -> Contributions {
        Contributions {
            enterprises,
            total,
            largest,
        }
    }

    #[test]
    fn the_threshold_rule() {
        assert_eq!(primary(&rules(None), &cell(1, 5.0, [5.0, 0.0])), Some(Reason::Threshold));
        assert_eq!(primary(&rules(None), &cell(2, 9.0, [5.0, 4.0])), Some(Reason::Threshold));
        assert_eq!(primary(&rules(None), &cell(3, 9.0, [3.0, 3.0])), None, "three equal firms");
        assert_eq!(primary(&rules(None), &cell(0, 0.0, [0.0, 0.0])), None, "nobody to disclose");
    }

    #[test]
    fn the_dominance_rule() {
        // ten enterprises, the two largest 80 + 6 = 86 of 100: more than 85 %
        assert_eq!(primary(&rules(None), &cell(10, 100.0, [80.0, 6.0])), Some(Reason::Dominance));
        // exactly 85 % is allowed
        assert_eq!(primary(&rules(None), &cell(10, 100.0, [80.0, 5.0])), None);
    }

    #[test]
    fn the_p_percent_rule() {
        // 100 = 60 + 25 + 15: the rest (15) hides the largest from the second to 25 %
        assert_eq!(primary(&rules(Some(10.0)), &cell(5, 100.0, [60.0, 25.0])), None);
        // 1000 = 500 + 349 + 151: the two largest hold 84.9 % (dominance lets it through),
        // but with p = 40 the rest, 151, is under 40 % of the largest (200)
        assert_eq!(
            primary(&rules(Some(40.0)), &cell(8, 1000.0, [500.0, 349.0])),
            Some(Reason::PPercent)
        );
        assert_eq!(
            primary(&rules(None), &cell(8, 1000.0, [500.0, 349.0])),
            None,
            "off unless configured"
        );
    }
}
