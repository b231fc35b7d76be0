//! Helpers shared by the integration tests.

use std::path::Path;
use std::process::{Command, Output};

use seimon::catalogue::Catalogue;
use seimon::store::{EnterpriseBatch, Project, Store, StoredObservation};
use seimon::targets::Target;

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
    format!("{body}{}", seimon::uscc::check_char(&body).unwrap())
}

pub fn catalogue() -> Catalogue {
    Catalogue::anhui()
}
