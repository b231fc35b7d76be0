//! Sums of additive terms per group, added in a fixed order, and the largest values of
//! each group: the arithmetic under the aggregates of enterprise records. No I/O.
//!
//! Polars' group-by splits large frames over threads and adds the partial sums
//! afterwards, so its sums depend on where the splits fall. Here a group's terms are
//! always added in ascending order of the key of the row they come from, whatever order
//! the rows arrive in: the same data give the same bits. Rolling groups up (county →
//! city → province) and spreading them over industries are a pass over the rows in key
//! order, adding each row to the groups it feeds — no sort or copy of the rows per group.

use polars::prelude::*;
use rustc_hash::FxHashMap;

/// Additive terms summed per group: one entry per key, keys ascending, the terms of a
/// group side by side (`values[group * width + term]`: a row added to a group touches one
/// stretch of memory, not one place per term).
#[derive(Debug, Clone, Default)]
pub(crate) struct Sums {
    pub(crate) keys: Vec<i64>,
    width: usize,
    values: Vec<f64>,
}

impl Sums {
    /// The sums of `terms` over each run of equal `key` values of `frame` (sorted by
    /// `key`), added in the frame's order, and the row each run starts at. Nulls count as
    /// nothing, as in a sum.
    pub(crate) fn of_runs(frame: &DataFrame, key: &str, terms: &[String]) -> PolarsResult<(Sums, Vec<IdxSize>)> {
        let keys = frame.column(key)?.i64()?;
        let mut group_keys: Vec<i64> = Vec::new();
        let mut starts: Vec<IdxSize> = Vec::new();
        let mut run_of: Vec<u32> = Vec::with_capacity(keys.len());
        for (i, k) in keys.iter().enumerate() {
            let k = k.ok_or_else(|| polars_err!(ComputeError: "a null group key"))?;
            if i == 0 || group_keys.last() != Some(&k) {
                group_keys.push(k);
                starts.push(i as IdxSize);
            }
            run_of.push(group_keys.len() as u32 - 1);
        }
        let width = terms.len();
        let mut values = vec![0.0; group_keys.len() * width];
        for (t, name) in terms.iter().enumerate() {
            let column = frame.column(name)?.cast(&DataType::Float64)?;
            for (run, v) in run_of.iter().zip(column.f64()?.iter()) {
                if let Some(v) = v {
                    values[*run as usize * width + t] += v;
                }
            }
        }
        let sums = Sums {
            keys: group_keys,
            width,
            values,
        };
        Ok((sums, starts))
    }

    /// How many groups.
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    fn row(&self, group: usize) -> &[f64] {
        &self.values[group * self.width..(group + 1) * self.width]
    }

    /// The groups `order` names, in that order.
    fn pick(&self, order: impl Iterator<Item = usize>) -> Sums {
        let mut picked = Sums {
            width: self.width,
            ..Sums::default()
        };
        for i in order {
            picked.keys.push(self.keys[i]);
            picked.values.extend_from_slice(self.row(i));
        }
        picked
    }

    /// The groups of `self` and `other` together, keys ascending (no key in both).
    pub(crate) fn union(mut self, other: &Sums) -> Sums {
        self.keys.extend_from_slice(&other.keys);
        self.values.extend_from_slice(&other.values);
        let mut order: Vec<usize> = (0..self.keys.len()).collect();
        order.sort_unstable_by_key(|i| self.keys[*i]);
        self.pick(order.into_iter())
    }

    /// Only the groups whose key passes `keep`.
    pub(crate) fn filter(&self, keep: impl Fn(i64) -> bool) -> Sums {
        self.pick((0..self.len()).filter(|i| keep(self.keys[*i])))
    }

    /// Each group added to the groups `targets(key, out)` names (one or several), in
    /// ascending order of its key: a target's terms are added in that order. The result's
    /// keys are the targets', ascending.
    pub(crate) fn regroup(&self, mut targets: impl FnMut(i64, &mut Vec<i64>)) -> Sums {
        let width = self.width;
        let mut index: FxHashMap<i64, u32> = FxHashMap::default();
        let mut summed = Sums { width, ..Sums::default() };
        let mut out = Vec::new();
        for row in 0..self.len() {
            out.clear();
            targets(self.keys[row], &mut out);
            for target in &out {
                let g = *index.entry(*target).or_insert_with(|| {
                    summed.keys.push(*target);
                    summed.values.resize(summed.values.len() + width, 0.0);
                    summed.keys.len() as u32 - 1
                }) as usize;
                for (sum, v) in summed.values[g * width..(g + 1) * width].iter_mut().zip(self.row(row)) {
                    *sum += v;
                }
            }
        }
        let mut order: Vec<usize> = (0..summed.len()).collect();
        order.sort_unstable_by_key(|i| summed.keys[*i]);
        summed.pick(order.into_iter())
    }

