//! The dicts' hash tables: bucket heads chained through entry slots in
//! Redis's order (new members at the head; a resize moves the old buckets
//! in order) or in Valkey's bucket positions (a new member in the lowest
//! free one), and the two walks eviction makes over those chains: a sample
//! (`dictGetSomeKeys`) and one random key (`dictGetRandomKey`). Which
//! bucket a key lands in, and so which keys share a chain, follows a seeded
//! hash of its id.

use super::{Entry, NONE};
use crate::op::KeyId;

/// Where a table's chain links live: in the entries themselves
/// ([`Entry::next`], the main dict) or in a per-slot array (`expires`).
/// Members are entry slots either way.
pub(super) trait Links {
    fn next(&self, m: u32) -> u32;
    fn set_next(&mut self, m: u32, to: u32);
}

impl Links for [u32] {
    #[inline]
    fn next(&self, m: u32) -> u32 {
        self[m as usize]
    }
    #[inline]
    fn set_next(&mut self, m: u32, to: u32) {
        self[m as usize] = to;
    }
}

impl Links for [Entry] {
    #[inline]
    fn next(&self, m: u32) -> u32 {
        self[m as usize].next
    }
    #[inline]
    fn set_next(&mut self, m: u32, to: u32) {
        self[m as usize].next = to;
    }
}

/// A dict's hash table: bucket heads holding entry slots, chained through
/// a [`Links`], new entries at the head, as Redis's dict does ([`Table::link`]),
/// or in Valkey's bucket positions ([`Table::link_lowest_free`]). Resizing
/// rehashes at once (Redis rehashes incrementally, a few buckets per
/// command and 1 ms per cron tick).
#[derive(Clone, Debug, Default)]
pub(super) struct Table {
    pub(super) heads: Vec<u32>,
    /// Per member slot, its position in its chain when the table keeps
    /// Valkey's order (see [`Table::link_lowest_free`]); empty otherwise.
    pub(super) pos: Vec<u8>,
}

/// The position given to a member of a chain that already fills the first
/// 64: after them all, in arrival order.
const POS_BEYOND: u8 = 64;

impl Table {
    pub(super) fn link<L: Links + ?Sized>(&mut self, l: &mut L, b: usize, member: u32) {
        l.set_next(member, self.heads[b]);
        self.heads[b] = member;
    }

    /// Links `member` where Valkey's `findBucketForInsert` puts an entry:
    /// the lowest free position of the bucket chain (a bucket's 7 slots,
    /// then its child's), so a new key fills the first hole a deleted one
    /// left, and comes after every older key only when there is none. The
    /// chain stays in position order, the order `hashtableScan` emits and
    /// so the order `hashtableSampleEntries` fills its sample in (the first
    /// sampled key is the one the eviction pool takes on a tie).
    pub(super) fn link_lowest_free<L: Links + ?Sized>(&mut self, l: &mut L, b: usize, member: u32) {
        let m = member as usize;
        if self.pos.len() <= m {
            // Grows like the entries do, not once per insert.
            self.pos.resize((m + 1).next_power_of_two(), 0);
        }
        let mut used = 0u64;
        let mut cur = self.heads[b];
        while cur != NONE {
            let p = self.pos[cur as usize];
            if p < POS_BEYOND {
                used |= 1 << p;
            }
            cur = l.next(cur);
        }
        let p = (!used).trailing_zeros().min(u32::from(POS_BEYOND)) as u8;
        self.pos[m] = p;
        // After every member at a lower position (or, beyond 64, every one).
        let mut prev = NONE;
        let mut cur = self.heads[b];
        while cur != NONE && (self.pos[cur as usize] < p || p == POS_BEYOND) {
            prev = cur;
            cur = l.next(cur);
        }
        l.set_next(member, cur);
        if prev == NONE {
            self.heads[b] = member;
        } else {
            l.set_next(prev, member);
        }
    }

