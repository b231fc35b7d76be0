//! What a run reads, as the data stood on a date: the latest vintage of every
//! observation, target, project, class mapping and enterprise batch, and what was revised.

use std::path::PathBuf;

use rusqlite::params;

use super::{Store, StoreError};
use crate::model::observation::{Observation, Project, Revision};
use crate::model::period::Period;
use crate::model::target::Target;

/// One period's enterprise records from one file, kept as a Parquet file.
#[derive(Debug, Clone, PartialEq)]
pub struct EnterpriseBatch {
    pub period: Period,
    pub rows: usize,
    pub path: PathBuf,
    pub file_id: i64,
}

/// A stored observation: the row plus its id (load order) and the file it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredObservation {
    pub id: i64,
    pub file_id: i64,
    pub obs: Observation,
}

pub(super) const PROJECT_COLUMNS: &str = "project_id, year, quarter, name, region, industry, total_investment, annual_plan_investment, completed_investment_ytd, planned_start, actual_start, planned_completion, actual_completion, release_date";

pub(super) fn project(r: &rusqlite::Row<'_>) -> rusqlite::Result<Project> {
    let (y, q): (i32, u8) = (r.get(1)?, r.get(2)?);
    Ok(Project {
        project_id: r.get(0)?,
        period: Period::new(y, q).ok_or(rusqlite::Error::IntegralValueOutOfRange(2, i64::from(q)))?,
        name: r.get(3)?,
        region: r.get(4)?,
        industry: r.get(5)?,
        total_investment: r.get(6)?,
        annual_plan_investment: r.get(7)?,
        completed_investment_ytd: r.get(8)?,
        planned_start: r.get(9)?,
        actual_start: r.get(10)?,
        planned_completion: r.get(11)?,
        actual_completion: r.get(12)?,
        release_date: r.get(13)?,
    })
}

