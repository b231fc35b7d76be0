//! Statistical disclosure control end to end: Hefei's counties from enterprise records,
//! one of them a single enterprise, one industry dominated by one; what the readers get
//! (their e-mails and workbooks) attacked with a linear program.

use std::collections::BTreeMap;
use std::path::Path;

use calamine::Reader;
use mail_parser::{MessageParser, MimeHeaders};

use crate::support::{Daemon, http, json, seimon, stderr, uscc};

const CONFIG: &str = r#"
[monitor]
catalogue = "anhui-2021"
region = "340100"
headline_indicator = "operating_income"

[risk]
expected_indicators = []

[[subscriptions]]
audience = "province"
to = ["hefei@example.org"]

[[subscriptions]]
audience = "city:340103"
to = ["luyang@example.org"]
"#;

/// (county, class, operating income of each enterprise in 万元). Class 3971 feeds NGIT,
/// 3562 HEM.
/// - 瑶海 340102: one NGIT enterprise, 5.317 亿元 — the threshold rule;
/// - 庐阳 340103: four, 31.1108 亿元 — its smallest sufficient sibling;
/// - 蜀山 340104: five NGIT (100 亿元) and five HEM (20);
/// - 包河 340111: six NGIT (60) and HEM of 90 + 4 × 2.5 亿元 — the (2, 85) dominance rule.
const FIRMS: &[(&str, &str, &[f64])] = &[
    ("340102", "3971", &[53_170.0]),
    ("340103", "3971", &[77_777.0; 4]),
    ("340104", "3971", &[200_000.0; 5]),
    ("340111", "3971", &[100_000.0; 6]),
    ("340104", "3562", &[40_000.0; 5]),
    ("340111", "3562", &[900_000.0, 25_000.0, 25_000.0, 25_000.0, 25_000.0]),
];

fn files(dir: &Path) {
    let mut text = String::from("period,enterprise_id,region_code,class_code,output_value,operating_income,profit,unit\n");
    let mut n = 0;
    for (county, class, incomes) in FIRMS {
        for income in *incomes {
            n += 1;
            // 瑶海's one enterprise shrank by a fifth: a red flag on a withheld figure
            let before = if *county == "340102" { 1.25 } else { 0.9 };
            for (period, f) in [("2025Q3", 1.0), ("2024Q3", before)] {
                let v = income * f;
                text.push_str(&format!(
                    "{period},{},{county},{class},{},{v},{},万元\n",
                    uscc(n),
                    v * 1.1,
                    v * 0.05
                ));
            }
        }
    }
    std::fs::write(dir.join("firms.csv"), text).unwrap();
    std::fs::write(
        dir.join("mapping.csv"),
        "class_code,industry_code,catalogue\n3971,NGIT,anhui-2021\n3562,HEM,anhui-2021\n",
    )
    .unwrap();
    // the bureau published the city's all-industry income: public already
    std::fs::write(
        dir.join("obs.csv"),
        "period,region_code,industry_code,indicator,value,unit,yoy_pct,release_date\n\
         2025Q3,340100,TOTAL,operating_income,1000,亿元,6,2025-10-20\n",
    )
    .unwrap();
    std::fs::write(dir.join("seimon.toml"), CONFIG).unwrap();
}

/// `disclosure.csv` as (region, industry, indicator, measure) → reason.
fn withheld(path: &Path) -> BTreeMap<(String, String, String, String), String> {
    let mut r = csv::Reader::from_path(path).unwrap();
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        ["period", "region_code", "industry_code", "indicator", "measure", "reason"]
    );
    r.records()
        .map(|x| {
            let x = x.unwrap();
            ((x[1].into(), x[2].into(), x[3].into(), x[4].into()), x[5].into())
        })
        .collect()
}

/// A sheet of a workbook as rows of cell texts, from its header row on.
fn sheet(book: &[u8], name: &str) -> Vec<Vec<String>> {
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(book.to_vec())).unwrap();
    let range = book.worksheet_range(name).unwrap_or_else(|e| panic!("{name}: {e}"));
    range
        .rows()
        .skip(2)
        .map(|row| row.iter().map(|c| c.to_string()).collect())
        .collect()
}

