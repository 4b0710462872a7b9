//! Eviction policies: one file per policy, each a type implementing
//! [`Policy`]. The instance is generic over the policy, so the hot loop is
//! monomorphised: no dynamic dispatch per operation.
//!
//! The sampled policies share one mechanism (`sampling.rs`: Redis's pool of
//! 16 fed by `maxmemory-samples` keys per database) and differ only in their
//! score; the random ones share `round_robin.rs`.
//!
//! A policy is its file, declared and re-exported below, plus one entry in
//! the table of `kind.rs`, which everything else that lists policies reads.

mod kind;
pub(crate) mod round_robin;
pub(crate) mod sampling;

mod allkeys_lfu;
mod allkeys_lrm;
mod allkeys_lru;
mod allkeys_random;
mod exact_lru;
mod noeviction;
mod volatile_lfu;
mod volatile_lrm;
mod volatile_lru;
mod volatile_random;
mod volatile_ttl;

pub use allkeys_lfu::AllKeysLfu;
pub use allkeys_lrm::AllKeysLrm;
pub use allkeys_lru::AllKeysLru;
pub use allkeys_random::AllKeysRandom;
pub use exact_lru::ExactLru;
pub(crate) use kind::policy_table;
pub use kind::{Origin, PolicyKind, UnknownPolicy};
pub use noeviction::NoEviction;
pub use volatile_lfu::VolatileLfu;
pub use volatile_lrm::VolatileLrm;
pub use volatile_lru::VolatileLru;
pub use volatile_random::VolatileRandom;
pub use volatile_ttl::VolatileTtl;

use super::keyspace::Keyspace;
use super::trace::TracedEviction;
use super::InstanceConfig;
use crate::op::KeyId;
use rand::rngs::SmallRng;

/// What an access does to a key's 24-bit `lru` field under a policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Touch {
    /// Reads and writes set it to the LRU clock (every non-LFU policy).
    Lru,
    /// Reads and writes update the LFU counter.
    Lfu,
    /// Only writes set it to the LRU clock (Redis 8.6's `*-lrm`).
    Lrm,
}

/// What a policy may read when it chooses a victim.
pub struct PickEnv<'a> {
    /// The instance's random generator.
    pub rng: &'a mut SmallRng,
    /// `maxmemory-samples`.
    pub samples: u32,
    /// The LRU clock in seconds (24 bits).
    pub lru_clock: u32,
    /// The LFU minute clock (16 bits).
    pub lfu_minutes: u32,
    /// `lfu-decay-time`.
    pub lfu_decay_time: u32,
    /// Where to record the keys sampled and the pool, when the instance's
    /// pick trace is on (`None` in every run: then nothing is recorded).
    pub trace: Option<&'a mut TracedEviction>,
}

/// An eviction policy.
///
/// The instance calls [`Policy::pick`] once per key it must evict, while
/// memory is over `maxmemory`; the hooks let a policy keep its own order.
pub trait Policy: Send + Sized {
    /// Which policy this is.
    const KIND: PolicyKind;
    /// What accesses do to the `lru` field.
    const TOUCH: Touch;

    /// A fresh policy state for an instance.
    fn new(cfg: &InstanceConfig) -> Self;

    /// Chooses the next key to evict as (database, position), or `None`
    /// when no key may be evicted (then DENYOOM commands are refused).
    fn pick(&mut self, ks: &Keyspace, env: &mut PickEnv<'_>) -> Option<(u8, usize)>;

    /// The key the next [`Policy::pick`] will most likely choose, if the
    /// policy can tell (the instance prefetches its state meanwhile).
    #[inline]
    fn next_victim(&self) -> Option<Victim> {
        None
    }

    /// An operation on `key` comes in a few operations, and the first
    /// stage of the look-ahead fetched its bucket head: start fetching the
    /// policy's own state for it.
    #[inline]
    fn prefetch_near(&self, _ks: &Keyspace, _db: u8, _key: KeyId) {}

    /// A key was created at this slot.
    #[inline]
    fn on_insert(&mut self, _db: u8, _pos: usize) {}

    /// The key at this slot was read or written.
    #[inline]
    fn on_access(&mut self, _db: u8, _pos: usize) {}

    /// The key at this slot was deleted, expired or evicted (the slot may
    /// be reused for another key).
    #[inline]
    fn on_remove(&mut self, _db: u8, _pos: usize) {}
}

/// Where the next victim likely is, for the instance to prefetch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Victim {
    /// A key by name (database, id): a pooled candidate.
    Key(u8, KeyId),
    /// A slot (database, position).
    Slot(u8, usize),
}
