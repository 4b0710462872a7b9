//! The keyspace's invariants, checked from scratch: every live key is found
//! through its chain, counts match the entries, the free list and both
//! dicts' chains hold each slot once and in the right bucket. The model
//! never calls it; tests (including the property tests in `tests/`) do
//! after each step.

use super::table::bucket;
use super::{Keyspace, NONE};

impl Keyspace {
    /// Checks every index against the entries (for tests).
    pub fn check_consistency(&self) -> Result<(), String> {
        for (dbi, d) in self.dbs.iter().enumerate() {
            let (mut live, mut ttl) = (0, 0);
            for (p, e) in d.entries.iter().enumerate() {
                if e.key == NONE {
                    continue;
                }
                live += 1;
                if e.expire_at != 0 {
                    ttl += 1;
                }
                if self.find(dbi as u8, e.key) != Some(p) {
                    return Err(format!(
                        "db {dbi}: key {} at {p} but its chain gives {:?}",
                        e.key,
                        self.find(dbi as u8, e.key)
                    ));
                }
            }
            if live != d.len || ttl != d.volatile_len {
                return Err(format!(
                    "db {dbi}: {live} keys ({ttl} with a TTL) but counted {} ({})",
                    d.len, d.volatile_len
                ));
            }
            let mut free = 0;
            let mut cur = d.free;
            while cur != NONE {
                if d.entries[cur as usize].key != NONE {
                    return Err(format!("db {dbi}: slot {cur} is free and used"));
                }
                free += 1;
                if free > d.entries.len() {
                    return Err(format!("db {dbi}: free list loops"));
                }
                cur = d.entries[cur as usize].next;
            }
            if free + live != d.entries.len() {
                return Err(format!(
                    "db {dbi}: {free} free + {live} used slots of {}",
                    d.entries.len()
                ));
            }
            let mut in_main = 0;
            for (b, &h) in d.main.heads.iter().enumerate() {
                let mut cur = h;
                while cur != NONE {
                    let e = &d.entries[cur as usize];
                    if e.key == NONE || bucket(e.key, self.hash_seed, d.main.heads.len()) != b {
                        return Err(format!("db {dbi}: slot {cur} chained in bucket {b}"));
                    }
                    in_main += 1;
                    if in_main > d.len {
                        return Err(format!("db {dbi}: main dict chains loop"));
                    }
                    cur = e.next;
                }
            }
            if in_main != d.len {
                return Err(format!(
                    "db {dbi}: {in_main} keys chained in the main dict, {} keys",
                    d.len
                ));
            }
            let mut chained = 0;
            if d.exp_next.len() != d.entries.len()
                && !(d.exp_next.is_empty() && d.volatile_len == 0)
            {
                return Err(format!("db {dbi}: exp_next and entries differ in length"));
            }
            for (b, &h) in d.expires.heads.iter().enumerate() {
                let mut cur = h;
                while cur != NONE {
                    let e = &d.entries[cur as usize];
                    if e.key == NONE || e.expire_at == 0 {
                        return Err(format!("db {dbi}: slot {cur} in expires without a TTL"));
                    }
                    if bucket(e.key, self.hash_seed, d.expires.heads.len()) != b {
                        return Err(format!("db {dbi}: slot {cur} in expires bucket {b}"));
                    }
                    chained += 1;
                    if chained > d.volatile_len {
                        return Err(format!("db {dbi}: expires chains loop"));
                    }
                    cur = d.exp_next[cur as usize];
                }
            }
            if chained != d.volatile_len {
                return Err(format!(
                    "db {dbi}: {chained} keys chained in expires, {} volatile",
                    d.volatile_len
                ));
            }
        }
        Ok(())
    }
}
