//! One instance or two: the mixed instance as configured against the
//! layout the seed's advice leads to, computed rather than stated. The
//! critical classes go to a **store** (`noeviction`, AOF every second), the
//! rest to a **cache** (`allkeys-lru`, or the cache policy with the best
//! cache hit ratio; no persistence). Both replay the scenario's own op
//! stream, routed by class, so the comparison is like with like.
//!
//! The store is sized from the critical classes' peak `used_memory` with no
//! limit (its own empty-server baseline included), plus a headroom, rounded
//! up to a whole MiB; the cache gets the mixed instance's `maxmemory` minus
//! the store (the same total memory), unless told its size.

use crate::conf::write::{self, InstanceSpec, Role, NOEVICTION_WHY};
use crate::metrics::{Counters, Metrics};
use crate::model::{AnyInstance, InstanceConfig, PolicyKind};
use crate::op::Op;
use crate::persistence::{Fsync, Persistence};
use crate::provenance::Provenance;
use crate::sim::{self, ClassInfo, RunResult, RunSpec};
use crate::source::{Scenario, Workload};

const MIB: u64 = 1 << 20;

/// The cache policies a split considers when none is asked for.
pub const CACHE_CANDIDATES: [PolicyKind; 2] = [PolicyKind::AllKeysLru, PolicyKind::AllKeysLfu];

/// How to split.
#[derive(Clone, Debug, PartialEq)]
pub struct SplitOptions {
    /// Headroom added to the store's peak, in percent (default 25).
    pub store_headroom_pct: u32,
    /// The cache's `maxmemory` (default: the mixed instance's minus the
    /// store's).
    pub cache_maxmemory: Option<u64>,
    /// The cache's policy (default: the best cache hit ratio of
    /// [`CACHE_CANDIDATES`], `allkeys-lru` on a tie).
    pub cache_policy: Option<PolicyKind>,
}

impl Default for SplitOptions {
    fn default() -> Self {
        SplitOptions {
            store_headroom_pct: 25,
            cache_maxmemory: None,
            cache_policy: None,
        }
    }
}

/// Why a split cannot be made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SplitError {
    /// The scenario marks no class critical: there is nothing to store.
    #[error("no class is marked critical: there is nothing to move to a store")]
    NoCriticalClass,
    /// Every class is critical: there is no cache.
    #[error("every class is critical: there is no cache to split off")]
    NoCacheClass,
    /// The scenario sets no `maxmemory`, so there is no budget to split.
    #[error("the scenario sets no maxmemory: give the cache's size with --cache-maxmemory")]
    NoBudget,
    /// The store alone needs the whole budget or more.
    #[error(
        "the store needs {store} bytes (its peak plus headroom), which leaves the cache \
         {left} of the instance's {budget}: give the cache's size with --cache-maxmemory"
    )]
    NoRoomForCache {
        /// The store's `maxmemory`.
        store: u64,
        /// The mixed instance's `maxmemory`.
        budget: u64,
        /// What would be left for the cache (may be below an empty server).
        left: u64,
    },
}

/// One instance of the split layout and what it did.
#[derive(Clone, Debug)]
pub struct Side {
    /// Its policy.
    pub policy: PolicyKind,
    /// Its `maxmemory` in bytes.
    pub maxmemory: u64,
    /// Everything it counted (per class of the scenario; classes routed to
    /// the other instance stay empty).
    pub metrics: Metrics,
    /// Operations routed to it.
    pub ops: u64,
}

/// The two layouts side by side.
#[derive(Clone, Debug)]
pub struct SplitPlan {
    /// The mixed instance under each of the scenario's policies, as `run`
    /// reports it.
    pub mixed: RunResult,
    /// The critical classes' peak `used_memory` with no limit.
    pub store_peak: u64,
    /// The headroom added to it, in percent.
    pub store_headroom_pct: u32,
    /// The store: `noeviction`, the critical classes.
    pub store: Side,
    /// The cache: the rest.
    pub cache: Side,
    /// The cache policies tried at the cache's size, with their cache hit
    /// ratio (hits, reads); the chosen one is `cache.policy`.
    pub cache_candidates: Vec<(PolicyKind, Counters)>,
}

