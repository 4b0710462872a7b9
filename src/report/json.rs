//! The report programs read: pretty JSON holding every counter, per class
//! and summed, with percentiles of the eviction histograms and the verdict.
//! Field names are a public schema and stay stable; field and class order
//! is fixed (classes in the scenario's order), and there are no floats, so
//! the same run always gives the same bytes. Histogram percentiles are the
//! bottom of HdrHistogram's bucket holding the value: within 1% of what was
//! recorded (the histograms keep two significant digits) and never above it.

use hdrhistogram::Histogram;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use super::cluster::{ClusterSummary, ShardSummary};
use super::summary::{PolicySpread, Summary};
use super::{Exporter, ReportError};
use crate::metrics::{ClassMetrics, Counters, Metrics};
use crate::model::{InstanceConfig, Layout, MemoryModel, DEFAULT_START_UNIX_MS};
use crate::phase::{CounterSpread, Spread};
use crate::provenance::Provenance;
use crate::sim::{ClassInfo, RunResult};
use crate::trace::Understood;

/// Renders a run as pretty JSON.
#[derive(Clone, Copy, Debug, Default)]
pub struct JsonExporter;

impl Exporter for JsonExporter {
    fn serialize(&self, r: &RunResult) -> Result<Vec<u8>, ReportError> {
        let summary = Summary::new(r);
        let cluster = ClusterSummary::new(r, &summary);
        let name = |i: Option<usize>| i.and_then(|i| r.results.get(i)).map(|p| p.policy.name());
        let doc = JsonRun {
            scenario: &r.scenario,
            partial: r.partial.as_ref().map(|_| true),
            stopped: r.partial.as_ref().map(|p| JsonStopped {
                reason: &p.reason,
                ops: p.ops,
                simulated_ms: p.simulated_ms,
                planned_ms: p.planned_ms,
            }),
            crash_at_end: r.crash.as_ref().map(|c| JsonCrashAtEnd {
                persistence: c.persistence.describe(),
                policy: c.policy.name(),
                t_ms: c.t_ms,
                classes: r
                    .classes
                    .iter()
                    .zip(c.process.iter().zip(&c.power))
                    .map(|(info, (p, w))| JsonCrashClass {
                        class: &info.name,
                        critical: info.critical,
                        live_keys: p.live_keys,
                        lost_keys_process: p.lost_keys,
                        lost_keys_power: w.lost_keys,
                        lost_writes_process: p.lost_writes,
                        lost_writes_power: w.lost_writes,
                    })
                    .collect(),
            }),
            source: JsonSource::new(&r.source, &r.classes),
            command: super::story::command(r),
            instance: JsonInstance::new(&r.instance).with_origin(&r.source),
            seed: r.seed,
            maxmemory_bytes: r.maxmemory_bytes,
            ops: r.ops,
            simulated_ms: r.simulated_ms,
            unbounded_peak_memory: r.unbounded_peak_memory,
            verdict: JsonVerdict {
                safest: name(summary.verdict.safest),
                worst: name(summary.verdict.worst),
            },
            cluster: cluster.as_ref().and_then(|c| JsonCluster::new(r, c)),
            phases: r.phases.as_ref().map(|ph| JsonPhases {
                count: ph.offsets_ms.len(),
                offsets_ms: &ph.offsets_ms,
                median: "lower middle of an even count",
            }),
            results: r
                .results
                .iter()
                .zip(&summary.policies)
                .enumerate()
                .map(|(i, (run, s))| JsonPolicy {
                    policy: run.policy.name(),
                    reference: run.policy.is_reference(),
                    peak_used_memory: run.metrics.peak_used_memory,
                    classes: JsonClasses {
                        infos: &r.classes,
                        metrics: &run.metrics,
                    },
                    totals: s.totals,
                    critical_totals: s.critical_totals,
                    shards: cluster.as_ref().and_then(|c| JsonShard::all(r, c, i)),
                    hottest_shard: cluster.as_ref().and_then(|c| c.hottest.get(i).copied()),
                    phase_spread: summary
                        .phases
                        .as_ref()
                        .and_then(|ph| ph.get(i))
                        .map(|p| JsonPhaseSpread::new(p, &r.classes)),
                })
                .collect(),
        };
        let mut out = serde_json::to_vec_pretty(&doc)?;
        out.push(b'\n');
        Ok(out)
    }
}

