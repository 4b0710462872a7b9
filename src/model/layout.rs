//! What a key costs on each server, and the shape of its hash tables: the
//! per-server half of the memory model. [`Layout`] is chosen once per run
//! (a `Copy` value the keyspace holds) and every cost is a `match` on it,
//! so no call is dynamic. Redis 7.0 goes through `memory.rs` unchanged.
//!
//! The facts, each from the server's own source and checked against its
//! binary with `evictsim calibrate` (docs/fidelity.md has the tables):
//! - Redis 7.0 (`src/object.c`, `src/dict.c`): an sds key, a 24-byte dict
//!   entry, the value object (EMBSTR up to 44 bytes), a 24-byte `expires`
//!   entry; 8-byte dict slots.
//! - Redis 8.2 (`src/object.c` `kvobjCreate`, `kvobjSet`,
//!   `kvobjCreateEmbedString`): one `kvobj` holds the 16-byte object, an
//!   8-byte expiry when the key has a TTL (or when the allocation has room
//!   for it anyway), a 1-byte header size and the key's sds; an EMBSTR
//!   value is embedded too when the whole fits 64 bytes. The dicts are
//!   no-value dicts of these objects: a key alone in its slot costs no
//!   entry, one sharing a slot a 16-byte `dictEntryNoValue`; the expiry
//!   costs only the `expires` dict's slot (and entry when shared).
//! - Valkey 8.1 (`src/object.c` `createObjectWithKeyAndExpire`,
//!   `createStringObjectWithKeyAndExpire`; `src/hashtable.c`): the same
//!   embedded key and expiry, a value embedded when the whole fits 64
//!   bytes; the keyspace and `expires` are `hashtable`s of 64-byte buckets
//!   of 7 entries, grown when full (`MAX_FILL_PERCENT_SOFT` 100) to
//!   `ceil(n * 5 / 32)` buckets rounded to a power of two, and a full
//!   bucket chains a child bucket.
//! - Valkey 9.1 (`src/object_internals.h`, valkey-io/valkey#2516): a value
//!   embedded with its key drops the object's 8-byte pointer, and is
//!   embedded whenever the whole fits 128 bytes.
//! - Allocators: Redis builds its jemalloc with `--with-lg-quantum=3`
//!   (`deps/Makefile`); Debian's 7.0.15 links the system jemalloc (16-byte
//!   quantum), which the 7.0 model keeps; a libc build counts glibc's
//!   `malloc_usable_size` (`src/zmalloc.h`).

use super::memory;
use super::server::{Allocator, Server};

/// What a key's value is, as far as its cost goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stored {
    /// A string as SET stores it: the argument object (EMBSTR up to 44
    /// bytes, else RAW with an exact-size sds) under its key.
    Str(u32),
    /// A RAW string whose sds can hold `cap` bytes (after APPEND).
    Raw {
        /// The sds capacity in bytes.
        cap: u64,
    },
    /// An `int`-encoded string; `shared` when Redis 7.0 would point at a
    /// shared integer object.
    Int {
        /// A shared integer (0..10,000 under a policy that allows them).
        shared: bool,
    },
    /// A hash, set or sorted set with this many payload bytes.
    Aggregate(u64),
    /// A list of `elems` elements holding `bytes` (a quicklist in 7.0).
    List {
        /// Bytes of its elements.
        bytes: u64,
        /// Its elements.
        elems: u64,
    },
    /// A hash of `elems` fields whose fields and values hold `bytes`: a
    /// listpack, or a hash table when `table`.
    Hash {
        /// Bytes of its fields and values.
        bytes: u64,
        /// Its fields.
        elems: u64,
        /// Encoded as a hash table.
        table: bool,
    },
    /// A sorted set of `elems` members holding `bytes`: a listpack, or a
    /// skiplist (with its dict) when `skiplist`.
    Zset {
        /// Bytes of its members.
        bytes: u64,
        /// Its members.
        elems: u64,
        /// Converted to a skiplist.
        skiplist: bool,
    },
    /// A set of `elems` members holding `bytes` (integers counted by their
    /// decimal length), encoded as `enc`.
    Set {
        /// Bytes of its members.
        bytes: u64,
        /// Its members.
        elems: u64,
        /// Its encoding.
        enc: SetEncoding,
    },
}

