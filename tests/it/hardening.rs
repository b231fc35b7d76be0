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
    let mut env = daemon_env().to_vec();
    env.push(("SEIMON_SCHEDULE__INBOX_POLL_SECS", "1"));
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

fn daemon_env() -> [(&'static str, &'static str); 5] {
    [
        ("SEIMON_API__TOKEN", TOKEN),
        ("SEIMON_API__LISTEN", "127.0.0.1:0"),
        ("SEIMON_PATHS__DATA", "data"),
        ("SEIMON_PATHS__REPORTS", "reports"),
        ("SEIMON_PATHS__INBOX", "inbox"),
    ]
}

/// Starts a request with `head` (its header lines), writes up to `body` bytes of body
/// as fast as the server takes them, and reads the answer: (status, JSON body, bytes of
/// the body written when the answer came).
fn upload(addr: &str, head: &str, body: usize) -> (u16, serde_json::Value, usize) {
    use std::io::Read;
    let stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(30))).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let written = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = written.clone();
    let head = format!("{head}Content-Length: {body}\r\n\r\n");
    let sending = std::thread::spawn(move || {
        if writer.write_all(head.as_bytes()).is_err() {
            return;
        }
        let chunk = vec![b'1'; 64 * 1024];
        while counter.load(std::sync::atomic::Ordering::SeqCst) < body {
            if writer.write_all(&chunk).is_err() {
                return; // the server closed the connection: it is not reading
            }
            counter.fetch_add(chunk.len(), std::sync::atomic::Ordering::SeqCst);
        }
    });
    let mut answer = Vec::new();
    let mut reader = &stream;
    let mut buf = [0u8; 4096];
    // the status line and headers, then whatever body came with them
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = reader.read(&mut buf).expect("an answer before the upload ends");
        assert!(n > 0, "the connection closed without an answer");
        answer.extend_from_slice(&buf[..n]);
    }
    let at = written.load(std::sync::atomic::Ordering::SeqCst);
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (headers, mut rest) = text.split_once("\r\n\r\n").map(|(h, b)| (h.to_string(), b.to_string())).unwrap();
    let length: usize = headers
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap())
        })
        .unwrap_or(0);
    while rest.len() < length {
        let n = reader.read(&mut buf).unwrap();
        assert!(n > 0);
        rest.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    drop(stream);
    let _ = sending.join();
    let status = headers.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, json(&rest), at)
}

