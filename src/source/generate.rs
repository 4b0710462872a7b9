//! One generator per key class: Poisson arrivals at the class's rates, turned
//! into the commands that kind of key sees.
//!
//! Each class draws from its own seeded `SmallRng`, so adding a class does
//! not change what the others generate. Times are kept in fractional
//! milliseconds and floored when an [`Op`] is emitted; a class's events come
//! out in time order.

use super::class::{ClassKind, ClassSpec, QueueStructure, Returns, SessionStructure};
use super::dist::{Picker, ValueDist};
use super::hash::{derive, mix64};
use super::template::KeyTemplate;
use crate::op::{Agg, ClassId, Cmd, HashFields, HashReadSpec, KeyId, Op, ReadSpec, SetCond, Value};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rand_distr::Exp1;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

/// Tags that separate the seeds derived for each purpose.
const TAG_RNG: u64 = 0x100;
const TAG_VALUE: u64 = 0x200;
const TAG_NAME: u64 = 0x300;

/// Hands out key ids for keys created during the run and remembers, for
/// each, its class and its number within the class.
#[derive(Debug, Default)]
pub(crate) struct DynamicKeys {
    /// The first id after the fixed-size classes' ranges.
    pub first: u32,
    /// Class of each created key, by `id - first`.
    pub class: Vec<ClassId>,
    /// Number within its class of each created key, by `id - first`.
    pub local: Vec<u32>,
}

impl DynamicKeys {
    /// A new key id for key `local` of `class`; `None` once the 32-bit id
    /// space is used up.
    fn alloc(&mut self, class: ClassId, local: u32) -> Option<KeyId> {
        let id = u64::from(self.first) + self.class.len() as u64;
        let id = KeyId::try_from(id).ok()?;
        self.class.push(class);
        self.local.push(local);
        Some(id)
    }
}

/// What every generator of a class shares: its identity, naming and sizes.
#[derive(Debug)]
pub(crate) struct ClassCtx {
    /// Index of the class.
    pub id: ClassId,
    /// Its database.
    pub db: u8,
    /// How its keys are named.
    pub key: KeyTemplate,
    /// Salt for the `{hex}` and `{uuid}` parts of its names.
    pub name_salt: u64,
    /// Size of its values, if it writes any.
    value: Option<ValueDist>,
    /// Seed of the per-key size hash.
    value_seed: u64,
    /// The class's random stream.
    rng: SmallRng,
}

impl ClassCtx {
    /// The context of class number `id` of a run seeded with `seed`.
    pub(super) fn new(spec: &ClassSpec, id: ClassId, seed: u64) -> Self {
        let value = match &spec.kind {
            ClassKind::Cache(c) => Some(c.value.clone()),
            ClassKind::Session(s) => Some(s.value.clone()),
            ClassKind::Queue(q) => Some(q.value.clone()),
            ClassKind::Static(s) => Some(s.value.clone()),
            ClassKind::Counter(_) => None,
        };
        let tag = u64::from(id);
        ClassCtx {
            id,
            db: spec.db,
            key: spec.key.clone(),
            name_salt: derive(seed, TAG_NAME + tag),
            value,
            value_seed: derive(seed, TAG_VALUE + tag),
            rng: SmallRng::seed_from_u64(derive(seed, TAG_RNG + tag)),
        }
    }

    /// The value written for key `local`: the same every time.
    #[inline]
    fn value(&self, local: u32) -> Value {
        let len = match &self.value {
            Some(d) => d.size(mix64(self.value_seed ^ u64::from(local))),
            None => 1,
        };
        Value::bytes(len)
    }

    /// An op on key `key`, number `local` of this class.
    #[inline]
    fn op(&self, t_ms: u64, key: KeyId, local: u32, cmd: Cmd) -> Op {
        Op {
            t_ms,
            key,
            // Templates are validated to at most u16::MAX bytes.
            key_len: self.key.len(local) as u16,
            db: self.db,
            class: self.id,
            cmd,
        }
    }

