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

/// The texts of a report table's title and cells, in order, from its title (the text of
/// an element that begins with `title`) on.
fn table_text<'a>(html: &'a str, title: &str) -> Vec<&'a str> {
    let at = html.find(&format!(">{title}")).unwrap_or_else(|| panic!("no table {title}"));
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
fn check_config_refuses_bad_assessments_tiers_and_indicators_with_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let text = "[[assessment.components]]\nid = \"growth\"\nmeasure = \"yoy_pct\"\nindicator = \"operating_income\"\nweight = 0\n\n[[assessment.components]]\nid = \"speed\"\nmeasure = \"velocity_pct\"\nindicator = \"operating_income\"\nweight = 0\n\n[[tiers]]\ncode = \"big\"\nzh = \"大\"\nen = \"Big\"\nindicator = \"enterprises\"\nthreshold = 0\n\n[[indicators]]\ncode = \"profit\"\nzh = \"利润\"\nen = \"Profit\"\n\n[[indicators]]\ncode = \"assessment\"\nzh = \"考核\"\nen = \"Assessment\"\n\n[[indicators]]\ncode = \"Listed-Companies\"\nzh = \"上市公司\"\nen = \"Listed companies\"\n";
    std::fs::write(tmp.path().join("bad.toml"), text).unwrap();
    let out = seimon(tmp.path(), &["--config", "bad.toml", "check-config"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    for expected in [
        "bad.toml:5:10: assessment.components[0].weight: the weights sum to 0: they must sum to a positive number",
        "bad.toml:9:11: assessment.components[1].measure: unknown measure `velocity_pct` (a measure of indicators.csv, or red_risks / yellow_risks)",
        "bad.toml:17:13: tiers[0].indicator: `enterprises` is not a money indicator: a tier compares 亿元",
        "bad.toml:18:13: tiers[0].threshold: a tier needs a threshold above 0 (in 亿元: 1000 for 千亿级)",
        "bad.toml:21:8: indicators[0].code: `profit` clashes with the built-in indicator of catalogue anhui-2021: choose another code",
        "bad.toml:26:8: indicators[1].code: `assessment` is an indicator seimon exports itself: choose another code",
        "bad.toml:31:8: indicators[2].code: `Listed-Companies`: an indicator code is lowercase letters, digits and _",
    ] {
        assert!(err.contains(expected), "{expected}\n{err}");
    }
}

const ASSESSMENT: &str = r#"
[[rules]]
id = "slow"
name = "增速偏低"
measure = "yoy_pct"
direction = "below"
red = 5.0

[[assessment.components]]
id = "growth"
name = "营收增速"
name_en = "Growth"
measure = "yoy_pct"
industry = "TEN"
indicator = "operating_income"
weight = 3
direction = "higher"
normalise = "minmax"

[[assessment.components]]
id = "red_risks"
name = "红色风险"
name_en = "Red risks"
measure = "red_risks"
weight = 1
direction = "lower"
normalise = "rank"
"#;

/// Three cities' ten industries grow 12 %, 8 % and 4 %; the other thirteen report nothing.
const CITIES: &str = "period,region_code,industry_code,indicator,value,unit
2024Q3,340100,TEN,operating_income,100,亿元
2025Q3,340100,TEN,operating_income,112,亿元
2024Q3,340200,TEN,operating_income,100,亿元
2025Q3,340200,TEN,operating_income,108,亿元
2024Q3,340300,TEN,operating_income,100,亿元
2025Q3,340300,TEN,operating_income,104,亿元
";

#[test]
fn cities_are_scored_ranked_and_told_why() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("seimon.toml"), ASSESSMENT).unwrap();
    std::fs::write(tmp.path().join("cities.csv"), CITIES).unwrap();
    for args in [&["ingest", "cities.csv"][..], &["recompute", "--period", "2025Q3"]] {
        let mut all = vec!["--config", "seimon.toml"];
        all.extend_from_slice(args);
        let out = seimon(tmp.path(), &all, &[]);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    }
    let mut reader = csv::Reader::from_path(tmp.path().join("reports/2025Q3/indicators.csv")).unwrap();
    let got: HashMap<(String, String), f64> = reader
        .records()
        .map(|r| r.unwrap())
        .filter(|r| &r[2] == "TEN" && &r[3] == "assessment")
        .map(|r| ((r[1].to_string(), r[4].to_string()), r[5].parse().unwrap()))
        .collect();
    // growth, min–max among the three that report: 100, 50, 0; the others 0 (not reported).
    // red risks (Bengbu's 4 % is red), rank among all sixteen, lower better: 15 cities share
    // rank 1 → 100 points, Bengbu rank 16 → 0. Weights ¾ and ¼.
    let expect = [
        ("340100", 100.0, 1.0, 75.0, 25.0), // Hefei: 75 + 25
        ("340200", 62.5, 2.0, 37.5, 25.0),  // Wuhu: 37.5 + 25
        ("340800", 25.0, 3.0, 0.0, 25.0),   // Anqing (nothing reported): 0 + 25, tied third
        ("341800", 25.0, 3.0, 0.0, 25.0),   // Xuancheng: the same, the same rank
        ("340300", 0.0, 16.0, 0.0, 0.0),    // Bengbu: 0 + 0, last
    ];
    for (city, score, rank, growth, red) in expect {
        for (measure, value) in [
            ("assessment_score", score),
            ("assessment_rank", rank),
            ("assessment_growth", growth),
            ("assessment_red_risks", red),
        ] {
            let v = got
                .get(&(city.to_string(), measure.to_string()))
                .unwrap_or_else(|| panic!("{city} {measure} missing"));
            assert!((v - value).abs() < 1e-9, "{city} {measure}: {v}, expected {value}");
        }
    }
    let html = std::fs::read_to_string(tmp.path().join("reports/2025Q3/report.html")).unwrap();
    let cells = table_text(&html, "城市考核评价");
    assert_eq!(cells[1..6], ["位次", "城市", "得分", "营收增速", "红色风险"]);
    assert_eq!(
        cells[6..11],
        ["1", "合肥市", "100.0", "75.0", "25.0"],
        "best first, with each component's part"
    );
    assert!(
        tmp.path().join("reports/2025Q3/charts/assessment.png").is_file(),
        "the chart of scores"
    );
    let wuhu = std::fs::read_to_string(tmp.path().join("reports/2025Q3/city/340200.html")).unwrap();
    let cells = table_text(&wuhu, "考核评价：");
    assert_eq!(cells[0], "考核评价：得分62.5，第2位（共16个）");
    let growth = cells.iter().position(|c| *c == "营收增速").unwrap();
    // weight, value, points, what it adds
    assert_eq!(cells[growth + 1..growth + 5], ["3.0", "8.0", "50.0", "37.5"]);
}
