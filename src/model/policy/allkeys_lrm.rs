//! `allkeys-lrm` (Redis 8.6): sampled eviction of the least recently
//! *modified* key: reads do not refresh a key's clock, writes do.
//!
//! For data read often but written once (configuration, feature flags) it
//! is the wrong choice: the most read keys look the oldest. Modelled from
//! the 8.6 description; EXPIRE and PERSIST count as modifications.

use super::sampling::{ModifiedScore, Sampled};

/// `allkeys-lrm`.
pub type AllKeysLrm = Sampled<ModifiedScore, false>;
