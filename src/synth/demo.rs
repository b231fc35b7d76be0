//! The demo data set: synthetic quarterly statistics for Anhui, written as the files an
//! analyst would load, then loaded through the same ingest code and run.
//!
//! The numbers are synthetic (seeded, reproducible) but shaped like the real ones: the 16
//! cities sum to the province; `TEN` is the union of ten overlapping industries (about
//! 85 % of their sum); `TOTAL` is all industry above designated size; levels are
//! cumulative year-to-date with a seasonal profile; published growth is on a comparable
//! basis, so it differs by a few tenths of a point from growth computed from levels;
//! added value is published as a growth rate only; city profit carries no published rate
//! (growth is computed from levels). City files are in 万元, province files in 亿元, one
//! year's file is GB18030 with Chinese headers, and a revision file makes a new vintage.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::model::catalogue::{TEN, TOTAL};
use crate::model::period::Period;
use crate::synth::records::{CLASSES, SEASON, class_pairs, demo_uscc, noise, pick, write_mapping, write_records};
use crate::synth::shape::{ANHUI, CITY_WEIGHTS};
pub use crate::synth::shape::{Records, Shape, shape};

/// The first year of the demo data (growth for it uses an unpublished 2019 base).
pub const FIRST_YEAR: i32 = 2020;
const SEED: u64 = 2021_0125;

/// Members overlap: the union is this fraction of their sum.
const OVERLAP: f64 = 0.85;

struct Row {
    period: Period,
    region: String,
    industry: String,
    indicator: &'static str,
    value: Option<f64>,
    yoy: Option<f64>,
}