/// The feasible interval of variable `of` given `x ≥ 0` and the equations (coefficients
/// over the variables, right-hand side): the attacker's best knowledge.
fn interval(vars: usize, equations: &[(Vec<(usize, f64)>, f64)], of: usize) -> (f64, f64) {
    use microlp::{ComparisonOp, OptimizationDirection, Problem};
    let solve = |direction| {
        let mut p = Problem::new(direction);
        let x: Vec<_> = (0..vars)
            .map(|i| p.add_var(if i == of { 1.0 } else { 0.0 }, (0.0, f64::INFINITY)))
            .collect();
        for (terms, rhs) in equations {
            let expr: Vec<_> = terms.iter().map(|(i, c)| (x[*i], *c)).collect();
            p.add_constraint(&expr[..], ComparisonOp::Eq, *rhs);
        }
        p.solve().map_or(f64::INFINITY, |s| s.objective())
    };
    (solve(OptimizationDirection::Minimize), solve(OptimizationDirection::Maximize))
}

#[test]
fn no_reader_can_learn_one_enterprises_figures() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    files(dir);
    let run = |args: &[&str]| {
        let mut all = vec!["--config", "seimon.toml"];
        all.extend_from_slice(args);
        let out = seimon(dir, &all, &[]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    };
    run(&["ingest", "mapping.csv", "firms.csv", "obs.csv"]);
    run(&["recompute", "--period", "2025Q3"]);
    let folder = dir.join("reports/2025Q3");

    // The analyst's view: every value in indicators.csv, and why some do not leave.
    let w = withheld(&folder.join("disclosure.csv"));
    let why = |r: &str, i: &str, k: &str, m: &str| w.get(&(r.into(), i.into(), k.into(), m.into())).map(String::as_str);
    let oi = "operating_income";
    assert_eq!(why("340102", "NGIT", oi, "ytd"), Some("threshold"), "one enterprise");
    assert_eq!(why("340102", "NGIT", oi, "yoy_pct"), Some("threshold"), "its growth too");
    assert_eq!(why("340102", "NGIT", oi, "share_pct"), Some("threshold"), "and its share");
    assert_eq!(
        why("340102", "NGIT", "enterprises", "ytd"),
        Some("threshold"),
        "and how many they are"
    );
    assert_eq!(why("340111", "HEM", oi, "ytd"), Some("dominance"), "90 + 2.5 of 100 亿元");
    assert_eq!(
        why("340103", "TEN", oi, "ytd"),
        Some("secondary"),
        "Hefei minus its other counties would give 瑶海 away"
    );
    assert_eq!(
        why("340100", "TOTAL", oi, "ytd"),
        None,
        "the bureau's published figure is left alone"
    );
    assert_eq!(why("340104", "TEN", oi, "ytd"), None);
    let indicators = std::fs::read_to_string(folder.join("indicators.csv")).unwrap();
    assert!(
        indicators.contains("2025Q3,340102,NGIT,operating_income,ytd,5.317"),
        "the analyst keeps it"
    );
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(folder.join("manifest.json")).unwrap()).unwrap();
    let audit = &manifest["disclosure"];
    assert!(
        audit["primary"].as_u64().unwrap() >= 3 && audit["secondary"].as_u64().unwrap() >= 1,
        "{audit}"
    );
    assert_eq!(audit["reports"][0]["file"], "report.html");

    // What the readers get: their e-mails, with their workbooks.
    let mail = |name: &str| std::fs::read(folder.join("mail").join(name)).unwrap();
    let hefei = mail("province__hefei_at_example.org.eml");
    let luyang = mail("city_340103__luyang_at_example.org.eml");
    let mut books = Vec::new();
    for raw in [&hefei, &luyang] {
        let m = MessageParser::default().parse(raw).unwrap();
        let html = m.body_html(0).unwrap().to_string();
        let text = m.body_text(0).unwrap().to_string();
        let xlsx = m
            .attachments()
            .find(|a| a.attachment_name().is_some_and(|n| n.ends_with(".xlsx")))
            .unwrap()
            .contents()
            .to_vec();
        // the digits of a suppressed value are nowhere in it: 瑶海's 5.317 (5.32 as shown),
        // 庐阳's 31.1108 (31.11), 包河's HEM 100 is too round to look for
        let mut everything = format!("{html}\n{text}");
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&xlsx)).unwrap();
        for i in 0..zip.len() {
            let mut part = String::new();
            use std::io::Read;
            let _ = zip.by_index(i).unwrap().read_to_string(&mut part);
            everything.push_str(&part);
        }
        for digits in ["5.32", "5.317", "31.11", "31.1108"] {
            assert!(!everything.contains(digits), "`{digits}` reached a reader");
        }
        assert!(html.contains("×") && html.contains("第二十五条"), "the mark and its footnote");
        books.push(xlsx);
    }

    // The attacker: every cell both readers got, as unknowns where withheld ("×") and
    // known where shown ("—" is no enterprise: 0), tied by what adds up — Hefei's TEN is
    // the sum of its counties', a county's TEN the sum of its industries'.
    let catalogue = seimon::model::catalogue::Catalogue::anhui();
    let region_code = |name: &str| catalogue.regions.iter().find(|r| r.zh == name).map(|r| r.code.clone());
    let industry_code = |name: &str| {
        catalogue
            .industries
            .iter()
            .find(|i| i.zh == name || i.short_zh() == name)
            .map(|i| i.code.clone())
    };
    #[derive(Clone, Copy, Debug)]
    enum Seen {
        Known(f64),
        Unknown,
    }
    let seen = |text: &str| match text {
        "×" => Seen::Unknown,
        "—" | "" => Seen::Known(0.0),
        t => Seen::Known(t.replace(',', "").parse().unwrap_or_else(|_| panic!("{t}"))),
    };
    let mut cells: BTreeMap<(String, String), Seen> = BTreeMap::new();
    // Hefei's report: its counties' TEN
    for row in sheet(&books[0], "分区县").iter().skip(1) {
        if let Some(r) = region_code(&row[0]) {
            cells.insert((r, "TEN".into()), seen(&row[1]));
        }
    }
    // 庐阳's report: its industries
    for row in sheet(&books[1], "分产业").iter().skip(1) {
        let code = if row[0].starts_with("十大") {
            Some("TEN".to_string())
        } else {
            industry_code(&row[0])
        };
        if let Some(i) = code {
            cells.insert(("340103".into(), i), seen(&row[1]));
        }
    }
    let unknowns: Vec<(String, String)> = cells
        .iter()
        .filter(|(_, s)| matches!(s, Seen::Unknown))
        .map(|(k, _)| k.clone())
        .collect();
    assert!(unknowns.len() >= 3, "{cells:?}");
    let var = |k: &(String, String)| unknowns.iter().position(|u| u == k);
    // an equation: parent = Σ children, over what is known and unknown
    let mut equations = Vec::new();
    let mut add = |parent: (String, String), children: Vec<(String, String)>| {
        let mut terms = Vec::new();
        let mut rhs = 0.0;
        for (k, sign) in std::iter::once((parent, 1.0)).chain(children.into_iter().map(|c| (c, -1.0))) {
            match (cells.get(&k), var(&k)) {
                (Some(Seen::Known(v)), _) => rhs -= sign * v,
                (_, Some(i)) => terms.push((i, sign)),
                _ => {}
            }
        }
        if !terms.is_empty() {
            equations.push((terms, rhs));
        }
    };
    let counties: Vec<(String, String)> = catalogue
        .children_of("340100")
        .map(|r| (r.code.clone(), "TEN".to_string()))
        .collect();
    add(("340100".into(), "TEN".into()), counties);
    let members: Vec<(String, String)> = catalogue.members().map(|i| ("340103".to_string(), i.code.clone())).collect();
    add(("340103".into(), "TEN".into()), members);
    let truth = |r: &str, i: &str| {
        let line = format!("2025Q3,{r},{i},operating_income,ytd,");
        indicators
            .lines()
            .find_map(|l| l.strip_prefix(&line))
            .map(|v| v.parse::<f64>().unwrap())
            .unwrap()
    };
    for (i, (r, industry)) in unknowns.iter().enumerate() {
        let (low, high) = interval(unknowns.len(), &equations, i);
        let x = truth(r, industry);
        // the protection margin: 10 % of the value either way
        assert!(
            low <= 0.9 * x + 1e-9 && high >= 1.1 * x - 1e-9,
            "{r} {industry}: {x} is known to lie in [{low}, {high}]"
        );
    }
}

