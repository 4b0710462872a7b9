//! Key classes: what each kind of key (cache pages, sessions, jobs, rate
//! limits, flags) is, how it is used, and how a `[[class]]` table is read.

use super::dist::{
    probability, read_delay, read_popularity, read_value, DelayDist, Popularity, ValueDist,
};
use super::error::ScenarioError;
use super::fields::{Field, Table};
use super::template::KeyTemplate;

/// The highest rate accepted, per second (far beyond one Redis instance).
pub const MAX_RATE: f64 = 10_000_000.0;

/// The most characters a class name may have.
const MAX_NAME_LEN: usize = 64;

/// One class of keys of a scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct ClassSpec {
    /// The class's name, unique within the scenario.
    pub name: String,
    /// Whether losing one of its keys loses data with no other copy.
    pub critical: bool,
    /// The logical database its keys live in.
    pub db: u8,
    /// How its keys are named.
    pub key: KeyTemplate,
    /// What the keys are and how they are used.
    pub kind: ClassKind,
}

/// The kinds of key class and their parameters.
#[derive(Clone, Debug, PartialEq)]
pub enum ClassKind {
    /// A read-through cache: GET, and SET on a miss.
    Cache(CacheSpec),
    /// Login sessions: created at login, read while the user is active.
    Session(SessionSpec),
    /// A job queue with one key per job: SET, then GETDEL by a worker.
    Queue(QueueSpec),
    /// Fixed-window rate limiters: INCR, then PEXPIRE on a new window.
    Counter(CounterSpec),
    /// Data written once at start with no other copy (flags, config).
    Static(StaticSpec),
}

/// A read-through cache over a fixed set of keys.
#[derive(Clone, Debug, PartialEq)]
pub struct CacheSpec {
    /// Number of distinct keys.
    pub keys: u32,
    /// Which keys reads go to.
    pub popularity: Popularity,
    /// Reads per second (Poisson).
    pub reads_per_sec: f64,
    /// Size of a filled value.
    pub value: ValueDist,
    /// TTL of a filled value in ms (`None`: no TTL).
    pub ttl_ms: Option<u64>,
}

/// Login sessions; every login creates a new key.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionSpec {
    /// New sessions per second (Poisson).
    pub logins_per_sec: f64,
    /// Reads per second, spread uniformly over the active sessions.
    pub requests_per_sec: f64,
    /// Mean time a session stays active (exponential), in ms.
    pub active_for_ms: u64,
    /// Size of a session's value.
    pub value: ValueDist,
    /// The session's TTL in ms (`None`: sessions never expire).
    pub ttl_ms: Option<u64>,
    /// Each read pushes the TTL back to `ttl_ms` (sliding expiry).
    pub sliding: bool,
    /// A read that misses logs the user in again (writes the session back).
    pub relogin: bool,
    /// Probability that a session ends with an explicit logout (DEL).
    pub logout: f64,
    /// Users who come back after a break (none by default).
    pub returns: Option<Returns>,
    /// A string per session, or a hash of fields.
    pub structure: SessionStructure,
}

/// How a session is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SessionStructure {
    /// One string: `SET` at login, `GET` on each request.
    #[default]
    String,
    /// A hash of `fields` fields, as Spring Session and the hash-backed
    /// express and Rails stores keep one: `HSET` of every field then
    /// `PEXPIRE` at login, `HGETALL` on each request. The session's `value`
    /// is the total of its fields' values: each is `value / fields` bytes
    /// (rounded down, at least 1); the field names (`f0`, `f1`... zero-padded
    /// to one width) come on top.
    Hash {
        /// Number of fields (1 to [`MAX_SESSION_FIELDS`]).
        fields: u16,
    },
}

/// Fields of a hash session when the class gives none.
pub const DEFAULT_SESSION_FIELDS: u16 = 4;

/// The most fields a hash session may have.
pub const MAX_SESSION_FIELDS: u16 = 1_000;

/// Users who come back: after an active spell that did not end in a
/// logout, a share of them return after a break and read their session
/// again. A return within the TTL whose session was evicted is a user
/// logged out.
#[derive(Clone, Debug, PartialEq)]
pub struct Returns {
    /// Probability that a user comes back after each active spell.
    pub share: f64,
    /// How long the break lasts.
    pub after: DelayDist,
}