    /// A plain SET of key `local` with `ttl_ms` (0: none).
    fn set(&self, local: u32, ttl_ms: u64) -> Cmd {
        Cmd::Set {
            value: self.value(local),
            ttl_ms,
            cond: SetCond::Always,
            keep_ttl: false,
        }
    }
}

/// A Poisson process: the time of its next arrival.
#[derive(Debug)]
struct Arrivals {
    /// Next arrival in ms, `INFINITY` when none is left before the end.
    next: f64,
    /// Mean gap in ms.
    mean_gap: f64,
}

impl Arrivals {
    /// A process at `per_sec` arrivals a second, starting at 0.
    fn new(per_sec: f64, rng: &mut SmallRng, end: f64) -> Self {
        let mut a = Arrivals {
            next: 0.0,
            mean_gap: if per_sec > 0.0 {
                1000.0 / per_sec
            } else {
                f64::INFINITY
            },
        };
        a.advance(rng, end);
        a
    }

    /// Moves to the next arrival.
    #[inline]
    fn advance(&mut self, rng: &mut SmallRng, end: f64) {
        let gap: f64 = rng.sample(Exp1);
        self.next += gap * self.mean_gap;
        // NaN (a zero gap times an infinite mean) means no arrival too.
        if self.next.is_nan() || self.next >= end {
            self.next = f64::INFINITY;
        }
    }
}

/// A time that orders totally (for heaps of pending events).
#[derive(Clone, Copy, Debug, PartialEq)]
struct At(f64);

impl Eq for At {}

impl PartialOrd for At {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for At {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// The generator of one class.
#[derive(Debug)]
pub(crate) enum Gen {
    Fixed(FixedGen),
    Session(SessionGen),
    Queue(QueueGen),
}

impl Gen {
    /// The generator for `spec`, whose fixed keys (if any) start at `base`;
    /// events stop at `end_ms`.
    pub(super) fn new(spec: &ClassSpec, ctx: &mut ClassCtx, base: KeyId, end_ms: u64) -> Self {
        let end = end_ms as f64;
        let rng = &mut ctx.rng;
        match &spec.kind {
            ClassKind::Cache(c) => Gen::Fixed(FixedGen {
                base,
                picker: Picker::new(&c.popularity, c.keys),
                arrivals: Arrivals::new(c.reads_per_sec, rng, end),
                action: FixedAction::Cache {
                    ttl_ms: c.ttl_ms.unwrap_or(0),
                },
                to_write: 0..0,
                end,
            }),
            ClassKind::Counter(c) => Gen::Fixed(FixedGen {
                base,
                picker: Picker::new(&c.popularity, c.keys),
                arrivals: Arrivals::new(c.incr_per_sec, rng, end),
                action: FixedAction::Counter {
                    window_ms: c.window_ms,
                },
                to_write: 0..0,
                end,
            }),
            ClassKind::Static(s) => Gen::Fixed(FixedGen {
                base,
                picker: Picker::new(&s.popularity, s.keys),
                arrivals: Arrivals::new(s.reads_per_sec, rng, end),
                action: FixedAction::Static {
                    ttl_ms: s.ttl_ms.unwrap_or(0),
                },
                to_write: 0..s.keys,
                end,
            }),
            ClassKind::Session(s) => {
                let ttl_ms = s.ttl_ms.unwrap_or(0);
                Gen::Session(SessionGen {
                    logins: Arrivals::new(s.logins_per_sec, rng, end),
                    requests: Arrivals::new(s.requests_per_sec, rng, end),
                    ends: BinaryHeap::new(),
                    active: Vec::new(),
                    pos: Vec::new(),
                    keys: Vec::new(),
                    active_mean_ms: s.active_for_ms as f64,
                    ttl_ms,
                    slide_ms: if s.sliding { ttl_ms } else { 0 },
                    relogin: s.relogin,
                    logout: s.logout,
                    returns: s.returns.clone(),
                    hash_fields: match s.structure {
                        SessionStructure::String => 0,
                        SessionStructure::Hash { fields } => fields,
                    },
                    backs: BinaryHeap::new(),
                    end,
                })
            }
            ClassKind::Queue(q) => Gen::Queue(QueueGen {
                lists: match q.structure {
                    QueueStructure::Keys => None,
                    QueueStructure::List { queues, sorted } => {
                        Some((base, queues, if sorted { Agg::Zset } else { Agg::List }))
                    }
                },
                enqueues: Arrivals::new(q.enqueue_per_sec, rng, end),
                pending: BinaryHeap::new(),
                created: 0,
                delay_ms: q.delay_ms as f64,
                jitter_ms: q.delay_jitter_ms as f64,
                ttl_ms: q.ttl_ms.unwrap_or(0),
                end,
            }),
        }
    }

