//! Helpers shared by the integration tests.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use seimon::model::catalogue::Catalogue;
use seimon::model::observation::Project;
use seimon::model::target::Target;
use seimon::store::{EnterpriseBatch, Store, StoredObservation};

/// Runs the real `seimon` binary in `dir` with a clean `SEIMON_*` environment.
pub fn seimon(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_seimon"));
    cmd.current_dir(dir).args(args).env("RUST_LOG", "warn");
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("SEIMON_")) {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the seimon binary runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Everything the store holds: observations (all vintages), targets, projects, the class
/// mapping, enterprise batches (and the bytes of their Parquet files).
#[derive(Debug, PartialEq)]
pub struct Snapshot {
    observation_rows: i64,
    observations: Vec<StoredObservation>,
    targets: Vec<Target>,
    projects: Vec<Project>,
    mapping: Vec<(String, String)>,
    batches: Vec<EnterpriseBatch>,
    parquet: Vec<Vec<u8>>,
}

pub fn snapshot(store: &Store) -> Snapshot {
    let batches = store.enterprise_batches(None, None).unwrap();
    Snapshot {
        observation_rows: store.observation_count().unwrap(),
        observations: store.observations(None, None).unwrap(),
        targets: store.targets(None).unwrap(),
        projects: store.projects(None, None).unwrap(),
        mapping: store.mapping("anhui-2021", None).unwrap(),
        parquet: batches.iter().map(|b| std::fs::read(&b.path).unwrap()).collect(),
        batches,
    }
}

/// A valid unified social credit code for a test enterprise number.
pub fn uscc(n: u32) -> String {
    let body = format!("91340100MA2N0B{n:03}");
    format!("{body}{}", seimon::model::uscc::check_char(&body).unwrap())
}

pub fn catalogue() -> Catalogue {
    Catalogue::anhui()
}

/// Polls `check` every 200 ms until it gives a value, for at most three minutes.
pub fn poll<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// One HTTP/1.0 request; returns (status, body).
pub fn http(addr: &str, method: &str, path: &str, token: Option<&str>, body: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: {addr}\r\n{auth}Content-Length: {}\r\nContent-Type: application/json\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(body).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = text.split_once("\r\n\r\n").map_or(String::new(), |(_, b)| b.to_string());
    (status, body)
}

pub fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

/// `seimon serve` started in `dir` with `env` (log lines, at info, in `dir/serve.log`),
/// once it listens.
pub struct Daemon {
    pub child: Child,
    pub addr: String,
}

impl Daemon {
    pub fn start(dir: &Path, env: &[(&str, &str)]) -> Daemon {
        let log = std::fs::File::create(dir.join("serve.log")).unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_seimon"));
        command.current_dir(dir).arg("serve").env("RUST_LOG", "info");
        for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("SEIMON_")) {
            command.env_remove(k);
        }
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.stdout(Stdio::piped()).stderr(log).spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("the daemon did not start: {line}"))
            .to_string();
        Daemon { child, addr }
    }

    /// The process's peak resident memory so far (VmHWM), in KiB.
    pub fn peak_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM in /proc/<pid>/status")
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Debian's Chromium, which `tests/run` installs.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// A headless Chromium with a window of `size` and the flags this machine's closed network
/// needs, plus `extra`; none when it is not installed and `SEIMON_REQUIRE_CHROMIUM` is unset
/// (`tests/run` sets it: there a missing Chromium fails the test).
pub fn chromium(size: (u32, u32), extra: &[&str]) -> Option<headless_chrome::Browser> {
    if !Path::new(CHROMIUM).exists() {
        assert!(
            std::env::var_os("SEIMON_REQUIRE_CHROMIUM").is_none(),
            "Chromium is required here but {CHROMIUM} is missing"
        );
        eprintln!("skipped the browser part: {CHROMIUM} is not installed (bash tests/run installs it)");
        return None;
    }
    let args = [
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
    ];
    let options = headless_chrome::LaunchOptions::default_builder()
        .path(Some(CHROMIUM.into()))
        .headless(true)
        .sandbox(false)
        .window_size(Some(size))
        .args(args.iter().chain(extra).map(std::ffi::OsStr::new).collect())
        .build()
        .unwrap();
    Some(headless_chrome::Browser::new(options).expect("Chromium starts"))
}

/// What one of poppler's tools (`pdftotext`, `pdffonts`, `pdftoppm`, `pdfinfo`) prints;
/// none when poppler is not installed and `SEIMON_REQUIRE_POPPLER` is unset (`tests/run`
/// sets it and installs poppler-utils).
pub fn poppler(tool: &str, args: &[&str]) -> Option<String> {
    match Command::new(tool).args(args).output() {
        Ok(out) => {
            assert!(out.status.success(), "{tool} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
            Some(String::from_utf8(out.stdout).expect("poppler prints UTF-8"))
        }
        Err(e) => {
            assert!(
                std::env::var_os("SEIMON_REQUIRE_POPPLER").is_none(),
                "poppler's {tool} is required here: {e}"
            );
            eprintln!("skipped the PDF read-back: {tool} is not installed (bash tests/run installs poppler-utils)");
            None
        }
    }
}
