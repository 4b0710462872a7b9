//! evictsim's own trace format: one operation per CSV line, exactly what the
//! model replays, so any scenario can be written out ([`CsvWriter`]) and read
//! back to the same operations.
//!
//! ```text
//! t_ms,op,key,value_bytes,ttl_ms,db,slide_ms
//! 0,SET,session:9,512,1800000,0,
//! 15,GET,session:9,,,0,
//! 20,GET,page:/home,2048,60000,0,
//! 31,SET NX,lock:job:7,1,30000,0,
//! 40,INCRBY,counter:hits,5,,0,
//! 41,GROW,queue:mail,120,,0,
//! ```
//!
//! The header is required: its first five columns are
//! `t_ms,op,key,value_bytes,ttl_ms` in that order; `db` and `slide_ms` may
//! follow in either order. Lines starting with `#` are comments. Fields use
//! RFC 4180 quoting (`"a,""b"""`); trailing empty fields may be left out.
//!
//! - `t_ms`: simulated time in ms since the start of the run (not shifted to
//!   the first line, so a written scenario replays at the same times).
//! - `key`: the key's name; its class comes from the class rules.
//! - `value_bytes`: a size in bytes, or `int:N` for a value that is the
//!   64-bit integer N (Redis stores it int-encoded).
//! - `ttl_ms`: a TTL in ms.
//! - `db`: the database, 0..=255 (empty: 0).
//! - `slide_ms`: for `GET`, refresh the TTL to this on a hit.
//!
//! **0 means none** wherever a field adds something optional, as a person
//! filling a spreadsheet means it: a `GET` with `value_bytes` 0 does not
//! fill, an `INCR` with `ttl_ms` 0 opens no window. Where Redis itself
//! gives 0 a meaning, it keeps it: `EXPIRE` 0 deletes the key, `SETEX` 0 is
//! refused ("invalid expire time"), `SET` with `value_bytes` 0 stores an
//! empty string. A column an op does not use must be empty or 0; any other
//! value is a malformed line, never silently ignored.
//!
//! | op | `value_bytes`: a value / 0 / empty | `ttl_ms`: a value / 0 / empty | `slide_ms` | does |
//! |---|---|---|---|---|
//! | `GET` | fill on a miss / no fill / no fill | the fill's TTL / none / none | refresh TTL on a hit / none / none | `GET`, then `SET` on a miss if it fills, `PEXPIRE` on a hit if it slides |
//! | `SET [NX\|XX] [KEEPTTL]` | the value / an empty string / malformed | TTL / none / none | unused | `SET` |
//! | `SETEX` | the value / an empty string / malformed | TTL / refused as Redis does / malformed | unused | `SET` with a TTL |
//! | `DEL`, `UNLINK`, `GETDEL`, `PERSIST`, `DECR` | unused | unused | unused | as named |
//! | `EXPIRE`, `PEXPIRE` | unused | the new TTL / deletes the key (Redis) / malformed | unused | `PEXPIRE` |
//! | `INCR` | unused | a window / none / none | unused | `INCR`, then `PEXPIRE window` when it creates the key |
//! | `INCRBY`, `DECRBY` | the signed delta / 0 / malformed | unused | unused | `INCRBY` |
//! | `APPEND` | bytes appended / none appended / malformed | unused | unused | `APPEND` |
//! | `GROW`, `SHRINK` | bytes an aggregate (list, hash, set, zset) gains or loses in one element / 0 / malformed | unused | unused | `RPUSH`/`HSET`..., `LREM`/`HDEL`... |
//! | `POP` | elements taken / none (`LPOP key 0`) / one | unused | unused | `LPOP`: a read of the aggregate |
//! | `PEEK`, `TTL`, `PTTL`, `EXISTS`, `TYPE` | unused | unused | unused | look without touching |
//!
//! "unused": empty or 0, anything else is malformed. With `--read-through`,
//! a `GET` that does not fill by its own `value_bytes` fills with the key's
//! last known size (else the default) and takes its `ttl_ms`.
//!
//! Ops are case-insensitive; any other op is counted as an unknown command,
//! or with `--strict` is an error: `FILE:LINE: unknown op 'FROB' (known:
//! GET, SET, ...)`.
//!
//! [`CsvWriter`]: super::CsvWriter

