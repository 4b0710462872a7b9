//! The keys of one simulated instance: per database a dense array of entries
//! (so a uniform sample is one random index), the keys with a TTL, the
//! `expires` hash table that the active expire cycle walks, and the
//! `used_memory` they add up to.
//!
//! Keys arrive interned: a `KeyId` indexes flat arrays, so no operation hashes
//! a string. Deleting swaps the last entry into the hole, keeping the arrays
//! dense.

use super::config::MemoryModel;
use super::memory::{self, BUCKET};
use crate::op::{ClassId, KeyId};

/// Marks "no key" / "no position" in the flat arrays.
pub const NONE: u32 = u32::MAX;

/// How a value is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    /// A string (EMBSTR or RAW).
    Str,
    /// An `int`-encoded string.
    Int,
    /// A list, hash, set or sorted set, counted by payload bytes.
    Aggregate,
}

/// One key's state: what sampling, expiry and accounting read.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Entry {
    /// The interned key.
    pub key: KeyId,
    /// Redis's 24-bit `lru` field: the LRU clock in seconds, or under LFU
    /// the last decrement time in minutes (16 bits) and the counter (8 bits).
    pub lru: u32,
    /// Absolute expiry time in simulated ms; 0 means no TTL.
    pub expire_at: u64,
    /// Simulated time of the last access in ms (for the idle histogram).
    pub last_access_ms: u64,
    /// The integer when `kind` is `Int`; for a RAW string, the capacity of
    /// its sds (bytes it can hold without reallocating); 0 for an EMBSTR.
    pub int_value: i64,
    /// Memory cost of the key without bucket shares.
    pub mem: u32,
    /// String length or aggregate payload bytes.
    pub len: u32,
    /// Position in the database's list of keys with a TTL, or `NONE`.
    pub vol_pos: u32,
    /// The key's class.
    pub class: ClassId,
    /// How the value is stored.
    pub kind: ValueKind,
}

/// The `expires` dict's hash table: bucket heads chained through
/// [`Keyspace`]'s `exp_next`, new entries at the head, as Redis's dict does.
#[derive(Clone, Debug, Default)]
struct ExpiresTable {
    heads: Vec<KeyId>,
}

/// One logical database.
#[derive(Clone, Debug, Default)]
pub struct Db {
    /// Every key, densely packed.
    pub entries: Vec<Entry>,
    /// Keys that carry a TTL (the `expires` dict's members), densely packed.
    pub volatile: Vec<KeyId>,
    /// Slots of the main dict's hash table (0 until the first key).
    main_slots: u64,
    /// The `expires` hash table.
    expires: ExpiresTable,
    /// The active expire cycle's bucket cursor (`expires_cursor`).
    pub expires_cursor: u64,
}

impl Db {
    /// Slots of the `expires` hash table.
    pub fn expires_slots(&self) -> u64 {
        self.expires.heads.len() as u64
    }
}

/// All keys of an instance and the memory they use.
#[derive(Clone, Debug)]
pub struct Keyspace {
    /// The databases (`SELECT 0..n`).
    pub dbs: Vec<Db>,
    /// Key id -> position in its database's `entries`, or `NONE`.
    loc: Vec<u32>,
    /// Key id -> next key in its `expires` bucket chain.
    exp_next: Vec<KeyId>,
    hash_seed: u64,
    model: MemoryModel,
    /// Everything counted: baseline, keys, tables.
    used: u64,
    /// Bytes of the command being processed (its argv), counted while the
    /// command runs, as Redis does.
    pub transient: u64,
    /// Server memory that is neither a key nor a table and grows as the
    /// server runs (the latency histogram of each command name called).
    server_extra: u64,
    /// Memory of the clients' buffers as set from outside (0 unless set).
    client_memory: u64,
    /// `maxmemory`, for `dictExpandAllowed` (0: no limit).
    maxmemory: u64,
}

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

/// SplitMix64's finaliser: a good seeded hash of a key id.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Largest used/size ratio at which Redis still lets `maxmemory` veto a
/// table's growth (`HASHTABLE_MAX_LOAD_FACTOR`).
const MAX_LOAD_FACTOR: f64 = 1.618;