#[test]
fn an_unauthenticated_upload_is_refused_before_it_is_read() {
    let tmp = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(tmp.path(), &daemon_env());
    let (status, _) = http(&daemon.addr, "GET", "/healthz", None, b"");
    assert_eq!(status, 200);
    let before = daemon.peak_kib();
    const UPLOAD: usize = 200 * 1000 * 1000;
    let head = |auth: &str| format!("POST /api/v1/files?name=big.csv HTTP/1.1\r\nHost: x\r\n{auth}");
    // six at once, as an attacker would
    let answers: Vec<_> = std::thread::scope(|s| {
        let spawned: Vec<_> = (0..6).map(|_| s.spawn(|| upload(&daemon.addr, &head(""), UPLOAD))).collect();
        spawned.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (status, body, written) in &answers {
        assert_eq!(*status, 401, "{body}");
        assert_eq!(body["error"], "a valid bearer token is required");
        assert!(*written < UPLOAD / 4, "refused after {written} of {UPLOAD} bytes");
    }
    let grown = daemon.peak_kib().saturating_sub(before);
    assert!(grown < 64 * 1024, "the daemon's peak memory grew by {grown} KiB");

    // with the token, a declared size over the route's limit is refused at once, in JSON
    let (status, body, written) = upload(&daemon.addr, &head(&format!("Authorization: Bearer {TOKEN}\r\n")), 300 << 20);
    assert_eq!(status, 413, "{body}");
    assert!(body["error"].as_str().unwrap().contains("larger than this route accepts"), "{body}");
    assert!(written < 64 << 20, "refused after {written} bytes");
    // a run request has a small limit of its own
    let (status, body, _) = upload(
        &daemon.addr,
        &format!("POST /api/v1/runs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"),
        1 << 20,
    );
    assert_eq!(
        (status, body["error"].as_str().map(|e| e.contains("(64 KiB)"))),
        (413, Some(true)),
        "{body}"
    );
    // the scheme is case-insensitive
    let mut stream = std::net::TcpStream::connect(&daemon.addr).unwrap();
    write!(stream, "GET /api/v1/periods HTTP/1.0\r\nauthorization: bearer {TOKEN}\r\n\r\n").unwrap();
    let mut answer = String::new();
    std::io::Read::read_to_string(&mut stream, &mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.0 200"), "{answer}");
}

#[test]
fn an_empty_api_token_is_a_configuration_error() {
    let tmp = tempfile::tempdir().unwrap();
    let mut env = daemon_env();
    env[0] = ("SEIMON_API__TOKEN", " ");
    let out = seimon(tmp.path(), &["serve"], &env);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("the API token is empty"), "{}", stderr(&out));
}

/// Observations of every region and industry of the catalogue, three indicators, 2020–2025:
/// a store large enough that reading all of it takes a while.
fn many_observations() -> String {
    let catalogue = crate::support::catalogue();
    let mut text = String::from("period,region_code,industry_code,indicator,value,unit,release_date\n");
    for year in 2020..=2025 {
        for q in 1..=4 {
            for r in &catalogue.regions {
                for i in &catalogue.industries {
                    for k in ["operating_income", "output_value", "profit"] {
                        text.push_str(&format!("{year}Q{q},{},{},{k},{},亿元,{year}-12-01\n", r.code, i.code, 10 + q));
                    }
                }
            }
        }
    }
    text
}

#[test]
fn healthz_answers_under_two_hundred_slow_requests_and_sigterm_ends_the_process() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let store = Store::open(&tmp.path().join("data")).unwrap();
        let options = seimon::ingest::Options {
            today: chrono::NaiveDate::from_ymd_opt(2026, 1, 10),
            ..Default::default()
        };
        let text = many_observations();
        let out = seimon::ingest::ingest_bytes(&store, &crate::support::catalogue(), "many.csv", text.as_bytes(), &options).unwrap();
        assert!(matches!(out, seimon::ingest::Outcome::Accepted { .. }), "{out:?}");
        assert!(store.observation_count().unwrap() > 50_000);
    }
    let mut daemon = Daemon::start(tmp.path(), &daemon_env());
    let addr = daemon.addr.clone();
    // 100 clients that never finish their request, 100 that ask for every period's completeness
    let stalled: Vec<std::net::TcpStream> = (0..100)
        .map(|_| {
            let mut s = std::net::TcpStream::connect(&addr).unwrap();
            write!(s, "GET /api/v1/periods HTTP/1.1\r\nAuthorization: Bearer {TOKEN}\r\n").unwrap();
            s
        })
        .collect();
    let latencies = std::thread::scope(|s| {
        let readers: Vec<_> = (0..100)
            .map(|_| s.spawn(|| http(&addr, "GET", "/api/v1/periods", Some(TOKEN), b"").0))
            .collect();
        std::thread::sleep(std::time::Duration::from_millis(300));
        let latencies: Vec<std::time::Duration> = (0..10)
            .map(|_| {
                let t = std::time::Instant::now();
                let (status, body) = http(&addr, "GET", "/healthz", None, b"");
                assert_eq!(status, 200, "{body}");
                t.elapsed()
            })
            .collect();
        for r in readers {
            let status = r.join().unwrap();
            assert!(status == 200 || status == 503, "{status}");
        }
        latencies
    });
    let worst = latencies.iter().max().unwrap();
    eprintln!("/healthz under load: {latencies:?}");
    assert!(worst.as_secs_f64() < 5.0, "healthz took {worst:?} (requests time out at 20 s)");

    // SIGTERM with the stalled requests still open: the process ends within its grace
    let t = std::time::Instant::now();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &daemon.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let exit = poll("the daemon to exit", || daemon.child.try_wait().unwrap());
    assert_eq!(exit.code(), Some(0));
    assert!(t.elapsed().as_secs() < 40, "took {:?} to stop", t.elapsed());
    drop(stalled);
}

