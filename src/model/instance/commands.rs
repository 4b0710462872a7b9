//! What each Redis command does to the keyspace once eviction has made
//! room for it: GET, SET (NX, XX, KEEPTTL, PX), DEL, GETDEL, PEXPIRE,
//! PERSIST, INCRBY, APPEND, HGETALL, HSET and the aggregate writes, with the lookup they
//! share (lazy expiry, then the access clock the policy keeps) and the
//! creation of a new key. The order commands run in, eviction and lost-read
//! accounting stay in the instance.

use super::{Instance, Reply};
use crate::model::keyspace::{Entry, ValueKind, NONE};
use crate::model::layout::{SetEncoding, Stored};
use crate::model::lfu;
use crate::model::memory;
use crate::model::policy::{Policy, Touch};
use crate::op::{Agg, Cmd, HashFields, Op, SetCond, Value};
use rand::Rng;

/// How a lookup treats the key's access time.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Access {
    Read,
    Write,
    NoTouch,
}

impl<P: Policy> Instance<P> {
    /// Whether new integer values may be shared objects: not when
    /// `maxmemory` is set under a policy that needs a clock per object
    /// (checked at each write, as Redis does).
    #[inline]
    fn shared_ints(&self) -> bool {
        !(self.cfg.maxmemory > 0 && P::KIND.no_shared_integers())
    }

    /// Finds a key, expiring it lazily, and records the access.
    #[inline]
    fn lookup(&mut self, op: &Op, access: Access) -> Option<usize> {
        let pos = self.ks.find(op.db, op.key)?;
        let e = self.ks.entry(op.db, pos);
        if e.expire_at != 0 && self.now > e.expire_at {
            let e = self.remove(op.db, pos);
            self.metrics.classes[e.class as usize].counters.expired += 1;
            return None;
        }
        if access != Access::NoTouch {
            self.touch(op.db, pos, access);
        }
        Some(pos)
    }

    #[inline]
    fn touch(&mut self, db: u8, pos: usize, access: Access) {
        let (clock, now) = (self.lru_clock, self.now);
        let minutes = if P::TOUCH == Touch::Lfu {
            self.lfu_minutes()
        } else {
            0
        };
        let r: f64 = if P::TOUCH == Touch::Lfu {
            self.rng.gen()
        } else {
            0.0
        };
        let e = self.ks.entry_mut(db, pos);
        e.last_access_ms = now;
        match P::TOUCH {
            Touch::Lru => e.lru = clock,
            Touch::Lrm => {
                if access == Access::Write {
                    e.lru = clock
                }
            }
            Touch::Lfu => {
                e.lru = lfu::access(
                    e.lru,
                    minutes,
                    self.cfg.lfu_decay_time,
                    self.cfg.lfu_log_factor,
                    r,
                )
            }
        }
        self.policy.on_access(db, pos);
    }

    /// What a new string value keeps in `Entry::int_value`: the integer,
    /// the capacity of a RAW string, or 0 for an EMBSTR.
    fn stored_aux(&self, v: Value) -> i64 {
        if v.int {
            v.int_value
        } else if v.len > memory::EMBSTR_MAX {
            self.ks.layout().sds_capacity(v.len as u64) as i64
        } else {
            0
        }
    }

    fn new_entry(
        &self,
        op: &Op,
        stored: Stored,
        len: u32,
        kind: ValueKind,
        int_value: i64,
    ) -> Entry {
        let lru = if P::TOUCH == Touch::Lfu {
            lfu::pack(self.lfu_minutes(), lfu::LFU_INIT_VAL)
        } else {
            self.lru_clock
        };
        Entry {
            key: op.key,
            lru,
            expire_at: 0,
            last_access_ms: self.now,
            int_value,
            mem: self.ks.layout().key_cost(op.key_len as u64, stored, false) as u32,
            ttl_cost: self.ks.layout().ttl_cost(op.key_len as u64, stored),
            len,
            next: NONE,
            class: op.class,
            kind,
        }
    }

    fn create(
        &mut self,
        op: &Op,
        stored: Stored,
        len: u32,
        kind: ValueKind,
        int_value: i64,
        expire_at: u64,
    ) {
        let mut e = self.new_entry(op, stored, len, kind, int_value);
        e.expire_at = expire_at;
        let pos = self.ks.insert(op.db, e);
        self.policy.on_insert(op.db, pos);
        self.lost.set_deadline(op.key, 0);
    }

    /// A read of the key (`GET`, or with `hash` `HGETALL`): a hit, a miss
    /// (`slide_ms`: the TTL the read would have refreshed, see
    /// `note_miss`), or WRONGTYPE when the key is a hash and the read is
    /// not, or the other way round.
    #[inline]
    fn read(&mut self, op: &Op, slide_ms: u64, hash: bool) -> Reply {
        let class = op.class as usize;
        self.metrics.classes[class].counters.reads += 1;
        match self.lookup(op, Access::Read) {
            Some(pos) if is_hash(self.ks.entry(op.db, pos).kind) != hash => Reply::Skipped,
            Some(_) => {
                self.metrics.classes[class].counters.hits += 1;
                Reply::Found
            }
            None => {
                self.note_miss(op, slide_ms);
                Reply::Missing
            }
        }
    }

