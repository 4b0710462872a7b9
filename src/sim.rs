//! Runs one stream of operations through one simulated instance per policy
//! and gathers what each counted; [`simulate_one`] replays operations held in
//! memory through a single policy's instance, exactly as [`simulate`] would,
//! for callers (a sweep) that parallelise over runs instead of policies.

use crate::metrics::Metrics;
use crate::model::{AnyInstance, InstanceConfig, PolicyKind};
use crate::op::Op;
use crate::provenance::Provenance;
use rayon::prelude::*;

/// A key class as the reports show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassInfo {
    /// The class's name (`cache`, `sessions`...).
    pub name: String,
    /// Whether losing a key of this class loses data with no other copy.
    pub critical: bool,
}

/// What one policy did to the workload.
#[derive(Clone, Debug)]
pub struct PolicyRun {
    /// The policy.
    pub policy: PolicyKind,
    /// Everything its instance counted.
    pub metrics: Metrics,
}

/// The outcome of a run: one [`PolicyRun`] per policy, plus what describes
/// the run so anyone can reproduce it.
#[derive(Clone, Debug)]
pub struct RunResult {
    /// The scenario's or trace's name.
    pub scenario: String,
    /// The workload seed.
    pub seed: u64,
    /// `maxmemory` in bytes.
    pub maxmemory_bytes: u64,
    /// Operations in the stream.
    pub ops: u64,
    /// Simulated time covered, in ms.
    pub simulated_ms: u64,
    /// The key classes, in the order every per-class list uses.
    pub classes: Vec<ClassInfo>,
    /// One entry per policy, in the order asked for.
    pub results: Vec<PolicyRun>,
    /// Peak `used_memory` of the same workload with no `maxmemory`: the
    /// memory an instance needs to lose nothing.
    pub unbounded_peak_memory: u64,
    /// `used_memory` over time of the same workload with no `maxmemory`:
    /// (ms, bytes), the highest in each of the timelines' buckets.
    pub unbounded_memory: Vec<(u64, u64)>,
    /// Where the operations came from and how they were read.
    pub source: Provenance,
    /// The instance settings every policy ran with.
    pub instance: InstanceConfig,
}

/// What a run needs besides its operations.
#[derive(Clone, Debug)]
pub struct RunSpec {
    /// The scenario's or trace's name.
    pub scenario: String,
    /// The workload seed (reported, and mixed into each instance's seed).
    pub seed: u64,
    /// The instance settings shared by every policy.
    pub instance: InstanceConfig,
    /// The policies to compare, in report order.
    pub policies: Vec<PolicyKind>,
    /// The key classes.
    pub classes: Vec<ClassInfo>,
    /// Simulated time the run covers, in ms (the clock is advanced to it at
    /// the end, so cron work after the last operation still happens).
    pub duration_ms: u64,
    /// Where the operations come from (carried into the result).
    pub source: Provenance,
}

/// Operations per batch: each batch is applied to every instance in turn
/// (in parallel when there are several cores).
pub const BATCH: usize = 16 * 1024;

/// Replays `ops` through one instance per policy, plus one with no
/// `maxmemory` to find the memory that loses nothing. `progress` is called
/// after every batch with the operations done and the simulated time
/// reached.
pub fn simulate(
    spec: &RunSpec,
    ops: impl Iterator<Item = Op>,
    mut progress: impl FnMut(u64, u64),
) -> RunResult {
    let n = spec.classes.len();
    let mut instances: Vec<AnyInstance> = spec
        .policies
        .iter()
        .map(|&p| AnyInstance::new(p, &spec.instance, n))
        .collect();
    let unbounded_cfg = InstanceConfig {
        maxmemory: 0,
        ..spec.instance.clone()
    };
    instances.push(AnyInstance::new(PolicyKind::NoEviction, &unbounded_cfg, n));
    let mut batch = Vec::with_capacity(BATCH);
    let mut ops = ops.peekable();
    let (mut count, mut last_t) = (0u64, 0u64);
    while ops.peek().is_some() {
        batch.clear();
        batch.extend(ops.by_ref().take(BATCH));
        count += batch.len() as u64;
        last_t = batch.last().map_or(last_t, |o| o.t_ms);
        instances.par_iter_mut().for_each(|i| i.apply_all(&batch));
        progress(count, last_t);
    }
    let end = end_ms(spec, last_t);
    instances.par_iter_mut().for_each(|i| i.advance(end));
    let unbounded = instances.pop().expect("the unbounded instance was pushed");
    RunResult {
        scenario: spec.scenario.clone(),
        seed: spec.seed,
        maxmemory_bytes: spec.instance.maxmemory,
        ops: count,
        simulated_ms: end,
        classes: spec.classes.clone(),
        unbounded_peak_memory: unbounded.metrics().peak_used_memory,
        unbounded_memory: {
            let t = &unbounded.metrics().timeline;
            t.used_memory
                .iter()
                .enumerate()
                .map(|(b, &m)| (b as u64 * t.step_ms, m))
                .collect()
        },
        source: spec.source.clone(),
        instance: spec.instance.clone(),
        results: instances
            .into_iter()
            .map(|i| PolicyRun {
                policy: i.kind(),
                metrics: i.into_metrics(),
            })
            .collect(),
    }
}

/// Replays `ops` through one instance of `policy` configured by `spec`
/// (its `policies` are not read), in the same batches and up to the same end
/// of the clock as [`simulate`]: the result equals that policy's entry in
/// [`simulate`]'s, without the instance with no `maxmemory` beside it.
pub fn simulate_one(spec: &RunSpec, policy: PolicyKind, ops: &[Op]) -> PolicyRun {
    let mut instance = AnyInstance::new(policy, &spec.instance, spec.classes.len());
    for batch in ops.chunks(BATCH) {
        instance.apply_all(batch);
    }
    instance.advance(end_ms(spec, ops.last().map_or(0, |o| o.t_ms)));
    PolicyRun {
        policy,
        metrics: instance.into_metrics(),
    }
}

/// Where a run's clock stops: the spec's duration, or the last operation if
/// the stream runs longer.
fn end_ms(spec: &RunSpec, last_t: u64) -> u64 {
    spec.duration_ms.max(last_t)
}