/// Annual levels per (unit, industry, indicator) and year, and the year's seasonal profile.
struct Model {
    /// (unit, industry, indicator) → year → annual level (亿元 or count)
    annual: HashMap<(String, String, &'static str), HashMap<i32, f64>>,
    /// (unit, year) → cumulative seasonal shares
    season: HashMap<(String, i32), [f64; 4]>,
}

fn build_model(shape: &Shape, through: Period, rng: &mut ChaCha8Rng) -> Model {
    let mut annual = HashMap::new();
    let mut season = HashMap::new();
    let years = (FIRST_YEAR - 1)..=through.year();
    let year_shock = |y: i32| match y {
        2020 => -0.06,
        2021 => 0.05,
        2024 => -0.02,
        _ => 0.0,
    };
    let indicators = shape.indicators();
    for &(city, weight) in &shape.units {
        for y in years.clone() {
            let mut s = SEASON;
            for share in s.iter_mut().take(3) {
                *share = (*share + noise(rng, 0.008)).clamp(0.05, 0.95);
            }
            season.insert((city.to_string(), y), s);
        }
        // Members: income, output, profit, enterprise counts (and investment).
        let city_tilt = 1.0 + noise(rng, 0.15);
        for &(ind, size, trend) in shape.industries {
            let mut level = size * weight * city_tilt * (1.0 + noise(rng, 0.25)).max(0.3);
            let margin = (0.06 + noise(rng, 0.015)).clamp(0.02, 0.12);
            // a roster of real enterprises may be one or two; aggregates alone come from
            // at least three
            let fewest = if shape.records == Records::Roster { 1.0 } else { 3.0 };
            let mut firms = (level / 6.0).max(fewest);
            let mut invest = level * (0.12 + noise(rng, 0.02)).max(0.03);
            let city_trend = trend + noise(rng, 0.04);
            for y in years.clone() {
                if y > FIRST_YEAR - 1 {
                    let slump = match shape.slump {
                        Some((i, from)) if i == ind && y >= from => -0.30,
                        _ => 0.0,
                    };
                    let g = city_trend + year_shock(y) + slump + noise(rng, 0.05);
                    level *= 1.0 + g.max(-0.6);
                    firms *= 1.0 + (g * 0.5).max(-0.2) + noise(rng, 0.02);
                    invest *= 1.0 + 0.07 + noise(rng, 0.08);
                }
                let key = |k: &'static str| (city.to_string(), ind.to_string(), k);
                annual.entry(key("operating_income")).or_insert_with(HashMap::new).insert(y, level);
                annual
                    .entry(key("output_value"))
                    .or_insert_with(HashMap::new)
                    .insert(y, level * (0.96 + noise(rng, 0.01)));
                let m = margin + noise(rng, 0.02);
                annual.entry(key("profit")).or_insert_with(HashMap::new).insert(y, level * m);
                annual
                    .entry(key("enterprises"))
                    .or_insert_with(HashMap::new)
                    .insert(y, firms.round().max(1.0));
                if shape.investment {
                    annual.entry(key("investment")).or_insert_with(HashMap::new).insert(y, invest);
                }
            }
        }
        // TEN: the union of the members; TOTAL: all industry, of which TEN is a share.
        let share = (shape.ten_share + noise(rng, shape.ten_share * 0.12)).clamp(0.05, 0.8);
        let mut other = None;
        for y in years.clone() {
            for &k in &indicators {
                let members: f64 = shape
                    .industries
                    .iter()
                    .map(|(i, _, _)| annual[&(city.to_string(), i.to_string(), k)][&y])
                    .sum();
                let ten = if k == "enterprises" {
                    (members * OVERLAP).round()
                } else {
                    members * OVERLAP
                };
                annual
                    .entry((city.to_string(), TEN.to_string(), k))
                    .or_insert_with(HashMap::new)
                    .insert(y, ten);
            }
            // The rest of industry grows more slowly than the members.
            let ten_income = annual[&(city.to_string(), TEN.to_string(), "operating_income")][&y];
            let rest = match other {
                None => ten_income * (1.0 - share) / share,
                Some(prev) => prev * (1.0 + 0.045 + year_shock(y) + noise(rng, 0.02)),
            };
            other = Some(rest);
            let ratio = (ten_income + rest) / ten_income;
            for &k in &indicators {
                let ten = annual[&(city.to_string(), TEN.to_string(), k)][&y];
                let v = if k == "enterprises" {
                    (ten * ratio * 1.3).round()
                } else {
                    ten * ratio
                };
                annual
                    .entry((city.to_string(), TOTAL.to_string(), k))
                    .or_insert_with(HashMap::new)
                    .insert(y, v);
            }
        }
    }
    Model { annual, season }
}

/// Year-to-date level of one unit's series.
fn ytd(model: &Model, city: &str, industry: &str, indicator: &'static str, p: Period) -> f64 {
    let a = model.annual[&(city.to_string(), industry.to_string(), indicator)][&p.year()];
    if indicator == "enterprises" {
        return a; // a count of enterprises is a stock, not cumulative
    }
    a * model.season[&(city.to_string(), p.year())][usize::from(p.quarter()) - 1]
}

/// Published comparable-basis growth: growth from levels, shifted by the roster change.
fn published(now: f64, before: f64, rng: &mut ChaCha8Rng) -> Option<f64> {
    if before <= 0.0 {
        return None;
    }
    let naive = (now / before - 1.0) * 100.0;
    Some(((naive + 0.4 + noise(rng, 0.5)) * 10.0).round() / 10.0)
}

/// Added value: a quarter of income; real growth some 2.5 points below nominal.
const ADDED_VALUE_RATIO: f64 = 0.25;

fn rows(shape: &Shape, model: &Model, through: Period, rng: &mut ChaCha8Rng) -> Vec<Row> {
    let mut out = Vec::new();
    let industries: Vec<&str> = shape.industries.iter().map(|i| i.0).chain([TEN, TOTAL]).collect();
    let indicators = shape.indicators();
    let aggregate = shape.aggregates_top();
    let mut p = Period::new(FIRST_YEAR, 1).expect("valid");
    while p <= through {
        let ly = p.year_earlier().expect("valid");
        for &ind in &industries {
            // (indicator, this year, last year), summed over the units, in a fixed order
            // so the random draws below happen in the same order on every run.
            let mut top: Vec<(&'static str, f64, f64)> = Vec::new();
            for &(city, _) in &shape.units {
                for &k in &indicators {
                    let (now, before) = (ytd(model, city, ind, k, p), ytd(model, city, ind, k, ly));
                    match top.iter_mut().find(|(pk, _, _)| *pk == k) {
                        Some(e) => {
                            e.1 += now;
                            e.2 += before;
                        }
                        None => top.push((k, now, before)),
                    }
                    let yoy = match k {
                        "operating_income" | "output_value" | "investment" => published(now, before, rng),
                        // sub-regions' profit and counts: growth computed from levels
                        _ if !aggregate => published(now, before, rng).filter(|_| k != "enterprises"),
                        _ => None,
                    };
                    out.push(Row {
                        period: p,
                        region: city.into(),
                        industry: ind.into(),
                        indicator: k,
                        value: Some(now),
                        yoy,
                    });
                }
                // Added value: real growth; published as a rate only unless the scheme
                // publishes its levels.
                let (now, before) = (
                    ytd(model, city, ind, "operating_income", p),
                    ytd(model, city, ind, "operating_income", ly),
                );
                let av = (((now / before - 1.0) * 100.0 - 2.5 + noise(rng, 1.0)) * 10.0).round() / 10.0;
                let level = shape.added_value_levels.then_some(now * ADDED_VALUE_RATIO);
                out.push(Row {
                    period: p,
                    region: city.into(),
                    industry: ind.into(),
                    indicator: "added_value",
                    value: level,
                    yoy: Some(av),
                });
            }
            if aggregate {
                for (k, now, before) in top {
                    let yoy = if k == "enterprises" { None } else { published(now, before, rng) };
                    out.push(Row {
                        period: p,
                        region: shape.top.into(),
                        industry: ind.into(),
                        indicator: k,
                        value: Some(now),
                        yoy,
                    });
                }
                let growth = top_growth(shape, &out, p, ind);
                let level = shape.added_value_levels.then(|| {
                    out.iter()
                        .filter(|r| r.period == p && r.industry == ind && r.indicator == "added_value" && r.region != shape.top)
                        .filter_map(|r| r.value)
                        .sum::<f64>()
                });
                out.push(Row {
                    period: p,
                    region: shape.top.into(),
                    industry: ind.into(),
                    indicator: "added_value",
                    value: level,
                    yoy: Some(growth),
                });
            }
        }
        p = p.next().expect("valid");
    }
    out
}

/// The top region's added-value growth: the units' income-weighted average, rounded.
fn top_growth(shape: &Shape, rows: &[Row], p: Period, industry: &str) -> f64 {
    let (mut num, mut den) = (0.0, 0.0);
    let incomes: HashMap<&str, f64> = rows
        .iter()
        .filter(|r| r.period == p && r.industry == industry && r.indicator == "operating_income" && r.region != shape.top)
        .map(|r| (r.region.as_str(), r.value.unwrap_or(0.0)))
        .collect();
    for r in rows
        .iter()
        .filter(|r| r.period == p && r.industry == industry && r.indicator == "added_value" && r.region != shape.top)
    {
        let w = incomes.get(r.region.as_str()).copied().unwrap_or(0.0);
        num += w * r.yoy.unwrap_or(0.0);
        den += w;
    }
    ((num / den.max(1e-9)) * 10.0).round() / 10.0
}

/// The release date of a period's figures: the 20th of the month after the quarter
/// (Q4: 25 January).
pub fn release_date(p: Period) -> chrono::NaiveDate {
    match p.quarter() {
        4 => chrono::NaiveDate::from_ymd_opt(p.year() + 1, 1, 25),
        q => chrono::NaiveDate::from_ymd_opt(p.year(), u32::from(q) * 3 + 1, 20),
    }
    .expect("valid date")
}

fn format_row(r: &Row, unit_for: &impl Fn(&Row) -> (&'static str, f64)) -> [String; 8] {
    let (unit, scale) = unit_for(r);
    let value = r.value.map_or(String::new(), |v| {
        if scale == 1.0 && unit != "家" {
            format!("{v:.2}")
        } else {
            format!("{:.0}", v * scale)
        }
    });
    [
        r.period.to_string(),
        r.region.clone(),
        r.industry.clone(),
        r.indicator.to_string(),
        value,
        if r.value.is_some() { unit.to_string() } else { String::new() },
        r.yoy.map_or(String::new(), |g| format!("{g:.1}")),
        release_date(r.period).to_string(),
    ]
}

/// The top region's figures in 亿元, its sub-regions' in 万元, counts in 家.
fn unit_of(top: &str) -> impl Fn(&Row) -> (&'static str, f64) + '_ {
    move |r| match (r.indicator, r.region.as_str()) {
        ("enterprises", _) => ("家", 1.0),
        (_, region) if region == top => ("亿元", 1.0),
        _ => ("万元", 1e4),
    }
}

/// Writes the demo files into `dir`: one CSV per year (the latest complete year before
/// `through` in GB18030 with Chinese headers), and a revision of the previous quarter.
/// Returns the files in the order they should be loaded.
pub fn write_files(shape: &Shape, dir: &Path, through: Period) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let model = build_model(shape, through, &mut rng);
    let all = rows(shape, &model, through, &mut rng);
    let unit_of = unit_of(shape.top);
    let mut files = Vec::new();
    let english = [
        "period",
        "region_code",
        "industry_code",
        "indicator",
        "value",
        "unit",
        "yoy_pct",
        "release_date",
        "source",
    ];
    let chinese = [
        "期别",
        "地区代码",
        "产业代码",
        "指标",
        "本年累计",
        "单位",
        "同比增长%",
        "发布日期",
        "来源",
    ];
    let gb_year = through.year() - 1;
    for year in FIRST_YEAR..=through.year() {
        let gb = year == gb_year;
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(if gb { chinese } else { english })?;
        for r in all.iter().filter(|r| r.period.year() == year) {
            let mut rec = format_row(r, &unit_of).to_vec();
            if gb {
                rec[0] = r.period.label_zh(); // the Chinese period form, as a bureau writes it
            }
            rec.push("演示数据（合成）".into());
            w.write_record(&rec)?;
        }
        let text = w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))?;
        let (name, bytes) = if gb {
            let (encoded, _, _) = encoding_rs::GB18030.encode(std::str::from_utf8(&text).expect("utf-8"));
            (format!("observations-{year}-gb18030.csv"), encoded.into_owned())
        } else {
            (format!("observations-{year}.csv"), text)
        };
        let path = dir.join(name);
        std::fs::write(&path, bytes)?;
        files.push(path);
    }
    // A revision: the previous quarter's TOTAL income of the first unit and of the top
    // region, revised upwards.
    if let Some(prev) = through.previous() {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(english)?;
        // Revisions come after the current quarter's release, as real ones do.
        let revised = release_date(through) + chrono::Duration::days(10);
        for r in all.iter().filter(|r| {
            r.period == prev
                && r.industry == TOTAL
                && r.indicator == "operating_income"
                && (r.region == shape.units[0].0 || r.region == shape.top)
        }) {
            let bumped = Row {
                period: r.period,
                region: r.region.clone(),
                industry: r.industry.clone(),
                indicator: r.indicator,
                value: r.value.map(|v| v * 1.004),
                yoy: r.yoy.map(|g| g + 0.3),
            };
            let mut rec = format_row(&bumped, &unit_of).to_vec();
            rec[7] = revised.to_string();
            rec.push("演示数据（合成）修订".into());
            w.write_record(&rec)?;
        }
        let path = dir.join(format!("revision-{prev}.csv"));
        std::fs::write(&path, w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))?)?;
        files.push(path);
    }
    match shape.records {
        Records::None => {}
        Records::Scattered => {
            files.push(write_mapping(dir, shape.catalogue, class_pairs())?);
            files.push(write_enterprises(dir, through, &mut rng)?);
        }
        Records::Roster => {
            let catalogue =
                crate::config::catalogue_file::load_catalogue(shape.catalogue).map_err(|e| std::io::Error::other(e.to_string()))?;
            let mut classes = roster_classes(&catalogue);
            // some links thick, some thin, as in a real city
            for (_, weights) in &mut classes {
                for (_, w) in weights.iter_mut() {
                    *w *= noise(&mut rng, 1.2).exp();
                }
            }
            let pairs = classes
                .iter()
                .flat_map(|(industry, classes)| classes.iter().map(move |(c, _)| (c.as_str(), industry.as_str())));
            files.push(write_mapping(dir, shape.catalogue, pairs)?);
            files.push(write_roster(shape, &model, &classes, dir, through, &mut rng)?);
        }
    }
    files.push(write_projects(shape, dir, through, &mut rng)?);
    if shape.profile == "anhui" {
        files.push(write_goals(shape, dir, through)?);
    }
    Ok(files)
}