    /// Applies one command to the keyspace; eviction has run before it.
    pub(super) fn execute(&mut self, op: &Op, cmd: Cmd) -> Reply {
        let class = op.class as usize;
        match cmd {
            Cmd::Read(spec) => self.read(op, spec.slide_ms, false),
            // Handled by `Instance::apply`; never a command of its own.
            Cmd::Ran { .. } => Reply::Skipped,
            Cmd::HashRead(spec) => self.read(op, spec.slide_ms, true),
            Cmd::HashSet { fields, .. } => self.hash_set(op, fields),
            Cmd::Peek => match self.lookup(op, Access::NoTouch) {
                Some(_) => Reply::Found,
                None => Reply::Missing,
            },
            Cmd::Set {
                value,
                ttl_ms,
                cond,
                keep_ttl,
            } => self.set(op, value, ttl_ms, cond, keep_ttl),
            Cmd::Del => {
                let r = match self.lookup(op, Access::NoTouch) {
                    Some(pos) => {
                        self.remove(op.db, pos);
                        self.metrics.classes[class].counters.writes += 1;
                        Reply::Found
                    }
                    None => Reply::Missing,
                };
                self.lost.set_deadline(op.key, 0);
                r
            }
            Cmd::GetDel => {
                self.metrics.classes[class].counters.reads += 1;
                let r = match self.lookup(op, Access::Read) {
                    Some(pos) => {
                        self.metrics.classes[class].counters.hits += 1;
                        self.metrics.classes[class].counters.writes += 1;
                        self.remove(op.db, pos);
                        Reply::Found
                    }
                    None => {
                        self.note_miss(op, 0);
                        Reply::Missing
                    }
                };
                self.lost.set_deadline(op.key, 0);
                r
            }
            Cmd::Expire { ttl_ms } => match self.lookup(op, Access::Write) {
                Some(pos) => {
                    self.metrics.classes[class].counters.writes += 1;
                    if ttl_ms == 0 {
                        self.remove(op.db, pos);
                    } else {
                        self.ks.set_expire(op.db, pos, self.now + ttl_ms);
                    }
                    Reply::Found
                }
                None => {
                    self.move_lost_deadline(op, Some(ttl_ms));
                    Reply::Missing
                }
            },
            Cmd::Persist => match self.lookup(op, Access::Write) {
                Some(pos) => {
                    if self.ks.entry(op.db, pos).expire_at != 0 {
                        self.metrics.classes[class].counters.writes += 1;
                        self.ks.clear_expire(op.db, pos);
                    }
                    Reply::Found
                }
                None => {
                    self.move_lost_deadline(op, None);
                    Reply::Missing
                }
            },
            Cmd::IncrBy { delta } => self.incr(op, delta),
            Cmd::IncrWindow { .. } => self.incr(op, 1),
            Cmd::Append { len } => self.append(op, len),
            Cmd::Grow { bytes, elems, kind } => self.grow(op, bytes, elems, kind),
            Cmd::Pop { elems } => self.pop(op, elems),
        }
    }

    fn set(&mut self, op: &Op, value: Value, ttl_ms: u64, cond: SetCond, keep_ttl: bool) -> Reply {
        let class = op.class as usize;
        let found = self.lookup(op, Access::Write);
        match (cond, found) {
            (SetCond::IfAbsent, Some(_)) | (SetCond::IfPresent, None) => return Reply::Skipped,
            _ => {}
        }
        self.metrics.classes[class].counters.writes += 1;
        let cost = stored_value(value, self.shared_ints());
        let kind = if value.int {
            ValueKind::Int
        } else {
            ValueKind::Str
        };
        match found {
            Some(pos) => {
                self.ks
                    .set_value(op.db, pos, op.key_len, cost, value.len, kind);
                self.ks.entry_mut(op.db, pos).int_value = self.stored_aux(value);
                if ttl_ms > 0 {
                    self.ks.set_expire(op.db, pos, self.now + ttl_ms);
                } else if !keep_ttl {
                    self.ks.clear_expire(op.db, pos);
                }
                self.lost.set_deadline(op.key, 0);
                Reply::Found
            }
            None => {
                let at = if ttl_ms > 0 { self.now + ttl_ms } else { 0 };
                let aux = self.stored_aux(value);
                self.create(op, cost, value.len, kind, aux, at);
                Reply::Created
            }
        }
    }

