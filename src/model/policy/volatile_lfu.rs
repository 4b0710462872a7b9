//! `volatile-lfu`: approximated LFU among keys that carry a TTL only; keys
//! without a TTL are never evicted and writes are refused once no TTL key is
//! left.
//!
//! Use it when cache keys carry TTLs and durable keys do not.

use super::sampling::{LfuScore, Sampled};

/// `volatile-lfu`.
pub type VolatileLfu = Sampled<LfuScore, true>;
