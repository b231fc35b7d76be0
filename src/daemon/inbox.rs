//! The inbox: files dropped into `[paths] inbox` are loaded as `seimon ingest` loads them,
//! then moved out of the way — to `inbox/accepted/`, or to `inbox/quarantine/` beside a
//! `.report.txt` naming each bad row.
//!
//! A file still being written is never read half-way: a file is loaded only when its size
//! and modification time are the same on two looks one poll apart, and names that writers
//! use while writing are skipped (hidden files, `~$…` lock files, `.part`, `.partial`,
//! `.tmp`, `.crdownload`, `.filepart`). Copying into the inbox and then renaming is the safe
//! way to drop a large file; a plain copy is picked up once it has stopped growing.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::ingest::{self, Outcome};
use crate::pipeline::Seimon;

/// What became of one file of the inbox.
#[derive(Debug, Clone, PartialEq)]
pub enum Picked {
    /// Loaded: rows read and new vintages stored; moved to `accepted/`.
    Accepted {
        name: String,
        rows: i64,
        new_vintages: i64,
        moved_to: PathBuf,
    },
    /// The same bytes were loaded before; moved to `accepted/`.
    Unchanged { name: String, moved_to: PathBuf },
    /// Rejected whole; moved to `quarantine/` with its report.
    Rejected {
        name: String,
        problems: usize,
        moved_to: PathBuf,
        report: PathBuf,
    },
    /// The load could not be attempted (the store failed); the file stays for the next look.
    Failed { name: String, error: String },
}

impl Picked {
    /// Whether the store may have changed.
    pub fn loaded(&self) -> bool {
        matches!(self, Picked::Accepted { .. })
    }
}

/// The inbox and what the last look saw of each file.
pub struct Inbox {
    dir: PathBuf,
    seen: HashMap<PathBuf, (u64, Option<SystemTime>)>,
}

/// Names a writer uses for a file it has not finished.
fn in_progress(name: &str) -> bool {
    let lower = name.to_lowercase();
    name.starts_with('.')
        || name.starts_with("~$")
        || [".part", ".partial", ".tmp", ".crdownload", ".filepart", ".swp"]
            .iter()
            .any(|s| lower.ends_with(s))
}

impl Inbox {
    pub fn new(dir: &Path) -> Inbox {
        Inbox {
            dir: dir.to_path_buf(),
            seen: HashMap::new(),
        }
    }

    /// One look: loads each file that has stopped changing since the previous look and
    /// moves it out. Blocking (it reads files and writes the store).
    pub fn scan(&mut self, app: &Seimon) -> Vec<Picked> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new(); // no inbox (yet): nothing dropped
        };
        let mut now_seen = HashMap::new();
        let mut ready = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = entry.metadata() else { continue };
            let name = entry.file_name().to_string_lossy().into_owned();
            if !meta.is_file() || in_progress(&name) {
                continue;
            }
            let stamp = (meta.len(), meta.modified().ok());
            if self.seen.get(&path) == Some(&stamp) {
                ready.push(path);
            } else {
                now_seen.insert(path, stamp);
            }
        }
        self.seen = now_seen;
        ready.sort();
        ready.into_iter().map(|path| self.take(app, &path)).collect()
    }

    fn take(&mut self, app: &Seimon, path: &Path) -> Picked {
        // the name its copies get (a long name shortened, so that they can be written)
        let name = ingest::safe_name(&path.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned()));
        let options = app.settings.ingest_options();
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ").to_string();
        let outcome = ingest::ingest_path(&app.store, &app.settings.catalogue, path, &options);
        let picked = match outcome {
            Ok(Outcome::Accepted { file, .. }) => self.move_to("accepted", path, &stamp, &name).map(|moved_to| Picked::Accepted {
                name: name.clone(),
                rows: file.rows,
                new_vintages: file.new_vintages,
                moved_to,
            }),
            Ok(Outcome::AlreadyLoaded { .. }) => self.move_to("accepted", path, &stamp, &name).map(|moved_to| Picked::Unchanged {
                name: name.clone(),
                moved_to,
            }),
            Ok(Outcome::Rejected(rejection)) => self.move_to("quarantine", path, &stamp, &name).and_then(|moved_to| {
                let report = moved_to.with_file_name(format!("{stamp}-{name}.report.txt"));
                std::fs::write(&report, rejection.report()).map_err(|e| format!("{}: {e}", report.display()))?;
                let folder = self.dir.join("quarantine");
                crate::ingest::quarantine::prune_quarantine(&folder, app.settings.archive.keep_quarantined)
                    .map_err(|e| format!("{}: {e}", folder.display()))?;
                Ok(Picked::Rejected {
                    name: name.clone(),
                    problems: rejection.problems.len(),
                    moved_to,
                    report,
                })
            }),
            Err(e) => Err(e.to_string()),
        };
        let picked = picked.unwrap_or_else(|error| Picked::Failed { name, error });
        match &picked {
            Picked::Accepted {
                name, rows, new_vintages, ..
            } => tracing::info!(file = %name, rows, new_vintages, "inbox: file loaded"),
            Picked::Unchanged { name, .. } => tracing::info!(file = %name, "inbox: file loaded before; nothing changed"),
            Picked::Rejected {
                name, problems, report, ..
            } => {
                tracing::warn!(file = %name, problems, report = %report.display(), "inbox: file rejected")
            }
            Picked::Failed { name, error } => {
                tracing::error!(file = %name, %error, "inbox: the file could not be loaded; it stays in the inbox")
            }
        }
        picked
    }

    fn move_to(&self, folder: &str, path: &Path, stamp: &str, name: &str) -> Result<PathBuf, String> {
        let dir = self.dir.join(folder);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let to = dir.join(format!("{stamp}-{name}"));
        std::fs::rename(path, &to).map_err(|e| format!("moving {} to {}: {e}", path.display(), to.display()))?;
        Ok(to)
    }
}

#[cfg(test)]
mod tests {
    use super::in_progress;

    #[test]
    fn names_of_files_being_written_are_skipped() {
        for name in [
            ".obs.csv",
            "~$book.xlsx",
            "obs.csv.part",
            "obs.csv.tmp",
            "OBS.CSV.PARTIAL",
            "a.crdownload",
        ] {
            assert!(in_progress(name), "{name}");
        }
        for name in ["obs.csv", "企业.parquet", "targets.xlsx", "partial.csv"] {
            assert!(!in_progress(name), "{name}");
        }
    }
}
