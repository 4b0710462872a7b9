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
mod compare;
mod events;
mod order;
mod replay;
mod report;
mod resp;
mod scale;
pub mod server;

pub use calibrate::{calibrate, Calibration, CalibrationRow, Cell, CellValue};
pub use compare::Check;
pub use replay::{MemorySample, Pace, RealRun, ServerReport};
pub use report::{ValidationJson, ValidationTable};
pub use server::{ServerError, Target};

use crate::metrics::Metrics;
use crate::model::AnyInstance;
use crate::model::{InstanceConfig, Layout, MemoryModel, PolicyKind};
use crate::op::{Cmd, KeyId, Op};
use crate::sim::ClassInfo;
use crate::source::{Scenario, Workload};
use crate::trace::{TraceError, TraceOptions, TraceReader, TraceStats};
use scale::{scale_ms, scale_op};
use std::collections::HashSet;

/// Why a validation could not run.
#[derive(Debug, thiserror::Error)]
pub enum ValidateError {
    /// The server could not be started, reached or driven.
    #[error(transparent)]
    Server(#[from] ServerError),
    /// The policy does not exist in Redis 7.0.
    #[error(
        "{policy} cannot be validated: {why}; Redis 7.0 has {}",
        PolicyKind::redis7_names()
    )]
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
    policy.redis7_reason()
}

/// A trace held in memory for validation: its operations, the names of
/// its keys (to send them to the server) and the instance to replay into.
#[derive(Clone, Debug)]
pub struct TraceInput {
    /// The trace's name (its file name), for the report.
    pub name: String,
    /// Every operation, in order.
    pub ops: Vec<Op>,
    /// Each key's (database, name), indexed by key id.
    pub names: Vec<(u8, Vec<u8>)>,
    /// The key classes, in class-id order.
    pub classes: Vec<ClassInfo>,
    /// The instance: `maxmemory` and the rest of the settings.
    pub instance: InstanceConfig,
    /// Time the replay covers, in ms (the last operation's time).
    pub duration_ms: u64,
}

/// Reads the whole trace at `path` into memory for validation: its
/// operations, its keys' names and its classes, with `instance` as the
/// instance to replay into. The stats say what the reader saw.
pub fn load_trace(
    path: &std::path::Path,
    opts: TraceOptions,
    instance: InstanceConfig,
) -> Result<(TraceInput, TraceStats), TraceError> {
    let mut reader = TraceReader::open(path, opts)?;
    let classes = reader.class_infos();
    // The server is sent the model's commands, not the capture's (GET for
    // a GET, RPUSH for every push...): its latency histograms are the
    // model's commands', so a capture's command names are left out.
    let mut ops: Vec<Op> = reader
        .by_ref()
        .filter(|op| !matches!(op.cmd, Cmd::Ran { .. }))
        .collect();
    // The server is sent every aggregate write as an RPUSH (`Cmd::argv`):
    // the model holds them as the lists the server then holds.
    for op in &mut ops {
        if let Cmd::Grow { kind, .. } = &mut op.cmd {
            *kind = crate::op::Agg::List;
        }
    }
    let names = reader.key_names();
    let stats = reader.finish()?;
    let duration_ms = ops.last().map_or(0, |op| op.t_ms);
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    Ok((
        TraceInput {
            name,
            ops,
            names,
            classes,
            instance,
            duration_ms,
        },
        stats,
    ))
}

/// Where the operations of a validation come from.
#[derive(Clone, Debug)]
pub enum ValidateSource {
    /// A scenario, generated as `run` generates it.
    Scenario(Scenario),
    /// A recorded trace.
    Trace(TraceInput),
}

impl ValidateSource {
    /// The scenario's or the trace's name.
    pub fn name(&self) -> &str {
        match self {
            ValidateSource::Scenario(s) => &s.name,
            ValidateSource::Trace(t) => &t.name,
        }
    }

    /// The instance settings.
    pub fn instance(&self) -> &InstanceConfig {
        match self {
            ValidateSource::Scenario(s) => &s.instance,
            ValidateSource::Trace(t) => &t.instance,
        }
    }

    /// The workload seed (0 for a trace).
    pub fn seed(&self) -> u64 {
        match self {
            ValidateSource::Scenario(s) => s.seed,
            ValidateSource::Trace(_) => 0,
        }
    }

    /// Time the stream covers, in ms, before scaling.
    pub fn duration_ms(&self) -> u64 {
        match self {
            ValidateSource::Scenario(s) => s.duration_ms,
            ValidateSource::Trace(t) => t.duration_ms,
        }
    }

    /// The key classes.
    pub fn class_infos(&self) -> Vec<ClassInfo> {
        match self {
            ValidateSource::Scenario(s) => s.class_infos(),
            ValidateSource::Trace(t) => t.classes.clone(),
        }
    }

    /// The operations, from the start, with the names of their keys.
    pub(crate) fn stream(&self) -> OpStream<'_> {
        match self {
            ValidateSource::Scenario(s) => OpStream::Workload(Box::new(Workload::new(s))),
            ValidateSource::Trace(t) => OpStream::Trace {
                ops: t.ops.iter(),
                names: &t.names,
            },
        }
    }
}

