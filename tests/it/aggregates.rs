//! The partial aggregates of enterprise records kept in the store: computed when records are
//! loaded (for the quarter and the quarter a year later), new ones beside the old when a
//! batch is revised, the old ones still read `--as-of` a date before the revision, and
//! computed again from the records when they are lost. Numbers by hand.

use std::path::Path;

use crate::support::{seimon, stderr, uscc};

/// The value of one row of a quarter's `indicators.csv`.
fn value(dir: &Path, period: &str, key: [&str; 4]) -> Option<f64> {
    let mut reader = csv::Reader::from_path(dir.join(format!("reports/{period}/indicators.csv"))).unwrap();
    reader
        .records()
        .map(Result::unwrap)
        .find_map(|r| (r[1] == *key[0] && r[2] == *key[1] && r[3] == *key[2] && r[4] == *key[3]).then(|| r[5].parse().unwrap()))
}

/// The partials kept for a quarter: files in the store's folder.
fn kept(dir: &Path, period: &str) -> usize {
    std::fs::read_dir(dir.join("data/aggregates").join(period)).map_or(0, |d| {
        d.filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "parquet"))
            .count()
    })
}

/// Records as a CSV: (period, enterprise, county, class, output 万元).
fn records(rows: &[(&str, u32, &str, &str, f64)]) -> String {
    let mut text = String::from("period,enterprise_id,region_code,class_code,output_value,operating_income,profit,unit\n");
    for (p, n, region, class, ov) in rows {
        text.push_str(&format!("{p},{},{region},{class},{ov},{},5000,万元\n", uscc(*n), ov * 0.9));
    }
    text
}

#[test]
fn partials_are_kept_at_load_versioned_with_their_batches_and_rebuilt_when_lost() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("mapping.csv"),
        "class_code,industry_code,catalogue\n3971,NGIT,anhui-2021\n3562,NGIT,anhui-2021\n",
    )
    .unwrap();
    // E1 and E2 in both years, E3 enters in 2023, E4 leaves
    std::fs::write(
        dir.join("firms.csv"),
        records(&[
            ("2023Q3", 1, "340102", "3971", 1_000_000.0),
            ("2022Q3", 1, "340102", "3971", 800_000.0),
            ("2023Q3", 2, "340102", "3562", 500_000.0),
            ("2022Q3", 2, "340102", "3562", 600_000.0),
            ("2023Q3", 3, "340102", "3971", 300_000.0),
            ("2022Q3", 4, "340102", "3971", 400_000.0),
        ]),
    )
    .unwrap();
    let env = [("SEIMON_PATHS__DATA", "data"), ("SEIMON_PATHS__REPORTS", "reports")];
    let run = |args: &[&str]| {
        let out = seimon(dir, args, &env);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    };
    run(&["ingest", "mapping.csv", "firms.csv"]);
    assert_eq!(
        (kept(dir, "2022Q3"), kept(dir, "2023Q3")),
        (1, 1),
        "kept when the records are loaded"
    );
    // the first load (batches and mapping) released on a day long past, so that `--as-of`
    // can tell it from the revision loaded today
    let db = rusqlite::Connection::open(dir.join("data/seimon.db")).unwrap();
    db.execute("UPDATE enterprise_batches SET release_date = '2024-01-15'", []).unwrap();
    db.execute("UPDATE class_mapping SET release_date = '2024-01-15'", []).unwrap();
    drop(db);

    let yoy = ["340102", "NGIT", "output_value", "yoy_pct"];
    let ytd = ["340102", "NGIT", "output_value", "ytd"];
    run(&["recompute", "--period", "2023Q3"]);
    let first = (1_000_000.0 + 500_000.0) / (800_000.0 + 600_000.0) * 100.0 - 100.0;
    assert_close(value(dir, "2023Q3", yoy), first);
    assert_close(value(dir, "2023Q3", ytd), 180.0);

    // E1's 2022Q3 revised: 2023Q3's comparable basis changes, so both quarters get new
    // partials at load, beside the old ones
    std::fs::write(dir.join("revised.csv"), records(&[("2022Q3", 1, "340102", "3971", 700_000.0)])).unwrap();
    run(&["ingest", "revised.csv"]);
    assert_eq!(
        (kept(dir, "2022Q3"), kept(dir, "2023Q3")),
        (2, 2),
        "the quarter and the one a year later"
    );
    run(&["recompute", "--period", "2023Q3"]);
    let revised = (1_000_000.0 + 500_000.0) / (700_000.0 + 600_000.0) * 100.0 - 100.0;
    assert_close(value(dir, "2023Q3", yoy), revised);
    // as the data stood before the revision: the first partials
    run(&["recompute", "--period", "2023Q3", "--as-of", "2024-06-01"]);
    assert_close(value(dir, "2023Q3", yoy), first);
    assert_eq!((kept(dir, "2022Q3"), kept(dir, "2023Q3")), (2, 2), "read, not computed again");

    // partials lost: the run computes them from the records again, the same values
    std::fs::remove_dir_all(dir.join("data/aggregates")).unwrap();
    run(&["recompute", "--period", "2023Q3"]);
    assert_close(value(dir, "2023Q3", yoy), revised);
    assert_close(value(dir, "2023Q3", ytd), 180.0);
    assert_eq!(kept(dir, "2023Q3"), 1, "kept again");
}

#[track_caller]
fn assert_close(got: Option<f64>, expected: f64) {
    let got = got.unwrap_or_else(|| panic!("absent, expected {expected}"));
    assert!(
        (got - expected).abs() <= 1e-9 * expected.abs().max(1.0),
        "got {got}, expected {expected}"
    );
}
