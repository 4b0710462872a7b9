//! Hand-made run results shared by the report tests, included with
//! `#[path = "support/sample.rs"] mod sample;`: [`sample`], the three-class
//! run the golden snapshots show, and [`rich`], a run with timelines and
//! eviction histograms in which every chart has data.

#![allow(dead_code)]

use evictsim::metrics::{Counters, Metrics};
use evictsim::model::{InstanceConfig, PolicyKind};
use evictsim::provenance::Provenance;
use evictsim::sim::{ClassInfo, PolicyRun, RunResult};

const CACHE: usize = 0;
const SESSIONS: usize = 1;
const FEED: usize = 2;

fn counters(reads: u64, hits: u64, writes: u64) -> Counters {
    Counters {
        reads,
        hits,
        writes,
        ..Default::default()
    }
}

/// Three classes (one critical, one whose name needs CSV quoting) under
/// `noeviction`, `allkeys-lru` and `volatile-lru`.
pub fn sample() -> RunResult {
    let classes = vec![
        ClassInfo {
            name: "cache".into(),
            critical: false,
        },
        ClassInfo {
            name: "sessions".into(),
            critical: true,
        },
        ClassInfo {
            name: "feed,v2".into(),
            critical: false,
        },
    ];

    let mut noeviction = Metrics::new(3);
    noeviction.classes[CACHE].counters = Counters {
        oom_rejected: 434,
        expired: 1_500,
        ..counters(120_000, 90_000, 31_000)
    };
    noeviction.classes[SESSIONS].counters = Counters {
        oom_rejected: 800,
        expired: 2_000,
        ..counters(40_000, 39_500, 9_000)
    };
    noeviction.classes[FEED].counters = counters(5_000, 4_000, 1_000);
    noeviction.peak_used_memory = 64 << 20;

    let mut lru = Metrics::new(3);
    lru.classes[CACHE].counters = Counters {
        expired: 900,
        ..counters(120_000, 97_000, 31_400)
    };
    for idle in [200, 5_000, 5_000, 60_000] {
        lru.classes[CACHE].record_eviction(idle, None, true);
    }
    lru.classes[CACHE].counters.evicted = 50_000;
    lru.classes[CACHE].counters.evicted_distinct = 42_000;
    lru.classes[SESSIONS].counters = Counters {
        lost_reads: 5_678,
        expired: 1_100,
        ..counters(40_000, 33_800, 9_800)
    };
    for (idle, ttl) in [(1_500, 1_200_000), (30_000, 1_700_000), (30_000, 600_000)] {
        lru.classes[SESSIONS].record_eviction(idle, Some(ttl), true);
    }
    lru.classes[SESSIONS].record_eviction(600_000, None, false);
    lru.classes[SESSIONS].counters.evicted = 3_500;
    lru.classes[SESSIONS].counters.evicted_distinct = 3_210;
    lru.classes[FEED].counters = Counters {
        evicted: 700,
        evicted_distinct: 700,
        ..counters(5_000, 3_900, 1_050)
    };
    lru.peak_used_memory = 67_100_000;

    let mut vlru = Metrics::new(3);
    vlru.classes[CACHE].counters = Counters {
        evicted: 48_000,
        evicted_distinct: 40_000,
        expired: 1_000,
        ..counters(120_000, 95_500, 31_300)
    };
    vlru.classes[SESSIONS].record_eviction(2_000, Some(900_000), true);
    vlru.classes[SESSIONS].counters = Counters {
        evicted: 12,
        evicted_distinct: 12,
        lost_reads: 20,
        expired: 1_900,
        ..counters(40_000, 39_400, 9_010)
    };
    vlru.classes[FEED].counters = Counters {
        oom_rejected: 300,
        ..counters(5_000, 4_000, 1_000)
    };
    vlru.peak_used_memory = 67_000_000;

    RunResult {
        scenario: "shop-sessions".into(),
        seed: 42,
        maxmemory_bytes: 64 << 20,
        ops: 1_000_000,
        simulated_ms: 3_600_000,
        classes,
        results: vec![
            PolicyRun {
                policy: PolicyKind::NoEviction,
                metrics: noeviction,
            },
            PolicyRun {
                policy: PolicyKind::AllKeysLru,
                metrics: lru,
            },
            PolicyRun {
                policy: PolicyKind::VolatileLru,
                metrics: vlru,
            },
        ],
        unbounded_peak_memory: 83_886_080,
        unbounded_memory: Vec::new(),
        source: Provenance::Scenario {
            path: "scenarios/shop-sessions.toml".into(),
        },
        instance: InstanceConfig {
            maxmemory: 64 << 20,
            ..Default::default()
        },
        cluster: None,
        crash: None,
        phases: None,
        partial: None,
    }
}

