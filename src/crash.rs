//! "If it disappeared right now, would anything be lost?" computed: what a
//! crash at a moment of the run would lose for good under the instance's
//! persistence settings, per class.
//!
//! The instance replays the stream (evicting as its policy does); at each
//! moment asked for, every live key whose last write came after the last
//! durable point is lost, and so is every write since that point. The
//! durable point depends on the crash:
//!
//! - **No persistence** (`save ""`, `appendonly no`): nothing is durable;
//!   every key is lost.
//! - **RDB**: the start (fork) of the last completed snapshot. Snapshots
//!   start from the cron (`hz`) when a `save SECONDS CHANGES` point is met
//!   (at least CHANGES writes since the last snapshot and more than SECONDS
//!   since it completed), and take the fork (10 ms per GiB of used memory)
//!   plus writing the dataset at 200 MB/s, during which later changes are
//!   not in it.
//! - **AOF**, on a **process crash** (`kill -9`, the OOM killer): every
//!   acknowledged write was in the kernel's page cache before its reply, so
//!   nothing is lost whatever `appendfsync` says.
//! - **AOF**, on a **power loss** or kernel crash: `always` loses nothing
//!   acknowledged; `everysec` what came after the last fsync, on the whole
//!   second (up to one second; Redis documents up to two when an fsync is
//!   slow); `no` about the last 30 s (the kernel's writeback).
//!
//! With AOF on, a restart loads the AOF, so it decides. Cache classes are
//! reported apart: they come back cold, not lost. Keys evicted or expired
//! before the crash are not crash losses (eviction is the other report).
//! A lost host (its disk gone) loses everything not copied elsewhere:
//! replication and backups are outside this model.

use crate::model::{AnyInstance, PolicyKind, Reply};
use crate::op::{Cmd, Op};
use crate::persistence::{Fsync, Persistence};
use crate::sim::ClassInfo;
use crate::source::{Scenario, Workload};

/// Speed of writing a snapshot, in bytes a second (a stated default).
pub const SNAPSHOT_BYTES_PER_SEC: u64 = 200_000_000;
/// Time a fork takes, in ms per GiB of used memory (a stated default).
pub const FORK_MS_PER_GIB: u64 = 10;
/// How far the kernel's writeback lags with `appendfsync no`, in ms.
pub const WRITEBACK_MS: u64 = 30_000;
/// The cron's period for snapshot checks and write checkpoints, in ms.
const TICK_MS: u64 = 100;

/// What kind of crash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrashKind {
    /// The process dies (`kill -9`, the OOM killer); the host and its page
    /// cache survive.
    Process,
    /// The host loses power or its kernel crashes: what was not fsync'ed is
    /// gone.
    Power,
}

impl CrashKind {
    /// Both kinds, in report order.
    pub const ALL: [CrashKind; 2] = [CrashKind::Process, CrashKind::Power];

    /// Its name in reports and JSON.
    pub fn name(self) -> &'static str {
        match self {
            CrashKind::Process => "process",
            CrashKind::Power => "power",
        }
    }
}

/// What one class would lose in one crash.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClassLoss {
    /// Keys alive at the moment.
    pub live_keys: u64,
    /// Of them, keys that exist only in memory: written or changed since
    /// the durable point.
    pub lost_keys: u64,
    /// Of the lost keys, those the durable copy holds in an older state
    /// (created before the durable point, changed since): they come back
    /// rolled back (a refreshed TTL, a counter's older count), not gone.
    pub rolled_back_keys: u64,
    /// Writes after the durable point.
    pub lost_writes: u64,
}

/// The losses of a crash at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrashPoint {
    /// The moment, in ms of simulated time.
    pub t_ms: u64,
    /// Per kind (in [`CrashKind::ALL`] order): the durable point (every
    /// write at or before it survives; `None`: nothing does) and the
    /// losses per class.
    pub kinds: Vec<(CrashKind, Option<u64>, Vec<ClassLoss>)>,
}

impl CrashPoint {
    /// The losses of `kind`.
    pub fn of(&self, kind: CrashKind) -> (Option<u64>, &[ClassLoss]) {
        self.kinds
            .iter()
            .find(|(k, ..)| *k == kind)
            .map_or((None, &[][..]), |(_, d, l)| (*d, l.as_slice()))
    }
}

/// A snapshot the run took: when it forked and when it completed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// The fork: the dataset as of this moment is what the file holds.
    pub fork_ms: u64,
    /// When the file was complete.
    pub done_ms: u64,
}

/// The crash answer for a scenario.
#[derive(Clone, Debug)]
pub struct CrashReport {
    /// The scenario's name.
    pub scenario: String,
    /// The persistence settings judged.
    pub persistence: Persistence,
    /// The policy the instance ran (evicted keys are not crash losses).
    pub policy: PolicyKind,
    /// The classes.
    pub classes: Vec<ClassInfo>,
    /// The moments asked for, in time order.
    pub points: Vec<CrashPoint>,
    /// The snapshots the run completed.
    pub snapshots: Vec<Snapshot>,
    /// Simulated time of the run, in ms.
    pub duration_ms: u64,
}

