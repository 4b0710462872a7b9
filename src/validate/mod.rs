//! The model checked against the real thing: replay a scenario into a real
//! redis-server under each policy and put what the server did beside what
//! the model says, within stated tolerances ([`validate_policy`]); and
//! compare the memory formula with the server's `used_memory` per key
//! ([`calibrate()`]).
//!
//! Each policy gets a fresh server (or the one given by URL, flushed and
//! reconfigured). The replay measures the server's `used_memory` with its
//! own connections open and gives that to the model as its baseline, since
//! client structures and buffers count in Redis's memory. The model then
//! runs the identical (time-scaled) op stream.

pub mod calibrate;
pub mod compare;
mod events;
pub mod order;
pub mod replay;
mod report;
mod resp;
pub mod scale;
pub mod server;

pub use calibrate::{calibrate, Calibration, CalibrationRow, Cell, CellValue};
pub use compare::Check;
pub use replay::{MemorySample, Pace, RealRun, ServerReport};
pub use report::{ValidationJson, ValidationTable};
pub use server::{ServerError, Target};

use crate::metrics::Metrics;
use crate::model::AnyInstance;
use crate::model::{MemoryModel, PolicyKind};
use crate::op::Op;
use crate::sim::ClassInfo;
use crate::source::{Scenario, Workload};
use scale::{scale_ms, scale_op};
use std::collections::HashSet;

/// Why a validation could not run.
#[derive(Debug, thiserror::Error)]
pub enum ValidateError {
    /// The server could not be started, reached or driven.
    #[error(transparent)]
    Server(#[from] ServerError),
    /// The policy does not exist in Redis 7.0.
    #[error("{policy} cannot be validated: {why}; Redis 7.0 has noeviction, allkeys-lru, allkeys-lfu, allkeys-random, volatile-lru, volatile-lfu, volatile-random and volatile-ttl")]
    UnsupportedPolicy {
        /// The policy.
        policy: PolicyKind,
        /// Why not.
        why: &'static str,
    },
    /// The speed is not a positive finite number.
    #[error("speed must be a positive number (got {0})")]
    BadSpeed(f64),
}

/// Why `policy` has no Redis 7.0 counterpart, if it has none.
pub fn not_in_redis7(policy: PolicyKind) -> Option<&'static str> {
    match policy {
        PolicyKind::AllKeysLrm | PolicyKind::VolatileLrm => {
            Some("it arrives in Redis 8.6 and redis-server 7.0 refuses it")
        }
        PolicyKind::ExactLru => Some("it is evictsim's reference, not a Redis policy"),
        _ => None,
    }
}

/// What to validate, and against which server.
#[derive(Clone, Debug)]
pub struct ValidateOptions {
    /// The scenario (with any overrides applied).
    pub scenario: Scenario,
    /// The policies, in report order; each must exist in Redis 7.0.
    pub policies: Vec<PolicyKind>,
    /// Where the real server comes from.
    pub target: Target,
    /// How many times faster than the scenario's clock to replay (1: real
    /// time).
    pub speed: f64,
}

impl ValidateOptions {
    /// Checks the policies and the speed before any server is started.
    pub fn check(&self) -> Result<(), ValidateError> {
        if !(self.speed.is_finite() && self.speed > 0.0) {
            return Err(ValidateError::BadSpeed(self.speed));
        }
        for &p in &self.policies {
            if let Some(why) = not_in_redis7(p) {
                return Err(ValidateError::UnsupportedPolicy { policy: p, why });
            }
        }
        Ok(())
    }

    /// Real time one policy's replay takes, in ms.
    pub fn real_duration_ms(&self) -> u64 {
        scale_ms(self.scenario.duration_ms, self.speed)
    }
}

/// One policy, real and simulated.
#[derive(Clone, Debug)]
pub struct PolicyValidation {
    /// The policy.
    pub policy: PolicyKind,
    /// The server that ran it.
    pub server: String,
    /// What the real server did.
    pub real: RealRun,
    /// What the model counted on the same stream.
    pub simulated: Metrics,
    /// The model's `used_memory` when the server's was sampled: (ms, bytes).
    pub simulated_used_memory: Vec<(u64, u64)>,
    /// Keys and keys with a TTL the model held at the end.
    pub simulated_keys: (u64, u64),
    /// The figures compared, with their verdicts.
    pub checks: Vec<Check>,
}

impl PolicyValidation {
    /// Whether every check agrees.
    pub fn ok(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }
}

/// A whole validation: what was run, and one entry per policy.
#[derive(Clone, Debug)]
pub struct Validation {
    /// The scenario's name.
    pub scenario: String,
    /// The workload seed.
    pub seed: u64,
    /// The replay speed.
    pub speed: f64,
    /// `maxmemory` in bytes.
    pub maxmemory_bytes: u64,
    /// Simulated time of the scenario, in ms (before scaling).
    pub scenario_ms: u64,
    /// Real time of each replay, in ms.
    pub real_ms: u64,
    /// The key classes.
    pub classes: Vec<ClassInfo>,
    /// What the run distorts or leaves out, one sentence each.
    pub notes: Vec<String>,
    /// One entry per policy validated so far.
    pub policies: Vec<PolicyValidation>,
}

impl Validation {
    /// An empty validation of `opts`, with its notes.
    pub fn new(opts: &ValidateOptions) -> Validation {
        let sc = &opts.scenario;
        let mut notes = scale::distortions(opts.speed, sc.instance.hz, sc.instance.lfu_decay_time);
        if sc.instance.memory_model != MemoryModel::Redis {
            notes.push(
                "the scenario's raw memory model is replaced by Redis's, as the real server counts memory"
                    .to_string(),
            );
        }
        Validation {
            scenario: sc.name.clone(),
            seed: sc.seed,
            speed: opts.speed,
            maxmemory_bytes: sc.instance.maxmemory,
            scenario_ms: sc.duration_ms,
            real_ms: opts.real_duration_ms(),
            classes: sc.class_infos(),
            notes,
            policies: Vec::new(),
        }
    }

