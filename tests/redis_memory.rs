//! The memory formula against a real redis-server: for a grid of key
//! lengths, value sizes, integers and TTLs, load the same keys into Redis
//! and into the model and compare `used_memory` per key.
//!
//! Needs redis-server (`.ci/run` installs it); skipped with a message when it
//! is missing outside CI.

mod support;

use evictsim::model::policy::NoEviction;
use evictsim::model::{Instance, InstanceConfig};
use evictsim::op::{Cmd, Op, SetCond, Value};
use support::redis::{encode, Server};

const N: u32 = 20_000;

struct Cell {
    key_len: usize,
    value: String,
    ttl_s: u64,
}

fn key(i: u32, len: usize) -> String {
    let digits = format!("{i:08}");
    let prefix = "k".repeat(len - digits.len() - 1);
    format!("{prefix}:{digits}")
}

fn real_per_key(server: &Server, cell: &Cell) -> f64 {
    let mut c = server.client();
    c.cmd(&["FLUSHALL", "SYNC"]);
    let before = c.info_field("used_memory");
    let ttl = cell.ttl_s.to_string();
    for chunk in (0..N).collect::<Vec<_>>().chunks(200) {
        let mut buf = Vec::new();
        for &i in chunk {
            let k = key(i, cell.key_len);
            if cell.ttl_s > 0 {
                encode(
                    &[
                        b"SET",
                        k.as_bytes(),
                        cell.value.as_bytes(),
                        b"EX",
                        ttl.as_bytes(),
                    ],
                    &mut buf,
                );
            } else {
                encode(&[b"SET", k.as_bytes(), cell.value.as_bytes()], &mut buf);
            }
        }
        c.pipeline(&buf, chunk.len());
    }
    let after = c.info_field("used_memory");
    (after as f64 - before as f64) / N as f64
}

fn model_per_key(cell: &Cell) -> f64 {
    let cfg = InstanceConfig::default();
    let mut inst = Instance::<NoEviction>::new(&cfg, 1);
    let value = match cell.value.parse::<i64>() {
        Ok(v) => Value::integer(v),
        Err(_) => Value::bytes(cell.value.len() as u32),
    };
    for i in 0..N {
        inst.apply(&Op {
            t_ms: 0,
            key: i,
            key_len: cell.key_len as u16,
            db: 0,
            class: 0,
            cmd: Cmd::Set {
                value,
                ttl_ms: cell.ttl_s * 1000,
                cond: SetCond::Always,
                keep_ttl: false,
            },
        });
    }
    (inst.keyspace().used_memory() - cfg.baseline_memory) as f64 / N as f64
}

#[test]
fn per_key_memory_matches_real_redis_within_5_percent() {
    let Some(server) = Server::start(&[]) else {
        return;
    };
    let mut cells = Vec::new();
    for key_len in [12, 40] {
        for vlen in [10, 44, 45, 100, 500, 4000] {
            for ttl_s in [0, 3600] {
                cells.push(Cell {
                    key_len,
                    value: "v".repeat(vlen),
                    ttl_s,
                });
            }
        }
        for int in ["123", "1234567"] {
            cells.push(Cell {
                key_len,
                value: int.into(),
                ttl_s: 0,
            });
        }
    }
    let mut worst: f64 = 0.0;
    let mut table = String::from("key_len value_len ttl   real  model  error\n");
    for cell in &cells {
        let real = real_per_key(&server, cell);
        let model = model_per_key(cell);
        let err = (model - real) / real;
        worst = worst.max(err.abs());
        table += &format!(
            "{:>7} {:>9} {:>3} {:>6.1} {:>6.1} {:>+5.1}%\n",
            cell.key_len,
            cell.value.len(),
            if cell.ttl_s > 0 { "yes" } else { "no" },
            real,
            model,
            err * 100.0
        );
    }
    println!("{table}");
    assert!(
        worst < 0.05,
        "largest error {:.1}% > 5%:\n{table}",
        worst * 100.0
    );
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