/// The header and two good rows of an observations file; `middle` goes between them.
fn observations_with(middle: &str) -> String {
    format!(
        "period,region_code,industry_code,indicator,value,unit,release_date,source\n\
         2025Q3,340000,TEN,operating_income,345,亿元,2025-10-20,省统计局\n{middle}\
         2025Q3,340100,TEN,operating_income,112,亿元,2025-10-20,省统计局\n"
    )
}

/// Loads `text` as `name` through the CLI into a fresh store: (exit code, stderr, rows stored).
fn ingest_text(name: &str, text: &str, env: &[(&str, &str)]) -> (Option<i32>, String, i64) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(name), text).unwrap();
    let mut all = vec![("SEIMON_PATHS__DATA", "data")];
    all.extend_from_slice(env);
    let out = seimon(dir.path(), &["ingest", name], &all);
    let stored = Store::open(&dir.path().join("data")).unwrap().observation_count().unwrap();
    (out.status.code(), stderr(&out), stored)
}

#[test]
fn a_quote_never_closed_rejects_the_file_naming_the_row() {
    let (code, err, stored) = ingest_text(
        "quote.csv",
        &observations_with("2025Q3,340200,TEN,operating_income,80,亿元,2025-10-20,\"芜湖市统计局\n"),
        &[],
    );
    assert_eq!((code, stored), (Some(1), 0), "{err}");
    assert!(
        err.contains("row 3: a quote opened in this row is not closed where the row ends"),
        "{err}"
    );
    // quotes that are closed are fine, commas inside them included
    let (code, err, stored) = ingest_text(
        "quoted.csv",
        &observations_with("2025Q3,340200,TEN,operating_income,80,亿元,2025-10-20,\"芜湖市统计局, 第三季度\"\n"),
        &[],
    );
    assert_eq!((code, stored), (Some(0), 3), "{err}");
}

#[test]
fn a_row_cut_short_is_named_as_such() {
    let (code, err, stored) = ingest_text("short.csv", &observations_with("2025Q3,340200,TEN\n"), &[]);
    assert_eq!((code, stored), (Some(1), 0), "{err}");
    assert!(err.contains("row 3: the row has 3 fields, the header 8"), "{err}");
    // optional columns left off the end are fine
    let (code, err, stored) = ingest_text(
        "trailing.csv",
        &observations_with("2025Q3,340200,TEN,operating_income,80,亿元\n"),
        &[],
    );
    assert_eq!((code, stored), (Some(0), 3), "{err}");
}

#[test]
fn a_cell_of_fifty_megabytes_is_named_not_repeated_in_the_message() {
    let cell = "x".repeat(50 << 20);
    let (code, err, stored) = ingest_text(
        "long-cell.csv",
        &observations_with(&format!("2025Q3,{cell},TEN,operating_income,80,亿元,2025-10-20,\n")),
        &[],
    );
    assert_eq!((code, stored), (Some(1), 0), "{}", &err[..err.len().min(2000)]);
    assert!(err.len() < 4096, "the message is {} bytes", err.len());
    let shown = format!(
        "row 3, column region_code: `{}… ({} bytes in all)` is not a six-digit GB/T 2260 region code",
        "x".repeat(80),
        50 << 20
    );
    assert!(err.contains(&shown), "{err}");
}

