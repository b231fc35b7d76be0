//! Industrial chains end to end on the Hefei demo: each chain and segment in
//! `indicators.csv` under its own code, the chain rules' flags in `risks.csv`, checked
//! against the measures they read, and the report of each chain for its chief with the
//! chain sections of the city's and the counties' reports, against both files.

use std::collections::BTreeMap;

use crate::support::{seimon, stderr};

/// `reports/2025Q3/<file>` as rows of named fields.
fn rows(dir: &std::path::Path, file: &str) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(dir.join("reports/2025Q3").join(file)).unwrap();
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|x| {
            headers
                .iter()
                .zip(x.unwrap().iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

#[test]
fn the_hefei_chains_are_measured_and_flagged_by_their_own_rules() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let out = seimon(dir, &["demo", "--profile", "hefei", "--dir", "."], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let hefei = seimon::model::catalogue::Catalogue::built_in("hefei-2023").unwrap().unwrap();
    let indicators = rows(dir, "indicators.csv");
    let value = |region: &str, row: &str, indicator: &str, measure: &str| {
        indicators
            .iter()
            .find(|r| {
                r["period"] == "2025Q3"
                    && r["region_code"] == region
                    && r["industry_code"] == row
                    && r["indicator"] == indicator
                    && r["measure"] == measure
            })
            .map(|r| r["value"].parse::<f64>().unwrap())
    };
    // every chain and segment of the catalogue has its level in Hefei; the segments add up
    // to their chain (a class is in one segment) and their shares to 100
    for chain in &hefei.chains {
        let total = value("340100", &chain.row_code(), "operating_income", "ytd").unwrap();
        let parts: Vec<f64> = chain
            .segments
            .iter()
            .map(|s| value("340100", &chain.segment_row_code(s), "operating_income", "ytd").unwrap_or(0.0))
            .collect();
        assert!((parts.iter().sum::<f64>() - total).abs() < 1e-6 * total, "{}", chain.code);
        let shares: f64 = chain
            .segments
            .iter()
            .filter_map(|s| value("340100", &chain.segment_row_code(s), "operating_income", "segment_share_pct"))
            .sum();
        assert!((shares - 100.0).abs() < 1e-9, "{}: {shares}", chain.code);
        // the leaders and the rest make the chain
        let leaders = value("340100", &chain.leaders_row_code(), "operating_income", "ytd").unwrap();
        let others = value("340100", &chain.others_row_code(), "operating_income", "ytd").unwrap();
        assert!((leaders + others - total).abs() < 1e-6 * total, "{}", chain.code);
        let share = value("340100", &chain.row_code(), "operating_income", "leaders_share_pct").unwrap();
        assert!((share - leaders / total * 100.0).abs() < 1e-9);
    }
    // the chain rules' flags, against the values they read (Hefei, a city: thresholds of
    // config/seimon.toml)
    let risks = rows(dir, "risks.csv");
    let flag = |rule: &str, row: &str| {
        risks
            .iter()
            .find(|r| r["rule"] == rule && r["region_code"] == "340100" && r["industry_code"] == row)
            .map(|r| r["level"].clone())
    };
    let expect = |v: f64, yellow: f64, red: f64| {
        if v < red {
            Some("red".to_string())
        } else if v < yellow {
            Some("yellow".to_string())
        } else {
            None
        }
    };
    let (mut seen, mut dependent) = (0, 0);
    for chain in &hefei.chains {
        // a segment falling is flagged only while its chain grows
        let grows = value("340100", &chain.row_code(), "operating_income", "yoy_pct").is_some_and(|g| g > 0.0);
        for s in &chain.segments {
            let row = chain.segment_row_code(s);
            if let Some(g) = value("340100", &row, "operating_income", "yoy_pct") {
                let lit = flag("segment_falling", &row).filter(|l| l != "green");
                assert_eq!(lit, expect(g, 0.0, -10.0).filter(|_| grows), "{row}: {g}, chain growing: {grows}");
                seen += usize::from(lit.is_some());
            }
            // a segment's dependence on its largest enterprise: ≥ 33.3 % yellow, ≥ 50 % red
            if let Some(d) = value("340100", &row, "operating_income", "top1_share_pct") {
                let lit = flag("chain_dependence", &row).filter(|l| l != "green");
                let want = [(50.0, "red"), (33.3, "yellow")]
                    .into_iter()
                    .find(|(t, _)| d >= *t)
                    .map(|(_, l)| l.to_string());
                assert_eq!(lit, want, "{row}: {d}");
                dependent += usize::from(lit.is_some());
            }
        }
        if let Some(g) = value("340100", &chain.row_code(), "operating_income", "leaders_yoy_pct") {
            let lit = flag("chain_leaders_shrinking", &chain.row_code()).filter(|l| l != "green");
            assert_eq!(lit, expect(g, 0.0, -10.0), "{}: {g}", chain.code);
            seen += usize::from(lit.is_some());
        }
    }
    assert!(seen >= 2, "the demo's chains have some of these");
    assert!(dependent >= 2, "and segments that depend on one enterprise");
    // industry rules leave chain rows alone
    assert!(
        !risks
            .iter()
            .any(|r| r["industry_code"].starts_with("chain.") && !r["rule"].starts_with("chain_") && r["rule"] != "segment_falling"),
        "an industry rule read a chain"
    );
    // the flag names the segment
    let named = risks.iter().find(|r| r["rule"] == "segment_falling").unwrap();
    assert!(named["message"].contains("产业链·"), "{}", named["message"]);

    chain_reports(dir, &hefei, &value);
}

/// The text of an HTML fragment: tags dropped.
fn text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// The section of a report from the heading that contains `title` to the end of its table.
fn section<'a>(html: &'a str, title: &str) -> &'a str {
    let start = html.find(title).unwrap_or_else(|| panic!("no section {title}"));
    let end = html[start..].find("</table>").map_or(html.len(), |e| start + e);
    &html[start..end]
}

