//! A lesson played through the model: its commands, one [`Step`] each,
//! with what Redis did and why (the keys the policy sampled, the pool, the
//! victim), what that cost (a user logged out, a refused write), and the
//! keyspace after it. The instance is the same [`AnyInstance`] `run`
//! replays into, with its pick trace turned on; nothing here decides what
//! Redis would do, it only reads what the model did.

use super::text::{Line, Style};
use crate::crash::{crash_ops, CrashKind};
use crate::metrics::Counters;
use crate::model::keyspace::Entry;
use crate::model::{AnyInstance, InstanceConfig, PolicyKind, Reply, TracedEviction};
use crate::op::{Cmd, KeyId, Op};
use crate::report::fmt;
use crate::source::{ClassKind, Lesson, Variant, Workload};
use std::collections::{BTreeSet, HashMap};

/// What a class is, in the words of the narration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A read-through cache.
    Cache,
    /// Login sessions.
    Session,
    /// A job queue.
    Queue,
    /// Rate-limit counters.
    Counter,
    /// Flags and settings written once.
    Static,
}

/// A class as the pictures and the narration show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassView {
    /// Its name in the lesson.
    pub name: String,
    /// Whether its keys have no other copy.
    pub critical: bool,
    /// What it is.
    pub kind: Kind,
}

/// One key in the picture of the keyspace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    /// Which instance (region of the picture) holds it.
    pub region: usize,
    /// Its place in that region, kept while the key lives.
    pub slot: usize,
    /// The key's name.
    pub name: String,
    /// Its class (index into [`Tape::classes`]).
    pub class: usize,
    /// Time since it was last read or written, in ms.
    pub idle_ms: u64,
    /// The elements it holds when it is a list or another aggregate (the
    /// jobs of a list queue); 0 for a string.
    pub items: u64,
    /// This step's command used it.
    pub touched: bool,
    /// This step's evictions sampled it.
    pub sampled: bool,
    /// This step evicted it (the cell shows where it was).
    pub evicted: bool,
    /// A crash lost it.
    pub lost: bool,
}

/// How full one instance is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gauge {
    /// The instance's name ("cache", "store"; empty for a single one).
    pub label: String,
    /// `used_memory` in bytes.
    pub used: u64,
    /// `maxmemory` in bytes.
    pub max: u64,
    /// Keys held.
    pub keys: usize,
}

/// One command of the lesson and what followed from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// Simulated time, in ms.
    pub t_ms: u64,
    /// A few words for a picture's caption.
    pub headline: String,
    /// The narration.
    pub lines: Vec<Line>,
    /// The keyspace after the step (and the keys it evicted).
    pub cells: Vec<Cell>,
    /// Memory after the step, one gauge per instance.
    pub gauges: Vec<Gauge>,
    /// Whether the step evicted a critical key or lost data.
    pub alarm: bool,
}

/// A lesson run under one variant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tape {
    /// The lesson's title.
    pub title: String,
    /// The variant's label.
    pub variant: String,
    /// The instance settings in one line.
    pub settings: String,
    /// The classes.
    pub classes: Vec<ClassView>,
    /// The instances' names, one per region of the picture.
    pub regions: Vec<String>,
    /// Slots each region needs (the most keys it held at once, plus the
    /// cells of keys evicted in the same step).
    pub slots: Vec<usize>,
    /// The commands.
    pub steps: Vec<Step>,
    /// What the run added up to.
    pub summary: Vec<Line>,
}

/// One simulated instance of the lesson and the picture's view of it.
struct Side {
    label: String,
    inst: AnyInstance,
    slot_of: HashMap<KeyId, usize>,
    free: BTreeSet<usize>,
    next_slot: usize,
    peak_slot: usize,
}

/// What was resident before a step: key -> (last access, expire_at, the
/// elements an aggregate holds; 0 for a string).
type Before = HashMap<KeyId, (u64, u64, u64)>;

