//! Turns a finished [`RunResult`] into bytes for people and programs: a
//! terminal table, JSON, CSV, a Markdown report and a self-contained HTML
//! report, one small exporter per format behind the [`Exporter`] trait, plus
//! [`write_atomic`] so a report file is either the old one or the complete
//! new one, never half of it, and [`write_dir`] for a whole report directory.
//!
//! A sweep (one workload at many sizes) has its own reports in [`sweep`].
//!
//! Exporters only read what the run counted; the numbers they share come
//! from [`Summary`], computed once per export. Markdown and HTML share their
//! words too: both render one document built by `story`.

mod atomic;
pub mod audit;
pub mod charts;
mod cluster;
pub mod crash;
mod csv;
mod dir;
mod doc;
pub mod fmt;
mod html;
pub(crate) mod json;
mod markdown;
pub mod owner;
pub mod servers;
pub mod split;
mod story;
mod summary;
pub mod sweep;
mod table;
pub mod understood;

use std::str::FromStr;

use crate::sim::RunResult;

pub use atomic::write_atomic;
pub use cluster::{ClusterSummary, ShardSummary};
pub use csv::CsvExporter;
pub use dir::{render_dir, write_dir, write_files, RenderedDir, WriteError};
pub use html::HtmlExporter;
pub use json::JsonExporter;
pub use markdown::MarkdownExporter;
pub use summary::{HitRatio, PolicySpread, PolicySummary, Summary, Verdict};
pub use sweep::{export_sweep, write_sweep_dir, SweepFormat};
pub use table::TableExporter;

/// Declares the report formats once: each line gives the variant, the name
/// the command line takes, its aliases, the file it is written to in a
/// report directory, its exporter and what it is. A new format is its
/// exporter's file plus one line here.
macro_rules! report_formats {
    ($($variant:ident => $name:literal, [$($alias:literal),*], $file:literal, $exporter:ident, $doc:literal;)*) => {
        /// A report format.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Format {
            $(#[doc = $doc] $variant,)*
        }

        impl Format {
            /// Every format, in the order help texts list them.
            pub const ALL: &'static [Format] = &[$(Format::$variant),*];

            /// The format's name as the command line spells it.
            pub fn name(self) -> &'static str {
                match self { $(Format::$variant => $name,)* }
            }

            /// Other names the command line accepts.
            pub fn aliases(self) -> &'static [&'static str] {
                match self { $(Format::$variant => &[$($alias),*],)* }
            }

            /// What the format is, in one sentence.
            pub fn help(self) -> &'static str {
                match self { $(Format::$variant => $doc,)* }
            }

            /// The file a report directory holds it in.
            pub fn file_name(self) -> &'static str {
                match self { $(Format::$variant => $file,)* }
            }

            /// The exporter that writes this format.
            pub fn exporter(self) -> Box<dyn Exporter> {
                match self { $(Format::$variant => Box::new($exporter),)* }
            }
        }
    };
}

report_formats! {
    Table => "table", [], "table.txt", TableExporter,
        "A UTF-8 table for a terminal, one row per policy, with the verdict.";
    Json => "json", [], "results.json", JsonExporter,
        "Pretty JSON with every counter and histogram summary, stable names.";
    Csv => "csv", [], "results.csv", CsvExporter,
        "CSV with one row per policy and class, plus a TOTAL row per policy.";
    Markdown => "markdown", ["md"], "report.md", MarkdownExporter,
        "A Markdown report, verdict first, with charts as images beside it.";
    Html => "html", [], "report.html", HtmlExporter,
        "A self-contained HTML report, verdict first, with charts inline as SVG.";
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A format name that evictsim does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown report format '{0}' (expected one of: {names})", names = Format::ALL.iter().map(|f| f.name()).collect::<Vec<_>>().join(", "))]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        Format::ALL
            .iter()
            .copied()
            .find(|f| f.name() == lower || f.aliases().contains(&lower.as_str()))
            .ok_or_else(|| UnknownFormat(s.to_string()))
    }
}

/// Why a report could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The JSON encoder failed; nothing was produced and no file was touched.
    #[error("cannot encode the results as JSON")]
    Json(#[from] serde_json::Error),
    /// A chart could not be rendered; nothing was produced and no file was
    /// touched.
    #[error("cannot render the {} chart", chart.file_stem())]
    Chart {
        /// The chart.
        chart: charts::Chart,
        /// Why.
        source: charts::ChartError,
    },
    /// A sweep's chart could not be rendered; no file was touched.
    #[error("cannot render the {chart} chart")]
    SweepChart {
        /// The chart's file name stem.
        chart: &'static str,
        /// Why.
        source: charts::ChartError,
    },
}

/// One report format.
pub trait Exporter {
    /// Renders the whole run as this format's bytes; every call is
    /// independent and the same run always gives the same bytes.
    fn serialize(&self, r: &RunResult) -> Result<Vec<u8>, ReportError>;
}

/// Renders a run in a format.
pub fn export(format: Format, r: &RunResult) -> Result<Vec<u8>, ReportError> {
    Ok(mark_partial(format, r, format.exporter().serialize(r)?))
}

/// `bytes` of `format` with, for a run stopped early, the partial line at
/// the top (JSON says it in its own fields; see the JSON exporter).
pub(crate) fn mark_partial(format: Format, r: &RunResult, bytes: Vec<u8>) -> Vec<u8> {
    let Some(p) = &r.partial else {
        return bytes;
    };
    let line = p.line();
    let head = match format {
        Format::Json => return bytes,
        Format::Table => format!("{line}\n\n"),
        Format::Csv => format!("# {line}\n"),
        Format::Markdown => format!("> **{line}**\n\n"),
        Format::Html => {
            let page = String::from_utf8_lossy(&bytes);
            let banner = format!("<main>\n<p class=\"partial\"><strong>{line}</strong></p>\n");
            return page.replacen("<main>\n", &banner, 1).into_bytes();
        }
    };
    let mut out = head.into_bytes();
    out.extend_from_slice(&bytes);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_round_trip() {
        for &f in Format::ALL {
            assert_eq!(f.name().parse::<Format>().unwrap(), f);
        }
        assert_eq!(" JSON ".parse::<Format>().unwrap(), Format::Json);
        assert_eq!("MD".parse::<Format>().unwrap(), Format::Markdown);
        assert!("pdf".parse::<Format>().is_err());
    }

    #[test]
    fn a_chart_error_names_the_chart() {
        let e = ReportError::Chart {
            chart: charts::Chart::HitRatio,
            source: charts::ChartError::Font,
        };
        assert_eq!(e.to_string(), "cannot render the hit-ratio chart");
        assert!(std::error::Error::source(&e).is_some());
    }

    #[test]
    fn empty_run_exports_in_every_format() {
        let r = RunResult {
            scenario: String::new(),
            seed: 0,
            maxmemory_bytes: 0,
            ops: 0,
            simulated_ms: 0,
            classes: vec![],
            results: vec![],
            unbounded_peak_memory: 0,
            unbounded_memory: Vec::new(),
            source: Default::default(),
            instance: Default::default(),
            cluster: None,
            crash: None,
            phases: None,
            partial: None,
        };
        for &f in Format::ALL {
            let out = export(f, &r).unwrap();
            assert!(!out.is_empty(), "{f} produced nothing");
        }
    }
}