    pub(super) fn unlink<L: Links + ?Sized>(&mut self, l: &mut L, b: usize, member: u32) {
        let after = l.next(member);
        if self.heads[b] == member {
            self.heads[b] = after;
        } else {
            let mut cur = self.heads[b];
            loop {
                if cur == NONE {
                    debug_assert!(false, "{member} not in bucket {b}");
                    break;
                }
                let n = l.next(cur);
                if n == member {
                    l.set_next(cur, after);
                    break;
                }
                cur = n;
            }
        }
        l.set_next(member, NONE);
    }

    /// Moves every member to a table of `slots` buckets, old buckets in
    /// order and each chain from its head, every member pushed on the head
    /// of its new bucket (`dictRehash`), or with `lowest_free` put in the
    /// lowest free position of its new chain, as Valkey's `rehashBucket`
    /// inserts. `bucket_of` gives a member's bucket in the new table.
    pub(super) fn rehash<L: Links + ?Sized>(
        &mut self,
        l: &mut L,
        slots: usize,
        lowest_free: bool,
        bucket_of: impl Fn(&L, u32) -> usize,
    ) {
        let old = std::mem::replace(&mut self.heads, vec![NONE; slots]);
        for h in old {
            let mut cur = h;
            while cur != NONE {
                let after = l.next(cur);
                let b = bucket_of(l, cur);
                if lowest_free {
                    self.link_lowest_free(l, b, cur);
                } else {
                    l.set_next(cur, self.heads[b]);
                    self.heads[b] = cur;
                }
                cur = after;
            }
        }
    }

    /// Up to `out.len()` members from consecutive buckets after a random
    /// start (see [`some_in_chains`]); `fetch` is asked for each of the
    /// first buckets' heads. Returns how many were stored.
    #[inline]
    pub(super) fn some<R: rand::Rng, L: Links + ?Sized>(
        &self,
        l: &L,
        start: u64,
        rng: &mut R,
        out: &mut [u32],
        fetch: impl Fn(u32),
    ) -> usize {
        some_in_chains(&self.heads, start, rng, out, |m| l.next(m), fetch)
    }

    /// One member, as `dictGetRandomKey` picks it (see [`random_in_chains`]).
    #[inline]
    pub(super) fn random<R: rand::Rng, L: Links + ?Sized>(&self, l: &L, rng: &mut R) -> u32 {
        random_in_chains(&self.heads, rng, |m| l.next(m))
    }
}

/// `dictGetSomeKeys` (not rehashing) over bucket `heads` whose chains
/// `next` follows, as in Redis 7.0.12 and later: walks consecutive buckets
/// after a random start (`start`, masked to the table), jumping elsewhere
/// after a run of empty buckets, at most `10 * out.len()` buckets, and
/// stops after the first bucket that brings the keys seen to `out.len()`.
/// Every chain is walked to its end; once `out` is full, each further
/// member replaces a random one with probability `out.len() / seen`
/// (reservoir sampling, redis/redis#12276), so `out` is a uniform sample of
/// the keys in the buckets walked, whatever their place in a chain.
/// Returns how many were stored.
#[inline]
fn some_in_chains<R: rand::Rng>(
    heads: &[u32],
    start: u64,
    rng: &mut R,
    out: &mut [u32],
    next: impl Fn(u32) -> u32,
    fetch: impl Fn(u32),
) -> usize {
    let count = out.len();
    if heads.is_empty() || count == 0 {
        return 0;
    }
    let mask = heads.len() - 1;
    let mut maxsteps = count * 10;
    let mut i = (start as usize) & mask;
    // The walk reads the heads of the next few buckets; ask for them all
    // at once so their cache misses overlap instead of following each other.
    let mut j = i;
    for _ in 0..count {
        let h = heads[j];
        if h != NONE {
            fetch(h);
        }
        j = (j + 1) & mask;
    }
    let mut emptylen = 0;
    let mut stored = 0;
    while stored < count && maxsteps > 0 {
        maxsteps -= 1;
        let mut cur = heads[i];
        if cur == NONE {
            emptylen += 1;
            if emptylen >= 5 && emptylen > count {
                i = (rng.next_u64() as usize) & mask;
                emptylen = 0;
            }
        } else {
            emptylen = 0;
            while cur != NONE {
                if stored < count {
                    out[stored] = cur;
                } else {
                    // `randomULong() % (stored + 1)`.
                    let r = rng.next_u64() % (stored as u64 + 1);
                    if r < count as u64 {
                        out[r as usize] = cur;
                    }
                }
                stored += 1;
                cur = next(cur);
            }
            if stored >= count {
                return count;
            }
        }
        i = (i + 1) & mask;
    }
    stored
}

