//! Which evicted keys are still "lost": a read of one now would have found
//! it had it not been evicted. Kept per key id, but small: two bits per id
//! (ever evicted; lost now) and, for the keys lost with a TTL still to run,
//! their deadlines in a map purged as those pass (4 bytes each, from an
//! epoch the purge moves forward; one more than 49 days ahead goes to a
//! side map). A lost key not in the map had no TTL: it stays lost until
//! written or deleted.

use super::idmap::IdMap;
use super::keyspace::prefetch;
use crate::op::KeyId;
use std::collections::HashMap;

/// Stored in `deadlines` for a deadline kept in `far`.
const FAR: u32 = u32::MAX;

/// 64 ids' bits, side by side so one cache line answers for an id.
#[derive(Clone, Copy, Debug, Default)]
struct Word {
    /// Evicted at least once while live.
    ever: u64,
    /// Lost now: until its deadline in [`LostKeys::deadlines`], or for good
    /// when it has none there.
    lost: u64,
}

/// The lost-read state of every key id.
#[derive(Clone, Debug, Default)]
pub(super) struct LostKeys {
    words: Vec<Word>,
    /// Deadline of each key lost with a TTL, in ms after `epoch`.
    deadlines: IdMap,
    /// Where `deadlines` count from: at most the earliest deadline held.
    epoch: u64,
    /// Deadlines too far past `epoch` for 32 bits (stored as [`FAR`]).
    far: HashMap<KeyId, u64>,
    /// Size of `deadlines` after the last purge.
    after_purge: usize,
}

#[inline]
fn at(key: KeyId) -> (usize, u64) {
    ((key >> 6) as usize, 1u64 << (key & 63))
}

impl LostKeys {
    /// Makes room for ids up to `key`.
    #[inline]
    pub(super) fn ensure(&mut self, key: KeyId) {
        let need = (key >> 6) as usize + 1;
        if self.words.len() < need {
            self.words.resize(need, Word::default());
        }
    }

    /// Hints the CPU to fetch the id's bits (and its deadline's slot, when
    /// some keys have one).
    #[inline]
    pub(super) fn prefetch(&self, key: KeyId) {
        if let Some(w) = self.words.get((key >> 6) as usize) {
            prefetch(w);
        }
        if !self.deadlines.is_empty() {
            self.deadlines.prefetch(key);
        }
    }

    /// Whether the key was ever evicted while live.
    #[inline]
    pub(super) fn ever_evicted(&self, key: KeyId) -> bool {
        let (i, b) = at(key);
        self.words[i].ever & b != 0
    }

    /// Records an eviction: lost until `deadline` (`u64::MAX`: it had no TTL).
    #[inline]
    pub(super) fn evicted(&mut self, key: KeyId, deadline: u64) {
        let (i, b) = at(key);
        self.words[i].ever |= b;
        self.set_deadline(key, deadline);
    }

    /// The deadline of a lost key: 0 when it is not lost, `u64::MAX` when
    /// it had no TTL. A deadline may have passed (the caller compares).
    #[inline]
    pub(super) fn deadline(&self, key: KeyId) -> u64 {
        let (i, b) = at(key);
        if self.words[i].lost & b == 0 {
            0
        } else if self.deadlines.is_empty() {
            u64::MAX
        } else {
            match self.deadlines.get(key) {
                None => u64::MAX,
                Some(FAR) => self.far.get(&key).copied().unwrap_or(u64::MAX),
                Some(off) => self.epoch + u64::from(off),
            }
        }
    }

    /// Sets the key's deadline: 0 clears it (written, deleted, or past
    /// it), `u64::MAX` means lost until written.
    #[inline]
    pub(super) fn set_deadline(&mut self, key: KeyId, deadline: u64) {
        // A deadline before the epoch has passed: the key is no longer lost.
        let deadline = if deadline < self.epoch { 0 } else { deadline };
        let (i, b) = at(key);
        let w = &mut self.words[i];
        let was = w.lost & b != 0;
        match deadline {
            0 => w.lost &= !b,
            _ => w.lost |= b,
        }
        if !self.far.is_empty() {
            self.far.remove(&key);
        }
        if deadline != 0 && deadline != u64::MAX {
            let off = deadline - self.epoch;
            if off >= u64::from(FAR) {
                self.far.insert(key, deadline);
                self.deadlines.insert(key, FAR);
            } else {
                self.deadlines.insert(key, off as u32);
            }
        } else if was && !self.deadlines.is_empty() {
            self.deadlines.remove(key);
            self.after_purge = self.after_purge.min(self.deadlines.len());
        }
    }

