//! `exact-lru`: a reference, not a Redis policy. True LRU over every key with
//! no sampling and a millisecond-exact order (a doubly linked list), to show
//! how far Redis's sampled approximation is from the ideal.

use super::{PickEnv, Policy, PolicyKind, Touch, Victim};
use crate::model::keyspace::{prefetch, Keyspace};
use crate::model::InstanceConfig;
use crate::op::KeyId;

/// A key's place: its database (high 32 bits) and its slot in that
/// database's entries (low 32), or [`NIL`].
type Ref = u64;

const NIL: Ref = u64::MAX;

#[inline]
fn at(db: u8, pos: usize) -> Ref {
    (u64::from(db) << 32) | pos as u64
}

#[inline]
fn split(r: Ref) -> (usize, usize) {
    ((r >> 32) as usize, (r & 0xffff_ffff) as usize)
}

/// One key's links in the recency list.
#[derive(Clone, Copy)]
struct Node {
    prev: Ref,
    next: Ref,
}

const UNLINKED: Node = Node {
    prev: NIL,
    next: NIL,
};

/// Exact LRU: a recency list over the keyspace's slots, least recent at the
/// head. A key's two links share one 16-byte node kept beside its slot (not
/// per key id), so the list costs what the resident keys cost and touching
/// a key costs one cache miss (plus its neighbours').
pub struct ExactLru {
    /// Per database, per slot.
    nodes: Vec<Vec<Node>>,
    head: Ref,
    tail: Ref,
}

impl ExactLru {
    #[inline]
    fn node(&mut self, r: Ref) -> &mut Node {
        let (db, pos) = split(r);
        &mut self.nodes[db][pos]
    }

    #[inline]
    fn unlink(&mut self, r: Ref) {
        let Node { prev: p, next: n } = *self.node(r);
        if p != NIL {
            self.node(p).next = n;
        } else if self.head == r {
            self.head = n;
        }
        if n != NIL {
            self.node(n).prev = p;
        } else if self.tail == r {
            self.tail = p;
        }
        *self.node(r) = UNLINKED;
    }

    #[inline]
    fn push_back(&mut self, r: Ref) {
        let tail = self.tail;
        *self.node(r) = Node {
            prev: tail,
            next: NIL,
        };
        if tail != NIL {
            self.node(tail).next = r;
        } else {
            self.head = r;
        }
        self.tail = r;
    }

    /// Keys from least to most recently used (for tests).
    pub fn order(&self, ks: &Keyspace) -> Vec<KeyId> {
        let mut out = Vec::new();
        let mut cur = self.head;
        while cur != NIL {
            let (db, pos) = split(cur);
            out.push(ks.entry(db as u8, pos).key);
            cur = self.nodes[db][pos].next;
        }
        out
    }
}

impl Policy for ExactLru {
    const KIND: PolicyKind = PolicyKind::ExactLru;
    const TOUCH: Touch = Touch::Lru;

    fn new(cfg: &InstanceConfig) -> Self {
        ExactLru {
            nodes: vec![Vec::new(); usize::from(cfg.databases.max(1))],
            head: NIL,
            tail: NIL,
        }
    }

    #[inline]
    fn next_victim(&self) -> Option<Victim> {
        (self.head != NIL).then(|| {
            let (db, pos) = split(self.head);
            Victim::Slot(db as u8, pos)
        })
    }

    #[inline]
    fn prefetch_near(&self, ks: &Keyspace, db: u8, key: KeyId) {
        // The key's bucket head came in at the far stage: its chain's first
        // slot is usually the key's own. Fetch that slot's node, which
        // touching the key will rewrite.
        if let Some(pos) = ks.chain_head_slot(db, key) {
            if let Some(n) = self.nodes.get(db as usize).and_then(|v| v.get(pos)) {
                prefetch(n);
            }
        }
    }

    fn pick(&mut self, _ks: &Keyspace, _env: &mut PickEnv<'_>) -> Option<(u8, usize)> {
        (self.head != NIL).then(|| {
            let (db, pos) = split(self.head);
            (db as u8, pos)
        })
    }

    #[inline]
    fn on_insert(&mut self, db: u8, pos: usize) {
        let v = &mut self.nodes[db as usize];
        if v.len() <= pos {
            v.resize(pos + 1, UNLINKED);
        }
        self.push_back(at(db, pos));
    }

    #[inline]
    fn on_access(&mut self, db: u8, pos: usize) {
        let r = at(db, pos);
        if self.tail != r {
            self.unlink(r);
            self.push_back(r);
        }
    }

    #[inline]
    fn on_remove(&mut self, db: u8, pos: usize) {
        self.unlink(at(db, pos));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testkit::*;
    use crate::model::Instance;

    #[test]
    fn evicts_in_exact_lru_order() {
        let cfg = InstanceConfig {
            maxmemory: 0,
            ..Default::default()
        };
        let mut inst = Instance::<ExactLru>::new(&cfg, 1);
        for k in 0..10 {
            inst.apply(&set(k as u64, k, 10, 0));
        }
        inst.apply(&get(20, 3));
        inst.apply(&get(21, 0));
        assert_eq!(
            inst.policy().order(inst.keyspace()),
            vec![1, 2, 4, 5, 6, 7, 8, 9, 3, 0]
        );
    }

    #[test]
    fn under_pressure_the_least_recent_key_goes_first() {
        // Fill, then read every key but one, then push memory over: the
        // unread key must be the first evicted, then the oldest reads.
        let mut cfg = InstanceConfig::default();
        let mut probe = Instance::<ExactLru>::new(&cfg, 1);
        for k in 0..100 {
            probe.apply(&set(0, k, 100, 0));
        }
        // GET's latency histogram too, so the reads below evict nothing.
        probe.apply(&get(0, 999));
        cfg.maxmemory = probe.keyspace().used_memory() + 100;
        let mut inst = Instance::<ExactLru>::new(&cfg, 1);
        for k in 0..100 {
            inst.apply(&set(0, k, 100, 0));
        }
        for k in (0..100).filter(|&k| k != 42) {
            inst.apply(&get(1000 + k as u64, k));
        }
        inst.apply(&set(5000, 500, 100, 0));
        inst.apply(&set(5001, 501, 100, 0));
        let gone: Vec<u32> = (0..100)
            .filter(|&k| inst.keyspace().find(0, k).is_none())
            .collect();
        assert_eq!(gone[0], 0, "{gone:?}");
        assert!(gone.contains(&42), "the unread key is evicted: {gone:?}");
        // Only a prefix of the recency order goes.
        let order_gone: Vec<u32> = std::iter::once(42)
            .chain(0..100)
            .filter(|k| gone.contains(k))
            .collect();
        assert_eq!(
            &order_gone[..gone.len()],
            &{
                let mut v = vec![42];
                v.extend((0..100).filter(|&k| k != 42).take(gone.len() - 1));
                v
            }[..]
        );
    }
}
