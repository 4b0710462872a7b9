//! Key classes for traces: an ordered list of `(class, glob)` rules decides
//! each key's class when the key is first seen (the first match wins; an
//! unmatched key is `other`), and a set of class names says which classes are
//! critical. Rules come from CLI-style `NAME=GLOB` strings or a TOML file.
//!
//! Globs use globset's syntax: `*` (any bytes, `/` and `:` included), `?`,
//! `[abc]`, `[!a-z]`, `{a,b}` and `\` to escape. A TOML file looks like:
//!
//! ```toml
//! [[class]]
//! name = "sessions"
//! match = "session:*"          # or a list: ["session:*", "sess:*"]
//! critical = true
//!
//! [[class]]
//! name = "cache"
//! match = "cache:*"
//! ```

use crate::op::ClassId;
use crate::sim::ClassInfo;
use globset::{GlobBuilder, GlobMatcher};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::Path;

/// The class of keys that no rule matches (never critical unless named so).
pub const OTHER_CLASS: &str = "other";

/// Most classes an [`Op`](crate::op::Op)'s class id can number, `other`
/// included.
const MAX_CLASSES: usize = 255;

/// Why class rules could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClassRuleError {
    /// A rule or critical name is invalid; `origin` is `FILE:LINE` for a TOML
    /// file or the CLI argument itself.
    #[error("{origin}: {reason}")]
    Invalid {
        /// Where the rule came from.
        origin: String,
        /// What is wrong.
        reason: String,
    },
    /// The rules file could not be read.
    #[error("cannot read class rules {file}")]
    Read {
        /// The path as given.
        file: String,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// The rules file is not valid TOML or not in the expected shape (the
    /// message names the line and column).
    #[error("{file}: {message}")]
    Toml {
        /// The path as given.
        file: String,
        /// The parser's message.
        message: String,
    },
}

#[derive(Clone, Debug)]
struct Rule {
    class: ClassId,
    glob: String,
    matcher: GlobMatcher,
}

/// Ordered class rules plus the set of critical class names.
#[derive(Clone, Debug, Default)]
pub struct ClassRules {
    /// Distinct class names in the order rules first name them.
    names: Vec<String>,
    rules: Vec<Rule>,
    critical: BTreeSet<String>,
}

fn invalid(origin: &str, reason: impl Into<String>) -> ClassRuleError {
    ClassRuleError::Invalid {
        origin: origin.to_string(),
        reason: reason.into(),
    }
}

impl ClassRules {
    /// No rules: every key is `other`, and nothing is critical.
    pub fn new() -> Self {
        ClassRules::default()
    }

    /// Rules from CLI-style `NAME=GLOB` strings (in order) and the names of
    /// the critical classes.
    pub fn from_cli<R: AsRef<str>, C: AsRef<str>>(
        rules: &[R],
        critical: &[C],
    ) -> Result<Self, ClassRuleError> {
        let mut r = ClassRules::new();
        for spec in rules {
            r.push_spec(spec.as_ref())?;
        }
        for name in critical {
            r.mark_critical(name.as_ref())?;
        }
        Ok(r)
    }

    /// Appends one `NAME=GLOB` rule.
    pub fn push_spec(&mut self, spec: &str) -> Result<(), ClassRuleError> {
        let origin = format!("class rule '{spec}'");
        let Some((name, glob)) = spec.split_once('=') else {
            return Err(invalid(&origin, "expected NAME=GLOB"));
        };
        self.push_at(name.trim(), glob.trim(), &origin)
    }

    /// Appends one rule: keys matching `glob` (and no earlier rule) belong to
    /// class `name`; several rules may name the same class.
    pub fn push(&mut self, name: &str, glob: &str) -> Result<(), ClassRuleError> {
        self.push_at(name, glob, &format!("class rule '{name}={glob}'"))
    }

    fn push_at(&mut self, name: &str, glob: &str, origin: &str) -> Result<(), ClassRuleError> {
        check_name(name, origin)?;
        if glob.is_empty() {
            return Err(invalid(origin, "empty glob"));
        }
        let matcher = GlobBuilder::new(glob)
            .literal_separator(false)
            .backslash_escape(true)
            .build()
            .map_err(|e| invalid(origin, format!("bad glob '{glob}': {e}")))?
            .compile_matcher();
        let class = match self.names.iter().position(|n| n == name) {
            Some(i) => i,
            None => {
                let other_extra = usize::from(!self.names.iter().any(|n| n == OTHER_CLASS));
                if self.names.len() + 1 + other_extra - usize::from(name == OTHER_CLASS)
                    > MAX_CLASSES
                {
                    return Err(invalid(
                        origin,
                        format!("more than {MAX_CLASSES} classes (other included)"),
                    ));
                }
                self.names.push(name.to_string());
                self.names.len() - 1
            }
        };
        self.rules.push(Rule {
            class: class as ClassId,
            glob: glob.to_string(),
            matcher,
        });
        Ok(())
    }