/// How a set is encoded (`t_set.c`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetEncoding {
    /// An intset of `width`-byte integers (2, 4 or 8).
    Intset {
        /// Bytes per member.
        width: u64,
    },
    /// A listpack of its members (Redis 7.2 on).
    Listpack,
    /// A hash table of sds members; `from_intset` when it was an intset
    /// until the 513th member, which sizes the table for them at once.
    Table {
        /// Converted from an intset.
        from_intset: bool,
    },
}

/// How a server's hash tables are built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableShape {
    /// Redis 7.0's `dict`: 8-byte slots, one chained 24-byte entry per key
    /// (counted with the key).
    Dict,
    /// Redis 8.2's no-value `dict`: 8-byte slots holding the key object
    /// itself; a key that shares its slot costs a 16-byte entry.
    DictNoValue,
    /// Valkey's `hashtable`: 64-byte buckets of 7 entries, child buckets
    /// chained from a full one.
    Hashtable,
}

/// The per-server memory model, chosen once per run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// The server followed.
    pub server: Server,
    /// The allocator whose sizes `used_memory` counts.
    pub allocator: Allocator,
}

impl Default for Layout {
    fn default() -> Self {
        Layout::new(Server::Redis70, Allocator::Jemalloc)
    }
}

/// Entries a Valkey bucket holds (`ENTRIES_PER_BUCKET` on 64-bit).
pub(crate) const BUCKET_ENTRIES: u64 = 7;
/// Size of a Valkey hashtable bucket, one cache line.
const HASHTABLE_BUCKET: u64 = 64;
/// Size of Valkey's `struct hashtable` (`hashtable.c`): type, rehash
/// index, two tables, two counts, exponents and pause counters, two child
/// bucket counts, the safe-iterator list.
const HASHTABLE_STRUCT: u64 = 80;
/// Size of Redis 8's `dictEntryNoValue` (key and next pointers).
const NO_VALUE_ENTRY: u64 = 16;
/// Valkey 9.1 embeds a value with its key while the object fits this.
const VALKEY9_EMBED_MAX: u64 = 128;
/// Redis 8.2 and Valkey 8.1 embed a value while the object fits a cache line.
const EMBED_MAX: u64 = 64;
/// Keys at least this long get room for an expiry up front
/// (`KEY_SIZE_TO_INCLUDE_EXPIRE_THRESHOLD`).
const KEY_EXPIRE_THRESHOLD: u64 = 128;

impl Layout {
    /// The layout of `server` with `allocator`.
    pub const fn new(server: Server, allocator: Allocator) -> Self {
        Layout { server, allocator }
    }

    /// The layout of `server` with the allocator of its checked binary.
    pub const fn of(server: Server) -> Self {
        Layout::new(server, server.default_allocator())
    }

    /// How the server's hash tables are built.
    #[inline(always)]
    pub const fn shape(self) -> TableShape {
        match self.server {
            Server::Redis70 => TableShape::Dict,
            Server::Redis82 => TableShape::DictNoValue,
            Server::Valkey81 | Server::Valkey91 => TableShape::Hashtable,
        }
    }

    /// The bytes an allocation of `n` bytes counts in `used_memory`.
    #[inline(always)]
    pub fn alloc(self, n: u64) -> u64 {
        match (self.allocator, self.server) {
            (Allocator::Jemalloc, Server::Redis70) => memory::jemalloc_class(n),
            (Allocator::Jemalloc, _) => jemalloc_q8_class(n),
            (Allocator::Libc, _) => libc_usable(n),
        }
    }

    /// Bytes of an sds of `len` bytes (`sdsReqSize` with `sdsReqType`).
    #[inline]
    fn sds(self, len: u64) -> u64 {
        memory::sds_header(len) + len + 1
    }

