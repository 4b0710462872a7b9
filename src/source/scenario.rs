//! A scenario file: one Redis instance, the policies to compare, how long
//! to run, and the key classes that use it. Reading one validates all of it,
//! so the generator and the model never see an impossible value.
//!
//! ```toml
//! [instance]
//! maxmemory = "24mb"                          # Redis units, or bytes
//! policies = ["allkeys-lru", "noeviction"]    # optional, default all
//! save = "3600 1 300 100 60 10000"            # optional, RDB points ("" for none)
//! appendonly = false                          # optional, with appendfsync
//! [run]
//! duration = "10m"
//! seed = 42
//! start = "2026-12-04T10:00:20Z"              # optional: the wall clock at time 0
//! [[class]]
//! name = "pages"
//! kind = "cache"
//! keys = 200000
//! reads_per_sec = 2000
//! value = { dist = "lognormal", median = 800, sigma = 1.0 }
//! ttl = "1h"
//! ```
//!
//! `[instance] cluster = { shards = 3 }` makes the instance a Redis Cluster
//! of that many shards, each with the instance's settings (`maxmemory` is
//! per shard); `slots = [[from, to, shard], ...]` gives the slots
//! explicitly instead of `redis-cli`'s even split. A cluster has only
//! database 0, so every class must be in it.

use super::class::{read_class, ClassSpec};
use super::error::ScenarioError;
use super::fields::{Field, Table};
use super::tree;
use crate::cluster::{SlotMap, MAX_SHARDS, SLOTS};
use crate::model::{InstanceConfig, MemoryModel, PolicyKind, Server};
use crate::op::ClassId;
use crate::persistence::{parse_save, Fsync, Persistence};
use crate::sim::ClassInfo;
use std::path::Path;

/// The most key classes a scenario may have ([`ClassId`] is a u8).
pub const MAX_CLASSES: usize = ClassId::MAX as usize;

/// A validated scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// The scenario's name (its file's stem).
    pub name: String,
    /// The simulated instance (its `seed` is the run's seed).
    pub instance: InstanceConfig,
    /// The policies to compare, in report order.
    pub policies: Vec<PolicyKind>,
    /// Simulated time to run, in ms.
    pub duration_ms: u64,
    /// Seed of the workload's randomness.
    pub seed: u64,
    /// The key classes; an op's `class` indexes this list.
    pub classes: Vec<ClassSpec>,
    /// RDB and AOF settings (Redis 7.0's defaults when absent).
    pub persistence: Persistence,
    /// A Redis Cluster's slots and shards (`[instance] cluster`), or `None`
    /// for one instance. Every shard runs with `instance`.
    pub cluster: Option<SlotMap>,
}

impl Scenario {
    /// Reads and validates the scenario file at `path`.
    pub fn from_path(path: &Path) -> Result<Scenario, ScenarioError> {
        read_file(path, None)
    }

    /// Reads and validates the scenario file at `path` as if its
    /// `[instance] cluster` gave `cluster` (what `--shards` asks for): its
    /// classes must then all be in database 0.
    pub fn from_path_in_cluster(path: &Path, cluster: SlotMap) -> Result<Scenario, ScenarioError> {
        read_file(path, Some(cluster))
    }

    /// Reads and validates a scenario from `text`; `display_name` (a file
    /// name) appears in errors and its stem becomes the scenario's name.
    pub fn from_str(text: &str, display_name: &str) -> Result<Scenario, ScenarioError> {
        let root = tree::parse(text, display_name)?;
        read_scenario(&Field::root(display_name, &root), stem(display_name), None)
    }

    /// The classes as the reports show them, in class order.
    pub fn class_infos(&self) -> Vec<ClassInfo> {
        self.classes
            .iter()
            .map(|c| ClassInfo {
                name: c.name.clone(),
                critical: c.critical,
            })
            .collect()
    }
}

/// Reads the file at `path`; `cluster` replaces its `[instance] cluster`.
fn read_file(path: &Path, cluster: Option<SlotMap>) -> Result<Scenario, ScenarioError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|reason| ScenarioError::Read {
        file: file.clone(),
        reason,
    })?;
    let root = tree::parse(&text, &file)?;
    read_scenario(&Field::root(&file, &root), stem(&file), cluster)
}

