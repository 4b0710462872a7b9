//! The same trace gives the same numbers whether it arrives as evictsim CSV
//! or as the MONITOR capture of its replay into a real redis-server; job
//! lists (RPUSH, LPOP) included, with the jobs lost when one is evicted.
//!
//! The capture's timestamps are the replay's wall clock, not the CSV's, so
//! the comparison uses the policies whose choices do not depend on the
//! clock: `noeviction`, `allkeys-random` and `exact-lru` (the TTLs are long
//! enough that nothing expires during the run).

mod support;

use evictsim::model::{InstanceConfig, PolicyKind};
use evictsim::op::{Agg, Cmd, Op, SetCond, Value};
use evictsim::sim::{simulate, RunResult, RunSpec};
use evictsim::trace::{ClassRules, CsvWriter, TraceFormat, TraceOptions, TraceReader};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::path::Path;
use support::redis::{encode, Reply, Server};

/// Plain commands (no read-through, nothing the client decides from a
/// reply) over 400 keys.
fn ops() -> Vec<Op> {
    let mut rng = SmallRng::seed_from_u64(11);
    (0..3_000u64)
        .map(|t| {
            if rng.gen_range(0..5) == 0 {
                // Ten job lists: pushes (RPUSH) outnumber pops (LPOP).
                let key = 400 + rng.gen_range(0..10u32);
                let cmd = if rng.gen_range(0..5) < 3 {
                    Cmd::Grow {
                        bytes: rng.gen_range(20..200),
                        elems: 1,
                        kind: Agg::List,
                    }
                } else {
                    Cmd::Pop { elems: 1 }
                };
                return Op {
                    t_ms: t / 10,
                    key,
                    key_len: 8,
                    db: 0,
                    class: 0,
                    cmd,
                };
            }
            let key = rng.gen_range(0..400u32);
            let cmd = match rng.gen_range(0..10) {
                0..=3 => Cmd::Set {
                    value: Value::bytes(rng.gen_range(10..600)),
                    ttl_ms: if key % 2 == 0 { 3_600_000 } else { 0 },
                    cond: SetCond::Always,
                    keep_ttl: false,
                },
                4..=6 => Cmd::Read(Default::default()),
                7 => Cmd::Del,
                8 => Cmd::Expire { ttl_ms: 7_200_000 },
                _ => Cmd::Append {
                    len: rng.gen_range(1..50),
                },
            };
            Op {
                t_ms: t / 10,
                key,
                key_len: 8,
                db: 0,
                class: 0,
                cmd,
            }
        })
        .collect()
}

fn name(key: u32) -> String {
    format!("key:{key:04}")
}

/// The Redis command of a plain op.
fn command(op: &Op) -> Vec<Vec<u8>> {
    let k = name(op.key).into_bytes();
    let s = |x: &str| x.as_bytes().to_vec();
    match op.cmd {
        Cmd::Set { value, ttl_ms, .. } if ttl_ms > 0 => {
            vec![
                s("SET"),
                k,
                vec![b'v'; value.len as usize],
                s("PX"),
                ttl_ms.to_string().into_bytes(),
            ]
        }
        Cmd::Set { value, .. } => vec![s("SET"), k, vec![b'v'; value.len as usize]],
        Cmd::Read(_) => vec![s("GET"), k],
        Cmd::Del => vec![s("DEL"), k],
        Cmd::Expire { ttl_ms } => vec![s("PEXPIRE"), k, ttl_ms.to_string().into_bytes()],
        Cmd::Append { len } => vec![s("APPEND"), k, vec![b'a'; len as usize]],
        Cmd::Grow { bytes, .. } => vec![s("RPUSH"), k, vec![b'j'; bytes as usize]],
        Cmd::Pop { .. } => vec![s("LPOP"), k],
        _ => unreachable!("the generator makes only the commands above"),
    }
}

fn replay(path: &Path, format: TraceFormat) -> RunResult {
    let mut o = TraceOptions::new(format);
    o.classes = ClassRules::new();
    o.strict = true;
    let mut reader = TraceReader::open(path, o).expect("trace opens");
    let spec = RunSpec {
        scenario: "equivalence".into(),
        seed: 1,
        instance: InstanceConfig {
            // Room for the latency histograms of the seven commands used
            // (about 174 KB) and 60 KB of keys.
            maxmemory: InstanceConfig::default().baseline_memory + 234_000,
            seed: 1,
            ..Default::default()
        },
        policies: vec![
            PolicyKind::NoEviction,
            PolicyKind::AllKeysRandom,
            PolicyKind::ExactLru,
        ],
        classes: reader.class_infos(),
        duration_ms: 0,
        source: Default::default(),
    };
    let r = simulate(&spec, reader.by_ref(), |_, _| {});
    let stats = reader.finish().expect("trace reads to the end");
    // Only the test's own PING and ECHO are not modelled.
    assert!(
        stats
            .unknown_commands
            .keys()
            .all(|c| c == "PING" || c == "ECHO"),
        "{:?}",
        stats.unknown_commands
    );
    r
}

#[test]
fn csv_and_its_monitor_capture_give_the_same_numbers() {
    let Some(server) = Server::start(&[]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ops = ops();
    // The CSV.
    let csv = dir.path().join("trace.csv");
    let mut w = CsvWriter::create(&csv).unwrap();
    for op in &ops {
        w.write_op(op, name(op.key).as_bytes()).unwrap();
    }
    w.close().unwrap();
    // Its replay into Redis, captured by MONITOR.
    let capture = dir.path().join("monitor.log");
    let Some(monitor) = support::redis::Monitor::start(&server, &capture) else {
        return;
    };
    let mut c = server.client();
    for op in &ops {
        let args = command(op);
        let refs: Vec<&[u8]> = args.iter().map(|a| &a[..]).collect();
        let mut buf = Vec::new();
        encode(&refs, &mut buf);
        let reply = c.pipeline(&buf, 1).remove(0);
        assert!(!matches!(reply, Reply::Error(_)), "{reply:?}");
    }
    monitor.finish(&mut c);
    // The harness's own commands (the PINGs that wait for the capture, the
    // closing ECHO) are not the workload's: the CSV has no such lines, and
    // each command name costs the capture's model a latency histogram.
    let text = std::fs::read_to_string(&capture).unwrap();
    let workload: String = text
        .lines()
        .filter(|l| !l.contains("\"PING\"") && !l.contains("\"ECHO\""))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&capture, workload).unwrap();

    let from_csv = replay(&csv, TraceFormat::Csv);
    let from_monitor = replay(&capture, TraceFormat::Monitor);
    assert_eq!(from_csv.ops, 3_000);
    assert_eq!(
        from_monitor.ops, from_csv.ops,
        "the capture holds the same operations"
    );
    for (a, b) in from_csv.results.iter().zip(&from_monitor.results) {
        let (ta, tb) = (a.metrics.totals(), b.metrics.totals());
        assert_eq!(ta, tb, "{}: csv vs monitor capture", a.policy);
    }
    let exact = from_csv.results[2].metrics.totals();
    assert!(exact.evicted > 100, "the run must be under memory pressure");
    // Lists were evicted holding several jobs, and their pops were reads.
    assert!(
        exact.lost_items > exact.evicted_live(),
        "{} items, {} evictions",
        exact.lost_items,
        exact.evicted_live()
    );
    let lists_popped = ops
        .iter()
        .filter(|o| matches!(o.cmd, Cmd::Pop { .. }))
        .count() as u64;
    assert!(lists_popped > 100);
}
