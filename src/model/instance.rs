//! One simulated Redis instance under one policy: it replays operations in
//! time order, evicts before each command as `processCommand` does, expires
//! keys lazily and from the cron, and counts what every key class lost.
//! What each command does to the keyspace is in `commands.rs`; eviction
//! and the losses it causes are in `eviction.rs`.

use super::clock::lru_clock_at;
use super::config::{InstanceConfig, MemoryModel};
use super::expire::{ActiveExpire, CycleKind};
use super::keyspace::Keyspace;
use super::lfu;
use super::lost::LostKeys;
use super::memory;
use super::policy::{Policy, PolicyKind};
use super::trace::{PickTrace, TracedEviction};
use crate::metrics::Metrics;
use crate::op::{Cmd, Op};
use rand::rngs::SmallRng;
use rand::SeedableRng;

mod commands;
mod eviction;

/// What a command did, as far as the caller's next step cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reply {
    /// The key was found (a read hit, or a write to an existing key).
    Found,
    /// The key did not exist.
    Missing,
    /// The command created the key.
    Created,
    /// Refused with `-OOM`.
    Oom,
    /// Not executed (wrong type, condition not met).
    Skipped,
}

/// A simulated instance. `P` is the policy; every instance is independent.
pub struct Instance<P: Policy> {
    cfg: InstanceConfig,
    policy: P,
    ks: Keyspace,
    rng: SmallRng,
    metrics: Metrics,
    /// Key id -> what its misses would cost: see [`LostSlot`].
    lost: LostKeys,
    now: u64,
    lru_clock: u32,
    next_cron: u64,
    cron_step: u64,
    expire: ActiveExpire,
    ops: u64,
    /// Bit per Redis command name (`memory::command_index`) that has run:
    /// each allocates its latency histogram on its first call.
    commands_run: u32,
    /// Set by the first [`Cmd::Ran`]: the source names its commands, so
    /// the histograms are counted per name it gives (`names_run`), not
    /// per model command.
    named: bool,
    /// Bit per command name number a [`Cmd::Ran`] gave.
    names_run: [u64; 4],
    /// What the policy looked at for each eviction, when turned on
    /// ([`Instance::trace_picks`]); `None` in every run.
    trace: Option<Box<PickTrace>>,
}

impl<P: Policy> Instance<P> {
    /// A fresh, empty instance with `classes` key classes.
    pub fn new(cfg: &InstanceConfig, classes: usize) -> Self {
        let ks = Keyspace::new(
            cfg.databases,
            cfg.memory_model,
            cfg.layout(),
            cfg.baseline_memory,
            cfg.maxmemory,
            cfg.seed,
        );
        let mut metrics = Metrics::new(classes);
        metrics.peak_used_memory = ks.used_memory();
        metrics.db_evicted = vec![0; usize::from(cfg.databases)];
        Instance {
            policy: P::new(cfg),
            rng: SmallRng::seed_from_u64(cfg.seed ^ 0xe71c_5eed),
            metrics,
            lost: LostKeys::default(),
            now: 0,
            lru_clock: lru_clock_at(cfg.start_unix_ms),
            next_cron: 0,
            cron_step: (1000 / cfg.hz.max(1) as u64).max(1),
            expire: ActiveExpire::new(cfg.active_expire_effort, cfg.hz),
            ops: 0,
            commands_run: 0,
            named: false,
            names_run: [0; 4],
            trace: None,
            ks,
            cfg: cfg.clone(),
        }
    }

    /// The policy this instance runs.
    pub fn kind(&self) -> PolicyKind {
        P::KIND
    }

    /// What has been counted so far.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Consumes the instance, returning its metrics.
    pub fn into_metrics(mut self) -> Metrics {
        self.metrics.db_memory = (0..self.ks.dbs.len())
            .map(|db| self.ks.db_memory(db as u8))
            .collect();
        self.metrics
    }

    /// The keyspace (for tests and inspection).
    pub fn keyspace(&self) -> &Keyspace {
        &self.ks
    }

    /// The policy's state (for tests and inspection).
    pub fn policy(&self) -> &P {
        &self.policy
    }

    /// The configuration.
    pub fn config(&self) -> &InstanceConfig {
        &self.cfg
    }

    /// Changes `maxmemory` at run time, as `CONFIG SET maxmemory` does; the
    /// next command evicts down to it.
    pub fn set_maxmemory(&mut self, bytes: u64) {
        self.cfg.maxmemory = bytes;
        self.ks.set_maxmemory(bytes);
    }

