//! Synthetic data: the demo's province-scale data sets (one per profile) and the
//! national-scale generator of the benchmark. Only the CLI and the benchmark use them.

pub mod demo;
pub mod generate;
pub mod records;
pub mod shape;