/// Plays `lesson` under `variant` into a tape.
pub fn record(lesson: &Lesson, variant: &Variant) -> Tape {
    let sc = &lesson.scenario;
    let classes: Vec<ClassView> = sc
        .classes
        .iter()
        .map(|c| ClassView {
            name: c.name.clone(),
            critical: c.critical,
            kind: match c.kind {
                ClassKind::Cache(_) => Kind::Cache,
                ClassKind::Session(_) => Kind::Session,
                ClassKind::Queue(_) => Kind::Queue,
                ClassKind::Counter(_) => Kind::Counter,
                ClassKind::Static(_) => Kind::Static,
            },
        })
        .collect();
    let mut cfg = sc.instance.clone();
    if let Some(s) = variant.samples {
        cfg.samples = s;
    }
    let mut sides = Vec::new();
    let new_side = |label: &str, policy: PolicyKind, cfg: &InstanceConfig| {
        let mut inst = AnyInstance::new(policy, cfg, classes.len());
        inst.trace_picks();
        Side {
            label: label.to_string(),
            inst,
            slot_of: HashMap::new(),
            free: BTreeSet::new(),
            next_slot: 0,
            peak_slot: 0,
        }
    };
    let settings;
    match variant.store_bytes {
        Some(store) => {
            let cache_cfg = InstanceConfig {
                maxmemory: cfg.maxmemory - store,
                ..cfg.clone()
            };
            let store_cfg = InstanceConfig {
                maxmemory: store,
                ..cfg.clone()
            };
            settings = format!(
                "two instances: cache {} maxmemory {}, store noeviction maxmemory {} ({} in all)",
                variant.policy,
                fmt::bytes(cache_cfg.maxmemory),
                fmt::bytes(store),
                fmt::bytes(cfg.maxmemory)
            );
            sides.push(new_side("cache", variant.policy, &cache_cfg));
            sides.push(new_side("store", PolicyKind::NoEviction, &store_cfg));
        }
        None => {
            settings = format!(
                "maxmemory {} ({}), maxmemory-policy {}{}",
                fmt::bytes(cfg.maxmemory),
                memory_words(&cfg),
                variant.policy,
                if variant.policy.is_reference() {
                    " (a reference: no Redis has it)".to_string()
                } else {
                    format!(", maxmemory-samples {}", cfg.samples)
                }
            );
            sides.push(new_side("", variant.policy, &cfg));
        }
    }
    let route = |class: usize| -> usize {
        if sides_split(variant) && classes[class].critical {
            1
        } else {
            0
        }
    };

    let mut workload = Workload::new(sc);
    let mut ops = Vec::new();
    let end = lesson.crash_at_ms.unwrap_or(u64::MAX);
    for op in workload.by_ref() {
        if op.t_ms > end {
            break;
        }
        ops.push(op);
    }
    let namer = Namer {
        workload: &workload,
        names: &lesson.names,
    };
    let mut st = State {
        names: HashMap::new(),
        class_of: HashMap::new(),
        evicted_at: HashMap::new(),
        evicted_items: HashMap::new(),
        told: BTreeSet::new(),
    };
    let mut steps = Vec::with_capacity(ops.len() + 1);
    for op in &ops {
        st.class_of.insert(op.key, op.class as usize);
        let target = route(op.class as usize);
        let befores: Vec<Before> = sides.iter().map(|s| resident(&s.inst)).collect();
        let counters_before = counters(&sides[target].inst);
        for (i, s) in sides.iter_mut().enumerate() {
            if i != target {
                s.inst.advance(op.t_ms);
            }
        }
        let reply = sides[target].inst.apply(op);
        let traced = sides[target].inst.take_traced_evictions();
        let counters_after = counters(&sides[target].inst);
        let held = items_now(&sides[target].inst, op);
        let mut step = describe(
            op,
            (reply, held),
            &traced,
            (&counters_before, &counters_after),
            &befores[target],
            &classes,
            &namer,
            &mut st,
            variant.policy,
            &sides[target].label,
        );
        // Keys gone without an eviction: their TTL passed.
        for (i, s) in sides.iter().enumerate() {
            let now = resident(&s.inst);
            let mut gone: Vec<KeyId> = befores[i]
                .keys()
                .filter(|k| !now.contains_key(k))
                .filter(|k| !traced.iter().any(|t| t.victim.1 == **k) || i != target)
                .filter(|k| !(i == target && **k == op.key && deletes(op.cmd)))
                .copied()
                .collect();
            gone.sort_unstable();
            for k in gone {
                let name = st.name(k, &namer);
                let mut l = Line::new().with(Style::Dim, "  ");
                l.push(key_style(&classes, st.class(k)), name);
                l.push(Style::Dim, " expired (its TTL passed)");
                step.lines.push(l);
            }
        }
        let victims: Vec<KeyId> = traced.iter().map(|t| t.victim.1).collect();
        let sampled: Vec<KeyId> = traced
            .iter()
            .flat_map(|t| t.sampled.iter().map(|c| c.key))
            .collect();
        picture(
            &mut step, &mut sides, &befores, target, op.key, &victims, &sampled, &mut st, &namer,
        );
        steps.push(step);
    }
    if let Some(at) = lesson.crash_at_ms {
        let last = steps.last();
        let crash = crash_step(last, lesson, variant, &ops, at, &mut sides, &classes);
        steps.push(crash);
    }
    let summary = summarize(&sides, &classes);
    Tape {
        title: lesson.title.clone(),
        variant: variant.label.clone(),
        settings,
        classes,
        regions: sides.iter().map(|s| s.label.clone()).collect(),
        slots: sides.iter().map(|s| s.peak_slot.max(1)).collect(),
        steps,
        summary,
    }
}

fn sides_split(v: &Variant) -> bool {
    v.store_bytes.is_some()
}

