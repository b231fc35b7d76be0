//! A period's runs for analysts: the current one and the earlier ones the archive keeps,
//! newest first, each with its trigger, time, data vintage and how many values differ from
//! the run before it; and those values, before and after. Only analysts see them: a change
//! may be a value disclosure control withholds.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use minijinja::context;

use super::operations::analyst;
use super::{ConsoleState, html, language, pages, plain, viewer};
use crate::model::labels::{fill, tr};
use crate::model::period::Period;
use crate::pipeline::Seimon;

/// The folders of a period's runs, oldest first: (run id, folder); the current one last.
fn runs(app: &Seimon, period: Period) -> Vec<(String, std::path::PathBuf)> {
    let reports = &app.settings.paths.reports;
    let mut all = crate::pipeline::archive::earlier_runs(reports, period);
    let current = crate::pipeline::archive::current_folder(reports, period);
    if let Some(id) = manifest(&current).and_then(|m| m["run_id"].as_str().map(String::from)) {
        all.push((id, current));
    }
    all
}

fn manifest(dir: &std::path::Path) -> Option<serde_json::Value> {
    serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).ok()?).ok()
}

pub(super) async fn runs_page(State(s): State<ConsoleState>, Path(period): Path<String>, headers: HeaderMap) -> Response {
    let session = match analyst(&s, &headers).await {
        Ok(session) => session,
        Err(r) => return r,
    };
    let lang = language(&session.account);
    let Ok(p) = period.parse::<Period>() else {
        return plain(StatusCode::NOT_FOUND, "no such period");
    };
    let rows = s
        .blocking(move |app| {
            let runs = runs(app, p);
            let mut rows: Vec<minijinja::Value> = runs
                .iter()
                .enumerate()
                .map(|(i, (id, dir))| {
                    let m = manifest(dir).unwrap_or_default();
                    let changed = i
                        .checked_sub(1)
                        .and_then(|j| crate::pipeline::changes::between(&runs[j].1, dir))
                        .map(|c| c.len());
                    context! {
                        run_id => id,
                        trigger => m["trigger"].as_str().unwrap_or(""),
                        started_at => m["started_at"].as_str().unwrap_or(""),
                        vintage => m["data_vintage"].as_str().unwrap_or(""),
                        changed => changed,
                        current => i + 1 == runs.len(),
                    }
                })
                .collect();
            rows.reverse();
            rows
        })
        .await;
    let Ok(rows) = rows else {
        return plain(StatusCode::SERVICE_UNAVAILABLE, "the runs cannot be read");
    };
    html(
        StatusCode::OK,
        pages::page(
            "runs.html",
            lang,
            &viewer(&session),
            context! {
                title => fill(lang, "{period} 历次计算", &[("period", &crate::model::labels::period(lang, p))]),
                period => p.to_string(),
                header => [tr(lang, "计算"), tr(lang, "触发方式"), tr(lang, "开始时间"), tr(lang, "数据版本_表头"), tr(lang, "与前一次相比")],
                rows => rows,
                current => tr(lang, "当前"),
                changed => tr(lang, "个数值不同"),
            },
        ),
    )
}

pub(super) async fn changes_page(
    State(s): State<ConsoleState>,
    Path((period, run_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    const SHOWN: usize = 500;
    let session = match analyst(&s, &headers).await {
        Ok(session) => session,
        Err(r) => return r,
    };
    let lang = language(&session.account);
    let Ok(p) = period.parse::<Period>() else {
        return plain(StatusCode::NOT_FOUND, "no such period");
    };
    let id = run_id.clone();
    let found = s
        .blocking(move |app| {
            let runs = runs(app, p);
            let i = runs.iter().position(|(r, _)| *r == id)?;
            let before = i.checked_sub(1).map(|j| runs[j].1.clone())?;
            let changes = crate::pipeline::changes::between(&before, &runs[i].1)?;
            let names = crate::model::labels::Names {
                lang,
                catalogue: &app.settings.catalogue,
            };
            let number = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{v:.4}"));
            let rows: Vec<[String; 5]> = changes
                .iter()
                .take(SHOWN)
                .map(|c| {
                    [
                        names.region(&c.region),
                        names.industry(&c.industry),
                        format!(
                            "{} · {}",
                            names.indicator(&c.indicator),
                            crate::model::labels::measure(lang, &c.measure)
                        ),
                        number(c.before),
                        number(c.after),
                    ]
                })
                .collect();
            Some((changes.len(), runs[i - 1].0.clone(), rows))
        })
        .await;
    let Ok(Some((n, before, rows))) = found else {
        return plain(StatusCode::NOT_FOUND, "no earlier run of this period to compare with");
    };
    html(
        StatusCode::OK,
        pages::page(
            "changes.html",
            lang,
            &viewer(&session),
            context! {
                title => fill(lang, "{after} 与 {before} 相比：{n} 个数值不同", &[("after", &run_id), ("before", &before), ("n", &n.to_string())]),
                header => [tr(lang, "地区"), tr(lang, "产业"), tr(lang, "指标"), tr(lang, "此前"), tr(lang, "此次")],
                rows => rows,
                more => n.saturating_sub(SHOWN),
            },
        ),
    )
}
