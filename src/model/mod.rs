//! One simulated Redis instance bounded by `maxmemory`.

mod config;
pub mod policy;

pub use config::{InstanceConfig, MemoryModel, DEFAULT_BASELINE_MEMORY};
pub use policy::{PolicyKind, UnknownPolicy};
