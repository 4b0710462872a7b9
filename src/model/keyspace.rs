//! The keys of one simulated instance: per database an array of entries,
//! the keys with a TTL, the main dict's and the `expires` dict's hash tables
//! (bucket chains in Redis's order, which eviction sampling and the active
//! expire cycle walk), and the `used_memory` they add up to.
//!
//! Keys arrive interned: a `KeyId` indexes flat arrays, so no operation hashes
//! a string. An entry keeps its slot while its key lives (the chains point at
//! slots); a deleted key's slot goes on a free list for the next insert.

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
    /// Position of the next entry in this key's main-dict bucket chain (or,
    /// for a free slot, the next free slot), or `NONE`. Kept by
    /// [`Keyspace`]; any value given is overwritten.
    pub next: u32,
    /// The key's class.
    pub class: ClassId,
    /// How the value is stored.
    pub kind: ValueKind,
}

/// Where a table's chain links live: in the entries themselves
/// ([`Entry::next`], the main dict) or in a per-slot array (`expires`).
/// Members are entry slots either way.
trait Links {
    fn next(&self, m: u32) -> u32;
    fn set_next(&mut self, m: u32, to: u32);
}

impl Links for [u32] {
    #[inline]
    fn next(&self, m: u32) -> u32 {
        self[m as usize]
    }
    #[inline]
    fn set_next(&mut self, m: u32, to: u32) {
        self[m as usize] = to;
    }
}

impl Links for [Entry] {
    #[inline]
    fn next(&self, m: u32) -> u32 {
        self[m as usize].next
    }
    #[inline]
    fn set_next(&mut self, m: u32, to: u32) {
        self[m as usize].next = to;
    }
}

/// A dict's hash table: bucket heads holding entry slots, chained through
/// a [`Links`], new entries at the head, as Redis's dict does. Resizing
/// rehashes at once (Redis rehashes incrementally, a few buckets per
/// command and 1 ms per cron tick).
#[derive(Clone, Debug, Default)]
struct Table {
    heads: Vec<u32>,
}

impl Table {
    fn link<L: Links + ?Sized>(&mut self, l: &mut L, b: usize, member: u32) {
        l.set_next(member, self.heads[b]);
        self.heads[b] = member;
    }

    fn unlink<L: Links + ?Sized>(&mut self, l: &mut L, b: usize, member: u32) {
        let after = l.next(member);
        if self.heads[b] == member {
            self.heads[b] = after;
        } else {
            let mut cur = self.heads[b];
            loop {
                if cur == NONE {
                    debug_assert!(false, "{member} not in bucket {b}");
                    break;
                }
                let n = l.next(cur);
                if n == member {
                    l.set_next(cur, after);
                    break;
                }
                cur = n;
            }
        }
        l.set_next(member, NONE);
    }

    /// Moves every member to a table of `slots` buckets, old buckets in
    /// order and each chain from its head, every member pushed on the head
    /// of its new bucket (`dictRehash`). `bucket_of` gives a member's
    /// bucket in the new table.
    fn rehash<L: Links + ?Sized>(
        &mut self,
        l: &mut L,
        slots: usize,
        bucket_of: impl Fn(&L, u32) -> usize,
    ) {
        let old = std::mem::replace(&mut self.heads, vec![NONE; slots]);
        for h in old {
            let mut cur = h;
            while cur != NONE {
                let after = l.next(cur);
                let b = bucket_of(l, cur);
                l.set_next(cur, self.heads[b]);
                self.heads[b] = cur;
                cur = after;
            }
        }
    }

    /// Up to `out.len()` members from consecutive buckets after a random
    /// start (see [`some_in_chains`]); `fetch` is asked for each of the
    /// first buckets' heads. Returns how many were stored.
    #[inline]
    fn some<R: rand::Rng, L: Links + ?Sized>(
        &self,
        l: &L,
        start: u64,
        rng: &mut R,
        out: &mut [u32],
        fetch: impl Fn(u32),
    ) -> usize {
        some_in_chains(&self.heads, start, rng, out, |m| l.next(m), fetch)
    }

