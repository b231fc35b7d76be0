//! seimon: quarterly statistical monitoring of strategic emerging industries.
//!
//! The library holds the vocabulary (`model`), every stage of the pipeline — ingest →
//! store → compute → risk → render → mail → deliver — the `pipeline` that runs them, and
//! the doors into it: the CLI, and in the `daemon` the schedule (with the inbox) and the
//! HTTP API; `synth` makes data. `main.rs` is a thin shell over [`cli::main`]. See
//! ARCHITECTURE.md for the map and the import rules.

pub mod assessment;
pub mod chat;
pub mod cli;
pub mod compute;
pub mod config;
pub mod daemon;
pub mod deliver;
pub mod disclosure;
pub mod ingest;
pub mod mail;
pub mod model;
pub mod pipeline;
pub mod render;
pub mod risk;
pub mod store;
pub mod synth;
