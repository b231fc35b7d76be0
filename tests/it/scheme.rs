//! The rest of the monitoring scheme: extra indicators of the catalogue (the plan's count
//! goals) defined in the configuration, loaded like any observation, with level targets
//! and progress; scale tiers counted from projected annual income with a target on the
//! count; both in `indicators.csv` and the province report; bad definitions refused by
//! `check-config` with file and line.

use std::collections::HashMap;

use crate::support::{seimon, stderr};

const CONFIG: &str = r#"
[[indicators]]
code = "new_charging_piles"
zh = "新增充电桩"
en = "New charging piles"
kind = "count"
cumulative = true
unit = "个"

[[targets]]
kind = "level"
region_code = "340000"
industry_code = "TEN"
indicator = "new_charging_piles"
base_year = 2020
target_year = 2025
multiple = 3.0

[[tiers]]
code = "industries_100bn"
zh = "千亿级产业"
en = "Industries over CNY 100 bn"
indicator = "operating_income"
threshold = 1000

[[targets]]
kind = "level"
region_code = "340000"
industry_code = "TEN"
indicator = "industries_100bn"
base_year = 2020
target_year = 2025
target_value = 4
"#;

/// Operating income of three of the ten. End of 2020: one industry over 1,000 亿元.
/// 2025 Q3, projected on last year's seasonal profile: NGIT 1000 × 1300 / 900 = 1444.4
/// (counts), NEV 700 × 1000 / 700 = 1000 exactly (counts), HEM 540 × 900 / 500 = 972 (does
/// not): two.
const INCOME: &str = "period,region_code,industry_code,indicator,value,unit
2020Q4,340000,NGIT,operating_income,1200,亿元
2020Q4,340000,NEV,operating_income,800,亿元
2024Q3,340000,NGIT,operating_income,900,亿元
2024Q4,340000,NGIT,operating_income,1300,亿元
2025Q3,340000,NGIT,operating_income,1000,亿元
2024Q3,340000,NEV,operating_income,700,亿元
2024Q4,340000,NEV,operating_income,1000,亿元
2025Q3,340000,NEV,operating_income,700,亿元
2024Q3,340000,HEM,operating_income,500,亿元
2024Q4,340000,HEM,operating_income,900,亿元
2025Q3,340000,HEM,operating_income,540,亿元
";

const DATA: &str = "period,region_code,industry_code,indicator,value,unit
2020Q4,340000,TEN,new_charging_piles,1000,个
2024Q3,340000,TEN,new_charging_piles,1500,个
2024Q4,340000,TEN,new_charging_piles,2000,个
2025Q2,340000,TEN,new_charging_piles,1200,个
2025Q3,340000,TEN,new_charging_piles,1800,个
";

/// The texts of a report table's title and cells, in order, from its title on.
fn table_text<'a>(html: &'a str, title: &str) -> Vec<&'a str> {
    let at = html.find(title).unwrap_or_else(|| panic!("no table {title}"));
    html[at..]
        .split("</table>")
        .next()
        .unwrap()
        .split('<')
        .filter_map(|t| t.split_once('>').map(|(_, c)| c.trim()))
        .filter(|c| !c.is_empty())
        .collect()
}