/// The plan's count goals (the Anhui configuration's extra indicators): stocks at each
/// quarter's end for the ten industries of the top region, from a 2020 level towards the
/// 2025 goal, some ahead of the path and some behind it.
fn write_goals(shape: &Shape, dir: &Path, through: Period) -> std::io::Result<PathBuf> {
    // (indicator, end of 2020, the 2025 goal, how much of the way the data go by 2025)
    const GOALS: [(&str, f64, f64, f64); 6] = [
        ("national_innovation_platforms", 180.0, 260.0, 1.05),
        ("provincial_innovation_centres", 40.0, 100.0, 0.85),
        ("chain_leaders", 50.0, 100.0, 1.0),
        ("specialised_new_enterprises", 500.0, 1000.0, 1.1),
        ("listed_companies", 60.0, 100.0, 0.9),
        ("major_bases", 12.0, 30.0, 0.95),
    ];
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "period",
        "region_code",
        "industry_code",
        "indicator",
        "value",
        "unit",
        "release_date",
        "source",
    ])?;
    let start = Period::new(FIRST_YEAR, 4).expect("a period");
    for p in Period::new(FIRST_YEAR, 1).expect("a period").index()..=through.index() {
        let period = Period::from_index(p).expect("a period");
        let quarters = f64::from(p - start.index()) / 20.0; // 20 quarters from 2020 Q4 to 2025 Q4
        for (code, base, goal, pace) in GOALS {
            let value = (base + (goal - base) * pace * quarters).round().max(0.0);
            w.write_record([
                period.to_string(),
                shape.top.to_string(),
                TEN.to_string(),
                code.to_string(),
                format!("{value}"),
                "个".to_string(),
                release_date(period).to_string(),
                "演示数据（合成）".to_string(),
            ])?;
        }
    }
    let path = dir.join("goals.csv");
    std::fs::write(&path, w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))?)?;
    Ok(path)
}

