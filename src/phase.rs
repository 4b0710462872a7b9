//! Where in the minute a run starts, and what that changes. Redis's LFU
//! counters decay on a minute clock and its LRU clock ticks once a second,
//! both read from the wall clock, so a run of a few minutes depends on the
//! instant it starts at (`InstanceConfig::start_unix_ms`). A run at several
//! start phases shows by how much: [`offsets_ms`] spreads N phases evenly
//! over the minute, [`PhaseRuns`] holds what every policy counted at each,
//! and [`Spread`] gives a figure's lowest, median and highest value, each
//! the figure of one real run (the median of an even count is the lower
//! middle one, never an average).

use std::cmp::Ordering;

use serde::Serialize;

use crate::metrics::{Counters, Metrics};
use crate::model::PolicyKind;

/// One minute in ms: the phases spread over it.
pub const MINUTE_MS: u64 = 60_000;

/// The most phases a run takes (one a second).
pub const MAX_PHASES: u32 = 60;

/// Below this much simulated time, a run under an LFU policy without
/// phases gets a note that its figures move with the minute phase (30 min:
/// a longer run has seen enough minute boundaries for them to average out).
pub const LFU_NOTE_BELOW_MS: u64 = 30 * MINUTE_MS;

/// The phases a run at `n` start phases adds to its start: phase `k` is
/// `k * 60 / n` seconds (in ms, rounded down), so phase 0 is the start as
/// given. `n` of 0 counts as 1.
pub fn offsets_ms(n: u32) -> Vec<u64> {
    let n = u64::from(n.max(1));
    (0..n).map(|k| k * MINUTE_MS / n).collect()
}

/// What every policy counted at every start phase.
#[derive(Clone, Debug)]
pub struct PhaseRuns {
    /// The ms each phase added to the run's start, in phase order; the
    /// first is 0 (the start as given).
    pub offsets_ms: Vec<u64>,
    /// Per policy (in the order of the run's results), per phase: what its
    /// instance counted.
    pub runs: Vec<Vec<Metrics>>,
}

/// A figure over several runs: the lowest, the median and the highest,
/// each the figure of one of the runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Spread<T> {
    /// The lowest.
    pub min: T,
    /// The median: the middle run's, the lower middle one of an even count.
    pub median: T,
    /// The highest.
    pub max: T,
}

impl<T: Copy> Spread<T> {
    /// The spread of `values` ordered by `cmp`. Panics on no values.
    pub fn by(values: &[T], cmp: impl Fn(&T, &T) -> Ordering) -> Spread<T> {
        let mut v = values.to_vec();
        v.sort_by(cmp);
        Spread {
            min: v[0],
            median: v[(v.len() - 1) / 2],
            max: v[v.len() - 1],
        }
    }
}

impl Spread<u64> {
    /// The spread of whole numbers. Panics on no values.
    pub fn of(values: &[u64]) -> Spread<u64> {
        Spread::by(values, Ord::cmp)
    }
}

/// Every counter of [`Counters`] over several runs, named as in the JSON
/// schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct CounterSpread {
    /// [`Counters::reads`].
    pub reads: Spread<u64>,
    /// [`Counters::hits`].
    pub hits: Spread<u64>,
    /// [`Counters::writes`].
    pub writes: Spread<u64>,
    /// [`Counters::evicted`].
    pub evicted: Spread<u64>,
    /// [`Counters::evicted_expired`].
    pub evicted_expired: Spread<u64>,
    /// [`Counters::evicted_distinct`].
    pub evicted_distinct: Spread<u64>,
    /// [`Counters::lost_reads`].
    pub lost_reads: Spread<u64>,
    /// [`Counters::oom_rejected`].
    pub oom_rejected: Spread<u64>,
    /// [`Counters::expired`].
    pub expired: Spread<u64>,
    /// [`Counters::lost_items`].
    pub lost_items: Spread<u64>,
}