impl SplitPlan {
    /// Memory the split layout is given: both instances' `maxmemory`.
    pub fn total_memory(&self) -> u64 {
        self.store.maxmemory + self.cache.maxmemory
    }

    /// The classes, in the scenario's order.
    pub fn classes(&self) -> &[ClassInfo] {
        &self.mixed.classes
    }
}

/// Computes the split of `sc` (with its overrides applied) at its
/// `maxmemory`; `source` says where it came from, for the mixed run's
/// report.
pub fn plan(
    sc: &Scenario,
    opts: &SplitOptions,
    source: Provenance,
) -> Result<SplitPlan, SplitError> {
    let classes = sc.class_infos();
    if !classes.iter().any(|c| c.critical) {
        return Err(SplitError::NoCriticalClass);
    }
    if classes.iter().all(|c| c.critical) {
        return Err(SplitError::NoCacheClass);
    }
    let budget = sc.instance.maxmemory;
    if budget == 0 && opts.cache_maxmemory.is_none() {
        return Err(SplitError::NoBudget);
    }
    let ops: Vec<Op> = Workload::new(sc).collect();
    let critical = |op: &&Op| classes[usize::from(op.class)].critical;
    let n = classes.len();

    // The store's size: the critical classes alone, with no limit.
    let unbounded = InstanceConfig {
        maxmemory: 0,
        ..sc.instance.clone()
    };
    let peak = {
        let mut store = AnyInstance::new(PolicyKind::NoEviction, &unbounded, n);
        let routed: Vec<Op> = ops.iter().filter(critical).copied().collect();
        store.apply_all(&routed);
        store.advance(sc.duration_ms);
        store.metrics().peak_used_memory
    };
    let with_headroom = peak + peak * u64::from(opts.store_headroom_pct) / 100;
    let store_max = with_headroom.div_ceil(MIB) * MIB;
    let cache_max = match opts.cache_maxmemory {
        Some(m) => m,
        None => {
            let left = budget.saturating_sub(store_max);
            if left <= sc.instance.baseline_memory {
                return Err(SplitError::NoRoomForCache {
                    store: store_max,
                    budget,
                    left,
                });
            }
            left
        }
    };

    // Each side on its own stream, under its own limit.
    let run_side = |policy: PolicyKind, maxmemory: u64, want_critical: bool| -> Side {
        let cfg = InstanceConfig {
            maxmemory,
            ..sc.instance.clone()
        };
        let routed: Vec<Op> = ops
            .iter()
            .filter(|op| classes[usize::from(op.class)].critical == want_critical)
            .copied()
            .collect();
        let mut inst = AnyInstance::new(policy, &cfg, n);
        inst.apply_all(&routed);
        inst.advance(sc.duration_ms);
        Side {
            policy,
            maxmemory,
            metrics: inst.into_metrics(),
            ops: routed.len() as u64,
        }
    };
    let store = run_side(PolicyKind::NoEviction, store_max, true);
    let candidates: Vec<PolicyKind> = match opts.cache_policy {
        Some(p) => vec![p],
        None => CACHE_CANDIDATES.to_vec(),
    };
    let mut cache_runs: Vec<Side> = candidates
        .iter()
        .map(|&p| run_side(p, cache_max, false))
        .collect();
    let cache_candidates: Vec<(PolicyKind, Counters)> = cache_runs
        .iter()
        .map(|s| (s.policy, cache_counters(&classes, &s.metrics)))
        .collect();
    // The best cache hit ratio; the first listed on a tie.
    let best = (0..cache_runs.len())
        .max_by(|&a, &b| {
            let (x, y) = (&cache_candidates[a].1, &cache_candidates[b].1);
            (u128::from(x.hits) * u128::from(y.reads))
                .cmp(&(u128::from(y.hits) * u128::from(x.reads)))
                .then(b.cmp(&a))
        })
        .unwrap_or(0);
    let cache = cache_runs.swap_remove(best);

    let spec = RunSpec {
        scenario: sc.name.clone(),
        seed: sc.seed,
        instance: sc.instance.clone(),
        policies: sc.policies.clone(),
        classes: classes.clone(),
        duration_ms: sc.duration_ms,
        source,
    };
    let mixed = sim::simulate(&spec, ops.into_iter(), |_, _| {});
    Ok(SplitPlan {
        mixed,
        store_peak: peak,
        store_headroom_pct: opts.store_headroom_pct,
        store,
        cache,
        cache_candidates,
    })
}

