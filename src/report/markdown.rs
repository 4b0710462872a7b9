//! The report for a ticket, a pull request or a wiki page: Markdown that
//! leads with the verdict, then the tables, the charts (as images named
//! `<chart>.png`, written beside it by [`write_dir`](super::write_dir)) and
//! the settings that reproduce the run. The words are [`story`](super::story)'s;
//! this file only spells them in CommonMark with GitHub tables, escaping
//! every piece of text so that a class named `<script>` or `a|b` stays text.

use super::doc::{Block, Document, Span, Table};
use super::summary::Summary;
use super::{story, Exporter, ReportError};
use crate::sim::RunResult;

/// Renders a run as a Markdown report.
#[derive(Clone, Copy, Debug, Default)]
pub struct MarkdownExporter;

impl Exporter for MarkdownExporter {
    fn serialize(&self, r: &RunResult) -> Result<Vec<u8>, ReportError> {
        let doc = story::document(r, &Summary::new(r));
        Ok(render(&doc).into_bytes())
    }
}

/// Spells a document in Markdown.
pub(crate) fn render(doc: &Document) -> String {
    let mut parts = vec![format!("# {}\n", escape(&doc.title))];
    for b in &doc.blocks {
        block(&mut parts, b);
    }
    parts.join("\n")
}

/// Appends one block (several for a callout), each ending in a newline.
fn block(parts: &mut Vec<String>, b: &Block) {
    match b {
        Block::Heading { level, text, .. } => parts.push(format!(
            "{} {}\n",
            "#".repeat(usize::from(*level).clamp(1, 6)),
            escape(text)
        )),
        Block::Para(spans) => parts.push(format!("{}\n", inline(spans))),
        Block::List { ordered, items } => {
            let mut s = String::new();
            for (i, item) in items.iter().enumerate() {
                let marker = if *ordered {
                    format!("{}.", i + 1)
                } else {
                    "-".to_string()
                };
                s.push_str(&format!("{marker} {}\n", inline(item)));
            }
            parts.push(s);
        }
        Block::Callout { blocks, .. } => {
            for b in blocks {
                block(parts, b);
            }
        }
        Block::Table(t) => parts.push(table(t)),
        Block::Code(code) => {
            let fence = "`".repeat(longest_run(code, '`').max(2) + 1);
            parts.push(format!("{fence}sh\n{code}\n{fence}\n"));
        }
        Block::Chart(chart) => parts.push(format!(
            "![{}]({}.png)\n",
            escape(chart.title()),
            chart.file_stem()
        )),
        Block::Image { alt, file } => parts.push(format!("![{}]({file})\n", escape(alt))),
    }
}

fn table(t: &Table) -> String {
    let row = |cells: Vec<String>| format!("| {} |\n", cells.join(" | "));
    let mut s = row(t.head.iter().map(|h| escape(h)).collect());
    s.push_str(&row(t
        .head
        .iter()
        .enumerate()
        .map(|(i, _)| {
            if t.numeric.get(i).copied().unwrap_or(false) {
                "---:".to_string()
            } else {
                "---".to_string()
            }
        })
        .collect()));
    for r in &t.rows {
        s.push_str(&row(r.cells.iter().map(|c| inline(c)).collect()));
    }
    s
}

fn inline(spans: &[Span]) -> String {
    let mut s = String::new();
    for span in spans {
        match span {
            Span::Text(x) => s.push_str(&escape(x)),
            Span::Strong(x) => s.push_str(&format!("**{}**", escape(x))),
            Span::Code(x) => s.push_str(&code(x)),
            Span::Class {
                name,
                critical: true,
            } if !name.trim().is_empty() => s.push_str(&format!("**{}**", escape(name))),
            Span::Class { name, .. } => s.push_str(&escape(name)),
        }
    }
    s
}

/// A code span that holds any text, backticks included.
fn code(x: &str) -> String {
    let x = x.replace(['\n', '\r'], " ");
    let fence = "`".repeat(longest_run(&x, '`') + 1);
    let pad = if x.starts_with('`') || x.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{x}{pad}{fence}")
}

fn longest_run(s: &str, ch: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for c in s.chars() {
        run = if c == ch { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

/// Escapes text so that Markdown shows it as written: every character with
/// an inline meaning is backslash-escaped, and line breaks become spaces so
/// that text cannot start a block or break a table row.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '&' | '|' | '~' | '!' | '#' => {
                out.push('\\');
                out.push(ch);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_markdown_would_interpret() {
        assert_eq!(escape("<script>"), "\\<script\\>");
        assert_eq!(escape("a|b"), "a\\|b");
        assert_eq!(escape("rate_limit*"), "rate\\_limit\\*");
        assert_eq!(escape("[x](y)"), "\\[x\\](y)");
        assert_eq!(escape("two\nlines"), "two lines");
        assert_eq!(escape("feed,v2 · 64.0 MiB"), "feed,v2 · 64.0 MiB");
    }

    #[test]
    fn code_spans_survive_backticks() {
        assert_eq!(code("noeviction"), "`noeviction`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
    }
}
