//! The report a person reads in a terminal: a header line saying what was
//! run, one table row per policy, and footer lines naming the safest and the
//! worst policy in words and the memory needed to lose nothing. No colours,
//! no terminal-width probing, so the output is the same piped or not.

use comfy_table::{presets::UTF8_FULL_CONDENSED, CellAlignment, ContentArrangement, Table};

use super::fmt::{bytes, duration_ms, plural, thousands};
use super::summary::{PolicySummary, Summary};
use super::{Exporter, ReportError};
use crate::sim::RunResult;

/// Renders a run as a terminal table.
#[derive(Clone, Copy, Debug, Default)]
pub struct TableExporter;

impl Exporter for TableExporter {
    fn serialize(&self, r: &RunResult) -> Result<Vec<u8>, ReportError> {
        let summary = Summary::new(r);
        let mut out = format!(
            "{} {}, maxmemory {}, {} ops over {}, seed {}\n",
            if r.source.trace().is_some() {
                "trace"
            } else {
                "scenario"
            },
            r.scenario,
            bytes(r.maxmemory_bytes),
            thousands(r.ops),
            duration_ms(r.simulated_ms),
            r.seed,
        );
        out.push_str(&table(&summary).to_string());
        out.push('\n');
        out.push_str(&footer(r, &summary));
        Ok(out.into_bytes())
    }
}

fn table(summary: &Summary) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .force_no_tty()
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(vec![
            "policy",
            "critical keys\nevicted",
            "lost critical\nreads",
            "refused\nwrites",
            "hit\nratio",
            "cache hit\nratio",
            "peak\nmemory",
        ]);
    for p in &summary.policies {
        t.add_row(vec![
            if p.policy.is_reference() {
                format!("{} (ref)", p.policy.name())
            } else {
                p.policy.name().to_string()
            },
            thousands(p.critical_keys_evicted),
            thousands(p.lost_critical_reads),
            thousands(p.refused_writes),
            p.hit_ratio.percent(),
            p.cache_hit_ratio.percent(),
            bytes(p.peak_used_memory),
        ]);
    }
    for i in 1..7 {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    t
}

fn footer(r: &RunResult, summary: &Summary) -> String {
    let mut out = String::new();
    match summary.safest() {
        None => out.push_str("no policy was run\n"),
        Some(p) if p.loses_nothing() => out.push_str(&format!(
            "safest: {} (no critical key evicted; {})\n",
            p.policy,
            refused(p)
        )),
        Some(p) => out.push_str(&format!(
            "safest: {} (every policy loses critical keys; this one least: {})\n",
            p.policy,
            losses(p)
        )),
    }
    match summary.worst() {
        Some(p) => out.push_str(&format!("worst: {} ({})\n", p.policy, losses(p))),
        None if !summary.policies.is_empty() => {
            out.push_str("worst: none (no policy evicted a critical key)\n")
        }
        None => {}
    }
    out.push_str(&format!(
        "to lose nothing: {} of memory (peak used with no maxmemory)\n",
        bytes(r.unbounded_peak_memory)
    ));
    if summary.policies.iter().any(|p| p.policy.is_reference()) {
        out.push_str("(ref): evictsim's exact LRU, which no server has; not judged\n");
    }
    out
}

fn refused(p: &PolicySummary) -> String {
    match p.refused_writes {
        0 => "no write refused".to_string(),
        n => format!("{} {} refused", thousands(n), plural(n, "write", "writes")),
    }
}

fn losses(p: &PolicySummary) -> String {
    let (k, l) = (p.critical_keys_evicted, p.lost_critical_reads);
    format!(
        "{} critical {} evicted, {} {} lost",
        thousands(k),
        plural(k, "key", "keys"),
        thousands(l),
        plural(l, "read", "reads"),
    )
}
