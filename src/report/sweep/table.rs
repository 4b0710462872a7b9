//! A sweep in a terminal: a header line saying what was swept, one row per
//! policy and size (the policy named on its first row), then per policy
//! where it became safe: the searched answer with `--find-safe`, otherwise
//! the grid's. No colours, the same output piped or not.

use comfy_table::{presets::UTF8_FULL_CONDENSED, CellAlignment, ContentArrangement, Table};

use super::rows::{rows, safe_on_grid, safe_sentence, Row};
use super::{header_line, seeds_note};
use crate::report::fmt::{bytes, thousands};
use crate::sweep::SweepResult;

/// The table, its header line and its footer, as text.
pub(crate) fn render(r: &SweepResult) -> String {
    let rows = rows(r);
    let mut out = header_line(r);
    out.push('\n');
    out.push_str(&table(&rows, super::safe_heading(r)).to_string());
    out.push('\n');
    if let Some(note) = seeds_note(r) {
        out.push_str(&note);
        out.push('\n');
    }
    out.push_str(&footer(r, &rows));
    out
}

fn table(rows: &[Row], safe: &'static str) -> Table {
    let safe = safe.replacen(" (", "\n(", 1);
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .force_no_tty()
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(vec![
            "policy",
            "maxmemory",
            "critical keys\nevicted",
            "lost critical\nreads",
            "critical\nrefused",
            "refused\nwrites",
            "hit\nratio",
            "cache hit\nratio",
            &safe,
        ]);
    let mut last = None;
    for row in rows {
        let name = if last == Some(row.policy) {
            String::new()
        } else {
            super::policy_label(row.policy)
        };
        last = Some(row.policy);
        t.add_row(vec![
            name,
            bytes(row.size),
            thousands(row.critical_keys_evicted.max),
            thousands(row.lost_critical_reads.max),
            thousands(row.critical_refused.max),
            thousands(row.refused_writes.max),
            row.hit_ratio.percent(),
            row.cache_hit_ratio.percent(),
            if row.safe { "yes" } else { "no" }.to_string(),
        ]);
    }
    for i in 1..8 {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    t
}

fn footer(r: &SweepResult, rows: &[Row]) -> String {
    let width = r
        .policies
        .iter()
        .map(|&p| super::policy_label(p).len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    match &r.find_safe {
        Some(fs) => {
            out.push_str(&format!(
                "smallest safe maxmemory, to {} (no critical key evicted, no critical write refused{}):\n",
                bytes(fs.resolution),
                super::safe_scope(r).map_or(String::new(), |s| format!(", {s}"))
            ));
            for s in &fs.policies {
                out.push_str(&format!(
                    "  {:width$}  {}\n",
                    super::policy_label(s.policy),
                    safe_sentence(r, s)
                ));
            }
        }
        None => {
            out.push_str(
                "safe on the grid from (no critical key evicted, no critical write refused, \
                 here and at every larger size; --find-safe searches between the sizes):\n",
            );
            for &p in &r.policies {
                let at = match safe_on_grid(rows, p) {
                    Some(size) => bytes(size),
                    None => format!("not safe at {}", bytes(r.grid.range.to)),
                };
                out.push_str(&format!("  {:width$}  {at}\n", super::policy_label(p)));
            }
        }
    }
    out.push_str(&super::unbounded_line(r));
    out.push('\n');
    out
}
