//! The risk section of a report and the workbook's list of risk groups: the key risks
//! first, each in one sentence with its consequences under it, then the other groups
//! compactly, ranked by score; the matrix cell of a (region, industry). No I/O.
//!
//! A report sees the groups of its scope (the province: itself and its cities; an
//! industry: that industry there; a city: itself). A group whose cause lies in the
//! scope is listed under it; one whose cause lies outside (a city's, under the
//! province's) leads in its own report.

use super::{Cell, Context, Fmt, Row, Table};
use crate::render::chart::MatrixCell;
use crate::risk::{Group, Level, State};

/// How many of the other groups the report lists before pointing to `risks.csv`.
const LISTED: usize = 12;
/// How many of a key risk's consequences are listed under it.
const CONSEQUENCES: usize = 3;

fn text(t: String) -> Cell {
    Cell::Text(t)
}

/// A row of the section: the words, then light, change since last quarter, since, score.
/// A state as the section's column says it ("持续" / "Persisting").
fn state_word(q: &Context<'_>, state: State) -> String {
    q.label(match state {
        State::New => "新增",
        State::Persisting => "持续",
        State::Escalated => "升级_column",
        State::Eased => "缓解_column",
        State::Resolved => "解除",
    })
}

fn group_row(q: &Context<'_>, words: String, g: &Group) -> Row {
    Row {
        cells: vec![
            text(words),
            text(q.label(g.level.zh())),
            text(state_word(q, g.state)),
            text(if g.state == State::Resolved {
                "—".into()
            } else {
                crate::model::labels::quarter(q.lang, g.since)
            }),
            Cell::Num(Some(g.score), Fmt::One),
        ],
        emphasis: false,
    }
}

/// The row that points to `risks.csv` for the `n` items not listed.
fn more(q: &Context<'_>, n: usize) -> Option<Row> {
    (n > 0).then(|| Row {
        cells: vec![
            text(q.sentence("……另有{n}项，见 risks.csv", &[("n", &n.to_string())])),
            text(String::new()),
            text(String::new()),
            text(String::new()),
            text(String::new()),
        ],
        emphasis: false,
    })
}

/// A heading row of the section: `重点风险：3项`.
fn heading(q: &Context<'_>, title: &'static str, n: usize) -> Row {
    Row {
        cells: vec![
            text(q.sentence("{title}：{n}项", &[("title", &q.label(title)), ("n", &n.to_string())])),
            text(String::new()),
            text(String::new()),
            text(String::new()),
            text(String::new()),
        ],
        emphasis: true,
    }
}

