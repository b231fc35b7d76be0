//! Risk monitoring: traffic lights with a memory, and data-quality findings. No I/O.
//!
//! A [`Rule`] reads one measure over a scope and gives red, yellow or green; colours mean
//! what the rule says. Flags are evaluated over the measure history, so a flag's state
//! against the previous quarter (new, persisting, escalated, eased, resolved) and the
//! quarter it was first raised are derived from the data — reproducible with `--as-of`,
//! and nothing to keep in step. A resolved flag is reported in the quarter it resolves
//! and not after. A silenced flag is listed, marked, and left out of the counts until its
//! silence expires.
//!
//! Data-quality findings (missing series, published growth far from growth computed from
//! levels, large revisions, outliers) are a separate class and never counted as business
//! risks.

mod groups;
mod materiality;
mod output;
mod quality;
mod rules;

pub use self::groups::{Group, Grouping, Inhibit, brief, group, group_subject, sentence, severity};
pub use self::materiality::{Floors, Materiality, Size, Sizes};
pub use self::output::{CSV_HEADER, to_csv};
pub use self::quality::{Completeness, GROWTH_GAP_PP, OUTLIER_Z, QualityInputs, REVISION_PCT, data_quality};
pub use self::rules::evaluate;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::model::catalogue::Catalogue;
use crate::model::labels::Names;
use crate::model::language::Language;
use crate::model::period::Period;

/// The class of a flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    Business,
    DataQuality,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Business => "business",
            Class::DataQuality => "data_quality",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Green,
    Yellow,
    Red,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Green => "green",
            Level::Yellow => "yellow",
            Level::Red => "red",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Level::Green => "绿灯",
            Level::Yellow => "黄灯",
            Level::Red => "红灯",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    New,
    Persisting,
    Escalated,
    Eased,
    Resolved,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::New => "new",
            State::Persisting => "persisting",
            State::Escalated => "escalated",
            State::Eased => "eased",
            State::Resolved => "resolved",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            State::New => "新增",
            State::Persisting => "持续",
            State::Escalated => "升级",
            State::Eased => "缓解",
            State::Resolved => "解除",
        }
    }
}

/// Which way a rule's measure is bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Bad when the value is below the threshold (≤ with `inclusive`).
    Below,
    /// Bad when the value is above the threshold (≥ with `inclusive`).
    Above,
}

/// A validated rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub id: String,
    /// Which rows the rule reads: industries, chains or chain segments.
    pub on: On,
    /// What the flag says, in Chinese ("负增长").
    pub name: String,
    /// The same in English ("negative growth").
    pub name_en: String,
    pub measure: String,
    /// Empty: every region (likewise levels, industries and indicators).
    pub regions: Vec<String>,
    /// Region levels the rule applies to (a concentration rule means little in a county
    /// with a handful of enterprises).
    pub levels: Vec<crate::model::catalogue::RegionLevel>,
    pub industries: Vec<String>,
    pub indicators: Vec<String>,
    pub direction: Direction,
    /// Compare with ≤ / ≥ instead of < / >.
    pub inclusive: bool,
    pub yellow: Option<f64>,
    pub red: Option<f64>,
    /// The condition must hold this many quarters running.
    pub running: u32,
    /// A segment rule lights only in quarters when the segment's chain grows on the
    /// same indicator in the same region (a segment falling while its chain grows).
    pub while_chain_grows: bool,
    /// The floors a series must clear for its flag to count, per region level.
    pub materiality: Materiality,
}

/// The rows a rule reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum On {
    /// The catalogue's industries, `TEN` and `TOTAL`.
    #[default]
    Industries,
    /// Industrial chains (`chain.IC`), their leaders' measures included.
    Chains,
    /// Chains' segments (`chain.IC.design`).
    Segments,
}

impl On {
    /// The kind of row an industry code is.
    pub fn of(industry: &str) -> Option<On> {
        let Some(rest) = industry.strip_prefix(crate::model::chain::ROW_PREFIX) else {
            return Some(On::Industries);
        };
        if rest.contains('@') {
            None // a chain's leaders or the rest: read through the chain's measures
        } else if rest.contains('.') {
            Some(On::Segments)
        } else {
            Some(On::Chains)
        }
    }
}