/// How memory is counted, in a few words.
fn memory_words(cfg: &InstanceConfig) -> &'static str {
    match cfg.memory_model {
        crate::model::MemoryModel::Raw => "a key costs its value's bytes",
        crate::model::MemoryModel::Redis => "Redis's used_memory",
    }
}

/// Names keys: the lesson's readable names, else the class's template.
struct Namer<'a> {
    workload: &'a Workload,
    names: &'a [Vec<String>],
}

/// What the narration remembers across steps.
struct State {
    names: HashMap<KeyId, String>,
    class_of: HashMap<KeyId, usize>,
    evicted_at: HashMap<KeyId, u64>,
    /// Elements an evicted aggregate held (more than one).
    evicted_items: HashMap<KeyId, u64>,
    /// Evicted aggregates whose loss a worker has already found.
    told: BTreeSet<KeyId>,
}

impl State {
    fn name(&mut self, k: KeyId, namer: &Namer) -> String {
        self.names
            .entry(k)
            .or_insert_with(|| {
                if let Some((class, n)) = namer.workload.locate(k) {
                    if let Some(s) = namer
                        .names
                        .get(usize::from(class))
                        .and_then(|l| l.get(n as usize))
                    {
                        return s.clone();
                    }
                }
                namer.workload.key_name(k)
            })
            .clone()
    }

    fn class(&self, k: KeyId) -> usize {
        self.class_of.get(&k).copied().unwrap_or(0)
    }
}