/// The risk section of a report whose scope is `in_scope`, leading with at most `key`
/// key risks.
pub(super) fn risk_table(
    q: &Context<'_>,
    in_scope: &dyn Fn(&Group) -> bool,
    key: usize,
    number: &'static str,
) -> (Table, crate::render::RiskBrief) {
    let input = q.input;
    // a risk whose figures disclosure control withholds is not shown: its light alone
    // would tell (a loss-maker among two enterprises)
    let (groups, lang, c) = (input.groups, q.lang, input.catalogue);
    // judged once per group (the cause chains below ask again and again)
    let shown: Vec<bool> = groups.iter().map(|g| in_scope(g) && !withheld(q, g)).collect();
    let sentence = |g: &Group| crate::risk::sentence(lang, c, input.rules, input.flags, g);
    let brief = |g: &Group| crate::risk::brief(lang, c, input.rules, input.flags, g);
    let scoped: Vec<usize> = (0..groups.len()).filter(|&i| shown[i]).collect();
    // the furthest cause up the chain that is in the report's scope
    let cause_here = |i: usize| {
        let mut found = None;
        let mut up = groups[i].cause;
        while let Some(c) = up {
            if shown[c] {
                found = Some(c);
            }
            up = groups[c].cause;
        }
        found
    };
    // groups are ranked, so every list below is too
    let leading: Vec<usize> = scoped
        .iter()
        .copied()
        .filter(|&i| groups[i].counts() && cause_here(i).is_none())
        .collect();
    let under = |root: usize| -> Vec<usize> {
        scoped
            .iter()
            .copied()
            .filter(|&i| groups[i].counts() && cause_here(i) == Some(root))
            .collect()
    };
    let count = |level: Level| leading.iter().filter(|&&i| groups[i].level == level).count();
    let immaterial = scoped
        .iter()
        .filter(|&&i| groups[i].state != State::Resolved && !groups[i].material)
        .count();
    let mut rows = vec![Row {
        cells: vec![
            text(q.sentence(
                "本期计入风险（按成因归并）：红灯{red}项，黄灯{yellow}项",
                &[
                    ("red", &count(Level::Red).to_string()),
                    ("yellow", &count(Level::Yellow).to_string()),
                ],
            )),
            text(String::new()),
            text(String::new()),
            text(String::new()),
            text(String::new()),
        ],
        emphasis: true,
    }];
    let (keys, others) = leading.split_at(key.min(leading.len()));
    let brief_of = crate::render::RiskBrief {
        red: count(Level::Red),
        yellow: count(Level::Yellow),
        keys: keys
            .iter()
            .map(|&i| crate::render::KeyRisk {
                level: groups[i].level,
                light: q.label(groups[i].level.zh()),
                sentence: sentence(&groups[i]),
            })
            .collect(),
    };
    rows.push(heading(q, "重点风险", keys.len()));
    for &i in keys {
        rows.push(group_row(q, sentence(&groups[i]), &groups[i]));
        let consequences = under(i);
        for &j in consequences.iter().take(CONSEQUENCES) {
            let line = q.sentence("　└ 同因：{brief}", &[("brief", &brief(&groups[j]))]);
            rows.push(group_row(q, line, &groups[j]));
        }
        if consequences.len() > CONSEQUENCES {
            let rest = &consequences[CONSEQUENCES..];
            let mut regions: Vec<String> = Vec::new();
            for &j in rest {
                let name = q.n.region_short(&groups[j].region);
                if !regions.contains(&name) {
                    regions.push(name);
                }
            }
            let sep = if lang == crate::model::language::Language::En {
                ", "
            } else {
                "、"
            };
            rows.push(Row {
                cells: vec![
                    text(q.sentence(
                        "　└ 另有同因{n}项：{regions}",
                        &[("n", &rest.len().to_string()), ("regions", &regions.join(sep))],
                    )),
                    text(String::new()),
                    text(String::new()),
                    text(String::new()),
                    text(String::new()),
                ],
                emphasis: false,
            });
        }
    }
    rows.push(heading(q, "其他风险", others.len()));
    for &i in others.iter().take(LISTED) {
        let n = under(i).len();
        let line = if n > 0 {
            q.sentence("{brief}（另有同因{n}项）", &[("brief", &brief(&groups[i])), ("n", &n.to_string())])
        } else {
            brief(&groups[i])
        };
        rows.push(group_row(q, line, &groups[i]));
    }
    rows.extend(more(q, others.len().saturating_sub(LISTED)));
    let resolved: Vec<usize> = scoped
        .iter()
        .copied()
        .filter(|&i| groups[i].state == State::Resolved && groups[i].material && cause_here(i).is_none())
        .collect();
    rows.push(heading(q, "解除", resolved.len()));
    for &i in resolved.iter().take(LISTED) {
        rows.push(group_row(q, sentence(&groups[i]), &groups[i]));
    }
    rows.extend(more(q, resolved.len().saturating_sub(LISTED)));
    let silenced: Vec<(usize, &crate::risk::Silence)> = scoped
        .iter()
        .copied()
        .filter(|&i| groups[i].silenced && groups[i].material && groups[i].state != State::Resolved)
        .filter_map(|i| {
            let g = &groups[i];
            let silence = g.members.iter().find_map(|&m| input.flags[m].silenced.as_ref())?;
            Some((i, silence))
        })
        .collect();
    rows.push(heading(q, "已确认（不计入）", silenced.len()));
    for (i, s) in silenced {
        let line = q.sentence(
            "{message}（{reason}，至{until}）",
            &[
                ("message", &brief(&groups[i])),
                ("reason", &s.reason),
                ("until", &s.until.to_string()),
            ],
        );
        rows.push(group_row(q, line, &groups[i]));
    }
    let table = Table {
        sheet: q.label("风险监测"),
        title: q.sentence("{number}、风险监测", &[("number", &q.label(number))]),
        header: ["风险", "灯号", "状态", "起始", "评分"].map(|h| q.label(h)).to_vec(),
        rows,
        note: Some(q.sentence(
            "同一成因的风险归并为一项：同一规则在同一地区、产业的多个指标，及由其引起的其他风险（列在其下）。评分（0–100）= 灯号（红50、黄25）+ 超出阈值程度（至15）+ 规模（至15）+ 持续时间（至10）+ 同因风险数（至10）。规模较小未计入的{immaterial}项、已确认的风险及全部明细见 risks.csv。",
            &[("immaterial", &immaterial.to_string())],
        )),
    };
    (table, brief_of)
}

