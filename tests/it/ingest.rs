//! Loading observations: formats, aliases, units, vintages, and every kind of bad input —
//! each rejected whole with the message a user reads, quarantined, the store unchanged.

use seimon::ingest::{self, Options, Outcome, Rejection};
use seimon::model::period::Period;
use seimon::store::Store;
use tempfile::TempDir;

use crate::support::{catalogue, seimon, snapshot, stderr, stdout};

const HEADER: &str = "period,region_code,industry_code,indicator,value,unit,yoy_pct,release_date\n";
const BASE: &str =
    "2025Q3,340100,NGIT,operating_income,1234.5,亿元,12.3,2025-10-20\n2025Q3,340000,NGIT,operating_income,5000,亿元,10.1,2025-10-20\n";

fn options() -> Options {
    Options {
        today: chrono::NaiveDate::from_ymd_opt(2025, 11, 1),
        ..Options::default()
    }
}

/// A store that already holds data of every kind, so "unchanged" means something.
fn base_store() -> (TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("data")).unwrap();
    let files = [
        ("base.csv", format!("{HEADER}{BASE}")),
        (
            "targets.csv",
            "kind,region_code,industry_code,indicator,base_year,target_year,multiple\nlevel,340000,NGIT,operating_income,2020,2025,2\n"
                .to_string(),
        ),
        (
            "projects.csv",
            format!("{PROJECT_HEADER}P1,一号项目,340102,NGIT,2025Q3,100,40,20,亿元,2025-03,2025-04,2026-06,\n"),
        ),
        (
            "mapping.csv",
            "class_code,industry_code,catalogue\n3971,NGIT,anhui-2021\n".to_string(),
        ),
        (
            "firms.csv",
            format!("{FIRM_HEADER}2025Q3,{},340102,3971,10,9,1,亿元\n", crate::support::uscc(1)),
        ),
    ];
    for (name, text) in files {
        let out = ingest::ingest_bytes(&store, &catalogue(), name, text.as_bytes(), &options()).unwrap();
        assert!(matches!(out, Outcome::Accepted { .. }), "{name}: {out:?}");
    }
    (dir, store)
}

const PROJECT_HEADER: &str = "project_id,name,region_code,industry_code,period,total_investment,annual_plan_investment,completed_investment_ytd,unit,planned_start,actual_start,planned_completion,actual_completion\n";
const FIRM_HEADER: &str = "period,enterprise_id,region_code,class_code,output_value,operating_income,profit,unit\n";

/// Loads `bytes` expecting a rejection; checks the store did not change and the file and
/// its report are in quarantine. Returns the rejection.
fn rejected(name: &str, bytes: &[u8]) -> Rejection {
    let (_dir, store) = base_store();
    let before = snapshot(&store);
    let files_before = store.files().unwrap();
    let outcome = ingest::ingest_bytes(&store, &catalogue(), name, bytes, &options()).unwrap();
    let Outcome::Rejected(r) = outcome else {
        panic!("expected a rejection, got {outcome:?}")
    };
    assert_eq!(snapshot(&store), before, "a rejected file changes nothing stored");
    assert_eq!(store.files().unwrap(), files_before, "the ledger of accepted files is unchanged");
    assert_eq!(
        std::fs::read(&r.quarantined).unwrap(),
        bytes,
        "the file is kept in quarantine as it was"
    );
    assert_eq!(std::fs::read_to_string(&r.report_path).unwrap(), r.report());
    r
}

fn csv(rows: &str) -> Vec<u8> {
    format!("{HEADER}{rows}").into_bytes()
}