#[test]
fn a_value_that_overflows_in_its_canonical_unit_is_rejected_naming_the_row() {
    let (code, err, stored) = ingest_text(
        "huge.csv",
        &observations_with("2025Q3,340200,TEN,operating_income,1e308,万亿元,2025-10-20,\n"),
        &[],
    );
    assert_eq!((code, stored), (Some(1), 0), "{err}");
    assert!(
        err.contains("row 3, column value: `1e308` is beyond any plausible figure: in 亿元 it would be inf"),
        "{err}"
    );
    let (code, err, _) = ingest_text(
        "growth.csv",
        &observations_with("2025Q3,340200,TEN,operating_income,80,亿元,2025-10-20,\n")
            .replace("release_date,source", "release_date,source,yoy_pct")
            .replace("省统计局\n2025Q3,340200", "省统计局,1e300\n2025Q3,340200"),
        &[],
    );
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("row 2, column yoy_pct: a growth rate beyond ±100000 % is not plausible"),
        "{err}"
    );
}

#[test]
fn periods_and_release_dates_far_ahead_are_rejected_within_a_configurable_horizon() {
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let (code, err, stored) = ingest_text(
        "future.csv",
        &observations_with(
            "2199Q4,340200,TEN,operating_income,80,亿元,2025-10-20,\n2025Q3,340300,TEN,operating_income,50,亿元,2199-10-20,\n",
        ),
        &[],
    );
    assert_eq!((code, stored), (Some(1), 0), "{err}");
    assert!(err.contains("row 3, column period: 2199Q4 has not ended by"), "{err}");
    assert!(
        err.contains(&format!(
            "row 4, column release_date: release date 2199-10-20 lies more than 92 days after today ({today})"
        )),
        "{err}"
    );
    // a release date next month is fine; with a horizon of 0 days it is not
    let soon = (today + chrono::Duration::days(20)).to_string();
    let text = observations_with(&format!("2025Q3,340200,TEN,operating_income,80,亿元,{soon},\n"));
    let (code, err, stored) = ingest_text("soon.csv", &text, &[]);
    assert_eq!((code, stored), (Some(0), 3), "{err}");
    let (code, err, _) = ingest_text("soon.csv", &text, &[("SEIMON_INGEST__HORIZON_DAYS", "0")]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("lies more than 0 days after today"), "{err}");
}

#[test]
fn the_same_rejected_file_keeps_one_copy_and_the_quarantine_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let env = [("SEIMON_PATHS__DATA", "data"), ("SEIMON_ARCHIVE__KEEP_QUARANTINED", "3")];
    std::fs::write(dir.path().join("bad.csv"), "period,region_code\n2025Q3,340000\n").unwrap();
    for _ in 0..3 {
        assert_eq!(seimon(dir.path(), &["ingest", "bad.csv"], &env).status.code(), Some(1));
    }
    assert_eq!(quarantined(&dir.path().join("data")).len(), 2, "one copy and its report");
    for i in 0..5 {
        std::fs::write(
            dir.path().join(format!("bad{i}.csv")),
            format!("period,region_code\n2025Q3,34000{i}\n"),
        )
        .unwrap();
        assert_eq!(seimon(dir.path(), &["ingest", &format!("bad{i}.csv")], &env).status.code(), Some(1));
    }
    let names = quarantined(&dir.path().join("data"));
    assert_eq!(names.len(), 6, "the newest three with their reports: {names:?}");
    assert!(
        ["bad2.csv", "bad3.csv", "bad4.csv"]
            .iter()
            .all(|f| names.iter().any(|n| n.ends_with(&format!("-{f}")))),
        "{names:?}"
    );
}

#[test]
fn the_same_data_give_a_byte_identical_indicators_csv() {
    let dir = tempfile::tempdir().unwrap();
    let out = seimon(dir.path(), &["demo"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let period = std::fs::read_dir(dir.path().join("reports"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .find(|n| !n.contains('.'))
        .expect("the demo's period folder");
    let csv = dir.path().join("reports").join(&period).join("indicators.csv");
    let first = std::fs::read(&csv).unwrap();
    assert!(
        String::from_utf8_lossy(&first).contains(",cr4_pct,"),
        "enterprise measures are among them"
    );
    for _ in 0..3 {
        let out = seimon(
            dir.path(),
            &["recompute", "--period", &period],
            &[("SEIMON_PATHS__DATA", "demo-data")],
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(
            std::fs::read(&csv).unwrap() == first,
            "a recompute on the same data wrote other bytes"
        );
    }
}