/// About 1,500 enterprises above designated size in Anhui's counties, every quarter from
/// 2020Q1: sizes log-normal, growth around their industry's trend, a few entering and
/// leaving the roster each year, some making losses; and the catalogue's chain leaders. Written as
/// Parquet.
fn write_enterprises(dir: &Path, through: Period, rng: &mut ChaCha8Rng) -> std::io::Result<PathBuf> {
    use rand::Rng;
    let catalogue = crate::model::catalogue::Catalogue::anhui();
    let counties: Vec<(&str, f64)> = CITY_WEIGHTS
        .iter()
        .flat_map(|&(city, w)| {
            let mine: Vec<&str> = catalogue
                .regions
                .iter()
                .filter(|r| crate::model::catalogue::parent_code(&r.code).as_deref() == Some(city))
                .map(|r| r.code.as_str())
                .collect();
            let n = mine.len().max(1) as f64;
            mine.into_iter().map(move |c| (c, w / n))
        })
        .collect();
    let county_w: Vec<f64> = counties.iter().map(|c| c.1).collect();
    let class_w: Vec<f64> = CLASSES.iter().map(|c| c.2).collect();
    let (mut year, mut q, mut id, mut region, mut class, mut output, mut income, mut profit) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for n in 0..1500 {
        let county = counties[pick(rng, &county_w)].0;
        let c = &CLASSES[pick(rng, &class_w)];
        let trend = c.1.first().and_then(|i| ANHUI.iter().find(|x| x.0 == *i)).map_or(0.05, |x| x.2);
        let entry = if rng.random::<f64>() < 0.8 {
            FIRST_YEAR
        } else {
            rng.random_range(FIRST_YEAR + 1..=through.year())
        };
        let exit = if rng.random::<f64>() < 0.9 {
            i32::MAX
        } else {
            rng.random_range(FIRST_YEAR + 1..=through.year() + 1)
        };
        let mut annual = (2.0 + noise(rng, 1.0)).exp() * 0.1; // 亿元
        let margin = 0.05 + noise(rng, 0.04);
        let eid = demo_uscc(county, n);
        for y in FIRST_YEAR..=through.year() {
            annual *= 1.0 + trend + noise(rng, 0.08);
            if y < entry || y >= exit {
                continue;
            }
            for quarter in 1..=4u8 {
                let p = Period::new(y, quarter).expect("valid");
                if p > through {
                    break;
                }
                let ytd = annual * SEASON[usize::from(quarter) - 1];
                year.push(y);
                q.push(i32::from(quarter));
                id.push(eid.clone());
                region.push(county.to_string());
                class.push(c.0.to_string());
                output.push(ytd * 1.04 * 1e4); // 万元
                income.push(ytd * 1e4);
                profit.push(ytd * margin * 1e4);
            }
        }
    }
    // each chain's leaders: large enterprises of its most downstream class, in a county of
    // Hefei, of Wuhu and of Chuzhou, growing with their industry
    for chain in catalogue.chains.iter().filter(|c| !c.leaders.is_empty()) {
        let Some(last) = chain.segments.last().and_then(|s| s.classes.first()) else {
            continue;
        };
        let trend = ANHUI.iter().find(|x| x.0 == chain.code).map_or(0.05, |x| x.2);
        for (j, eid) in chain.leaders.iter().enumerate() {
            let city = LEADER_CITIES[j % LEADER_CITIES.len()];
            let Some(&(county, _)) = counties
                .iter()
                .find(|(c, _)| crate::model::catalogue::parent_code(c).as_deref() == Some(city))
            else {
                continue;
            };
            let mut annual = 24.0 / (0.5 * j as f64 + 1.0); // 亿元
            for y in FIRST_YEAR..=through.year() {
                annual *= 1.0 + trend + noise(rng, 0.06);
                for quarter in 1..=4u8 {
                    if Period::new(y, quarter).expect("valid") > through {
                        break;
                    }
                    let ytd = annual * SEASON[usize::from(quarter) - 1];
                    year.push(y);
                    q.push(i32::from(quarter));
                    id.push(eid.clone());
                    region.push(county.to_string());
                    class.push(last.clone());
                    output.push(ytd * 1.04 * 1e4);
                    income.push(ytd * 1e4);
                    profit.push(ytd * 0.06 * 1e4);
                }
            }
        }
    }
    let period: Vec<String> = year.iter().zip(&q).map(|(y, q)| format!("{y}Q{q}")).collect();
    let path = dir.join("enterprises.parquet");
    write_records(&path, period, &id, &region, &class, [output, income, profit])?;
    Ok(path)
}

