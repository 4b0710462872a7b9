//! Entry points shared by the fuzz targets (`fuzz/`, run with `cargo +nightly
//! fuzz`) and by the stable test that replays their corpora
//! (`tests/fuzz_corpus.rs`), so CI checks every corpus file without
//! nightly. Each takes arbitrary bytes and must return without panicking;
//! [`policies`] also checks the model's invariants and panics when one
//! fails.

use crate::conf::{self, LoadOptions};
use crate::model::{AnyInstance, InstanceConfig, PolicyKind, LATENCY_HISTOGRAM};
use crate::op::{Agg, Cmd, HashFields, HashReadSpec, Op, ReadSpec, SetCond, Value};
use crate::source::{Lesson, Scenario};
use crate::trace::{ClassRules, TraceFormat, TraceOptions, TraceReader};

/// Most operations a trace input is read for (a fuzz input is small; this
/// bounds a CacheLib line's `op_count` repetitions).
const MAX_TRACE_OPS: usize = 100_000;

/// Reads `data` as a scenario, and as a lesson.
pub fn scenario(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = Scenario::from_str(text, "fuzz.toml");
    if Lesson::is_lesson(text) {
        let _ = Lesson::from_str(text, "fuzz.toml");
    }
}

/// Reads `data` as a trace of `format` to its end; the first byte picks
/// strict mode and read-through, and the class rules are fixed.
pub fn trace(format: TraceFormat, data: &[u8]) {
    let Some((&flags, body)) = data.split_first() else {
        return;
    };
    let mut opts = TraceOptions::new(format);
    opts.strict = flags & 1 != 0;
    opts.read_through = flags & 2 != 0;
    opts.classes =
        ClassRules::from_cli(&["s=session:*", "c=cache:*"], &["s"]).expect("fixed rules are valid");
    let Ok(mut reader) =
        TraceReader::from_reader("fuzz", std::io::Cursor::new(body.to_vec()), opts)
    else {
        return;
    };
    let _ = reader.by_ref().take(MAX_TRACE_OPS).count();
    let _ = reader.stats();
    let _ = reader.finish();
}

/// Reads `data` as class rules (TOML).
pub fn class_rules(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = ClassRules::from_toml_str(text, "fuzz.toml");
    }
}

/// Reads `data` as a redis.conf. Lines naming `include` are left out: an
/// include reads other files, and `include /dev/zero` never ends (as in
/// redis-server).
pub fn redis_conf(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let text: String = text
        .split_inclusive('\n')
        .filter(|l| !l.to_ascii_lowercase().contains("include"))
        .collect();
    let opts = LoadOptions {
        cwd: Some("/nonexistent-evictsim-fuzz".into()),
    };
    let _ = conf::load_str(&text, "fuzz.conf", &opts);
}

/// Decodes `data` into a command stream (3 bytes a command) and runs it
/// through every policy, checking after every command what Redis
/// promises: used memory stays within one command of `maxmemory` while
/// the policy has keys it may evict, `volatile-*` never evicts a key
/// without a TTL (class 0 keys never get one), `noeviction` never evicts,
/// the memory bookkeeping matches a recount, and the counters add up.
pub fn policies(data: &[u8]) {
    let Some((&limit, rest)) = data.split_first() else {
        return;
    };
    let ops = decode(rest);
    let max = memory_for(20 + u32::from(limit % 100), 300);
    for p in PolicyKind::ALL {
        let c = InstanceConfig {
            maxmemory: max,
            seed: 7,
            ..Default::default()
        };
        let mut inst = AnyInstance::new(p, &c, 2);
        for o in &ops {
            let ks = inst.keyspace();
            let candidates = if p.volatile_only() {
                ks.volatile_len()
            } else {
                ks.len()
            } as u64;
            let evicted_before = inst.metrics().totals().evicted;
            inst.apply_all(std::slice::from_ref(o));
            let ks = inst.keyspace();
            assert_eq!(
                ks.recount_used(c.baseline_memory),
                ks.used_memory(),
                "{p} bookkeeping"
            );
            if let Err(e) = ks.check_consistency() {
                panic!("{p}: {e}");
            }
            let left = if p.volatile_only() {
                ks.volatile_len()
            } else {
                ks.len()
            };
            let ran_out =
                inst.metrics().totals().evicted - evicted_before >= candidates || left == 0;
            if p != PolicyKind::NoEviction && !ran_out {
                let slack = 6_000 + LATENCY_HISTOGRAM;
                assert!(
                    ks.used_memory() <= max + slack,
                    "{p}: used {} > max {max}",
                    ks.used_memory()
                );
            }
        }
        let m = inst.metrics();
        if p.volatile_only() {
            assert_eq!(
                m.classes[0].counters.evicted, 0,
                "{p} evicted a key without TTL"
            );
        }
        if p == PolicyKind::NoEviction {
            assert_eq!(m.totals().evicted, 0, "noeviction evicted");
        }
        let t = m.totals();
        assert!(t.hits <= t.reads, "{p}: hits > reads");
        assert!(t.lost_reads <= t.reads - t.hits, "{p}: lost reads > misses");
        assert!(t.evicted_distinct <= t.evicted, "{p}: distinct > evicted");
        // Every live eviction loses at least what it evicted: one item a
        // string, every element an aggregate.
        assert!(
            t.lost_items >= t.evicted_live(),
            "{p}: fewer items lost than keys evicted"
        );
        assert_eq!(
            t.evicted_live() == 0,
            t.lost_items == 0,
            "{p}: items without evictions"
        );
    }
}

