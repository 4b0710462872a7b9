//! Runs one stream of operations through one simulated instance per policy
//! and gathers what each counted; for a Redis Cluster, one instance per
//! policy and shard, each fed the operations on its shard's keys;
//! [`simulate_one`] replays operations held in memory through a single
//! policy's instance, exactly as [`simulate`] would, for callers (a sweep)
//! that parallelise over runs instead of policies.

use crate::cluster::{KeySlots, ShardTable, SlotMap};
use crate::metrics::Metrics;
use crate::model::{AnyInstance, InstanceConfig, PolicyKind};
use crate::op::Op;
use crate::phase::PhaseRuns;
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

/// What a crash at the end of a run would lose for good, per class.
#[derive(Clone, Debug)]
pub struct CrashAtEnd {
    /// The persistence settings judged.
    pub persistence: crate::persistence::Persistence,
    /// The policy the instance ran.
    pub policy: PolicyKind,
    /// The moment (the run's end), in ms.
    pub t_ms: u64,
    /// Per class, on a process crash (`kill -9`).
    pub process: Vec<crate::crash::ClassLoss>,
    /// Per class, on a power loss.
    pub power: Vec<crate::crash::ClassLoss>,
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
    /// For a run on a Redis Cluster, the shards and what each did; `None`
    /// for one instance. In a cluster, `results` hold the whole cluster's
    /// counts, and every memory figure (`maxmemory_bytes`, peaks, timelines,
    /// `unbounded_*`) is per shard: the fullest shard's.
    pub cluster: Option<ClusterRun>,
    /// What a crash at the end of the run would lose under the scenario's
    /// persistence (filled in by `run`; `None` elsewhere).
    pub crash: Option<CrashAtEnd>,
    /// For a run at several start phases of the minute, what every policy
    /// counted at each ([`simulate_phases`]); `results` then hold phase 0's
    /// (the start as given). `None` for a run at one phase.
    pub phases: Option<PhaseRuns>,
    /// `Some` when the run was stopped before its end (an interrupt): how
    /// far it got. Every report then says so.
    pub partial: Option<Partial>,
}

/// What each shard of a cluster did.
#[derive(Clone, Debug)]
pub struct ClusterRun {
    /// Which shard owns which slots.
    pub slots: SlotMap,
    /// Per shard, what does not depend on the policy.
    pub shards: Vec<ShardStats>,
    /// Per policy (in the order of [`RunResult::results`]), per shard:
    /// everything that shard's instance counted.
    pub results: Vec<Vec<Metrics>>,
}

/// One shard's share of the stream, the same under every policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShardStats {
    /// Distinct keys with at least one operation on the shard.
    pub keys: u64,
    /// Operations on the shard's keys.
    pub ops: u64,
    /// Peak `used_memory` of the shard with no `maxmemory`.
    pub unbounded_peak_memory: u64,
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

/// What the simulation loop tells after every batch, and whether it goes on.
pub trait BatchWatch {
    /// Called after every batch with the operations done and the simulated
    /// time reached. If this returns false, the run stops there: no more
    /// operations are read, the clock is not advanced to the scenario's
    /// end, and the result holds what was done, with
    /// [`RunResult::partial`] saying how far it got.
    fn batch_done(&mut self, ops: u64, t_ms: u64) -> bool;
}

/// Any `FnMut(ops, t_ms)` watches a run without ever stopping it.
impl<F: FnMut(u64, u64)> BatchWatch for F {
    fn batch_done(&mut self, ops: u64, t_ms: u64) -> bool {
        self(ops, t_ms);
        true
    }
}

/// A watch that reports progress and stops the run once `stop` is set (by
/// a signal handler): one atomic load per batch, none per operation.
pub struct StopWhen<'a, F> {
    /// Called after every batch, as a plain progress closure is.
    pub progress: F,
    /// Set to stop at the end of the current batch.
    pub stop: &'a std::sync::atomic::AtomicBool,
}

