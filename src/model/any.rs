//! An instance of any policy, chosen at run time. The `match` happens once
//! per batch of operations; inside, the loop is monomorphised per policy.

use super::policy::*;
use super::{Instance, InstanceConfig};
use crate::metrics::Metrics;
use crate::op::Op;

/// One simulated instance whose policy is picked at run time.
pub enum AnyInstance {
    /// `noeviction`.
    NoEviction(Instance<NoEviction>),
    /// `allkeys-lru`.
    AllKeysLru(Instance<AllKeysLru>),
    /// `allkeys-lfu`.
    AllKeysLfu(Instance<AllKeysLfu>),
    /// `allkeys-random`.
    AllKeysRandom(Instance<AllKeysRandom>),
    /// `volatile-lru`.
    VolatileLru(Instance<VolatileLru>),
    /// `volatile-lfu`.
    VolatileLfu(Instance<VolatileLfu>),
    /// `volatile-random`.
    VolatileRandom(Instance<VolatileRandom>),
    /// `volatile-ttl`.
    VolatileTtl(Instance<VolatileTtl>),
    /// `allkeys-lrm`.
    AllKeysLrm(Instance<AllKeysLrm>),
    /// `volatile-lrm`.
    VolatileLrm(Instance<VolatileLrm>),
    /// `exact-lru`.
    ExactLru(Instance<ExactLru>),
}

macro_rules! each {
    ($self:expr, $i:ident => $body:expr) => {
        match $self {
            AnyInstance::NoEviction($i) => $body,
            AnyInstance::AllKeysLru($i) => $body,
            AnyInstance::AllKeysLfu($i) => $body,
            AnyInstance::AllKeysRandom($i) => $body,
            AnyInstance::VolatileLru($i) => $body,
            AnyInstance::VolatileLfu($i) => $body,
            AnyInstance::VolatileRandom($i) => $body,
            AnyInstance::VolatileTtl($i) => $body,
            AnyInstance::AllKeysLrm($i) => $body,
            AnyInstance::VolatileLrm($i) => $body,
            AnyInstance::ExactLru($i) => $body,
        }
    };
}

impl AnyInstance {
    /// A fresh instance of `kind`.
    pub fn new(kind: PolicyKind, cfg: &InstanceConfig, classes: usize) -> Self {
        match kind {
            PolicyKind::NoEviction => AnyInstance::NoEviction(Instance::new(cfg, classes)),
            PolicyKind::AllKeysLru => AnyInstance::AllKeysLru(Instance::new(cfg, classes)),
            PolicyKind::AllKeysLfu => AnyInstance::AllKeysLfu(Instance::new(cfg, classes)),
            PolicyKind::AllKeysRandom => AnyInstance::AllKeysRandom(Instance::new(cfg, classes)),
            PolicyKind::VolatileLru => AnyInstance::VolatileLru(Instance::new(cfg, classes)),
            PolicyKind::VolatileLfu => AnyInstance::VolatileLfu(Instance::new(cfg, classes)),
            PolicyKind::VolatileRandom => AnyInstance::VolatileRandom(Instance::new(cfg, classes)),
            PolicyKind::VolatileTtl => AnyInstance::VolatileTtl(Instance::new(cfg, classes)),
            PolicyKind::AllKeysLrm => AnyInstance::AllKeysLrm(Instance::new(cfg, classes)),
            PolicyKind::VolatileLrm => AnyInstance::VolatileLrm(Instance::new(cfg, classes)),
            PolicyKind::ExactLru => AnyInstance::ExactLru(Instance::new(cfg, classes)),
        }
    }

    /// The policy.
    pub fn kind(&self) -> PolicyKind {
        each!(self, i => i.kind())
    }

    /// Applies a batch of operations in order.
    pub fn apply_all(&mut self, ops: &[Op]) {
        each!(self, i => i.apply_all(ops))
    }

    /// Runs one Redis command of an op ([`Instance::apply_command`]).
    pub fn apply_command(&mut self, op: &Op, cmd: crate::op::Cmd) -> super::Reply {
        each!(self, i => i.apply_command(op, cmd))
    }

    /// Moves the clock to `t_ms`, running the cron ticks due.
    pub fn advance(&mut self, t_ms: u64) {
        each!(self, i => i.advance(t_ms))
    }

    /// Changes `maxmemory` at run time (`CONFIG SET maxmemory`).
    pub fn set_maxmemory(&mut self, bytes: u64) {
        each!(self, i => i.set_maxmemory(bytes))
    }

    /// Sets the memory of the clients' buffers counted in `used_memory`
    /// ([`Keyspace::set_client_memory`](super::Keyspace::set_client_memory)).
    pub fn set_client_memory(&mut self, bytes: u64) {
        each!(self, i => i.set_client_memory(bytes))
    }

    /// What has been counted so far.
    pub fn metrics(&self) -> &Metrics {
        each!(self, i => i.metrics())
    }

    /// The keyspace.
    pub fn keyspace(&self) -> &super::Keyspace {
        each!(self, i => i.keyspace())
    }

    /// Consumes the instance, returning its metrics.
    pub fn into_metrics(self) -> Metrics {
        each!(self, i => i.into_metrics())
    }
}
