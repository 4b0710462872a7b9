//! The words of the Markdown and HTML reports, written once as a
//! [`Document`]. It leads with the verdict (which policies lose critical
//! data and how much, which is safe and what safety costs, the memory that
//! loses nothing), answers "if this instance disappeared right now, would
//! anything be permanently lost?" with the standard fixes, then gives the
//! tables, the charts and the settings that reproduce the run.
//!
//! Every number comes from [`Summary`] or straight from the metrics; nothing
//! is recomputed from the workload.

use hdrhistogram::Histogram;

mod cluster;

use super::charts::{all_charts, Chart};
use super::cluster::ClusterSummary;
use super::doc::{b, c, t, Block, Document, Row, Span, Table, Tone};
use super::fmt::{bytes, duration_ms, percent, plural, thousands};
use super::summary::{PolicySummary, Summary};
use super::understood;
use crate::metrics::Counters;
use crate::model::{InstanceConfig, Layout, MemoryModel, PolicyKind};
use crate::provenance::{Provenance, TraceProvenance};
use crate::sim::{ClassInfo, RunResult};

/// Builds the report of a run from its summary.
pub(crate) fn document(r: &RunResult, s: &Summary) -> Document {
    let mut blocks = vec![Block::Para(vec![t(run_line(r))])];
    blocks.extend(verdict(r, s));
    blocks.extend(question(r));
    blocks.extend(policy_table(r, s));
    if let Some(cs) = ClusterSummary::new(r, s) {
        blocks.extend(cluster::section(r, s, &cs));
    }
    blocks.extend(class_table(r));
    blocks.extend(databases(r));
    blocks.extend(charts(r));
    blocks.extend(settings(r));
    Document {
        title: format!("Eviction risk report: {}", r.scenario),
        blocks,
    }
}

fn run_line(r: &RunResult) -> String {
    format!(
        "{}maxmemory {}{} · {} {} over {} of simulated time · seed {} · {} {} compared",
        r.cluster.as_ref().map_or(String::new(), |c| {
            let n = c.slots.shards() as u64;
            format!("{n} {} · ", plural(n, "shard", "shards"))
        }),
        maxmemory(r.maxmemory_bytes),
        per_shard(r),
        thousands(r.ops),
        plural(r.ops, "operation", "operations"),
        duration_ms(r.simulated_ms),
        r.seed,
        r.results.len(),
        plural(r.results.len() as u64, "policy", "policies"),
    )
}

/// " per shard" for a cluster's memory figures, else nothing.
fn per_shard(r: &RunResult) -> &'static str {
    if r.cluster.is_some() {
        " per shard"
    } else {
        ""
    }
}

fn maxmemory(n: u64) -> String {
    if n == 0 {
        "not set (no limit)".to_string()
    } else {
        bytes(n)
    }
}

fn h2(text: &str, id: &'static str) -> Block {
    Block::Heading {
        level: 2,
        text: text.to_string(),
        id,
    }
}

fn para(spans: Vec<Span>) -> Block {
    Block::Para(spans)
}

fn callout(tone: Tone, blocks: Vec<Block>) -> Block {
    Block::Callout { tone, blocks }
}

fn class(info: &ClassInfo) -> Span {
    Span::Class {
        name: info.name.clone(),
        critical: info.critical,
    }
}

fn policy(p: &PolicySummary) -> Span {
    c(p.policy.name())
}

/// Joins parts as "a", "a and b", "a, b and c".
fn join(parts: Vec<Vec<Span>>) -> Vec<Span> {
    let n = parts.len();
    let mut out = Vec::new();
    for (i, part) in parts.into_iter().enumerate() {
        if i > 0 {
            out.push(t(if i + 1 == n { " and " } else { ", " }));
        }
        out.extend(part);
    }
    out
}

fn classes_where(r: &RunResult, critical: bool) -> Vec<&ClassInfo> {
    r.classes
        .iter()
        .filter(|c| c.critical == critical)
        .collect()
}

/// A class's counters under the policy at `pi`, if the run holds them.
fn counters(r: &RunResult, pi: usize, ci: usize) -> Option<&Counters> {
    r.results
        .get(pi)
        .and_then(|run| run.metrics.classes.get(ci))
        .map(|m| &m.counters)
}

/// The policy with the best hit ratio (the first on a tie).
fn best_hit(s: &Summary) -> Option<&PolicySummary> {
    s.policies.iter().reduce(|best, p| {
        if p.hit_ratio.compare(&best.hit_ratio).is_gt() {
            p
        } else {
            best
        }
    })
}

fn count(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), plural(n, one, many))
}

fn losses(p: &PolicySummary) -> String {
    format!(
        "{} evicted, {} lost",
        count(p.critical_keys_evicted, "critical key", "critical keys"),
        count(p.lost_critical_reads, "read", "reads"),
    )
}

/// With start phases: which policies' critical figures moved over them,
/// by how much, and that the verdict is phase 0's.
fn phase_moves(r: &RunResult, s: &Summary) -> Option<Block> {
    let spreads = s.phases.as_ref()?;
    let n = r.phases.as_ref().map_or(0, |p| p.offsets_ms.len());
    let moved: Vec<Vec<Span>> = s
        .policies
        .iter()
        .zip(spreads)
        .filter(|(_, sp)| {
            sp.critical_keys_evicted.min != sp.critical_keys_evicted.max
                || sp.lost_critical_reads.min != sp.lost_critical_reads.max
        })
        .map(|(p, sp)| {
            let range = |x: &crate::phase::Spread<u64>| {
                format!("{}-{}", thousands(x.min), thousands(x.max))
            };
            vec![
                policy(p),
                t(format!(
                    " {} critical keys evicted and {} reads lost",
                    range(&sp.critical_keys_evicted),
                    range(&sp.lost_critical_reads)
                )),
            ]
        })
        .collect();
    let mut spans = vec![b(format!("Over {n} start phases of the minute"))];
    if moved.is_empty() {
        spans.push(t(" no policy's critical figures moved."));
    } else {
        spans.push(t(" the figures move: "));
        spans.extend(join(moved));
        spans.push(t("."));
    }
    spans.push(t(
        " The verdict below is phase 0's, the start as given; the Policies table gives \
         each figure's median and range.",
    ));
    Some(callout(Tone::Info, vec![para(spans)]))
}