/// The part of a key's name that names its user, job or page.
fn who(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

fn key_style(classes: &[ClassView], class: usize) -> Style {
    if classes.get(class).is_some_and(|c| c.critical) {
        Style::Critical
    } else {
        Style::Cache
    }
}

fn resident(inst: &AnyInstance) -> Before {
    inst.keyspace()
        .dbs
        .iter()
        .flat_map(|d| d.iter())
        .map(|e| (e.key, (e.last_access_ms, e.expire_at, items(e))))
        .collect()
}

/// The elements a key's value holds: a list's jobs, a sorted set's
/// members; 0 for a string.
fn items(e: &Entry) -> u64 {
    if e.kind.is_aggregate() {
        e.int_value.max(1) as u64
    } else {
        0
    }
}

/// The elements key `key` of `op`'s database holds after the step (0 when
/// it is gone or a string).
fn items_now(inst: &AnyInstance, op: &Op) -> u64 {
    let ks = inst.keyspace();
    ks.find(op.db, op.key)
        .map_or(0, |pos| items(ks.entry(op.db, pos)))
}

fn counters(inst: &AnyInstance) -> Vec<Counters> {
    inst.metrics().classes.iter().map(|c| c.counters).collect()
}

fn deletes(cmd: Cmd) -> bool {
    // A pop of an aggregate's last element deletes it, as Redis deletes an
    // empty list.
    matches!(
        cmd,
        Cmd::Del | Cmd::GetDel | Cmd::Expire { ttl_ms: 0 } | Cmd::Pop { .. }
    ) || matches!(cmd, Cmd::Grow { bytes, .. } if bytes < 0)
}

/// Seconds, whole, as the LRU clock counts them: `7s`, `2m 05s`.
fn secs(ms: u64) -> String {
    let s = ms / 1000;
    if s < 60 {
        format!("{s}s")
    } else {
        format!("{}m {:02}s", s / 60, s % 60)
    }
}

/// A traced candidate's score in words.
fn score_words(policy: PolicyKind, score: u64, now: u64) -> String {
    use PolicyKind::*;
    match policy {
        AllKeysLfu | VolatileLfu => format!("counter {}", 255u64.saturating_sub(score)),
        VolatileTtl => {
            let at = u64::MAX - score;
            format!("TTL {}", fmt::duration_ms(at.saturating_sub(now)))
        }
        AllKeysLrm | VolatileLrm => format!("unwritten {}", secs(score)),
        _ => format!("idle {}", secs(score)),
    }
}

/// The narration of one command and what followed.
#[allow(clippy::too_many_arguments)]
fn describe(
    op: &Op,
    (reply, held): (Reply, u64),
    traced: &[TracedEviction],
    (before, after): (&[Counters], &[Counters]),
    resident_before: &Before,
    classes: &[ClassView],
    namer: &Namer,
    st: &mut State,
    policy: PolicyKind,
    side: &str,
) -> Step {
    let class = op.class as usize;
    let cv = &classes[class];
    let name = st.name(op.key, namer);
    let ks = key_style(classes, class);
    let now = op.t_ms;
    let diff = |f: fn(&Counters) -> u64| -> u64 {
        before
            .iter()
            .zip(after)
            .map(|(b, a)| f(a).saturating_sub(f(b)))
            .sum()
    };
    let refused = diff(|c| c.oom_rejected) > 0;
    let lost = after[class].lost_reads > before[class].lost_reads;
    let u = who(&name).to_string();

    let mut head = Line::new().with(Style::Dim, format!("[{:>6}] ", clock(now)));
    let intent = match (cv.kind, op.cmd) {
        (Kind::Session, Cmd::Set { .. } | Cmd::HashSet { .. }) => format!("user {u} logs in: "),
        (Kind::Session, Cmd::Read(_) | Cmd::HashRead(_)) => {
            format!("user {u} makes a request: ")
        }
        (Kind::Session, Cmd::Del) => format!("user {u} logs out: "),
        (Kind::Queue, Cmd::Set { .. }) => format!("the app queues job {u}: "),
        (Kind::Queue, Cmd::GetDel) => format!("a worker takes job {u}: "),
        (Kind::Queue, Cmd::Grow { .. }) => "the app queues a job: ".to_string(),
        (Kind::Queue, Cmd::Pop { .. }) => "a worker takes a job: ".to_string(),
        (Kind::Counter, _) => format!("a request from {u} is counted: "),
        (Kind::Static, Cmd::Set { .. }) => "the deploy writes a flag: ".to_string(),
        (Kind::Static, _) => "the app reads a flag: ".to_string(),
        (Kind::Cache, Cmd::Read(_)) => format!("a visitor asks for {u}: "),
        _ => String::new(),
    };
    head.push(Style::Plain, intent);
    let (verb, mut outcome) = command_words(op.cmd, reply, refused);
    if cv.kind == Kind::Session {
        outcome = outcome.replace("the app writes it back", "the user logs in again");
    }
    if cv.kind == Kind::Queue && !refused {
        let jobs = |n: u64| format!("{n} {}", fmt::plural(n, "job", "jobs"));
        match (op.cmd, reply) {
            (Cmd::Grow { bytes, .. }, _) if bytes > 0 => {
                outcome = format!(
                    " ({}): {} waiting",
                    fmt::bytes(bytes.unsigned_abs()),
                    jobs(held)
                );
            }
            (Cmd::Pop { .. }, Reply::Found) if held == 0 => {
                outcome = ": the last job (Redis deletes the empty list)".to_string();
            }
            (Cmd::Pop { .. }, Reply::Found) => outcome = format!(": a job ({} left)", jobs(held)),
            (Cmd::Pop { .. }, _) => outcome = ": nothing there".to_string(),
            _ => {}
        }
    }
    head.push(Style::Strong, format!("{verb} "));
    head.push(ks, name.clone());
    head.push(Style::Plain, outcome);
    if !side.is_empty() {
        head.push(Style::Dim, format!("  (on the {side})"));
    }
    let mut lines = vec![head];
    let mut alarm = false;
    let mut headline = format!("{verb} {name}{}", short_outcome(op.cmd, reply, refused));

    for t in traced {
        let (_, victim) = t.victim;
        let vname = st.name(victim, namer);
        let vclass = st.class(victim);
        let vstyle = key_style(classes, vclass);
        let mut l = Line::new().with(Style::Plain, "  over maxmemory: ");
        if t.sampled.is_empty() {
            if policy == PolicyKind::ExactLru {
                l.push(
                    Style::Plain,
                    "exact-lru takes the least recently used of all keys",
                );
            } else {
                l.push(Style::Plain, format!("{policy} draws one key at random"));
            }
            lines.push(l);
        } else {
            let mut dbs: Vec<(u8, usize)> = Vec::new();
            for c in &t.sampled {
                match dbs.iter_mut().find(|(d, _)| *d == c.db) {
                    Some((_, n)) => *n += 1,
                    None => dbs.push((c.db, 1)),
                }
            }
            let per_db = if dbs.len() > 1 || dbs.first().is_some_and(|d| d.0 != 0) {
                let parts: Vec<String> = dbs
                    .iter()
                    .map(|(d, n)| format!("{n} from DB {d}"))
                    .collect();
                format!(" ({})", parts.join(", "))
            } else {
                String::new()
            };
            l.push(
                Style::Plain,
                format!("{policy} samples {} keys{per_db}:", t.sampled.len()),
            );
            lines.push(l);
            let mut l = Line::new().with(Style::Plain, "    ");
            for (i, c) in t.sampled.iter().enumerate() {
                if i > 0 {
                    l.push(Style::Dim, " · ");
                }
                let n = st.name(c.key, namer);
                l.push(key_style(classes, st.class(c.key)), n);
                if c.db != 0 {
                    l.push(Style::Dim, format!(" (DB {})", c.db));
                }
                l.push(
                    Style::Dim,
                    format!(" {}", score_words(policy, c.score, now)),
                );
            }
            lines.push(l);
            let mut l = Line::new().with(
                Style::Dim,
                format!("    pool ({} of 16, best last): ", t.pool.len()),
            );
            let shown = t.pool.len().min(5);
            if t.pool.len() > shown {
                l.push(Style::Dim, "… ");
            }
            for (i, c) in t.pool[t.pool.len() - shown..].iter().enumerate() {
                if i > 0 {
                    l.push(Style::Dim, " < ");
                }
                let n = st.name(c.key, namer);
                l.push(
                    Style::Dim,
                    format!("{n} ({})", score_words(policy, c.score, now)),
                );
            }
            lines.push(l);
        }
        let mut l = Line::new().with(Style::Plain, "  evicts ");
        l.push(vstyle, vname.clone());
        let (last, exp, held) = resident_before.get(&victim).copied().unwrap_or((now, 0, 0));
        // The score the pool holds for the victim (what Redis chose it by,
        // on its 1-second clock) comes first, in the same words as the
        // pool's line; a policy that does not choose by idleness adds the
        // key's idle time.
        let idle = format!("idle {}", secs(now.saturating_sub(last)));
        let mut facts = match t.pool.iter().rev().find(|c| (c.db, c.key) == t.victim) {
            Some(c) => vec![score_words(policy, c.score, now)],
            None => vec![idle.clone()],
        };
        if !facts[0].starts_with("idle ") {
            facts.push(idle);
        }
        if exp != 0 && classes[vclass].critical && policy != PolicyKind::VolatileTtl {
            facts.push(format!(
                "TTL {} left",
                fmt::duration_ms(exp.saturating_sub(now))
            ));
        }
        if classes[vclass].critical {
            alarm = true;
            l.push(Style::Plain, format!(" ({}): ", facts.join(", ")));
            let what = classes[vclass].name.trim_end_matches('s');
            let article = if what.starts_with(['a', 'e', 'i', 'o', 'u']) {
                "an"
            } else {
                "a"
            };
            l.push(
                Style::Bad,
                format!("{article} {what} key with no other copy"),
            );
            if held > 1 {
                let things = if classes[vclass].kind == Kind::Queue {
                    "jobs"
                } else {
                    "items"
                };
                l.push(Style::Bad, format!(", and the {held} {things} in it"));
                st.evicted_items.insert(victim, held);
            }
        } else {
            l.push(Style::Plain, format!(" ({}): ", facts.join(", ")));
            l.push(Style::Good, "harmless, the app can rebuild it");
        }
        lines.push(l);
        st.evicted_at.insert(victim, now);
        st.told.remove(&victim);
        if held <= 1 {
            st.evicted_items.remove(&victim);
        }
        headline = format!("{headline}; evicts {vname}");
    }
    if lost {
        alarm = true;
        let since = st
            .evicted_at
            .get(&op.key)
            .map(|t| format!(" at {}", clock(*t)))
            .unwrap_or_default();
        let what = match cv.kind {
            Kind::Session => format!("user {u} is logged out: their session was evicted{since}"),
            Kind::Counter => {
                format!(
                    "the rate limit of {u} starts again from zero: its counter was evicted{since}"
                )
            }
            Kind::Queue => match (op.cmd, st.evicted_items.get(&op.key)) {
                (Cmd::Pop { .. }, Some(n)) if !st.told.insert(op.key) => {
                    format!("the worker finds {name} still gone (its {n} jobs went with it{since})")
                }
                (Cmd::Pop { .. }, Some(n)) => format!(
                    "the worker finds {name} gone: its {n} jobs were evicted with it{since}, their work never happens"
                ),
                _ => format!("job {u} is lost: it was evicted{since}, the work never happens"),
            },
            Kind::Static => {
                format!("flag {u} is gone (evicted{since}): the app falls back to its default")
            }
            Kind::Cache => {
                format!("a miss caused by the eviction{since}: the page is rebuilt, only slower")
            }
        };
        let style = if cv.critical { Style::Bad } else { Style::Dim };
        if !cv.critical {
            alarm = false;
        }
        let mark = if cv.critical { "✗" } else { "↻" };
        // The read missed before any eviction this step made room for.
        lines.insert(1, Line::new().with(style, format!("  {mark} {what}")));
        if cv.critical {
            headline = format!("{}: {headline}", what.split(": ").next().unwrap_or(""));
        }
    }
    if refused {
        alarm = true;
        let consequence = match cv.kind {
            Kind::Session => format!("user {u} cannot log in and sees an error"),
            Kind::Queue => format!("job {u} is refused: the app must retry or report it"),
            Kind::Counter => "the request cannot be counted: the app must decide".to_string(),
            Kind::Static => "the flag cannot be written".to_string(),
            Kind::Cache => "the page is served but not cached".to_string(),
        };
        lines.push(Line::new().with(
            Style::Bad,
            format!("  ✗ -OOM command not allowed when used memory > 'maxmemory': {consequence}"),
        ));
        lines.push(Line::new().with(
            Style::Good,
            "    loud, not silent: the app knows, and nothing stored was thrown away",
        ));
    }
    Step {
        t_ms: now,
        headline,
        lines,
        cells: Vec::new(),
        gauges: Vec::new(),
        alarm,
    }
}

/// A TTL as one says it: `30m`, `1h`, `90s`, else the report's format.
fn span(ms: u64) -> String {
    match ms {
        0 => "0s".into(),
        m if m % 3_600_000 == 0 => format!("{}h", m / 3_600_000),
        m if m % 60_000 == 0 => format!("{}m", m / 60_000),
        m if m % 1000 == 0 && m < 600_000 => format!("{}s", m / 1000),
        m => fmt::duration_ms(m),
    }
}

/// Simulated time as the transcript shows it: `12.4s`, `2m 05s`.
fn clock(ms: u64) -> String {
    let tenths = ms / 100;
    if ms < 60_000 {
        format!("{}.{}s", tenths / 10, tenths % 10)
    } else {
        format!("{}m {:02}s", ms / 60_000, ms / 1000 % 60)
    }
}

/// The command's Redis name and its outcome in words.
fn command_words(cmd: Cmd, reply: Reply, refused: bool) -> (&'static str, String) {
    let ttl = |ms: u64| {
        if ms == 0 {
            String::new()
        } else {
            format!(", TTL {}", span(ms))
        }
    };
    match cmd {
        Cmd::Read(spec) => match reply {
            Reply::Found if spec.slide_ms > 0 => (
                "GET",
                format!(": hit (TTL pushed back to {})", span(spec.slide_ms)),
            ),
            Reply::Found => ("GET", ": hit".into()),
            _ => match spec.fill {
                Some(v) if refused => (
                    "GET",
                    format!(": miss → SET {} refused", fmt::bytes(u64::from(v.len))),
                ),
                Some(v) => (
                    "GET",
                    format!(
                        ": miss → the app writes it back: SET ({}{})",
                        fmt::bytes(u64::from(v.len)),
                        ttl(spec.fill_ttl_ms)
                    ),
                ),
                None => ("GET", ": miss".into()),
            },
        },
        Cmd::Set { value, ttl_ms, .. } => (
            "SET",
            if reply == Reply::Oom {
                format!(" ({}): refused", fmt::bytes(u64::from(value.len)))
            } else {
                format!(" ({}{})", fmt::bytes(u64::from(value.len)), ttl(ttl_ms))
            },
        ),
        Cmd::Del => ("DEL", String::new()),
        Cmd::GetDel => (
            "GETDEL",
            if reply == Reply::Found {
                ": found".into()
            } else {
                ": nothing there".into()
            },
        ),
        Cmd::IncrWindow { window_ms } => (
            "INCR",
            match reply {
                Reply::Created => format!(": a new window (PEXPIRE {})", span(window_ms)),
                Reply::Oom => ": refused".into(),
                _ => String::new(),
            },
        ),
        Cmd::IncrBy { .. } => ("INCRBY", String::new()),
        Cmd::Expire { ttl_ms } => ("PEXPIRE", ttl(ttl_ms)),
        Cmd::Persist => ("PERSIST", String::new()),
        Cmd::Append { .. } => ("APPEND", String::new()),
        Cmd::Grow { .. } => ("RPUSH", String::new()),
        Cmd::Pop { .. } => ("LPOP", String::new()),
        Cmd::Peek => ("EXISTS", String::new()),
        Cmd::Ran { .. } => ("", String::new()),
        Cmd::HashRead(spec) => match reply {
            Reply::Found if spec.slide_ms > 0 => (
                "HGETALL",
                format!(": hit (TTL pushed back to {})", span(spec.slide_ms)),
            ),
            Reply::Found => ("HGETALL", ": hit".into()),
            Reply::Skipped => ("HGETALL", ": WRONGTYPE".into()),
            _ => match spec.fill {
                Some(h) if refused => (
                    "HGETALL",
                    format!(": miss → HSET of {} fields refused", h.n),
                ),
                Some(h) => (
                    "HGETALL",
                    format!(
                        ": miss → the app writes it back: HSET ({} fields, {}{})",
                        h.n,
                        fmt::bytes(h.bytes()),
                        ttl(spec.fill_ttl_ms)
                    ),
                ),
                None => ("HGETALL", ": miss".into()),
            },
        },
        Cmd::HashSet { fields, ttl_ms } => (
            "HSET",
            if reply == Reply::Oom {
                format!(" ({} fields): refused", fields.n)
            } else {
                format!(
                    " ({} fields, {}{})",
                    fields.n,
                    fmt::bytes(fields.bytes()),
                    ttl(ttl_ms)
                )
            },
        ),
    }
}

fn short_outcome(cmd: Cmd, reply: Reply, refused: bool) -> &'static str {
    if refused {
        return ": -OOM";
    }
    match (cmd, reply) {
        (Cmd::Read(_) | Cmd::HashRead(_), Reply::Found) => ": hit",
        (Cmd::Read(_) | Cmd::HashRead(_), _) => ": miss",
        (Cmd::GetDel, Reply::Found) => ": found",
        (Cmd::GetDel, _) => ": nothing there",
        _ => "",
    }
}

