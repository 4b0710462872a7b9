//! The parsers' output side: turns a parsed line into [`Op`]s (interning
//! keys, making time relative and monotonic, adding read-through fills) and
//! queues them until the reader hands them out. One line's operations are
//! queued together, so a line that fails is dropped whole.

use super::classes::ClassRules;
use super::intern::Interner;
use super::{TraceOptions, TraceStats, Understood, MAX_UNKNOWN_NAMES};
use crate::op::{Cmd, KeyId, Op, ReadSpec, Value};
use std::collections::VecDeque;

/// Why a line produced no operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Skip {
    /// The line does not parse (counted, or fatal in strict mode).
    Malformed(String),
    /// A well-formed command Redis refuses (counted, never fatal).
    Rejected,
    /// The header is missing or wrong (always fatal).
    Header(String),
    /// Key ids are exhausted (always fatal).
    TooManyKeys,
}

/// A malformed-line [`Skip`] with a reason.
pub(crate) fn malformed(reason: impl Into<String>) -> Skip {
    Skip::Malformed(reason.into())
}

/// The reason for an op outside a closed vocabulary (strict mode).
pub(crate) fn unknown_op(name: &[u8], known: &[&str]) -> String {
    format!(
        "unknown op '{}' (known: {})",
        super::fields::show(name),
        known.join(", ")
    )
}

/// Where parsers put what they parsed.
pub(crate) struct Sink {
    /// Keys seen so far.
    pub(crate) interner: Interner,
    /// Class rules for new keys.
    pub(crate) rules: ClassRules,
    /// Counters the reader reports.
    pub(crate) stats: TraceStats,
    out: VecDeque<Op>,
    /// An operation still to be handed out this many more times.
    repeat: Option<(Op, u64)>,
    read_through: bool,
    default_value_len: u32,
    origin_us: Option<u64>,
    last_t: u64,
    databases: u8,
    strict: bool,
}

impl Sink {
    /// An empty sink for `opts`.
    pub(crate) fn new(opts: &TraceOptions) -> Self {
        Sink {
            interner: Interner::default(),
            rules: opts.classes.clone(),
            stats: TraceStats::default(),
            out: VecDeque::new(),
            repeat: None,
            read_through: opts.read_through,
            default_value_len: opts.default_value_len,
            origin_us: None,
            last_t: 0,
            databases: opts.databases,
            strict: opts.strict,
        }
    }

    /// Whether the reader stops at the first malformed line.
    pub(crate) fn strict(&self) -> bool {
        self.strict
    }

    /// The next queued operation.
    pub(crate) fn pop(&mut self) -> Option<Op> {
        if let Some(op) = self.out.pop_front() {
            return Some(op);
        }
        let (op, left) = self.repeat.as_mut()?;
        let op = *op;
        *left -= 1;
        if *left == 0 {
            self.repeat = None;
        }
        Some(op)
    }

    /// Drops what the current line queued (it failed).
    pub(crate) fn discard(&mut self) {
        self.out.clear();
        self.repeat = None;
    }

    /// Operations queued and not yet handed out (a repeat counts once).
    pub(crate) fn queued(&self) -> usize {
        self.out.len() + usize::from(self.repeat.is_some())
    }

    fn monotonic(&mut self, t: u64, late: bool) -> u64 {
        if late || t < self.last_t {
            self.stats.out_of_order += 1;
            return self.last_t;
        }
        self.last_t = t;
        t
    }

    /// Simulated ms of a line stamped `us` microseconds since any epoch: the
    /// time since the first line's stamp, never earlier than the last.
    pub(crate) fn time_us(&mut self, us: u64) -> u64 {
        let origin = *self.origin_us.get_or_insert(us);
        self.monotonic(us.saturating_sub(origin) / 1000, us < origin)
    }

    /// The unix time (µs) of the first stamped line, for formats whose
    /// lines carry one (a line stamped with [`Sink::time_us`]).
    pub(crate) fn origin_us(&self) -> Option<u64> {
        self.origin_us
    }

