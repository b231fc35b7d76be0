//! Quarterly periods: parsing the forms statistics files use, ordering, and the
//! arithmetic the measures need (previous quarter of the same year, same quarter a
//! year earlier).
//!
//! A period is always *cumulative year-to-date*: `2025Q3` means January–September 2025
//! (domain.md §3.1). The accepted spellings are `2025Q3`, `2025-Q3`, `2025q3` and the
//! Chinese `2025年1-9月` (1-3月, 1-6月, 1-9月, 1-12月).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A year-to-date quarter: `year`, `quarter` in 1..=4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Period {
    year: i32,
    quarter: u8,
}

/// Why a period text was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("unknown period `{0}`: expected a form like 2025Q3, 2025-Q3 or 2025年1-9月")]
    Syntax(String),
    #[error("impossible period `{0}`: the quarter must be 1 to 4")]
    Quarter(String),
    #[error("impossible period `{0}`: a cumulative period runs from month 1 to month 3, 6, 9 or 12")]
    Months(String),
    #[error("impossible period `{0}`: the year must lie between 1949 and 2199")]
    Year(String),
}

impl Period {
    /// A period from its year and quarter; `None` unless the quarter is 1..=4 and
    /// the year plausible for the statistics of the People's Republic.
    pub fn new(year: i32, quarter: u8) -> Option<Period> {
        ((1..=4).contains(&quarter) && (1949..=2199).contains(&year)).then_some(Period { year, quarter })
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn quarter(self) -> u8 {
        self.quarter
    }

    /// A dense index (`year × 4 + quarter − 1`) used to join a series with itself.
    pub fn index(self) -> i32 {
        self.year * 4 + i32::from(self.quarter) - 1
    }

    /// Inverse of [`Period::index`].
    pub fn from_index(index: i32) -> Option<Period> {
        Period::new(index.div_euclid(4), (index.rem_euclid(4) + 1) as u8)
    }

    /// The last month the period covers (3, 6, 9 or 12).
    pub fn last_month(self) -> u8 {
        self.quarter * 3
    }

    /// The same quarter one year earlier.
    pub fn year_earlier(self) -> Option<Period> {
        Period::new(self.year - 1, self.quarter)
    }

    /// The previous quarter (crossing into the previous year's Q4 from Q1).
    pub fn previous(self) -> Option<Period> {
        Period::from_index(self.index() - 1)
    }

    /// The following quarter.
    pub fn next(self) -> Option<Period> {
        Period::from_index(self.index() + 1)
    }

    /// The latest quarter that has ended on or before `date`.
    pub fn latest_complete(date: chrono::NaiveDate) -> Period {
        use chrono::Datelike;
        let q = (date.month0() / 3) as u8; // quarters fully before the current one
        if q == 0 {
            Period {
                year: date.year() - 1,
                quarter: 4,
            }
        } else {
            Period {
                year: date.year(),
                quarter: q,
            }
        }
    }

    /// Chinese label of the cumulative period, e.g. `2025年1-9月`.
    pub fn label_zh(self) -> String {
        format!("{}年1-{}月", self.year, self.last_month())
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}Q{}", self.year, self.quarter)
    }
}

impl FromStr for Period {
    type Err = PeriodError;

    fn from_str(text: &str) -> Result<Period, PeriodError> {
        let s = text.trim();
        let syntax = || PeriodError::Syntax(text.to_string());
        let year_of = |digits: &str| -> Result<i32, PeriodError> {
            if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(syntax());
            }
            let year: i32 = digits.parse().map_err(|_| syntax())?;
            if (1949..=2199).contains(&year) {
                Ok(year)
            } else {
                Err(PeriodError::Year(text.to_string()))
            }
        };
        if let Some((year, rest)) = s.split_once('年') {
            // 2025年1-9月 (also with full-width or en/em dashes, or 至)
            let year = year_of(year.trim())?;
            let rest = rest.trim().strip_suffix('月').ok_or_else(syntax)?;
            let (from, to) = rest.split_once(['-', '－', '–', '—', '~', '至']).ok_or_else(syntax)?;
            let from: u8 = from.trim().parse().map_err(|_| syntax())?;
            let to: u8 = to.trim().parse().map_err(|_| syntax())?;
            if from != 1 || to == 0 || to > 12 || !to.is_multiple_of(3) {
                return Err(PeriodError::Months(text.to_string()));
            }
            return Ok(Period { year, quarter: to / 3 });
        }
        let upper = s.to_ascii_uppercase();
        let (year, quarter) = upper.split_once('Q').ok_or_else(syntax)?;
        let year = year_of(year.strip_suffix('-').unwrap_or(year))?;
        let quarter: u8 = match quarter.parse() {
            Ok(q) => q,
            Err(_) if !quarter.is_empty() && quarter.bytes().all(|b| b.is_ascii_digit()) => {
                return Err(PeriodError::Quarter(text.to_string()));
            }
            Err(_) => return Err(syntax()),
        };
        if !(1..=4).contains(&quarter) {
            return Err(PeriodError::Quarter(text.to_string()));
        }
        Ok(Period { year, quarter })
    }
}

impl Serialize for Period {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Period, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_accepted_form() {
        let q3 = Period::new(2025, 3).unwrap();
        for form in [
            "2025Q3",
            "2025-Q3",
            "2025q3",
            " 2025Q3 ",
            "2025年1-9月",
            "2025年1—9月",
            "2025年1～9月".replace('～', "~").as_str(),
        ] {
            assert_eq!(form.parse::<Period>().unwrap(), q3, "{form}");
        }
        assert_eq!("2024年1-12月".parse::<Period>().unwrap(), Period::new(2024, 4).unwrap());
        assert_eq!("2024年1-3月".parse::<Period>().unwrap(), Period::new(2024, 1).unwrap());
    }

    #[test]
    fn rejects_impossible_periods_with_a_reason() {
        assert_eq!("2025Q5".parse::<Period>(), Err(PeriodError::Quarter("2025Q5".into())));
        assert_eq!("2025Q0".parse::<Period>(), Err(PeriodError::Quarter("2025Q0".into())));
        assert_eq!("2025年1-8月".parse::<Period>(), Err(PeriodError::Months("2025年1-8月".into())));
        assert_eq!("2025年4-6月".parse::<Period>(), Err(PeriodError::Months("2025年4-6月".into())));
        assert_eq!("1800Q1".parse::<Period>(), Err(PeriodError::Year("1800Q1".into())));
        assert!(matches!("Q3 2025".parse::<Period>(), Err(PeriodError::Syntax(_))));
        assert!(matches!("2025".parse::<Period>(), Err(PeriodError::Syntax(_))));
        let msg = "2025Q5".parse::<Period>().unwrap_err().to_string();
        assert!(msg.contains("2025Q5") && msg.contains("1 to 4"), "{msg}");
    }

    #[test]
    fn arithmetic_stays_in_the_calendar() {
        let p = Period::new(2025, 1).unwrap();
        assert_eq!(p.previous(), Period::new(2024, 4));
        assert_eq!(p.year_earlier(), Period::new(2024, 1));
        assert_eq!(Period::from_index(p.index()), Some(p));
        assert_eq!(p.label_zh(), "2025年1-3月");
        let d = |y, m, dd| chrono::NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        assert_eq!(Period::latest_complete(d(2026, 11, 22)), Period::new(2026, 3).unwrap());
        assert_eq!(Period::latest_complete(d(2026, 2, 1)), Period::new(2025, 4).unwrap());
        assert_eq!(Period::latest_complete(d(2026, 4, 1)), Period::new(2026, 1).unwrap());
    }
}
