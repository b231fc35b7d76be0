//! The reference catalogue: industries, regions and indicators, loaded as data.
//!
//! A catalogue is versioned data (`config/catalogue/anhui-2021.toml` is the default and is
//! embedded in the binary); another province or the 2026 list of ten is another file. The
//! catalogue answers "is this code known?" for the loader, gives names for reports, and
//! the region hierarchy (county → city → province by GB/T 2260 prefixes) for the measures.

use std::collections::HashMap;

use serde::Deserialize;

use crate::model::chain::{self, Chain};
use crate::model::tomlspan::{self, KeyPath};

/// The default catalogue's text, embedded so the binary runs without any file.
pub const ANHUI_2021: &str = include_str!("../../config/catalogue/anhui-2021.toml");

/// The catalogues built into the binary: (name, text). Each is also a file under
/// `config/catalogue/`.
pub const BUILT_IN: &[(&str, &str)] = &[
    ("anhui-2021", ANHUI_2021),
    ("jilin-2018", include_str!("../../config/catalogue/jilin-2018.toml")),
    ("chongqing-2023", include_str!("../../config/catalogue/chongqing-2023.toml")),
    ("hefei-2023", include_str!("../../config/catalogue/hefei-2023.toml")),
];

/// Code of the aggregate of the catalogue's member industries (reported, not summed).
pub const TEN: &str = "TEN";
/// Code of all industry above designated size, the denominator of shares.
pub const TOTAL: &str = "TOTAL";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IndicatorKind {
    /// Held in 亿元.
    Money,
    /// Held in units (enterprises, projects).
    Count,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Industry {
    pub code: String,
    pub zh: String,
    /// A short Chinese name for chart axes; defaults to `zh`.
    #[serde(default)]
    pub short_zh: Option<String>,
    pub en: String,
    /// One of the catalogue's member industries (whose union is `TEN`).
    #[serde(default)]
    pub member: bool,
}

impl Industry {
    pub fn short_zh(&self) -> &str {
        self.short_zh.as_deref().unwrap_or(&self.zh)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegionLevel {
    Province,
    City,
    County,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Region {
    pub code: String,
    pub zh: String,
    /// English name; counties usually have none.
    #[serde(default)]
    pub en: Option<String>,
}

impl Region {
    pub fn level(&self) -> RegionLevel {
        region_level(&self.code)
    }
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    pub code: String,
    pub zh: String,
    pub en: String,
    pub kind: IndicatorKind,
    #[serde(default = "yes")]
    pub nonnegative: bool,
    /// Whether the indicator accumulates within a year (a flow reported year to date, the
    /// default) or is a stock counted at the period's end (platforms, listed companies):
    /// a stock has no single-quarter measures, and its projected annual value is itself.
    #[serde(default = "yes")]
    pub cumulative: bool,
    /// How a value is written after the number in reports (个, 家); default 亿元 for money
    /// and nothing for counts.
    #[serde(default)]
    pub unit: Option<String>,
}

/// The indicator the measures of major projects are exported under.
pub const PROJECTS_INDICATOR: &str = "major_projects";
/// The indicator the city assessment is exported under.
pub const ASSESSMENT_INDICATOR: &str = "assessment";
/// Indicator codes seimon itself exports: no catalogue or configuration may define them.
pub const RESERVED_INDICATORS: [&str; 2] = [PROJECTS_INDICATOR, ASSESSMENT_INDICATOR];

fn yes() -> bool {
    true
}

/// The level of a GB/T 2260 code: `xx0000` province, `xxxx00` city, else county.
pub fn region_level(code: &str) -> RegionLevel {
    if code.ends_with("0000") {
        RegionLevel::Province
    } else if code.ends_with("00") {
        RegionLevel::City
    } else {
        RegionLevel::County
    }
}

/// The code one level up: county → city, city → province, province → none.
pub fn parent_code(code: &str) -> Option<String> {
    match region_level(code) {
        RegionLevel::Province => None,
        RegionLevel::City => Some(format!("{}0000", &code[..2])),
        RegionLevel::County => Some(format!("{}00", &code[..4])),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalogue {
    name: String,
    title_zh: String,
    title_en: String,
    industries: Vec<Industry>,
    #[serde(default)]
    regions: Vec<Region>,
    /// A region list (CSV `code,name,…`, as the statistics bureau publishes it) read in
    /// addition to `regions`, relative to the catalogue file: a national deployment names
    /// its official list here instead of copying three thousand entries.
    #[serde(default)]
    regions_file: Option<String>,
    indicators: Vec<Indicator>,
    /// The industrial chains monitored, with their segments and leaders.
    #[serde(default)]
    chains: Vec<Chain>,
}

/// Regions from the text of a CSV list (`origin` names it) with columns `code` and `name`
/// (others ignored); a code listed twice (a prefecture-level city without counties listed
/// again as its own county) is kept once.
fn parse_region_list(text: &str, origin: &str) -> Result<Vec<Region>, String> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| format!("{origin}: {e}"))?.clone();
    let column = |name: &str| headers.iter().position(|h| h.trim().trim_start_matches('\u{feff}') == name);
    let (Some(code), Some(name)) = (column("code"), column("name")) else {
        return Err(format!("{origin}: a region list needs the columns code and name"));
    };
    let en = column("name_en");
    let mut regions: Vec<Region> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("{origin}: {e}"))?;
        let c = record.get(code).unwrap_or_default().trim().to_string();
        if !seen.insert(c.clone()) {
            continue;
        }
        if c.len() != 6 || !c.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("{origin} row {}: `{c}` is not a six-digit GB/T 2260 code", i + 2));
        }
        regions.push(Region {
            code: c,
            zh: record.get(name).unwrap_or_default().trim().to_string(),
            en: en
                .and_then(|j| record.get(j))
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string),
        });
    }
    Ok(regions)
}

