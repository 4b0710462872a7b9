//! Capacity planning: one workload replayed at many `maxmemory` sizes under
//! each policy and several seeds, to see how losses, refused writes and the
//! hit ratio change with memory, and (with a resolution) to find per policy
//! the smallest size at which nothing critical is lost.
//!
//! Every (size, policy, seed) point is one run of [`sim::simulate_one`]
//! (on a Redis Cluster, [`sim::simulate_one_sharded`], each size being per
//! shard),
//! and the points run in parallel across cores: a point is byte for byte
//! what `evictsim run SCENARIO --maxmemory SIZE --seed S -p POLICY` (or
//! `replay`) counts for that policy. The operations of one seed are
//! generated once and shared by all of its points, and only one seed's are
//! held at a time (a scenario's `seed` changes its workload); a trace's
//! operations are the same for every seed (the seed only seeds the
//! instance) and are given here already in memory.
//!
//! With several start phases of the minute (`phases`), every point also
//! runs at each phase, its clock started `k * 60 / N` s later, as `run
//! --phases N` does: LFU decays on the wall clock's minutes, so a short
//! run's losses depend on where in the minute it starts.
//!
//! A point is *safe* when no key of a critical class was evicted while live
//! and no write to a critical class was refused with `-OOM`; a size is safe
//! for a policy when its point is safe under every seed and every phase. How the smallest
//! safe size is searched for, and what that search assumes, is in `safe`.

mod grid;
mod safe;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rayon::prelude::*;

use crate::cluster::SlotMap;
use crate::metrics::Counters;
use crate::model::{InstanceConfig, PolicyKind};
use crate::op::Op;
use crate::provenance::Provenance;
use crate::sim::{self, ClassInfo, PolicyRun, RunSpec, ShardedOps};
use crate::source::{Scenario, Workload};

pub use grid::{GridError, SizeGrid, SizeRange, Spacing, MAX_SIZES};
pub use safe::{BelowCheck, FindSafe, SafeSize};

/// Where a sweep's operations come from.
#[derive(Clone, Copy, Debug)]
pub enum SweepSource<'a> {
    /// A scenario: each seed generates its own workload and seeds its
    /// instance, as `run --seed` does.
    Scenario(&'a Scenario),
    /// Operations already in memory (a trace read once): every seed
    /// replays the same operations; the seed only seeds the instance.
    Ops(&'a [Op]),
    /// A trace read once and routed to the shards of a Redis Cluster:
    /// every size is per shard, as `maxmemory` is on each node.
    Sharded(&'a ShardedOps, &'a SlotMap),
}

impl SweepSource<'_> {
    /// The cluster the sweep runs on, if any.
    fn cluster(&self) -> Option<&SlotMap> {
        match self {
            SweepSource::Scenario(sc) => sc.cluster.as_ref(),
            SweepSource::Ops(_) => None,
            SweepSource::Sharded(_, slots) => Some(slots),
        }
    }
}

/// What to sweep besides the workload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SweepPlan {
    /// The sizes.
    pub grid: SizeGrid,
    /// How many seeds: the base seed (the run spec's) and the ones after it.
    pub seeds: u32,
    /// Search, per policy, the smallest safe size to this resolution in
    /// bytes (`None`: only the grid).
    pub find_safe: Option<u64>,
    /// How many start phases of the minute each point runs at (1: the
    /// start as given only); a size is safe only if safe at every one.
    pub phases: u32,
}

/// One seed's run of the workload, the same at every point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeedRun {
    /// The seed.
    pub seed: u64,
    /// Operations replayed.
    pub ops: u64,
    /// Simulated time covered, in ms.
    pub simulated_ms: u64,
    /// Peak `used_memory` with no `maxmemory`. Not quite a safe size: the
    /// limit is checked counting each command's own arguments too, so a
    /// policy may still evict a little above it.
    pub unbounded_peak_memory: u64,
}

/// What one policy did at one size under one seed: the counters `run`
/// reports for it, summed over classes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SweepPoint {
    /// `maxmemory` in bytes.
    pub maxmemory_bytes: u64,
    /// The policy.
    pub policy: PolicyKind,
    /// The seed.
    pub seed: u64,
    /// The start phase: ms added to the clock start (0 without phases).
    pub phase_ms: u64,
    /// The counters summed over all classes.
    pub totals: Counters,
    /// The counters summed over the critical classes.
    pub critical_totals: Counters,
    /// The counters summed over the other (cache) classes.
    pub cache_totals: Counters,
    /// Highest `used_memory` the instance reached.
    pub peak_used_memory: u64,
}

