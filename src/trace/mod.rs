//! Trace input: readers that turn recorded traffic (evictsim's own CSV, a
//! `redis-cli monitor` capture, or a published cache trace) into the model's
//! stream of [`Op`](crate::op::Op)s, so a real workload can be replayed
//! through every `maxmemory-policy`.
//!
//! A [`TraceReader`] opens a file (plain, `.gz` or `.zst`, chosen by the
//! file's extension), parses it one line or record at a time and yields
//! operations: memory stays constant apart from the interning table, which
//! costs about 70 bytes plus the key's length per distinct key. Keys are
//! interned to dense ids per database the first time they are seen; each
//! key's class is the first [`ClassRules`] rule its name matches.
//!
//! Lenient by default: a malformed line is skipped and counted in
//! [`TraceStats`]. With [`TraceOptions::strict`] the reader stops at the
//! first one and [`TraceReader::error`] says `FILE:LINE: reason`.
//!
//! ```no_run
//! use evictsim::trace::{ClassRules, TraceFormat, TraceOptions, TraceReader};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut opts = TraceOptions::new(TraceFormat::Monitor);
//! opts.classes = ClassRules::from_cli(&["sessions=session:*"], &["sessions"])?;
//! let mut reader = TraceReader::open("capture.log.zst", opts)?;
//! let classes = reader.class_infos();
//! let ops: u64 = reader.by_ref().map(|_op| 1).sum(); // or `simulate(&spec, reader.by_ref(), ..)`
//! let stats = reader.finish()?; // the error that stopped the stream, if any
//! println!("{ops} ops, {} keys, {} classes", stats.distinct_keys, classes.len());
//! # Ok(()) }
//! ```

mod cachelib;
mod classes;
mod csv;
mod csv_writer;
mod fields;
mod input;
mod intern;
mod monitor;
mod numbers;
mod oracle_general;
mod reader;
mod sink;
mod twitter;

pub use classes::{ClassRuleError, ClassRules, OTHER_CLASS};
pub use csv_writer::{CsvWriteError, CsvWriter, TraceFile};
pub use oracle_general::{oracle_general_record, RECORD as ORACLE_GENERAL_RECORD};
pub use reader::TraceReader;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// Declares the trace formats once: each line gives the variant, the name
/// `--trace-format` takes, its aliases, its parser (a type with `Default`
/// and `parse(&mut self, line, sink)`), the size of its binary records (0
/// for lines of text) and what it is. A new format is its parser's file,
/// its `mod` line and one line here.
macro_rules! trace_formats {
    ($($variant:ident => $name:literal, [$($alias:literal),*], $parser:ty, $record:expr, $doc:literal;)*) => {
        /// The layout of a trace file.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum TraceFormat {
            $(#[doc = $doc] $variant,)*
        }

        impl TraceFormat {
            /// Every format, in the order help texts list them.
            pub const ALL: &'static [TraceFormat] = &[$(TraceFormat::$variant),*];

            /// The name `--trace-format` takes.
            pub fn name(self) -> &'static str {
                match self { $(TraceFormat::$variant => $name,)* }
            }

            /// Other spellings `--trace-format` accepts (lower case).
            pub fn aliases(self) -> &'static [&'static str] {
                match self { $(TraceFormat::$variant => &[$($alias),*],)* }
            }

            /// Bytes in one record of a binary format; 0 for lines of text.
            pub fn record_size(self) -> usize {
                match self { $(TraceFormat::$variant => $record,)* }
            }
        }

        /// The parser of each format, chosen once per file.
        pub(crate) enum Parser {
            $($variant($parser),)*
        }

        impl Parser {
            /// A fresh parser for `format`.
            pub(crate) fn new(format: TraceFormat) -> Parser {
                match format { $(TraceFormat::$variant => Parser::$variant(<$parser>::default()),)* }
            }

            /// Parses one line (or record), queueing its operations.
            pub(crate) fn parse(&mut self, line: &[u8], sink: &mut sink::Sink) -> Result<(), sink::Skip> {
                match self { $(Parser::$variant(p) => p.parse(line, sink),)* }
            }

            /// Whether [`Parser::prefetch`] does anything for this format.
            pub(crate) fn prefetches(&self) -> bool {
                matches!(self, Parser::OracleGeneral(_))
            }

            /// Hints the CPU to fetch what parsing the records `far` and
            /// `near` ahead will read (binary formats whose keys are numbers).
            #[inline]
            pub(crate) fn prefetch(&self, far: &[u8], near: &[u8], sink: &sink::Sink) {
                if let Parser::OracleGeneral(_) = self {
                    oracle_general::OracleParser::prefetch(far, near, sink);
                }
            }
        }
    };
}