/// How a catalogue document gets the text of a file it names (its `regions_file`): the
/// caller reads it, the model does no I/O. `Err` is the reason, shown with the key.
pub type ReadFile<'a> = &'a dyn Fn(&str) -> Result<(String, String), String>;

/// A validated catalogue.
#[derive(Debug, Clone)]
pub struct Catalogue {
    pub name: String,
    pub title_zh: String,
    pub title_en: String,
    pub industries: Vec<Industry>,
    pub regions: Vec<Region>,
    pub indicators: Vec<Indicator>,
    /// The industrial chains, each with its segments from upstream to downstream.
    pub chains: Vec<Chain>,
    industry_ix: HashMap<String, usize>,
    region_ix: HashMap<String, usize>,
    indicator_ix: HashMap<String, usize>,
}

/// A catalogue that could not be read, with the file and line of the problem.
#[derive(Debug, thiserror::Error)]
#[error("{origin}{}: {message}", .line.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default())]
pub struct CatalogueError {
    pub origin: String,
    pub line: Option<(usize, usize)>,
    pub message: String,
}

impl Catalogue {
    /// The built-in Anhui catalogue.
    pub fn anhui() -> Catalogue {
        Catalogue::parse(ANHUI_2021, "built-in catalogue anhui-2021").expect("the embedded catalogue is valid")
    }

    /// The built-in catalogue `name` (also as `config/catalogue/NAME.toml`), if there is one.
    pub fn built_in(name: &str) -> Option<Result<Catalogue, CatalogueError>> {
        let name = name.trim_start_matches("config/catalogue/").trim_end_matches(".toml");
        let (n, text) = BUILT_IN.iter().find(|(n, _)| *n == name)?;
        Some(Catalogue::parse(text, &format!("built-in catalogue {n}")))
    }

