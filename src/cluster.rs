//! Redis Cluster: keys hash to the 16,384 slots by CRC16 (of the key, or of
//! its `{hash tag}`), slots belong to shards, and each shard is a Redis
//! node with its own `maxmemory` and its own eviction. [`SlotMap`] says
//! which shard owns which slots; [`ShardTable`] routes a stream's
//! operations by key id, hashing each key's name once, the first time the
//! key is seen, so the per-operation cost is one array lookup.
//!
//! The hashing follows Redis's `crc16.c` (CRC-16/XMODEM) and
//! `keyHashSlot` (`cluster.h`): if the key has a `{` followed later by a
//! `}` with at least one byte between them, only the bytes between the
//! first `{` and the first `}` after it are hashed; otherwise the whole
//! key is. [`SlotMap::even`] assigns slots as `redis-cli --cluster create`
//! does.

use crate::op::KeyId;

/// Hash slots in a Redis Cluster.
pub const SLOTS: usize = 16_384;

/// The most shards a cluster may have here (a shard id is a `u8`, and one
/// value marks a key not yet seen).
pub const MAX_SHARDS: usize = 255;

/// CRC-16/XMODEM (polynomial 0x1021, initial value 0, no reflection), the
/// checksum Redis Cluster hashes keys with.
pub fn crc16(bytes: &[u8]) -> u16 {
    bytes.iter().fold(0u16, |crc, &b| {
        (crc << 8) ^ CRC16_TABLE[usize::from(((crc >> 8) as u8) ^ b)]
    })
}

/// The table of CRC-16/XMODEM for one byte, built at compile time.
const CRC16_TABLE: [u16; 256] = {
    let mut t = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = (i as u16) << 8;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
            bit += 1;
        }
        t[i] = crc;
        i += 1;
    }
    t
};

/// The hash slot of a key, as `CLUSTER KEYSLOT` answers: CRC16 of its hash
/// tag (the bytes between the first `{` and the next `}`, when there is at
/// least one) or of the whole key, modulo 16,384.
pub fn key_hash_slot(key: &[u8]) -> u16 {
    let hashed = key
        .iter()
        .position(|&b| b == b'{')
        .and_then(|open| {
            let rest = &key[open + 1..];
            let close = rest.iter().position(|&b| b == b'}')?;
            (close > 0).then(|| &rest[..close])
        })
        .unwrap_or(key);
    crc16(hashed) & (SLOTS as u16 - 1)
}

/// A run of consecutive slots owned by one shard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlotRange {
    /// First slot of the run.
    pub from: u16,
    /// Last slot of the run (inclusive, as `CLUSTER SLOTS` gives it).
    pub to: u16,
    /// The shard owning it, from 0.
    pub shard: u8,
}

impl SlotRange {
    /// Slots in the run.
    pub fn len(&self) -> u32 {
        u32::from(self.to) - u32::from(self.from) + 1
    }

    /// Always false: a range holds at least its first slot.
    pub fn is_empty(&self) -> bool {
        false
    }
}

impl std::fmt::Display for SlotRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.from == self.to {
            write!(f, "{}", self.from)
        } else {
            write!(f, "{}-{}", self.from, self.to)
        }
    }
}

/// A slot map that cannot describe a cluster. Nothing runs with it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClusterError {
    /// The number of shards is 0 or above [`MAX_SHARDS`].
    #[error("a cluster has 1 to {MAX_SHARDS} shards (got {0})")]
    Shards(usize),
    /// A range names a slot past 16,383.
    #[error("slot {0} does not exist (slots are 0 to 16383)")]
    Slot(u64),
    /// A range ends before it starts.
    #[error("range {from}-{to} ends before it starts")]
    Reversed {
        /// Its first slot.
        from: u16,
        /// Its last slot.
        to: u16,
    },
    /// A range names a shard the cluster does not have.
    #[error("shard {shard} does not exist (the cluster has {shards}: 0 to {})", shards - 1)]
    NoSuchShard {
        /// The shard named.
        shard: u64,
        /// Shards in the cluster.
        shards: usize,
    },
    /// Two ranges give one slot to shards.
    #[error("slot {slot} is given twice (to shard {first} and to shard {second})")]
    Overlap {
        /// The first slot given twice.
        slot: u16,
        /// The shard it was given to first.
        first: u8,
        /// The shard it was given to again.
        second: u8,
    },
    /// Slots that no range gives to a shard (Redis Cluster would answer
    /// `CLUSTERDOWN` for their keys).
    #[error("slots {from}-{to} belong to no shard (every slot 0 to 16383 needs one)")]
    Unowned {
        /// The first slot with no owner.
        from: u16,
        /// The last slot of that gap.
        to: u16,
    },
}