trace_formats! {
    Csv => "csv", [], csv::CsvParser, 0,
        "evictsim's own CSV (`t_ms,op,key,value_bytes,ttl_ms[,db][,slide_ms]`).";
    Monitor => "monitor", [], monitor::MonitorParser, 0,
        "The output of `redis-cli monitor` (Redis 7).";
    Twitter => "twitter", [], twitter::TwitterParser, 0,
        "Twitter's cache-trace CSV (twitter/cache-trace).";
    Cachelib => "cachelib", [], cachelib::CachelibParser, 0,
        "Meta's CacheLib KV-cache trace CSV.";
    OracleGeneral => "oracle-general", ["oraclegeneral", "oracle_general"],
        oracle_general::OracleParser, oracle_general::RECORD,
        "libCacheSim's `oracleGeneral` binary records.";
}

impl TraceFormat {
    /// Whether the format is binary records rather than lines of text.
    pub fn is_binary(self) -> bool {
        self.record_size() > 0
    }
}

impl fmt::Display for TraceFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A trace format name that evictsim does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown trace format '{0}' (expected one of: {names})", names = TraceFormat::ALL.iter().map(|f| f.name()).collect::<Vec<_>>().join(", "))]
pub struct UnknownTraceFormat(pub String);

impl FromStr for TraceFormat {
    type Err = UnknownTraceFormat;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        TraceFormat::ALL
            .iter()
            .copied()
            .find(|f| f.name() == lower || f.aliases().contains(&lower.as_str()))
            .ok_or_else(|| UnknownTraceFormat(s.to_string()))
    }
}

/// Value size a read-through fill uses when the trace gives none for the key
/// (the default of [`TraceOptions::default_value_len`]).
pub const DEFAULT_VALUE_LEN: u32 = 64;

/// How to read a trace.
#[derive(Clone, Debug)]
pub struct TraceOptions {
    /// The file's format.
    pub format: TraceFormat,
    /// Which class each key belongs to, and which classes are critical
    /// (default: no rules, every key is `other`).
    pub classes: ClassRules,
    /// A read that misses writes the object back with its size, as a
    /// read-through cache does (default: off, reads never fill).
    pub read_through: bool,
    /// Stop at the first malformed line instead of skipping it (default: off).
    pub strict: bool,
    /// Value size in bytes for a read-through fill or a pop when the trace
    /// has not shown the key's size (default [`DEFAULT_VALUE_LEN`]).
    pub default_value_len: u32,
    /// Databases of the instance replayed into (default 16, Redis's): a
    /// line naming database `databases` or above is refused, as Redis
    /// refuses `SELECT` of it (counted in [`TraceStats::rejected`]).
    pub databases: u8,
}

impl TraceOptions {
    /// Options for `format` with every other setting at its default.
    pub fn new(format: TraceFormat) -> Self {
        TraceOptions {
            format,
            classes: ClassRules::new(),
            read_through: false,
            strict: false,
            default_value_len: DEFAULT_VALUE_LEN,
            databases: crate::model::InstanceConfig::default().databases,
        }
    }
}

/// How many malformed lines [`TraceStats::first_errors`] keeps.
pub const FIRST_ERRORS: usize = 5;

/// How many distinct names [`TraceStats::unknown_commands`] keeps; later
/// names are counted under `...`.
pub const MAX_UNKNOWN_NAMES: usize = 256;

/// What a reader saw, so far or in total.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TraceStats {
    /// Lines read (for a binary format: records read, a partial one included).
    pub lines: u64,
    /// Operations handed out.
    pub ops: u64,
    /// Lines (records) skipped because they did not parse.
    pub skipped_malformed: u64,
    /// The first [`FIRST_ERRORS`] malformed lines: line (record) number, from
    /// 1, and why.
    pub first_errors: Vec<(u64, String)>,
    /// Well-formed commands Redis itself refuses (a bad TTL, a non-integer
    /// increment, a wrong argument count): skipped, as they change nothing.
    pub rejected: u64,
    /// Commands the model does not represent (`PING`, `INFO`, `MULTI`...),
    /// by upper-case name, with how often each appeared; never fatal.
    pub unknown_commands: BTreeMap<String, u64>,
    /// Distinct keys interned.
    pub distinct_keys: u64,
    /// Lines whose time was earlier than a previous line's; their operations
    /// take the previous time, so the stream's time never goes back.
    pub out_of_order: u64,
    /// How the operations were understood, per key class (indexed by class
    /// id; a class with no operation may be missing from the end).
    pub understood: Vec<Understood>,
}

/// How a class's operations were read: the counts that show at once
/// whether a trace means what its writer meant (a read that fills on a
/// miss, an INCR that opens a window, a write with a TTL).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Understood {
    /// Reads (`GET` and its kind).
    pub reads: u64,
    /// Reads that write the value back on a miss (read-through or a fill
    /// size in the trace).
    pub reads_with_fill: u64,
    /// Reads that refresh the TTL on a hit (sliding expiry).
    pub reads_sliding: u64,
    /// Increments (`INCR`, `INCRBY`, `DECR`...).
    pub incrs: u64,
    /// `INCR`s that set a window (`PEXPIRE`) when they create the counter.
    pub incrs_with_window: u64,
    /// `SET`s.
    pub sets: u64,
    /// `SET`s with a TTL.
    pub sets_with_ttl: u64,
    /// `EXPIRE`s (and `PEXPIRE`s...), those of 0 included.
    pub expires: u64,
    /// `EXPIRE`s with a TTL of 0 or less, which delete the key as Redis does.
    pub expire_deletes: u64,
    /// Writes that add elements to a list, hash, set or sorted set (`RPUSH`,
    /// `HSET`, `SADD`, `ZADD`...).
    pub pushes: u64,
    /// Pops (`LPOP`, `BRPOP`, `LMOVE`'s source, `ZPOPMIN`...): reads of an
    /// aggregate that take elements.
    pub pops: u64,
}

