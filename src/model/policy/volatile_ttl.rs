//! `volatile-ttl`: among keys with a TTL, evict the one that expires soonest
//! (sampled into the same pool; already expired keys score highest).
//!
//! Sensible when a short remaining TTL means "least valuable". It evicts
//! every TTL key before refusing writes (redis/redis#6234), and a session
//! about to expire is still a logged-in user.

use super::sampling::{Sampled, TtlScore};

/// `volatile-ttl`.
pub type VolatileTtl = Sampled<TtlScore, true>;