impl<F: FnMut(u64, u64)> BatchWatch for StopWhen<'_, F> {
    fn batch_done(&mut self, ops: u64, t_ms: u64) -> bool {
        (self.progress)(ops, t_ms);
        !self.stop.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// How far a run that was stopped early got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partial {
    /// Operations applied before it stopped.
    pub ops: u64,
    /// Simulated time reached, in ms.
    pub simulated_ms: u64,
    /// Simulated time the whole run would have covered, in ms (0: unknown,
    /// as for a trace).
    pub planned_ms: u64,
    /// Why it stopped, for people (`"interrupted by SIGINT"`).
    pub reason: String,
}

impl Partial {
    /// The share of the planned simulated time reached, in percent, when
    /// the run had a planned length.
    fn percent_done(&self) -> Option<f64> {
        (self.planned_ms > 0).then(|| 100.0 * self.simulated_ms as f64 / self.planned_ms as f64)
    }

    /// The mark in a chart's subtitle: "PARTIAL RESULTS (interrupted by
    /// SIGINT at 41.2% of the planned time)".
    pub fn short_line(&self) -> String {
        let at = match self.percent_done() {
            Some(p) => format!(" at {p:.1}% of the planned time"),
            None => format!(" after {} operations", self.ops),
        };
        format!("PARTIAL RESULTS ({}{at})", self.reason)
    }

    /// One line saying the results are partial and how far they got.
    pub fn line(&self) -> String {
        let share = self.percent_done().map_or(String::new(), |p| {
            format!(" ({p:.1}% of the planned simulated time)")
        });
        format!(
            "PARTIAL RESULTS: {} after {} operations and {} ms of simulated time{share}; \
             every figure covers only that much",
            self.reason, self.ops, self.simulated_ms
        )
    }
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
    ops: impl Iterator<Item = Op> + Send,
    progress: impl BatchWatch,
) -> RunResult {
    simulate_phases(spec, &[0], ops, progress)
}

/// Replays `ops` as [`simulate`] does, with each policy at every start
/// phase: one instance per policy and offset of `offsets_ms` (added to the
/// spec's `start_unix_ms`), all fed the same batches. The result's
/// `results` hold the first offset's runs (give 0 first: the start as
/// given) and, with more than one offset, `phases` holds every run. The
/// instance with no `maxmemory` runs at the first offset. With `[0]` this
/// is exactly [`simulate`].
pub fn simulate_phases(
    spec: &RunSpec,
    offsets_ms: &[u64],
    ops: impl Iterator<Item = Op> + Send,
    mut progress: impl BatchWatch,
) -> RunResult {
    let offsets = if offsets_ms.is_empty() {
        &[0][..]
    } else {
        offsets_ms
    };
    let n = spec.classes.len();
    // Policy-major: instance i runs policy i / phases at offset i % phases.
    let mut instances: Vec<AnyInstance> = spec
        .policies
        .iter()
        .flat_map(|&p| {
            offsets
                .iter()
                .map(move |&o| AnyInstance::new(p, &phase_config(&spec.instance, o), n))
        })
        .collect();
    let unbounded_cfg = InstanceConfig {
        maxmemory: 0,
        ..phase_config(&spec.instance, offsets[0])
    };
    instances.push(AnyInstance::new(PolicyKind::NoEviction, &unbounded_cfg, n));
    let (mut count, mut last_t, mut stopped) = (0u64, 0u64, false);
    for_each_batch(ops, |batch| {
        // A capture's command names (`Cmd::Ran`) are not operations.
        count += batch
            .iter()
            .filter(|o| !matches!(o.cmd, crate::op::Cmd::Ran { .. }))
            .count() as u64;
        last_t = batch.last().map_or(last_t, |o| o.t_ms);
        instances.par_iter_mut().for_each(|i| i.apply_all(batch));
        stopped = !progress.batch_done(count, last_t);
        !stopped
    });
    let end = if stopped {
        last_t
    } else {
        end_ms(spec, last_t)
    };
    instances.par_iter_mut().for_each(|i| i.advance(end));
    let unbounded = instances.pop().expect("the unbounded instance was pushed");
    let mut runs: Vec<Vec<Metrics>> = Vec::with_capacity(spec.policies.len());
    let mut instances = instances.into_iter();
    for _ in &spec.policies {
        runs.push(
            instances
                .by_ref()
                .take(offsets.len())
                .map(AnyInstance::into_metrics)
                .collect(),
        );
    }
    let results = spec
        .policies
        .iter()
        .zip(&mut runs)
        .map(|(&policy, at)| PolicyRun {
            policy,
            metrics: if offsets.len() > 1 {
                at[0].clone()
            } else {
                at.pop().expect("one run per phase")
            },
        })
        .collect();
    RunResult {
        scenario: spec.scenario.clone(),
        seed: spec.seed,
        maxmemory_bytes: spec.instance.maxmemory,
        ops: count,
        simulated_ms: end,
        classes: spec.classes.clone(),
        unbounded_peak_memory: unbounded.metrics().peak_used_memory,
        unbounded_memory: memory_points(unbounded.metrics()),
        source: spec.source.clone(),
        instance: spec.instance.clone(),
        results,
        cluster: None,
        crash: None,
        phases: (offsets.len() > 1).then(|| PhaseRuns {
            offsets_ms: offsets.to_vec(),
            runs,
        }),
        partial: stopped.then(|| Partial {
            ops: count,
            simulated_ms: end,
            planned_ms: spec.duration_ms,
            reason: "stopped".into(),
        }),
    }
}

