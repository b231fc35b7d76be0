//! seimon: quarterly statistical monitoring of strategic emerging industries.
//!
//! The library holds every stage of the pipeline — ingest → store → compute → render →
//! deliver — and the three doors into it: the CLI, the schedule (with the inbox) and the
//! HTTP API, the last two inside the daemon (`serve`).
//! `main.rs` is a thin shell over [`cli::run`]. See ARCHITECTURE.md for the map.

pub mod api;
pub mod archive;
pub mod assessment;
pub mod catalogue;
pub mod cli;
pub mod compute;
pub mod config;
pub mod deliver;
pub mod demo;
pub mod generate;
pub mod inbox;
pub mod ingest;
pub mod labels;
pub mod mail;
pub mod period;
pub mod pipeline;
pub mod render;
pub mod risk;
pub mod runs;
pub mod schedule;
pub mod serve;
pub mod store;
pub mod targets;
pub mod tomlspan;
pub mod units;
pub mod uscc;