use super::fields::{opt_u64, parse_i64, parse_u32, parse_u64, show, trim, CsvFields};
use super::sink::{malformed, unknown_op, Sink, Skip};
use crate::op::{Agg, Cmd, ReadSpec, SetCond, Value};

/// The required leading columns of the header.
pub(crate) const COLUMNS: [&str; 5] = ["t_ms", "op", "key", "value_bytes", "ttl_ms"];

/// Longer than any op's name: a name up to this long is upper-cased on the
/// stack.
const OP_NAME_MAX: usize = 16;

/// The header [`super::CsvWriter`] writes.
pub(crate) const HEADER: &str = "t_ms,op,key,value_bytes,ttl_ms,db,slide_ms";

/// Where the optional columns are.
struct Columns {
    n: usize,
    db: Option<usize>,
    slide: Option<usize>,
}

/// Parses evictsim CSV lines.
#[derive(Default)]
pub(crate) struct CsvParser {
    fields: CsvFields,
    cols: Option<Columns>,
}

impl CsvParser {
    /// Parses one line, queueing its operation.
    pub(crate) fn parse(&mut self, line: &[u8], sink: &mut Sink) -> Result<(), Skip> {
        if line.first() == Some(&b'#') {
            return Ok(());
        }
        let Some(cols) = &self.cols else {
            self.cols = Some(header(line, &mut self.fields)?);
            return Ok(());
        };
        let f = &mut self.fields;
        f.split(line)?;
        if f.len() > cols.n {
            return Err(malformed(format!(
                "{} fields, the header has {}",
                f.len(),
                cols.n
            )));
        }
        if f.len() < 3 {
            return Err(malformed(format!(
                "{} field(s): need at least t_ms,op,key",
                f.len()
            )));
        }
        let t = parse_u64(f.get(0), "t_ms")?;
        let db = match cols.db.map(|i| trim(f.get(i))) {
            None | Some(b"") => 0,
            Some(b) => u8::try_from(parse_u64(b, "db")?)
                .map_err(|_| malformed(format!("db '{}' is over 255", show(b))))?,
        };
        let slide = cols
            .slide
            .map_or(Ok(None), |i| opt_u64(f.get(i), "slide_ms"))?;
        let mut words = f
            .get(1)
            .split(|b| b.is_ascii_whitespace())
            .filter(|w| !w.is_empty());
        // The op's name upper-cased on the stack (a longer one, which no op
        // is, on the heap): no allocation per line.
        let raw = words.next().unwrap_or_default();
        let (mut short, long);
        let name: &[u8] = if raw.len() <= OP_NAME_MAX {
            short = [0u8; OP_NAME_MAX];
            short[..raw.len()].copy_from_slice(raw);
            short[..raw.len()].make_ascii_uppercase();
            &short[..raw.len()]
        } else {
            long = raw.to_ascii_uppercase();
            &long
        };
        let mut flags = words.peekable();
        let value_field = f.get(3);
        let ttl = opt_u64(f.get(4), "ttl_ms")?;
        if flags.peek().is_some() && name != b"SET" {
            return Err(malformed(format!("op '{}' takes no flags", show(f.get(1)))));
        }
        let Some(op) = CsvOp::from_name(name) else {
            if name.is_empty() {
                return Err(malformed("empty op"));
            }
            if sink.strict() {
                return Err(malformed(unknown_op(name, CsvOp::NAMES)));
            }
            sink.unknown(name);
            return Ok(());
        };
        // A column the op does not use must be empty or 0 (none); anything
        // else is refused rather than silently ignored.
        let unused = |col: &str, b: &[u8]| -> Result<(), Skip> {
            let v = trim(b);
            if v.is_empty() || v.iter().all(|&d| d == b'0') {
                return Ok(());
            }
            Err(malformed(format!(
                "{col} '{}' does not apply to {} (leave it empty or 0)",
                show(v),
                show(name)
            )))
        };
        if !op.uses_value() {
            unused("value_bytes", value_field)?;
        }
        if !op.uses_ttl() {
            unused("ttl_ms", f.get(4))?;
        }
        if op != CsvOp::Get {
            if let Some(i) = cols.slide {
                unused("slide_ms", f.get(i))?;
            }
        }
        let plan = match op {
            CsvOp::Get => Plan::Get(value(value_field)?.filter(|v| v.int || v.len > 0)),
            CsvOp::Set | CsvOp::Setex => {
                let v = value(value_field)?.ok_or_else(|| malformed("SET without value_bytes"))?;
                let ttl_ms = match (op, ttl) {
                    (CsvOp::Setex, None) => return Err(malformed("SETEX without a TTL")),
                    // Redis: "invalid expire time in 'setex' command".
                    (CsvOp::Setex, Some(0)) => return Err(Skip::Rejected),
                    (_, t) => t.unwrap_or(0),
                };
                let (cond, keep_ttl) = set_flags(flags)?;
                Plan::Cmd(Cmd::Set {
                    value: v,
                    ttl_ms,
                    cond,
                    keep_ttl,
                })
            }
            CsvOp::Del => Plan::Cmd(Cmd::Del),
            CsvOp::GetDel => Plan::Cmd(Cmd::GetDel),
            CsvOp::Expire => Plan::Cmd(Cmd::Expire {
                ttl_ms: ttl.ok_or_else(|| malformed("EXPIRE without ttl_ms"))?,
            }),
            CsvOp::Persist => Plan::Cmd(Cmd::Persist),
            CsvOp::Incr => Plan::Cmd(match ttl {
                None | Some(0) => Cmd::IncrBy { delta: 1 },
                Some(window_ms) => Cmd::IncrWindow { window_ms },
            }),
            CsvOp::Decr => Plan::Cmd(Cmd::IncrBy { delta: -1 }),
            CsvOp::IncrBy => Plan::Cmd(Cmd::IncrBy {
                delta: parse_i64(value_field, "delta")?,
            }),
            CsvOp::DecrBy => Plan::Cmd(Cmd::IncrBy {
                delta: parse_i64(value_field, "delta")?
                    .checked_neg()
                    .ok_or_else(|| malformed("DECRBY delta out of range"))?,
            }),
            CsvOp::Append => Plan::Cmd(Cmd::Append {
                len: parse_u32(value_field, "value_bytes")?,
            }),
            CsvOp::Grow => Plan::Cmd(Cmd::Grow {
                bytes: i64::try_from(parse_u64(value_field, "value_bytes")?)
                    .map_err(|_| malformed("GROW value_bytes out of range"))?,
                elems: 1,
                kind: Agg::List,
            }),
            CsvOp::Shrink => Plan::Cmd(Cmd::Grow {
                bytes: 0i64
                    .checked_sub_unsigned(parse_u64(value_field, "value_bytes")?)
                    .ok_or_else(|| malformed("SHRINK value_bytes out of range"))?,
                elems: -1,
                kind: Agg::List,
            }),
            CsvOp::Pop => Plan::Cmd(Cmd::Pop {
                elems: match trim(value_field) {
                    b"" => 1,
                    _ => parse_u32(value_field, "value_bytes")?,
                },
            }),
            CsvOp::Peek => Plan::Cmd(Cmd::Peek),
        };
        let t = sink.time_ms(t);
        let key = sink.key(db, f.get(2), None)?;
        let cmd = match plan {
            Plan::Cmd(c) => c,
            Plan::Get(fill) => {
                let base = match fill {
                    Some(v) => ReadSpec {
                        fill: Some(v),
                        ..ReadSpec::default()
                    },
                    None => match sink.read(key, None) {
                        Cmd::Read(r) => r,
                        _ => ReadSpec::default(),
                    },
                };
                Cmd::Read(ReadSpec {
                    fill_ttl_ms: if base.fill.is_some() {
                        ttl.unwrap_or(0)
                    } else {
                        0
                    },
                    slide_ms: slide.unwrap_or(0),
                    ..base
                })
            }
        };
        match cmd {
            Cmd::Set { value, .. } => sink.note_len(key, value.len),
            Cmd::Read(ReadSpec { fill: Some(v), .. }) => sink.note_len(key, v.len),
            _ => {}
        }
        sink.push(t, key, cmd);
        Ok(())
    }
}