fn verdict(r: &RunResult, s: &Summary) -> Vec<Block> {
    let mut out = vec![h2("Verdict", "verdict")];
    out.extend(phase_moves(r, s));
    if s.policies.is_empty() {
        out.push(para(vec![t(
            "No policy was run, so there is nothing to judge.",
        )]));
        return out;
    }
    if r.classes.is_empty() {
        out.push(callout(
            Tone::Info,
            vec![para(vec![
                b("No key classes."),
                t(
                    " The run declares none, so evictsim cannot tell data with no other copy \
                   from cache. Mark the classes that hold sessions, jobs, counters or flags \
                   as critical in the scenario.",
                ),
            ])],
        ));
    } else if classes_where(r, true).is_empty() {
        let mut spans = vec![
            b("No class is marked critical,"),
            t(
                " so no policy can lose data that has no other copy: eviction only costs \
               hit ratio.",
            ),
        ];
        if let Some(best) = best_hit(s).filter(|p| p.hit_ratio.reads > 0) {
            spans.extend([
                t(" Best hit ratio: "),
                policy(best),
                t(format!(" ({}).", best.hit_ratio.percent())),
            ]);
        }
        out.push(callout(Tone::Safe, vec![para(spans)]));
    } else {
        out.extend(danger(r, s));
        out.extend(safety(s));
    }
    out.push(memory(r));
    out
}

/// The policies that lose critical data, worst first, with their losses per
/// critical class.
fn danger(r: &RunResult, s: &Summary) -> Vec<Block> {
    let server = |i: &usize| !s.policies[*i].policy.is_reference();
    let mut losing: Vec<usize> = (0..s.policies.len())
        .filter(server)
        .filter(|&i| !s.policies[i].loses_nothing())
        .collect();
    if losing.is_empty() {
        return Vec::new();
    }
    losing.sort_by(|&a, &b| {
        let (a, b) = (&s.policies[a], &s.policies[b]);
        b.lost_critical_reads
            .cmp(&a.lost_critical_reads)
            .then(b.critical_evictions.cmp(&a.critical_evictions))
    });
    let (n, m) = (losing.len(), (0..s.policies.len()).filter(server).count());
    let lead = if n == m && m > 1 {
        "Every policy loses critical data".to_string()
    } else {
        format!(
            "{n} of {m} {} critical data",
            plural(n as u64, "policy loses", "policies lose")
        )
    };
    let items = losing
        .iter()
        .map(|&i| {
            let p = &s.policies[i];
            let mut item = vec![policy(p)];
            if s.verdict.worst == Some(i) && n > 1 {
                item.push(t(" (worst)"));
            }
            item.extend([t(": "), b(losses(p)), t(". By class: ")]);
            let parts: Vec<Vec<Span>> = r
                .classes
                .iter()
                .enumerate()
                .filter(|(_, info)| info.critical)
                .filter_map(|(ci, info)| {
                    let k = counters(r, i, ci)?;
                    (k.evicted_live() > 0 || k.lost_reads > 0).then(|| {
                        // A list or hash evicted takes its elements with it.
                        let items = if k.lost_aggregates() {
                            format!(
                                " ({} lost with {})",
                                count(k.lost_items, "item", "items"),
                                if k.evicted_distinct == 1 {
                                    "it"
                                } else {
                                    "them"
                                }
                            )
                        } else {
                            String::new()
                        };
                        vec![
                            class(info),
                            t(format!(
                                " {} evicted{items}, {} lost",
                                count(k.evicted_distinct, "key", "keys"),
                                count(k.lost_reads, "read", "reads"),
                            )),
                        ]
                    })
                })
                .collect();
            item.extend(join(parts));
            item.push(t("."));
            item
        })
        .collect();
    vec![callout(
        Tone::Danger,
        vec![
            para(vec![
                b(lead),
                t(format!(
                    " under this workload at maxmemory {}{}:",
                    maxmemory(r.maxmemory_bytes),
                    per_shard(r)
                )),
            ]),
            Block::List {
                ordered: false,
                items,
            },
            para(vec![t(
                "A lost read is a read of a critical key that missed only because the policy \
                 had evicted it: a user logged out, a job gone, a rate limit reset. Nothing \
                 can rebuild it, since it had no other copy.",
            )]),
        ]
        .into_iter()
        .chain(reference(s))
        .collect(),
    )]
}

/// What the reference policies (no server has them) did, set apart from
/// the verdict: what Redis's sampling costs against the ideal.
fn reference(s: &Summary) -> Option<Block> {
    let refs: Vec<Vec<Span>> = s
        .policies
        .iter()
        .filter(|p| p.policy.is_reference())
        .map(|p| {
            let mut v = vec![policy(p), t(": ")];
            v.push(if p.loses_nothing() {
                t("loses nothing")
            } else {
                t(losses(p))
            });
            v
        })
        .collect();
    if refs.is_empty() {
        return None;
    }
    let mut spans = vec![b("Reference, not counted above:"), t(" ")];
    spans.extend(join(refs));
    spans.push(t(
        ". It is evictsim's exact LRU, which no server has: the gap to the sampled \
         LRU policies is the price of sampling.",
    ));
    Some(para(spans))
}

