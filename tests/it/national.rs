//! The national benchmark's code path, at a small size (not timed): `seimon generate` over
//! the national region list, `seimon ingest` of its files, `seimon recompute` of a quarter
//! with the generated catalogue; the province's aggregates checked against the generated
//! records themselves.

use std::path::Path;

use polars::prelude::*;

use crate::support::{seimon, stderr, stdout};

/// The national region list CI provides beside the repository (../shared/data).
fn region_list() -> std::path::PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/regions-gbt2260.csv");
    assert!(path.is_file(), "the national region list is expected at {}", path.display());
    path
}

#[test]
fn generated_national_data_go_through_the_whole_pipeline() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("national");
    let regions = region_list();
    let generate = |dir: &Path| {
        let args = [
            "generate",
            "--regions",
            regions.to_str().unwrap(),
            "--enterprises",
            "400",
            "--through",
            "2021Q4",
            "--dir",
        ];
        seimon(tmp.path(), &[&args[..], &[dir.to_str().unwrap()]].concat(), &[])
    };
    let out = generate(&dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("3200 enterprise records (400 a year)"), "{}", stdout(&out));
    // the same arguments give the same bytes
    let again = tmp.path().join("again");
    let out = generate(&again);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        std::fs::read(dir.join("enterprises-2021.parquet")).unwrap(),
        std::fs::read(again.join("enterprises-2021.parquet")).unwrap()
    );

    let config = ["--config", "seimon.toml"];
    let load = [
        &config[..],
        &[
            "ingest",
            "class-mapping.csv",
            "enterprises-2020.parquet",
            "enterprises-2021.parquet",
        ],
    ]
    .concat();
    let out = seimon(&dir, &load, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = seimon(&dir, &[&config[..], &["recompute", "--period", "2021Q4"]].concat(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // Anhui's enterprises and operating income in 2021Q4, straight from the records
    let records = ParquetReader::new(std::fs::File::open(dir.join("enterprises-2021.parquet")).unwrap())
        .finish()
        .unwrap()
        .lazy()
        .filter(col("period").eq(lit("2021Q4")).and(col("region_code").str().starts_with(lit("34"))))
        .select([
            col("enterprise_id").n_unique().alias("n"),
            col("operating_income").sum().alias("income"),
        ])
        .collect()
        .unwrap();
    let n = records.column("n").unwrap().u32().unwrap().get(0).unwrap();
    let income = records.column("income").unwrap().f64().unwrap().get(0).unwrap() / 1e4; // 万元 → 亿元
    assert!(n > 0, "the generator put enterprises in Anhui");
    let mut reader = csv::Reader::from_path(dir.join("reports/2021Q4/indicators.csv")).unwrap();
    let mut found = (None, None, false);
    for r in reader.records().map(|r| r.unwrap()) {
        let v: f64 = r[5].parse().unwrap();
        match (&r[1], &r[2], &r[3], &r[4]) {
            ("340000", "TOTAL", "enterprises", "ytd") => found.0 = Some(v),
            ("340000", "TOTAL", "operating_income", "ytd") => found.1 = Some(v),
            (region, _, _, _) if region.starts_with("44") => found.2 = true,
            _ => {}
        }
    }
    assert_eq!(found.0, Some(f64::from(n)));
    let got = found.1.expect("Anhui's operating income");
    assert!((got - income).abs() <= 1e-9 * income, "{got} vs {income}");
    assert!(found.2, "regions of other provinces (Guangdong) are computed too");
    assert!(dir.join("reports/2021Q4/report.html").is_file());
}

/// The benchmark itself at a small national size: every stage runs and is reported, the
/// whole report set (1 + 10 + 16 reports) goes through the outbox to the SMTP sink.
#[test]
fn the_benchmark_runs_at_a_small_national_size() {
    let regions = region_list();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_seimon-bench"))
        .args([
            "national",
            "--regions",
            regions.to_str().unwrap(),
            "--enterprises",
            "150",
            "--runs",
            "2",
        ])
        .env("SEIMON_LOG__LEVEL", "warn")
        .output()
        .unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", stderr(&out));
    assert!(text.contains("150 enterprises a year, 3600 records"), "{text}");
    for line in [
        "load 7 files (",
        "read the store (latest vintages)",
        "compute all measures (",
        "evaluate risk rules and data quality",
        "render the report set (27 reports,",
        "write the report folder",
        "write the outbox (27 e-mails, first run)",
        "send them over SMTP to 127.0.0.1 (27 sent, first run)",
        "whole quarter (median of 2 runs)",
        "peak memory of the runs (MiB)",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(line) || l.trim_start().starts_with(line)),
            "no line `{line}`:\n{text}"
        );
    }
}