enum Plan {
    Cmd(Cmd),
    Get(Option<Value>),
}

/// A field of a line being written.
pub(crate) enum Field {
    Empty,
    Value(Value),
    Int(i64),
    Uint(u64),
}

/// A command as one line of the format: its op word and the fields it
/// fills (the inverse of [`CsvParser::parse`]).
pub(crate) struct Line {
    pub word: &'static str,
    pub value: Field,
    pub ttl: Option<u64>,
    pub slide: Option<u64>,
}

/// How `cmd` is written, or why it cannot be (0 means none in this
/// format, so a 0-byte fill or a 0-ms INCR window has no words).
pub(crate) fn line_of(cmd: &Cmd) -> Result<Line, &'static str> {
    let line = |word, value, ttl, slide| Line {
        word,
        value,
        ttl,
        slide,
    };
    Ok(match *cmd {
        Cmd::Read(r) if r.fill.is_some_and(|v| !v.int && v.len == 0) => {
            return Err("a read that fills a 0-byte value (0 means none in that field)");
        }
        Cmd::IncrWindow { window_ms: 0 } => {
            return Err("an INCR with a 0-ms window (0 means none in that field)")
        }
        Cmd::Read(r) => line(
            "GET",
            r.fill.map_or(Field::Empty, Field::Value),
            r.fill.and(Some(r.fill_ttl_ms)).filter(|&t| t > 0),
            Some(r.slide_ms).filter(|&s| s > 0),
        ),
        Cmd::Set {
            value,
            ttl_ms,
            cond,
            keep_ttl,
        } => {
            let word = match (cond, keep_ttl) {
                (SetCond::Always, false) => "SET",
                (SetCond::IfAbsent, false) => "SET NX",
                (SetCond::IfPresent, false) => "SET XX",
                (SetCond::Always, true) => "SET KEEPTTL",
                (SetCond::IfAbsent, true) => "SET NX KEEPTTL",
                (SetCond::IfPresent, true) => "SET XX KEEPTTL",
            };
            line(
                word,
                Field::Value(value),
                Some(ttl_ms).filter(|&t| t > 0),
                None,
            )
        }
        Cmd::Del => line("DEL", Field::Empty, None, None),
        Cmd::GetDel => line("GETDEL", Field::Empty, None, None),
        Cmd::Expire { ttl_ms } => line("PEXPIRE", Field::Empty, Some(ttl_ms), None),
        Cmd::Persist => line("PERSIST", Field::Empty, None, None),
        Cmd::IncrBy { delta } => line("INCRBY", Field::Int(delta), None, None),
        Cmd::IncrWindow { window_ms } => line("INCR", Field::Empty, Some(window_ms), None),
        Cmd::Append { len } => line("APPEND", Field::Uint(u64::from(len)), None, None),
        Cmd::Grow { kind, .. } if kind != Agg::List => {
            return Err(
                "a hash, set or sorted-set write (a GROW line is a list element; \
                 a scenario with a structure = \"zset\" queue has no CSV form yet)",
            )
        }
        Cmd::Grow { elems, .. } if elems.unsigned_abs() > 1 => {
            return Err("a GROW or SHRINK of several elements (one line is one element)")
        }
        Cmd::Grow { bytes, .. } if bytes >= 0 => {
            line("GROW", Field::Uint(bytes as u64), None, None)
        }
        Cmd::Grow { bytes, .. } => line("SHRINK", Field::Uint(bytes.unsigned_abs()), None, None),
        Cmd::Pop { elems: 1 } => line("POP", Field::Empty, None, None),
        Cmd::Pop { elems } => line("POP", Field::Uint(u64::from(elems)), None, None),
        Cmd::Peek => line("PEEK", Field::Empty, None, None),
        Cmd::Ran { .. } => {
            return Err("a command name's first call (only a MONITOR capture has them)")
        }
        Cmd::HashRead(_) | Cmd::HashSet { .. } => {
            return Err(
                "a hash session's HGETALL or HSET (the format has no hash read or \
                 write; a scenario with a structure = \"hash\" session has no CSV form yet)",
            )
        }
    })
}

