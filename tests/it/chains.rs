//! Industrial chains end to end on the Hefei demo: each chain and segment in
//! `indicators.csv` under its own code, and the chain rules' flags in `risks.csv`, checked
//! against the measures they read.

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
    let mut seen = 0;
    for chain in &hefei.chains {
        for s in &chain.segments {
            let row = chain.segment_row_code(s);
            if let Some(g) = value("340100", &row, "operating_income", "yoy_pct") {
                let lit = flag("segment_falling", &row).filter(|l| l != "green");
                assert_eq!(lit, expect(g, 0.0, -10.0), "{row}: {g}");
                seen += usize::from(lit.is_some());
            }
        }
        if let Some(g) = value("340100", &chain.row_code(), "operating_income", "leaders_yoy_pct") {
            let lit = flag("chain_leaders_shrinking", &chain.row_code()).filter(|l| l != "green");
            assert_eq!(lit, expect(g, 0.0, -10.0), "{}: {g}", chain.code);
            seen += usize::from(lit.is_some());
        }
    }
    assert!(seen >= 2, "the demo's chains have some of these");
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
}
