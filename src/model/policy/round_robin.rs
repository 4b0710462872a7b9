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
