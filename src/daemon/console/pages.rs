//! The console's pages, server-rendered with minijinja from `templates/`: one layout (the
//! header, the menu, a phone-width body) and a page each. What a page shows is handed in
//! ready to print; the templates escape it.

use minijinja::{Environment, context};
use serde::Serialize;

use crate::model::labels::tr;
use crate::model::language::Language;

const LAYOUT: &str = include_str!("templates/layout.html");
const LOGIN: &str = include_str!("templates/login.html");
const PERIODS: &str = include_str!("templates/periods.html");
const REPORTS: &str = include_str!("templates/reports.html");
const MESSAGE: &str = include_str!("templates/message.html");
const UPLOAD: &str = include_str!("templates/upload.html");
const ACCEPTED: &str = include_str!("templates/accepted.html");
const REJECTED: &str = include_str!("templates/rejected.html");
const RUN: &str = include_str!("templates/run.html");
const RISKS: &str = include_str!("templates/risks.html");
const AUDIT: &str = include_str!("templates/audit.html");
const OUTBOX: &str = include_str!("templates/outbox.html");
const ACCOUNTS: &str = include_str!("templates/accounts.html");
const RUNS: &str = include_str!("templates/runs.html");
const CHANGES: &str = include_str!("templates/changes.html");

fn environment() -> &'static Environment<'static> {
    static ENV: std::sync::OnceLock<Environment<'static>> = std::sync::OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        for (name, text) in [
            ("layout.html", LAYOUT),
            ("login.html", LOGIN),
            ("periods.html", PERIODS),
            ("reports.html", REPORTS),
            ("message.html", MESSAGE),
            ("upload.html", UPLOAD),
            ("accepted.html", ACCEPTED),
            ("rejected.html", REJECTED),
            ("run.html", RUN),
            ("risks.html", RISKS),
            ("audit.html", AUDIT),
            ("outbox.html", OUTBOX),
            ("accounts.html", ACCOUNTS),
            ("runs.html", RUNS),
            ("changes.html", CHANGES),
        ] {
            env.add_template(name, text).expect("the console's templates parse");
        }
        env
    })
}

/// Who is signed in, for the header: name, role, what the menu offers them and the CSRF
/// token of their forms.
#[derive(Debug, Clone, Serialize)]
pub struct Viewer {
    pub name: String,
    pub role: String,
    pub analyst: bool,
    pub admin: bool,
    pub csrf: String,
}

/// The labels every page's layout uses, in the viewer's language.
#[derive(Serialize)]
struct Ui {
    lang: &'static str,
    console: &'static str,
    periods: &'static str,
    upload: &'static str,
    outbox: &'static str,
    audit: &'static str,
    accounts: &'static str,
    sign_out: &'static str,
    risks: &'static str,
    recompute: &'static str,
    send: &'static str,
}

fn ui(lang: Language) -> Ui {
    Ui {
        lang: if lang == Language::En { "en" } else { "zh-CN" },
        console: tr(lang, "监测控制台"),
        periods: tr(lang, "期别"),
        upload: tr(lang, "上传数据"),
        outbox: tr(lang, "发件箱"),
        audit: tr(lang, "审计记录"),
        accounts: tr(lang, "账号管理"),
        sign_out: tr(lang, "退出"),
        risks: tr(lang, "风险"),
        recompute: tr(lang, "重新计算"),
        send: tr(lang, "并发送"),
    }
}

/// A page of `name` for a signed-in viewer, with the page's own context.
pub fn page(name: &str, lang: Language, viewer: &Viewer, ctx: minijinja::Value) -> String {
    render(name, context! { ui => ui(lang), viewer => viewer, ..ctx })
}

/// A part of a page, sent to the page's script (the result of an upload).
pub fn fragment(name: &str, ctx: minijinja::Value) -> String {
    render(name, ctx)
}

fn render(name: &str, ctx: minijinja::Value) -> String {
    environment()
        .get_template(name)
        .and_then(|t| t.render(ctx))
        .unwrap_or_else(|e| format!("<!DOCTYPE html><p>page {name}: {e}</p>"))
}