/// Money as the reports show it: 亿元, thousands separated, two decimals.
fn money(v: f64) -> String {
    let s = format!("{v:.2}");
    let (int, frac) = s.split_once('.').unwrap();
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{grouped}.{frac}")
}

/// Each chain's report for its chief, and the chain sections of the city's and of each
/// county's report, against indicators.csv and disclosure.csv.
fn chain_reports(
    dir: &std::path::Path,
    hefei: &seimon::model::catalogue::Catalogue,
    value: &dyn Fn(&str, &str, &str, &str) -> Option<f64>,
) {
    let folder = dir.join("reports/2025Q3");
    let withheld: std::collections::BTreeSet<(String, String, String, String)> = rows(dir, "disclosure.csv")
        .into_iter()
        .map(|r| {
            (
                r["region_code"].clone(),
                r["industry_code"].clone(),
                r["indicator"].clone(),
                r["measure"].clone(),
            )
        })
        .collect();
    let hidden = |region: &str, row: &str, indicator: &str, measure: &str| {
        withheld.contains(&(region.into(), row.into(), indicator.into(), measure.into()))
    };
    let shown = |region: &str, row: &str, indicator: &str, measure: &str| {
        value(region, row, indicator, measure).filter(|_| !hidden(region, row, indicator, measure))
    };
    let oi = "operating_income";
    for chain in &hefei.chains {
        let html = std::fs::read_to_string(folder.join(format!("chain/{}.html", chain.code))).unwrap();
        assert!(html.contains(&format!("合肥市{}监测季报", chain.zh)), "{}", chain.code);
        // the headline: the chain's income in Hefei, unless withheld
        let level = value("340100", &chain.row_code(), oi, "ytd").unwrap();
        assert_eq!(
            text(&html).contains(&money(level)),
            !hidden("340100", &chain.row_code(), oi, "ytd"),
            "{}: {}",
            chain.code,
            money(level)
        );
        // the segment table lists every segment, upstream first, each with its own level
        let segments = text(section(&html, "、分环节情况"));
        let mut at = 0;
        for stage in ["上游", "中游", "下游", "配套环节"] {
            for s in chain
                .segments
                .iter()
                .filter(|s| format!("{:?}", s.stage).to_lowercase() == stage_code(stage))
            {
                let found = segments[at..]
                    .find(&s.zh)
                    .unwrap_or_else(|| panic!("{}: {} out of order", chain.code, s.zh));
                at += found;
                if let Some(v) = shown("340100", &chain.segment_row_code(s), oi, "ytd") {
                    assert!(segments.contains(&money(v)), "{}.{}: {}", chain.code, s.code, money(v));
                }
            }
        }
        // the leaders' table: the leaders together, unless withheld
        let leaders = text(section(&html, "、链主企业"));
        let together = value("340100", &chain.leaders_row_code(), oi, "ytd").unwrap();
        if hidden("340100", &chain.leaders_row_code(), oi, "ytd") {
            assert!(!leaders.contains(&money(together)) && leaders.contains('×'), "{leaders}");
        } else {
            assert!(leaders.contains(&money(together)), "{}: {leaders}", chain.code);
        }
        assert!(html.contains(&chain.leaders[0]), "the leaders are named by credit code");
        // the chain chart, drawn
        let chart = folder.join(format!("charts/chain-{}-chain.png", chain.code));
        assert!(std::fs::read(&chart).unwrap().starts_with(b"\x89PNG"), "{}", chart.display());
        assert!(html.contains(&format!("chain-{}-chain.png", chain.code)));
    }
    // the city's report: a row per chain with its level
    let province = std::fs::read_to_string(folder.join("report.html")).unwrap();
    let chains = text(section(&province, "、重点产业链"));
    for chain in &hefei.chains {
        let short = chain.zh.trim_end_matches("产业链");
        assert!(chains.contains(short), "{short}");
        if let Some(level) = shown("340100", &chain.row_code(), oi, "ytd") {
            assert!(chains.contains(&money(level)), "{}", chain.zh);
        }
    }
    // each county's report: the chains it holds enterprises of, and no other
    for county in hefei.children_of("340100") {
        let html = std::fs::read_to_string(folder.join(format!("city/{}.html", county.code))).unwrap();
        let held: Vec<&seimon::model::chain::Chain> = hefei
            .chains
            .iter()
            .filter(|c| value(&county.code, &c.row_code(), "enterprises", "ytd").is_some_and(|n| n > 0.0))
            .collect();
        if held.is_empty() {
            assert!(!html.contains("、重点产业链"), "{}", county.code);
            continue;
        }
        let chains = text(section(&html, "、重点产业链"));
        for chain in &hefei.chains {
            assert_eq!(
                chains.contains(chain.zh.trim_end_matches("产业链")),
                held.iter().any(|c| c.code == chain.code),
                "{} {}",
                county.code,
                chain.zh
            );
        }
    }
    // the manifest audits each chain report
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(folder.join("manifest.json")).unwrap()).unwrap();
    let audited: Vec<&str> = manifest["disclosure"]["reports"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["file"].as_str())
        .filter(|f| f.starts_with("chain/"))
        .collect();
    assert_eq!(audited.len(), hefei.chains.len(), "{audited:?}");
}

fn stage_code(zh: &str) -> &'static str {
    match zh {
        "上游" => "upstream",
        "中游" => "midstream",
        "下游" => "downstream",
        _ => "link",
    }
}