impl Keyspace {
    /// An empty keyspace with `databases` databases.
    pub fn new(
        databases: u8,
        model: MemoryModel,
        baseline: u64,
        maxmemory: u64,
        seed: u64,
    ) -> Self {
        Keyspace {
            dbs: vec![Db::default(); databases.max(1) as usize],
            loc: Vec::new(),
            exp_next: Vec::new(),
            hash_seed: mix64(seed ^ 0x5eed_e71c_7000_0001),
            model,
            used: if model == MemoryModel::Redis {
                baseline
            } else {
                0
            },
            transient: 0,
            server_extra: 0,
            client_memory: 0,
            maxmemory,
        }
    }

    /// `used_memory` without the command in flight.
    #[inline]
    pub fn used_memory(&self) -> u64 {
        self.used
    }

    /// Adds server memory that belongs to no key (counted in `used_memory`
    /// under the Redis memory model only).
    pub fn add_server_memory(&mut self, bytes: u64) {
        if self.model == MemoryModel::Redis {
            self.server_extra += bytes;
            self.used += bytes;
        }
    }

    /// Server memory added by [`Keyspace::add_server_memory`] so far.
    pub fn server_memory(&self) -> u64 {
        self.server_extra
    }

    /// Sets the memory of the clients' buffers (query and reply buffers,
    /// pub/sub output), which Redis counts in `used_memory` and the
    /// baseline holds only as they were at the start. For replaying a
    /// real server's measured client memory; 0 by default.
    pub fn set_client_memory(&mut self, bytes: u64) {
        if self.model == MemoryModel::Redis {
            self.used = self.used - self.client_memory + bytes;
            self.client_memory = bytes;
        }
    }

    /// Changes the limit `dictExpandAllowed` checks against.
    pub fn set_maxmemory(&mut self, bytes: u64) {
        self.maxmemory = bytes;
    }

    /// Number of keys in every database.
    pub fn len(&self) -> usize {
        self.dbs.iter().map(|d| d.entries.len()).sum()
    }

    /// Whether there are no keys at all.
    pub fn is_empty(&self) -> bool {
        self.dbs.iter().all(|d| d.entries.is_empty())
    }

    /// Number of keys with a TTL in every database.
    pub fn volatile_len(&self) -> usize {
        self.dbs.iter().map(|d| d.volatile.len()).sum()
    }

    /// The memory model in use.
    pub fn memory_model(&self) -> MemoryModel {
        self.model
    }

    #[inline]
    fn ensure(&mut self, key: KeyId) {
        let need = key as usize + 1;
        if self.loc.len() < need {
            self.loc.resize(need, NONE);
            self.exp_next.resize(need, NONE);
        }
    }

    /// Position of `key` in database `db`, if it exists.
    #[inline]
    pub fn find(&self, db: u8, key: KeyId) -> Option<usize> {
        match self.loc.get(key as usize) {
            Some(&p) if p != NONE => match self.dbs[db as usize].entries.get(p as usize) {
                // A key id lives in one database; a caller naming another
                // database does not find it.
                Some(e) if e.key == key => Some(p as usize),
                _ => None,
            },
            _ => None,
        }
    }

    /// Hints the CPU to fetch the key's position slot (first stage of the
    /// look-ahead in `Instance::apply_all`).
    #[inline]
    pub fn prefetch_loc(&self, key: KeyId) {
        if let Some(p) = self.loc.get(key as usize) {
            prefetch(p);
        }
    }

    /// Hints the CPU to fetch the key's entry (second stage).
    #[inline]
    pub fn prefetch_entry(&self, db: u8, key: KeyId) {
        if let Some(&p) = self.loc.get(key as usize) {
            if let Some(e) = self.dbs[db as usize].entries.get(p as usize) {
                prefetch(e);
            }
        }
    }

    /// The entry at a position.
    #[inline]
    pub fn entry(&self, db: u8, pos: usize) -> &Entry {
        &self.dbs[db as usize].entries[pos]
    }

    /// The entry at a position, to update its access fields. Memory and TTL
    /// changes go through [`Keyspace::set_value_cost`] and the TTL methods.
    #[inline]
    pub fn entry_mut(&mut self, db: u8, pos: usize) -> &mut Entry {
        &mut self.dbs[db as usize].entries[pos]
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
    fn grow_main(&mut self, db: u8) {
        let d = &self.dbs[db as usize];
        let used = d.entries.len() as u64;
        let slots = d.main_slots;
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
            self.used = self.used - d.main_slots * BUCKET + new * BUCKET;
        }
        d.main_slots = new;
    }

