//! Observations (published aggregate statistics, long format): header aliases, and the
//! row-by-row validation that turns text cells into [`Observation`]s in canonical units.
//!
//! Every problem of every row is collected, so the rejection report names them all; the
//! caller rejects the whole file when any exists.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::RowProblem;
use super::rows::{RowReader, map_headers};
use super::table::RawTable;
use crate::model::catalogue::{Catalogue, Indicator};
use crate::model::observation::Observation;
use crate::model::period::Period;
use crate::model::units::parse_unit;

/// The largest published growth rate accepted, in per cent (a thousandfold).
const MAX_GROWTH_PCT: f64 = 100_000.0;

/// The columns of an observations file: (English name, Chinese aliases, required).
pub const COLUMNS: &[(&str, &[&str], bool)] = &[
    ("period", &["期别", "时期", "统计期"], true),
    ("region_code", &["地区代码", "行政区划代码"], true),
    ("industry_code", &["产业代码"], true),
    ("indicator", &["指标", "指标代码"], true),
    ("value", &["本年累计", "累计值"], false),
    ("unit", &["单位", "计量单位"], false),
    (
        "yoy_pct",
        &["同比增长%", "同比增长(%)", "同比增长", "同比增速%", "同比增速(%)", "累计增长%"],
        false,
    ),
    ("release_date", &["发布日期"], false),
    ("source", &["来源", "数据来源"], false),
];

/// A row's key packed in one integer: (period, region, industry, indicator) by their
/// positions in the catalogue — a few bytes per row however many rows a file has.
type Key = u64;

/// What the first row of a key held, to tell a repeated row from a conflicting one.
struct First {
    row: usize,
    value: Option<f64>,
    yoy_pct: Option<f64>,
    release: NaiveDate,
}

/// Validates rows one at a time, collecting every problem: a large file is checked as it
/// is read, never held as a table of text.
pub struct Validator<'c> {
    cols: HashMap<&'static str, usize>,
    width: usize,
    /// Fields a row needs to reach every required column.
    needed: usize,
    catalogue: &'c Catalogue,
    dates: super::Dates,
    indicator_by_zh: HashMap<&'c str, &'c str>,
    positions: HashMap<&'c str, u64>,
    seen: HashMap<Key, First>,
    problems: Vec<RowProblem>,
}

