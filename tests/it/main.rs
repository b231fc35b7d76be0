//! seimon's integration tests: one binary, a module per capability. Tests use real files,
//! the real embedded store in a fresh temporary directory, and the real `seimon` binary.

mod aggregates;
mod architecture;
mod browser;
mod chains;
mod cli;
mod console;
mod delivery;
mod demo;
mod disclosure;
mod hardening;
mod history;
mod ingest;
mod measures;
mod national;
mod pdf;
mod profiles;
mod risk;
mod robots;
mod schedule;
mod scheme;
mod serve;
mod support;
