//! The trace reader: pulls one line (or record) at a time from the input,
//! hands it to its format's parser and yields the operations it queued, so
//! a trace of any length streams in constant memory beyond the interning
//! table. Malformed lines are counted (lenient) or end the stream (strict);
//! either way the caller reads the counts and the error after iterating.

use super::input::{self, Lines, Record, Records, Source};
use super::sink::{Sink, Skip};
use super::{Parser, TraceError, TraceOptions, TraceStats, FIRST_ERRORS};
use crate::sim::ClassInfo;
use std::path::Path;

/// How many records ahead of the one parsed the reader fetches the next
/// key's interner slot.
const LOOK_AHEAD: usize = 8;

enum Input {
    Lines(Lines),
    Records(Records),
}

/// Streams the operations of one trace file; iterate it (it is an
/// `Iterator<Item = Op>`), then read [`TraceReader::stats`] and
/// [`TraceReader::error`], or call [`TraceReader::finish`].
pub struct TraceReader {
    file: String,
    format: super::TraceFormat,
    strict: bool,
    input: Input,
    parser: Parser,
    sink: Sink,
    done: bool,
    error: Option<TraceError>,
}

impl TraceReader {
    /// Opens the trace at `path` (decompressing `.gz`/`.zst`) and reads up
    /// to its first operation. Fails if the file cannot be opened, its
    /// header is wrong, it holds no operation, or (strict) a line before the
    /// first operation is malformed.
    pub fn open(path: impl AsRef<Path>, opts: TraceOptions) -> Result<Self, TraceError> {
        let path = path.as_ref();
        let file = path.display().to_string();
        let src = input::open(path).map_err(|source| TraceError::Open {
            file: file.clone(),
            source,
        })?;
        TraceReader::from_source(file, src, opts)
    }

    /// Reads a trace from an uncompressed byte stream; `name` stands for the
    /// file in messages. Fails as [`TraceReader::open`] does.
    pub fn from_reader(
        name: impl Into<String>,
        reader: impl std::io::Read + Send + 'static,
        opts: TraceOptions,
    ) -> Result<Self, TraceError> {
        TraceReader::from_source(name.into(), Box::new(reader), opts)
    }

    fn from_source(file: String, src: Source, opts: TraceOptions) -> Result<Self, TraceError> {
        let input = if opts.format.is_binary() {
            Input::Records(Records::new(src, opts.format.record_size()))
        } else {
            Input::Lines(Lines::new(src))
        };
        let mut r = TraceReader {
            file,
            format: opts.format,
            strict: opts.strict,
            input,
            parser: Parser::new(opts.format),
            sink: Sink::new(&opts),
            done: false,
            error: None,
        };
        while r.sink.queued() == 0 && !r.done {
            match r.step() {
                Ok(true) => {}
                Ok(false) => r.done = true,
                Err(e) => return Err(e),
            }
        }
        if r.sink.queued() == 0 {
            let stats = &r.sink.stats;
            let first = match stats.first_errors.first() {
                Some((line, why)) => format!(
                    "; line {line}: {why}{}",
                    if stats.skipped_malformed == stats.lines {
                        " (is it a trace of this format? --trace-format names the format)"
                    } else {
                        ""
                    }
                ),
                None => String::new(),
            };
            return Err(TraceError::Empty {
                lines: stats.lines,
                skipped: stats.skipped_malformed,
                rejected: stats.rejected,
                first,
                file: r.file,
            });
        }
        Ok(r)
    }

