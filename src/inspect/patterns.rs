//! Key names into patterns: the segments that vary from key to key
//! (numbers, hex strings, UUIDs, a word followed by a number) become the
//! placeholders of a scenario's key template (`{id}`, `{id:0N}`, `{hex:N}`,
//! `{uuid}`), so `session:9f2c...` and `session:1a7b...` fall together as
//! `session:{hex:32}`; then a literal segment that takes many values across
//! otherwise equal patterns (`user:alice:cart`, `user:bob:cart`) becomes
//! `{id}` too.

use std::collections::BTreeMap;

/// Characters that separate the segments of a key name.
const SEPARATORS: &[u8] = b":./-_|#=,;@";

/// Distinct values above which a literal segment is a placeholder.
const MAX_LITERALS: usize = 20;

/// One segment of a key name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Seg {
    Lit(String),
    Sep(u8),
    /// A template placeholder, as the template spells it.
    Var(String),
}

/// The placeholder a segment stands for, if it varies.
fn classify(s: &str) -> Option<String> {
    let b = s.as_bytes();
    if b.is_empty() {
        return None;
    }
    // 16 digits or more: a hex id that happens to hold no letter.
    if b.len() >= 16 && b.len() <= 64 && b.iter().all(u8::is_ascii_digit) {
        return Some(format!("{{hex:{}}}", b.len()));
    }
    if b.iter().all(u8::is_ascii_digit) {
        return Some(if b.len() > 1 && b[0] == b'0' {
            format!("{{id:0{}}}", b.len().min(20))
        } else {
            "{id}".to_string()
        });
    }
    let hex = b.iter().all(u8::is_ascii_hexdigit);
    if hex && b.len() >= 16 && b.len() <= 64 {
        return Some(format!("{{hex:{}}}", b.len()));
    }
    if hex && b.len() >= 6 && b.iter().any(u8::is_ascii_digit) {
        return Some("{id}".to_string());
    }
    // A word followed by a number (`u1001`, `tenant42`): the word stays.
    let digits = b.iter().rev().take_while(|c| c.is_ascii_digit()).count();
    if digits > 0 && digits < b.len() && b[..b.len() - digits].iter().all(u8::is_ascii_alphabetic) {
        return Some(format!("{}{{id}}", escape(&s[..b.len() - digits])));
    }
    None
}

/// A literal with template braces doubled.
fn escape(s: &str) -> String {
    s.replace('{', "{{").replace('}', "}}")
}

/// Whether `s` is a UUID (8-4-4-4-12 hex digits).
fn is_uuid(s: &[u8]) -> bool {
    s.len() == 36
        && s.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// A key name split into segments, UUIDs and varying parts as placeholders.
fn segments(name: &[u8]) -> Vec<Seg> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut lit = Vec::new();
    let flush = |lit: &mut Vec<u8>, out: &mut Vec<Seg>| {
        if lit.is_empty() {
            return;
        }
        let s = String::from_utf8_lossy(lit).into_owned();
        out.push(match classify(&s) {
            Some(v) => Seg::Var(v),
            None => Seg::Lit(escape(&s)),
        });
        lit.clear();
    };
    while i < name.len() {
        if name.len() - i >= 36 && is_uuid(&name[i..i + 36]) {
            flush(&mut lit, &mut out);
            out.push(Seg::Var("{uuid}".to_string()));
            i += 36;
            continue;
        }
        let c = name[i];
        if SEPARATORS.contains(&c) {
            flush(&mut lit, &mut out);
            out.push(Seg::Sep(c));
        } else {
            lit.push(c);
        }
        i += 1;
    }
    flush(&mut lit, &mut out);
    out
}

fn render(segs: &[Seg]) -> String {
    segs.iter()
        .map(|s| match s {
            Seg::Lit(l) | Seg::Var(l) => l.clone(),
            Seg::Sep(c) => (*c as char).to_string(),
        })
        .collect()
}

