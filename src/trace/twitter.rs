//! Twitter's cache-trace format (twitter/cache-trace, memcached clusters):
//! one request per line, no header.
//!
//! ```text
//! 0,yDqF:vS:GKA9AK1xJxJ9nKA991,26,27,18,add,86400
//! ```
//!
//! Columns: `timestamp,key,key_size,value_size,client_id,operation,ttl`.
//! The timestamp is in seconds; times are made relative to the first line.
//! Keys in the public traces are anonymised, so `key_size` (not the
//! anonymised name) is the key's length; the key may hold commas (the other
//! columns are found from both ends). `ttl` is in seconds, 0 = none.
//! An empty `key_size`, `value_size`, `client_id` or `ttl` means 0 (none).
//!
//! - `get`, `gets` → read (with read-through, a miss fills `value_size`, or
//!   the key's last known size when the trace logged 0);
//! - `set`, `cas` → `SET`; `add` → `SET NX`; `replace` → `SET XX`
//!   (`cas` succeeds only on an existing key, so it is `SET XX` too);
//! - `append`, `prepend` → `APPEND value_size`;
//! - `delete` → `DEL`;
//! - `incr` → `INCRBY 1`, `decr` → `INCRBY -1` (the trace holds no delta);
//! - anything else is counted as an unknown command (with `--strict`, an
//!   error naming the line).

use super::fields::{parse_u64, show, trim, u32_or_zero, u64_or_zero};
use super::sink::{malformed, unknown_op, Sink, Skip};
use crate::op::{Cmd, SetCond, Value};

/// The operations the format knows.
const OPS: &[&str] = &[
    "get", "gets", "set", "add", "replace", "cas", "append", "prepend", "delete", "incr", "decr",
];

/// Parses Twitter cache-trace lines.
#[derive(Default)]
pub(crate) struct TwitterParser;

impl TwitterParser {
    /// Parses one line, queueing its operation.
    pub(crate) fn parse(&mut self, line: &[u8], sink: &mut Sink) -> Result<(), Skip> {
        let Some(first) = line.iter().position(|&b| b == b',') else {
            return Err(malformed("expected 7 comma-separated fields"));
        };
        let mut tail = [&[][..]; 5];
        let mut rest = &line[first + 1..];
        for slot in tail.iter_mut().rev() {
            let Some(p) = rest.iter().rposition(|&b| b == b',') else {
                return Err(malformed("expected 7 comma-separated fields"));
            };
            *slot = &rest[p + 1..];
            rest = &rest[..p];
        }
        let key = rest;
        let [key_size, value_size, _client, op, ttl] = tail;
        let ts = parse_u64(&line[..first], "timestamp")?;
        let key_size = u64_or_zero(key_size, "key_size")?;
        let value_size = u32_or_zero(value_size, "value_size")?;
        let ttl_s = u64_or_zero(ttl, "ttl")?;
        if key.is_empty() {
            return Err(malformed("empty key"));
        }
        let set = |cond| Cmd::Set {
            value: Value::bytes(value_size),
            ttl_ms: ttl_s.saturating_mul(1000),
            cond,
            keep_ttl: false,
        };
        let op = trim(op).to_ascii_lowercase();
        let cmd = match &op[..] {
            b"get" | b"gets" => None,
            b"set" => Some(set(SetCond::Always)),
            b"add" => Some(set(SetCond::IfAbsent)),
            b"replace" | b"cas" => Some(set(SetCond::IfPresent)),
            b"append" | b"prepend" => Some(Cmd::Append { len: value_size }),
            b"delete" => Some(Cmd::Del),
            b"incr" => Some(Cmd::IncrBy { delta: 1 }),
            b"decr" => Some(Cmd::IncrBy { delta: -1 }),
            b"" => return Err(malformed(format!("empty operation in '{}'", show(line)))),
            _ if sink.strict() => return Err(malformed(unknown_op(&op, OPS))),
            _ => {
                sink.unknown(&op);
                return Ok(());
            }
        };
        let t = sink.time_us(ts.saturating_mul(1_000_000));
        let id = sink.key(
            0,
            key,
            Some(if key_size > 0 {
                key_size
            } else {
                key.len() as u64
            }),
        )?;
        let cmd = match cmd {
            Some(c) => c,
            None => sink.read(id, Some(value_size)),
        };
        if matches!(cmd, Cmd::Read(_) | Cmd::Set { .. }) {
            sink.note_len(id, value_size);
        }
        sink.push(t, id, cmd);
        Ok(())
    }
}