/// Fills the step's picture: every resident key in its slot, the keys this
/// step evicted in theirs, and the memory gauges.
#[allow(clippy::too_many_arguments)]
fn picture(
    step: &mut Step,
    sides: &mut [Side],
    befores: &[Before],
    target: usize,
    key: KeyId,
    victims: &[KeyId],
    sampled: &[KeyId],
    st: &mut State,
    namer: &Namer,
) {
    let now = step.t_ms;
    for (region, s) in sides.iter_mut().enumerate() {
        let mut keys: Vec<(KeyId, u64, u64)> = s
            .inst
            .keyspace()
            .dbs
            .iter()
            .flat_map(|d| d.iter())
            .map(|e| (e.key, e.last_access_ms, items(e)))
            .collect();
        keys.sort_unstable();
        let removed: Vec<KeyId> = {
            let mut r: Vec<KeyId> = befores[region]
                .keys()
                .filter(|k| !keys.iter().any(|(n, ..)| n == *k))
                .copied()
                .collect();
            r.sort_unstable();
            r
        };
        for &(k, last, held) in &keys {
            let slot = match s.slot_of.get(&k) {
                Some(&slot) => slot,
                None => {
                    let slot = match s.free.pop_first() {
                        Some(f) => f,
                        None => {
                            s.next_slot += 1;
                            s.next_slot - 1
                        }
                    };
                    s.slot_of.insert(k, slot);
                    slot
                }
            };
            step.cells.push(Cell {
                region,
                slot,
                name: st.name(k, namer),
                class: st.class(k),
                idle_ms: now.saturating_sub(last),
                items: held,
                touched: region == target && k == key,
                sampled: region == target && sampled.contains(&k),
                evicted: false,
                lost: false,
            });
        }
        for k in removed {
            if let Some(slot) = s.slot_of.remove(&k) {
                if region == target && victims.contains(&k) {
                    let (last, _, held) = befores[region].get(&k).copied().unwrap_or((now, 0, 0));
                    step.cells.push(Cell {
                        region,
                        slot,
                        name: st.name(k, namer),
                        class: st.class(k),
                        idle_ms: now.saturating_sub(last),
                        items: held,
                        touched: false,
                        sampled: true,
                        evicted: true,
                        lost: false,
                    });
                }
                s.free.insert(slot);
            }
        }
        s.peak_slot = s.peak_slot.max(s.next_slot);
        let ks = s.inst.keyspace();
        step.gauges.push(Gauge {
            label: s.label.clone(),
            used: ks.used_memory(),
            max: s.inst.config().maxmemory,
            keys: ks.len(),
        });
    }
    step.cells.sort_by_key(|c| (c.region, c.slot));
    let mut gauge = Line::new().with(Style::Dim, "  ");
    for (i, g) in step.gauges.iter().enumerate() {
        if i > 0 {
            gauge.push(Style::Dim, "   ");
        }
        gauge.push(Style::Dim, gauge_text(g));
    }
    step.lines.push(gauge);
}

