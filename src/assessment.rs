//! City assessment: a composite score per sub-region (city) and period from configured
//! components, each a measure with a weight, a direction and a normalisation. No I/O: the
//! pipeline hands in each component's values; the result is exported under indicator
//! `assessment` (`assessment_score`, `assessment_rank`, and `assessment_<component>`, the
//! points each component adds to the score) and shown in the reports.
//!
//! Scoring, for each component, among the cities that have a value:
//! - `minmax`: (v − min) / (max − min) × 100; all equal: 100;
//! - `rank`: (N − r) / (N − 1) × 100 with r the competition rank (1 = best; ties share the
//!   lowest: 1, 2, 2, 4); a single city: 100;
//! - `zscore`: 50 + 10 × (v − mean) / sd (population sd; a T-score); all equal: 50.
//!
//! `lower` is better flips the direction (−v). The score is Σ wᵢ·nᵢ / Σ wᵢ over the
//! components some city has; a city missing a component that others have scores 0 on it
//! (the floor: not reporting never helps), and a component no city has is left out, its
//! weight with it. Ranks: 1 = highest score, ties share the lowest rank.

use serde::Serialize;

/// Which way is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Higher,
    Lower,
}

/// How a component's values become points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Normalise {
    Minmax,
    Rank,
    Zscore,
}

/// Measures that count risk flags rather than read `indicators.csv`.
pub const RISK_MEASURES: [&str; 2] = ["red_risks", "yellow_risks"];

/// One component of the score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Component {
    /// Short id: the exported measure is `assessment_<id>`.
    pub id: String,
    pub name: String,
    pub name_en: String,
    /// A measure of domain.md, or `red_risks` / `yellow_risks` (counted business risks).
    pub measure: String,
    pub industry: String,
    pub indicator: String,
    pub weight: f64,
    pub direction: Direction,
    pub normalise: Normalise,
}

/// One city's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CityScore {
    pub region: String,
    pub score: f64,
    pub rank: u32,
    /// Per component (in configuration order): the value, its points (0–100 scale), and
    /// what it adds to the score (points × weight share); `None` where the component is
    /// left out for every city.
    pub parts: Vec<Option<Part>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Part {
    pub value: Option<f64>,
    pub points: f64,
    pub contribution: f64,
}

/// The assessment of a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    pub components: Vec<Component>,
    /// Best first.
    pub cities: Vec<CityScore>,
}

impl Assessment {
    pub fn city(&self, region: &str) -> Option<&CityScore> {
        self.cities.iter().find(|c| c.region == region)
    }
}

/// Competition ranks of `values` (1 = the greatest; equal values share the lowest rank).
fn ranks(values: &[f64]) -> Vec<u32> {
    values
        .iter()
        .map(|v| 1 + values.iter().filter(|w| **w > *v + 1e-9).count() as u32)
        .collect()
}

/// Points of each value (all present), direction applied.
fn points(values: &[f64], normalise: Normalise) -> Vec<f64> {
    let n = values.len() as f64;
    match normalise {
        Normalise::Minmax => {
            let min = values.iter().copied().fold(f64::INFINITY, f64::min);
            let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            values
                .iter()
                .map(|v| if max - min > 0.0 { (v - min) / (max - min) * 100.0 } else { 100.0 })
                .collect()
        }
        Normalise::Rank => {
            if values.len() == 1 {
                return vec![100.0];
            }
            ranks(values).into_iter().map(|r| (n - f64::from(r)) / (n - 1.0) * 100.0).collect()
        }
        Normalise::Zscore => {
            let mean = values.iter().sum::<f64>() / n;
            let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
            values
                .iter()
                .map(|v| if sd > 0.0 { 50.0 + 10.0 * (v - mean) / sd } else { 50.0 })
                .collect()
        }
    }
}

