//! The HTML report: self-contained (no URL of any kind but the SVG
//! namespace, which is never fetched), one inline SVG per chart with data,
//! text from the run escaped, and the verdict before everything else.

#[path = "support/sample.rs"]
mod sample;

use evictsim::model::PolicyKind;
use evictsim::report::charts::all_charts;
use evictsim::report::{export, Format};
use evictsim::sim::RunResult;
use regex::Regex;
use sample::{rich, sample};

const SVG_NS: &str = r#"xmlns="http://www.w3.org/2000/svg""#;

fn html(r: &RunResult) -> String {
    String::from_utf8(export(Format::Html, r).unwrap()).unwrap()
}

fn rich_run() -> RunResult {
    rich(&[
        PolicyKind::NoEviction,
        PolicyKind::AllKeysLru,
        PolicyKind::AllKeysLfu,
        PolicyKind::VolatileLru,
        PolicyKind::VolatileTtl,
    ])
}

/// Everything in `page` that could make a browser fetch something, with
/// some context, once the SVG namespace declarations are taken out.
fn external_references(page: &str) -> Vec<String> {
    let re = Regex::new(
        r#"(?i)(\bsrc\s*=|\bsrcset\s*=|\bhref\s*=|url\s*\(|@import|@font-face|https?:|//[a-z0-9.-]+\.[a-z]{2,}/|<script|<link|<iframe|<object|<embed|<img)"#,
    )
    .unwrap();
    let stripped = page.replace(SVG_NS, "");
    re.find_iter(&stripped)
        .map(|m| {
            let from = stripped[..m.start()]
                .char_indices()
                .rev()
                .nth(40)
                .map_or(0, |(i, _)| i);
            let to = (m.end() + 40).min(stripped.len());
            let to = (to..=stripped.len())
                .find(|&i| stripped.is_char_boundary(i))
                .unwrap_or(stripped.len());
            stripped[from..to].to_string()
        })
        .collect()
}

#[test]
fn html_references_nothing_outside_itself() {
    for run in [sample(), rich_run()] {
        let page = html(&run);
        let found = external_references(&page);
        assert!(found.is_empty(), "external references: {found:#?}");
        // The only URL left is the namespace of each inline SVG.
        assert_eq!(page.matches("http").count(), page.matches(SVG_NS).count());
    }
}

#[test]
fn the_url_check_would_catch_a_reference() {
    for bad in [
        r#"<img src="x.png">"#,
        r#"<a href="https://example.com">"#,
        "body { background: url(x.png) }",
        "@import 'x.css';",
        "see http://example.com",
        "<script>1</script>",
    ] {
        assert!(!external_references(bad).is_empty(), "{bad}");
    }
    assert!(external_references(&format!("<svg {SVG_NS}></svg>")).is_empty());
}

#[test]
fn html_inlines_one_svg_per_chart_with_data() {
    for run in [sample(), rich_run()] {
        let page = html(&run);
        let charts = all_charts(&run);
        assert_eq!(page.matches("<svg").count(), charts.len());
        assert_eq!(page.matches("</svg>").count(), charts.len());
        for chart in charts {
            assert!(page.contains(&format!("aria-label=\"{}\"", chart.title())));
        }
    }
    assert_eq!(all_charts(&rich_run()).len(), 6);
}

#[test]
fn html_escapes_a_class_named_script() {
    let mut run = rich_run();
    run.classes[1].name = "<script>alert(1)</script>".into();
    run.scenario = "\"quoted\" & <b>bold</b>".into();
    let page = html(&run);
    assert!(
        !page.to_ascii_lowercase().contains("<script"),
        "unescaped script"
    );
    assert!(!page.contains("<b>bold</b>"));
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(page.contains(
        "<title>Eviction risk report: &quot;quoted&quot; &amp; &lt;b&gt;bold&lt;/b&gt;</title>"
    ));
    assert!(external_references(&page).is_empty());
}

#[test]
fn html_is_one_page_with_the_verdict_first() {
    let page = html(&sample());
    assert!(page.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(page.ends_with("</html>\n"));
    assert_eq!(page.matches("<style>").count(), 1);
    let at = |s: &str| page.find(s).unwrap_or_else(|| panic!("missing {s}"));
    assert!(at("<section id=\"verdict\">") < at("<table>"));
    assert!(at("lose critical data") < at("<section id=\"disappear\">"));
    assert!(at("<section id=\"disappear\">") < at("<section id=\"policies\">"));
    assert!(at("<section id=\"charts\">") < at("<svg"));
    assert!(at("<svg") < at("<section id=\"settings\">"));
    // Critical classes are highlighted, cache classes are not.
    assert!(page.contains(
        "<span class=\"class critical\" title=\"critical: no other copy\">sessions</span>"
    ));
    assert!(page.contains("<span class=\"class\">cache</span>"));
    assert!(page.contains("<tr class=\"danger\"><td><code>allkeys-lru</code></td>"));
    assert!(page.contains("<tr class=\"safe\"><td><code>noeviction</code></td>"));
}

#[test]
fn html_of_degenerate_runs_does_not_panic() {
    let mut none = sample();
    none.results.clear();
    let page = html(&none);
    assert!(page.contains("No policy was run"));
    assert_eq!(page.matches("<svg").count(), 0);
    let mut no_classes = rich_run();
    no_classes.classes.clear();
    let page = html(&no_classes);
    assert!(external_references(&page).is_empty());
}