    /// One member, as `dictGetRandomKey` picks it (see [`random_in_chains`]).
    #[inline]
    fn random<R: rand::Rng, L: Links + ?Sized>(&self, l: &L, rng: &mut R) -> u32 {
        random_in_chains(&self.heads, rng, |m| l.next(m))
    }
}

/// `dictGetSomeKeys` (not rehashing) over bucket `heads` whose chains
/// `next` follows, as in Redis 7.0.12 and later: walks consecutive buckets
/// after a random start (`start`, masked to the table), jumping elsewhere
/// after a run of empty buckets, at most `10 * out.len()` buckets, and
/// stops after the first bucket that brings the keys seen to `out.len()`.
/// Every chain is walked to its end; once `out` is full, each further
/// member replaces a random one with probability `out.len() / seen`
/// (reservoir sampling, redis/redis#12276), so `out` is a uniform sample of
/// the keys in the buckets walked, whatever their place in a chain.
/// Returns how many were stored.
#[inline]
fn some_in_chains<R: rand::Rng>(
    heads: &[u32],
    start: u64,
    rng: &mut R,
    out: &mut [u32],
    next: impl Fn(u32) -> u32,
    fetch: impl Fn(u32),
) -> usize {
    let count = out.len();
    if heads.is_empty() || count == 0 {
        return 0;
    }
    let mask = heads.len() - 1;
    let mut maxsteps = count * 10;
    let mut i = (start as usize) & mask;
    // The walk reads the heads of the next few buckets; ask for them all
    // at once so their cache misses overlap instead of following each other.
    let mut j = i;
    for _ in 0..count {
        let h = heads[j];
        if h != NONE {
            fetch(h);
        }
        j = (j + 1) & mask;
    }
    let mut emptylen = 0;
    let mut stored = 0;
    while stored < count && maxsteps > 0 {
        maxsteps -= 1;
        let mut cur = heads[i];
        if cur == NONE {
            emptylen += 1;
            if emptylen >= 5 && emptylen > count {
                i = (rng.next_u64() as usize) & mask;
                emptylen = 0;
            }
        } else {
            emptylen = 0;
            while cur != NONE {
                if stored < count {
                    out[stored] = cur;
                } else {
                    // `randomULong() % (stored + 1)`.
                    let r = rng.next_u64() % (stored as u64 + 1);
                    if r < count as u64 {
                        out[r as usize] = cur;
                    }
                }
                stored += 1;
                cur = next(cur);
            }
            if stored >= count {
                return count;
            }
        }
        i = (i + 1) & mask;
    }
    stored
}

/// `dictGetRandomKey` (not rehashing): random buckets until a non-empty
/// one, then a uniform member of its chain, so a member sharing its bucket
/// is less likely to be picked. `heads` must hold at least one member.
#[inline]
fn random_in_chains<R: rand::Rng>(heads: &[u32], rng: &mut R, next: impl Fn(u32) -> u32) -> u32 {
    let mask = heads.len() - 1;
    let head = loop {
        let h = heads[(rng.next_u64() as usize) & mask];
        if h != NONE {
            break h;
        }
    };
    let mut len = 0u64;
    let mut cur = head;
    while cur != NONE {
        len += 1;
        cur = next(cur);
    }
    let mut cur = head;
    for _ in 0..rng.next_u64() % len {
        cur = next(cur);
    }
    cur
}

/// The bucket of a key id in a table of `slots` (a power of two) buckets.
#[inline]
fn bucket(key: KeyId, seed: u64, slots: usize) -> usize {
    (mix64(key as u64 ^ seed) as usize) & (slots - 1)
}

/// One logical database.
#[derive(Clone, Debug)]
pub struct Db {
    /// Every key, in slots that keep their position while the key lives
    /// (what the main dict's chains point at). A free slot has key `NONE`
    /// and chains the free list through `next`.
    entries: Vec<Entry>,
    /// First free slot, or `NONE`.
    free: u32,
    /// Keys in the database.
    len: usize,
    /// Keys with a TTL (members of `expires`).
    volatile_len: usize,
    /// The main dict's hash table (no buckets until the first key), chained
    /// through [`Entry::next`], so walking a chain reads only the entries.
    main: Table,
    /// The `expires` hash table: bucket heads are slots of `entries`,
    /// chained through `exp_next`.
    expires: Table,
    /// Slot -> next slot in its `expires` bucket chain; empty until the
    /// database's first TTL, then as long as `entries`.
    exp_next: Vec<u32>,
    /// The active expire cycle's bucket cursor (`expires_cursor`).
    pub expires_cursor: u64,
}

