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
pub(crate) const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;

/// Idle time of an `lru` field against the clock, in ms, wrap handled.
#[inline]
pub(crate) fn idle_ms(lru: u32, clock: u32) -> u64 {
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
            let c = Candidate {
                key: e.key,
                db,
                score: S::score(e, env),
            };
            if let Some(t) = env.trace.as_deref_mut() {
                t.sampled.push(c);
            }
            self.pool.offer(c);
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
            if let Some(t) = env.trace.as_deref_mut() {
                t.pool.clear();
                t.pool.extend_from_slice(self.pool.entries());
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::policy::{AllKeysLfu, AllKeysLru, VolatileLru, VolatileTtl};
    use crate::model::pool::POOL_SIZE;
    use crate::model::testkit::*;
    use crate::op::KeyId;
    use rand::rngs::SmallRng;
    use rand::SeedableRng;

    fn new<P: Policy>() -> P {
        P::new(&InstanceConfig::default())
    }

    /// The key a pick chose, by name.
    fn picked<P: Policy>(p: &mut P, ks: &Keyspace, env: &mut PickEnv<'_>) -> Option<KeyId> {
        p.pick(ks, env).map(|(db, pos)| ks.entry(db, pos).key)
    }

    /// Picks and removes victims until the policy finds none: the keys in
    /// eviction order.
    fn drain<P: Policy>(p: &mut P, ks: &mut Keyspace, env: &mut PickEnv<'_>) -> Vec<KeyId> {
        let mut out = Vec::new();
        while let Some((db, pos)) = p.pick(ks, env) {
            out.push(ks.remove(db, pos).key);
        }
        out
    }

    fn pooled<S: Score, const V: bool>(p: &Sampled<S, V>) -> Vec<KeyId> {
        p.pool().entries().iter().map(|c| c.key).collect()
    }

    #[test]
    fn idle_time_counts_clock_seconds_and_survives_the_clock_wrapping() {
        assert_eq!(idle_ms(100, 160), 60_000);
        assert_eq!(idle_ms(160, 160), 0);
        // The 24-bit clock wrapped: 10 seconds before the top, 5 after.
        assert_eq!(idle_ms(LRU_CLOCK_MAX - 10, 5), 15_000);
    }

    #[test]
    fn each_score_ranks_the_key_its_policy_evicts_first_highest() {
        let mut rng = SmallRng::seed_from_u64(1);
        let mut env = pick_env(&mut rng, 5);
        env.lru_clock = 1000;
        env.lfu_minutes = 100;
        let score = |s: fn(&Entry, &PickEnv<'_>) -> u64, e: Entry| s(&e, &env);
        // Idle longer, or modified longer ago: higher.
        assert!(
            score(IdleScore::score, entry(1, 10, 0)) > score(IdleScore::score, entry(2, 900, 0))
        );
        assert!(
            score(ModifiedScore::score, entry(1, 10, 0))
                > score(ModifiedScore::score, entry(2, 900, 0))
        );
        // A lower counter after decay: higher, 255 minus the counter.
        assert_eq!(score(LfuScore::score, entry(1, lfu::pack(100, 10), 0)), 245);
        assert_eq!(score(LfuScore::score, entry(1, lfu::pack(90, 30), 0)), 235);
        // Expires sooner: higher.
        assert!(
            score(TtlScore::score, entry(1, 0, 3000)) > score(TtlScore::score, entry(2, 0, 5000))
        );
    }

    #[test]
    fn evicts_the_key_idle_longest_and_pools_the_rest_worst_first() {
        // Ten keys with distinct clocks; key 2 has the oldest.
        let keys: Vec<(u8, Entry)> = (0..10)
            .map(|k| (0, entry(k, 100 + (k * 3 + 4) % 10, 0)))
            .collect();
        let ks = keyspace(1, &keys);
        let mut rng = SmallRng::seed_from_u64(1);
        let mut env = pick_env(&mut rng, 64);
        env.lru_clock = 1000;
        let mut p: AllKeysLru = new();
        assert_eq!(picked(&mut p, &ks, &mut env), Some(2));
        // The other nine stay pooled, youngest first, scored by idle time.
        let mut rest: Vec<&Entry> = keys.iter().map(|(_, e)| e).filter(|e| e.key != 2).collect();
        rest.sort_by_key(|e| std::cmp::Reverse(e.lru));
        let want: Vec<(KeyId, u64)> = rest.iter().map(|e| (e.key, idle_ms(e.lru, 1000))).collect();
        let got: Vec<(KeyId, u64)> = p
            .pool()
            .entries()
            .iter()
            .map(|c| (c.key, c.score))
            .collect();
        assert_eq!(got, want);
        // The instance prefetches the next likely victim: the best pooled.
        let best = rest.last().unwrap().key;
        assert_eq!(p.next_victim(), Some(Victim::Key(0, best)));
    }

    #[test]
    fn the_pool_keeps_the_sixteen_best_candidates_in_order() {
        let keys: Vec<(u8, Entry)> = (0..40).map(|k| (0, entry(k, 100 + k, 0))).collect();
        let ks = keyspace(1, &keys);
        let mut rng = SmallRng::seed_from_u64(2);
        let mut env = pick_env(&mut rng, 64);
        env.lru_clock = 1000;
        let mut p: AllKeysLru = new();
        assert_eq!(picked(&mut p, &ks, &mut env), Some(0));
        // The 16 oldest were pooled; the oldest went; 24 younger were dropped.
        let want: Vec<KeyId> = (1..POOL_SIZE as KeyId).rev().collect();
        assert_eq!(pooled(&p), want);
    }

    #[test]
    fn each_pick_samples_maxmemory_samples_keys_per_database() {
        let keys: Vec<(u8, Entry)> = (0..200).map(|k| ((k % 2) as u8, entry(k, k, 0))).collect();
        let ks = keyspace(2, &keys);
        let mut rng = SmallRng::seed_from_u64(3);
        let mut env = pick_env(&mut rng, 5);
        env.lru_clock = 1000;
        let mut p: AllKeysLru = new();
        assert!(p.pick(&ks, &mut env).is_some());
        // Five from each database were offered; one was taken.
        assert_eq!(p.pool().len(), 2 * 5 - 1);
    }

    #[test]
    fn every_database_with_keys_is_sampled() {
        // Young keys in db 0, old ones in db 2, none in db 1.
        let mut keys: Vec<(u8, Entry)> = (0..5).map(|k| (0, entry(k, 900 + k, 0))).collect();
        keys.extend((10..15).map(|k| (2, entry(k, 100 + k, 0))));
        let ks = keyspace(3, &keys);
        let mut rng = SmallRng::seed_from_u64(4);
        let mut env = pick_env(&mut rng, 64);
        env.lru_clock = 1000;
        let mut p: AllKeysLru = new();
        let (db, pos) = p.pick(&ks, &mut env).unwrap();
        assert_eq!((db, ks.entry(db, pos).key), (2, 10));
        let mut dbs: Vec<u8> = p.pool().entries().iter().map(|c| c.db).collect();
        dbs.dedup();
        assert_eq!(dbs, [0, 2], "young db 0 keys, then old db 2 keys");
    }

    #[test]
    fn a_deleted_key_left_in_the_pool_is_skipped() {
        let keys: Vec<(u8, Entry)> = (0..10).map(|k| (0, entry(k, 100 + k, 0))).collect();
        let mut ks = keyspace(1, &keys);
        let mut rng = SmallRng::seed_from_u64(5);
        let mut env = pick_env(&mut rng, 64);
        env.lru_clock = 1000;
        let mut p: AllKeysLru = new();
        let (db, pos) = p.pick(&ks, &mut env).unwrap();
        assert_eq!(ks.remove(db, pos).key, 0);
        // Key 1, the best pooled, is deleted by a command meanwhile.
        let pos = ks.find(0, 1).unwrap();
        ks.remove(0, pos);
        assert!(pooled(&p).contains(&1));
        assert_eq!(picked(&mut p, &ks, &mut env), Some(2));
        assert!(!pooled(&p).contains(&1), "the ghost was dropped");
    }

    #[test]
    fn a_key_sampled_again_is_pooled_again_as_redis_does() {
        // evictionPoolPopulate never looks for the key in the pool: a key
        // sampled by two evictions holds two entries, the older one first
        // out among ties. Deduplicating would change which keys go.
        let keys = [
            (0, entry(0, 100, 0)),
            (0, entry(1, 200, 0)),
            (0, entry(2, 300, 0)),
        ];
        let mut ks = keyspace(1, &keys);
        let mut rng = SmallRng::seed_from_u64(6);
        let mut env = pick_env(&mut rng, 64);
        env.lru_clock = 1000;
        let mut p: AllKeysLru = new();
        let (db, pos) = p.pick(&ks, &mut env).unwrap();
        assert_eq!(ks.remove(db, pos).key, 0);
        assert_eq!(pooled(&p), [2, 1]);
        let (db, pos) = p.pick(&ks, &mut env).unwrap();
        assert_eq!(ks.remove(db, pos).key, 1);
        assert_eq!(
            pooled(&p),
            [2, 2, 1],
            "key 2 twice, key 1's second entry a ghost"
        );
        assert_eq!(picked(&mut p, &ks, &mut env), Some(2));
        assert_eq!(pooled(&p), [2, 2]);
    }

    #[test]
    fn volatile_policies_evict_only_keys_with_a_ttl() {
        // The ten oldest keys have no TTL: they are never candidates.
        let mut keys: Vec<(u8, Entry)> = (0..10).map(|k| (0, entry(k, 1, 0))).collect();
        keys.extend((10..20).map(|k| (0, entry(k, 500 + k, 1_000_000))));
        let mut ks = keyspace(1, &keys);
        let mut rng = SmallRng::seed_from_u64(7);
        let mut env = pick_env(&mut rng, 64);
        env.lru_clock = 1000;
        let mut p: VolatileLru = new();
        let gone = drain(&mut p, &mut ks, &mut env);
        assert_eq!(gone, (10..20).collect::<Vec<_>>(), "oldest TTL key first");
        assert_eq!((ks.len(), ks.volatile_len()), (10, 0));
    }

    #[test]
    fn a_pooled_key_that_lost_its_ttl_is_not_evicted_by_a_volatile_policy() {
        let keys = [
            (0, entry(0, 100, 5000)),
            (0, entry(1, 200, 5000)),
            (0, entry(2, 300, 5000)),
        ];
        let mut ks = keyspace(1, &keys);
        let mut rng = SmallRng::seed_from_u64(8);
        let mut env = pick_env(&mut rng, 64);
        env.lru_clock = 1000;
        let mut p: VolatileLru = new();
        let (db, pos) = p.pick(&ks, &mut env).unwrap();
        assert_eq!(ks.remove(db, pos).key, 0);
        // PERSIST on key 1, the best pooled: it stays but is no candidate.
        let pos = ks.find(0, 1).unwrap();
        ks.clear_expire(0, pos);
        assert_eq!(picked(&mut p, &ks, &mut env), Some(2));
        assert!(ks.find(0, 1).is_some());
    }

    #[test]
    fn volatile_ttl_evicts_the_key_that_expires_soonest() {
        let keys = [
            (0, entry(0, 0, 5000)),
            (0, entry(1, 0, 3000)),
            (0, entry(2, 0, 9000)),
            (0, entry(3, 0, 0)),
        ];
        let mut ks = keyspace(1, &keys);
        let mut rng = SmallRng::seed_from_u64(9);
        let mut env = pick_env(&mut rng, 64);
        let mut p: VolatileTtl = new();
        assert_eq!(drain(&mut p, &mut ks, &mut env), [1, 0, 2]);
        assert!(ks.find(0, 3).is_some(), "no TTL, never evicted");
    }

    #[test]
    fn allkeys_lfu_evicts_the_lowest_counter_after_decay() {
        // At minute 100, one decrement per minute: key 0 stored 20 but was
        // last decremented 15 minutes ago, so it counts 5, below key 1's 10.
        let keys = [
            (0, entry(0, lfu::pack(85, 20), 0)),
            (0, entry(1, lfu::pack(100, 10), 0)),
            (0, entry(2, lfu::pack(100, 30), 0)),
        ];
        let mut ks = keyspace(1, &keys);
        let mut rng = SmallRng::seed_from_u64(10);
        let mut env = pick_env(&mut rng, 64);
        env.lfu_minutes = 100;
        let mut p: AllKeysLfu = new();
        assert_eq!(drain(&mut p, &mut ks, &mut env), [0, 1, 2]);
    }

    #[test]
    fn no_candidate_means_no_victim() {
        let mut rng = SmallRng::seed_from_u64(11);
        let mut env = pick_env(&mut rng, 5);
        let mut lru: AllKeysLru = new();
        assert_eq!(lru.pick(&keyspace(16, &[]), &mut env), None);
        // Keys, but none with a TTL.
        let ks = keyspace(2, &[(0, entry(0, 0, 0)), (1, entry(1, 0, 0))]);
        let mut ttl: VolatileTtl = new();
        assert_eq!(ttl.pick(&ks, &mut env), None);
        assert!(ttl.pool().is_empty());
    }
}
