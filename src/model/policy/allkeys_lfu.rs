//! `allkeys-lfu`: Redis's approximated LFU over every key: the pool ranks by
//! the logarithmic counter after decay, so rarely used keys go first.
//!
//! Good for caches with a stable hot set. Dangerous for fresh keys: a new key
//! counts only 5, so a just-created session or job can go before an old,
//! popular cache entry.

use super::sampling::{LfuScore, Sampled};

/// `allkeys-lfu`.
pub type AllKeysLfu = Sampled<LfuScore, false>;
