//! The vocabulary every stage speaks: periods, units, credit codes, the catalogue of
//! regions, industries and indicators, plan targets, observations and projects, languages,
//! audiences and labels. Parsed types only: no I/O, no clock, and no import of any other
//! module of the crate.

pub mod account;
pub mod audience;
pub mod catalogue;
pub mod chain;
pub mod labels;
pub mod language;
pub mod observation;
pub mod period;
pub mod target;
pub mod tomlspan;
pub mod units;
pub mod uscc;