    /// Sets the memory of the clients' buffers counted in `used_memory`
    /// from now on (the next command's eviction check sees it).
    pub fn set_client_memory(&mut self, bytes: u64) {
        self.ks.set_client_memory(bytes);
    }

    /// Starts recording, for every eviction from now on, the keys the
    /// policy sampled with their scores, the pool and the victim (what
    /// `evictsim demo` explains). Off by default; a run never turns it on.
    pub fn trace_picks(&mut self) {
        self.trace.get_or_insert_with(Box::default);
    }

    /// The evictions recorded since the last call, oldest first (empty when
    /// tracing is off).
    pub fn take_traced_evictions(&mut self) -> Vec<TracedEviction> {
        self.trace
            .as_deref_mut()
            .map(|t| std::mem::take(&mut t.evictions))
            .unwrap_or_default()
    }

    /// Current simulated time in ms.
    pub fn now_ms(&self) -> u64 {
        self.now
    }

    /// Operations applied.
    pub fn ops(&self) -> u64 {
        self.ops
    }

    /// Applies a batch of operations in order.
    pub fn apply_all(&mut self, ops: &[Op]) {
        // Look ahead: the key's slot 8 operations early, its entry and
        // lost-read state 4 early, so the loads overlap instead of stalling.
        const FAR: usize = 8;
        const NEAR: usize = 4;
        for (i, op) in ops.iter().enumerate() {
            if let Some(far) = ops.get(i + FAR) {
                self.ks.prefetch_head(far.db, far.key);
            }
            if let Some(near) = ops.get(i + NEAR) {
                self.ks.prefetch_entry(near.db, near.key);
                self.policy.prefetch_near(&self.ks, near.db, near.key);
                self.lost.prefetch(near.key);
            }
            self.apply(op);
        }
    }

    /// Applies one operation: advances the clock (running cron ticks), then
    /// runs its command or commands.
    pub fn apply(&mut self, op: &Op) -> Reply {
        self.ops += 1;
        self.advance(op.t_ms);
        if usize::from(op.db) >= self.ks.dbs.len() {
            // Redis refuses SELECT of a database it does not have.
            return Reply::Skipped;
        }
        self.ensure_key(op.key);
        // The op's first command, then what the application sends after
        // its reply (`Cmd::followup`: a read's fill or slide, a window's
        // PEXPIRE). The two kinds that may follow up get their own arm, so
        // each call of `command` is compiled for the command it runs.
        match op.cmd {
            Cmd::Read(spec) => {
                let r = self.command(op, Cmd::Read(spec));
                self.follow_up(op, r);
                r
            }
            Cmd::IncrWindow { window_ms } => {
                let r = self.command(op, Cmd::IncrWindow { window_ms });
                self.follow_up(op, r);
                r
            }
            Cmd::Ran { name } => {
                self.name_ran(name);
                Reply::Skipped
            }
            Cmd::HashRead(spec) => {
                let r = self.command(op, Cmd::HashRead(spec));
                self.follow_chain(Cmd::HashRead(spec), op, r);
                r
            }
            Cmd::HashSet { fields, ttl_ms } => {
                let r = self.command(op, Cmd::HashSet { fields, ttl_ms });
                self.follow_up(op, r);
                r
            }
            cmd => self.command(op, cmd),
        }
    }

    /// Runs the follow-up of `op` after its first command answered `r`.
    #[inline]
    fn follow_up(&mut self, op: &Op, r: Reply) {
        if let Some(next) = op.cmd.followup(r) {
            self.command(op, next);
        }
    }

    /// Runs `cmd`'s follow-up after it answered `r`, then that one's, until
    /// one has none (a hash read's fill: `HSET`, then `PEXPIRE`).
    #[inline]
    fn follow_chain(&mut self, mut cmd: Cmd, op: &Op, mut r: Reply) {
        while let Some(next) = cmd.followup(r) {
            r = self.command(op, next);
            cmd = next;
        }
    }

    /// Runs one Redis command of an op at the op's time: its first
    /// command (`op.cmd`; a read is then only its GET, a rate-limit op only
    /// its INCR) or a follow-up the caller chose (a fill's SET, an
    /// EXPIRE). [`Instance::apply`] runs an op's follow-up right after its
    /// first command; a replay that sends other commands in between uses
    /// this to keep the same order.
    pub fn apply_command(&mut self, op: &Op, cmd: Cmd) -> Reply {
        self.advance(op.t_ms);
        if usize::from(op.db) >= self.ks.dbs.len() {
            return Reply::Skipped;
        }
        self.ensure_key(op.key);
        self.command(op, cmd)
    }

