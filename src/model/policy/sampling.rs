//! Redis's sampled eviction (`performEvictions` and `evictionPoolPopulate`):
//! for every database with candidates, sample `maxmemory-samples` keys, offer
//! them to the pool, then evict the best pooled key that still exists.
//!
//! A sample is what Redis 7.0.12 and later's `dictGetSomeKeys` returns: the
//! keys of consecutive hash buckets after a random start, every chain walked
//! to its end, reservoir-sampled down to `maxmemory-samples` (redis/redis
//! #12276). Before 7.0.12 the walk kept each chain from its head (the key
//! linked last) and cut the last chain when the sample was full, so keys
//! deep in a chain, more often long idle, were sampled less. It matters:
//! against 7.0.15 on the seed scenario, that older walk lost 12-16% more
//! rate-limit reads under LRU than the server; with the reservoir the model
//! is within a few percent (see the README's validation). A static probe
//! shows the same (`examples/sampling_probe.rs`): 50,000 keys of distinct
//! ages, then new keys forcing about 4,140 evictions; 7.0.15 evicted 206-214
//! keys from the youngest 75%, the reservoir 208-210 and the older walk
//! about 239 (sets of 20 runs).

use super::{PickEnv, Policy, PolicyKind, Touch, Victim};
use crate::model::keyspace::{Entry, Keyspace};
use crate::model::lfu;
use crate::model::pool::{Candidate, EvictionPool};
use crate::model::InstanceConfig;
use rand::RngCore;
use std::marker::PhantomData;

/// How a sampled key is scored: higher scores are evicted first.
pub trait Score: Send {
    /// The policy the score belongs to (with the scope).
    const ALLKEYS: PolicyKind;
    /// The same score restricted to keys with a TTL.
    const VOLATILE: PolicyKind;
    /// What accesses do to the `lru` field.
    const TOUCH: Touch;
    /// The key's score now.
    fn score(e: &Entry, env: &PickEnv<'_>) -> u64;
}

/// Idle time in ms from the 1-second LRU clock (`estimateObjectIdleTime`).
pub struct IdleScore;

/// Largest value of the 24-bit LRU clock.
pub const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;

/// Idle time of an `lru` field against the clock, in ms, wrap handled.
#[inline]
pub fn idle_ms(lru: u32, clock: u32) -> u64 {
    let s = if clock >= lru {
        clock - lru
    } else {
        clock + (LRU_CLOCK_MAX - lru)
    };
    s as u64 * 1000
}

impl Score for IdleScore {
    const ALLKEYS: PolicyKind = PolicyKind::AllKeysLru;
    const VOLATILE: PolicyKind = PolicyKind::VolatileLru;
    const TOUCH: Touch = Touch::Lru;
    #[inline]
    fn score(e: &Entry, env: &PickEnv<'_>) -> u64 {
        idle_ms(e.lru, env.lru_clock)
    }
}

/// Idle time since the last write (Redis 8.6's LRM).
pub struct ModifiedScore;

impl Score for ModifiedScore {
    const ALLKEYS: PolicyKind = PolicyKind::AllKeysLrm;
    const VOLATILE: PolicyKind = PolicyKind::VolatileLrm;
    const TOUCH: Touch = Touch::Lrm;
    #[inline]
    fn score(e: &Entry, env: &PickEnv<'_>) -> u64 {
        idle_ms(e.lru, env.lru_clock)
    }
}

/// 255 minus the decayed LFU counter (decay is not stored).
pub struct LfuScore;

impl Score for LfuScore {
    const ALLKEYS: PolicyKind = PolicyKind::AllKeysLfu;
    const VOLATILE: PolicyKind = PolicyKind::VolatileLfu;
    const TOUCH: Touch = Touch::Lfu;
    #[inline]
    fn score(e: &Entry, env: &PickEnv<'_>) -> u64 {
        255 - lfu::decayed(e.lru, env.lfu_minutes, env.lfu_decay_time) as u64
    }
}

/// `ULLONG_MAX - expire_at`: the soonest to expire goes first.
pub struct TtlScore;

impl Score for TtlScore {
    const ALLKEYS: PolicyKind = PolicyKind::VolatileTtl;
    const VOLATILE: PolicyKind = PolicyKind::VolatileTtl;
    const TOUCH: Touch = Touch::Lru;
    #[inline]
    fn score(e: &Entry, _env: &PickEnv<'_>) -> u64 {
        u64::MAX - e.expire_at
    }
}

/// A sampled policy: a score, a scope (`VOLATILE`: only keys with a TTL) and
/// the pool.
pub struct Sampled<S: Score, const VOLATILE: bool> {
    pool: EvictionPool,
    /// Where the next sample's bucket walk starts, drawn at the end of the
    /// previous pick so its buckets can be fetched in between.
    next_start: Option<u64>,
    _score: PhantomData<S>,
}

impl<S: Score, const VOLATILE: bool> Sampled<S, VOLATILE> {
    /// The pool, for tests and inspection.
    pub fn pool(&self) -> &EvictionPool {
        &self.pool
    }

