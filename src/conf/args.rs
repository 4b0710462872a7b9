//! A redis.conf line split into arguments the way Redis 7.0 splits it
//! (`sdssplitargs` in src/sds.c), and a value quoted the way `CONFIG
//! REWRITE` quotes it (`sdscatrepr`), so what evictsim reads and writes
//! means what it means to redis-server.
//!
//! Outside quotes, arguments are separated by spaces, tabs, CR and LF
//! (nothing else: a `#` in the middle of a line is part of an argument).
//! In double quotes, `\n`, `\r`, `\t`, `\b`, `\a` and `\xHH` are escapes and
//! a backslash before any other character stands for that character; in
//! single quotes only `\'` is an escape. A closing quote must be followed by
//! a blank or the end of the line, and quotes join with nothing: `a"b"` is
//! the three bytes `a"b`, since a quote only opens at an argument's start.

/// Why a line could not be split.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    /// A quote opened and the line ended before it closed.
    #[error("unbalanced quotes: a {0} quote is never closed")]
    Unterminated(&'static str),
    /// A closing quote was followed by something other than a blank.
    #[error("a closing {0} quote must be followed by a space or the end of the line")]
    AfterQuote(&'static str),
}

/// Blanks between arguments (C's `isspace`).
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// Bytes that end an argument outside quotes (`sdssplitargs` stops only
/// at these, while it skips any `isspace` byte between arguments).
fn ends_bare(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t')
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Splits `line` into arguments as Redis 7.0's `sdssplitargs` does.
pub fn split_args(line: &[u8]) -> Result<Vec<Vec<u8>>, SplitError> {
    let mut out = Vec::new();
    let mut i = 0;
    let n = line.len();
    loop {
        while i < n && is_space(line[i]) {
            i += 1;
        }
        if i >= n {
            return Ok(out);
        }
        let mut arg = Vec::new();
        match line[i] {
            b'"' => {
                i += 1;
                loop {
                    match line.get(i) {
                        None => return Err(SplitError::Unterminated("double")),
                        Some(b'\\') if line.get(i + 1) == Some(&b'x') => {
                            match (
                                line.get(i + 2).and_then(|&b| hex(b)),
                                line.get(i + 3).and_then(|&b| hex(b)),
                            ) {
                                (Some(h), Some(l)) => {
                                    arg.push(h * 16 + l);
                                    i += 4;
                                }
                                _ => {
                                    // Not a hex escape: `\x` is a plain `x`.
                                    arg.push(b'x');
                                    i += 2;
                                }
                            }
                        }
                        Some(b'\\') if i + 1 < n => {
                            arg.push(match line[i + 1] {
                                b'n' => b'\n',
                                b'r' => b'\r',
                                b't' => b'\t',
                                b'b' => 0x08,
                                b'a' => 0x07,
                                c => c,
                            });
                            i += 2;
                        }
                        Some(b'"') => {
                            if line.get(i + 1).is_some_and(|&b| !is_space(b)) {
                                return Err(SplitError::AfterQuote("double"));
                            }
                            i += 1;
                            break;
                        }
                        Some(&b) => {
                            arg.push(b);
                            i += 1;
                        }
                    }
                }
            }
            b'\'' => {
                i += 1;
                loop {
                    match line.get(i) {
                        None => return Err(SplitError::Unterminated("single")),
                        Some(b'\\') if line.get(i + 1) == Some(&b'\'') => {
                            arg.push(b'\'');
                            i += 2;
                        }
                        Some(b'\'') => {
                            if line.get(i + 1).is_some_and(|&b| !is_space(b)) {
                                return Err(SplitError::AfterQuote("single"));
                            }
                            i += 1;
                            break;
                        }
                        Some(&b) => {
                            arg.push(b);
                            i += 1;
                        }
                    }
                }
            }
            _ => {
                while i < n && !ends_bare(line[i]) {
                    arg.push(line[i]);
                    i += 1;
                }
            }
        }
        out.push(arg);
    }
}

/// Quotes `value` as `CONFIG REWRITE` writes a string (`sdscatrepr`):
/// in double quotes, with `\\`, `\"`, `\n`, `\r`, `\t`, `\a`, `\b` and
/// `\xHH` for any other unprintable byte. [`split_args`] reads it back.
pub fn quote(value: &[u8]) -> String {
    let mut s = String::with_capacity(value.len() + 2);
    s.push('"');
    for &b in value {
        match b {
            b'\\' => s.push_str("\\\\"),
            b'"' => s.push_str("\\\""),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            0x07 => s.push_str("\\a"),
            0x08 => s.push_str("\\b"),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    s.push('"');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &str) -> Vec<String> {
        split_args(s.as_bytes())
            .unwrap()
            .into_iter()
            .map(|a| String::from_utf8_lossy(&a).into_owned())
            .collect()
    }

    #[test]
    fn blanks_separate_and_hashes_are_literal() {
        assert_eq!(split("  save  900 1\t"), ["save", "900", "1"]);
        assert_eq!(split("requirepass foo#bar"), ["requirepass", "foo#bar"]);
        assert_eq!(split("a \x0b b"), ["a", "b"]);
        assert!(split("").is_empty());
        assert!(split(" \x0c ").is_empty());
    }

    #[test]
    fn double_quotes_take_escapes() {
        assert_eq!(split(r#"save """#), ["save", ""]);
        assert_eq!(split(r#"x "a b\n\t\"\\""#), ["x", "a b\n\t\"\\"]);
        assert_eq!(split(r#"x "\x41\x7a\x4""#), ["x", "Azx4"]);
        assert_eq!(split(r#"x "\q""#), ["x", "q"]);
        assert_eq!(split_args(br#""\xff""#).unwrap(), vec![vec![0xff]]);
        assert_eq!(split("x \"\\a\\b\\r\""), ["x", "\x07\x08\r"]);
    }

    #[test]
    fn single_quotes_take_only_an_escaped_quote() {
        assert_eq!(split(r"x 'a\nb'"), ["x", r"a\nb"]);
        assert_eq!(split(r"x 'it\'s'"), ["x", "it's"]);
    }

    #[test]
    fn quotes_open_only_at_an_argument_start() {
        assert_eq!(split(r#"x a"b"c"#), ["x", r#"a"b"c"#]);
        assert_eq!(split("x it's"), ["x", "it's"]);
    }

    #[test]
    fn broken_quotes_are_refused() {
        assert_eq!(
            split_args(br#"x "abc"#),
            Err(SplitError::Unterminated("double"))
        );
        assert_eq!(
            split_args(b"x 'abc"),
            Err(SplitError::Unterminated("single"))
        );
        assert_eq!(
            split_args(br#"x "a"b"#),
            Err(SplitError::AfterQuote("double"))
        );
        assert_eq!(split_args(b"x 'a'b"), Err(SplitError::AfterQuote("single")));
        // A trailing backslash cannot escape the end of the line.
        assert_eq!(
            split_args(br#"x "a\"#),
            Err(SplitError::Unterminated("double"))
        );
    }

    #[test]
    fn quote_round_trips() {
        for v in [
            &b""[..],
            b"plain",
            b"a \"b\" \\c",
            b"\n\r\t\x07\x08\x00\xff",
            b"{title} {listen-addr}",
        ] {
            let line = format!("x {}", quote(v));
            assert_eq!(split_args(line.as_bytes()).unwrap()[1], v, "{line}");
        }
        assert_eq!(quote(b"a\x01"), r#""a\x01""#);
    }
}
