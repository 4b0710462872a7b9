//! `redis-cli monitor` captures (Redis 7): every command the server ran, with
//! its time, database and client, arguments quoted.
//!
//! ```text
//! OK
//! 1732590000.123456 [0 127.0.0.1:52344] "SET" "session:9" "{\"u\":7}" "EX" "1800"
//! 1732590000.130001 [0 unix:/run/redis.sock] "GET" "session:9"
//! 1732590000.131210 [0 lua] "INCR" "rate:7"
//! ```
//!
//! Arguments carry Redis's escapes (`\"`, `\\`, `\n`, `\r`, `\t`, `\a`, `\b`,
//! `\xHH`); value sizes are the unescaped lengths, and a value that is a
//! 64-bit integer is int-encoded as Redis stores it. Times are relative to
//! the first line; `EXPIREAT`-style absolute times are taken relative to the
//! line's own time. The leading `OK` is skipped.
//!
//! What each command becomes:
//! - `GET`, `MGET` (one read per key), `GETEX` (a read, then `PEXPIRE` or
//!   `PERSIST` if asked): reads that fill on a miss with read-through, using
//!   the last size the trace wrote to the key, else the default size;
//! - `SET` (`EX`/`PX`/`EXAT`/`PXAT`/`NX`/`XX`/`KEEPTTL`/`GET`), `SETEX`,
//!   `PSETEX`, `SETNX`, `MSET`, `MSETNX` (one `SET` per pair; all-or-nothing
//!   is not modelled), `GETSET` (a read, then a `SET`; so is `SET ... GET`);
//!   a `SET` whose absolute expiry is past gets a 1 ms TTL;
//! - `GETDEL`; `DEL`, `UNLINK` (one per key); `EXPIRE`, `PEXPIRE`,
//!   `EXPIREAT`, `PEXPIREAT` (`NX`/`XX`/`GT`/`LT` are ignored; a TTL at or
//!   below 0 deletes); `PERSIST`; `INCR`, `DECR`, `INCRBY`, `DECRBY`,
//!   `INCRBYFLOAT` (rounded to an integer delta); `APPEND`;
//! - `TTL`, `PTTL`, `EXISTS` (one per key), `TYPE`, `EXPIRETIME`,
//!   `PEXPIRETIME`: looks that do not touch the key;
//! - list, hash, set and sorted-set writes grow the key by the bytes of their
//!   element arguments (`LPUSH`, `RPUSH`, `LPUSHX`, `RPUSHX`, `LINSERT`,
//!   `SADD`, `HSET`, `HMSET`, `HSETNX`, `ZADD` by its members: the model
//!   adds a score as the server stores it), each
//!   counting its elements, and removals shrink it (`SREM`, `ZREM`, `LREM`
//!   by their arguments, `HDEL` by the key's last element size per field);
//! - pops (`LPOP`, `RPOP`, `SPOP`, `ZPOPMIN`, `ZPOPMAX` with their count,
//!   and the blocking forms) are reads of the aggregate that take elements
//!   of its average size: a pop that finds a queue evicted while it held
//!   jobs is a lost read. `RPOPLPUSH`, `LMOVE` and `SMOVE` take from one key
//!   and grow the other. `HINCRBY`, `HINCRBYFLOAT` and
//!   `ZINCRBY` grow a key the trace has not written before by their field,
//!   and only touch it after. These are estimates: the reader does not track
//!   fields, so rewriting an existing field counts its bytes again;
//! - their reads (`LRANGE`, `LINDEX`, `LLEN`, `SMEMBERS`, `SISMEMBER`,
//!   `ZRANGE`, `ZSCORE`...) and `STRLEN`, `GETRANGE`: reads that never
//!   fill; a hash's (`HGET`, `HMGET`, `HGETALL`, `HKEYS`, `HVALS`, `HLEN`,
//!   `HEXISTS`, `HSTRLEN`, `HRANDFIELD`) are a read of the whole hash
//!   (`HGETALL`, `WRONGTYPE` on a string) that never fills;
//! - anything else (`PING`, `INFO`, `CLIENT`, `MULTI`, `EXEC`, `EVAL`,
//!   `SELECT`...) is counted by name in the unknown commands. Commands a
//!   script runs appear on their own (`[0 lua]`) and are modelled.
//!
//! A well-formed line whose command Redis refuses (a bad TTL, a non-integer
//! increment, a wrong argument count) changes nothing and is counted as
//! rejected, never fatal.

use super::fields::show;
use super::sink::{malformed, Sink, Skip};
use crate::op::{Agg, Cmd, HashReadSpec, ReadSpec, SetCond, Value};

/// The unescaped arguments of one line, in one reused buffer.
#[derive(Default)]
struct Args {
    buf: Vec<u8>,
    ends: Vec<usize>,
}

impl Args {
    fn len(&self) -> usize {
        self.ends.len()
    }

    fn get(&self, i: usize) -> &[u8] {
        if i >= self.ends.len() {
            return &[];
        }
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.buf[start..self.ends[i]]
    }

