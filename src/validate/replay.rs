//! Replays a scenario's op stream into a real server, paced by the ops'
//! times, and counts what the client sees per key class: reads, hits,
//! writes, `-OOM` refusals, the keys the server reports evicted, and the
//! reads lost to those evictions.
//!
//! Compound ops are expanded as the model runs them (`Instance::apply`):
//! a read is `GET`, then `SET key value [PX ttl]` on a miss when it fills,
//! or `PEXPIRE` on a hit when it slides; a rate-limit op is `INCR`, then
//! `PEXPIRE` when the reply is 1 (the INCR created the key).
//!
//! Pacing: ops due in the same millisecond of the (scaled) stream go out
//! as one pipeline at `start + t_ms`, and their follow-ups (fills, slides,
//! window expiries) as the next. A tick is split where an op touches a key
//! whose follow-up is still to be sent, so every key sees its commands in
//! the model's order.
//!
//! A read is lost when it finds nothing (`GET`/`GETDEL` nil, `INCR`
//! creating the key) although the client believes the key exists: it
//! wrote it, did not delete it, and its TTL (as the client set it, minus a
//! small margin for the server's later clock) has not run out; and the
//! server reported the key evicted since it was last written. An eviction
//! event can arrive after the reply that missed (it comes on another
//! connection): such a miss waits for its event; one still waiting at the
//! end is reported as unconfirmed, not counted.

use super::events::{Event, EvictionEvents};
use super::order::segments;
use super::resp::{arg, arg_i64, arg_u64, header};
use super::scale::scale_op;
use super::server::{info_field, ServerError, Session};
use super::{OpStream, ValidateSource};
use crate::metrics::{Counters, Metrics};
use crate::op::{Cmd, KeyId, Op, SetCond, Value};
use redis::Value as Reply;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A miss this close (ms) to the TTL the client set is not counted as
/// lost: the server set the TTL a little later and may expire it a little
/// later, but the client cannot tell which.
pub const EXPIRY_MARGIN_MS: u64 = 25;
/// How often memory is sampled (INFO memory), in real ms: often enough to
/// follow the clients' buffers, which Redis resizes from its cron.
pub const INFO_EVERY_MS: u64 = 100;
/// A tick sent this much (ms) after its time counts as late.
pub const LATE_MS: u64 = 10;
/// `deadline` of a key the client believes exists without a TTL.
const NO_TTL: u64 = u64::MAX;

/// What the replay achieved against the clock.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Pace {
    /// Ops of the stream replayed.
    pub ops: u64,
    /// Redis commands sent (follow-ups and SELECTs included).
    pub commands: u64,
    /// Pipelines sent (each one round trip).
    pub pipelines: u64,
    /// Milliseconds with at least one op.
    pub ticks: u64,
    /// Ticks sent more than [`LATE_MS`] after their time.
    pub late_ticks: u64,
    /// The largest delay of a tick behind its time, in ms.
    pub max_lag_ms: u64,
    /// Real time the replay took, in ms (until the scenario's end).
    pub wall_ms: u64,
    /// Error replies other than `-OOM` (e.g. WRONGTYPE), which the model
    /// treats as skipped commands.
    pub other_errors: u64,
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

impl Pace {
    /// Commands a second over the whole run.
    pub fn commands_per_sec(&self) -> u64 {
        self.commands * 1000 / self.wall_ms.max(1)
    }
}

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
    /// Memory sampled every [`INFO_EVERY_MS`] during the run.
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

/// What the client believes about one key.
#[derive(Clone, Copy, Debug, Default)]
struct KeyState {
    /// When its TTL runs out (ms since the start), [`NO_TTL`], or 0 when
    /// the client does not believe it exists.
    deadline: u64,
    /// Misses waiting for the eviction event that explains them.
    pending: u32,
    /// The server reported it evicted since the client last wrote it.
    evicted_since_write: bool,
    /// The server reported it evicted at least once.
    ever_evicted: bool,
    /// Its class.
    class: u8,
    /// Its name is in the name map.
    known: bool,
    /// When the client last sent a command that touches it (ms since the
    /// start), for its idle time when evicted.
    last_ms: u64,
}

/// The part of an op a pipelined command is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    /// `SELECT db` before it.
    Select,
    /// The op's own (first) command.
    Main,
    /// The read-through `SET` after a miss, with its TTL.
    Fill,
    /// The sliding `PEXPIRE` after a hit.
    Slide,
    /// The rate-limit window's `PEXPIRE` after INCR created the key.
    Window,
}

/// A follow-up to send: the op (index in the segment), what, and its TTL.
type Followup = (usize, Part, u64);