/// Whether a group's figures are withheld from readers.
fn withheld(q: &Context<'_>, g: &Group) -> bool {
    let withheld = g.members.iter().any(|&m| {
        let f = &q.input.flags[m];
        q.withheld(&q.period, &f.region, &f.industry, &f.indicator, &f.measure)
    });
    if withheld {
        q.withheld_any.set(true);
    }
    withheld
}

/// Every group of the period with its figures: the workbook's sheet of risks (those
/// whose figures are withheld left out).
pub(super) fn groups_sheet(q: &Context<'_>) -> Table {
    let input = q.input;
    let (groups, lang, c) = (input.groups, q.lang, input.catalogue);
    let yes_no = |b: bool| q.label(if b { "是" } else { "否" });
    let rows = groups
        .iter()
        .filter(|g| !withheld(q, g))
        .map(|g| Row {
            cells: vec![
                text(g.id.clone()),
                text(crate::risk::brief(lang, c, input.rules, input.flags, g)),
                text(q.label(g.level.zh())),
                text(state_word(q, g.state)),
                text(crate::model::labels::quarter(lang, g.since)),
                Cell::Num(Some(g.score), Fmt::One),
                text(yes_no(g.material)),
                text(yes_no(g.silenced)),
                text(g.cause.map(|i| groups[i].id.clone()).unwrap_or_default()),
                text(g.root.map(|i| groups[i].id.clone()).unwrap_or_default()),
            ],
            emphasis: false,
        })
        .collect();
    Table {
        sheet: q.label("风险分组"),
        title: q.label("风险分组（全部）"),
        header: [
            "分组",
            "风险",
            "灯号",
            "状态",
            "起始",
            "评分",
            "计入规模",
            "已确认",
            "直接成因",
            "根本成因",
        ]
        .map(|h| q.label(h))
        .to_vec(),
        rows,
        note: Some(q.label("每个分组的各指标明细见 risks.csv 的 group_id 列。")),
    }
}

/// The matrix cell of (region, industry): the worst light of its counted groups; its own
/// colour where only immaterial groups are lit; green where data exist; else none.
pub(super) fn matrix_cell(q: &Context<'_>, region: &str, industry: &str) -> MatrixCell {
    if q.input.suppression.reason(q.input.period, region, industry).is_some() {
        q.withheld_any.set(true);
        return MatrixCell::Suppressed;
    }
    let lit = || {
        q.input
            .groups
            .iter()
            .filter(|g| g.region == region && g.industry == industry && g.state != State::Resolved)
    };
    if let Some(level) = lit().filter(|g| g.material).map(|g| g.level).max() {
        return MatrixCell::Lit(level);
    }
    if lit().next().is_some() {
        return MatrixCell::Immaterial;
    }
    if q.headline(region, industry, "ytd")
        .or(q.headline(region, industry, "yoy_pct"))
        .is_some()
    {
        MatrixCell::Lit(Level::Green)
    } else {
        MatrixCell::NoData
    }
}

#[cfg(test)]
mod tests {
    use polars::prelude::*;

    use crate::compute::{MeasureRow, MeasureTable};
    use crate::model::audience::Audience;
    use crate::model::catalogue::Catalogue;
    use crate::model::language::Language;
    use crate::render::chart::MatrixCell;
    use crate::render::{ChartSpec, KeyRisks, ReportInput, Table};
    use crate::risk::{Floors, Group, Grouping, Inhibit, Level, Materiality, Rule, Sizes};