/// Which policies are safe, and what the safest one costs; or, when none is
/// safe, the least damaging one.
fn safety(s: &Summary) -> Vec<Block> {
    let Some(best) = s.safest() else {
        return Vec::new();
    };
    if !best.loses_nothing() {
        return vec![callout(
            Tone::Danger,
            vec![para(vec![
                b("No policy is safe at this maxmemory."),
                t(" The least damage: "),
                policy(best),
                t(format!(
                    " ({}). Only enough memory, or moving the critical data to an \
                     instance of its own, loses nothing.",
                    losses(best)
                )),
            ])],
        )];
    }
    let safe: Vec<Vec<Span>> = s
        .policies
        .iter()
        .filter(|p| !p.policy.is_reference() && p.loses_nothing())
        .map(|p| vec![policy(p)])
        .collect();
    let several = safe.len() > 1;
    let mut lead = vec![b("Safe:"), t(" ")];
    lead.extend(join(safe));
    lead.push(t(" evicted no critical key and lost no read."));
    let mut cost = vec![t("What safety costs")];
    if several {
        cost.extend([t(" with the safest, "), policy(best)]);
    } else {
        cost.extend([t(" with "), policy(best)]);
    }
    cost.push(t(": "));
    if best.refused_writes > 0 {
        cost.push(b(count(
            best.refused_writes,
            "write refused",
            "writes refused",
        )));
        let critical = best.critical_totals.oom_rejected;
        if critical > 0 {
            cost.push(t(format!(
                " ({} of them to critical classes)",
                thousands(critical)
            )));
        }
        cost.extend([
            t(" with "),
            c("-OOM"),
            t(
                " errors that the application must handle (a login whose session cannot be \
               stored, a job that cannot be queued)",
            ),
        ]);
    } else {
        cost.push(t("no write refused"));
    }
    let top = best_hit(s).filter(|_| best.hit_ratio.reads > 0);
    match top {
        None => cost.push(t("; nothing was read, so there is no hit ratio to lose.")),
        Some(top) if best.hit_ratio.compare(&top.hit_ratio).is_eq() => cost.push(t(format!(
            ", and the best hit ratio of the policies compared ({}).",
            best.hit_ratio.percent()
        ))),
        Some(top) => cost.extend([
            t(format!(
                ", and a hit ratio of {} against {} under ",
                best.hit_ratio.percent(),
                top.hit_ratio.percent()
            )),
            policy(top),
            t("."),
        ]),
    }
    let mut blocks = vec![para(lead), para(cost)];
    if best.policy.volatile_only() {
        blocks.push(para(vec![
            policy(best),
            t(
                " only evicts keys that have a TTL, so it spared the critical keys because \
               they had none here: give them a TTL (sessions usually have one) and they \
               become candidates; with no key with a TTL left, it refuses writes like ",
            ),
            c("noeviction"),
            t("."),
        ]));
    }
    vec![callout(Tone::Safe, blocks)]
}

/// The memory this workload needs to lose nothing, against `maxmemory`.
fn memory(r: &RunResult) -> Block {
    let (need, max) = (r.unbounded_peak_memory, r.maxmemory_bytes);
    let spans =
        if max == 0 {
            vec![
                b("Memory:"),
                t(format!(
                    " maxmemory is not set, so nothing is evicted; with no limit this workload \
                 peaks at {} of used memory.",
                    bytes(need)
                )),
            ]
        } else if need > max && r.cluster.is_some() {
            vec![
            b(format!(
                "Memory to lose nothing: {} per shard.",
                bytes(need)
            )),
            t(format!(
                " With no limit, the fullest shard peaks at {} of used memory; maxmemory is {} \
                 per shard, {} ({}) short. Somewhat above {} on every shard (the peak leaves \
                 out each command's own arguments, which the eviction check counts) no policy \
                 would evict or refuse anything in this run; ",
                bytes(need),
                bytes(max),
                bytes(need - max),
                percent(need - max, max),
                bytes(need),
            )),
            c("evictsim sweep --find-safe"),
            t(" finds the size. The shards' needs are in the Shards section. Each host needs \
               headroom above it for fragmentation and for the fork of an AOF rewrite or RDB \
               snapshot."),
        ]
        } else if need > max {
            vec![
                b(format!("Memory to lose nothing: {}.", bytes(need))),
                t(format!(
                    " With no limit, this workload peaks at {} of used memory; maxmemory is {}, \
                 {} ({}) short. Somewhat above {} (the peak leaves out each command's \
                 own arguments, which the eviction check counts) no policy would evict or \
                 refuse anything in this run; ",
                    bytes(need),
                    bytes(max),
                    bytes(need - max),
                    percent(need - max, max),
                    bytes(need),
                )),
                c("evictsim sweep --find-safe"),
                t(
                    " finds the size. The host needs headroom above it for fragmentation and for \
               the fork of an AOF rewrite or RDB snapshot.",
                ),
            ]
        } else {
            vec![
                b("Memory:"),
                t(format!(
                    " with no limit {} peaks at {} of used memory, within maxmemory {}{}.",
                    if r.cluster.is_some() {
                        "the fullest shard"
                    } else {
                        "this workload"
                    },
                    bytes(need),
                    bytes(max),
                    per_shard(r),
                )),
            ]
        };
    callout(Tone::Info, vec![para(spans)])
}

/// The question every Redis instance deserves, answered from the classes.
/// The computed crash answer: what a crash at the end of the run would
/// lose for good under the scenario's persistence, per critical class.
fn crash_answer(r: &RunResult, c: &crate::sim::CrashAtEnd) -> Vec<Block> {
    let lost = |l: &[crate::crash::ClassLoss]| -> Vec<Vec<Span>> {
        r.classes
            .iter()
            .zip(l)
            .filter(|(info, _)| info.critical)
            .map(|(info, l)| {
                vec![
                    class(info),
                    t(format!(
                        " {} of {} keys",
                        thousands(l.lost_keys),
                        thousands(l.live_keys)
                    )),
                ]
            })
            .collect()
    };
    let total = |l: &[crate::crash::ClassLoss]| -> u64 {
        r.classes
            .iter()
            .zip(l)
            .filter(|(info, _)| info.critical)
            .map(|(_, l)| l.lost_keys)
            .sum()
    };
    let mut spans = vec![
        b("Computed for this scenario's persistence"),
        t(format!(" ({}), ", c.persistence.describe())),
        t("a crash at the end of the run, with the instance under "),
        c_policy(c.policy),
        t(", would lose for good: "),
    ];
    if total(&c.process) == 0 && total(&c.power) == 0 {
        spans.push(t("nothing critical, on a process crash or a power loss."));
    } else {
        spans.push(t("on a process crash ("));
        spans.push(c_code("kill -9"));
        spans.push(t("), "));
        spans.extend(join(lost(&c.process)));
        if c.power != c.process {
            spans.push(t("; on a power loss, "));
            spans.extend(join(lost(&c.power)));
        } else {
            spans.push(t("; the same on a power loss"));
        }
        spans.push(t(". "));
        spans.push(c_code("evictsim crash"));
        spans.push(t(" gives the spread over the run and what AOF would save."));
    }
    vec![para(spans)]
}

