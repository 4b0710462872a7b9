//! Redis's random eviction: one random key per eviction, taking databases in
//! turn (`next_db`), so a small database drains as fast as a big one.

use super::{PickEnv, Policy, PolicyKind, Touch};
use crate::model::keyspace::Keyspace;
use crate::model::InstanceConfig;

/// A random policy; `VOLATILE` restricts it to keys with a TTL.
pub struct RoundRobin<const VOLATILE: bool> {
    next_db: usize,
}

impl<const VOLATILE: bool> Policy for RoundRobin<VOLATILE> {
    const KIND: PolicyKind = if VOLATILE {
        PolicyKind::VolatileRandom
    } else {
        PolicyKind::AllKeysRandom
    };
    const TOUCH: Touch = Touch::Lru;

    fn new(_cfg: &InstanceConfig) -> Self {
        RoundRobin { next_db: 0 }
    }

    fn pick(&mut self, ks: &Keyspace, env: &mut PickEnv<'_>) -> Option<(u8, usize)> {
        let dbnum = ks.dbs.len();
        for _ in 0..dbnum {
            self.next_db += 1;
            let j = self.next_db % dbnum;
            let d = &ks.dbs[j];
            let n = if VOLATILE { d.volatile_len() } else { d.len() };
            if n != 0 {
                let pos = ks.random_position(j as u8, VOLATILE, env.rng);
                return Some((j as u8, pos));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::keyspace::Entry;
    use crate::model::policy::{AllKeysRandom, VolatileRandom};
    use crate::model::testkit::*;
    use crate::op::KeyId;
    use rand::rngs::SmallRng;
    use rand::SeedableRng;
    use std::collections::BTreeSet;

    fn new<P: Policy>() -> P {
        P::new(&InstanceConfig::default())
    }

    /// `n` picks that evict nothing: each victim as (database, key).
    fn picks<P: Policy>(
        p: &mut P,
        ks: &Keyspace,
        env: &mut PickEnv<'_>,
        n: usize,
    ) -> Vec<(u8, KeyId)> {
        (0..n)
            .map(|_| {
                let (db, pos) = p.pick(ks, env).expect("a key to pick");
                (db, ks.entry(db, pos).key)
            })
            .collect()
    }

    /// Keys `keys` in database `db`, without TTL.
    fn in_db(db: u8, keys: std::ops::Range<KeyId>) -> Vec<(u8, Entry)> {
        keys.map(|k| (db, entry(k, 0, 0))).collect()
    }

    #[test]
    fn databases_are_taken_in_turn_from_db_1() {
        // As Redis's `++next_db % dbnum`: the first eviction looks at db 1.
        let keys: Vec<_> = (0..3)
            .flat_map(|db| in_db(db, db as KeyId * 10..db as KeyId * 10 + 4))
            .collect();
        let ks = keyspace(3, &keys);
        let mut rng = SmallRng::seed_from_u64(1);
        let mut env = pick_env(&mut rng, 5);
        let mut p: AllKeysRandom = new();
        let dbs: Vec<u8> = picks(&mut p, &ks, &mut env, 7)
            .iter()
            .map(|v| v.0)
            .collect();
        assert_eq!(dbs, [1, 2, 0, 1, 2, 0, 1]);
    }

    #[test]
    fn empty_databases_are_skipped() {
        let mut keys = in_db(0, 0..1);
        keys.extend(in_db(2, 10..13));
        let mut ks = keyspace(3, &keys);
        let mut rng = SmallRng::seed_from_u64(2);
        let mut env = pick_env(&mut rng, 5);
        let mut p: AllKeysRandom = new();
        let mut dbs = Vec::new();
        while let Some((db, pos)) = p.pick(&ks, &mut env) {
            ks.remove(db, pos);
            dbs.push(db);
        }
        // Db 1 never; db 0 once, then it is empty and db 2 is taken each time.
        assert_eq!(dbs, [2, 0, 2, 2]);
        assert!(ks.is_empty());
    }

    #[test]
    fn a_random_pick_reaches_every_live_key_and_no_removed_one() {
        let mut ks = keyspace(1, &in_db(0, 0..20));
        for k in (0..20).step_by(2) {
            let pos = ks.find(0, k).unwrap();
            ks.remove(0, pos);
        }
        let mut rng = SmallRng::seed_from_u64(3);
        let mut env = pick_env(&mut rng, 5);
        let mut p: AllKeysRandom = new();
        let seen: BTreeSet<KeyId> = picks(&mut p, &ks, &mut env, 400)
            .iter()
            .map(|v| v.1)
            .collect();
        assert_eq!(seen, (1..20).step_by(2).collect());
    }

    #[test]
    fn volatile_random_picks_only_keys_with_a_ttl() {
        // Db 0 has no TTL key; db 1 has five among ten.
        let mut keys = in_db(0, 0..10);
        keys.extend((10..20).map(|k| (1, entry(k, 0, if k % 2 == 0 { 5000 } else { 0 }))));
        let mut ks = keyspace(2, &keys);
        let mut rng = SmallRng::seed_from_u64(4);
        let mut env = pick_env(&mut rng, 5);
        let mut p: VolatileRandom = new();
        let seen: BTreeSet<(u8, KeyId)> = picks(&mut p, &ks, &mut env, 200).into_iter().collect();
        assert_eq!(seen, (10..20).step_by(2).map(|k| (1, k)).collect());
        // Evicting them all leaves the keys without TTL, and no victim.
        let mut gone = 0;
        while let Some((db, pos)) = p.pick(&ks, &mut env) {
            assert_ne!(ks.remove(db, pos).expire_at, 0);
            gone += 1;
        }
        assert_eq!((gone, ks.len()), (5, 15));
    }

    #[test]
    fn no_key_means_no_victim() {
        let mut rng = SmallRng::seed_from_u64(5);
        let mut env = pick_env(&mut rng, 5);
        let ks = keyspace(16, &[]);
        assert_eq!(new::<AllKeysRandom>().pick(&ks, &mut env), None);
        assert_eq!(new::<VolatileRandom>().pick(&ks, &mut env), None);
    }
}
