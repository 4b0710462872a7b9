//! Valkey's sampling on its `hashtable` (8.1 and later), over the same
//! chains: a chain here is one of Valkey's 64-byte buckets with its child
//! buckets, since the keyspace sizes a Valkey table in buckets.
//!
//! `hashtableSampleEntries` (src/hashtable.c) scans one bucket chain at a
//! random cursor per call, every entry of it in position order (the chains
//! are kept that way: see `Table::link_lowest_free`), until it has seen as many
//! entries as it wants; once the array is full each further entry replaces
//! a random one with probability `size / seen` (`sampleEntriesScanFn`).
//! Where Redis's `dictGetSomeKeys` walks consecutive buckets from one
//! random start, Valkey jumps to a fresh random bucket after each one.
//! `hashtableFairRandomEntry` samples 70 entries (7 when the table holds
//! fewer keys than buckets) that way and returns a uniform one of them.

use super::table::Table;
use super::{Links, NONE};

/// `FAIR_RANDOM_SAMPLE_SIZE`: `ENTRIES_PER_BUCKET * 10`.
pub(super) const FAIR_RANDOM_SAMPLE_SIZE: usize = 70;
/// `WEAK_RANDOM_SAMPLE_SIZE`: `ENTRIES_PER_BUCKET`.
pub(super) const WEAK_RANDOM_SAMPLE_SIZE: usize = 7;

impl Table {
    /// `hashtableSampleEntries`: up to `out.len()` members, the first
    /// bucket at `start`, each next at a fresh random cursor; `out.len()`
    /// must not exceed the members. Returns how many were stored.
    #[inline]
    pub(super) fn sample_buckets<R: rand::Rng, L: Links + ?Sized>(
        &self,
        l: &L,
        start: u64,
        rng: &mut R,
        out: &mut [u32],
        fetch: impl Fn(u32),
    ) -> usize {
        let size = out.len();
        if self.heads.is_empty() || size == 0 {
            return 0;
        }
        let mask = self.heads.len() - 1;
        let mut seen = 0usize;
        let mut cursor = start;
        loop {
            let mut cur = self.heads[(cursor as usize) & mask];
            if cur != NONE {
                fetch(cur);
            }
            while cur != NONE {
                if seen < size {
                    out[seen] = cur;
                    seen += 1;
                } else {
                    seen += 1;
                    let idx = (rng.next_u64() % seen as u64) as usize;
                    if idx < size {
                        out[idx] = cur;
                    }
                }
                cur = l.next(cur);
            }
            if seen >= size {
                return size;
            }
            cursor = rng.next_u64();
        }
    }