    /// Forgets the deadlines that passed before `now`, when enough have
    /// piled up since the last purge (amortised: the map at most doubles
    /// between purges).
    pub(super) fn purge(&mut self, now: u64) {
        if self.deadlines.len() < 2 * self.after_purge + 1024 {
            return;
        }
        let (words, far, epoch) = (&mut self.words, &self.far, self.epoch);
        let now = now.max(epoch);
        // Keep what has not passed, counted from the new epoch `now`.
        self.deadlines.retain_map(|key, off| {
            let d = match off {
                FAR => far.get(&key).copied().unwrap_or(u64::MAX),
                off => epoch + u64::from(off),
            };
            if d < now {
                let (i, b) = at(key);
                words[i].lost &= !b;
                None
            } else if off == FAR {
                Some(FAR)
            } else {
                Some((d - now) as u32)
            }
        });
        self.far.retain(|_, d| *d >= now);
        self.epoch = now;
        self.after_purge = self.deadlines.len();
    }

    /// Keys lost with a TTL, as held now (for tests and footprints).
    #[cfg(test)]
    pub fn pending_with_ttl(&self) -> usize {
        self.deadlines.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_round_trip_and_clear() {
        let mut l = LostKeys::default();
        l.ensure(200);
        assert_eq!(l.deadline(7), 0);
        assert!(!l.ever_evicted(7));
        l.evicted(7, u64::MAX);
        l.evicted(130, 5_000);
        assert!(l.ever_evicted(7) && l.ever_evicted(130) && !l.ever_evicted(131));
        assert_eq!((l.deadline(7), l.deadline(130)), (u64::MAX, 5_000));
        l.set_deadline(130, 9_000);
        assert_eq!(l.deadline(130), 9_000);
        l.set_deadline(130, u64::MAX);
        assert_eq!((l.deadline(130), l.pending_with_ttl()), (u64::MAX, 0));
        l.set_deadline(7, 3);
        assert_eq!(l.deadline(7), 3);
        l.set_deadline(7, 0);
        l.set_deadline(130, 0);
        assert_eq!((l.deadline(7), l.deadline(130)), (0, 0));
        assert!(l.ever_evicted(7), "the flag outlives the deadline");
        assert_eq!(l.pending_with_ttl(), 0);
    }

    #[test]
    fn a_purge_drops_only_passed_deadlines() {
        let mut l = LostKeys::default();
        l.ensure(10_000);
        for k in 0..3_000u32 {
            l.evicted(k, 1_000 + u64::from(k));
        }
        l.purge(2_500);
        for k in 0..3_000u32 {
            let want = if 1_000 + u64::from(k) >= 2_500 {
                1_000 + u64::from(k)
            } else {
                0
            };
            assert_eq!(l.deadline(k), want, "key {k}");
        }
        assert_eq!(l.pending_with_ttl(), 1_500);
        // Too few since the last purge: nothing is scanned.
        l.purge(u64::MAX);
        assert_eq!(l.pending_with_ttl(), 1_500);
    }

    #[test]
    fn far_deadlines_and_a_moving_epoch_keep_their_values() {
        let mut l = LostKeys::default();
        l.ensure(5_000);
        let far = 100 * 86_400_000u64; // 100 days: past 32 bits of ms
        l.evicted(1, far);
        l.evicted(2, 7_000);
        for k in 100..2_000u32 {
            l.evicted(k, 5_000);
        }
        assert_eq!((l.deadline(1), l.deadline(2)), (far, 7_000));
        l.purge(6_000);
        assert_eq!(
            (l.deadline(1), l.deadline(2), l.deadline(150)),
            (far, 7_000, 0)
        );
        // Set after the epoch moved, read back exactly.
        l.set_deadline(3, 6_123);
        l.set_deadline(1, far + 5);
        assert_eq!((l.deadline(3), l.deadline(1)), (6_123, far + 5));
        // A deadline before the epoch has passed.
        l.set_deadline(4, 10);
        assert_eq!(l.deadline(4), 0);
        l.set_deadline(1, 0);
        assert_eq!(l.deadline(1), 0);
    }
}
