//! End to end: `seimon demo` in a fresh directory produces a quarter's report folder whose
//! numbers match an independent computation from the demo's own input files, whose
//! e-mail is valid MIME with its charts inline, and `recompute --as-of` rebuilds it from
//! older vintages, keeping the previous run beside it.

use std::collections::HashMap;
use std::path::Path;

use mail_parser::{MessageParser, MimeHeaders};

use crate::support::{seimon, stderr};

const PERIOD: &str = "2026Q3";

type Key = (String, String, String, String); // period, region, industry, indicator

/// The demo input files read independently of seimon's loader: latest release wins,
/// values converted to 亿元 by hand.
fn read_inputs(dir: &Path) -> HashMap<Key, (String, Option<f64>, Option<f64>)> {
    let mut out: HashMap<Key, (String, Option<f64>, Option<f64>)> = HashMap::new();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name().unwrap().to_str().unwrap().starts_with("observations-")
                || p.file_name().unwrap().to_str().unwrap().starts_with("revision-")
        })
        .collect();
    files.sort();
    assert_eq!(files.len(), 8, "one file per year 2020–2026 and a revision: {files:?}");
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        let text = match String::from_utf8(bytes.clone()) {
            Ok(t) => t,
            Err(_) => encoding_rs::GB18030.decode(&bytes).0.into_owned(),
        };
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let headers: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
        let col = |en: &str, zh: &str| {
            headers
                .iter()
                .position(|h| h == en || h == zh)
                .unwrap_or_else(|| panic!("{en} in {headers:?}"))
        };
        let (cp, cr, ci, ck, cv, cu, cg, cd) = (
            col("period", "期别"),
            col("region_code", "地区代码"),
            col("industry_code", "产业代码"),
            col("indicator", "指标"),
            col("value", "本年累计"),
            col("unit", "单位"),
            col("yoy_pct", "同比增长%"),
            col("release_date", "发布日期"),
        );
        for rec in reader.records() {
            let rec = rec.unwrap();
            let period = match rec[cp].split_once('年') {
                // 2025年1-9月 → 2025Q3
                Some((y, rest)) => format!(
                    "{y}Q{}",
                    rest.trim_end_matches('月').split('-').nth(1).unwrap().parse::<u32>().unwrap() / 3
                ),
                None => rec[cp].to_string(),
            };
            let scale = match &rec[cu] {
                "万元" => 1e4,
                "亿元" | "家" | "" => 1.0,
                u => panic!("unexpected unit {u}"),
            };
            let value = (!rec[cv].is_empty()).then(|| rec[cv].parse::<f64>().unwrap() / scale);
            let yoy = (!rec[cg].is_empty()).then(|| rec[cg].parse::<f64>().unwrap());
            let key = (period, rec[cr].to_string(), rec[ci].to_string(), rec[ck].to_string());
            let release = rec[cd].to_string();
            if out.get(&key).is_none_or(|(r, _, _)| *r <= release) {
                out.insert(key, (release, value, yoy));
            }
        }
    }
    out
}

fn read_indicators(path: &Path) -> HashMap<(String, String, String, String), f64> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ["period", "region_code", "industry_code", "indicator", "measure", "value"]
    );
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            assert_eq!(&r[0], PERIOD);
            (
                (r[1].to_string(), r[2].to_string(), r[3].to_string(), r[4].to_string()),
                r[5].parse::<f64>().unwrap(),
            )
        })
        .collect()
}

fn assert_close(what: &str, actual: Option<&f64>, expected: f64) {
    let a = *actual.unwrap_or_else(|| panic!("{what}: missing from indicators.csv (expected {expected})"));
    assert!(
        (a - expected).abs() <= 1e-9 * expected.abs().max(1.0),
        "{what}: indicators.csv has {a}, computed independently {expected}"
    );
}

