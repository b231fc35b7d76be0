//! The pipeline's speed: `bash benches/run` (every scale) or `seimon-bench province` /
//! `seimon-bench national --enterprises N`.
//!
//! **Province scale**: the Anhui demo data set (17 regions × 12 industries × 5 indicators
//! × 23 quarters of published aggregates, about 1,500 enterprises' quarterly records, 80
//! major projects). **National scale**: `seimon generate` over the national region list —
//! N enterprises above designated size a year over the 31 provinces' counties, every
//! quarter of 2020–2025 (24 × N records), Anhui reported. Either way the data are written
//! as files in a temporary directory, loaded through the normal loader, and one quarter
//! is run several times through `Seimon::run_quarter` with e-mails sent to an SMTP sink on
//! 127.0.0.1 (every audience subscribed, so the whole report set goes through the outbox).
//! Prints each stage's time (the median of the runs; the outbox and sending from the
//! first run, the only one with new messages) and the peak memory of loading and of the
//! runs, each measured on its own (the kernel's high-water mark reset in between).

use std::path::{Path, PathBuf};
use std::time::Instant;

use seimon::config::Settings;
use seimon::ingest::{self, Outcome};
use seimon::model::period::Period;
use seimon::pipeline::{RunOptions, RunSummary, Seimon, Trigger};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// The allocator of the `seimon` binary (src/main.rs), so the figures are its figures.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The benchmark's directory, removed at the end.
struct Cleanup(PathBuf);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The process's peak resident memory since the last [`reset_peak`], in MiB.
fn peak_memory_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Resets the peak to the current resident memory (Linux: `5` to `clear_refs`).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

/// An SMTP server that accepts every message and keeps none: the far end of the outbox.
async fn smtp_sink(listener: tokio::net::TcpListener) {
    while let Ok((socket, _)) = listener.accept().await {
        tokio::spawn(async move {
            let (read, mut write) = socket.into_split();
            let mut read = BufReader::new(read);
            let mut line = Vec::new();
            let mut in_data = false;
            let _ = write.write_all(b"220 seimon-bench ESMTP\r\n").await;
            loop {
                line.clear();
                match read.read_until(b'\n', &mut line).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                let reply: &[u8] = if in_data {
                    if line != b".\r\n" {
                        continue;
                    }
                    in_data = false;
                    b"250 queued\r\n"
                } else {
                    match line.get(..4).map(|c| c.to_ascii_uppercase()).as_deref() {
                        Some(b"EHLO") => b"250-seimon-bench\r\n250 8BITMIME\r\n",
                        Some(b"DATA") => {
                            in_data = true;
                            b"354 end with .\r\n"
                        }
                        Some(b"QUIT") => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            break;
                        }
                        _ => b"250 ok\r\n",
                    }
                };
                if write.write_all(reply).await.is_err() {
                    break;
                }
            }
        });
    }
}

/// The configuration's SMTP section (the sink) and a subscription for every audience of
/// the report set: the province, each member industry, each city.
fn delivery_sections(settings: &Settings, port: u16) -> String {
    let top = &settings.monitor.region;
    let audiences = std::iter::once("province".to_string())
        .chain(settings.catalogue.members().map(|i| format!("industry:{}", i.code)))
        .chain(settings.catalogue.children_of(top).map(|r| format!("city:{}", r.code)));
    let mut text =
        format!("\n[smtp]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"none\"\nfrom = \"产业监测 <monitor@example.org>\"\n");
    for (i, audience) in audiences.enumerate() {
        text.push_str(&format!(
            "\n[[subscriptions]]\naudience = \"{audience}\"\nto = [\"reader{i}@example.org\"]\n"
        ));
    }
    text
}

/// What one scale measured.
struct Measured {
    title: String,
    generate_ms: f64,
    files: usize,
    rows: usize,
    load_ms: f64,
    load_peak: f64,
    runs: Vec<RunSummary>,
    run_ms: Vec<f64>,
    run_peak: f64,
}

/// Loads `files` into a store with `settings` and runs `period` `runs` times.
fn measure(title: String, settings: Settings, files: &[PathBuf], period: Period, runs: usize, generate_ms: f64) -> Measured {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let app = Seimon::open(settings).expect("the store opens");
    reset_peak();
    let t = Instant::now();
    let mut rows = 0;
    for f in files {
        match ingest::ingest_path(&app.store, &app.settings.catalogue, f, &ingest::Options::default()).expect("loads") {
            Outcome::Accepted { file, .. } => rows += file.rows as usize,
            other => panic!("{}: {other:?}", f.display()),
        }
    }
    let load_ms = ms(t);
    let load_peak = peak_memory_mib();
    reset_peak();
    let (mut summaries, mut run_ms) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let t = Instant::now();
        let summary = runtime
            .block_on(app.run_quarter(RunOptions {
                period,
                as_of: None,
                send: true,
                only_if_changed: false,
                trigger: Trigger::Cli,
                notes: vec![],
            }))
            .expect("the quarter runs");
        run_ms.push(ms(t));
        summaries.push(summary);
    }
    Measured {
        title,
        generate_ms,
        files: files.len(),
        rows,
        load_ms,
        load_peak,
        runs: summaries,
        run_ms,
        run_peak: peak_memory_mib(),
    }
}

