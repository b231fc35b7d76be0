//! The profiles of the other schemes each run on demo data of their shape, and their
//! targets come out of the numbers in the generated files.

use std::path::Path;

use crate::support::{seimon, stderr};

/// A value from the generated input files: (value, published growth) of one series.
fn input(dir: &Path, period: &str, region: &str, industry: &str, indicator: &str) -> (Option<f64>, Option<f64>) {
    let year = &period[..4];
    let text = std::fs::read_to_string(dir.join(format!("data/demo-input/observations-{year}.csv"))).unwrap();
    let prefix = format!("{period},{region},{industry},{indicator},");
    let line = text
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("{prefix} not in the inputs"));
    let cells: Vec<&str> = line.split(',').collect();
    assert!(
        cells[5] == "亿元" || cells[5].is_empty(),
        "the top region's figures are in 亿元: {line}"
    );
    (cells[4].parse().ok(), cells[6].parse().ok())
}

fn measure(dir: &Path, region: &str, industry: &str, indicator: &str, measure: &str) -> f64 {
    let text = std::fs::read_to_string(dir.join("reports/2025Q3/indicators.csv")).unwrap();
    let prefix = format!("2025Q3,{region},{industry},{indicator},{measure},");
    let line = text
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("{prefix} not exported"));
    line[prefix.len()..].parse().unwrap()
}

fn run(profile: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let out = seimon(tmp.path(), &["demo", "--profile", profile, "--dir", "."], &[]);
    assert_eq!(out.status.code(), Some(0), "{profile}: {}", stderr(&out));
    assert!(
        tmp.path().join("reports/2025Q3/report.html").is_file(),
        "the profile's demo reports its plan year by default"
    );
    tmp
}

#[test]
fn jilin_share_of_strategic_emerging_industries_against_its_path() {
    let tmp = run("jilin");
    let dir = tmp.path();
    // S_2025 = 18.7; the share from the generated files' levels (亿元, two decimals)
    let ten = input(dir, "2025Q3", "220000", "TEN", "output_value").0.unwrap();
    let total = input(dir, "2025Q3", "220000", "TOTAL", "output_value").0.unwrap();
    let share = ten / total * 100.0;
    assert!((measure(dir, "220000", "TEN", "output_value", "target_share_pct") - 18.7).abs() < 1e-12);
    assert!((measure(dir, "220000", "TEN", "output_value", "share_gap_pp") - (share - 18.7)).abs() < 1e-9);
    let html = std::fs::read_to_string(dir.join("reports/2025Q3/report.html")).unwrap();
    assert!(
        html.contains("吉林省战略性新兴产业监测季报") && html.contains("长春市"),
        "a Jilin report with its cities"
    );
}

#[test]
fn chongqing_growth_targets_for_added_value_and_investment() {
    let tmp = run("chongqing");
    let dir = tmp.path();
    let av = input(dir, "2025Q3", "500000", "TOTAL", "added_value").1.unwrap();
    let inv = input(dir, "2025Q3", "500000", "TOTAL", "investment").1.unwrap();
    assert!((measure(dir, "500000", "TOTAL", "added_value", "growth_gap_pp") - (av - 6.0)).abs() < 1e-9);
    assert!((measure(dir, "500000", "TOTAL", "investment", "growth_gap_pp") - (inv - 7.0)).abs() < 1e-9);
    let html = std::fs::read_to_string(dir.join("reports/2025Q3/report.html")).unwrap();
    assert!(
        !html.contains("growth_by_city") && !html.contains("risk_matrix"),
        "no sub-regions: no charts of them"
    );
    assert_eq!(
        html.matches("<img ").count(),
        4,
        "industries, growth trend, share trend, contribution"
    );
}

#[test]
fn hefei_share_of_added_value_with_its_counties() {
    let tmp = run("hefei");
    let dir = tmp.path();
    // S_2025 = 60 − 2 × (2025 − 2025) = 60
    let ten = input(dir, "2025Q3", "340100", "TEN", "added_value").0.unwrap();
    let total = input(dir, "2025Q3", "340100", "TOTAL", "added_value").0.unwrap();
    assert!((measure(dir, "340100", "TEN", "added_value", "share_gap_pp") - (ten / total * 100.0 - 60.0)).abs() < 1e-9);
    // counties are the sub-regions: 蜀山区 has its own measures and gap to the city
    let county_growth = measure(dir, "340104", "TEN", "operating_income", "yoy_pct");
    let city_growth = measure(dir, "340100", "TEN", "operating_income", "yoy_pct");
    assert!((measure(dir, "340104", "TEN", "operating_income", "gap_to_parent_pp") - (county_growth - city_growth)).abs() < 1e-9);
    let html = std::fs::read_to_string(dir.join("reports/2025Q3/report.html")).unwrap();
    assert!(
        html.contains("分区县情况") && html.contains("蜀山区"),
        "a city report lists its counties"
    );
    assert!(dir.join("reports/2025Q3/charts/growth_by_city.png").is_file());
}

#[test]
fn an_unknown_profile_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    let out = seimon(tmp.path(), &["demo", "--profile", "atlantis", "--dir", "."], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("unknown profile `atlantis` (profiles: anhui, jilin, chongqing, hefei)"),
        "{}",
        stderr(&out)
    );
}