#[derive(Serialize)]
struct JsonRun<'a> {
    scenario: &'a str,
    /// Present, and true, only for a run stopped before its end.
    #[serde(skip_serializing_if = "Option::is_none")]
    partial: Option<bool>,
    /// How far a stopped run got.
    #[serde(skip_serializing_if = "Option::is_none")]
    stopped: Option<JsonStopped<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    crash_at_end: Option<JsonCrashAtEnd<'a>>,
    source: JsonSource<'a>,
    command: Option<String>,
    instance: JsonInstance,
    seed: u64,
    maxmemory_bytes: u64,
    ops: u64,
    simulated_ms: u64,
    unbounded_peak_memory: u64,
    verdict: JsonVerdict,
    #[serde(skip_serializing_if = "Option::is_none")]
    cluster: Option<JsonCluster>,
    /// For a run at several start phases of the minute.
    #[serde(skip_serializing_if = "Option::is_none")]
    phases: Option<JsonPhases<'a>>,
    results: Vec<JsonPolicy<'a>>,
}

/// The start phases a run ran at: every policy's `phase_spread` is over
/// these.
#[derive(Serialize)]
struct JsonPhases<'a> {
    count: usize,
    /// Each phase's ms added to the clock start, phase 0 (the start as
    /// given, whose figures the rest of the document holds) first.
    offsets_ms: &'a [u64],
    /// Which run a median is: the middle one, the lower middle one of an
    /// even count.
    median: &'static str,
}

/// One policy's counters over the phases, each as `{min, median, max}`.
#[derive(Serialize)]
struct JsonPhaseSpread<'a> {
    critical_keys_evicted: Spread<u64>,
    lost_critical_reads: Spread<u64>,
    refused_writes: Spread<u64>,
    peak_used_memory: Spread<u64>,
    totals: CounterSpread,
    critical_totals: CounterSpread,
    classes: JsonClassSpreads<'a>,
}

/// The classes' spreads as an object in the scenario's order.
struct JsonClassSpreads<'a> {
    infos: &'a [ClassInfo],
    spreads: &'a [CounterSpread],
}

impl Serialize for JsonClassSpreads<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let pairs = self.infos.iter().zip(self.spreads);
        let mut map = s.serialize_map(Some(pairs.len()))?;
        for (info, c) in pairs {
            map.serialize_entry(&info.name, c)?;
        }
        map.end()
    }
}

impl<'a> JsonPhaseSpread<'a> {
    fn new(p: &'a PolicySpread, infos: &'a [ClassInfo]) -> Self {
        JsonPhaseSpread {
            critical_keys_evicted: p.critical_keys_evicted,
            lost_critical_reads: p.lost_critical_reads,
            refused_writes: p.refused_writes,
            peak_used_memory: p.peak_used_memory,
            totals: p.totals,
            critical_totals: p.critical_totals,
            classes: JsonClassSpreads {
                infos,
                spreads: &p.classes,
            },
        }
    }
}

/// A Redis Cluster's slots and what each shard received.
#[derive(Serialize)]
struct JsonCluster {
    shards: usize,
    /// `[from, to, shard]`, inclusive, in slot order.
    slots: Vec<[u64; 3]>,
    /// The hottest shard under `hottest_under` (the worst policy, else the
    /// first).
    hottest_shard: Option<usize>,
    hottest_under: Option<&'static str>,
    layout: Vec<JsonShardLayout>,
}

#[derive(Serialize)]
struct JsonShardLayout {
    shard: usize,
    slot_count: u32,
    keys: u64,
    ops: u64,
    unbounded_peak_memory: u64,
}

