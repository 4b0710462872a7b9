//! What a simulated instance counts: per key class, the reads, hits, writes,
//! evictions and the reads that were lost to them, with histograms of how idle
//! a key was and how much of its TTL was left when it was evicted.
//!
//! The model records into these; the reports only read them.

use hdrhistogram::Histogram;
use serde::Serialize;

/// Counters of one key class under one policy. Field names are the JSON
/// schema's and stay stable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counters {
    /// Commands that read the key (GET, GETDEL, INCR: their reply depends on
    /// whether the key existed).
    pub reads: u64,
    /// Reads that found the key.
    pub hits: u64,
    /// Writes that ran (SET, INCR, APPEND, EXPIRE, read-through fills...).
    pub writes: u64,
    /// Keys evicted by the policy.
    pub evicted: u64,
    /// Evictions of keys whose TTL had already passed (not yet reclaimed by
    /// expiry): Redis counts them in `evicted_keys`, but nothing was lost.
    pub evicted_expired: u64,
    /// Distinct keys evicted at least once while still live.
    pub evicted_distinct: u64,
    /// Reads that missed only because the key had been evicted: it was not
    /// deleted, had not expired and was not written again since.
    pub lost_reads: u64,
    /// Commands refused with `-OOM` (DENYOOM commands that eviction could not
    /// make room for).
    pub oom_rejected: u64,
    /// Keys deleted because their TTL passed (lazily or by the active cycle).
    pub expired: u64,
    /// What the keys evicted while live held: the elements of a list, set,
    /// hash or sorted set (the jobs of a queue), one for a string.
    pub lost_items: u64,
}

/// A counter's JSON and CSV name, and how to read it.
pub type NamedCounter = (&'static str, fn(&Counters) -> u64);

impl Counters {
    /// Every counter with its name in the JSON schema, in the order of the
    /// CSV's columns.
    pub const NAMED: [NamedCounter; 10] = [
        ("reads", |c| c.reads),
        ("hits", |c| c.hits),
        ("writes", |c| c.writes),
        ("evicted", |c| c.evicted),
        ("evicted_expired", |c| c.evicted_expired),
        ("evicted_distinct", |c| c.evicted_distinct),
        ("lost_reads", |c| c.lost_reads),
        ("oom_rejected", |c| c.oom_rejected),
        ("expired", |c| c.expired),
        ("lost_items", |c| c.lost_items),
    ];

    /// Adds another set of counters to this one.
    pub fn add(&mut self, o: &Counters) {
        self.reads += o.reads;
        self.hits += o.hits;
        self.writes += o.writes;
        self.evicted += o.evicted;
        self.evicted_expired += o.evicted_expired;
        self.evicted_distinct += o.evicted_distinct;
        self.lost_reads += o.lost_reads;
        self.oom_rejected += o.oom_rejected;
        self.expired += o.expired;
        self.lost_items += o.lost_items;
    }

    /// Whether evicted keys held more than themselves: lists, hashes, sets
    /// or sorted sets with several elements (the reports then show the
    /// items lost beside the keys).
    pub fn lost_aggregates(&self) -> bool {
        self.lost_items > self.evicted_live()
    }

    /// Evictions of keys that were still live (not past their TTL).
    pub fn evicted_live(&self) -> u64 {
        self.evicted - self.evicted_expired
    }

    /// Hits over reads, or `None` when nothing was read.
    pub fn hit_ratio(&self) -> Option<f64> {
        if self.reads == 0 {
            None
        } else {
            Some(self.hits as f64 / self.reads as f64)
        }
    }
}

/// Highest value the histograms record (about 11.5 days in ms); larger
/// values are clamped to it.
pub const HIST_MAX_MS: u64 = 1_000_000_000;

/// The `q` quantile of an eviction histogram, as the bottom of the bucket
/// holding it: within 1% of what was recorded (two significant digits) and
/// never above it, so a TTL left is never reported longer than the TTL.
/// `None` when the histogram is empty.
pub fn quantile(h: &Histogram<u64>, q: f64) -> Option<u64> {
    (!h.is_empty()).then(|| h.lowest_equivalent(h.value_at_quantile(q)))
}

/// The largest value recorded, as [`quantile`] reports values.
pub fn max(h: &Histogram<u64>) -> Option<u64> {
    (!h.is_empty()).then(|| h.lowest_equivalent(h.max()))
}

fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, HIST_MAX_MS, 2).expect("static histogram bounds are valid")
}

/// Everything counted for one key class under one policy.
#[derive(Clone, Debug)]
pub struct ClassMetrics {
    /// The counters.
    pub counters: Counters,
    /// Idle time (ms since the last access) of each evicted key.
    pub idle_at_eviction_ms: Histogram<u64>,
    /// Remaining TTL (ms) of each evicted key that had one: how much of its
    /// life was cut short.
    pub ttl_left_at_eviction_ms: Histogram<u64>,
}

impl Default for ClassMetrics {
    fn default() -> Self {
        ClassMetrics {
            counters: Counters::default(),
            idle_at_eviction_ms: new_histogram(),
            ttl_left_at_eviction_ms: new_histogram(),
        }
    }
}