/// Where the Anhui demo's chain leaders are registered: Hefei, Wuhu, Chuzhou.
const LEADER_CITIES: [&str; 3] = ["340100", "340200", "341100"];

/// Chain leaders per chain in a roster.
const LEADERS: usize = 3;

/// The credit code of the `j`th leader of the `chain`th chain: registered in the top
/// region, numbered apart from every other enterprise (the catalogue names them).
pub fn leader_code(top: &str, chain: usize, j: usize) -> String {
    demo_uscc(top, 9_000_000 + chain * 10 + j)
}

/// Each member industry's classes in a roster, with the weight of enterprises in each:
/// the classes of the catalogue's chain of the same code, less those an earlier chain
/// took; midstream segments hold half the enterprises, the up- and downstream a quarter
/// each, shared among their segments and classes.
fn roster_classes(catalogue: &crate::model::catalogue::Catalogue) -> Vec<(String, Vec<(String, f64)>)> {
    use crate::model::chain::Stage;
    let mut taken = std::collections::HashSet::new();
    let mut out = Vec::new();
    for industry in catalogue.members() {
        let Some(chain) = catalogue.chains.iter().find(|c| c.code == industry.code) else {
            continue;
        };
        let stage_weight = |stage: Stage| match stage {
            Stage::Midstream => 0.5,
            Stage::Upstream | Stage::Downstream | Stage::Link => 0.25,
        };
        let at_stage = |stage: Stage| chain.segments.iter().filter(|s| s.stage == stage).count() as f64;
        let mut classes = Vec::new();
        for s in &chain.segments {
            for class in &s.classes {
                if taken.insert(class.clone()) {
                    classes.push((class.clone(), stage_weight(s.stage) / at_stage(s.stage) / s.classes.len() as f64));
                }
            }
        }
        if !classes.is_empty() {
            out.push((industry.code.clone(), classes));
        }
    }
    out
}

