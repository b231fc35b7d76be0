//! The partial aggregates of enterprise records kept beside the batches they are computed
//! from (see [`crate::compute::enterprises::partials`]): one Parquet file per quarter and
//! set of inputs under `<data>/aggregates/<period>/`, recorded in `enterprise_aggregates`.
//!
//! A quarter's partials depend on its batches, the batches of the quarter a year earlier
//! (the comparable basis) and the chain leaders (who keeps a group of their own); they are
//! keyed by a fingerprint of exactly those ([`inputs_key`]), so a run `--as-of` a date
//! finds the partials of the batches that date selects, and a revised batch or a new
//! leader makes new partials beside the old ones. They are derived data: a run that finds
//! none for its inputs computes them from the records and keeps them; loading a batch
//! computes those of the quarters it touches (its own and a year later) at once.

use std::path::{Path, PathBuf};

use polars::prelude::*;
use rusqlite::params;
use sha2::{Digest, Sha256};

use super::{EnterpriseBatch, Store, StoreError};
use crate::model::period::Period;

/// The fingerprint of what the partials of `quarter` are computed from: the batches of
/// `quarter` and of a year earlier among `batches` (in vintage order: a later batch's
/// record replaces an earlier one's, so the order matters) and the leaders.
fn inputs_key(batches: &[EnterpriseBatch], quarter: Period, leaders: &[String]) -> String {
    let mut h = Sha256::new();
    for lag in [0, 4] {
        h.update(format!("q{lag}:").as_bytes());
        for b in batches.iter().filter(|b| b.period.index() == quarter.index() - lag) {
            h.update(b.file_id.to_le_bytes());
        }
    }
    for l in leaders {
        h.update(l.as_bytes());
        h.update([0]);
    }
    hex::encode(h.finalize())[..16].to_string()
}

/// A lazy scan of enterprise batches; where a period has several, an enterprise's record
/// from the latest batch replaces the earlier ones.
fn records_scan(batches: &[EnterpriseBatch]) -> PolarsResult<Option<LazyFrame>> {
    if batches.is_empty() {
        return Ok(None);
    }
    let scans = batches
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let path = b.path.display().to_string();
            Ok(LazyFrame::scan_parquet(PlRefPath::new(&path), ScanArgsParquet::default())?.with_column(lit(i as i64).alias("batch")))
        })
        .collect::<PolarsResult<Vec<_>>>()?;
    let all = concat(scans, UnionArgs::default())?;
    let periods: std::collections::BTreeSet<Period> = batches.iter().map(|b| b.period).collect();
    let records = if periods.len() < batches.len() {
        all.sort(["batch"], SortMultipleOptions::default())
            .unique_stable(Some(cols(["year", "q", "enterprise_id"])), UniqueKeepStrategy::Last)
    } else {
        all
    };
    Ok(Some(records.drop(cols(["batch"]))))
}

impl Store {
    /// The file of the partials of `quarter` computed from `inputs`, if kept.
    fn aggregates_file(&self, quarter: Period, inputs: &str) -> Result<Option<PathBuf>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached("SELECT path FROM enterprise_aggregates WHERE quarter = ?1 AND inputs = ?2")
            .map_err(|e| self.err(e))?;
        let mut rows = stmt
            .query_map(params![quarter.index(), inputs], |r| r.get::<_, String>(0))
            .map_err(|e| self.err(e))?;
        match rows.next() {
            Some(path) => Ok(Some(PathBuf::from(path.map_err(|e| self.err(e))?))),
            None => Ok(None),
        }
    }

    /// Keeps the partials of `quarter` computed from `inputs`: written beside their final
    /// name and renamed into place, then recorded (two processes computing the same
    /// partials write the same bytes; the first record stays).
    fn save_aggregates(&self, quarter: Period, inputs: &str, frame: &mut DataFrame) -> Result<PathBuf, StoreError> {
        let dir = self.dir().join("aggregates").join(quarter.to_string());
        let path = dir.join(format!("{inputs}.parquet"));
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| StoreError::Dir { path, source }
        };
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let partial = dir.join(format!(".{inputs}.{}.part", std::process::id()));
        let file = std::fs::File::create(&partial).map_err(io(&partial))?;
        ParquetWriter::new(file)
            .with_row_group_size(Some(16 * 1024))
            .finish(frame)
            .map_err(|e| aggregates_error(&quarter.to_string(), e))?;
        std::fs::rename(&partial, &path).map_err(io(&path))?;
        self.conn()
            .execute(
                "INSERT OR IGNORE INTO enterprise_aggregates(quarter, inputs, path, rows, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    quarter.index(),
                    inputs,
                    path.display().to_string(),
                    frame.height() as i64,
                    super::now()
                ],
            )
            .map_err(|e| self.err(e))?;
        Ok(path)
    }

    /// The partials of `quarters` for the batches `batches` (as a run selects them: every
    /// batch released by its date, in vintage order) and the chain leaders `leaders`, as a
    /// lazy scan; those not kept yet are computed from the records, in one pass, and kept.
    /// A quarter without records of its own has no partials.
    pub fn enterprise_partials(
        &self,
        batches: &[EnterpriseBatch],
        quarters: impl IntoIterator<Item = Period>,
        leaders: &[String],
    ) -> Result<Option<LazyFrame>, StoreError> {
        let with_records: std::collections::BTreeSet<Period> = batches.iter().map(|b| b.period).collect();
        let (mut kept, mut missing) = (Vec::new(), Vec::new());
        for quarter in quarters.into_iter().filter(|q| with_records.contains(q)) {
            let inputs = inputs_key(batches, quarter, leaders);
            match self.aggregates_file(quarter, &inputs)? {
                Some(path) if path.exists() => kept.push(path),
                _ => missing.push((quarter, inputs)),
            }
        }
        // two quarters at a time (with the two a year earlier): half a year's records in memory
        for chunk in missing.chunks(2) {
            let indices: Vec<i32> = chunk.iter().map(|(q, _)| q.index()).collect();
            let what = chunk[0].0.to_string();
            let reads = crate::compute::enterprises::partial_inputs(&indices);
            let read: Vec<EnterpriseBatch> = batches.iter().filter(|b| reads.contains(&b.period.index())).cloned().collect();
            let Some(records) = records_scan(&read).map_err(|e| aggregates_error(&what, e))? else {
                continue;
            };
            let all = crate::compute::enterprises::partials(records, &indices, leaders).map_err(|e| aggregates_error(&what, e))?;
            for (quarter, inputs) in chunk {
                let what = quarter.to_string();
                let mut one = all
                    .clone()
                    .lazy()
                    .filter(col("quarter").eq(lit(quarter.index())))
                    .collect()
                    .map_err(|e| aggregates_error(&what, e))?;
                kept.push(self.save_aggregates(*quarter, inputs, &mut one)?);
                tracing::debug!(period = %quarter, rows = one.height(), "enterprise aggregates kept");
            }
        }
        if kept.is_empty() {
            return Ok(None);
        }
        let scans = kept
            .iter()
            .map(|path| LazyFrame::scan_parquet(PlRefPath::new(path.display().to_string().as_str()), ScanArgsParquet::default()))
            .collect::<PolarsResult<Vec<_>>>()
            .and_then(|scans| concat(scans, UnionArgs::default()))
            .map_err(|e| aggregates_error("the kept partials", e))?;
        Ok(Some(scans))
    }
}

fn aggregates_error(what: &str, e: PolarsError) -> StoreError {
    StoreError::Aggregates {
        what: what.to_string(),
        message: e.to_string(),
    }
}