fn c_policy(p: crate::model::PolicyKind) -> Span {
    c(p.name())
}

fn c_code(s: &str) -> Span {
    c(s)
}

fn question(r: &RunResult) -> Vec<Block> {
    let mut out = vec![h2(
        "If this instance disappeared right now, would anything be permanently lost?",
        "disappear",
    )];
    let critical = classes_where(r, true);
    let cache = classes_where(r, false);
    let names = |cs: &[&ClassInfo]| join(cs.iter().map(|&c| vec![class(c)]).collect());
    if r.classes.is_empty() {
        out.push(para(vec![
            b("Unknown:"),
            t(
                " the run declares no key classes. Mark every class that holds data with no \
               other copy (sessions, jobs, counters, feature flags) as critical in the \
               scenario.",
            ),
        ]));
        return out;
    }
    if critical.is_empty() {
        let mut spans = vec![b("No."), t(" No class is marked critical: ")];
        spans.extend(names(&cache));
        spans.extend([
            t(
                " can be rebuilt from their source, so losing the instance costs a cold \
               cache, not data. A cache instance fits: ",
            ),
            c("maxmemory-policy allkeys-lru"),
            t(", no persistence."),
        ]);
        out.push(callout(Tone::Safe, vec![para(spans)]));
        return out;
    }
    let mut yes = vec![b("Yes:"), t(" ")];
    yes.extend(names(&critical));
    yes.push(t(format!(
        ". {} marked critical: data with no other copy, lost for good by a restart \
         without persistence, a lost host, or an eviction.",
        if critical.len() == 1 {
            "This class is"
        } else {
            "These classes are"
        }
    )));
    if !cache.is_empty() {
        yes.push(t(" The cache ("));
        yes.extend(names(&cache));
        yes.push(t(") would only come back cold."));
    }
    out.push(callout(Tone::Danger, vec![para(yes)]));
    if let Some(c) = &r.crash {
        out.extend(crash_answer(r, c));
    }
    out.push(para(vec![t("The standard fixes:")]));
    let mut store = vec![
        b("Make it a store:"),
        t(" "),
        c("maxmemory-policy noeviction"),
        t(" with AOF ("),
        c("appendonly yes"),
        t(", "),
        c("appendfsync everysec"),
        t(": at most about one second of writes lost in a crash)"),
    ];
    if r.unbounded_peak_memory > 0 {
        store.push(t(format!(
            ", and maxmemory of at least {}{} so that writes are not refused",
            bytes(r.unbounded_peak_memory),
            per_shard(r)
        )));
    }
    store.push(t("."));
    let mut items = vec![store];
    if !cache.is_empty() {
        items[0].push(t(
            " The cache keys are then never evicted either: they fill memory until writes \
             fail, which is right for a store and wrong for a cache.",
        ));
        let mut split = vec![
            b("Or split it into two instances:"),
            t(" a cache ("),
            c("maxmemory-policy allkeys-lru"),
            t(", no persistence) for "),
        ];
        split.extend(names(&cache));
        split.extend([
            t(", and a store ("),
            c("maxmemory-policy noeviction"),
            t(", "),
            c("appendonly yes"),
            t(", "),
            c("appendfsync everysec"),
            t(") for "),
        ]);
        split.extend(names(&critical));
        split.push(t("."));
        items.push(split);
    }
    out.push(Block::List {
        ordered: true,
        items,
    });
    if r.cluster.is_some() {
        out.push(para(vec![
            b("A cluster has no other database."),
            t(" A Redis Cluster has only database 0 and refuses "),
            c("SELECT"),
            t(
                ": a store apart from the cache is a cluster (or an instance) of its own, \
                 with its own ",
            ),
            c("maxmemory-policy"),
            t("."),
        ]));
        return out;
    }
    out.push(para(vec![
        b("Logical databases don't help."),
        t(" Moving the critical keys to another database ("),
        c("SELECT 1"),
        t(") changes nothing: all databases of an instance share one "),
        c("maxmemory"),
        t(" and one "),
        c("maxmemory-policy"),
        t(
            ", so the cache's memory pressure still evicts them, and they still vanish with \
           the instance.",
        ),
    ]));
    out
}

