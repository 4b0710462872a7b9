//! The report a person reads in a terminal: a header line saying what was
//! run, one table row per policy, and footer lines naming the safest and the
//! worst policy in words and the memory needed to lose nothing. For a Redis
//! Cluster, a second table gives the shards under the worst policy and
//! names the hottest. No colours, no terminal-width probing, so the output
//! is the same piped or not.

use comfy_table::{presets::UTF8_FULL_CONDENSED, CellAlignment, ContentArrangement, Table};

use super::cluster::ClusterSummary;
use super::fmt::{bytes, duration_ms, plural, spread, thousands};
use super::summary::{PolicySummary, Summary};
use super::{Exporter, ReportError};
use crate::sim::RunResult;

/// Renders a run as a terminal table.
#[derive(Clone, Copy, Debug, Default)]
pub struct TableExporter;

impl Exporter for TableExporter {
    fn serialize(&self, r: &RunResult) -> Result<Vec<u8>, ReportError> {
        let summary = Summary::new(r);
        let cluster = ClusterSummary::new(r, &summary);
        let mut out = format!(
            "{} {}, {}maxmemory {}{}, {} ops over {}, seed {}\n",
            if r.source.trace().is_some() {
                "trace"
            } else {
                "scenario"
            },
            r.scenario,
            cluster.as_ref().map_or(String::new(), |c| {
                format!(
                    "{} {}, ",
                    c.shards,
                    plural(c.shards as u64, "shard", "shards")
                )
            }),
            bytes(r.maxmemory_bytes),
            if cluster.is_some() { " per shard" } else { "" },
            thousands(r.ops),
            duration_ms(r.simulated_ms),
            r.seed,
        );
        if let Some(line) = super::story::phases_line(r) {
            out.push_str(&line);
            out.push('\n');
        }
        out.push_str(&table(&summary).to_string());
        out.push('\n');
        out.push_str(&footer(r, &summary, cluster.is_some()));
        if let Some(c) = &cluster {
            out.push_str(&shards(&summary, c));
        }
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
    for (i, p) in summary.policies.iter().enumerate() {
        let mut row = vec![if p.policy.is_reference() {
            format!("{} (ref)", p.policy.name())
        } else {
            p.policy.name().to_string()
        }];
        row.extend(figures(summary, i));
        t.add_row(row);
    }
    for i in 1..7 {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    t
}

/// The six figures of the policy at `i`: its own, or with phases the
/// median and range over them.
pub(crate) fn figures(summary: &Summary, i: usize) -> [String; 6] {
    let p = &summary.policies[i];
    match summary.phases.as_ref().and_then(|s| s.get(i)) {
        None => [
            thousands(p.critical_keys_evicted),
            thousands(p.lost_critical_reads),
            thousands(p.refused_writes),
            p.hit_ratio.percent(),
            p.cache_hit_ratio.percent(),
            bytes(p.peak_used_memory),
        ],
        Some(s) => [
            spread(&s.critical_keys_evicted, thousands),
            spread(&s.lost_critical_reads, thousands),
            spread(&s.refused_writes, thousands),
            spread(&s.hit_ratio, |h| h.percent()),
            spread(&s.cache_hit_ratio, |h| h.percent()),
            spread(&s.peak_used_memory, bytes),
        ],
    }
}

fn footer(r: &RunResult, summary: &Summary, cluster: bool) -> String {
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
    if cluster {
        out.push_str(&format!(
            "to lose nothing: {} of memory per shard (the fullest shard's peak with no maxmemory)\n",
            bytes(r.unbounded_peak_memory)
        ));
    } else {
        out.push_str(&format!(
            "to lose nothing: {} of memory (peak used with no maxmemory)\n",
            bytes(r.unbounded_peak_memory)
        ));
    }
    if summary.policies.iter().any(|p| p.policy.is_reference()) {
        out.push_str("(ref): evictsim's exact LRU, which no server has; not judged\n");
    }
    out
}

/// The shards under the shown policy, and the hottest named.
fn shards(summary: &Summary, c: &ClusterSummary) -> String {
    let Some((pi, shards)) = c.shown_shards() else {
        return String::new();
    };
    let policy = summary.policies[pi].policy;
    let why = if summary.verdict.worst == Some(pi) {
        "the worst policy"
    } else {
        "no policy lost critical data; the first listed"
    };
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .force_no_tty()
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(vec![
            "shard",
            "slots",
            "keys",
            "ops",
            "peak\nmemory",
            "evictions",
            "critical keys\nevicted",
            "lost critical\nreads",
            "refused\nwrites",
            "no-limit\npeak",
        ]);
    for sh in shards {
        let p = &sh.summary;
        t.add_row(vec![
            sh.shard.to_string(),
            sh.ranges.clone(),
            thousands(sh.keys),
            thousands(sh.ops),
            bytes(p.peak_used_memory),
            thousands(p.totals.evicted),
            thousands(p.critical_keys_evicted),
            thousands(p.lost_critical_reads),
            thousands(p.refused_writes),
            bytes(sh.unbounded_peak_memory),
        ]);
    }
    for i in 2..10 {
        if let Some(col) = t.column_mut(i) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
    let mut out = format!("shards under {policy} ({why}):\n{t}\n");
    if let Some(hot) = c.hottest_of(pi) {
        out.push_str(&format!(
            "hottest shard: {} (slots {}): {}\n",
            hot.shard,
            hot.ranges,
            heat(hot)
        ));
    }
    out
}

/// What makes a shard hot, in a few words.
fn heat(sh: &super::cluster::ShardSummary) -> String {
    let p = &sh.summary;
    let mut parts = Vec::new();
    if p.critical_keys_evicted > 0 || p.lost_critical_reads > 0 {
        parts.push(losses(p));
    }
    parts.push(format!(
        "{} {}",
        thousands(p.totals.evicted),
        plural(p.totals.evicted, "eviction", "evictions")
    ));
    if p.refused_writes > 0 {
        parts.push(refused(p));
    }
    parts.push(format!(
        "peak {}, {} with no limit",
        bytes(p.peak_used_memory),
        bytes(sh.unbounded_peak_memory)
    ));
    parts.join(", ")
}

fn refused(p: &PolicySummary) -> String {
    match p.refused_writes {
        0 => "no write refused".to_string(),
        n => format!("{} {} refused", thousands(n), plural(n, "write", "writes")),
    }
}

fn losses(p: &PolicySummary) -> String {
    let (k, l) = (p.critical_keys_evicted, p.lost_critical_reads);
    // Lists, hashes and sets evicted take their elements with them.
    let items = p.critical_totals.lost_items;
    let with = if p.critical_totals.lost_aggregates() {
        format!(
            " ({} {} lost with {})",
            thousands(items),
            plural(items, "item", "items"),
            plural(k, "it", "them")
        )
    } else {
        String::new()
    };
    format!(
        "{} critical {} evicted{with}, {} {} lost",
        thousands(k),
        plural(k, "key", "keys"),
        thousands(l),
        plural(l, "read", "reads"),
    )
}