/// How a queue holds its jobs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum QueueStructure {
    /// One string key per job: `SET`, then `GETDEL` by a worker.
    #[default]
    Keys,
    /// Jobs pushed onto lists (`RPUSH`) and popped by workers (`BRPOP`),
    /// as Sidekiq, Celery, RQ and Resque do: `queues` list keys, each
    /// enqueue going to the next in turn. Evicting a list loses every job
    /// pending in it. With `sorted`, the keys are sorted sets of delayed
    /// jobs scored by their run time (`ZADD`, then `ZPOPMIN` or `ZREM`
    /// when due), as Sidekiq's schedule and retry sets and BullMQ's delayed
    /// set hold them.
    List {
        /// Number of list (or sorted-set) keys.
        queues: u32,
        /// Sorted sets rather than lists.
        sorted: bool,
    },
}

/// A job queue: one key per job, or lists of jobs.
#[derive(Clone, Debug, PartialEq)]
pub struct QueueSpec {
    /// Jobs enqueued per second (Poisson).
    pub enqueue_per_sec: f64,
    /// Time from enqueue to processing, in ms.
    pub delay_ms: u64,
    /// Extra processing delay, uniform in 0..=this, in ms.
    pub delay_jitter_ms: u64,
    /// Size of a job's payload.
    pub value: ValueDist,
    /// TTL set on the job in ms (`None`: none); a list queue has none.
    pub ttl_ms: Option<u64>,
    /// One key per job, or lists.
    pub structure: QueueStructure,
}

/// Fixed-window rate limiters, one key per client.
#[derive(Clone, Debug, PartialEq)]
pub struct CounterSpec {
    /// Number of clients (keys).
    pub keys: u32,
    /// Which clients increments go to.
    pub popularity: Popularity,
    /// Increments per second (Poisson).
    pub incr_per_sec: f64,
    /// Window length in ms (the TTL set when a window starts).
    pub window_ms: u64,
}

/// Data written once at t=0 and only read afterwards.
#[derive(Clone, Debug, PartialEq)]
pub struct StaticSpec {
    /// Number of keys.
    pub keys: u32,
    /// Which keys reads go to.
    pub popularity: Popularity,
    /// Reads per second (Poisson; may be 0).
    pub reads_per_sec: f64,
    /// Size of a value.
    pub value: ValueDist,
    /// TTL set at the write in ms (`None`: none).
    pub ttl_ms: Option<u64>,
}

impl ClassKind {
    /// The kind's name as scenario files write it.
    pub fn name(&self) -> &'static str {
        match self {
            ClassKind::Cache(_) => "cache",
            ClassKind::Session(_) => "session",
            ClassKind::Queue(_) => "queue",
            ClassKind::Counter(_) => "counter",
            ClassKind::Static(_) => "static",
        }
    }
}

impl ClassSpec {
    /// Number of keys of a fixed-size class; `None` for sessions and jobs,
    /// whose keys are created as the run goes.
    pub fn fixed_keys(&self) -> Option<u32> {
        match &self.kind {
            ClassKind::Cache(c) => Some(c.keys),
            ClassKind::Counter(c) => Some(c.keys),
            ClassKind::Static(c) => Some(c.keys),
            ClassKind::Queue(QueueSpec {
                structure: QueueStructure::List { queues, .. },
                ..
            }) => Some(*queues),
            ClassKind::Session(_) | ClassKind::Queue(_) => None,
        }
    }

    /// The TTL its keys carry, in ms (a counter's is its window), or `None`
    /// when they carry none: what a `volatile-*` policy may evict.
    pub fn ttl_ms(&self) -> Option<u64> {
        match &self.kind {
            ClassKind::Cache(c) => c.ttl_ms,
            ClassKind::Session(s) => s.ttl_ms,
            ClassKind::Queue(q) => q.ttl_ms,
            ClassKind::Counter(c) => Some(c.window_ms),
            ClassKind::Static(s) => s.ttl_ms,
        }
    }