    fn incr(&mut self, op: &Op, delta: i64) -> Reply {
        let class = op.class as usize;
        self.metrics.classes[class].counters.reads += 1;
        match self.lookup(op, Access::Write) {
            Some(pos) => {
                self.metrics.classes[class].counters.hits += 1;
                let e = *self.ks.entry(op.db, pos);
                if e.kind != ValueKind::Int {
                    return Reply::Skipped; // "value is not an integer" / WRONGTYPE
                }
                let Some(v) = e.int_value.checked_add(delta) else {
                    return Reply::Skipped; // "increment or decrement would overflow"
                };
                self.metrics.classes[class].counters.writes += 1;
                let value = Value::integer(v);
                let cost = stored_value(value, self.shared_ints());
                self.ks
                    .set_value(op.db, pos, op.key_len, cost, value.len, ValueKind::Int);
                self.ks.entry_mut(op.db, pos).int_value = v;
                Reply::Found
            }
            None => {
                self.note_miss(op, 0);
                self.metrics.classes[class].counters.writes += 1;
                let value = Value::integer(delta);
                let cost = stored_value(value, self.shared_ints());
                self.create(op, cost, value.len, ValueKind::Int, delta, 0);
                Reply::Created
            }
        }
    }

    fn append(&mut self, op: &Op, len: u32) -> Reply {
        let class = op.class as usize;
        match self.lookup(op, Access::Write) {
            Some(pos) => {
                let e = *self.ks.entry(op.db, pos);
                if e.kind.is_aggregate() {
                    return Reply::Skipped;
                }
                self.metrics.classes[class].counters.writes += 1;
                let new_len = e.len.saturating_add(len);
                // An EMBSTR or INT value is first copied into an exact-size
                // RAW string (dbUnshareStringValue); then sdsMakeRoomFor
                // reallocates only when the capacity runs out.
                let layout = self.ks.layout();
                let cap = if e.kind == ValueKind::Str && e.int_value > 0 {
                    e.int_value as u64
                } else {
                    layout.sds_capacity(e.len as u64)
                };
                let cap = layout.append_capacity(cap, new_len as u64);
                let cost = Stored::Raw { cap };
                self.ks
                    .set_value(op.db, pos, op.key_len, cost, new_len, ValueKind::Str);
                self.ks.entry_mut(op.db, pos).int_value = cap as i64;
                self.lost.set_deadline(op.key, 0);
                Reply::Found
            }
            None => {
                self.metrics.classes[class].counters.writes += 1;
                let aux = self.stored_aux(Value::bytes(len));
                self.create(op, Stored::Str(len), len, ValueKind::Str, aux, 0);
                Reply::Created
            }
        }
    }

    /// An aggregate's element count lives in `Entry::int_value` (at least
    /// 1 while it has bytes).
    fn grow(&mut self, op: &Op, bytes: i64, elems: i32, agg: Agg) -> Reply {
        let class = op.class as usize;
        match self.lookup(op, Access::Write) {
            Some(pos) => {
                let e = *self.ks.entry(op.db, pos);
                if !e.kind.is_aggregate() {
                    return Reply::Skipped; // WRONGTYPE
                }
                self.metrics.classes[class].counters.writes += 1;
                let new_len = e.len as i64 + bytes;
                if new_len <= 0 {
                    self.remove(op.db, pos);
                } else {
                    let n = new_len.min(u32::MAX as i64) as u32;
                    let count = e.int_value.saturating_add(i64::from(elems)).max(1);
                    let listpacks = self.ks.layout().server.set_listpacks();
                    let kind = grown_kind(e.kind, agg, count, elem_len(bytes, elems), listpacks);
                    let cost = aggregate(kind, n, count);
                    self.ks.set_value(op.db, pos, op.key_len, cost, n, kind);
                    self.ks.entry_mut(op.db, pos).int_value = count;
                }
                self.lost.set_deadline(op.key, 0);
                Reply::Found
            }
            None if bytes > 0 => {
                self.metrics.classes[class].counters.writes += 1;
                let n = bytes.min(u32::MAX as i64) as u32;
                let count = i64::from(elems).max(1);
                let len = elem_len(bytes, elems);
                let listpacks = self.ks.layout().server.set_listpacks();
                let kind = grown_kind(new_kind(agg, len, listpacks), agg, count, len, listpacks);
                self.create(op, aggregate(kind, n, count), n, kind, count, 0);
                Reply::Created
            }
            None => Reply::Missing,
        }
    }

    /// `HSET` of every field of `fields`: creates the hash, or rewrites the
    /// fields of one that has them (values of the same length: its size
    /// stays; the model does not keep field names, so a hash with fewer
    /// fields gains the difference). `WRONGTYPE` on anything but a hash.
    fn hash_set(&mut self, op: &Op, fields: HashFields) -> Reply {
        let (n, agg) = (i64::from(fields.n), fields.agg());
        let per_field = i64::from(fields.field_len) + i64::from(fields.value_len);
        let held = self
            .ks
            .find(op.db, op.key)
            .map(|pos| *self.ks.entry(op.db, pos));
        let live = held.filter(|e| e.expire_at == 0 || self.now <= e.expire_at);
        match live {
            Some(e) if !is_hash(e.kind) => {
                // Touched as the lookup before the type check does.
                self.lookup(op, Access::Write);
                Reply::Skipped
            }
            Some(e) => {
                let more = (n - e.int_value).max(0);
                self.grow(op, more * per_field, more as i32, agg)
            }
            None => self.grow(op, n * per_field, n as i32, agg),
        }
    }

