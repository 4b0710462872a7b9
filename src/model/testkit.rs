//! Helpers for the model's unit tests: operations built by hand, and
//! keyspaces filled directly for the policies' own tests.

use super::keyspace::{Entry, Keyspace, ValueKind, NONE};
use super::policy::PickEnv;
use super::MemoryModel;
use crate::op::{Cmd, KeyId, Op, ReadSpec, SetCond, Value};
use rand::rngs::SmallRng;

/// A SET of `len` bytes (TTL in ms, 0 for none) on key `key` at `t`.
pub fn set(t: u64, key: u32, len: u32, ttl_ms: u64) -> Op {
    op(
        t,
        key,
        Cmd::Set {
            value: Value::bytes(len),
            ttl_ms,
            cond: SetCond::Always,
            keep_ttl: false,
        },
    )
}

/// A plain GET.
pub fn get(t: u64, key: u32) -> Op {
    op(t, key, Cmd::Read(ReadSpec::default()))
}

/// Any command on key `key` (12-byte name, DB 0, class 0).
pub fn op(t: u64, key: u32, cmd: Cmd) -> Op {
    Op {
        t_ms: t,
        key,
        key_len: 12,
        db: 0,
        class: 0,
        cmd,
    }
}

/// A 10-byte string key with this `lru` field and expiry (absolute ms, 0
/// for no TTL), as the keyspace stores it.
pub fn entry(key: KeyId, lru: u32, expire_at: u64) -> Entry {
    Entry {
        key,
        lru,
        expire_at,
        last_access_ms: 0,
        int_value: 0,
        mem: 0,
        ttl_cost: 0,
        len: 10,
        next: NONE,
        class: 0,
        kind: ValueKind::Str,
    }
}

/// A keyspace of `dbs` databases (raw memory model, no `maxmemory`)
/// holding `keys`, each given as (database, entry).
pub fn keyspace(dbs: u8, keys: &[(u8, Entry)]) -> Keyspace {
    let mut ks = Keyspace::new(dbs, MemoryModel::Raw, Default::default(), 0, 0, 7);
    for &(db, e) in keys {
        ks.insert(db, e);
    }
    ks
}

/// What a policy reads when it picks: `samples` keys per database, both
/// clocks at 0 and an LFU decay of one per minute (tests move the clocks).
pub fn pick_env(rng: &mut SmallRng, samples: u32) -> PickEnv<'_> {
    PickEnv {
        rng,
        samples,
        lru_clock: 0,
        lfu_minutes: 0,
        lfu_decay_time: 1,
        trace: None,
    }
}
