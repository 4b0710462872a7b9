//! One simulated Redis instance bounded by `maxmemory`: its keyspace and
//! memory accounting, expiry, the eviction pool and the policies.

mod any;
mod clock;
mod config;
mod expire;
mod idmap;
mod instance;
pub mod keyspace;
pub mod layout;
pub(crate) mod lfu;
mod lost;
pub(crate) mod memory;
pub mod policy;
mod pool;
pub mod server;
#[cfg(test)]
pub(crate) mod testkit;
mod trace;

pub use any::AnyInstance;
pub use config::{InstanceConfig, MemoryModel, DEFAULT_BASELINE_MEMORY, DEFAULT_START_UNIX_MS};
pub use instance::{Instance, Reply};
pub use keyspace::Keyspace;
pub use layout::{Layout, Stored};
pub use memory::LATENCY_HISTOGRAM;
pub use policy::{Policy, PolicyKind, UnknownPolicy};
pub use pool::Candidate;
pub use server::{Allocator, Server, UnknownAllocator, UnknownServer};
pub use trace::TracedEviction;
