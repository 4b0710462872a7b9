//! Operations per second of each policy on a seeded read-through workload:
//! 1M keys, Zipf(1.0) popularity, 100-byte values, maxmemory at 10% of what
//! the whole working set needs. Set-up (the op stream, the instance) stays
//! outside the timed part.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use evictsim::model::{AnyInstance, InstanceConfig, PolicyKind};
use evictsim::op::{Cmd, Op, ReadSpec, Value};
use evictsim::sim::{simulate, ClassInfo, RunSpec};
use rand::rngs::SmallRng;
use rand::SeedableRng;
use rand_distr::{Distribution, Zipf};

const KEYS: u64 = 1_000_000;
const OPS: usize = 2_000_000;

fn workload() -> Vec<Op> {
    let mut rng = SmallRng::seed_from_u64(42);
    let zipf = Zipf::new(KEYS, 1.0).expect("valid zipf");
    (0..OPS)
        .map(|i| {
            let rank = zipf.sample(&mut rng) as u32 - 1;
            Op {
                // 100k operations per simulated second.
                t_ms: i as u64 / 100,
                key: rank,
                key_len: 16,
                db: 0,
                class: 0,
                cmd: Cmd::Read(ReadSpec {
                    fill: Some(Value::bytes(100)),
                    fill_ttl_ms: 0,
                    slide_ms: 0,
                }),
            }
        })
        .collect()
}

/// maxmemory at 10% of the working set's memory (every key resident).
fn maxmemory() -> u64 {
    let cfg = InstanceConfig::default();
    let mut all = AnyInstance::new(PolicyKind::NoEviction, &cfg, 1);
    let fill: Vec<Op> = (0..KEYS as u32)
        .map(|k| Op {
            t_ms: 0,
            key: k,
            key_len: 16,
            db: 0,
            class: 0,
            cmd: Cmd::Read(ReadSpec {
                fill: Some(Value::bytes(100)),
                fill_ttl_ms: 0,
                slide_ms: 0,
            }),
        })
        .collect();
    all.apply_all(&fill);
    let keys = all.keyspace().used_memory() - cfg.baseline_memory;
    cfg.baseline_memory + keys / 10
}

fn policies(c: &mut Criterion) {
    let ops = workload();
    let cfg = InstanceConfig {
        maxmemory: maxmemory(),
        seed: 1,
        ..Default::default()
    };
    let mut g = c.benchmark_group("zipf1.0_1M_keys_10pct");
    g.throughput(Throughput::Elements(ops.len() as u64));
    g.sample_size(10);
    for p in PolicyKind::ALL {
        // Volatile policies would only refuse (no key has a TTL): give them
        // the same workload with TTLs so they evict.
        let ops: Vec<Op> = if p.volatile_only() {
            ops.iter()
                .map(|o| {
                    let mut o = *o;
                    if let Cmd::Read(ref mut r) = o.cmd {
                        r.fill_ttl_ms = 3_600_000;
                    }
                    o
                })
                .collect()
        } else {
            ops.clone()
        };
        g.bench_function(p.name(), |b| {
            b.iter_batched(
                || AnyInstance::new(p, &cfg, 1),
                |mut inst| {
                    inst.apply_all(&ops);
                    inst
                },
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

/// Four policies (plus the unbounded reference instance) in one pass over
/// the stream, on 1 and on 2 threads.
fn sweep(c: &mut Criterion) {
    let ops = workload();
    let spec = RunSpec {
        scenario: "zipf".into(),
        seed: 1,
        instance: InstanceConfig {
            maxmemory: maxmemory(),
            seed: 1,
            ..Default::default()
        },
        policies: vec![
            PolicyKind::AllKeysLru,
            PolicyKind::AllKeysLfu,
            PolicyKind::AllKeysRandom,
            PolicyKind::ExactLru,
        ],
        classes: vec![ClassInfo {
            name: "cache".into(),
            critical: false,
        }],
        duration_ms: 0,
        source: Default::default(),
    };
    let mut g = c.benchmark_group("sweep_4_policies");
    g.throughput(Throughput::Elements(ops.len() as u64));
    g.sample_size(10);
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("thread pool");
        g.bench_function(format!("{threads}_threads"), |b| {
            b.iter(|| pool.install(|| simulate(&spec, ops.iter().copied(), |_, _| {})))
        });
    }
    g.finish();
}

criterion_group!(benches, policies, sweep);
criterion_main!(benches);
