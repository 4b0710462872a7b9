//! When the tables grow and shrink, as the server decides it: grow before
//! an add that would overfill the table unless `maxmemory` vetoes the
//! bigger table (`_dictExpandIfNeeded` and `dictExpandAllowed`; Valkey's
//! `hashtableExpandIfNeeded` and `resizeAllowed`), shrink from the cron
//! when nearly empty (`tryResizeHashTables`). A resize rehashes at once and
//! moves `used_memory` by the slots gained or given back; Redis 8.2's and
//! Valkey's tables also re-count what they allocate beyond their slots.

use super::table::bucket;
use super::{Db, Keyspace};
use crate::model::config::MemoryModel;
use crate::model::layout::TableShape;

/// Largest used/capacity ratio at which the server still lets `maxmemory`
/// veto a table's growth (`HASHTABLE_MAX_LOAD_FACTOR`).
const MAX_LOAD_FACTOR: f64 = 1.618;

impl Keyspace {
    /// Changes the limit `dictExpandAllowed` checks against.
    pub(crate) fn set_maxmemory(&mut self, bytes: u64) {
        self.maxmemory = bytes;
    }

    #[inline]
    fn counts(&self) -> bool {
        self.model == MemoryModel::Redis
    }

    /// Whether a table may grow to `new_slots` (`dictExpandAllowed`).
    #[cold]
    #[inline(never)]
    fn expand_allowed(&self, used_keys: u64, slots: u64, new_slots: u64) -> bool {
        if self.maxmemory == 0 || !self.counts() {
            return true;
        }
        let ratio = used_keys as f64 / (slots * self.layout.slot_capacity()) as f64;
        if ratio <= MAX_LOAD_FACTOR {
            let more = self.layout.table_bytes(new_slots);
            self.used + self.transient + more <= self.maxmemory
        } else {
            true
        }
    }

    /// The slots a table holding `used` keys in `slots` slots grows to
    /// before one more is added, if it must grow.
    #[inline]
    fn grown_slots(&self, used: u64, slots: u64) -> Option<u64> {
        if slots == 0 {
            Some(self.layout.initial_slots())
        } else if used >= slots * self.layout.slot_capacity() {
            let n = self.layout.table_size_for(used + 1);
            self.expand_allowed(used, slots, n).then_some(n)
        } else {
            None
        }
    }

    /// Main-dict growth before adding a key (`_dictExpandIfNeeded`).
    #[inline(always)]
    pub(super) fn grow_main(&mut self, db: u8) {
        let d = &self.dbs[db as usize];
        if let Some(new) = self.grown_slots(d.len as u64, d.main.heads.len() as u64) {
            self.resize_main(db, new);
        }
    }

    #[inline(never)]
    fn resize_main(&mut self, db: u8, new: u64) {
        let layout = self.layout;
        let d = &mut self.dbs[db as usize];
        if self.model == MemoryModel::Redis {
            self.used =
                self.used - layout.table_bytes(d.main.heads.len() as u64) + layout.table_bytes(new);
        }
        let seed = self.hash_seed;
        let lowest_free = layout.shape() == TableShape::Hashtable;
        d.main.rehash(
            d.entries.as_mut_slice(),
            new as usize,
            lowest_free,
            |es, m| bucket(es[m as usize].key, seed, new as usize),
        );
        if self.table_extras {
            self.retable_main(db);
        }
    }

    /// `expires` growth before giving a key a TTL (`_dictExpandIfNeeded`).
    #[inline(always)]
    pub(super) fn grow_expires(&mut self, db: u8) {
        let d = &self.dbs[db as usize];
        if let Some(new) = self.grown_slots(d.volatile_len as u64, d.expires.heads.len() as u64) {
            self.rehash_expires(db, new as usize);
        }
    }

    #[inline(never)]
    fn rehash_expires(&mut self, db: u8, new_slots: usize) {
        let layout = self.layout;
        let d = &mut self.dbs[db as usize];
        if self.model == MemoryModel::Redis {
            self.used = self.used - layout.table_bytes(d.expires.heads.len() as u64)
                + layout.table_bytes(new_slots as u64);
        }
        let Db {
            entries,
            expires,
            exp_next,
            ..
        } = d;
        let seed = self.hash_seed;
        let lowest_free = layout.shape() == TableShape::Hashtable;
        expires.rehash(exp_next.as_mut_slice(), new_slots, lowest_free, |_, m| {
            bucket(entries[m as usize].key, seed, new_slots)
        });
        if self.table_extras {
            self.retable_expires(db);
        }
    }

    /// Re-counts what the main table allocates beyond its slots.
    #[inline(never)]
    pub(super) fn retable_main(&mut self, db: u8) {
        let d = &mut self.dbs[db as usize];
        let extra = self
            .layout
            .table_extra(d.len as u64, d.main.heads.len() as u64);
        self.used = self.used - d.main_extra + extra;
        d.main_extra = extra;
    }

    /// Re-counts what the `expires` table allocates beyond its slots.
    #[inline(never)]
    pub(super) fn retable_expires(&mut self, db: u8) {
        let d = &mut self.dbs[db as usize];
        let extra = self
            .layout
            .table_extra(d.volatile_len as u64, d.expires.heads.len() as u64);
        self.used = self.used - d.exp_extra + extra;
        d.exp_extra = extra;
    }

    /// Shrinks nearly empty tables, as `tryResizeHashTables` does from the
    /// cron (a dict under 10% full, a hashtable under 13%).
    pub(crate) fn try_resize_tables(&mut self, db: u8) {
        let layout = self.layout;
        let d = &self.dbs[db as usize];
        let (used, slots) = (d.len as u64, d.main.heads.len() as u64);
        if layout.should_shrink(used, slots) {
            let to = layout.table_size_for(used);
            if to < slots {
                self.resize_main(db, to);
            }
        }
        let d = &self.dbs[db as usize];
        let (used, slots) = (d.volatile_len as u64, d.expires.heads.len() as u64);
        if layout.should_shrink(used, slots) {
            let to = layout.table_size_for(used);
            if to < slots {
                self.rehash_expires(db, to as usize);
            }
        }
    }
}