/// The ops of the format (the names and aliases in the module's table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CsvOp {
    Get,
    Set,
    Setex,
    Del,
    GetDel,
    Expire,
    Persist,
    Incr,
    Decr,
    IncrBy,
    DecrBy,
    Append,
    Grow,
    Shrink,
    Pop,
    Peek,
}

impl CsvOp {
    /// Every name the format knows, for messages.
    const NAMES: &'static [&'static str] = &[
        "GET", "SET", "SETEX", "DEL", "UNLINK", "GETDEL", "EXPIRE", "PEXPIRE", "PERSIST", "INCR",
        "DECR", "INCRBY", "DECRBY", "APPEND", "GROW", "SHRINK", "POP", "PEEK", "TTL", "PTTL",
        "EXISTS", "TYPE",
    ];

    fn from_name(name: &[u8]) -> Option<CsvOp> {
        Some(match name {
            b"GET" => CsvOp::Get,
            b"SET" => CsvOp::Set,
            b"SETEX" => CsvOp::Setex,
            b"DEL" | b"UNLINK" => CsvOp::Del,
            b"GETDEL" => CsvOp::GetDel,
            b"EXPIRE" | b"PEXPIRE" => CsvOp::Expire,
            b"PERSIST" => CsvOp::Persist,
            b"INCR" => CsvOp::Incr,
            b"DECR" => CsvOp::Decr,
            b"INCRBY" => CsvOp::IncrBy,
            b"DECRBY" => CsvOp::DecrBy,
            b"APPEND" => CsvOp::Append,
            b"GROW" => CsvOp::Grow,
            b"SHRINK" => CsvOp::Shrink,
            b"POP" | b"LPOP" | b"RPOP" => CsvOp::Pop,
            b"PEEK" | b"TTL" | b"PTTL" | b"EXISTS" | b"TYPE" => CsvOp::Peek,
            _ => return None,
        })
    }

    /// Whether the op reads `value_bytes`.
    fn uses_value(self) -> bool {
        matches!(
            self,
            CsvOp::Get
                | CsvOp::Set
                | CsvOp::Setex
                | CsvOp::IncrBy
                | CsvOp::DecrBy
                | CsvOp::Append
                | CsvOp::Grow
                | CsvOp::Shrink
                | CsvOp::Pop
        )
    }

    /// Whether the op reads `ttl_ms` (a GET's is its fill's TTL).
    fn uses_ttl(self) -> bool {
        matches!(
            self,
            CsvOp::Get | CsvOp::Set | CsvOp::Setex | CsvOp::Expire | CsvOp::Incr
        )
    }
}