/// What is tracked per key id: its last write (ms + 1; 0 = never).
#[derive(Default)]
struct LastWrite(Vec<u64>);

impl LastWrite {
    fn set(&mut self, key: u32, t: u64) {
        let k = key as usize;
        if self.0.len() <= k {
            self.0.resize(k + 1, 0);
        }
        self.0[k] = t + 1;
    }
    fn get(&self, key: u32) -> Option<u64> {
        self.0
            .get(key as usize)
            .copied()
            .filter(|&v| v > 0)
            .map(|v| v - 1)
    }
}

/// Whether `cmd` answered `r` changed its key.
fn wrote(cmd: &Cmd, r: Reply) -> bool {
    match cmd {
        Cmd::Read(spec) => spec.fill.is_some() && r == Reply::Missing,
        Cmd::HashRead(spec) => spec.fill.is_some() && r == Reply::Missing,
        Cmd::Peek | Cmd::Del | Cmd::GetDel => false,
        _ => !matches!(r, Reply::Oom | Reply::Skipped),
    }
}

/// The RDB state as the cron sees it.
struct Rdb {
    /// Writes counted at the fork of the last completed snapshot.
    dirty_base: u64,
    /// When the last snapshot completed (the start counts as one).
    last_save_ms: u64,
    /// A snapshot in progress: (fork time, done time, writes at fork).
    running: Option<(u64, u64, u64)>,
    done: Vec<Snapshot>,
}

/// Computes the crash answer at `moments` (ms; each clamped to the run)
/// for the scenario under `policy` and `persistence`.
pub fn crash(
    sc: &Scenario,
    policy: PolicyKind,
    persistence: &Persistence,
    moments: &[u64],
) -> CrashReport {
    let ops: Vec<Op> = Workload::new(sc).collect();
    let classes = sc.class_infos();
    crash_ops(
        &sc.name,
        &ops,
        &classes,
        &sc.instance,
        sc.duration_ms,
        policy,
        persistence,
        moments,
    )
}

/// The same on any op stream (a trace, a test's own commands).
#[allow(clippy::too_many_arguments)]
pub fn crash_ops(
    name: &str,
    ops: &[Op],
    classes: &[ClassInfo],
    instance: &crate::model::InstanceConfig,
    duration_ms: u64,
    policy: PolicyKind,
    persistence: &Persistence,
    moments: &[u64],
) -> CrashReport {
    let n = classes.len();
    let mut inst = AnyInstance::new(policy, instance, n);
    let mut last = LastWrite::default();
    let mut created = LastWrite::default();
    let mut writes = vec![0u64; n];
    // Cumulative writes per class at every tick: (ms, counts).
    let mut checkpoints: Vec<(u64, Vec<u64>)> = vec![(0, writes.clone())];
    let mut rdb = Rdb {
        dirty_base: 0,
        last_save_ms: 0,
        running: None,
        done: Vec::new(),
    };
    let mut asked: Vec<u64> = moments.iter().map(|&m| m.min(duration_ms)).collect();
    asked.sort_unstable();
    let mut points = Vec::with_capacity(asked.len());
    let mut next_moment = 0;
    let mut next_tick = TICK_MS;
    let mut i = 0;
    loop {
        // The next event: an op, a cron tick or a moment asked for.
        let t_op = ops.get(i).map(|o| o.t_ms);
        let t_moment = asked.get(next_moment).copied();
        if t_op.is_none() && t_moment.is_none() {
            break;
        }
        if t_moment.is_some_and(|m| t_op.is_none_or(|t| m < t) && m <= next_tick) {
            let t = t_moment.unwrap_or(0);
            inst.advance(t);
            points.push(measure(
                &inst,
                t,
                classes,
                (&last, &created),
                &writes,
                &checkpoints,
                &rdb,
                persistence,
            ));
            next_moment += 1;
            continue;
        }
        if t_op.is_none_or(|t| t >= next_tick) {
            // A cron tick: snapshots and a write checkpoint.
            let t = next_tick;
            inst.advance(t);
            cron(
                &mut rdb,
                &inst,
                t,
                instance.start_unix_ms,
                &writes,
                persistence,
            );
            checkpoints.push((t, writes.clone()));
            next_tick += TICK_MS;
            continue;
        }
        let op = &ops[i];
        let r = inst.apply(op);
        if wrote(&op.cmd, r) {
            last.set(op.key, op.t_ms);
            writes[usize::from(op.class)] += 1;
            // A read that filled, or a write that created the key.
            if r == Reply::Created || matches!(op.cmd, Cmd::Read(_) | Cmd::HashRead(_)) {
                created.set(op.key, op.t_ms);
            }
        }
        i += 1;
    }
    CrashReport {
        scenario: name.to_string(),
        persistence: persistence.clone(),
        policy,
        classes: classes.to_vec(),
        points,
        snapshots: rdb.done,
        duration_ms,
    }
}