fn png_is_a_real_chart(bytes: &[u8], what: &str) {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().unwrap_or_else(|e| panic!("{what} is not a PNG: {e}"));
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert!(info.width >= 600 && info.height >= 200, "{what}: {}x{}", info.width, info.height);
    let coloured = buf.chunks(3).filter(|p| p.iter().any(|&c| c < 200)).count();
    assert!(coloured > 10_000, "{what} looks blank ({coloured} dark pixels)");
}

#[test]
fn demo_runs_a_real_quarter_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let out = seimon(dir, &["demo", "--dir", ".", "--through", PERIOD], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = dir.join("reports").join(PERIOD);
    for f in [
        "indicators.csv",
        "report.html",
        "manifest.json",
        "charts/growth_by_industry.png",
        "charts/growth_by_city.png",
        "mail/province__leaders_at_example.org.eml",
    ] {
        assert!(report.join(f).is_file(), "{f} missing");
    }

    // --- the numbers, against an independent computation from the input files ---------
    let inputs = read_inputs(&dir.join("data/demo-input"));
    let got = read_indicators(&report.join("indicators.csv"));
    let x = |p: &str, r: &str, i: &str, k: &str| inputs[&(p.to_string(), r.to_string(), i.to_string(), k.to_string())].1.unwrap();
    let g = |p: &str, r: &str, i: &str, k: &str| inputs[&(p.to_string(), r.to_string(), i.to_string(), k.to_string())].2.unwrap();
    let m = |r: &str, i: &str, k: &str, measure: &str| got.get(&(r.to_string(), i.to_string(), k.to_string(), measure.to_string()));
    let (hf, oi) = ("340100", "operating_income");
    let (p, prev, ly) = (PERIOD, "2026Q2", "2025Q3");
    let base = |p: &str, r: &str, i: &str| x(p, r, i, oi) / (1.0 + g(p, r, i, oi) / 100.0);

    assert_close("ytd", m(hf, "NGIT", oi, "ytd"), x(p, hf, "NGIT", oi));
    assert_close("yoy_pct (published)", m(hf, "NGIT", oi, "yoy_pct"), g(p, hf, "NGIT", oi));
    let naive = (x(p, hf, "NGIT", oi) / x(ly, hf, "NGIT", oi) - 1.0) * 100.0;
    assert!(
        (naive - g(p, hf, "NGIT", oi)).abs() > 0.01,
        "the demo's published growth differs from the naive one"
    );
    assert_close("base_ytd", m(hf, "NGIT", oi, "base_ytd"), base(p, hf, "NGIT"));
    assert_close(
        "quarter",
        m(hf, "NGIT", oi, "quarter"),
        x(p, hf, "NGIT", oi) - x(prev, hf, "NGIT", oi),
    );
    assert_close(
        "quarter_yoy_pct",
        m(hf, "NGIT", oi, "quarter_yoy_pct"),
        ((x(p, hf, "NGIT", oi) - x(prev, hf, "NGIT", oi)) / (base(p, hf, "NGIT") - base(prev, hf, "NGIT")) - 1.0) * 100.0,
    );
    let share = |p: &str| x(p, hf, "NGIT", oi) / x(p, hf, "TOTAL", oi) * 100.0;
    assert_close("share_pct", m(hf, "NGIT", oi, "share_pct"), share(p));
    assert_close("share_change_pp", m(hf, "NGIT", oi, "share_change_pp"), share(p) - share(ly));
    assert_close(
        "gap_to_total_pp",
        m(hf, "NGIT", oi, "gap_to_total_pp"),
        g(p, hf, "NGIT", oi) - g(p, hf, "TOTAL", oi),
    );
    let increment = x(p, hf, "NGIT", oi) - base(p, hf, "NGIT");
    assert_close("pull_pp", m(hf, "NGIT", oi, "pull_pp"), increment / base(p, hf, "TOTAL") * 100.0);
    assert_close(
        "contribution_pct",
        m(hf, "NGIT", oi, "contribution_pct"),
        increment / (x(p, hf, "TOTAL", oi) - base(p, hf, "TOTAL")) * 100.0,
    );
    assert_close(
        "gap_to_parent_pp",
        m(hf, "NGIT", oi, "gap_to_parent_pp"),
        g(p, hf, "NGIT", oi) - g(p, "340000", "NGIT", oi),
    );
    // Rank among the 16 cities, 1 = highest growth, ties share the lowest rank.
    let cities: Vec<&str> = [
        "340100", "340200", "340300", "340400", "340500", "340600", "340700", "340800", "341000", "341100", "341200", "341300", "341500",
        "341600", "341700", "341800",
    ]
    .to_vec();
    for c in &cities {
        let mine = g(p, c, "NGIT", oi);
        let expected = 1 + cities.iter().filter(|o| g(p, o, "NGIT", oi) > mine).count();
        assert_close(&format!("rank of {c}"), m(c, "NGIT", oi, "rank"), expected as f64);
    }
    assert!(m("340000", "NGIT", oi, "rank").is_none(), "the province is not ranked");
    // City profit has no published growth: computed from levels.
    assert!(inputs[&(p.into(), hf.into(), "NGIT".into(), "profit".into())].2.is_none());
    assert_close(
        "yoy_pct (from levels)",
        m(hf, "NGIT", "profit", "yoy_pct"),
        (x(p, hf, "NGIT", "profit") / x(ly, hf, "NGIT", "profit") - 1.0) * 100.0,
    );
    // Added value: a rate only, so no level measures.
    assert_close(
        "added value growth",
        m(hf, "NGIT", "added_value", "yoy_pct"),
        g(p, hf, "NGIT", "added_value"),
    );
    assert!(m(hf, "NGIT", "added_value", "ytd").is_none() && m(hf, "NGIT", "added_value", "share_pct").is_none());
    // The revision of 2026Q2 (a later vintage) is what the single quarter uses.
    let revised_q2 = x(prev, hf, "TOTAL", oi);
    assert_close(
        "quarter after revision",
        m(hf, "TOTAL", oi, "quarter"),
        x(p, hf, "TOTAL", oi) - revised_q2,
    );

    // --- the HTML reports and their charts ----------------------------------------------
    let html = std::fs::read_to_string(report.join("report.html")).unwrap();
    assert!(
        html.contains("安徽省十大新兴产业监测季报") && html.contains("2026年1-9月"),
        "Chinese title and period"
    );
    assert!(html.contains("演示用合成数据"), "the report says the data is synthetic");
    let mut pages = vec![report.join("report.html")];
    for sub in ["industry", "city"] {
        for e in std::fs::read_dir(report.join(sub)).unwrap() {
            let path = e.unwrap().path();
            match path.extension().and_then(|e| e.to_str()) {
                Some("html") => pages.push(path),
                // beside each report its PDF (read back in the pdf tests)
                _ => assert!(path.with_extension("html").is_file(), "{} beside no report", path.display()),
            }
        }
    }
    assert_eq!(pages.len(), 1 + 10 + 16, "the province, ten industries, sixteen cities");
    let mut charts = 0;
    for page in &pages {
        let html = std::fs::read_to_string(page).unwrap();
        let images: Vec<&str> = html.split("src=\"").skip(1).map(|s| s.split('"').next().unwrap()).collect();
        assert!(images.len() >= 2, "{}: {images:?}", page.display());
        for src in images {
            let path = page.parent().unwrap().join(src);
            assert!(path.is_file(), "{} references {src}, which does not exist", page.display());
            png_is_a_real_chart(&std::fs::read(&path).unwrap(), src);
            charts += 1;
        }
    }
    assert!(charts >= 27 * 2 + 5, "{charts} charts");
    let industry = std::fs::read_to_string(report.join("industry/NGIT.html")).unwrap();
    assert!(industry.contains("安徽省新一代信息技术产业监测季报") && industry.contains("合肥市"));
    let city = std::fs::read_to_string(report.join("city/340100.html")).unwrap();
    assert!(city.contains("合肥市十大新兴产业监测季报") && city.contains("新能源汽车和智能网联汽车"));

    // --- the workbook: opens with a real reader; numbers are the measures -------------------
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> = calamine::open_workbook(report.join("report.xlsx")).expect("report.xlsx opens");
    let sheets = book.sheet_names();
    assert!(
        ["分产业", "分城市", "目标进度", "重大项目", "风险监测"]
            .iter()
            .all(|s| sheets.contains(&s.to_string())),
        "{sheets:?}"
    );
    let industries = book.worksheet_range("分产业").unwrap();
    let header: Vec<String> = industries.rows().nth(2).unwrap().iter().map(|c| c.to_string()).collect();
    assert_eq!(header[1], "营业收入（亿元）");
    let catalogue = seimon::model::catalogue::Catalogue::anhui();
    let mut checked = 0;
    for row in industries.rows().skip(3) {
        let name = row[0].to_string();
        let Some(code) = ["NGIT", "NEV", "TEN", "TOTAL"]
            .into_iter()
            .find(|c| catalogue.industry(c).unwrap().zh == name)
        else {
            continue;
        };
        for (col, measure) in [(1, "ytd"), (2, "yoy_pct"), (4, "share_pct")] {
            if code == "TOTAL" && measure == "share_pct" {
                continue;
            }
            let Data::Float(v) = row[col] else {
                panic!("{name} {measure}: a number, not {:?}", row[col])
            };
            let expected = got
                .get(&("340000".to_string(), code.to_string(), oi.to_string(), measure.to_string()))
                .copied();
            assert_eq!(Some(v), expected, "{name} {measure}: the workbook holds the full-precision value");
            checked += 1;
        }
    }
    assert_eq!(checked, 11);

    // --- the e-mail ---------------------------------------------------------------------
    let raw = std::fs::read(report.join("mail/province__leaders_at_example.org.eml")).unwrap();
    let mail = MessageParser::default().parse(&raw).expect("the .eml parses as MIME");
    assert_eq!(mail.subject(), Some("【安徽省十大新兴产业监测季报】2026年1-9月"));
    assert!(raw.starts_with(b"From: =?utf-8?"), "the Chinese sender name is RFC 2047 encoded");
    let mail_html = mail.body_html(0).expect("an HTML body");
    let text = mail.body_text(0).expect("a plain-text alternative");
    assert!(text.contains("一、总体情况"), "{text}");
    let cids: Vec<&str> = mail_html
        .split("src=\"cid:")
        .skip(1)
        .map(|s| s.split('"').next().unwrap())
        .collect();
    let archived: Vec<&str> = html.split("src=\"charts/").skip(1).map(|s| s.split('"').next().unwrap()).collect();
    assert_eq!(
        cids.len(),
        archived.len(),
        "the mail carries every chart of the report, by Content-ID"
    );
    for cid in cids {
        let part = mail
            .parts
            .iter()
            .find(|p| p.content_id() == Some(cid))
            .unwrap_or_else(|| panic!("no inline part <{cid}>"));
        assert_eq!(part.content_type().map(|c| (c.ctype(), c.subtype())), Some(("image", Some("png"))));
        png_is_a_real_chart(part.contents(), cid);
    }
    let raw_text = String::from_utf8_lossy(&raw);
    assert!(
        raw_text.contains("Content-Type: multipart/related"),
        "charts inside multipart/related"
    );

    // --- the manifest -------------------------------------------------------------------
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(report.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["period"], PERIOD);
    assert_eq!(
        manifest["inputs"]["files"].as_array().unwrap().len(),
        12,
        "observations, revision, mapping, enterprise records, projects, the plan's count goals"
    );
    assert!(manifest["inputs"]["files"][0]["sha256"].as_str().unwrap().len() == 64);
    assert_eq!(
        manifest["emails"][0]["message_id"].as_str().map(|s| s.trim_matches(['<', '>'])),
        mail.message_id()
    );
    for stage in ["load", "compute", "render", "write"] {
        assert!(manifest["timings_ms"][stage].is_u64(), "timing of {stage}");
    }
    let first_run = manifest["run_id"].as_str().unwrap().to_string();
    let first_vintage = manifest["data_vintage"].as_str().unwrap().to_string();

    // --- recompute as of a date before the revision ---------------------------------------
    let env = [("SEIMON_PATHS__DATA", "data"), ("SEIMON_PATHS__REPORTS", "reports")];
    let out = seimon(dir, &["recompute", "--period", PERIOD, "--as-of", "2026-10-25"], &env);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        dir.join("reports")
            .join(format!("{PERIOD}.{first_run}"))
            .join("manifest.json")
            .is_file(),
        "the earlier run is kept beside the new one"
    );
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(report.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["as_of"], "2026-10-25");
    assert_ne!(manifest["data_vintage"].as_str().unwrap(), first_vintage);
    let again = read_indicators(&report.join("indicators.csv"));
    let original_q2 = {
        // the first vintage of 2026Q2 Hefei TOTAL income, in 万元 in the 2026 file
        let text = std::fs::read_to_string(dir.join("data/demo-input/observations-2026.csv")).unwrap();
        let line = text
            .lines()
            .find(|l| l.starts_with("2026Q2,340100,TOTAL,operating_income,"))
            .unwrap();
        line.split(',').nth(4).unwrap().parse::<f64>().unwrap() / 1e4
    };
    assert!((original_q2 - revised_q2).abs() > 1.0, "the revision changed the value");
    let quarter = again.get(&(hf.to_string(), "TOTAL".to_string(), oi.to_string(), "quarter".to_string()));
    assert_close("quarter as of before the revision", quarter, x(p, hf, "TOTAL", oi) - original_q2);
}