    /// The object that holds the key (and its expiry), without an
    /// embedded value: `kvobjCreate` / `createObjectWithKeyAndExpire`.
    #[inline]
    fn key_object(self, key_len: u64, ttl: bool) -> u64 {
        let expire = if ttl || key_len >= KEY_EXPIRE_THRESHOLD {
            8
        } else {
            0
        };
        self.alloc(16 + expire + 1 + self.sds(key_len))
    }

    /// Whether this is Redis 7.0 with jemalloc, the default, whose costs
    /// take the inlined path of `memory.rs` in the hot loop.
    #[inline(always)]
    fn is_redis70(self) -> bool {
        self.server == Server::Redis70 && self.allocator == Allocator::Jemalloc
    }

    /// A key's cost without table slots: every allocation it owns, with
    /// the TTL's own cost when `ttl`.
    #[inline(always)]
    pub fn key_cost(self, key_len: u64, v: Stored, ttl: bool) -> u64 {
        if self.is_redis70() {
            return memory::key_cost(key_len, self.value_cost70(v), ttl);
        }
        self.other_key_cost(key_len, v, ttl)
    }

    /// [`Layout::key_cost`] for every server but the default.
    #[inline(never)]
    fn other_key_cost(self, key_len: u64, v: Stored, ttl: bool) -> u64 {
        match self.server {
            Server::Redis70 => {
                // A libc Redis 7.0: the same layout, glibc's sizes.
                let ttl_entry = if ttl { self.alloc(24) } else { 0 };
                self.alloc(self.sds(key_len)) + self.alloc(24) + self.value_cost70(v) + ttl_entry
            }
            Server::Redis82 | Server::Valkey81 => {
                let expire = if ttl { 8 } else { 0 };
                match v {
                    Stored::Str(len) if len <= memory::EMBSTR_MAX => {
                        let len = len as u64;
                        // kvobjSet: 16 + (key + 3) + expiry + (4 + len) <= 64;
                        // Valkey 8.1 counts the key's real sds header.
                        let key_part = if self.server == Server::Redis82 {
                            key_len + 3
                        } else {
                            1 + self.sds(key_len)
                        };
                        if 16 + key_part + expire + 4 + len <= EMBED_MAX {
                            self.alloc(16 + expire + 1 + self.sds(key_len) + 3 + len + 1)
                        } else {
                            self.key_object(key_len, ttl) + self.alloc(self.sds(len))
                        }
                    }
                    _ => self.key_object(key_len, ttl) + self.separate_value(v),
                }
            }
            Server::Valkey91 => match v {
                Stored::Str(len) => {
                    let len = len as u64;
                    let expire = if ttl || key_len >= KEY_EXPIRE_THRESHOLD {
                        8
                    } else {
                        0
                    };
                    // No value pointer: an 8-byte header, then the rest. The
                    // 128-byte budget leaves the expiry out: measured on
                    // 9.1.2, a 100-byte value under a 12-byte key stays
                    // embedded with a TTL (135 bytes), a 104-byte one
                    // without (131) does not.
                    let embedded = 8 + expire + 1 + self.sds(key_len) + 3 + len + 1;
                    if embedded - expire <= VALKEY9_EMBED_MAX {
                        self.alloc(embedded)
                    } else {
                        self.key_object(key_len, ttl) + self.alloc(self.sds(len))
                    }
                }
                _ => self.key_object(key_len, ttl) + self.separate_value(v),
            },
        }
    }

    /// What a TTL adds to the key's own allocations (not its table
    /// slots): Redis 7.0's `expires` entry, or the larger object Redis 8.2
    /// and Valkey need for the expiry field (nothing when the allocation
    /// had room for it).
    #[inline(always)]
    pub fn ttl_cost(self, key_len: u64, v: Stored) -> u16 {
        if self.is_redis70() {
            return memory::TTL_ENTRY as u16;
        }
        let with = self.key_cost(key_len, v, true);
        let without = self.key_cost(key_len, v, false);
        with.saturating_sub(without).min(u16::MAX as u64) as u16
    }