#[test]
fn unknown_industry_and_region_codes_are_named_by_row_and_column() {
    let r = rejected(
        "codes.csv",
        &csv(
            "2025Q3,340100,NGIT,operating_income,1,亿元,,\n2025Q3,340100,XYZ,operating_income,1,亿元,,\n2025Q3,349900,NGIT,operating_income,1,亿元,,\n2025Q3,34010,NGIT,operating_income,1,亿元,,\n",
        ),
    );
    let report = r.report();
    assert!(
        report.starts_with("codes.csv rejected: 3 problem(s); nothing was stored"),
        "{report}"
    );
    assert!(
        report.contains("row 3, column industry_code: unknown industry code `XYZ` (not in catalogue anhui-2021)"),
        "{report}"
    );
    assert!(
        report.contains("row 4, column region_code: unknown region code `349900` (not in catalogue anhui-2021)"),
        "{report}"
    );
    assert!(
        report.contains("row 5, column region_code: `34010` is not a six-digit GB/T 2260 region code"),
        "{report}"
    );
}

#[test]
fn unknown_and_misfitting_units() {
    let r = rejected(
        "units.csv",
        &csv("2025Q3,340100,NGIT,operating_income,1,美元,,\n2025Q3,340100,NGIT,enterprises,12,万元,,\n2025Q3,340100,NGIT,profit,3,,,\n"),
    );
    let report = r.report();
    assert!(
        report.contains("row 2, column unit: unknown unit `美元` (expected 元, 万元, 亿元, 万亿元, 个, 家 or 项)"),
        "{report}"
    );
    assert!(
        report.contains("row 3, column unit: unit `万元` does not fit indicator `enterprises`, which is held in 个"),
        "{report}"
    );
    assert!(report.contains("row 4, column unit: a value needs its unit"), "{report}");
}

#[test]
fn impossible_period() {
    let r = rejected(
        "period.csv",
        &csv("2025Q5,340100,NGIT,operating_income,1,亿元,,\n2025年1-8月,340100,NGIT,operating_income,1,亿元,,\n"),
    );
    let report = r.report();
    assert!(
        report.contains("row 2, column period: impossible period `2025Q5`: the quarter must be 1 to 4"),
        "{report}"
    );
    assert!(
        report.contains(
            "row 3, column period: impossible period `2025年1-8月`: a cumulative period runs from month 1 to month 3, 6, 9 or 12"
        ),
        "{report}"
    );
}

#[test]
fn text_in_a_number() {
    let r = rejected(
        "text.csv",
        &csv("2025Q3,340100,NGIT,operating_income,12.3a,亿元,,\n2025Q3,340100,LH,operating_income,5,亿元,about 5,\n"),
    );
    let report = r.report();
    assert!(report.contains("row 2, column value: `12.3a` is not a number"), "{report}");
    assert!(report.contains("row 3, column yoy_pct: `about 5` is not a number"), "{report}");
}

#[test]
fn negative_where_impossible_but_not_for_profit() {
    let r = rejected(
        "neg.csv",
        &csv("2025Q3,340100,NGIT,operating_income,-5,亿元,,\n2025Q3,340100,NGIT,profit,-5,亿元,,\n"),
    );
    assert_eq!(r.problems.len(), 1, "{}", r.report());
    assert!(
        r.report()
            .contains("row 2, column value: a negative operating_income is impossible")
    );
}

#[test]
fn duplicate_key_with_different_values_in_one_file() {
    let r = rejected(
        "dup.csv",
        &csv(
            "2025Q3,340100,NGIT,operating_income,10,亿元,,\n2025Q3,340100,NGIT,operating_income,11,亿元,,\n2025Q3,340100,LH,operating_income,10,亿元,,\n2025Q3,340100,LH,operating_income,100000,万元,,\n",
        ),
    );
    assert_eq!(
        r.problems.len(),
        1,
        "the same value in another unit is the same value: {}",
        r.report()
    );
    assert!(
        r.report()
            .contains("row 3: duplicate key (2025Q3, 340100, NGIT, operating_income) with different values than row 2"),
        "{}",
        r.report()
    );
}

