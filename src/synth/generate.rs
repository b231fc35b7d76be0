//! Synthetic enterprise records at national scale (for the benchmark and its test): every
//! industrial enterprise above designated size, in the counties of a national region list,
//! each quarter of several years, written as the files `seimon ingest` reads.
//!
//! The shape: enterprises spread over the 31 provinces by weights close to their numbers
//! of enterprises above designated size (Guangdong, Jiangsu and Zhejiang largest; Tibet and
//! Qinghai smallest), uniformly over each province's county-level units; the class mix of
//! the demo (GB/T 4754 classes feeding the ten industries, the rest all industry only);
//! log-normal sizes; growth around each industry's trend; each year about 6 % exit and new
//! ones enter so the number active stays at the size asked for. Records are year to date,
//! in 万元, one Parquet file per year. Seeded: the same arguments give the same bytes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::model::catalogue::{Catalogue, RegionLevel};
use crate::model::period::Period;
use crate::synth::records::{CLASSES, SEASON, class_pairs, demo_uscc, noise, pick, write_mapping, write_records};

/// Approximate weights of the provinces by their numbers of industrial enterprises above
/// designated size (thousands, order of magnitude of recent yearbooks).
const PROVINCE_WEIGHTS: &[(&str, f64)] = &[
    ("11", 3.0),
    ("12", 5.0),
    ("13", 16.0),
    ("14", 7.0),
    ("15", 4.0),
    ("21", 9.0),
    ("22", 3.0),
    ("23", 4.0),
    ("31", 9.0),
    ("32", 60.0),
    ("33", 55.0),
    ("34", 21.0),
    ("35", 22.0),
    ("36", 17.0),
    ("37", 36.0),
    ("41", 23.0),
    ("42", 18.0),
    ("43", 20.0),
    ("44", 72.0),
    ("45", 8.0),
    ("46", 0.7),
    ("50", 7.0),
    ("51", 16.0),
    ("52", 5.0),
    ("53", 5.0),
    ("54", 0.2),
    ("61", 8.0),
    ("62", 2.5),
    ("63", 0.7),
    ("64", 1.3),
    ("65", 4.0),
];

/// What to generate.
#[derive(Debug, Clone)]
pub struct Options {
    /// Enterprises active in each year.
    pub enterprises: usize,
    pub first_year: i32,
    /// The last quarter written.
    pub through: Period,
    pub seed: u64,
}

/// What was written.
#[derive(Debug, Clone)]
pub struct Written {
    pub catalogue: PathBuf,
    pub config: PathBuf,
    /// The files to load, in order: the class mapping, then one Parquet file per year.
    pub files: Vec<PathBuf>,
    pub rows: usize,
}

fn other(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// Writes a national data set into `dir`: `catalogue.toml` (the ten industries of the
/// Anhui scheme over the regions of `region_list`), `seimon.toml` (that catalogue, the
/// province of Anhui reported), the class mapping and the enterprise records.
pub fn write(region_list: &Path, dir: &Path, options: &Options) -> std::io::Result<Written> {
    std::fs::create_dir_all(dir)?;
    let region_list = std::fs::canonicalize(region_list)?;
    let mut national = Catalogue::anhui();
    national.name = "national".into();
    national.title_zh = "全国战略性新兴产业（合成数据）".into();
    national.title_en = "Strategic emerging industries, China (synthetic data)".into();
    let catalogue_path = dir.join("catalogue.toml");
    std::fs::write(
        &catalogue_path,
        national.to_toml_with_region_list(&region_list.display().to_string()),
    )?;
    let catalogue = crate::config::catalogue_file::load_catalogue(&catalogue_path.display().to_string()).map_err(other)?;
    let config = dir.join("seimon.toml");
    std::fs::write(
        &config,
        "# The national benchmark data set (synthetic), as written by `seimon generate`.\n\
         [paths]\ndata = \"data\"\nreports = \"reports\"\ninbox = \"inbox\"\n\n\
         [monitor]\ncatalogue = \"catalogue.toml\"\nregion = \"340000\"\n",
    )?;

    // counties by province, and the provinces' weights
    let mut counties: HashMap<&str, Vec<&str>> = HashMap::new();
    for r in catalogue.regions.iter().filter(|r| r.level() == RegionLevel::County) {
        counties.entry(&r.code[..2]).or_default().push(r.code.as_str());
    }
    let provinces: Vec<(&str, f64)> = PROVINCE_WEIGHTS.iter().copied().filter(|(p, _)| counties.contains_key(p)).collect();
    let province_w: Vec<f64> = provinces.iter().map(|p| p.1).collect();
    let class_w: Vec<f64> = CLASSES.iter().map(|c| c.2).collect();
    struct Firm<'a> {
        id: String,
        county: &'a str,
        class: &'static str,
        trend: f64,
        annual: f64,
        margin: f64,
    }
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let mut serial = 0usize;
    let mut new_firm = |rng: &mut ChaCha8Rng| -> Firm<'_> {
        let (province, _) = provinces[pick(rng, &province_w)];
        let list = &counties[province];
        let county = list[rng.random_range(0..list.len())];
        let c = &CLASSES[pick(rng, &class_w)];
        serial += 1;
        Firm {
            id: demo_uscc(county, serial),
            county,
            class: c.0,
            trend: 0.04 + 0.06 * rng.random::<f64>(),
            annual: (2.0 + noise(rng, 1.0)).exp() * 0.1, // 亿元
            margin: 0.05 + noise(rng, 0.04),
        }
    };
    let mut firms: Vec<Firm> = (0..options.enterprises).map(|_| new_firm(&mut rng)).collect();
    let mut files = vec![write_mapping(dir, &catalogue.name, class_pairs())?];
    let mut rows = 0;
    for year in options.first_year..=options.through.year() {
        if year > options.first_year {
            // about 6 % leave; as many enter
            firms.retain(|_| rng.random::<f64>() >= 0.06);
            while firms.len() < options.enterprises {
                firms.push(new_firm(&mut rng));
            }
        }
        let quarters: Vec<u8> = (1..=4u8)
            .filter(|q| Period::new(year, *q).is_some_and(|p| p <= options.through))
            .collect();
        let n = firms.len() * quarters.len();
        let (mut period, mut id, mut region, mut class) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        let (mut output, mut income, mut profit) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
        for firm in &mut firms {
            firm.annual *= 1.0 + firm.trend + noise(&mut rng, 0.08);
            for &q in &quarters {
                let ytd = firm.annual * SEASON[usize::from(q) - 1];
                period.push(format!("{year}Q{q}"));
                id.push(firm.id.as_str());
                region.push(firm.county);
                class.push(firm.class);
                output.push(ytd * 1.04 * 1e4); // 万元
                income.push(ytd * 1e4);
                profit.push(ytd * firm.margin * 1e4);
            }
        }
        rows += n;
        let path = dir.join(format!("enterprises-{year}.parquet"));
        write_records(&path, period, &id, &region, &class, [output, income, profit])?;
        files.push(path);
    }
    Ok(Written {
        catalogue: catalogue_path,
        config,
        files,
        rows,
    })
}