    /// The sums of term `t`, one per group.
    pub(crate) fn column(&self, t: usize) -> Vec<f64> {
        (0..self.len()).map(|g| self.values[g * self.width + t]).collect()
    }
}

/// The four largest values of each group, largest first, and whether the group saw any
/// value at all (a null counts as seen and adds nothing, as in a sum of the largest).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Largest {
    values: [f64; 4],
    len: usize,
}

impl Largest {
    pub(crate) fn add(&mut self, v: f64) {
        // where v goes among the kept values: after every value at least as large
        let at = self.values[..self.len].iter().take_while(|x| **x >= v).count();
        if at >= 4 {
            return;
        }
        let end = (self.len + 1).min(4);
        for i in (at + 1..end).rev() {
            self.values[i] = self.values[i - 1];
        }
        self.values[at] = v;
        self.len = end;
    }

    /// The sum of the `n` largest (of fewer when the group has fewer), largest first.
    pub(crate) fn top(&self, n: usize) -> f64 {
        self.values[..n.min(self.len)].iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sums(keys: &[i64], values: &[f64]) -> Sums {
        Sums {
            keys: keys.to_vec(),
            width: 1,
            values: values.to_vec(),
        }
    }

    #[test]
    fn runs_of_equal_keys_are_summed_and_nulls_add_nothing() {
        let frame = df!("key" => [1i64, 1, 2, 5, 5, 5], "v" => [Some(1.0), Some(2.0), None, Some(0.5), None, Some(0.25)]).unwrap();
        let (s, starts) = Sums::of_runs(&frame, "key", &["v".to_string()]).unwrap();
        assert_eq!(s.keys, [1, 2, 5]);
        assert_eq!(starts, [0, 2, 3]);
        assert_eq!(s.column(0), [3.0, 0.0, 0.75]);
    }

    #[test]
    fn a_row_feeds_every_group_it_names_and_groups_come_out_by_key() {
        // keys 10, 11, 20: tens roll up to 1 and 2; every row also feeds 0
        let s = sums(&[10, 11, 20], &[1.0, 2.0, 4.0]).regroup(|k, out| out.extend([k / 10, 0]));
        assert_eq!(s.keys, [0, 1, 2]);
        assert_eq!(s.column(0), [7.0, 3.0, 4.0]);
    }

    #[test]
    fn terms_are_added_in_key_order_whatever_the_groups() {
        // 1e16 + 1 + 1 in this order loses both ones; in another order it would keep them
        let s = sums(&[1, 2, 3], &[1e16, 1.0, 1.0]).regroup(|_, out| out.push(0));
        assert_eq!(s.column(0), [1e16]);
        let s = sums(&[1, 2, 3], &[1.0, 1.0, 1e16]).regroup(|_, out| out.push(0));
        assert_eq!(s.column(0), [1e16 + 2.0]);
    }

    #[test]
    fn union_and_filter_keep_keys_ascending() {
        let s = sums(&[1, 5], &[1.0, 5.0]).union(&sums(&[3], &[3.0]));
        assert_eq!(s.keys, [1, 3, 5]);
        assert_eq!(s.column(0), [1.0, 3.0, 5.0]);
        let s = s.filter(|k| k != 3);
        assert_eq!((s.keys.clone(), s.column(0)), (vec![1, 5], vec![1.0, 5.0]));
    }

    #[test]
    fn the_largest_four_whatever_the_order_ties_included() {
        let mut l = Largest::default();
        for v in [3.0, 9.0, 1.0, 9.0, 4.0, 2.0] {
            l.add(v);
        }
        assert_eq!([l.top(1), l.top(2), l.top(4)], [9.0, 18.0, 25.0]);
        let mut few = Largest::default();
        few.add(2.0);
        assert_eq!([few.top(1), few.top(2), few.top(4)], [2.0, 2.0, 2.0]);
        assert_eq!(Largest::default().top(4), 0.0);
    }
}