    /// Operations per second the class generates at least (its reads,
    /// logins, enqueues and processing, increments; fills on a miss, window
    /// expiries and logouts come on top).
    pub fn ops_per_sec(&self) -> f64 {
        match &self.kind {
            ClassKind::Cache(c) => c.reads_per_sec,
            ClassKind::Session(s) => s.logins_per_sec + s.requests_per_sec,
            ClassKind::Queue(q) => 2.0 * q.enqueue_per_sec,
            ClassKind::Counter(c) => c.incr_per_sec,
            ClassKind::Static(s) => s.reads_per_sec,
        }
    }

    /// Expected number of keys created per second by a growing class (0 for
    /// fixed-size classes).
    pub fn creations_per_sec(&self) -> f64 {
        match &self.kind {
            ClassKind::Session(s) => s.logins_per_sec,
            ClassKind::Queue(q) if q.structure == QueueStructure::Keys => q.enqueue_per_sec,
            _ => 0.0,
        }
    }
}

/// Fields every class has.
const COMMON: [&str; 5] = ["name", "kind", "critical", "db", "key"];

/// The fields of each kind beyond [`COMMON`].
fn kind_fields(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "cache" => &["keys", "popularity", "reads_per_sec", "value", "ttl"],
        "session" => &[
            "logins_per_sec",
            "requests_per_sec",
            "active_for",
            "value",
            "ttl",
            "sliding",
            "relogin",
            "logout",
            "returns",
            "structure",
            "fields",
        ],
        "queue" => &[
            "enqueue_per_sec",
            "delay",
            "delay_jitter",
            "value",
            "ttl",
            "structure",
            "queues",
        ],
        "counter" => &["keys", "popularity", "incr_per_sec", "window"],
        "static" => &["keys", "popularity", "reads_per_sec", "value", "ttl"],
        _ => return None,
    })
}

/// Reads one `[[class]]` table; `databases` bounds `db`.
pub(crate) fn read_class(f: &Field, databases: u8) -> Result<ClassSpec, ScenarioError> {
    let t = f.table_unchecked()?;
    let kf = t.require("kind", "cache, session, queue, counter or static")?;
    let kind_name = kf.str()?;
    let Some(extra) = kind_fields(kind_name) else {
        return Err(kf.err(format!(
            "unknown kind {kind_name:?} (expected cache, session, queue, counter or static)"
        )));
    };
    let known: Vec<&str> = COMMON.iter().chain(extra).copied().collect();
    t.deny_unknown(&known, &format!("a {kind_name} class"))?;

    let nf = t.require("name", "the class's name, shown in reports")?;
    let name = nf.str()?.to_string();
    if name.trim().is_empty()
        || name.chars().any(char::is_control)
        || name.chars().count() > MAX_NAME_LEN
    {
        return Err(nf.err(format!(
            "must be 1 to {MAX_NAME_LEN} printable characters (got {name:?})"
        )));
    }
    let kind = match kind_name {
        "cache" => ClassKind::Cache(CacheSpec {
            keys: keys(&t)?,
            popularity: popularity(&t, Popularity::Zipf { alpha: 0.99 })?,
            reads_per_sec: rate(&t, "reads_per_sec", true)?,
            value: read_value(&t.require("value", "the size of a value")?)?,
            ttl_ms: ttl(&t)?,
        }),
        "session" => session(&t)?,
        "queue" => ClassKind::Queue(QueueSpec {
            structure: queue_structure(&t)?,
            enqueue_per_sec: rate(&t, "enqueue_per_sec", true)?,
            delay_ms: t
                .require("delay", "time from enqueue to processing, e.g. \"30s\"")?
                .duration_ms()?,
            delay_jitter_ms: match t.get("delay_jitter") {
                Some(j) => j.duration_ms()?,
                None => 0,
            },
            value: read_value(&t.require("value", "the size of a job's payload")?)?,
            // A list queue's ttl was checked to be absent or 0: none.
            ttl_ms: match queue_structure(&t)? {
                QueueStructure::Keys => ttl(&t)?,
                QueueStructure::List { .. } => None,
            },
        }),
        "counter" => ClassKind::Counter(CounterSpec {
            keys: keys(&t)?,
            popularity: popularity(&t, Popularity::Zipf { alpha: 0.99 })?,
            incr_per_sec: rate(&t, "incr_per_sec", true)?,
            window_ms: positive_duration(&t, "window", "the rate-limit window, e.g. \"1m\"")?,
        }),
        _ => ClassKind::Static(StaticSpec {
            keys: keys(&t)?,
            popularity: popularity(&t, Popularity::Uniform)?,
            reads_per_sec: rate(&t, "reads_per_sec", false)?,
            value: read_value(&t.require("value", "the size of a value")?)?,
            ttl_ms: ttl(&t)?,
        }),
    };
    let critical = match t.get("critical") {
        Some(c) => c.bool()?,
        None => !matches!(kind, ClassKind::Cache(_)),
    };
    let db = match t.get("db") {
        Some(d) => {
            let db = d.uint(u64::from(u8::MAX))?;
            if db >= u64::from(databases) {
                return Err(d.err(format!(
                    "must be below instance.databases ({databases}) (got {db})"
                )));
            }
            db as u8
        }
        None => 0,
    };
    let key = match t.get("key") {
        Some(k) => {
            let one_list = matches!(
                kind,
                ClassKind::Queue(QueueSpec {
                    structure: QueueStructure::List { queues: 1, .. },
                    ..
                })
            );
            let parsed = if one_list {
                KeyTemplate::parse_single(k.str()?)
            } else {
                KeyTemplate::parse(k.str()?)
            };
            parsed.map_err(|e| k.err(e.to_string()))?
        }
        None => {
            let list = matches!(
                kind,
                ClassKind::Queue(QueueSpec {
                    structure: QueueStructure::List { .. },
                    ..
                })
            );
            let template = if list {
                "queue:{id}"
            } else {
                default_template(kind_name)
            };
            KeyTemplate::parse(template).map_err(|e| t.err("key", e.to_string()))?
        }
    };
    Ok(ClassSpec {
        name,
        critical,
        db,
        key,
        kind,
    })
}

