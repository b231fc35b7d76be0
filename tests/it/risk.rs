//! Risk monitoring end to end: two quarters in which one industry worsens and one
//! recovers, `risks.csv` checked row by row; a silence; rules rejected by check-config.

use crate::support::{seimon, stderr};

const CONFIG: &str = r#"
[monitor]
catalogue = "anhui-2021"
region = "340000"

[risk]
expected_indicators = []

[[rules]]
id = "negative_growth"
name = "负增长"
measure = "yoy_pct"
direction = "below"
yellow = 0.0
red = -10.0

[[rules]]
id = "slower_than_industry"
name = "增速低于规上工业"
measure = "gap_to_total_pp"
direction = "below"
yellow = 0.0
red = -5.0

[[silences]]
risk = "slower_than_industry:340000:NGIT:operating_income"
reason = "已专题调研"
until = "2099-12-31"
"#;

// NGIT worsens (+2 % → −12 %), SHA recovers (−3 % → +6 %); all industry grows 5 %.
const DATA: &str = "period,region_code,industry_code,indicator,value,unit,yoy_pct,release_date
2024Q2,340000,TOTAL,operating_income,500,亿元,,2024-07-20
2024Q3,340000,TOTAL,operating_income,800,亿元,,2024-10-20
2025Q2,340000,TOTAL,operating_income,525,亿元,5,2025-07-20
2025Q3,340000,TOTAL,operating_income,840,亿元,5,2025-10-20
2024Q2,340000,NGIT,operating_income,60,亿元,,2024-07-20
2024Q3,340000,NGIT,operating_income,100,亿元,,2024-10-20
2025Q2,340000,NGIT,operating_income,61.2,亿元,2,2025-07-20
2025Q3,340000,NGIT,operating_income,88,亿元,-12,2025-10-20
2024Q2,340000,SHA,operating_income,50,亿元,,2024-07-20
2024Q3,340000,SHA,operating_income,80,亿元,,2024-10-20
2025Q2,340000,SHA,operating_income,48.5,亿元,-3,2025-07-20
2025Q3,340000,SHA,operating_income,84.8,亿元,6,2025-10-20
";

fn rows(path: &std::path::Path) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "period",
            "class",
            "rule",
            "level",
            "state",
            "region_code",
            "industry_code",
            "indicator",
            "measure",
            "value",
            "threshold",
            "message",
            "risk_id",
            "since",
            "silenced_until",
            "group_id",
            "score",
            "material"
        ]
    );
    r.records().map(|x| x.unwrap().iter().map(str::to_string).collect()).collect()
}

/// The fields of a row except the message: (rule, level, state, industry, value, threshold, since, silenced).
fn key(row: &[String]) -> (&str, &str, &str, &str, &str, &str, &str, &str) {
    assert_eq!(
        (row[1].as_str(), row[5].as_str(), row[7].as_str()),
        ("business", "340000", "operating_income")
    );
    assert_eq!(
        row[12],
        format!("{}:340000:{}:operating_income", row[2], row[6]),
        "a stable risk id"
    );
    (&row[2], &row[3], &row[4], &row[6], &row[9], &row[10], &row[13], &row[14])
}

