//! When the dicts' tables grow and shrink, as Redis 7.0 decides it: double
//! before an add that would fill the table unless `maxmemory` vetoes the
//! bigger table (`_dictExpandIfNeeded`, `dictExpandAllowed`), shrink from
//! the cron under 10% full (`tryResizeHashTables`). A resize rehashes at
//! once and moves `used_memory` by the buckets gained or given back.

use super::table::bucket;
use super::{Db, Keyspace};
use crate::model::config::MemoryModel;
use crate::model::memory::{self, BUCKET};

/// Largest used/size ratio at which Redis still lets `maxmemory` veto a
/// table's growth (`HASHTABLE_MAX_LOAD_FACTOR`).
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
    fn expand_allowed(&self, used_keys: u64, slots: u64, new_slots: u64) -> bool {
        if self.maxmemory == 0 || !self.counts() {
            return true;
        }
        let ratio = used_keys as f64 / slots as f64;
        if ratio <= MAX_LOAD_FACTOR {
            self.used + self.transient + new_slots * BUCKET <= self.maxmemory
        } else {
            true
        }
    }

    /// Main-dict growth before adding a key (`_dictExpandIfNeeded`).
    pub(super) fn grow_main(&mut self, db: u8) {
        let d = &self.dbs[db as usize];
        let used = d.len as u64;
        let slots = d.main.heads.len() as u64;
        let new = if slots == 0 {
            4
        } else if used >= slots {
            let n = memory::table_size_for(used + 1);
            if !self.expand_allowed(used, slots, n) {
                return;
            }
            n
        } else {
            return;
        };
        self.resize_main(db, new);
    }

    fn resize_main(&mut self, db: u8, new: u64) {
        let d = &mut self.dbs[db as usize];
        if self.model == MemoryModel::Redis {
            self.used = self.used - d.main.heads.len() as u64 * BUCKET + new * BUCKET;
        }
        let seed = self.hash_seed;
        d.main
            .rehash(d.entries.as_mut_slice(), new as usize, |es, m| {
                bucket(es[m as usize].key, seed, new as usize)
            });
    }

    /// `expires` growth before giving a key a TTL (`_dictExpandIfNeeded`).
    pub(super) fn grow_expires(&mut self, db: u8) {
        let d = &self.dbs[db as usize];
        let used = d.volatile_len as u64;
        let slots = d.expires.heads.len() as u64;
        if slots == 0 {
            self.rehash_expires(db, 4);
        } else if used >= slots {
            let n = memory::table_size_for(used + 1);
            if self.expand_allowed(used, slots, n) {
                self.rehash_expires(db, n as usize);
            }
        }
    }

    fn rehash_expires(&mut self, db: u8, new_slots: usize) {
        let d = &mut self.dbs[db as usize];
        if self.model == MemoryModel::Redis {
            self.used =
                self.used - d.expires.heads.len() as u64 * BUCKET + new_slots as u64 * BUCKET;
        }
        let Db {
            entries,
            expires,
            exp_next,
            ..
        } = d;
        let seed = self.hash_seed;
        expires.rehash(exp_next.as_mut_slice(), new_slots, |_, m| {
            bucket(entries[m as usize].key, seed, new_slots)
        });
    }

    /// Shrinks tables under 10% full, as `tryResizeHashTables` does from
    /// the cron.
    pub(crate) fn try_resize_tables(&mut self, db: u8) {
        let d = &self.dbs[db as usize];
        let (used, slots) = (d.len as u64, d.main.heads.len() as u64);
        if slots > 4 && used * 100 / slots < 10 {
            self.resize_main(db, memory::table_size_for(used));
        }
        let d = &self.dbs[db as usize];
        let (used, slots) = (d.volatile_len as u64, d.expires.heads.len() as u64);
        if slots > 4 && used * 100 / slots < 10 {
            self.rehash_expires(db, memory::table_size_for(used) as usize);
        }
    }
}