/// The key template of a kind when the class gives none.
fn default_template(kind: &str) -> &'static str {
    match kind {
        "cache" => "cache:{id:08}",
        "session" => "session:{hex:32}",
        "queue" => "job:{id}",
        "counter" => "ratelimit:{id:08}",
        _ => "config:{id}",
    }
}

/// Reads a queue's `structure` and `queues`: `"keys"` (the default, one
/// key per job), `"list"` or `"zset"` (delayed jobs in sorted sets) with
/// `queues` keys (default 1). Such a queue takes no `ttl` (0 reads as
/// none): Redis expires whole keys, not jobs.
fn queue_structure(t: &Table) -> Result<QueueStructure, ScenarioError> {
    let sorted = match t.get("structure") {
        None => None,
        Some(f) => match f.str()? {
            "keys" => None,
            "list" => Some(false),
            "zset" => Some(true),
            other => {
                return Err(f.err(format!(
                    "unknown structure {other:?} (expected \"keys\": one key per job, \"list\": jobs pushed onto lists, or \"zset\": delayed jobs in sorted sets)"
                )))
            }
        },
    };
    let Some(sorted) = sorted else {
        if let Some(q) = t.get("queues") {
            if q.uint(u64::from(u32::MAX))? != 0 {
                return Err(q.err(
                    "applies to structure = \"list\" or \"zset\" only (one key per job has no lists)",
                ));
            }
        }
        return Ok(QueueStructure::Keys);
    };
    if let Some(f) = t.get("ttl") {
        if f.duration_ms()? != 0 {
            return Err(f.err(format!(
                "a {} queue's jobs carry no TTL (Redis expires whole keys); leave ttl out",
                if sorted { "zset" } else { "list" }
            )));
        }
    }
    let queues = match t.get("queues") {
        None => 1,
        Some(q) => match q.uint(100_000)? {
            0 => {
                return Err(q.err(format!(
                    "must be at least 1 (the number of {} keys)",
                    if sorted { "sorted-set" } else { "list" }
                )))
            }
            n => n as u32,
        },
    };
    Ok(QueueStructure::List { queues, sorted })
}