    fn rule(id: &str, name: &str, measure: &str, yellow: f64, red: f64) -> Rule {
        let floors = |level_yi| Floors {
            level_yi: Some(level_yi),
            weight_pct: Some(1.0),
            enterprises: None,
        };
        Rule {
            on: crate::risk::On::Industries,
            materiality: Materiality {
                province: floors(50.0),
                city: floors(10.0),
                county: floors(2.0),
            },
            ..Rule::below(id, name, measure, Some(yellow), Some(red))
        }
    }

    /// NGIT falls in the province (red) and its share with it; Hefei's NGIT falls too but
    /// is 5 亿元 (under the city floor of 10); Wuhu's falls, at 30 亿元; Bengbu's has data
    /// and no risk; Huainan has no data.
    struct Case {
        table: MeasureTable,
        catalogue: Catalogue,
        rules: Vec<Rule>,
        flags: Vec<crate::risk::Flag>,
        groups: Vec<Group>,
    }

    fn case() -> Case {
        let p = "2025Q3";
        let cells: [(&str, &str, &str, f64); 10] = [
            ("340000", "TOTAL", "ytd", 2000.0),
            ("340000", "NGIT", "ytd", 200.0),
            ("340000", "NGIT", "share_pct", 10.0),
            ("340100", "NGIT", "ytd", 5.0),
            ("340100", "NGIT", "share_pct", 2.0),
            ("340200", "NGIT", "ytd", 30.0),
            ("340200", "NGIT", "share_pct", 3.0),
            ("340300", "NGIT", "ytd", 40.0),
            ("340300", "NGIT", "share_pct", 4.0),
            ("340300", "NGIT", "yoy_pct", 6.0),
        ];
        let col = |f: fn(&(&str, &str, &str, f64)) -> String| cells.iter().map(f).collect::<Vec<String>>();
        let df = df!(
            "period" => vec![p; cells.len()],
            "region_code" => col(|c| c.0.to_string()),
            "industry_code" => col(|c| c.1.to_string()),
            "indicator" => vec!["operating_income"; cells.len()],
            "measure" => col(|c| c.2.to_string()),
            "value" => cells.iter().map(|c| c.3).collect::<Vec<f64>>(),
        )
        .unwrap();
        let table = MeasureTable::from_frame(&df).unwrap();
        let rules = vec![
            rule("negative_growth", "负增长", "yoy_pct", 0.0, -10.0),
            rule("share_falling", "占比下降", "share_change_pp", -1.0, -3.0),
        ];
        let m = |region: &str, measure: &str, value: f64| MeasureRow {
            period: p.parse().unwrap(),
            region: region.into(),
            industry: "NGIT".into(),
            indicator: "operating_income".into(),
            measure: measure.into(),
            value,
        };
        let rows = [
            m("340000", "yoy_pct", -12.0),
            m("340000", "share_change_pp", -1.5),
            m("340100", "yoy_pct", -5.0),
            m("340200", "yoy_pct", -15.0),
            m("340300", "yoy_pct", 6.0),
        ];
        let catalogue = Catalogue::anhui();
        let mut flags = crate::risk::evaluate(
            &rules,
            &rows,
            p.parse().unwrap(),
            &[],
            "2025-11-01".parse().unwrap(),
            &catalogue,
            Language::Zh,
        );
        let grouping = Grouping {
            inhibit: vec![Inhibit {
                causes: vec!["negative_growth".into()],
                consequences: vec!["share_falling".into()],
            }],
            by_parent: true,
        };
        let sizes = Sizes {
            table: &table,
            period: p.parse().unwrap(),
            indicator: "operating_income",
            top: "340000",
        };
        let groups = crate::risk::group(&mut flags, &rules, &grouping, &sizes);
        Case {
            table,
            catalogue,
            rules,
            flags,
            groups,
        }
    }

