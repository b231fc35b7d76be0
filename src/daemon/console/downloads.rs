//! A period's files to download: `indicators.csv` (a reader's without the values
//! disclosure control withholds, as `disclosure.csv` lists them), the workbook (the
//! province report's tables, for whoever may read that report) and, for analysts,
//! `risks.csv`.

use std::collections::HashSet;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{ConsoleState, plain, signed_in};
use crate::model::audience::Audience;
use crate::model::period::Period;

/// `indicators.csv` without the rows `disclosure.csv` lists (the same key columns).
fn published(indicators: &std::path::Path, disclosure: Option<&std::path::Path>) -> Result<Vec<u8>, csv::Error> {
    const KEY: [&str; 5] = ["period", "region_code", "industry_code", "indicator", "measure"];
    fn key(headers: &csv::StringRecord, r: &csv::StringRecord) -> Vec<String> {
        KEY.iter()
            .map(|k| {
                headers
                    .iter()
                    .position(|h| h == *k)
                    .and_then(|i| r.get(i))
                    .unwrap_or("")
                    .to_string()
            })
            .collect()
    }
    let mut withheld = HashSet::new();
    if let Some(path) = disclosure {
        let mut reader = csv::Reader::from_path(path)?;
        let headers = reader.headers()?.clone();
        for r in reader.records() {
            withheld.insert(key(&headers, &r?));
        }
    }
    let mut reader = csv::Reader::from_path(indicators)?;
    let headers = reader.headers()?.clone();
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(&headers)?;
    for r in reader.records() {
        let r = r?;
        if !withheld.contains(&key(&headers, &r)) {
            out.write_record(&r)?;
        }
    }
    out.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

pub(super) async fn download(State(s): State<ConsoleState>, Path((period, name)): Path<(String, String)>, headers: HeaderMap) -> Response {
    let session = match signed_in(&s, &headers).await {
        Ok(session) => session,
        Err(r) => return r,
    };
    let Ok(p) = period.parse::<Period>() else {
        return plain(StatusCode::NOT_FOUND, "no such period");
    };
    let account = session.account.clone();
    let allowed = match name.as_str() {
        "indicators.csv" => true,
        "report.xlsx" => account.may_read(&Audience::Province),
        "risks.csv" => account.role.is_analyst(),
        _ => return plain(StatusCode::NOT_FOUND, "no such file"),
    };
    if !allowed {
        return plain(StatusCode::FORBIDDEN, "your account may not download this file");
    }
    let file = name.clone();
    let bytes = s
        .blocking(move |app| -> Option<Vec<u8>> {
            let reports = &app.settings.paths.reports;
            let path = crate::pipeline::archive::current_file(reports, p, &file)?;
            if file == "indicators.csv" && !account.role.is_analyst() {
                let disclosure = crate::pipeline::archive::current_file(reports, p, "disclosure.csv");
                return published(&path, disclosure.as_deref()).ok();
            }
            std::fs::read(path).ok()
        })
        .await;
    match bytes {
        Ok(Some(bytes)) => {
            let kind = if name.ends_with(".xlsx") {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            } else {
                "text/csv; charset=utf-8"
            };
            let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{p}-{name}\"")).expect("a plain file name");
            (
                [
                    (header::CONTENT_TYPE, HeaderValue::from_static(kind)),
                    (header::CONTENT_DISPOSITION, disposition),
                    (header::CACHE_CONTROL, HeaderValue::from_static("private, no-store")),
                ],
                bytes,
            )
                .into_response()
        }
        Ok(None) => plain(StatusCode::NOT_FOUND, "no such file for this period yet"),
        Err(r) => r,
    }
}
