//! The report's words about a Redis Cluster: how its slots are split, what
//! each shard received and needs, what each policy did to each shard, and
//! which shard is the hottest. Only a clustered run has this section.

use super::super::cluster::{ClusterSummary, ShardSummary};
use super::super::doc::{b, c, t, Block, Row, Span, Table, Tone};
use super::super::fmt::{bytes, plural, thousands};
use super::super::summary::Summary;
use super::{count, h2, join, maxmemory, para};
use crate::sim::RunResult;

/// The "Shards" section.
pub(super) fn section(r: &RunResult, s: &Summary, cs: &ClusterSummary) -> Vec<Block> {
    let n = cs.shards as u64;
    let mut out = vec![
        h2("Shards", "shards"),
        para(vec![
            t(format!(
                "A Redis Cluster of {} {}: each is its own Redis node with maxmemory {} and its \
                 own eviction, and a key lives on the shard that owns its hash slot (CRC16 of the \
                 key, or of its ",
                thousands(n),
                plural(n, "shard", "shards"),
                maxmemory(r.maxmemory_bytes),
            )),
            c("{hash tag}"),
            t(
                ", modulo 16,384). Counts elsewhere in this report are the whole cluster's; \
                 memory figures (peak memory, the memory chart, the memory to lose nothing) \
                 are per shard, the fullest shard's.",
            ),
        ]),
    ];
    if let Some(first) = cs.policies.first() {
        out.push(Block::Table(layout(first)));
    }
    if let Some(hot) = hottest(s, cs) {
        out.push(hot);
    }
    let mut rows = Vec::new();
    for (pi, shards) in cs.policies.iter().enumerate() {
        let hottest = cs.hottest.get(pi).copied();
        for sh in shards {
            let p = &sh.summary;
            let mut shard = sh.shard.to_string();
            if hottest == Some(sh.shard) && shards.len() > 1 {
                shard.push_str(" (hottest)");
            }
            rows.push(Row {
                tone: if p.loses_nothing() {
                    Tone::Plain
                } else {
                    Tone::Danger
                },
                cells: vec![
                    vec![c(p.policy.name())],
                    vec![t(shard)],
                    vec![t(bytes(p.peak_used_memory))],
                    vec![t(thousands(p.totals.evicted))],
                    vec![t(thousands(p.critical_keys_evicted))],
                    vec![t(thousands(p.lost_critical_reads))],
                    vec![t(thousands(p.refused_writes))],
                    vec![t(p.hit_ratio.percent())],
                ],
            });
        }
    }
    if !rows.is_empty() {
        out.push(Block::Table(Table {
            head: vec![
                "policy",
                "shard",
                "peak memory",
                "evictions",
                "critical keys evicted",
                "lost critical reads",
                "refused writes",
                "hit ratio",
            ]
            .into_iter()
            .map(Into::into)
            .collect(),
            numeric: vec![false, false, true, true, true, true, true, true],
            rows,
        }));
        out.push(para(vec![t(
            "Evictions count every eviction on the shard, as its INFO's evicted_keys would. \
             The hottest shard of a policy lost the most critical reads, then evicted the \
             most critical keys, then evicted the most keys.",
        )]));
    }
    out
}

/// Each shard's slots and share of the stream, the same under every policy.
fn layout(shards: &[ShardSummary]) -> Table {
    Table {
        head: vec![
            "shard",
            "slots",
            "slot count",
            "keys",
            "operations",
            "peak with no limit",
        ]
        .into_iter()
        .map(Into::into)
        .collect(),
        numeric: vec![false, false, true, true, true, true],
        rows: shards
            .iter()
            .map(|sh| Row {
                tone: Tone::Plain,
                cells: vec![
                    vec![t(sh.shard.to_string())],
                    vec![t(sh.ranges.clone())],
                    vec![t(thousands(u64::from(sh.slots)))],
                    vec![t(thousands(sh.keys))],
                    vec![t(thousands(sh.ops))],
                    vec![t(bytes(sh.unbounded_peak_memory))],
                ],
            })
            .collect(),
    }
}

/// The hottest shard under the shown policy, with its share of the
/// cluster's losses.
fn hottest(s: &Summary, cs: &ClusterSummary) -> Option<Block> {
    let pi = cs.shown?;
    let hot = cs.hottest_of(pi)?;
    let all = s.policies.get(pi)?;
    let p = &hot.summary;
    let mut spans: Vec<Span> = vec![
        b(format!("Hottest shard: {}", hot.shard)),
        t(format!(" (slots {}) under ", hot.ranges)),
        c(all.policy.name()),
        t(": "),
    ];
    if p.loses_nothing() {
        spans.push(t(format!(
            "{}, peak memory {}; it would need {} to lose nothing.",
            count(p.totals.evicted, "eviction", "evictions"),
            bytes(p.peak_used_memory),
            bytes(hot.unbounded_peak_memory),
        )));
        return Some(para(spans));
    }
    spans.push(t(format!(
        "{} of the cluster's {} critical keys evicted and {} of its {} lost critical reads, \
         with {} of its {} operations. It would need {} to lose nothing.",
        thousands(p.critical_keys_evicted),
        thousands(all.critical_keys_evicted),
        thousands(p.lost_critical_reads),
        thousands(all.lost_critical_reads),
        thousands(hot.ops),
        thousands(cs.policies[pi].iter().map(|sh| sh.ops).sum()),
        bytes(hot.unbounded_peak_memory),
    )));
    let calm: Vec<Vec<Span>> = cs.policies[pi]
        .iter()
        .filter(|sh| sh.shard != hot.shard && sh.summary.totals.evicted == 0)
        .map(|sh| vec![t(sh.shard.to_string())])
        .collect();
    if !calm.is_empty() {
        let n = calm.len() as u64;
        spans.push(t(format!(" Meanwhile {} ", plural(n, "shard", "shards"))));
        spans.extend(join(calm));
        spans.push(t(
            " evicted nothing: the cluster has the memory, its keys are not spread to use it. \
             When a hash tag pins the hot keys to one slot, more shards do not help (a slot \
             lives on one node); a tag per user rather than per tenant spreads them.",
        ));
    }
    Some(Block::Callout {
        tone: Tone::Danger,
        blocks: vec![para(spans)],
    })
}
