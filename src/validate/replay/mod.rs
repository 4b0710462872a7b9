//! Replays a scenario's or a trace's op stream into a real server, paced by
//! the ops' times, and counts what the client sees per key class: reads,
//! hits, writes, `-OOM` refusals, the keys the server reports evicted, and
//! the reads lost to those evictions.
//!
//! Compound ops are expanded as the model runs them, from the one
//! description of each command ([`Cmd::argv`], [`Cmd::followup`]): a read
//! is `GET`, then `SET key value [PX ttl]` on a miss when it fills, or
//! `PEXPIRE` on a hit when it slides; a hash read is `HGETALL`, then on an
//! empty reply `HSET` of every field and after it `PEXPIRE`; a hash write
//! is `HSET`, then `PEXPIRE`; a rate-limit op is `INCR`, then `PEXPIRE`
//! when the reply is 1 (the INCR created the key).
//!
//! Pacing (`pace.rs`): ops due in the same millisecond of the (scaled)
//! stream go out as one pipeline at `start + t_ms`, and their follow-ups
//! (fills, slides, window expiries) as the next, and a follow-up's own
//! (a hash fill's `PEXPIRE`) as the one after. A tick is split where an
//! op touches a key whose follow-up is still to be sent, so every key sees
//! its commands in the model's order. Encoding is `encode.rs`'s; what the
//! replies mean, `observe.rs`'s.

mod encode;
mod observe;
mod pace;

pub use observe::{MemorySample, RealRun, ServerReport};
pub use pace::Pace;
pub(crate) use pace::LATE_MS;

use super::events::EvictionEvents;
use super::order::segments;
use super::scale::scale_op;
use super::server::{info_field, ServerError, Session};
use super::{OpStream, ValidateSource};
use crate::metrics::Metrics;
use crate::op::{Cmd, KeyId, Op};
use encode::Encoder;
use observe::{KeyState, Observed};
use redis::Value as Reply;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

/// A miss this close (ms) to the TTL the client set is not counted as
/// lost: the server set the TTL a little later and may expire it a little
/// later, but the client cannot tell which.
pub(super) const EXPIRY_MARGIN_MS: u64 = 25;
/// How often memory is sampled (INFO memory), in real ms: often enough to
/// follow the clients' buffers, which Redis resizes from its cron.
pub(super) const INFO_EVERY_MS: u64 = 100;

/// Replays `source` (times divided by `speed`) into the server of
/// `session`, which must be empty and configured.
pub(super) fn replay(
    session: &Session,
    source: &ValidateSource,
    speed: f64,
) -> Result<RealRun, ServerError> {
    let mut con = session.connect()?;
    let mut events = EvictionEvents::start(session)?;
    session.settle_clients(&mut con, 2)?;
    // Client memory is accounted by the cron (clientsCron): let it run.
    std::thread::sleep(Duration::from_millis(300));
    let mem = session.info(&mut con, "memory")?;
    let field = |f: &str| {
        info_field(&mem, f).ok_or_else(|| ServerError::Reply {
            url: session.url.clone(),
            what: format!("INFO memory (no {f})"),
        })
    };
    let baseline_memory = field("used_memory")?;
    let baseline_client_memory = field("mem_clients_normal")?;
    let duration_ms = super::scale::scale_ms(source.duration_ms(), speed);
    let (start, start_unix_ms) = pace::align_to_second();
    let mut r = Replayer {
        session,
        con,
        stream: source.stream(),
        speed,
        obs: Observed {
            keys: Vec::new(),
            names: HashMap::new(),
            metrics: Metrics::new(source.class_infos().len()),
            server: ServerReport {
                baseline_memory,
                baseline_client_memory,
                start_unix_ms,
                ..ServerReport::default()
            },
        },
        pace: Pace::default(),
        enc: Encoder::default(),
        sent: Vec::new(),
        followups: Vec::new(),
        seg_keys: HashSet::new(),
        name: Vec::new(),
        start,
        next_info_ms: 0,
    };
    r.run(&mut events, duration_ms)?;
    let Replayer {
        mut con,
        mut obs,
        mut pace,
        start,
        ..
    } = r;
    pace.wall_ms = start.elapsed().as_millis() as u64;
    // The server's totals in one command (a command over the limit evicts
    // first, and its own evictions are then in the totals), then every
    // eviction event up to that point.
    let info = session.info(&mut con, "stats keyspace memory")?;
    events.finish(session, &mut con, |e| {
        obs.on_event(e, start.elapsed().as_millis() as u64)
    })?;
    let Observed {
        keys,
        mut metrics,
        mut server,
        ..
    } = obs;
    server.unconfirmed_misses = keys.iter().map(|k| u64::from(k.pending)).sum();
    server.evicted_keys = info_field(&info, "evicted_keys").unwrap_or(0);
    server.expired_keys = info_field(&info, "expired_keys").unwrap_or(0);
    (server.keys, server.expires) = keyspace_totals(&info);
    server.used_memory_peak = info_field(&info, "used_memory_peak").unwrap_or(0);
    metrics.peak_used_memory = server.used_memory_peak;
    Ok(RealRun {
        metrics,
        server,
        pace,
    })
}