/// The settings of an instance at a start phase: the shared ones, with
/// `offset_ms` added to the start.
pub fn phase_config(cfg: &InstanceConfig, offset_ms: u64) -> InstanceConfig {
    InstanceConfig {
        start_unix_ms: cfg.start_unix_ms + offset_ms,
        ..cfg.clone()
    }
}

/// The used memory of a timeline as (ms, bytes) points.
fn memory_points(m: &Metrics) -> Vec<(u64, u64)> {
    let t = &m.timeline;
    t.used_memory
        .iter()
        .enumerate()
        .map(|(b, &m)| (b as u64 * t.step_ms, m))
        .collect()
}

/// The settings of one shard's instance: the shared ones, with the seed
/// varied per shard (shard 0 keeps it, so a one-shard cluster is the
/// instance itself).
fn shard_config(cfg: &InstanceConfig, shard: usize) -> InstanceConfig {
    InstanceConfig {
        seed: cfg
            .seed
            .wrapping_add((shard as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)),
        ..cfg.clone()
    }
}

/// Replays `ops` through a Redis Cluster of `slots.shards()` shards under
/// each policy: every shard is its own instance with the spec's settings
/// (`maxmemory` is per shard, as each node has its own), and each operation
/// goes to the shard owning its key's slot, found once per key (`ops` names
/// the slot the first time a key appears). Plus one instance per shard with
/// no `maxmemory`, for the memory each shard needs to lose nothing.
/// `progress` is called as in [`simulate`].
///
/// The policies' results are the cluster's (counters summed over the
/// shards; memory the fullest shard's) and [`RunResult::cluster`] holds
/// each shard's. A one-shard cluster gives exactly what [`simulate`] gives,
/// plus that.
pub fn simulate_cluster<S>(
    spec: &RunSpec,
    slots: &SlotMap,
    ops: S,
    progress: impl BatchWatch,
) -> RunResult
where
    S: Iterator<Item = Op> + KeySlots,
{
    simulate_cluster_phases(spec, slots, &[0], ops, progress)
}

