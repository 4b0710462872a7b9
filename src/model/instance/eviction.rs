//! Eviction and what it costs: freeing memory before a command as
//! `performEvictions` does (the policy picks, the instance removes), and
//! the accounting of each eviction: a live key's idle time and TTL left, its
//! lost-read deadline, and the reads that later miss because of it.

use super::Instance;
use crate::model::keyspace::Entry;
use crate::model::policy::{PickEnv, Policy, PolicyKind, Victim};
use crate::op::Op;

impl<P: Policy> Instance<P> {
    /// Frees memory before a command (`performEvictions`). Returns false if
    /// memory is still over the limit (the command is refused if DENYOOM).
    pub(super) fn make_room(&mut self, argv: u64) -> bool {
        let max = self.cfg.maxmemory;
        if max == 0 {
            return true;
        }
        let used = self.ks.used_memory() + argv;
        if used <= max {
            return true;
        }
        if P::KIND == PolicyKind::NoEviction {
            return false;
        }
        let to_free = used - max;
        let mut freed = 0;
        let lfu_minutes = self.lfu_minutes();
        while freed < to_free {
            let now = self.now;
            let mut env = PickEnv {
                rng: &mut self.rng,
                samples: self.cfg.samples,
                lru_clock: self.lru_clock,
                lfu_minutes,
                lfu_decay_time: self.cfg.lfu_decay_time,
                trace: self.trace.as_deref_mut().map(|t| t.begin(now)),
            };
            let picked = self.policy.pick(&self.ks, &mut env);
            if let Some(t) = self.trace.as_deref_mut() {
                t.finish(picked.map(|(db, pos)| (db, self.ks.entry(db, pos).key)));
            }
            let Some((db, pos)) = picked else {
                return false;
            };
            let before = self.ks.used_memory();
            self.evict(db, pos);
            freed += before.saturating_sub(self.ks.used_memory());
        }
        // The pool's best is usually the next eviction's victim, a few
        // commands from now: start fetching what evicting it will touch.
        match self.policy.next_victim() {
            Some(Victim::Key(db, k)) => {
                self.ks.prefetch_head(db, k);
                self.lost.prefetch(k);
            }
            Some(Victim::Slot(db, pos)) => self.ks.prefetch_slot(db, pos),
            None => {}
        }
        true
    }

    fn evict(&mut self, db: u8, pos: usize) {
        let e = self.remove(db, pos);
        let now = self.now;
        let class = e.class as usize;
        self.metrics.timeline.record_eviction(now, class);
        if let Some(n) = self.metrics.db_evicted.get_mut(usize::from(db)) {
            *n += 1;
        }
        if e.expire_at != 0 && now > e.expire_at {
            // Past its TTL, not yet reclaimed: Redis evicts (and counts) it
            // like any key, but no data was lost.
            self.metrics.classes[class].record_expired_eviction();
            return;
        }
        // Everything it held is gone: a list's pending jobs with it.
        self.metrics.classes[class].counters.lost_items += match e.kind {
            k if k.is_aggregate() => e.int_value.max(1) as u64,
            _ => 1,
        };
        let first = !self.lost.ever_evicted(e.key);
        let ttl_left = if e.expire_at != 0 {
            Some(e.expire_at.saturating_sub(now))
        } else {
            None
        };
        self.lost.evicted(
            e.key,
            if e.expire_at != 0 {
                e.expire_at
            } else {
                u64::MAX
            },
        );
        self.metrics.classes[class].record_eviction(
            now.saturating_sub(e.last_access_ms),
            ttl_left,
            first,
        );
    }

    #[inline]
    pub(super) fn remove(&mut self, db: u8, pos: usize) -> Entry {
        let e = self.ks.remove(db, pos);
        self.policy.on_remove(db, pos);
        e
    }

    /// A miss: was it because the key had been evicted (and would still be
    /// there otherwise)?
    ///
    /// `slide_ms` is the TTL the read would have refreshed had the key been
    /// there (sliding expiry): the key would have lived on, so the deadline
    /// moves with it.
    #[inline]
    pub(super) fn note_miss(&mut self, op: &Op, slide_ms: u64) {
        let deadline = self.lost.deadline(op.key);
        if deadline != 0 {
            if self.now > deadline {
                self.lost.set_deadline(op.key, 0);
            } else if self.now + self.cfg.lost_read_margin_ms <= deadline {
                self.metrics.classes[op.class as usize].counters.lost_reads += 1;
                if slide_ms > 0 && deadline != u64::MAX {
                    self.lost
                        .set_deadline(op.key, deadline.max(self.now + slide_ms));
                }
            }
        }
    }

    /// A TTL command on a key lost to eviction: it would have changed the
    /// key's deadline (`ttl_ms` 0 deletes; `None` is PERSIST).
    #[inline]
    pub(super) fn move_lost_deadline(&mut self, op: &Op, ttl_ms: Option<u64>) {
        let deadline = self.lost.deadline(op.key);
        if deadline == 0 {
            return;
        }
        self.lost.set_deadline(
            op.key,
            if self.now > deadline {
                0
            } else {
                match ttl_ms {
                    Some(0) => 0,
                    Some(t) => self.now + t,
                    None => u64::MAX,
                }
            },
        );
    }
}