    /// Time of the next event in ms (`INFINITY`: none before the end).
    #[inline]
    pub(super) fn next_time(&self) -> f64 {
        match self {
            Gen::Fixed(g) => g.next_time(),
            Gen::Session(g) => g.next_time(),
            Gen::Queue(g) => g.next_time(),
        }
    }

    /// Handles the next event, at `t_ms`; some events (a request with no
    /// active session, a session going idle) produce no op.
    #[inline]
    pub(super) fn step(
        &mut self,
        ctx: &mut ClassCtx,
        ids: &mut DynamicKeys,
        t_ms: u64,
    ) -> Option<Op> {
        match self {
            Gen::Fixed(g) => Some(g.step(ctx, t_ms)),
            Gen::Session(g) => g.step(ctx, ids, t_ms),
            Gen::Queue(g) => g.step(ctx, ids, t_ms),
        }
    }
}

/// What a fixed-size class does with the key a request picks.
#[derive(Debug)]
enum FixedAction {
    Cache { ttl_ms: u64 },
    Counter { window_ms: u64 },
    Static { ttl_ms: u64 },
}

/// Caches, counters and static data: requests over a fixed key range.
#[derive(Debug)]
pub(crate) struct FixedGen {
    base: KeyId,
    picker: Picker,
    arrivals: Arrivals,
    action: FixedAction,
    /// Static keys still to write at t=0.
    to_write: std::ops::Range<u32>,
    end: f64,
}

impl FixedGen {
    fn next_time(&self) -> f64 {
        if self.to_write.is_empty() {
            self.arrivals.next
        } else {
            0.0
        }
    }

    fn step(&mut self, ctx: &mut ClassCtx, t_ms: u64) -> Op {
        if let Some(local) = self.to_write.next() {
            let ttl_ms = match self.action {
                FixedAction::Static { ttl_ms } => ttl_ms,
                _ => 0,
            };
            return ctx.op(t_ms, self.base + local, local, ctx.set(local, ttl_ms));
        }
        let local = self.picker.pick(&mut ctx.rng);
        self.arrivals.advance(&mut ctx.rng, self.end);
        let cmd = match self.action {
            FixedAction::Cache { ttl_ms } => Cmd::Read(ReadSpec {
                fill: Some(ctx.value(local)),
                fill_ttl_ms: ttl_ms,
                slide_ms: 0,
            }),
            FixedAction::Counter { window_ms } => Cmd::IncrWindow { window_ms },
            FixedAction::Static { .. } => Cmd::Read(ReadSpec::default()),
        };
        ctx.op(t_ms, self.base + local, local, cmd)
    }
}

/// Sessions: created at login, read while active, optionally logged out.
#[derive(Debug)]
pub(crate) struct SessionGen {
    logins: Arrivals,
    requests: Arrivals,
    /// When each active session goes idle.
    ends: BinaryHeap<Reverse<(At, u32)>>,
    /// Active sessions (numbers within the class).
    active: Vec<u32>,
    /// Position of each session in `active` (`u32::MAX`: not active).
    pos: Vec<u32>,
    /// Key id of each session.
    keys: Vec<KeyId>,
    active_mean_ms: f64,
    ttl_ms: u64,
    slide_ms: u64,
    relogin: bool,
    logout: f64,
    /// Users who come back after a break, if any do.
    returns: Option<Returns>,
    /// When each user on a break comes back.
    backs: BinaryHeap<Reverse<(At, u32)>>,
    /// Fields of a hash session; 0 for a string session.
    hash_fields: u16,
    end: f64,
}

impl SessionGen {
    /// Session `local`'s hash: its value spread over the fields.
    fn fields(&self, ctx: &ClassCtx, local: u32) -> HashFields {
        let n = self.hash_fields.max(1);
        HashFields::new(n, (ctx.value(local).len / u32::from(n)).max(1))
    }