    /// `hashtableFairRandomEntry`: a uniform pick among 70 sampled members
    /// (7 when the table holds fewer than one a bucket). The table must
    /// hold `members` >= 1.
    #[inline]
    pub(super) fn fair_random<R: rand::Rng, L: Links + ?Sized>(
        &self,
        l: &L,
        members: usize,
        rng: &mut R,
    ) -> u32 {
        let want = if members >= self.heads.len() {
            FAIR_RANDOM_SAMPLE_SIZE
        } else {
            WEAK_RANDOM_SAMPLE_SIZE
        };
        let mut buf = [NONE; FAIR_RANDOM_SAMPLE_SIZE];
        let out = &mut buf[..want.min(members)];
        let start = rng.next_u64();
        let n = self.sample_buckets(l, start, rng, out, |_| {});
        out[(rng.next_u64() % n as u64) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::{RngCore, SeedableRng};

    /// A literal port of Valkey's `hashtableSampleEntries` with
    /// `sampleEntriesScanFn`, over buckets given as lists of entries (a
    /// bucket and its children, in the order a scan emits them), with the
    /// same random stream: the model's walk must store the same entries.
    fn valkey_sample_entries(
        buckets: &[Vec<u32>],
        count: usize,
        random_size_t: &mut impl FnMut() -> u64,
        random: &mut impl FnMut() -> u64,
        first_cursor: u64,
    ) -> Vec<u32> {
        let size = count;
        let mut entries = vec![NONE; size];
        let mut seen = 0usize;
        let mut cursor = first_cursor;
        let mask = buckets.len() - 1;
        // while (samples.seen < count) hashtableScan(ht, randomSizeT(), ...)
        while seen < count {
            for &entry in &buckets[(cursor as usize) & mask] {
                if seen < size {
                    entries[seen] = entry;
                    seen += 1;
                } else {
                    seen += 1;
                    let idx = (random() % seen as u64) as usize;
                    if idx < size {
                        entries[idx] = entry;
                    }
                }
            }
            if seen < count {
                cursor = random_size_t();
            }
        }
        entries.truncate(seen.min(count));
        entries
    }

    /// A table whose chains are `buckets`, each listed head first.
    fn table(buckets: &[Vec<u32>]) -> (Table, Vec<u32>) {
        let mut t = Table {
            heads: vec![NONE; buckets.len()],
            pos: Vec::new(),
        };
        let mut next = vec![NONE; 256];
        for (b, keys) in buckets.iter().enumerate() {
            for &k in keys.iter().rev() {
                t.link(next.as_mut_slice(), b, k);
            }
        }
        (t, next)
    }

    #[test]
    fn sampling_is_valkeys_hashtable_sample_entries() {
        // 16 buckets, some empty, some with a child bucket's worth (> 7).
        let mut rng = SmallRng::seed_from_u64(11);
        let mut buckets: Vec<Vec<u32>> = vec![Vec::new(); 16];
        let mut k = 0;
        for b in buckets.iter_mut() {
            for _ in 0..(rng.next_u64() % 11) {
                b.push(k);
                k += 1;
            }
        }
        let (t, next) = table(&buckets);
        for seed in 0..500u64 {
            for count in [1usize, 5, 10] {
                let mut a = SmallRng::seed_from_u64(seed);
                let start = a.next_u64();
                let mut out = vec![NONE; count];
                let got = t.sample_buckets(next.as_slice(), start, &mut a, &mut out, |_| {});
                // Valkey draws its cursors and its reservoir indexes from
                // one stream here, as the model does.
                let b = std::cell::RefCell::new(SmallRng::seed_from_u64(seed));
                let first = b.borrow_mut().next_u64();
                let port = valkey_sample_entries(
                    &buckets,
                    count,
                    &mut || b.borrow_mut().next_u64(),
                    &mut || b.borrow_mut().next_u64(),
                    first,
                );
                assert_eq!(got, port.len());
                assert_eq!(out[..got], port[..], "seed {seed} count {count}");
            }
        }
    }

    #[test]
    fn a_sample_comes_from_whole_random_buckets() {
        // Keys 0..7 fill bucket 0, key 8 is alone in bucket 1, buckets 2
        // and 3 are empty. A sample of 5 that starts in bucket 0 is 5 of
        // its keys and never holds 8; one that starts in bucket 1 keeps 8
        // unless bucket 0's keys push it out (or bucket 1 comes round
        // again: Valkey can sample a key twice).
        let buckets = vec![(0..7).collect::<Vec<u32>>(), vec![8], vec![], vec![]];
        let (t, next) = table(&buckets);
        let mut rng = SmallRng::seed_from_u64(5);
        let trials = 8000;
        let mut with8 = 0;
        for _ in 0..trials {
            let mut out = [NONE; 5];
            let start = rng.next_u64();
            assert_eq!(
                t.sample_buckets(next.as_slice(), start, &mut rng, &mut out, |_| {}),
                5
            );
            let from0 = out.iter().filter(|&&k| k < 7).count();
            let eights = out.iter().filter(|&&k| k == 8).count();
            assert_eq!(from0 + eights, 5);
            if start % 4 == 0 {
                assert_eq!(eights, 0, "a sample that starts in bucket 0 is bucket 0's");
            }
            with8 += usize::from(eights > 0);
        }
        // The port, on its own random stream, keeps 8 as often.
        let mut r = SmallRng::seed_from_u64(6);
        let mut port8 = 0;
        for _ in 0..trials {
            let first = r.next_u64();
            let r = std::cell::RefCell::new(&mut r);
            let s = valkey_sample_entries(
                &buckets,
                5,
                &mut || r.borrow_mut().next_u64(),
                &mut || r.borrow_mut().next_u64(),
                first,
            );
            port8 += usize::from(s.contains(&8));
        }
        let (a, b) = (with8 as f64 / trials as f64, port8 as f64 / trials as f64);
        assert!(a > 0.3 && a < 0.5, "{a}");
        assert!((a - b).abs() < 0.03, "model {a} vs port {b}");
    }

    #[test]
    fn fair_random_is_uniform_over_a_full_table() {
        // 4 buckets of 7..10 keys: every key about equally likely.
        let buckets: Vec<Vec<u32>> = (0..4).map(|b| (b * 10..b * 10 + 7 + b).collect()).collect();
        let members: usize = buckets.iter().map(Vec::len).sum();
        let (t, next) = table(&buckets);
        let mut rng = SmallRng::seed_from_u64(9);
        let mut times = [0u32; 40];
        let trials = 68_000;
        for _ in 0..trials {
            times[t.fair_random(next.as_slice(), members, &mut rng) as usize] += 1;
        }
        for b in &buckets {
            for &k in b {
                let share = times[k as usize] as f64 * members as f64 / trials as f64;
                assert!((share - 1.0).abs() < 0.1, "key {k}: {share}");
            }
        }
    }
}