    /// Adds a new key. The caller has checked it does not exist.
    pub fn insert(&mut self, db: u8, mut e: Entry) {
        self.ensure(e.key);
        self.grow_main(db);
        e.vol_pos = NONE;
        let expire_at = e.expire_at;
        e.expire_at = 0;
        let d = &mut self.dbs[db as usize];
        self.loc[e.key as usize] = d.entries.len() as u32;
        let key = e.key;
        if self.model == MemoryModel::Redis {
            self.used += e.mem as u64;
        } else {
            self.used += e.len as u64;
        }
        d.entries.push(e);
        if expire_at != 0 {
            let pos = self.loc[key as usize] as usize;
            self.set_expire(db, pos, expire_at);
        }
    }

    /// Removes the key at a position and returns its entry as it was (with
    /// its TTL and full cost).
    pub fn remove(&mut self, db: u8, pos: usize) -> Entry {
        let before = self.dbs[db as usize].entries[pos];
        if before.expire_at != 0 {
            self.clear_expire(db, pos);
        }
        let d = &mut self.dbs[db as usize];
        let e = d.entries.swap_remove(pos);
        if pos < d.entries.len() {
            let moved = d.entries[pos].key;
            self.loc[moved as usize] = pos as u32;
        }
        self.loc[e.key as usize] = NONE;
        if self.model == MemoryModel::Redis {
            self.used -= e.mem as u64;
        } else {
            self.used -= e.len as u64;
        }
        before
    }

    /// Changes the cost of the key's value (and its length and kind).
    pub fn set_value(
        &mut self,
        db: u8,
        pos: usize,
        key_len: u16,
        value_cost: u64,
        len: u32,
        kind: ValueKind,
    ) {
        let e = &mut self.dbs[db as usize].entries[pos];
        let new_mem = memory::key_cost(key_len as u64, value_cost, e.expire_at != 0) as u32;
        if self.model == MemoryModel::Redis {
            self.used = self.used - e.mem as u64 + new_mem as u64;
        } else {
            self.used = self.used - e.len as u64 + len as u64;
        }
        e.mem = new_mem;
        e.len = len;
        e.kind = kind;
    }

    #[inline]
    fn bucket_of(&self, key: KeyId, slots: usize) -> usize {
        (mix64(key as u64 ^ self.hash_seed) as usize) & (slots - 1)
    }

    /// Gives the key a TTL (absolute ms), adding it to `expires` if needed.
    pub fn set_expire(&mut self, db: u8, pos: usize, at: u64) {
        debug_assert!(at != 0);
        // Growth of the expires table is checked before the add, even when
        // the key already has a TTL (`dictAddOrFind` in `setExpire`).
        let d = &self.dbs[db as usize];
        let used = d.volatile.len() as u64;
        let slots = d.expires.heads.len() as u64;
        if slots == 0 {
            self.rehash_expires(db, 4);
        } else if used >= slots {
            let n = memory::table_size_for(used + 1);
            if self.expand_allowed(used, slots, n) {
                self.rehash_expires(db, n as usize);
            }
        }
        if self.dbs[db as usize].entries[pos].expire_at != 0 {
            self.dbs[db as usize].entries[pos].expire_at = at;
            return;
        }
        let key = self.dbs[db as usize].entries[pos].key;
        let slots = self.dbs[db as usize].expires.heads.len();
        let b = self.bucket_of(key, slots);
        let d = &mut self.dbs[db as usize];
        self.exp_next[key as usize] = d.expires.heads[b];
        d.expires.heads[b] = key;
        let e = &mut d.entries[pos];
        e.expire_at = at;
        e.vol_pos = d.volatile.len() as u32;
        d.volatile.push(key);
        if self.model == MemoryModel::Redis {
            e.mem += memory::TTL_ENTRY as u32;
            self.used += memory::TTL_ENTRY;
        }
    }

    /// Removes the key's TTL (`PERSIST`, or a SET without KEEPTTL).
    pub fn clear_expire(&mut self, db: u8, pos: usize) {
        let d = &mut self.dbs[db as usize];
        let e = &mut d.entries[pos];
        if e.expire_at == 0 {
            return;
        }
        let key = e.key;
        let vp = e.vol_pos as usize;
        e.expire_at = 0;
        e.vol_pos = NONE;
        if self.model == MemoryModel::Redis {
            e.mem -= memory::TTL_ENTRY as u32;
            self.used -= memory::TTL_ENTRY;
        }
        d.volatile.swap_remove(vp);
        if vp < d.volatile.len() {
            let moved = d.volatile[vp];
            let mp = self.loc[moved as usize] as usize;
            d.entries[mp].vol_pos = vp as u32;
        }
        // Unlink from the bucket chain.
        let slots = d.expires.heads.len();
        let b = (mix64(key as u64 ^ self.hash_seed) as usize) & (slots - 1);
        let next = self.exp_next[key as usize];
        if d.expires.heads[b] == key {
            d.expires.heads[b] = next;
        } else {
            let mut cur = d.expires.heads[b];
            while cur != NONE {
                let n = self.exp_next[cur as usize];
                if n == key {
                    self.exp_next[cur as usize] = next;
                    break;
                }
                cur = n;
            }
        }
        self.exp_next[key as usize] = NONE;
    }