/// A one-line memory gauge: `memory ▕██████░░░░▏ 3.1 KiB of 4.0 KiB, 9 keys`.
pub fn gauge_text(g: &Gauge) -> String {
    const WIDTH: u64 = 20;
    let filled = (g.used.min(g.max) * WIDTH).checked_div(g.max).unwrap_or(0);
    let bar: String = (0..WIDTH)
        .map(|i| if i < filled { '█' } else { '░' })
        .collect();
    let label = if g.label.is_empty() {
        "memory".to_string()
    } else {
        g.label.clone()
    };
    format!(
        "{label} ▕{bar}▏ {} of {}, {} key{}",
        fmt::bytes(g.used),
        fmt::bytes(g.max),
        g.keys,
        if g.keys == 1 { "" } else { "s" }
    )
}

/// The lesson's last step: the process crashes and restarts, and what its
/// persistence brings back is read from `crash::crash_ops` on the same
/// commands.
fn crash_step(
    prev: Option<&Step>,
    lesson: &Lesson,
    variant: &Variant,
    ops: &[Op],
    at: u64,
    sides: &mut [Side],
    classes: &[ClassView],
) -> Step {
    let sc = &lesson.scenario;
    let persistence = variant
        .persistence
        .clone()
        .unwrap_or_else(|| sc.persistence.clone());
    let infos = sc.class_infos();
    let report = crash_ops(
        &sc.name,
        ops,
        &infos,
        sides[0].inst.config(),
        at,
        variant.policy,
        &persistence,
        &[at],
    );
    for s in sides.iter_mut() {
        s.inst.advance(at);
    }
    let mut lines = vec![
        Line::new()
            .with(Style::Dim, format!("[{:>6}] ", clock(at)))
            .with(Style::Bad, "CRASH: ")
            .with(
                Style::Strong,
                "the process is killed (kill -9, the OOM killer) and restarted",
            ),
        Line::new().with(
            Style::Plain,
            format!("  persistence: {}", persistence.describe()),
        ),
    ];
    let mut all_lost = true;
    let mut any_lost = false;
    let mut headline = String::from("crash");
    if let Some(point) = report.points.first() {
        for kind in CrashKind::ALL {
            let (_, losses) = point.of(kind);
            let what = match kind {
                CrashKind::Process => "  after a process crash: ",
                CrashKind::Power => "  after a power loss: ",
            };
            let mut l = Line::new().with(Style::Plain, what);
            let mut parts = 0;
            for (c, loss) in losses.iter().enumerate() {
                if loss.live_keys == 0 {
                    continue;
                }
                if parts > 0 {
                    l.push(Style::Plain, "; ");
                }
                parts += 1;
                let gone = loss.lost_keys - loss.rolled_back_keys;
                let style = if gone == 0 {
                    Style::Good
                } else if classes[c].critical {
                    Style::Bad
                } else {
                    Style::Dim
                };
                l.push(
                    style,
                    format!(
                        "{} {} of {} gone{}",
                        classes[c].name,
                        gone,
                        loss.live_keys,
                        if loss.rolled_back_keys > 0 {
                            format!(", {} rolled back", loss.rolled_back_keys)
                        } else {
                            String::new()
                        }
                    ),
                );
                if kind == CrashKind::Process {
                    all_lost &= gone == loss.live_keys;
                    any_lost |= gone > 0;
                }
            }
            if parts == 0 {
                l.push(Style::Plain, "no keys were live");
            }
            lines.push(l);
        }
        let (_, process) = point.of(CrashKind::Process);
        let gone: u64 = process
            .iter()
            .map(|l| l.lost_keys - l.rolled_back_keys)
            .sum();
        let critical_gone: u64 = process
            .iter()
            .zip(classes)
            .filter(|(_, c)| c.critical)
            .map(|(l, _)| l.lost_keys - l.rolled_back_keys)
            .sum();
        headline = format!("crash: {gone} keys gone, {critical_gone} critical");
        if critical_gone > 0 {
            lines.push(Line::new().with(
                Style::Bad,
                format!("  ✗ {critical_gone} critical keys are gone for good: every logged-in user is logged out, every queued job lost"),
            ));
        } else {
            lines.push(Line::new().with(
                Style::Good,
                "  ✓ every critical key comes back from the disk",
            ));
        }
    }
    let mut step = Step {
        t_ms: at,
        headline,
        lines,
        cells: Vec::new(),
        gauges: Vec::new(),
        alarm: any_lost,
    };
    // The keys of the last picture, gone or back.
    let lost = all_lost && any_lost;
    step.cells = prev
        .map(|p| {
            p.cells
                .iter()
                .filter(|c| !c.evicted)
                .map(|c| Cell {
                    idle_ms: c.idle_ms + at.saturating_sub(p.t_ms),
                    touched: false,
                    sampled: false,
                    lost,
                    ..c.clone()
                })
                .collect()
        })
        .unwrap_or_default();
    for s in sides.iter() {
        let ks = s.inst.keyspace();
        step.gauges.push(Gauge {
            label: s.label.clone(),
            used: if all_lost && any_lost {
                0
            } else {
                ks.used_memory()
            },
            max: s.inst.config().maxmemory,
            keys: if all_lost && any_lost { 0 } else { ks.len() },
        });
    }
    step.cells.sort_by_key(|c| (c.region, c.slot));
    step
}

