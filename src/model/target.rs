//! Plan targets (domain.md "Targets"): level targets on a geometric path, growth targets,
//! share targets — their shape, and their validation against the catalogue.
//!
//! Targets come from the configuration (`[[targets]]`) and from targets files loaded with
//! `seimon ingest`. Both arrive as [`TargetFields`] (the columns of interfaces.md) and are
//! validated by the same code into [`Target`]s. A file's target replaces a configured one
//! with the same [`Target::key`].

use serde::{Deserialize, Serialize};

use crate::model::catalogue::Catalogue;
use crate::model::units::parse_unit;

/// The columns of a target, as written in the configuration or a targets file.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct TargetFields {
    pub kind: Option<String>,
    pub region_code: Option<String>,
    /// One code, or (in the configuration) a list: one target each.
    pub industry_code: Option<OneOrMany>,
    pub indicator: Option<String>,
    pub base_year: Option<i32>,
    pub base_value: Option<f64>,
    pub target_year: Option<i32>,
    pub target_value: Option<f64>,
    pub multiple: Option<f64>,
    pub year: Option<i32>,
    pub pct: Option<f64>,
    pub pp_per_year: Option<f64>,
    /// Unit of `base_value` and `target_value` (default: the indicator's canonical unit).
    pub unit: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn codes(&self) -> Vec<&str> {
        match self {
            OneOrMany::One(c) => vec![c.as_str()],
            OneOrMany::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// What a target says about its series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TargetSpec {
    /// The level grows geometrically from V0 in Y0 to VT in YT. `base_value: None` takes
    /// V0 from the data (the Q4 year-to-date of Y0); VT is `target_value` or `multiple` × V0.
    Level {
        base_year: i32,
        base_value: Option<f64>,
        target_year: i32,
        target_value: Option<f64>,
        multiple: Option<f64>,
    },
    /// Year-on-year growth of `pct` % in `year`.
    Growth { year: i32, pct: f64 },
    /// A share of TOTAL of `pct` % in `year`.
    Share { year: i32, pct: f64 },
    /// A share rising `pp_per_year` a year to `pct` % in `target_year`
    /// (S_y = pct − pp_per_year × (target_year − y)), from `base_year` when given.
    SharePath {
        target_year: i32,
        pct: f64,
        pp_per_year: f64,
        base_year: Option<i32>,
    },
}

/// A validated target of one series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub region: String,
    pub industry: String,
    pub indicator: String,
    pub spec: TargetSpec,
}

impl Target {
    /// Targets with the same key are the same target (a later one replaces an earlier).
    pub fn key(&self) -> String {
        let kind = match &self.spec {
            TargetSpec::Level { .. } => "level".to_string(),
            TargetSpec::Growth { year, .. } => format!("growth:{year}"),
            TargetSpec::Share { year, .. } => format!("share:{year}"),
            TargetSpec::SharePath { .. } => "share_path".to_string(),
        };
        format!("{kind}/{}/{}/{}", self.region, self.industry, self.indicator)
    }
}

/// Replaces targets of `base` by those of `over` with the same key; keeps the rest.
pub fn overlay(base: &[Target], over: &[Target]) -> Vec<Target> {
    let keys: std::collections::HashSet<String> = over.iter().map(Target::key).collect();
    base.iter()
        .filter(|t| !keys.contains(&t.key()))
        .cloned()
        .chain(over.iter().cloned())
        .collect()
}