const MIB: u64 = 1024 * 1024;

/// A small deterministic generator, so the fixture needs no seeded crate.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() % 1_000_000) as f64 / 1e6
    }
}

/// The classes of [`rich`]: cache, and two critical ones, sessions and jobs.
pub fn classes() -> Vec<ClassInfo> {
    vec![
        ClassInfo {
            name: "cache".into(),
            critical: false,
        },
        ClassInfo {
            name: "sessions".into(),
            critical: true,
        },
        ClassInfo {
            name: "jobs".into(),
            critical: true,
        },
    ]
}

/// A plausible run: memory fills in two minutes, then each policy evicts at
/// its own rates; `noeviction` refuses writes instead.
pub fn rich(policies: &[PolicyKind]) -> RunResult {
    let classes = classes();
    let maxmemory = 64 * MIB;
    let simulated_ms = 600_000;
    let mut results = Vec::new();
    for (pi, &policy) in policies.iter().enumerate() {
        let mut rng = Lcg(42 + pi as u64);
        let mut m = Metrics::new(classes.len());
        // Evictions per second of cache, sessions, jobs once memory is full.
        let rates: [f64; 3] = match policy {
            PolicyKind::NoEviction => [0.0, 0.0, 0.0],
            PolicyKind::AllKeysLru => [180.0, 14.0, 3.0],
            PolicyKind::AllKeysLfu => [190.0, 6.0, 1.0],
            PolicyKind::AllKeysRandom => [120.0, 40.0, 9.0],
            PolicyKind::VolatileTtl => [90.0, 60.0, 0.0],
            _ => [150.0, 20.0, 2.0],
        };
        for t in (0..simulated_ms).step_by(500) {
            let fill = (t as f64 / 120_000.0).min(1.0);
            let jitter = if fill < 1.0 { 0.0 } else { rng.unit() * 0.015 };
            let used = (maxmemory as f64 * (fill * 0.995 - jitter + 0.005)) as u64;
            m.timeline.record_memory(t, used);
            if fill >= 1.0 {
                for (ci, &r) in rates.iter().enumerate() {
                    // Rate ramps up after the limit is reached, with noise.
                    let ramp = ((t - 120_000) as f64 / 200_000.0).min(1.0);
                    let expect = r * 0.5 * ramp * (0.6 + 0.8 * rng.unit());
                    for _ in 0..expect.round() as u64 {
                        m.timeline.record_eviction(t, ci);
                        let idle = match ci {
                            0 => 20_000.0 + rng.unit() * 400_000.0,
                            _ => 60_000.0 + rng.unit() * 900_000.0,
                        };
                        let ttl = (ci != 0 || rng.unit() < 0.5)
                            .then(|| (30_000.0 + rng.unit() * 1_500_000.0) as u64);
                        m.classes[ci].record_eviction(idle as u64, ttl, rng.unit() < 0.9);
                    }
                }
            }
        }
        for (ci, cm) in m.classes.iter_mut().enumerate() {
            let c = &mut cm.counters;
            c.reads = [400_000, 120_000, 30_000][ci];
            c.lost_reads = (c.evicted as f64 * [0.8, 2.5, 1.4][ci]) as u64;
            c.hits = c.reads - c.lost_reads - c.reads / [5, 40, 20][ci];
            c.writes = c.reads / 3;
        }
        if policy == PolicyKind::NoEviction {
            m.classes[0].counters.oom_rejected = 41_234;
            m.classes[1].counters.oom_rejected = 5_120;
        }
        m.peak_used_memory = maxmemory;
        results.push(PolicyRun { policy, metrics: m });
    }
    RunResult {
        scenario: "web-sessions".into(),
        seed: 7,
        maxmemory_bytes: maxmemory,
        ops: 1_250_000,
        simulated_ms,
        classes,
        results,
        unbounded_peak_memory: 96 * MIB,
        unbounded_memory: Vec::new(),
        source: Provenance::Scenario {
            path: "scenarios/web-sessions.toml".into(),
        },
        instance: InstanceConfig {
            maxmemory,
            ..Default::default()
        },
        cluster: None,
        crash: None,
        phases: None,
        partial: None,
    }
}