    /// Simulated ms of a line stamped with a run time already in ms, never
    /// earlier than the last.
    pub(crate) fn time_ms(&mut self, ms: u64) -> u64 {
        self.monotonic(ms, false)
    }

    /// The id of `name` in `db` (`key_len` overrides the name's length).
    pub(crate) fn key(&mut self, db: u8, name: &[u8], key_len: Option<u64>) -> Result<KeyId, Skip> {
        if db >= self.databases {
            return Err(Skip::Rejected);
        }
        let id = self
            .interner
            .intern(db, name, key_len, &self.rules)
            .ok_or(Skip::TooManyKeys)?;
        self.stats.distinct_keys = self.interner.len() as u64;
        Ok(id)
    }

    /// The id of the key numbered `n` in `db`.
    /// Hints the CPU to fetch what [`Sink::key_number`] of (db, n) reads.
    #[inline]
    pub(crate) fn prefetch_number(&self, db: u8, n: u64) {
        self.interner.prefetch_number(db, n);
    }

    /// Hints the CPU to fetch the facts [`Sink::push`] reads about (db, n)
    /// (after [`Sink::prefetch_number`] of it, a few records earlier).
    #[inline]
    pub(crate) fn prefetch_number_meta(&self, db: u8, n: u64) {
        self.interner.prefetch_number_meta(db, n);
    }

    pub(crate) fn key_number(&mut self, db: u8, n: u64) -> Result<KeyId, Skip> {
        if db >= self.databases {
            return Err(Skip::Rejected);
        }
        let id = self
            .interner
            .intern_number(db, n, &self.rules)
            .ok_or(Skip::TooManyKeys)?;
        self.stats.distinct_keys = self.interner.len() as u64;
        Ok(id)
    }

    fn op(&self, t_ms: u64, key: KeyId, cmd: Cmd) -> Op {
        let m = self.interner.meta(key);
        Op {
            t_ms,
            key,
            key_len: m.key_len,
            db: m.db,
            class: m.class,
            cmd,
        }
    }

    /// Queues `cmd` on `key` at `t_ms`.
    pub(crate) fn push(&mut self, t_ms: u64, key: KeyId, cmd: Cmd) {
        let op = self.op(t_ms, key, cmd);
        if matches!(cmd, Cmd::Set { .. } | Cmd::Grow { .. } | Cmd::Append { .. }) {
            self.interner.meta_mut(key).written = true;
        }
        self.understood(op.class, &cmd, 1);
        self.out.push_back(op);
    }

    /// Queues the first call of command name number `name` ([`Cmd::Ran`]),
    /// at the time of the last queued operation (of this line for a
    /// command the model runs; of the line before for one it skips).
    pub(crate) fn push_name(&mut self, name: u8) {
        self.out.push_back(Op {
            t_ms: self.last_t,
            key: 0,
            key_len: 0,
            db: 0,
            class: 0,
            cmd: Cmd::Ran { name },
        });
    }

    /// Counts how `cmd` was understood, `n` times, for its class.
    fn understood(&mut self, class: u8, cmd: &Cmd, n: u64) {
        let all = &mut self.stats.understood;
        let i = usize::from(class);
        if all.len() <= i {
            all.resize(i + 1, Understood::default());
        }
        all[i].count(cmd, n);
    }

    /// Queues `cmd` on `key` at `t_ms`, `n` times (without storing n copies).
    pub(crate) fn push_repeated(&mut self, t_ms: u64, key: KeyId, cmd: Cmd, n: u64) {
        if n == 0 {
            return;
        }
        self.push(t_ms, key, cmd);
        if n > 1 {
            let op = self.op(t_ms, key, cmd);
            self.understood(op.class, &cmd, n - 1);
            self.repeat = Some((op, n - 1));
        }
    }