    fn range_len(&self, from: usize) -> u64 {
        (from..self.len()).map(|i| self.get(i).len() as u64).sum()
    }
}

/// What one step of a command does to its key.
#[derive(Clone, Copy, Debug)]
enum Act {
    /// This command as is.
    Cmd(Cmd),
    /// A string read that fills with read-through.
    Read,
    /// A read that never fills.
    ReadNoFill,
    /// Grows an aggregate of `kind` by `bytes` added in `elems` elements.
    Push { bytes: u64, elems: u64, kind: Agg },
    /// Pops `elems` elements (a read of the aggregate).
    Pop { elems: u64 },
    /// Removes `elems` fields of the key's last known element size.
    RemoveFields { elems: u64 },
    /// Removes `elems` elements of `bytes` in all.
    Remove { bytes: u64, elems: u64 },
    /// Grows an aggregate by one element of the key at argument `from`.
    MoveIn { from: usize },
    /// Grows by `bytes` a key of `kind` the trace has not written before;
    /// else touches it.
    IncrField { bytes: u64, kind: Agg },
}

/// One operation of a command: its key's argument index and what it does.
#[derive(Clone, Copy, Debug)]
struct Step {
    key: usize,
    act: Act,
}

/// Parses MONITOR lines.
#[derive(Default)]
pub(crate) struct MonitorParser {
    args: Args,
    plan: Vec<Step>,
    /// The command names seen so far (`CLIENT|SETNAME` for a
    /// subcommand), each a latency histogram on the server.
    names: Names,
}

/// The distinct command names of a capture, up to 256 (the model counts
/// a histogram for each; past 256 names, none more).
#[derive(Default)]
struct Names {
    /// Each name, upper case, at most [`NAME_MAX`] bytes, with its length.
    seen: Vec<([u8; NAME_MAX], u8)>,
}

/// The longest command name (with its subcommand) the table tells apart;
/// longer ones are cut there.
const NAME_MAX: usize = 40;

/// Commands whose subcommands Redis 7.0 tracks apart (each
/// `CLIENT|SETNAME`, `CONFIG|GET` has its own latency histogram:
/// `call()` updates `c->realcmd`'s).
const CONTAINERS: [&[u8]; 16] = [
    b"ACL",
    b"CLIENT",
    b"CLUSTER",
    b"COMMAND",
    b"CONFIG",
    b"FUNCTION",
    b"LATENCY",
    b"MEMORY",
    b"MODULE",
    b"OBJECT",
    b"PUBSUB",
    b"SCRIPT",
    b"SLOWLOG",
    b"XGROUP",
    b"XINFO",
    b"DEBUG",
];

impl Names {
    /// The number of `name` (upper case) with subcommand `sub`, if it is
    /// new and there is room: its first call.
    fn first_call(&mut self, name: &[u8], sub: Option<&[u8]>) -> Option<u8> {
        if self.seen.len() > usize::from(u8::MAX) {
            return None; // full: no name is new any more
        }
        let mut key = [0u8; NAME_MAX];
        let mut len = 0;
        let sub = sub.filter(|_| CONTAINERS.contains(&name));
        for &b in name
            .iter()
            .chain(sub.map_or(&[][..], |_| b"|"))
            .chain(sub.unwrap_or(&[]))
            .take(NAME_MAX)
        {
            key[len] = b.to_ascii_uppercase();
            len += 1;
        }
        let entry = (key, len as u8);
        if self.seen.contains(&entry) {
            return None;
        }
        let n = u8::try_from(self.seen.len()).ok()?;
        self.seen.push(entry);
        Some(n)
    }
}