impl SweepPoint {
    /// The point of a finished run of `policy`.
    fn new(
        maxmemory_bytes: u64,
        (seed, phase_ms): (u64, u64),
        classes: &[ClassInfo],
        run: &PolicyRun,
    ) -> Self {
        let (mut critical, mut cache) = (Counters::default(), Counters::default());
        for (info, class) in classes.iter().zip(&run.metrics.classes) {
            let side = if info.critical {
                &mut critical
            } else {
                &mut cache
            };
            side.add(&class.counters);
        }
        SweepPoint {
            maxmemory_bytes,
            policy: run.policy,
            seed,
            phase_ms,
            totals: run.metrics.totals(),
            critical_totals: critical,
            cache_totals: cache,
            peak_used_memory: run.metrics.peak_used_memory,
        }
    }

    /// Whether no critical key was evicted while live and no write to a
    /// critical class was refused.
    pub fn is_safe(&self) -> bool {
        self.critical_totals.evicted_live() == 0 && self.critical_totals.oom_rejected == 0
    }
}

/// The outcome of a sweep.
#[derive(Clone, Debug)]
pub struct SweepResult {
    /// The scenario's or trace's name.
    pub scenario: String,
    /// Where the operations came from.
    pub source: Provenance,
    /// The instance settings every point shares (its `maxmemory` and
    /// `seed` are the point's).
    pub instance: InstanceConfig,
    /// The key classes.
    pub classes: Vec<ClassInfo>,
    /// The policies, in report order.
    pub policies: Vec<PolicyKind>,
    /// The sizes asked for.
    pub grid: SizeGrid,
    /// The sizes visited, ascending.
    pub sizes: Vec<u64>,
    /// One entry per seed, in seed order.
    pub runs: Vec<SeedRun>,
    /// The start phases every point ran at: ms added to the clock start,
    /// `[0]` without phases.
    pub phase_offsets_ms: Vec<u64>,
    /// Every (size, policy, seed, phase) point of the grid: by size, then
    /// policy in report order, then seed, then phase.
    pub points: Vec<SweepPoint>,
    /// The smallest safe size per policy, when asked for.
    pub find_safe: Option<FindSafe>,
    /// The Redis Cluster every point ran on (each size is then per shard),
    /// or `None` for one instance.
    pub cluster: Option<SlotMap>,
}

impl SweepResult {
    /// The seeds, in order.
    pub fn seeds(&self) -> Vec<u64> {
        self.runs.iter().map(|r| r.seed).collect()
    }

    /// The grid's points of one size and policy, one per seed.
    pub fn points_at(&self, size: u64, policy: PolicyKind) -> impl Iterator<Item = &SweepPoint> {
        self.points
            .iter()
            .filter(move |p| p.maxmemory_bytes == size && p.policy == policy)
    }
}

/// Runs the sweep: every size of `plan` under every policy of `base` and
/// every seed, then the search for the smallest safe sizes if asked.
/// `base` gives the name, classes, instance settings (its `maxmemory` is
/// replaced by each size), duration, provenance and base seed. `progress`
/// is called from worker threads with the points done and the points
/// planned so far (the search plans more as it goes).
pub fn sweep(
    base: &RunSpec,
    source: SweepSource<'_>,
    plan: &SweepPlan,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> SweepResult {
    let seeds: Vec<u64> = (0..u64::from(plan.seeds.max(1)))
        .map(|i| base.seed.wrapping_add(i))
        .collect();
    let sizes = plan.grid.sizes();
    let offsets = crate::phase::offsets_ms(plan.phases);
    let mut runner = Runner::new(base, source, seeds.clone(), offsets.clone(), progress);

    // The grid, plus one run per seed with no maxmemory (size 0).
    let mut jobs: Vec<Job> = Vec::with_capacity(sizes.len() * base.policies.len() + 1);
    for &size in &sizes {
        for &policy in &base.policies {
            jobs.push(Job { policy, size });
        }
    }
    jobs.push(Job {
        policy: PolicyKind::NoEviction,
        size: 0,
    });
    let (mut outcomes, shapes) = runner.evaluate(&jobs, false);
    let unbounded = outcomes.pop().expect("the unbounded job was pushed");
    // With no maxmemory nothing is evicted: phase 0's peak is every phase's.
    let unbounded: Vec<&SweepPoint> = unbounded.iter().filter(|p| p.phase_ms == 0).collect();
    let runs = seeds
        .iter()
        .zip(&shapes)
        .zip(unbounded)
        .map(|((&seed, &(ops, simulated_ms)), p)| SeedRun {
            seed,
            ops,
            simulated_ms,
            unbounded_peak_memory: p.peak_used_memory,
        })
        .collect();
    let mut points = Vec::with_capacity(jobs.len() * seeds.len());
    let mut judged = HashMap::new();
    for (job, pts) in jobs.iter().zip(outcomes) {
        judged.insert(*job, Judgement::of(&pts));
        points.extend(pts);
    }

    let find_safe = plan.find_safe.map(|resolution| {
        safe::search(
            &mut |jobs: &[Job]| runner.evaluate(jobs, true).0,
            &base.policies,
            &sizes,
            resolution,
            &mut judged,
        )
    });
    SweepResult {
        scenario: base.scenario.clone(),
        source: base.source.clone(),
        instance: base.instance.clone(),
        classes: base.classes.clone(),
        policies: base.policies.clone(),
        grid: plan.grid,
        sizes,
        runs,
        phase_offsets_ms: offsets,
        points,
        find_safe,
        cluster: source.cluster().cloned(),
    }
}

/// One policy at one size (0: no `maxmemory`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Job {
    policy: PolicyKind,
    size: u64,
}