    /// What a value kept apart from the key object costs (a RAW string's
    /// sds, an aggregate's payload; an integer lives in the pointer).
    #[inline]
    fn separate_value(self, v: Stored) -> u64 {
        match v {
            Stored::Str(len) => self.alloc(self.sds(len as u64)),
            Stored::Raw { cap } => self.alloc(memory::sds_header(cap).max(3) + cap + 1),
            Stored::Int { .. } => 0,
            Stored::Aggregate(bytes)
            | Stored::Hash {
                bytes, table: true, ..
            } => self.alloc(bytes.max(1)),
            Stored::Hash { bytes, elems, .. } => {
                self.alloc(memory::hash_listpack_bytes(bytes, elems))
            }
            Stored::Zset {
                bytes,
                elems,
                skiplist: false,
            } => self.alloc(memory::zset_listpack_bytes(bytes, elems)),
            Stored::Zset {
                bytes,
                elems,
                skiplist: true,
            } => self.zset_skiplist(bytes, elems),
            Stored::Set { bytes, elems, enc } => self.set_value(bytes, elems, enc),
            // Redis 7.2 on (8.2, Valkey): a small list is one listpack
            // until a push would take it past 8 KB: the listpack's bytes
            // plus the new element's length (`listTypeTryConvertListpack`),
            // taken as pushed one element at a time, as a queue is.
            Stored::List { bytes, elems } => {
                let lp = memory::listpack_bytes(bytes, elems);
                let len = bytes / elems.max(1);
                if lp - memory::listpack_entry(len) + len <= memory::QUICKLIST_NODE_LIMIT {
                    self.alloc(lp)
                } else {
                    memory::quicklist_cost(bytes, elems, |n| self.alloc(n))
                }
            }
        }
    }

    /// A sorted set's skiplist on a server other than Redis 7.0 with
    /// jemalloc (whose formula is `memory::zset_cost`), checked with
    /// `calibrate` against each binary:
    /// - Redis 8.2 embeds the member in its node (`zslCreateNode`) and
    ///   keeps a 24-byte `dictEntry` per member; a listpack converted at
    ///   129 members gets its dict sized for them at once
    ///   (`zsetConvertAndExpand`: 256 buckets), a set created as a skiplist
    ///   (a member over 64 bytes) grows one insert at a time, each `ZADD`
    ///   taking one rehash step (measured: 50 members of 65 bytes).
    /// - Valkey keeps the nodes themselves in a `hashtable` (64-byte
    ///   buckets of 7), no entry per member; 8.1's node points at the
    ///   member's own sds, 9.1's embeds it without the pointer.
    fn zset_skiplist(self, bytes: u64, elems: u64) -> u64 {
        let n = elems.max(1);
        let len = bytes / n;
        let alloc = |b| self.alloc(b);
        let member = memory::sds_header(len) + len + 1;
        let (per_member, node_fixed, buckets) = match self.server {
            Server::Valkey81 | Server::Valkey91 => {
                let (own, node) = if self.server == Server::Valkey81 {
                    (self.alloc(member), 24)
                } else {
                    (0, 16 + member)
                };
                (
                    own,
                    node,
                    self.table_size_for(n) * (HASHTABLE_BUCKET / memory::BUCKET),
                )
            }
            Server::Redis82 => {
                let converted = len <= memory::ZSET_LISTPACK_VALUE;
                let first = memory::table_size_for(memory::ZSET_LISTPACK_ENTRIES + 1);
                let buckets = if converted && n <= first {
                    first
                } else {
                    memory::growing_dict_buckets_by(n, 1)
                };
                (self.alloc(24), 24 + member, buckets)
            }
            Server::Redis70 => (
                self.alloc(24) + self.alloc(member),
                24,
                memory::growing_dict_buckets(n),
            ),
        };
        let nodes = (n as f64 * memory::skiplist_node_mean(node_fixed, alloc)).round() as u64;
        memory::zset_skiplist_fixed(alloc) + memory::BUCKET * buckets + n * per_member + nodes
    }

