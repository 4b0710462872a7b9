//! Helpers for the model's unit tests: operations built by hand.

use crate::op::{Cmd, Op, ReadSpec, SetCond, Value};

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