    /// A pop: a read of the aggregate that takes `elems` of its elements,
    /// each of its average size; taking the last deletes the key.
    fn pop(&mut self, op: &Op, elems: u32) -> Reply {
        let class = op.class as usize;
        match self.lookup(op, Access::Write) {
            Some(pos) => {
                let e = *self.ks.entry(op.db, pos);
                if !e.kind.is_aggregate() {
                    return Reply::Skipped; // WRONGTYPE
                }
                let c = &mut self.metrics.classes[class].counters;
                c.reads += 1;
                c.hits += 1;
                if elems == 0 {
                    return Reply::Found;
                }
                c.writes += 1;
                let count = e.int_value.max(1) as u64;
                let taken = u64::from(elems).min(count);
                if taken == count {
                    self.remove(op.db, pos);
                } else {
                    let freed = u64::from(e.len) * taken / count;
                    let n = (u64::from(e.len) - freed).max(1) as u32;
                    let left = (count - taken) as i64;
                    let cost = aggregate(e.kind, n, left);
                    self.ks.set_value(op.db, pos, op.key_len, cost, n, e.kind);
                    self.ks.entry_mut(op.db, pos).int_value = left;
                }
                Reply::Found
            }
            None => {
                self.metrics.classes[class].counters.reads += 1;
                self.note_miss(op, 0);
                Reply::Missing
            }
        }
    }
}

/// Whether a key of `kind` is a hash (what `HGETALL` and `HSET` accept and
/// `GET` refuses).
#[inline]
fn is_hash(kind: ValueKind) -> bool {
    matches!(kind, ValueKind::Hash | ValueKind::HashTable)
}

/// The average element a write of `bytes` in `elems` elements adds.
fn elem_len(bytes: i64, elems: i32) -> u64 {
    bytes.max(0) as u64 / u64::from(elems.max(1).unsigned_abs())
}

/// How an aggregate of `kind` with `bytes` in `elems` elements is stored.
fn aggregate(kind: ValueKind, bytes: u32, elems: i64) -> Stored {
    let elems = elems.max(1) as u64;
    let bytes = u64::from(bytes);
    match kind {
        ValueKind::List => Stored::List { bytes, elems },
        ValueKind::Hash | ValueKind::HashTable => Stored::Hash {
            bytes,
            elems,
            table: kind == ValueKind::HashTable,
        },
        ValueKind::Zset | ValueKind::ZsetSkiplist => Stored::Zset {
            bytes,
            elems,
            skiplist: kind == ValueKind::ZsetSkiplist,
        },
        ValueKind::Intset16
        | ValueKind::Intset32
        | ValueKind::Intset64
        | ValueKind::SetListpack
        | ValueKind::SetTable
        | ValueKind::SetIntTable => Stored::Set {
            bytes,
            elems,
            enc: match kind {
                ValueKind::Intset16 => SetEncoding::Intset { width: 2 },
                ValueKind::Intset32 => SetEncoding::Intset { width: 4 },
                ValueKind::Intset64 => SetEncoding::Intset { width: 8 },
                ValueKind::SetListpack => SetEncoding::Listpack,
                _ => SetEncoding::Table {
                    from_intset: kind == ValueKind::SetIntTable,
                },
            },
        },
        _ => Stored::Aggregate(bytes),
    }
}

/// What a write of `agg` creates, its elements `elem_len` bytes on
/// average: a set of integers an intset of their width, any other set a
/// listpack on a server that has them (`listpacks`: Redis 7.2 on), else a
/// table (`t_set.c:setTypeCreate`).
fn new_kind(agg: Agg, elem_len: u64, listpacks: bool) -> ValueKind {
    match agg {
        Agg::List => ValueKind::List,
        Agg::Hash => ValueKind::Hash,
        Agg::WideHash => ValueKind::HashTable,
        Agg::Zset => ValueKind::Zset,
        Agg::IntSet => intset_kind(memory::intset_width(elem_len)),
        Agg::Set if listpacks => ValueKind::SetListpack,
        Agg::Set => ValueKind::SetTable,
    }
}

/// The intset kind of `width`-byte members.
fn intset_kind(width: u64) -> ValueKind {
    match width {
        0..=2 => ValueKind::Intset16,
        3..=4 => ValueKind::Intset32,
        _ => ValueKind::Intset64,
    }
}

