//! A period's risks in the console: the groups of its last run (one rule, one region, one
//! industry: several indicators flagged together are one risk), the material ones first by
//! score, filtered by light, region, industry and materiality; a group acknowledged with a
//! reason and an expiry silences each of its lit members from the next run on, written to
//! the audit.

use std::collections::BTreeMap;

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::operations::{analyst, audit, csrf_refused};
use super::{ConsoleState, auth, html, language, pages, plain, viewer};
use crate::model::labels::{Names, fill, tr};
use crate::model::language::Language;
use crate::model::period::Period;
use crate::pipeline::Seimon;

/// At most this many groups on one page (the filters narrow the rest down).
const SHOWN: usize = 300;

/// One flag of `risks.csv`, the columns this page reads.
#[derive(Debug, Clone, Deserialize)]
struct Flag {
    class: String,
    rule: String,
    level: String,
    state: String,
    region_code: String,
    industry_code: String,
    message: String,
    risk_id: String,
    since: String,
    silenced_until: String,
    group_id: String,
    score: Option<f64>,
    material: bool,
}

/// A group as the page shows it.
#[derive(Debug, Serialize)]
struct GroupRow {
    id: String,
    level: String,
    level_label: &'static str,
    rule: String,
    region: String,
    region_code: String,
    industry: String,
    state: &'static str,
    since: String,
    score: String,
    /// The score the rows are ordered by (shown as `score`).
    #[serde(skip)]
    order: f64,
    material: bool,
    silenced_until: String,
    messages: Vec<String>,
}

fn rank(level: &str) -> u8 {
    match level {
        "red" => 2,
        "yellow" => 1,
        _ => 0,
    }
}

/// The business flags of the period's last run that are lit, by group, in the file's order.
fn lit_groups(app: &Seimon, p: Period) -> BTreeMap<String, Vec<Flag>> {
    let mut groups: BTreeMap<String, Vec<Flag>> = BTreeMap::new();
    let Some(path) = crate::pipeline::archive::current_file(&app.settings.paths.reports, p, "risks.csv") else {
        return groups;
    };
    let Ok(mut reader) = csv::Reader::from_path(path) else {
        return groups;
    };
    for flag in reader.deserialize::<Flag>().filter_map(Result::ok) {
        if flag.class == "business" && flag.level != "green" {
            let id = if flag.group_id.is_empty() {
                flag.risk_id.clone()
            } else {
                flag.group_id.clone()
            };
            groups.entry(id).or_default().push(flag);
        }
    }
    groups
}

#[derive(Deserialize, Default)]
pub(super) struct RiskFilter {
    level: Option<String>,
    region: Option<String>,
    industry: Option<String>,
    /// `all` shows the immaterial groups too.
    scope: Option<String>,
}

fn group_row(app: &Seimon, lang: Language, id: String, flags: &[Flag]) -> GroupRow {
    let names = Names {
        lang,
        catalogue: &app.settings.catalogue,
    };
    let worst = flags.iter().max_by_key(|f| rank(&f.level)).expect("a group has a member");
    let rule = app
        .settings
        .rules
        .iter()
        .find(|r| r.id == worst.rule)
        .map_or(worst.rule.clone(), |r| match lang {
            Language::Zh => r.name.clone(),
            Language::En => r.name_en.clone(),
        });
    GroupRow {
        level: worst.level.clone(),
        level_label: tr(lang, if worst.level == "red" { "红灯" } else { "黄灯" }),
        rule,
        region: names.region(&worst.region_code),
        region_code: worst.region_code.clone(),
        industry: names.industry(&worst.industry_code),
        state: tr(
            lang,
            match worst.state.as_str() {
                "new" => "新增",
                "escalated" => "升级",
                "eased" => "缓解",
                "resolved" => "解除",
                _ => "持续",
            },
        ),
        since: flags.iter().map(|f| f.since.clone()).min().unwrap_or_default(),
        score: worst.score.map_or_else(String::new, |s| format!("{s:.1}")),
        order: worst.score.unwrap_or(0.0),
        material: flags.iter().any(|f| f.material),
        silenced_until: flags.iter().map(|f| f.silenced_until.clone()).min().unwrap_or_default(),
        messages: flags.iter().map(|f| f.message.clone()).collect(),
        id,
    }
}