    /// A set on a server other than Redis 7.0 with jemalloc (whose formula
    /// is `memory::set_cost`), checked with `calibrate` against each binary.
    /// An intset (`intset.c:intsetResize`) and a listpack are one
    /// allocation of their bytes. A table holds one sds per member:
    /// - Redis 8.2's set dict stores no values and its sds keys are odd
    ///   pointers (`server.c:setDictType`, `no_value`, `keys_are_odd`), so a
    ///   member alone in its slot costs no entry and one sharing it a
    ///   16-byte `dictEntryNoValue`; it is sized at conversion
    ///   (`t_set.c:setTypeConvertAndExpand`: 129 members from a listpack,
    ///   256 slots; 513 from an intset, 1,024), then grows one `SADD` at a
    ///   time, each taking one rehash step (`dictFindPositionForInsert`).
    /// - Valkey's set is a `hashtable` of the sds members themselves
    ///   (`hashtable.c`: an 80-byte struct, 64-byte buckets of 7, a full
    ///   bucket chaining a child), sized at conversion as Redis's is
    ///   (`nextBucketExp`: 32 buckets for 129, 128 for 513), then doubled
    ///   when full; the old table is freed after one rehash step per
    ///   `SADD` has moved each of its buckets.
    /// - Redis 7.0 with glibc: 7.0's dict (`memory::set_cost`) at glibc's
    ///   sizes.
    fn set_value(self, bytes: u64, elems: u64, enc: SetEncoding) -> u64 {
        let n = elems.max(1);
        let len = bytes / n;
        let from_intset = match enc {
            SetEncoding::Intset { width } => {
                return self.alloc(memory::intset_bytes(n, width));
            }
            SetEncoding::Listpack => return self.alloc(memory::listpack_bytes(bytes, n)),
            SetEncoding::Table { from_intset } => from_intset,
        };
        let members = n * self.alloc(self.sds(len));
        match self.server {
            Server::Valkey81 | Server::Valkey91 => {
                let presized = if from_intset {
                    self.table_size_for(memory::SET_INTSET_ENTRIES + 1)
                } else if len <= memory::SET_LISTPACK_VALUE {
                    self.table_size_for(memory::SET_LISTPACK_ENTRIES + 1)
                } else {
                    1
                };
                let size = presized.max(n.div_ceil(BUCKET_ENTRIES).next_power_of_two());
                // Doubled at 7 x old + 1 members; one bucket moved a SADD.
                let old = if size > presized && n <= 4 * size {
                    self.alloc(size / 2 * HASHTABLE_BUCKET)
                } else {
                    0
                };
                self.alloc(HASHTABLE_STRUCT)
                    + self.alloc(size * HASHTABLE_BUCKET)
                    + old
                    + self.table_extra(n, size)
                    + members
            }
            Server::Redis82 => {
                let presized = if from_intset {
                    memory::table_size_for(memory::SET_INTSET_ENTRIES + 1)
                } else if len <= memory::SET_LISTPACK_VALUE {
                    memory::table_size_for(memory::SET_LISTPACK_ENTRIES + 1)
                } else {
                    0
                };
                let slots = memory::set_dict_buckets(n, presized);
                let size = presized.max(memory::table_size_for(n));
                self.alloc(56) + memory::BUCKET * slots + self.table_extra(n, size) + members
            }
            Server::Redis70 => {
                let presized = if from_intset {
                    memory::table_size_for(memory::SET_INTSET_ENTRIES + 1)
                } else {
                    0
                };
                self.alloc(56)
                    + memory::BUCKET * memory::set_dict_buckets(n, presized)
                    + n * self.alloc(24)
                    + members
            }
        }
    }