/// A set's encoding after a write of `agg` that leaves `count` members
/// (`t_set.c:setTypeAdd`): an intset takes integers up to 512 members,
/// widening to the widest written (`intsetUpgradeAndAdd`), and becomes a
/// table sized for them past that; a member that is not an integer turns
/// it into a listpack while the set fits one (Redis 7.2 on, `listpacks`),
/// else a table; a listpack becomes a table past 128 members or on a
/// member over 64 bytes. Tables stay tables.
fn set_kind(kind: ValueKind, agg: Agg, count: u64, elem_len: u64, listpacks: bool) -> ValueKind {
    let fits_listpack = listpacks
        && count <= memory::SET_LISTPACK_ENTRIES
        && elem_len <= memory::SET_LISTPACK_VALUE;
    match (kind, agg) {
        (ValueKind::Intset16 | ValueKind::Intset32 | ValueKind::Intset64, Agg::IntSet) => {
            if count > memory::SET_INTSET_ENTRIES {
                ValueKind::SetIntTable
            } else {
                let width = |k| match k {
                    ValueKind::Intset16 => 2,
                    ValueKind::Intset32 => 4,
                    _ => 8,
                };
                intset_kind(width(kind).max(memory::intset_width(elem_len)))
            }
        }
        (ValueKind::Intset16 | ValueKind::Intset32 | ValueKind::Intset64, Agg::Set) => {
            if fits_listpack {
                ValueKind::SetListpack
            } else {
                ValueKind::SetTable
            }
        }
        (ValueKind::SetListpack, Agg::Set | Agg::IntSet) if !fits_listpack => ValueKind::SetTable,
        (k, _) => k,
    }
}

/// A hash in a listpack becomes a table, for good, past 512 fields or on a
/// field or value over 64 bytes; a sorted set's listpack becomes a
/// skiplist past 128 members or on a member (`elem_len`, the write's
/// average) over 64 bytes; a set follows [`set_kind`]; anything else stays
/// what it is.
fn grown_kind(kind: ValueKind, agg: Agg, elems: i64, elem_len: u64, listpacks: bool) -> ValueKind {
    let count = elems.max(0) as u64;
    if matches!(agg, Agg::Set | Agg::IntSet) {
        return set_kind(kind, agg, count, elem_len, listpacks);
    }
    match kind {
        ValueKind::Hash if agg == Agg::WideHash || count > memory::HASH_LISTPACK_ENTRIES => {
            ValueKind::HashTable
        }
        ValueKind::Zset
            if count > memory::ZSET_LISTPACK_ENTRIES || elem_len > memory::ZSET_LISTPACK_VALUE =>
        {
            ValueKind::ZsetSkiplist
        }
        k => k,
    }
}