fn stored_observation(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredObservation> {
    let (y, q): (i32, u8) = (r.get(2)?, r.get(3)?);
    Ok(StoredObservation {
        id: r.get(0)?,
        file_id: r.get(1)?,
        obs: Observation {
            period: Period::new(y, q).ok_or_else(|| rusqlite::Error::IntegralValueOutOfRange(3, i64::from(q)))?,
            region: r.get(4)?,
            industry: r.get(5)?,
            indicator: r.get(6)?,
            value: r.get(7)?,
            yoy_pct: r.get(8)?,
            release_date: r.get(9)?,
            source: r.get(10)?,
        },
    })
}

impl Store {
    /// The targets loaded from files as of a date: per key, the latest.
    pub fn targets(&self, as_of: Option<&str>) -> Result<Vec<Target>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT spec FROM (SELECT spec, ROW_NUMBER() OVER (PARTITION BY key ORDER BY release_date DESC, id DESC) AS rn
                 FROM targets WHERE release_date <= ?1) WHERE rn = 1 ORDER BY spec",
            )
            .map_err(|e| self.err(e))?;
        let specs: Vec<String> = stmt
            .query_map([as_of.unwrap_or("9999-12-31")], |r| r.get(0))
            .and_then(|r| r.collect())
            .map_err(|e| self.err(e))?;
        Ok(specs.iter().filter_map(|s| serde_json::from_str(s).ok()).collect())
    }

    /// The latest vintage of every project's figures as of a date, for the periods up to
    /// `through`.
    pub fn projects(&self, as_of: Option<&str>, through: Option<Period>) -> Result<Vec<Project>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {PROJECT_COLUMNS} FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY project_id, year, quarter ORDER BY release_date DESC, id DESC) AS rn
                 FROM projects WHERE release_date <= ?1 AND (year * 4 + quarter - 1) <= ?2) WHERE rn = 1 ORDER BY project_id, year, quarter"
            ))
            .map_err(|e| self.err(e))?;
        stmt.query_map(
            params![as_of.unwrap_or("9999-12-31"), through.map_or(i32::MAX, Period::index)],
            project,
        )
        .and_then(|r| r.collect())
        .map_err(|e| self.err(e))
    }

    /// The class mapping of `catalogue` as of a date: the latest version's pairs.
    pub fn mapping(&self, catalogue: &str, as_of: Option<&str>) -> Result<Vec<(String, String)>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT class_code, industry_code FROM class_mapping WHERE file_id = (
                   SELECT file_id FROM class_mapping WHERE catalogue = ?1 AND release_date <= ?2 ORDER BY release_date DESC, file_id DESC LIMIT 1)
                 ORDER BY class_code, industry_code",
            )
            .map_err(|e| self.err(e))?;
        stmt.query_map(params![catalogue, as_of.unwrap_or("9999-12-31")], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(|r| r.collect())
            .map_err(|e| self.err(e))
    }

    /// The enterprise batches released by `as_of`, for the periods up to `through`, in
    /// vintage order (a later batch's record of an enterprise replaces an earlier one's).
    pub fn enterprise_batches(&self, as_of: Option<&str>, through: Option<Period>) -> Result<Vec<EnterpriseBatch>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT year, quarter, rows, path, file_id FROM enterprise_batches WHERE release_date <= ?1 AND (year * 4 + quarter - 1) <= ?2
                 ORDER BY year, quarter, release_date, file_id",
            )
            .map_err(|e| self.err(e))?;
        let rows: Vec<(i32, u8, i64, String, i64)> = stmt
            .query_map(
                params![as_of.unwrap_or("9999-12-31"), through.map_or(i32::MAX, Period::index)],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .and_then(|r| r.collect())
            .map_err(|e| self.err(e))?;
        Ok(rows
            .into_iter()
            .filter_map(|(y, q, n, path, file_id)| {
                Some(EnterpriseBatch {
                    period: Period::new(y, q)?,
                    rows: n as usize,
                    path: PathBuf::from(path),
                    file_id,
                })
            })
            .collect())
    }

    /// The latest vintage of every observation key, as of `as_of` (an ISO date; `None`:
    /// everything stored), for the periods up to and including `through`.
    pub fn observations(&self, as_of: Option<&str>, through: Option<Period>) -> Result<Vec<StoredObservation>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT id, file_id, year, quarter, region, industry, indicator, value, yoy_pct, release_date, source FROM (
                   SELECT o.*, ROW_NUMBER() OVER (
                       PARTITION BY region, industry, indicator, year, quarter ORDER BY release_date DESC, id DESC) AS rn
                   FROM observations o
                   WHERE release_date <= ?1 AND (year * 4 + quarter - 1) <= ?2)
                 WHERE rn = 1 ORDER BY region, industry, indicator, year, quarter",
            )
            .map_err(|e| self.err(e))?;
        let as_of = as_of.unwrap_or("9999-12-31");
        let through = through.map_or(i32::MAX, Period::index);
        stmt.query_map(params![as_of, through], stored_observation)
            .and_then(|rows| rows.collect())
            .map_err(|e| self.err(e))
    }

    /// The latest vintage of every observation key of one period, as of `as_of` (read
    /// through the period index, however large the store).
    pub fn period_observations(&self, period: Period, as_of: Option<&str>) -> Result<Vec<StoredObservation>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT id, file_id, year, quarter, region, industry, indicator, value, yoy_pct, release_date, source FROM (
                   SELECT o.*, ROW_NUMBER() OVER (
                       PARTITION BY region, industry, indicator ORDER BY release_date DESC, id DESC) AS rn
                   FROM observations o
                   WHERE year = ?2 AND quarter = ?3 AND release_date <= ?1)
                 WHERE rn = 1 ORDER BY region, industry, indicator",
            )
            .map_err(|e| self.err(e))?;
        stmt.query_map(
            params![as_of.unwrap_or("9999-12-31"), period.year(), period.quarter()],
            stored_observation,
        )
        .and_then(|rows| rows.collect())
        .map_err(|e| self.err(e))
    }

    /// Every stored vintage of one key, oldest first.
    pub fn vintages(&self, period: Period, region: &str, industry: &str, indicator: &str) -> Result<Vec<StoredObservation>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT id, file_id, year, quarter, region, industry, indicator, value, yoy_pct, release_date, source FROM observations
                 WHERE region = ?1 AND industry = ?2 AND indicator = ?3 AND year = ?4 AND quarter = ?5 ORDER BY release_date, id",
            )
            .map_err(|e| self.err(e))?;
        stmt.query_map(
            params![region, industry, indicator, period.year(), period.quarter()],
            stored_observation,
        )
        .and_then(|rows| rows.collect())
        .map_err(|e| self.err(e))
    }

    /// The values of `period` whose latest vintage as of a date differs from the one
    /// before it: (region, industry, indicator, previous value, latest value).
    pub fn revisions(&self, period: Period, as_of: Option<&str>) -> Result<Vec<Revision>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT region, industry, indicator, value, rn FROM (
                   SELECT region, industry, indicator, value, ROW_NUMBER() OVER (
                       PARTITION BY region, industry, indicator ORDER BY release_date DESC, id DESC) AS rn
                   FROM observations WHERE year = ?1 AND quarter = ?2 AND release_date <= ?3)
                 WHERE rn <= 2 ORDER BY region, industry, indicator, rn",
            )
            .map_err(|e| self.err(e))?;
        let rows: Vec<(String, String, String, Option<f64>, i64)> = stmt
            .query_map(params![period.year(), period.quarter(), as_of.unwrap_or("9999-12-31")], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .and_then(|r| r.collect())
            .map_err(|e| self.err(e))?;
        Ok(rows
            .windows(2)
            .filter(|w| w[0].4 == 1 && w[1].4 == 2 && (&w[0].0, &w[0].1, &w[0].2) == (&w[1].0, &w[1].1, &w[1].2))
            .filter_map(|w| {
                let (after, before) = (w[0].3?, w[1].3?);
                (after != before).then(|| Revision {
                    region: w[0].0.clone(),
                    industry: w[0].1.clone(),
                    indicator: w[0].2.clone(),
                    before,
                    after,
                })
            })
            .collect())
    }

    /// Number of stored observation rows (all vintages): a cheap fingerprint for tests.
    pub fn observation_count(&self) -> Result<i64, StoreError> {
        self.conn()
            .query_row("SELECT COUNT(*) FROM observations", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// The periods that have observations, oldest first.
    pub fn periods(&self) -> Result<Vec<Period>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT DISTINCT year, quarter FROM observations ORDER BY year, quarter")
            .map_err(|e| self.err(e))?;
        let rows: Vec<(i32, u8)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(|r| r.collect())
            .map_err(|e| self.err(e))?;
        Ok(rows.into_iter().filter_map(|(y, q)| Period::new(y, q)).collect())
    }
}
