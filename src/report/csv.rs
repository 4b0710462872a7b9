//! The report spreadsheets read: a header and one row per (policy, class)
//! with every counter, plus a `TOTAL` row per policy. Fields are quoted per
//! RFC 4180 when they need it, since class names may hold commas or quotes.
//! A run at several start phases adds, per counter, `_min`, `_median` and
//! `_max` columns over the phases (the plain columns stay phase 0's).

use super::summary::Summary;
use super::{Exporter, ReportError};
use crate::metrics::Counters;
use crate::phase::CounterSpread;
use crate::sim::RunResult;

/// Renders a run as CSV.
#[derive(Clone, Copy, Debug, Default)]
pub struct CsvExporter;

impl Exporter for CsvExporter {
    fn serialize(&self, r: &RunResult) -> Result<Vec<u8>, ReportError> {
        let spreads = Summary::new(r).phases;
        let mut out = String::from("policy,class,critical");
        for (name, _) in Counters::NAMED {
            out.push(',');
            out.push_str(name);
        }
        if spreads.is_some() {
            for (name, _) in Counters::NAMED {
                out.push_str(&format!(",{name}_min,{name}_median,{name}_max"));
            }
        }
        out.push('\n');
        for (i, run) in r.results.iter().enumerate() {
            let policy = run.policy.name();
            let spread = spreads.as_ref().and_then(|s| s.get(i));
            for (c, (info, m)) in r.classes.iter().zip(&run.metrics.classes).enumerate() {
                let critical = if info.critical { "true" } else { "false" };
                let s = spread.and_then(|s| s.classes.get(c));
                row(&mut out, policy, &info.name, critical, &m.counters, s);
            }
            let s = spread.map(|s| &s.totals);
            row(&mut out, policy, "TOTAL", "", &run.metrics.totals(), s);
        }
        Ok(out.into_bytes())
    }
}

fn row(
    out: &mut String,
    policy: &str,
    class: &str,
    critical: &str,
    c: &Counters,
    spread: Option<&CounterSpread>,
) {
    out.push_str(&quote(policy));
    out.push(',');
    out.push_str(&quote(class));
    out.push(',');
    out.push_str(critical);
    for (_, read) in Counters::NAMED {
        out.push(',');
        out.push_str(&read(c).to_string());
    }
    for s in spread.map(CounterSpread::values).into_iter().flatten() {
        out.push_str(&format!(",{},{},{}", s.min, s.median, s.max));
    }
    out.push('\n');
}

/// Quotes a field if it holds a comma, a quote or a line break.
fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn quotes_only_fields_that_need_it() {
        assert_eq!(quote("cache"), "cache");
        assert_eq!(quote("a,b"), "\"a,b\"");
        assert_eq!(quote("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(quote("two\nlines"), "\"two\nlines\"");
    }
}