impl Default for Db {
    fn default() -> Self {
        Db {
            entries: Vec::new(),
            free: NONE,
            len: 0,
            volatile_len: 0,
            main: Table::default(),
            expires: Table::default(),
            exp_next: Vec::new(),
            expires_cursor: 0,
        }
    }
}

impl Db {
    /// Slots of the `expires` hash table.
    pub fn expires_slots(&self) -> u64 {
        self.expires.heads.len() as u64
    }

    /// Keys in the database.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the database has no key.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Keys with a TTL.
    #[inline]
    pub fn volatile_len(&self) -> usize {
        self.volatile_len
    }

    /// The live entries, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| e.key != NONE)
    }
}

/// All keys of an instance and the memory they use.
#[derive(Clone, Debug)]
pub struct Keyspace {
    /// The databases (`SELECT 0..n`).
    pub dbs: Vec<Db>,
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

    /// Hints the CPU to fetch the key's main-dict bucket head (first stage
    /// of the look-ahead in `Instance::apply_all`).
    #[inline]
    pub fn prefetch_head(&self, db: u8, key: KeyId) {
        if let Some(d) = self.dbs.get(db as usize) {
            let heads = &d.main.heads;
            if !heads.is_empty() {
                prefetch(&heads[bucket(key, self.hash_seed, heads.len())]);
            }
        }
    }

    /// The slot of the first entry of the key's bucket chain (usually the
    /// key itself), if the bucket has one. Reads only the bucket head.
    #[inline]
    pub fn chain_head_slot(&self, db: u8, key: KeyId) -> Option<usize> {
        let d = self.dbs.get(db as usize)?;
        let heads = &d.main.heads;
        if heads.is_empty() {
            return None;
        }
        let h = heads[bucket(key, self.hash_seed, heads.len())];
        (h != NONE).then_some(h as usize)
    }

    /// Hints the CPU to fetch the entry at a slot.
    #[inline]
    pub fn prefetch_slot(&self, db: u8, pos: usize) {
        if let Some(e) = self.dbs.get(db as usize).and_then(|d| d.entries.get(pos)) {
            prefetch(e);
        }
    }

