//! The interner's table for keys named by a number (binary traces such as
//! libCacheSim's oracleGeneral): (database, number) → [`KeyId`] in one
//! open-addressing array of 16-byte slots, linearly probed, at most half
//! full. Its own table rather than a `HashMap` so the reader can fetch a
//! key's slot a few records ahead ([`NumberTable::prefetch`]): on a trace of
//! a million distinct objects the table is far bigger than the caches, and
//! the lookup of each record was one cache miss waited for in turn.

use crate::model::keyspace::{mix64, prefetch};
use crate::op::KeyId;

/// One slot: the key's number, its database and its id (`EMPTY` when free).
#[derive(Clone, Copy)]
#[repr(C, align(16))]
struct Slot {
    number: u64,
    id: KeyId,
    db: u8,
}

const EMPTY: KeyId = KeyId::MAX;
const FREE: Slot = Slot {
    number: 0,
    id: EMPTY,
    db: 0,
};

/// (db, number) → id, with look-ahead.
#[derive(Default)]
pub(crate) struct NumberTable {
    slots: Vec<Slot>,
    len: usize,
}

/// Where the probe for (db, number) starts in a table of `mask + 1` slots.
#[inline]
fn home(db: u8, number: u64, mask: usize) -> usize {
    (mix64(number ^ ((db as u64) << 56) ^ 0x6b65_795f_6e75_6d31) as usize) & mask
}

impl NumberTable {
    /// The id of (db, number), if interned.
    #[inline]
    pub(crate) fn get(&self, db: u8, number: u64) -> Option<KeyId> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut i = home(db, number, mask);
        loop {
            let s = &self.slots[i];
            if s.id == EMPTY {
                return None;
            }
            if s.number == number && s.db == db {
                return Some(s.id);
            }
            i = (i + 1) & mask;
        }
    }

    /// Records (db, number) → id; the pair must not be in the table yet.
    pub(crate) fn insert(&mut self, db: u8, number: u64, id: KeyId) {
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        self.place(Slot { number, id, db });
        self.len += 1;
    }

    fn place(&mut self, slot: Slot) {
        let mask = self.slots.len() - 1;
        let mut i = home(slot.db, slot.number, mask);
        while self.slots[i].id != EMPTY {
            i = (i + 1) & mask;
        }
        self.slots[i] = slot;
    }

    fn grow(&mut self) {
        let cap = (self.slots.len() * 2).max(1024);
        let old = std::mem::replace(&mut self.slots, vec![FREE; cap]);
        for s in old.into_iter().filter(|s| s.id != EMPTY) {
            self.place(s);
        }
    }

    /// Hints the CPU to fetch the slot where the probe for (db, number)
    /// starts (a later [`NumberTable::get`] finds it in the cache).
    #[inline]
    pub(crate) fn prefetch(&self, db: u8, number: u64) {
        if !self.slots.is_empty() {
            prefetch(&self.slots[home(db, number, self.slots.len() - 1)]);
        }
    }

    /// Every (db, number, id) in the table, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u8, u64, KeyId)> + '_ {
        self.slots
            .iter()
            .filter(|s| s.id != EMPTY)
            .map(|s| (s.db, s.number, s.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_what_it_holds_through_growth_and_collisions() {
        let mut t = NumberTable::default();
        assert_eq!(t.get(0, 7), None);
        // Enough to grow several times; numbers that share low bits and
        // the same number in two databases.
        for i in 0..10_000u64 {
            t.insert((i % 2) as u8, (i / 2) << 20, i as KeyId);
        }
        for i in 0..10_000u64 {
            assert_eq!(t.get((i % 2) as u8, (i / 2) << 20), Some(i as KeyId));
        }
        assert_eq!(t.get(2, 0), None);
        assert_eq!(t.get(0, 1), None);
        assert_eq!(t.iter().count(), 10_000);
        assert_eq!(std::mem::size_of::<Slot>(), 16);
    }
}
