//! What the keyspace keeps per key: one [`Entry`] in a database's slot
//! array, with the fields sampling, expiry and accounting read: 48 bytes
//! of the simulator's own memory per key.

use crate::op::{ClassId, KeyId};

/// How a value is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    /// A string (EMBSTR or RAW).
    Str,
    /// An `int`-encoded string.
    Int,
    /// An aggregate counted by its payload bytes (no write creates one
    /// now that lists, hashes, sets and sorted sets are modelled).
    Aggregate,
    /// A list (Redis 7.0: a quicklist of listpacks).
    List,
    /// A hash in a listpack (at most 512 fields, each field and value at
    /// most 64 bytes).
    Hash,
    /// A hash turned into a hash table.
    HashTable,
    /// A sorted set in a listpack (at most 128 members of at most 64
    /// bytes).
    Zset,
    /// A sorted set turned into a skiplist.
    ZsetSkiplist,
    /// A set of integers in an intset of 2-byte integers (at most 512).
    Intset16,
    /// A set of integers in an intset of 4-byte integers.
    Intset32,
    /// A set of integers in an intset of 8-byte integers.
    Intset64,
    /// A set in a listpack (Redis 7.2 on: at most 128 members of at most
    /// 64 bytes).
    SetListpack,
    /// A set turned into a hash table.
    SetTable,
    /// A set turned into a hash table from an intset past 512 members
    /// (sized for them at once).
    SetIntTable,
}

impl ValueKind {
    /// A list, hash, set or sorted set: it holds elements (counted in
    /// `Entry::int_value`).
    #[inline]
    pub fn is_aggregate(self) -> bool {
        matches!(
            self,
            ValueKind::Aggregate
                | ValueKind::List
                | ValueKind::Hash
                | ValueKind::HashTable
                | ValueKind::Zset
                | ValueKind::ZsetSkiplist
                | ValueKind::Intset16
                | ValueKind::Intset32
                | ValueKind::Intset64
                | ValueKind::SetListpack
                | ValueKind::SetTable
                | ValueKind::SetIntTable
        )
    }
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
    /// What a TTL adds to `mem` for this key and value (Redis 7.0: the
    /// 24-byte `expires` entry; Redis 8.2 and Valkey: a larger object, if
    /// any). Set by whoever builds the entry from the layout, and by
    /// [`Keyspace`](super::Keyspace) when the value changes.
    pub ttl_cost: u16,
    /// String length or aggregate payload bytes.
    pub len: u32,
    /// Position of the next entry in this key's main-dict bucket chain (or,
    /// for a free slot, the next free slot), or `NONE`. Kept by
    /// [`Keyspace`](super::Keyspace); any value given is overwritten.
    pub next: u32,
    /// The key's class.
    pub class: ClassId,
    /// How the value is stored.
    pub kind: ValueKind,
}
