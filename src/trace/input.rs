//! Bytes in: opens a trace file, decompressing `.gz` and `.zst` by the
//! file's extension, and hands it out one line or one fixed-size record at a
//! time from reused buffers, so reading never holds more than one line.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

/// The compression a file's name says it has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Compression {
    /// No compression.
    None,
    /// gzip (`.gz`), possibly several members.
    Gzip,
    /// Zstandard (`.zst`, `.zstd`), possibly several frames.
    Zstd,
}

impl Compression {
    /// The compression of a file named `path`, by its extension.
    pub(crate) fn of(path: &Path) -> Compression {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        match ext.as_deref() {
            Some("gz") => Compression::Gzip,
            Some("zst") | Some("zstd") => Compression::Zstd,
            _ => Compression::None,
        }
    }
}

/// A decompressed byte stream of a trace.
pub(crate) type Source = Box<dyn Read + Send>;

/// Opens `path`, decompressing it if its extension says so.
pub(crate) fn open(path: &Path) -> io::Result<Source> {
    let file = File::open(path)?;
    if file.metadata()?.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "it is a directory, not a trace file",
        ));
    }
    Ok(match Compression::of(path) {
        Compression::None => Box::new(file),
        Compression::Gzip => Box::new(Explained {
            inner: flate2::read::MultiGzDecoder::new(BufReader::new(file)),
            what: "gzip",
        }),
        Compression::Zstd => Box::new(Explained {
            inner: zstd::stream::read::Decoder::new(file)?,
            what: "zstd",
        }),
    })
}

/// A decompressor whose errors say what they most often mean: the file
/// was cut short (a copy interrupted, a capture still being written) or is
/// not compressed the way its name says.
struct Explained<R> {
    inner: R,
    what: &'static str,
}

impl<R: Read> Read for Explained<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            let what = self.what;
            io::Error::new(
                e.kind(),
                format!(
                    "{e}: the {what} data ends early or is corrupt (a file cut short while \
                     copying or still being written, or not {what} though its name says so)"
                ),
            )
        })
    }
}

/// The UTF-8 byte-order mark some editors write at the start of a file.
pub(crate) const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";

/// A stream of lines, each without its `\n` or `\r\n` (and the first
/// without a UTF-8 byte-order mark).
pub(crate) struct Lines {
    r: BufReader<Source>,
    buf: Vec<u8>,
    /// Number of the line last returned, from 1.
    pub(crate) line_no: u64,
}

impl Lines {
    /// Lines of `src`.
    pub(crate) fn new(src: Source) -> Self {
        Lines {
            r: BufReader::with_capacity(64 * 1024, src),
            buf: Vec::with_capacity(256),
            line_no: 0,
        }
    }

    /// The next line, or None at the end; an I/O error is returned as is
    /// (with `line_no` already naming the line being read).
    pub(crate) fn next_line(&mut self) -> io::Result<Option<&[u8]>> {
        self.buf.clear();
        self.line_no += 1;
        let n = self.r.read_until(b'\n', &mut self.buf)?;
        if n == 0 {
            self.line_no -= 1;
            return Ok(None);
        }
        let mut line = &self.buf[..];
        if let Some(l) = line.strip_suffix(b"\n") {
            line = l;
        }
        if let Some(l) = line.strip_suffix(b"\r") {
            line = l;
        }
        // A byte-order mark before the first line (Excel's "CSV UTF-8",
        // Notepad) is the file's encoding, not its text.
        if self.line_no == 1 {
            if let Some(l) = line.strip_prefix(UTF8_BOM) {
                line = l;
            }
        }
        Ok(Some(line))
    }
}

/// One read of a fixed-size record.
pub(crate) enum Record<'a> {
    /// A whole record.
    Whole(&'a [u8]),
    /// The stream ended inside a record: the bytes present.
    Partial(usize),
}

/// A stream of fixed-size binary records.
pub(crate) struct Records {
    r: BufReader<Source>,
    buf: Vec<u8>,
    /// Number of the record last returned, from 1.
    pub(crate) record_no: u64,
    next_offset: u64,
}

impl Records {
    /// Records of `size` bytes from `src`.
    pub(crate) fn new(src: Source, size: usize) -> Self {
        Records {
            r: BufReader::with_capacity(64 * 1024, src),
            buf: vec![0; size],
            record_no: 0,
            next_offset: 0,
        }
    }

    /// Bytes in one record.
    pub(crate) fn size(&self) -> usize {
        self.buf.len()
    }

    /// Byte offset of the next record.
    pub(crate) fn next_offset(&self) -> u64 {
        self.next_offset
    }

    /// The record `k` records after the one last returned (k = 1 is the
    /// next), if it is already in the read buffer; for look-ahead only.
    #[inline]
    pub(crate) fn ahead(&self, k: usize) -> Option<&[u8]> {
        let size = self.buf.len();
        self.r.buffer().get((k - 1) * size..k * size)
    }

    /// The next record, a partial one at the end, or None after the last.
    pub(crate) fn next_record(&mut self) -> io::Result<Option<Record<'_>>> {
        let mut got = 0;
        while got < self.buf.len() {
            match self.r.read(&mut self.buf[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if got == 0 {
            return Ok(None);
        }
        self.record_no += 1;
        self.next_offset += got as u64;
        if got < self.buf.len() {
            return Ok(Some(Record::Partial(got)));
        }
        Ok(Some(Record::Whole(&self.buf)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn lines_strip_endings_and_count() {
        let mut l = Lines::new(Box::new(Cursor::new(b"a\r\nb\n\nc".to_vec())));
        assert_eq!(l.next_line().unwrap(), Some(&b"a"[..]));
        assert_eq!(l.next_line().unwrap(), Some(&b"b"[..]));
        assert_eq!(l.next_line().unwrap(), Some(&b""[..]));
        assert_eq!(l.next_line().unwrap(), Some(&b"c"[..]));
        assert_eq!(l.line_no, 4);
        assert_eq!(l.next_line().unwrap(), None);
        assert_eq!(l.line_no, 4);
    }

    #[test]
    fn a_bom_before_the_first_line_is_dropped() {
        let mut l = Lines::new(Box::new(Cursor::new(
            b"\xef\xbb\xbfa\r\n\xef\xbb\xbfb".to_vec(),
        )));
        assert_eq!(l.next_line().unwrap(), Some(&b"a"[..]));
        assert_eq!(l.next_line().unwrap(), Some(&b"\xef\xbb\xbfb"[..]));
    }

    #[test]
    fn records_report_a_partial_tail() {
        let mut r = Records::new(Box::new(Cursor::new(vec![7u8; 10])), 4);
        assert!(matches!(r.next_record().unwrap(), Some(Record::Whole(_))));
        assert!(matches!(r.next_record().unwrap(), Some(Record::Whole(_))));
        assert_eq!(r.next_offset(), 8);
        assert!(matches!(r.next_record().unwrap(), Some(Record::Partial(2))));
        assert_eq!(r.record_no, 3);
        assert!(r.next_record().unwrap().is_none());
    }

    #[test]
    fn compression_follows_the_extension() {
        assert_eq!(Compression::of(Path::new("a.csv.gz")), Compression::Gzip);
        assert_eq!(Compression::of(Path::new("a.ZST")), Compression::Zstd);
        assert_eq!(Compression::of(Path::new("a.csv")), Compression::None);
        assert_eq!(Compression::of(Path::new("gz")), Compression::None);
    }
}