#[test]
fn missing_required_column() {
    let r = rejected(
        "cols.csv",
        "period,region_code,industry_code,value,unit\n2025Q3,340100,NGIT,1,亿元\n".as_bytes(),
    );
    assert!(
        r.report().contains(
            "file: missing required column(s) of observations: indicator (found: period, region_code, industry_code, value, unit)"
        ),
        "{}",
        r.report()
    );
}

#[test]
fn empty_files() {
    assert!(rejected("empty.csv", b"").report().contains("file: the file is empty"));
    assert!(rejected("blank.csv", b"\n\n").report().contains("file: the file is empty"));
    assert!(
        rejected("header.csv", HEADER.as_bytes())
            .report()
            .contains("file: the file has a header row but no data rows")
    );
}

#[test]
fn truncated_xlsx() {
    let full = xlsx(&[["2025Q3", "340100", "NGIT", "operating_income", "7", "亿元"]]);
    let r = rejected("cut.xlsx", &full[..full.len() / 2]);
    assert!(
        r.report().contains("file: not a readable XLSX workbook (damaged or truncated?)"),
        "{}",
        r.report()
    );
}

#[test]
fn a_gb18030_file_with_chinese_headers_and_periods_is_accepted() {
    let text = "期别,地区代码,产业代码,指标,本年累计,单位,同比增长（%）,发布日期,来源\n2025年1-9月,340100,NGIT,营业收入,12345678,万元,12.3,2025/10/20,省统计局\n";
    let (bytes, _, _) = encoding_rs::GB18030.encode(text);
    assert!(std::str::from_utf8(&bytes).is_err(), "the fixture is really GB18030");
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let out = ingest::ingest_bytes(&store, &catalogue(), "gb.csv", &bytes, &options()).unwrap();
    assert!(matches!(out, Outcome::Accepted { .. }), "{out:?}");
    let rows = store.observations(None, None).unwrap();
    assert_eq!(rows.len(), 1);
    let o = &rows[0].obs;
    assert_eq!(o.period, Period::new(2025, 3).unwrap());
    assert_eq!(o.indicator, "operating_income");
    assert_eq!(o.value, Some(1234.5678), "12,345,678 万元 = 1,234.5678 亿元");
    assert_eq!(o.yoy_pct, Some(12.3));
    assert_eq!(o.release_date, "2025-10-20");
    assert_eq!(o.source.as_deref(), Some("省统计局"));
}

#[test]
fn a_csv_with_bom_and_the_dashed_period_form() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend(csv("2025-Q3,340100,NGIT,operating_income,5,万亿元,,\n"));
    assert!(matches!(
        ingest::ingest_bytes(&store, &catalogue(), "bom.csv", &bytes, &options()).unwrap(),
        Outcome::Accepted { .. }
    ));
    assert_eq!(store.observations(None, None).unwrap()[0].obs.value, Some(50_000.0));
    assert_eq!(
        store.observations(None, None).unwrap()[0].obs.release_date,
        "2025-11-01",
        "no release date: the load day"
    );
}

fn xlsx(rows: &[[&str; 6]]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["期别", "地区代码", "产业代码", "指标", "本年累计", "单位"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            match cell.parse::<f64>() {
                Ok(v) if c == 4 => sheet.write_number(r as u32 + 1, c as u16, v).unwrap(),
                _ => sheet.write_string(r as u32 + 1, c as u16, *cell).unwrap(),
            };
        }
    }
    book.save_to_buffer().unwrap()
}

