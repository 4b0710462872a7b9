//! Meta's CacheLib KV-cache trace format (`kvcache` traces of cachebench's
//! trace replay): CSV with a header naming the columns.
//!
//! ```text
//! op_time,key,key_size,op,op_count,size,cache_hits,ttl,usecase,sub_usecase
//! 604038473,828769c1e1ce3a29,67,SET,1,65,0,7200,2777918327,655456894
//! ```
//!
//! Columns are found by name: `op_time`, `key` and `op` are required;
//! `key_size` (default: the key's own length), `op_count` (default 1), `size`
//! and `ttl` are optional, and any others are ignored. `op_time` is in
//! seconds, made relative to the first row; `ttl` in seconds, 0 = none. Keys
//! are hashes, so `key_size` is the key's real length.
//!
//! - `GET`, `GET_LEASE` → read (with read-through, a miss fills `size`, or
//!   the key's last known size when the row says 0);
//! - `SET`, `SET_LEASE` → `SET size`;
//! - `DELETE` → `DEL`;
//! - each row stands for `op_count` identical requests (empty: 1; a row
//!   with 0 is malformed); other ops are counted as unknown commands (with
//!   `--strict`, an error naming the line).
//!
//! An empty `key_size`, `size` or `ttl` means 0 (none): the key's own
//! length, the last known size, no TTL.

use super::fields::{opt_u64, parse_u64, show, trim, u64_or_zero, CsvFields};
use super::sink::{malformed, unknown_op, Sink, Skip};
use crate::op::{Cmd, SetCond, Value};

/// The operations the format knows.
const OPS: &[&str] = &["GET", "GET_LEASE", "SET", "SET_LEASE", "DELETE"];

struct Columns {
    time: usize,
    key: usize,
    op: usize,
    key_size: Option<usize>,
    count: Option<usize>,
    size: Option<usize>,
    ttl: Option<usize>,
}

/// Parses CacheLib KV-cache trace rows.
#[derive(Default)]
pub(crate) struct CachelibParser {
    fields: CsvFields,
    cols: Option<Columns>,
}

impl CachelibParser {
    /// Parses one row, queueing its operations.
    pub(crate) fn parse(&mut self, line: &[u8], sink: &mut Sink) -> Result<(), Skip> {
        let Some(c) = &self.cols else {
            self.cols = Some(header(line, &mut self.fields)?);
            return Ok(());
        };
        let f = &mut self.fields;
        f.split(line)?;
        let need = [
            Some(c.time),
            Some(c.key),
            Some(c.op),
            c.key_size,
            c.count,
            c.size,
            c.ttl,
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(0);
        if f.len() <= need {
            return Err(malformed(format!(
                "{} fields, the header needs at least {}",
                f.len(),
                need + 1
            )));
        }
        let time = parse_u64(f.get(c.time), "op_time")?;
        let key = f.get(c.key);
        if key.is_empty() {
            return Err(malformed("empty key"));
        }
        let key_size = match c.key_size {
            Some(i) => Some(u64_or_zero(f.get(i), "key_size")?).filter(|&n| n > 0),
            None => None,
        };
        let count = match c.count {
            Some(i) => opt_u64(f.get(i), "op_count")?.unwrap_or(1),
            None => 1,
        };
        if count == 0 {
            return Err(malformed("op_count is 0"));
        }
        let size = match c
            .size
            .map(|i| opt_u64(f.get(i), "size"))
            .transpose()?
            .flatten()
        {
            Some(n) => {
                Some(u32::try_from(n).map_err(|_| malformed(format!("size {n} is too large")))?)
            }
            None => None,
        };
        let ttl_s = c.ttl.map(|i| u64_or_zero(f.get(i), "ttl")).transpose()?;
        let op = trim(f.get(c.op)).to_ascii_uppercase();
        let cmd = match &op[..] {
            b"GET" | b"GET_LEASE" => None,
            b"SET" | b"SET_LEASE" => Some(Cmd::Set {
                value: Value::bytes(size.ok_or_else(|| malformed("SET without a size"))?),
                ttl_ms: ttl_s.unwrap_or(0).saturating_mul(1000),
                cond: SetCond::Always,
                keep_ttl: false,
            }),
            b"DELETE" => Some(Cmd::Del),
            b"" => return Err(malformed(format!("empty op in '{}'", show(line)))),
            _ if sink.strict() => return Err(malformed(unknown_op(&op, OPS))),
            _ => {
                sink.unknown(&op);
                return Ok(());
            }
        };
        let t = sink.time_us(time.saturating_mul(1_000_000));
        let id = sink.key(0, key, key_size)?;
        let cmd = match cmd {
            Some(c) => c,
            None => sink.read(id, size),
        };
        if matches!(cmd, Cmd::Read(_) | Cmd::Set { .. }) {
            sink.note_len(id, size.unwrap_or(0));
        }
        sink.push_repeated(t, id, cmd, count);
        Ok(())
    }
}

fn header(line: &[u8], f: &mut CsvFields) -> Result<Columns, Skip> {
    let bad = |why: String| {
        Skip::Header(format!(
            "{why}: a CacheLib KV trace starts with a header such as \
             'op_time,key,key_size,op,op_count,size,cache_hits,ttl'"
        ))
    };
    f.split(line).map_err(|_| bad("unreadable header".into()))?;
    let names: Vec<String> = (0..f.len())
        .map(|i| String::from_utf8_lossy(trim(f.get(i))).to_ascii_lowercase())
        .collect();
    let find = |n: &str| names.iter().position(|c| c == n);
    let need = |n: &str| find(n).ok_or_else(|| bad(format!("no '{n}' column in '{}'", show(line))));
    Ok(Columns {
        time: need("op_time")?,
        key: need("key")?,
        op: need("op")?,
        key_size: find("key_size"),
        count: find("op_count"),
        size: find("size"),
        ttl: find("ttl"),
    })
}