    /// Redis 7.0's value object (`memory.rs`), with this allocator.
    #[inline(always)]
    fn value_cost70(self, v: Stored) -> u64 {
        if self.allocator == Allocator::Jemalloc {
            return match v {
                Stored::Str(len) => memory::string_object_cost(len as u64),
                Stored::Raw { cap } => {
                    memory::ROBJ + memory::jemalloc_class(memory::sds_header(cap).max(3) + cap + 1)
                }
                Stored::Int { shared } => {
                    if shared {
                        memory::SHARED_INT_COST
                    } else {
                        memory::ROBJ
                    }
                }
                Stored::Aggregate(bytes) => memory::aggregate_cost(bytes),
                Stored::List { bytes, elems } => memory::list_cost(bytes, elems),
                Stored::Hash {
                    bytes,
                    elems,
                    table,
                } => memory::hash_cost(bytes, elems, table),
                Stored::Zset {
                    bytes,
                    elems,
                    skiplist,
                } => memory::zset_cost(bytes, elems, skiplist),
                Stored::Set { bytes, elems, enc } => memory::set_cost(bytes, elems, enc),
            };
        }
        match v {
            Stored::Str(len) if len <= memory::EMBSTR_MAX => self.alloc(20 + len as u64),
            Stored::Int { shared: true } => memory::SHARED_INT_COST,
            Stored::Int { shared: false } => self.alloc(16),
            _ => self.alloc(16) + self.separate_value(v),
        }
    }

    /// What a string argument of `len` bytes costs in a command's argv.
    #[inline]
    pub fn arg_cost(self, len: u64) -> u64 {
        if self.server == Server::Redis70 && self.allocator == Allocator::Jemalloc {
            return memory::string_object_cost(len);
        }
        let embedded = if self.server == Server::Valkey91 {
            8 + 3 + len + 1
        } else {
            16 + 3 + len + 1
        };
        let limit = if self.server == Server::Valkey91 {
            VALKEY9_EMBED_MAX
        } else {
            EMBED_MAX
        };
        if embedded <= limit {
            self.alloc(embedded)
        } else {
            self.alloc(16) + self.alloc(self.sds(len))
        }
    }

    /// Capacity of an sds allocated for `len` bytes (`sdsnewlen` records
    /// the usable size).
    #[inline]
    pub fn sds_capacity(self, len: u64) -> u64 {
        let hdr = memory::sds_header(len);
        self.alloc(hdr + len + 1) - hdr - 1
    }

    /// The capacity APPEND leaves (`sdsMakeRoomFor`): `cap` if `new_len`
    /// fits, else twice the new length (plus 1 MB beyond 1 MB).
    #[inline]
    pub fn append_capacity(self, cap: u64, new_len: u64) -> u64 {
        if cap >= new_len {
            return cap;
        }
        let want = if new_len < 1 << 20 {
            new_len * 2
        } else {
            new_len + (1 << 20)
        };
        let hdr = memory::sds_header(want).max(3);
        self.alloc(hdr + want + 1) - hdr - 1
    }

    /// Entries a table slot holds before the table grows.
    #[inline(always)]
    pub const fn slot_capacity(self) -> u64 {
        match self.shape() {
            TableShape::Dict | TableShape::DictNoValue => 1,
            TableShape::Hashtable => BUCKET_ENTRIES,
        }
    }

    /// Slots of a table sized to hold `n` entries: a dict's next power of
    /// two (at least 4, `_dictNextExp`); a hashtable's `ceil(n * 5 / 32)`
    /// buckets rounded up to a power of two (`nextBucketExp`).
    #[inline(always)]
    pub fn table_size_for(self, n: u64) -> u64 {
        match self.shape() {
            TableShape::Dict | TableShape::DictNoValue => memory::table_size_for(n),
            TableShape::Hashtable => {
                let buckets = (n.max(1) * 5 - 1) / 32 + 1;
                buckets.next_power_of_two()
            }
        }
    }

    /// Slots of a table's first allocation.
    #[inline(always)]
    pub const fn initial_slots(self) -> u64 {
        match self.shape() {
            TableShape::Dict | TableShape::DictNoValue => 4,
            TableShape::Hashtable => 1,
        }
    }