/// A scenario's name: its file's stem.
fn stem(display_name: &str) -> String {
    Path::new(display_name).file_stem().map_or_else(
        || display_name.to_string(),
        |s| s.to_string_lossy().into_owned(),
    )
}

/// Fields of `[instance]`.
const INSTANCE_FIELDS: [&str; 16] = [
    "maxmemory",
    "server",
    "allocator",
    "policies",
    "maxmemory_samples",
    "lfu_log_factor",
    "lfu_decay_time",
    "databases",
    "hz",
    "active_expire_effort",
    "baseline_memory",
    "memory_model",
    "save",
    "appendonly",
    "appendfsync",
    "cluster",
];

/// Reads the whole document; `cluster` replaces `[instance] cluster`.
pub(super) fn read_scenario(
    root: &Field,
    name: String,
    cluster: Option<SlotMap>,
) -> Result<Scenario, ScenarioError> {
    // `[lesson]` is read by `evictsim demo` (`teach::Lesson`); a run
    // ignores it, so a lesson is also a scenario.
    let top = root.table(&["instance", "run", "class", "lesson"])?;
    let it = top
        .require("instance", "an [instance] table with at least maxmemory")?
        .table(&INSTANCE_FIELDS)?;
    let (mut instance, policies) = read_instance(&it)?;
    let persistence = read_persistence(&it)?;
    let cluster = match (cluster, it.get("cluster")) {
        (Some(c), Some(f)) => {
            read_cluster(&f)?;
            Some(c)
        }
        (Some(c), None) => Some(c),
        (None, Some(f)) => Some(read_cluster(&f)?),
        (None, None) => None,
    };
    let run = top
        .require("run", "a [run] table with at least duration")?
        .table(&["duration", "seed", "start"])?;
    let df = run.require("duration", "simulated time to run, e.g. \"10m\"")?;
    let duration_ms = df.duration_ms()?;
    if duration_ms == 0 {
        return Err(df.err("must be > 0"));
    }
    let seed = match run.get("seed") {
        Some(s) => s.uint(i64::MAX as u64)?,
        None => 0,
    };
    instance.seed = seed;
    if let Some(f) = run.get("start") {
        instance.start_unix_ms = f.instant_ms()?;
    }

    let cf = top.get("class").ok_or_else(|| {
        top.err(
            "class",
            "no [[class]] tables: a scenario needs at least one key class",
        )
    })?;
    let items = cf.array()?;
    if items.is_empty() {
        return Err(cf.err("no classes: a scenario needs at least one key class"));
    }
    if items.len() > MAX_CLASSES {
        return Err(cf.err(format!(
            "{} classes, more than the {MAX_CLASSES} evictsim supports",
            items.len()
        )));
    }
    let mut classes: Vec<ClassSpec> = Vec::with_capacity(items.len());
    for item in &items {
        let class = read_class(item, instance.databases)?;
        let t = item.table_unchecked()?;
        if let (Some(c), Some(df)) = (&cluster, t.get("db")) {
            if class.db != 0 {
                return Err(df.err(format!(
                    "must be 0 on a Redis Cluster ({} shards; got {}): a cluster has only \
                     database 0 and refuses SELECT. Put the class in db 0 and choose its \
                     keys' slot with a {{hash tag}} in its key instead",
                    c.shards(),
                    class.db
                )));
            }
        }
        if let Some(i) = classes.iter().position(|c| c.name == class.name) {
            let nf = t.require("name", "")?;
            return Err(nf.err(format!(
                "duplicate class name {:?} (also class[{i}])",
                class.name
            )));
        }
        if let Some(i) = classes
            .iter()
            .position(|c| c.db == class.db && c.key == class.key)
        {
            let kf = t.get("key");
            let msg = format!(
                "same key template {:?} in db {} as class[{i}]: their keys would collide; set a distinct key",
                class.key.as_str(),
                class.db
            );
            return Err(match kf {
                Some(k) => k.err(msg),
                None => t.err("key", msg),
            });
        }
        classes.push(class);
    }
    check_key_space(&classes, &items, duration_ms, &df)?;
    check_run_length(&classes, duration_ms, &df)?;
    Ok(Scenario {
        name,
        instance,
        policies,
        duration_ms,
        seed,
        classes,
        persistence,
        cluster,
    })
}