    fn province(c: &Case, lang: Language) -> crate::render::Report {
        let input = ReportInput {
            period: "2025Q3".parse().unwrap(),
            measures: &c.table,
            catalogue: &c.catalogue,
            region: "340000",
            indicator: "operating_income",
            data_vintage: "test",
            generated_at: "2025-11-01 09:00",
            notes: vec![],
            flags: &c.flags,
            groups: &c.groups,
            key_risks: KeyRisks {
                province: 1,
                industry: 1,
                city: 1,
            },
            rules: &c.rules,
            suppression: &crate::disclosure::Suppression::default(),
            completeness: None,
            tiers: &[],
            assessment: None,
            chain_min_enterprises: 1,
            lang,
        };
        super::super::build(&input, &Audience::Province).unwrap()
    }

    fn first_cells(t: &Table) -> Vec<String> {
        t.rows.iter().map(|r| r.cells[0].display()).collect()
    }

    #[test]
    fn the_section_leads_with_the_key_risk_and_lists_its_consequences_under_it() {
        let c = case();
        let report = province(&c, Language::Zh);
        let section = report.tables.iter().find(|t| t.title.ends_with("风险监测")).unwrap();
        let rows = first_cells(section);
        assert_eq!(
            rows[0], "本期计入风险（按成因归并）：红灯1项，黄灯0项",
            "one cause counted; Hefei's is too small"
        );
        assert_eq!(rows[1], "重点风险：1项");
        assert_eq!(
            rows[2],
            "安徽省新一代信息技术负增长：同比增长(%) 营业收入 -12（低于-10），红灯，自2025年三季度起；本季新增"
        );
        // under it, by score: Wuhu's own fall (66.3), then the falling share (43.75)
        assert_eq!(rows[3], "　└ 同因：芜湖市新一代信息技术负增长（同比增长(%)：营业收入 -15）");
        assert_eq!(
            rows[4],
            "　└ 同因：安徽省新一代信息技术占比下降（比重变化(个百分点)：营业收入 -1.5）"
        );
        assert_eq!(rows[5], "其他风险：0项", "nothing beside its cause");
        assert!(
            !rows.iter().any(|r| r.contains("合肥")),
            "an immaterial risk is not listed: {rows:?}"
        );
        let score = |i: usize| match &section.rows[i].cells[4] {
            crate::render::Cell::Num(Some(v), _) => *v,
            other => panic!("{other:?}"),
        };
        assert_eq!(score(2), 73.0, "50 + 15 × 0.2 + 15 + 0, and 2 × 2.5 for its two consequences");
        // the workbook lists every group, the immaterial one too
        let sheet = &report.sheets[0];
        assert_eq!(sheet.rows.len(), 4);
        assert!(first_cells(sheet).contains(&"negative_growth:340100:NGIT".to_string()));
    }

    #[test]
    fn an_immaterial_risk_has_its_own_colour_in_the_matrix() {
        let c = case();
        let report = province(&c, Language::Zh);
        let matrix = report
            .charts
            .iter()
            .find_map(|ch| match ch {
                ChartSpec::Matrix(m) => Some(m),
                _ => None,
            })
            .unwrap();
        let row = matrix.rows.iter().position(|r| r == "新一代信息技术").unwrap();
        let col = |name: &str| matrix.columns.iter().position(|c| c == name).unwrap();
        let cell = |name: &str| matrix.cells[row][col(name)];
        assert_eq!(cell("合肥"), MatrixCell::Immaterial, "lit, but too small to colour");
        assert_eq!(cell("芜湖"), MatrixCell::Lit(Level::Red));
        assert_eq!(cell("蚌埠"), MatrixCell::Lit(Level::Green), "data, no risk");
        assert_eq!(cell("淮南"), MatrixCell::NoData);
        assert_eq!(matrix.legend[3], "规模较小");
    }

    #[test]
    fn the_key_risk_in_english() {
        let c = case();
        let report = province(&c, Language::En);
        let section = report.tables.iter().find(|t| t.title.ends_with("Risks")).unwrap();
        let rows = first_cells(section);
        assert_eq!(rows[1], "Key risks: 1");
        assert_eq!(
            rows[2],
            "Anhui, New-generation information technology: negative growth, growth (%) operating income -12 (below -10), red since 2025 Q3; new this quarter"
        );
        assert!(rows[3].starts_with("  └ same cause: Wuhu"), "{}", rows[3]);
    }
}