    /// Whether every policy validated so far agrees.
    pub fn ok(&self) -> bool {
        self.policies.iter().all(PolicyValidation::ok)
    }
}

/// Replays the scenario into a real server under `policy`, then runs the
/// model on the same stream with the server's measured baseline, and
/// compares.
pub fn validate_policy(
    opts: &ValidateOptions,
    policy: PolicyKind,
) -> Result<PolicyValidation, ValidateError> {
    opts.check()?;
    if let Some(why) = not_in_redis7(policy) {
        return Err(ValidateError::UnsupportedPolicy { policy, why });
    }
    let sc = &opts.scenario;
    let settings = server::ServerSettings::for_instance(&sc.instance, policy);
    let session = server::open(&opts.target, &settings)?;
    let real = replay::replay(&session, sc, opts.speed)?;
    let server = session.describe.clone();
    // Stop the server before the model runs: they share the CPU.
    drop(session);
    let mem = ServerMemory {
        baseline: real.server.baseline_without_clients(),
        clients_at_start: real.server.baseline_client_memory,
        start_unix_ms: real.server.start_unix_ms,
        samples: &real.server.samples,
    };
    let sim = simulate(sc, policy, opts.speed, mem);
    let classes = sc.class_infos();
    let checks = compare::checks(policy, &classes, &real.metrics, &sim.metrics);
    Ok(PolicyValidation {
        policy,
        server,
        real,
        simulated: sim.metrics,
        simulated_used_memory: sim.used_memory,
        simulated_keys: (sim.keys, sim.expires),
        checks,
    })
}

/// What the model did on the replayed stream.
#[derive(Clone, Debug)]
pub struct SimRun {
    /// Everything the instance counted.
    pub metrics: Metrics,
    /// The model's `used_memory` at the times the server's was sampled:
    /// (ms, bytes).
    pub used_memory: Vec<(u64, u64)>,
    /// Keys held at the end (all databases).
    pub keys: u64,
    /// Keys with a TTL held at the end.
    pub expires: u64,
}

/// The real server's memory outside the keyspace, as the model is given it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerMemory<'a> {
    /// `used_memory` with no key and no client buffer.
    pub baseline: u64,
    /// The clients' memory at the start.
    pub clients_at_start: u64,
    /// The wall-clock time (unix ms) of the stream's time 0.
    pub start_unix_ms: u64,
    /// Readings during the run: the model takes each `client_memory` from
    /// its time on, and reports its own `used_memory` at the same times.
    pub samples: &'a [MemorySample],
}

/// The model's run of `policy` on the scenario's stream scaled by `speed`,
/// given the server's memory outside the keyspace.
pub fn simulate(sc: &Scenario, policy: PolicyKind, speed: f64, mem: ServerMemory<'_>) -> SimRun {
    let mut cfg = sc.instance.clone();
    cfg.baseline_memory = mem.baseline;
    cfg.memory_model = MemoryModel::Redis;
    cfg.start_unix_ms = mem.start_unix_ms;
    cfg.lost_read_margin_ms = replay::EXPIRY_MARGIN_MS;
    let mut inst = AnyInstance::new(policy, &cfg, sc.classes.len());
    inst.set_client_memory(mem.clients_at_start);
    let samples = mem.samples;
    let mut used_memory: Vec<(u64, u64)> = Vec::with_capacity(samples.len());
    // Takes every reading due before `until`: the model's memory then, and
    // the clients' memory from then on.
    let sample = |inst: &mut AnyInstance, until: u64, out: &mut Vec<(u64, u64)>| {
        while let Some(s) = samples.get(out.len()).filter(|s| s.t_ms < until) {
            inst.advance(s.t_ms);
            inst.set_client_memory(s.client_memory);
            out.push((s.t_ms, inst.keyspace().used_memory()));
        }
    };
    // The replay's order: per millisecond, the ops' first commands, then
    // their follow-ups (see `order`).
    let mut tick: Vec<Op> = Vec::new();
    let mut seen = HashSet::new();
    let mut replies = Vec::new();
    let mut run_tick = |inst: &mut AnyInstance, tick: &[Op]| {
        let _ = order::segments::<()>(tick, &mut seen, |seg| {
            replies.clear();
            replies.extend(seg.iter().map(|op| inst.apply_command(op, op.cmd)));
            for (op, &r) in seg.iter().zip(&replies) {
                if let Some(cmd) = order::model_followup(op, r) {
                    inst.apply_command(op, cmd);
                }
            }
            Ok(())
        });
    };
    for op in Workload::new(sc).map(|op| scale_op(op, speed)) {
        if tick.first().is_some_and(|t| t.t_ms != op.t_ms) {
            sample(&mut inst, tick[0].t_ms, &mut used_memory);
            run_tick(&mut inst, &tick);
            tick.clear();
        }
        tick.push(op);
    }
    if let Some(first) = tick.first() {
        sample(&mut inst, first.t_ms, &mut used_memory);
    }
    run_tick(&mut inst, &tick);
    let end = scale_ms(sc.duration_ms, speed);
    sample(&mut inst, u64::MAX, &mut used_memory);
    inst.advance(end);
    let ks = inst.keyspace();
    let (keys, expires) = (ks.len() as u64, ks.volatile_len() as u64);
    SimRun {
        metrics: inst.into_metrics(),
        used_memory,
        keys,
        expires,
    }
}
