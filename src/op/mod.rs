//! One operation as the model sees it: a command with its time, an interned
//! key and the sizes it carries.
//!
//! Sources (scenarios, traces) turn their input into a stream of [`Op`]s once;
//! every simulated instance then replays the same stream. Keys are interned to
//! integers before they get here, so the model never hashes a string.

mod argv;

pub use argv::{Arg, Argv};

/// A key interned to a dense integer by its source.
pub type KeyId = u32;

/// Index of a key class in the scenario's class list (at most 255 classes).
pub type ClassId = u8;

/// Value of a string as written by a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Value {
    /// Length of the value in bytes (for an integer, its decimal length).
    pub len: u32,
    /// The value parses as a 64-bit integer (Redis stores it as an `int`
    /// encoded object). Its magnitude is `int_value`.
    pub int: bool,
    /// The integer's value when `int` is set (used for shared integers).
    pub int_value: i64,
}

impl Value {
    /// A string value of `len` bytes that is not an integer.
    pub const fn bytes(len: u32) -> Self {
        Value {
            len,
            int: false,
            int_value: 0,
        }
    }

    /// An integer value.
    pub fn integer(v: i64) -> Self {
        Value {
            len: decimal_len(v),
            int: true,
            int_value: v,
        }
    }
}

/// Number of bytes of `v` written in decimal.
pub fn decimal_len(v: i64) -> u32 {
    let mut n = if v < 0 { 2 } else { 1 };
    let mut x = v.unsigned_abs();
    while x >= 10 {
        x /= 10;
        n += 1;
    }
    n
}

/// Which aggregate a write builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Agg {
    /// A list (`RPUSH`, `LPUSH`, `LINSERT`, `LMOVE`'s destination).
    List,
    /// A hash (`HSET`, `HINCRBY`) whose fields and values are all at most
    /// 64 bytes so far.
    Hash,
    /// A hash write with a field or a value over 64 bytes
    /// (`hash-max-listpack-value`): Redis 7.0 turns the hash into a hash
    /// table for good.
    WideHash,
    /// A set write (`SADD`, `SMOVE`'s destination) with a member that is
    /// not an integer.
    Set,
    /// A set write whose members all read as integers (as Redis's
    /// `string2ll` reads them), which an intset can hold.
    IntSet,
    /// A sorted set (`ZADD`, `ZINCRBY`).
    Zset,
}

/// The condition of a SET (`NX`, `XX` or none).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SetCond {
    /// Always set.
    #[default]
    Always,
    /// `NX`: only if the key does not exist.
    IfAbsent,
    /// `XX`: only if the key exists.
    IfPresent,
}

/// What an application does around a read (`GET`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ReadSpec {
    /// On a miss, write this value back (`SET key value [PX ttl]`), as a
    /// read-through cache or a re-login does. The SET is a second command
    /// with its own eviction check.
    pub fill: Option<Value>,
    /// TTL of the filled value in ms (0: none).
    pub fill_ttl_ms: u64,
    /// On a hit, refresh the TTL to this many ms (`PEXPIRE`, sliding expiry;
    /// 0: no refresh). A second command.
    pub slide_ms: u64,
}

/// The fields a hash write sets: `n` fields named `f` and the field's number
/// zero-padded to a fixed width (`f0`..`f3`, `f00`..`f11`: distinct, never
/// integers), each with a value of `value_len` bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HashFields {
    /// Number of fields (at least 1).
    pub n: u16,
    /// Length of every field's name.
    pub field_len: u16,
    /// Length of every field's value.
    pub value_len: u32,
}

impl HashFields {
    /// `n` fields of `value_len` bytes each, their names as wide as the
    /// highest field number needs (`f` and at least one digit).
    pub fn new(n: u16, value_len: u32) -> Self {
        let n = n.max(1);
        HashFields {
            n,
            field_len: 1 + decimal_len(i64::from(n - 1)) as u16,
            value_len,
        }
    }

    /// Bytes of every field's name and value together.
    #[inline]
    pub fn bytes(&self) -> u64 {
        u64::from(self.n) * (u64::from(self.field_len) + u64::from(self.value_len))
    }

    /// What the write builds: a listpack hash while every name and value
    /// is at most 64 bytes (`hash-max-listpack-value`), else a table.
    #[inline]
    pub fn agg(&self) -> Agg {
        if u64::from(self.field_len).max(u64::from(self.value_len)) > 64 {
            Agg::WideHash
        } else {
            Agg::Hash
        }
    }
}