impl ClassMetrics {
    /// Records one eviction of a key of this class that was past its TTL:
    /// counted as an eviction, as Redis does, but not as a loss.
    pub fn record_expired_eviction(&mut self) {
        self.counters.evicted += 1;
        self.counters.evicted_expired += 1;
    }

    /// Records one eviction of a live key of this class.
    pub fn record_eviction(&mut self, idle_ms: u64, ttl_left_ms: Option<u64>, first_time: bool) {
        self.counters.evicted += 1;
        if first_time {
            self.counters.evicted_distinct += 1;
        }
        self.idle_at_eviction_ms
            .saturating_record(idle_ms.clamp(1, HIST_MAX_MS));
        if let Some(t) = ttl_left_ms {
            self.ttl_left_at_eviction_ms
                .saturating_record(t.clamp(1, HIST_MAX_MS));
        }
    }
}

/// Used memory and evictions over simulated time, in buckets whose width
/// doubles whenever there would be more than [`Timeline::MAX_POINTS`], so a
/// run of any length keeps a bounded, chartable series.
#[derive(Clone, Debug, PartialEq)]
pub struct Timeline {
    /// Width of one bucket in ms.
    pub step_ms: u64,
    /// Highest used memory seen in each bucket.
    pub used_memory: Vec<u64>,
    /// Evictions in each bucket, one series per class.
    pub evictions: Vec<Vec<u64>>,
}

impl Timeline {
    /// Most buckets kept before they are merged pairwise.
    pub const MAX_POINTS: usize = 2048;

    /// An empty timeline for `classes` classes, starting with 1-second buckets.
    pub fn new(classes: usize) -> Self {
        Timeline {
            step_ms: 1000,
            used_memory: Vec::new(),
            evictions: vec![Vec::new(); classes],
        }
    }

    fn bucket(&mut self, t_ms: u64) -> usize {
        let mut b = (t_ms / self.step_ms) as usize;
        while b >= Self::MAX_POINTS {
            self.halve();
            b = (t_ms / self.step_ms) as usize;
        }
        if b >= self.used_memory.len() {
            let carry = self.used_memory.last().copied().unwrap_or(0);
            self.used_memory.resize(b + 1, carry);
            for e in &mut self.evictions {
                e.resize(b + 1, 0);
            }
        }
        b
    }

    fn halve(&mut self) {
        self.step_ms *= 2;
        let merge_max = |v: &Vec<u64>| -> Vec<u64> {
            v.chunks(2)
                .map(|c| c.iter().copied().max().unwrap_or(0))
                .collect()
        };
        let merge_sum =
            |v: &Vec<u64>| -> Vec<u64> { v.chunks(2).map(|c| c.iter().sum()).collect() };
        self.used_memory = merge_max(&self.used_memory);
        for e in &mut self.evictions {
            *e = merge_sum(e);
        }
    }

    /// Notes the used memory at a time.
    pub fn record_memory(&mut self, t_ms: u64, used: u64) {
        let b = self.bucket(t_ms);
        if self.used_memory[b] < used {
            self.used_memory[b] = used;
        }
    }

    /// Notes one eviction of a key of `class` at a time.
    pub fn record_eviction(&mut self, t_ms: u64, class: usize) {
        let b = self.bucket(t_ms);
        self.evictions[class][b] += 1;
    }

    /// Adds another instance's timeline to this one, bucket by bucket (the
    /// finer of the two is coarsened first): evictions add up, and used
    /// memory keeps the higher of the two, so a cluster's timeline shows
    /// its fullest shard at every moment.
    pub fn absorb(&mut self, other: &Timeline) {
        let mut other = other.clone();
        while self.step_ms < other.step_ms {
            self.halve();
        }
        while other.step_ms < self.step_ms {
            other.halve();
        }
        let len = self.used_memory.len().max(other.used_memory.len());
        let carry = |v: &mut Vec<u64>| {
            let last = v.last().copied().unwrap_or(0);
            v.resize(len, last);
        };
        carry(&mut self.used_memory);
        carry(&mut other.used_memory);
        for (m, o) in self.used_memory.iter_mut().zip(&other.used_memory) {
            *m = (*m).max(*o);
        }
        for (mine, theirs) in self.evictions.iter_mut().zip(&other.evictions) {
            mine.resize(len, 0);
            for (e, o) in mine.iter_mut().zip(theirs) {
                *e += o;
            }
        }
    }
}

/// Everything one simulated instance counted over a run.
#[derive(Clone, Debug)]
pub struct Metrics {
    /// Per class, in the order of the scenario's classes.
    pub classes: Vec<ClassMetrics>,
    /// Highest `used_memory` after any command.
    pub peak_used_memory: u64,
    /// Used memory and evictions over time.
    pub timeline: Timeline,
    /// Per logical database: evictions (empty when not counted).
    pub db_evicted: Vec<u64>,
    /// Per logical database: its keys' memory (entries and hash-table
    /// buckets) at the end of the run (empty when not measured).
    pub db_memory: Vec<u64>,
}

