//! Observations (published aggregate statistics, long format): header aliases, and the
//! row-by-row validation that turns text cells into [`Observation`]s in canonical units.
//!
//! Every problem of every row is collected, so the rejection report names them all; the
//! caller rejects the whole file when any exists.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::table::RawTable;
use super::{RowProblem, parse_number};
use crate::catalogue::Catalogue;
use crate::period::Period;
use crate::store::Observation;
use crate::units::parse_unit;

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

/// Normalises a header for matching: trimmed, ASCII lower-case, full-width brackets and
/// percent signs folded, inner spaces dropped.
pub fn normalise_header(h: &str) -> String {
    h.trim()
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            '％' => '%',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// Maps each header of the file to a known column, in `columns`; unknown headers are
/// returned separately (they are ignored with a warning).
pub fn map_headers(headers: &[String], columns: &[(&'static str, &[&str], bool)]) -> (HashMap<&'static str, usize>, Vec<String>) {
    let mut found = HashMap::new();
    let mut extra = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        let n = normalise_header(h);
        let hit = columns
            .iter()
            .find(|(name, aliases, _)| *name == n || aliases.iter().any(|a| normalise_header(a) == n));
        match hit {
            Some((name, _, _)) if !found.contains_key(name) => {
                found.insert(*name, i);
            }
            _ if h.trim().is_empty() => {}
            _ => extra.push(h.clone()),
        }
    }
    (found, extra)
}

/// Parses a release date: `2025-10-20`, `2025/10/20`, `20251020` or `2025年10月20日`.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    let t = t.split([' ', 'T']).next().unwrap_or(t); // a date-time from a spreadsheet
    for fmt in ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y年%m月%d日", "%Y.%m.%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(t, fmt) {
            return Some(d);
        }
    }
    None
}

/// A release date cell: today when empty, else a date within the load's horizon.
pub fn release_date(text: &str, dates: super::Dates) -> Result<NaiveDate, String> {
    if text.is_empty() {
        return Ok(dates.today);
    }
    let date = parse_date(text).ok_or_else(|| format!("`{text}` is not a date (expected 2025-10-20)"))?;
    dates.check_release(date).map(|()| date)
}