fn policy_table(r: &RunResult, s: &Summary) -> Vec<Block> {
    let mut out = vec![h2("Policies", "policies")];
    if s.policies.is_empty() {
        out.push(para(vec![t("No policy was run.")]));
        return out;
    }
    let any_critical = r.classes.iter().any(|c| c.critical);
    let rows = s
        .policies
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let (tone, verdict) = if p.policy.is_reference() {
                let what = if p.loses_nothing() {
                    "reference, loses nothing"
                } else {
                    "reference, not judged"
                };
                (Tone::Plain, what.to_string())
            } else if !any_critical {
                (Tone::Plain, "no critical data".to_string())
            } else if p.loses_nothing() {
                let tag = if s.verdict.safest == Some(i) {
                    ", safest"
                } else {
                    ""
                };
                (Tone::Safe, format!("safe{tag}"))
            } else {
                let tag = if s.verdict.worst == Some(i) {
                    ", worst"
                } else {
                    ""
                };
                (Tone::Danger, format!("loses critical data{tag}"))
            };
            let mut cells = vec![vec![policy(p)], vec![t(verdict)]];
            cells.extend(super::table::figures(s, i).into_iter().map(|f| vec![t(f)]));
            Row { tone, cells }
        })
        .collect();
    out.push(Block::Table(Table {
        head: vec![
            "policy",
            "verdict",
            "critical keys evicted",
            "lost critical reads",
            "refused writes",
            "hit ratio",
            "cache hit ratio",
            "peak memory",
        ]
        .into_iter()
        .map(Into::into)
        .collect(),
        numeric: vec![false, false, true, true, true, true, true, true],
        rows,
    }));
    if let Some(line) = phases_line(r) {
        out.push(para(vec![t(line)]));
    }
    out.push(para(vec![
        t(
            "Critical keys evicted counts distinct keys of critical classes. A lost critical \
           read missed only because its key had been evicted. Refused writes were answered \
           with ",
        ),
        c("-OOM"),
        t(
            ". The hit ratio is the reads that found their key out of every read (GET, GETDEL \
           and INCR; a refused INCR is a read that failed), so every policy has the same \
           denominator; the cache hit ratio counts only the classes that are not critical. \
           exact-lru is evictsim's reference (exact LRU, which no server has): shown for \
           comparison, never the safest or the worst.",
        ),
    ]));
    out
}

/// A percentile of an eviction histogram as a duration, or `-` when empty.
fn quantile(h: &Histogram<u64>, q: f64) -> String {
    crate::metrics::quantile(h, q).map_or_else(|| "-".to_string(), duration_ms)
}

/// When the run uses more than one logical database: each database's share
/// of memory beside its share of evictions, per evicting policy. Redis
/// samples every database alike, so a small one loses keys out of
/// proportion to its size.
fn databases(r: &RunResult) -> Vec<Block> {
    let used: Vec<usize> = (0..256usize)
        .filter(|&db| {
            r.results.iter().any(|p| {
                p.metrics.db_memory.get(db).is_some_and(|&m| m > 0)
                    || p.metrics.db_evicted.get(db).is_some_and(|&e| e > 0)
            })
        })
        .collect();
    if used.len() < 2 {
        return Vec::new();
    }
    let share = |part: u64, all: u64| percent(part, all);
    let mut head: Vec<std::borrow::Cow<'static, str>> = vec!["policy".into()];
    head.extend(
        used.iter()
            .flat_map(|db| [format!("DB {db} memory"), format!("DB {db} evictions")])
            .map(Into::into),
    );
    let rows: Vec<Row> = r
        .results
        .iter()
        .filter(|p| p.metrics.db_evicted.iter().sum::<u64>() > 0)
        .map(|p| {
            let mem: u64 = used
                .iter()
                .map(|&d| p.metrics.db_memory.get(d).copied().unwrap_or(0))
                .sum();
            let ev: u64 = used
                .iter()
                .map(|&d| p.metrics.db_evicted.get(d).copied().unwrap_or(0))
                .sum();
            let mut cells = vec![vec![c(p.policy.name())]];
            for &d in &used {
                cells.push(vec![t(share(
                    p.metrics.db_memory.get(d).copied().unwrap_or(0),
                    mem,
                ))]);
                cells.push(vec![t(share(
                    p.metrics.db_evicted.get(d).copied().unwrap_or(0),
                    ev,
                ))]);
            }
            Row {
                tone: Tone::Plain,
                cells,
            }
        })
        .collect();
    if rows.is_empty() {
        return Vec::new();
    }
    // The most disproportionate database: the largest share of evictions
    // against its share of memory (at least 1% of the evictions).
    let mut worst: Option<(f64, &str, usize, u64, u64, u64, u64)> = None;
    for p in &r.results {
        let mem: u64 = used
            .iter()
            .map(|&d| p.metrics.db_memory.get(d).copied().unwrap_or(0))
            .sum();
        let ev: u64 = used
            .iter()
            .map(|&d| p.metrics.db_evicted.get(d).copied().unwrap_or(0))
            .sum();
        for &d in &used {
            let (m, e) = (
                p.metrics.db_memory.get(d).copied().unwrap_or(0),
                p.metrics.db_evicted.get(d).copied().unwrap_or(0),
            );
            if ev == 0 || mem == 0 || e * 100 < ev {
                continue;
            }
            let ratio = (e as f64 / ev as f64) / (m.max(1) as f64 / mem as f64);
            if worst.is_none_or(|w| ratio > w.0) {
                worst = Some((ratio, p.policy.name(), d, m, mem, e, ev));
            }
        }
    }
    let mut out = vec![h2("Logical databases", "databases")];
    let mut words = vec![
        t("The keys live in "),
        b(format!("{} databases", used.len())),
        t(
            ", which share one maxmemory and one policy. Each database's share of the keys' \
             memory at the end of the run, beside its share of the evictions. ",
        ),
    ];
    match worst {
        Some((ratio, policy, db, m, mem, e, ev)) if ratio >= 1.5 => words.extend([
            t("Under "),
            c(policy),
            t(format!(
                ", DB {db} holds {} of the memory but takes {} of the evictions: Redis samples \
                 every database alike whatever its size (and random policies take them in \
                 turn), so a small database is drained out of proportion. ",
                percent(m, mem),
                percent(e, ev)
            )),
        ]),
        _ => words.push(t(
            "Here no database loses keys out of proportion to its size under any policy, \
             but Redis samples every database alike whatever its size, so a small database \
             of idle keys would be. ",
        )),
    }
    words.push(t(
        "Moving critical keys to a database of their own (SELECT) does not protect them: \
         they still share the memory and the policy.",
    ));
    out.push(para(words));
    out.push(Block::Table(Table {
        numeric: std::iter::once(false)
            .chain(std::iter::repeat(true))
            .take(head.len())
            .collect(),
        head,
        rows,
    }));
    out
}