    /// Samples one database into the pool (`evictionPoolPopulate`).
    #[inline]
    fn populate(&mut self, ks: &Keyspace, db: u8, env: &mut PickEnv<'_>) {
        let start = self.next_start.take().unwrap_or_else(|| env.rng.next_u64());
        let mut pos = [0u32; 64];
        // `some_positions` lowers the count to the table's size itself.
        let count = (env.samples as usize).min(pos.len());
        let got = ks.some_positions(db, VOLATILE, start, env.rng, &mut pos[..count]);
        for &p in &pos[..got] {
            let e = ks.entry(db, p as usize);
            self.pool.offer(Candidate {
                key: e.key,
                db,
                score: S::score(e, env),
            });
        }
    }
}

impl<S: Score, const VOLATILE: bool> Policy for Sampled<S, VOLATILE> {
    const KIND: PolicyKind = if VOLATILE { S::VOLATILE } else { S::ALLKEYS };
    const TOUCH: Touch = S::TOUCH;

    fn new(_cfg: &InstanceConfig) -> Self {
        Sampled {
            pool: EvictionPool::default(),
            next_start: None,
            _score: PhantomData,
        }
    }

    #[inline]
    fn next_victim(&self) -> Option<Victim> {
        self.pool.peek_best().map(|c| Victim::Key(c.db, c.key))
    }

    fn pick(&mut self, ks: &Keyspace, env: &mut PickEnv<'_>) -> Option<(u8, usize)> {
        // The best pooled key is the likely victim: fetch it while sampling.
        if let Some(c) = self.pool.peek_best() {
            ks.prefetch_entry(c.db, c.key);
        }
        loop {
            let mut total = 0;
            for db in 0..ks.dbs.len() {
                let d = &ks.dbs[db];
                let n = if VOLATILE { d.volatile_len() } else { d.len() };
                if n != 0 {
                    self.populate(ks, db as u8, env);
                    total += n;
                }
            }
            if total == 0 {
                return None;
            }
            // Walk from the best end; entries naming deleted keys are ghosts.
            while let Some(c) = self.pool.pop_best() {
                if let Some(pos) = ks.find(c.db, c.key) {
                    if !VOLATILE || ks.entry(c.db, pos).expire_at != 0 {
                        // Draw where the next sample starts now, and fetch
                        // its first buckets before it is needed.
                        let start = env.rng.next_u64();
                        self.next_start = Some(start);
                        if let Some(first) = ks
                            .dbs
                            .iter()
                            .position(|d| (if VOLATILE { d.volatile_len() } else { d.len() }) != 0)
                        {
                            ks.prefetch_walk(first as u8, VOLATILE, start, env.samples as usize);
                        }
                        return Some((c.db, pos));
                    }
                }
            }
        }
    }
}