    /// A read of `key`: with read-through on, a miss fills the value with
    /// `size` if the trace gives one (non-zero), else the key's last known
    /// size, else the default size.
    pub(crate) fn read(&self, key: KeyId, size: Option<u32>) -> Cmd {
        let fill = self.read_through.then(|| {
            let len = size
                .filter(|&s| s > 0)
                .unwrap_or_else(|| self.value_len(key));
            Value::bytes(len)
        });
        Cmd::Read(ReadSpec {
            fill,
            ..ReadSpec::default()
        })
    }

    /// The key's last known value (or element) size, else the default.
    pub(crate) fn value_len(&self, key: KeyId) -> u32 {
        match self.interner.meta(key).last_len {
            0 => self.default_value_len,
            n => n,
        }
    }

    /// Remembers that the trace showed `key` with a value (element) of `len`
    /// bytes.
    pub(crate) fn note_len(&mut self, key: KeyId, len: u32) {
        if len > 0 {
            self.interner.meta_mut(key).last_len = len;
        }
    }

    /// Whether the trace has written `key` before.
    pub(crate) fn written(&self, key: KeyId) -> bool {
        self.interner.meta(key).written
    }

    /// Counts a command the model does not represent.
    pub(crate) fn unknown(&mut self, name: &[u8]) {
        let mut s: String = String::from_utf8_lossy(&name[..name.len().min(40)]).to_uppercase();
        let known = &mut self.stats.unknown_commands;
        if !known.contains_key(&s) && known.len() >= MAX_UNKNOWN_NAMES {
            s = "...".to_string();
        }
        *known.entry(s).or_insert(0) += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::TraceFormat;

    #[test]
    fn time_is_relative_and_never_goes_back() {
        let mut s = Sink::new(&TraceOptions::new(TraceFormat::Monitor));
        assert_eq!(s.time_us(5_000_000), 0);
        assert_eq!(s.time_us(5_002_500), 2);
        assert_eq!(s.time_us(5_001_000), 2);
        assert_eq!(s.time_us(4_000_000), 2);
        assert_eq!(s.time_us(6_000_000), 1000);
        assert_eq!(s.stats.out_of_order, 2);
    }

    #[test]
    fn repeats_come_after_the_queue_without_copies() {
        let mut s = Sink::new(&TraceOptions::new(TraceFormat::Cachelib));
        let k = s.key(0, b"a", None).unwrap();
        s.push_repeated(7, k, Cmd::Del, 3);
        assert_eq!(s.queued(), 2);
        let got: Vec<Op> = std::iter::from_fn(|| s.pop()).collect();
        assert_eq!(got.len(), 3);
        assert!(got.iter().all(|o| o.t_ms == 7 && o.cmd == Cmd::Del));
    }

    #[test]
    fn read_through_fill_sizes() {
        let mut o = TraceOptions::new(TraceFormat::Csv);
        o.read_through = true;
        o.default_value_len = 9;
        let mut s = Sink::new(&o);
        let k = s.key(0, b"a", None).unwrap();
        let fill = |c: Cmd| match c {
            Cmd::Read(r) => r.fill.map(|v| v.len),
            _ => None,
        };
        assert_eq!(fill(s.read(k, None)), Some(9));
        assert_eq!(fill(s.read(k, Some(0))), Some(9));
        s.note_len(k, 40);
        assert_eq!(fill(s.read(k, None)), Some(40));
        assert_eq!(fill(s.read(k, Some(3))), Some(3));
        let mut s = Sink::new(&TraceOptions::new(TraceFormat::Csv));
        let k = s.key(0, b"a", None).unwrap();
        assert_eq!(fill(s.read(k, Some(3))), None, "no read-through, no fill");
    }

    #[test]
    fn unknown_names_are_capped() {
        let mut s = Sink::new(&TraceOptions::new(TraceFormat::Monitor));
        for i in 0..(MAX_UNKNOWN_NAMES + 10) {
            s.unknown(format!("x{i}").as_bytes());
        }
        s.unknown(b"ping");
        assert_eq!(s.stats.unknown_commands.len(), MAX_UNKNOWN_NAMES + 1);
        assert_eq!(s.stats.unknown_commands["..."], 11);
    }
}
