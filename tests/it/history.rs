//! A pass over the history (`seimon recompute --from … --to …`, `--all`): every quarter of
//! the range computed in one plan and each quarter's folder written exactly as its own
//! `recompute --period` writes it — the same `indicators.csv` and `disclosure.csv`, byte
//! for byte, every region's quarter at national scale — with the values' Parquet copy
//! beside the CSV, and nothing sent.

use std::path::Path;

use polars::prelude::*;

use crate::support::{seimon, stderr, stdout};

/// The bytes of a file of a quarter's folder under `reports`.
fn read(dir: &Path, reports: &str, period: &str, file: &str) -> Vec<u8> {
    let path = dir.join(reports).join(period).join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The quarter folders under `reports` (`2021Q4`, not the runs set aside beside them).
fn quarters(dir: &Path, reports: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join(reports))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.len() == 6 && n.as_bytes()[4] == b'Q')
        .collect();
    names.sort();
    names
}

/// A quarter's `indicators.parquet` as the rows of its `indicators.csv`.
fn parquet_as_csv(dir: &Path, reports: &str, period: &str) -> Vec<u8> {
    let file = std::fs::File::open(dir.join(reports).join(period).join("indicators.parquet")).unwrap();
    let mut df = ParquetReader::new(file).finish().unwrap();
    let mut csv = Vec::new();
    CsvWriter::new(&mut csv).include_header(true).finish(&mut df).unwrap();
    csv
}

#[test]
fn a_pass_over_the_national_history_writes_every_quarter_as_its_own_recompute() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let regions = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/regions-gbt2260.csv");
    let generate = [
        "generate",
        "--regions",
        regions.to_str().unwrap(),
        "--enterprises",
        "300",
        "--through",
        "2021Q4",
        "--dir",
        ".",
    ];
    let out = seimon(dir, &generate, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let config = ["--config", "seimon.toml"];
    let run = |args: &[&str], reports: &str| {
        let out = seimon(dir, &[&config[..], args].concat(), &[("SEIMON_PATHS__REPORTS", reports)]);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        stdout(&out)
    };
    run(
        &[
            "ingest",
            "class-mapping.csv",
            "enterprises-2020.parquet",
            "enterprises-2021.parquet",
        ],
        "single",
    );
    // every quarter with data: the eight of 2020 and 2021
    let text = run(&["recompute", "--all"], "history");
    assert!(text.contains("8 quarters, 2020Q1 to 2021Q4, in "), "{text}");
    assert_eq!(
        quarters(dir, "history"),
        ["2020Q1", "2020Q2", "2020Q3", "2020Q4", "2021Q1", "2021Q2", "2021Q3", "2021Q4"]
    );
    // the first year (no growth yet), a mid-year quarter and the last, each run on its own
    for period in ["2020Q2", "2021Q1", "2021Q4"] {
        run(&["recompute", "--period", period], "single");
        for file in ["indicators.csv", "disclosure.csv"] {
            assert!(
                read(dir, "history", period, file) == read(dir, "single", period, file),
                "{period}/{file} differs between the pass and the quarter's own run"
            );
        }
        assert_eq!(
            parquet_as_csv(dir, "history", period),
            read(dir, "history", period, "indicators.csv")
        );
    }
    // every region's quarter, not only the monitored province's
    let csv = String::from_utf8(read(dir, "history", "2021Q1", "indicators.csv")).unwrap();
    assert!(
        csv.lines().any(|l| l.starts_with("2021Q1,440000,TOTAL,enterprises,ytd,")),
        "Guangdong's 2021Q1"
    );
    assert!(!csv.lines().skip(1).any(|l| !l.starts_with("2021Q1,")), "only the quarter's rows");
}

#[test]
fn a_pass_over_part_of_the_demo_sends_nothing_and_says_what_it_ran() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let out = seimon(dir, &["demo", "--through", "2025Q3"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let env = |reports: &'static str| [("SEIMON_PATHS__DATA", "demo-data"), ("SEIMON_PATHS__REPORTS", reports)];

    let out = seimon(dir, &["recompute", "--from", "2025Q2", "--to", "2025Q3"], &env("history"));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("2 quarters, 2025Q2 to 2025Q3, in "), "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("2025Q2: ") && l.contains(" measures, ")),
        "{text}"
    );
    for period in ["2025Q2", "2025Q3"] {
        let out = seimon(dir, &["recompute", "--period", period], &env("single"));
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        for file in ["indicators.csv", "disclosure.csv", "risks.csv"] {
            assert!(
                read(dir, "history", period, file) == read(dir, "single", period, file),
                "{period}/{file} differs between the pass and the quarter's own run"
            );
        }
        // the whole report set, its e-mails written as files, none sent
        let manifest: serde_json::Value = serde_json::from_slice(&read(dir, "history", period, "manifest.json")).unwrap();
        let emails = manifest["emails"].as_array().unwrap();
        assert!(!emails.is_empty());
        assert!(emails.iter().all(|e| e["status"] == "written"), "{emails:?}");
        assert!(dir.join("history").join(period).join("report.pdf").is_file());
    }

    // usage: a range needs both ends, in order; a quarter and a range do not mix
    let out = seimon(dir, &["recompute", "--from", "2025Q2"], &env("history"));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--to"), "{}", stderr(&out));
    let out = seimon(dir, &["recompute", "--period", "2025Q2", "--all"], &env("history"));
    assert_eq!(out.status.code(), Some(2));
    let out = seimon(dir, &["recompute", "--from", "2025Q3", "--to", "2025Q2"], &env("history"));
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--from 2025Q3 is after --to 2025Q2"), "{}", stderr(&out));
}
