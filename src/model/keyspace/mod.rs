//! The keys of one simulated instance: per database an array of entries,
//! the keys with a TTL, the main dict's and the `expires` dict's hash tables
//! (bucket chains in Redis's order, which eviction sampling and the active
//! expire cycle walk), and the `used_memory` they add up to.
//!
//! Keys arrive interned: a `KeyId` indexes flat arrays, so no operation hashes
//! a string. An entry keeps its slot while its key lives (the chains point at
//! slots); a deleted key's slot goes on a free list for the next insert.
//!
//! This file holds [`Keyspace`] and the operations the instance and the
//! policies call; the parts they are built from live beside it: the per-key
//! [`Entry`] (`entry.rs`), a database's slots and free list (`db.rs`), the
//! hash tables and their sampling walks (`table.rs`), when tables grow and
//! shrink (`resize.rs`), `used_memory` bookkeeping (`accounting.rs`), cache
//! hints (`prefetch.rs`) and the invariant checks tests run
//! (`consistency.rs`).

mod accounting;
mod buckets;
mod consistency;
mod db;
mod entry;
mod prefetch;
mod resize;
mod table;

pub use db::Db;
pub use entry::{Entry, ValueKind};
pub use prefetch::prefetch;
pub use table::mix64;

use super::config::MemoryModel;
use super::layout::{Layout, Stored, TableShape};
use crate::op::KeyId;
use table::{bucket, Links};

/// Marks "no key" / "no position" in the flat arrays.
pub const NONE: u32 = u32::MAX;