/// One cron tick of RDB: complete a snapshot whose time has come, start
/// one when a save point is met.
fn cron(
    rdb: &mut Rdb,
    inst: &AnyInstance,
    t: u64,
    start_unix_ms: u64,
    writes: &[u64],
    p: &Persistence,
) {
    let total: u64 = writes.iter().sum();
    if let Some((fork, done, at_fork)) = rdb.running {
        if done <= t {
            rdb.done.push(Snapshot {
                fork_ms: fork,
                done_ms: done,
            });
            rdb.dirty_base = at_fork;
            rdb.last_save_ms = done;
            rdb.running = None;
        }
    }
    if rdb.running.is_some() || p.save.is_empty() {
        return;
    }
    let dirty = total - rdb.dirty_base;
    // Redis compares whole unix seconds: `unixtime - lastsave > seconds`.
    let secs = |ms: u64| (start_unix_ms + ms) / 1000;
    let since = secs(t).saturating_sub(secs(rdb.last_save_ms));
    let due = p
        .save
        .iter()
        .any(|sp| dirty >= sp.changes && since > sp.seconds);
    if due {
        let used = inst.keyspace().used_memory();
        let fork_ms = used * FORK_MS_PER_GIB / (1 << 30);
        let write_ms = used * 1000 / SNAPSHOT_BYTES_PER_SEC;
        rdb.running = Some((t, t + fork_ms + write_ms, total));
    }
}

/// The durable point of a crash of `kind` at `t`.
fn durable(kind: CrashKind, t: u64, rdb: &Rdb, p: &Persistence) -> Option<u64> {
    if p.appendonly {
        return Some(match (kind, p.appendfsync) {
            (CrashKind::Process, _) | (CrashKind::Power, Fsync::Always) => t,
            (CrashKind::Power, Fsync::EverySec) => t / 1000 * 1000,
            (CrashKind::Power, Fsync::No) => t.saturating_sub(WRITEBACK_MS),
        });
    }
    rdb.done.last().map(|s| s.fork_ms)
}

/// The losses of a crash at `t`.
#[allow(clippy::too_many_arguments)]
fn measure(
    inst: &AnyInstance,
    t: u64,
    classes: &[ClassInfo],
    (last, created): (&LastWrite, &LastWrite),
    writes: &[u64],
    checkpoints: &[(u64, Vec<u64>)],
    rdb: &Rdb,
    p: &Persistence,
) -> CrashPoint {
    let n = classes.len();
    let kinds = CrashKind::ALL
        .iter()
        .map(|&kind| {
            let d = durable(kind, t, rdb, p);
            let mut loss = vec![ClassLoss::default(); n];
            for db in &inst.keyspace().dbs {
                for e in db.iter() {
                    if e.expire_at != 0 && e.expire_at <= t {
                        continue; // expired, not yet reclaimed
                    }
                    let l = &mut loss[usize::from(e.class)];
                    l.live_keys += 1;
                    let after = |w: u64| d.is_none_or(|d| w > d);
                    if last.get(e.key).is_some_and(after) {
                        l.lost_keys += 1;
                        if created.get(e.key).is_some_and(|c| !after(c)) {
                            l.rolled_back_keys += 1;
                        }
                    }
                }
            }
            // Writes after the durable point: none when it is now, else the
            // counts now less those at the last checkpoint at or before it.
            let before: Option<&Vec<u64>> = d.and_then(|d| {
                let k = checkpoints.partition_point(|(ct, _)| *ct <= d);
                k.checked_sub(1).map(|k| &checkpoints[k].1)
            });
            for (c, l) in loss.iter_mut().enumerate() {
                l.lost_writes = if d.is_some_and(|d| d >= t) {
                    0
                } else {
                    writes[c] - before.map_or(0, |b| b[c])
                };
            }
            (kind, d, loss)
        })
        .collect();
    CrashPoint { t_ms: t, kinds }
}

/// Evenly spread moments over a run: `n` of them, from 1/n of the way to
/// the end.
pub fn spread(duration_ms: u64, n: usize) -> Vec<u64> {
    let n = n.max(1) as u64;
    (1..=n).map(|k| duration_ms * k / n).collect()
}

/// `n` moments drawn uniformly over the run with a seeded generator.
pub fn random_moments(duration_ms: u64, n: usize, seed: u64) -> Vec<u64> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::SmallRng::seed_from_u64(seed ^ 0xc4a5_11ed);
    let mut v: Vec<u64> = (0..n).map(|_| rng.gen_range(0..=duration_ms)).collect();
    v.sort_unstable();
    v
}

/// What a crash at the end of the scenario's run would lose under its own
/// persistence, with the instance running `policy`: the answer a run's
/// report gives to "if it disappeared right now".
pub fn at_end(sc: &Scenario, policy: PolicyKind) -> crate::sim::CrashAtEnd {
    let r = crash(sc, policy, &sc.persistence, &[sc.duration_ms]);
    let p = &r.points[0];
    crate::sim::CrashAtEnd {
        persistence: sc.persistence.clone(),
        policy,
        t_ms: p.t_ms,
        process: p.of(CrashKind::Process).1.to_vec(),
        power: p.of(CrashKind::Power).1.to_vec(),
    }
}