/// The sign-in form, with the CSRF token its cookie carries too, and the last attempt's
/// error.
pub fn login(lang: Language, csrf: &str, error: Option<&str>) -> String {
    render(
        "login.html",
        context! {
            ui => ui(lang),
            title => tr(lang, "登录"),
            name_label => tr(lang, "用户名"),
            password_label => tr(lang, "密码"),
            submit => tr(lang, "登录"),
            csrf => csrf,
            error => error,
        },
    )
}

/// One quarter on the periods page.
#[derive(Debug, Serialize)]
pub struct PeriodRow {
    pub period: String,
    pub label: String,
    pub completeness: String,
    pub missing: Vec<String>,
    pub more_missing: usize,
    pub vintage: String,
    pub schedule: String,
    pub reported: bool,
}

pub fn periods(lang: Language, viewer: &Viewer, rows: &[PeriodRow]) -> String {
    render(
        "periods.html",
        context! {
            ui => ui(lang),
            viewer => viewer,
            title => tr(lang, "期别"),
            header => [
                tr(lang, "期别"),
                tr(lang, "完整率（%）"),
                tr(lang, "缺报数据"),
                tr(lang, "数据版本_表头"),
                tr(lang, "报送计划"),
            ],
            more => tr(lang, "等"),
            reports => tr(lang, "报告"),
            none => tr(lang, "尚无数据。"),
            rows => rows,
        },
    )
}

/// One report of a period, for the reports page.
#[derive(Debug, Serialize)]
pub struct ReportLink {
    pub kind: String,
    pub title: String,
    pub href: String,
    /// The report typeset on A4, when the run made it.
    pub pdf: Option<String>,
}

pub fn reports(lang: Language, viewer: &Viewer, period: &str, label: &str, links: &[ReportLink], workbook: bool) -> String {
    render(
        "reports.html",
        context! {
            ui => ui(lang),
            viewer => viewer,
            title => format!("{label} {}", tr(lang, "报告")),
            period => period,
            none => tr(lang, "本期没有可查看的报告。"),
            links => links,
            workbook => workbook,
            downloads => tr(lang, "下载"),
            published => tr(lang, "指标数据（indicators.csv）"),
            runs => tr(lang, "历次计算"),
        },
    )
}

/// A page that only says something: an error, a refusal.
pub fn message(lang: Language, viewer: Option<&Viewer>, title: &str, text: &str) -> String {
    render(
        "message.html",
        context! { ui => ui(lang), viewer => viewer, title => title, text => text },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_renders() {
        let viewer = Viewer {
            name: "li".into(),
            role: "分析员".into(),
            analyst: true,
            admin: true,
            csrf: "c".repeat(64),
        };
        let lang = Language::Zh;
        let pages = [
            login(lang, "t", Some("用户名或密码错误。")),
            periods(lang, &viewer, &[]),
            reports(lang, &viewer, "2025Q3", "2025年1-9月", &[], true),
            message(lang, Some(&viewer), "无权访问", "x"),
            page(
                "upload.html",
                lang,
                &viewer,
                context! { title => "上传数据", hint => "h", choose => "c", loading => "l" },
            ),
            page(
                "run.html",
                lang,
                &viewer,
                context! { title => "t", run_id => "r", state => "running", finished => false },
            ),
            page(
                "risks.html",
                lang,
                &viewer,
                context! {
                    title => "t", period => "2025Q3", rows => Vec::<String>::new(), summary => "s", none => "n",
                    level => "", region => "", industry => "", all => false,
                    labels => context! { level => "l", red => "r", yellow => "y", region => "g", industry => "i", all => "a", filter => "f" },
                },
            ),
            page(
                "audit.html",
                lang,
                &viewer,
                context! { title => "t", header => ["a"], entries => Vec::<String>::new() },
            ),
            fragment(
                "rejected.html",
                context! { text => "x", header => ["行"], rows => vec![["1", "a", "b", "c"]] },
            ),
        ];
        for p in &pages {
            assert!(!p.contains("<p>page "), "{p}");
        }
        assert!(pages[4].contains("id=\"drop\""), "{}", pages[4]);
        assert!(pages[4].contains(&"c".repeat(64)), "the upload carries the session's CSRF token");
    }
}