#[test]
fn one_industry_worsens_one_recovers() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("seimon.toml"), CONFIG).unwrap();
    std::fs::write(dir.join("data.csv"), DATA).unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["--config", "seimon.toml"];
        all.extend_from_slice(args);
        let out = seimon(dir, &all, &[]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    };
    run(&["ingest", "data.csv"]);

    run(&["recompute", "--period", "2025Q2"]);
    let q2 = rows(&dir.join("reports/2025Q2/risks.csv"));
    let q2: Vec<_> = q2.iter().map(|r| key(r)).collect();
    assert_eq!(
        q2,
        vec![
            // red first: SHA grows 8 points slower than all industry
            ("slower_than_industry", "red", "new", "SHA", "-8", "-5", "2025Q2", ""),
            ("negative_growth", "yellow", "new", "SHA", "-3", "0", "2025Q2", ""),
            ("slower_than_industry", "yellow", "new", "NGIT", "-3", "0", "2025Q2", "2099-12-31"),
        ]
    );

    // materiality: SHA's 48.5 亿元 is under the province's floor of 50, NGIT's 61.2 is not
    let q2_rows = rows(&dir.join("reports/2025Q2/risks.csv"));
    let material: Vec<(&str, &str, &str)> = q2_rows.iter().map(|r| (r[2].as_str(), r[6].as_str(), r[17].as_str())).collect();
    assert_eq!(
        material,
        [
            ("slower_than_industry", "SHA", "false"),
            ("negative_growth", "SHA", "false"),
            ("slower_than_industry", "NGIT", "true"),
        ]
    );
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("reports/2025Q2/manifest.json")).unwrap()).unwrap();
    assert_eq!(
        (manifest["risks"]["red"].as_u64(), manifest["risks"]["immaterial"].as_u64()),
        (Some(0), Some(2)),
        "SHA's red is listed, not counted; NGIT's yellow is silenced"
    );

    run(&["recompute", "--period", "2025Q3"]);
    let q3 = rows(&dir.join("reports/2025Q3/risks.csv"));
    // NGIT's fall: one group; its score by hand: red 50 + 15 × (2 past −10) / 10 + 15 (88 of
    // 840 is over 10 % of the total) + 0 (first quarter) = 68
    assert_eq!(
        (q3[0][15].as_str(), q3[0][16].as_str(), q3[0][17].as_str()),
        ("negative_growth:340000:NGIT", "68.0", "true")
    );
    assert!(
        q3[0][11].contains("安徽省新一代信息技术营业收入：负增长（同比增长(%) -12，低于-10），红灯新增"),
        "{}",
        q3[0][11]
    );
    let q3: Vec<_> = q3.iter().map(|r| key(r)).collect();
    assert_eq!(
        q3,
        vec![
            ("negative_growth", "red", "new", "NGIT", "-12", "-10", "2025Q3", ""),
            (
                "slower_than_industry",
                "red",
                "escalated",
                "NGIT",
                "-17",
                "-5",
                "2025Q2",
                "2099-12-31"
            ),
            ("negative_growth", "green", "resolved", "SHA", "6", "0", "2025Q3", ""),
            ("slower_than_industry", "green", "resolved", "SHA", "1", "0", "2025Q3", ""),
        ]
    );
    // the silenced red flag is listed but not counted
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("reports/2025Q3/manifest.json")).unwrap()).unwrap();
    assert_eq!(
        (
            manifest["risks"]["red"].as_u64(),
            manifest["risks"]["silenced"].as_u64(),
            manifest["risks"]["resolved"].as_u64()
        ),
        (Some(1), Some(1), Some(2))
    );
    let html = std::fs::read_to_string(dir.join("reports/2025Q3/report.html")).unwrap();
    assert!(
        html.contains("七、风险监测") && html.contains("已确认（不计入）：1项"),
        "the report's risk section"
    );
    assert!(
        html.contains("重点风险：1项")
            && html.contains("安徽省新一代信息技术负增长：同比增长(%) 营业收入 -12（低于-10），红灯，自2025年三季度起；本季新增"),
        "the key risk, in one sentence"
    );
}