#[test]
fn english_reports_have_no_chinese_left() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let out = seimon(
        dir,
        &["demo", "--dir", ".", "--through", "2025Q3"],
        &[("SEIMON_MONITOR__LANGUAGE", "en")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = dir.join("reports/2025Q3");
    let mut pages = vec![report.join("report.html")];
    for sub in ["industry", "city"] {
        pages.extend(
            std::fs::read_dir(report.join(sub))
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "html")),
        );
    }
    assert_eq!(pages.len(), 27);
    // Counties have no English names in the catalogue: their Chinese names stand.
    let catalogue = seimon::model::catalogue::Catalogue::anhui();
    let untranslated: Vec<&str> = catalogue.regions.iter().filter(|r| r.en.is_none()).map(|r| r.zh.as_str()).collect();
    for page in &pages {
        let mut html = std::fs::read_to_string(page).unwrap();
        for name in &untranslated {
            html = html.replace(name, "");
        }
        let chinese: String = html
            .chars()
            .filter(|c| {
                ('\u{4e00}'..='\u{9fff}').contains(c) || ('\u{3000}'..='\u{303f}').contains(c) || ('\u{ff00}'..='\u{ffef}').contains(c)
            })
            .collect();
        assert!(
            chinese.is_empty(),
            "{}: Chinese left in an English report: {chinese}",
            page.display()
        );
        assert!(html.contains("<html lang=\"en\">"));
    }
    let province = std::fs::read_to_string(report.join("report.html")).unwrap();
    assert!(
        province.contains("Anhui&#x27;s ten emerging industries: quarterly monitoring report")
            || province.contains("Anhui's ten emerging industries: quarterly monitoring report"),
        "the English title"
    );
    assert!(province.contains("Jan–Sep 2025") && province.contains("Operating income (CNY 100m)"));
    let raw = std::fs::read(report.join("mail/province__leaders_at_example.org.eml")).unwrap();
    let mail = MessageParser::default().parse(&raw).unwrap();
    assert_eq!(
        mail.subject(),
        Some("[Anhui's ten emerging industries: quarterly monitoring report] Jan–Sep 2025")
    );
}