/// Which shard owns each of the 16,384 slots.
#[derive(Clone, PartialEq, Eq)]
pub struct SlotMap {
    shards: usize,
    /// Runs of slots in slot order, neighbours of one shard merged.
    ranges: Vec<SlotRange>,
    /// Slot -> shard.
    owner: Box<[u8]>,
}

impl std::fmt::Debug for SlotMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlotMap")
            .field("shards", &self.shards)
            .field("ranges", &self.ranges)
            .finish()
    }
}

impl SlotMap {
    /// `shards` shards with even runs of slots, as `redis-cli --cluster
    /// create` assigns them to its masters (3 shards: 0-5460, 5461-10922,
    /// 10923-16383).
    pub fn even(shards: usize) -> Result<SlotMap, ClusterError> {
        if !(1..=MAX_SHARDS).contains(&shards) {
            return Err(ClusterError::Shards(shards));
        }
        // redis-cli.c, clusterManagerCommandCreate: float arithmetic and
        // lround, reproduced so the boundaries are Redis's to the slot.
        let per_node = SLOTS as f32 / shards as f32;
        let mut cursor = 0.0f32;
        let mut first: i64 = 0;
        let mut ranges = Vec::with_capacity(shards);
        for i in 0..shards {
            let mut last = f64::from(cursor + per_node - 1.0).round() as i64;
            if last > SLOTS as i64 || i == shards - 1 {
                last = SLOTS as i64 - 1;
            }
            last = last.max(first);
            ranges.push((first as u64, last as u64, i as u64));
            first = last + 1;
            cursor += per_node;
        }
        SlotMap::from_ranges(shards, &ranges)
    }

    /// A map from explicit `(from, to, shard)` runs (inclusive, as `CLUSTER
    /// SLOTS` gives them): every slot must belong to exactly one of the
    /// `shards` shards. A shard may own no slot (an empty master).
    pub fn from_ranges(shards: usize, ranges: &[(u64, u64, u64)]) -> Result<SlotMap, ClusterError> {
        if !(1..=MAX_SHARDS).contains(&shards) {
            return Err(ClusterError::Shards(shards));
        }
        const NONE: u8 = u8::MAX;
        let mut owner = vec![NONE; SLOTS].into_boxed_slice();
        for &(from, to, shard) in ranges {
            for s in [from, to] {
                if s >= SLOTS as u64 {
                    return Err(ClusterError::Slot(s));
                }
            }
            let (from, to) = (from as u16, to as u16);
            if to < from {
                return Err(ClusterError::Reversed { from, to });
            }
            if shard >= shards as u64 {
                return Err(ClusterError::NoSuchShard { shard, shards });
            }
            for slot in from..=to {
                let o = &mut owner[usize::from(slot)];
                if *o != NONE {
                    return Err(ClusterError::Overlap {
                        slot,
                        first: *o,
                        second: shard as u8,
                    });
                }
                *o = shard as u8;
            }
        }
        if let Some(from) = owner.iter().position(|&o| o == NONE) {
            let to = owner[from..]
                .iter()
                .position(|&o| o != NONE)
                .map_or(SLOTS - 1, |n| from + n - 1);
            return Err(ClusterError::Unowned {
                from: from as u16,
                to: to as u16,
            });
        }
        let mut merged: Vec<SlotRange> = Vec::new();
        for (slot, &shard) in owner.iter().enumerate() {
            match merged.last_mut() {
                Some(r) if r.shard == shard => r.to = slot as u16,
                _ => merged.push(SlotRange {
                    from: slot as u16,
                    to: slot as u16,
                    shard,
                }),
            }
        }
        Ok(SlotMap {
            shards,
            ranges: merged,
            owner,
        })
    }

    /// Shards in the cluster.
    pub fn shards(&self) -> usize {
        self.shards
    }

    /// The runs of slots in slot order, each with its shard.
    pub fn ranges(&self) -> &[SlotRange] {
        &self.ranges
    }

    /// The runs of slots `shard` owns, in slot order.
    pub fn ranges_of(&self, shard: usize) -> impl Iterator<Item = &SlotRange> {
        self.ranges
            .iter()
            .filter(move |r| usize::from(r.shard) == shard)
    }

    /// Slots `shard` owns.
    pub fn slot_count(&self, shard: usize) -> u32 {
        self.ranges_of(shard).map(SlotRange::len).sum()
    }

