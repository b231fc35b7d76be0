//! `risks.csv`: every flag of the quarter, one row each, in the columns of interfaces.md.

use super::{Flag, State};

/// The columns of `risks.csv` (interfaces.md, then `risk_id`, `since`, `silenced_until`,
/// and the group's `group_id`, the flag's severity `score` and whether it is `material`).
pub const CSV_HEADER: [&str; 18] = [
    "period",
    "class",
    "rule",
    "level",
    "state",
    "region_code",
    "industry_code",
    "indicator",
    "measure",
    "value",
    "threshold",
    "message",
    "risk_id",
    "since",
    "silenced_until",
    "group_id",
    "score",
    "material",
];

/// `risks.csv` as bytes: business risks first (red, then yellow, then resolved), then data
/// quality.
pub fn to_csv(flags: &[Flag]) -> Vec<u8> {
    let mut sorted: Vec<&Flag> = flags.iter().collect();
    sorted.sort_by(|a, b| {
        (
            a.class,
            a.state == State::Resolved,
            std::cmp::Reverse(a.level),
            &a.rule,
            &a.region,
            &a.industry,
            &a.indicator,
        )
            .cmp(&(
                b.class,
                b.state == State::Resolved,
                std::cmp::Reverse(b.level),
                &b.rule,
                &b.region,
                &b.industry,
                &b.indicator,
            ))
    });
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_HEADER).expect("in memory");
    for f in sorted {
        w.write_record([
            f.period.to_string(),
            f.class.as_str().to_string(),
            f.rule.clone(),
            f.level.as_str().to_string(),
            f.state.as_str().to_string(),
            f.region.clone(),
            f.industry.clone(),
            f.indicator.clone(),
            f.measure.clone(),
            f.value.map(|v| v.to_string()).unwrap_or_default(),
            f.threshold.map(|v| v.to_string()).unwrap_or_default(),
            f.message.clone(),
            f.risk_id.clone(),
            f.since.to_string(),
            f.silenced.as_ref().map(|s| s.until.to_string()).unwrap_or_default(),
            f.group.clone(),
            format!("{:.1}", f.score),
            f.material.to_string(),
        ])
        .expect("in memory");
    }
    w.into_inner().expect("in memory")
}