fn header(line: &[u8], f: &mut CsvFields) -> Result<Columns, Skip> {
    let bad = |why: String| {
        Skip::Header(format!(
            "{why}: an evictsim CSV trace starts with the header '{}' (optional ',db' and ',slide_ms' after)",
            COLUMNS.join(",")
        ))
    };
    f.split(line).map_err(|_| bad("unreadable header".into()))?;
    let names: Vec<String> = (0..f.len())
        .map(|i| String::from_utf8_lossy(trim(f.get(i))).to_ascii_lowercase())
        .collect();
    if names.len() < COLUMNS.len() || names[..COLUMNS.len()] != COLUMNS {
        return Err(bad(format!("header is '{}'", show(line))));
    }
    let mut cols = Columns {
        n: names.len(),
        db: None,
        slide: None,
    };
    for (i, n) in names.iter().enumerate().skip(COLUMNS.len()) {
        let slot = match n.as_str() {
            "db" => &mut cols.db,
            "slide_ms" => &mut cols.slide,
            _ => return Err(bad(format!("unknown column '{n}'"))),
        };
        if slot.replace(i).is_some() {
            return Err(bad(format!("column '{n}' appears twice")));
        }
    }
    Ok(cols)
}

/// A `value_bytes` field: empty, a size, or `int:N`.
fn value(b: &[u8]) -> Result<Option<Value>, Skip> {
    let t = trim(b);
    if t.is_empty() {
        return Ok(None);
    }
    if let Some(n) = t.strip_prefix(b"int:") {
        return Ok(Some(Value::integer(parse_i64(n, "integer value")?)));
    }
    Ok(Some(Value::bytes(parse_u32(t, "value_bytes")?)))
}

/// SET's flags, in any case.
fn set_flags<'a>(flags: impl Iterator<Item = &'a [u8]>) -> Result<(SetCond, bool), Skip> {
    let (mut cond, mut keep) = (SetCond::Always, false);
    for f in flags {
        let is = |w: &[u8]| f.eq_ignore_ascii_case(w);
        if is(b"NX") && cond == SetCond::Always {
            cond = SetCond::IfAbsent;
        } else if is(b"XX") && cond == SetCond::Always {
            cond = SetCond::IfPresent;
        } else if is(b"KEEPTTL") {
            keep = true;
        } else {
            return Err(malformed(format!(
                "bad SET flag '{}'",
                show(&f.to_ascii_uppercase())
            )));
        }
    }
    Ok((cond, keep))
}
