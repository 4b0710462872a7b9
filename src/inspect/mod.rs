//! A live instance into a scenario: a read-only look at a running Redis
//! (`INFO`, the settings that matter, then a sampled `SCAN` and per key
//! `TYPE`, `MEMORY USAGE`, `PTTL` and `OBJECT ENCODING`), keys grouped into
//! patterns ([`patterns`]), and a scenario skeleton `evictsim run` accepts:
//! the instance's settings, one class per pattern with its estimated key
//! count, value sizes and TTL, and a guessed kind and criticality that its
//! comments ask the user to confirm. Rates cannot be seen in a snapshot:
//! the server's operations a second are spread over the classes by key
//! count, and the comments say so.
//!
//! It only ever sends read commands (`SELECT` changes only its own
//! connection), and keeps its own load under a rate.

pub mod patterns;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// How to look.
#[derive(Clone, Debug, PartialEq)]
pub struct InspectOptions {
    /// Keys to sample at most (all of them when the instance holds fewer).
    pub sample: u64,
    /// Commands a second at most (the inspection's own load).
    pub rate: u64,
}

impl Default for InspectOptions {
    fn default() -> Self {
        InspectOptions {
            sample: 2_000,
            rate: 1_000,
        }
    }
}

/// Why an inspection failed.
#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    /// The URL is not a Redis URL, or the server cannot be reached.
    #[error("cannot connect to {url}")]
    Connect {
        /// The URL.
        url: String,
        /// Why.
        #[source]
        reason: redis::RedisError,
    },
    /// A command failed.
    #[error("{url}: {what} failed")]
    Command {
        /// The URL.
        url: String,
        /// Which command.
        what: String,
        /// Why.
        #[source]
        reason: redis::RedisError,
    },
}

/// One sampled key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeySample {
    /// Its database.
    pub db: u8,
    /// Its name.
    pub name: Vec<u8>,
    /// `TYPE` (`string`, `list`, `hash`...).
    pub kind: String,
    /// `OBJECT ENCODING` (`int`, `embstr`, `listpack`...).
    pub encoding: String,
    /// `MEMORY USAGE` in bytes.
    pub memory: u64,
    /// `PTTL` in ms (-1: no TTL).
    pub pttl_ms: i64,
}

/// The settings that matter and the keyspace's size.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerFacts {
    /// `redis_version`.
    pub version: String,
    /// `maxmemory` in bytes (0: none).
    pub maxmemory: u64,
    /// `maxmemory-policy`.
    pub policy: String,
    /// `maxmemory-samples`.
    pub samples: u64,
    /// `save`.
    pub save: String,
    /// `appendonly`.
    pub appendonly: bool,
    /// `appendfsync`.
    pub appendfsync: String,
    /// `databases`.
    pub databases: u64,
    /// `used_memory`.
    pub used_memory: u64,
    /// `instantaneous_ops_per_sec`.
    pub ops_per_sec: u64,
    /// Keys per database (INFO keyspace).
    pub keys: BTreeMap<u8, u64>,
}

/// A pattern of key names and what its sample shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Pattern {
    /// The key template (`session:{hex:32}`).
    pub template: String,
    /// Its database.
    pub db: u8,
    /// Keys sampled.
    pub sampled: u64,
    /// Keys estimated in the instance (sampled, scaled to the database's size).
    pub estimated: u64,
    /// The most common `TYPE`.
    pub kind: String,
    /// Whether the values are integers (`OBJECT ENCODING int`).
    pub integers: bool,
    /// `MEMORY USAGE`: median and 90th percentile.
    pub memory: (u64, u64),
    /// Share of the keys with a TTL.
    pub with_ttl: f64,
    /// The longest TTL left seen, in ms.
    pub max_ttl_ms: u64,
}

/// What an inspection found.
#[derive(Clone, Debug)]
pub struct Inspection {
    /// The URL inspected.
    pub url: String,
    /// The settings and sizes.
    pub facts: ServerFacts,
    /// Every key sampled.
    pub keys: Vec<KeySample>,
    /// The patterns, most keys first.
    pub patterns: Vec<Pattern>,
    /// Commands sent.
    pub commands: u64,
}

/// Paces commands to at most `rate` a second.
struct Pacer {
    start: Instant,
    rate: u64,
    sent: u64,
}