/// All keys of an instance and the memory they use.
#[derive(Clone, Debug)]
pub struct Keyspace {
    /// The databases (`SELECT 0..n`).
    pub dbs: Vec<Db>,
    hash_seed: u64,
    model: MemoryModel,
    /// The server's memory layout, chosen once for the run.
    layout: Layout,
    /// Whether tables allocate beyond their slots (Redis 8.2, Valkey under
    /// the Redis memory model): hoisted so Redis 7.0 skips the bookkeeping.
    table_extras: bool,
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

impl Keyspace {
    /// An empty keyspace with `databases` databases.
    pub(crate) fn new(
        databases: u8,
        model: MemoryModel,
        layout: Layout,
        baseline: u64,
        maxmemory: u64,
        seed: u64,
    ) -> Self {
        Keyspace {
            dbs: vec![Db::default(); databases.max(1) as usize],
            hash_seed: mix64(seed ^ 0x5eed_e71c_7000_0001),
            model,
            layout,
            table_extras: model == MemoryModel::Redis && layout.shape() != TableShape::Dict,
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

    /// Number of keys in every database.
    pub fn len(&self) -> usize {
        self.dbs.iter().map(|d| d.len).sum()
    }

    /// Whether there are no keys at all.
    pub fn is_empty(&self) -> bool {
        self.dbs.iter().all(|d| d.len == 0)
    }

    /// Number of keys with a TTL in every database.
    pub fn volatile_len(&self) -> usize {
        self.dbs.iter().map(|d| d.volatile_len).sum()
    }

    /// The memory model in use.
    pub fn memory_model(&self) -> MemoryModel {
        self.model
    }

    /// The server's memory layout.
    #[inline]
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Position of `key` in database `db`, if it exists: its main-dict
    /// chain is walked, as `dictFind` does (no per-id index: what the
    /// keyspace holds grows with the keys it holds, not with every key id
    /// ever seen).
    #[inline]
    pub fn find(&self, db: u8, key: KeyId) -> Option<usize> {
        let d = self.dbs.get(db as usize)?;
        let heads = &d.main.heads;
        if heads.is_empty() {
            return None;
        }
        let mut m = heads[bucket(key, self.hash_seed, heads.len())];
        while m != NONE {
            let e = &d.entries[m as usize];
            if e.key == key {
                return Some(m as usize);
            }
            m = e.next;
        }
        None
    }

    /// The slot of the first entry of the key's bucket chain (usually the
    /// key itself), if the bucket has one. Reads only the bucket head.
    #[inline]
    pub(crate) fn chain_head_slot(&self, db: u8, key: KeyId) -> Option<usize> {
        let d = self.dbs.get(db as usize)?;
        let heads = &d.main.heads;
        if heads.is_empty() {
            return None;
        }
        let h = heads[bucket(key, self.hash_seed, heads.len())];
        (h != NONE).then_some(h as usize)
    }

    /// The entry at a position.
    #[inline]
    pub fn entry(&self, db: u8, pos: usize) -> &Entry {
        &self.dbs[db as usize].entries[pos]
    }

    /// The entry at a position, to update its access fields. Memory and TTL
    /// changes go through [`Keyspace::set_value`] and the TTL methods.
    #[inline]
    pub(crate) fn entry_mut(&mut self, db: u8, pos: usize) -> &mut Entry {
        &mut self.dbs[db as usize].entries[pos]
    }

    /// Adds a new key and returns its slot. The caller has checked it does
    /// not exist.
    pub(crate) fn insert(&mut self, db: u8, mut e: Entry) -> usize {
        self.grow_main(db);
        let expire_at = e.expire_at;
        e.expire_at = 0;
        let key = e.key;
        if self.model == MemoryModel::Redis {
            self.used += e.mem as u64;
        } else {
            self.used += e.len as u64;
        }
        let d = &mut self.dbs[db as usize];
        let pos = d.claim_slot(e);
        let b = bucket(key, self.hash_seed, d.main.heads.len());
        if self.layout.shape() == TableShape::Hashtable {
            d.main.link_lowest_free(d.entries.as_mut_slice(), b, pos);
        } else {
            d.main.link(d.entries.as_mut_slice(), b, pos);
        }
        d.len += 1;
        if self.table_extras {
            self.retable_main(db);
        }
        if expire_at != 0 {
            self.set_expire(db, pos as usize, expire_at);
        }
        pos as usize
    }

    /// Removes the key at a position and returns its entry as it was (with
    /// its TTL and full cost).
    pub(crate) fn remove(&mut self, db: u8, pos: usize) -> Entry {
        let before = self.dbs[db as usize].entries[pos];
        if before.expire_at != 0 {
            self.clear_expire(db, pos);
        }
        let d = &mut self.dbs[db as usize];
        let b = bucket(before.key, self.hash_seed, d.main.heads.len());
        d.main.unlink(d.entries.as_mut_slice(), b, pos as u32);
        // Its cost now, the TTL entry already given back.
        let (mem, len) = (d.entries[pos].mem, d.entries[pos].len);
        d.free_slot(pos);
        d.len -= 1;
        if self.model == MemoryModel::Redis {
            self.used -= mem as u64;
        } else {
            self.used -= len as u64;
        }
        if self.table_extras {
            self.retable_main(db);
        }
        before
    }

    /// Changes the key's value (its length, kind and so its cost).
    pub(crate) fn set_value(
        &mut self,
        db: u8,
        pos: usize,
        key_len: u16,
        stored: Stored,
        len: u32,
        kind: ValueKind,
    ) {
        let layout = self.layout;
        let e = &mut self.dbs[db as usize].entries[pos];
        let new_mem = layout.key_cost(key_len as u64, stored, e.expire_at != 0) as u32;
        e.ttl_cost = layout.ttl_cost(key_len as u64, stored);
        if self.model == MemoryModel::Redis {
            self.used = self.used - e.mem as u64 + new_mem as u64;
        } else {
            self.used = self.used - e.len as u64 + len as u64;
        }
        e.mem = new_mem;
        e.len = len;
        e.kind = kind;
    }

    /// Gives the key a TTL (absolute ms), adding it to `expires` if needed.
    pub(crate) fn set_expire(&mut self, db: u8, pos: usize, at: u64) {
        debug_assert!(at != 0);
        self.dbs[db as usize].ensure_expires_links();
        // Growth of the expires table is checked before the add, even when
        // the key already has a TTL (`dictAddOrFind` in `setExpire`).
        self.grow_expires(db);
        if self.dbs[db as usize].entries[pos].expire_at != 0 {
            self.dbs[db as usize].entries[pos].expire_at = at;
            return;
        }
        let key = self.dbs[db as usize].entries[pos].key;
        let d = &mut self.dbs[db as usize];
        let b = bucket(key, self.hash_seed, d.expires.heads.len());
        if self.layout.shape() == TableShape::Hashtable {
            d.expires
                .link_lowest_free(d.exp_next.as_mut_slice(), b, pos as u32);
        } else {
            d.expires.link(d.exp_next.as_mut_slice(), b, pos as u32);
        }
        let e = &mut d.entries[pos];
        e.expire_at = at;
        d.volatile_len += 1;
        if self.model == MemoryModel::Redis {
            e.mem += e.ttl_cost as u32;
            self.used += e.ttl_cost as u64;
        }
        if self.table_extras {
            self.retable_expires(db);
        }
    }

    /// Removes the key's TTL (`PERSIST`, or a SET without KEEPTTL).
    pub(crate) fn clear_expire(&mut self, db: u8, pos: usize) {
        let d = &mut self.dbs[db as usize];
        let e = &mut d.entries[pos];
        if e.expire_at == 0 {
            return;
        }
        let key = e.key;
        e.expire_at = 0;
        if self.model == MemoryModel::Redis {
            e.mem -= e.ttl_cost as u32;
            self.used -= e.ttl_cost as u64;
        }
        d.volatile_len -= 1;
        let b = bucket(key, self.hash_seed, d.expires.heads.len());
        d.expires.unlink(d.exp_next.as_mut_slice(), b, pos as u32);
        if self.table_extras {
            self.retable_expires(db);
        }
    }

    /// The position of one random key of database `db` (which must have
    /// one), as `dictGetRandomKey` picks it (Valkey: `hashtableFairRandomEntry`):
    /// from the main dict, or with `volatile` from `expires`.
    #[inline]
    pub(crate) fn random_position<R: rand::Rng>(
        &self,
        db: u8,
        volatile: bool,
        rng: &mut R,
    ) -> usize {
        let d = &self.dbs[db as usize];
        let p = match (self.layout.shape(), volatile) {
            (TableShape::Hashtable, true) => {
                d.expires
                    .fair_random(d.exp_next.as_slice(), d.volatile_len, rng)
            }
            (TableShape::Hashtable, false) => d.main.fair_random(d.entries.as_slice(), d.len, rng),
            (_, true) => d.expires.random(d.exp_next.as_slice(), rng),
            (_, false) => d.main.random(d.entries.as_slice(), rng),
        };
        p as usize
    }

    /// Samples up to `out.len()` keys of database `db` as Redis's
    /// `dictGetSomeKeys` does (Valkey: `hashtableSampleEntries`, on a
    /// table sized in its buckets), from the main dict or with `volatile` from
    /// `expires`, giving their positions in the database's entries. Returns
    /// how many were stored.
    #[inline]
    pub(crate) fn some_positions<R: rand::Rng>(
        &self,
        db: u8,
        volatile: bool,
        start: u64,
        rng: &mut R,
        out: &mut [u32],
    ) -> usize {
        let d = &self.dbs[db as usize];
        // As `dictGetSomeKeys`: never ask for more than the table holds.
        let n = if volatile { d.volatile_len } else { d.len };
        let want = n.min(out.len());
        let out = &mut out[..want];
        let fetch = |p: u32| prefetch(&d.entries[p as usize]);
        let hashtable = self.layout.shape() == TableShape::Hashtable;
        if volatile {
            let fetch = |p: u32| {
                prefetch(&d.exp_next[p as usize]);
                fetch(p);
            };
            if hashtable {
                d.expires
                    .sample_buckets(d.exp_next.as_slice(), start, rng, out, fetch)
            } else {
                d.expires
                    .some(d.exp_next.as_slice(), start, rng, out, fetch)
            }
        } else if hashtable {
            d.main
                .sample_buckets(d.entries.as_slice(), start, rng, out, fetch)
        } else {
            d.main.some(d.entries.as_slice(), start, rng, out, fetch)
        }
    }

    /// The slots of the keys in `expires` bucket `idx` (masked to the
    /// table's size), head first, into `out`. Deleting one of them leaves
    /// the others' slots valid (slots never move), so a caller may act on
    /// them in turn.
    pub(crate) fn expires_bucket(&self, db: u8, idx: u64, out: &mut Vec<u32>) {
        out.clear();
        let d = &self.dbs[db as usize];
        let slots = d.expires.heads.len();
        if slots == 0 {
            return;
        }
        let mut cur = d.expires.heads[(idx as usize) & (slots - 1)];
        while cur != NONE {
            out.push(cur);
            cur = d.exp_next[cur as usize];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::{RngCore, SeedableRng};

    /// A 10-byte string key `k` costing 100 bytes, expiring at
    /// `expire_at` (0: no TTL).
    fn str_entry(k: KeyId, expire_at: u64) -> Entry {
        Entry {
            key: k,
            lru: 0,
            expire_at,
            last_access_ms: 0,
            int_value: 0,
            mem: 100,
            ttl_cost: 0,
            len: 10,
            next: NONE,
            class: 0,
            kind: ValueKind::Str,
        }
    }

    /// Turns the first `n` positions of db 0 in `out` into key ids.
    fn keys_of(ks: &Keyspace, n: usize, out: &mut [u32]) -> usize {
        for p in &mut out[..n] {
            *p = ks.entry(0, *p as usize).key;
        }
        n
    }

    #[test]
    fn chains_follow_inserts_removals_and_growth() {
        let mut ks = Keyspace::new(1, MemoryModel::Redis, Layout::default(), 0, 0, 9);
        for k in 0..1000u32 {
            ks.insert(0, str_entry(k, if k % 3 == 0 { 5_000 } else { 0 }));
        }
        assert_eq!(ks.dbs[0].main.heads.len(), 1024);
        for k in (0..1000u32).step_by(2) {
            let p = ks.find(0, k).unwrap();
            ks.remove(0, p);
        }
        ks.check_consistency().unwrap();
        // A full-size sample of the remaining keys walks every chain.
        let mut rng = SmallRng::seed_from_u64(5);
        let mut out = [NONE; 5];
        for _ in 0..100 {
            let n = keys_of(
                &ks,
                ks.some_positions(0, false, rng.next_u64(), &mut rng, &mut out),
                &mut out,
            );
            assert_eq!(n, 5);
            assert!(out.iter().all(|&k| k % 2 == 1 && ks.find(0, k).is_some()));
            let n = keys_of(
                &ks,
                ks.some_positions(0, true, rng.next_u64(), &mut rng, &mut out),
                &mut out,
            );
            assert_eq!(n, 5);
            assert!(out.iter().all(|&k| k % 6 == 3), "{out:?}");
        }
    }

    /// The key ids of chain `b` of db 0's main table, from its head.
    fn chain(ks: &Keyspace, b: usize) -> Vec<KeyId> {
        let d = &ks.dbs[0];
        let mut out = Vec::new();
        let mut cur = d.main.heads[b];
        while cur != NONE {
            out.push(d.entries[cur as usize].key);
            cur = d.entries[cur as usize].next;
        }
        out
    }

    // Regression: the Valkey layouts linked a new key at the head of its
    // chain, as Redis's dict does, so `hashtableSampleEntries` saw the
    // newest key of a bucket first and the eviction pool, which on a tie
    // takes the first key sampled, evicted new keys about twice as often
    // as real Valkey (a trace of 100,000 old and 40,000 new keys at one
    // LFU counter: 13,168 new keys evicted by the model, 8,012 by Valkey
    // 9.1.2), which cost the seed scenario a third more lost critical reads
    // under allkeys-lfu than the server lost.
    #[test]
    fn valkey_chains_keep_bucket_positions_so_older_keys_come_first() {
        let layout = Layout::new(
            crate::model::server::Server::Valkey81,
            crate::model::server::Allocator::Libc,
        );
        let mut ks = Keyspace::new(1, MemoryModel::Redis, layout, 0, 0, 9);
        let entry = |k: KeyId| str_entry(k, 0);
        for k in 0..3000u32 {
            ks.insert(0, entry(k));
        }
        // Inserted in id order (the table grew on the way): each chain
        // holds its keys oldest first, in positions 0, 1, 2...
        let slots = ks.dbs[0].main.heads.len();
        for b in 0..slots {
            let c = chain(&ks, b);
            assert!(c.windows(2).all(|w| w[0] < w[1]), "chain {b}: {c:?}");
        }
        // Deleting every third key leaves holes; new keys fill the lowest
        // hole of their chain, ahead of older keys, and come last only when
        // their chain has none.
        for k in (0..3000u32).step_by(3) {
            let p = ks.find(0, k).unwrap();
            ks.remove(0, p);
        }
        for k in 3000..3600u32 {
            ks.insert(0, entry(k));
        }
        ks.check_consistency().unwrap();
        let mut ahead = 0;
        for b in 0..slots {
            let pos: Vec<u8> = {
                let d = &ks.dbs[0];
                let mut v = Vec::new();
                let mut cur = d.main.heads[b];
                while cur != NONE {
                    v.push(d.main.pos[cur as usize]);
                    cur = d.entries[cur as usize].next;
                }
                v
            };
            assert!(pos.windows(2).all(|w| w[0] < w[1]), "chain {b}: {pos:?}");
            let c = chain(&ks, b);
            for (i, &k) in c.iter().enumerate() {
                if k >= 3000 && c[i + 1..].iter().any(|&o| o < 3000) {
                    ahead += 1;
                }
            }
        }
        assert!(ahead > 100, "only {ahead} new keys filled a hole");
    }
}
