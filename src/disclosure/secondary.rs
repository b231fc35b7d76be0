//! Secondary suppression over the hierarchies a reader can add up. No I/O.
//!
//! A row is a parent cell and the children that make it up (a city and its counties; a
//! province and its cities; where the industries partition it, a region's `TEN` and its
//! industries). A row with exactly one suppressed cell gives it away (the parent minus
//! the other children, or the sum of the children), so another cell of the row is
//! suppressed with it: the child of the smallest cost not yet suppressed that is still
//! at least `margin` of the suppressed cell's (so that the pair's sum hides it by that
//! much either way), else the largest child, and the parent only when no child is left —
//! "smallest sufficient cell first", which loses the least information.
//! Each new suppression can leave another row with one suppressed cell; rows are visited
//! again until none does. Every row that holds a suppressed cell then holds two or more.

use std::collections::BTreeMap;

use super::{Cell, Reason};

/// A parent cell and the cells it is the sum of (with whatever no published cell holds).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub parent: Cell,
    pub children: Vec<Cell>,
}

/// Adds the complementary cells to `suppressed` (primary cells in, all cells out);
/// `cost` is what suppressing a cell loses (its level), `margin` the share of the
/// suppressed cell's cost a complement must reach (0.1: a tenth). Returns how many were
/// added.
pub fn secondary(rows: &[Row], suppressed: &mut BTreeMap<Cell, Reason>, cost: impl Fn(&Cell) -> f64, margin: f64) -> usize {
    let mut added = 0;
    loop {
        let mut changed = false;
        for row in rows {
            let cells = || std::iter::once(&row.parent).chain(&row.children);
            let mut hidden = cells().filter(|c| suppressed.contains_key(*c));
            let (Some(alone), None) = (hidden.next(), hidden.next()) else {
                continue;
            };
            let required = margin * cost(alone);
            let open = || row.children.iter().filter(|c| !suppressed.contains_key(*c));
            let by_cost = |a: &&Cell, b: &&Cell| cost(a).total_cmp(&cost(b)).then_with(|| a.cmp(b));
            let pick = open()
                .filter(|c| cost(c) >= required)
                .min_by(by_cost)
                .or_else(|| open().max_by(by_cost))
                .or_else(|| (!suppressed.contains_key(&row.parent)).then_some(&row.parent));
            if let Some(cell) = pick {
                suppressed.insert(cell.clone(), Reason::Secondary);
                added += 1;
                changed = true;
            }
        }
        if !changed {
            return added;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(region: &str) -> Cell {
        (region.to_string(), "NGIT".to_string())
    }

    /// Anhui (340000) of Hefei (340100: counties 340102, 340103, 340104) and Wuhu
    /// (340200: 340202, 340203); the levels are the costs.
    fn rows() -> (Vec<Row>, BTreeMap<Cell, f64>) {
        let rows = vec![
            Row {
                parent: c("340000"),
                children: vec![c("340100"), c("340200")],
            },
            Row {
                parent: c("340100"),
                children: vec![c("340102"), c("340103"), c("340104")],
            },
            Row {
                parent: c("340200"),
                children: vec![c("340202"), c("340203")],
            },
        ];
        let levels = [
            ("340000", 200.0),
            ("340100", 120.0),
            ("340102", 5.0),
            ("340103", 30.0),
            ("340104", 85.0),
            ("340200", 80.0),
            ("340202", 50.0),
            ("340203", 30.0),
        ]
        .into_iter()
        .map(|(r, v)| (c(r), v))
        .collect();
        (rows, levels)
    }

    fn suppressed_with(primary: &[&str]) -> BTreeMap<Cell, Reason> {
        let (rows, levels) = rows();
        let mut s: BTreeMap<Cell, Reason> = primary.iter().map(|r| (c(r), Reason::Threshold)).collect();
        secondary(&rows, &mut s, |cell| levels[cell], 0.1);
        s
    }

    #[test]
    fn a_one_enterprise_county_goes_with_its_smallest_sibling() {
        // 340102 alone would be Hefei minus its other two counties: its smallest sibling
        // (340103, 30) goes with it; Hefei's total stays, and so does Anhui's row
        let s = suppressed_with(&["340102"]);
        assert_eq!(
            s,
            BTreeMap::from([(c("340102"), Reason::Threshold), (c("340103"), Reason::Secondary)])
        );
    }

    #[test]
    fn a_county_without_siblings_takes_its_city_and_the_city_a_sibling() {
        // 340202 and 340203 both sensitive: the row holds two, nothing to add
        assert_eq!(suppressed_with(&["340202", "340203"]).len(), 2);
        // a city total suppressed (its only county row is then {city, …}): the province's
        // row needs a second city
        let s = suppressed_with(&["340200"]);
        assert_eq!(s.get(&c("340100")), Some(&Reason::Secondary), "{s:?}");
        // …and Hefei's own row then needs a county of at least a tenth of 120: 340103 (30),
        // not 340102 (5); Wuhu's row one of at least 8: 340203 (30)
        assert_eq!(s.get(&c("340103")), Some(&Reason::Secondary));
        assert_eq!(s.get(&c("340102")), None);
        assert_eq!(s.get(&c("340203")), Some(&Reason::Secondary));
    }

    #[test]
    fn a_complement_too_small_to_hide_the_cell_is_passed_over() {
        // 340104 (85) suppressed: 340102 (5) is under a tenth of it, 340103 (30) is not
        let s = suppressed_with(&["340104"]);
        assert_eq!(s.get(&c("340103")), Some(&Reason::Secondary), "{s:?}");
        assert_eq!(s.get(&c("340102")), None);
    }

    #[test]
    fn every_row_with_a_suppressed_cell_holds_two() {
        let (rows, _) = rows();
        for primary in [&["340102"][..], &["340104"], &["340200"], &["340000"], &["340103", "340203"]] {
            let s = suppressed_with(primary);
            for row in &rows {
                let n = std::iter::once(&row.parent)
                    .chain(&row.children)
                    .filter(|c| s.contains_key(*c))
                    .count();
                assert!(n != 1, "{primary:?}: {row:?} holds one suppressed cell: {s:?}");
            }
        }
    }
}