/// Validates every row; returns the observations, or every problem found.
pub fn validate(table: &RawTable, catalogue: &Catalogue, dates: super::Dates) -> Result<Vec<Observation>, Vec<RowProblem>> {
    let (cols, _) = map_headers(&table.headers, COLUMNS);
    let mut problems = Vec::new();
    let mut out: Vec<Observation> = Vec::with_capacity(table.rows.len());
    // key → (row number, index in `out`)
    let mut seen: HashMap<(Period, String, String, String), (usize, usize)> = HashMap::new();
    let indicator_by_zh: HashMap<&str, &str> = catalogue.indicators.iter().map(|k| (k.zh.as_str(), k.code.as_str())).collect();
    for (row, cells) in &table.rows {
        let row = *row;
        let mut bad = |column: &str, value: &str, reason: String| {
            problems.push(RowProblem {
                row,
                column: Some(column.to_string()),
                value: value.to_string(),
                reason,
            });
        };
        if cells.len() > table.headers.len() && cells[table.headers.len()..].iter().any(|c| !c.is_empty()) {
            problems.push(RowProblem {
                row,
                column: None,
                value: String::new(),
                reason: format!("the row has {} fields, the header {}", cells.len(), table.headers.len()),
            });
            continue;
        }
        let get = |name: &str| cols.get(name).and_then(|&i| cells.get(i)).map_or("", |s| s.as_str());
        let period = match get("period")
            .parse::<Period>()
            .map_err(|e| e.to_string())
            .and_then(|p| dates.check_period(p).map(|()| p))
        {
            Ok(p) => Some(p),
            Err(e) => {
                bad("period", get("period"), e);
                None
            }
        };
        let region = get("region_code");
        if catalogue.region(region).is_none() {
            let why = if region.len() == 6 && region.bytes().all(|b| b.is_ascii_digit()) {
                format!("unknown region code `{region}` (not in catalogue {})", catalogue.name)
            } else {
                format!("`{region}` is not a six-digit GB/T 2260 region code")
            };
            bad("region_code", region, why);
        }
        let industry = get("industry_code");
        if catalogue.industry(industry).is_none() {
            bad(
                "industry_code",
                industry,
                format!("unknown industry code `{industry}` (not in catalogue {})", catalogue.name),
            );
        }
        let indicator_text = get("indicator");
        let indicator = catalogue
            .indicator(indicator_text)
            .or_else(|| indicator_by_zh.get(indicator_text).and_then(|c| catalogue.indicator(c)));
        if indicator.is_none() {
            bad("indicator", indicator_text, format!("unknown indicator `{indicator_text}`"));
        }
        let value = match parse_number(get("value")) {
            Ok(v) => v,
            Err(reason) => {
                bad("value", get("value"), reason);
                None
            }
        };
        let yoy = match parse_number(get("yoy_pct")) {
            Ok(Some(g)) if g.abs() > MAX_GROWTH_PCT => {
                bad(
                    "yoy_pct",
                    get("yoy_pct"),
                    format!("a growth rate beyond ±{MAX_GROWTH_PCT} % is not plausible (a value in the wrong column?)"),
                );
                None
            }
            Ok(Some(g)) if g <= -100.0 => {
                bad(
                    "yoy_pct",
                    get("yoy_pct"),
                    "a growth rate of −100 % or less is impossible for a level that exists".into(),
                );
                None
            }
            Ok(g) => g,
            Err(reason) => {
                bad("yoy_pct", get("yoy_pct"), reason);
                None
            }
        };
        if get("value").is_empty() && get("yoy_pct").is_empty() {
            bad("value", "", "the row has neither a value nor a yoy_pct".into());
        }
        let mut canonical = None;
        if let (Some(v), Some(k)) = (value, indicator) {
            let unit_text = get("unit");
            match parse_unit(unit_text) {
                None if unit_text.is_empty() => bad("unit", "", "a value needs its unit (元, 万元, 亿元, 万亿元, 个, 家, 项)".into()),
                None => bad(
                    "unit",
                    unit_text,
                    format!("unknown unit `{unit_text}` (expected 元, 万元, 亿元, 万亿元, 个, 家 or 项)"),
                ),
                Some(u) if u.kind != k.kind => bad(
                    "unit",
                    unit_text,
                    format!(
                        "unit `{unit_text}` does not fit indicator `{}`, which is held in {}",
                        k.code,
                        crate::units::canonical_name(k.kind)
                    ),
                ),
                Some(u) => {
                    if k.nonnegative && v < 0.0 {
                        bad("value", get("value"), format!("a negative {} is impossible", k.code));
                    } else {
                        match u.to_canonical_checked(v) {
                            Ok(c) => canonical = Some(c),
                            Err(reason) => bad("value", get("value"), format!("`{}` {reason}", get("value"))),
                        }
                    }
                }
            }
        }
        let release = match release_date(get("release_date"), dates) {
            Ok(d) => Some(d),
            Err(e) => {
                bad("release_date", get("release_date"), e);
                None
            }
        };
        let (Some(period), Some(indicator), Some(release)) = (period, indicator, release) else {
            continue;
        };
        if catalogue.region(region).is_none() || catalogue.industry(industry).is_none() {
            continue;
        }
        if value.is_some() && canonical.is_none() {
            continue;
        }
        let source = Some(get("source")).filter(|s| !s.is_empty()).map(str::to_string);
        let obs = Observation {
            period,
            region: region.to_string(),
            industry: industry.to_string(),
            indicator: indicator.code.clone(),
            value: canonical,
            yoy_pct: yoy,
            release_date: release.to_string(),
            source,
        };
        let key = (period, obs.region.clone(), obs.industry.clone(), obs.indicator.clone());
        match seen.get(&key) {
            Some(&(first_row, i)) => {
                let first = &out[i];
                if first.value != obs.value || first.yoy_pct != obs.yoy_pct || first.release_date != obs.release_date {
                    problems.push(RowProblem {
                        row,
                        column: None,
                        value: String::new(),
                        reason: format!(
                            "duplicate key ({period}, {region}, {industry}, {}) with different values than row {first_row}",
                            obs.indicator
                        ),
                    });
                }
            }
            None => {
                seen.insert(key, (row, out.len()));
                out.push(obs);
            }
        }
    }
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}
