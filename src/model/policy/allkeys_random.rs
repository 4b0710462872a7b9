//! `allkeys-random`: evict a random key, taking databases in turn.
//!
//! Cheap and fair when every key is equally valuable. It ignores recency, so
//! hot keys go as often as cold ones, and a small database drains as fast as
//! a big one.

use super::round_robin::RoundRobin;

/// `allkeys-random`.
pub type AllKeysRandom = RoundRobin<false>;