/// What is known of one job: the points run, in (seed, phase) order, up
/// to the first unsafe seed when the search stopped there.
#[derive(Clone, Debug)]
struct Judgement {
    safe: bool,
    points: Vec<SweepPoint>,
}

impl Judgement {
    fn of(points: &[SweepPoint]) -> Judgement {
        Judgement {
            safe: points.iter().all(SweepPoint::is_safe),
            points: points.to_vec(),
        }
    }

    /// The first point that is not safe.
    fn first_unsafe(&self) -> Option<&SweepPoint> {
        self.points.iter().find(|p| !p.is_safe())
    }
}

/// Runs jobs under every seed, one seed's operations in memory at a time.
struct Runner<'a> {
    base: &'a RunSpec,
    source: SweepSource<'a>,
    seeds: Vec<u64>,
    /// The start phases: ms added to the clock start.
    offsets: Vec<u64>,
    /// The last seed's generated operations (a scenario's), kept for the
    /// next round when it starts with that seed.
    cached: Option<(u64, Arc<Generated>)>,
    done: AtomicU64,
    planned: AtomicU64,
    progress: &'a (dyn Fn(u64, u64) + Sync),
}

impl<'a> Runner<'a> {
    fn new(
        base: &'a RunSpec,
        source: SweepSource<'a>,
        seeds: Vec<u64>,
        offsets: Vec<u64>,
        progress: &'a (dyn Fn(u64, u64) + Sync),
    ) -> Self {
        Runner {
            base,
            source,
            seeds,
            offsets,
            cached: None,
            done: AtomicU64::new(0),
            planned: AtomicU64::new(0),
            progress,
        }
    }

    /// Runs every job under every seed and phase, seed by seed, the jobs
    /// and phases of a seed in parallel; with `stop_at_unsafe`, a job
    /// unsafe under one seed (at any phase) is not run under the next.
    /// Returns per job its points in (seed, phase) order, and per seed its
    /// operation count and end of simulated time.
    fn evaluate(
        &mut self,
        jobs: &[Job],
        stop_at_unsafe: bool,
    ) -> (Vec<Vec<SweepPoint>>, Vec<(u64, u64)>) {
        let n = self.seeds.len();
        let phases = self.offsets.len();
        let planned = self
            .planned
            .fetch_add((jobs.len() * n * phases) as u64, Ordering::Relaxed)
            + (jobs.len() * n * phases) as u64;
        (self.progress)(self.done.load(Ordering::Relaxed), planned);
        let mut by_seed: Vec<Option<Vec<Vec<SweepPoint>>>> = vec![None; n];
        let mut shapes = vec![(0, 0); n];
        let mut unsafe_seen = vec![false; jobs.len()];
        // Start with the seed whose operations are still in memory.
        let first = self
            .cached
            .as_ref()
            .and_then(|(s, _)| self.seeds.iter().position(|x| x == s))
            .unwrap_or(0);
        for k in (0..n).map(|i| (first + i) % n) {
            let seed = self.seeds[k];
            let todo: Vec<(usize, u64)> = (0..jobs.len())
                .filter(|&j| !(stop_at_unsafe && unsafe_seen[j]))
                .flat_map(|j| self.offsets.iter().map(move |&o| (j, o)))
                .collect();
            let skipped = (jobs.len() * phases - todo.len()) as u64;
            self.done.fetch_add(skipped, Ordering::Relaxed);
            let held = self.ops(seed);
            let ops = held.view();
            shapes[k] = self.shape(ops);
            let this = &*self;
            let results: Vec<(usize, SweepPoint)> = todo
                .par_iter()
                .map(|&(j, phase_ms)| {
                    let point = this.run(jobs[j], (seed, phase_ms), ops);
                    let done = this.done.fetch_add(1, Ordering::Relaxed) + 1;
                    (this.progress)(done, this.planned.load(Ordering::Relaxed));
                    (j, point)
                })
                .collect();
            // In job order, each job's phases in order (`todo`'s order).
            let mut column = vec![Vec::new(); jobs.len()];
            for (j, p) in results {
                unsafe_seen[j] |= !p.is_safe();
                column[j].push(p);
            }
            by_seed[k] = Some(column);
        }
        let mut out = vec![Vec::with_capacity(n * phases); jobs.len()];
        for column in by_seed.into_iter().flatten() {
            for (j, p) in column.into_iter().enumerate() {
                out[j].extend(p);
            }
        }
        (out, shapes)
    }