/// Scores `cities` on `components`; `value(component, city)` reads a component's value.
pub fn assess(components: &[Component], cities: &[String], value: impl Fn(&Component, &str) -> Option<f64>) -> Assessment {
    // points[c][k]: None when component k is left out for everyone
    let mut table: Vec<Vec<Option<Part>>> = vec![Vec::with_capacity(components.len()); cities.len()];
    for component in components {
        let values: Vec<Option<f64>> = cities.iter().map(|c| value(component, c)).collect();
        let present: Vec<f64> = values
            .iter()
            .flatten()
            .map(|v| if component.direction == Direction::Lower { -v } else { *v })
            .collect();
        if present.is_empty() {
            table.iter_mut().for_each(|row| row.push(None));
            continue;
        }
        let mut pts = points(&present, component.normalise).into_iter();
        for (row, v) in table.iter_mut().zip(&values) {
            let p = if v.is_some() { pts.next().unwrap_or(0.0) } else { 0.0 };
            row.push(Some(Part {
                value: *v,
                points: p,
                contribution: 0.0,
            }));
        }
    }
    let total_weight: f64 = components
        .iter()
        .enumerate()
        .filter(|(k, _)| table.first().is_some_and(|row| row[*k].is_some()))
        .map(|(_, c)| c.weight)
        .sum();
    let mut scores = Vec::with_capacity(cities.len());
    for row in &mut table {
        let mut score = 0.0;
        for (part, component) in row.iter_mut().zip(components) {
            if let Some(p) = part {
                p.contribution = if total_weight > 0.0 {
                    p.points * component.weight / total_weight
                } else {
                    0.0
                };
                score += p.contribution;
            }
        }
        scores.push(score);
    }
    let rank = ranks(&scores);
    let mut cities: Vec<CityScore> = cities
        .iter()
        .zip(table)
        .zip(scores.iter().zip(rank))
        .map(|((region, parts), (score, rank))| CityScore {
            region: region.clone(),
            score: *score,
            rank,
            parts,
        })
        .collect();
    cities.sort_by(|a, b| a.rank.cmp(&b.rank).then_with(|| a.region.cmp(&b.region)));
    Assessment {
        components: components.to_vec(),
        cities,
    }
}

#[cfg(test)]
mod tests {
    //! Worked cases computed by hand.
    use super::*;
    use std::collections::HashMap;

    fn component(id: &str, weight: f64, direction: Direction, normalise: Normalise) -> Component {
        Component {
            id: id.into(),
            name: id.into(),
            name_en: id.into(),
            measure: "yoy_pct".into(),
            industry: "TEN".into(),
            indicator: "operating_income".into(),
            weight,
            direction,
            normalise,
        }
    }

    fn cities(n: usize) -> Vec<String> {
        ["A", "B", "C", "D"][..n].iter().map(|s| s.to_string()).collect()
    }

