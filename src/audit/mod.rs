//! A redis.conf's eviction and durability posture, judged for the data it
//! holds: what memory pressure and a crash would cost the critical
//! classes under this file's `maxmemory`, `maxmemory-policy` and
//! persistence, the dangerous combinations as [`Flag`]s with a reason and a
//! fix, and the two-instance layout (`store.conf`, `cache.conf`) the split
//! recommends, written by the same writer as `evictsim split`'s.
//!
//! With a scenario, the scenario runs through the model with the file's
//! settings (its `maxmemory`, policy, samples, LFU, `hz`, `databases`),
//! the crash model judges the file's persistence at the end of the run and
//! at random moments, and the layout is `split`'s plan at the file's
//! `maxmemory` (or, with no limit, at the peak the instance reached). With
//! class rules only, nothing runs: the risk is stated from the rules, and
//! the layout gives each instance the file's `maxmemory`.

mod flags;

use crate::conf::write::{InstanceSpec, Role, NOEVICTION_WHY};
use crate::conf::RedisConf;
use crate::crash::{self, CrashKind, CrashReport};
use crate::metrics::Counters;
use crate::model::PolicyKind;
use crate::persistence::{Fsync, Persistence};
use crate::provenance::Provenance;
use crate::sim::{self, ClassInfo, RunResult, RunSpec};
use crate::source::{Scenario, Workload};
use crate::split::{self, SplitOptions};
use crate::trace::ClassRules;

pub use flags::{Flag, FlagId, UnknownFlag};

const MIB: u64 = 1 << 20;

/// Which keys matter, and how they are used.
#[derive(Clone, Debug)]
pub enum Classes {
    /// A scenario: its classes (with `critical`), run through the model.
    Scenario {
        /// The scenario.
        scenario: Box<Scenario>,
        /// Its file, for provenance.
        path: String,
    },
    /// Class rules (`--class`, `--critical`): names and critical flags,
    /// no workload.
    Rules(ClassRules),
    /// Nothing said: only what the file alone shows is judged.
    None,
}

/// How to audit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditOptions {
    /// The command that runs this audit, for the written files'
    /// provenance line.
    pub command: String,
    /// Flags known and handled: listed, but not counted against the file.
    pub accept: Vec<FlagId>,
    /// Random moments a crash is measured at, besides the end of the run
    /// (default 100).
    pub crash_samples: usize,
}

impl Default for AuditOptions {
    fn default() -> Self {
        AuditOptions {
            command: "evictsim audit".to_string(),
            accept: Vec::new(),
            crash_samples: 100,
        }
    }
}

/// A key class as the audit sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditClass {
    /// Its name and whether it is critical.
    pub info: ClassInfo,
    /// The TTL its keys carry, in ms: `Some(None)` none, `None` unknown
    /// (class rules say nothing of TTLs).
    pub ttl_ms: Option<Option<u64>>,
}

/// The two files the split recommends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitLayout {
    /// `store.conf`.
    pub store: InstanceSpec,
    /// `cache.conf`.
    pub cache: InstanceSpec,
    /// The memory split between them, and where it comes from.
    pub budget: String,
}

/// The recommended layout, or why there is none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Layout {
    /// A store and a cache.
    Split(Box<SplitLayout>),
    /// Why no layout can be written.
    None(String),
}

/// The audit of one config file.
#[derive(Clone, Debug)]
pub struct Audit {
    /// The config as read.
    pub conf: RedisConf,
    /// Where the classes came from: `scenario NAME (PATH)`, `class rules`,
    /// or `none`.
    pub source: String,
    /// The classes, in order.
    pub classes: Vec<AuditClass>,
    /// The scenario under the file's settings (one policy), when a
    /// scenario was given.
    pub pressure: Option<RunResult>,
    /// What a crash would lose under the file's persistence, at the random
    /// moments and then at the end of the run (the last point).
    pub crash: Option<CrashReport>,
    /// The dangerous combinations found.
    pub flags: Vec<Flag>,
    /// The store and cache the split recommends.
    pub layout: Layout,
}

/// Why an audit cannot be made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuditError {
    /// The scenario puts keys in a database the file does not have.
    #[error(
        "class {class} of the scenario uses db {db}, but {origin} sets databases {databases}: \
         redis-server would refuse its SELECT"
    )]
    Database {
        /// The class.
        class: String,
        /// Its database.
        db: u8,
        /// How many the file allows.
        databases: u32,
        /// Where it says so.
        origin: String,
    },
}

