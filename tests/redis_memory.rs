//! The memory formula against a real redis-server, for what `evictsim
//! calibrate` (tested in `tests/validate.rs`) does not cover: APPEND's growth
//! step by step, and the empty server's baseline.
//!
//! Needs redis-server (`.ci/run` installs it); skipped with a message when it
//! is missing outside CI.

mod support;

use evictsim::model::policy::NoEviction;
use evictsim::model::{Instance, InstanceConfig};
use evictsim::op::{Cmd, Op, SetCond, Value};
use support::redis::{encode, Server};

fn key(i: u32, len: usize) -> String {
    let digits = format!("{i:08}");
    let prefix = "k".repeat(len - digits.len() - 1);
    format!("{prefix}:{digits}")
}

/// The empty server's `used_memory` the model starts from.
#[test]
fn baseline_matches_an_empty_server_within_10_percent() {
    let Some(server) = Server::start(&[]) else {
        return;
    };
    let mut c = server.client();
    let real = c.info_field("used_memory") as f64;
    let model = InstanceConfig::default().baseline_memory as f64;
    assert!(
        (model - real).abs() / real < 0.10,
        "baseline {model} vs real {real}"
    );
}

/// APPEND's memory, step by step: Redis copies an EMBSTR into an exact RAW
/// string, then reallocates greedily only when the capacity runs out.
#[test]
fn append_growth_matches_real_redis() {
    let Some(server) = Server::start(&[]) else {
        return;
    };
    let mut c = server.client();
    const K: u32 = 20_000;
    let cfg = InstanceConfig::default();
    let mut inst = Instance::<NoEviction>::new(&cfg, 1);
    let op = |i: u32, cmd: Cmd| Op {
        t_ms: 0,
        key: i,
        key_len: 12,
        db: 0,
        class: 0,
        cmd,
    };
    let mut real = Vec::new();
    let mut model = Vec::new();
    let mut step = |c: &mut support::redis::Client, inst: &mut Instance<NoEviction>, set: bool| {
        let before = c.info_field("used_memory") as f64;
        let model_before = inst.keyspace().used_memory() as f64;
        let mut buf = Vec::new();
        for i in 0..K {
            if i % 100 == 0 && !buf.is_empty() {
                // Small pipelines: a client's query buffer counts in used_memory.
                c.pipeline(&buf, 100);
                buf.clear();
            }
            let k = key(i, 12);
            if set {
                encode(&[b"SET", k.as_bytes(), b"0123456789"], &mut buf);
                inst.apply(&op(
                    i,
                    Cmd::Set {
                        value: Value::bytes(10),
                        ttl_ms: 0,
                        cond: SetCond::Always,
                        keep_ttl: false,
                    },
                ));
            } else {
                encode(&[b"APPEND", k.as_bytes(), b"abcdefghij"], &mut buf);
                inst.apply(&op(i, Cmd::Append { len: 10 }));
            }
        }
        c.pipeline(&buf, 100);
        real.push((c.info_field("used_memory") as f64 - before) / K as f64);
        model.push((inst.keyspace().used_memory() as f64 - model_before) / K as f64);
    };
    step(&mut c, &mut inst, true);
    for _ in 0..12 {
        step(&mut c, &mut inst, false);
    }
    // Per step, the model's growth per key within 2 bytes of Redis's.
    let fmt = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x:.0}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    for (i, (r, m)) in real.iter().zip(&model).enumerate().skip(1) {
        assert!(
            (r - m).abs() <= 2.0,
            "step {i}: real {}\nmodel {}",
            fmt(&real),
            fmt(&model)
        );
    }
}