/// The operations of a [`ValidateSource`], one at a time, and the names of
/// the keys handed out so far.
pub(crate) enum OpStream<'a> {
    /// A scenario's generator (it knows the names of the keys it made).
    Workload(Box<Workload>),
    /// A trace in memory.
    Trace {
        ops: std::slice::Iter<'a, Op>,
        names: &'a [(u8, Vec<u8>)],
    },
}

impl OpStream<'_> {
    /// Appends the name of key `id` to `out`; false for an id not handed out.
    pub(crate) fn write_name(&self, id: KeyId, out: &mut Vec<u8>) -> bool {
        match self {
            OpStream::Workload(w) => {
                let mut s = String::new();
                let ok = w.write_key_name(id, &mut s);
                out.extend_from_slice(s.as_bytes());
                ok
            }
            OpStream::Trace { names, .. } => match names.get(id as usize) {
                Some((_, n)) => {
                    out.extend_from_slice(n);
                    true
                }
                None => false,
            },
        }
    }
}

impl Iterator for OpStream<'_> {
    type Item = Op;

    fn next(&mut self) -> Option<Op> {
        match self {
            OpStream::Workload(w) => w.next(),
            OpStream::Trace { ops, .. } => ops.next().copied(),
        }
    }
}

/// What to validate, and against which server.
#[derive(Clone, Debug)]
pub struct ValidateOptions {
    /// The scenario (with any overrides applied) or trace.
    pub source: ValidateSource,
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
        scale_ms(self.source.duration_ms(), self.speed)
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
        let src = &opts.source;
        let inst = src.instance();
        let mut notes = scale::distortions(opts.speed, inst.hz, inst.lfu_decay_time);
        if inst.memory_model != MemoryModel::Redis {
            notes.push(
                "the scenario's raw memory model is replaced by Redis's, as the real server counts memory"
                    .to_string(),
            );
        }
        if let ValidateSource::Trace(t) = src {
            if t.ops.iter().any(|op| matches!(op.cmd, Cmd::Grow { .. })) {
                notes.push(
                    "list, hash, set and sorted-set writes go to the server as lists, and the model \
                     holds them so: RPUSH of one element of the bytes written, LPOP for a removal \
                     or a pop"
                        .to_string(),
                );
            }
        }
        Validation {
            scenario: src.name().to_string(),
            seed: src.seed(),
            speed: opts.speed,
            maxmemory_bytes: inst.maxmemory,
            scenario_ms: src.duration_ms(),
            real_ms: opts.real_duration_ms(),
            classes: src.class_infos(),
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
    let src = &opts.source;
    let settings = server::ServerSettings::for_instance(src.instance(), policy);
    let session = server::open(&opts.target, &settings)?;
    let real = replay::replay(&session, src, opts.speed)?;
    let (layout, model) = session.model_or_default();
    let server = format!("{}; {model}", session.describe);
    // Stop the server before the model runs: they share the CPU.
    drop(session);
    let mem = ServerMemory {
        layout,
        baseline: real.server.baseline_without_clients(),
        clients_at_start: real.server.baseline_client_memory,
        start_unix_ms: real.server.start_unix_ms,
        samples: &real.server.samples,
    };
    let sim = simulate(src, policy, opts.speed, mem);
    let classes = src.class_infos();
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
    /// The server's memory layout and allocator (from its INFO).
    pub layout: Layout,
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

/// The model's run of `policy` on the source's stream scaled by `speed`,
/// given the server's memory outside the keyspace.
pub fn simulate(
    src: &ValidateSource,
    policy: PolicyKind,
    speed: f64,
    mem: ServerMemory<'_>,
) -> SimRun {
    let mut cfg = src.instance().clone();
    cfg.server = mem.layout.server;
    cfg.allocator = mem.layout.allocator;
    cfg.baseline_memory = mem.baseline;
    cfg.memory_model = MemoryModel::Redis;
    cfg.start_unix_ms = mem.start_unix_ms;
    cfg.lost_read_margin_ms = replay::EXPIRY_MARGIN_MS;
    let mut inst = AnyInstance::new(policy, &cfg, src.class_infos().len());
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
    let mut next = Vec::new();
    let mut run_tick = |inst: &mut AnyInstance, tick: &[Op]| {
        let _ = order::segments::<()>(tick, &mut seen, |seg| {
            replies.clear();
            replies.extend(
                seg.iter()
                    .enumerate()
                    .map(|(j, op)| (j, op.cmd, inst.apply_command(op, op.cmd))),
            );
            // Follow-ups round by round, as the replay's pipelines go.
            while !replies.is_empty() {
                next.clear();
                for &(j, cmd, r) in &replies {
                    if let Some(f) = cmd.followup(r) {
                        next.push((j, f, inst.apply_command(&seg[j], f)));
                    }
                }
                std::mem::swap(&mut replies, &mut next);
            }
            Ok(())
        });
    };
    for op in src.stream().map(|op| scale_op(op, speed)) {
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
    let end = scale_ms(src.duration_ms(), speed);
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