impl Audit {
    /// Flags not accepted: a non-empty list fails the file.
    pub fn failing(&self) -> impl Iterator<Item = &Flag> + '_ {
        self.flags.iter().filter(|f| !f.accepted)
    }

    /// The process's exit status for this audit: 0 when nothing is
    /// flagged (or everything flagged is accepted), 3 otherwise.
    pub fn exit_status(&self) -> i32 {
        if self.failing().next().is_some() {
            3
        } else {
            0
        }
    }

    /// The critical classes' counters in the pressure run.
    pub fn critical_counters(&self) -> Option<Counters> {
        let r = self.pressure.as_ref()?;
        Some(split::critical_counters(
            &r.classes,
            &r.results.first()?.metrics,
        ))
    }

    /// Every class's counters in the pressure run, summed.
    pub fn total_counters(&self) -> Option<Counters> {
        Some(self.pressure.as_ref()?.results.first()?.metrics.totals())
    }

    /// The critical classes' losses in one crash: (live keys, lost keys,
    /// lost writes).
    pub fn critical_crash(&self, point: &crash::CrashPoint, kind: CrashKind) -> (u64, u64, u64) {
        let mut s = (0, 0, 0);
        for (c, l) in self.classes.iter().zip(point.of(kind).1) {
            if c.info.critical {
                s.0 += l.live_keys;
                s.1 += l.lost_keys;
                s.2 += l.lost_writes;
            }
        }
        s
    }

    /// The crash at the end of the run.
    pub fn crash_at_end(&self) -> Option<&crash::CrashPoint> {
        self.crash.as_ref()?.points.iter().max_by_key(|p| p.t_ms)
    }
}

/// Audits `conf` for `classes`.
pub fn audit(conf: RedisConf, classes: Classes, opts: &AuditOptions) -> Result<Audit, AuditError> {
    let s = &conf.settings;
    let policy = s.policy.value;
    let persistence = conf.persistence();
    let (source, infos, pressure, crash, layout) = match &classes {
        Classes::Scenario { scenario, path } => {
            let mut sc = (**scenario).clone();
            sc.instance = conf.instance_config(&sc.instance);
            sc.policies = vec![policy];
            if let Some(c) = sc
                .classes
                .iter()
                .find(|c| u32::from(c.db) >= s.databases.value)
            {
                return Err(AuditError::Database {
                    class: c.name.clone(),
                    db: c.db,
                    databases: s.databases.value,
                    origin: s
                        .databases
                        .origin
                        .as_ref()
                        .map_or_else(|| "Redis's default".to_string(), ToString::to_string),
                });
            }
            let infos: Vec<AuditClass> = sc
                .classes
                .iter()
                .map(|c| AuditClass {
                    info: ClassInfo {
                        name: c.name.clone(),
                        critical: c.critical,
                    },
                    ttl_ms: Some(c.ttl_ms()),
                })
                .collect();
            let source = Provenance::Scenario { path: path.clone() };
            let (run, layout) = scenario_layout(&sc, source, &opts.command);
            let mut moments = crash::random_moments(sc.duration_ms, opts.crash_samples, sc.seed);
            moments.push(sc.duration_ms);
            let crash = crash::crash(&sc, policy, &persistence, &moments);
            (
                format!("scenario {} ({path})", sc.name),
                infos,
                Some(run),
                Some(crash),
                layout,
            )
        }
        Classes::Rules(rules) => {
            let infos: Vec<AuditClass> = rules
                .class_infos()
                .into_iter()
                .map(|info| AuditClass { info, ttl_ms: None })
                .collect();
            let layout = rules_layout(&conf, &infos, &opts.command);
            ("class rules".to_string(), infos, None, None, layout)
        }
        Classes::None => (
            "none".to_string(),
            Vec::new(),
            None,
            None,
            Layout::None(
                "no classes given: say which keys are critical (--scenario, or --class and \
                 --critical) for store.conf and cache.conf"
                    .to_string(),
            ),
        ),
    };
    let mut a = Audit {
        conf,
        source,
        classes: infos,
        pressure,
        crash,
        flags: Vec::new(),
        layout,
    };
    a.flags = flags::judge(&a);
    for f in &mut a.flags {
        f.accepted = opts.accept.contains(&f.id);
    }
    Ok(a)
}