#[test]
fn check_config_rejects_unknown_measures_and_codes_in_rules() {
    let tmp = tempfile::tempdir().unwrap();
    let text = "[[rules]]\nid = \"r1\"\nmeasure = \"growth\"\ndirection = \"below\"\nyellow = 0.0\n\n[[rules]]\nid = \"r2\"\nmeasure = \"yoy_pct\"\nindustries = [\"NGIT\", \"XYZ\"]\ndirection = \"sideways\"\nred = -1.0\n\n[[silences]]\nrisk = \"nope:340000:NGIT:operating_income\"\nreason = \"x\"\nuntil = \"2025-13-01\"\n";
    std::fs::write(tmp.path().join("bad.toml"), text).unwrap();
    let out = seimon(tmp.path(), &["--config", "bad.toml", "check-config"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("bad.toml:3:11: rules[0].measure: unknown measure `growth`"), "{err}");
    assert!(
        err.contains("bad.toml:10:23: rules[1].industries[1]: unknown industry code `XYZ`"),
        "{err}"
    );
    assert!(
        err.contains("bad.toml:11:13: rules[1].direction: `sideways` is not a direction"),
        "{err}"
    );
    assert!(
        err.contains("bad.toml:15:8: silences[0].risk: `nope:340000:NGIT:operating_income` is not a risk id of a configured rule"),
        "{err}"
    );
    assert!(
        err.contains("bad.toml:17:9: silences[0].until: `2025-13-01` is not a date"),
        "{err}"
    );
}

#[test]
fn completeness_is_a_number_the_daemon_can_read() {
    let tmp = tempfile::tempdir().unwrap();
    let mut settings = seimon::config::Settings::defaults().rooted(tmp.path());
    settings.expected_indicators = vec!["operating_income".into()];
    let app = seimon::pipeline::Seimon::open(settings).unwrap();
    let p = "2025Q3".parse().unwrap();
    // 17 regions (the province and its 16 cities) × 12 industries
    let before = app.completeness(p, None).unwrap();
    assert_eq!((before.expected, before.present, before.pct()), (204, 0, 0.0));
    let out = seimon::ingest::ingest_bytes(
        &app.store,
        &app.settings.catalogue,
        "d.csv",
        DATA.as_bytes(),
        &seimon::ingest::Options::default(),
    )
    .unwrap();
    assert!(matches!(out, seimon::ingest::Outcome::Accepted { .. }));
    let after = app.completeness(p, None).unwrap();
    assert_eq!(after.present, 3, "TOTAL, NGIT and SHA of the province");
    assert!((after.pct() - 300.0 / 204.0).abs() < 1e-12);
    assert!(after.missing.contains(&("340100".into(), "TEN".into(), "operating_income".into())));
}

#[test]
fn check_config_names_file_and_line_of_each_bad_risk_setting() {
    let tmp = tempfile::tempdir().unwrap();
    // line numbers matter: each problem below names its line and column
    let text = r#"[risk]
inhibit_by_parent = true

[risk.key_risks]
province = 0

[risk.materiality.city]
level_yi = -5.0
weight_pct = 150.0
enterprises = -1

[[risk.inhibit]]
causes = ["negative_growth"]
consequences = ["nope", "negative_growth"]

[[rules]]
id = "r1"
measure = "yoy_pct"
direction = "below"
yellow = 0.0
materiality = { county = { weight_pct = -1.0 } }
"#;
    std::fs::write(tmp.path().join("bad.toml"), text).unwrap();
    let out = seimon(tmp.path(), &["--config", "bad.toml", "check-config"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    for expected in [
        "bad.toml:5:12: risk.key_risks.province: `0` key risks: expected 1 to 20",
        "bad.toml:8:12: risk.materiality.city.level_yi: `-5` is not a floor: expected a number 0 or more",
        "bad.toml:9:14: risk.materiality.city.weight_pct: `150` is not a floor: expected a number from 0 to 100",
        "bad.toml:10:15: risk.materiality.city.enterprises: `-1` is not a number of enterprises",
        "bad.toml:14:17: risk.inhibit[0].consequences[0]: `nope` is not the id of a configured rule",
        "bad.toml:14:25: risk.inhibit[0].consequences[1]: `negative_growth` is among the causes too",
        "bad.toml:21:41: rules[0].materiality.county.weight_pct: `-1` is not a floor",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    // a value of the wrong type, with its line
    std::fs::write(tmp.path().join("bad.toml"), "[risk]\ninhibit_by_parent = \"yes\"\n").unwrap();
    let out = seimon(tmp.path(), &["--config", "bad.toml", "check-config"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("bad.toml:2:21: invalid type: string \"yes\", expected a boolean"),
        "{err}"
    );
}
