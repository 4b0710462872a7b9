//! A TOML document as a plain tree that remembers the line of every key and
//! value, so validation can say where each mistake is.
//!
//! `toml_edit` keeps byte spans for everything it parses (dotted keys and
//! implicit tables included, which `toml::Spanned` cannot follow); this module
//! turns them into 1-based lines once and hides `toml_edit` from the rest.

use super::error::ScenarioError;
use toml_edit::{ImDocument, Item, Table, Value};

/// One value of the document and the line it starts on.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Node {
    /// 1-based line of the value (for a table, its header or its key).
    pub line: usize,
    /// The value.
    pub kind: NodeKind,
}

/// The TOML value types.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum NodeKind {
    /// A table, inline or not, in document order.
    Table(Vec<Entry>),
    /// An array, or an array of tables.
    Array(Vec<Node>),
    /// A string.
    Str(String),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A date or time, as written (only `[run] start` takes one).
    Datetime(String),
}

/// A key of a table with the line it is written on and its value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Entry {
    /// The key.
    pub key: String,
    /// 1-based line of the key.
    pub line: usize,
    /// The value.
    pub node: Node,
}

impl NodeKind {
    /// The type's name with an article, for messages ("a string").
    pub(super) fn type_name(&self) -> &'static str {
        match self {
            NodeKind::Table(_) => "a table",
            NodeKind::Array(_) => "an array",
            NodeKind::Str(_) => "a string",
            NodeKind::Int(_) => "an integer",
            NodeKind::Float(_) => "a float",
            NodeKind::Bool(_) => "a boolean",
            NodeKind::Datetime(_) => "a date",
        }
    }
}

/// Parses `text` into a tree; a syntax error names `file` and its line.
pub(crate) fn parse(text: &str, file: &str) -> Result<Node, ScenarioError> {
    let lines = Lines::new(text);
    match ImDocument::parse(text) {
        Ok(doc) => Ok(lines.table(doc.as_table(), 1)),
        Err(e) => Err(ScenarioError::Syntax {
            file: file.to_string(),
            line: e.span().map_or(1, |s| lines.line(s.start)),
            message: e.message().trim().replace('\n', "; "),
        }),
    }
}

/// Byte offsets of line starts, to turn spans into line numbers.
struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    /// Indexes the lines of `text`.
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        // An error at the very end points at the last line, not past it.
        if starts.len() > 1 && starts.last() == Some(&text.len()) {
            starts.pop();
        }
        Lines { starts }
    }

    /// The 1-based line holding byte `offset`.
    fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset).max(1)
    }

    /// The line a span starts on, or `fallback` when there is no span.
    fn span_line(&self, span: Option<std::ops::Range<usize>>, fallback: usize) -> usize {
        span.map_or(fallback, |s| self.line(s.start))
    }

    /// Converts a table; `fallback` is the line of its key when the table
    /// itself has no span (implicit and dotted tables).
    fn table(&self, t: &Table, fallback: usize) -> Node {
        let line = self.span_line(t.span(), fallback);
        let entries = t
            .iter()
            .filter_map(|(key, item)| {
                let key_line = t.key(key).map_or(line, |k| self.span_line(k.span(), line));
                self.item(item, key_line).map(|node| Entry {
                    key: key.to_string(),
                    line: key_line,
                    node,
                })
            })
            .collect();
        Node {
            line,
            kind: NodeKind::Table(entries),
        }
    }

    /// Converts a table item; `None` for the empty placeholder item.
    fn item(&self, item: &Item, key_line: usize) -> Option<Node> {
        match item {
            Item::None => None,
            Item::Value(v) => Some(self.value(v, key_line)),
            Item::Table(t) => Some(self.table(t, key_line)),
            Item::ArrayOfTables(a) => {
                let line = self.span_line(a.span(), key_line);
                let tables = a.iter().map(|t| self.table(t, line)).collect();
                Some(Node {
                    line,
                    kind: NodeKind::Array(tables),
                })
            }
        }
    }

    /// Converts a value.
    fn value(&self, v: &Value, fallback: usize) -> Node {
        let line = self.span_line(v.span(), fallback);
        let kind = match v {
            Value::String(s) => NodeKind::Str(s.value().clone()),
            Value::Integer(i) => NodeKind::Int(*i.value()),
            Value::Float(f) => NodeKind::Float(*f.value()),
            Value::Boolean(b) => NodeKind::Bool(*b.value()),
            Value::Datetime(d) => NodeKind::Datetime(d.value().to_string()),
            Value::Array(a) => NodeKind::Array(a.iter().map(|x| self.value(x, line)).collect()),
            Value::InlineTable(t) => NodeKind::Table(
                t.iter()
                    .map(|(key, x)| {
                        let key_line = t.key(key).map_or(line, |k| self.span_line(k.span(), line));
                        Entry {
                            key: key.to_string(),
                            line: key_line,
                            node: self.value(x, key_line),
                        }
                    })
                    .collect(),
            ),
        };
        Node { line, kind }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry<'a>(n: &'a Node, key: &str) -> &'a Entry {
        match &n.kind {
            NodeKind::Table(es) => es.iter().find(|e| e.key == key).expect("key"),
            _ => panic!("not a table"),
        }
    }

    #[test]
    fn lines_of_keys_values_and_tables() {
        let text = "a = 1\n[t]\nx.y = \"s\"\nz = { w = 2.5, v = true }\n\n[[arr]]\nk = [1,\n 2]\n";
        let root = parse(text, "f.toml").unwrap();
        assert_eq!(entry(&root, "a").node.line, 1);
        let t = &entry(&root, "t").node;
        assert_eq!(t.line, 2);
        let x = &entry(t, "x").node;
        assert_eq!(x.line, 3, "dotted table falls back to its key's line");
        assert_eq!(entry(x, "y").node.kind, NodeKind::Str("s".into()));
        let z = &entry(t, "z").node;
        assert_eq!(entry(z, "w").line, 4);
        assert_eq!(entry(z, "v").line, 4);
        let arr = &entry(&root, "arr").node;
        let NodeKind::Array(tables) = &arr.kind else {
            panic!()
        };
        assert_eq!(tables[0].line, 6);
        let NodeKind::Array(k) = &entry(&tables[0], "k").node.kind else {
            panic!()
        };
        assert_eq!(k[1].line, 8);
    }

    #[test]
    fn syntax_errors_have_a_line() {
        let e = parse("a = 1\nb = [1,\n", "f.toml").unwrap_err();
        assert_eq!(e.line(), Some(2), "{e}");
        assert!(e.to_string().starts_with("f.toml:2: invalid TOML"), "{e}");
        let e = parse("a = 1\na = 2\n", "f.toml").unwrap_err();
        assert_eq!(e.line(), Some(2), "{e}");
    }
}