/// Runs `sc` (already under the file's settings) and plans the split at
/// the file's `maxmemory`, or at the peak it reached when there is none.
fn scenario_layout(sc: &Scenario, source: Provenance, command: &str) -> (RunResult, Layout) {
    let simulate = |sc: &Scenario| {
        let spec = RunSpec {
            scenario: sc.name.clone(),
            seed: sc.seed,
            instance: sc.instance.clone(),
            policies: sc.policies.clone(),
            classes: sc.class_infos(),
            duration_ms: sc.duration_ms,
            source: source.clone(),
        };
        sim::simulate(&spec, Workload::new(sc), |_, _| {})
    };
    let opts = SplitOptions::default();
    let max = sc.instance.maxmemory;
    let layout = |plan: &split::SplitPlan, budget: String| {
        Layout::Split(Box::new(SplitLayout {
            store: plan.store_spec(command),
            cache: plan.cache_spec(command),
            budget,
        }))
    };
    if max > 0 {
        return match split::plan(sc, &opts, source.clone()) {
            Ok(plan) => {
                let budget = format!("the file's maxmemory, {}", crate::report::fmt::bytes(max));
                let l = layout(&plan, budget);
                (plan.mixed, l)
            }
            Err(e) => (simulate(sc), Layout::None(e.to_string())),
        };
    }
    let run = simulate(sc);
    let budget = run.unbounded_peak_memory.div_ceil(MIB) * MIB;
    let mut at_peak = sc.clone();
    at_peak.instance.maxmemory = budget;
    let l = match split::plan(&at_peak, &opts, source) {
        Ok(plan) => layout(
            &plan,
            format!(
                "{}: the peak the instance reached with no limit, rounded up to a MiB",
                crate::report::fmt::bytes(budget)
            ),
        ),
        Err(e) => Layout::None(e.to_string()),
    };
    (run, l)
}

/// With class rules only: each instance gets the file's `maxmemory` (the
/// critical data fits in it today, and the cache keeps what it has).
fn rules_layout(conf: &RedisConf, classes: &[AuditClass], command: &str) -> Layout {
    let names = |critical: bool| -> Vec<String> {
        classes
            .iter()
            .filter(|c| c.info.critical == critical)
            .map(|c| c.info.name.clone())
            .collect()
    };
    let (store, cache) = (names(true), names(false));
    if store.is_empty() {
        return Layout::None(split::SplitError::NoCriticalClass.to_string());
    }
    let max = &conf.settings.maxmemory;
    if max.value == 0 {
        return Layout::None(
            "maxmemory 0 and no workload: nothing to size store.conf and cache.conf from \
             (give --scenario)"
                .to_string(),
        );
    }
    let at = max
        .origin
        .as_ref()
        .map_or_else(String::new, |o| format!(" ({o})"));
    let why = |what: &str| {
        format!(
            "Memory: this instance's maxmemory today{at}:\n{what}.\n\
             evictsim had no workload to size it from; `evictsim audit --scenario`\n\
             or `evictsim split` sizes it from the critical classes' peak."
        )
    };
    let spec = |role, classes, maxmemory_why, policy, policy_why: &str, samples, persistence| {
        InstanceSpec {
            role,
            classes,
            command: command.to_string(),
            maxmemory: max.value,
            maxmemory_why,
            policy,
            policy_why: policy_why.to_string(),
            samples,
            persistence,
        }
    };
    Layout::Split(Box::new(SplitLayout {
        store: spec(
            Role::Store,
            store,
            why("the critical classes fit in it now, beside the cache"),
            PolicyKind::NoEviction,
            NOEVICTION_WHY,
            None,
            Persistence {
                appendonly: true,
                appendfsync: Fsync::EverySec,
                ..Persistence::default()
            },
        ),
        cache: spec(
            Role::Cache,
            cache,
            why("the cache keeps all the memory it has now"),
            PolicyKind::AllKeysLru,
            "Evict among all its keys when full: allkeys-lru, the usual policy of a cache\n\
             (evictsim had no workload to compare it with allkeys-lfu).",
            Some(conf.settings.samples.value),
            Persistence::none(),
        ),
        budget: format!(
            "each instance the file's maxmemory, {} (twice the memory at most)",
            crate::report::fmt::bytes(max.value)
        ),
    }))
}
