//! Simulator memory per resident key: RSS growth of one instance after it
//! replays a read-through Zipf(1.0) workload over `KEYS` keys with
//! `maxmemory` at 10% of the working set (the op stream is built before the
//! first reading and excluded).
//!
//! `cargo run --release --example footprint [--ttl] [POLICY...]`: each
//! policy is best measured in a process of its own, as RSS freed by one
//! instance is not always given back before the next is measured. With
//! `--ttl` every fill carries a 1-hour TTL (what `volatile-*` need to evict).

use evictsim::model::{AnyInstance, InstanceConfig, PolicyKind};
use evictsim::op::{Cmd, Op, ReadSpec, Value};
use rand::rngs::SmallRng;
use rand::SeedableRng;
use rand_distr::{Distribution, Zipf};

const KEYS: u64 = 1_000_000;
const OPS: usize = 4_000_000;

fn rss_bytes() -> u64 {
    let s = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = s
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn read(key: u32, t: u64, ttl_ms: u64) -> Op {
    Op {
        t_ms: t,
        key,
        key_len: 16,
        db: 0,
        class: 0,
        cmd: Cmd::Read(ReadSpec {
            fill: Some(Value::bytes(100)),
            fill_ttl_ms: ttl_ms,
            slide_ms: 0,
        }),
    }
}

fn main() {
    let ttl_ms = if std::env::args().any(|a| a == "--ttl") {
        3_600_000
    } else {
        0
    };
    let mut rng = SmallRng::seed_from_u64(42);
    let zipf = Zipf::new(KEYS, 1.0).expect("valid zipf");
    let ops: Vec<Op> = (0..OPS)
        .map(|i| read(zipf.sample(&mut rng) as u32 - 1, i as u64 / 100, ttl_ms))
        .collect();
    // 190 B of Redis memory per key: 10% of the working set.
    let cfg = InstanceConfig {
        maxmemory: InstanceConfig::default().baseline_memory + KEYS * 190 / 10,
        ..Default::default()
    };
    println!("policy           resident keys  key ids seen  RSS growth  B/resident key");
    let named: Vec<PolicyKind> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let policies = if named.is_empty() {
        vec![
            PolicyKind::AllKeysLru,
            PolicyKind::AllKeysLfu,
            PolicyKind::ExactLru,
        ]
    } else {
        named
    };
    for p in policies {
        let before = rss_bytes();
        let mut inst = AnyInstance::new(p, &cfg, 1);
        inst.apply_all(&ops);
        let grown = rss_bytes().saturating_sub(before);
        let resident = inst.keyspace().len() as u64;
        let seen = ops.iter().map(|o| o.key).max().unwrap_or(0) as u64 + 1;
        println!(
            "{:<16} {:>13} {:>13} {:>9.1} MB {:>15.1}",
            p.name(),
            resident,
            seen,
            grown as f64 / 1e6,
            grown as f64 / resident.max(1) as f64
        );
        drop(inst);
    }
}
