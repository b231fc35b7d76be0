//! Units of measure in input files and their canonical forms.
//!
//! Money is held in 亿元 (10^8 yuan) and counts in units, whatever the file said
//! (domain.md §2). A unit is known by its Chinese name or a plain ASCII alias; one that
//! is neither, or that does not fit the indicator's kind (万元 on an enterprise count),
//! is an error the loader reports per row.

use crate::model::catalogue::IndicatorKind;

/// A recognised unit: its kind and the power of ten that converts it to the canonical unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Unit {
    pub kind: IndicatorKind,
    /// A value in this unit × 10^`exponent` is in 亿元 (money) or units (counts).
    pub exponent: i32,
}

impl Unit {
    /// Converts to the canonical unit. Dividing by an exact power of ten (rather than
    /// multiplying by its inexact inverse) is correctly rounded: 123456789 元 is exactly
    /// the double nearest 1.23456789 亿元.
    pub fn to_canonical(self, value: f64) -> f64 {
        let scale = 10f64.powi(self.exponent.abs());
        if self.exponent < 0 { value / scale } else { value * scale }
    }
}

/// The largest magnitude a value may have in its canonical unit: 10^12 亿元 is 10^20 yuan,
/// a thousand times the world's yearly output; a sum of millions of such values is still
/// finite and exact to far below a yuan's precision of the inputs.
pub const MAX_CANONICAL: f64 = 1e12;

impl Unit {
    /// [`Unit::to_canonical`], refusing a result that overflows or lies beyond
    /// [`MAX_CANONICAL`] (a value typed in the wrong unit, or a hostile file); the error
    /// follows the cell's text in a message.
    pub fn to_canonical_checked(self, value: f64) -> Result<f64, String> {
        let v = self.to_canonical(value);
        if v.is_finite() && v.abs() <= MAX_CANONICAL {
            Ok(v)
        } else {
            Err(format!(
                "is beyond any plausible figure: in {} it would be {v:e}, the most accepted is 1e12",
                canonical_name(self.kind)
            ))
        }
    }
}

/// The units accepted in input files, with their aliases.
const UNITS: &[(&[&str], IndicatorKind, i32)] = &[
    (&["元", "yuan", "cny"], IndicatorKind::Money, -8),
    (&["千元", "thousand yuan"], IndicatorKind::Money, -5),
    (&["万元", "10k yuan", "ten thousand yuan"], IndicatorKind::Money, -4),
    (&["百万元", "million yuan"], IndicatorKind::Money, -2),
    (&["亿元", "100m yuan", "hundred million yuan"], IndicatorKind::Money, 0),
    (&["万亿元", "trillion yuan"], IndicatorKind::Money, 4),
    (&["个", "家", "项", "户", "units", "unit", "count"], IndicatorKind::Count, 0),
];

/// Looks a unit up by its name as written in a file (surrounding spaces ignored,
/// ASCII aliases case-insensitive).
pub fn parse_unit(text: &str) -> Option<Unit> {
    let t = text.trim();
    // as written, then ASCII aliases in any case
    if let Some(&(_, kind, exponent)) = UNITS.iter().find(|(names, _, _)| names.contains(&t)) {
        return Some(Unit { kind, exponent });
    }
    let t = t.to_lowercase();
    UNITS
        .iter()
        .find(|(names, _, _)| names.contains(&t.as_str()))
        .map(|&(_, kind, exponent)| Unit { kind, exponent })
}

/// The canonical unit's display name for a kind.
pub fn canonical_name(kind: IndicatorKind) -> &'static str {
    match kind {
        IndicatorKind::Money => "亿元",
        IndicatorKind::Count => "个",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_units_convert_to_yi_yuan() {
        let v = 123_456_789.0;
        assert_eq!(parse_unit("元").unwrap().to_canonical(v), 1.23456789);
        assert_eq!(parse_unit("万元").unwrap().to_canonical(52_345.0), 5.2345);
        assert_eq!(parse_unit("万元").unwrap().to_canonical(12_345.6), 1.23456);
        assert_eq!(parse_unit(" 亿元 ").unwrap().to_canonical(3.5), 3.5);
        assert_eq!(parse_unit("万亿元").unwrap().to_canonical(1.2), 12_000.0);
        assert_eq!(parse_unit("家").unwrap().kind, IndicatorKind::Count);
        assert_eq!(parse_unit("Yuan").unwrap().kind, IndicatorKind::Money);
    }

    #[test]
    fn values_that_overflow_in_the_canonical_unit_are_refused() {
        let trillion = parse_unit("万亿元").unwrap();
        assert_eq!(trillion.to_canonical_checked(1.5), Ok(15_000.0));
        let e = trillion.to_canonical_checked(1e308).unwrap_err();
        assert!(e.contains("in 亿元 it would be inf"), "{e}");
        assert!(trillion.to_canonical_checked(1e9).is_err(), "1e13 亿元");
        assert_eq!(parse_unit("元").unwrap().to_canonical_checked(1e20), Ok(1e12));
        assert!(parse_unit("个").unwrap().to_canonical_checked(-2e12).is_err());
    }

    #[test]
    fn unknown_units_are_not_guessed() {
        assert_eq!(parse_unit("美元"), None);
        assert_eq!(parse_unit("吨"), None);
        assert_eq!(parse_unit(""), None);
    }
}