/// Classes that feed no industry: the rest of industry in a roster.
const OTHER_CLASSES: [&str; 3] = ["3011", "3110", "1810"];

/// Every enterprise behind each unit's figures, every quarter from 2020Q1: a member
/// industry's as many as its published count of the year, the first ones staying while the
/// count rises and falls (entries and exits), their sizes log-normal around a share that
/// drifts year by year, summing to the published income and output; the rest of industry
/// (`TOTAL` less the members) in [`OTHER_CLASSES`]. Profit margins scatter around the
/// cell's, some below zero. Written as Parquet.
fn write_roster(
    shape: &Shape,
    model: &Model,
    classes: &[(String, Vec<(String, f64)>)],
    dir: &Path,
    through: Period,
    rng: &mut ChaCha8Rng,
) -> std::io::Result<PathBuf> {
    let mut out = RecordColumns::default();
    let mut n = 0;
    let years = FIRST_YEAR..=through.year();
    let annual = |unit: &str, industry: &str, k: &'static str, y: i32| model.annual[&(unit.to_string(), industry.to_string(), k)][&y];
    // each chain's leaders sit where its industry is largest
    let home = |industry: &str| {
        shape.units.iter().map(|(u, _)| *u).max_by(|a, b| {
            annual(a, industry, "operating_income", through.year()).total_cmp(&annual(b, industry, "operating_income", through.year()))
        })
    };
    for &(unit, _) in &shape.units {
        // the members' yearly income, output, profit and count, summed for the rest
        let mut members: HashMap<i32, [f64; 4]> = HashMap::new();
        for (chain, (industry, classes)) in classes.iter().enumerate() {
            let industry = industry.as_str();
            let leaders: Vec<String> = if home(industry) == Some(unit) {
                (0..LEADERS).map(|j| leader_code(shape.top, chain, j)).collect()
            } else {
                Vec::new()
            };
            let leader_size = if shape.dominant_leaders == Some(industry) { 60.0 } else { 15.0 };
            let firms: Vec<usize> = years.clone().map(|y| annual(unit, industry, "enterprises", y) as usize).collect();
            let cell: Vec<[f64; 3]> = years
                .clone()
                .map(|y| ["operating_income", "output_value", "profit"].map(|k| annual(unit, industry, k, y)))
                .collect();
            for (y, (f, c)) in years.clone().zip(firms.iter().zip(&cell)) {
                let m = members.entry(y).or_default();
                for (total, v) in m.iter_mut().zip(c.iter().chain([&(*f as f64)])) {
                    *total += v;
                }
            }
            n = out.cell(through, model, unit, classes, (&leaders, leader_size), &firms, &cell, n, rng);
        }
        let rest: Vec<(usize, [f64; 3])> = years
            .clone()
            .map(|y| {
                let m = members[&y];
                let firms = (annual(unit, TOTAL, "enterprises", y) - m[3]).max(3.0) as usize;
                let level = |k, i: usize| (annual(unit, TOTAL, k, y) - m[i]).max(0.0);
                (firms, [level("operating_income", 0), level("output_value", 1), level("profit", 2)])
            })
            .collect();
        // the rest spread over the classes that feed no industry, a third each
        for (i, class) in OTHER_CLASSES.iter().enumerate() {
            let third = |x: usize| (x + OTHER_CLASSES.len() - 1 - i) / OTHER_CLASSES.len();
            let firms: Vec<usize> = rest.iter().map(|(f, _)| third(*f).max(1)).collect();
            let cell: Vec<[f64; 3]> = rest.iter().map(|(_, c)| c.map(|v| v / OTHER_CLASSES.len() as f64)).collect();
            n = out.cell(through, model, unit, &[(class.to_string(), 1.0)], (&[], 1.0), &firms, &cell, n, rng);
        }
    }
    let path = dir.join("enterprises.parquet");
    let period: Vec<String> = out.year.iter().zip(&out.q).map(|(y, q)| format!("{y}Q{q}")).collect();
    write_records(
        &path,
        period,
        &out.id,
        &out.region,
        &out.class,
        [out.output, out.income, out.profit],
    )?;
    Ok(path)
}