fn class_table(r: &RunResult) -> Vec<Block> {
    let mut out = vec![h2("Critical classes, per policy", "critical-classes")];
    if !r.classes.iter().any(|c| c.critical) {
        out.push(para(vec![t("No class is marked critical.")]));
        return out;
    }
    if r.results.is_empty() {
        out.push(para(vec![t("No policy was run.")]));
        return out;
    }
    // With lists or hashes among the critical keys, what the evicted ones
    // held gets its own column ("items lost"); without, it would repeat
    // the evictions.
    let items = r.results.iter().any(|run| {
        r.classes
            .iter()
            .zip(&run.metrics.classes)
            .any(|(info, m)| info.critical && m.counters.lost_aggregates())
    });
    let mut rows = Vec::new();
    for run in &r.results {
        for (info, m) in r.classes.iter().zip(&run.metrics.classes) {
            if !info.critical {
                continue;
            }
            let k = &m.counters;
            let (idle, ttl) = (&m.idle_at_eviction_ms, &m.ttl_left_at_eviction_ms);
            let mut cells = vec![
                vec![c(run.policy.name())],
                vec![class(info)],
                vec![t(thousands(k.evicted_live()))],
                vec![t(thousands(k.evicted_distinct))],
            ];
            if items {
                cells.push(vec![t(thousands(k.lost_items))]);
            }
            cells.extend([
                vec![t(thousands(k.lost_reads))],
                vec![t(thousands(k.oom_rejected))],
                vec![t(quantile(ttl, 0.5))],
                vec![t(quantile(ttl, 0.99))],
                vec![t(quantile(idle, 0.5))],
                vec![t(quantile(idle, 0.99))],
            ]);
            rows.push(Row {
                tone: if k.evicted_live() > 0 || k.lost_reads > 0 {
                    Tone::Danger
                } else {
                    Tone::Plain
                },
                cells,
            });
        }
    }
    let mut head = vec!["policy", "critical class", "evictions", "distinct keys"];
    if items {
        head.push("items lost");
    }
    head.extend([
        "lost reads",
        "refused writes",
        "TTL left p50",
        "TTL left p99",
        "idle p50",
        "idle p99",
    ]);
    let mut numeric = vec![true; head.len()];
    numeric[0] = false;
    numeric[1] = false;
    out.push(Block::Table(Table {
        head: head.into_iter().map(Into::into).collect(),
        numeric,
        rows,
    }));
    out.push(para(vec![t(
        "Evictions count every eviction of a live key (a key evicted twice counts twice; keys already past their TTL, which Redis also evicts and counts, are left out). TTL left: how \
         much of its life an evicted key still had, over the keys that had a TTL. Idle: \
         time since its last access. Percentiles are HdrHistogram's, within 1%; a dash \
         means there was nothing to measure.",
    )]));
    if items {
        out.push(para(vec![t(
            "Items lost: what the evicted keys held, every element of a list, hash, set or \
             sorted set (the jobs pending in an evicted queue), one for a string.",
        )]));
    }
    out
}

/// What to look for in a chart.
fn caption(chart: Chart) -> &'static str {
    match chart {
        Chart::CriticalLoss => {
            "Top: keys evicted; bottom: reads lost to eviction. In each policy's pair of \
             bars, the left one stacks the critical classes (warm colours) and the right one \
             the cache classes (cool colours): anything in a left bar is data with no other \
             copy, gone."
        }
        Chart::MemoryOverTime => {
            "Used memory of each policy against maxmemory. Where a line reaches the limit, \
             that policy starts evicting (or, under noeviction, refusing writes)."
        }
        Chart::WorstPolicyEvictionRate => {
            "Evictions per second of each class under the policy that lost the most \
             critical reads: when critical keys were evicted, and whether that follows \
             memory filling up."
        }
        Chart::TtlLeftAtEviction => {
            "How much of their TTL the evicted critical keys still had: they had not \
             expired, and their owners could still come back for them."
        }
        Chart::IdleAtEviction => {
            "How long evicted keys had gone unaccessed. LRU policies evict the idlest keys \
             first, whatever their class: an idle session is still a logged-in user."
        }
        Chart::HitRatio => {
            "Hit ratio of each class under each policy: what a policy gains for the cache, \
             and what it costs the critical classes."
        }
    }
}

fn charts(r: &RunResult) -> Vec<Block> {
    let mut out = vec![h2("Charts", "charts")];
    let charts = all_charts(r);
    if charts.is_empty() {
        out.push(para(vec![t("No chart has data in this run.")]));
    }
    for (n, chart) in charts.into_iter().enumerate() {
        let mut words = format!(" {}", caption(chart));
        if chart == Chart::MemoryOverTime && r.cluster.is_some() {
            words.push_str(
                " In a cluster, each line is the fullest shard's memory at each moment, \
                 against the maxmemory of one shard.",
            );
        }
        out.push(para(vec![b(format!("Figure {}.", n + 1)), t(words)]));
        out.push(Block::Chart(chart));
    }
    out
}

/// `maxmemory` as Redis's units spell it when exact (`64mb`), else in bytes.
pub(crate) fn redis_size(n: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "gb"), (1 << 20, "mb"), (1 << 10, "kb")];
    UNITS
        .iter()
        .find(|&&(size, _)| n > 0 && n % size == 0)
        .map_or_else(
            || n.to_string(),
            |&(size, unit)| format!("{}{unit}", n / size),
        )
}

