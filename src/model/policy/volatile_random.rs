//! `volatile-random`: evict a random key among those with a TTL, databases
//! in turn; keys without a TTL are never evicted.

use super::round_robin::RoundRobin;

/// `volatile-random`.
pub type VolatileRandom = RoundRobin<true>;
