//! A map from key id to a `u32`, for state only some key ids have: open
//! addressing with linear probing over 8-byte slots (id and value side by
//! side, so a lookup usually costs one cache line), backward-shift deletion
//! (no tombstones), and a [`IdMap::prefetch`] that lets the hot loop fetch
//! a key's slot a few operations ahead, as it does for everything else.

use super::keyspace::{mix64, prefetch};
use crate::op::KeyId;

const EMPTY: KeyId = KeyId::MAX;

#[derive(Clone, Copy, Debug)]
struct Slot {
    key: KeyId,
    value: u32,
}

const FREE: Slot = Slot {
    key: EMPTY,
    value: 0,
};

/// Key id -> `u32`. Ids must be below `KeyId::MAX` (the empty marker).
#[derive(Clone, Debug, Default)]
pub(super) struct IdMap {
    slots: Vec<Slot>,
    len: usize,
}

impl IdMap {
    #[inline]
    fn home(&self, key: KeyId) -> usize {
        (mix64(u64::from(key)) as usize) & (self.slots.len() - 1)
    }

    /// Entries held.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds nothing.
    pub(super) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Hints the CPU to fetch the slot where `key` would be found first.
    #[inline]
    pub(super) fn prefetch(&self, key: KeyId) {
        if !self.slots.is_empty() {
            prefetch(&self.slots[self.home(key)]);
        }
    }

    /// The value of `key`, if any.
    #[inline]
    pub(super) fn get(&self, key: KeyId) -> Option<u32> {
        if self.len == 0 {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        loop {
            let s = self.slots[i];
            if s.key == key {
                return Some(s.value);
            }
            if s.key == EMPTY {
                return None;
            }
            i = (i + 1) & mask;
        }
    }

    /// Sets `key`'s value.
    #[inline]
    pub(super) fn insert(&mut self, key: KeyId, value: u32) {
        debug_assert!(key != EMPTY);
        // At most 3/4 full, so probes stay short.
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.resize((self.slots.len() * 2).max(16));
        }
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        loop {
            let s = &mut self.slots[i];
            if s.key == key {
                s.value = value;
                return;
            }
            if s.key == EMPTY {
                *s = Slot { key, value };
                self.len += 1;
                return;
            }
            i = (i + 1) & mask;
        }
    }

    /// Removes `key`, if present.
    #[inline]
    pub(super) fn remove(&mut self, key: KeyId) {
        if self.len == 0 {
            return;
        }
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        loop {
            let k = self.slots[i].key;
            if k == key {
                break;
            }
            if k == EMPTY {
                return;
            }
            i = (i + 1) & mask;
        }
        self.len -= 1;
        // Backward shift: pull later members of the run into the hole when
        // the hole lies between their home and where they sit.
        let mut hole = i;
        let mut j = (i + 1) & mask;
        loop {
            let s = self.slots[j];
            if s.key == EMPTY {
                break;
            }
            let home = self.home(s.key);
            if (j.wrapping_sub(home) & mask) >= (j.wrapping_sub(hole) & mask) {
                self.slots[hole] = s;
                hole = j;
            }
            j = (j + 1) & mask;
        }
        self.slots[hole] = FREE;
    }

    /// Keeps the entries `f` gives a value for, with that value; shrinks
    /// when it can.
    pub(super) fn retain_map(&mut self, mut f: impl FnMut(KeyId, u32) -> Option<u32>) {
        let old = std::mem::take(&mut self.slots);
        self.len = 0;
        let kept: Vec<Slot> = old
            .into_iter()
            .filter(|s| s.key != EMPTY)
            .filter_map(|s| f(s.key, s.value).map(|value| Slot { key: s.key, value }))
            .collect();
        let mut size = 16;
        while kept.len() * 4 > size * 3 {
            size *= 2;
        }
        self.slots = vec![FREE; size];
        for s in kept {
            self.insert(s.key, s.value);
        }
    }

    fn resize(&mut self, size: usize) {
        let old = std::mem::replace(&mut self.slots, vec![FREE; size]);
        self.len = 0;
        for s in old.into_iter().filter(|s| s.key != EMPTY) {
            self.insert(s.key, s.value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};
    use std::collections::HashMap;

    #[test]
    fn agrees_with_a_hash_map_through_inserts_removals_and_retains() {
        let mut rng = SmallRng::seed_from_u64(3);
        let mut m = IdMap::default();
        let mut r: HashMap<KeyId, u32> = HashMap::new();
        for step in 0..200_000u32 {
            let k = rng.gen_range(0..5_000u32);
            match rng.gen_range(0..10) {
                0..=4 => {
                    m.insert(k, step);
                    r.insert(k, step);
                }
                5..=7 => {
                    m.remove(k);
                    r.remove(&k);
                }
                8 => assert_eq!(m.get(k), r.get(&k).copied(), "step {step}"),
                _ if step % 5_000 == 9 => {
                    let cut = step.saturating_sub(20_000);
                    m.retain_map(|_, v| (v >= cut).then_some(v + 1));
                    r.retain(|_, v| *v >= cut);
                    r.values_mut().for_each(|v| *v += 1);
                }
                _ => {}
            }
            assert_eq!(m.len(), r.len());
        }
        for k in 0..5_000u32 {
            assert_eq!(m.get(k), r.get(&k).copied(), "key {k}");
        }
    }
}