    /// Session `local`'s login: `SET key value [PX ttl]`, or for a hash
    /// `HSET` of every field then `PEXPIRE`.
    fn login(&self, ctx: &ClassCtx, local: u32) -> Cmd {
        if self.hash_fields == 0 {
            return ctx.set(local, self.ttl_ms);
        }
        Cmd::HashSet {
            fields: self.fields(ctx, local),
            ttl_ms: self.ttl_ms,
        }
    }

    fn next_time(&self) -> f64 {
        let end = self
            .ends
            .peek()
            .map_or(f64::INFINITY, |Reverse((At(t), _))| *t);
        let back = self
            .backs
            .peek()
            .map_or(f64::INFINITY, |Reverse((At(t), _))| *t);
        end.min(back).min(self.logins.next).min(self.requests.next)
    }

    /// Starts an active spell for session `local` at `now`.
    fn activate(&mut self, ctx: &mut ClassCtx, local: u32, now: f64) {
        if let Some(p) = self.pos.get_mut(local as usize) {
            *p = self.active.len() as u32;
        }
        self.active.push(local);
        let gap: f64 = ctx.rng.sample(Exp1);
        let ends = now + gap * self.active_mean_ms;
        if ends < self.end {
            self.ends.push(Reverse((At(ends), local)));
        }
    }

    /// A request of session `local`'s user: read the session (`GET`, or
    /// `HGETALL` of a hash; sliding its TTL; logging in again on a miss
    /// with `relogin`).
    fn request(&self, ctx: &mut ClassCtx, t_ms: u64, local: u32) -> Option<Op> {
        let key = *self.keys.get(local as usize)?;
        let cmd = if self.hash_fields == 0 {
            Cmd::Read(ReadSpec {
                fill: self.relogin.then(|| ctx.value(local)),
                fill_ttl_ms: self.ttl_ms,
                slide_ms: self.slide_ms,
            })
        } else {
            Cmd::HashRead(HashReadSpec {
                fill: self.relogin.then(|| self.fields(ctx, local)),
                fill_ttl_ms: self.ttl_ms,
                slide_ms: self.slide_ms,
            })
        };
        Some(ctx.op(t_ms, key, local, cmd))
    }

    fn step(&mut self, ctx: &mut ClassCtx, ids: &mut DynamicKeys, t_ms: u64) -> Option<Op> {
        let end_at = self
            .ends
            .peek()
            .map_or(f64::INFINITY, |Reverse((At(t), _))| *t);
        if end_at <= self.logins.next && end_at <= self.requests.next {
            let Reverse((At(now), local)) = self.ends.pop()?;
            self.deactivate(local);
            if self.logout > 0.0 && ctx.rng.gen::<f64>() < self.logout {
                let key = *self.keys.get(local as usize)?;
                return Some(ctx.op(t_ms, key, local, Cmd::Del));
            }
            if let Some(r) = &self.returns {
                if ctx.rng.gen::<f64>() < r.share {
                    let back = now + r.after.sample(&mut ctx.rng);
                    if back < self.end {
                        self.backs.push(Reverse((At(back), local)));
                    }
                }
            }
            return None;
        }
        let back_at = self
            .backs
            .peek()
            .map_or(f64::INFINITY, |Reverse((At(t), _))| *t);
        if back_at <= self.logins.next && back_at <= self.requests.next {
            // The user is back: a new active spell, starting with a request.
            let Reverse((At(now), local)) = self.backs.pop()?;
            self.activate(ctx, local, now);
            return self.request(ctx, t_ms, local);
        }
        if self.logins.next <= self.requests.next {
            let now = self.logins.next;
            self.logins.advance(&mut ctx.rng, self.end);
            let local = u32::try_from(self.keys.len()).ok()?;
            let Some(key) = ids.alloc(ctx.id, local) else {
                // Key ids used up (validation makes this unreachable): stop logins.
                self.logins.next = f64::INFINITY;
                return None;
            };
            self.keys.push(key);
            self.pos.push(u32::MAX);
            self.activate(ctx, local, now);
            return Some(ctx.op(t_ms, key, local, self.login(ctx, local)));
        }
        self.requests.advance(&mut ctx.rng, self.end);
        if self.active.is_empty() {
            return None;
        }
        let local = self.active[ctx.rng.gen_range(0..self.active.len())];
        self.request(ctx, t_ms, local)
    }