impl CounterSpread {
    /// Each counter's spread over `runs`. Panics on no runs.
    pub fn of(runs: &[Counters]) -> CounterSpread {
        let s = |f: fn(&Counters) -> u64| Spread::of(&runs.iter().map(f).collect::<Vec<_>>());
        CounterSpread {
            reads: s(|c| c.reads),
            hits: s(|c| c.hits),
            writes: s(|c| c.writes),
            evicted: s(|c| c.evicted),
            evicted_expired: s(|c| c.evicted_expired),
            evicted_distinct: s(|c| c.evicted_distinct),
            lost_reads: s(|c| c.lost_reads),
            oom_rejected: s(|c| c.oom_rejected),
            expired: s(|c| c.expired),
            lost_items: s(|c| c.lost_items),
        }
    }

    /// The spreads in the order of the CSV's counter columns
    /// ([`Counters::NAMED`]).
    pub fn values(&self) -> [Spread<u64>; Counters::NAMED.len()] {
        [
            self.reads,
            self.hits,
            self.writes,
            self.evicted,
            self.evicted_expired,
            self.evicted_distinct,
            self.lost_reads,
            self.oom_rejected,
            self.expired,
            self.lost_items,
        ]
    }
}

/// The line a run prints when an LFU policy ran for less than
/// [`LFU_NOTE_BELOW_MS`] at one start phase: its figures move with where
/// in the minute the run starts, and `--phases 6` shows by how much.
/// `None` for a longer run, a run with no LFU policy, or one with phases.
pub fn lfu_note(policies: &[PolicyKind], simulated_ms: u64, phases: u32) -> Option<String> {
    let lfu: Vec<&str> = policies
        .iter()
        .filter(|p| p.is_lfu())
        .map(|p| p.name())
        .collect();
    if lfu.is_empty() || phases > 1 || simulated_ms >= LFU_NOTE_BELOW_MS {
        return None;
    }
    Some(format!(
        "note: the figures of {} move with where in the minute the run starts (LFU counters \
         decay once a wall-clock minute, and this run is only {}); --phases 6 shows by how much",
        lfu.join(" and "),
        crate::report::fmt::duration_ms(simulated_ms),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_spread_evenly_over_the_minute_from_the_start_as_given() {
        assert_eq!(offsets_ms(1), [0]);
        assert_eq!(offsets_ms(0), [0]);
        assert_eq!(offsets_ms(6), [0, 10_000, 20_000, 30_000, 40_000, 50_000]);
        assert_eq!(offsets_ms(7)[1], 8_571);
        assert!(offsets_ms(MAX_PHASES).iter().all(|&o| o < MINUTE_MS));
    }

    #[test]
    fn the_spread_is_made_of_real_values_and_the_median_of_an_even_count_is_the_lower_middle() {
        let s = Spread::of(&[1_567, 2_060, 1_938, 1_370, 648, 882]);
        assert_eq!(
            s,
            Spread {
                min: 648,
                median: 1_370,
                max: 2_060
            }
        );
        assert_eq!(Spread::of(&[5, 1, 3]).median, 3);
        assert_eq!(
            Spread::of(&[7]),
            Spread {
                min: 7,
                median: 7,
                max: 7
            }
        );
    }

    #[test]
    fn the_lfu_note_is_for_short_single_phase_runs_with_an_lfu_policy() {
        use PolicyKind::*;
        let ten_min = 10 * MINUTE_MS;
        let note = lfu_note(&[AllKeysLru, AllKeysLfu], ten_min, 1).unwrap();
        assert!(note.contains("figures of allkeys-lfu move") && note.contains("--phases 6"));
        assert!(note.contains("only 10m 0s"), "{note}");
        assert!(lfu_note(&[AllKeysLfu, VolatileLfu], ten_min, 1)
            .unwrap()
            .contains("allkeys-lfu and volatile-lfu move"));
        assert_eq!(lfu_note(&[AllKeysLru], ten_min, 1), None);
        assert_eq!(lfu_note(&[AllKeysLfu], ten_min, 6), None);
        assert_eq!(lfu_note(&[AllKeysLfu], LFU_NOTE_BELOW_MS, 1), None);
        assert!(lfu_note(&[AllKeysLfu], LFU_NOTE_BELOW_MS - 1, 1).is_some());
    }
}