    /// Whether a table of `slots` slots holding `used` entries is so empty
    /// the cron shrinks it: a dict under 10% (`htNeedsResize`), a
    /// hashtable under 13% of its capacity (`MIN_FILL_PERCENT_SOFT`).
    #[inline(always)]
    pub fn should_shrink(self, used: u64, slots: u64) -> bool {
        match self.shape() {
            TableShape::Dict | TableShape::DictNoValue => slots > 4 && used * 100 / slots < 10,
            TableShape::Hashtable => slots > 1 && used * 100 < slots * BUCKET_ENTRIES * 13,
        }
    }

    /// The table's own allocation: its slots.
    #[inline(always)]
    pub fn table_bytes(self, slots: u64) -> u64 {
        match self.shape() {
            TableShape::Dict => slots * memory::BUCKET,
            TableShape::DictNoValue => self.alloc(slots * memory::BUCKET),
            TableShape::Hashtable => {
                if slots == 0 {
                    0
                } else {
                    self.alloc(slots * HASHTABLE_BUCKET)
                }
            }
        }
    }

    /// What a table of `slots` slots holding `n` entries allocates beyond
    /// its slots, in expectation over where the keys hash: Redis 8's
    /// entries for keys that share a slot (`n - slots * (1 - e^(-n/slots))`
    /// of them), Valkey's child buckets of the buckets holding more than 7
    /// (Poisson). 0 for Redis 7.0, whose entries count with each key.
    #[inline]
    pub fn table_extra(self, n: u64, slots: u64) -> u64 {
        if n == 0 || slots == 0 {
            return 0;
        }
        match self.shape() {
            TableShape::Dict => 0,
            TableShape::DictNoValue => {
                let (n, m) = (n as f64, slots as f64);
                let shared = n - m * (1.0 - (-n / m).exp());
                (shared * self.alloc(NO_VALUE_ENTRY) as f64).round() as u64
            }
            TableShape::Hashtable => {
                let alpha = n as f64 / slots as f64;
                let children = slots as f64 * expected_children(alpha);
                (children * self.alloc(HASHTABLE_BUCKET) as f64).round() as u64
            }
        }
    }
}

/// A jemalloc size class with an 8-byte quantum (`--with-lg-quantum=3`):
/// 8, 16, 24, 32, then four classes per doubling (40, 48, 56, 64, 80, ...).
#[inline]
pub(crate) fn jemalloc_q8_class(n: u64) -> u64 {
    if n <= 32 {
        return ((n.max(1) + 7) & !7).max(8);
    }
    let lg = 63 - (n - 1).leading_zeros() as u64; // floor(log2(n - 1))
    let delta = 1u64 << (lg - 2);
    (n + delta - 1) & !(delta - 1)
}

/// What glibc's `malloc_usable_size` reports for `malloc(n)` on x86-64:
/// the chunk (n + 8 rounded up to 16, at least 32) less its 8-byte header.
#[inline]
pub(crate) fn libc_usable(n: u64) -> u64 {
    let chunk = ((n + 8 + 15) & !15).max(32);
    chunk - 8
}

/// Steps per unit of a bucket's mean fill in the child-bucket table.
const ALPHA_STEPS: usize = 64;
/// Highest mean fill tabulated (a hashtable grows at 7; 35 is its hard limit).
const ALPHA_MAX: usize = 40;