/// Quotes a word for a POSIX shell when it needs it.
pub(crate) fn shell_word(s: &str) -> String {
    let plain = |ch: char| ch.is_ascii_alphanumeric() || "_./:@%+=,-".contains(ch);
    if !s.is_empty() && s.chars().all(plain) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The command that reruns this report, if a command can.
pub(crate) fn command(r: &RunResult) -> Option<String> {
    // An explicit slot map can only come from the scenario file, which the
    // command reads again; an even one may have come from --shards.
    let shards = match r.cluster.as_ref().filter(|c| c.slots.is_even()) {
        Some(c) => format!(" --shards {}", c.slots.shards()),
        None => String::new(),
    };
    // A trace's command asks for the size the user asked for (a sampled
    // run's instance has it scaled).
    let maxmemory = r
        .source
        .trace()
        .map_or(r.maxmemory_bytes, |tp| tp.maxmemory);
    let policies: Vec<PolicyKind> = r.results.iter().map(|run| run.policy).collect();
    let cmd = run_command(
        &r.source,
        &r.instance,
        r.seed,
        maxmemory,
        &policies,
        &shards,
    )?;
    Some(match &r.phases {
        Some(ph) => format!("{cmd} --phases {}", ph.offsets_ms.len()),
        None => cmd,
    })
}

/// A start phase's offset in seconds: `10 s`, `8.571 s`.
pub(crate) fn offset(ms: u64) -> String {
    match ms % 1000 {
        0 => format!("{} s", ms / 1000),
        f => format!("{}.{f:03} s", ms / 1000),
    }
}

/// The `run` or `replay` command that runs `policies` at `maxmemory` with
/// `seed` on `source` (with `shards`, e.g. ` --shards 3`, or empty), if a
/// command can (a report's, a sweep point's).
pub(crate) fn run_command(
    source: &Provenance,
    inst: &InstanceConfig,
    seed: u64,
    maxmemory: u64,
    policies: &[PolicyKind],
    shards: &str,
) -> Option<String> {
    let mut cmd = match source {
        Provenance::Library => return None,
        Provenance::Scenario { path } => format!(
            "evictsim run {} --seed {} --maxmemory {}{shards}",
            shell_word(path),
            seed,
            redis_size(maxmemory),
        ),
        Provenance::Trace(tp) => format!(
            "evictsim replay {} --trace-format {} --maxmemory {}{shards}{} --seed {seed}",
            shell_word(&tp.path),
            tp.format,
            redis_size(maxmemory),
            trace_options(tp, inst),
        ),
    };
    // The server and allocator, unless Redis 7.0's defaults (so its
    // reports keep their bytes).
    if inst.layout() != Layout::default() {
        cmd.push_str(" --server ");
        cmd.push_str(inst.server.name());
        if inst.allocator != inst.server.default_allocator() {
            cmd.push_str(" --allocator ");
            cmd.push_str(inst.allocator.name());
        }
    }
    for p in policies {
        cmd.push_str(" --policy ");
        cmd.push_str(p.name());
    }
    Some(cmd)
}

/// How a trace was read, as the options that read it so again (each with
/// a leading space): class rules, reading flags, instance settings that
/// differ from Redis's defaults, the sample rate.
pub(crate) fn trace_options(tp: &TraceProvenance, inst: &InstanceConfig) -> String {
    let mut cmd = String::new();
    match &tp.classes_file {
        Some(f) => cmd += &format!(" --classes {}", shell_word(f)),
        None => {
            for (class, glob) in &tp.rules {
                cmd += &format!(" --class {}", shell_word(&format!("{class}={glob}")));
            }
        }
    }
    for c in &tp.critical {
        cmd += &format!(" --critical {}", shell_word(c));
    }
    if tp.read_through {
        cmd += " --read-through";
    }
    if tp.strict {
        cmd += " --strict";
    }
    if inst.memory_model == MemoryModel::Raw {
        cmd += " --memory-model raw";
    }
    let d = InstanceConfig::default();
    if inst.samples != d.samples {
        cmd += &format!(" --samples {}", inst.samples);
    }
    if inst.lfu_log_factor != d.lfu_log_factor {
        cmd += &format!(" --lfu-log-factor {}", inst.lfu_log_factor);
    }
    if inst.lfu_decay_time != d.lfu_decay_time {
        cmd += &format!(" --lfu-decay-time {}", inst.lfu_decay_time);
    }
    if let Some(rate) = tp.sample_rate {
        cmd += &format!(" --sample-rate {rate}");
    }
    if let Some(ms) = tp.start_unix_ms {
        cmd += &format!(" --start-unix-ms {ms}");
    }
    cmd
}

/// For a run at several start phases, one line saying how to read its
/// figures; `None` for one phase.
pub(crate) fn phases_line(r: &RunResult) -> Option<String> {
    let ph = r.phases.as_ref()?;
    let n = ph.offsets_ms.len() as u64;
    let last = ph.offsets_ms.last().copied().unwrap_or(0);
    Some(format!(
        "{n} start phases over the minute (+0 s to +{} from {}): each figure is the median \
         (lowest-highest) of the {n} runs, the lower middle run for an even count, one number \
         where they agree; the verdict and the report's other figures are phase 0's, the start as given",
        offset(last),
        crate::units::format_instant(r.instance.start_unix_ms),
    ))
}

fn settings(r: &RunResult) -> Vec<Block> {
    let mut out = vec![h2("Settings that produced this report", "settings")];
    let row = |name: &str, value: Vec<Span>| Row {
        tone: Tone::Plain,
        cells: vec![vec![t(name)], value],
    };
    let policies: Vec<Span> = join(r.results.iter().map(|p| vec![c(p.policy.name())]).collect());
    let classes = join(
        r.classes
            .iter()
            .map(|info| {
                let mut v = vec![class(info)];
                if info.critical {
                    v.push(t(" (critical)"));
                }
                v
            })
            .collect(),
    );
    let or_none = |v: Vec<Span>| if v.is_empty() { vec![t("none")] } else { v };
    let mm = if r.maxmemory_bytes == 0 {
        maxmemory(0)
    } else {
        format!(
            "{} ({} bytes){}",
            bytes(r.maxmemory_bytes),
            thousands(r.maxmemory_bytes),
            per_shard(r)
        )
    };
    let inst = &r.instance;
    let mut rows = vec![
        row("source", vec![t(r.source.describe())]),
        row(
            if r.source.trace().is_some() {
                "trace"
            } else {
                "scenario"
            },
            vec![t(r.scenario.clone())],
        ),
        row("seed", vec![t(r.seed.to_string())]),
        row("maxmemory", vec![t(mm)]),
    ];
    // Only when it says something beyond the default, so reports of runs
    // at the default instant stay as they were.
    if r.instance.start_unix_ms != crate::model::DEFAULT_START_UNIX_MS || r.phases.is_some() {
        let mut start = r.source.describe_start(r.instance.start_unix_ms);
        if let Some(ph) = &r.phases {
            let offsets: Vec<String> = ph.offsets_ms.iter().map(|&o| offset(o)).collect();
            start += &format!(
                "; {} start phases, each this plus {}",
                ph.offsets_ms.len(),
                offsets.join(", ")
            );
        }
        rows.push(row("clock start", vec![t(start)]));
    }
    if let Some(cl) = &r.cluster {
        let n = cl.slots.shards() as u64;
        let ranges: Vec<String> = cl
            .slots
            .ranges()
            .iter()
            .map(|sr| format!("{sr} on {}", sr.shard))
            .collect();
        rows.push(row(
            "cluster",
            vec![t(format!(
                "{n} {}; slots {}",
                plural(n, "shard", "shards"),
                ranges.join(", ")
            ))],
        ));
    }
    if let Some(tp) = r.source.trace() {
        if let Some(rate) = tp.sample_rate {
            rows.push(row(
                "sample rate",
                vec![t(format!(
                    "{rate} of the keys (maxmemory scaled from {}; counts are the sample's)",
                    bytes(tp.maxmemory)
                ))],
            ));
        }
        let mut reading = vec![format!("{} lines", thousands(tp.lines))];
        reading.push(format!("{} malformed and skipped", thousands(tp.malformed)));
        reading.push(format!(
            "{} refused as Redis refuses them",
            thousands(tp.rejected)
        ));
        reading.push(format!("{} not modelled", thousands(tp.not_modelled)));
        if tp.read_through {
            reading.push("read-through".to_string());
        }
        if tp.strict {
            reading.push("strict".to_string());
        }
        rows.push(row("trace reading", vec![t(reading.join(", "))]));
    }
    rows.extend([
        row(
            "memory model",
            vec![t(match inst.memory_model {
                MemoryModel::Redis if inst.layout() == Layout::default() => {
                    "redis (Redis 7.0's used_memory)".to_string()
                }
                MemoryModel::Redis => format!(
                    "redis ({}'s used_memory, {})",
                    inst.server.label(),
                    inst.allocator.name()
                ),
                MemoryModel::Raw => "raw (a key costs its value's size)".to_string(),
            })],
        ),
        row("maxmemory-samples", vec![t(inst.samples.to_string())]),
        row(
            "lfu-log-factor / lfu-decay-time",
            vec![t(format!(
                "{} / {} min",
                inst.lfu_log_factor, inst.lfu_decay_time
            ))],
        ),
        row("operations", vec![t(thousands(r.ops))]),
        row(
            "simulated time",
            vec![t(format!(
                "{} ({} ms)",
                duration_ms(r.simulated_ms),
                thousands(r.simulated_ms)
            ))],
        ),
        row("policies", or_none(policies)),
        row("key classes", or_none(classes)),
        row(
            "peak used memory with no limit",
            vec![t(format!(
                "{}{}",
                bytes(r.unbounded_peak_memory),
                if r.cluster.is_some() {
                    " (the fullest shard)"
                } else {
                    ""
                }
            ))],
        ),
        row("evictsim version", vec![t(env!("CARGO_PKG_VERSION"))]),
    ]);
    out.push(Block::Table(Table {
        head: vec!["setting".into(), "value".into()],
        numeric: vec![false, false],
        rows,
    }));
    if let Some(tp) = r.source.trace() {
        let understood = understood::rows(&r.classes, &tp.understood);
        if !understood.is_empty() {
            out.push(para(vec![t(
                "How the trace was read, per class (a GET that fills writes the value back \
                 on a miss; an INCR that opens a window sets its TTL when it creates the \
                 counter; 0 in a field that does not apply means none):",
            )]));
            out.push(Block::Table(Table {
                head: understood::HEAD.iter().map(|&h| h.into()).collect(),
                numeric: std::iter::once(false)
                    .chain(std::iter::repeat(true))
                    .take(understood::HEAD.len())
                    .collect(),
                rows: understood
                    .into_iter()
                    .map(|cells| Row {
                        tone: Tone::Plain,
                        cells: cells.into_iter().map(|v| vec![t(v)]).collect(),
                    })
                    .collect(),
            }));
        }
    }
    match command(r) {
        Some(cmd) => {
            out.push(para(vec![t(
                "Rerun it with this command (the same seed and inputs give the same \
                 numbers, byte for byte):",
            )]));
            out.push(Block::Code(cmd));
        }
        None => out.push(para(vec![t(
            "The operations were built in code, so no command reruns this report.",
        )])),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_sizes_use_exact_units_only() {
        assert_eq!(redis_size(0), "0");
        assert_eq!(redis_size(64 << 20), "64mb");
        assert_eq!(redis_size(3 << 30), "3gb");
        assert_eq!(redis_size(1536), "1536");
        assert_eq!(redis_size(2048), "2kb");
        assert_eq!(redis_size(1000), "1000");
    }

    #[test]
    fn shell_words_are_quoted_when_needed() {
        assert_eq!(shell_word("scenarios/a-b.toml"), "scenarios/a-b.toml");
        assert_eq!(shell_word("my scenario"), "'my scenario'");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
        assert_eq!(shell_word(""), "''");
    }

    #[test]
    fn join_reads_like_a_sentence() {
        let words = |n: usize| (0..n).map(|i| vec![t(i.to_string())]).collect();
        let text = |v: Vec<Span>| {
            v.into_iter()
                .map(|s| match s {
                    Span::Text(s) => s,
                    _ => unreachable!(),
                })
                .collect::<String>()
        };
        assert_eq!(text(join(words(0))), "");
        assert_eq!(text(join(words(1))), "0");
        assert_eq!(text(join(words(2))), "0 and 1");
        assert_eq!(text(join(words(3))), "0, 1 and 2");
    }
}