/// A problem with one field of a target: (field, message).
pub type FieldProblem = (&'static str, String);

fn year_ok(y: i32) -> bool {
    (1949..=2199).contains(&y)
}

impl TargetFields {
    /// Validates the fields into targets (one per industry code).
    pub fn validate(&self, catalogue: &Catalogue) -> Result<Vec<Target>, Vec<FieldProblem>> {
        let mut problems: Vec<FieldProblem> = Vec::new();
        let require = |name: &'static str, present: bool, problems: &mut Vec<FieldProblem>| {
            if !present {
                problems.push((name, format!("`{name}` is required for this kind of target")));
            }
        };
        let region = self.region_code.clone().unwrap_or_default();
        if catalogue.region(&region).is_none() {
            problems.push((
                "region_code",
                format!("unknown region code `{region}` (not in catalogue {})", catalogue.name),
            ));
        }
        let industries: Vec<String> = self
            .industry_code
            .as_ref()
            .map(|c| c.codes().into_iter().map(str::to_string).collect())
            .unwrap_or_default();
        if industries.is_empty() {
            problems.push(("industry_code", "`industry_code` is required".into()));
        }
        for code in &industries {
            if catalogue.industry(code).is_none() {
                problems.push((
                    "industry_code",
                    format!("unknown industry code `{code}` (not in catalogue {})", catalogue.name),
                ));
            }
        }
        let indicator = self.indicator.clone().unwrap_or_default();
        let ind = catalogue.indicator(&indicator);
        if ind.is_none() {
            problems.push(("indicator", format!("unknown indicator `{indicator}`")));
        }
        let unit = match (&self.unit, ind) {
            (Some(u), Some(k)) => match parse_unit(u) {
                Some(unit) if unit.kind == k.kind => Some(unit),
                Some(_) => {
                    problems.push(("unit", format!("unit `{u}` does not fit indicator `{indicator}`")));
                    None
                }
                None => {
                    problems.push(("unit", format!("unknown unit `{u}`")));
                    None
                }
            },
            _ => None,
        };
        let canonical = |v: f64| unit.map_or(v, |u| u.to_canonical(v));
        for (name, year) in [
            ("base_year", self.base_year),
            ("target_year", self.target_year),
            ("year", self.year),
        ] {
            if let Some(y) = year.filter(|y| !year_ok(*y)) {
                problems.push((name, format!("year {y} is not plausible")));
            }
        }
        let kind = self.kind.clone().unwrap_or_default();
        let spec = match kind.as_str() {
            "level" => {
                require("base_year", self.base_year.is_some(), &mut problems);
                require("target_year", self.target_year.is_some(), &mut problems);
                if self.target_value.is_none() && self.multiple.is_none() {
                    problems.push(("target_value", "a level target needs `target_value` or `multiple`".into()));
                }
                if self.target_value.is_some() && self.multiple.is_some() {
                    problems.push(("multiple", "give `target_value` or `multiple`, not both".into()));
                }
                if let (Some(b), Some(t)) = (self.base_year, self.target_year)
                    && t <= b
                {
                    problems.push(("target_year", format!("the target year {t} must come after the base year {b}")));
                }
                for (name, v) in [
                    ("base_value", self.base_value),
                    ("target_value", self.target_value),
                    ("multiple", self.multiple),
                ] {
                    if let Some(v) = v.filter(|v| !(*v > 0.0 && v.is_finite())) {
                        problems.push((name, format!("must be a positive number, not {v}")));
                    }
                }
                TargetSpec::Level {
                    base_year: self.base_year.unwrap_or_default(),
                    base_value: self.base_value.map(canonical),
                    target_year: self.target_year.unwrap_or_default(),
                    target_value: self.target_value.map(canonical),
                    multiple: self.multiple,
                }
            }
            "growth" => {
                require("year", self.year.is_some(), &mut problems);
                require("pct", self.pct.is_some(), &mut problems);
                TargetSpec::Growth {
                    year: self.year.unwrap_or_default(),
                    pct: self.pct.unwrap_or_default(),
                }
            }
            "share" => {
                require("pct", self.pct.is_some(), &mut problems);
                if let Some(p) = self.pct.filter(|p| !(0.0..=100.0).contains(p)) {
                    problems.push(("pct", format!("a share of {p} % is impossible")));
                }
                match (self.year, self.target_year, self.pp_per_year) {
                    (Some(year), None, None) => TargetSpec::Share {
                        year,
                        pct: self.pct.unwrap_or_default(),
                    },
                    (None, Some(target_year), Some(pp)) => TargetSpec::SharePath {
                        target_year,
                        pct: self.pct.unwrap_or_default(),
                        pp_per_year: pp,
                        base_year: self.base_year,
                    },
                    _ => {
                        problems.push((
                            "year",
                            "a share target needs `year` and `pct`, or `target_year`, `pct` and `pp_per_year`".into(),
                        ));
                        TargetSpec::Share { year: 0, pct: 0.0 }
                    }
                }
            }
            other => {
                problems.push(("kind", format!("unknown target kind `{other}`: expected level, growth or share")));
                TargetSpec::Growth { year: 0, pct: 0.0 }
            }
        };
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(industries
            .into_iter()
            .map(|industry| Target {
                region: region.clone(),
                industry,
                indicator: indicator.clone(),
                spec: spec.clone(),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(kind: &str) -> TargetFields {
        TargetFields {
            kind: Some(kind.into()),
            region_code: Some("340000".into()),
            industry_code: Some(OneOrMany::Many(vec!["NGIT".into(), "TEN".into()])),
            indicator: Some("operating_income".into()),
            ..TargetFields::default()
        }
    }

    #[test]
    fn a_doubling_target_for_several_industries() {
        let f = TargetFields {
            base_year: Some(2020),
            target_year: Some(2025),
            multiple: Some(2.0),
            ..fields("level")
        };
        let t = f.validate(&Catalogue::anhui()).unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t[1].industry, "TEN");
        assert_eq!(t[0].key(), "level/340000/NGIT/operating_income");
    }

    #[test]
    fn values_in_other_units_are_converted() {
        let f = TargetFields {
            base_year: Some(2020),
            base_value: Some(2.0),
            target_year: Some(2025),
            target_value: Some(4.0),
            unit: Some("万亿元".into()),
            ..fields("level")
        };
        let t = f.validate(&Catalogue::anhui()).unwrap();
        assert_eq!(
            t[0].spec,
            TargetSpec::Level {
                base_year: 2020,
                base_value: Some(20_000.0),
                target_year: 2025,
                target_value: Some(40_000.0),
                multiple: None
            }
        );
    }

    #[test]
    fn problems_name_their_field() {
        let f = TargetFields {
            base_year: Some(2025),
            target_year: Some(2020),
            ..fields("level")
        };
        let p = f.validate(&Catalogue::anhui()).unwrap_err();
        assert!(
            p.contains(&("target_year", "the target year 2020 must come after the base year 2025".into())),
            "{p:?}"
        );
        assert!(p.iter().any(|(f, _)| *f == "target_value"), "{p:?}");
        let p = TargetFields {
            pct: Some(18.7),
            ..fields("share")
        }
        .validate(&Catalogue::anhui())
        .unwrap_err();
        assert_eq!(p[0].0, "year");
        let p = TargetFields {
            year: Some(2025),
            pct: Some(6.0),
            ..fields("speed")
        }
        .validate(&Catalogue::anhui())
        .unwrap_err();
        assert_eq!(
            p,
            vec![("kind", "unknown target kind `speed`: expected level, growth or share".to_string())]
        );
    }

    #[test]
    fn a_file_target_replaces_the_configured_one_with_the_same_key() {
        let c = Catalogue::anhui();
        let configured = TargetFields {
            base_year: Some(2020),
            target_year: Some(2025),
            multiple: Some(2.0),
            ..fields("level")
        }
        .validate(&c)
        .unwrap();
        let file = TargetFields {
            industry_code: Some(OneOrMany::One("NGIT".into())),
            base_year: Some(2020),
            target_year: Some(2025),
            multiple: Some(2.5),
            ..fields("level")
        }
        .validate(&c)
        .unwrap();
        let all = overlay(&configured, &file);
        assert_eq!(all.len(), 2);
        let ngit = all.iter().find(|t| t.industry == "NGIT").unwrap();
        assert!(matches!(ngit.spec, TargetSpec::Level { multiple: Some(m), .. } if m == 2.5));
    }
}
