//! Key name templates such as `cache:page:{id:08}` or `session:{hex:32}`:
//! how a class names its keys, and so how long each key's name is.
//!
//! Placeholders: `{id}` (the key's number within its class, from 0),
//! `{id:0N}` (zero-padded to N digits), `{hex:N}` (N hex digits derived from
//! the number, 16 to 64: 16 or more never collide) and `{uuid}` (a
//! version-4-shaped UUID derived from the number). `{{` and `}}` are literal
//! braces: `session:{{tenant42}}:{hex:16}` names `session:{tenant42}:...`,
//! whose Redis Cluster hash tag puts every such key on one slot. The model
//! only needs the length; names are rendered for traces and cluster slots.

use super::hash::mix64;
use std::fmt::Write;

/// The longest key name a template may produce (`Op::key_len` is a u16).
pub const MAX_KEY_LEN: usize = u16::MAX as usize;

/// A parsed key name template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyTemplate {
    text: String,
    parts: Vec<Part>,
    /// The length of every name, when it does not depend on the number.
    constant_len: Option<usize>,
}

/// One piece of a template.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Literal(String),
    Id { width: usize },
    Hex { digits: usize },
    Uuid,
}

/// A template that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TemplateError(String);

impl KeyTemplate {
    /// Parses a template; it must tell keys apart (`{id}`, `{hex:N}` or
    /// `{uuid}`) and produce names of at most [`MAX_KEY_LEN`] bytes.
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        Self::parse_inner(text, false)
    }

    /// Parses the name of a class with a single key (a list queue of one
    /// list, `queue:default`): a plain name is allowed.
    pub fn parse_single(text: &str) -> Result<Self, TemplateError> {
        Self::parse_inner(text, true)
    }

    fn parse_inner(text: &str, single: bool) -> Result<Self, TemplateError> {
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut chars = text.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '{' if chars.peek().map(|p| p.1) == Some('{') => {
                    chars.next();
                    lit.push('{');
                }
                '}' if chars.peek().map(|p| p.1) == Some('}') => {
                    chars.next();
                    lit.push('}');
                }
                '}' => {
                    return Err(TemplateError(format!(
                        "stray '}}' at byte {i} (write '}}}}' for a literal brace)"
                    )))
                }
                '{' => {
                    let rest = &text[i + 1..];
                    let Some(end) = rest.find('}') else {
                        return Err(TemplateError(format!(
                            "unclosed '{{' at byte {i} (write '{{{{' for a literal brace)"
                        )));
                    };
                    let part = placeholder(&rest[..end])?;
                    for _ in 0..end + 1 {
                        chars.next();
                    }
                    if !lit.is_empty() {
                        parts.push(Part::Literal(std::mem::take(&mut lit)));
                    }
                    parts.push(part);
                }
                _ => lit.push(c),
            }
        }
        if !lit.is_empty() {
            parts.push(Part::Literal(lit));
        }
        if !single && parts.iter().all(|p| matches!(p, Part::Literal(_))) {
            return Err(TemplateError(
                "has no {id}, {id:0N}, {hex:N} or {uuid}, so every key would have the same name"
                    .into(),
            ));
        }
        // An id padded to 10 digits or more has a constant width (u32).
        let constant = !parts
            .iter()
            .any(|p| matches!(p, Part::Id { width } if *width < 10));
        let mut t = KeyTemplate {
            text: text.to_string(),
            parts,
            constant_len: None,
        };
        if constant {
            t.constant_len = Some(t.len(0));
        }
        if t.max_len() > MAX_KEY_LEN {
            return Err(TemplateError(format!(
                "key names would be up to {} bytes, more than {MAX_KEY_LEN}",
                t.max_len()
            )));
        }
        Ok(t)
    }

    /// The template as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Length in bytes of the name of key number `n` (a `{id:0N}` wider
    /// than N digits grows, as `format!("{:0N}")` does).
    #[inline]
    pub fn len(&self, n: u32) -> usize {
        if let Some(len) = self.constant_len {
            return len;
        }
        let digits = decimal_digits(n);
        self.parts
            .iter()
            .map(|p| match p {
                Part::Literal(s) => s.len(),
                Part::Id { width } => digits.max(*width),
                Part::Hex { digits } => *digits,
                Part::Uuid => 36,
            })
            .sum()
    }

    /// The longest name any key number can produce.
    pub fn max_len(&self) -> usize {
        self.len(u32::MAX)
    }

    /// Appends the name of key number `n` to `out`; `salt` varies the
    /// `{hex}` and `{uuid}` parts between classes and seeds.
    pub fn render(&self, n: u32, salt: u64, out: &mut String) {
        for (i, p) in self.parts.iter().enumerate() {
            let base = mix64(u64::from(n) ^ mix64(salt ^ i as u64));
            // Writing to a String cannot fail.
            let _ = match p {
                Part::Literal(s) => {
                    out.push_str(s);
                    Ok(())
                }
                Part::Id { width } => write!(out, "{n:0width$}"),
                Part::Hex { digits } => {
                    let mut left = *digits;
                    let mut v = base;
                    while left > 0 {
                        let take = left.min(16);
                        let _ = write!(out, "{:016x}", v);
                        out.truncate(out.len() - (16 - take));
                        left -= take;
                        v = mix64(v ^ 0x5bd1_e995);
                    }
                    Ok(())
                }
                Part::Uuid => {
                    let w = mix64(base ^ 0x2545_f491_4f6c_dd1d);
                    let a = base >> 32;
                    let b = (w >> 48) & 0xffff;
                    let c = 0x4000 | ((w >> 36) & 0x0fff);
                    let d = 0x8000 | ((w >> 20) & 0x3fff);
                    let e = ((base & 0xffff_ffff) << 16) | (w & 0xffff);
                    write!(out, "{a:08x}-{b:04x}-{c:04x}-{d:04x}-{e:012x}")
                }
            };
        }
    }
}

