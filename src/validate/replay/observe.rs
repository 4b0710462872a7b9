//! What the client can observe of a replay, and what it concludes: per key
//! what it believes (present, its TTL, evicted since written), the counts
//! per class (reads, hits, writes, `-OOM` refusals), the eviction events
//! mapped back to keys, and the reads lost to those evictions.
//!
//! A read is lost when it finds nothing (`GET`/`GETDEL` nil, `HGETALL`
//! empty, `INCR` creating the key) although the client believes the key exists: it
//! wrote it, did not delete it, and its TTL (as the client set it, minus a
//! small margin for the server's later clock) has not run out; and the
//! server reported the key evicted since it was last written. An eviction
//! event can arrive after the reply that missed (it comes on another
//! connection): such a miss waits for its event; one still waiting at the
//! end is reported as unconfirmed, not counted.

use super::pace::Pace;
use super::EXPIRY_MARGIN_MS;
use crate::metrics::{Counters, Metrics};
use crate::model::Reply as ModelReply;
use crate::op::{Cmd, KeyId, Op};
use crate::validate::events::Event;
use redis::Value as Reply;
use serde::Serialize;
use std::collections::HashMap;

/// `deadline` of a key the client believes exists without a TTL.
const NO_TTL: u64 = u64::MAX;

/// One reading of the server's memory.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MemorySample {
    /// When, in ms since the start.
    pub t_ms: u64,
    /// `used_memory`.
    pub used_memory: u64,
    /// `mem_clients_normal`: the clients' structures and buffers (updated
    /// by Redis's cron, every 1000/hz ms).
    pub client_memory: u64,
}

/// What the real server reported besides the client's own counts.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ServerReport {
    /// `used_memory` with the replay's connections open and no key.
    pub baseline_memory: u64,
    /// `mem_clients_normal` at that moment (client buffers and structs).
    pub baseline_client_memory: u64,
    /// Wall-clock time (unix ms) of the replay's time 0, a whole second.
    pub start_unix_ms: u64,
    /// `evicted_keys` from INFO stats at the end.
    pub evicted_keys: u64,
    /// `expired_keys` from INFO stats at the end.
    pub expired_keys: u64,
    /// `used_memory_peak` at the end.
    pub used_memory_peak: u64,
    /// Keys held at the end (INFO keyspace, all databases).
    pub keys: u64,
    /// Keys with a TTL held at the end.
    pub expires: u64,
    /// Eviction events received (should equal `evicted_keys`).
    pub evicted_events: u64,
    /// Eviction events for key names the replay never wrote.
    pub unknown_evictions: u64,
    /// Misses of keys believed present whose eviction event never came:
    /// not counted as lost reads (should be 0).
    pub unconfirmed_misses: u64,
    /// Memory sampled every `INFO_EVERY_MS` (100 ms) during the run.
    pub samples: Vec<MemorySample>,
}

/// What replaying a scenario into a real server counted.
#[derive(Clone, Debug)]
pub struct RealRun {
    /// Per class, the counters the client could observe (histograms are
    /// empty; `expired` is not observed per class, see
    /// [`ServerReport::expired_keys`]).
    pub metrics: Metrics,
    /// What the server reported.
    pub server: ServerReport,
    /// How well the clock was kept.
    pub pace: Pace,
}

impl ServerReport {
    /// The mean client memory over the samples (the one at connect time if
    /// there are none).
    pub fn mean_client_memory(&self) -> u64 {
        if self.samples.is_empty() {
            return self.baseline_client_memory;
        }
        self.samples.iter().map(|s| s.client_memory).sum::<u64>() / self.samples.len() as u64
    }

    /// `used_memory` with no key and no client buffer: the baseline the
    /// model starts from before it is given the sampled client memory.
    pub fn baseline_without_clients(&self) -> u64 {
        self.baseline_memory
            .saturating_sub(self.baseline_client_memory)
    }
}