impl<'c> Validator<'c> {
    pub fn new(headers: &[String], catalogue: &'c Catalogue, dates: super::Dates) -> Validator<'c> {
        let (cols, _) = map_headers(headers, COLUMNS);
        let positions = (catalogue.regions.iter().map(|r| r.code.as_str()).enumerate())
            .chain(catalogue.industries.iter().map(|i| i.code.as_str()).enumerate())
            .chain(catalogue.indicators.iter().map(|k| k.code.as_str()).enumerate())
            .map(|(i, code)| (code, i as u64))
            .collect();
        Validator {
            needed: super::rows::needed_fields(&cols, COLUMNS),
            cols,
            width: headers.len(),
            catalogue,
            dates,
            indicator_by_zh: catalogue.indicators.iter().map(|k| (k.zh.as_str(), k.code.as_str())).collect(),
            positions,
            seen: HashMap::new(),
            problems: Vec::new(),
        }
    }

    /// The packed key: period index (14 bits), region (24), industry (13), indicator (13).
    fn key(&self, period: Period, region: &str, industry: &str, indicator: &str) -> Option<Key> {
        let at = |code: &str| self.positions.get(code).copied();
        let index = u64::try_from(period.index()).ok()?;
        Some(index << 50 | at(region)? << 26 | at(industry)? << 13 | at(indicator)?)
    }

    pub fn into_problems(self) -> Vec<RowProblem> {
        self.problems
    }

    /// Checks one row: its observation in canonical units, or `None` when it has a
    /// problem (recorded) or repeats an earlier row exactly.
    pub fn row(&mut self, row: usize, cells: &[String]) -> Option<Observation> {
        if let Some(problem) = super::rows::wrong_width(row, cells, self.width, self.needed) {
            self.problems.push(problem);
            return None;
        }
        let catalogue = self.catalogue;
        let before = self.problems.len();
        let mut r = RowReader::new(row, &self.cols, cells, &mut self.problems);
        let period = r.period(self.dates);
        let region = r.region(catalogue);
        let industry = r.industry(catalogue);
        let indicator_text = r.get("indicator");
        let indicator = catalogue
            .indicator(indicator_text)
            .or_else(|| self.indicator_by_zh.get(indicator_text).and_then(|c| catalogue.indicator(c)));
        if indicator.is_none() {
            r.bad("indicator", format!("unknown indicator `{indicator_text}`"));
        }
        let value = r.number("value");
        let yoy = match r.number("yoy_pct") {
            Some(g) if g.abs() > MAX_GROWTH_PCT => {
                r.bad(
                    "yoy_pct",
                    format!("a growth rate beyond ±{MAX_GROWTH_PCT} % is not plausible (a value in the wrong column?)"),
                );
                None
            }
            Some(g) if g <= -100.0 => {
                r.bad(
                    "yoy_pct",
                    "a growth rate of −100 % or less is impossible for a level that exists".into(),
                );
                None
            }
            g => g,
        };
        if r.get("value").is_empty() && r.get("yoy_pct").is_empty() {
            r.bad("value", "the row has neither a value nor a yoy_pct".into());
        }
        let canonical = match (value, indicator) {
            (Some(v), Some(k)) => canonical_value(&mut r, v, k),
            _ => None,
        };
        let release = r.release_date(self.dates);
        let source = Some(r.get("source")).filter(|s| !s.is_empty()).map(str::to_string);
        let (region, industry) = (region.map(str::to_string), industry.map(str::to_string));
        if r.problems.len() > before {
            return None;
        }
        let (Some(period), Some(region), Some(industry), Some(indicator), Some(release)) = (period, region, industry, indicator, release)
        else {
            return None;
        };
        let obs = Observation {
            period,
            region,
            industry,
            indicator: indicator.code.clone(),
            value: canonical,
            yoy_pct: yoy,
            release_date: release.to_string(),
            source,
        };
        let key = self.key(period, &obs.region, &obs.industry, &obs.indicator)?;
        let first = First {
            row,
            value: obs.value,
            yoy_pct: obs.yoy_pct,
            release,
        };
        match self.seen.get(&key) {
            Some(seen) => {
                if seen.value != first.value || seen.yoy_pct != first.yoy_pct || seen.release != first.release {
                    self.problems.push(RowProblem {
                        row,
                        column: None,
                        value: String::new(),
                        reason: format!(
                            "duplicate key ({period}, {}, {}, {}) with different values than row {}",
                            obs.region, obs.industry, obs.indicator, seen.row
                        ),
                    });
                }
                None
            }
            None => {
                self.seen.insert(key, first);
                Some(obs)
            }
        }
    }
}

/// A value in the unit its indicator is held in: the row's unit must exist, fit the
/// indicator's kind, and convert without overflow; a negative level is refused.
fn canonical_value(r: &mut RowReader<'_>, v: f64, k: &Indicator) -> Option<f64> {
    let unit_text = r.get("unit");
    match parse_unit(unit_text) {
        None if unit_text.is_empty() => r.bad("unit", "a value needs its unit (元, 万元, 亿元, 万亿元, 个, 家, 项)".into()),
        None => r.bad(
            "unit",
            format!("unknown unit `{unit_text}` (expected 元, 万元, 亿元, 万亿元, 个, 家 or 项)"),
        ),
        Some(u) if u.kind != k.kind => r.bad(
            "unit",
            format!(
                "unit `{unit_text}` does not fit indicator `{}`, which is held in {}",
                k.code,
                crate::model::units::canonical_name(k.kind)
            ),
        ),
        Some(_) if k.nonnegative && v < 0.0 => r.bad("value", format!("a negative {} is impossible", k.code)),
        Some(u) => match u.to_canonical_checked(v) {
            Ok(c) => return Some(c),
            Err(reason) => r.bad("value", format!("`{}` {reason}", r.get("value"))),
        },
    }
    None
}

/// Validates every row; returns the observations, or every problem found.
pub fn validate(table: &RawTable, catalogue: &Catalogue, dates: super::Dates) -> Result<Vec<Observation>, Vec<RowProblem>> {
    let mut validator = Validator::new(&table.headers, catalogue, dates);
    let out: Vec<Observation> = table.rows.iter().filter_map(|(row, cells)| validator.row(*row, cells)).collect();
    let problems = validator.into_problems();
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}