/// Keys and keys with a TTL over every `dbN:keys=..,expires=..` line.
fn keyspace_totals(text: &str) -> (u64, u64) {
    let mut totals = (0, 0);
    for line in text.lines().filter(|l| l.starts_with("db")) {
        let Some((_, fields)) = line.split_once(':') else {
            continue;
        };
        for f in fields.split(',') {
            match f.split_once('=') {
                Some(("keys", v)) => totals.0 += v.parse::<u64>().unwrap_or(0),
                Some(("expires", v)) => totals.1 += v.parse::<u64>().unwrap_or(0),
                _ => {}
            }
        }
    }
    totals
}

/// What a pipelined command is, for reading its reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sent {
    /// `SELECT db`.
    Select,
    /// The op's own (first) command.
    Main,
    /// A follow-up command of the op.
    Followup(Cmd),
}

struct Replayer<'a> {
    session: &'a Session,
    con: redis::Connection,
    stream: OpStream<'a>,
    speed: f64,
    obs: Observed,
    pace: Pace,
    enc: Encoder,
    /// What each command of the pipeline is: (op index in the segment, what).
    sent: Vec<(usize, Sent)>,
    /// Follow-ups to send: (op index in the segment, command).
    followups: Vec<(usize, Cmd)>,
    /// Keys of the current segment with a follow-up still to come.
    seg_keys: HashSet<(u8, KeyId)>,
    name: Vec<u8>,
    start: Instant,
    next_info_ms: u64,
}