impl MonitorParser {
    /// Parses one line, queueing its operations.
    pub(crate) fn parse(&mut self, line: &[u8], sink: &mut Sink) -> Result<(), Skip> {
        if line == b"OK" {
            return Ok(());
        }
        let (us, db) = split_line(line, &mut self.args)?;
        let name = self.args.get(0);
        let mut upper = [0u8; 24];
        let Some(up) = upper.get_mut(..name.len()) else {
            sink.unknown(name);
            return Ok(());
        };
        up.copy_from_slice(name);
        up.make_ascii_uppercase();
        self.plan.clear();
        let known = plan(up, &self.args, us / 1000, &mut self.plan)?;
        // MONITOR shows the commands that ran: each name's first call
        // allocates its latency histogram, after the command.
        let sub = (self.args.len() > 1).then(|| self.args.get(1));
        let first = self.names.first_call(up, sub);
        if !known {
            sink.unknown(up);
            if let Some(n) = first {
                sink.push_name(n);
            }
            return Ok(());
        }
        let t = sink.time_us(us);
        for step in &self.plan {
            let id = sink.key(db, self.args.get(step.key), None)?;
            let cmd = match step.act {
                Act::Cmd(c) => c,
                Act::Read => sink.read(id, None),
                Act::ReadNoFill => Cmd::Read(ReadSpec::default()),
                Act::Push { bytes, elems, kind } => {
                    sink.note_len(id, clamp_u32(bytes / elems.max(1)));
                    Cmd::Grow {
                        bytes: clamp_i64(bytes.max(1)),
                        elems: clamp_i32(elems),
                        kind,
                    }
                }
                Act::Pop { elems } => Cmd::Pop {
                    elems: clamp_u32(elems),
                },
                Act::RemoveFields { elems } => Cmd::Grow {
                    bytes: -clamp_i64(elems.saturating_mul(sink.value_len(id) as u64)),
                    elems: -clamp_i32(elems),
                    kind: Agg::Hash,
                },
                Act::Remove { bytes, elems } => Cmd::Grow {
                    bytes: -clamp_i64(bytes),
                    elems: -clamp_i32(elems),
                    kind: Agg::List,
                },
                Act::MoveIn { from } => {
                    let src = sink.key(db, self.args.get(from), None)?;
                    let n = sink.value_len(src);
                    sink.note_len(id, n);
                    Cmd::Grow {
                        bytes: (n as i64).max(1),
                        elems: 1,
                        kind: Agg::List,
                    }
                }
                Act::IncrField { bytes, kind } => {
                    let new = !sink.written(id);
                    Cmd::Grow {
                        bytes: if new { clamp_i64(bytes) } else { 0 },
                        elems: i32::from(new),
                        kind,
                    }
                }
            };
            if let Cmd::Set { value, .. } = cmd {
                sink.note_len(id, value.len);
            }
            sink.push(t, id, cmd);
        }
        if let Some(n) = first {
            sink.push_name(n);
        }
        Ok(())
    }
}

fn clamp_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// A hash write's kind: [`Agg::WideHash`] when a field or value from
/// argument `from` on is over 64 bytes (`hash-max-listpack-value`).
fn hash_kind(a: &Args, from: usize) -> Agg {
    if (from..a.len()).any(|i| a.get(i).len() > 64) {
        Agg::WideHash
    } else {
        Agg::Hash
    }
}

/// A set write's kind: [`Agg::IntSet`] when every member from argument
/// `from` on reads as an integer (`string2ll`), which an intset can hold.
fn set_kind(a: &Args, from: usize) -> Agg {
    if (from..a.len()).all(|i| redis_int(a.get(i)).is_some()) {
        Agg::IntSet
    } else {
        Agg::Set
    }
}

fn clamp_i32(v: u64) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