/// Enterprise records as columns, as they are built.
#[derive(Default)]
struct RecordColumns {
    year: Vec<i32>,
    q: Vec<i32>,
    id: Vec<String>,
    region: Vec<String>,
    class: Vec<String>,
    output: Vec<f64>,
    income: Vec<f64>,
    profit: Vec<f64>,
}

impl RecordColumns {
    /// The enterprises of one cell, from [`FIRST_YEAR`]: `firms[y]` of them in year `y`,
    /// sharing the year's `[income, output, profit]` (亿元), each in a class drawn by the
    /// classes' weights; the first ones are `leaders` (those codes, `leader_size` times
    /// the others' typical size, alike). Numbers the others from `n` and returns the next number.
    #[allow(clippy::too_many_arguments)]
    fn cell(
        &mut self,
        through: Period,
        model: &Model,
        unit: &str,
        classes: &[(String, f64)],
        (leaders, leader_size): (&[String], f64),
        firms: &[usize],
        cell: &[[f64; 3]],
        n: usize,
        rng: &mut ChaCha8Rng,
    ) -> usize {
        let most = firms.iter().copied().max().unwrap_or(0);
        let mut weight: Vec<f64> = (0..most).map(|_| noise(rng, 1.1).exp()).collect();
        let margin: Vec<f64> = (0..most).map(|_| noise(rng, 0.05)).collect();
        let class_weights: Vec<f64> = classes.iter().map(|c| c.1).collect();
        let class_of: Vec<&str> = (0..most).map(|_| classes[pick(rng, &class_weights)].0.as_str()).collect();
        // the leaders are alike in size (a chain has several, none of which dominates the
        // rest of them): their draws' spread shrunk to a third
        for w in weight.iter_mut().take(leaders.len()) {
            *w = leader_size * w.powf(0.3);
        }
        let id = |i: usize| leaders.get(i).cloned().unwrap_or_else(|| demo_uscc(unit, n + i));
        for (k, (&active, &[income, output, profit])) in firms.iter().zip(cell).enumerate() {
            let y = FIRST_YEAR + k as i32;
            for w in &mut weight {
                *w *= noise(rng, 0.08).exp();
            }
            let sum: f64 = weight[..active].iter().sum();
            let cell_margin = if income > 0.0 { profit / income } else { 0.0 };
            let season = model.season[&(unit.to_string(), y)];
            for (i, w) in weight[..active].iter().enumerate() {
                let share = w / sum;
                for quarter in 1..=4u8 {
                    let p = Period::new(y, quarter).expect("valid");
                    if p > through {
                        break;
                    }
                    let s = season[usize::from(quarter) - 1] * 1e4; // 亿元 → 万元
                    self.year.push(y);
                    self.q.push(i32::from(quarter));
                    self.id.push(id(i));
                    self.region.push(unit.to_string());
                    self.class.push(class_of[i].to_string());
                    self.income.push(income * share * s);
                    self.output.push(output * share * s);
                    self.profit.push(income * share * (cell_margin + margin[i]) * s);
                }
            }
        }
        n + most
    }
}