/// The Hefei demo's county industries as its enterprise records make them: (county,
/// class) → each enterprise's code, year-to-date operating income and output in 2025Q3.
type Firms = Vec<(String, f64, f64)>;
fn hefei_records(dir: &Path) -> BTreeMap<(String, String), Firms> {
    use polars::prelude::*;
    let file = std::fs::File::open(dir.join("data/demo-input/enterprises.parquet")).unwrap();
    let df = ParquetReader::new(file).finish().unwrap();
    let text = |c: &str| df.column(c).unwrap().str().unwrap().clone();
    let number = |c: &str| df.column(c).unwrap().f64().unwrap().clone();
    let (period, region, class, id) = (text("period"), text("region_code"), text("class_code"), text("enterprise_id"));
    let (income, output) = (number("operating_income"), number("output_value"));
    let mut cells: BTreeMap<(String, String), Firms> = BTreeMap::new();
    for i in 0..df.height() {
        if period.get(i) == Some("2025Q3") {
            let key = (region.get(i).unwrap().to_string(), class.get(i).unwrap().to_string());
            let firm = (id.get(i).unwrap().to_string(), income.get(i).unwrap(), output.get(i).unwrap());
            cells.entry(key).or_default().push(firm);
        }
    }
    cells
}

#[test]
fn the_hefei_demo_withholds_its_thin_county_industries() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let out = seimon(dir, &["demo", "--profile", "hefei", "--dir", "."], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let folder = dir.join("reports/2025Q3");
    // the industry each class is recorded in, and the chains' rows each class feeds
    let mapping = std::fs::read_to_string(dir.join("data/demo-input/class-mapping.csv")).unwrap();
    let industry_of: BTreeMap<String, String> = mapping
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_string(), f[1].to_string())
        })
        .collect();
    let hefei = seimon::model::catalogue::Catalogue::built_in("hefei-2023").unwrap().unwrap();
    // an enterprise's rows: its industry, and of each chain its class is in, the chain, the
    // segment, and the chain's leaders or the rest
    let rows_of = |class: &str, id: &str| {
        let mut rows: Vec<String> = industry_of.get(class).into_iter().cloned().collect();
        for chain in &hefei.chains {
            for segment in chain.segments.iter().filter(|s| s.classes.iter().any(|c| c == class)) {
                rows.push(chain.row_code());
                rows.push(chain.segment_row_code(segment));
                if chain.leaders.iter().any(|l| l == id) {
                    rows.push(chain.leaders_row_code());
                } else if !chain.leaders.is_empty() {
                    rows.push(chain.others_row_code());
                }
            }
        }
        rows
    };
    let mut cells: BTreeMap<(String, String), Vec<(f64, f64)>> = BTreeMap::new();
    for ((county, class), firms) in hefei_records(dir) {
        for (id, income, output) in firms {
            for row in rows_of(&class, &id) {
                // the county, the city and the province
                for region in [county.as_str(), "340100", "340000"] {
                    cells.entry((region.to_string(), row.clone())).or_default().push((income, output));
                }
            }
        }
    }
    // the primary rules by hand: fewer than 3 enterprises, or the largest two over 85 %
    // of the income or of the output
    let mut expected = BTreeMap::new();
    for ((county, row), firms) in cells {
        let dominated = |pick: fn(&(f64, f64)) -> f64| {
            let mut v: Vec<f64> = firms.iter().map(pick).collect();
            v.sort_by(|a, b| b.total_cmp(a));
            v.iter().take(2).sum::<f64>() > 0.85 * v.iter().sum::<f64>()
        };
        let reason = if firms.len() < 3 {
            "threshold"
        } else if dominated(|f| f.0) || dominated(|f| f.1) {
            "dominance"
        } else {
            continue;
        };
        expected.insert((county, row), reason);
    }
    let is_chain = |row: &str| row.starts_with("chain.");
    let count = |chain: bool, reason: &str| {
        expected
            .iter()
            .filter(|((_, r), why)| is_chain(r) == chain && **why == reason)
            .count()
    };
    assert!(
        count(false, "threshold") >= 20 && count(false, "dominance") >= 5,
        "the demo's industries are as thin as real data: {expected:?}"
    );
    assert!(
        count(true, "threshold") >= 20 && count(true, "dominance") >= 5,
        "and its chains' segments"
    );
    let withheld = withheld(&folder.join("disclosure.csv"));
    // the headline indicator of an industry; a chain's level is its income
    let level = |row: &str| if is_chain(row) { "operating_income" } else { "added_value" };
    let reason_of = |county: &str, row: &str| {
        withheld
            .get(&(county.into(), row.into(), level(row).into(), "ytd".into()))
            .map(String::as_str)
    };
    for ((county, row), reason) in &expected {
        assert_eq!(reason_of(county, row), Some(*reason), "{county} {row}");
    }
    // nothing else is primary, and every row a reader can add up — Hefei over its
    // counties, a county's TEN over its industries, a chain over its segments — holds
    // none or at least two
    // (a cell's level: its headline where the bureau published one, else its income)
    let suppressed: Vec<(&str, &str, &str)> = withheld
        .iter()
        .filter(|((_, row, indicator, measure), _)| (indicator == level(row) || indicator == "operating_income") && measure == "ytd")
        .map(|((r, i, _, _), why)| (r.as_str(), i.as_str(), why.as_str()))
        .filter(|(_, _, why)| *why != "derived")
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    for (county, row, why) in &suppressed {
        if *why != "secondary" {
            assert!(
                expected.contains_key(&(county.to_string(), row.to_string())),
                "{county} {row} {why}"
            );
        }
    }
    let secondary = suppressed.iter().filter(|s| s.2 == "secondary").count();
    assert!(secondary >= 1, "complementary cells are picked");
    let industries: Vec<&String> = industry_of.values().collect();
    let all_rows: std::collections::BTreeSet<&str> = suppressed.iter().map(|s| s.1).collect();
    for row in &all_rows {
        let n = suppressed.iter().filter(|s| s.1 == *row && s.0 != "340100").count();
        assert!(n != 1, "Hefei's {row} less its other counties would give one back");
    }
    let counties: std::collections::BTreeSet<&str> = suppressed.iter().map(|s| s.0).collect();
    let held = |county: &str, row: &str| suppressed.iter().any(|s| s.0 == county && s.1 == row);
    for county in counties {
        let n = industries.iter().filter(|i| held(county, i)).count();
        assert!(n != 1, "{county}'s TEN less its other industries would give one back");
        for chain in &hefei.chains {
            let n = chain.segments.iter().filter(|s| held(county, &chain.segment_row_code(s))).count()
                + usize::from(held(county, &chain.row_code()));
            assert!(n != 1, "{county}'s {} less its other segments would give one back", chain.code);
            let n = [chain.row_code(), chain.leaders_row_code(), chain.others_row_code()]
                .iter()
                .filter(|r| held(county, r))
                .count();
            assert!(
                n != 1,
                "{county}'s {} less its leaders (or the rest) would give them back",
                chain.code
            );
            // where an industry is whole segments of its chain, the chain less the industry
            // is the chain's other segments
            let mine = |s: &seimon::model::chain::Segment| s.classes.iter().filter(|c| industry_of.get(*c) == Some(&chain.code)).count();
            if chain.segments.iter().all(|s| mine(s) == 0 || mine(s) == s.classes.len()) {
                let n = chain
                    .segments
                    .iter()
                    .filter(|s| mine(s) == 0 && held(county, &chain.segment_row_code(s)))
                    .count()
                    + usize::from(held(county, &chain.row_code()))
                    + usize::from(held(county, &chain.code));
                assert!(n != 1, "{county}'s {} chain less its industry would give one back", chain.code);
            }
        }
    }
    // the city's own industries — thousands of enterprises together — are left alone
    assert!(reason_of("340100", "QSI").is_none() && reason_of("340100", "TEN").is_none());
    // in the industry's report a thin county's row is marks only; the city's level shows
    let (county, industry) = expected
        .iter()
        .find(|((_, row), r)| **r == "threshold" && !is_chain(row))
        .map(|(k, _)| k.clone())
        .unwrap();
    let html = std::fs::read_to_string(folder.join(format!("industry/{industry}.html"))).unwrap();
    let name = &hefei.region(&county).unwrap().zh;
    let row = html
        .split("<tr>")
        .find(|r| r.contains(&format!(">{name}</td>")))
        .and_then(|r| r.split("</tr>").next())
        .unwrap_or_else(|| panic!("{name} in industry/{industry}.html"));
    let cells: Vec<&str> = row
        .split("</td>")
        .filter_map(|c| c.rsplit('>').next())
        .filter(|c| !c.is_empty())
        .collect();
    assert!(
        cells.len() >= 5 && cells[1..].iter().all(|c| *c == "×" || *c == "—"),
        "{name}: {cells:?}"
    );
    assert!(html.contains("《中华人民共和国统计法》第二十五条"), "the footnote says why");
    // the audit: the manifest counts the cells of each report
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(folder.join("manifest.json")).unwrap()).unwrap();
    let audit = &manifest["disclosure"];
    assert_eq!(audit["policy"]["protect_published"], true);
    assert_eq!(audit["primary"].as_u64().unwrap() as usize, expected.len());
    assert_eq!(audit["secondary"].as_u64().unwrap() as usize, secondary);
}

