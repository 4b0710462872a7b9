//! Cache hints: on a large keyspace a key's bucket head and entry are
//! usually cold, so the instance asks for what the next operations and
//! the next eviction will read a few steps early, and the loads overlap
//! instead of stalling one after another. [`prefetch`] is shared with the
//! other per-key arrays (lost-read state, id maps, the exact LRU list).

use super::table::bucket;
use super::Keyspace;
use crate::op::KeyId;

/// Asks the CPU to bring `r`'s cache line in; a no-op off x86-64.
#[inline(always)]
pub fn prefetch<T>(r: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetching is a hint; it never faults and `r` is a valid
    // reference anyway.
    unsafe {
        std::arch::x86_64::_mm_prefetch(r as *const T as *const i8, std::arch::x86_64::_MM_HINT_T0);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = r;
}

impl Keyspace {
    /// Hints the CPU to fetch the key's main-dict bucket head (first stage
    /// of the look-ahead in `Instance::apply_all`).
    #[inline]
    pub(crate) fn prefetch_head(&self, db: u8, key: KeyId) {
        if let Some(d) = self.dbs.get(db as usize) {
            let heads = &d.main.heads;
            if !heads.is_empty() {
                prefetch(&heads[bucket(key, self.hash_seed, heads.len())]);
            }
        }
    }

    /// Hints the CPU to fetch the entry at a slot.
    #[inline]
    pub(crate) fn prefetch_slot(&self, db: u8, pos: usize) {
        if let Some(e) = self.dbs.get(db as usize).and_then(|d| d.entries.get(pos)) {
            prefetch(e);
        }
    }

    /// Hints the CPU to fetch the bucket heads a sample of `count` keys
    /// starting at `start` will read first (see [`Keyspace::some_positions`]).
    #[inline]
    pub(crate) fn prefetch_walk(&self, db: u8, volatile: bool, start: u64, count: usize) {
        let d = &self.dbs[db as usize];
        let heads = if volatile {
            &d.expires.heads
        } else {
            &d.main.heads
        };
        if heads.is_empty() {
            return;
        }
        let mask = heads.len() - 1;
        let i = start as usize & mask;
        prefetch(&heads[i]);
        prefetch(&heads[(i + count) & mask]);
    }

    /// Hints the CPU to fetch the first entry of the key's chain, usually
    /// the key itself: what reading or removing it touches first (its
    /// bucket head should be in cache already: see
    /// [`Keyspace::prefetch_head`]).
    #[inline]
    pub(crate) fn prefetch_entry(&self, db: u8, key: KeyId) {
        if let Some(pos) = self.chain_head_slot(db, key) {
            self.prefetch_slot(db, pos);
        }
    }
}
