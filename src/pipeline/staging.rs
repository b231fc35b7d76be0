//! A run's folder while it is written: `reports/.staging/<run id>/`, each file recorded as
//! it is put, then swapped into `reports/<period>/` whole — the previous run moves beside it
//! as `reports/<period>.<run id>/` — so the period's folder always holds one complete run.

use std::path::{Path, PathBuf};

use super::archive::previous_run_id;
use super::{RunError, io};
use crate::deliver;
use crate::model::period::Period;

/// A run folder being written.
pub(super) struct Staging {
    dir: PathBuf,
    /// What was put, relative to the folder, in order.
    outputs: Vec<String>,
}

impl Staging {
    /// A fresh staging folder for `run_id` under `reports` (with its `charts/`).
    pub(super) fn new(reports: &Path, run_id: &str) -> Result<Staging, RunError> {
        let dir = super::archive::staging_root(reports).join(run_id);
        std::fs::create_dir_all(dir.join("charts")).map_err(io(&dir))?;
        Ok(Staging { dir, outputs: Vec::new() })
    }

    /// The folder itself.
    pub(super) fn dir(&self) -> &Path {
        &self.dir
    }

    /// What was put so far.
    pub(super) fn outputs(&self) -> &[String] {
        &self.outputs
    }

    /// Writes `bytes` as the file `rel` (its folders made as needed).
    pub(super) fn put(&mut self, rel: &str, bytes: &[u8]) -> Result<(), RunError> {
        let path = self.dir.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        std::fs::write(&path, bytes).map_err(io(&path))?;
        self.outputs.push(rel.to_string());
        Ok(())
    }

    /// Writes an e-mail as the `.eml` file `rel`.
    pub(super) fn put_eml(&mut self, rel: &str, message: &lettre::Message) -> Result<(), RunError> {
        deliver::write_eml(&self.dir.join(rel), message)?;
        self.outputs.push(rel.to_string());
        Ok(())
    }

    /// Writes a run's outputs: `indicators.csv` and its Parquet copy, `risks.csv`, each
    /// report with its charts, the workbook and the e-mails.
    pub(super) fn put_run(
        &mut self,
        csv: &[u8],
        parquet: &[u8],
        flags: &[crate::risk::Flag],
        reports: &[crate::render::RenderedReport],
        workbook: &[u8],
        composed: &[(super::EmailRecord, super::Outgoing)],
    ) -> Result<(), RunError> {
        self.put("indicators.csv", csv)?;
        self.put("indicators.parquet", parquet)?;
        self.put("risks.csv", &crate::risk::to_csv(flags))?;
        for report in reports {
            self.put(&report.file, report.html.as_bytes())?;
            self.put(&report.audience.pdf_file(), &report.pdf)?;
            for chart in &report.charts {
                self.put(&format!("charts/{}", chart.file_name()), &chart.png)?;
            }
        }
        self.put("report.xlsx", workbook)?;
        for (record, outgoing) in composed {
            match outgoing {
                super::Outgoing::Mail(message) => self.put_eml(&record.file, message)?,
                super::Outgoing::Post(body) => self.put(&record.file, body)?,
            }
        }
        Ok(())
    }

    /// Records a file written into the folder by other means (the manifest, last).
    pub(super) fn note(&mut self, rel: &str) {
        self.outputs.push(rel.to_string());
    }

    /// Swaps the folder into `reports/<period>/`; the run there before moves beside it.
    /// Returns the period's folder and what the run put in it.
    pub(super) fn publish(self, reports: &Path, period: Period) -> Result<(PathBuf, Vec<String>), RunError> {
        let dir = super::archive::current_folder(reports, period);
        if dir.exists() {
            let previous = previous_run_id(&dir).unwrap_or_else(|| format!("{}-previous", chrono::Utc::now().format("%Y%m%dT%H%M%S%3f")));
            let aside = super::archive::aside_folder(reports, period, &previous);
            std::fs::rename(&dir, &aside).map_err(io(&aside))?;
        }
        std::fs::rename(&self.dir, &dir).map_err(io(&dir))?;
        Ok((dir, self.outputs))
    }
}