impl Pacer {
    fn wait(&mut self, n: u64) {
        self.sent += n;
        let due = self.start + Duration::from_secs_f64(self.sent as f64 / self.rate.max(1) as f64);
        if let Some(d) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(d);
        }
    }
}

/// Looks at the instance at `url`, read-only.
pub fn inspect(url: &str, opts: &InspectOptions) -> Result<Inspection, InspectError> {
    let client = redis::Client::open(url).map_err(|reason| InspectError::Connect {
        url: url.to_string(),
        reason,
    })?;
    let mut con = client
        .get_connection_with_timeout(Duration::from_secs(5))
        .map_err(|reason| InspectError::Connect {
            url: url.to_string(),
            reason,
        })?;
    let fail = |what: &str| {
        let (url, what) = (url.to_string(), what.to_string());
        move |reason| InspectError::Command { url, what, reason }
    };
    let mut pace = Pacer {
        start: Instant::now(),
        rate: opts.rate,
        sent: 0,
    };
    let info: String = redis::cmd("INFO")
        .arg("all")
        .query(&mut con)
        .map_err(fail("INFO"))?;
    pace.wait(1);
    let mut facts = facts_from_info(&info);
    for name in [
        "maxmemory",
        "maxmemory-policy",
        "maxmemory-samples",
        "save",
        "appendonly",
        "appendfsync",
        "databases",
    ] {
        let v: Vec<String> = redis::cmd("CONFIG")
            .arg("GET")
            .arg(name)
            .query(&mut con)
            .map_err(fail("CONFIG GET"))?;
        pace.wait(1);
        let val = v.get(1).cloned().unwrap_or_default();
        match name {
            "maxmemory" => facts.maxmemory = val.parse().unwrap_or(0),
            "maxmemory-policy" => facts.policy = val,
            "maxmemory-samples" => facts.samples = val.parse().unwrap_or(5),
            "save" => facts.save = val,
            "appendonly" => facts.appendonly = val == "yes",
            "appendfsync" => facts.appendfsync = val,
            _ => facts.databases = val.parse().unwrap_or(16),
        }
    }
    let total: u64 = facts.keys.values().sum();
    let mut keys = Vec::new();
    for (&db, &n) in &facts.keys {
        // Each database's share of the sample, by its size.
        let want = if total <= opts.sample {
            n
        } else {
            (opts.sample * n).div_ceil(total)
        };
        redis::cmd("SELECT")
            .arg(db)
            .query::<()>(&mut con)
            .map_err(fail("SELECT"))?;
        pace.wait(1);
        let mut cursor: u64 = 0;
        let mut names: Vec<Vec<u8>> = Vec::new();
        loop {
            let (next, batch): (u64, Vec<Vec<u8>>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("COUNT")
                .arg(100)
                .query(&mut con)
                .map_err(fail("SCAN"))?;
            pace.wait(1);
            names.extend(batch);
            cursor = next;
            if cursor == 0 || names.len() as u64 >= want {
                break;
            }
        }
        names.truncate(want as usize);
        for chunk in names.chunks(50) {
            let mut p = redis::pipe();
            for k in chunk {
                p.cmd("TYPE").arg(k);
                p.cmd("OBJECT").arg("ENCODING").arg(k);
                p.cmd("MEMORY").arg("USAGE").arg(k);
                p.cmd("PTTL").arg(k);
            }
            let replies: Vec<redis::Value> =
                p.query(&mut con).map_err(fail("TYPE/MEMORY USAGE"))?;
            pace.wait(4 * chunk.len() as u64);
            for (k, r) in chunk.iter().zip(replies.chunks(4)) {
                let text = |v: &redis::Value| match v {
                    redis::Value::SimpleString(s) => s.clone(),
                    redis::Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
                    _ => String::new(),
                };
                let int = |v: &redis::Value| match v {
                    redis::Value::Int(i) => *i,
                    _ => -2,
                };
                let kind = text(&r[0]);
                if kind == "none" {
                    continue; // gone since the SCAN
                }
                keys.push(KeySample {
                    db,
                    name: k.clone(),
                    kind,
                    encoding: text(&r[1]),
                    memory: int(&r[2]).max(0) as u64,
                    pttl_ms: int(&r[3]),
                });
            }
        }
    }
    let patterns = group(&keys, &facts);
    Ok(Inspection {
        url: url.to_string(),
        facts,
        keys,
        patterns,
        commands: pace.sent,
    })
}

/// The facts INFO gives: version, used memory, ops/s and keys per database.
pub fn facts_from_info(info: &str) -> ServerFacts {
    let mut f = ServerFacts::default();
    for line in info.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        match k {
            "redis_version" => f.version = v.trim().to_string(),
            "used_memory" => f.used_memory = v.trim().parse().unwrap_or(0),
            "instantaneous_ops_per_sec" => f.ops_per_sec = v.trim().parse().unwrap_or(0),
            _ if k.starts_with("db") => {
                if let (Ok(db), Some(n)) = (
                    k[2..].parse::<u8>(),
                    v.split(',')
                        .find_map(|p| p.strip_prefix("keys="))
                        .and_then(|n| n.parse::<u64>().ok()),
                ) {
                    f.keys.insert(db, n);
                }
            }
            _ => {}
        }
    }
    f
}