/// The counters of the classes that are not critical, summed.
pub fn cache_counters(classes: &[ClassInfo], m: &Metrics) -> Counters {
    let mut c = Counters::default();
    for (info, cm) in classes.iter().zip(&m.classes) {
        if !info.critical {
            c.add(&cm.counters);
        }
    }
    c
}

/// The counters of the critical classes, summed.
pub fn critical_counters(classes: &[ClassInfo], m: &Metrics) -> Counters {
    let mut c = Counters::default();
    for (info, cm) in classes.iter().zip(&m.classes) {
        if info.critical {
            c.add(&cm.counters);
        }
    }
    c
}

impl SplitPlan {
    /// Names of the classes on one side.
    fn class_names(&self, critical: bool) -> Vec<String> {
        self.classes()
            .iter()
            .filter(|c| c.critical == critical)
            .map(|c| c.name.clone())
            .collect()
    }

    /// What `cache.conf` says: the cache's policy and size, why, and no
    /// persistence; `command` is the provenance line's.
    pub fn cache_spec(&self, command: &str) -> InstanceSpec {
        let c = &self.cache;
        let why = if self.cache_candidates.len() > 1 {
            let tried: Vec<String> = self
                .cache_candidates
                .iter()
                .map(|(p, k)| format!("{p} {}", crate::report::fmt::percent(k.hits, k.reads)))
                .collect();
            format!(
                "the best cache hit ratio at this size of: {}.",
                tried.join(", ")
            )
        } else {
            "as asked.".to_string()
        };
        InstanceSpec {
            role: Role::Cache,
            classes: self.class_names(false),
            command: command.to_string(),
            maxmemory: c.maxmemory,
            maxmemory_why: "Memory: the mixed instance's budget minus the store's.".to_string(),
            policy: c.policy,
            policy_why: format!("Evict among all its keys when full; this policy had\n{why}"),
            samples: Some(self.mixed.instance.samples),
            persistence: Persistence::none(),
        }
    }

    /// What `store.conf` says: `noeviction` at the critical classes' peak
    /// plus headroom, AOF every second and Redis's default snapshots.
    pub fn store_spec(&self, command: &str) -> InstanceSpec {
        InstanceSpec {
            role: Role::Store,
            classes: self.class_names(true),
            command: command.to_string(),
            maxmemory: self.store.maxmemory,
            maxmemory_why: format!(
                "Memory: the critical classes' peak with no limit ({} bytes),\n\
                 plus {}% headroom, rounded up to a whole MiB.",
                crate::report::fmt::thousands(self.store_peak),
                self.store_headroom_pct
            ),
            policy: PolicyKind::NoEviction,
            policy_why: NOEVICTION_WHY.to_string(),
            samples: None,
            persistence: Persistence {
                appendonly: true,
                appendfsync: Fsync::EverySec,
                ..Persistence::default()
            },
        }
    }

    /// `cache.conf`: a complete redis.conf for the cache instance, commented.
    pub fn cache_conf(&self, command: &str) -> String {
        write::redis_conf(&self.cache_spec(command))
    }

    /// `store.conf`: a complete redis.conf for the store instance, commented.
    pub fn store_conf(&self, command: &str) -> String {
        write::redis_conf(&self.store_spec(command))
    }
}
