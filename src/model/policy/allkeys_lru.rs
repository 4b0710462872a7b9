//! `allkeys-lru`: Redis's approximated LRU over every key: each eviction
//! samples `maxmemory-samples` keys per database into a pool of 16 and evicts
//! the one idle longest by the 1-second LRU clock.
//!
//! Right for a pure cache, where every key can be recomputed. Wrong for an
//! instance that also holds sessions, queues or counters: they go as readily
//! as cache entries ("users randomly get logged out under load").

use super::sampling::{IdleScore, Sampled};

/// `allkeys-lru`.
pub type AllKeysLru = Sampled<IdleScore, false>;