/// Groups the sampled keys into patterns, scaled to the databases' sizes.
pub fn group(keys: &[KeySample], facts: &ServerFacts) -> Vec<Pattern> {
    let names: Vec<&[u8]> = keys.iter().map(|k| k.name.as_slice()).collect();
    let pats = patterns::patterns(&names);
    let mut by: BTreeMap<(u8, String), Vec<&KeySample>> = BTreeMap::new();
    for (k, p) in keys.iter().zip(pats) {
        by.entry((k.db, p)).or_default().push(k);
    }
    let sampled_in = |db: u8| keys.iter().filter(|k| k.db == db).count() as u64;
    let mut out: Vec<Pattern> = by
        .into_iter()
        .map(|((db, template), ks)| {
            let n = ks.len() as u64;
            let in_db = facts.keys.get(&db).copied().unwrap_or(n);
            let estimated = (n * in_db).div_ceil(sampled_in(db).max(1)).max(1);
            let mut mem: Vec<u64> = ks.iter().map(|k| k.memory).collect();
            mem.sort_unstable();
            let q = |x: f64| mem[((mem.len() - 1) as f64 * x).round() as usize];
            let mut kinds: BTreeMap<&str, u64> = BTreeMap::new();
            for k in &ks {
                *kinds.entry(k.kind.as_str()).or_default() += 1;
            }
            let kind = kinds
                .iter()
                .max_by_key(|(_, &c)| c)
                .map_or("string", |(k, _)| k)
                .to_string();
            let with_ttl = ks.iter().filter(|k| k.pttl_ms > 0).count() as f64 / n as f64;
            Pattern {
                template,
                db,
                sampled: n,
                estimated,
                kind,
                integers: ks.iter().all(|k| k.encoding == "int"),
                memory: (q(0.5), q(0.9)),
                with_ttl,
                max_ttl_ms: ks
                    .iter()
                    .map(|k| k.pttl_ms.max(0) as u64)
                    .max()
                    .unwrap_or(0),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.estimated
            .cmp(&a.estimated)
            .then(a.template.cmp(&b.template))
    });
    out
}

/// The kind of scenario class a pattern most likely is, and whether it is
/// likely critical, with the reason.
pub fn guess(p: &Pattern) -> (&'static str, bool, &'static str) {
    let t = p.template.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| t.contains(w));
    let ttl = p.with_ttl >= 0.5;
    if p.kind == "list" || p.kind == "zset" || p.kind == "stream" || has(&["job", "queue", "task"])
    {
        return (
            "queue",
            true,
            "a list or a job-like name: pending work with no other copy",
        );
    }
    if has(&["session", "sess:", "token", "auth"]) {
        return if ttl {
            (
                "session",
                true,
                "a session-like name with a TTL: a logged-in user",
            )
        } else {
            ("static", true, "a session-like name without a TTL")
        };
    }
    if p.integers && (ttl || has(&["rate", "rl:", "limit", "throttle", "count"])) {
        return (
            "counter",
            true,
            "integer values with a TTL: a rate-limit counter",
        );
    }
    if has(&["cache", "page", "frag", "render", "html"]) || (ttl && p.kind == "string") {
        return (
            "cache",
            false,
            "a cache-like name or a TTL: rebuilt on a miss",
        );
    }
    (
        "static",
        true,
        "no TTL and not cache-like: possibly data with no other copy",
    )
}

/// A size for a scenario's value, from `MEMORY USAGE` less a string's own
/// overhead (about 50 bytes beside the key's name).
fn value_size(memory: u64, key_len: u64) -> u64 {
    memory.saturating_sub(key_len + 50).max(1)
}