impl Metrics {
    /// Empty metrics for `classes` classes.
    pub fn new(classes: usize) -> Self {
        Metrics {
            classes: vec![ClassMetrics::default(); classes],
            peak_used_memory: 0,
            timeline: Timeline::new(classes),
            db_evicted: Vec::new(),
            db_memory: Vec::new(),
        }
    }

    /// Adds another instance's metrics to these, as a cluster's are the
    /// sum of its shards': counters and histograms add up per class; peak
    /// memory and the memory timeline keep the fullest instance's (see
    /// [`Timeline::absorb`]).
    pub fn absorb(&mut self, other: &Metrics) {
        for (mine, theirs) in self.classes.iter_mut().zip(&other.classes) {
            mine.counters.add(&theirs.counters);
            // Same bounds on both sides, so adding cannot fail.
            let _ = mine.idle_at_eviction_ms.add(&theirs.idle_at_eviction_ms);
            let _ = mine
                .ttl_left_at_eviction_ms
                .add(&theirs.ttl_left_at_eviction_ms);
        }
        self.peak_used_memory = self.peak_used_memory.max(other.peak_used_memory);
        self.timeline.absorb(&other.timeline);
        let sum = |mine: &mut Vec<u64>, theirs: &[u64]| {
            if mine.len() < theirs.len() {
                mine.resize(theirs.len(), 0);
            }
            for (m, t) in mine.iter_mut().zip(theirs) {
                *m += t;
            }
        };
        sum(&mut self.db_evicted, &other.db_evicted);
        sum(&mut self.db_memory, &other.db_memory);
    }

    /// The counters summed over all classes.
    pub fn totals(&self) -> Counters {
        let mut t = Counters::default();
        for c in &self.classes {
            t.add(&c.counters);
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: a 30-minute sliding session showed a TTL left of
    /// "30m 2s" at p50 and p99 (the top of the histogram's bucket).
    #[test]
    fn ttl_left_is_never_reported_above_what_was_recorded() {
        let mut m = ClassMetrics::default();
        for left in [1_800_000, 1_799_990, 1_795_000, 1_000, 1] {
            m.record_eviction(10, Some(left), true);
        }
        let h = &m.ttl_left_at_eviction_ms;
        for q in [0.5, 0.9, 0.99, 1.0] {
            let v = quantile(h, q).unwrap();
            assert!(v <= 1_800_000, "q{q}: {v}");
        }
        assert!(max(h).unwrap() <= 1_800_000);
        assert!(max(h).unwrap() >= 1_800_000 * 99 / 100, "within 1%");
        assert_eq!(quantile(&new_histogram(), 0.5), None);
    }

    #[test]
    fn timeline_halves_and_keeps_maxima_and_sums() {
        let mut t = Timeline::new(1);
        t.record_memory(0, 5);
        t.record_memory(1500, 7);
        t.record_eviction(500, 0);
        t.record_eviction(1500, 0);
        assert_eq!(t.used_memory, vec![5, 7]);
        // Far in the future: buckets must double until it fits.
        t.record_memory(Timeline::MAX_POINTS as u64 * 1000 * 3, 9);
        assert!(t.used_memory.len() <= Timeline::MAX_POINTS);
        assert_eq!(t.step_ms, 4000);
        assert_eq!(t.used_memory[0], 7);
        assert_eq!(t.evictions[0][0], 2);
        assert_eq!(*t.used_memory.last().unwrap(), 9);
    }

    #[test]
    fn absorbing_adds_counts_and_keeps_the_fullest_memory() {
        let mut a = Metrics::new(1);
        a.classes[0].record_eviction(5, Some(100), true);
        a.peak_used_memory = 10;
        a.timeline.record_memory(0, 10);
        a.timeline.record_eviction(500, 0);
        let mut b = Metrics::new(1);
        b.classes[0].record_eviction(7, None, true);
        b.classes[0].counters.lost_reads = 3;
        b.peak_used_memory = 30;
        b.timeline.record_memory(0, 4);
        b.timeline
            .record_memory(Timeline::MAX_POINTS as u64 * 1000, 30);
        b.timeline.record_eviction(700, 0);
        a.absorb(&b);
        let c = &a.classes[0];
        assert_eq!(c.counters.evicted, 2);
        assert_eq!(c.counters.lost_reads, 3);
        assert_eq!(c.idle_at_eviction_ms.len(), 2);
        assert_eq!(c.ttl_left_at_eviction_ms.len(), 1);
        assert_eq!(a.peak_used_memory, 30);
        assert_eq!(a.timeline.step_ms, 2000, "coarsened to the other's step");
        assert_eq!(a.timeline.used_memory[0], 10);
        assert_eq!(*a.timeline.used_memory.last().unwrap(), 30);
        assert_eq!(a.timeline.evictions[0][0], 2);
    }

    #[test]
    fn hit_ratio_of_nothing_is_none() {
        assert_eq!(Counters::default().hit_ratio(), None);
        let c = Counters {
            reads: 4,
            hits: 1,
            ..Default::default()
        };
        assert_eq!(c.hit_ratio(), Some(0.25));
    }
}