    #[inline]
    fn ensure_key(&mut self, key: u32) {
        self.lost.ensure(key);
    }

    /// Moves the clock to `t` (never backwards), running every cron tick due.
    pub fn advance(&mut self, t: u64) {
        let t = t.max(self.now);
        while self.next_cron <= t {
            self.now = self.next_cron;
            self.cron();
            self.next_cron += self.cron_step;
        }
        self.now = t;
        if self.expire.wants_fast(t) {
            self.expire_cycle(CycleKind::Fast);
        }
    }

    fn cron(&mut self) {
        self.lru_clock = lru_clock_at(self.cfg.start_unix_ms + self.now);
        self.expire_cycle(CycleKind::Slow);
        for db in 0..self.ks.dbs.len() {
            self.ks.try_resize_tables(db as u8);
        }
        self.lost.purge(self.now);
        let used = self.ks.used_memory();
        self.metrics.timeline.record_memory(self.now, used);
    }

    fn expire_cycle(&mut self, kind: CycleKind) {
        let now = self.now;
        let Instance {
            expire,
            ks,
            policy,
            metrics,
            ..
        } = self;
        expire.run(kind, ks, now, |ks, db, pos| {
            let e = ks.remove(db, pos);
            policy.on_remove(db, pos);
            metrics.classes[e.class as usize].counters.expired += 1;
            e
        });
    }

    #[inline]
    fn lfu_minutes(&self) -> u32 {
        lfu::minutes(self.cfg.start_unix_ms + self.now)
    }

    /// Runs one Redis command: eviction first, then the command.
    fn command(&mut self, op: &Op, cmd: Cmd) -> Reply {
        if op.db != 0 {
            // The client selected the database first (a command of its own).
            self.ran(memory::SELECT_COMMAND);
        }
        let argv = match self.ks.memory_model() {
            MemoryModel::Redis => memory::argv_cost(self.ks.layout(), op, &cmd),
            MemoryModel::Raw => raw_incoming(&cmd),
        };
        let ok = self.make_room(argv);
        let class = op.class as usize;
        if !ok && cmd.denyoom() {
            let c = &mut self.metrics.classes[class].counters;
            c.oom_rejected += 1;
            // A refused read-modify-write (INCR) is a read that failed: the
            // hit ratio of every policy then has the same denominator.
            if cmd.is_read() {
                c.reads += 1;
            }
            return Reply::Oom;
        }
        self.ks.transient = argv;
        let r = self.execute(op, cmd);
        self.ks.transient = 0;
        self.ran(memory::command_index(&cmd));
        let used = self.ks.used_memory();
        if used > self.metrics.peak_used_memory {
            self.metrics.peak_used_memory = used;
        }
        r
    }

    /// Notes that a command name ran: the first time, Redis allocates its
    /// latency histogram (after the command, so the next one sees it).
    #[inline]
    fn ran(&mut self, command: u32) {
        let bit = 1 << command;
        if self.commands_run & bit == 0 && !self.named {
            self.commands_run |= bit;
            self.ks.add_server_memory(memory::LATENCY_HISTOGRAM);
        }
    }

    /// A capture's command name number `name` ran for the first time: its
    /// histogram. The first such name gives back what the model's own
    /// commands had counted (the capture names every command it ran,
    /// including those; a capture's first line is followed by its name at
    /// the same instant, so nothing in between saw the difference).
    #[cold]
    fn name_ran(&mut self, name: u8) {
        if !self.named {
            self.named = true;
            let counted = u64::from(self.commands_run.count_ones());
            self.ks
                .remove_server_memory(counted * memory::LATENCY_HISTOGRAM);
        }
        let (word, bit) = (usize::from(name / 64), 1u64 << (name % 64));
        if self.names_run[word] & bit == 0 {
            self.names_run[word] |= bit;
            self.ks.add_server_memory(memory::LATENCY_HISTOGRAM);
        }
    }
}

/// Under the raw memory model, what a command would add: room is made for it
/// before it runs, so the cache never exceeds its size.
fn raw_incoming(cmd: &Cmd) -> u64 {
    match *cmd {
        Cmd::Set { value, .. } => value.len as u64,
        Cmd::Append { len } => len as u64,
        Cmd::Grow { bytes, .. } if bytes > 0 => bytes as u64,
        Cmd::HashSet { fields, .. } => fields.bytes(),
        Cmd::IncrBy { .. } | Cmd::IncrWindow { .. } => 1,
        _ => 0,
    }
}
