//! The 16-entry eviction pool of Redis's sampled policies (`EVPOOL_SIZE`,
//! `evictionPoolPopulate` in src/evict.c).
//!
//! Entries are kept sorted by score, best candidate (highest score) last. The
//! pool survives between evictions and its scores are never refreshed; it
//! holds key *names* (here interned ids), so an entry may name a key deleted
//! since, or one deleted and written again.

use crate::op::KeyId;

/// Number of entries (`EVPOOL_SIZE`).
pub(super) const POOL_SIZE: usize = 16;

/// One candidate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Candidate {
    /// The key's name.
    pub key: KeyId,
    /// Its database.
    pub db: u8,
    /// Its score when sampled: higher goes first.
    pub score: u64,
}

/// The pool, left-packed and sorted by ascending score.
#[derive(Clone, Debug, Default)]
pub struct EvictionPool {
    entries: [Candidate; POOL_SIZE],
    len: usize,
}

impl EvictionPool {
    /// Number of entries held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the pool is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The entries, worst candidate first.
    pub fn entries(&self) -> &[Candidate] {
        &self.entries[..self.len]
    }

    /// Offers a sampled key. As in Redis, a candidate worse than every entry
    /// of a full pool is dropped; one whose score equals pooled ones goes
    /// before them, so among ties the older entries are evicted first.
    #[inline]
    pub fn offer(&mut self, c: Candidate) {
        let mut k = 0;
        while k < self.len && self.entries[k].score < c.score {
            k += 1;
        }
        if k == 0 && self.len == POOL_SIZE {
            return;
        }
        if self.len < POOL_SIZE {
            self.entries.copy_within(k..self.len, k + 1);
            self.len += 1;
        } else {
            // Full: drop the worst (index 0) and insert just before k.
            k -= 1;
            self.entries.copy_within(1..=k, 0);
        }
        self.entries[k] = c;
    }

    /// The best entry, left in the pool.
    #[inline]
    pub fn peek_best(&self) -> Option<&Candidate> {
        self.len.checked_sub(1).map(|i| &self.entries[i])
    }

    /// Takes the best entry out of the pool.
    #[inline]
    pub fn pop_best(&mut self) -> Option<Candidate> {
        if self.len == 0 {
            None
        } else {
            self.len -= 1;
            Some(self.entries[self.len])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(key: KeyId, score: u64) -> Candidate {
        Candidate { key, db: 0, score }
    }

    #[test]
    fn keeps_the_best_sixteen_sorted() {
        let mut p = EvictionPool::default();
        for k in 0..40u32 {
            p.offer(c(k, (k as u64 * 7919) % 101));
        }
        assert_eq!(p.len(), POOL_SIZE);
        let scores: Vec<u64> = p.entries().iter().map(|e| e.score).collect();
        let mut all: Vec<u64> = (0..40u64).map(|k| (k * 7919) % 101).collect();
        all.sort();
        assert_eq!(scores, all[40 - POOL_SIZE..].to_vec());
    }

    #[test]
    fn among_ties_the_older_entry_goes_first() {
        let mut p = EvictionPool::default();
        p.offer(c(1, 10));
        p.offer(c(2, 10));
        assert_eq!(p.pop_best().unwrap().key, 1);
        assert_eq!(p.pop_best().unwrap().key, 2);
        assert!(p.pop_best().is_none());
    }

    #[test]
    fn a_full_pool_drops_a_worse_candidate() {
        let mut p = EvictionPool::default();
        for k in 0..POOL_SIZE as u32 {
            p.offer(c(k, 100 + k as u64));
        }
        p.offer(c(99, 5));
        assert!(p.entries().iter().all(|e| e.key != 99));
        p.offer(c(98, 1000));
        assert_eq!(p.pop_best().unwrap().key, 98);
        assert_eq!(p.len(), POOL_SIZE - 1);
        assert!(
            p.entries().iter().all(|e| e.key != 0),
            "the worst was dropped"
        );
    }
}