#[test]
fn xlsx_and_parquet_are_loaded_like_csv() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let book = xlsx(&[
        ["2025Q3", "340100", "NGIT", "operating_income", "1234.5678", "亿元"],
        ["2025Q3", "340200", "NGIT", "enterprises", "321", "家"],
    ]);
    let out = ingest::ingest_bytes(&store, &catalogue(), "book.xlsx", &book, &options()).unwrap();
    assert!(matches!(out, Outcome::Accepted { ref file, .. } if file.rows == 2), "{out:?}");

    use polars::prelude::*;
    let mut df = df!(
        "period" => ["2025Q2"],
        "region_code" => ["340100"],
        "industry_code" => ["NGIT"],
        "indicator" => ["operating_income"],
        "value" => [987.25f64],
        "unit" => ["亿元"],
        "yoy_pct" => [8.5f64],
    )
    .unwrap();
    let mut buf = Vec::new();
    ParquetWriter::new(&mut buf).finish(&mut df).unwrap();
    let out = ingest::ingest_bytes(&store, &catalogue(), "q2.parquet", &buf, &options()).unwrap();
    assert!(matches!(out, Outcome::Accepted { .. }), "{out:?}");

    let rows = store.observations(None, None).unwrap();
    let find = |region: &str, p: &str, k: &str| {
        rows.iter()
            .find(|s| s.obs.region == region && s.obs.period.to_string() == p && s.obs.indicator == k)
            .map(|s| s.obs.clone())
            .unwrap()
    };
    assert_eq!(find("340100", "2025Q3", "operating_income").value, Some(1234.5678));
    assert_eq!(find("340200", "2025Q3", "enterprises").value, Some(321.0));
    let q2 = find("340100", "2025Q2", "operating_income");
    assert_eq!((q2.value, q2.yoy_pct), (Some(987.25), Some(8.5)));
}

#[test]
fn the_same_file_twice_changes_nothing_and_a_changed_value_is_a_new_vintage() {
    let (_dir, store) = base_store();
    let before = snapshot(&store);
    let again = ingest::ingest_bytes(&store, &catalogue(), "again.csv", format!("{HEADER}{BASE}").as_bytes(), &options()).unwrap();
    assert!(
        matches!(again, Outcome::AlreadyLoaded { ref file } if file.name == "base.csv"),
        "{again:?}"
    );
    assert_eq!(snapshot(&store), before);

    // A revision: one value changed, one the same (only the changed row is a new vintage).
    let revised = csv(
        "2025Q3,340100,NGIT,operating_income,1240.0,亿元,12.6,2025-11-20\n2025Q3,340000,NGIT,operating_income,5000,亿元,10.1,2025-11-20\n",
    );
    let out = ingest::ingest_bytes(&store, &catalogue(), "rev.csv", &revised, &options()).unwrap();
    let Outcome::Accepted { file, .. } = out else { panic!("{out:?}") };
    assert_eq!((file.rows, file.new_vintages), (2, 1));
    let p = Period::new(2025, 3).unwrap();
    let vintages = store.vintages(p, "340100", "NGIT", "operating_income").unwrap();
    let seen: Vec<_> = vintages
        .iter()
        .map(|v| (v.obs.value.unwrap(), v.obs.release_date.as_str()))
        .collect();
    assert_eq!(
        seen,
        vec![(1234.5, "2025-10-20"), (1240.0, "2025-11-20")],
        "the old vintage is kept"
    );
    let latest = |as_of: Option<&str>| {
        store
            .observations(as_of, None)
            .unwrap()
            .into_iter()
            .find(|s| s.obs.region == "340100")
            .unwrap()
            .obs
            .value
    };
    assert_eq!(latest(None), Some(1240.0));
    assert_eq!(latest(Some("2025-11-19")), Some(1234.5), "as of a date before the revision");
}