/// What an application does around a read of a whole hash (`HGETALL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct HashReadSpec {
    /// On a miss, write the hash back (`HSET` of these fields, then
    /// `PEXPIRE` when `fill_ttl_ms` > 0), as a re-login does.
    pub fill: Option<HashFields>,
    /// TTL of the filled hash in ms (0: none).
    pub fill_ttl_ms: u64,
    /// On a hit, refresh the TTL to this many ms (`PEXPIRE`; 0: none).
    pub slide_ms: u64,
}

/// A command the model understands. Each maps to one Redis command, except
/// [`Cmd::Read`], [`Cmd::HashRead`], [`Cmd::HashSet`] and
/// [`Cmd::IncrWindow`], which are the patterns of two or three commands
/// applications use (GET then SET on a miss; HGETALL then HSET and PEXPIRE
/// on a miss; HSET then PEXPIRE; INCR then EXPIRE on a new key).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmd {
    /// `GET`, with optional read-through fill and sliding expiry.
    Read(ReadSpec),
    /// `SET key value [PX ttl] [NX|XX] [KEEPTTL]`; `SETEX`/`PSETEX` are a SET
    /// with a TTL. `ttl_ms` 0 means no TTL (an existing TTL is cleared unless
    /// `keep_ttl`).
    Set {
        value: Value,
        ttl_ms: u64,
        cond: SetCond,
        keep_ttl: bool,
    },
    /// `DEL` / `UNLINK`.
    Del,
    /// `GETDEL`: read and delete (a worker taking a job).
    GetDel,
    /// `PEXPIRE key ttl` (`EXPIRE` with the TTL in ms). A TTL of 0 deletes.
    Expire { ttl_ms: u64 },
    /// `PERSIST`.
    Persist,
    /// `INCRBY key delta` (`INCR`, `DECR`, `DECRBY`).
    IncrBy { delta: i64 },
    /// `INCR key`, then `PEXPIRE key window` when the INCR created the key:
    /// the fixed-window rate limiter.
    IncrWindow { window_ms: u64 },
    /// `APPEND key <len bytes>`.
    Append { len: u32 },
    /// A write to a list, hash, set or sorted set that grows (`bytes` > 0:
    /// LPUSH, HSET, SADD, ZADD; DENYOOM) or shrinks it (`bytes` < 0: HDEL,
    /// SREM, LREM; not DENYOOM) by `elems` elements (negative: removed; 0:
    /// a field rewritten, or not known). An aggregate whose bytes shrink to
    /// nothing is deleted, as Redis deletes an empty one. `kind`: what the
    /// command builds when the key is new (an existing key keeps what it
    /// is).
    Grow { bytes: i64, elems: i32, kind: Agg },
    /// `LPOP key [count]` and the other pops (`RPOP`, `BRPOP`, `LMOVE`'s
    /// source, `SPOP`, `ZPOPMIN`...): takes `elems` elements (0: none, as
    /// `LPOP key 0`), each of the aggregate's average element size; the last
    /// one deletes it. A read: a pop that finds the key gone because it was
    /// evicted while holding elements is a lost read (a worker that finds
    /// its queue gone).
    Pop { elems: u32 },
    /// A read that does not touch the key's access time (`TTL`, `EXISTS`,
    /// `TYPE`): only expires it lazily.
    Peek,
    /// The first call of command name number `name` in a capture that
    /// names its commands (MONITOR): Redis allocates the name's latency
    /// histogram after that call, whether the model runs the command
    /// (`MSET`, `BRPOP`) or not (`INFO`, `HELLO`, `PING`). Not a command of
    /// its own: it touches no key. The first one tells the instance that
    /// its source counts command names; the model's commands then stop
    /// counting theirs.
    Ran { name: u8 },
    /// `HGETALL`: a read of a whole hash (a hit when the key exists;
    /// `WRONGTYPE` on anything but a hash), with optional write-back on a
    /// miss and sliding expiry on a hit.
    HashRead(HashReadSpec),
    /// `HSET key f0 v0 f1 v1 ...` of every field, then `PEXPIRE key ttl`
    /// when `ttl_ms` > 0 (a follow-up: HSET keeps the TTL a key has).
    HashSet { fields: HashFields, ttl_ms: u64 },
}

