//! End to end: targets, projects, a class mapping and enterprise records loaded through
//! `seimon ingest`, a quarter recomputed, and exported values checked against numbers
//! computed here from the formulas of domain.md; then `--as-of` before the loads.

use std::collections::HashMap;
use std::path::Path;

use crate::support::{seimon, stderr, uscc};

fn indicators(path: &Path) -> HashMap<(String, String, String, String), f64> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (
                (r[1].to_string(), r[2].to_string(), r[3].to_string(), r[4].to_string()),
                r[5].parse().unwrap(),
            )
        })
        .collect()
}

fn check(got: &HashMap<(String, String, String, String), f64>, key: [&str; 4], expected: f64) {
    let k = (key[0].to_string(), key[1].to_string(), key[2].to_string(), key[3].to_string());
    let v = *got.get(&k).unwrap_or_else(|| panic!("{key:?} missing (expected {expected})"));
    assert!(
        (v - expected).abs() <= 1e-9 * expected.abs().max(1.0),
        "{key:?}: got {v}, expected {expected}"
    );
}

#[test]
fn targets_projects_and_enterprise_records_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let write = |name: &str, text: String| std::fs::write(dir.join(name), text).unwrap();
    write(
        "observations.csv",
        "period,region_code,industry_code,indicator,value,unit,yoy_pct,release_date\n\
         2020Q4,340000,NGIT,operating_income,1000,亿元,,2021-01-25\n\
         2022Q3,340000,NGIT,operating_income,950,亿元,,2022-10-20\n\
         2022Q4,340000,NGIT,operating_income,1300,亿元,,2023-01-25\n\
         2023Q3,340000,NGIT,operating_income,1100,亿元,15,2023-10-20\n\
         2023Q3,340000,TOTAL,operating_income,5000,亿元,7.5,2023-10-20\n"
            .into(),
    );
    write(
        "targets.csv",
        "kind,region_code,industry_code,indicator,base_year,target_year,multiple,year,pct,pp_per_year\n\
         level,340000,NGIT,operating_income,2020,2025,2.5,,,\n\
         growth,340000,TOTAL,operating_income,,,,2023,6,\n\
         share,340000,NGIT,operating_income,,2025,,,25,1\n"
            .into(),
    );
    // Chinese headers, values in 万元
    write(
        "projects.csv",
        "项目编号,项目名称,地区代码,产业代码,期别,总投资,年度计划投资,本年完成投资,单位,计划开工时间,实际开工时间,计划竣工时间,实际竣工时间\n\
         A,集成电路产线,340102,NGIT,2023Q3,30000,1000,600,万元,2023-03,2023-04,2024-06,\n\
         B,新型显示基地,340100,NGIT,2023Q3,60000,2000,500,万元,2023-06,2023-10,2023-12,\n\
         C,生物医药园,340200,LH,2023Q3,90000,3000,3000,万元,2022-05,2022-06,2023-08,\n\
         D,算力中心,340100,NGIT,2023Q3,1500,500,500,万元,2022-01,2022-02,2023-09,2023-09\n"
            .into(),
    );
    write(
        "mapping.csv",
        "class_code,industry_code,catalogue\n3971,NGIT,anhui-2021\n3562,NGIT,anhui-2021\n3562,HEM,anhui-2021\n".into(),
    );
    // (period, enterprise, county, class, output 万元): E3 enters in 2023, E4 leaves
    let firms = [
        ("2023Q3", 1, "340102", "3971", 1_000_000.0),
        ("2022Q3", 1, "340102", "3971", 800_000.0),
        ("2023Q3", 2, "340102", "3562", 500_000.0),
        ("2022Q3", 2, "340102", "3562", 600_000.0),
        ("2023Q3", 3, "340102", "3971", 300_000.0),
        ("2022Q3", 4, "340102", "3971", 400_000.0),
    ];
    let mut text = String::from("period,enterprise_id,region_code,class_code,output_value,operating_income,profit,unit\n");
    for (p, n, region, class, ov) in firms {
        text.push_str(&format!(
            "{p},{},{region},{class},{ov},{},{},万元\n",
            uscc(n),
            ov * 0.9,
            if n == 2 { -1000.0 } else { 5000.0 }
        ));
    }
    write("firms.csv", text);

    let env = [("SEIMON_PATHS__DATA", "data"), ("SEIMON_PATHS__REPORTS", "reports")];
    let out = seimon(
        dir,
        &[
            "ingest",
            "observations.csv",
            "targets.csv",
            "projects.csv",
            "mapping.csv",
            "firms.csv",
        ],
        &env,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = seimon(dir, &["recompute", "--period", "2023Q3"], &env);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let got = indicators(&dir.join("reports/2023Q3/indicators.csv"));
    let oi = "operating_income";

    // Level target from the file (×2.5) replaces the configured doubling of NGIT.
    let (v0, vt): (f64, f64) = (1000.0, 2500.0);
    let p2023 = v0 * (vt / v0).powf(3.0 / 5.0);
    check(&got, ["340000", "NGIT", oi, "annual_target"], p2023);
    check(
        &got,
        ["340000", "NGIT", oi, "plan_cagr_pct"],
        (2.5f64.powf(1.0 / 5.0) - 1.0) * 100.0,
    );
    check(&got, ["340000", "NGIT", oi, "task_progress_pct"], 1100.0 / p2023 * 100.0);
    check(&got, ["340000", "NGIT", oi, "progress_gap_pp"], 1100.0 / p2023 * 100.0 - 75.0);
    let projected = 1100.0 * 1300.0 / 950.0;
    check(&got, ["340000", "NGIT", oi, "projected_annual"], projected);
    check(
        &got,
        ["340000", "NGIT", oi, "required_cagr_pct"],
        ((vt / projected).powf(0.5) - 1.0) * 100.0,
    );
    check(&got, ["340000", "TOTAL", oi, "growth_gap_pp"], 7.5 - 6.0);
    check(&got, ["340000", "NGIT", oi, "target_share_pct"], 23.0);
    check(&got, ["340000", "NGIT", oi, "share_gap_pp"], 1100.0 / 5000.0 * 100.0 - 23.0);

    // Projects: Hefei NGIT = A (its county), B and D; B started in October (after the
    // period), D completed in September (on time).
    check(&got, ["340100", "NGIT", "major_projects", "projects"], 3.0);
    check(
        &got,
        ["340100", "NGIT", "major_projects", "investment_completion_pct"],
        (600.0 + 500.0 + 500.0) / (1000.0 + 2000.0 + 500.0) * 100.0,
    );
    check(&got, ["340100", "NGIT", "major_projects", "start_rate_pct"], 50.0);
    check(&got, ["340100", "NGIT", "major_projects", "completion_rate_pct"], 50.0);
    check(
        &got,
        ["340000", "TOTAL", "major_projects", "investment_completion_pct"],
        4600.0 / 6500.0 * 100.0,
    );
    check(&got, ["340000", "TOTAL", "major_projects", "completion_rate_pct"], 100.0 / 3.0);

    // Enterprise records: county 340102 NGIT (classes 3971 and 3562), 万元 → 亿元.
    check(
        &got,
        ["340102", "NGIT", "output_value", "ytd"],
        (1_000_000.0 + 500_000.0 + 300_000.0) / 1e4,
    );
    check(
        &got,
        ["340102", "NGIT", "output_value", "yoy_pct"],
        ((1_000_000.0 + 500_000.0) / (800_000.0 + 600_000.0) - 1.0) * 100.0,
    );
    check(&got, ["340102", "NGIT", "enterprises", "ytd"], 3.0);
    check(&got, ["340102", "HEM", "output_value", "ytd"], 50.0);
    check(&got, ["340102", "TEN", "output_value", "ytd"], 180.0);
    check(&got, ["340102", "NGIT", "output_value", "growth_breadth_pct"], 50.0);
    check(&got, ["340102", "NGIT", "profit", "loss_ratio_pct"], 100.0 / 3.0);
    check(&got, ["340102", "NGIT", "output_value", "cr4_pct"], 100.0);
    check(
        &got,
        ["340102", "NGIT", "output_value", "hhi"],
        10_000.0 * (100f64.powi(2) + 50f64.powi(2) + 30f64.powi(2)) / 180f64.powi(2),
    );
    // The province's published NGIT income wins over the one from enterprise records.
    check(&got, ["340000", "NGIT", oi, "ytd"], 1100.0);

    // As of yesterday: the targets, projects, mapping and records loaded today are not
    // yet there; the configured doubling target applies again.
    let yesterday = (chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .date_naive()
        - chrono::Duration::days(1))
    .to_string();
    let out = seimon(dir, &["recompute", "--period", "2023Q3", "--as-of", &yesterday], &env);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let past = indicators(&dir.join("reports/2023Q3/indicators.csv"));
    check(&past, ["340000", "NGIT", oi, "annual_target"], 1000.0 * 2f64.powf(3.0 / 5.0));
    assert!(!past.contains_key(&("340100".into(), "NGIT".into(), "major_projects".into(), "projects".into())));
    assert!(!past.contains_key(&("340102".into(), "NGIT".into(), "output_value".into(), "ytd".into())));
}
