//! One simulated Redis instance bounded by `maxmemory`: its keyspace and
//! memory accounting, expiry, the eviction pool and the policies.

pub mod any;
pub mod clock;
mod config;
pub mod expire;
mod idmap;
pub mod instance;
pub mod keyspace;
pub mod lfu;
pub mod lost;
pub mod memory;
pub mod policy;
pub mod pool;
#[cfg(test)]
pub(crate) mod testkit;

pub use any::AnyInstance;
pub use config::{InstanceConfig, MemoryModel, DEFAULT_BASELINE_MEMORY};
pub use instance::{Instance, Reply};
pub use keyspace::Keyspace;
pub use policy::{Policy, PolicyKind, UnknownPolicy};
