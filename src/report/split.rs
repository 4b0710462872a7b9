//! How a split is shown: the mixed instance under each policy and the
//! two-instance layout side by side, as a terminal table, JSON, and a short
//! Markdown report that leads with the recommendation. The numbers all come
//! from the [`SplitPlan`]; nothing is recomputed.

use comfy_table::{presets::UTF8_FULL_CONDENSED, CellAlignment, ContentArrangement, Table};
use serde::Serialize;

use super::fmt::{bytes, percent, thousands};
use crate::metrics::{Counters, Metrics};
use crate::sim::ClassInfo;
use crate::split::{cache_counters, critical_counters, SplitPlan};

/// One layout's figures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LayoutRow {
    /// What it is (`one instance, allkeys-lru`, `split`).
    pub layout: String,
    /// Memory it is given (both instances for the split).
    pub memory_bytes: u64,
    /// Distinct critical keys evicted while live.
    pub critical_evicted: u64,
    /// Reads of critical keys lost to eviction.
    pub lost_critical_reads: u64,
    /// Writes to critical classes refused with `-OOM`.
    pub critical_refused: u64,
    /// Writes to cache classes refused with `-OOM`.
    pub cache_refused: u64,
    /// Cache hits and reads.
    pub cache_hits: u64,
    /// Cache reads.
    pub cache_reads: u64,
}

fn row(
    layout: String,
    memory: u64,
    classes: &[ClassInfo],
    crit: &Metrics,
    cache: &Metrics,
) -> LayoutRow {
    let k = critical_counters(classes, crit);
    let c: Counters = cache_counters(classes, cache);
    LayoutRow {
        layout,
        memory_bytes: memory,
        critical_evicted: k.evicted_distinct,
        lost_critical_reads: k.lost_reads,
        critical_refused: k.oom_rejected,
        cache_refused: c.oom_rejected,
        cache_hits: c.hits,
        cache_reads: c.reads,
    }
}

/// Every row: the mixed instance under each policy, then the split.
pub fn rows(p: &SplitPlan) -> Vec<LayoutRow> {
    let classes = p.classes();
    let mut out: Vec<LayoutRow> = p
        .mixed
        .results
        .iter()
        .filter(|r| !r.policy.is_reference())
        .map(|r| {
            row(
                format!("one instance, {}", r.policy),
                p.mixed.maxmemory_bytes,
                classes,
                &r.metrics,
                &r.metrics,
            )
        })
        .collect();
    out.push(row(
        format!("split: store noeviction + cache {}", p.cache.policy),
        p.total_memory(),
        classes,
        &p.store.metrics,
        &p.cache.metrics,
    ));
    out
}

