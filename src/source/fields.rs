//! Typed access to the fields of a parsed scenario: every getter either
//! returns the value or an error naming the file, line and field path.

use super::error::ScenarioError;
use super::tree::{Entry, Node, NodeKind};
use crate::units::{parse_duration, parse_instant, parse_memory};

/// One value of the document with its path (`class[2].popularity.alpha`).
#[derive(Clone, Debug)]
pub(crate) struct Field<'a> {
    file: &'a str,
    path: String,
    node: &'a Node,
}

/// A table of the document, checked for unknown keys.
#[derive(Clone, Debug)]
pub(crate) struct Table<'a> {
    file: &'a str,
    path: String,
    line: usize,
    entries: &'a [Entry],
}

impl<'a> Field<'a> {
    /// The document's root, as a field with an empty path.
    pub(super) fn root(file: &'a str, node: &'a Node) -> Self {
        Field {
            file,
            path: String::new(),
            node,
        }
    }

    /// An error about this field.
    pub(super) fn err(&self, message: impl Into<String>) -> ScenarioError {
        invalid(self.file, self.node.line, &self.path, message)
    }

    /// An error saying the value has the wrong type.
    fn wrong_type(&self, expected: &str) -> ScenarioError {
        let shown = match &self.node.kind {
            NodeKind::Str(s) => format!(" ({s:?})"),
            NodeKind::Int(i) => format!(" ({i})"),
            NodeKind::Float(f) => format!(" ({f})"),
            NodeKind::Bool(b) => format!(" ({b})"),
            _ => String::new(),
        };
        self.err(format!(
            "expected {expected}, got {}{shown}",
            self.node.kind.type_name()
        ))
    }

    /// The value as a string.
    pub(super) fn str(&self) -> Result<&'a str, ScenarioError> {
        match &self.node.kind {
            NodeKind::Str(s) => Ok(s),
            _ => Err(self.wrong_type("a string")),
        }
    }

    /// The value as a boolean.
    pub(super) fn bool(&self) -> Result<bool, ScenarioError> {
        match self.node.kind {
            NodeKind::Bool(b) => Ok(b),
            _ => Err(self.wrong_type("true or false")),
        }
    }

    /// The value as a non-negative integer no larger than `max`.
    pub(super) fn uint(&self, max: u64) -> Result<u64, ScenarioError> {
        match self.node.kind {
            NodeKind::Int(i) if i < 0 => Err(self.err(format!("must be >= 0 (got {i})"))),
            NodeKind::Int(i) if i as u64 > max => {
                Err(self.err(format!("must be at most {max} (got {i})")))
            }
            NodeKind::Int(i) => Ok(i as u64),
            _ => Err(self.wrong_type("a whole number")),
        }
    }

    /// The value as a finite number (integer or float).
    pub(super) fn number(&self) -> Result<f64, ScenarioError> {
        match self.node.kind {
            NodeKind::Int(i) => Ok(i as f64),
            NodeKind::Float(f) if f.is_finite() => Ok(f),
            NodeKind::Float(f) => Err(self.err(format!("must be a finite number (got {f})"))),
            _ => Err(self.wrong_type("a number")),
        }
    }

    /// The value as a memory size in bytes: an integer, or a string with
    /// Redis units (`"24mb"`).
    pub(super) fn memory(&self) -> Result<u64, ScenarioError> {
        match &self.node.kind {
            NodeKind::Int(i) if *i < 0 => Err(self.err(format!("must be >= 0 (got {i})"))),
            NodeKind::Int(i) => Ok(*i as u64),
            NodeKind::Str(s) => {
                parse_memory(s).map_err(|e| self.err(format!("invalid memory size {s:?}: {e}")))
            }
            NodeKind::Float(_) => Err(self
                .err("expected a whole number of bytes or a size such as \"512kb\", got a float")),
            _ => Err(self.wrong_type("a size such as \"24mb\" or a number of bytes")),
        }
    }

    /// The value as a duration in milliseconds (a string such as `"30s"`).
    pub(super) fn duration_ms(&self) -> Result<u64, ScenarioError> {
        match &self.node.kind {
            NodeKind::Str(s) => {
                parse_duration(s).map_err(|e| self.err(format!("invalid duration {s:?}: {e}")))
            }
            NodeKind::Int(i) => Err(self.err(format!(
                "write a duration with its unit, e.g. \"{i}s\" or \"{i}ms\""
            ))),
            _ => Err(self.wrong_type("a duration such as \"30s\"")),
        }
    }

    /// The value as an instant in unix ms: an RFC 3339 string
    /// (`"2026-12-04T10:00:20Z"`, or an offset for `Z`), the same unquoted
    /// (a TOML date-time with its offset), or a whole number of unix ms.
    pub(super) fn instant_ms(&self) -> Result<u64, ScenarioError> {
        const ACCEPTED: &str = "an RFC 3339 time with its zone, e.g. \"2026-12-04T10:00:20Z\" or \
                                \"2026-12-04T11:00:20+01:00\", or a whole number of unix ms";
        match &self.node.kind {
            NodeKind::Str(s) | NodeKind::Datetime(s) => parse_instant(s).map_err(|e| {
                self.err(format!(
                    "invalid time {s:?}: {}; accepted: {ACCEPTED}",
                    e.why
                ))
            }),
            NodeKind::Int(i) if *i < 0 => {
                Err(self.err(format!("must be >= 0 (got {i}); accepted: {ACCEPTED}")))
            }
            NodeKind::Int(i) => Ok(*i as u64),
            _ => Err(self.wrong_type(ACCEPTED)),
        }
    }

    /// The value as a table whose keys must all be in `known`.
    pub(super) fn table(&self, known: &[&str]) -> Result<Table<'a>, ScenarioError> {
        let t = self.table_unchecked()?;
        t.deny_unknown(known, "")?;
        Ok(t)
    }

    /// The value as a table, leaving the unknown-key check to the caller
    /// (when the known keys depend on one of them, such as `kind`).
    pub(super) fn table_unchecked(&self) -> Result<Table<'a>, ScenarioError> {
        match &self.node.kind {
            NodeKind::Table(entries) => Ok(Table {
                file: self.file,
                path: self.path.clone(),
                line: self.node.line,
                entries,
            }),
            _ => Err(self.wrong_type("a table")),
        }
    }

    /// Whether the value is a table.
    pub(super) fn is_table(&self) -> bool {
        matches!(self.node.kind, NodeKind::Table(_))
    }

    /// The value as an array; its elements' paths are `path[i]`.
    pub(super) fn array(&self) -> Result<Vec<Field<'a>>, ScenarioError> {
        match &self.node.kind {
            NodeKind::Array(items) => Ok(items
                .iter()
                .enumerate()
                .map(|(i, node)| Field {
                    file: self.file,
                    path: format!("{}[{i}]", self.path),
                    node,
                })
                .collect()),
            _ => Err(self.wrong_type("an array")),
        }
    }
}