/// What the client believes about one key.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct KeyState {
    /// When its TTL runs out (ms since the start), [`NO_TTL`], or 0 when
    /// the client does not believe it exists.
    deadline: u64,
    /// Misses waiting for the eviction event that explains them.
    pub pending: u32,
    /// The server reported it evicted since the client last wrote it.
    evicted_since_write: bool,
    /// The server reported it evicted at least once.
    ever_evicted: bool,
    /// Elements of the list the server reported (its length after the
    /// last push or pop); 0 for a string.
    elems: u64,
    /// Its class.
    pub class: u8,
    /// Its name is in the name map.
    pub known: bool,
    /// When the client last sent a command that touches it (ms since the
    /// start), for its idle time when evicted.
    last_ms: u64,
}

/// What the client knows: per key its state, the names of the keys it
/// wrote (to map eviction events back to keys), and the counts so far.
pub(super) struct Observed {
    pub keys: Vec<KeyState>,
    pub names: HashMap<(u8, Box<[u8]>), KeyId>,
    pub metrics: Metrics,
    pub server: ServerReport,
}

impl Observed {
    /// Counts one eviction event, at `now_ms`, and settles the misses of
    /// that key that were waiting for it.
    pub(super) fn on_event(&mut self, e: Event, now_ms: u64) {
        let Event::Evicted { db, key } = e else {
            return;
        };
        self.server.evicted_events += 1;
        let k = self
            .names
            .get(&(db, key.into_boxed_slice()))
            .and_then(|&id| self.keys.get_mut(id as usize));
        let Some(k) = k else {
            self.server.unknown_evictions += 1;
            return;
        };
        let class = usize::from(k.class);
        let Some(m) = self.metrics.classes.get_mut(class) else {
            return;
        };
        // As the model counts it: a key past its TTL lost nothing; a live
        // one is measured by how long it had been idle and how much of its
        // TTL was left (both as seen by the client, when the event arrives).
        let finite = k.deadline != NO_TTL && k.deadline != 0;
        if finite && k.deadline <= now_ms {
            m.record_expired_eviction();
        } else {
            let ttl_left = finite.then(|| k.deadline - now_ms);
            m.record_eviction(now_ms.saturating_sub(k.last_ms), ttl_left, !k.ever_evicted);
            k.ever_evicted = true;
        }
        if !(finite && k.deadline <= now_ms) {
            m.counters.lost_items += k.elems.max(1);
        }
        k.elems = 0;
        k.evicted_since_write = true;
        m.counters.lost_reads += u64::from(k.pending);
        k.pending = 0;
        self.metrics.timeline.record_eviction(now_ms, class);
    }

    fn counters(&mut self, class: u8) -> &mut Counters {
        &mut self.metrics.classes[usize::from(class)].counters
    }

    fn key(&mut self, op: &Op) -> &mut KeyState {
        &mut self.keys[op.key as usize]
    }

    /// A successful write that leaves the key present, with a TTL of
    /// `ttl_ms` from `now` (0: none), or keeping the one it had.
    fn wrote(&mut self, op: &Op, now: u64, ttl_ms: u64, keep_ttl: bool) {
        let k = self.key(op);
        k.evicted_since_write = false;
        k.deadline = if ttl_ms > 0 {
            now + ttl_ms
        } else if keep_ttl && k.deadline != 0 {
            k.deadline
        } else {
            NO_TTL
        };
    }

    /// The app deleted the key (DEL, GETDEL): it no longer expects it.
    fn forgot(&mut self, op: &Op) {
        let k = self.key(op);
        k.deadline = 0;
        k.evicted_since_write = false;
    }

    /// A read found nothing: lost if the client believed the key present
    /// and the server evicted it (now, or when its event arrives).
    fn missed(&mut self, op: &Op, now: u64) {
        let k = &mut self.keys[op.key as usize];
        let believed =
            k.deadline == NO_TTL || (k.deadline != 0 && now + EXPIRY_MARGIN_MS <= k.deadline);
        if !believed {
            return;
        }
        if k.evicted_since_write {
            self.metrics.classes[usize::from(op.class)]
                .counters
                .lost_reads += 1;
        } else {
            k.pending += 1;
        }
    }