    /// Values per (component id, city).
    fn run(components: &[Component], n: usize, values: &[(&str, &str, f64)]) -> Assessment {
        let map: HashMap<(String, String), f64> = values.iter().map(|(k, c, v)| ((k.to_string(), c.to_string()), *v)).collect();
        assess(components, &cities(n), |k, c| map.get(&(k.id.clone(), c.to_string())).copied())
    }

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-9, "{a} ≠ {b}");
    }

    fn points_of(a: &Assessment, city: &str, k: usize) -> f64 {
        a.city(city).unwrap().parts[k].as_ref().unwrap().points
    }

    #[test]
    fn minmax_puts_the_lowest_at_0_and_the_highest_at_100() {
        let c = [component("g", 1.0, Direction::Higher, Normalise::Minmax)];
        let a = run(&c, 3, &[("g", "A", 10.0), ("g", "B", 4.0), ("g", "C", 6.0)]);
        close(points_of(&a, "A", 0), 100.0);
        close(points_of(&a, "B", 0), 0.0);
        close(points_of(&a, "C", 0), 100.0 / 3.0); // (6 − 4) / (10 − 4)
        // lower is better: the same values the other way round
        let c = [component("g", 1.0, Direction::Lower, Normalise::Minmax)];
        let a = run(&c, 3, &[("g", "A", 10.0), ("g", "B", 4.0), ("g", "C", 6.0)]);
        close(points_of(&a, "B", 0), 100.0);
        close(points_of(&a, "C", 0), 200.0 / 3.0); // (10 − 6) / 6
        // all equal: everyone gets the full 100
        let a = run(&c, 2, &[("g", "A", 5.0), ("g", "B", 5.0)]);
        close(points_of(&a, "A", 0), 100.0);
    }

    #[test]
    fn rank_points_share_ties_and_scale_to_100() {
        let c = [component("g", 1.0, Direction::Higher, Normalise::Rank)];
        // ranks 1, 2, 2, 4 of N = 4: (4 − r) / 3 × 100
        let a = run(&c, 4, &[("g", "A", 9.0), ("g", "B", 7.0), ("g", "C", 7.0), ("g", "D", 1.0)]);
        close(points_of(&a, "A", 0), 100.0);
        close(points_of(&a, "B", 0), 200.0 / 3.0);
        close(points_of(&a, "C", 0), 200.0 / 3.0);
        close(points_of(&a, "D", 0), 0.0);
        assert_eq!(
            a.cities.iter().map(|c| c.rank).collect::<Vec<_>>(),
            [1, 2, 2, 4],
            "ties share the lowest rank"
        );
    }

    #[test]
    fn zscore_points_are_t_scores() {
        let c = [component("g", 1.0, Direction::Higher, Normalise::Zscore)];
        // 2, 4, 6: mean 4, population sd √(8/3) = 1.632993…; z = ∓1.224745
        let a = run(&c, 3, &[("g", "A", 2.0), ("g", "B", 4.0), ("g", "C", 6.0)]);
        close(points_of(&a, "B", 0), 50.0);
        close(points_of(&a, "C", 0), 50.0 + 10.0 * 2.0 / (8.0f64 / 3.0).sqrt());
        close(points_of(&a, "A", 0), 50.0 - 10.0 * 2.0 / (8.0f64 / 3.0).sqrt());
        let c = [component("g", 1.0, Direction::Lower, Normalise::Zscore)];
        let a = run(&c, 3, &[("g", "A", 2.0), ("g", "B", 4.0), ("g", "C", 6.0)]);
        close(points_of(&a, "A", 0), 50.0 + 10.0 * 2.0 / (8.0f64 / 3.0).sqrt());
    }

    #[test]
    fn weights_directions_and_contributions() {
        // growth (weight 3, higher, min–max) and red risks (weight 1, lower, min–max)
        let c = [
            component("growth", 3.0, Direction::Higher, Normalise::Minmax),
            component("red", 1.0, Direction::Lower, Normalise::Minmax),
        ];
        let a = run(
            &c,
            3,
            &[
                ("growth", "A", 12.0),
                ("growth", "B", 8.0),
                ("growth", "C", 4.0),
                ("red", "A", 4.0),
                ("red", "B", 0.0),
                ("red", "C", 2.0),
            ],
        );
        // A: growth 100, red 0 → 0.75 × 100 + 0.25 × 0 = 75
        // B: growth 50, red 100 → 37.5 + 25 = 62.5
        // C: growth 0, red 50 → 0 + 12.5 = 12.5
        let score = |c: &str| a.city(c).unwrap().score;
        close(score("A"), 75.0);
        close(score("B"), 62.5);
        close(score("C"), 12.5);
        let b = a.city("B").unwrap();
        close(b.parts[0].as_ref().unwrap().contribution, 37.5);
        close(b.parts[1].as_ref().unwrap().contribution, 25.0);
        assert_eq!(
            a.cities.iter().map(|c| (c.region.as_str(), c.rank)).collect::<Vec<_>>(),
            [("A", 1), ("B", 2), ("C", 3)]
        );
    }

    #[test]
    fn a_city_missing_a_component_scores_0_on_it_and_a_component_nobody_has_is_left_out() {
        let c = [
            component("growth", 1.0, Direction::Higher, Normalise::Minmax),
            component("progress", 1.0, Direction::Higher, Normalise::Minmax),
            component("nobody", 2.0, Direction::Higher, Normalise::Minmax),
        ];
        // C has no progress: normalised among A and B, C scores 0 on it
        let a = run(
            &c,
            3,
            &[
                ("growth", "A", 10.0),
                ("growth", "B", 5.0),
                ("growth", "C", 10.0),
                ("progress", "A", 80.0),
                ("progress", "B", 60.0),
            ],
        );
        let city = |x: &str| a.city(x).unwrap();
        assert!(city("A").parts[2].is_none(), "left out for everyone");
        // weights over growth and progress only: ½ each
        close(city("A").score, 100.0); // 50 + 50
        close(city("B").score, 0.0); // 0 + 0
        close(city("C").score, 50.0); // 50 + 0 (missing)
        let missing = city("C").parts[1].as_ref().unwrap();
        assert_eq!((missing.value, missing.points), (None, 0.0));
    }
}