impl JsonCluster {
    fn new(r: &RunResult, c: &ClusterSummary) -> Option<Self> {
        let run = r.cluster.as_ref()?;
        let under = c.shown;
        Some(JsonCluster {
            shards: c.shards,
            slots: run
                .slots
                .ranges()
                .iter()
                .map(|s| [u64::from(s.from), u64::from(s.to), u64::from(s.shard)])
                .collect(),
            hottest_shard: under.and_then(|i| c.hottest.get(i).copied()),
            hottest_under: under
                .and_then(|i| r.results.get(i))
                .map(|p| p.policy.name()),
            layout: c
                .policies
                .first()
                .map(|shards| {
                    shards
                        .iter()
                        .map(|sh: &ShardSummary| JsonShardLayout {
                            shard: sh.shard,
                            slot_count: sh.slots,
                            keys: sh.keys,
                            ops: sh.ops,
                            unbounded_peak_memory: sh.unbounded_peak_memory,
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
    }
}

/// One shard under one policy.
#[derive(Serialize)]
struct JsonShard<'a> {
    shard: usize,
    peak_used_memory: u64,
    critical_keys_evicted: u64,
    lost_critical_reads: u64,
    classes: JsonClasses<'a>,
    totals: Counters,
    critical_totals: Counters,
}

impl<'a> JsonShard<'a> {
    /// The shards under the policy at `policy`.
    fn all(r: &'a RunResult, c: &ClusterSummary, policy: usize) -> Option<Vec<Self>> {
        let metrics = r.cluster.as_ref()?.results.get(policy)?;
        let shards = c.policies.get(policy)?;
        Some(
            shards
                .iter()
                .zip(metrics)
                .map(|(sh, m)| JsonShard {
                    shard: sh.shard,
                    peak_used_memory: sh.summary.peak_used_memory,
                    critical_keys_evicted: sh.summary.critical_keys_evicted,
                    lost_critical_reads: sh.summary.lost_critical_reads,
                    classes: JsonClasses {
                        infos: &r.classes,
                        metrics: m,
                    },
                    totals: sh.summary.totals,
                    critical_totals: sh.summary.critical_totals,
                })
                .collect(),
        )
    }
}

/// How far a run stopped before its end got.
#[derive(Serialize)]
struct JsonStopped<'a> {
    reason: &'a str,
    ops: u64,
    simulated_ms: u64,
    planned_ms: u64,
}

/// What a crash at the end of the run would lose (`evictsim crash`'s rules).
#[derive(Serialize)]
struct JsonCrashAtEnd<'a> {
    persistence: String,
    policy: &'static str,
    t_ms: u64,
    classes: Vec<JsonCrashClass<'a>>,
}

#[derive(Serialize)]
struct JsonCrashClass<'a> {
    class: &'a str,
    critical: bool,
    live_keys: u64,
    lost_keys_process: u64,
    lost_keys_power: u64,
    lost_writes_process: u64,
    lost_writes_power: u64,
}

/// Where the operations came from; a trace's reading in full.
#[derive(Serialize)]
pub(crate) struct JsonSource<'a> {
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trace: Option<JsonTrace<'a>>,
}

#[derive(Serialize)]
struct JsonTrace<'a> {
    format: &'static str,
    classes_file: Option<&'a str>,
    rules: Vec<[&'a str; 2]>,
    critical: &'a [String],
    read_through: bool,
    strict: bool,
    /// A decimal string: the JSON holds no floats.
    sample_rate: Option<String>,
    maxmemory_bytes: u64,
    lines: u64,
    malformed: u64,
    rejected: u64,
    not_modelled: u64,
    understood: JsonUnderstood<'a>,
}

/// What the reader understood, as an object keyed by class name.
struct JsonUnderstood<'a> {
    infos: &'a [ClassInfo],
    understood: &'a [Understood],
}

impl Serialize for JsonUnderstood<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        for (info, u) in self.infos.iter().zip(self.understood) {
            if !u.is_empty() {
                m.serialize_entry(&info.name, u)?;
            }
        }
        m.end()
    }
}

impl<'a> JsonSource<'a> {
    /// The source of a run (or a sweep) over `classes`.
    pub(crate) fn new(source: &'a Provenance, classes: &'a [ClassInfo]) -> Self {
        match source {
            Provenance::Library => JsonSource {
                kind: "library",
                path: None,
                trace: None,
            },
            Provenance::Scenario { path } => JsonSource {
                kind: "scenario",
                path: Some(path),
                trace: None,
            },
            Provenance::Trace(t) => JsonSource {
                kind: "trace",
                path: Some(&t.path),
                trace: Some(JsonTrace {
                    format: t.format.name(),
                    classes_file: t.classes_file.as_deref(),
                    rules: t
                        .rules
                        .iter()
                        .map(|(c, g)| [c.as_str(), g.as_str()])
                        .collect(),
                    critical: &t.critical,
                    read_through: t.read_through,
                    strict: t.strict,
                    sample_rate: t.sample_rate.map(|r| r.to_string()),
                    maxmemory_bytes: t.maxmemory,
                    lines: t.lines,
                    malformed: t.malformed,
                    rejected: t.rejected,
                    not_modelled: t.not_modelled,
                    understood: JsonUnderstood {
                        infos: classes,
                        understood: &t.understood,
                    },
                }),
            },
        }
    }
}

