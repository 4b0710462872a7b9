//! The report to open in a browser or attach to a review: one self-contained
//! HTML file with the verdict first, styled tables with the critical classes
//! highlighted, every chart inline as SVG, and the settings that reproduce
//! the run. It references nothing outside itself: no script, no font, no
//! image, no link; the CSS is inline and the only URL in it is the SVG
//! namespace, which browsers never fetch. The words are
//! [`story`](super::story)'s; every piece of text is HTML-escaped here.

use super::charts::{all_charts, render_svg, Chart};
use super::doc::{Block, Document, Span, Table, Tone};
use super::summary::Summary;
use super::{story, Exporter, ReportError};
use crate::sim::RunResult;

/// Renders a run as one self-contained HTML page.
#[derive(Clone, Copy, Debug, Default)]
pub struct HtmlExporter;

impl Exporter for HtmlExporter {
    fn serialize(&self, r: &RunResult) -> Result<Vec<u8>, ReportError> {
        let svgs = render_charts(r)?;
        Ok(render_run(r, &svgs).into_bytes())
    }
}

/// Renders every chart of [`all_charts`] as SVG, in report order.
pub(crate) fn render_charts(r: &RunResult) -> Result<Vec<(Chart, String)>, ReportError> {
    all_charts(r)
        .into_iter()
        .map(|chart| {
            render_svg(chart, r)
                .map(|svg| (chart, svg))
                .map_err(|source| ReportError::Chart { chart, source })
        })
        .collect()
}

/// The HTML page of a run, with its charts already rendered.
pub(crate) fn render_run(r: &RunResult, svgs: &[(Chart, String)]) -> String {
    render(&story::document(r, &Summary::new(r)), svgs)
}

/// Spells a document as an HTML page; a chart missing from `svgs` becomes a
/// note.
fn render(doc: &Document, svgs: &[(Chart, String)]) -> String {
    let title = escape(&doc.title);
    let mut body = String::new();
    let mut in_section = false;
    for b in &doc.blocks {
        if let Block::Heading { level: 2, id, .. } = b {
            if in_section {
                body.push_str("</section>\n");
            }
            body.push_str(&format!("<section id=\"{}\">\n", escape(id)));
            in_section = true;
        }
        block(&mut body, b, svgs);
    }
    if in_section {
        body.push_str("</section>\n");
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"evictsim {version}\">\n\
         <title>{title}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n<main>\n\
         <header>\n<p class=\"kicker\">evictsim · maxmemory-policy risk report</p>\n\
         <h1>{title}</h1>\n</header>\n{body}<footer>Written by evictsim {version}. This page \
         is self-contained: it loads nothing from anywhere.</footer>\n</main>\n</body>\n\
         </html>\n",
        version = env!("CARGO_PKG_VERSION"),
    )
}

fn block(out: &mut String, b: &Block, svgs: &[(Chart, String)]) {
    match b {
        Block::Heading { level, text, id } => {
            let level = (*level).clamp(2, 6);
            out.push_str(&format!(
                "<h{level} id=\"h-{}\">{}</h{level}>\n",
                escape(id),
                escape(text)
            ));
        }
        Block::Para(spans) => out.push_str(&format!("<p>{}</p>\n", inline(spans))),
        Block::List { ordered, items } => {
            let tag = if *ordered { "ol" } else { "ul" };
            out.push_str(&format!("<{tag}>\n"));
            for item in items {
                out.push_str(&format!("<li>{}</li>\n", inline(item)));
            }
            out.push_str(&format!("</{tag}>\n"));
        }
        Block::Callout { tone, blocks } => {
            out.push_str(&format!("<div class=\"callout {}\">\n", tone_class(*tone)));
            for b in blocks {
                block(out, b, svgs);
            }
            out.push_str("</div>\n");
        }
        Block::Table(t) => table(out, t),
        Block::Code(code) => out.push_str(&format!("<pre><code>{}</code></pre>\n", escape(code))),
        Block::Chart(chart) => match svgs.iter().find(|(c, _)| c == chart) {
            Some((_, svg)) => {
                let labelled = svg.replacen(
                    "<svg ",
                    &format!(
                        "<svg role=\"img\" aria-label=\"{}\" ",
                        escape(chart.title())
                    ),
                    1,
                );
                out.push_str(&format!(
                    "<figure class=\"chart\">\n{}\n</figure>\n",
                    labelled.trim_end()
                ));
            }
            None => out.push_str("<p class=\"note\">This chart was not rendered.</p>\n"),
        },
        Block::Image { alt, file } => out.push_str(&format!(
            "<figure class=\"chart\"><img src=\"{}\" alt=\"{}\"></figure>\n",
            escape(file),
            escape(alt)
        )),
    }
}