#[test]
fn a_custom_indicator_flows_through_to_targets_and_the_report() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("seimon.toml"), CONFIG).unwrap();
    std::fs::write(tmp.path().join("piles.csv"), DATA).unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["--config", "seimon.toml"];
        all.extend_from_slice(args);
        let out = seimon(tmp.path(), &all, &[]);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    };
    std::fs::write(tmp.path().join("income.csv"), INCOME).unwrap();
    run(&["ingest", "piles.csv", "income.csv"]);
    run(&["recompute", "--period", "2025Q3"]);

    let mut reader = csv::Reader::from_path(tmp.path().join("reports/2025Q3/indicators.csv")).unwrap();
    let all: HashMap<(String, String), f64> = reader
        .records()
        .map(|r| r.unwrap())
        .filter(|r| &r[0] == "2025Q3" && &r[1] == "340000" && &r[2] == "TEN")
        .map(|r| ((r[3].to_string(), r[4].to_string()), r[5].parse().unwrap()))
        .collect();
    let of = |indicator: &str| -> HashMap<String, f64> {
        all.iter()
            .filter(|((i, _), _)| i == indicator)
            .map(|((_, m), v)| (m.clone(), *v))
            .collect()
    };
    let got = of("new_charging_piles");
    let expect = [
        ("ytd", 1800.0),
        ("yoy_pct", 20.0),                  // 1800 / 1500 − 1
        ("quarter", 600.0),                 // a flow: 1800 − 1200
        ("annual_target", 3000.0),          // 1000 × 3 in the target year
        ("task_progress_pct", 60.0),        // 1800 / 3000
        ("time_progress_pct", 75.0),        //
        ("progress_gap_pp", -15.0),         // 60 − 75
        ("projected_annual", 2400.0),       // 1800 × 2000 / 1500, last year's profile
        ("projected_attainment_pct", 80.0), // 2400 / 3000
    ];
    for (measure, value) in expect {
        let v = got.get(measure).unwrap_or_else(|| panic!("{measure} missing: {got:?}"));
        assert!((v - value).abs() < 1e-9, "{measure}: {v}, expected {value}");
    }

    // the scale tier: two industries on course for 千亿级, against a path from 1 to 4
    let tier = of("industries_100bn");
    for (measure, value) in [("ytd", 2.0), ("annual_target", 4.0), ("task_progress_pct", 50.0)] {
        assert_eq!(tier.get(measure), Some(&value), "{measure}: {tier:?}");
    }
    assert_eq!(tier.get("quarter"), None, "a count is a stock");

    // the province report's count-goal table: name with unit, level, target, progress
    let html = std::fs::read_to_string(tmp.path().join("reports/2025Q3/report.html")).unwrap();
    let cells = table_text(&html, "规划数量目标进度");
    let row = cells.iter().position(|c| *c == "新增充电桩（个）").expect("the goal's row");
    assert_eq!(cells[row + 1..row + 6], ["1800", "3000", "60.0", "75.0", "-15.0"]);
    let cells = table_text(&html, "产业规模梯队");
    let row = cells.iter().position(|c| *c == "千亿级产业").expect("the tier's row");
    // threshold, now, a year earlier (2024 Q3: no 2023 profile to project with, so no count), target
    assert_eq!(cells[row + 1..row + 5], ["1,000.00", "2", "—", "4.0"]);
}

#[test]
fn check_config_refuses_bad_extra_indicators_with_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let text = "[[tiers]]\ncode = \"big\"\nzh = \"大\"\nen = \"Big\"\nindicator = \"enterprises\"\nthreshold = 0\n\n[[indicators]]\ncode = \"profit\"\nzh = \"利润\"\nen = \"Profit\"\n\n[[indicators]]\ncode = \"assessment\"\nzh = \"考核\"\nen = \"Assessment\"\n\n[[indicators]]\ncode = \"Listed-Companies\"\nzh = \"上市公司\"\nen = \"Listed companies\"\n";
    std::fs::write(tmp.path().join("bad.toml"), text).unwrap();
    let out = seimon(tmp.path(), &["--config", "bad.toml", "check-config"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    for expected in [
        "bad.toml:5:13: tiers[0].indicator: `enterprises` is not a money indicator: a tier compares 亿元",
        "bad.toml:6:13: tiers[0].threshold: a tier needs a threshold above 0 (in 亿元: 1000 for 千亿级)",
        "bad.toml:9:8: indicators[0].code: `profit` clashes with the built-in indicator of catalogue anhui-2021: choose another code",
        "bad.toml:14:8: indicators[1].code: `assessment` is an indicator seimon exports itself: choose another code",
        "bad.toml:19:8: indicators[2].code: `Listed-Companies`: an indicator code is lowercase letters, digits and _",
    ] {
        assert!(err.contains(expected), "{expected}\n{err}");
    }
}