    fn rehash_expires(&mut self, db: u8, new_slots: usize) {
        let old = std::mem::take(&mut self.dbs[db as usize].expires.heads);
        if self.model == MemoryModel::Redis {
            self.used = self.used - old.len() as u64 * BUCKET + new_slots as u64 * BUCKET;
        }
        let mut heads = vec![NONE; new_slots];
        for &h in &old {
            let mut cur = h;
            while cur != NONE {
                let next = self.exp_next[cur as usize];
                let b = self.bucket_of(cur, new_slots);
                self.exp_next[cur as usize] = heads[b];
                heads[b] = cur;
                cur = next;
            }
        }
        self.dbs[db as usize].expires.heads = heads;
    }

    /// Calls `f` with each key in `expires` bucket `idx` (masked to the
    /// table's size), head first. `f` may not change the keyspace; collect
    /// first, then act.
    pub fn expires_bucket(&self, db: u8, idx: u64, out: &mut Vec<KeyId>) {
        out.clear();
        let d = &self.dbs[db as usize];
        let slots = d.expires.heads.len();
        if slots == 0 {
            return;
        }
        let mut cur = d.expires.heads[(idx as usize) & (slots - 1)];
        while cur != NONE {
            out.push(cur);
            cur = self.exp_next[cur as usize];
        }
    }

    /// Shrinks tables under 10% full, as `tryResizeHashTables` does from
    /// the cron.
    pub fn try_resize_tables(&mut self, db: u8) {
        let d = &self.dbs[db as usize];
        let (used, slots) = (d.entries.len() as u64, d.main_slots);
        if slots > 4 && used * 100 / slots < 10 {
            self.resize_main(db, memory::table_size_for(used));
        }
        let d = &self.dbs[db as usize];
        let (used, slots) = (d.volatile.len() as u64, d.expires.heads.len() as u64);
        if slots > 4 && used * 100 / slots < 10 {
            self.rehash_expires(db, memory::table_size_for(used) as usize);
        }
    }

    /// Recomputes `used_memory` from scratch (for tests of the bookkeeping).
    pub fn recount_used(&self, baseline: u64) -> u64 {
        match self.model {
            MemoryModel::Redis => {
                baseline
                    + self.server_extra
                    + self.client_memory
                    + self
                        .dbs
                        .iter()
                        .map(|d| {
                            d.entries.iter().map(|e| e.mem as u64).sum::<u64>()
                                + (d.main_slots + d.expires.heads.len() as u64) * BUCKET
                        })
                        .sum::<u64>()
            }
            MemoryModel::Raw => self
                .dbs
                .iter()
                .flat_map(|d| d.entries.iter())
                .map(|e| e.len as u64)
                .sum(),
        }
    }

    /// Checks every index against the entries (for tests).
    pub fn check_consistency(&self) -> Result<(), String> {
        for (dbi, d) in self.dbs.iter().enumerate() {
            for (p, e) in d.entries.iter().enumerate() {
                if self.loc[e.key as usize] as usize != p {
                    return Err(format!(
                        "db {dbi}: key {} at {p} but loc says {}",
                        e.key, self.loc[e.key as usize]
                    ));
                }
                if (e.expire_at != 0) != (e.vol_pos != NONE) {
                    return Err(format!("key {}: ttl and volatile index disagree", e.key));
                }
                if e.vol_pos != NONE && d.volatile[e.vol_pos as usize] != e.key {
                    return Err(format!("key {}: volatile index wrong", e.key));
                }
            }
            let mut chained = 0;
            for &h in &d.expires.heads {
                let mut cur = h;
                while cur != NONE {
                    chained += 1;
                    cur = self.exp_next[cur as usize];
                }
            }
            if chained != d.volatile.len() {
                return Err(format!(
                    "db {dbi}: {chained} keys chained in expires, {} volatile",
                    d.volatile.len()
                ));
            }
        }
        Ok(())
    }
}