/// How SET stores a value: an integer (shared when the policy allows and
/// it is below 10,000), or the string argument's object.
fn stored_value(v: Value, shared_ints: bool) -> Stored {
    if v.int {
        Stored::Int {
            shared: shared_ints && (0..memory::SHARED_INTEGERS).contains(&v.int_value),
        }
    } else {
        Stored::Str(v.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::policy::NoEviction;
    use crate::model::server::Server;
    use crate::model::testkit::*;
    use crate::model::InstanceConfig;
    use crate::op::ReadSpec;

    /// An instance without `maxmemory`, so nothing is evicted.
    fn instance() -> Instance<NoEviction> {
        Instance::new(&InstanceConfig::default(), 1)
    }

    /// The key's entry in DB 0, if it lives.
    fn entry(inst: &Instance<NoEviction>, key: u32) -> Option<Entry> {
        let ks = inst.keyspace();
        ks.find(0, key).map(|pos| *ks.entry(0, pos))
    }

    /// Applies `op` and checks the keyspace's bookkeeping after it.
    fn run(inst: &mut Instance<NoEviction>, op: Op) -> Reply {
        let r = inst.apply(&op);
        let ks = inst.keyspace();
        assert_eq!(
            ks.recount_used(inst.config().baseline_memory),
            ks.used_memory()
        );
        ks.check_consistency().unwrap();
        r
    }

    fn set_with(t: u64, key: u32, len: u32, ttl_ms: u64, cond: SetCond, keep_ttl: bool) -> Op {
        op(
            t,
            key,
            Cmd::Set {
                value: Value::bytes(len),
                ttl_ms,
                cond,
                keep_ttl,
            },
        )
    }

    #[test]
    fn set_creates_then_overwrites() {
        let mut inst = instance();
        assert_eq!(run(&mut inst, set(0, 1, 10, 0)), Reply::Created);
        assert_eq!(run(&mut inst, set(1, 1, 100, 0)), Reply::Found);
        let e = entry(&inst, 1).unwrap();
        assert_eq!((e.len, e.kind), (100, ValueKind::Str));
        assert_eq!(inst.metrics().classes[0].counters.writes, 2);
    }

    #[test]
    fn set_nx_on_an_existing_key_does_nothing() {
        let mut inst = instance();
        run(&mut inst, set(0, 1, 10, 5_000));
        let before = entry(&inst, 1).unwrap();
        let used = inst.keyspace().used_memory();
        let nx = set_with(1, 1, 500, 0, SetCond::IfAbsent, false);
        assert_eq!(run(&mut inst, nx), Reply::Skipped);
        let after = entry(&inst, 1).unwrap();
        assert_eq!((after.len, after.expire_at), (before.len, before.expire_at));
        assert_eq!(inst.metrics().classes[0].counters.writes, 1);
        // SET's latency histogram exists already: nothing else changed.
        assert_eq!(inst.keyspace().used_memory(), used);
        // On a missing key it sets.
        let nx = set_with(2, 2, 500, 0, SetCond::IfAbsent, false);
        assert_eq!(run(&mut inst, nx), Reply::Created);
    }

    #[test]
    fn set_xx_on_a_missing_key_does_nothing() {
        let mut inst = instance();
        let xx = set_with(0, 1, 10, 0, SetCond::IfPresent, false);
        assert_eq!(run(&mut inst, xx), Reply::Skipped);
        assert!(entry(&inst, 1).is_none());
        run(&mut inst, set(1, 1, 10, 0));
        let xx = set_with(2, 1, 20, 0, SetCond::IfPresent, false);
        assert_eq!(run(&mut inst, xx), Reply::Found);
        assert_eq!(entry(&inst, 1).unwrap().len, 20);
    }

    #[test]
    fn set_with_keepttl_keeps_the_ttl_and_without_it_clears_it() {
        let mut inst = instance();
        run(&mut inst, set(0, 1, 10, 5_000));
        assert_eq!(entry(&inst, 1).unwrap().expire_at, 5_000);
        let keep = set_with(10, 1, 20, 0, SetCond::Always, true);
        assert_eq!(run(&mut inst, keep), Reply::Found);
        let e = entry(&inst, 1).unwrap();
        assert_eq!((e.len, e.expire_at), (20, 5_000));
        assert_eq!(inst.keyspace().volatile_len(), 1);
        // A plain SET drops it.
        run(&mut inst, set(20, 1, 20, 0));
        assert_eq!(entry(&inst, 1).unwrap().expire_at, 0);
        assert_eq!(inst.keyspace().volatile_len(), 0);
        // A SET with a TTL replaces it.
        run(&mut inst, set(30, 1, 20, 1_000));
        assert_eq!(entry(&inst, 1).unwrap().expire_at, 1_030);
    }

    #[test]
    fn expire_sets_a_ttl_and_expire_0_deletes() {
        let mut inst = instance();
        run(&mut inst, set(0, 1, 10, 0));
        assert_eq!(
            run(&mut inst, op(10, 1, Cmd::Expire { ttl_ms: 2_000 })),
            Reply::Found
        );
        assert_eq!(entry(&inst, 1).unwrap().expire_at, 2_010);
        assert_eq!(
            run(&mut inst, op(20, 1, Cmd::Expire { ttl_ms: 0 })),
            Reply::Found
        );
        assert!(entry(&inst, 1).is_none());
        assert!(inst.keyspace().is_empty());
        assert_eq!(
            run(&mut inst, op(30, 1, Cmd::Expire { ttl_ms: 0 })),
            Reply::Missing
        );
    }

    #[test]
    fn persist_clears_a_ttl() {
        let mut inst = instance();
        run(&mut inst, set(0, 1, 10, 5_000));
        let with_ttl = inst.keyspace().used_memory();
        assert_eq!(run(&mut inst, op(10, 1, Cmd::Persist)), Reply::Found);
        assert_eq!(entry(&inst, 1).unwrap().expire_at, 0);
        assert_eq!(inst.keyspace().volatile_len(), 0);
        // The TTL entry is given back (PERSIST's histogram is added).
        assert_eq!(
            inst.keyspace().used_memory(),
            with_ttl - memory::TTL_ENTRY + memory::LATENCY_HISTOGRAM
        );
        assert_eq!(run(&mut inst, op(20, 2, Cmd::Persist)), Reply::Missing);
    }

    #[test]
    fn a_capture_counts_one_histogram_per_command_name_it_names() {
        let h = memory::LATENCY_HISTOGRAM;
        let server = |i: &Instance<NoEviction>| i.keyspace().server_memory();
        let mut inst = instance();
        run(&mut inst, set(0, 1, 10, 0));
        assert_eq!(server(&inst), h, "SET's histogram, by model command");
        // The capture names its first command (SET, number 0): the model's
        // count is given back and the name's taken instead.
        run(&mut inst, op(0, 0, Cmd::Ran { name: 0 }));
        assert_eq!(server(&inst), h);
        // INFO (1), which the model does not run, costs its histogram.
        run(&mut inst, op(1, 0, Cmd::Ran { name: 1 }));
        assert_eq!(server(&inst), 2 * h);
        // A name counts once; a model command new to the model (GET) no
        // longer counts on its own: the capture names it when it runs.
        run(&mut inst, op(2, 0, Cmd::Ran { name: 0 }));
        run(&mut inst, op(3, 1, Cmd::Read(ReadSpec::default())));
        assert_eq!(server(&inst), 2 * h);
        run(&mut inst, op(3, 0, Cmd::Ran { name: 255 }));
        assert_eq!(server(&inst), 3 * h);
        // No key was touched by the names.
        assert_eq!(inst.keyspace().len(), 1);
    }

    #[test]
    fn incr_on_a_missing_key_creates_it_with_the_delta() {
        let mut inst = instance();
        let incr = |t| op(t, 1, Cmd::IncrBy { delta: 1 });
        assert_eq!(run(&mut inst, incr(0)), Reply::Created);
        let e = entry(&inst, 1).unwrap();
        assert_eq!((e.kind, e.int_value, e.len), (ValueKind::Int, 1, 1));
        assert_eq!(run(&mut inst, incr(1)), Reply::Found);
        assert_eq!(entry(&inst, 1).unwrap().int_value, 2);
        let c = inst.metrics().classes[0].counters;
        assert_eq!((c.reads, c.hits, c.writes), (2, 1, 2));
    }

    #[test]
    fn incr_refuses_a_string_and_an_overflow() {
        let mut inst = instance();
        run(&mut inst, set(0, 1, 10, 0));
        assert_eq!(
            run(&mut inst, op(1, 1, Cmd::IncrBy { delta: 1 })),
            Reply::Skipped
        );
        run(&mut inst, op(2, 2, Cmd::IncrBy { delta: i64::MAX }));
        assert_eq!(
            run(&mut inst, op(3, 2, Cmd::IncrBy { delta: 1 })),
            Reply::Skipped
        );
        assert_eq!(entry(&inst, 2).unwrap().int_value, i64::MAX);
    }

    #[test]
    fn append_grows_a_string_or_creates_it() {
        let mut inst = instance();
        assert_eq!(
            run(&mut inst, op(0, 1, Cmd::Append { len: 10 })),
            Reply::Created
        );
        assert_eq!(entry(&inst, 1).unwrap().len, 10);
        let before = entry(&inst, 1).unwrap();
        assert_eq!(
            run(&mut inst, op(1, 1, Cmd::Append { len: 100 })),
            Reply::Found
        );
        let after = entry(&inst, 1).unwrap();
        assert_eq!((after.len, after.kind), (110, ValueKind::Str));
        assert!(after.mem > before.mem);
        // A RAW string keeps the capacity it has room for.
        assert!(after.int_value as u32 >= after.len);
    }

    #[test]
    fn grow_builds_an_aggregate_and_shrinking_it_to_nothing_deletes_it() {
        let mut inst = instance();
        assert_eq!(
            run(
                &mut inst,
                op(
                    0,
                    1,
                    Cmd::Grow {
                        bytes: -10,
                        elems: -1,
                        kind: Agg::List
                    }
                )
            ),
            Reply::Missing
        );
        assert_eq!(
            run(
                &mut inst,
                op(
                    1,
                    1,
                    Cmd::Grow {
                        bytes: 100,
                        elems: 1,
                        kind: Agg::List
                    }
                )
            ),
            Reply::Created
        );
        assert_eq!(entry(&inst, 1).unwrap().kind, ValueKind::List);
        assert_eq!(
            run(
                &mut inst,
                op(
                    2,
                    1,
                    Cmd::Grow {
                        bytes: -40,
                        elems: -1,
                        kind: Agg::List
                    }
                )
            ),
            Reply::Found
        );
        assert_eq!(entry(&inst, 1).unwrap().len, 60);
        assert_eq!(
            run(
                &mut inst,
                op(
                    3,
                    1,
                    Cmd::Grow {
                        bytes: -60,
                        elems: -1,
                        kind: Agg::List
                    }
                )
            ),
            Reply::Found
        );
        assert!(entry(&inst, 1).is_none());
        // A string is the wrong type for it.
        run(&mut inst, set(4, 2, 10, 0));
        assert_eq!(
            run(
                &mut inst,
                op(
                    5,
                    2,
                    Cmd::Grow {
                        bytes: 10,
                        elems: 1,
                        kind: Agg::List
                    }
                )
            ),
            Reply::Skipped
        );
    }

    #[test]
    fn a_sorted_set_becomes_a_skiplist_past_128_members_or_a_long_member_for_good() {
        let zadd = |t, key, bytes| {
            op(
                t,
                key,
                Cmd::Grow {
                    bytes,
                    elems: 1,
                    kind: Agg::Zset,
                },
            )
        };
        let mut inst = instance();
        for t in 0..128 {
            run(&mut inst, zadd(t, 1, 20));
        }
        assert_eq!(entry(&inst, 1).unwrap().kind, ValueKind::Zset);
        let before = inst.keyspace().used_memory();
        run(&mut inst, zadd(128, 1, 20));
        assert_eq!(entry(&inst, 1).unwrap().kind, ValueKind::ZsetSkiplist);
        // A skiplist costs several times the listpack it replaces.
        assert!(inst.keyspace().used_memory() > before + 10_000);
        // Popping back under 128 keeps the skiplist (Redis 7.0 converts back
        // only on a few commands that rebuild the set).
        run(&mut inst, op(200, 1, Cmd::Pop { elems: 100 }));
        assert_eq!(entry(&inst, 1).unwrap().kind, ValueKind::ZsetSkiplist);
        // One member over 64 bytes converts a small set.
        run(&mut inst, zadd(300, 2, 20));
        assert_eq!(entry(&inst, 2).unwrap().kind, ValueKind::Zset);
        run(&mut inst, zadd(301, 2, 65));
        assert_eq!(entry(&inst, 2).unwrap().kind, ValueKind::ZsetSkiplist);
        assert_eq!(entry(&inst, 2).unwrap().int_value, 2);
    }

    #[test]
    fn a_set_is_an_intset_then_a_listpack_or_a_table_as_each_server_encodes_it() {
        let sadd = |t, key, bytes, kind| {
            op(
                t,
                key,
                Cmd::Grow {
                    bytes,
                    elems: 1,
                    kind,
                },
            )
        };
        let kind = |inst: &Instance<NoEviction>, key| entry(inst, key).unwrap().kind;
        for server in [Server::Redis70, Server::Redis82] {
            let mut cfg = InstanceConfig::default();
            cfg.set_server(server);
            // `apply`, not `run`: `run`'s recount takes the default
            // baseline, not this server's.
            let mut inst = Instance::<NoEviction>::new(&cfg, 1);
            // Integers: an intset up to 512, widened by a longer one.
            for t in 0..512 {
                inst.apply(&sadd(t, 1, 4, Agg::IntSet));
            }
            assert_eq!(kind(&inst, 1), ValueKind::Intset16);
            inst.apply(&sadd(600, 2, 4, Agg::IntSet));
            inst.apply(&sadd(601, 2, 7, Agg::IntSet));
            inst.apply(&sadd(602, 2, 2, Agg::IntSet));
            assert_eq!(kind(&inst, 2), ValueKind::Intset32, "{server:?}");
            // The 513th: a table sized for them, for good.
            inst.apply(&sadd(700, 1, 4, Agg::IntSet));
            assert_eq!(kind(&inst, 1), ValueKind::SetIntTable);
            inst.apply(&op(701, 1, Cmd::Pop { elems: 100 }));
            assert_eq!(kind(&inst, 1), ValueKind::SetIntTable);
            // A string member: Redis 7.2 on a listpack while it fits, 7.0 a
            // table.
            inst.apply(&sadd(800, 2, 10, Agg::Set));
            let small = if server == Server::Redis70 {
                ValueKind::SetTable
            } else {
                ValueKind::SetListpack
            };
            assert_eq!(kind(&inst, 2), small, "{server:?}");
            inst.apply(&sadd(801, 3, 10, Agg::Set));
            assert_eq!(kind(&inst, 3), small, "{server:?}");
            // A member over 64 bytes, or the 129th, makes it a table.
            inst.apply(&sadd(802, 3, 65, Agg::Set));
            assert_eq!(kind(&inst, 3), ValueKind::SetTable);
            for t in 0..129 {
                inst.apply(&sadd(900 + t, 4, 10, Agg::Set));
            }
            assert_eq!(kind(&inst, 4), ValueKind::SetTable);
        }
    }

    #[test]
    fn getdel_reads_and_removes() {
        let mut inst = instance();
        run(&mut inst, set(0, 1, 10, 0));
        assert_eq!(run(&mut inst, op(1, 1, Cmd::GetDel)), Reply::Found);
        assert!(entry(&inst, 1).is_none());
        assert_eq!(run(&mut inst, op(2, 1, Cmd::GetDel)), Reply::Missing);
        let c = inst.metrics().classes[0].counters;
        assert_eq!((c.reads, c.hits), (2, 1));
    }

    #[test]
    fn del_removes() {
        let mut inst = instance();
        run(&mut inst, set(0, 1, 10, 5_000));
        assert_eq!(run(&mut inst, op(1, 1, Cmd::Del)), Reply::Found);
        assert!(inst.keyspace().is_empty());
        assert_eq!(inst.keyspace().volatile_len(), 0);
        assert_eq!(run(&mut inst, op(2, 1, Cmd::Del)), Reply::Missing);
    }

    #[test]
    fn a_read_of_an_expired_key_misses_and_expires_it() {
        let mut inst = instance();
        run(&mut inst, set(0, 1, 10, 150));
        assert_eq!(run(&mut inst, get(100, 1)), Reply::Found);
        // Past its TTL at 160, before the cron's next tick (200) could
        // reclaim it: the read expires it lazily.
        assert_eq!(run(&mut inst, get(160, 1)), Reply::Missing);
        assert!(entry(&inst, 1).is_none());
        let c = inst.metrics().classes[0].counters;
        assert_eq!((c.reads, c.hits, c.expired), (2, 1, 1));
    }

    #[test]
    fn a_read_touches_the_access_clock_and_a_peek_does_not() {
        let mut inst = instance();
        run(&mut inst, set(0, 1, 10, 0));
        run(&mut inst, op(500, 1, Cmd::Peek));
        assert_eq!(entry(&inst, 1).unwrap().last_access_ms, 0);
        run(&mut inst, op(700, 1, Cmd::Read(ReadSpec::default())));
        assert_eq!(entry(&inst, 1).unwrap().last_access_ms, 700);
    }
}
