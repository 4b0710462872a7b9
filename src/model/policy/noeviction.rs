//! `noeviction`, Redis's default: never evict. Once memory is over
//! `maxmemory`, DENYOOM commands (SET, INCR, APPEND, LPUSH...) are refused
//! with `-OOM`; reads, DEL and EXPIRE keep working.
//!
//! Use it for data with no other copy (sessions, queues, counters), with AOF
//! for durability: the application sees an error instead of silent loss.
//! Don't use it for a cache: a full cache stops accepting writes.

use super::{PickEnv, Policy, PolicyKind, Touch};
use crate::model::keyspace::Keyspace;
use crate::model::InstanceConfig;

/// Never evicts.
pub struct NoEviction;

impl Policy for NoEviction {
    const KIND: PolicyKind = PolicyKind::NoEviction;
    const TOUCH: Touch = Touch::Lru;

    fn new(_cfg: &InstanceConfig) -> Self {
        NoEviction
    }

    fn pick(&mut self, _ks: &Keyspace, _env: &mut PickEnv<'_>) -> Option<(u8, usize)> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testkit::*;
    use crate::model::{Instance, Reply};
    use crate::op::{Cmd, ReadSpec};

    #[test]
    fn never_evicts_refuses_writes_and_serves_reads_deletes_and_expire() {
        let cfg = InstanceConfig {
            maxmemory: 1_000_000,
            ..Default::default()
        };
        let mut inst = Instance::<NoEviction>::new(&cfg, 1);
        let mut refused = 0;
        for k in 0..2000 {
            if inst.apply(&set(k as u64, k, 200, 0)) == Reply::Oom {
                refused += 1;
            }
        }
        let m = inst.metrics().classes[0].counters;
        assert_eq!(m.evicted, 0);
        assert!(refused > 0, "writes over the limit must be refused");
        assert_eq!(m.oom_rejected, refused);
        // Over the limit: GET, EXPIRE and DEL still run, INCR and APPEND don't.
        assert_eq!(inst.apply(&get(3000, 1)), Reply::Found);
        assert_eq!(
            inst.apply(&op(3000, 1, Cmd::Expire { ttl_ms: 100_000 })),
            Reply::Found
        );
        assert_eq!(
            inst.apply(&op(3000, 99_999, Cmd::IncrBy { delta: 1 })),
            Reply::Oom
        );
        assert_eq!(inst.apply(&op(3000, 2, Cmd::Append { len: 5 })), Reply::Oom);
        assert_eq!(
            inst.apply(&op(3000, 3, Cmd::Read(ReadSpec::default()))),
            Reply::Found
        );
        assert_eq!(inst.apply(&op(3000, 2, Cmd::Del)), Reply::Found);
        assert_eq!(inst.metrics().classes[0].counters.evicted, 0);
    }
}
