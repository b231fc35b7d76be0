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
        ] {
            env.add_template(name, text).expect("the console's templates parse");
        }
        env
    })
}

/// Who is signed in, for the header: name, role and the CSRF token of the sign-out form.
#[derive(Debug, Clone, Serialize)]
pub struct Viewer {
    pub name: String,
    pub role: String,
    pub csrf: String,
}

/// The labels every page's layout uses, in the viewer's language.
#[derive(Serialize)]
struct Ui {
    lang: &'static str,
    console: &'static str,
    periods: &'static str,
    sign_out: &'static str,
}

fn ui(lang: Language) -> Ui {
    Ui {
        lang: if lang == Language::En { "en" } else { "zh-CN" },
        console: tr(lang, "监测控制台"),
        periods: tr(lang, "期别"),
        sign_out: tr(lang, "退出"),
    }
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
                tr(lang, "数据版本"),
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
}

pub fn reports(lang: Language, viewer: &Viewer, period: &str, label: &str, links: &[ReportLink]) -> String {
    render(
        "reports.html",
        context! {
            ui => ui(lang),
            viewer => viewer,
            title => format!("{label} {}", tr(lang, "报告")),
            period => period,
            none => tr(lang, "本期没有可查看的报告。"),
            links => links,
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