    /// Removes session `local` from the active set.
    fn deactivate(&mut self, local: u32) {
        let Some(&p) = self.pos.get(local as usize) else {
            return;
        };
        let p = p as usize;
        if p >= self.active.len() {
            return;
        }
        self.active.swap_remove(p);
        if let Some(&moved) = self.active.get(p) {
            self.pos[moved as usize] = p as u32;
        }
        self.pos[local as usize] = u32::MAX;
    }
}

/// A job queue: each job is written, then taken after its delay: a key
/// per job (SET, then GETDEL), or pushed onto a list (RPUSH, then a pop).
#[derive(Debug)]
pub(crate) struct QueueGen {
    /// For a list (or sorted-set) queue, its first key's id, the number
    /// of keys (jobs go to them in turn) and what they are.
    lists: Option<(KeyId, u32, Agg)>,
    enqueues: Arrivals,
    /// Jobs waiting: (due time, number, key id).
    pending: BinaryHeap<Reverse<(At, u32, KeyId)>>,
    created: u32,
    delay_ms: f64,
    jitter_ms: f64,
    ttl_ms: u64,
    end: f64,
}

impl QueueGen {
    fn next_time(&self) -> f64 {
        let due = self
            .pending
            .peek()
            .map_or(f64::INFINITY, |Reverse((At(t), ..))| *t);
        due.min(self.enqueues.next)
    }

    fn step(&mut self, ctx: &mut ClassCtx, ids: &mut DynamicKeys, t_ms: u64) -> Option<Op> {
        let due = self
            .pending
            .peek()
            .map_or(f64::INFINITY, |Reverse((At(t), ..))| *t);
        if due <= self.enqueues.next {
            let Reverse((_, local, key)) = self.pending.pop()?;
            let take = match self.lists {
                Some(_) => Cmd::Pop { elems: 1 },
                None => Cmd::GetDel,
            };
            return Some(ctx.op(t_ms, key, local, take));
        }
        let now = self.enqueues.next;
        self.enqueues.advance(&mut ctx.rng, self.end);
        let job = self.created;
        let (key, local) = match self.lists {
            Some((base, queues, _)) => {
                let q = job % queues;
                (base + q, q)
            }
            None => match ids.alloc(ctx.id, job) {
                Some(key) => (key, job),
                None => {
                    // Key ids used up (validation makes this unreachable): stop.
                    self.enqueues.next = f64::INFINITY;
                    return None;
                }
            },
        };
        self.created = self.created.wrapping_add(1);
        let jitter = if self.jitter_ms > 0.0 {
            ctx.rng.gen::<f64>() * self.jitter_ms
        } else {
            0.0
        };
        let due = now + self.delay_ms + jitter;
        if due < self.end {
            self.pending.push(Reverse((At(due), local, key)));
        }
        let cmd = match self.lists {
            Some((_, _, kind)) => Cmd::Grow {
                bytes: i64::from(ctx.value(job).len.max(1)),
                elems: 1,
                kind,
            },
            None => ctx.set(local, self.ttl_ms),
        };
        Some(ctx.op(t_ms, key, local, cmd))
    }
}
