//! Helpers shared by the integration tests.

use std::path::Path;
use std::process::{Command, Output};

use seimon::catalogue::Catalogue;
use seimon::store::{Store, StoredObservation};

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

/// Everything the store holds about observations: every vintage of every key.
pub fn snapshot(store: &Store) -> (i64, Vec<StoredObservation>) {
    (store.observation_count().unwrap(), store.observations(None, None).unwrap())
}

pub fn catalogue() -> Catalogue {
    Catalogue::anhui()
}
