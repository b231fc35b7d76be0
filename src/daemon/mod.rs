//! The background service: `serve` runs the scheduler, the inbox watcher, the outbox
//! sender and the HTTP API under one shutdown signal; `runs` is the registry the API and
//! the schedule share.

pub mod api;
pub mod console;
pub mod inbox;
pub mod runs;
pub mod schedule;
pub mod serve;