/// About 80 major projects over the cities and industries, each quarter of the last two
/// years, with Chinese headers, in 万元.
fn write_projects(shape: &Shape, dir: &Path, through: Period, rng: &mut ChaCha8Rng) -> std::io::Result<PathBuf> {
    let catalogue = crate::config::catalogue_file::load_catalogue(shape.catalogue).map_err(|e| std::io::Error::other(e.to_string()))?;
    use rand::Rng;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "项目编号",
        "项目名称",
        "地区代码",
        "产业代码",
        "期别",
        "总投资",
        "年度计划投资",
        "本年完成投资",
        "单位",
        "计划开工时间",
        "实际开工时间",
        "计划竣工时间",
        "实际竣工时间",
    ])?;
    let month = |m: i32| crate::ingest::rows::format_month(m);
    let names = ["产业园", "生产基地", "研发中心", "扩建项目", "智能工厂", "产业化项目"];
    for n in 0..80 {
        let (city, _) = shape.units[n % shape.units.len()];
        let (industry, _, _) = shape.industries[rng.random_range(0..shape.industries.len())];
        let total = (rng.random_range(5.0..80.0_f64) * 1e4).round(); // 万元
        let start_year = through.year() - rng.random_range(0..2);
        let planned_start = start_year * 12 + rng.random_range(0..9);
        let delay = if rng.random::<f64>() < 0.25 { rng.random_range(1..5) } else { 0 };
        let planned_completion = planned_start + rng.random_range(8..30);
        let pace = (0.95 + noise(rng, 0.2)).clamp(0.3, 1.3);
        for year in (through.year() - 1)..=through.year() {
            let annual_plan = (total * 0.45).round();
            for quarter in 1..=4u8 {
                let p = Period::new(year, quarter).expect("valid");
                if p > through {
                    break;
                }
                let last_month = year * 12 + i32::from(quarter) * 3 - 1;
                let started = (planned_start + delay <= last_month).then_some(planned_start + delay);
                let completed = (planned_completion + delay <= last_month).then_some(planned_completion + delay);
                let done = if started.is_some() {
                    (annual_plan * pace * f64::from(quarter) / 4.0).round()
                } else {
                    0.0
                };
                w.write_record([
                    format!("XM{n:04}"),
                    format!("{}{}", catalogue.industry_short_zh(industry), names[n % names.len()]),
                    city.to_string(),
                    industry.to_string(),
                    p.to_string(),
                    format!("{total}"),
                    format!("{annual_plan}"),
                    format!("{done}"),
                    "万元".into(),
                    month(planned_start),
                    started.map(month).unwrap_or_default(),
                    month(planned_completion),
                    completed.map(month).unwrap_or_default(),
                ])?;
            }
        }
    }
    let path = dir.join("projects.csv");
    std::fs::write(&path, w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))?)?;
    Ok(path)
}