impl Understood {
    /// Adds `n` operations `cmd`.
    pub fn count(&mut self, cmd: &crate::op::Cmd, n: u64) {
        use crate::op::Cmd;
        match *cmd {
            Cmd::Read(r) => {
                self.reads += n;
                if r.fill.is_some() {
                    self.reads_with_fill += n;
                }
                if r.slide_ms > 0 {
                    self.reads_sliding += n;
                }
            }
            Cmd::HashRead(r) => {
                self.reads += n;
                if r.fill.is_some() {
                    self.reads_with_fill += n;
                }
                if r.slide_ms > 0 {
                    self.reads_sliding += n;
                }
            }
            Cmd::HashSet { .. } => self.pushes += n,
            Cmd::IncrBy { .. } => self.incrs += n,
            Cmd::IncrWindow { .. } => {
                self.incrs += n;
                self.incrs_with_window += n;
            }
            Cmd::Set { ttl_ms, .. } => {
                self.sets += n;
                if ttl_ms > 0 {
                    self.sets_with_ttl += n;
                }
            }
            Cmd::Expire { ttl_ms } => {
                self.expires += n;
                if ttl_ms == 0 {
                    self.expire_deletes += n;
                }
            }
            Cmd::Grow { elems, .. } if elems > 0 => self.pushes += n,
            Cmd::Pop { .. } => self.pops += n,
            _ => {}
        }
    }

    /// Whether nothing was counted.
    pub fn is_empty(&self) -> bool {
        *self == Understood::default()
    }
}

/// Why a trace could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// The file could not be opened (missing, unreadable, bad compressed
    /// header); nothing was read.
    #[error("cannot open trace {file}")]
    Open {
        /// The path as given.
        file: String,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// Reading failed mid-stream (an I/O error, corrupt or truncated
    /// compressed data); the stream ends at the last good line.
    #[error("{file}:{line}: cannot read the trace")]
    Read {
        /// The path as given.
        file: String,
        /// The line (record) being read, from 1.
        line: u64,
        /// The underlying reason.
        #[source]
        source: std::io::Error,
    },
    /// The header line is missing or wrong; nothing was produced.
    #[error("{file}:{line}: {reason}")]
    Header {
        /// The path as given.
        file: String,
        /// The header's line number.
        line: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// A line that does not parse, in strict mode; the stream ends before it.
    #[error("{file}:{line}: {reason}")]
    Malformed {
        /// The path as given.
        file: String,
        /// The line (record) number, from 1.
        line: u64,
        /// Why it does not parse.
        reason: String,
    },
    /// A trailing partial binary record, in strict mode (lenient mode counts
    /// it as malformed); every whole record before it was produced.
    #[error(
        "{file}: record {record} at byte offset {offset} is truncated ({len} of {size} bytes)"
    )]
    Truncated {
        /// The path as given.
        file: String,
        /// The record's number, from 1.
        record: u64,
        /// Byte offset of the record's start.
        offset: u64,
        /// Bytes present.
        len: usize,
        /// Bytes a record has.
        size: usize,
    },
    /// The trace produced no operation at all (an empty file, a header only,
    /// or nothing but skipped lines).
    #[error(
        "{file}: the trace holds no operation ({lines} lines read, {skipped} malformed, \
         {rejected} refused as Redis refuses them){first}"
    )]
    Empty {
        /// The path as given.
        file: String,
        /// Lines (records) read.
        lines: u64,
        /// Of which malformed.
        skipped: u64,
        /// Of which well formed but refused as Redis refuses them.
        rejected: u64,
        /// The first malformed line and why, as `; line N: reason` (empty
        /// when none was), so the user sees what the reader expected.
        first: String,
    },
    /// More distinct keys than a 32-bit key id can number; the stream ends.
    #[error("{file}:{line}: more than 4294967295 distinct keys")]
    TooManyKeys {
        /// The path as given.
        file: String,
        /// The line (record) that needed one more.
        line: u64,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_round_trip() {
        for &f in TraceFormat::ALL {
            assert_eq!(f.name().parse::<TraceFormat>().unwrap(), f);
            assert_eq!(f.to_string(), f.name());
        }
        assert_eq!(
            " oracleGeneral ".parse::<TraceFormat>().unwrap(),
            TraceFormat::OracleGeneral
        );
        let e = "parquet".parse::<TraceFormat>().unwrap_err();
        assert!(e.to_string().contains("'parquet'"), "{e}");
        assert!(e.to_string().contains("oracle-general"), "{e}");
    }
}