/// What the whole run added up to.
fn summarize(sides: &[Side], classes: &[ClassView]) -> Vec<Line> {
    let n = classes.len();
    let mut total = vec![Counters::default(); n];
    for s in sides {
        for (c, m) in s.inst.metrics().classes.iter().enumerate() {
            total[c].add(&m.counters);
        }
    }
    let mut lines = Vec::new();
    let mut l = Line::new().with(Style::Strong, "In all: ");
    for (c, (t, cv)) in total.iter().zip(classes).enumerate() {
        if c > 0 {
            l.push(Style::Plain, "; ");
        }
        let style = if cv.critical && (t.evicted_live() > 0 || t.lost_reads > 0) {
            Style::Bad
        } else if cv.critical {
            Style::Good
        } else {
            Style::Plain
        };
        let with = if t.lost_aggregates() {
            let things = if cv.kind == Kind::Queue {
                "jobs"
            } else {
                "items"
            };
            let them = fmt::plural(t.evicted_live(), "it", "them");
            format!(" ({} {things} lost with {them})", t.lost_items)
        } else {
            String::new()
        };
        l.push(
            style,
            format!(
                "{}{} {} evicted{with}, {} {} lost, {} {} refused",
                cv.name,
                if cv.critical { " (critical)" } else { "" },
                t.evicted_live(),
                t.lost_reads,
                fmt::plural(t.lost_reads, "read", "reads"),
                t.oom_rejected,
                fmt::plural(t.oom_rejected, "write", "writes"),
            ),
        );
    }
    lines.push(l);
    lines
}