    /// Marks class `name` critical; it must be named by a rule, or be `other`.
    pub fn mark_critical(&mut self, name: &str) -> Result<(), ClassRuleError> {
        let name = name.trim();
        if name != OTHER_CLASS && !self.names.iter().any(|n| n == name) {
            let known = self.class_infos().into_iter().map(|c| c.name);
            return Err(invalid(
                &format!("critical class '{name}'"),
                format!(
                    "no rule names this class (classes: {})",
                    known.collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        self.critical.insert(name.to_string());
        Ok(())
    }

    /// Rules from the text of a TOML file; `file` names it in errors.
    pub fn from_toml_str(text: &str, file: &str) -> Result<Self, ClassRuleError> {
        let parsed: TomlRules = toml::from_str(text).map_err(|e| ClassRuleError::Toml {
            file: file.to_string(),
            message: e.to_string().trim_end().to_string(),
        })?;
        if parsed.class.is_empty() {
            return Err(invalid(
                file,
                "no [[class]] tables: list at least one (name = \"sessions\", match = \
                 \"session:*\"), or leave --classes out to put every key in class 'other'",
            ));
        }
        let mut r = ClassRules::new();
        let mut critical = Vec::new();
        for entry in parsed.class {
            let line = line_of(text, entry.span().start);
            let origin = format!("{file}:{line}");
            let entry = entry.into_inner();
            let globs = match entry.globs {
                Globs::One(g) => vec![g],
                Globs::Many(v) if v.is_empty() => {
                    return Err(invalid(&origin, "'match' lists no glob"))
                }
                Globs::Many(v) => v,
            };
            for g in &globs {
                r.push_at(&entry.name, g, &origin)?;
            }
            if entry.critical {
                critical.push(entry.name);
            }
        }
        for name in critical {
            r.critical.insert(name);
        }
        Ok(r)
    }

    /// Rules from a TOML file.
    pub fn from_toml_file(path: impl AsRef<Path>) -> Result<Self, ClassRuleError> {
        let path = path.as_ref();
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ClassRuleError::Read {
            file: file.clone(),
            source,
        })?;
        ClassRules::from_toml_str(&text, &file)
    }

    /// Whether there are no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The `(class, glob)` rules in order.
    pub fn rules(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.rules
            .iter()
            .map(|r| (self.names[r.class as usize].as_str(), r.glob.as_str()))
    }

    /// The class of `other`: its rule's class if a rule names it, else the
    /// one after every named class.
    fn other_id(&self) -> ClassId {
        self.names
            .iter()
            .position(|n| n == OTHER_CLASS)
            .unwrap_or(self.names.len()) as ClassId
    }

    /// The class of a key: the first rule its name matches, else `other`.
    pub fn classify(&self, key: &[u8]) -> ClassId {
        if self.rules.is_empty() {
            return self.other_id();
        }
        #[cfg(unix)]
        let path = {
            use std::os::unix::ffi::OsStrExt;
            Path::new(std::ffi::OsStr::from_bytes(key))
        };
        #[cfg(not(unix))]
        let owned = String::from_utf8_lossy(key).into_owned();
        #[cfg(not(unix))]
        let path = Path::new(&owned);
        let candidate = globset::Candidate::new(path);
        self.rules
            .iter()
            .find(|r| r.matcher.is_match_candidate(&candidate))
            .map_or_else(|| self.other_id(), |r| r.class)
    }

    /// The id of class `name`, if it exists.
    pub fn class_id(&self, name: &str) -> Option<ClassId> {
        if name == OTHER_CLASS {
            return Some(self.other_id());
        }
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| i as ClassId)
    }

    /// The classes in id order (the rules' classes in order, then `other`),
    /// with whether each is critical.
    pub fn class_infos(&self) -> Vec<ClassInfo> {
        let mut names: Vec<&str> = self.names.iter().map(String::as_str).collect();
        if !names.contains(&OTHER_CLASS) {
            names.push(OTHER_CLASS);
        }
        names
            .into_iter()
            .map(|n| ClassInfo {
                name: n.to_string(),
                critical: self.critical.contains(n),
            })
            .collect()
    }
}

fn check_name(name: &str, origin: &str) -> Result<(), ClassRuleError> {
    if name.is_empty() {
        return Err(invalid(origin, "empty class name"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || matches!(c, '=' | ',' | '"'))
    {
        return Err(invalid(
            origin,
            format!("class name '{name}' holds {c:?} (use letters, digits, '-', '_', '.', ':')"),
        ));
    }
    Ok(())
}

/// The 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlRules {
    #[serde(default)]
    class: Vec<toml::Spanned<TomlClass>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlClass {
    name: String,
    #[serde(rename = "match")]
    globs: Globs,
    #[serde(default)]
    critical: bool,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Globs {
    One(String),
    Many(Vec<String>),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(name: &str, critical: bool) -> ClassInfo {
        ClassInfo {
            name: name.into(),
            critical,
        }
    }

    #[test]
    fn first_match_wins_and_unmatched_is_other() {
        let r = ClassRules::from_cli(
            &[
                "sessions=session:*",
                "jobs=job:*",
                "cache=*",
                "sessions=sess:*",
            ],
            &["sessions", "jobs"],
        )
        .unwrap();
        assert_eq!(r.classify(b"session:1"), 0);
        assert_eq!(r.classify(b"job:a/b"), 1);
        assert_eq!(r.classify(b"sess:1"), 2, "cache=* comes first");
        assert_eq!(
            r.class_infos(),
            vec![
                info("sessions", true),
                info("jobs", true),
                info("cache", false),
                info("other", false)
            ]
        );
        let r = ClassRules::from_cli(&["s=s*"], &[] as &[&str]).unwrap();
        assert_eq!(r.classify(b"x"), 1);
        assert_eq!(r.classify(&[b's', 0xff, 0]), 0, "non-UTF-8 keys match too");
        assert_eq!(ClassRules::new().classify(b"x"), 0);
        assert_eq!(ClassRules::new().class_infos(), vec![info("other", false)]);
    }

    #[test]
    fn a_rule_may_name_other() {
        let r = ClassRules::from_cli(&["other=tmp:*", "a=a:*"], &["a"]).unwrap();
        assert_eq!(r.class_infos(), vec![info("other", false), info("a", true)]);
        assert_eq!(r.classify(b"zzz"), 0);
        assert_eq!(r.class_id("other"), Some(0));
    }

    #[test]
    fn bad_cli_rules_are_named() {
        let e = ClassRules::from_cli(&["sessions"], &[] as &[&str]).unwrap_err();
        assert!(e.to_string().contains("'sessions'"), "{e}");
        let e = ClassRules::from_cli(&["a=[x"], &[] as &[&str]).unwrap_err();
        assert!(e.to_string().contains("bad glob"), "{e}");
        let e = ClassRules::from_cli(&["=x*"], &[] as &[&str]).unwrap_err();
        assert!(e.to_string().contains("empty class name"), "{e}");
        let e = ClassRules::from_cli(&["a=x*"], &["b"]).unwrap_err();
        assert!(e.to_string().contains("critical class 'b'"), "{e}");
    }

    #[test]
    fn toml_rules_with_lines_in_errors() {
        let text = r#"
[[class]]
name = "sessions"
match = "session:*"
critical = true

[[class]]
name = "cache"
match = ["cache:*", "page:*"]
"#;
        let r = ClassRules::from_toml_str(text, "classes.toml").unwrap();
        assert_eq!(r.classify(b"page:1"), 1);
        assert_eq!(
            r.class_infos(),
            vec![
                info("sessions", true),
                info("cache", false),
                info("other", false)
            ]
        );
        let bad =
            "[[class]]\nname = \"a\"\nmatch = \"a*\"\n\n[[class]]\nname = \"b\"\nmatch = \"[\"\n";
        let e = ClassRules::from_toml_str(bad, "c.toml")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("c.toml:"), "{e}");
        let line: usize = e["c.toml:".len()..]
            .split(':')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!((5..=7).contains(&line), "{e}");
        let e = ClassRules::from_toml_str("[[class]]\nname = \"a\"\nmach = \"a*\"\n", "c.toml")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("c.toml: ") && e.contains("line"), "{e}");
    }
}