/// The expected child buckets of one Valkey bucket when its keys are
/// Poisson with mean `alpha`: a bucket of `k > 7` keys keeps 6 and a child
/// pointer, each child 6 more until the last holds up to 7, so
/// `ceil((k - 7) / 6)` children. Tabulated once, interpolated.
fn expected_children(alpha: f64) -> f64 {
    static TABLE: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    let t = TABLE.get_or_init(|| {
        (0..=ALPHA_STEPS * ALPHA_MAX)
            .map(|i| {
                let a = i as f64 / ALPHA_STEPS as f64;
                let mut p = (-a).exp();
                let mut e = 0.0;
                for k in 1..400u64 {
                    p *= a / k as f64;
                    if k > BUCKET_ENTRIES {
                        e += p * (k - BUCKET_ENTRIES).div_ceil(BUCKET_ENTRIES - 1) as f64;
                    }
                }
                e
            })
            .collect()
    });
    let x = (alpha * ALPHA_STEPS as f64).clamp(0.0, (t.len() - 1) as f64);
    let i = (x as usize).min(t.len() - 2);
    let f = x - i as f64;
    t[i] * (1.0 - f) + t[i + 1] * f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocator_sizes() {
        for (n, c) in [
            (1, 8),
            (9, 16),
            (17, 24),
            (31, 32),
            (33, 40),
            (45, 48),
            (49, 56),
            (65, 80),
            (104, 112),
            (129, 160),
            (506, 512),
            (4006, 4096),
        ] {
            assert_eq!(jemalloc_q8_class(n), c, "q8 class of {n}");
        }
        for (n, u) in [
            (1, 24),
            (24, 24),
            (25, 40),
            (31, 40),
            (45, 56),
            (48, 56),
            (72, 72),
            (73, 88),
            (104, 104),
        ] {
            assert_eq!(libc_usable(n), u, "usable of malloc({n})");
        }
    }

    #[test]
    fn redis70_is_memory_rs() {
        let l = Layout::default();
        assert_eq!(
            l.key_cost(12, Stored::Str(10), false),
            memory::key_cost(12, memory::string_object_cost(10), false)
        );
        assert_eq!(
            l.key_cost(12, Stored::Str(100), true),
            memory::key_cost(12, memory::string_object_cost(100), true)
        );
        assert_eq!(l.table_size_for(20_000), 32_768);
        assert_eq!(l.table_extra(20_000, 32_768), 0);
    }

    /// The objects of a 12-byte key, each size from the server's source.
    #[test]
    fn key_objects_per_server() {
        let r8 = Layout::of(Server::Redis82);
        // 16 + 15 + 14 = 45 -> 48, embedded; with a TTL 53 -> 56.
        assert_eq!(r8.key_cost(12, Stored::Str(10), false), 48);
        assert_eq!(r8.key_cost(12, Stored::Str(10), true), 56);
        // 44 bytes no longer fit 64: a 32-byte kvobj and a 48-byte sds.
        assert_eq!(r8.key_cost(12, Stored::Str(44), false), 32 + 48);
        assert_eq!(r8.key_cost(12, Stored::Str(45), false), 32 + 56);
        assert_eq!(r8.key_cost(12, Stored::Int { shared: true }, false), 32);
        let v8 = Layout::of(Server::Valkey81);
        // 45 -> 56 usable, which has room for the expiry: a TTL is free.
        assert_eq!(v8.key_cost(12, Stored::Str(10), false), 56);
        assert_eq!(v8.key_cost(12, Stored::Str(10), true), 56);
        assert_eq!(v8.key_cost(12, Stored::Str(100), false), 40 + 104);
        let v9 = Layout::of(Server::Valkey91);
        // No pointer: 8 + 15 + 14 = 37 -> 40; 100 bytes still embedded.
        assert_eq!(v9.key_cost(12, Stored::Str(10), false), 40);
        assert_eq!(v9.key_cost(12, Stored::Str(100), false), 136);
        assert_eq!(v9.key_cost(12, Stored::Str(500), false), 40 + 520);
    }

    #[test]
    fn hashtables_grow_by_buckets_of_seven() {
        let v = Layout::of(Server::Valkey91);
        assert_eq!(v.table_size_for(1), 1);
        assert_eq!(v.table_size_for(14_337), 4_096);
        assert_eq!(v.slot_capacity() * 2_048, 14_336);
        // At 4.9 keys a bucket about 12% of buckets chain a child.
        let extra = v.table_extra(20_000, 4_096) as f64 / 20_000.0;
        assert!((1.5..2.1).contains(&extra), "{extra}");
        // Redis 8: at 0.61 keys a slot a quarter of keys need an entry.
        let r = Layout::of(Server::Redis82);
        let extra = r.table_extra(20_000, 32_768) as f64 / 20_000.0;
        assert!((3.8..4.2).contains(&extra), "{extra}");
    }
}