fn op(t_ms: u64, key: u32, cmd: Cmd) -> Op {
    Op {
        t_ms,
        key,
        key_len: 12,
        db: 0,
        class: (key % 2) as u8,
        cmd,
    }
}

/// Three bytes a command: what, which key, an argument. Odd keys are
/// class 1 and may carry a TTL; even keys are class 0 and never do. With
/// bit 0x40, a read is a hash read (HGETALL) and a growth a hash write
/// (HSET of up to 8 fields).
fn decode(data: &[u8]) -> Vec<Op> {
    let mut t = 0u64;
    let mut out = Vec::with_capacity(data.len() / 3);
    for c in data.chunks_exact(3) {
        let (what, key, arg) = (c[0], u32::from(c[1]), u32::from(c[2]));
        t += 1;
        let ttl_ok = key % 2 == 1;
        let cmd = match what % 11 {
            0..=2 => Cmd::Set {
                value: Value::bytes(arg * 6 + 1),
                ttl_ms: if ttl_ok && what & 0x80 != 0 {
                    2_000 + u64::from(key) * 50
                } else {
                    0
                },
                cond: SetCond::Always,
                keep_ttl: false,
            },
            3 | 4 if what & 0x40 != 0 => Cmd::HashRead(HashReadSpec {
                fill: (arg % 2 == 0).then(|| HashFields::new((arg % 8 + 1) as u16, arg % 70 + 1)),
                fill_ttl_ms: if ttl_ok { 2_500 } else { 0 },
                slide_ms: if ttl_ok && arg % 3 == 0 { 2_500 } else { 0 },
            }),
            3 | 4 => Cmd::Read(ReadSpec::default()),
            5 => Cmd::Del,
            6 if ttl_ok => Cmd::Expire { ttl_ms: 3_000 },
            6 => Cmd::Persist,
            7 => Cmd::Append { len: arg + 1 },
            8 if what & 0x40 != 0 => Cmd::HashSet {
                fields: HashFields::new((arg % 8 + 1) as u16, arg % 70 + 1),
                ttl_ms: if ttl_ok && what & 0x80 != 0 { 2_500 } else { 0 },
            },
            8 => Cmd::Grow {
                bytes: i64::from(arg) * 3 - 200,
                elems: if arg >= 67 { 1 } else { -1 },
                kind: if arg % 2 == 0 { Agg::List } else { Agg::Hash },
            },
            9 => Cmd::Pop { elems: arg % 3 },
            _ => {
                t += u64::from(arg) * 20;
                continue;
            }
        };
        // Appends and aggregates on class 0 keys only, as the property
        // test does: they never carry a TTL.
        let key = match cmd {
            Cmd::Append { .. } | Cmd::Grow { .. } | Cmd::Pop { .. } => key & !1,
            _ => key,
        };
        let cmd = match (cmd, key % 2) {
            (Cmd::Expire { .. }, 0) => Cmd::Persist,
            (cmd, _) => cmd,
        };
        out.push(op(t, key, cmd));
    }
    out
}

/// Memory of `n` keys of `len` bytes with no limit.
fn memory_for(n: u32, len: u32) -> u64 {
    let mut i = AnyInstance::new(PolicyKind::NoEviction, &InstanceConfig::default(), 2);
    let ops: Vec<Op> = (0..n)
        .map(|k| {
            op(
                0,
                k,
                Cmd::Set {
                    value: Value::bytes(len),
                    ttl_ms: 0,
                    cond: SetCond::Always,
                    keep_ttl: false,
                },
            )
        })
        .collect();
    i.apply_all(&ops);
    i.keyspace().used_memory()
}
