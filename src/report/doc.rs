//! A small document model shared by the Markdown and HTML reports: headings,
//! paragraphs, callouts, lists, tables, code blocks and charts, with inline
//! spans. The words are written once (in `story`) as such a document; each
//! format only maps it to its own syntax and does its own escaping, so the
//! two reports can never say different things.
//!
//! Text from the run (scenario and class names) travels as plain strings and
//! is escaped by the renderer, never before.

use super::charts::Chart;

/// A piece of inline text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Span {
    /// Plain text.
    Text(String),
    /// Text that carries the point of a sentence.
    Strong(String),
    /// A policy name, setting or command, shown as code.
    Code(String),
    /// A key class's name, highlighted when the class is critical.
    Class {
        /// The class's name as the run spells it.
        name: String,
        /// Whether the class holds data with no other copy.
        critical: bool,
    },
}

/// Plain text.
pub(crate) fn t(s: impl Into<String>) -> Span {
    Span::Text(s.into())
}

/// Strong text.
pub(crate) fn b(s: impl Into<String>) -> Span {
    Span::Strong(s.into())
}

/// Code.
pub(crate) fn c(s: impl Into<String>) -> Span {
    Span::Code(s.into())
}

/// How a callout or a table row should look: what it warns about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tone {
    /// Critical data is lost.
    Danger,
    /// Nothing critical is lost.
    Safe,
    /// Information without a judgement.
    Info,
    /// No emphasis.
    Plain,
}

/// A table: a header, which columns hold numbers, and rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Table {
    /// Column headers.
    pub head: Vec<std::borrow::Cow<'static, str>>,
    /// Per column, whether it holds numbers (right-aligned).
    pub numeric: Vec<bool>,
    /// The rows, each with as many cells as there are headers.
    pub rows: Vec<Row>,
}

/// A table row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Row {
    /// How the row is highlighted.
    pub tone: Tone,
    /// The cells, each a run of spans.
    pub cells: Vec<Vec<Span>>,
}

/// A block of a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Block {
    /// A section heading (level 2 or 3) with a stable anchor id.
    Heading {
        /// 2 for a section, 3 for a subsection.
        level: u8,
        /// The heading's text.
        text: String,
        /// An id for the section, made of `[a-z-]` only.
        id: &'static str,
    },
    /// A paragraph.
    Para(Vec<Span>),
    /// A bulleted or numbered list of one-paragraph items.
    List {
        /// Numbered when true.
        ordered: bool,
        /// The items.
        items: Vec<Vec<Span>>,
    },
    /// Blocks set apart and coloured by their tone in HTML; plain in Markdown.
    Callout {
        /// What the callout warns about.
        tone: Tone,
        /// Its content.
        blocks: Vec<Block>,
    },
    /// A table.
    Table(Table),
    /// A command to copy, shown verbatim.
    Code(String),
    /// A chart: an image beside the Markdown, an inline SVG in the HTML.
    Chart(Chart),
    /// An image file beside the report (a sweep's chart), by its
    /// description and file name.
    Image {
        /// What the image shows.
        alt: String,
        /// Its file name, relative to the report.
        file: String,
    },
}

/// A whole report: a title and its blocks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Document {
    /// The title (the first heading).
    pub title: String,
    /// Everything under the title.
    pub blocks: Vec<Block>,
}