    /// Counts the reply to an op's own command at `now`; the follow-up to
    /// send, if the application would send one ([`Cmd::followup`]).
    pub(super) fn on_main(
        &mut self,
        op: &Op,
        reply: &Reply,
        now: u64,
        pace: &mut Pace,
    ) -> Option<Cmd> {
        if let Reply::ServerError(e) = reply {
            if e.code() == "OOM" {
                let c = self.counters(op.class);
                c.oom_rejected += 1;
                if op.cmd.is_read() {
                    c.reads += 1; // a refused INCR: a read that failed, as the model counts it
                }
                return None;
            }
        }
        // What touched the key in Redis: not a miss, an error or TTL.
        let hash_miss = matches!(op.cmd, Cmd::HashRead(_)) && is_empty(reply);
        if op.cmd != Cmd::Peek && *reply != Reply::Nil && !is_error(reply) && !hash_miss {
            self.key(op).last_ms = now;
        }
        match op.cmd {
            Cmd::HashRead(_) => {
                self.counters(op.class).reads += 1;
                if hash_miss {
                    self.missed(op, now);
                    return op.cmd.followup(ModelReply::Missing);
                } else if is_error(reply) {
                    pace.other_errors += 1; // WRONGTYPE
                } else {
                    self.counters(op.class).hits += 1;
                    return op.cmd.followup(ModelReply::Found);
                }
            }
            Cmd::HashSet { fields, .. } => match reply {
                Reply::Int(_) => {
                    self.hash_written(op, now, fields.n);
                    return op.cmd.followup(ModelReply::Created);
                }
                _ => pace.other_errors += 1,
            },
            Cmd::Read(_) => {
                self.counters(op.class).reads += 1;
                if *reply == Reply::Nil {
                    self.missed(op, now);
                    return op.cmd.followup(ModelReply::Missing);
                } else if is_error(reply) {
                    pace.other_errors += 1;
                } else {
                    self.counters(op.class).hits += 1;
                    return op.cmd.followup(ModelReply::Found);
                }
            }
            Cmd::Set {
                ttl_ms, keep_ttl, ..
            } => match reply {
                Reply::Okay | Reply::SimpleString(_) => {
                    self.counters(op.class).writes += 1;
                    self.wrote(op, now, ttl_ms, keep_ttl);
                }
                Reply::Nil => {} // NX/XX not met
                _ => pace.other_errors += 1,
            },
            Cmd::Del => {
                if *reply == Reply::Int(1) {
                    self.counters(op.class).writes += 1;
                }
                self.forgot(op);
            }
            Cmd::GetDel => {
                self.counters(op.class).reads += 1;
                if *reply == Reply::Nil {
                    self.missed(op, now);
                } else if is_error(reply) {
                    pace.other_errors += 1;
                } else {
                    let c = self.counters(op.class);
                    c.hits += 1;
                    c.writes += 1;
                }
                self.forgot(op);
            }
            Cmd::Expire { ttl_ms } => {
                if *reply == Reply::Int(1) {
                    self.counters(op.class).writes += 1;
                    self.key(op).deadline = if ttl_ms == 0 { 0 } else { now + ttl_ms };
                }
            }
            Cmd::Persist => {
                if *reply == Reply::Int(1) {
                    self.counters(op.class).writes += 1;
                    self.key(op).deadline = NO_TTL;
                }
            }
            Cmd::IncrBy { delta } => return self.on_incr(op, reply, delta, 0, now, pace),
            Cmd::IncrWindow { window_ms } => {
                return self.on_incr(op, reply, 1, window_ms, now, pace)
            }
            Cmd::Append { len } => match reply {
                Reply::Int(n) => {
                    self.counters(op.class).writes += 1;
                    if *n == i64::from(len) {
                        self.wrote(op, now, 0, false);
                    } else {
                        self.key(op).evicted_since_write = false;
                    }
                }
                _ => pace.other_errors += 1,
            },
            Cmd::Grow { bytes, .. } => match reply {
                Reply::ServerError(_) => pace.other_errors += 1,
                Reply::Nil => {}
                _ => {
                    self.counters(op.class).writes += 1;
                    if bytes > 0 {
                        self.wrote(op, now, 0, true);
                        if let Reply::Int(n) = reply {
                            self.key(op).elems = u64::try_from(*n).unwrap_or(0);
                        }
                    }
                }
            },
            Cmd::Pop { elems } => {
                self.counters(op.class).reads += 1;
                match reply {
                    Reply::Nil => self.missed(op, now),
                    r if is_error(r) => pace.other_errors += 1,
                    r => {
                        let taken = match r {
                            Reply::Array(items) => items.len() as u64,
                            _ => 1,
                        };
                        let c = self.counters(op.class);
                        c.hits += 1;
                        if elems > 0 {
                            c.writes += 1;
                        }
                        let k = self.key(op);
                        k.elems = k.elems.saturating_sub(taken);
                        if k.elems == 0 {
                            // The last element went: Redis deleted the list.
                            self.forgot(op);
                        }
                    }
                }
            }
            Cmd::Peek | Cmd::Ran { .. } => {}
        }
        None
    }

