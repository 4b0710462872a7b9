//! Small parsing helpers shared by the text formats: splitting a CSV line
//! (RFC 4180 quoting) into reused buffers, and reading numbers out of byte
//! fields with a reason naming the field when they do not parse.

use super::sink::{malformed, Skip};

/// The fields of one CSV line, unquoted, kept in one reused buffer.
#[derive(Default)]
pub(crate) struct CsvFields {
    buf: Vec<u8>,
    ends: Vec<usize>,
}

impl CsvFields {
    /// Splits `line` at commas; a field that starts with `"` is quoted and
    /// `""` inside it is one quote.
    pub(crate) fn split(&mut self, line: &[u8]) -> Result<(), Skip> {
        self.buf.clear();
        self.ends.clear();
        let mut i = 0;
        loop {
            if line.get(i) == Some(&b'"') {
                i += 1;
                loop {
                    match line.get(i) {
                        None => return Err(malformed("unterminated quoted field")),
                        Some(b'"') if line.get(i + 1) == Some(&b'"') => {
                            self.buf.push(b'"');
                            i += 2;
                        }
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        Some(&b) => {
                            self.buf.push(b);
                            i += 1;
                        }
                    }
                }
                match line.get(i) {
                    None | Some(b',') => {}
                    Some(_) => return Err(malformed("text after a closing quote")),
                }
            } else {
                let end = line[i..]
                    .iter()
                    .position(|&b| b == b',')
                    .map_or(line.len(), |p| i + p);
                self.buf.extend_from_slice(&line[i..end]);
                i = end;
            }
            self.ends.push(self.buf.len());
            if i >= line.len() {
                return Ok(());
            }
            i += 1; // the comma
        }
    }

    /// Number of fields.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Field `i`, or an empty slice past the end.
    pub(crate) fn get(&self, i: usize) -> &[u8] {
        if i >= self.ends.len() {
            return &[];
        }
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.buf[start..self.ends[i]]
    }
}

/// `b` without leading and trailing ASCII spaces and tabs.
pub(crate) fn trim(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|c| !matches!(c, b' ' | b'\t'));
    let Some(start) = start else { return &[] };
    let end = b
        .iter()
        .rposition(|c| !matches!(c, b' ' | b'\t'))
        .unwrap_or(start);
    &b[start..=end]
}

/// `b` as text for a message (lossy, shortened).
pub(crate) fn show(b: &[u8]) -> String {
    let s = String::from_utf8_lossy(&b[..b.len().min(40)]);
    if b.len() > 40 {
        format!("{s}...")
    } else {
        s.into_owned()
    }
}

/// A decimal `u64` field named `what`.
pub(crate) fn parse_u64(b: &[u8], what: &str) -> Result<u64, Skip> {
    let t = trim(b);
    if t.is_empty() || t.len() > 20 || !t.iter().all(u8::is_ascii_digit) {
        return Err(malformed(format!(
            "{what} '{}' is not a whole number",
            show(b)
        )));
    }
    t.iter()
        .try_fold(0u64, |n, &d| {
            n.checked_mul(10)?.checked_add((d - b'0') as u64)
        })
        .ok_or_else(|| malformed(format!("{what} '{}' is too large", show(b))))
}

/// A decimal `i64` field named `what` (an optional leading `-` or `+`).
pub(crate) fn parse_i64(b: &[u8], what: &str) -> Result<i64, Skip> {
    let t = trim(b);
    let (neg, digits) = match t.first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let mag = parse_u64(digits, what)
        .map_err(|_| malformed(format!("{what} '{}' is not an integer", show(b))))?;
    let v = if neg {
        0i64.checked_sub_unsigned(mag)
    } else {
        i64::try_from(mag).ok()
    };
    v.ok_or_else(|| malformed(format!("{what} '{}' is out of range", show(b))))
}

/// A `u32` field named `what`.
pub(crate) fn parse_u32(b: &[u8], what: &str) -> Result<u32, Skip> {
    let v = parse_u64(b, what)?;
    u32::try_from(v).map_err(|_| malformed(format!("{what} '{}' is too large", show(b))))
}

/// A `u64` field where empty means 0 (none).
pub(crate) fn u64_or_zero(b: &[u8], what: &str) -> Result<u64, Skip> {
    Ok(opt_u64(b, what)?.unwrap_or(0))
}

/// A `u32` field where empty means 0 (none).
pub(crate) fn u32_or_zero(b: &[u8], what: &str) -> Result<u32, Skip> {
    if trim(b).is_empty() {
        return Ok(0);
    }
    parse_u32(b, what)
}

/// An optional `u64` field: None when empty.
pub(crate) fn opt_u64(b: &[u8], what: &str) -> Result<Option<u64>, Skip> {
    if trim(b).is_empty() {
        return Ok(None);
    }
    parse_u64(b, what).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &str) -> Result<Vec<String>, Skip> {
        let mut f = CsvFields::default();
        f.split(line.as_bytes())?;
        Ok((0..f.len())
            .map(|i| String::from_utf8(f.get(i).to_vec()).unwrap())
            .collect())
    }

    #[test]
    fn csv_quoting() {
        assert_eq!(split("a,b,,c").unwrap(), ["a", "b", "", "c"]);
        assert_eq!(split("").unwrap(), [""]);
        assert_eq!(split("a,").unwrap(), ["a", ""]);
        assert_eq!(split(r#""a,""b""",c"#).unwrap(), [r#"a,"b""#, "c"]);
        assert_eq!(split(r#""""#).unwrap(), [""]);
        assert!(split(r#""abc"#).is_err());
        assert!(split(r#""a"b,c"#).is_err());
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_u64(b" 42 ", "x").unwrap(), 42);
        assert!(parse_u64(b"", "x").is_err());
        assert!(parse_u64(b"-1", "x").is_err());
        assert!(parse_u64(b"18446744073709551616", "x").is_err());
        assert_eq!(parse_u64(b"18446744073709551615", "x").unwrap(), u64::MAX);
        assert_eq!(parse_i64(b"-9223372036854775808", "x").unwrap(), i64::MIN);
        assert!(parse_i64(b"9223372036854775808", "x").is_err());
        assert_eq!(parse_i64(b"+5", "x").unwrap(), 5);
        assert!(parse_i64(b"--5", "x").is_err());
        assert!(parse_u32(b"4294967296", "x").is_err());
        assert_eq!(opt_u64(b" ", "x").unwrap(), None);
        let Err(Skip::Malformed(m)) = parse_u64(b"abc", "ttl_ms") else {
            panic!()
        };
        assert!(m.contains("ttl_ms 'abc'"), "{m}");
    }
}
