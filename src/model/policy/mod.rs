//! Eviction policies: one file per policy.

mod kind;

pub use kind::{PolicyKind, UnknownPolicy};
