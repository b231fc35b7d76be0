//! What the demo and the national generator share: the seasonal profile, the industry
//! classes and their weights, credit codes, random draws, and the writers of the class
//! mapping and of enterprise records.

use std::path::{Path, PathBuf};

use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

/// Cumulative seasonal profile (share of the year's total reached by Q1..Q4).
pub(crate) const SEASON: [f64; 4] = [0.22, 0.47, 0.72, 1.0];

/// Writes enterprise records as `seimon ingest` reads them: one row per enterprise and
/// quarter, year to date, the money columns (output, income, profit) in 万元.
pub(crate) fn write_records<S: AsRef<str>>(
    path: &Path,
    period: Vec<String>,
    id: &[S],
    region: &[S],
    class: &[S],
    [output, income, profit]: [Vec<f64>; 3],
) -> std::io::Result<()> {
    use polars::prelude::*;
    fn text<S: AsRef<str>>(v: &[S]) -> Vec<&str> {
        v.iter().map(AsRef::as_ref).collect()
    }
    let n = period.len();
    let mut df = df!(
        "period" => period,
        "enterprise_id" => text(id),
        "region_code" => text(region),
        "class_code" => text(class),
        "output_value" => output,
        "operating_income" => income,
        "profit" => profit,
        "unit" => vec!["万元"; n],
    )
    .map_err(|e| std::io::Error::other(e.to_string()))?;
    ParquetWriter::new(std::fs::File::create(path)?)
        .finish(&mut df)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(())
}

/// An index drawn with probability proportional to its weight.
pub(crate) fn pick(rng: &mut ChaCha8Rng, weights: &[f64]) -> usize {
    use rand::Rng;
    let total: f64 = weights.iter().sum();
    let mut x = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

pub(crate) fn noise(rng: &mut ChaCha8Rng, sd: f64) -> f64 {
    Normal::new(0.0, sd).expect("valid sd").sample(rng)
}

/// GB/T 4754-2017 classes and the industries they feed (some feed two; the last ones feed
/// none and count in `TOTAL` only), with the demo's weight of enterprises in each.
pub(crate) const CLASSES: &[(&str, &[&str], f64)] = &[
    ("3971", &["NGIT"], 3.0),         // 电子元件及电子专用材料制造
    ("3985", &["NGIT", "NMAT"], 1.0), // 电子专用材料制造
    ("3562", &["NGIT", "HEM"], 1.0),  // 半导体器件专用设备制造
    ("3612", &["NEV"], 1.5),          // 新能源车整车制造
    ("3670", &["NEV"], 2.0),          // 汽车零部件及配件制造
    ("3841", &["PVES", "NEV"], 1.0),  // 锂离子电池制造
    ("3825", &["PVES"], 1.5),         // 光伏设备及元器件制造
    ("3953", &["DCI"], 0.5),          // 影视录放设备制造
    ("3491", &["HEM", "AI"], 1.0),    // 工业机器人制造
    ("3411", &["HEM"], 1.5),          // 锅炉及辅助设备制造
    ("1310", &["GFD"], 3.0),          // 谷物磨制
    ("1495", &["GFD", "LH"], 1.0),    // 营养食品制造
    ("2720", &["LH"], 1.5),           // 化学药品制剂制造
    ("3851", &["SHA"], 1.5),          // 家用制冷电器具制造
    ("3856", &["SHA"], 1.0),          // 家用厨房电器具制造
    ("2651", &["NMAT"], 1.5),         // 初级形态塑料及合成树脂制造
    ("3919", &["AI"], 0.8),           // 其他计算机制造
    ("3110", &[], 2.0),               // 炼钢
    ("3011", &[], 2.5),               // 水泥制造
    ("1810", &[], 3.0),               // 机织服装制造
];

/// The (class, industry) pairs of [`CLASSES`].
pub(crate) fn class_pairs() -> impl Iterator<Item = (&'static str, &'static str)> {
    CLASSES
        .iter()
        .flat_map(|(class, industries, _)| industries.iter().map(move |i| (*class, *i)))
}

/// Writes the class mapping of `catalogue`: one row per (class, industry) pair.
pub(crate) fn write_mapping<'a>(
    dir: &Path,
    catalogue: &str,
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> std::io::Result<PathBuf> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["class_code", "industry_code", "catalogue"])?;
    for (class, industry) in pairs {
        w.write_record([class, industry, catalogue])?;
    }
    let path = dir.join("class-mapping.csv");
    std::fs::write(&path, w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))?)?;
    Ok(path)
}

/// A valid unified social credit code for demo enterprise `n` registered in `county`.
pub(crate) fn demo_uscc(county: &str, n: usize) -> String {
    let body = format!("91{county}MA{n:07}");
    format!("{body}{}", crate::model::uscc::check_char(&body).expect("valid characters"))
}