fn tone_class(tone: Tone) -> &'static str {
    match tone {
        Tone::Danger => "danger",
        Tone::Safe => "safe",
        Tone::Info => "info",
        Tone::Plain => "plain",
    }
}

fn table(out: &mut String, t: &Table) {
    let num = |i: usize| t.numeric.get(i).copied().unwrap_or(false);
    let cls = |i: usize| if num(i) { " class=\"num\"" } else { "" };
    out.push_str("<div class=\"table-wrap\">\n<table>\n<thead>\n<tr>");
    for (i, h) in t.head.iter().enumerate() {
        out.push_str(&format!("<th{}>{}</th>", cls(i), escape(h)));
    }
    out.push_str("</tr>\n</thead>\n<tbody>\n");
    for r in &t.rows {
        out.push_str(&format!("<tr class=\"{}\">", tone_class(r.tone)));
        for (i, cell) in r.cells.iter().enumerate() {
            out.push_str(&format!("<td{}>{}</td>", cls(i), inline(cell)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</div>\n");
}

fn inline(spans: &[Span]) -> String {
    let mut s = String::new();
    for span in spans {
        match span {
            Span::Text(x) => s.push_str(&escape(x)),
            Span::Strong(x) => s.push_str(&format!("<strong>{}</strong>", escape(x))),
            Span::Code(x) => s.push_str(&format!("<code>{}</code>", escape(x))),
            Span::Class {
                name,
                critical: true,
            } => s.push_str(&format!(
                "<span class=\"class critical\" title=\"critical: no other copy\">{}</span>",
                escape(name)
            )),
            Span::Class { name, .. } => {
                s.push_str(&format!("<span class=\"class\">{}</span>", escape(name)))
            }
        }
    }
    s
}

/// Escapes text for HTML content and attribute values.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The page's whole style: system fonts only, a readable measure, tables
/// and callouts coloured by what they say.
const CSS: &str = r#":root {
  --ink: #1f2328; --muted: #59636e; --line: #d8dee4; --paper: #ffffff; --page: #f3f4f6;
  --danger: #b42318; --danger-bg: #fef3f2; --danger-line: #fecdca;
  --safe: #067647; --safe-bg: #ecfdf3; --safe-line: #abefc6;
  --info: #175cd3; --info-bg: #eff8ff; --info-line: #b2ddff;
  --crit: #9c2a10; --crit-bg: #fff1e6; --crit-line: #f7b27a;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--page); color: var(--ink);
  font: 17px/1.6 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans",
    "Helvetica Neue", Arial, sans-serif;
}
main {
  max-width: 1240px; margin: 0 auto; padding: 40px 56px 56px; background: var(--paper);
  min-height: 100vh; box-shadow: 0 0 0 1px var(--line);
}
header { margin-bottom: 4px; }
.kicker {
  margin: 0; color: var(--muted); font-size: 0.8rem; letter-spacing: 0.08em;
  text-transform: uppercase; font-weight: 600;
}
h1 { font-size: 2.1rem; line-height: 1.2; margin: 6px 0 6px; overflow-wrap: anywhere; }
header + p { color: var(--muted); margin-top: 0; max-width: none; }
h2 {
  font-size: 1.45rem; line-height: 1.3; margin: 44px 0 14px; padding-bottom: 6px;
  border-bottom: 2px solid var(--line);
}
h3 { font-size: 1.15rem; margin: 34px 0 6px; }
p, li { max-width: 80ch; }
.callout p, .callout li { max-width: none; }
ul, ol { padding-left: 1.5em; }
li { margin: 6px 0; }
strong { font-weight: 650; }
code, pre {
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace;
  font-size: 0.88em;
}
code { background: rgba(130, 140, 150, 0.16); padding: 0.1em 0.35em; border-radius: 4px; white-space: nowrap; }
pre {
  background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; padding: 12px 16px;
  overflow-x: auto; white-space: pre-wrap; overflow-wrap: anywhere;
}
pre code { background: none; padding: 0; white-space: inherit; }
.callout {
  border: 1px solid var(--line); border-left-width: 6px; border-radius: 8px;
  padding: 4px 20px; margin: 16px 0;
}
.callout.danger { background: var(--danger-bg); border-color: var(--danger-line); border-left-color: var(--danger); }
.callout.safe { background: var(--safe-bg); border-color: var(--safe-line); border-left-color: var(--safe); }
.callout.info { background: var(--info-bg); border-color: var(--info-line); border-left-color: var(--info); }
.callout.danger > p:first-child strong { color: var(--danger); }
.callout.safe > p:first-child strong { color: var(--safe); }
.class {
  display: inline-block; padding: 0 0.45em; border-radius: 999px; line-height: 1.5;
  background: #eef2f6; border: 1px solid var(--line); white-space: nowrap;
}
.class.critical {
  background: var(--crit-bg); border-color: var(--crit-line); color: var(--crit); font-weight: 650;
}
.table-wrap { overflow-x: auto; margin: 14px 0; border: 1px solid var(--line); border-radius: 8px; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; font-variant-numeric: tabular-nums; }
th, td { padding: 8px 10px; text-align: left; vertical-align: top; border-bottom: 1px solid var(--line); }
tbody tr:last-child td { border-bottom: none; }
th { background: #f6f8fa; font-weight: 650; font-size: 0.8rem; color: var(--muted); vertical-align: bottom; }
th.num, td.num { text-align: right; white-space: nowrap; }
th:first-child, td:first-child { white-space: nowrap; width: 1%; }
tr.danger td { background: var(--danger-bg); }
tr.danger td:first-child { box-shadow: inset 5px 0 0 var(--danger); }
tr.safe td { background: var(--safe-bg); }
tr.safe td:first-child { box-shadow: inset 5px 0 0 var(--safe); }
tr.danger td:nth-child(2) { color: var(--danger); font-weight: 650; white-space: nowrap; }
tr.safe td:nth-child(2) { color: var(--safe); font-weight: 650; white-space: nowrap; }
figure.chart { margin: 10px 0 36px; }
figure.chart svg {
  display: block; width: 100%; height: auto; border: 1px solid var(--line); border-radius: 8px;
}
.note { color: var(--muted); font-style: italic; }
footer { margin-top: 48px; padding-top: 12px; border-top: 1px solid var(--line); color: var(--muted); font-size: 0.85rem; }
@media (max-width: 700px) { main { padding: 24px 16px; } }
@media print {
  body { background: none; }
  main { box-shadow: none; max-width: none; }
  figure.chart, .callout, tr { break-inside: avoid; }
}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<script>alert('x') & \"y\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;"
        );
    }

    #[test]
    fn style_loads_nothing() {
        let css = CSS.to_ascii_lowercase();
        for bad in ["url(", "@import", "http", "@font-face"] {
            assert!(!css.contains(bad), "{bad}");
        }
    }
}