    fn on_incr(
        &mut self,
        op: &Op,
        reply: &Reply,
        delta: i64,
        window_ms: u64,
        now: u64,
        pace: &mut Pace,
    ) -> Option<Cmd> {
        self.counters(op.class).reads += 1;
        match *reply {
            Reply::Int(v) if v == delta => {
                // The INCR created the key. Its window starts now: the
                // PEXPIRE that sets it follows at once (as in the model),
                // even if the key is evicted before it arrives.
                self.counters(op.class).writes += 1;
                self.missed(op, now);
                self.wrote(op, now, window_ms, false);
                return op.cmd.followup(ModelReply::Created);
            }
            Reply::Int(_) => {
                let c = self.counters(op.class);
                c.hits += 1;
                c.writes += 1;
            }
            _ => {
                // "value is not an integer" or an overflow: found, skipped.
                self.counters(op.class).hits += 1;
                pace.other_errors += 1;
            }
        }
        None
    }

    /// A successful `HSET` of every one of `n` fields at `now`: the hash
    /// holds them (the replay's hashes have no other fields), and keeps
    /// the TTL it had until its `PEXPIRE`.
    fn hash_written(&mut self, op: &Op, now: u64, n: u16) {
        self.counters(op.class).writes += 1;
        self.wrote(op, now, 0, true);
        self.key(op).elems = u64::from(n);
    }

    /// Counts the reply to a follow-up `cmd` of `op` at `now`; the
    /// follow-up's own follow-up to send, if any (a fill's `HSET`, then
    /// its `PEXPIRE`).
    pub(super) fn on_followup(
        &mut self,
        op: &Op,
        cmd: Cmd,
        reply: Reply,
        now: u64,
        pace: &mut Pace,
    ) -> Option<Cmd> {
        if !is_error(&reply) {
            self.key(op).last_ms = now;
        }
        match (cmd, reply) {
            (_, Reply::ServerError(e)) if e.code() == "OOM" => {
                self.counters(op.class).oom_rejected += 1
            }
            (_, Reply::ServerError(_)) => pace.other_errors += 1,
            (Cmd::HashSet { fields, .. }, _) => {
                self.hash_written(op, now, fields.n);
                return cmd.followup(ModelReply::Created);
            }
            (Cmd::Set { ttl_ms, .. }, _) => {
                self.counters(op.class).writes += 1;
                self.wrote(op, now, ttl_ms, false);
            }
            (Cmd::Expire { ttl_ms }, Reply::Int(1)) => {
                self.counters(op.class).writes += 1;
                self.key(op).deadline = now + ttl_ms;
            }
            _ => {}
        }
        None
    }
}

fn is_error(r: &Reply) -> bool {
    matches!(r, Reply::ServerError(_))
}

/// `HGETALL`'s reply for a missing key: an empty array (a map in RESP3).
fn is_empty(r: &Reply) -> bool {
    match r {
        Reply::Array(a) => a.is_empty(),
        Reply::Map(m) => m.is_empty(),
        Reply::Nil => true,
        _ => false,
    }
}
