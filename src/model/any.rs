//! An instance of any policy, chosen at run time. The `match` happens once
//! per batch of operations; inside, the loop is monomorphised per policy.

use super::policy::policy_table;
use super::policy::*;
use super::{Instance, InstanceConfig};
use crate::metrics::Metrics;
use crate::op::Op;

/// Generates [`AnyInstance`], its constructor and the [`each!`] dispatch
/// from the policy table, and checks at compile time that every policy
/// type's [`Policy::KIND`] is its own entry.
macro_rules! any_instance {
    (() $($v:ident { name: $name:literal, $($facts:tt)* })*) => {
        /// One simulated instance whose policy is picked at run time.
        pub enum AnyInstance {
            $(
                #[doc = concat!("`", $name, "`.")]
                $v(Instance<$v>),
            )*
        }

        $(
            const _: () = assert!(
                matches!(<$v as Policy>::KIND, PolicyKind::$v),
                concat!(stringify!($v), "::KIND is not PolicyKind::", stringify!($v))
            );
        )*

        impl AnyInstance {
            /// A fresh instance of `kind`.
            pub fn new(kind: PolicyKind, cfg: &InstanceConfig, classes: usize) -> Self {
                match kind {
                    $(PolicyKind::$v => AnyInstance::$v(Instance::new(cfg, classes)),)*
                }
            }
        }
    };
    (($self:expr, $i:ident => $body:expr) $($v:ident { $($facts:tt)* })*) => {
        match $self {
            $(AnyInstance::$v($i) => $body,)*
        }
    };
}

policy_table!(any_instance);

/// Runs `$body` with `$i` bound to the instance, whatever its policy: one
/// `match`, each arm monomorphised.
macro_rules! each {
    ($self:expr, $i:ident => $body:expr) => {
        policy_table!(any_instance $self, $i => $body)
    };
}

impl AnyInstance {
    /// The policy.
    pub fn kind(&self) -> PolicyKind {
        each!(self, i => i.kind())
    }

    /// Applies a batch of operations in order.
    pub fn apply_all(&mut self, ops: &[Op]) {
        each!(self, i => i.apply_all(ops))
    }

    /// Applies one operation and its follow-up; the reply to its first
    /// command ([`Instance::apply`]).
    pub fn apply(&mut self, op: &Op) -> super::Reply {
        each!(self, i => i.apply(op))
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
    /// (`Keyspace::set_client_memory`).
    pub fn set_client_memory(&mut self, bytes: u64) {
        each!(self, i => i.set_client_memory(bytes))
    }

    /// Starts recording what the policy looks at for each eviction
    /// ([`Instance::trace_picks`]).
    pub fn trace_picks(&mut self) {
        each!(self, i => i.trace_picks())
    }

    /// The evictions recorded since the last call
    /// ([`Instance::take_traced_evictions`]).
    pub fn take_traced_evictions(&mut self) -> Vec<super::TracedEviction> {
        each!(self, i => i.take_traced_evictions())
    }

    /// Current simulated time in ms.
    pub fn now_ms(&self) -> u64 {
        each!(self, i => i.now_ms())
    }

    /// The configuration.
    pub fn config(&self) -> &InstanceConfig {
        each!(self, i => i.config())
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