impl Replayer<'_> {
    fn next_op(&mut self) -> Option<Op> {
        let speed = self.speed;
        self.stream.next().map(|o| scale_op(o, speed))
    }

    fn now_ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    fn run(&mut self, events: &mut EvictionEvents, duration_ms: u64) -> Result<(), ServerError> {
        let mut tick_ops: Vec<Op> = Vec::new();
        let mut next = self.next_op();
        while let Some(first) = next {
            let tick = first.t_ms;
            tick_ops.clear();
            tick_ops.push(first);
            loop {
                next = self.next_op();
                match next {
                    Some(op) if op.t_ms == tick => tick_ops.push(op),
                    _ => break,
                }
            }
            self.pace.wait_until(self.start, tick);
            self.tick(&tick_ops)?;
            self.housekeeping(events)?;
        }
        // Let the server run to the stream's end, as the model does.
        self.pace.wait_until(self.start, duration_ms);
        self.housekeeping(events)?;
        self.sample_memory()?;
        Ok(())
    }

    fn housekeeping(&mut self, events: &mut EvictionEvents) -> Result<(), ServerError> {
        let (obs, start) = (&mut self.obs, self.start);
        events.drain(|e| obs.on_event(e, start.elapsed().as_millis() as u64));
        if self.now_ms() >= self.next_info_ms {
            self.sample_memory()?;
            self.next_info_ms = self.now_ms() + INFO_EVERY_MS;
        }
        Ok(())
    }

    fn sample_memory(&mut self) -> Result<(), ServerError> {
        let text = self.session.info(&mut self.con, "memory")?;
        let now = self.now_ms();
        let used = info_field(&text, "used_memory").unwrap_or(0);
        let clients = info_field(&text, "mem_clients_normal").unwrap_or(0);
        self.obs.server.samples.push(MemorySample {
            t_ms: now,
            used_memory: used,
            client_memory: clients,
        });
        self.obs.metrics.timeline.record_memory(now, used);
        Ok(())
    }

    /// Sends one tick's ops, split where a key's follow-up must come first.
    fn tick(&mut self, ops: &[Op]) -> Result<(), ServerError> {
        self.pace.ticks += 1;
        self.pace.ops += ops.len() as u64;
        let mut seen = std::mem::take(&mut self.seg_keys);
        let r = segments(ops, &mut seen, |seg| self.segment(seg));
        self.seg_keys = seen;
        r
    }

    /// One pipeline of ops, then one of their follow-ups.
    fn segment(&mut self, ops: &[Op]) -> Result<(), ServerError> {
        self.enc.clear();
        self.sent.clear();
        for (j, op) in ops.iter().enumerate() {
            self.learn(op);
            self.send(j, op, op.cmd, Sent::Main);
        }
        let now = self.now_ms();
        let replies = self.round_trip()?;
        self.followups.clear();
        let sent = std::mem::take(&mut self.sent);
        for (&(j, what), reply) in sent.iter().zip(replies) {
            match what {
                Sent::Select => self.check_select(reply)?,
                _ => {
                    let op = &ops[j];
                    if let Some(f) = self.obs.on_main(op, &reply, now, &mut self.pace) {
                        self.followups.push((j, f));
                    }
                }
            }
        }
        self.sent = sent;
        // The follow-ups as the next pipeline, theirs as the one after (a
        // hash read's fill: HSET, then PEXPIRE), until none is left.
        let mut followups = std::mem::take(&mut self.followups);
        let mut next = Vec::new();
        while !followups.is_empty() {
            self.enc.clear();
            self.sent.clear();
            for &(j, cmd) in &followups {
                self.send(j, &ops[j], cmd, Sent::Followup(cmd));
            }
            let now = self.now_ms();
            let replies = self.round_trip()?;
            let sent = std::mem::take(&mut self.sent);
            next.clear();
            for (&(j, what), reply) in sent.iter().zip(replies) {
                match what {
                    Sent::Select => self.check_select(reply)?,
                    Sent::Followup(cmd) => {
                        if let Some(f) =
                            self.obs
                                .on_followup(&ops[j], cmd, reply, now, &mut self.pace)
                        {
                            next.push((j, f));
                        }
                    }
                    Sent::Main => {}
                }
            }
            self.sent = sent;
            std::mem::swap(&mut followups, &mut next);
        }
        self.followups = followups;
        Ok(())
    }

    /// Adds `cmd` of op `j` to the pipeline, after a `SELECT` if needed.
    fn send(&mut self, j: usize, op: &Op, cmd: Cmd, what: Sent) {
        if self.enc.select(op.db) {
            self.sent.push((j, Sent::Select));
        }
        self.write_name(op.key);
        self.enc.command(&cmd, &self.name);
        self.sent.push((j, what));
    }

    fn round_trip(&mut self) -> Result<Vec<Reply>, ServerError> {
        let n = self.sent.len();
        self.pace.pipelines += 1;
        self.pace.commands += n as u64;
        let s = self.session;
        self.con
            .send_packed_command(&self.enc.buf)
            .map_err(|e| s.command_error("sending a pipeline", e))?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(
                self.con
                    .recv_response()
                    .map_err(|e| s.command_error("reading a pipeline's replies", e))?,
            );
        }
        Ok(out)
    }

    fn check_select(&self, reply: Reply) -> Result<(), ServerError> {
        match reply {
            Reply::ServerError(e) => Err(self
                .session
                .command_error("SELECT", redis::RedisError::from(e))),
            _ => Ok(()),
        }
    }

    /// Remembers the key's class and name (for eviction events).
    fn learn(&mut self, op: &Op) {
        let k = op.key as usize;
        let keys = &mut self.obs.keys;
        if keys.len() <= k {
            keys.resize(k + 1, KeyState::default());
        }
        if keys[k].known {
            return;
        }
        keys[k].known = true;
        keys[k].class = op.class;
        self.write_name(op.key);
        let name: Box<[u8]> = self.name.as_slice().into();
        self.obs.names.insert((op.db, name), op.key);
    }

    fn write_name(&mut self, key: KeyId) {
        self.name.clear();
        if !self.stream.write_name(key, &mut self.name) {
            // Unreachable for a key the stream handed out.
            self.name
                .extend_from_slice(format!("evictsim:key:{key}").as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyspace_lines_are_summed() {
        let info =
            "# Keyspace\r\ndb0:keys=10,expires=3,avg_ttl=5\r\ndb1:keys=2,expires=0,avg_ttl=0\r\n";
        assert_eq!(keyspace_totals(info), (12, 3));
    }
}
