//! `exact-lru`: a reference, not a Redis policy. True LRU over every key with
//! no sampling and a millisecond-exact order (a doubly linked list), to show
//! how far Redis's sampled approximation is from the ideal.

use super::{PickEnv, Policy, PolicyKind, Touch};
use crate::model::keyspace::{prefetch, Keyspace, NONE};
use crate::model::InstanceConfig;
use crate::op::KeyId;

/// One key's links in the recency list: previous and next key id.
#[derive(Clone, Copy)]
struct Node {
    prev: KeyId,
    next: KeyId,
}

const UNLINKED: Node = Node {
    prev: NONE,
    next: NONE,
};

/// Exact LRU: a recency list over key ids, least recent at the head. A
/// key's two links share one 8-byte node, so touching it costs one cache
/// miss (plus its neighbours').
pub struct ExactLru {
    nodes: Vec<Node>,
    db: Vec<u8>,
    head: KeyId,
    tail: KeyId,
}

impl ExactLru {
    #[inline]
    fn ensure(&mut self, key: KeyId) {
        let need = key as usize + 1;
        if self.nodes.len() < need {
            self.nodes.resize(need, UNLINKED);
            self.db.resize(need, 0);
        }
    }

    #[inline]
    fn unlink(&mut self, key: KeyId) {
        let Node { prev: p, next: n } = self.nodes[key as usize];
        if p != NONE {
            self.nodes[p as usize].next = n;
        } else if self.head == key {
            self.head = n;
        }
        if n != NONE {
            self.nodes[n as usize].prev = p;
        } else if self.tail == key {
            self.tail = p;
        }
        self.nodes[key as usize] = UNLINKED;
    }

    #[inline]
    fn push_back(&mut self, key: KeyId) {
        self.nodes[key as usize] = Node {
            prev: self.tail,
            next: NONE,
        };
        if self.tail != NONE {
            self.nodes[self.tail as usize].next = key;
        } else {
            self.head = key;
        }
        self.tail = key;
    }

    /// Keys from least to most recently used (for tests).
    pub fn order(&self) -> Vec<KeyId> {
        let mut out = Vec::new();
        let mut cur = self.head;
        while cur != NONE {
            out.push(cur);
            cur = self.nodes[cur as usize].next;
        }
        out
    }
}

impl Policy for ExactLru {
    const KIND: PolicyKind = PolicyKind::ExactLru;
    const TOUCH: Touch = Touch::Lru;

    fn new(_cfg: &InstanceConfig) -> Self {
        ExactLru {
            nodes: Vec::new(),
            db: Vec::new(),
            head: NONE,
            tail: NONE,
        }
    }

    #[inline]
    fn next_victim(&self) -> Option<(u8, KeyId)> {
        (self.head != NONE).then(|| (self.db[self.head as usize], self.head))
    }

    #[inline]
    fn prefetch_far(&self, key: KeyId) {
        if let Some(n) = self.nodes.get(key as usize) {
            prefetch(n);
        }
    }

    #[inline]
    fn prefetch_near(&self, key: KeyId) {
        // The node came in at the far stage: fetch its neighbours, which
        // unlinking the key will write.
        if let Some(n) = self.nodes.get(key as usize) {
            for k in [n.prev, n.next] {
                if let Some(m) = self.nodes.get(k as usize) {
                    prefetch(m);
                }
            }
        }
    }

    fn pick(&mut self, ks: &Keyspace, _env: &mut PickEnv<'_>) -> Option<(u8, usize)> {
        if self.head == NONE {
            return None;
        }
        let key = self.head;
        let db = self.db[key as usize];
        ks.find(db, key).map(|pos| (db, pos))
    }

    #[inline]
    fn on_insert(&mut self, key: KeyId, db: u8) {
        self.ensure(key);
        self.db[key as usize] = db;
        self.push_back(key);
    }

    #[inline]
    fn on_access(&mut self, key: KeyId) {
        if self.tail != key {
            self.unlink(key);
            self.push_back(key);
        }
    }

    #[inline]
    fn on_remove(&mut self, key: KeyId) {
        self.unlink(key);
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
        assert_eq!(inst.policy().order(), vec![1, 2, 4, 5, 6, 7, 8, 9, 3, 0]);
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