/// Replays `scenario` (times divided by `speed`) into the server of
/// `session`, which must be empty and configured.
pub fn replay(
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
    let (start, start_unix_ms) = align_to_second();
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
        db: 0,
        buf: Vec::new(),
        sent: Vec::new(),
        followups: Vec::new(),
        seg_keys: HashSet::new(),
        name: Vec::new(),
        filler: Vec::new(),
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

/// Waits for the next whole second of the wall clock and returns that
/// instant and its unix time in ms: Redis's LRU clock ticks on whole
/// seconds, and the model is told where its clocks stand.
fn align_to_second() -> (Instant, u64) {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let wait = Duration::from_nanos(u64::from(1_000_000_000 - since_epoch.subsec_nanos()));
    std::thread::sleep(wait);
    (Instant::now(), (since_epoch + wait).as_millis() as u64)
}

/// What the client knows: per key its state, the names of the keys it
/// wrote (to map eviction events back to keys), and the counts so far.
struct Observed {
    keys: Vec<KeyState>,
    names: HashMap<(u8, Box<[u8]>), KeyId>,
    metrics: Metrics,
    server: ServerReport,
}

impl Observed {
    /// Counts one eviction event, at `now_ms`, and settles the misses of
    /// that key that were waiting for it.
    fn on_event(&mut self, e: Event, now_ms: u64) {
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
}

struct Replayer<'a> {
    session: &'a Session,
    con: redis::Connection,
    stream: OpStream<'a>,
    speed: f64,
    obs: Observed,
    pace: Pace,
    /// The database the connection has selected.
    db: u8,
    buf: Vec<u8>,
    sent: Vec<(usize, Part)>,
    followups: Vec<Followup>,
    /// Keys of the current segment with a follow-up still to come.
    seg_keys: HashSet<(u8, KeyId)>,
    name: Vec<u8>,
    filler: Vec<u8>,
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
            self.wait_until(tick);
            self.tick(&tick_ops)?;
            self.housekeeping(events)?;
        }
        // Let the server run to the scenario's end, as the model does.
        self.wait_until(duration_ms);
        self.housekeeping(events)?;
        self.sample_memory()?;
        Ok(())
    }

    fn wait_until(&mut self, t_ms: u64) {
        let due = self.start + Duration::from_millis(t_ms);
        let now = Instant::now();
        if now < due {
            std::thread::sleep(due - now);
        } else {
            let lag = (now - due).as_millis() as u64;
            self.pace.max_lag_ms = self.pace.max_lag_ms.max(lag);
            if lag > LATE_MS {
                self.pace.late_ticks += 1;
            }
        }
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
        self.buf.clear();
        self.sent.clear();
        for (j, op) in ops.iter().enumerate() {
            self.learn(op);
            self.select(j, op.db);
            self.encode_main(op);
            self.sent.push((j, Part::Main));
        }
        let now = self.now_ms();
        let replies = self.round_trip()?;
        self.followups.clear();
        let sent = std::mem::take(&mut self.sent);
        for (&(j, part), reply) in sent.iter().zip(replies) {
            match part {
                Part::Select => self.check_select(reply)?,
                _ => self.on_main(j, &ops[j], reply, now),
            }
        }
        self.sent = sent;
        if self.followups.is_empty() {
            return Ok(());
        }
        self.buf.clear();
        self.sent.clear();
        let followups = std::mem::take(&mut self.followups);
        for &(j, part, ttl) in &followups {
            let op = &ops[j];
            self.select(j, op.db);
            self.encode_followup(op, part, ttl);
            self.sent.push((j, part));
        }
        let now = self.now_ms();
        let replies = self.round_trip()?;
        let sent = std::mem::take(&mut self.sent);
        let mut f = followups.iter();
        for (&(j, part), reply) in sent.iter().zip(replies) {
            if part == Part::Select {
                self.check_select(reply)?;
                continue;
            }
            let ttl = f.next().map_or(0, |&(_, _, t)| t);
            self.on_followup(&ops[j], part, ttl, reply, now);
        }
        self.sent = sent;
        self.followups = followups;
        Ok(())
    }

    fn round_trip(&mut self) -> Result<Vec<Reply>, ServerError> {
        let n = self.sent.len();
        self.pace.pipelines += 1;
        self.pace.commands += n as u64;
        let s = self.session;
        self.con
            .send_packed_command(&self.buf)
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

    fn select(&mut self, j: usize, db: u8) {
        if db != self.db {
            header(&mut self.buf, 2);
            arg(&mut self.buf, b"SELECT");
            arg_u64(&mut self.buf, u64::from(db));
            self.sent.push((j, Part::Select));
            self.db = db;
        }
    }

    fn encode_value(&mut self, v: Value) {
        if v.int {
            arg_i64(&mut self.buf, v.int_value);
        } else {
            let len = v.len as usize;
            if self.filler.len() < len {
                self.filler.resize(len, b'x');
            }
            arg(&mut self.buf, &self.filler[..len]);
        }
    }

    fn encode_key(&mut self, key: KeyId) {
        self.write_name(key);
        arg(&mut self.buf, &self.name);
    }

    fn simple(&mut self, cmd: &[u8], key: KeyId) {
        header(&mut self.buf, 2);
        arg(&mut self.buf, cmd);
        self.encode_key(key);
    }

    fn encode_main(&mut self, op: &Op) {
        match op.cmd {
            Cmd::Read(_) => self.simple(b"GET", op.key),
            Cmd::Del => self.simple(b"DEL", op.key),
            Cmd::GetDel => self.simple(b"GETDEL", op.key),
            Cmd::Persist => self.simple(b"PERSIST", op.key),
            Cmd::Peek => self.simple(b"EXISTS", op.key),
            Cmd::IncrWindow { .. } => self.simple(b"INCR", op.key),
            Cmd::Set {
                value,
                ttl_ms,
                cond,
                keep_ttl,
            } => {
                let extra = usize::from(ttl_ms > 0) * 2
                    + usize::from(cond != SetCond::Always)
                    + usize::from(ttl_ms == 0 && keep_ttl);
                header(&mut self.buf, 3 + extra);
                arg(&mut self.buf, b"SET");
                self.encode_key(op.key);
                self.encode_value(value);
                if ttl_ms > 0 {
                    arg(&mut self.buf, b"PX");
                    arg_u64(&mut self.buf, ttl_ms);
                } else if keep_ttl {
                    arg(&mut self.buf, b"KEEPTTL");
                }
                match cond {
                    SetCond::Always => {}
                    SetCond::IfAbsent => arg(&mut self.buf, b"NX"),
                    SetCond::IfPresent => arg(&mut self.buf, b"XX"),
                }
            }
            Cmd::Expire { ttl_ms } => {
                header(&mut self.buf, 3);
                arg(&mut self.buf, b"PEXPIRE");
                self.encode_key(op.key);
                arg_u64(&mut self.buf, ttl_ms);
            }
            Cmd::IncrBy { delta } => {
                header(&mut self.buf, 3);
                arg(&mut self.buf, b"INCRBY");
                self.encode_key(op.key);
                arg_i64(&mut self.buf, delta);
            }
            Cmd::Append { len } => {
                header(&mut self.buf, 3);
                arg(&mut self.buf, b"APPEND");
                self.encode_key(op.key);
                self.encode_value(Value::bytes(len));
            }
            Cmd::Grow { bytes } if bytes > 0 => {
                // One list element of that size: the model counts an
                // aggregate as an object plus its payload.
                header(&mut self.buf, 3);
                arg(&mut self.buf, b"RPUSH");
                self.encode_key(op.key);
                let len = u32::try_from(bytes).unwrap_or(u32::MAX);
                self.encode_value(Value::bytes(len));
            }
            Cmd::Grow { .. } => self.simple(b"LPOP", op.key),
        }
    }

    fn encode_followup(&mut self, op: &Op, part: Part, ttl: u64) {
        match part {
            Part::Fill => {
                let value = match op.cmd {
                    Cmd::Read(r) => r.fill.unwrap_or(Value::bytes(0)),
                    _ => Value::bytes(0),
                };
                header(&mut self.buf, if ttl > 0 { 5 } else { 3 });
                arg(&mut self.buf, b"SET");
                self.encode_key(op.key);
                self.encode_value(value);
                if ttl > 0 {
                    arg(&mut self.buf, b"PX");
                    arg_u64(&mut self.buf, ttl);
                }
            }
            Part::Slide | Part::Window => {
                header(&mut self.buf, 3);
                arg(&mut self.buf, b"PEXPIRE");
                self.encode_key(op.key);
                arg_u64(&mut self.buf, ttl);
            }
            Part::Main | Part::Select => {}
        }
    }
    fn on_main(&mut self, j: usize, op: &Op, reply: Reply, now: u64) {
        let obs = &mut self.obs;
        if let Reply::ServerError(e) = &reply {
            if e.code() == "OOM" {
                obs.counters(op.class).oom_rejected += 1;
                return;
            }
        }
        // What touched the key in Redis: not a miss, an error or TTL.
        if op.cmd != Cmd::Peek && reply != Reply::Nil && !is_error(&reply) {
            obs.key(op).last_ms = now;
        }
        match op.cmd {
            Cmd::Read(spec) => {
                obs.counters(op.class).reads += 1;
                if reply == Reply::Nil {
                    obs.missed(op, now);
                    if spec.fill.is_some() {
                        self.followups.push((j, Part::Fill, spec.fill_ttl_ms));
                    }
                } else if is_error(&reply) {
                    self.pace.other_errors += 1;
                } else {
                    obs.counters(op.class).hits += 1;
                    if spec.slide_ms > 0 {
                        self.followups.push((j, Part::Slide, spec.slide_ms));
                    }
                }
            }
            Cmd::Set {
                ttl_ms, keep_ttl, ..
            } => match reply {
                Reply::Okay | Reply::SimpleString(_) => {
                    obs.counters(op.class).writes += 1;
                    obs.wrote(op, now, ttl_ms, keep_ttl);
                }
                Reply::Nil => {} // NX/XX not met
                _ => self.pace.other_errors += 1,
            },
            Cmd::Del => {
                if reply == Reply::Int(1) {
                    obs.counters(op.class).writes += 1;
                }
                obs.forgot(op);
            }
            Cmd::GetDel => {
                obs.counters(op.class).reads += 1;
                if reply == Reply::Nil {
                    obs.missed(op, now);
                } else if is_error(&reply) {
                    self.pace.other_errors += 1;
                } else {
                    let c = obs.counters(op.class);
                    c.hits += 1;
                    c.writes += 1;
                }
                obs.forgot(op);
            }
            Cmd::Expire { ttl_ms } => {
                if reply == Reply::Int(1) {
                    obs.counters(op.class).writes += 1;
                    obs.key(op).deadline = if ttl_ms == 0 { 0 } else { now + ttl_ms };
                }
            }
            Cmd::Persist => {
                if reply == Reply::Int(1) {
                    obs.counters(op.class).writes += 1;
                    obs.key(op).deadline = NO_TTL;
                }
            }
            Cmd::IncrBy { delta } => self.on_incr(op, &reply, delta, 0, j, now),
            Cmd::IncrWindow { window_ms } => self.on_incr(op, &reply, 1, window_ms, j, now),
            Cmd::Append { len } => match reply {
                Reply::Int(n) => {
                    obs.counters(op.class).writes += 1;
                    if n == i64::from(len) {
                        obs.wrote(op, now, 0, false);
                    } else {
                        obs.key(op).evicted_since_write = false;
                    }
                }
                _ => self.pace.other_errors += 1,
            },
            Cmd::Grow { bytes } => match reply {
                Reply::ServerError(_) => self.pace.other_errors += 1,
                Reply::Nil => {}
                _ => {
                    obs.counters(op.class).writes += 1;
                    if bytes > 0 {
                        obs.wrote(op, now, 0, true);
                    }
                }
            },
            Cmd::Peek => {}
        }
    }

    fn on_incr(&mut self, op: &Op, reply: &Reply, delta: i64, window_ms: u64, j: usize, now: u64) {
        let obs = &mut self.obs;
        obs.counters(op.class).reads += 1;
        match *reply {
            Reply::Int(v) if v == delta => {
                // The INCR created the key. Its window starts now: the
                // PEXPIRE that sets it follows at once (as in the model),
                // even if the key is evicted before it arrives.
                obs.counters(op.class).writes += 1;
                obs.missed(op, now);
                obs.wrote(op, now, window_ms, false);
                if window_ms > 0 {
                    self.followups.push((j, Part::Window, window_ms));
                }
            }
            Reply::Int(_) => {
                let c = obs.counters(op.class);
                c.hits += 1;
                c.writes += 1;
            }
            _ => {
                // "value is not an integer" or an overflow: found, skipped.
                obs.counters(op.class).hits += 1;
                self.pace.other_errors += 1;
            }
        }
    }

    fn on_followup(&mut self, op: &Op, part: Part, ttl: u64, reply: Reply, now: u64) {
        let obs = &mut self.obs;
        if !matches!(reply, Reply::ServerError(_)) {
            obs.key(op).last_ms = now;
        }
        match (part, reply) {
            (_, Reply::ServerError(e)) if e.code() == "OOM" => {
                obs.counters(op.class).oom_rejected += 1
            }
            (_, Reply::ServerError(_)) => self.pace.other_errors += 1,
            (Part::Fill, _) => {
                obs.counters(op.class).writes += 1;
                obs.wrote(op, now, ttl, false);
            }
            (Part::Slide | Part::Window, Reply::Int(1)) => {
                obs.counters(op.class).writes += 1;
                obs.key(op).deadline = now + ttl;
            }
            _ => {}
        }
    }
}

fn is_error(r: &Reply) -> bool {
    matches!(r, Reply::ServerError(_))
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
