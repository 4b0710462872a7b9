//! Narration as styled text: a line is a list of spans, each with a style
//! that says what it is (a critical key, a cache key, a loss), so the
//! terminal colours it, the page marks it up, and a transcript without
//! colour reads the same words.

/// What a span of narration is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// Ordinary words.
    Plain,
    /// A key of a critical class (no other copy).
    Critical,
    /// A key of a cache class (can be rebuilt).
    Cache,
    /// Something lost or refused.
    Bad,
    /// Something that went right.
    Good,
    /// Detail: scores, the pool.
    Dim,
    /// Emphasis: the command, a heading.
    Strong,
}

/// One span of text with its style.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    /// The style.
    pub style: Style,
    /// The words.
    pub text: String,
}

/// One line of narration.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Line {
    /// The spans, in order.
    pub spans: Vec<Span>,
}

impl Line {
    /// An empty line.
    pub fn new() -> Line {
        Line::default()
    }

    /// Appends `text` in `style` (builder form).
    pub fn with(mut self, style: Style, text: impl Into<String>) -> Line {
        self.push(style, text);
        self
    }

    /// Appends `text` in `style`.
    pub fn push(&mut self, style: Style, text: impl Into<String>) {
        let text = text.into();
        if text.is_empty() {
            return;
        }
        match self.spans.last_mut() {
            Some(last) if last.style == style => last.text.push_str(&text),
            _ => self.spans.push(Span { style, text }),
        }
    }

    /// The line without styles.
    pub fn plain(&self) -> String {
        self.spans.iter().map(|s| s.text.as_str()).collect()
    }
}

/// Wraps `text` into lines of at most `width` characters, between words.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    for para in text.split("\n\n") {
        let mut line = String::new();
        for word in para.split_whitespace() {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                out.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        if !line.is_empty() {
            out.push(line);
        }
        out.push(String::new());
    }
    out.pop();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_of_one_style_merge_and_plain_drops_styles() {
        let l = Line::new()
            .with(Style::Plain, "GET ")
            .with(Style::Cache, "cache:/home")
            .with(Style::Cache, "")
            .with(Style::Plain, " hit");
        assert_eq!(l.spans.len(), 3);
        assert_eq!(l.plain(), "GET cache:/home hit");
    }

    #[test]
    fn wraps_between_words_and_keeps_paragraphs() {
        assert_eq!(
            wrap("one two three\n\nfour", 8),
            ["one two", "three", "", "four"]
        );
    }
}