/// Reads a session's `structure` and `fields`: `"string"` (the default)
/// or `"hash"` with `fields` fields (default [`DEFAULT_SESSION_FIELDS`]).
/// A string session takes no `fields` (0 reads as none).
fn session_structure(t: &Table) -> Result<SessionStructure, ScenarioError> {
    let hash = match t.get("structure") {
        None => false,
        Some(f) => match f.str()? {
            "string" => false,
            "hash" => true,
            other => {
                return Err(f.err(format!(
                    "unknown structure {other:?} (expected \"string\": one string per session, or \"hash\": a hash of fields)"
                )))
            }
        },
    };
    let fields = t.get("fields");
    if !hash {
        if let Some(f) = fields {
            if f.uint(u64::from(u32::MAX))? != 0 {
                return Err(
                    f.err("applies to structure = \"hash\" only (a string session has no fields)")
                );
            }
        }
        return Ok(SessionStructure::String);
    }
    let fields = match fields {
        None => DEFAULT_SESSION_FIELDS,
        Some(f) => match f.uint(u64::from(MAX_SESSION_FIELDS))? {
            0 => return Err(f.err("must be at least 1 (the number of fields of a session's hash)")),
            n => n as u16,
        },
    };
    Ok(SessionStructure::Hash { fields })
}

/// Reads a session class.
fn session(t: &Table) -> Result<ClassKind, ScenarioError> {
    let ttl_ms = ttl(t)?;
    let sliding = match t.get("sliding") {
        Some(s) => {
            let on = s.bool()?;
            if on && ttl_ms.is_none() {
                return Err(s.err("sliding expiry needs a ttl"));
            }
            on
        }
        None => false,
    };
    Ok(ClassKind::Session(SessionSpec {
        logins_per_sec: rate(t, "logins_per_sec", true)?,
        requests_per_sec: match t.get("requests_per_sec") {
            Some(_) => rate(t, "requests_per_sec", false)?,
            None => 0.0,
        },
        active_for_ms: positive_duration(
            t,
            "active_for",
            "mean time a user stays active, e.g. \"20m\"",
        )?,
        value: read_value(&t.require("value", "the size of a session")?)?,
        ttl_ms,
        sliding,
        relogin: match t.get("relogin") {
            Some(r) => r.bool()?,
            None => true,
        },
        logout: match t.get("logout") {
            Some(p) => probability(&p)?,
            None => 0.0,
        },
        returns: match t.get("returns") {
            Some(r) => {
                let rt = r.table(&["share", "after"])?;
                Some(Returns {
                    share: probability(&rt.require("share", "the share of users who come back, e.g. 0.6")?)?,
                    after: read_delay(&rt.require(
                        "after",
                        "the break before they come back, e.g. { dist = \"lognormal\", median = \"5m\", sigma = 1.0 }",
                    )?)?,
                })
            }
            None => None,
        },
        structure: session_structure(t)?,
    }))
}

/// Reads `keys`: 1 or more.
fn keys(t: &Table) -> Result<u32, ScenarioError> {
    let f = t.require("keys", "the number of distinct keys")?;
    let n = f.uint(u64::from(u32::MAX))?;
    if n == 0 {
        return Err(f.err("must be at least 1 (got 0)"));
    }
    Ok(n as u32)
}

/// Reads `popularity`, or `default` when absent.
fn popularity(t: &Table, default: Popularity) -> Result<Popularity, ScenarioError> {
    match t.get("popularity") {
        Some(p) => read_popularity(&p),
        None => Ok(default),
    }
}

/// Reads a required rate per second; `positive` refuses 0.
fn rate(t: &Table, key: &str, positive: bool) -> Result<f64, ScenarioError> {
    let f = t.require(key, "a rate per second")?;
    let r = f.number()?;
    if r < 0.0 || (positive && r == 0.0) {
        let bound = if positive { "> 0" } else { ">= 0" };
        return Err(f.err(format!("must be {bound} (got {r})")));
    }
    if r > MAX_RATE {
        return Err(f.err(format!("must be at most {MAX_RATE} per second (got {r})")));
    }
    Ok(r)
}

/// Reads the optional `ttl`, which must be > 0 when given.
fn ttl(t: &Table) -> Result<Option<u64>, ScenarioError> {
    let Some(f) = t.get("ttl") else {
        return Ok(None);
    };
    match f.duration_ms()? {
        0 => Err(f.err("must be > 0 (leave ttl out for keys without a TTL)")),
        ms => Ok(Some(ms)),
    }
}

/// Reads a required duration that must be > 0.
fn positive_duration(t: &Table, key: &str, what: &str) -> Result<u64, ScenarioError> {
    let f = t.require(key, what)?;
    match f.duration_ms()? {
        0 => Err(f.err("must be > 0")),
        ms => Ok(ms),
    }
}