impl Rule {
    fn crosses(&self, value: f64, threshold: f64) -> bool {
        match (self.direction, self.inclusive) {
            (Direction::Below, false) => value < threshold,
            (Direction::Below, true) => value <= threshold,
            (Direction::Above, false) => value > threshold,
            (Direction::Above, true) => value >= threshold,
        }
    }

    /// The level of one value.
    pub fn level(&self, value: f64) -> Level {
        if self.red.is_some_and(|t| self.crosses(value, t)) {
            Level::Red
        } else if self.yellow.is_some_and(|t| self.crosses(value, t)) {
            Level::Yellow
        } else {
            Level::Green
        }
    }

    fn threshold(&self, level: Level) -> Option<f64> {
        match level {
            Level::Red => self.red,
            _ => self.yellow.or(self.red),
        }
    }

    /// The rule's name in `lang`.
    pub fn label(&self, lang: Language) -> &str {
        if lang == Language::En { &self.name_en } else { &self.name }
    }

    fn applies(&self, region: &str, industry: &str, indicator: &str) -> bool {
        let within = |list: &[String], code: &str| list.is_empty() || list.iter().any(|c| c == code);
        // an industry rule reads industries: chains and their segments have rules of their own
        if On::of(industry) != Some(self.on) {
            return false;
        }
        let level_ok = self.levels.is_empty() || self.levels.contains(&crate::model::catalogue::region_level(region));
        level_ok && within(&self.regions, region) && within(&self.industries, industry) && within(&self.indicators, indicator)
    }

    fn comparison(&self) -> &'static str {
        match (self.direction, self.inclusive) {
            (Direction::Below, false) => "低于",
            (Direction::Below, true) => "不高于",
            (Direction::Above, false) => "高于",
            (Direction::Above, true) => "不低于",
        }
    }
}

#[cfg(test)]
impl Rule {
    /// A rule for tests: `measure` below `yellow` / `red`, everywhere, one quarter, no
    /// materiality floor.
    pub(crate) fn below(id: &str, name: &str, measure: &str, yellow: Option<f64>, red: Option<f64>) -> Rule {
        Rule {
            on: On::Industries,
            id: id.into(),
            name: name.into(),
            name_en: id.replace('_', " "),
            measure: measure.into(),
            regions: vec![],
            levels: vec![],
            industries: vec![],
            indicators: vec![],
            direction: Direction::Below,
            inclusive: false,
            yellow,
            red,
            running: 1,
            while_chain_grows: false,
            materiality: Materiality::default(),
        }
    }
}

/// A silence (acknowledgement) of one risk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Silence {
    pub risk_id: String,
    pub reason: String,
    /// The last day the silence holds.
    pub until: NaiveDate,
}

/// One flag of a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flag {
    pub period: Period,
    pub class: Class,
    /// Stable per (rule, scope): `rule:region:industry:indicator`.
    pub risk_id: String,
    pub rule: String,
    pub level: Level,
    pub state: State,
    pub region: String,
    pub industry: String,
    pub indicator: String,
    pub measure: String,
    pub value: Option<f64>,
    pub threshold: Option<f64>,
    pub message: String,
    /// The first quarter of the current run of flags.
    pub since: Period,
    pub silenced: Option<Silence>,
    /// The light a quarter earlier.
    pub previous: Level,
    /// The first quarter of the current run in which any indicator of its group (rule,
    /// region, industry) was lit.
    pub group_since: Period,
    /// The series matters (see [`materiality`]): an immaterial flag is listed in
    /// `risks.csv`, neither counted nor coloured.
    pub material: bool,
    /// The group of its cause, `rule:region:industry` (a data-quality finding: its own id).
    pub group: String,
    /// The severity score (see [`groups`]); 0 when resolved or data quality.
    pub score: f64,
}

impl Flag {
    /// Counted in headline numbers: a business risk, raised, material, not silenced.
    pub fn counts(&self) -> bool {
        self.class == Class::Business && self.state != State::Resolved && self.silenced.is_none() && self.material
    }
}