/// `dictGetRandomKey` (not rehashing): random buckets until a non-empty
/// one, then a uniform member of its chain, so a member sharing its bucket
/// is less likely to be picked. `heads` must hold at least one member.
#[inline]
fn random_in_chains<R: rand::Rng>(heads: &[u32], rng: &mut R, next: impl Fn(u32) -> u32) -> u32 {
    let mask = heads.len() - 1;
    let head = loop {
        let h = heads[(rng.next_u64() as usize) & mask];
        if h != NONE {
            break h;
        }
    };
    let mut len = 0u64;
    let mut cur = head;
    while cur != NONE {
        len += 1;
        cur = next(cur);
    }
    let mut cur = head;
    for _ in 0..rng.next_u64() % len {
        cur = next(cur);
    }
    cur
}

/// The bucket of a key id in a table of `slots` (a power of two) buckets.
#[inline]
pub(super) fn bucket(key: KeyId, seed: u64, slots: usize) -> usize {
    (mix64(key as u64 ^ seed) as usize) & (slots - 1)
}

/// SplitMix64's finaliser: a good seeded hash of a key id.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::{RngCore, SeedableRng};

    /// A table of `slots` buckets holding `chains`, each listed head first.
    fn table(slots: usize, chains: &[(usize, &[KeyId])]) -> (Table, Vec<KeyId>) {
        let mut t = Table {
            heads: vec![NONE; slots],
            pos: Vec::new(),
        };
        let mut next = vec![NONE; 64];
        for &(b, keys) in chains {
            // Link in reverse so the first listed ends up at the head.
            for &k in keys.iter().rev() {
                t.link(next.as_mut_slice(), b, k);
            }
        }
        (t, next)
    }

    /// The members of chain `b`, from its head.
    fn members(t: &Table, next: &[u32], b: usize) -> Vec<u32> {
        let mut out = Vec::new();
        let mut cur = t.heads[b];
        while cur != NONE {
            out.push(cur);
            cur = next[cur as usize];
        }
        out
    }

    #[test]
    fn valkey_links_take_the_lowest_free_position() {
        let (mut t, mut next) = table(4, &[]);
        for m in [1, 2, 3] {
            t.link_lowest_free(next.as_mut_slice(), 0, m);
        }
        assert_eq!(members(&t, &next, 0), [1, 2, 3]);
        // 2 leaves position 1 free: 4 takes it, 5 goes after 3.
        t.unlink(next.as_mut_slice(), 0, 2);
        t.link_lowest_free(next.as_mut_slice(), 0, 4);
        t.link_lowest_free(next.as_mut_slice(), 0, 5);
        assert_eq!(members(&t, &next, 0), [1, 4, 3, 5]);
        // The head's position freed: the next member becomes the head.
        t.unlink(next.as_mut_slice(), 0, 1);
        t.link_lowest_free(next.as_mut_slice(), 0, 6);
        assert_eq!(members(&t, &next, 0), [6, 4, 3, 5]);
        assert_eq!(t.pos[6], 0);
        assert_eq!(t.pos[5], 3);
        // A rehash in position order keeps the order in the new chain.
        t.rehash(next.as_mut_slice(), 8, true, |_, _| 2);
        assert_eq!(members(&t, &next, 2), [6, 4, 3, 5]);
        assert_eq!([t.pos[6], t.pos[4], t.pos[3], t.pos[5]], [0, 1, 2, 3]);
    }

    #[test]
    fn some_keys_walks_consecutive_buckets_to_the_end_of_the_last_chain() {
        let (t, next) = table(8, &[(1, &[10, 11, 12]), (2, &[20]), (5, &[50, 51])]);
        // The keys of the buckets walked from each start bucket: from 0, 1,
        // 6 or 7, buckets 1 and 2; from 2, buckets 2, 5 and 1 (wrapping);
        // from 3, 4 or 5, buckets 5 and 1.
        let a: &[KeyId] = &[10, 11, 12, 20];
        let b: &[KeyId] = &[20, 50, 51, 10, 11, 12];
        let c: &[KeyId] = &[50, 51, 10, 11, 12];
        let walks = [a, a, b, c, c, c, a, a];
        let mut rng = SmallRng::seed_from_u64(1);
        let trials = 3000;
        for (start, walk) in walks.iter().enumerate() {
            let mut times = [0u32; 64];
            for _ in 0..trials {
                let mut out = [NONE; 4];
                // Any start is masked to the table: bucket `start` of 8.
                let s = start as u64 + 8 * (rng.next_u64() >> 3);
                let got = t.some(next.as_slice(), s, &mut rng, &mut out, |_| {});
                assert_eq!(got, 4);
                for (i, k) in out.iter().enumerate() {
                    assert!(walk.contains(k), "from {start}: {k} not walked");
                    assert!(!out[..i].contains(k), "from {start}: {k} twice");
                    times[*k as usize] += 1;
                }
            }
            // Each key walked is in the sample with probability 4 / walked.
            let p = 4.0 / walk.len() as f64;
            for k in walk.iter() {
                let share = times[*k as usize] as f64 / trials as f64;
                assert!(
                    (share - p).abs() < 0.04,
                    "from {start}: key {k} {share} vs {p}"
                );
            }
        }
    }

    #[test]
    fn some_keys_samples_a_long_chain_evenly() {
        // Redis 7.0.11 and before kept the first five of this chain (the
        // newest keys); from 7.0.12 the chain is walked to its end and
        // reservoir-sampled, so each of its seven keys is kept 5/7 of the time.
        let (t, next) = table(4, &[(0, &[1, 2, 3, 4, 5, 6, 7])]);
        let mut rng = SmallRng::seed_from_u64(7);
        let trials = 7000;
        let mut times = [0u32; 8];
        for _ in 0..trials {
            let mut out = [NONE; 5];
            assert_eq!(t.some(next.as_slice(), 0, &mut rng, &mut out, |_| {}), 5);
            for k in out {
                times[k as usize] += 1;
            }
        }
        for (k, &t) in times.iter().enumerate().skip(1) {
            let share = t as f64 / trials as f64;
            assert!((share - 5.0 / 7.0).abs() < 0.03, "key {k}: {share}");
        }
    }

    #[test]
    fn random_key_favours_keys_alone_in_their_bucket() {
        // Key 1 alone in bucket 0; keys 2..=5 share bucket 3. dictGetRandomKey
        // picks a non-empty bucket (1/2 each), then an entry: key 1 half the
        // time, each of the others an eighth.
        let (t, next) = table(4, &[(0, &[1]), (3, &[2, 3, 4, 5])]);
        let mut rng = SmallRng::seed_from_u64(3);
        let mut ones = 0;
        let n = 40_000;
        for _ in 0..n {
            if t.random(next.as_slice(), &mut rng) == 1 {
                ones += 1;
            }
        }
        let share = ones as f64 / n as f64;
        assert!((share - 0.5).abs() < 0.02, "key 1 picked {share}");
    }
}
