//! Writes a stream of [`Op`]s as an evictsim CSV trace (the format the `csv`
//! reader documents), so any scenario's stream can be saved and replayed:
//! reading the file back with the same class rules gives the same ops.
//!
//! ```text
//! t_ms,op,key,value_bytes,ttl_ms,db,slide_ms
//! 0,SET,session:9,512,1800000,0,
//! 12,GET,session:9,512,1800000,0,1800000
//! ```

use super::csv::{line_of, Field, Line, HEADER};
use super::input::Compression;
use crate::op::{KeyId, Op, Value};
use flate2::write::GzEncoder;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// Why a trace could not be written.
#[derive(Debug, thiserror::Error)]
pub enum CsvWriteError {
    /// The output file could not be created.
    #[error("cannot create trace {file}")]
    Create {
        /// The path as given.
        file: String,
        /// The operating system's reason.
        #[source]
        source: io::Error,
    },
    /// Writing failed; the file is incomplete.
    #[error("cannot write the trace")]
    Io(#[from] io::Error),
    /// A key name holds a line break, which one-line records cannot carry;
    /// nothing of that operation was written.
    #[error("key name {0:?} holds a line break, which the CSV trace format cannot carry")]
    LineBreak(String),
    /// An operation the format has no words for (a 0-byte read-through
    /// fill or a 0-ms INCR window, since 0 means none in the format; a
    /// hash, set or sorted-set write); nothing of it was written.
    #[error("{0} cannot be written in the CSV trace format")]
    Unwritable(&'static str),
}

/// A trace file being written, compressed by its extension (`.gz`, `.zst`).
pub enum TraceFile {
    /// Uncompressed.
    Plain(BufWriter<File>),
    /// gzip.
    Gzip(GzEncoder<BufWriter<File>>),
    /// Zstandard.
    Zstd(zstd::stream::write::Encoder<'static, BufWriter<File>>),
}

impl TraceFile {
    /// Creates `path`, compressing by its extension.
    pub fn create(path: &Path) -> io::Result<TraceFile> {
        let w = BufWriter::new(File::create(path)?);
        Ok(match Compression::of(path) {
            Compression::None => TraceFile::Plain(w),
            Compression::Gzip => TraceFile::Gzip(GzEncoder::new(w, flate2::Compression::default())),
            Compression::Zstd => TraceFile::Zstd(zstd::stream::write::Encoder::new(w, 3)?),
        })
    }

    /// Ends the compressed stream and flushes everything to the file.
    pub fn finish(self) -> io::Result<()> {
        let mut w = match self {
            TraceFile::Plain(w) => w,
            TraceFile::Gzip(g) => g.finish()?,
            TraceFile::Zstd(z) => z.finish()?,
        };
        w.flush()?;
        w.into_inner().map_err(|e| e.into_error())?.sync_all()
    }
}

impl Write for TraceFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            TraceFile::Plain(w) => w.write(buf),
            TraceFile::Gzip(w) => w.write(buf),
            TraceFile::Zstd(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            TraceFile::Plain(w) => w.flush(),
            TraceFile::Gzip(w) => w.flush(),
            TraceFile::Zstd(w) => w.flush(),
        }
    }
}

/// Writes operations as evictsim CSV lines.
pub struct CsvWriter<W: Write> {
    w: W,
    line: Vec<u8>,
    ops: u64,
}

impl CsvWriter<TraceFile> {
    /// Creates the trace file `path` (compressed by its extension) and writes
    /// the header; call [`CsvWriter::close`] at the end.
    pub fn create(path: impl AsRef<Path>) -> Result<Self, CsvWriteError> {
        let path = path.as_ref();
        let file = TraceFile::create(path).map_err(|source| CsvWriteError::Create {
            file: path.display().to_string(),
            source,
        })?;
        CsvWriter::new(file)
    }

    /// Ends the file (compressed stream included) and syncs it.
    pub fn close(self) -> Result<(), CsvWriteError> {
        let mut w = self.w;
        w.flush()?;
        w.finish()?;
        Ok(())
    }
}

impl<W: Write> CsvWriter<W> {
    /// A writer to `w`; writes the header now.
    pub fn new(mut w: W) -> Result<Self, CsvWriteError> {
        w.write_all(HEADER.as_bytes())?;
        w.write_all(b"\n")?;
        Ok(CsvWriter {
            w,
            line: Vec::with_capacity(128),
            ops: 0,
        })
    }

    /// Operations written so far.
    pub fn ops(&self) -> u64 {
        self.ops
    }

    /// Writes one operation on the key named `name`.
    pub fn write_op(&mut self, op: &Op, name: &[u8]) -> Result<(), CsvWriteError> {
        if name.iter().any(|&b| b == b'\n' || b == b'\r') {
            return Err(CsvWriteError::LineBreak(
                String::from_utf8_lossy(name).into_owned(),
            ));
        }
        let Line {
            word,
            value,
            ttl,
            slide,
        } = line_of(&op.cmd).map_err(CsvWriteError::Unwritable)?;
        let l = &mut self.line;
        l.clear();
        write!(l, "{},{},", op.t_ms, word)?;
        if name.iter().any(|&b| b == b',' || b == b'"') {
            l.push(b'"');
            for &b in name {
                if b == b'"' {
                    l.push(b'"');
                }
                l.push(b);
            }
            l.push(b'"');
        } else {
            l.extend_from_slice(name);
        }
        l.push(b',');
        match value {
            Field::Empty => {}
            Field::Value(Value {
                int: true,
                int_value,
                ..
            }) => write!(l, "int:{int_value}")?,
            Field::Value(v) => write!(l, "{}", v.len)?,
            Field::Int(i) => write!(l, "{i}")?,
            Field::Uint(u) => write!(l, "{u}")?,
        }
        l.push(b',');
        if let Some(t) = ttl {
            write!(l, "{t}")?;
        }
        write!(l, ",{},", op.db)?;
        if let Some(s) = slide {
            write!(l, "{s}")?;
        }
        l.push(b'\n');
        self.w.write_all(l)?;
        self.ops += 1;
        Ok(())
    }

    /// Writes every operation, naming each key with `name`; returns how many
    /// were written.
    pub fn write_ops(
        &mut self,
        ops: impl IntoIterator<Item = Op>,
        name: &dyn Fn(KeyId) -> String,
    ) -> Result<u64, CsvWriteError> {
        let before = self.ops;
        for op in ops {
            self.write_op(&op, name(op.key).as_bytes())?;
        }
        Ok(self.ops - before)
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(mut self) -> Result<W, CsvWriteError> {
        self.w.flush()?;
        Ok(self.w)
    }
}
