//! Redis 7.0's active expiry (`activeExpireCycle` in src/expire.c): the slow
//! cycle every cron tick walks each database's `expires` hash table bucket by
//! bucket from a cursor that persists across calls, and loops while more than
//! 10% of what it sampled had expired. The fast cycle is copied with its
//! 7.0.15 bug: it only runs after a slow cycle hit its time limit.
//!
//! Redis budgets the cycle in CPU time, which a simulator cannot see; a fixed
//! cost per bucket, per sampled key and per deletion stands in for it.

use super::keyspace::{Entry, Keyspace};

/// Simulated CPU cost of checking one bucket, in ns.
const NS_PER_BUCKET: u64 = 250;
/// Simulated CPU cost of sampling one key, in ns.
const NS_PER_SAMPLE: u64 = 500;
/// Simulated CPU cost of deleting one expired key, in ns.
const NS_PER_EXPIRE: u64 = 1500;

/// Which cycle runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum CycleKind {
    /// From the cron, `hz` times a second, 25% of a tick's time.
    Slow,
    /// From `beforeSleep`, at most 1 ms, at most every 2 ms.
    Fast,
}

/// The state `activeExpireCycle` keeps between calls.
#[derive(Clone, Debug)]
pub(super) struct ActiveExpire {
    current_db: u64,
    timelimit_exit: bool,
    last_fast_cycle_ms: u64,
    /// `stat_expired_stale_perc`: a running estimate of the stale fraction.
    pub stale_perc: f64,
    keys_per_loop: u64,
    fast_duration_us: u64,
    slow_time_perc: u64,
    acceptable_stale: u64,
    hz: u64,
    scratch: Vec<u32>,
}

impl ActiveExpire {
    /// The cycle's state for `active-expire-effort` (1..=10) and `hz`.
    pub(super) fn new(effort: u32, hz: u32) -> Self {
        let e = effort.clamp(1, 10) as u64 - 1;
        ActiveExpire {
            current_db: 0,
            timelimit_exit: false,
            last_fast_cycle_ms: 0,
            stale_perc: 0.0,
            keys_per_loop: 20 + 20 / 4 * e,
            fast_duration_us: 1000 + 1000 / 4 * e,
            slow_time_perc: 25 + 2 * e,
            acceptable_stale: 10 - e,
            hz: hz.max(1) as u64,
            scratch: Vec::with_capacity(16),
        }
    }

    /// Whether a fast cycle would run now (only after a slow cycle ran out
    /// of time: 7.0.15 compares a fraction with the integer 10).
    #[inline]
    pub(super) fn wants_fast(&self, now_ms: u64) -> bool {
        // `stale_perc < acceptable_stale` always holds (a fraction < 10), so
        // only `timelimit_exit` lets the fast cycle through.
        let skip_for_low_stale = self.stale_perc < self.acceptable_stale as f64;
        if !self.timelimit_exit && skip_for_low_stale {
            return false;
        }
        now_ms >= self.last_fast_cycle_ms + 2 * self.fast_duration_us / 1000
    }

    /// Runs one cycle at `now_ms`; `delete` is called with each expired
    /// key's database and position, and must delete it.
    pub(super) fn run(
        &mut self,
        kind: CycleKind,
        ks: &mut Keyspace,
        now_ms: u64,
        mut delete: impl FnMut(&mut Keyspace, u8, usize) -> Entry,
    ) {
        let dbnum = ks.dbs.len() as u64;
        if kind == CycleKind::Fast {
            self.last_fast_cycle_ms = now_ms;
        }
        // CRON_DBS_PER_CALL, or every database after a time-limit exit.
        let dbs_per_call = if self.timelimit_exit {
            dbnum
        } else {
            dbnum.min(16)
        };
        let timelimit_ns = match kind {
            CycleKind::Slow => self.slow_time_perc * 1_000_000_000 / self.hz / 100,
            CycleKind::Fast => self.fast_duration_us * 1000,
        };
        self.timelimit_exit = false;
        let mut elapsed_ns = 0u64;
        let mut iteration = 0u64;
        let (mut total_sampled, mut total_expired) = (0u64, 0u64);
        let mut scratch = std::mem::take(&mut self.scratch);
        for _ in 0..dbs_per_call {
            if self.timelimit_exit {
                break;
            }
            let db = (self.current_db % dbnum) as u8;
            self.current_db += 1;
            loop {
                iteration += 1;
                let d = &ks.dbs[db as usize];
                let num = d.volatile_len() as u64;
                if num == 0 {
                    break;
                }
                let slots = d.expires_slots();
                if slots > 4 && num * 100 / slots < 1 {
                    break;
                }
                let num = num.min(self.keys_per_loop);
                let max_buckets = num * 20;
                let (mut sampled, mut expired, mut checked) = (0u64, 0u64, 0u64);
                while sampled < num && checked < max_buckets {
                    let cursor = ks.dbs[db as usize].expires_cursor;
                    ks.expires_bucket(db, cursor, &mut scratch);
                    checked += 1;
                    for &pos in &scratch {
                        let pos = pos as usize;
                        if now_ms > ks.entry(db, pos).expire_at {
                            delete(ks, db, pos);
                            expired += 1;
                        }
                        sampled += 1;
                    }
                    ks.dbs[db as usize].expires_cursor = cursor.wrapping_add(1);
                }
                total_expired += expired;
                total_sampled += sampled;
                elapsed_ns +=
                    checked * NS_PER_BUCKET + sampled * NS_PER_SAMPLE + expired * NS_PER_EXPIRE;
                if iteration & 0xf == 0 && elapsed_ns > timelimit_ns {
                    self.timelimit_exit = true;
                    break;
                }
                if !(sampled == 0 || expired * 100 / sampled > self.acceptable_stale) {
                    break;
                }
            }
        }
        self.scratch = scratch;
        let current = if total_sampled > 0 {
            total_expired as f64 / total_sampled as f64
        } else {
            0.0
        };
        self.stale_perc = current * 0.05 + self.stale_perc * 0.95;
    }
}