    /// Reads and parses one line or record; false at the end of the input.
    fn step(&mut self) -> Result<bool, TraceError> {
        let TraceReader {
            file,
            strict,
            input,
            parser,
            sink,
            ..
        } = self;
        let (no, outcome) = match input {
            Input::Lines(lines) => {
                let no = lines.line_no + 1;
                let line = lines.next_line().map_err(|source| TraceError::Read {
                    file: file.clone(),
                    line: no,
                    source,
                })?;
                let Some(line) = line else { return Ok(false) };
                sink.stats.lines += 1;
                if line.iter().all(u8::is_ascii_whitespace) {
                    return Ok(true);
                }
                (no, parser.parse(line, sink))
            }
            Input::Records(recs) => {
                let (no, offset) = (recs.record_no + 1, recs.next_offset());
                let rec = recs.next_record().map_err(|source| TraceError::Read {
                    file: file.clone(),
                    line: no,
                    source,
                })?;
                let Some(rec) = rec else { return Ok(false) };
                sink.stats.lines += 1;
                match rec {
                    Record::Whole(b) => {
                        let out = parser.parse(b, sink);
                        if parser.prefetches() {
                            if let Some(far) = recs.ahead(LOOK_AHEAD) {
                                let near = recs.ahead(LOOK_AHEAD / 2).unwrap_or(far);
                                parser.prefetch(far, near, sink);
                            }
                        }
                        (no, out)
                    }
                    Record::Partial(len) => {
                        let record = no;
                        if *strict {
                            return Err(TraceError::Truncated {
                                file: file.clone(),
                                record,
                                offset,
                                len,
                                size: recs.size(),
                            });
                        }
                        let reason = format!(
                            "record at byte offset {offset} is truncated ({len} of {} bytes)",
                            recs.size()
                        );
                        (record, Err(Skip::Malformed(reason)))
                    }
                }
            }
        };
        match outcome {
            Ok(()) => Ok(true),
            Err(skip) => {
                sink.discard();
                self.skip(no, skip)
            }
        }
    }

    fn skip(&mut self, line: u64, skip: Skip) -> Result<bool, TraceError> {
        let file = self.file.clone();
        match skip {
            Skip::Rejected => {
                self.sink.stats.rejected += 1;
                Ok(true)
            }
            Skip::Header(reason) => Err(TraceError::Header { file, line, reason }),
            Skip::TooManyKeys => Err(TraceError::TooManyKeys { file, line }),
            Skip::Malformed(reason) if self.strict => {
                self.sink.stats.skipped_malformed += 1;
                Err(TraceError::Malformed { file, line, reason })
            }
            Skip::Malformed(reason) => {
                let stats = &mut self.sink.stats;
                stats.skipped_malformed += 1;
                if stats.first_errors.len() < FIRST_ERRORS {
                    stats.first_errors.push((line, reason));
                }
                Ok(true)
            }
        }
    }

    /// What the reader has seen so far (all of it once iteration ended).
    pub fn stats(&self) -> &TraceStats {
        &self.sink.stats
    }

    /// Why iteration stopped before the end of the trace, if it did (strict
    /// mode's first malformed line, an I/O error, a truncated record).
    pub fn error(&self) -> Option<&TraceError> {
        self.error.as_ref()
    }

    /// Ends reading: the stats, or the error that stopped the stream.
    pub fn finish(self) -> Result<TraceStats, TraceError> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.sink.stats),
        }
    }

    /// The wall-clock time (unix ms) of the trace's time 0, when its format
    /// stamps lines with absolute unix time: a MONITOR capture's first
    /// timestamp (known once [`TraceReader::open`] returns). `None` for the
    /// other formats, whose times are relative or of unknown origin.
    pub fn start_unix_ms(&self) -> Option<u64> {
        match self.format {
            super::TraceFormat::Monitor => self.sink.origin_us().map(|us| us / 1000),
            _ => None,
        }
    }

    /// The file's name as given.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The key classes in id order (what [`crate::sim::RunSpec::classes`]
    /// takes).
    pub fn class_infos(&self) -> Vec<ClassInfo> {
        self.sink.rules.class_infos()
    }

    /// Every key interned so far as (db, name), indexed by key id (binary
    /// traces' numeric ids in decimal): the names a `CsvWriter` needs.
    pub fn key_names(&self) -> Vec<(u8, Vec<u8>)> {
        self.sink.interner.names()
    }
}

/// Each key's slot was hashed from its name when it was interned.
impl crate::cluster::KeySlots for TraceReader {
    fn key_slot(&mut self, id: crate::op::KeyId) -> Option<u16> {
        self.sink.interner.get(id).map(|m| m.slot)
    }
}

impl Iterator for TraceReader {
    type Item = crate::op::Op;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(op) = self.sink.pop() {
                self.sink.stats.ops += 1;
                return Some(op);
            }
            if self.done {
                return None;
            }
            match self.step() {
                Ok(true) => {}
                Ok(false) => self.done = true,
                Err(e) => {
                    self.error = Some(e);
                    self.done = true;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_is_send() {
        fn send<T: Send>() {}
        send::<TraceReader>();
    }
}