/// A duration in a scenario's units, rounded up to whole seconds.
fn dur(ms: u64) -> String {
    let s = ms.div_ceil(1000).max(1);
    if s % 3600 == 0 {
        format!("{}h", s / 3600)
    } else if s % 60 == 0 {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

/// A scenario skeleton `evictsim run` accepts, commented for the user to
/// confirm.
pub fn scenario_toml(ins: &Inspection, command: &str) -> String {
    let f = &ins.facts;
    let total_keys: u64 = f.keys.values().sum();
    let ops = f.ops_per_sec.max(10) as f64;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# A scenario written by `{command}`\n\
         # from {} of {} keys of Redis {} at {}.\n\
         # Check every class: its kind and whether it is critical are guesses,\n\
         # and rates cannot be seen in a snapshot: the server's {} ops/s are\n\
         # spread over the classes by key count. Then: evictsim run THIS_FILE\n",
        ins.keys.len(),
        total_keys,
        f.version,
        ins.url,
        f.ops_per_sec,
    );
    let _ = writeln!(s, "[instance]");
    let _ = writeln!(
        s,
        "maxmemory = {}  # CONFIG GET maxmemory (0: no limit)",
        f.maxmemory
    );
    let policy_ok = f.policy.parse::<crate::model::PolicyKind>().is_ok();
    if policy_ok {
        let other = if f.policy == "noeviction" {
            "allkeys-lru"
        } else {
            "noeviction"
        };
        let _ = writeln!(
            s,
            "# the server runs {}; every policy is compared unless listed here:\n# policies = [\"{}\", \"{other}\"]",
            f.policy, f.policy
        );
    }
    let _ = writeln!(s, "maxmemory_samples = {}", f.samples.clamp(1, 64));
    let _ = writeln!(s, "databases = {}", f.databases.clamp(1, 255));
    let _ = writeln!(s, "save = {:?}", f.save);
    let _ = writeln!(s, "appendonly = {}", f.appendonly);
    if matches!(f.appendfsync.as_str(), "always" | "everysec" | "no") {
        let _ = writeln!(s, "appendfsync = {:?}", f.appendfsync);
    }
    let _ = writeln!(s, "\n[run]\nduration = \"10m\"\nseed = 1");
    let mut names_used: Vec<String> = Vec::new();
    for p in &ins.patterns {
        let (kind, critical, why) = guess(p);
        let share = p.estimated as f64 / total_keys.max(1) as f64;
        let rate = (ops * share).max(0.1);
        let key_len = p.template.len() as u64;
        let median = value_size(p.memory.0, key_len);
        let p90 = value_size(p.memory.1, key_len).max(median);
        let sigma = ((p90 as f64 / median as f64).ln() / 1.2816).clamp(0.0, 3.0);
        let value = if sigma < 0.01 {
            format!("{median}")
        } else {
            format!("{{ dist = \"lognormal\", median = {median}, sigma = {sigma:.2} }}")
        };
        let ttl = (p.with_ttl >= 0.5 && p.max_ttl_ms > 0).then(|| dur(p.max_ttl_ms));
        let mut name: String = p
            .template
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect::<String>()
            .split('-')
            .filter(|w| {
                !w.is_empty()
                    && !matches!(*w, "id" | "hex" | "uuid")
                    && !w.chars().all(|c| c.is_ascii_digit())
            })
            .collect::<Vec<_>>()
            .join("-");
        if name.is_empty() {
            name = "keys".to_string();
        }
        let base = name.clone();
        let mut k = 2;
        while names_used.contains(&name) {
            name = format!("{base}-{k}");
            k += 1;
        }
        names_used.push(name.clone());
        let template = &p.template;
        let _ = writeln!(
            s,
            "\n# {} keys like {:?} in db {} ({} sampled), {}; MEMORY USAGE median {} B;\n\
             # {:.0}% with a TTL. Guessed a {kind} class: {why}. Confirm kind and `critical`.",
            p.estimated,
            p.template,
            p.db,
            p.sampled,
            p.kind,
            p.memory.0,
            p.with_ttl * 100.0
        );
        let _ = writeln!(
            s,
            "[[class]]\nname = {name:?}\nkind = \"{kind}\"\ncritical = {critical}"
        );
        if p.db != 0 {
            let _ = writeln!(s, "db = {}", p.db);
        }
        let _ = writeln!(s, "key = {template:?}");
        match kind {
            "cache" => {
                let _ = writeln!(
                    s,
                    "keys = {}\npopularity = {{ dist = \"zipf\", alpha = 0.9 }}\nreads_per_sec = {rate:.1}\nvalue = {value}",
                    p.estimated
                );
                if let Some(t) = &ttl {
                    let _ = writeln!(s, "ttl = \"{t}\"");
                }
            }
            "session" => {
                let ttl_s = (p.max_ttl_ms / 1000).max(1) as f64;
                let logins = (p.estimated as f64 / ttl_s).max(0.01);
                let _ = writeln!(
                    s,
                    "logins_per_sec = {logins:.2}  # keys / TTL: the steady state\nactive_for = \"10m\"\nrequests_per_sec = {rate:.1}\nvalue = {value}\nttl = \"{}\"\nsliding = true",
                    ttl.clone().unwrap_or_else(|| "30m".into())
                );
                if p.kind == "hash" {
                    // Sessions kept as hashes (Spring Session and the
                    // hash-backed stores): HSET at login, HGETALL per request.
                    let _ = writeln!(
                        s,
                        "structure = \"hash\"\nfields = {}  # not sampled (HLEN of one session): set it",
                        crate::source::DEFAULT_SESSION_FIELDS
                    );
                }
            }
            "counter" => {
                let _ = writeln!(
                    s,
                    "keys = {}\nincr_per_sec = {rate:.1}\nwindow = \"{}\"",
                    p.estimated,
                    ttl.clone().unwrap_or_else(|| "1m".into())
                );
            }
            // A list or sorted set holds many jobs: one key per list, the
            // jobs pushed onto it. MEMORY USAGE measured the whole key, so
            // a job's own size is left for the user to say.
            "queue" if p.kind == "list" || p.kind == "zset" => {
                let _ = writeln!(
                    s,
                    "structure = \"{}\"  # jobs {} each of these keys\nqueues = {}\n\
                     enqueue_per_sec = {rate:.1}\ndelay = \"5s\"\n\
                     value = \"500b\"  # one job's payload: not sampled (MEMORY USAGE above is the whole key); set it",
                    if p.kind == "list" { "list" } else { "zset" },
                    if p.kind == "list" { "pushed onto" } else { "scheduled in" },
                    p.estimated.max(1)
                );
            }
            "queue" => {
                let _ = writeln!(
                    s,
                    "enqueue_per_sec = {rate:.1}\ndelay = \"5s\"\nvalue = {value}"
                );
            }
            _ => {
                let _ = writeln!(
                    s,
                    "keys = {}\nreads_per_sec = {:.1}\nvalue = {value}",
                    p.estimated, rate
                );
                if let Some(t) = &ttl {
                    let _ = writeln!(s, "ttl = \"{t}\"");
                }
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_gives_sizes() {
        let info = "# Server\r\nredis_version:7.0.15\r\n# Memory\r\nused_memory:123\r\n\
                    # Stats\r\ninstantaneous_ops_per_sec:42\r\n# Keyspace\r\n\
                    db0:keys=10,expires=3,avg_ttl=5\r\ndb3:keys=2,expires=0,avg_ttl=0\r\n";
        let f = facts_from_info(info);
        assert_eq!(f.version, "7.0.15");
        assert_eq!((f.used_memory, f.ops_per_sec), (123, 42));
        assert_eq!(f.keys, BTreeMap::from([(0, 10), (3, 2)]));
    }

    #[test]
    fn counts_scale_to_the_database() {
        let k = |name: &str| KeySample {
            db: 0,
            name: name.as_bytes().to_vec(),
            kind: "string".into(),
            encoding: "embstr".into(),
            memory: 100,
            pttl_ms: -1,
        };
        let keys: Vec<KeySample> = (0..30)
            .map(|i| k(&format!("a:{i}")))
            .chain((0..10).map(|i| k(&format!("b:{i}"))))
            .collect();
        let facts = ServerFacts {
            keys: BTreeMap::from([(0, 400)]),
            ..Default::default()
        };
        let p = group(&keys, &facts);
        assert_eq!((p[0].template.as_str(), p[0].estimated), ("a:{id}", 300));
        assert_eq!((p[1].template.as_str(), p[1].estimated), ("b:{id}", 100));
    }
}