/// What a flag is about, named in `lang`: region, industry, indicator.
/// A series named for a reader: 合肥市新一代信息技术营业收入.
pub fn subject(lang: Language, catalogue: &Catalogue, region: &str, industry: &str, indicator: &str) -> String {
    let n = Names { lang, catalogue };
    match lang {
        Language::Zh => format!("{}{}{}", n.region(region), n.industry_short(industry), n.indicator(indicator)),
        Language::En => format!("{}, {}, {}", n.region(region), n.industry_short(industry), n.indicator(indicator)),
    }
}

/// A figure in a flag's message: two decimals at most, trailing zeros dropped.
fn fmt(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::MeasureRow;
    use crate::model::observation::Revision;

    fn rule(measure: &str, direction: Direction, inclusive: bool, yellow: Option<f64>, red: Option<f64>, running: u32) -> Rule {
        Rule {
            on: On::Industries,
            id: "r".into(),
            name: "测试".into(),
            name_en: "test".into(),
            measure: measure.into(),
            regions: vec![],
            levels: vec![],
            industries: vec![],
            indicators: vec![],
            direction,
            inclusive,
            yellow,
            red,
            running,
            while_chain_grows: false,
            materiality: Materiality::default(),
        }
    }

    fn m(period: &str, industry: &str, measure: &str, value: f64) -> MeasureRow {
        MeasureRow {
            period: period.parse().unwrap(),
            region: "340000".into(),
            industry: industry.into(),
            indicator: "operating_income".into(),
            measure: measure.into(),
            value,
        }
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn eval(rules: &[Rule], rows: &[MeasureRow], period: &str) -> Vec<Flag> {
        evaluate(
            rules,
            rows,
            period.parse().unwrap(),
            &[],
            day("2025-11-01"),
            &Catalogue::anhui(),
            Language::Zh,
        )
    }

    #[test]
    fn every_rule_kind_at_its_boundaries() {
        // negative growth: yellow < 0, red < −10 (strict: exactly at a threshold is not past it)
        let growth = rule("yoy_pct", Direction::Below, false, Some(0.0), Some(-10.0), 1);
        assert_eq!(growth.level(0.0), Level::Green);
        assert_eq!(growth.level(-0.01), Level::Yellow);
        assert_eq!(growth.level(-10.0), Level::Yellow);
        assert_eq!(growth.level(-10.01), Level::Red);
        // projects behind time: ≤ −10 yellow, ≤ −30 red (inclusive)
        let projects = rule("investment_progress_gap_pp", Direction::Below, true, Some(-10.0), Some(-30.0), 1);
        assert_eq!(projects.level(-9.99), Level::Green);
        assert_eq!(projects.level(-10.0), Level::Yellow);
        assert_eq!(projects.level(-30.0), Level::Red);
        // loss ratio: ≥ 20 yellow, ≥ 30 red (upwards, inclusive)
        let loss = rule("loss_ratio_pct", Direction::Above, true, Some(20.0), Some(30.0), 1);
        assert_eq!(loss.level(19.99), Level::Green);
        assert_eq!(loss.level(20.0), Level::Yellow);
        assert_eq!(loss.level(30.0), Level::Red);
        // a red-only rule
        let red_only = rule("quarter_yoy_pct", Direction::Below, false, None, Some(0.0), 1);
        assert_eq!(red_only.level(-0.1), Level::Red);
        assert_eq!(red_only.level(0.0), Level::Green);
    }

    #[test]
    fn a_segment_falling_is_flagged_only_while_its_chain_grows() {
        let r = Rule {
            on: On::Segments,
            while_chain_grows: true,
            ..rule("yoy_pct", Direction::Below, false, Some(0.0), Some(-10.0), 1)
        };
        // 2025Q2: the design segment falls 12 % while its chain grows 3 %: red; 2025Q3 the
        // chain falls too (−1 %): the segment's fall is the chain's, green — and resolved
        let rows = [
            m("2025Q2", "chain.IC.design", "yoy_pct", -12.0),
            m("2025Q2", "chain.IC", "yoy_pct", 3.0),
            m("2025Q2", "chain.IC.fab", "yoy_pct", 5.0),
            m("2025Q3", "chain.IC.design", "yoy_pct", -12.0),
            m("2025Q3", "chain.IC", "yoy_pct", -1.0),
            // a segment of a chain whose growth is not known is not known to lag it
            m("2025Q2", "chain.FPD.panels", "yoy_pct", -5.0),
        ];
        let flags = eval(std::slice::from_ref(&r), &rows, "2025Q2");
        assert_eq!(flags.len(), 1, "{flags:?}");
        assert_eq!((flags[0].industry.as_str(), flags[0].level), ("chain.IC.design", Level::Red));
        let flags = eval(std::slice::from_ref(&r), &rows, "2025Q3");
        assert_eq!(flags.len(), 1, "{flags:?}");
        assert_eq!((flags[0].level, flags[0].state), (Level::Green, State::Resolved));
        // without the guard the same fall is red in both quarters
        let plain = Rule {
            while_chain_grows: false,
            ..r
        };
        let flags = eval(std::slice::from_ref(&plain), &rows, "2025Q3");
        assert_eq!(flags.iter().filter(|f| f.level == Level::Red).count(), 1);
    }

    #[test]
    fn n_quarters_running() {
        let r = rule("quarter_yoy_pct", Direction::Below, false, None, Some(0.0), 2);
        let rows = [
            m("2025Q1", "NGIT", "quarter_yoy_pct", 3.0),
            m("2025Q2", "NGIT", "quarter_yoy_pct", -1.0),
            m("2025Q3", "NGIT", "quarter_yoy_pct", -2.0),
        ];
        assert!(
            eval(std::slice::from_ref(&r), &rows[..2], "2025Q2").is_empty(),
            "one falling quarter is not two"
        );
        let flags = eval(std::slice::from_ref(&r), &rows, "2025Q3");
        assert_eq!(flags.len(), 1);
        assert_eq!(
            (flags[0].level, flags[0].state, flags[0].since),
            (Level::Red, State::New, "2025Q3".parse().unwrap())
        );
        // across a year boundary, and a missing quarter breaks the run
        let rows = [
            m("2024Q4", "NGIT", "quarter_yoy_pct", -1.0),
            m("2025Q1", "NGIT", "quarter_yoy_pct", -2.0),
        ];
        assert_eq!(eval(std::slice::from_ref(&r), &rows, "2025Q1")[0].level, Level::Red);
        let rows = [
            m("2024Q3", "NGIT", "quarter_yoy_pct", -1.0),
            m("2025Q1", "NGIT", "quarter_yoy_pct", -2.0),
        ];
        assert!(eval(&[r], &rows, "2025Q1").is_empty());
    }

    #[test]
    fn every_state_over_three_quarters() {
        let r = rule("yoy_pct", Direction::Below, false, Some(0.0), Some(-10.0), 1);
        // per industry, growth in Q1, Q2, Q3
        let series = [
            ("NGIT", [5.0, -1.0, -2.0]),    // green → yellow (new) → yellow (persisting)
            ("NEV", [-1.0, -12.0, -3.0]),   // yellow → red (escalated) → yellow (eased)
            ("DCI", [-1.0, 2.0, 3.0]),      // yellow → green (resolved) → green (dropped)
            ("HEM", [-15.0, -15.0, -15.0]), // red since Q1
        ];
        let rows: Vec<MeasureRow> = series
            .iter()
            .flat_map(|(i, v)| {
                ["2025Q1", "2025Q2", "2025Q3"]
                    .iter()
                    .zip(v)
                    .map(move |(p, x)| m(p, i, "yoy_pct", *x))
            })
            .collect();
        let state = |flags: &[Flag], i: &str| flags.iter().find(|f| f.industry == i).map(|f| (f.level, f.state));
        let q2 = eval(std::slice::from_ref(&r), &rows, "2025Q2");
        assert_eq!(state(&q2, "NGIT"), Some((Level::Yellow, State::New)));
        assert_eq!(state(&q2, "NEV"), Some((Level::Red, State::Escalated)));
        assert_eq!(state(&q2, "DCI"), Some((Level::Green, State::Resolved)));
        let q3 = eval(&[r], &rows, "2025Q3");
        assert_eq!(state(&q3, "NGIT"), Some((Level::Yellow, State::Persisting)));
        assert_eq!(state(&q3, "NEV"), Some((Level::Yellow, State::Eased)));
        assert_eq!(state(&q3, "DCI"), None, "a resolved flag is reported once, then dropped");
        let hem = q3.iter().find(|f| f.industry == "HEM").unwrap();
        assert_eq!((hem.state, hem.since), (State::Persisting, "2025Q1".parse().unwrap()), "since when");
        assert_eq!(hem.risk_id, "r:340000:HEM:operating_income");
        let ngit = q3.iter().find(|f| f.industry == "NGIT").unwrap();
        assert_eq!(
            ngit.message,
            "安徽省新一代信息技术营业收入：测试（同比增长(%) -2，低于0），黄灯持续"
        );
    }

    #[test]
    fn a_silence_holds_until_it_expires() {
        let r = rule("yoy_pct", Direction::Below, false, Some(0.0), Some(-10.0), 1);
        let rows = [m("2025Q3", "NGIT", "yoy_pct", -4.0)];
        let silence = Silence {
            risk_id: "r:340000:NGIT:operating_income".into(),
            reason: "已专题研究".into(),
            until: day("2025-12-31"),
        };
        let cat = Catalogue::anhui();
        let p = "2025Q3".parse().unwrap();
        let on = evaluate(
            std::slice::from_ref(&r),
            &rows,
            p,
            std::slice::from_ref(&silence),
            day("2025-12-31"),
            &cat,
            Language::Zh,
        );
        assert_eq!(on[0].silenced.as_ref(), Some(&silence));
        assert!(!on[0].counts(), "silenced: listed but not counted");
        let after = evaluate(&[r], &rows, p, &[silence], day("2026-01-01"), &cat, Language::Zh);
        assert!(
            after[0].silenced.is_none() && after[0].counts(),
            "it comes back when the silence expires"
        );
    }

    #[test]
    fn data_quality_is_its_own_class() {
        use crate::model::observation::Observation;
        let o = |period: &str, region: &str, x: Option<f64>, g: Option<f64>| Observation {
            period: period.parse().unwrap(),
            region: region.into(),
            industry: "NGIT".into(),
            indicator: "operating_income".into(),
            value: x,
            yoy_pct: g,
            release_date: "2025-10-20".into(),
            source: None,
        };
        // Hefei: published 12 % but 100 → 120 is 20 %: 8 points apart (> 5)
        let mut obs = vec![
            o("2024Q3", "340100", Some(100.0), None),
            o("2025Q3", "340100", Some(120.0), Some(12.0)),
        ];
        // five more cities growing 5–7 %, and one at 40 %: an outlier
        for (i, (region, g)) in [
            ("340200", 5.0),
            ("340300", 6.0),
            ("340400", 7.0),
            ("340500", 6.5),
            ("340600", 5.5),
            ("340700", 40.0),
        ]
        .iter()
        .enumerate()
        {
            obs.push(o("2025Q3", region, Some(10.0 + i as f64), Some(*g)));
        }
        let revisions = vec![Revision {
            region: "340100".into(),
            industry: "NGIT".into(),
            indicator: "operating_income".into(),
            before: 118.0,
            after: 120.0,
        }];
        let regions = vec!["340100".to_string(), "340200".to_string()];
        let q = QualityInputs {
            period: "2025Q3".parse().unwrap(),
            observations: &obs,
            revisions: &revisions,
            regions: &regions,
            expected_indicators: &["operating_income".to_string()],
            catalogue: &Catalogue::anhui(),
            lang: Language::Zh,
        };
        let (flags, completeness) = data_quality(&q);
        let rules: Vec<(&str, &str)> = flags.iter().map(|f| (f.rule.as_str(), f.region.as_str())).collect();
        assert!(rules.contains(&("growth_mismatch", "340100")), "{rules:?}");
        assert!(rules.contains(&("large_revision", "340100")), "118 → 120 is 1.69 %: {rules:?}");
        assert!(rules.contains(&("outlier", "340700")), "{rules:?}");
        assert!(!rules.contains(&("outlier", "340200")), "{rules:?}");
        // 2 regions × 12 industries × 1 indicator expected; NGIT present in both
        assert_eq!((completeness.expected, completeness.present), (24, 2));
        assert!(
            flags.iter().all(|f| f.class == Class::DataQuality && !f.counts()),
            "never counted as business risks"
        );
        let csv = String::from_utf8(to_csv(&flags)).unwrap();
        assert!(csv.lines().skip(1).all(|l| l.split(',').nth(1) == Some("data_quality")));
    }
}