impl<'a> Table<'a> {
    /// The path of a key of this table.
    fn child_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// An error about this table as a whole, at its header's line.
    pub(super) fn err(&self, field: &str, message: impl Into<String>) -> ScenarioError {
        let path = self.child_path(field);
        invalid(self.file, self.line, &path, message)
    }

    /// The value of `key`, if present.
    pub(super) fn get(&self, key: &str) -> Option<Field<'a>> {
        self.entries.iter().find(|e| e.key == key).map(|e| Field {
            file: self.file,
            path: self.child_path(key),
            node: &e.node,
        })
    }

    /// The value of `key`, or an error naming the missing field (`what`
    /// says what it means, for the message).
    pub(super) fn require(&self, key: &str, what: &str) -> Result<Field<'a>, ScenarioError> {
        self.get(key)
            .ok_or_else(|| self.err(key, format!("missing ({what})")))
    }

    /// Fails on the first key that is not in `known`, suggesting the closest
    /// known key; `owner` names what the keys belong to ("a cache class").
    pub(super) fn deny_unknown(&self, known: &[&str], owner: &str) -> Result<(), ScenarioError> {
        let Some(e) = self
            .entries
            .iter()
            .find(|e| !known.contains(&e.key.as_str()))
        else {
            return Ok(());
        };
        let path = self.child_path(&e.key);
        let owner = if owner.is_empty() {
            String::new()
        } else {
            format!(" for {owner}")
        };
        let hint = match closest(&e.key, known) {
            Some(k) => format!("; did you mean `{k}`?"),
            None => String::new(),
        };
        Err(invalid(
            self.file,
            e.line,
            &path,
            format!(
                "unknown field{owner} (expected one of: {}){hint}",
                known.join(", ")
            ),
        ))
    }
}

/// Builds an [`ScenarioError::Invalid`].
fn invalid(file: &str, line: usize, field: &str, message: impl Into<String>) -> ScenarioError {
    ScenarioError::Invalid {
        file: file.to_string(),
        line,
        field: field.to_string(),
        message: message.into(),
    }
}

/// The known key within edit distance 2 of `key`, if any (the nearest).
fn closest<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    known
        .iter()
        .map(|k| (edit_distance(key, k), *k))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance between two short strings.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("reads_per_sec", "reads_per_sec"), 0);
        assert_eq!(edit_distance("read_per_sec", "reads_per_sec"), 1);
        assert_eq!(edit_distance("ttl", "tll"), 1);
        assert_eq!(edit_distance("ttl", "tl"), 1);
        assert_eq!(edit_distance("kind", "knd_x"), 3);
        assert_eq!(
            closest("popularty", &["keys", "popularity"]),
            Some("popularity")
        );
        assert_eq!(closest("zzz", &["keys", "popularity"]), None);
    }
}
