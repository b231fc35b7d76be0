//! The pipeline's speed at province scale: `bash benches/run`.
//!
//! Builds the Anhui demo data set (17 regions × 12 industries × 5 indicators × 23
//! quarters of published aggregates, about 1,500 enterprises' quarterly records, 80 major
//! projects) in a temporary directory, loads it through the normal loader, and runs one
//! quarter several times. Prints each stage's time (median of the runs) and the peak
//! memory of the process.

use std::time::Instant;

use seimon::config::Settings;
use seimon::ingest::{self, Outcome};
use seimon::period::Period;
use seimon::pipeline::{RunOptions, Seimon, Trigger};

const RUNS: usize = 5;

/// The benchmark's directory, removed at the end.
struct Cleanup(std::path::PathBuf);

impl Cleanup {
    fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn peak_memory_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let root = std::env::temp_dir().join(format!("seimon-bench-{}", std::process::id()));
    std::fs::create_dir_all(&root).expect("a temporary directory");
    let tmp = Cleanup(root);
    let settings = Settings::defaults().rooted(tmp.path());
    let through = Period::new(2025, 3).expect("valid");
    let shape = seimon::demo::shape("anhui").expect("the Anhui demo");

    let t = Instant::now();
    let files = seimon::demo::write_files(&shape, &tmp.path().join("input"), through).expect("demo files");
    let generate = t.elapsed().as_secs_f64() * 1e3;

    let app = Seimon::open(settings).expect("the store opens");
    let t = Instant::now();
    let mut rows = 0;
    for f in &files {
        match ingest::ingest_path(&app.store, &app.settings.catalogue, f, &ingest::Options::default()).expect("loads") {
            Outcome::Accepted { file, .. } => rows += file.rows,
            other => panic!("{}: {other:?}", f.display()),
        }
    }
    let load_files = t.elapsed().as_secs_f64() * 1e3;

    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let stages = ["load", "compute", "risk", "render", "write"];
    let mut times: Vec<Vec<f64>> = vec![vec![]; stages.len() + 1];
    let mut reports = 0;
    let mut measures = 0;
    for _ in 0..RUNS {
        let t = Instant::now();
        let summary = runtime
            .block_on(app.run_quarter(RunOptions {
                period: through,
                as_of: None,
                send: false,
                only_if_changed: false,
                trigger: Trigger::Cli,
                notes: vec![],
            }))
            .expect("the quarter runs");
        times[stages.len()].push(t.elapsed().as_secs_f64() * 1e3);
        for (i, s) in stages.iter().enumerate() {
            times[i].push(summary.timings_ms.get(s).copied().unwrap_or_default() as f64);
        }
        reports = summary.outputs.iter().filter(|o| o.ends_with(".html")).count();
        measures = summary.measures;
    }

    println!("seimon pipeline benchmark — province scale (Anhui demo, {through})");
    println!("machine: {} cores", std::thread::available_parallelism().map_or(0, |n| n.get()));
    println!("{:<44} {:>10}", "stage", "ms");
    println!("{:<44} {:>10.0}", "generate the demo files", generate);
    println!(
        "{:<44} {:>10.0}",
        format!("load {} files ({rows} rows) into the store", files.len()),
        load_files
    );
    for (i, s) in stages.iter().enumerate() {
        let what = match *s {
            "load" => "read the store (latest vintages)".to_string(),
            "compute" => format!("compute all measures ({measures} for the quarter)"),
            "risk" => "evaluate risk rules and data quality".to_string(),
            "render" => format!("render the report set ({reports} reports, charts, xlsx)"),
            _ => "write the report folder and e-mails".to_string(),
        };
        println!("{:<44} {:>10.0}", what, median(times[i].clone()));
    }
    println!(
        "{:<44} {:>10.0}",
        format!("whole quarter (median of {RUNS} runs)"),
        median(times[stages.len()].clone())
    );
    println!("{:<44} {:>10.0}", "peak memory (MiB)", peak_memory_mib());
}