    /// Whether this is the map [`SlotMap::even`] gives for its number of
    /// shards (so `--shards N` recreates it).
    pub fn is_even(&self) -> bool {
        SlotMap::even(self.shards).is_ok_and(|e| e == *self)
    }

    /// The shard owning `slot` (below 16,384).
    #[inline]
    pub fn shard_of_slot(&self, slot: u16) -> usize {
        usize::from(self.owner[usize::from(slot) & (SLOTS - 1)])
    }

    /// The shard a key lives on.
    pub fn shard_of_key(&self, key: &[u8]) -> usize {
        self.shard_of_slot(key_hash_slot(key))
    }
}

/// A stream of operations that can tell the hash slot of each key it has
/// handed out, so [`crate::sim::simulate_cluster`] can route its
/// operations to shards.
pub trait KeySlots {
    /// The hash slot of key `id`. It is asked once per key, after the
    /// stream has yielded an operation on it; `None` means the stream never
    /// handed out that id, which is a bug in the caller.
    fn key_slot(&mut self, id: KeyId) -> Option<u16>;
}

impl<T: KeySlots + ?Sized> KeySlots for &mut T {
    fn key_slot(&mut self, id: KeyId) -> Option<u16> {
        (**self).key_slot(id)
    }
}

/// Key id -> shard, learned the first time each key is routed, with the
/// keys and operations each shard received. One byte per key id.
#[derive(Clone, Debug)]
pub struct ShardTable {
    shard_of: Vec<u8>,
    keys: Vec<u64>,
    ops: Vec<u64>,
}

/// A key id not routed yet (no shard has this number: [`MAX_SHARDS`]).
const UNSEEN: u8 = u8::MAX;

impl ShardTable {
    /// An empty table for a cluster of `shards` shards.
    pub fn new(shards: usize) -> ShardTable {
        ShardTable {
            shard_of: Vec::new(),
            keys: vec![0; shards],
            ops: vec![0; shards],
        }
    }

    /// The shard of an operation's key, counting the operation; the key's
    /// slot is asked of `src` only the first time the key is seen.
    ///
    /// # Panics
    ///
    /// If `src` cannot name the slot of a key it handed out.
    #[inline]
    pub fn route(&mut self, key: KeyId, map: &SlotMap, src: &mut impl KeySlots) -> usize {
        let shard = match self.shard_of.get(key as usize) {
            Some(&s) if s != UNSEEN => usize::from(s),
            _ => self.learn(key, map, src),
        };
        self.ops[shard] += 1;
        shard
    }

    #[cold]
    #[inline(never)]
    fn learn(&mut self, key: KeyId, map: &SlotMap, src: &mut impl KeySlots) -> usize {
        let i = key as usize;
        if i >= self.shard_of.len() {
            // Doubling, so growing stays amortised over the keys.
            let len = (i + 1).max(self.shard_of.len() * 2);
            self.shard_of.resize(len, UNSEEN);
        }
        let slot = src
            .key_slot(key)
            .unwrap_or_else(|| panic!("the stream cannot name the slot of key id {key}"));
        let shard = map.shard_of_slot(slot);
        self.shard_of[i] = shard as u8;
        self.keys[shard] += 1;
        shard
    }

    /// Distinct keys routed to each shard.
    pub fn keys(&self) -> &[u64] {
        &self.keys
    }