impl Cmd {
    /// Whether Redis flags the (first) command DENYOOM, i.e. refuses it when
    /// eviction cannot bring memory under `maxmemory`.
    pub fn denyoom(&self) -> bool {
        match self {
            Cmd::Set { .. }
            | Cmd::IncrBy { .. }
            | Cmd::IncrWindow { .. }
            | Cmd::Append { .. }
            | Cmd::HashSet { .. } => true,
            Cmd::Grow { bytes, .. } => *bytes > 0,
            Cmd::Read(_)
            | Cmd::HashRead(_)
            | Cmd::Pop { .. }
            | Cmd::Del
            | Cmd::GetDel
            | Cmd::Expire { .. }
            | Cmd::Persist
            | Cmd::Peek
            | Cmd::Ran { .. } => false,
        }
    }

    /// Whether the command is counted as a read of the key (its outcome is a
    /// hit or a miss).
    pub fn is_read(&self) -> bool {
        matches!(
            self,
            Cmd::Read(_)
                | Cmd::HashRead(_)
                | Cmd::GetDel
                | Cmd::IncrBy { .. }
                | Cmd::IncrWindow { .. }
                | Cmd::Pop { .. }
        )
    }
}

/// One operation at a simulated time, on one interned key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Op {
    /// Simulated time in milliseconds since the start of the run.
    pub t_ms: u64,
    /// The interned key. A key id names one key in one database: sources
    /// intern (database, name) pairs, and the model relies on it.
    pub key: KeyId,
    /// Length of the key's name in bytes (for its memory cost).
    pub key_len: u16,
    /// The logical database (`SELECT n`).
    pub db: u8,
    /// The key's class (index into the scenario's classes).
    pub class: ClassId,
    /// What to do.
    pub cmd: Cmd,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_lengths() {
        assert_eq!(decimal_len(0), 1);
        assert_eq!(decimal_len(9), 1);
        assert_eq!(decimal_len(10), 2);
        assert_eq!(decimal_len(-1), 2);
        assert_eq!(decimal_len(i64::MIN), 20);
        assert_eq!(decimal_len(i64::MAX), 19);
    }

    /// The model replays millions of ops a second from arrays of them: a
    /// new command must not make every op bigger.
    #[test]
    fn an_op_stays_56_bytes() {
        assert_eq!(std::mem::size_of::<Op>(), 56);
    }

    #[test]
    fn hash_fields_have_fixed_width_names_and_choose_their_encoding() {
        let h = HashFields::new(4, 50);
        assert_eq!((h.field_len, h.bytes(), h.agg()), (2, 208, Agg::Hash));
        let h = HashFields::new(11, 10);
        assert_eq!(h.field_len, 3, "f00..f10");
        assert_eq!(HashFields::new(1, 65).agg(), Agg::WideHash);
        assert_eq!(HashFields::new(0, 5).n, 1);
        assert!(Cmd::HashSet {
            fields: h,
            ttl_ms: 0
        }
        .denyoom());
        assert!(!Cmd::HashRead(HashReadSpec::default()).denyoom());
        assert!(Cmd::HashRead(HashReadSpec::default()).is_read());
    }

    #[test]
    fn denyoom_follows_redis_flags() {
        let set = Cmd::Set {
            value: Value::bytes(3),
            ttl_ms: 0,
            cond: SetCond::Always,
            keep_ttl: false,
        };
        assert!(set.denyoom());
        assert!(Cmd::IncrBy { delta: 1 }.denyoom());
        assert!(Cmd::Append { len: 1 }.denyoom());
        assert!(Cmd::Grow {
            bytes: 10,
            elems: 1,
            kind: Agg::List
        }
        .denyoom());
        assert!(!Cmd::Grow {
            bytes: -10,
            elems: -1,
            kind: Agg::List
        }
        .denyoom());
        assert!(!Cmd::Pop { elems: 1 }.denyoom());
        assert!(Cmd::Pop { elems: 1 }.is_read());
        assert!(!Cmd::Read(ReadSpec::default()).denyoom());
        assert!(!Cmd::Del.denyoom());
        assert!(!Cmd::Expire { ttl_ms: 5 }.denyoom());
        assert!(!Cmd::Persist.denyoom());
        assert!(!Cmd::GetDel.denyoom());
    }
}