#[test]
fn the_cli_reports_rejections_with_exit_code_1_and_acceptances_with_0() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, csv("2025Q5,340100,NGIT,operating_income,1,亿元,,\n")).unwrap();
    let good = dir.path().join("good.csv");
    std::fs::write(&good, csv(BASE)).unwrap();
    let env = [("SEIMON_PATHS__DATA", "store")];
    let out = seimon(dir.path(), &["ingest", "bad.csv"], &env);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("bad.csv rejected: 1 problem(s); nothing was stored"), "{err}");
    assert!(
        err.contains("row 2, column period: impossible period `2025Q5`: the quarter must be 1 to 4"),
        "{err}"
    );
    assert!(err.contains("quarantined as store/quarantine/"), "{err}");
    assert!(bad.exists(), "the user's own file is left where it was");

    let out = seimon(dir.path(), &["ingest", "good.csv"], &env);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("accepted good.csv: 2 rows, 2 new vintage(s)"),
        "{}",
        stdout(&out)
    );
    let out = seimon(dir.path(), &["ingest", "good.csv"], &env);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out).contains("unchanged good.csv: the same file was loaded on"),
        "{}",
        stdout(&out)
    );
    let store = Store::open(&dir.path().join("store")).unwrap();
    assert_eq!(store.observation_count().unwrap(), 2);
}

#[test]
fn bad_targets_are_named_by_row_and_column() {
    let r = rejected(
        "targets.csv",
        b"kind,region_code,industry_code,indicator,base_year,target_year,multiple,year,pct\nlevel,340000,NGIT,operating_income,2025,2020,2,,\nspeed,340000,NGIT,operating_income,,,,2025,6\ngrowth,340000,XYZ,operating_income,,,,2025,6\ngrowth,340000,TOTAL,added_value,,,,2025,abc\n",
    );
    let report = r.report();
    assert!(
        report.contains("row 2, column target_year: the target year 2020 must come after the base year 2025"),
        "{report}"
    );
    assert!(
        report.contains("row 3, column kind: unknown target kind `speed`: expected level, growth or share"),
        "{report}"
    );
    assert!(
        report.contains("row 4, column industry_code: unknown industry code `XYZ`"),
        "{report}"
    );
    assert!(report.contains("row 5, column pct: `abc` is not a number"), "{report}");
}

#[test]
fn bad_projects_are_named_by_row_and_column() {
    let rows = [
        "P1,一号项目,340102,NGIT,2025Q3,100,40,20,亿元,2025-13,,,",
        "P2,二号项目,340102,TEN,2025Q3,100,40,20,亿元,2025-03,,,",
        "P3,三号项目,340102,NGIT,2025Q3,100,40,20,亿元,2025-03,2025-05,2026-06,2025-04",
        "P4,四号项目,340102,NGIT,2025Q3,100,-40,20,亿元,,,,",
        "P5,五号项目,340102,NGIT,2025Q3,100,40,20,亿元,,,,",
        "P5,五号项目,340102,NGIT,2025Q3,100,40,25,亿元,,,,",
    ];
    let r = rejected("projects.csv", format!("{PROJECT_HEADER}{}\n", rows.join("\n")).as_bytes());
    let report = r.report();
    assert!(
        report.contains("row 2, column planned_start: `2025-13` is not a month (expected 2025-03)"),
        "{report}"
    );
    assert!(
        report.contains("row 3, column industry_code: a project belongs to one industry; `TEN` is an aggregate"),
        "{report}"
    );
    assert!(
        report.contains("row 4, column actual_completion: completed before it started"),
        "{report}"
    );
    assert!(
        report.contains("row 5, column annual_plan_investment: a negative annual_plan_investment is impossible"),
        "{report}"
    );
    assert!(
        report.contains("row 7: duplicate key (P5, 2025Q3) with different values than row 6"),
        "{report}"
    );
}