/// Reads `save`, `appendonly` and `appendfsync` of `[instance]`, as
/// redis.conf spells them.
pub(super) fn read_persistence(t: &Table) -> Result<Persistence, ScenarioError> {
    let mut p = Persistence::default();
    if let Some(f) = t.get("save") {
        p.save = if let Ok(items) = f.array() {
            let mut all = Vec::new();
            for item in items {
                all.extend(parse_save(item.str()?).map_err(|e| item.err(e))?);
            }
            all
        } else {
            parse_save(f.str()?).map_err(|e| f.err(e))?
        };
    }
    if let Some(f) = t.get("appendonly") {
        p.appendonly = f.bool()?;
    }
    if let Some(f) = t.get("appendfsync") {
        p.appendfsync = match f.str()? {
            "always" => Fsync::Always,
            "everysec" => Fsync::EverySec,
            "no" => Fsync::No,
            other => {
                return Err(f.err(format!(
                    "unknown appendfsync {other:?} (expected \"always\", \"everysec\" or \"no\")"
                )))
            }
        };
    }
    Ok(p)
}

/// Reads `[instance] cluster`: `shards = N` (even slot ranges, as
/// `redis-cli --cluster create` makes them), and optionally `slots =
/// [[from, to, shard], ...]`.
fn read_cluster(f: &Field) -> Result<SlotMap, ScenarioError> {
    let t = f.table(&["shards", "slots"])?;
    let shards = match t.get("shards") {
        Some(sf) => {
            let n = sf.uint(u64::MAX >> 1)?;
            if n == 0 || n > MAX_SHARDS as u64 {
                return Err(sf.err(format!("must be from 1 to {MAX_SHARDS} (got {n})")));
            }
            Some(n as usize)
        }
        None => None,
    };
    let Some(slots) = t.get("slots") else {
        let n = shards.ok_or_else(|| t.err("shards", "missing (the number of shards, e.g. 3)"))?;
        return SlotMap::even(n).map_err(|e| t.err("shards", e.to_string()));
    };
    let mut ranges = Vec::new();
    for item in slots.array()? {
        let parts = item.array()?;
        let [from, to, shard] = parts.as_slice() else {
            return Err(item.err("expected [from, to, shard], e.g. [0, 5460, 0]"));
        };
        let last = SLOTS as u64 - 1;
        let (from, to) = (from.uint(last)?, to.uint(last)?);
        if to < from {
            return Err(item.err(format!("range {from}-{to} ends before it starts")));
        }
        let limit = shards.map_or(MAX_SHARDS as u64 - 1, |n| n as u64 - 1);
        let shard_no = shard.uint(limit)?;
        ranges.push((from, to, shard_no));
    }
    let n = shards.unwrap_or_else(|| ranges.iter().map(|r| r.2 as usize + 1).max().unwrap_or(1));
    SlotMap::from_ranges(n, &ranges).map_err(|e| slots.err(e.to_string()))
}