/// Replays `ops` through a Redis Cluster as [`simulate_cluster`] does,
/// with each policy at every start phase of `offsets_ms` (as
/// [`simulate_phases`] does for one instance): the results and the
/// cluster's shards are the first offset's, and with more than one
/// offset, `phases` holds every phase's whole-cluster counts. With `[0]`
/// this is exactly [`simulate_cluster`].
pub fn simulate_cluster_phases<S>(
    spec: &RunSpec,
    slots: &SlotMap,
    offsets_ms: &[u64],
    mut ops: S,
    mut progress: impl BatchWatch,
) -> RunResult
where
    S: Iterator<Item = Op> + KeySlots,
{
    let offsets = if offsets_ms.is_empty() {
        &[0][..]
    } else {
        offsets_ms
    };
    let (n, shards) = (spec.classes.len(), slots.shards());
    let unbounded_cfg = InstanceConfig {
        maxmemory: 0,
        ..phase_config(&spec.instance, offsets[0])
    };
    // Policy-major, then phase: instance i runs shard i % shards; the
    // unbounded last.
    let configs: Vec<(PolicyKind, InstanceConfig)> = spec
        .policies
        .iter()
        .flat_map(|&p| {
            offsets
                .iter()
                .map(move |&o| (p, phase_config(&spec.instance, o)))
        })
        .chain(std::iter::once((PolicyKind::NoEviction, unbounded_cfg)))
        .collect();
    let mut instances: Vec<AnyInstance> = configs
        .iter()
        .flat_map(|(p, cfg)| {
            (0..shards).map(move |s| AnyInstance::new(*p, &shard_config(cfg, s), n))
        })
        .collect();
    let mut table = ShardTable::new(shards);
    let mut batches: Vec<Vec<Op>> = (0..shards).map(|_| Vec::new()).collect();
    let (mut count, mut last_t, mut stopped) = (0u64, 0u64, false);
    loop {
        for b in &mut batches {
            b.clear();
        }
        let mut taken = 0;
        while taken < BATCH {
            let Some(op) = ops.next() else { break };
            let shard = table.route(op.key, slots, &mut ops);
            batches[shard].push(op);
            last_t = op.t_ms;
            taken += 1;
        }
        if taken == 0 {
            break;
        }
        count += taken as u64;
        instances
            .par_iter_mut()
            .enumerate()
            .for_each(|(i, inst)| inst.apply_all(&batches[i % shards]));
        if !progress.batch_done(count, last_t) {
            stopped = true;
            break;
        }
    }
    let end = if stopped {
        last_t
    } else {
        spec.duration_ms.max(last_t)
    };
    instances.par_iter_mut().for_each(|i| i.advance(end));
    let unbounded: Vec<Metrics> = instances
        .split_off(instances.len() - shards)
        .into_iter()
        .map(AnyInstance::into_metrics)
        .collect();
    let whole = |shards: &[Metrics]| -> Metrics {
        let mut m = shards[0].clone();
        for s in &shards[1..] {
            m.absorb(s);
        }
        m
    };
    // Per policy: phase 0's shards, and every phase's whole cluster.
    let mut per_policy: Vec<Vec<Metrics>> = Vec::with_capacity(spec.policies.len());
    let mut phase_runs: Vec<Vec<Metrics>> = Vec::with_capacity(spec.policies.len());
    let mut instances = instances.into_iter();
    for _ in &spec.policies {
        let mut at_phases = Vec::with_capacity(offsets.len());
        let mut first = None;
        for _ in offsets {
            let shard_metrics: Vec<Metrics> = instances
                .by_ref()
                .take(shards)
                .map(AnyInstance::into_metrics)
                .collect();
            if offsets.len() > 1 {
                at_phases.push(whole(&shard_metrics));
            }
            first.get_or_insert(shard_metrics);
        }
        per_policy.push(first.expect("at least one phase"));
        phase_runs.push(at_phases);
    }
    let unbounded_whole = whole(&unbounded);
    RunResult {
        scenario: spec.scenario.clone(),
        seed: spec.seed,
        maxmemory_bytes: spec.instance.maxmemory,
        ops: count,
        simulated_ms: end,
        classes: spec.classes.clone(),
        unbounded_peak_memory: unbounded_whole.peak_used_memory,
        unbounded_memory: memory_points(&unbounded_whole),
        crash: None,
        source: spec.source.clone(),
        instance: spec.instance.clone(),
        results: spec
            .policies
            .iter()
            .zip(&per_policy)
            .map(|(&policy, shards)| PolicyRun {
                policy,
                metrics: whole(shards),
            })
            .collect(),
        cluster: Some(ClusterRun {
            slots: slots.clone(),
            shards: (0..shards)
                .map(|s| ShardStats {
                    keys: table.keys()[s],
                    ops: table.ops()[s],
                    unbounded_peak_memory: unbounded[s].peak_used_memory,
                })
                .collect(),
            results: per_policy,
        }),
        phases: (offsets.len() > 1).then(|| PhaseRuns {
            offsets_ms: offsets.to_vec(),
            runs: phase_runs,
        }),
        partial: stopped.then(|| Partial {
            ops: count,
            simulated_ms: end,
            planned_ms: spec.duration_ms,
            reason: "stopped".into(),
        }),
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

/// An operation stream split among a Redis Cluster's shards, each key
/// routed to the shard owning its slot as [`simulate_cluster`] routes it:
/// what a sweep keeps in memory to run a cluster at many sizes.
#[derive(Clone, Debug, Default)]
pub struct ShardedOps {
    /// Each shard's operations, in stream order.
    pub per_shard: Vec<Vec<Op>>,
    /// Operations in the whole stream.
    pub ops: u64,
    /// The time of the stream's last operation, in ms.
    pub last_t: u64,
}

impl ShardedOps {
    /// Routes `ops` to the shards of `slots`.
    pub fn route<S>(mut ops: S, slots: &SlotMap) -> ShardedOps
    where
        S: Iterator<Item = Op> + KeySlots,
    {
        let mut table = ShardTable::new(slots.shards());
        let mut out = ShardedOps {
            per_shard: (0..slots.shards()).map(|_| Vec::new()).collect(),
            ops: 0,
            last_t: 0,
        };
        while let Some(op) = ops.next() {
            if matches!(op.cmd, crate::op::Cmd::Ran { .. }) {
                // A capture's command name: each shard counts the
                // histograms of the model commands it runs instead.
                continue;
            }
            let shard = table.route(op.key, slots, &mut ops);
            out.per_shard[shard].push(op);
            out.ops += 1;
            out.last_t = op.t_ms;
        }
        out
    }
}

/// Runs `policy` on every shard of `ops` (each shard its own instance with
/// the spec's settings, `maxmemory` per shard): the result equals that
/// policy's entry in [`simulate_cluster`]'s (counters summed over the
/// shards, memory the fullest shard's).
pub fn simulate_one_sharded(spec: &RunSpec, policy: PolicyKind, ops: &ShardedOps) -> PolicyRun {
    let end = end_ms(spec, ops.last_t);
    let mut whole: Option<Metrics> = None;
    for (s, shard_ops) in ops.per_shard.iter().enumerate() {
        let mut instance =
            AnyInstance::new(policy, &shard_config(&spec.instance, s), spec.classes.len());
        for batch in shard_ops.chunks(BATCH) {
            instance.apply_all(batch);
        }
        instance.advance(end);
        let m = instance.into_metrics();
        match whole.as_mut() {
            Some(w) => w.absorb(&m),
            None => whole = Some(m),
        }
    }
    PolicyRun {
        policy,
        metrics: whole.unwrap_or_else(|| {
            AnyInstance::new(policy, &spec.instance, spec.classes.len()).into_metrics()
        }),
    }
}

/// Batches of [`BATCH`] operations of `ops`, in order, handed to `apply`
/// until it returns false.
/// The operations are read (a trace parsed, a workload generated) on a
/// thread of their own, up to two batches ahead of `apply`, so reading
/// overlaps the model's work instead of alternating with it. The batches'
/// buffers go back to the reader: nothing is allocated per batch once
/// three exist. The batches are the same as a plain loop would make.
fn for_each_batch(ops: impl Iterator<Item = Op> + Send, mut apply: impl FnMut(&[Op]) -> bool) {
    use std::sync::mpsc::{channel, sync_channel};
    let (full_tx, full_rx) = sync_channel::<Vec<Op>>(2);
    let (empty_tx, empty_rx) = channel::<Vec<Op>>();
    std::thread::scope(|s| {
        s.spawn(move || {
            let mut ops = ops;
            loop {
                let mut batch = empty_rx
                    .try_recv()
                    .unwrap_or_else(|_| Vec::with_capacity(BATCH));
                batch.clear();
                batch.extend(ops.by_ref().take(BATCH));
                // An empty batch ends the stream; a closed channel means the
                // model stopped (it panicked): stop reading either way.
                if batch.is_empty() || full_tx.send(batch).is_err() {
                    break;
                }
            }
        });
        for batch in full_rx {
            if !apply(&batch) {
                // Stopped: the receiver goes, and the reader stops at its
                // next batch.
                break;
            }
            // The reader may have finished: then the buffer is just dropped.
            let _ = empty_tx.send(batch);
        }
    });
}

/// Where a run's clock stops: the spec's duration, or the last operation if
/// the stream runs longer.
fn end_ms(spec: &RunSpec, last_t: u64) -> u64 {
    spec.duration_ms.max(last_t)
}
