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
//! - `ttl_ms`: a TTL in ms; empty or 0 means none.
//! - `db`: the database, 0..=255 (empty: 0).
//! - `slide_ms`: for `GET`, refresh the TTL to this on a hit (empty: none).
//!
//! | op | value_bytes | ttl_ms | operation |
//! |---|---|---|---|
//! | `GET` | fill on a miss (empty: none, unless read-through) | TTL of the fill | read |
//! | `SET [NX\|XX] [KEEPTTL]` | the value | TTL | `SET` |
//! | `SETEX` | the value | TTL, > 0 | `SET` with a TTL |
//! | `DEL`, `UNLINK` | | | delete |
//! | `GETDEL` | | | read and delete |
//! | `EXPIRE`, `PEXPIRE` | | new TTL (0 deletes) | set the TTL |
//! | `PERSIST` | | | clear the TTL |
//! | `INCR` | | empty; or a window: `PEXPIRE` it when `INCR` creates the key | `INCR` |
//! | `DECR` | | | `DECR` |
//! | `INCRBY`, `DECRBY` | the signed delta (not a size) | | `INCRBY` |
//! | `APPEND` | bytes appended | | `APPEND` |
//! | `GROW`, `SHRINK` | bytes an aggregate (list, hash, set, zset) gains or loses | | `LPUSH`/`HSET`..., `LPOP`/`HDEL`... |
//! | `PEEK`, `TTL`, `PTTL`, `EXISTS`, `TYPE` | | | look without touching |
//!
//! Ops are case-insensitive; any other op is counted as an unknown command.
//!
//! [`CsvWriter`]: super::CsvWriter

use super::fields::{opt_u64, parse_i64, parse_u32, parse_u64, show, trim, CsvFields};
use super::sink::{malformed, Sink, Skip};
use crate::op::{Cmd, ReadSpec, SetCond, Value};

/// The required leading columns of the header.
pub(crate) const COLUMNS: [&str; 5] = ["t_ms", "op", "key", "value_bytes", "ttl_ms"];

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
        let name = words.next().unwrap_or_default().to_ascii_uppercase();
        let flags: Vec<Vec<u8>> = words.map(|w| w.to_ascii_uppercase()).collect();
        let value_field = f.get(3);
        let ttl = opt_u64(f.get(4), "ttl_ms")?;
        if !flags.is_empty() && name != b"SET" {
            return Err(malformed(format!("op '{}' takes no flags", show(f.get(1)))));
        }
        let plan = match &name[..] {
            b"GET" => Plan::Get(value(value_field)?),
            b"SET" | b"SETEX" => {
                let v = value(value_field)?.ok_or_else(|| malformed("SET without value_bytes"))?;
                let ttl_ms = ttl.unwrap_or(0);
                if name == b"SETEX" && ttl_ms == 0 {
                    return Err(malformed("SETEX without a TTL"));
                }
                let (cond, keep_ttl) = set_flags(&flags)?;
                Plan::Cmd(Cmd::Set {
                    value: v,
                    ttl_ms,
                    cond,
                    keep_ttl,
                })
            }
            b"DEL" | b"UNLINK" => Plan::Cmd(Cmd::Del),
            b"GETDEL" => Plan::Cmd(Cmd::GetDel),
            b"EXPIRE" | b"PEXPIRE" => Plan::Cmd(Cmd::Expire {
                ttl_ms: ttl.ok_or_else(|| malformed("EXPIRE without ttl_ms"))?,
            }),
            b"PERSIST" => Plan::Cmd(Cmd::Persist),
            b"INCR" => Plan::Cmd(match ttl {
                None => Cmd::IncrBy { delta: 1 },
                Some(window_ms) => Cmd::IncrWindow { window_ms },
            }),
            b"DECR" => Plan::Cmd(Cmd::IncrBy { delta: -1 }),
            b"INCRBY" => Plan::Cmd(Cmd::IncrBy {
                delta: parse_i64(value_field, "delta")?,
            }),
            b"DECRBY" => Plan::Cmd(Cmd::IncrBy {
                delta: parse_i64(value_field, "delta")?
                    .checked_neg()
                    .ok_or_else(|| malformed("DECRBY delta out of range"))?,
            }),
            b"APPEND" => Plan::Cmd(Cmd::Append {
                len: parse_u32(value_field, "value_bytes")?,
            }),
            b"GROW" => Plan::Cmd(Cmd::Grow {
                bytes: i64::try_from(parse_u64(value_field, "value_bytes")?)
                    .map_err(|_| malformed("GROW value_bytes out of range"))?,
            }),
            b"SHRINK" => Plan::Cmd(Cmd::Grow {
                bytes: 0i64
                    .checked_sub_unsigned(parse_u64(value_field, "value_bytes")?)
                    .ok_or_else(|| malformed("SHRINK value_bytes out of range"))?,
            }),
            b"PEEK" | b"TTL" | b"PTTL" | b"EXISTS" | b"TYPE" => Plan::Cmd(Cmd::Peek),
            b"" => return Err(malformed("empty op")),
            _ => {
                sink.unknown(&name);
                return Ok(());
            }
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

fn set_flags(flags: &[Vec<u8>]) -> Result<(SetCond, bool), Skip> {
    let (mut cond, mut keep) = (SetCond::Always, false);
    for f in flags {
        match (&f[..], cond) {
            (b"NX", SetCond::Always) => cond = SetCond::IfAbsent,
            (b"XX", SetCond::Always) => cond = SetCond::IfPresent,
            (b"KEEPTTL", _) => keep = true,
            _ => return Err(malformed(format!("bad SET flag '{}'", show(f)))),
        }
    }
    Ok((cond, keep))
}