/// The instance settings besides `maxmemory`.
#[derive(Serialize)]
pub(crate) struct JsonInstance {
    memory_model: &'static str,
    /// The server the model follows, when not Redis 7.0 (left out for
    /// Redis 7.0, so its reports keep their bytes).
    #[serde(skip_serializing_if = "Option::is_none")]
    server: Option<&'static str>,
    /// The allocator, with `server`.
    #[serde(skip_serializing_if = "Option::is_none")]
    allocator: Option<&'static str>,
    samples: u32,
    lfu_log_factor: u32,
    lfu_decay_time: u32,
    /// The clock start (unix ms), when not the default instant.
    #[serde(skip_serializing_if = "Option::is_none")]
    start_unix_ms: Option<u64>,
    /// The same as RFC 3339, with where it came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    start: Option<String>,
}

impl JsonInstance {
    /// The settings of `inst` the JSON reports.
    pub(crate) fn new(inst: &InstanceConfig) -> Self {
        JsonInstance {
            memory_model: match inst.memory_model {
                MemoryModel::Redis => "redis",
                MemoryModel::Raw => "raw",
            },
            server: (inst.layout() != Layout::default()).then(|| inst.server.name()),
            allocator: (inst.layout() != Layout::default()).then(|| inst.allocator.name()),
            samples: inst.samples,
            lfu_log_factor: inst.lfu_log_factor,
            lfu_decay_time: inst.lfu_decay_time,
            start_unix_ms: (inst.start_unix_ms != DEFAULT_START_UNIX_MS)
                .then_some(inst.start_unix_ms),
            start: None,
        }
    }
}

impl JsonInstance {
    /// The same, saying where a clock start other than the default came
    /// from.
    pub(crate) fn with_origin(mut self, source: &Provenance) -> Self {
        self.start = self.start_unix_ms.map(|ms| source.describe_start(ms));
        self
    }
}

#[derive(Serialize)]
struct JsonVerdict {
    safest: Option<&'static str>,
    worst: Option<&'static str>,
}

#[derive(Serialize)]
struct JsonPolicy<'a> {
    policy: &'static str,
    /// evictsim's reference (no server has it): never in the verdict.
    reference: bool,
    peak_used_memory: u64,
    classes: JsonClasses<'a>,
    totals: Counters,
    critical_totals: Counters,
    /// Per shard, for a cluster.
    #[serde(skip_serializing_if = "Option::is_none")]
    shards: Option<Vec<JsonShard<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hottest_shard: Option<usize>,
    /// Over the start phases, when the run had several.
    #[serde(skip_serializing_if = "Option::is_none")]
    phase_spread: Option<JsonPhaseSpread<'a>>,
}

/// The classes as a JSON object in the scenario's order (a map type would
/// sort them by name).
struct JsonClasses<'a> {
    infos: &'a [ClassInfo],
    metrics: &'a Metrics,
}

impl Serialize for JsonClasses<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let pairs = self.infos.iter().zip(&self.metrics.classes);
        let mut map = s.serialize_map(Some(pairs.len()))?;
        for (info, m) in pairs {
            map.serialize_entry(&info.name, &JsonClass::new(info, m))?;
        }
        map.end()
    }
}

#[derive(Serialize)]
struct JsonClass<'a> {
    critical: bool,
    #[serde(flatten)]
    counters: &'a Counters,
    idle_at_eviction_ms: JsonHistogram,
    ttl_left_at_eviction_ms: JsonHistogram,
}

impl<'a> JsonClass<'a> {
    fn new(info: &ClassInfo, m: &'a ClassMetrics) -> Self {
        JsonClass {
            critical: info.critical,
            counters: &m.counters,
            idle_at_eviction_ms: JsonHistogram::new(&m.idle_at_eviction_ms),
            ttl_left_at_eviction_ms: JsonHistogram::new(&m.ttl_left_at_eviction_ms),
        }
    }
}

/// A histogram's count and percentiles; the values are `null` when it is empty.
#[derive(Serialize)]
pub(crate) struct JsonHistogram {
    count: u64,
    p50: Option<u64>,
    p90: Option<u64>,
    p99: Option<u64>,
    max: Option<u64>,
}

impl JsonHistogram {
    pub(crate) fn new(h: &Histogram<u64>) -> Self {
        let q = |q: f64| crate::metrics::quantile(h, q);
        JsonHistogram {
            count: h.len(),
            p50: q(0.5),
            p90: q(0.9),
            p99: q(0.99),
            max: crate::metrics::max(h),
        }
    }
}