    /// Hints the CPU to fetch the bucket heads a sample of `count` keys
    /// starting at `start` will read first (see [`Keyspace::some_positions`]).
    #[inline]
    pub fn prefetch_walk(&self, db: u8, volatile: bool, start: u64, count: usize) {
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
    pub fn prefetch_entry(&self, db: u8, key: KeyId) {
        if let Some(pos) = self.chain_head_slot(db, key) {
            self.prefetch_slot(db, pos);
        }
    }

    /// The entry at a position.
    #[inline]
    pub fn entry(&self, db: u8, pos: usize) -> &Entry {
        &self.dbs[db as usize].entries[pos]
    }

    /// The entry at a position, to update its access fields. Memory and TTL
    /// changes go through [`Keyspace::set_value`] and the TTL methods.
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

    /// Adds a new key and returns its slot. The caller has checked it does
    /// not exist.
    pub fn insert(&mut self, db: u8, mut e: Entry) -> usize {
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
        let pos = if d.free != NONE {
            let p = d.free;
            d.free = d.entries[p as usize].next;
            d.entries[p as usize] = e;
            p
        } else {
            d.entries.push(e);
            if !d.exp_next.is_empty() {
                d.exp_next.push(NONE);
            }
            (d.entries.len() - 1) as u32
        };
        let b = bucket(key, self.hash_seed, d.main.heads.len());
        d.main.link(d.entries.as_mut_slice(), b, pos);
        d.len += 1;
        if expire_at != 0 {
            self.set_expire(db, pos as usize, expire_at);
        }
        pos as usize
    }

    /// Removes the key at a position and returns its entry as it was (with
    /// its TTL and full cost).
    pub fn remove(&mut self, db: u8, pos: usize) -> Entry {
        let before = self.dbs[db as usize].entries[pos];
        if before.expire_at != 0 {
            self.clear_expire(db, pos);
        }
        let d = &mut self.dbs[db as usize];
        let b = bucket(before.key, self.hash_seed, d.main.heads.len());
        d.main.unlink(d.entries.as_mut_slice(), b, pos as u32);
        let slot = &mut d.entries[pos];
        // Its cost now, the TTL entry already given back.
        let (mem, len) = (slot.mem, slot.len);
        slot.key = NONE;
        slot.next = d.free;
        d.free = pos as u32;
        d.len -= 1;
        if self.model == MemoryModel::Redis {
            self.used -= mem as u64;
        } else {
            self.used -= len as u64;
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

    /// Gives the key a TTL (absolute ms), adding it to `expires` if needed.
    pub fn set_expire(&mut self, db: u8, pos: usize, at: u64) {
        debug_assert!(at != 0);
        // A database's first TTL gives every slot its expires link (keys
        // without one never pay for it).
        let d = &mut self.dbs[db as usize];
        if d.exp_next.len() < d.entries.len() {
            d.exp_next.resize(d.entries.len(), NONE);
        }
        // Growth of the expires table is checked before the add, even when
        // the key already has a TTL (`dictAddOrFind` in `setExpire`).
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
        if self.dbs[db as usize].entries[pos].expire_at != 0 {
            self.dbs[db as usize].entries[pos].expire_at = at;
            return;
        }
        let key = self.dbs[db as usize].entries[pos].key;
        let d = &mut self.dbs[db as usize];
        let b = bucket(key, self.hash_seed, d.expires.heads.len());
        d.expires.link(d.exp_next.as_mut_slice(), b, pos as u32);
        let e = &mut d.entries[pos];
        e.expire_at = at;
        d.volatile_len += 1;
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
        e.expire_at = 0;
        if self.model == MemoryModel::Redis {
            e.mem -= memory::TTL_ENTRY as u32;
            self.used -= memory::TTL_ENTRY;
        }
        d.volatile_len -= 1;
        let b = bucket(key, self.hash_seed, d.expires.heads.len());
        d.expires.unlink(d.exp_next.as_mut_slice(), b, pos as u32);
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

    /// The position of one random key of database `db` (which must have
    /// one), as `dictGetRandomKey` picks it: from the main dict, or with
    /// `volatile` from `expires`.
    #[inline]
    pub fn random_position<R: rand::Rng>(&self, db: u8, volatile: bool, rng: &mut R) -> usize {
        let d = &self.dbs[db as usize];
        let p = if volatile {
            d.expires.random(d.exp_next.as_slice(), rng)
        } else {
            d.main.random(d.entries.as_slice(), rng)
        };
        p as usize
    }

    /// Samples up to `out.len()` keys of database `db` as Redis's
    /// `dictGetSomeKeys` does, from the main dict or with `volatile` from
    /// `expires`, giving their positions in the database's entries. Returns
    /// how many were stored.
    #[inline]
    pub fn some_positions<R: rand::Rng>(
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
        if volatile {
            d.expires.some(d.exp_next.as_slice(), start, rng, out, |p| {
                prefetch(&d.exp_next[p as usize]);
                fetch(p);
            })
        } else {
            d.main.some(d.entries.as_slice(), start, rng, out, fetch)
        }
    }

    /// The slots of the keys in `expires` bucket `idx` (masked to the
    /// table's size), head first, into `out`. Deleting one of them leaves
    /// the others' slots valid (slots never move), so a caller may act on
    /// them in turn.
    pub fn expires_bucket(&self, db: u8, idx: u64, out: &mut Vec<u32>) {
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

    /// Shrinks tables under 10% full, as `tryResizeHashTables` does from
    /// the cron.
    pub fn try_resize_tables(&mut self, db: u8) {
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
                            d.iter().map(|e| e.mem as u64).sum::<u64>()
                                + (d.main.heads.len() + d.expires.heads.len()) as u64 * BUCKET
                        })
                        .sum::<u64>()
            }
            MemoryModel::Raw => self
                .dbs
                .iter()
                .flat_map(|d| d.iter())
                .map(|e| e.len as u64)
                .sum(),
        }
    }

    /// Checks every index against the entries (for tests).
    pub fn check_consistency(&self) -> Result<(), String> {
        for (dbi, d) in self.dbs.iter().enumerate() {
            let (mut live, mut ttl) = (0, 0);
            for (p, e) in d.entries.iter().enumerate() {
                if e.key == NONE {
                    continue;
                }
                live += 1;
                if e.expire_at != 0 {
                    ttl += 1;
                }
                if self.find(dbi as u8, e.key) != Some(p) {
                    return Err(format!(
                        "db {dbi}: key {} at {p} but its chain gives {:?}",
                        e.key,
                        self.find(dbi as u8, e.key)
                    ));
                }
            }
            if live != d.len || ttl != d.volatile_len {
                return Err(format!(
                    "db {dbi}: {live} keys ({ttl} with a TTL) but counted {} ({})",
                    d.len, d.volatile_len
                ));
            }
            let mut free = 0;
            let mut cur = d.free;
            while cur != NONE {
                if d.entries[cur as usize].key != NONE {
                    return Err(format!("db {dbi}: slot {cur} is free and used"));
                }
                free += 1;
                if free > d.entries.len() {
                    return Err(format!("db {dbi}: free list loops"));
                }
                cur = d.entries[cur as usize].next;
            }
            if free + live != d.entries.len() {
                return Err(format!(
                    "db {dbi}: {free} free + {live} used slots of {}",
                    d.entries.len()
                ));
            }
            let mut in_main = 0;
            for (b, &h) in d.main.heads.iter().enumerate() {
                let mut cur = h;
                while cur != NONE {
                    let e = &d.entries[cur as usize];
                    if e.key == NONE || bucket(e.key, self.hash_seed, d.main.heads.len()) != b {
                        return Err(format!("db {dbi}: slot {cur} chained in bucket {b}"));
                    }
                    in_main += 1;
                    if in_main > d.len {
                        return Err(format!("db {dbi}: main dict chains loop"));
                    }
                    cur = e.next;
                }
            }
            if in_main != d.len {
                return Err(format!(
                    "db {dbi}: {in_main} keys chained in the main dict, {} keys",
                    d.len
                ));
            }
            let mut chained = 0;
            if d.exp_next.len() != d.entries.len()
                && !(d.exp_next.is_empty() && d.volatile_len == 0)
            {
                return Err(format!("db {dbi}: exp_next and entries differ in length"));
            }
            for (b, &h) in d.expires.heads.iter().enumerate() {
                let mut cur = h;
                while cur != NONE {
                    let e = &d.entries[cur as usize];
                    if e.key == NONE || e.expire_at == 0 {
                        return Err(format!("db {dbi}: slot {cur} in expires without a TTL"));
                    }
                    if bucket(e.key, self.hash_seed, d.expires.heads.len()) != b {
                        return Err(format!("db {dbi}: slot {cur} in expires bucket {b}"));
                    }
                    chained += 1;
                    if chained > d.volatile_len {
                        return Err(format!("db {dbi}: expires chains loop"));
                    }
                    cur = d.exp_next[cur as usize];
                }
            }
            if chained != d.volatile_len {
                return Err(format!(
                    "db {dbi}: {chained} keys chained in expires, {} volatile",
                    d.volatile_len
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::{RngCore, SeedableRng};

    /// Turns the first `n` positions of db 0 in `out` into key ids.
    fn keys_of(ks: &Keyspace, n: usize, out: &mut [u32]) -> usize {
        for p in &mut out[..n] {
            *p = ks.entry(0, *p as usize).key;
        }
        n
    }

    /// A table of `slots` buckets holding `chains`, each listed head first.
    fn table(slots: usize, chains: &[(usize, &[KeyId])]) -> (Table, Vec<KeyId>) {
        let mut t = Table {
            heads: vec![NONE; slots],
        };
        let mut next = vec![NONE; 64];
        for &(b, keys) in chains {
            // Link in reverse so the first listed ends up at the head.
            for &k in keys.iter().rev() {
                t.link(next.as_mut_slice(), b, k);
            }
        }
        (t, next)
    }

    #[test]
    fn some_keys_walks_consecutive_buckets_to_the_end_of_the_last_chain() {
        let (t, next) = table(8, &[(1, &[10, 11, 12]), (2, &[20]), (5, &[50, 51])]);
        // The keys of the buckets walked from each start bucket: from 0, 1,
        // 6 or 7, buckets 1 and 2; from 2, buckets 2, 5 and 1 (wrapping);
        // from 3, 4 or 5, buckets 5 and 1.
        let a: &[KeyId] = &[10, 11, 12, 20];
        let b: &[KeyId] = &[20, 50, 51, 10, 11, 12];
        let c: &[KeyId] = &[50, 51, 10, 11, 12];
        let walks = [a, a, b, c, c, c, a, a];
        let mut rng = SmallRng::seed_from_u64(1);
        let trials = 3000;
        for (start, walk) in walks.iter().enumerate() {
            let mut times = [0u32; 64];
            for _ in 0..trials {
                let mut out = [NONE; 4];
                // Any start is masked to the table: bucket `start` of 8.
                let s = start as u64 + 8 * (rng.next_u64() >> 3);
                let got = t.some(next.as_slice(), s, &mut rng, &mut out, |_| {});
                assert_eq!(got, 4);
                for (i, k) in out.iter().enumerate() {
                    assert!(walk.contains(k), "from {start}: {k} not walked");
                    assert!(!out[..i].contains(k), "from {start}: {k} twice");
                    times[*k as usize] += 1;
                }
            }
            // Each key walked is in the sample with probability 4 / walked.
            let p = 4.0 / walk.len() as f64;
            for k in walk.iter() {
                let share = times[*k as usize] as f64 / trials as f64;
                assert!(
                    (share - p).abs() < 0.04,
                    "from {start}: key {k} {share} vs {p}"
                );
            }
        }
    }

    #[test]
    fn some_keys_samples_a_long_chain_evenly() {
        // Redis 7.0.11 and before kept the first five of this chain (the
        // newest keys); from 7.0.12 the chain is walked to its end and
        // reservoir-sampled, so each of its seven keys is kept 5/7 of the time.
        let (t, next) = table(4, &[(0, &[1, 2, 3, 4, 5, 6, 7])]);
        let mut rng = SmallRng::seed_from_u64(7);
        let trials = 7000;
        let mut times = [0u32; 8];
        for _ in 0..trials {
            let mut out = [NONE; 5];
            assert_eq!(t.some(next.as_slice(), 0, &mut rng, &mut out, |_| {}), 5);
            for k in out {
                times[k as usize] += 1;
            }
        }
        for (k, &t) in times.iter().enumerate().skip(1) {
            let share = t as f64 / trials as f64;
            assert!((share - 5.0 / 7.0).abs() < 0.03, "key {k}: {share}");
        }
    }

    #[test]
    fn random_key_favours_keys_alone_in_their_bucket() {
        // Key 1 alone in bucket 0; keys 2..=5 share bucket 3. dictGetRandomKey
        // picks a non-empty bucket (1/2 each), then an entry: key 1 half the
        // time, each of the others an eighth.
        let (t, next) = table(4, &[(0, &[1]), (3, &[2, 3, 4, 5])]);
        let mut rng = SmallRng::seed_from_u64(3);
        let mut ones = 0;
        let n = 40_000;
        for _ in 0..n {
            if t.random(next.as_slice(), &mut rng) == 1 {
                ones += 1;
            }
        }
        let share = ones as f64 / n as f64;
        assert!((share - 0.5).abs() < 0.02, "key 1 picked {share}");
    }

    #[test]
    fn chains_follow_inserts_removals_and_growth() {
        let mut ks = Keyspace::new(1, MemoryModel::Redis, 0, 0, 9);
        for k in 0..1000u32 {
            ks.insert(
                0,
                Entry {
                    key: k,
                    lru: 0,
                    expire_at: if k % 3 == 0 { 5_000 } else { 0 },
                    last_access_ms: 0,
                    int_value: 0,
                    mem: 100,
                    len: 10,
                    next: NONE,
                    class: 0,
                    kind: ValueKind::Str,
                },
            );
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
}