    /// Operations routed to each shard.
    pub fn ops(&self) -> &[u64] {
        &self.ops
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(k: &str) -> u16 {
        key_hash_slot(k.as_bytes())
    }

    #[test]
    fn crc16_is_xmodem() {
        // The check value of CRC-16/XMODEM, and Redis's crc16.c test.
        assert_eq!(crc16(b"123456789"), 0x31c3);
        assert_eq!(crc16(b""), 0);
    }

    /// The rules of the Redis Cluster specification, with the slots
    /// `CLUSTER KEYSLOT` of redis-server 7.0.15 answers.
    #[test]
    fn hash_tags_follow_redis() {
        assert_eq!(slot("foo"), 12182);
        assert_eq!(slot("{user1000}.following"), 3443);
        assert_eq!(slot("{user1000}.followers"), 3443);
        assert_eq!(slot("foo{}{bar}"), crc16(b"foo{}{bar}") & 0x3fff);
        assert_eq!(slot("foo{}{bar}"), 8363);
        assert_eq!(slot("foo{{bar}}"), slot("{bar"));
        assert_eq!(slot("foo{{bar}}"), 4015);
        assert_eq!(slot("foo{bar}{zap}"), slot("bar"));
        assert_eq!(slot("foo{bar}{zap}"), 5061);
        assert_eq!(slot(""), 0);
        assert_eq!(slot("{"), crc16(b"{") & 0x3fff, "no closing brace");
        assert_eq!(
            slot("}{a"),
            crc16(b"}{a") & 0x3fff,
            "a closing brace before the opening one"
        );
        assert_eq!(slot("session:{tenant42}:ab"), slot("tenant42"));
    }

    #[test]
    fn even_maps_are_redis_clis() {
        let three = SlotMap::even(3).unwrap();
        let r: Vec<(u16, u16, u8)> = three
            .ranges()
            .iter()
            .map(|r| (r.from, r.to, r.shard))
            .collect();
        assert_eq!(r, vec![(0, 5460, 0), (5461, 10922, 1), (10923, 16383, 2)]);
        assert_eq!(three.slot_count(1), 5462);
        assert_eq!(three.shard_of_key(b"foo"), 2);
        let one = SlotMap::even(1).unwrap();
        assert_eq!(one.ranges().len(), 1);
        assert_eq!(one.slot_count(0), 16384);
        for n in [2, 5, 7, 100, 255] {
            let m = SlotMap::even(n).unwrap();
            assert_eq!(m.ranges().len(), n, "{n} shards");
            assert_eq!((0..n).map(|s| m.slot_count(s)).sum::<u32>(), 16384);
            assert!(m.is_even());
        }
        assert_eq!(SlotMap::even(0), Err(ClusterError::Shards(0)));
        assert_eq!(SlotMap::even(256), Err(ClusterError::Shards(256)));
    }

    #[test]
    fn explicit_maps_cover_every_slot_once() {
        let m = SlotMap::from_ranges(2, &[(0, 99, 1), (100, 16383, 0)]).unwrap();
        assert_eq!(m.shard_of_slot(99), 1);
        assert_eq!(m.shard_of_slot(100), 0);
        assert!(!m.is_even());
        let split = SlotMap::from_ranges(2, &[(0, 10, 0), (11, 20, 0), (21, 16383, 1)]).unwrap();
        assert_eq!(split.ranges().len(), 2, "neighbours merge");
        assert_eq!(split.ranges()[0].to_string(), "0-20");
        assert_eq!(
            SlotMap::from_ranges(2, &[(0, 100, 0), (100, 16383, 1)]),
            Err(ClusterError::Overlap {
                slot: 100,
                first: 0,
                second: 1
            })
        );
        assert_eq!(
            SlotMap::from_ranges(2, &[(0, 100, 0), (200, 16383, 1)]),
            Err(ClusterError::Unowned { from: 101, to: 199 })
        );
        assert_eq!(
            SlotMap::from_ranges(2, &[(0, 16384, 0)]),
            Err(ClusterError::Slot(16384))
        );
        assert_eq!(
            SlotMap::from_ranges(2, &[(0, 16383, 2)]),
            Err(ClusterError::NoSuchShard {
                shard: 2,
                shards: 2
            })
        );
        assert!(matches!(
            SlotMap::from_ranges(2, &[(5, 4, 0)]),
            Err(ClusterError::Reversed { from: 5, to: 4 })
        ));
        let empty_master = SlotMap::from_ranges(3, &[(0, 16383, 0)]).unwrap();
        assert_eq!(empty_master.slot_count(2), 0);
    }

    struct Names(Vec<&'static str>, u32);

    impl KeySlots for Names {
        fn key_slot(&mut self, id: KeyId) -> Option<u16> {
            self.1 += 1;
            self.0.get(id as usize).map(|k| key_hash_slot(k.as_bytes()))
        }
    }

    #[test]
    fn the_table_hashes_each_key_once_and_counts() {
        let map = SlotMap::even(3).unwrap();
        let mut names = Names(vec!["foo", "{user1000}.a", "bar", "{user1000}.b"], 0);
        let mut t = ShardTable::new(3);
        let routed: Vec<usize> = [0, 1, 0, 3, 0, 1]
            .iter()
            .map(|&k| t.route(k, &map, &mut names))
            .collect();
        assert_eq!(routed, vec![2, 0, 2, 0, 2, 0]);
        assert_eq!(names.1, 3, "three distinct keys, three lookups");
        assert_eq!(t.keys(), &[2, 0, 1]);
        assert_eq!(t.ops(), &[3, 0, 3]);
    }
}