fn clamp_u32(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// Splits a line into its time (µs since the Unix epoch), database and
/// unescaped arguments.
fn split_line(line: &[u8], args: &mut Args) -> Result<(u64, u8), Skip> {
    let not_monitor = || malformed(format!("not a MONITOR line: '{}'", show(line)));
    let sp = line
        .iter()
        .position(|&b| b == b' ')
        .ok_or_else(not_monitor)?;
    let us = timestamp_us(&line[..sp]).ok_or_else(not_monitor)?;
    let rest = line[sp + 1..].strip_prefix(b"[").ok_or_else(not_monitor)?;
    let db_end = rest
        .iter()
        .position(|&b| b == b' ')
        .ok_or_else(not_monitor)?;
    let db_text = &rest[..db_end];
    if db_text.is_empty() || db_text.len() > 3 || !db_text.iter().all(u8::is_ascii_digit) {
        return Err(not_monitor());
    }
    let db = db_text.iter().fold(0u32, |n, d| n * 10 + (d - b'0') as u32);
    let db = u8::try_from(db).map_err(|_| malformed(format!("database {db} is over 255")))?;
    let rest = &rest[db_end + 1..];
    let close = rest
        .windows(3)
        .position(|w| w == b"] \"")
        .ok_or_else(not_monitor)?;
    if close == 0 {
        return Err(not_monitor());
    }
    unquote_args(&rest[close + 2..], args)?;
    Ok((us, db))
}

/// `SECONDS.MICROS` as microseconds.
fn timestamp_us(ts: &[u8]) -> Option<u64> {
    let (secs, frac) = match ts.iter().position(|&b| b == b'.') {
        Some(d) => (&ts[..d], &ts[d + 1..]),
        None => (ts, &b""[..]),
    };
    if secs.is_empty() || secs.len() > 12 || frac.len() > 6 {
        return None;
    }
    if !secs.iter().chain(frac).all(u8::is_ascii_digit) {
        return None;
    }
    let num = |d: &[u8]| d.iter().fold(0u64, |n, c| n * 10 + (c - b'0') as u64);
    let micros = num(frac) * 10u64.pow(6 - frac.len() as u32);
    Some(num(secs) * 1_000_000 + micros)
}

/// Reads `"arg" "arg" ...` with Redis's `sdscatrepr` escapes undone.
fn unquote_args(p: &[u8], args: &mut Args) -> Result<(), Skip> {
    args.buf.clear();
    args.ends.clear();
    let mut i = 0;
    loop {
        if p.get(i) != Some(&b'"') {
            return Err(malformed(format!(
                "expected a quoted argument at column {}",
                i + 1
            )));
        }
        i += 1;
        loop {
            match p.get(i) {
                None => {
                    return Err(malformed(
                        "the line ends inside a quoted argument (a capture cut short?)",
                    ))
                }
                Some(b'"') => {
                    i += 1;
                    break;
                }
                Some(b'\\') => {
                    let b = match p.get(i + 1) {
                        None => {
                            return Err(malformed(
                                "the line ends inside an escape (a capture cut short?)",
                            ))
                        }
                        Some(b'n') => b'\n',
                        Some(b'r') => b'\r',
                        Some(b't') => b'\t',
                        Some(b'a') => 0x07,
                        Some(b'b') => 0x08,
                        Some(b'x') => {
                            let hex = |j: usize| p.get(j).and_then(|c| (*c as char).to_digit(16));
                            let (Some(h), Some(l)) = (hex(i + 2), hex(i + 3)) else {
                                return Err(malformed(if i + 4 > p.len() {
                                    format!(
                                        "the line ends inside a \\x escape at column {} \
                                         (a capture cut short?)",
                                        i + 1
                                    )
                                } else {
                                    format!(
                                        "bad \\x escape at column {}: \\x takes two hex digits",
                                        i + 1
                                    )
                                }));
                            };
                            args.buf.push((h * 16 + l) as u8);
                            i += 4;
                            continue;
                        }
                        Some(&c) => c,
                    };
                    args.buf.push(b);
                    i += 2;
                }
                Some(&c) => {
                    args.buf.push(c);
                    i += 1;
                }
            }
        }
        args.ends.push(args.buf.len());
        match p.get(i) {
            None => return Ok(()),
            Some(b' ') => {
                i += 1;
                if i == p.len() {
                    return Ok(());
                }
            }
            Some(_) => return Err(malformed("text after a closing quote")),
        }
    }
}

/// Redis's `string2ll`: a canonical decimal 64-bit integer (no `+`, no
/// spaces, no leading zeros, not `-0`).
fn redis_int(b: &[u8]) -> Option<i64> {
    if b.is_empty() || b.len() > 20 {
        return None;
    }
    if b == b"0" {
        return Some(0);
    }
    let (neg, digits) = match b[0] {
        b'-' => (true, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() || digits[0] == b'0' || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mag = digits.iter().try_fold(0u64, |n, &d| {
        n.checked_mul(10)?.checked_add((d - b'0') as u64)
    })?;
    if neg {
        0i64.checked_sub_unsigned(mag)
    } else {
        i64::try_from(mag).ok()
    }
}

/// A float argument (`INCRBYFLOAT`, scores); `inf` allowed only if `inf_ok`.
fn redis_float(b: &[u8], inf_ok: bool) -> Option<f64> {
    let s = std::str::from_utf8(b).ok()?;
    if s.is_empty() || s.starts_with(|c: char| c.is_whitespace()) {
        return None;
    }
    let v: f64 = s.parse().ok()?;
    (!v.is_nan() && (inf_ok || v.is_finite())).then_some(v)
}

/// The value a string argument stores: int-encoded when Redis would.
fn value_of(b: &[u8]) -> Value {
    match redis_int(b) {
        Some(v) => Value::integer(v),
        None => Value::bytes(clamp_u32(b.len() as u64)),
    }
}

fn int_arg(args: &Args, i: usize) -> Result<i64, Skip> {
    redis_int(args.get(i)).ok_or(Skip::Rejected)
}

fn arity(args: &Args, min: usize, max: usize) -> Result<(), Skip> {
    if (min..=max).contains(&args.len()) {
        Ok(())
    } else {
        Err(Skip::Rejected)
    }
}

/// A relative TTL in ms from a count of `unit_ms` (must be > 0).
fn positive_ttl(n: i64, unit_ms: u64) -> Result<u64, Skip> {
    if n <= 0 {
        return Err(Skip::Rejected);
    }
    (n as u64).checked_mul(unit_ms).ok_or(Skip::Rejected)
}

/// The TTL left from `now_ms` until the absolute time `n * unit_ms`
/// (0 when it is past).
fn ttl_until(n: i64, unit_ms: u64, now_ms: u64) -> Result<u64, Skip> {
    if n <= 0 {
        return Ok(0);
    }
    let at = (n as u64).checked_mul(unit_ms).ok_or(Skip::Rejected)?;
    Ok(at.saturating_sub(now_ms))
}

fn set(value: &[u8], ttl_ms: u64, cond: SetCond, keep_ttl: bool) -> Act {
    Act::Cmd(Cmd::Set {
        value: value_of(value),
        ttl_ms,
        cond,
        keep_ttl,
    })
}

/// Plans the steps of command `name` (upper case); false if the model does
/// not represent it.
fn plan(name: &[u8], a: &Args, now_ms: u64, out: &mut Vec<Step>) -> Result<bool, Skip> {
    let n = a.len();
    let mut step = |key: usize, act: Act| out.push(Step { key, act });
    match name {
        b"GET" => {
            arity(a, 2, 2)?;
            step(1, Act::Read);
        }
        b"SET" => {
            arity(a, 3, usize::MAX)?;
            let (mut cond, mut keep, mut get, mut ttl) = (SetCond::Always, false, false, None);
            let mut i = 3;
            while i < n {
                let opt = a.get(i).to_ascii_uppercase();
                match &opt[..] {
                    b"NX" | b"XX" if cond != SetCond::Always => return Err(Skip::Rejected),
                    b"NX" => cond = SetCond::IfAbsent,
                    b"XX" => cond = SetCond::IfPresent,
                    b"GET" => get = true,
                    b"KEEPTTL" if ttl.is_some() => return Err(Skip::Rejected),
                    b"KEEPTTL" => keep = true,
                    b"EX" | b"PX" | b"EXAT" | b"PXAT" if ttl.is_some() || keep || i + 1 >= n => {
                        return Err(Skip::Rejected)
                    }
                    b"EX" | b"PX" | b"EXAT" | b"PXAT" => {
                        let v = int_arg(a, i + 1)?;
                        let unit = if opt[0] == b'E' { 1000 } else { 1 };
                        let abs = positive_ttl(v, unit)?;
                        ttl = Some(if opt.len() == 2 {
                            abs
                        } else {
                            abs.saturating_sub(now_ms).max(1)
                        });
                        i += 1;
                    }
                    _ => return Err(Skip::Rejected),
                }
                i += 1;
            }
            if get {
                step(1, Act::ReadNoFill);
            }
            step(1, set(a.get(2), ttl.unwrap_or(0), cond, keep));
        }
        b"SETNX" => {
            arity(a, 3, 3)?;
            step(1, set(a.get(2), 0, SetCond::IfAbsent, false));
        }
        b"SETEX" | b"PSETEX" => {
            arity(a, 4, 4)?;
            let unit = if name[0] == b'S' { 1000 } else { 1 };
            let ttl = positive_ttl(int_arg(a, 2)?, unit)?;
            step(1, set(a.get(3), ttl, SetCond::Always, false));
        }
        b"MSET" | b"MSETNX" => {
            if n < 3 || n % 2 == 0 {
                return Err(Skip::Rejected);
            }
            let cond = if name.len() == 6 {
                SetCond::IfAbsent
            } else {
                SetCond::Always
            };
            for k in (1..n).step_by(2) {
                step(k, set(a.get(k + 1), 0, cond, false));
            }
        }
        b"MGET" => {
            arity(a, 2, usize::MAX)?;
            (1..n).for_each(|k| step(k, Act::Read));
        }
        b"GETSET" => {
            arity(a, 3, 3)?;
            step(1, Act::ReadNoFill);
            step(1, set(a.get(2), 0, SetCond::Always, false));
        }
        b"GETDEL" => {
            arity(a, 2, 2)?;
            step(1, Act::Cmd(Cmd::GetDel));
        }
        b"GETEX" => {
            arity(a, 2, 4)?;
            let opt = a.get(2).to_ascii_uppercase();
            let then = match (&opt[..], n) {
                (_, 2) => None,
                (b"PERSIST", 3) => Some(Cmd::Persist),
                (b"EX" | b"PX", 4) => {
                    let unit = if opt[0] == b'E' { 1000 } else { 1 };
                    Some(Cmd::Expire {
                        ttl_ms: positive_ttl(int_arg(a, 3)?, unit)?,
                    })
                }
                (b"EXAT" | b"PXAT", 4) => {
                    let unit = if opt[0] == b'E' { 1000 } else { 1 };
                    let v = int_arg(a, 3)?;
                    positive_ttl(v, unit)?;
                    Some(Cmd::Expire {
                        ttl_ms: ttl_until(v, unit, now_ms)?,
                    })
                }
                _ => return Err(Skip::Rejected),
            };
            step(1, Act::Read);
            if let Some(c) = then {
                step(1, Act::Cmd(c));
            }
        }
        b"DEL" | b"UNLINK" => {
            arity(a, 2, usize::MAX)?;
            (1..n).for_each(|k| step(k, Act::Cmd(Cmd::Del)));
        }
        b"EXPIRE" | b"PEXPIRE" | b"EXPIREAT" | b"PEXPIREAT" => {
            arity(a, 3, 4)?;
            if n == 4 {
                let opt = a.get(3).to_ascii_uppercase();
                if !matches!(&opt[..], b"NX" | b"XX" | b"GT" | b"LT") {
                    return Err(Skip::Rejected);
                }
            }
            let v = int_arg(a, 2)?;
            let unit = if name[0] == b'E' { 1000 } else { 1 };
            let ttl_ms = if name.ends_with(b"AT") {
                ttl_until(v, unit, now_ms)?
            } else if v <= 0 {
                0
            } else {
                positive_ttl(v, unit)?
            };
            step(1, Act::Cmd(Cmd::Expire { ttl_ms }));
        }
        b"PERSIST" => {
            arity(a, 2, 2)?;
            step(1, Act::Cmd(Cmd::Persist));
        }
        b"INCR" | b"DECR" => {
            arity(a, 2, 2)?;
            let delta = if name[0] == b'I' { 1 } else { -1 };
            step(1, Act::Cmd(Cmd::IncrBy { delta }));
        }
        b"INCRBY" | b"DECRBY" => {
            arity(a, 3, 3)?;
            let v = int_arg(a, 2)?;
            let delta = if name[0] == b'I' {
                v
            } else {
                v.checked_neg().ok_or(Skip::Rejected)?
            };
            step(1, Act::Cmd(Cmd::IncrBy { delta }));
        }
        b"INCRBYFLOAT" => {
            arity(a, 3, 3)?;
            let f = redis_float(a.get(2), false).ok_or(Skip::Rejected)?;
            step(
                1,
                Act::Cmd(Cmd::IncrBy {
                    delta: f.round() as i64,
                }),
            );
        }
        b"APPEND" => {
            arity(a, 3, 3)?;
            let len = clamp_u32(a.get(2).len() as u64);
            step(1, Act::Cmd(Cmd::Append { len }));
        }
        b"STRLEN" | b"GETRANGE" | b"SUBSTR" => {
            arity(a, 2, usize::MAX)?;
            step(1, Act::ReadNoFill);
        }
        b"TTL" | b"PTTL" | b"TYPE" | b"EXPIRETIME" | b"PEXPIRETIME" => {
            arity(a, 2, 2)?;
            step(1, Act::Cmd(Cmd::Peek));
        }
        b"EXISTS" => {
            arity(a, 2, usize::MAX)?;
            (1..n).for_each(|k| step(k, Act::Cmd(Cmd::Peek)));
        }
        b"LPUSH" | b"RPUSH" | b"LPUSHX" | b"RPUSHX" | b"SADD" => {
            arity(a, 3, usize::MAX)?;
            let elems = (n - 2) as u64;
            step(
                1,
                Act::Push {
                    bytes: a.range_len(2),
                    elems,
                    kind: if name == b"SADD" {
                        set_kind(a, 2)
                    } else {
                        Agg::List
                    },
                },
            );
        }
        b"LINSERT" => {
            arity(a, 5, 5)?;
            let bytes = a.get(4).len() as u64;
            step(
                1,
                Act::Push {
                    bytes,
                    elems: 1,
                    kind: Agg::List,
                },
            );
        }
        b"HSET" | b"HMSET" => {
            if n < 4 || n % 2 != 0 {
                return Err(Skip::Rejected);
            }
            let elems = ((n - 2) / 2) as u64;
            step(
                1,
                Act::Push {
                    bytes: a.range_len(2),
                    elems,
                    kind: hash_kind(a, 2),
                },
            );
        }
        b"HSETNX" => {
            arity(a, 4, 4)?;
            let bytes = a.range_len(2);
            step(
                1,
                Act::Push {
                    bytes,
                    elems: 1,
                    kind: hash_kind(a, 2),
                },
            );
        }
        b"ZADD" => {
            arity(a, 4, usize::MAX)?;
            let mut i = 2;
            let mut incr = false;
            while i < n {
                match &a.get(i).to_ascii_uppercase()[..] {
                    b"NX" | b"XX" | b"GT" | b"LT" | b"CH" => {}
                    b"INCR" => incr = true,
                    _ => break,
                }
                i += 1;
            }
            let pairs = n - i;
            if pairs == 0 || pairs % 2 != 0 || (incr && pairs != 2) {
                return Err(Skip::Rejected);
            }
            let mut bytes = 0u64;
            for k in (i..n).step_by(2) {
                redis_float(a.get(k), true).ok_or(Skip::Rejected)?;
                // The member; the model adds the score as the sorted set
                // stores it.
                bytes += a.get(k + 1).len() as u64;
            }
            let elems = (pairs / 2) as u64;
            step(
                1,
                if incr {
                    Act::IncrField {
                        bytes,
                        kind: Agg::Zset,
                    }
                } else {
                    Act::Push {
                        bytes,
                        elems,
                        kind: Agg::Zset,
                    }
                },
            );
        }
        b"HINCRBY" => {
            arity(a, 4, 4)?;
            int_arg(a, 3)?;
            let bytes = a.range_len(2);
            let kind = hash_kind(a, 2);
            step(1, Act::IncrField { bytes, kind });
        }
        b"HINCRBYFLOAT" => {
            arity(a, 4, 4)?;
            redis_float(a.get(3), false).ok_or(Skip::Rejected)?;
            let bytes = a.range_len(2);
            let kind = hash_kind(a, 2);
            step(1, Act::IncrField { bytes, kind });
        }
        b"ZINCRBY" => {
            arity(a, 4, 4)?;
            redis_float(a.get(2), false).ok_or(Skip::Rejected)?;
            let bytes = a.get(3).len() as u64;
            step(
                1,
                Act::IncrField {
                    bytes,
                    kind: Agg::Zset,
                },
            );
        }
        b"LPOP" | b"RPOP" | b"SPOP" | b"ZPOPMIN" | b"ZPOPMAX" => {
            arity(a, 2, 3)?;
            let elems = if n == 3 {
                u64::try_from(int_arg(a, 2)?).map_err(|_| Skip::Rejected)?
            } else {
                1
            };
            if elems > 0 {
                step(1, Act::Pop { elems });
            }
        }
        b"BLPOP" | b"BRPOP" | b"BZPOPMIN" | b"BZPOPMAX" => {
            arity(a, 3, usize::MAX)?;
            step(1, Act::Pop { elems: 1 });
        }
        b"RPOPLPUSH" | b"LMOVE" | b"BRPOPLPUSH" | b"BLMOVE" => {
            let want = match name {
                b"RPOPLPUSH" => 3,
                b"BRPOPLPUSH" => 4,
                b"LMOVE" => 5,
                _ => 6,
            };
            arity(a, want, want)?;
            step(2, Act::MoveIn { from: 1 });
            step(1, Act::Pop { elems: 1 });
        }
        b"SMOVE" => {
            arity(a, 4, 4)?;
            let bytes = a.get(3).len() as u64;
            step(1, Act::Remove { bytes, elems: 1 });
            step(
                2,
                Act::Push {
                    bytes,
                    elems: 1,
                    kind: set_kind(a, 3),
                },
            );
        }
        b"LREM" => {
            arity(a, 4, 4)?;
            int_arg(a, 2)?;
            let bytes = a.get(3).len() as u64;
            step(1, Act::Remove { bytes, elems: 1 });
        }
        b"SREM" => {
            arity(a, 3, usize::MAX)?;
            step(
                1,
                Act::Remove {
                    bytes: a.range_len(2),
                    elems: (n - 2) as u64,
                },
            );
        }
        b"ZREM" => {
            arity(a, 3, usize::MAX)?;
            // Members only, as ZADD counts them (the model holds the scores).
            let bytes = a.range_len(2);
            let elems = (n - 2) as u64;
            step(1, Act::Remove { bytes, elems });
        }
        b"HDEL" => {
            arity(a, 3, usize::MAX)?;
            step(
                1,
                Act::RemoveFields {
                    elems: (n - 2) as u64,
                },
            );
        }
        b"HGET" | b"HMGET" | b"HGETALL" | b"HKEYS" | b"HVALS" | b"HLEN" | b"HEXISTS"
        | b"HSTRLEN" | b"HRANDFIELD" => {
            arity(a, 2, usize::MAX)?;
            step(1, Act::Cmd(Cmd::HashRead(HashReadSpec::default())));
        }
        b"LRANGE" | b"LINDEX" | b"LLEN" | b"LPOS" | b"SMEMBERS" | b"SISMEMBER" | b"SMISMEMBER"
        | b"SCARD" | b"SRANDMEMBER" | b"ZRANGE" | b"ZRANGEBYSCORE" | b"ZRANGEBYLEX"
        | b"ZREVRANGE" | b"ZREVRANGEBYSCORE" | b"ZREVRANGEBYLEX" | b"ZSCORE" | b"ZMSCORE"
        | b"ZCARD" | b"ZRANK" | b"ZREVRANK" | b"ZCOUNT" | b"ZLEXCOUNT" | b"ZRANDMEMBER" => {
            arity(a, 2, usize::MAX)?;
            step(1, Act::ReadNoFill);
        }
        b"SINTER" | b"SUNION" | b"SDIFF" => {
            arity(a, 2, usize::MAX)?;
            (1..n).for_each(|k| step(k, Act::ReadNoFill));
        }
        _ => return Ok(false),
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Result<(u64, u8, Vec<Vec<u8>>), Skip> {
        let mut a = Args::default();
        let (us, db) = split_line(line.as_bytes(), &mut a)?;
        Ok((us, db, (0..a.len()).map(|i| a.get(i).to_vec()).collect()))
    }

    #[test]
    fn each_command_name_and_tracked_subcommand_counts_once() {
        let mut n = Names::default();
        assert_eq!(n.first_call(b"GET", Some(b"k")), Some(0));
        assert_eq!(
            n.first_call(b"GET", Some(b"other")),
            None,
            "a key is no subcommand"
        );
        assert_eq!(n.first_call(b"get", None), None, "names are upper case");
        assert_eq!(n.first_call(b"CLIENT", Some(b"setname")), Some(1));
        assert_eq!(n.first_call(b"CLIENT", Some(b"SETNAME")), None);
        assert_eq!(n.first_call(b"CLIENT", Some(b"LIST")), Some(2));
        assert_eq!(n.first_call(b"CLIENT", None), Some(3));
        assert_eq!(n.first_call(b"INFO", Some(b"memory")), Some(4));
        for i in 5..=255u32 {
            let name = format!("X{i}");
            assert_eq!(n.first_call(name.as_bytes(), None), Some(i as u8));
        }
        assert_eq!(
            n.first_call(b"ONE-TOO-MANY", None),
            None,
            "256 names at most"
        );
    }

    #[test]
    fn a_capture_names_each_command_after_its_first_call() {
        use crate::trace::{TraceFormat, TraceOptions, TraceReader};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.log");
        std::fs::write(
            &path,
            "OK\n\
             1.0 [0 127.0.0.1:1] \"INFO\" \"memory\"\n\
             1.1 [0 127.0.0.1:1] \"SET\" \"a\" \"1\"\n\
             1.2 [0 127.0.0.1:1] \"MSET\" \"b\" \"2\" \"c\" \"3\"\n\
             1.3 [0 127.0.0.1:1] \"SET\" \"d\" \"4\"\n\
             1.4 [0 127.0.0.1:1] \"CLIENT\" \"SETNAME\" \"w\"\n",
        )
        .unwrap();
        let opts = TraceOptions::new(TraceFormat::Monitor);
        let ops: Vec<crate::op::Op> = TraceReader::open(&path, opts).unwrap().collect();
        let shown: Vec<String> = ops
            .iter()
            .map(|o| match o.cmd {
                Cmd::Ran { name } => format!("name {name}"),
                Cmd::Set { .. } => format!("SET {}", o.key),
                c => format!("{c:?}"),
            })
            .collect();
        // INFO runs no model command; MSET is two SETs, then its name.
        assert_eq!(
            shown,
            ["name 0", "SET 0", "name 1", "SET 1", "SET 2", "name 2", "SET 3", "name 3"]
        );
    }

    #[test]
    fn splits_lines_and_undoes_escapes() {
        let (us, db, a) =
            args(r#"1732590000.123456 [3 127.0.0.1:52344] "SET" "k" "a\"b\\c\n\r\t\a\b\x00\xFF" "EX" "1""#)
                .unwrap();
        assert_eq!(us, 1_732_590_000_123_456);
        assert_eq!(db, 3);
        assert_eq!(a[0], b"SET");
        assert_eq!(a[2], b"a\"b\\c\n\r\t\x07\x08\x00\xff");
        assert_eq!(a.len(), 5);
        let (_, _, a) = args(r#"1.5 [0 unix:/tmp/a b] c.sock] "GET" "x y""#).unwrap();
        assert_eq!(a, [b"GET".to_vec(), b"x y".to_vec()]);
        let (us, _, a) = args(r#"7 [0 lua] "PING""#).unwrap();
        assert_eq!((us, a.len()), (7_000_000, 1));
        let (_, _, a) = args(r#"1.000001 [0 lua] """#).unwrap();
        assert_eq!(a, [Vec::<u8>::new()]);
    }

    #[test]
    fn rejects_broken_lines() {
        for l in [
            "",
            "garbage",
            r#"1.2 [0 lua "GET" "k""#,
            r#"1.2 [x lua] "GET" "k""#,
            r#"1.2 [256 lua] "GET" "k""#,
            r#"1.2 [0 lua] "GET" "k"#,
            r#"1.2 [0 lua] "GET""k""#,
            r#"1.2 [0 lua] GET"#,
            r#"1.2 [0 lua] "GET" "\x4""#,
            r#"1.2 [0 lua] "GET" "\"#,
            r#"1.2345678 [0 lua] "GET" "k""#,
            r#"-1 [0 lua] "GET" "k""#,
            r#"1.2 [0 ] "GET" "k""#,
        ] {
            assert!(matches!(args(l), Err(Skip::Malformed(_))), "{l:?}");
        }
    }

    #[test]
    fn a_set_write_of_integers_only_is_an_intset_write() {
        let kind = |l: &str| {
            let (_, _, a) = args(l).unwrap();
            let mut parsed = Args::default();
            for x in &a {
                parsed.buf.extend_from_slice(x);
                parsed.ends.push(parsed.buf.len());
            }
            set_kind(&parsed, 2)
        };
        assert_eq!(kind(r#"1 [0 lua] "SADD" "s" "42" "-7""#), Agg::IntSet);
        assert_eq!(kind(r#"1 [0 lua] "SADD" "s" "42" "x""#), Agg::Set);
        assert_eq!(kind(r#"1 [0 lua] "SADD" "s" "042""#), Agg::Set);
    }

    #[test]
    fn integers_follow_string2ll() {
        assert_eq!(redis_int(b"123"), Some(123));
        assert_eq!(redis_int(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(redis_int(b"0"), Some(0));
        for bad in [
            "",
            "-0",
            "012",
            "+1",
            " 1",
            "1 ",
            "9223372036854775808",
            "1.0",
            "-",
        ] {
            assert_eq!(redis_int(bad.as_bytes()), None, "{bad:?}");
        }
        assert_eq!(value_of(b"42"), Value::integer(42));
        assert_eq!(value_of(b"042"), Value::bytes(3));
        assert_eq!(redis_float(b"1.5", false), Some(1.5));
        assert_eq!(redis_float(b"inf", false), None);
        assert!(redis_float(b"-inf", true).is_some());
        assert_eq!(redis_float(b"nan", true), None);
    }
}