    /// One job under one seed, at one start phase.
    fn run(&self, job: Job, (seed, phase_ms): (u64, u64), ops: OpsView<'_>) -> SweepPoint {
        let spec = self.spec(seed, job.size, phase_ms);
        let run = match ops {
            OpsView::Flat(ops) => sim::simulate_one(&spec, job.policy, ops),
            OpsView::Sharded(ops) => sim::simulate_one_sharded(&spec, job.policy, ops),
        };
        SweepPoint::new(job.size, (seed, phase_ms), &self.base.classes, &run)
    }

    /// The run spec of one point: the base with the point's seed (the
    /// instance's too, as `run --seed` sets both), size and start phase.
    fn spec(&self, seed: u64, maxmemory: u64, phase_ms: u64) -> RunSpec {
        let base = &self.base.instance;
        RunSpec {
            seed,
            instance: InstanceConfig {
                maxmemory,
                seed,
                start_unix_ms: base.start_unix_ms + phase_ms,
                ..base.clone()
            },
            ..self.base.clone()
        }
    }

    /// A seed's operation count, and where every point of it stops its
    /// clock.
    fn shape(&self, ops: OpsView<'_>) -> (u64, u64) {
        let (count, last_t) = match ops {
            OpsView::Flat(ops) => (ops.len() as u64, ops.last().map_or(0, |o| o.t_ms)),
            OpsView::Sharded(ops) => (ops.ops, ops.last_t),
        };
        (count, self.base.duration_ms.max(last_t))
    }

    /// The operations of `seed`: a scenario's are generated unless still in
    /// memory (the previous seed's are dropped first).
    fn ops(&mut self, seed: u64) -> HeldOps<'a> {
        let sc = match self.source {
            SweepSource::Ops(ops) => return HeldOps::Given(OpsView::Flat(ops)),
            SweepSource::Sharded(ops, _) => return HeldOps::Given(OpsView::Sharded(ops)),
            SweepSource::Scenario(sc) => sc,
        };
        if let Some((s, ops)) = &self.cached {
            if *s == seed {
                return HeldOps::Generated(Arc::clone(ops));
            }
        }
        self.cached = None;
        let seeded = Scenario {
            seed,
            instance: InstanceConfig {
                seed,
                ..sc.instance.clone()
            },
            ..sc.clone()
        };
        let workload = Workload::new(&seeded);
        let ops = Arc::new(match &sc.cluster {
            Some(slots) => Generated::Sharded(ShardedOps::route(workload, slots)),
            None => Generated::Flat(workload.collect()),
        });
        self.cached = Some((seed, Arc::clone(&ops)));
        HeldOps::Generated(ops)
    }
}

/// One seed's operations, as the points read them.
#[derive(Clone, Copy)]
enum OpsView<'o> {
    /// For one instance.
    Flat(&'o [Op]),
    /// Routed to a cluster's shards.
    Sharded(&'o ShardedOps),
}

/// A scenario's operations generated for one seed.
enum Generated {
    Flat(Vec<Op>),
    Sharded(ShardedOps),
}

/// One seed's operations while its points run.
enum HeldOps<'a> {
    /// Given by the caller (a trace), the same for every seed.
    Given(OpsView<'a>),
    /// Generated from the scenario for this seed.
    Generated(Arc<Generated>),
}

impl HeldOps<'_> {
    fn view(&self) -> OpsView<'_> {
        match self {
            HeldOps::Given(ops) => *ops,
            HeldOps::Generated(g) => match &**g {
                Generated::Flat(ops) => OpsView::Flat(ops),
                Generated::Sharded(ops) => OpsView::Sharded(ops),
            },
        }
    }
}