/// The pattern of every name, in the order given: names with the same
/// pattern share a class.
pub fn patterns(names: &[&[u8]]) -> Vec<String> {
    let mut segs: Vec<Vec<Seg>> = names.iter().map(|n| segments(n)).collect();
    // A literal position with many values across otherwise equal shapes
    // varies too.
    loop {
        let mut changed = false;
        let mut by_shape: BTreeMap<(Vec<Seg>, usize), Vec<usize>> = BTreeMap::new();
        for (k, s) in segs.iter().enumerate() {
            for (pos, seg) in s.iter().enumerate() {
                if matches!(seg, Seg::Lit(_)) {
                    let mut shape = s.clone();
                    shape[pos] = Seg::Var("*".to_string());
                    by_shape.entry((shape, pos)).or_default().push(k);
                }
            }
        }
        for ((_, pos), keys) in by_shape {
            let distinct: std::collections::BTreeSet<&Seg> =
                keys.iter().map(|&k| &segs[k][pos]).collect();
            if distinct.len() > MAX_LITERALS {
                for &k in &keys {
                    segs[k][pos] = Seg::Var("{id}".to_string());
                }
                changed = true;
                break;
            }
        }
        if !changed {
            break;
        }
    }
    // A pattern with no placeholder is one key's own name: its last literal
    // becomes `{id}`, so names that differ only there (`flag:a`, `flag:b`)
    // share a template, as a scenario class needs one that tells keys apart.
    for s in &mut segs {
        if !s.iter().any(|x| matches!(x, Seg::Var(_))) {
            if let Some(last) = s.iter_mut().rev().find(|x| matches!(x, Seg::Lit(_))) {
                *last = Seg::Var("{id}".to_string());
            }
        }
    }
    segs.iter().map(|s| render(s)).collect()
}

/// Whether a pattern has a placeholder (else it names one key).
pub fn has_placeholder(pattern: &str) -> bool {
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '{' {
            if chars.peek() == Some(&'{') {
                chars.next();
            } else {
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(name: &str) -> String {
        patterns(&[name.as_bytes()]).remove(0)
    }

    #[test]
    fn varying_segments_become_placeholders() {
        assert_eq!(one("cache:page:00000042"), "cache:page:{id:08}");
        assert_eq!(one("job:12345"), "job:{id}");
        assert_eq!(
            one("session:00000000000000000000000000012345"),
            "session:{hex:32}",
            "a hex id with no letter"
        );
        assert_eq!(
            one("session:9f2c1a7b9f2c1a7b9f2c1a7b9f2c1a7b"),
            "session:{hex:32}"
        );
        assert_eq!(
            one("order:123e4567-e89b-12d3-a456-426614174000:lines"),
            "order:{uuid}:lines"
        );
        assert_eq!(one("rl:u1001:293"), "rl:u{id}:{id}");
        assert_eq!(one("flag:darkmode"), "flag:{id}");
        assert!(!has_placeholder("flag:darkmode"));
        assert!(has_placeholder("job:{id}"));
        assert!(!has_placeholder("a{{b}}"));
        assert_eq!(one("a{b}:7"), "a{{b}}:{id}");
    }

    #[test]
    fn a_literal_with_many_values_varies() {
        let names: Vec<String> = (0..30)
            .map(|i| format!("user:name{}x:cart", (b'a' + (i % 26) as u8) as char))
            .collect();
        let mut more: Vec<String> = (0..30)
            .map(|i| {
                format!(
                    "user:{}:cart",
                    ["alice", "bob", "carol"][i % 3].repeat(1 + i / 3)
                )
            })
            .collect();
        more.extend(names);
        let refs: Vec<&[u8]> = more.iter().map(|s| s.as_bytes()).collect();
        let p = patterns(&refs);
        assert!(p.iter().all(|x| x == "user:{id}:cart"), "{p:?}");
        // Names with no varying part share a template by their last part.
        let few = ["flag:a", "flag:b", "settings"];
        let refs: Vec<&[u8]> = few.iter().map(|s| s.as_bytes()).collect();
        assert_eq!(patterns(&refs), vec!["flag:{id}", "flag:{id}", "{id}"]);
    }
}
