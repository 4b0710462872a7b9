//! A sweep for programs: every (size, policy, seed) point with the figures
//! of the run's table and its summed counters, and each policy's smallest
//! safe size with the evidence. No floats: a ratio is `{hits, reads}`, so
//! the same sweep always gives the same bytes and comparisons are exact.

use serde::Serialize;

use super::rows::{cache_hit_ratio, hit_ratio, pooled};
use crate::metrics::Counters;
use crate::report::json::{JsonInstance, JsonSource};
use crate::report::{HitRatio, ReportError};
use crate::sweep::{SafeSize, Spacing, SweepPoint, SweepResult};

/// Pretty JSON of the whole sweep, ending in a newline.
pub(crate) fn render(r: &SweepResult) -> Result<Vec<u8>, ReportError> {
    let phases = r.phase_offsets_ms.len() > 1;
    let doc = JsonSweep {
        scenario: &r.scenario,
        source: JsonSource::new(&r.source, &r.classes),
        command: super::command(r),
        instance: JsonInstance::new(&r.instance).with_origin(&r.source),
        maxmemory: JsonGrid {
            from_bytes: r.grid.range.from,
            to_bytes: r.grid.range.to,
            steps: match r.grid.spacing {
                Spacing::Steps(n) => Some(n),
                Spacing::Step(_) => None,
            },
            step_bytes: match r.grid.spacing {
                Spacing::Step(s) => Some(s),
                Spacing::Steps(_) => None,
            },
            sizes: &r.sizes,
        },
        shards: r.cluster.as_ref().map(|c| c.shards()),
        policies: r.policies.iter().map(|p| p.name()).collect(),
        seeds: r
            .runs
            .iter()
            .map(|s| JsonSeed {
                seed: s.seed,
                ops: s.ops,
                simulated_ms: s.simulated_ms,
                unbounded_peak_memory: s.unbounded_peak_memory,
            })
            .collect(),
        phases: phases.then(|| JsonPhases {
            count: r.phase_offsets_ms.len(),
            offsets_ms: &r.phase_offsets_ms,
        }),
        points: r.points.iter().map(|p| JsonPoint::new(p, phases)).collect(),
        find_safe: r.find_safe.as_ref().map(|fs| JsonFindSafe {
            resolution_bytes: fs.resolution,
        }),
        safe: r
            .find_safe
            .as_ref()
            .map(|fs| {
                fs.policies
                    .iter()
                    .map(|s| JsonSafe::new(s, phases))
                    .collect()
            })
            .unwrap_or_default(),
    };
    let mut out = serde_json::to_vec_pretty(&doc)?;
    out.push(b'\n');
    Ok(out)
}

#[derive(Serialize)]
struct JsonSweep<'a> {
    scenario: &'a str,
    source: JsonSource<'a>,
    command: Option<String>,
    instance: JsonInstance,
    maxmemory: JsonGrid<'a>,
    /// Shards of the Redis Cluster each size is per shard of (null: one
    /// instance).
    shards: Option<usize>,
    policies: Vec<&'static str>,
    seeds: Vec<JsonSeed>,
    /// The start phases every point ran at, when more than one.
    #[serde(skip_serializing_if = "Option::is_none")]
    phases: Option<JsonPhases<'a>>,
    points: Vec<JsonPoint>,
    find_safe: Option<JsonFindSafe>,
    safe: Vec<JsonSafe>,
}

#[derive(Serialize)]
struct JsonPhases<'a> {
    count: usize,
    offsets_ms: &'a [u64],
}

#[derive(Serialize)]
struct JsonGrid<'a> {
    from_bytes: u64,
    to_bytes: u64,
    steps: Option<u32>,
    step_bytes: Option<u64>,
    sizes: &'a [u64],
}

#[derive(Serialize)]
struct JsonSeed {
    seed: u64,
    ops: u64,
    simulated_ms: u64,
    unbounded_peak_memory: u64,
}

/// A ratio as two integers.
#[derive(Serialize)]
struct JsonRatio {
    hits: u64,
    reads: u64,
}

