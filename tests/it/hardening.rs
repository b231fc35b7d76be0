//! Hostile input and hostile conditions (issue 15): every case is what a user or a broken
//! peer could really do, checked through the real binary, store, daemon or SMTP server —
//! each with the message a user sees and proof that nothing stored was lost or doubled.

use std::io::Write;
use std::path::Path;

use seimon::store::Store;

use crate::support::{Daemon, http, json, poll, seimon, snapshot, stderr, stdout};

const TOKEN: &str = "hardening-token-51c2";

/// A workbook whose one sheet has text in `cells` (row, column; 0-based).
fn sparse_xlsx(cells: &[(u32, u16)]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for &(r, c) in cells {
        sheet.write_string(r, c, "x").unwrap();
    }
    book.save_to_buffer().unwrap()
}

/// `bytes` (a zip) with one more part of `size` zero bytes, deflated: a few hundred KiB on
/// disk that decompress to `size`.
fn with_zero_part(bytes: &[u8], size: usize) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        out.raw_copy_file(archive.by_index_raw(i).unwrap()).unwrap();
    }
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    out.start_file("xl/media/padding.bin", options).unwrap();
    let block = vec![0u8; 1 << 20];
    for _ in 0..size / block.len() {
        out.write_all(&block).unwrap();
    }
    out.finish().unwrap().into_inner()
}

fn quarantined(data: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(data.join("quarantine"))
        .map(|d| d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn an_xlsx_that_declares_a_whole_sheet_is_rejected_not_materialised() {
    let dir = tempfile::tempdir().unwrap();
    // A1 and XFD1048576: a used range of 17 billion cells in a file of a few KiB
    let bomb = sparse_xlsx(&[(0, 0), (1_048_575, 16_383)]);
    assert!(bomb.len() < 16 * 1024, "{} bytes", bomb.len());
    std::fs::write(dir.path().join("bomb.xlsx"), &bomb).unwrap();
    let env = [("SEIMON_PATHS__DATA", "data")];
    let out = seimon(dir.path(), &["ingest", "bomb.xlsx"], &env);
    assert_eq!(out.status.code(), Some(1), "rejected, not aborted: {}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("bomb.xlsx rejected") && err.contains("cell XFD1048576 lies beyond column AMJ: seimon reads at most 1024 columns"),
        "{err}"
    );
    let names = quarantined(&dir.path().join("data"));
    assert!(names.iter().any(|n| n.ends_with("-bomb.xlsx")), "{names:?}");

    // a sparse sheet within the column bound is read as its two rows, and judged on them
    let sparse = sparse_xlsx(&[(0, 0), (1_048_575, 51)]);
    std::fs::write(dir.path().join("sparse.xlsx"), &sparse).unwrap();
    let out = seimon(dir.path(), &["ingest", "sparse.xlsx"], &env);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("missing required column(s) of observations"),
        "{}",
        stderr(&out)
    );
    let store = Store::open(&dir.path().join("data")).unwrap();
    assert_eq!(store.observation_count().unwrap(), 0);
}

#[test]
fn an_xlsx_that_decompresses_to_gigabytes_is_rejected_before_it_is_read() {
    let valid = sparse_xlsx(&[(0, 0)]);
    let bomb = with_zero_part(&valid, 300 << 20);
    assert!(bomb.len() < 2 << 20, "{} bytes on disk", bomb.len());
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("data")).unwrap();
    let before = snapshot(&store);
    let outcome = seimon::ingest::ingest_bytes(&store, &crate::support::catalogue(), "zip.xlsx", &bomb, &Default::default()).unwrap();
    let seimon::ingest::Outcome::Rejected(r) = outcome else {
        panic!("{outcome:?}")
    };
    assert!(
        r.report().contains(
            "file: too large to read: the workbook's part `xl/media/padding.bin` decompresses to more than 256 MiB (it has 300 MiB)"
        ),
        "{}",
        r.report()
    );
    assert_eq!(snapshot(&store), before);
    assert_eq!(std::fs::read(&r.quarantined).unwrap(), bomb, "kept in quarantine as it came");
}

#[test]
fn the_inbox_quarantines_a_hostile_file_and_the_daemon_goes_on_serving() {
    let tmp = tempfile::tempdir().unwrap();
    let env = [
        ("SEIMON_API__TOKEN", TOKEN),
        ("SEIMON_API__LISTEN", "127.0.0.1:0"),
        ("SEIMON_PATHS__DATA", "data"),
        ("SEIMON_PATHS__REPORTS", "reports"),
        ("SEIMON_PATHS__INBOX", "inbox"),
        ("SEIMON_SCHEDULE__INBOX_POLL_SECS", "1"),
    ];
    let daemon = Daemon::start(tmp.path(), &env);
    let inbox = tmp.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    std::fs::write(inbox.join("bomb.xlsx"), sparse_xlsx(&[(0, 0), (1_048_575, 16_383)])).unwrap();
    let long = format!("{}.csv", "安徽省战略性新兴产业季度监测数据".repeat(5));
    assert!(long.len() > 240);
    std::fs::write(inbox.join(&long), "period,region_code\n2025Q3,340000\n").unwrap();
    poll("both files to leave the inbox", || {
        (!inbox.join("bomb.xlsx").exists() && !inbox.join(&long).exists()).then_some(())
    });
    let mut reports: Vec<String> = std::fs::read_dir(inbox.join("quarantine"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".report.txt"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    reports.sort();
    assert_eq!(reports.len(), 2, "{reports:?}");
    assert!(
        reports.iter().any(|r| r.contains("cell XFD1048576 lies beyond column AMJ")),
        "{reports:?}"
    );
    assert!(reports.iter().any(|r| r.contains("missing required column(s)")), "{reports:?}");
    // still serving, and still loading
    let (status, body) = http(&daemon.addr, "GET", "/healthz", None, b"");
    assert_eq!(status, 200, "{body}");
    std::fs::write(
        inbox.join("good.csv"),
        "period,region_code,industry_code,indicator,value,unit\n2025Q3,340000,TEN,operating_income,345,亿元\n",
    )
    .unwrap();
    poll("the good file to be loaded", || {
        let (_, periods) = http(&daemon.addr, "GET", "/api/v1/periods", Some(TOKEN), b"");
        json(&periods).as_array().is_some_and(|p| !p.is_empty()).then_some(())
    });
}

#[test]
fn a_file_with_a_very_long_name_is_loaded_or_quarantined_under_a_shortened_name() {
    let dir = tempfile::tempdir().unwrap();
    let long = format!("{}.csv", "安徽省战略性新兴产业季度监测数据".repeat(5));
    assert!(long.len() > 240);
    std::fs::write(dir.path().join(&long), "period,region_code\n2025Q3,340000\n").unwrap();
    let env = [("SEIMON_PATHS__DATA", "data")];
    let out = seimon(dir.path(), &["ingest", &long], &env);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("missing required column(s)"), "{}", stderr(&out));
    let names = quarantined(&dir.path().join("data"));
    assert_eq!(names.len(), 2, "the file and its report: {names:?}");
    assert!(names.iter().all(|n| n.len() <= 255), "{names:?}");

    std::fs::write(
        dir.path().join(&long),
        "period,region_code,industry_code,indicator,value,unit\n2025Q3,340000,TEN,operating_income,345,亿元\n",
    )
    .unwrap();
    let out = seimon(dir.path(), &["ingest", &long], &env);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("1 rows"), "{}", stdout(&out));
}
