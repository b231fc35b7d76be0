//! The quarantine's bound: a folder of rejected files (each beside its report) keeps its
//! newest `[archive] keep_quarantined`; the store's ledger keeps every rejection's report.

use std::path::{Path, PathBuf};

/// The stamp a quarantined file and its report share (`20261202T101500.123Z`).
fn stamp_of(name: &str) -> Option<&str> {
    let stamp = name.split_once('-')?.0;
    (stamp.len() == 20 && stamp.ends_with('Z') && stamp.as_bytes()[8] == b'T').then_some(stamp)
}

/// Keeps the newest `keep` rejected files of a quarantine folder (each with its report),
/// removing the older ones. Returns how many files were removed.
pub fn prune_quarantine(dir: &Path, keep: usize) -> std::io::Result<usize> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(0) };
    let mut files: Vec<(String, PathBuf)> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let stamp = stamp_of(&name)?.to_string();
            Some((stamp, e.path()))
        })
        .collect();
    files.sort();
    let mut stamps: Vec<&str> = files.iter().map(|(s, _)| s.as_str()).collect();
    stamps.dedup();
    let Some(oldest_kept) = stamps.len().checked_sub(keep).map(|i| stamps.get(i).map(|s| s.to_string())) else {
        return Ok(0);
    };
    let mut removed = 0;
    for (stamp, path) in &files {
        if oldest_kept.as_deref().is_none_or(|k| stamp.as_str() < k) {
            std::fs::remove_file(path)?;
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quarantine_keeps_its_newest_files_with_their_reports() {
        let dir = tempfile::tempdir().unwrap();
        for (i, name) in ["a.csv", "b.csv", "c.csv"].iter().enumerate() {
            let stamp = format!("20261202T10150{i}.000Z");
            std::fs::write(dir.path().join(format!("{stamp}-{name}")), "x").unwrap();
            std::fs::write(dir.path().join(format!("{stamp}-{name}.report.txt")), "r").unwrap();
        }
        std::fs::write(dir.path().join("notes.txt"), "not ours").unwrap();
        assert_eq!(prune_quarantine(dir.path(), 2).unwrap(), 2);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "20261202T101501.000Z-b.csv",
                "20261202T101501.000Z-b.csv.report.txt",
                "20261202T101502.000Z-c.csv",
                "20261202T101502.000Z-c.csv.report.txt",
                "notes.txt"
            ]
        );
        assert_eq!(prune_quarantine(dir.path(), 0).unwrap(), 4);
    }
}
