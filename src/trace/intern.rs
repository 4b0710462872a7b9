//! Key interning for traces: each distinct (database, key) becomes a dense
//! [`KeyId`] the first time a line names it, with the facts every later
//! [`Op`](crate::op::Op) on it carries (name length, class, database) and the
//! last value size the trace showed for it.
//!
//! Cost: one hash-map entry (the boxed name, 16 bytes, and the id) plus a
//! 12-byte [`KeyMeta`], about 70 bytes and the name's length per key.

use super::classes::ClassRules;
use super::numbers::NumberTable;
use crate::cluster::key_hash_slot;
use crate::op::{ClassId, KeyId};
use std::collections::HashMap;

/// The interner's hasher: foldhash, several times cheaper per lookup than
/// the standard SipHash (the interner's lookup was a third of a replay's
/// parsing), and still seeded per process. Nothing iterates the maps in
/// their order, so the seed never shows in a result.
type Map<K> = HashMap<K, KeyId, foldhash::fast::RandomState>;

/// What the reader remembers about one key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct KeyMeta {
    /// Length of the key's name in bytes (saturated to `u16::MAX`).
    pub(crate) key_len: u16,
    /// The key's class.
    pub(crate) class: ClassId,
    /// The key's database.
    pub(crate) db: u8,
    /// The last value size (for an aggregate, element size) the trace showed
    /// for the key; 0 when none yet.
    pub(crate) last_len: u32,
    /// Whether the trace has written the key (grown it) before.
    pub(crate) written: bool,
    /// The key's Redis Cluster hash slot (of its name, or its `{hash tag}`),
    /// hashed once here so a clustered replay routes without hashing.
    pub(crate) slot: u16,
}

/// (db, name) → [`KeyId`], plus each key's [`KeyMeta`].
#[derive(Default)]
pub(crate) struct Interner {
    /// One map per database, created when the database is first used.
    names: Vec<Map<Box<[u8]>>>,
    /// Keys named by a number (binary traces), by (db, number).
    numbers: NumberTable,
    meta: Vec<KeyMeta>,
}

impl Interner {
    /// Distinct keys interned.
    pub(crate) fn len(&self) -> usize {
        self.meta.len()
    }

    /// The id of `name` in `db`, interning it (with `key_len`, or the name's
    /// own length) on first sight. None when the ids are exhausted.
    pub(crate) fn intern(
        &mut self,
        db: u8,
        name: &[u8],
        key_len: Option<u64>,
        rules: &ClassRules,
    ) -> Option<KeyId> {
        let i = db as usize;
        if self.names.len() <= i {
            self.names.resize_with(i + 1, Map::default);
        }
        if let Some(&id) = self.names[i].get(name) {
            return Some(id);
        }
        let id = self.next_id()?;
        let len = key_len.unwrap_or(name.len() as u64);
        self.meta.push(KeyMeta {
            key_len: len.min(u16::MAX as u64) as u16,
            class: rules.classify(name),
            db,
            last_len: 0,
            written: false,
            slot: key_hash_slot(name),
        });
        self.names[i].insert(name.into(), id);
        Some(id)
    }

    /// The id of the key named by `number` in `db` (its name is the number in
    /// decimal, for its length and class), interning it on first sight.
    pub(crate) fn intern_number(
        &mut self,
        db: u8,
        number: u64,
        rules: &ClassRules,
    ) -> Option<KeyId> {
        if let Some(id) = self.numbers.get(db, number) {
            return Some(id);
        }
        let id = self.next_id()?;
        let name = number.to_string();
        self.meta.push(KeyMeta {
            key_len: name.len() as u16,
            class: rules.classify(name.as_bytes()),
            db,
            last_len: 0,
            written: false,
            slot: key_hash_slot(name.as_bytes()),
        });
        self.numbers.insert(db, number, id);
        Some(id)
    }

    /// Hints the CPU to fetch what [`Interner::intern_number`] of (db,
    /// number) will read first.
    #[inline]
    pub(crate) fn prefetch_number(&self, db: u8, number: u64) {
        self.numbers.prefetch(db, number);
    }

    /// Hints the CPU to fetch the [`KeyMeta`] of (db, number) if it is
    /// interned (its slot should be in the cache by now: see
    /// [`Interner::prefetch_number`]).
    #[inline]
    pub(crate) fn prefetch_number_meta(&self, db: u8, number: u64) {
        if let Some(id) = self.numbers.get(db, number) {
            crate::model::keyspace::prefetch(&self.meta[id as usize]);
        }
    }

    fn next_id(&self) -> Option<KeyId> {
        KeyId::try_from(self.meta.len())
            .ok()
            .filter(|&id| id < KeyId::MAX)
    }

    /// The facts about an interned key.
    pub(crate) fn meta(&self, id: KeyId) -> &KeyMeta {
        &self.meta[id as usize]
    }

    /// The facts about key `id`, if it has been interned.
    pub(crate) fn get(&self, id: KeyId) -> Option<&KeyMeta> {
        self.meta.get(id as usize)
    }

    /// The facts about an interned key, to update.
    pub(crate) fn meta_mut(&mut self, id: KeyId) -> &mut KeyMeta {
        &mut self.meta[id as usize]
    }

    /// Every key's (db, name), indexed by id.
    pub(crate) fn names(&self) -> Vec<(u8, Vec<u8>)> {
        let mut out = vec![(0, Vec::new()); self.meta.len()];
        for (db, map) in self.names.iter().enumerate() {
            for (name, &id) in map {
                out[id as usize] = (db as u8, name.to_vec());
            }
        }
        for (db, n, id) in self.numbers.iter() {
            out[id as usize] = (db, n.to_string().into_bytes());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_dense_per_db_and_name() {
        let rules = ClassRules::from_cli(&["s=s*"], &[] as &[&str]).unwrap();
        let mut i = Interner::default();
        assert_eq!(i.intern(0, b"s1", None, &rules), Some(0));
        assert_eq!(i.intern(1, b"s1", None, &rules), Some(1));
        assert_eq!(i.intern(0, b"x", Some(100_000), &rules), Some(2));
        assert_eq!(i.intern(0, b"s1", None, &rules), Some(0));
        assert_eq!(i.intern_number(0, 12345, &rules), Some(3));
        assert_eq!(i.intern_number(0, 12345, &rules), Some(3));
        assert_eq!(i.len(), 4);
        assert_eq!(i.meta(1).db, 1);
        assert_eq!(i.meta(0).class, 0);
        assert_eq!(i.meta(2).class, 1);
        assert_eq!(i.meta(2).key_len, u16::MAX);
        assert_eq!(i.meta(3).key_len, 5);
        assert_eq!(i.meta(0).slot, crate::cluster::key_hash_slot(b"s1"));
        assert_eq!(i.meta(3).slot, crate::cluster::key_hash_slot(b"12345"));
        assert!(i.get(4).is_none());
        assert_eq!(
            std::mem::size_of::<KeyMeta>(),
            12,
            "the slot fits the padding"
        );
        assert_eq!(
            i.names(),
            vec![
                (0, b"s1".to_vec()),
                (1, b"s1".to_vec()),
                (0, b"x".to_vec()),
                (0, b"12345".to_vec())
            ]
        );
    }
}