fn print(m: &Measured) {
    let stage = |s: &str| {
        median(
            m.runs
                .iter()
                .map(|r| r.timings_ms.get(s).copied().unwrap_or_default() as f64)
                .collect(),
        )
    };
    let first = |s: &str| m.runs[0].timings_ms.get(s).copied().unwrap_or_default() as f64;
    let last = m.runs.last().expect("at least one run");
    let reports = last.outputs.iter().filter(|o| o.ends_with(".html")).count();
    let charts = last.outputs.iter().filter(|o| o.starts_with("charts/")).count();
    let sent = m.runs[0].emails.iter().filter(|e| e.status == "sent").count();
    let row = |what: String, v: f64| println!("{what:<58} {v:>10.0}");
    println!("\n{}", m.title);
    println!("machine: {} cores", std::thread::available_parallelism().map_or(0, |n| n.get()));
    println!("{:<58} {:>10}", "stage", "ms");
    row("generate the input files".into(), m.generate_ms);
    row(format!("load {} files ({} rows) into the store", m.files, m.rows), m.load_ms);
    row("  peak memory of loading (MiB)".into(), m.load_peak);
    row("read the store (latest vintages)".into(), stage("load"));
    row(
        format!("compute all measures ({} rows of indicators.csv)", last.measures),
        stage("compute"),
    );
    row("disclosure control (primary, secondary, disclosure.csv)".into(), stage("disclose"));
    row("evaluate risk rules and data quality".into(), stage("risk"));
    row(
        format!("render the report set ({reports} reports, {charts} charts, xlsx)"),
        stage("render"),
    );
    let pdfs = last.outputs.iter().filter(|o| o.ends_with(".pdf")).count();
    row(format!("typeset the reports as PDF ({pdfs} PDFs, A4, typst)"), stage("pdf"));
    row("write the report folder".into(), stage("write"));
    row(
        format!("write the outbox ({} e-mails, first run)", m.runs[0].emails.len()),
        first("outbox"),
    );
    row(format!("send them over SMTP to 127.0.0.1 ({sent} sent, first run)"), first("send"));
    row(
        format!("whole quarter (median of {} runs)", m.run_ms.len()),
        median(m.run_ms.clone()),
    );
    row("  peak memory of the runs (MiB)".into(), m.run_peak);
}

fn province(runs: usize, port: u16) -> Measured {
    let tmp = Cleanup(std::env::temp_dir().join(format!("seimon-bench-{}", std::process::id())));
    std::fs::create_dir_all(&tmp.0).expect("a temporary directory");
    let defaults = Settings::defaults();
    let text = format!("{}{}", seimon::config::DEFAULTS, delivery_sections(&defaults, port));
    let settings = seimon::config::load_text("benchmark", &text, std::iter::empty())
        .expect("the benchmark's configuration")
        .rooted(&tmp.0);
    let through = Period::new(2025, 3).expect("valid");
    let shape = seimon::synth::demo::shape("anhui").expect("the Anhui demo");
    let t = Instant::now();
    let files = seimon::synth::demo::write_files(&shape, &tmp.0.join("input"), through).expect("demo files");
    let generate_ms = ms(t);
    let title = format!("seimon pipeline benchmark — province scale (Anhui demo, {through})");
    measure(title, settings, &files, through, runs, generate_ms)
}

fn national(regions: &Path, enterprises: usize, runs: usize, port: u16) -> Measured {
    let tmp = Cleanup(std::env::temp_dir().join(format!("seimon-bench-{}", std::process::id())));
    let dir = tmp.0.join("national");
    let through = Period::new(2025, 4).expect("valid");
    let options = seimon::synth::generate::Options {
        enterprises,
        first_year: 2020,
        through,
        seed: 2026,
    };
    let t = Instant::now();
    let written = seimon::synth::generate::write(regions, &dir, &options).expect("the national data set");
    let generate_ms = ms(t);
    // the generated configuration's paths are relative to its folder
    std::env::set_current_dir(&dir).expect("the data set's folder");
    let base = std::fs::read_to_string(&written.config).expect("the generated configuration");
    let plain = seimon::config::load_text("generated", &base, std::iter::empty()).expect("valid");
    let text = format!("{base}{}", delivery_sections(&plain, port));
    let settings = seimon::config::load_text("benchmark", &text, std::iter::empty()).expect("the benchmark's configuration");
    let title = format!(
        "seimon pipeline benchmark — national scale ({} regions; {enterprises} enterprises a year, {} records, 2020Q1–{through}; Anhui reported)",
        settings.catalogue.regions.len(),
        written.rows
    );
    measure(title, settings, &written.files, through, runs, generate_ms)
}

fn usage() -> ! {
    eprintln!("usage: seimon-bench province [--runs N]\n       seimon-bench national --regions FILE --enterprises N [--runs N]");
    std::process::exit(2)
}

fn main() {
    seimon::cli::hold_freed_memory();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
    let number = |flag: &str, default: usize| value(flag).map_or(default, |v| v.parse().unwrap_or_else(|_| usage()));
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("a port for the SMTP sink");
    let port = listener.local_addr().expect("bound").port();
    runtime.spawn(smtp_sink(listener));
    let measured = match args.first().map(String::as_str) {
        None | Some("province") => province(number("--runs", 5), port),
        Some("national") => {
            let regions = value("--regions").map(PathBuf::from).unwrap_or_else(|| usage());
            national(&regions, number("--enterprises", 500_000), number("--runs", 3), port)
        }
        _ => usage(),
    };
    print(&measured);
}
