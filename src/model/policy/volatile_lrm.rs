//! `volatile-lrm` (Redis 8.6): least recently modified among keys with a
//! TTL only; keys without a TTL are never evicted.

use super::sampling::{ModifiedScore, Sampled};

/// `volatile-lrm`.
pub type VolatileLrm = Sampled<ModifiedScore, true>;
