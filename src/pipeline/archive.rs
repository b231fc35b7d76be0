//! What the report archive and the quarantine keep, and the leftovers they shed.
//!
//! Every recompute adds a run folder (`reports/<period>.<run id>/` beside the period's
//! current one), and every rejected attempt a copy of its file: without bounds they grow
//! for ever (a national run folder is over 100 MB). A period keeps `[archive] keep_runs`
//! runs, the current one included, and always every run whose e-mails went out or are
//! still queued (a correction names the changes since the version a reader received). A
//! run folder
//! left in `reports/.staging/` by a run that died is removed when a command next opens
//! the store.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::model::period::Period;

/// The earlier runs of `period` beside its current folder, oldest first: (run id, folder).
pub fn earlier_runs(reports: &Path, period: Period) -> Vec<(String, PathBuf)> {
    let prefix = format!("{period}.");
    let mut runs: Vec<(String, PathBuf)> = std::fs::read_dir(reports)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let id = name.strip_prefix(&prefix)?.to_string();
            Some((id, e.path()))
        })
        .collect();
    runs.sort(); // run ids begin with their UTC time
    runs
}

/// Removes the oldest earlier runs of `period` beyond `keep` runs in all (the current
/// folder counts as one), except those in `kept` (runs whose e-mails went out or wait in
/// the outbox). Returns the folders removed.
pub fn prune_runs(reports: &Path, period: Period, keep: usize, kept: &HashSet<String>) -> std::io::Result<Vec<PathBuf>> {
    let earlier = earlier_runs(reports, period);
    let room = keep.saturating_sub(1);
    let surplus = earlier.len().saturating_sub(room);
    let mut removed = Vec::new();
    for (id, dir) in earlier.into_iter().take(surplus) {
        if kept.contains(&id) {
            continue;
        }
        std::fs::remove_dir_all(&dir)?;
        removed.push(dir);
    }
    Ok(removed)
}

/// Removes the staging folders of runs that are not under way (`live` tells which run ids
/// are). Returns the folders removed.
pub fn clean_staging(reports: &Path, live: impl Fn(&str) -> bool) -> std::io::Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    let Ok(entries) = std::fs::read_dir(staging_root(reports)) else {
        return Ok(removed);
    };
    for entry in entries.flatten() {
        let id = entry.file_name().to_string_lossy().into_owned();
        if !live(&id) {
            let path = entry.path();
            if path.is_dir() {
                std::fs::remove_dir_all(&path)?;
            } else {
                std::fs::remove_file(&path)?;
            }
            removed.push(path);
        }
    }
    Ok(removed)
}

/// The period's current report folder (`reports/<period>/`), whether or not a run wrote it.
pub fn current_folder(reports: &Path, period: Period) -> PathBuf {
    reports.join(period.to_string())
}

/// The folder an earlier run of the period moves to when a new one is published.
pub(super) fn aside_folder(reports: &Path, period: Period, run_id: &str) -> PathBuf {
    reports.join(format!("{period}.{run_id}"))
}

/// Where runs write their folder before it is swapped into place.
pub(super) fn staging_root(reports: &Path) -> PathBuf {
    reports.join(".staging")
}

/// A file of the period's current report (`indicators.csv`, `risks.csv`, …), when a run
/// has written one: the API reads the archive through this.
pub fn current_file(reports: &Path, period: Period, file: &str) -> Option<PathBuf> {
    let path = current_folder(reports, period).join(file);
    path.is_file().then_some(path)
}

/// The folder of one run of a period: the period's folder, or an earlier run beside it.
pub(super) fn run_folder(reports: &Path, period: Period, run_id: &str) -> Option<PathBuf> {
    let current = current_folder(reports, period);
    if previous_run_id(&current).as_deref() == Some(run_id) {
        return Some(current);
    }
    let aside = aside_folder(reports, period, run_id);
    aside.is_dir().then_some(aside)
}

/// A new run id: the UTC time and eight random hex digits.
pub fn new_run_id() -> String {
    format!(
        "{}-{}",
        chrono::Utc::now().format("%Y%m%dT%H%M%S"),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

pub(super) fn previous_run_id(dir: &Path) -> Option<String> {
    let bytes = std::fs::read(dir.join("manifest.json")).ok()?;
    let json: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    json.get("run_id")?.as_str().map(str::to_string)
}