/// The period's risk groups, filtered, each with a form to acknowledge it.
pub(super) async fn risks_page(
    State(s): State<ConsoleState>,
    Path(period): Path<String>,
    Query(filter): Query<RiskFilter>,
    headers: HeaderMap,
) -> Response {
    let session = match analyst(&s, &headers).await {
        Ok(session) => session,
        Err(r) => return r,
    };
    let lang = language(&session.account);
    let Ok(p) = period.parse::<Period>() else {
        return plain(StatusCode::NOT_FOUND, "no such period");
    };
    let all = filter.scope.as_deref() == Some("all");
    let wanted = |v: &Option<String>| v.clone().filter(|v| !v.trim().is_empty());
    let (level, region, industry) = (wanted(&filter.level), wanted(&filter.region), wanted(&filter.industry));
    let (level_f, region_f, industry_f) = (level.clone(), region.clone(), industry.clone());
    let found = s
        .blocking(move |app| {
            let mut rows: Vec<GroupRow> = lit_groups(app, p)
                .into_iter()
                .map(|(id, flags)| group_row(app, lang, id, &flags))
                .filter(|g| all || g.material)
                .filter(|g| level_f.as_deref().is_none_or(|l| g.level == l))
                .filter(|g| region_f.as_deref().is_none_or(|r| g.region_code == r || g.region.contains(r)))
                .filter(|g| {
                    industry_f
                        .as_deref()
                        .is_none_or(|i| g.industry.contains(i) || g.id.contains(&format!(":{i}")))
                })
                .collect();
            rows.sort_by(|a, b| {
                (b.material, rank(&b.level))
                    .cmp(&(a.material, rank(&a.level)))
                    .then(b.order.total_cmp(&a.order))
            });
            rows
        })
        .await;
    let Ok(rows) = found else {
        return plain(StatusCode::SERVICE_UNAVAILABLE, "the risks cannot be read");
    };
    let until = (chrono::Utc::now().date_naive() + chrono::Duration::days(90)).to_string();
    html(
        StatusCode::OK,
        pages::page(
            "risks.html",
            lang,
            &viewer(&session),
            context! {
                title => fill(lang, "{period} 风险", &[("period", &crate::model::labels::period(lang, p))]),
                summary => fill(lang, "共 {n} 组风险。", &[("n", &rows.len().to_string())]),
                period => p.to_string(),
                more => rows.len().saturating_sub(SHOWN),
                rows => rows.into_iter().take(SHOWN).collect::<Vec<_>>(),
                until => until,
                level => level.unwrap_or_default(),
                region => region.unwrap_or_default(),
                industry => industry.unwrap_or_default(),
                all => all,
                labels => context! {
                    filter => tr(lang, "筛选"),
                    level => tr(lang, "灯号"),
                    red => tr(lang, "红灯"),
                    yellow => tr(lang, "黄灯"),
                    region => tr(lang, "地区"),
                    industry => tr(lang, "产业"),
                    all => tr(lang, "含未达重要性门槛的风险"),
                    rule => tr(lang, "规则"),
                    state => tr(lang, "状态"),
                    since => tr(lang, "起始期"),
                    score => tr(lang, "得分"),
                    immaterial => tr(lang, "未达重要性门槛"),
                    silenced => tr(lang, "已确认至"),
                    reason => tr(lang, "确认理由"),
                    until => tr(lang, "有效期至"),
                    ack => tr(lang, "确认"),
                },
                none => tr(lang, "没有符合条件的风险。"),
            },
        ),
    )
}

#[derive(Deserialize)]
pub(super) struct AckForm {
    group_id: String,
    reason: String,
    until: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    csrf: String,
}

/// Acknowledges a group: each of its lit members silenced from the next run on, until the
/// day given.
pub(super) async fn ack(State(s): State<ConsoleState>, headers: HeaderMap, Form(form): Form<AckForm>) -> Response {
    let session = match analyst(&s, &headers).await {
        Ok(session) => session,
        Err(r) => return r,
    };
    if !auth::same(&form.csrf, &session.csrf) {
        return csrf_refused(&session);
    }
    let (Ok(until), false, Ok(p)) = (
        form.until.parse::<NaiveDate>(),
        form.reason.trim().is_empty(),
        form.period.parse::<Period>(),
    ) else {
        return plain(
            StatusCode::UNPROCESSABLE_ENTITY,
            "a period, a reason and a date (YYYY-MM-DD) are required",
        );
    };
    let (group, reason) = (form.group_id.clone(), form.reason.clone());
    let acked = s
        .blocking(move |app| -> Result<Vec<String>, crate::store::StoreError> {
            let members: Vec<String> = lit_groups(app, p)
                .remove(&group)
                .unwrap_or_default()
                .into_iter()
                .map(|f| f.risk_id)
                .collect();
            for risk_id in &members {
                app.store.ack_risk(risk_id, &reason, until)?;
            }
            Ok(members)
        })
        .await;
    match acked {
        Ok(Ok(members)) if members.is_empty() => plain(StatusCode::NOT_FOUND, "no such risk in this period"),
        Ok(Ok(members)) => {
            audit(
                &s,
                &session.account.name,
                "acknowledge",
                format!("{} ({}) until {until}: {}", form.group_id, members.join(", "), form.reason),
            );
            Redirect::to(&format!("/periods/{}/risks", form.period)).into_response()
        }
        Ok(Err(e)) => plain(StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
        Err(r) => r,
    }
}