/// Parses the inside of a `{...}` placeholder.
fn placeholder(inner: &str) -> Result<Part, TemplateError> {
    let unknown = || {
        TemplateError(format!(
            "unknown placeholder {{{inner}}} (expected {{id}}, {{id:0N}}, {{hex:N}} or {{uuid}}; \
             for literal braces, such as a Redis Cluster hash tag, write {{{{{inner}}}}})"
        ))
    };
    let (name, arg) = match inner.split_once(':') {
        Some((n, a)) => (n, Some(a)),
        None => (inner, None),
    };
    match (name, arg) {
        ("id", None) => Ok(Part::Id { width: 0 }),
        ("uuid", None) => Ok(Part::Uuid),
        ("id", Some(a)) => {
            let width = a
                .strip_prefix('0')
                .and_then(|w| w.parse::<usize>().ok())
                .filter(|w| (1..=20).contains(w))
                .ok_or_else(|| {
                    TemplateError(format!(
                        "bad {{id:{a}}}: write {{id:0N}} with N from 1 to 20, e.g. {{id:08}}"
                    ))
                })?;
            Ok(Part::Id { width })
        }
        ("hex", Some(a)) => {
            let digits = a
                .parse::<usize>()
                .ok()
                .filter(|d| (16..=64).contains(d))
                .ok_or_else(|| {
                    TemplateError(format!(
                        "bad {{hex:{a}}}: N must be from 16 to 64 (fewer digits could give two keys the same name)"
                    ))
                })?;
            Ok(Part::Hex { digits })
        }
        _ => Err(unknown()),
    }
}

/// Number of decimal digits of `n`.
#[inline]
fn decimal_digits(n: u32) -> usize {
    match n {
        0..=9 => 1,
        10..=99 => 2,
        100..=999 => 3,
        1_000..=9_999 => 4,
        10_000..=99_999 => 5,
        100_000..=999_999 => 6,
        1_000_000..=9_999_999 => 7,
        10_000_000..=99_999_999 => 8,
        100_000_000..=999_999_999 => 9,
        _ => 10,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(t: &str, n: u32) -> String {
        let mut s = String::new();
        KeyTemplate::parse(t).unwrap().render(n, 42, &mut s);
        s
    }

    #[test]
    fn renders_ids() {
        assert_eq!(name("cache:page:{id:08}", 42), "cache:page:00000042");
        assert_eq!(name("job:{id}", 0), "job:0");
        assert_eq!(name("job:{id}", 12345), "job:12345");
        assert_eq!(name("{{x}}:{id:02}", 123), "{x}:123");
        assert_eq!(name("s:{{t42}}:{id}", 7), "s:{t42}:7");
        assert_eq!(name("{{{id}}}", 7), "{7}");
    }

    #[test]
    fn lengths_match_rendered_names() {
        for t in [
            "cache:page:{id:08}",
            "job:{id}",
            "s:{hex:16}",
            "s:{hex:40}:{id}",
            "{uuid}",
            "a{{b}}{id:03}",
        ] {
            let tpl = KeyTemplate::parse(t).unwrap();
            for n in [0, 1, 9, 10, 99, 100, 999, 12_345_678, 123_456_789, u32::MAX] {
                let mut s = String::new();
                tpl.render(n, 7, &mut s);
                assert_eq!(tpl.len(n), s.len(), "{t} {n} {s}");
            }
        }
    }

    #[test]
    fn hex_and_uuid_are_distinct_and_shaped() {
        let a = name("{hex:16}", 1);
        let b = name("{hex:16}", 2);
        assert_ne!(a, b);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(name("{hex:20}", 1).len(), 20);
        let u = name("{uuid}", 5);
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!("89ab".contains(&u[19..20]), "{u}");
        assert_ne!(u, name("{uuid}", 6));
    }

    #[test]
    fn refuses_bad_templates() {
        for bad in [
            "plain",
            "x:{nope}",
            "x:{id:8}",
            "x:{id:00}",
            "x:{hex:8}",
            "x:{hex}",
            "x:{id",
            "x:}{id}",
            "{uuid:3}",
        ] {
            assert!(KeyTemplate::parse(bad).is_err(), "{bad}");
        }
        let hint = KeyTemplate::parse("session:{tenant42}:{hex:16}").unwrap_err();
        assert!(hint.to_string().contains("write {{tenant42}}"), "{hint}");
        let long = format!("{}{{id}}", "x".repeat(MAX_KEY_LEN));
        assert!(KeyTemplate::parse(&long).is_err());
    }
}