    /// Parses and validates a catalogue document; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Catalogue, CatalogueError> {
        Catalogue::parse_in(text, origin, &|file| {
            Err(format!("`{file}`: a catalogue given as text cannot name a file"))
        })
    }

    /// [`Catalogue::parse`] of a file in `dir` (where a `regions_file` is looked for).
    /// [`Catalogue::parse`], reading the files it names with `read` (which answers the
    /// file's text and the name to show for it).
    pub fn parse_in(text: &str, origin: &str, read: ReadFile<'_>) -> Result<Catalogue, CatalogueError> {
        let err = |path: &str, message: String| CatalogueError {
            origin: origin.to_string(),
            line: tomlspan::locate(text, &KeyPath::parse(path)),
            message,
        };
        let mut raw: RawCatalogue = toml::from_str(text).map_err(|e| CatalogueError {
            origin: origin.to_string(),
            line: e.span().map(|s| tomlspan::line_col(text, s.start)),
            message: e.message().to_string(),
        })?;
        if let Some(file) = &raw.regions_file {
            let listed = read(file)
                .and_then(|(text, shown)| parse_region_list(&text, &shown))
                .map_err(|m| err("regions_file", m))?;
            let known: std::collections::HashSet<String> = raw.regions.iter().map(|r| r.code.clone()).collect();
            raw.regions.extend(listed.into_iter().filter(|r| !known.contains(&r.code)));
        }
        let mut industry_ix = HashMap::new();
        for (i, ind) in raw.industries.iter().enumerate() {
            let ok = !ind.code.is_empty() && ind.code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
            if !ok {
                return Err(err(
                    &format!("industries[{i}].code"),
                    format!("industry code `{}` must be upper-case letters, digits or _", ind.code),
                ));
            }
            if industry_ix.insert(ind.code.clone(), i).is_some() {
                return Err(err(
                    &format!("industries[{i}].code"),
                    format!("industry code `{}` appears twice", ind.code),
                ));
            }
            if ind.member && (ind.code == TEN || ind.code == TOTAL) {
                return Err(err(
                    &format!("industries[{i}].member"),
                    format!("`{}` is an aggregate and cannot be a member industry", ind.code),
                ));
            }
        }
        for required in [TEN, TOTAL] {
            if !industry_ix.contains_key(required) {
                return Err(err(
                    "industries",
                    format!("the catalogue must define the aggregate industry `{required}`"),
                ));
            }
        }
        let mut region_ix = HashMap::new();
        for (i, r) in raw.regions.iter().enumerate() {
            if r.code.len() != 6 || !r.code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err(
                    &format!("regions[{i}].code"),
                    format!("region code `{}` is not a six-digit GB/T 2260 code", r.code),
                ));
            }
            if region_ix.insert(r.code.clone(), i).is_some() {
                return Err(err(
                    &format!("regions[{i}].code"),
                    format!("region code `{}` appears twice", r.code),
                ));
            }
        }
        for (i, r) in raw.regions.iter().enumerate() {
            if let Some(parent) = parent_code(&r.code)
                && !region_ix.contains_key(&parent)
            {
                return Err(err(
                    &format!("regions[{i}].code"),
                    format!("region `{}` rolls up to `{parent}`, which the catalogue does not list", r.code),
                ));
            }
        }
        let mut indicator_ix = HashMap::new();
        for (i, k) in raw.indicators.iter().enumerate() {
            if RESERVED_INDICATORS.contains(&k.code.as_str()) {
                return Err(err(
                    &format!("indicators[{i}].code"),
                    format!("`{}` is an indicator seimon exports itself: choose another code", k.code),
                ));
            }
            if indicator_ix.insert(k.code.clone(), i).is_some() {
                return Err(err(
                    &format!("indicators[{i}].code"),
                    format!("indicator `{}` appears twice", k.code),
                ));
            }
        }
        if let Some((path, message)) = chain::check(&raw.chains) {
            return Err(err(&path, message));
        }
        Ok(Catalogue {
            name: raw.name,
            title_zh: raw.title_zh,
            title_en: raw.title_en,
            industries: raw.industries,
            regions: raw.regions,
            indicators: raw.indicators,
            chains: raw.chains,
            industry_ix,
            region_ix,
            indicator_ix,
        })
    }

    /// The catalogue as a TOML document whose regions come from `regions_file` (the
    /// generator of national data writes one beside its region list).
    pub fn to_toml_with_region_list(&self, regions_file: &str) -> String {
        #[derive(serde::Serialize)]
        struct Doc<'a> {
            name: &'a str,
            title_zh: &'a str,
            title_en: &'a str,
            regions_file: &'a str,
            industries: &'a [Industry],
            indicators: &'a [Indicator],
        }
        toml::to_string(&Doc {
            name: &self.name,
            title_zh: &self.title_zh,
            title_en: &self.title_en,
            regions_file,
            industries: &self.industries,
            indicators: &self.indicators,
        })
        .expect("a catalogue serialises")
    }

    /// The catalogue with extra indicators (from the configuration); the caller has checked
    /// that their codes are new.
    pub fn with_indicators(&self, extra: Vec<Indicator>) -> Catalogue {
        let mut c = self.clone();
        for k in extra {
            c.indicator_ix.insert(k.code.clone(), c.indicators.len());
            c.indicators.push(k);
        }
        c
    }

    /// Codes of the indicators that are stocks (do not accumulate within a year).
    pub fn stocks(&self) -> Vec<String> {
        self.indicators.iter().filter(|k| !k.cumulative).map(|k| k.code.clone()).collect()
    }

    pub fn industry(&self, code: &str) -> Option<&Industry> {
        self.industry_ix.get(code).map(|&i| &self.industries[i])
    }

    pub fn region(&self, code: &str) -> Option<&Region> {
        self.region_ix.get(code).map(|&i| &self.regions[i])
    }

    pub fn indicator(&self, code: &str) -> Option<&Indicator> {
        self.indicator_ix.get(code).map(|&i| &self.indicators[i])
    }

    /// Whether measures can be asked of `code`: an indicator of the catalogue, or the major
    /// projects' own (the assessment's rows are read only as a whole).
    pub fn knows_indicator(&self, code: &str) -> bool {
        self.indicator(code).is_some() || code == PROJECTS_INDICATOR
    }

    /// The member industries (the ten), in catalogue order.
    pub fn members(&self) -> impl Iterator<Item = &Industry> {
        self.industries.iter().filter(|i| i.member)
    }

    /// The provinces of the catalogue.
    pub fn provinces(&self) -> impl Iterator<Item = &Region> {
        self.regions.iter().filter(|r| r.level() == RegionLevel::Province)
    }

    /// The regions one level below `code` (cities of a province, counties of a city).
    pub fn children_of<'a>(&'a self, code: &'a str) -> impl Iterator<Item = &'a Region> + 'a {
        self.regions.iter().filter(move |r| parent_code(&r.code).as_deref() == Some(code))
    }

    /// A region's Chinese name, or its code when unknown.
    pub fn region_zh<'a>(&'a self, code: &'a str) -> &'a str {
        self.region(code).map_or(code, |r| r.zh.as_str())
    }

    /// An industry's short Chinese name (a chain row's name), or its code when unknown.
    pub fn industry_short_zh<'a>(&'a self, code: &'a str) -> std::borrow::Cow<'a, str> {
        match self.industry(code) {
            Some(i) => i.short_zh().into(),
            None => self.chain_row_names(code).map_or(code.into(), |(zh, _)| zh.into()),
        }
    }

    /// The Chinese and English names of a chain's row (`chain.IC`, `chain.IC.design`,
    /// `chain.IC@leaders`, `chain.IC@others`), if `code` is one.
    pub fn chain_row_names(&self, code: &str) -> Option<(String, String)> {
        use crate::model::chain::{LEADERS_SUFFIX, OTHERS_SUFFIX, ROW_PREFIX};
        let rest = code.strip_prefix(ROW_PREFIX)?;
        let (rest, group) = match (rest.strip_suffix(LEADERS_SUFFIX), rest.strip_suffix(OTHERS_SUFFIX)) {
            (Some(r), _) => (r, Some(("链主企业", " leaders"))),
            (_, Some(r)) => (r, Some(("其他企业", " other enterprises"))),
            _ => (rest, None),
        };
        let (chain_code, segment) = rest.split_once('.').map_or((rest, None), |(c, s)| (c, Some(s)));
        let chain = self.chains.iter().find(|c| c.code == chain_code)?;
        match (segment, group) {
            (None, None) => Some((chain.zh.clone(), chain.en.clone())),
            (None, Some((zh, en))) => Some((format!("{}{zh}", chain.zh), format!("{}{en}", chain.en))),
            (Some(s), None) => {
                let s = chain.segments.iter().find(|x| x.code == s)?;
                Some((format!("{}·{}", chain.zh, s.zh), format!("{}: {}", chain.en, s.en)))
            }
            (Some(_), Some(_)) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_rows_are_named_after_their_chain() {
        let c = Catalogue::built_in("hefei-2023").unwrap().unwrap();
        let zh = |code: &str| c.chain_row_names(code).map(|n| n.0);
        assert_eq!(zh("chain.IC").as_deref(), Some("集成电路产业链"));
        assert_eq!(zh("chain.IC.design").as_deref(), Some("集成电路产业链·芯片设计"));
        assert_eq!(zh("chain.IC@leaders").as_deref(), Some("集成电路产业链链主企业"));
        assert_eq!(c.chain_row_names("chain.IC.nothing"), None);
        assert_eq!(c.chain_row_names("IC"), None, "an industry is not a chain row");
        assert_eq!(c.industry_short_zh("chain.NEV.vehicles"), "新能源汽车暨智能网联汽车产业链·整车");
    }

    #[test]
    fn the_built_in_catalogue_is_anhui() {
        let c = Catalogue::anhui();
        assert_eq!(c.members().count(), 10);
        assert_eq!(c.children_of("340000").count(), 16);
        assert_eq!(
            c.region("340104").map(|r| r.level()),
            Some(RegionLevel::County),
            "蜀山区 rolls up to 合肥"
        );
        assert!(c.region("341400").is_none(), "3414 is unused");
        assert_eq!(c.industry("NEV").unwrap().zh, "新能源汽车和智能网联汽车");
        assert_eq!(c.indicator("enterprises").unwrap().kind, IndicatorKind::Count);
    }

    #[test]
    fn every_built_in_catalogue_is_valid() {
        for (name, _) in BUILT_IN {
            let c = Catalogue::built_in(name).unwrap().unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(&c.name, name);
            assert!(c.members().count() >= 8, "{name}");
        }
        assert_eq!(Catalogue::built_in("jilin-2018").unwrap().unwrap().children_of("220000").count(), 9);
        assert_eq!(
            Catalogue::built_in("hefei-2023").unwrap().unwrap().children_of("340100").count(),
            12
        );
    }

    #[test]
    fn hierarchy_follows_gbt2260_prefixes() {
        assert_eq!(parent_code("340104").as_deref(), Some("340100"));
        assert_eq!(parent_code("340100").as_deref(), Some("340000"));
        assert_eq!(parent_code("340000"), None);
    }

    #[test]
    fn errors_name_the_line() {
        let text = ANHUI_2021.replacen("code = \"341800\"", "code = \"34180\"", 1);
        let e = Catalogue::parse(&text, "cat.toml").unwrap_err();
        let line = text.lines().position(|l| l.contains("\"34180\"")).unwrap() + 1;
        assert_eq!(e.line.map(|l| l.0), Some(line));
        assert!(e.to_string().starts_with(&format!("cat.toml:{line}:")), "{e}");
        assert!(e.message.contains("34180"), "{e}");
    }
}
