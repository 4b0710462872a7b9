//! What an upgrade changes: one scenario's workload on several servers
//! (Redis 7.0, Redis 8.2, Valkey 8.1, Valkey 9.1), side by side. For each
//! server: the memory the workload needs to lose nothing (its `used_memory`
//! peak with no limit), what each policy loses at the scenario's own
//! `maxmemory`, and each policy's smallest safe `maxmemory` (the sweep's
//! `--find-safe` search). Every number is a run of the same seeded
//! workload; only the server's layout, tables and sampling change.

use crate::model::{Layout, PolicyKind};
use crate::sim::{ClassInfo, RunSpec};
use crate::source::Scenario;
use crate::sweep::{
    self, FindSafe, GridError, SizeGrid, SizeRange, Spacing, SweepPlan, SweepPoint, SweepSource,
};

/// Sizes of the grid each server's search starts from.
const GRID_STEPS: u32 = 8;

/// The comparison asked for.
#[derive(Clone, Debug)]
pub struct ComparePlan {
    /// The servers, the first the one the others are measured against.
    pub servers: Vec<Layout>,
    /// How fine the smallest safe sizes are searched, in bytes.
    pub resolution: u64,
}

/// One server's results.
#[derive(Clone, Debug)]
pub struct ServerRun {
    /// The server and allocator.
    pub layout: Layout,
    /// Peak `used_memory` with no `maxmemory`: the memory to lose nothing.
    pub unbounded_peak_memory: u64,
    /// Each policy at the scenario's `maxmemory`, in report order.
    pub at_maxmemory: Vec<SweepPoint>,
    /// Each policy's smallest safe `maxmemory`.
    pub safe: FindSafe,
}

/// The workload on every server.
#[derive(Clone, Debug)]
pub struct ServerComparison {
    /// The scenario's name.
    pub scenario: String,
    /// The scenario's seed.
    pub seed: u64,
    /// The scenario's `maxmemory`.
    pub maxmemory: u64,
    /// The policies compared (those every server has), in report order.
    pub policies: Vec<PolicyKind>,
    /// The key classes.
    pub classes: Vec<ClassInfo>,
    /// One entry per server, in the order asked.
    pub servers: Vec<ServerRun>,
    /// The resolution of the safe-size search, in bytes.
    pub resolution: u64,
}

impl ServerComparison {
    /// The sentence a planner takes to a meeting for server `i` against
    /// the first: `on Valkey 9.1 this workload needs 20.3 MiB less to lose
    /// nothing (127.6 MiB against Redis 7.0's 147.9 MiB)`.
    pub fn sentence(&self, i: usize) -> Option<String> {
        let base = self.servers.first()?;
        let s = self.servers.get(i)?;
        let (a, b) = (s.unbounded_peak_memory, base.unbounded_peak_memory);
        let mib = |x: u64| x as f64 / 1_048_576.0;
        let diff = mib(a.abs_diff(b));
        let more_less = if a <= b { "less" } else { "more" };
        Some(format!(
            "on {} this workload needs {diff:.1} MiB {more_less} to lose nothing ({:.1} MiB against {}'s {:.1} MiB)",
            s.layout.server.label(),
            mib(a),
            base.layout.server.label(),
            mib(b),
        ))
    }
}

/// Runs `sc` (as `base` describes it: name, seed, classes, instance,
/// duration, policies) on every server of `plan`. The policies are
/// `base`'s that every server has, reference policies left out.
/// `progress` gets the points done and planned of the current server.
pub fn compare_servers(
    sc: &Scenario,
    base: &RunSpec,
    plan: &ComparePlan,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<ServerComparison, GridError> {
    let policies: Vec<PolicyKind> = base
        .policies
        .iter()
        .copied()
        .filter(|p| !p.is_reference() && plan.servers.iter().all(|l| l.server.has_policy(*p)))
        .collect();
    let maxmemory = base.instance.maxmemory;
    let res = plan.resolution.max(1);
    let mut servers = Vec::with_capacity(plan.servers.len());
    for &layout in &plan.servers {
        let mut spec = base.clone();
        spec.instance.set_server(layout.server);
        spec.instance.allocator = layout.allocator;
        spec.policies = policies.clone();
        // At the scenario's own maxmemory, and the peak with no limit.
        let at = SweepPlan {
            grid: SizeGrid::new(
                SizeRange::new(maxmemory.max(1), maxmemory.max(1))?,
                Spacing::Steps(1),
            )?,
            seeds: 1,
            phases: 1,
            find_safe: None,
        };
        let here = sweep::sweep(&spec, SweepSource::Scenario(sc), &at, progress);
        let peak = here.runs.first().map_or(0, |r| r.unbounded_peak_memory);
        // The search, over a range that ends safely above that peak.
        let top = (peak + peak / 8).div_ceil(res) * res;
        let from = res.min(top);
        let search = SweepPlan {
            grid: SizeGrid::new(
                SizeRange::new(from, top.max(from))?,
                Spacing::Steps(GRID_STEPS),
            )?,
            seeds: 1,
            phases: 1,
            find_safe: Some(res),
        };
        let swept = sweep::sweep(&spec, SweepSource::Scenario(sc), &search, progress);
        servers.push(ServerRun {
            layout,
            unbounded_peak_memory: peak,
            at_maxmemory: here.points,
            safe: swept.find_safe.expect("asked for"),
        });
    }
    Ok(ServerComparison {
        scenario: base.scenario.clone(),
        seed: base.seed,
        maxmemory,
        policies,
        classes: base.classes.clone(),
        servers,
        resolution: res,
    })
}