#[test]
fn a_readers_token_gets_from_the_api_only_what_leaves() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    files(dir);
    for args in [
        &["ingest", "mapping.csv", "firms.csv", "obs.csv"][..],
        &["recompute", "--period", "2025Q3"],
    ] {
        let out = seimon(dir, &[&["--config", "seimon.toml"][..], args].concat(), &[]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    // one secret for both roles is refused, without printing it
    let same = [("SEIMON_API__TOKEN", "s3cret-both"), ("SEIMON_API__READER_TOKEN", "s3cret-both")];
    let out = seimon(dir, &["--config", "seimon.toml", "check-config"], &same);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("the reader token is the analyst's token"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("s3cret-both"));

    std::fs::create_dir_all(dir.join("config")).unwrap();
    std::fs::copy(dir.join("seimon.toml"), dir.join("config/seimon.toml")).unwrap();
    let (analyst, reader) = ("analyst-token-7f3a", "reader-token-91c2");
    let daemon = Daemon::start(
        dir,
        &[
            ("SEIMON_API__TOKEN", analyst),
            ("SEIMON_API__READER_TOKEN", reader),
            ("SEIMON_API__LISTEN", "127.0.0.1:0"),
        ],
    );
    let get = |path: &str, token: &str| {
        let (status, body) = http(&daemon.addr, "GET", path, Some(token), b"");
        assert_eq!(status, 200, "{path}: {body}");
        json(&body).as_array().unwrap().clone()
    };
    let key = |r: &serde_json::Value| {
        let f = |k: &str| r[k].as_str().unwrap_or_default().to_string();
        (f("region_code"), f("industry_code"), f("indicator"), f("measure"))
    };
    let path = "/api/v1/periods/2025Q3/indicators?region=340102,340103,340104";
    // the analyst: every value, each saying whether readers get it
    let all = get(path, analyst);
    let one = all
        .iter()
        .find(|r| key(r) == ("340102".into(), "NGIT".into(), "operating_income".into(), "ytd".into()))
        .expect("the analyst keeps the one enterprise's figure");
    assert!((one["value"].as_f64().unwrap() - 5.317).abs() < 1e-9);
    assert_eq!(one["withheld"], "threshold");
    let open = all
        .iter()
        .find(|r| key(r) == ("340104".into(), "TEN".into(), "operating_income".into(), "ytd".into()))
        .unwrap();
    assert!(open["withheld"].is_null() && (open["value"].as_f64().unwrap() - 120.0).abs() < 1e-9);
    // the reader: the same rows less every withheld one, as disclosure.csv lists them
    let listed = withheld(&dir.join("reports/2025Q3/disclosure.csv"));
    let published = get(path, reader);
    let expected: Vec<_> = all.iter().filter(|r| r["withheld"].is_null()).map(key).collect();
    assert_eq!(published.iter().map(key).collect::<Vec<_>>(), expected);
    assert!(
        published
            .iter()
            .all(|r| !listed.contains_key(&key(r)) && r.get("withheld").is_none())
    );
    let leftover: Vec<_> = published.iter().filter(|r| r["region_code"] == "340102").map(key).collect();
    assert!(published.len() < all.len() && leftover.is_empty(), "{leftover:?}");
    assert!(published.iter().any(|r| key(r) == key(open)), "what is not withheld is served");
    // risks: none of a withheld figure reaches the reader
    let risks = get("/api/v1/periods/2025Q3/risks", reader);
    assert!(risks.iter().all(|r| !listed.contains_key(&key(r))));
    let every = get("/api/v1/periods/2025Q3/risks", analyst);
    assert!(every.iter().any(|r| listed.contains_key(&key(r))), "the analyst sees them all");
    // and nothing but reading
    for (method, path) in [
        ("POST", "/api/v1/runs"),
        ("GET", "/api/v1/runs/20250101T000000-00000000"),
        ("POST", "/api/v1/files?name=obs.csv"),
        ("POST", "/api/v1/risks/negative_growth:340000:NEV:operating_income/ack"),
    ] {
        let (status, body) = http(&daemon.addr, method, path, Some(reader), b"{}");
        assert_eq!(status, 403, "{method} {path}: {body}");
        assert!(
            json(&body)["error"]
                .as_str()
                .unwrap()
                .contains("a reader's token reads the published figures only")
        );
    }
    let (status, _) = http(&daemon.addr, "GET", path, Some("not-a-token"), b"");
    assert_eq!(status, 401);
    let log = std::fs::read_to_string(dir.join("serve.log")).unwrap();
    assert!(!log.contains(analyst) && !log.contains(reader), "no token in the log");
}