impl From<HitRatio> for JsonRatio {
    fn from(h: HitRatio) -> Self {
        JsonRatio {
            hits: h.hits,
            reads: h.reads,
        }
    }
}

#[derive(Serialize)]
struct JsonPoint {
    maxmemory_bytes: u64,
    policy: &'static str,
    seed: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    phase_ms: Option<u64>,
    safe: bool,
    critical_evicted: u64,
    lost_critical_reads: u64,
    critical_refused: u64,
    refused_writes: u64,
    hit_ratio: JsonRatio,
    cache_hit_ratio: JsonRatio,
    peak_used_memory: u64,
    totals: Counters,
    critical_totals: Counters,
}

impl JsonPoint {
    fn new(p: &SweepPoint, phases: bool) -> Self {
        JsonPoint {
            maxmemory_bytes: p.maxmemory_bytes,
            policy: p.policy.name(),
            seed: p.seed,
            phase_ms: phases.then_some(p.phase_ms),
            safe: p.is_safe(),
            critical_evicted: p.critical_totals.evicted_distinct,
            lost_critical_reads: p.critical_totals.lost_reads,
            critical_refused: p.critical_totals.oom_rejected,
            refused_writes: p.totals.oom_rejected,
            hit_ratio: hit_ratio(p).into(),
            cache_hit_ratio: cache_hit_ratio(p).into(),
            peak_used_memory: p.peak_used_memory,
            totals: p.totals,
            critical_totals: p.critical_totals,
        }
    }
}

#[derive(Serialize)]
struct JsonFindSafe {
    resolution_bytes: u64,
}

/// What stopped a size from being safe, for one seed.
#[derive(Serialize)]
struct JsonUnsafe {
    maxmemory_bytes: u64,
    seed: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    phase_ms: Option<u64>,
    critical_evicted: u64,
    lost_critical_reads: u64,
    critical_refused: u64,
}

impl JsonUnsafe {
    fn new(p: &SweepPoint, phases: bool) -> Self {
        JsonUnsafe {
            maxmemory_bytes: p.maxmemory_bytes,
            seed: p.seed,
            phase_ms: phases.then_some(p.phase_ms),
            critical_evicted: p.critical_totals.evicted_distinct,
            lost_critical_reads: p.critical_totals.lost_reads,
            critical_refused: p.critical_totals.oom_rejected,
        }
    }
}

#[derive(Serialize)]
struct JsonBelow {
    maxmemory_bytes: u64,
    safe: bool,
    unsafe_at: Option<JsonUnsafe>,
}

#[derive(Serialize)]
struct JsonSafe {
    policy: &'static str,
    maxmemory_bytes: Option<u64>,
    hit_ratio: Option<JsonRatio>,
    cache_hit_ratio: Option<JsonRatio>,
    seeds: Vec<u64>,
    below: Option<JsonBelow>,
    unsafe_at_top: Option<JsonUnsafe>,
    safe_below_unsafe: Vec<u64>,
    extra_sizes: usize,
}

impl JsonSafe {
    fn new(s: &SafeSize, phases: bool) -> Self {
        let found = s.maxmemory_bytes.is_some();
        JsonSafe {
            policy: s.policy.name(),
            maxmemory_bytes: s.maxmemory_bytes,
            hit_ratio: found.then(|| pooled(&s.points, hit_ratio).into()),
            cache_hit_ratio: found.then(|| pooled(&s.points, cache_hit_ratio).into()),
            seeds: {
                // Each seed once, though it ran at every phase.
                let mut seeds: Vec<u64> = s.points.iter().map(|p| p.seed).collect();
                seeds.dedup();
                seeds
            },
            below: s.below.as_ref().map(|b| JsonBelow {
                maxmemory_bytes: b.maxmemory_bytes,
                safe: b.unsafe_point.is_none(),
                unsafe_at: b.unsafe_point.as_ref().map(|p| JsonUnsafe::new(p, phases)),
            }),
            unsafe_at_top: s.unsafe_at_top.as_ref().map(|p| JsonUnsafe::new(p, phases)),
            safe_below_unsafe: s.safe_below_unsafe.clone(),
            extra_sizes: s.extra_sizes,
        }
    }
}
