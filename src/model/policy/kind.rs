//! The user-facing choice of eviction policy, by its Redis name.

use std::fmt;
use std::str::FromStr;

/// A `maxmemory-policy`, plus evictsim's reference `exact-lru`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PolicyKind {
    /// `noeviction`: never evict; refuse DENYOOM commands over the limit.
    NoEviction,
    /// `allkeys-lru`: sampled LRU over every key.
    AllKeysLru,
    /// `allkeys-lfu`: sampled LFU over every key.
    AllKeysLfu,
    /// `allkeys-random`: a random key, databases in turn.
    AllKeysRandom,
    /// `volatile-lru`: sampled LRU over keys with a TTL.
    VolatileLru,
    /// `volatile-lfu`: sampled LFU over keys with a TTL.
    VolatileLfu,
    /// `volatile-random`: a random key with a TTL.
    VolatileRandom,
    /// `volatile-ttl`: the key with a TTL that expires soonest (sampled).
    VolatileTtl,
    /// `allkeys-lrm` (Redis 8.6): sampled least-recently-modified.
    AllKeysLrm,
    /// `volatile-lrm` (Redis 8.6): least-recently-modified among TTL keys.
    VolatileLrm,
    /// Reference: exact LRU over every key, no sampling, millisecond clock.
    ExactLru,
}

impl PolicyKind {
    /// Every policy evictsim models, in report order.
    pub const ALL: [PolicyKind; 11] = [
        PolicyKind::NoEviction,
        PolicyKind::AllKeysLru,
        PolicyKind::AllKeysLfu,
        PolicyKind::AllKeysRandom,
        PolicyKind::VolatileLru,
        PolicyKind::VolatileLfu,
        PolicyKind::VolatileRandom,
        PolicyKind::VolatileTtl,
        PolicyKind::AllKeysLrm,
        PolicyKind::VolatileLrm,
        PolicyKind::ExactLru,
    ];

    /// The eight policies of Redis 7.0.
    pub const REDIS7: [PolicyKind; 8] = [
        PolicyKind::NoEviction,
        PolicyKind::AllKeysLru,
        PolicyKind::AllKeysLfu,
        PolicyKind::AllKeysRandom,
        PolicyKind::VolatileLru,
        PolicyKind::VolatileLfu,
        PolicyKind::VolatileRandom,
        PolicyKind::VolatileTtl,
    ];

    /// The name as `maxmemory-policy` spells it.
    pub fn name(self) -> &'static str {
        match self {
            PolicyKind::NoEviction => "noeviction",
            PolicyKind::AllKeysLru => "allkeys-lru",
            PolicyKind::AllKeysLfu => "allkeys-lfu",
            PolicyKind::AllKeysRandom => "allkeys-random",
            PolicyKind::VolatileLru => "volatile-lru",
            PolicyKind::VolatileLfu => "volatile-lfu",
            PolicyKind::VolatileRandom => "volatile-random",
            PolicyKind::VolatileTtl => "volatile-ttl",
            PolicyKind::AllKeysLrm => "allkeys-lrm",
            PolicyKind::VolatileLrm => "volatile-lrm",
            PolicyKind::ExactLru => "exact-lru",
        }
    }

    /// Whether the policy only evicts keys that carry a TTL.
    pub fn volatile_only(self) -> bool {
        matches!(
            self,
            PolicyKind::VolatileLru
                | PolicyKind::VolatileLfu
                | PolicyKind::VolatileRandom
                | PolicyKind::VolatileTtl
                | PolicyKind::VolatileLrm
        )
    }

    /// Whether the key's 24-bit field holds an LFU counter rather than an
    /// LRU clock.
    pub fn is_lfu(self) -> bool {
        matches!(self, PolicyKind::AllKeysLfu | PolicyKind::VolatileLfu)
    }

    /// Whether Redis disables shared integers under this policy
    /// (`MAXMEMORY_FLAG_NO_SHARED_INTEGERS`: the LRU and LFU families, which
    /// need a clock per object).
    pub fn no_shared_integers(self) -> bool {
        matches!(
            self,
            PolicyKind::AllKeysLru
                | PolicyKind::AllKeysLfu
                | PolicyKind::VolatileLru
                | PolicyKind::VolatileLfu
                | PolicyKind::AllKeysLrm
                | PolicyKind::VolatileLrm
                | PolicyKind::ExactLru
        )
    }
}

impl fmt::Display for PolicyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A policy name that evictsim does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown policy '{0}' (expected one of: noeviction, allkeys-lru, allkeys-lfu, allkeys-random, volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lrm, volatile-lrm, exact-lru)")]
pub struct UnknownPolicy(pub String);

impl FromStr for PolicyKind {
    type Err = UnknownPolicy;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        PolicyKind::ALL
            .into_iter()
            .find(|p| p.name() == lower)
            .ok_or_else(|| UnknownPolicy(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in PolicyKind::ALL {
            assert_eq!(p.name().parse::<PolicyKind>().unwrap(), p);
        }
        assert!("lru".parse::<PolicyKind>().is_err());
    }
}
