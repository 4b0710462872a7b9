//! One logical database's storage: the slot array its entries live in (a
//! slot keeps its position while its key lives, because the chains point at
//! slots), the free list that hands a deleted key's slot to the next insert,
//! the main dict's and the `expires` dict's tables, and the per-slot links
//! of the `expires` chains, allocated only once the database has a TTL.

use super::table::Table;
use super::{Entry, NONE};

/// One logical database.
#[derive(Clone, Debug)]
pub struct Db {
    /// Every key, in slots that keep their position while the key lives
    /// (what the main dict's chains point at). A free slot has key `NONE`
    /// and chains the free list through `next`.
    pub(super) entries: Vec<Entry>,
    /// First free slot, or `NONE`.
    pub(super) free: u32,
    /// Keys in the database.
    pub(super) len: usize,
    /// Keys with a TTL (members of `expires`).
    pub(super) volatile_len: usize,
    /// The main dict's hash table (no buckets until the first key), chained
    /// through [`Entry::next`], so walking a chain reads only the entries.
    pub(super) main: Table,
    /// The `expires` hash table: bucket heads are slots of `entries`,
    /// chained through `exp_next`.
    pub(super) expires: Table,
    /// Slot -> next slot in its `expires` bucket chain; empty until the
    /// database's first TTL, then as long as `entries`.
    pub(super) exp_next: Vec<u32>,
    /// The active expire cycle's bucket cursor (`expires_cursor`).
    pub expires_cursor: u64,
    /// Bytes the main table allocates beyond its slots (Redis 8.2's shared
    /// slot entries, Valkey's child buckets), as counted in `used_memory`.
    pub(super) main_extra: u64,
    /// The same for the `expires` table.
    pub(super) exp_extra: u64,
}

impl Default for Db {
    fn default() -> Self {
        Db {
            entries: Vec::new(),
            free: NONE,
            len: 0,
            volatile_len: 0,
            main: Table::default(),
            expires: Table::default(),
            exp_next: Vec::new(),
            expires_cursor: 0,
            main_extra: 0,
            exp_extra: 0,
        }
    }
}

impl Db {
    /// Slots of the `expires` hash table.
    pub fn expires_slots(&self) -> u64 {
        self.expires.heads.len() as u64
    }

    /// Keys in the database.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the database has no key.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Keys with a TTL.
    #[inline]
    pub fn volatile_len(&self) -> usize {
        self.volatile_len
    }

    /// The live entries, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| e.key != NONE)
    }

    /// Puts `e` in the first free slot, or a new one at the end, and returns
    /// the slot; it is in neither dict yet.
    #[inline]
    pub(super) fn claim_slot(&mut self, e: Entry) -> u32 {
        if self.free != NONE {
            let p = self.free;
            self.free = self.entries[p as usize].next;
            self.entries[p as usize] = e;
            p
        } else {
            self.entries.push(e);
            if !self.exp_next.is_empty() {
                self.exp_next.push(NONE);
            }
            (self.entries.len() - 1) as u32
        }
    }

    /// Puts a slot, already out of both dicts, on the free list.
    #[inline]
    pub(super) fn free_slot(&mut self, pos: usize) {
        let slot = &mut self.entries[pos];
        slot.key = NONE;
        slot.next = self.free;
        self.free = pos as u32;
    }

    /// Gives every slot its `expires` link: done at the database's first
    /// TTL, so keys without one never pay for it.
    #[inline]
    pub(super) fn ensure_expires_links(&mut self) {
        if self.exp_next.len() < self.entries.len() {
            self.exp_next.resize(self.entries.len(), NONE);
        }
    }
}
