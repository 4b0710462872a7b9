//! Runs one stream of operations through one simulated instance per policy
//! and gathers what each counted.

use crate::metrics::Metrics;
use crate::model::PolicyKind;

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
}