#[test]
fn bad_enterprise_records_are_named_by_row_and_column() {
    let good = crate::support::uscc(7);
    let mut broken = good.clone();
    broken.replace_range(17..18, if good.ends_with('0') { "1" } else { "0" });
    let rows = [
        format!("2025Q3,{broken},340102,3971,10,9,1,亿元"),
        format!("2025Q3,{good},340000,3971,10,9,1,亿元"),
        format!("2025Q3,{},340102,39A1,10,9,1,亿元", crate::support::uscc(8)),
        format!("2025Q3,{},340102,3971,-10,9,1,亿元", crate::support::uscc(9)),
        format!("2025Q3,{},340102,3971,10,9,1,", crate::support::uscc(10)),
    ];
    let r = rejected("firms.csv", format!("{FIRM_HEADER}{}\n", rows.join("\n")).as_bytes());
    let report = r.report();
    assert!(
        report.contains(&format!("row 2, column enterprise_id: `{broken}` fails the check character")),
        "{report}"
    );
    assert!(
        report.contains("row 3, column region_code: an enterprise is located in a county or city, not a province"),
        "{report}"
    );
    assert!(
        report.contains("row 4, column class_code: `39A1` is not a four-digit GB/T 4754 class"),
        "{report}"
    );
    assert!(
        report.contains("row 5, column output_value: a negative output_value is impossible"),
        "{report}"
    );
    assert!(report.contains("row 6, column unit: money values need their unit"), "{report}");
}

#[test]
fn bad_class_mappings_are_named_by_row_and_column() {
    let r = rejected(
        "mapping.csv",
        b"class_code,industry_code,catalogue\n397,NGIT,anhui-2021\n3971,TEN,anhui-2021\n3971,NGIT,jilin-2018\n",
    );
    let report = r.report();
    assert!(
        report.contains("row 2, column class_code: `397` is not a four-digit GB/T 4754 class"),
        "{report}"
    );
    assert!(
        report.contains("row 3, column industry_code: `TEN` is an aggregate: map classes to the catalogue's industries"),
        "{report}"
    );
    assert!(
        report.contains("row 4, column catalogue: mapping for catalogue `jilin-2018`, but the active catalogue is `anhui-2021`"),
        "{report}"
    );
}

#[test]
fn a_file_of_an_unknown_shape_names_the_missing_columns() {
    let r = rejected("firms.csv", b"period,enterprise_id,region_code\n2025Q3,x,340102\n");
    assert!(
        r.report().contains("missing required column(s) of enterprises: class_code"),
        "{}",
        r.report()
    );
}

/// A Parquet file of enterprise records is checked column by column from the frame as it
/// is — numbers stored as numbers, a region code stored as an integer — with every bad row
/// named as a spreadsheet would number it (header = row 1).
#[test]
fn bad_enterprise_records_in_parquet_are_named_by_row_and_column() {
    use polars::prelude::*;
    let (a, b) = (crate::support::uscc(21), crate::support::uscc(22));
    let mut df = df!(
        "period" => ["2025Q3", "2025Q3", "2025Q3", "2025Q3", "2025Q3"],
        "enterprise_id" => [a.as_str(), b.as_str(), b.as_str(), a.as_str(), a.as_str()],
        "region_code" => [340102i64, 340000, 340102, 340102, 340102],
        "class_code" => ["3971", "3971", "3971", "3971", "3971"],
        "output_value" => [10.0f64, 10.0, f64::NAN, 12.0, 10.0],
        "operating_income" => [9.0f64, 9.0, 9.0, 9.0, 9.0],
        "profit" => [1.0f64, 1.0, 1.0, 1.0, 1.0],
        "unit" => ["万元"; 5],
    )
    .unwrap();
    let mut buf = Vec::new();
    ParquetWriter::new(&mut buf).finish(&mut df).unwrap();
    let r = rejected("firms.parquet", &buf);
    let report = r.report();
    assert!(
        report.starts_with("firms.parquet rejected: 3 problem(s); nothing was stored"),
        "{report}"
    );
    assert!(
        report.contains("row 3, column region_code: an enterprise is located in a county or city, not a province"),
        "{report}"
    );
    assert!(report.contains("row 4, column output_value: `NaN` is not a number"), "{report}");
    assert!(
        report.contains(&format!("row 5: duplicate key (2025Q3, {a}) with different values than row 2")),
        "{report}"
    );
    assert!(!report.contains("row 6"), "the same row twice is one record: {report}");
}
