//! `volatile-lru`: approximated LRU among keys that carry a TTL only. Keys
//! without a TTL are never evicted; once none with a TTL is left, DENYOOM
//! writes are refused as under `noeviction`.
//!
//! Protects data that has no TTL (sessions stored without expiry) while cache
//! entries with a TTL absorb the pressure. It protects nothing that has a TTL:
//! sessions with a TTL are fair game.

use super::sampling::{IdleScore, Sampled};

/// `volatile-lru`.
pub type VolatileLru = Sampled<IdleScore, true>;
