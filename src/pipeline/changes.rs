//! What changed between two runs of a period, and the lines a correction e-mail names.

use std::path::Path;
use std::sync::Arc;

use polars::prelude::*;
use serde::Serialize;

/// A value that differs from the previous run of the same period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub region: String,
    pub industry: String,
    pub indicator: String,
    pub measure: String,
    pub before: Option<f64>,
    pub after: Option<f64>,
}

/// The values of a report folder: its `indicators.parquet`, or its `indicators.csv` when
/// it was written before the Parquet copy.
pub(super) fn previous_values(dir: &Path) -> Option<DataFrame> {
    let parquet = dir.join("indicators.parquet");
    if parquet.is_file() {
        let file = std::fs::File::open(&parquet).ok()?;
        return ParquetReader::new(file).finish().ok();
    }
    let path = dir.join("indicators.csv");
    if !path.is_file() {
        return None;
    }
    let text = ["period", "region_code", "industry_code", "indicator", "measure"];
    let schema: Schema = text
        .iter()
        .map(|c| Field::new((*c).into(), DataType::String))
        .chain([Field::new("value".into(), DataType::Float64)])
        .collect();
    CsvReadOptions::default()
        .with_has_header(true)
        .with_schema(Some(Arc::new(schema)))
        .try_into_reader_with_file_path(Some(path))
        .ok()?
        .finish()
        .ok()
}

/// What changed between the values of two report folders (an earlier run's and a later
/// one's); none when either has no `indicators.csv` or it cannot be read.
pub fn between(before: &Path, after: &Path) -> Option<Vec<Change>> {
    changes(&previous_values(before)?, &previous_values(after)?).ok()
}

/// What changed between the previous run's values and this one's: compared row by row
/// when both hold the same rows in the same order, else by a full join on the keys;
/// values equal within 10⁻⁹ (relative, or absolute below 1) count as the same.
pub(super) fn changes(before: &DataFrame, current: &DataFrame) -> PolarsResult<Vec<Change>> {
    const KEYS: [&str; 4] = ["region_code", "industry_code", "indicator", "measure"];
    let side = |df: &DataFrame, name: &str| {
        df.clone()
            .lazy()
            .select(KEYS.iter().map(|k| col(*k)).chain([col("value").alias(name)]).collect::<Vec<_>>())
            .filter(col(name).is_not_null())
    };
    let (b, a) = (col("before"), col("after"));
    let abs = |e: Expr| when(e.clone().lt(lit(0.0))).then(lit(0.0) - e.clone()).otherwise(e);
    let larger = when(abs(b.clone()).gt(abs(a.clone())))
        .then(abs(b.clone()))
        .otherwise(abs(a.clone()));
    let scale = when(larger.clone().gt(lit(1.0))).then(larger).otherwise(lit(1.0));
    let same = when(b.clone().is_not_null().and(a.clone().is_not_null()))
        .then(abs(b.clone() - a.clone()).lt_eq(lit(1e-9) * scale))
        .otherwise(b.is_null().and(a.is_null()));
    let keys = || KEYS.iter().map(|k| col(*k)).collect::<Vec<_>>();
    // Usually the same rows in the same order (both are sorted alike): compared row by
    // row, without a join.
    let aligned = before.height() == current.height()
        && KEYS.iter().all(|k| match (before.column(k), current.column(k)) {
            (Ok(b), Ok(c)) => b.as_materialized_series().equals_missing(c.as_materialized_series()),
            _ => false,
        });
    let joined = if aligned {
        let after = current.column("value")?.as_materialized_series().clone().with_name("after".into());
        before
            .clone()
            .lazy()
            .select(keys().into_iter().chain([col("value").alias("before")]).collect::<Vec<_>>())
            .with_column(lit(after))
    } else {
        side(before, "before").join(
            side(current, "after"),
            keys(),
            keys(),
            JoinArgs::new(JoinType::Full).with_coalesce(JoinCoalesce::CoalesceColumns),
        )
    };
    let df = joined.filter(same.not()).sort(KEYS, SortMultipleOptions::default()).collect()?;
    let text = |name: &str| -> PolarsResult<StringChunked> { Ok(df.column(name)?.str()?.clone()) };
    let (region, industry, indicator, measure) = (text(KEYS[0])?, text(KEYS[1])?, text(KEYS[2])?, text(KEYS[3])?);
    let (before, after) = (df.column("before")?.f64()?, df.column("after")?.f64()?);
    Ok((0..df.height())
        .map(|i| Change {
            region: region.get(i).unwrap_or_default().to_string(),
            industry: industry.get(i).unwrap_or_default().to_string(),
            indicator: indicator.get(i).unwrap_or_default().to_string(),
            measure: measure.get(i).unwrap_or_default().to_string(),
            before: before.get(i),
            after: after.get(i),
        })
        .collect())
}

/// The changes a correction names for one audience: its own series of the headline
/// indicator, the main measures, at most five.
pub(super) fn correction_lines(
    changes: &[Change],
    audience: &crate::model::audience::Audience,
    top: &str,
    indicator: &str,
    c: &crate::model::catalogue::Catalogue,
) -> Vec<String> {
    use crate::model::audience::Audience;
    let (region, industry) = match audience {
        Audience::Province => (top.to_string(), crate::model::catalogue::TEN.to_string()),
        Audience::Industry(i) => (top.to_string(), i.clone()),
        Audience::City(r) => (r.clone(), crate::model::catalogue::TEN.to_string()),
        Audience::Chain(code) => (top.to_string(), format!("{}{code}", crate::model::chain::ROW_PREFIX)),
    };
    let number = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{v:.2}"));
    changes
        .iter()
        .filter(|ch| {
            ch.region == region
                && ch.industry == industry
                && ch.indicator == indicator
                && ["ytd", "yoy_pct", "share_pct", "contribution_pct"].contains(&ch.measure.as_str())
        })
        .take(5)
        .map(|ch| {
            format!(
                "{}{}{}{} {} → {}",
                c.region_zh(&ch.region),
                c.industry_short_zh(&ch.industry),
                c.indicator(&ch.indicator).map_or(ch.indicator.as_str(), |k| k.zh.as_str()),
                crate::model::labels::measure_zh(&ch.measure),
                number(ch.before),
                number(ch.after)
            )
        })
        .collect()
}