/// The terminal table with a header line and the recommendation.
pub fn table(p: &SplitPlan) -> String {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .force_no_tty()
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(vec![
            "layout",
            "memory",
            "critical keys\nevicted",
            "lost critical\nreads",
            "refused\ncritical",
            "refused\ncache",
            "cache hit\nratio",
        ]);
    for r in rows(p) {
        t.add_row(vec![
            r.layout,
            bytes(r.memory_bytes),
            thousands(r.critical_evicted),
            thousands(r.lost_critical_reads),
            thousands(r.critical_refused),
            thousands(r.cache_refused),
            percent(r.cache_hits, r.cache_reads),
        ]);
    }
    for i in 1..7 {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    format!(
        "split of {}: {} of critical classes, {} of cache\n{t}\n{}",
        p.mixed.scenario,
        names(p.classes(), true),
        names(p.classes(), false),
        recommendation(p)
    )
}

fn names(classes: &[ClassInfo], critical: bool) -> String {
    classes
        .iter()
        .filter(|c| c.critical == critical)
        .map(|c| c.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The recommendation in words, one line each.
pub fn recommendation(p: &SplitPlan) -> String {
    let split = rows(p).pop().expect("the split row is always last");
    let safe = split.critical_evicted == 0
        && split.lost_critical_reads == 0
        && split.critical_refused == 0;
    let mut s = format!(
        "store: noeviction, appendonly yes, appendfsync everysec, maxmemory {} (peak {} + {}%)\n\
         cache: {}, no persistence, maxmemory {}\n",
        bytes(p.store.maxmemory),
        bytes(p.store_peak),
        p.store_headroom_pct,
        p.cache.policy,
        bytes(p.cache.maxmemory),
    );
    s += &if safe {
        format!(
            "the split loses no critical key and refuses no critical write in {} of memory; \
             the cache's hit ratio is {}\n",
            bytes(p.total_memory()),
            percent(split.cache_hits, split.cache_reads)
        )
    } else {
        format!(
            "the split still costs critical data ({} keys evicted, {} reads lost, {} writes refused): \
             give the store more headroom\n",
            thousands(split.critical_evicted),
            thousands(split.lost_critical_reads),
            thousands(split.critical_refused)
        )
    };
    s
}

#[derive(Serialize)]
struct JsonSplit<'a> {
    scenario: &'a str,
    command: Option<String>,
    store: JsonSide,
    cache: JsonSide,
    cache_candidates: Vec<JsonCandidate>,
    store_peak_bytes: u64,
    store_headroom_pct: u32,
    layouts: Vec<LayoutRow>,
}

#[derive(Serialize)]
struct JsonSide {
    policy: &'static str,
    maxmemory_bytes: u64,
    ops: u64,
    peak_used_memory: u64,
}

#[derive(Serialize)]
struct JsonCandidate {
    policy: &'static str,
    cache_hits: u64,
    cache_reads: u64,
}

/// Pretty JSON of the split (ratios as hits and reads: no floats).
pub fn json(p: &SplitPlan, command: Option<String>) -> Result<Vec<u8>, serde_json::Error> {
    let side = |s: &crate::split::Side| JsonSide {
        policy: s.policy.name(),
        maxmemory_bytes: s.maxmemory,
        ops: s.ops,
        peak_used_memory: s.metrics.peak_used_memory,
    };
    let doc = JsonSplit {
        scenario: &p.mixed.scenario,
        command,
        store: side(&p.store),
        cache: side(&p.cache),
        cache_candidates: p
            .cache_candidates
            .iter()
            .map(|(pk, c)| JsonCandidate {
                policy: pk.name(),
                cache_hits: c.hits,
                cache_reads: c.reads,
            })
            .collect(),
        store_peak_bytes: p.store_peak,
        store_headroom_pct: p.store_headroom_pct,
        layouts: rows(p),
    };
    let mut out = serde_json::to_vec_pretty(&doc)?;
    out.push(b'\n');
    Ok(out)
}

/// A short Markdown report: the recommendation, the table, the two files.
pub fn markdown(p: &SplitPlan, command: &str) -> String {
    let mut s = format!("# One instance or two: {}\n\n", p.mixed.scenario);
    s += "## Recommendation\n\n";
    for line in recommendation(p).lines() {
        s += &format!("- {line}\n");
    }
    s += "\n## Layouts side by side\n\n";
    s += "| layout | memory | critical keys evicted | lost critical reads | refused critical | refused cache | cache hit ratio |\n";
    s += "| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n";
    for r in rows(p) {
        s += &format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            r.layout,
            bytes(r.memory_bytes),
            thousands(r.critical_evicted),
            thousands(r.lost_critical_reads),
            thousands(r.critical_refused),
            thousands(r.cache_refused),
            percent(r.cache_hits, r.cache_reads)
        );
    }
    s += "\nThe mixed instance replays the whole stream under each policy at the scenario's \
          `maxmemory`; the split replays the same stream routed by class: critical classes to \
          the store, the rest to the cache. Each instance counts its own empty-server memory.\n\n";
    s += &format!(
        "## The two files\n\n`store.conf`:\n\n```\n{}```\n\n`cache.conf`:\n\n```\n{}```\n\n\
         Rerun with:\n\n```sh\n{command}\n```\n",
        p.store_conf(command),
        p.cache_conf(command)
    );
    s
}