/// Reads `[instance]` into a config and the policies to compare.
fn read_instance(t: &Table) -> Result<(InstanceConfig, Vec<PolicyKind>), ScenarioError> {
    let mut c = InstanceConfig {
        maxmemory: t
            .require("maxmemory", "the memory limit, e.g. \"24mb\" (0: none)")?
            .memory()?,
        ..InstanceConfig::default()
    };
    let int = |key: &str, lo: u64, hi: u64, default: u32| -> Result<u32, ScenarioError> {
        let Some(f) = t.get(key) else {
            return Ok(default);
        };
        let v = f.uint(u64::MAX >> 1)?;
        if v < lo || v > hi {
            return Err(f.err(format!("must be from {lo} to {hi} (got {v})")));
        }
        Ok(v as u32)
    };
    // Ranges as redis.conf accepts them (src/config.c).
    c.samples = int("maxmemory_samples", 1, 64, c.samples)?;
    c.lfu_log_factor = int("lfu_log_factor", 0, i32::MAX as u64, c.lfu_log_factor)?;
    c.lfu_decay_time = int("lfu_decay_time", 0, i32::MAX as u64, c.lfu_decay_time)?;
    c.databases = int("databases", 1, u64::from(u8::MAX), u32::from(c.databases))? as u8;
    c.hz = int("hz", 1, 500, c.hz)?;
    c.active_expire_effort = int("active_expire_effort", 1, 10, c.active_expire_effort)?;
    if let Some(f) = t.get("server") {
        let server: Server = f.str()?.parse().map_err(|e| f.err(format!("{e}")))?;
        c.set_server(server);
    }
    if let Some(f) = t.get("allocator") {
        c.allocator = f.str()?.parse().map_err(|e| f.err(format!("{e}")))?;
    }
    if let Some(f) = t.get("baseline_memory") {
        c.baseline_memory = f.memory()?;
    }
    if let Some(f) = t.get("memory_model") {
        c.memory_model = match f.str()? {
            "redis" => MemoryModel::Redis,
            "raw" => MemoryModel::Raw,
            other => {
                return Err(f.err(format!(
                    "unknown memory model {other:?} (expected \"redis\" or \"raw\")"
                )))
            }
        };
    }
    if let Some(why) = c.no_room() {
        return Err(t.require("maxmemory", "")?.err(why));
    }
    let policies = match t.get("policies") {
        None => c.server.policies(),
        Some(pf) => {
            let mut out: Vec<PolicyKind> = Vec::new();
            for f in pf.array()? {
                let p: PolicyKind = f.str()?.parse().map_err(|e| f.err(format!("{e}")))?;
                if !c.server.has_policy(p) {
                    return Err(f.err(format!(
                        "{} has no {p} (its policies: {})",
                        c.server,
                        c.server
                            .policies()
                            .iter()
                            .map(|p| p.name())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
                if out.contains(&p) {
                    return Err(f.err(format!("{p} is listed twice")));
                }
                out.push(p);
            }
            if out.is_empty() {
                return Err(pf.err("list at least one policy, or leave policies out to run all"));
            }
            out
        }
    };
    Ok((c, policies))
}

/// The most operations a scenario may generate: beyond this a run takes
/// hours per policy, almost always a rate or duration typed wrong.
pub const MAX_RUN_OPS: f64 = 10e9;

/// Refuses a run whose rates and duration make more than [`MAX_RUN_OPS`]
/// operations, with the estimate.
fn check_run_length(
    classes: &[ClassSpec],
    duration_ms: u64,
    duration: &Field,
) -> Result<(), ScenarioError> {
    let rate: f64 = classes.iter().map(ClassSpec::ops_per_sec).sum();
    let expected = rate * duration_ms as f64 / 1000.0;
    if expected > MAX_RUN_OPS {
        return Err(duration.err(format!(
            "the run would make at least {:.1} billion operations ({rate:.0} a second for \
             {} s), more than the {:.0} billion evictsim runs at once (hours per policy): \
             shorten the run or lower the rates; a shorter run at the same rates gives the \
             same steady state",
            expected / 1e9,
            duration_ms / 1000,
            MAX_RUN_OPS / 1e9
        )));
    }
    Ok(())
}

/// Checks that the keys the run would create fit in the 32-bit key ids.
fn check_key_space(
    classes: &[ClassSpec],
    items: &[Field],
    duration_ms: u64,
    duration: &Field,
) -> Result<(), ScenarioError> {
    let limit = u64::from(u32::MAX);
    let mut fixed: u64 = 0;
    for (c, f) in classes.iter().zip(items) {
        fixed += u64::from(c.fixed_keys().unwrap_or(0));
        if fixed > limit {
            let msg = format!("the classes up to this one have {fixed} keys, more than the {limit} evictsim can number");
            let t = f.table_unchecked()?;
            return Err(match t.get("keys") {
                Some(k) => k.err(msg),
                None => t.err("keys", msg),
            });
        }
    }
    let rate: f64 = classes.iter().map(ClassSpec::creations_per_sec).sum();
    let expected = rate * duration_ms as f64 / 1000.0;
    // Room for Poisson fluctuation far beyond any plausible draw.
    let worst = expected * 1.01 + 10.0 * expected.sqrt() + 1000.0;
    if fixed as f64 + worst > limit as f64 {
        return Err(duration.err(format!(
            "the run would create about {expected:.0} sessions and jobs; with {fixed} fixed keys that is more than the {limit} keys evictsim can number: shorten the run or lower the rates"
        )));
    }
    Ok(())
}
