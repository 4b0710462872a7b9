//! Trace readers end to end: the published samples in `tests/fixtures/traces`,
//! small files the tests write (plain, `.gz`, `.zst`), strict and lenient
//! handling of broken lines, the CSV writer's round trip, streaming a
//! million lines, random bytes into every parser, and a MONITOR capture
//! taken from a real redis-server.

#[path = "support/formats.rs"]
mod formats;
#[allow(dead_code)]
mod support;

use evictsim::model::{InstanceConfig, MemoryModel, PolicyKind};
use evictsim::op::{Agg, Cmd, Op, ReadSpec, SetCond, Value};
use evictsim::sim::{simulate, simulate_one, ClassInfo, RunSpec};
use evictsim::trace::{
    oracle_general_record, ClassRules, CsvWriteError, CsvWriter, TraceError, TraceFormat,
    TraceOptions, TraceReader, TraceStats,
};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------- helpers

/// The published trace samples kept in the repository (their sources are in
/// `tests/fixtures/traces/README.md`).
fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/traces")
}

fn opts(format: TraceFormat) -> TraceOptions {
    TraceOptions::new(format)
}

/// Every operation of the file but a capture's command names
/// ([`Cmd::Ran`]), which [`read_all_named`] keeps.
fn read_all(path: &Path, o: TraceOptions) -> (Vec<Op>, TraceReader) {
    let (ops, r) = read_all_named(path, o);
    let ops = ops
        .into_iter()
        .filter(|o| !matches!(o.cmd, Cmd::Ran { .. }))
        .collect();
    (ops, r)
}

/// Every operation the reader gives, a capture's command names included.
fn read_all_named(path: &Path, o: TraceOptions) -> (Vec<Op>, TraceReader) {
    let mut r = TraceReader::open(path, o).unwrap_or_else(|e| panic!("{e}: {e:?}"));
    let ops: Vec<Op> = r.by_ref().collect();
    (ops, r)
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn gzip(src: &Path, dst: &Path) {
    let data = std::fs::read(src).unwrap();
    let mut e = flate2::write::GzEncoder::new(
        std::fs::File::create(dst).unwrap(),
        flate2::Compression::default(),
    );
    e.write_all(&data).unwrap();
    e.finish().unwrap();
}

fn zstd_file(src: &Path, dst: &Path) {
    let data = std::fs::read(src).unwrap();
    std::fs::write(dst, zstd::encode_all(&data[..], 3).unwrap()).unwrap();
}

fn names(r: &TraceReader) -> HashMap<Vec<u8>, u32> {
    r.key_names()
        .into_iter()
        .enumerate()
        .map(|(id, (_, n))| (n, id as u32))
        .collect()
}

fn read_fill(op: &Op) -> Option<u32> {
    match op.cmd {
        Cmd::Read(ReadSpec { fill, .. }) => fill.map(|v| v.len),
        _ => None,
    }
}

fn set_value(op: &Op) -> Option<Value> {
    match op.cmd {
        Cmd::Set { value, .. } => Some(value),
        _ => None,
    }
}

// ---------------------------------------------------------------- samples

#[test]
fn twitter_sample_parses_every_line() {
    let dir = samples();
    let mut o = opts(TraceFormat::Twitter);
    o.read_through = true;
    o.classes = ClassRules::from_cli(&["meta=yDqF:*"], &["meta"]).unwrap();
    let (ops, r) = read_all(&dir.join("twitter_sample.csv"), o);
    let s = r.stats();
    assert_eq!((s.lines, s.ops, s.skipped_malformed), (100, 100, 0));
    assert!(s.unknown_commands.is_empty(), "{:?}", s.unknown_commands);
    assert_eq!(s.distinct_keys, 85);
    let reads = ops.iter().filter(|o| matches!(o.cmd, Cmd::Read(_))).count();
    let cond = |c: SetCond| {
        ops.iter()
            .filter(|o| matches!(o.cmd, Cmd::Set { cond, .. } if cond == c))
            .count()
    };
    assert_eq!(reads, 93, "91 get + 2 gets");
    assert_eq!(cond(SetCond::IfAbsent), 5, "add");
    assert_eq!(cond(SetCond::IfPresent), 2, "cas");
    assert!(ops.iter().all(|o| o.t_ms == 0 && o.db == 0));
    // First line: 0,q:q:1:8WTwl7huJeQ,17,249,1,get,0
    assert_eq!((ops[0].key_len, read_fill(&ops[0])), (17, Some(249)));
    assert_eq!(ops[0].class, 1, "q:q:... is other");
    // 0,yDqF:vS:GKA9AK1xJxJ9nKA991,26,27,18,add,86400
    let add = ops.iter().find(|o| set_value(o).is_some()).unwrap();
    assert_eq!(add.key_len, 26);
    assert_eq!(add.class, 0);
    assert_eq!(
        add.cmd,
        Cmd::Set {
            value: Value::bytes(27),
            ttl_ms: 86_400_000,
            cond: SetCond::IfAbsent,
            keep_ttl: false
        }
    );
    // 0,q:q:1:MYY8VvHze8,16,0,2,get,0: logged size 0, no size known yet.
    assert_eq!(read_fill(&ops[1]), Some(64));
    assert_eq!(
        r.class_infos(),
        vec![
            ClassInfo {
                name: "meta".into(),
                critical: true
            },
            ClassInfo {
                name: "other".into(),
                critical: false
            }
        ]
    );
}

#[test]
fn cachelib_sample_repeats_op_count() {
    let dir = samples();
    let (ops, r) = read_all(
        &dir.join("cachelib_kv_sample.csv"),
        opts(TraceFormat::Cachelib),
    );
    let s = r.stats();
    assert_eq!((s.lines, s.skipped_malformed, s.distinct_keys), (40, 0, 27));
    assert_eq!(s.ops, 120, "sum of op_count");
    assert_eq!(ops.len(), 120);
    let count = |f: &dyn Fn(&Cmd) -> bool| ops.iter().filter(|o| f(&o.cmd)).count();
    assert_eq!(count(&|c| matches!(c, Cmd::Read(_))), 109);
    assert_eq!(count(&|c| matches!(c, Cmd::Set { .. })), 8);
    assert_eq!(count(&|c| matches!(c, Cmd::Del)), 3);
    assert!(
        count(&|c| *c == Cmd::Read(ReadSpec::default())) == 109,
        "no fill"
    );
    // 604038471,a54f88ab02ece24d,24,GET,3,...: three reads of a 24-byte key.
    assert_eq!(ops[1..4].iter().filter(|o| o.key == ops[1].key).count(), 3);
    assert_eq!(ops[1].key_len, 24);
    // 604038473,828769c1e1ce3a29,67,SET,1,65,0,7200: two seconds in.
    let set = ops.iter().find(|o| set_value(o).is_some()).unwrap();
    assert_eq!((set.t_ms, set.key_len), (2000, 67));
    assert_eq!(
        set.cmd,
        Cmd::Set {
            value: Value::bytes(65),
            ttl_ms: 7_200_000,
            cond: SetCond::Always,
            keep_ttl: false
        }
    );
    assert_eq!(ops.last().unwrap().t_ms, 7000);
    assert!(ops.windows(2).all(|w| w[0].t_ms <= w[1].t_ms));
}

#[test]
fn cachelib_read_through_fills_with_the_row_size() {
    let dir = samples();
    let mut o = opts(TraceFormat::Cachelib);
    o.read_through = true;
    let (ops, _) = read_all(&dir.join("cachelib_kv_sample.csv"), o);
    // 82131353f9ddc8c6,48,GET,1,87: fills 87 bytes.
    assert_eq!(read_fill(&ops[0]), Some(87));
    assert!(ops
        .iter()
        .filter(|o| matches!(o.cmd, Cmd::Read(_)))
        .all(|o| read_fill(o).is_some()));
}

#[test]
fn a_trace_replays_through_the_simulator() {
    let dir = samples();
    let mut o = opts(TraceFormat::Cachelib);
    o.read_through = true;
    let mut r = TraceReader::open(dir.join("cachelib_kv_sample.csv"), o).unwrap();
    let spec = RunSpec {
        scenario: "cachelib_kv_sample".into(),
        seed: 1,
        instance: InstanceConfig {
            maxmemory: 2_000,
            memory_model: MemoryModel::Raw,
            ..InstanceConfig::default()
        },
        policies: vec![PolicyKind::AllKeysLru, PolicyKind::AllKeysRandom],
        classes: r.class_infos(),
        duration_ms: 0,
        source: Default::default(),
    };
    let res = simulate(&spec, r.by_ref(), |_, _| {});
    let stats = r.finish().unwrap();
    assert_eq!(res.ops, stats.ops);
    assert_eq!(res.simulated_ms, 7000);
    for p in &res.results {
        assert_eq!(p.metrics.totals().reads, 109);
    }
}

#[test]
fn the_threaded_reader_replays_every_format_as_a_sequential_replay_does() {
    // `simulate` reads the file on a thread of its own, batches ahead of
    // the model (and the oracleGeneral reader fetches interner slots ahead
    // of the records); `simulate_one` replays operations read beforehand,
    // one batch after another. Every counter of every policy must agree.
    let dir = tempfile::tempdir().unwrap();
    for &format in TraceFormat::ALL {
        let path = dir.path().join(format!("t.{}", format.name()));
        std::fs::write(&path, formats::generate(format, 40_000, 4_000)).unwrap();
        let mut o = opts(format);
        o.read_through = true;
        let (ops, r) = read_all_named(&path, o.clone());
        let spec = RunSpec {
            scenario: "t".into(),
            seed: 3,
            instance: InstanceConfig {
                maxmemory: 1_500_000,
                seed: 3,
                ..InstanceConfig::default()
            },
            policies: vec![
                PolicyKind::AllKeysLru,
                PolicyKind::AllKeysLfu,
                PolicyKind::VolatileTtl,
                PolicyKind::ExactLru,
            ],
            classes: r.class_infos(),
            duration_ms: 0,
            source: Default::default(),
        };
        let mut streamed = TraceReader::open(&path, o).unwrap();
        let threaded = simulate(&spec, streamed.by_ref(), |_, _| {});
        let named = ops.iter().filter(|o| matches!(o.cmd, Cmd::Ran { .. }));
        assert_eq!(
            threaded.ops,
            (ops.len() - named.count()) as u64,
            "{}: a capture's command names are not operations",
            format.name()
        );
        for run in &threaded.results {
            let alone = simulate_one(&spec, run.policy, &ops);
            assert_eq!(
                format!("{:?}", run.metrics),
                format!("{:?}", alone.metrics),
                "{} under {}",
                format.name(),
                run.policy
            );
        }
        let t = threaded.results[0].metrics.totals();
        assert!(t.evicted > 1_000, "{}: {t:?}", format.name());
    }
}

// ---------------------------------------------------------------- csv

const CSV: &str = "\
t_ms,op,key,value_bytes,ttl_ms,db,slide_ms
# a comment
0,SET,session:9,512,1800000,0,
15,GET,session:9,,,0,
20,get,page:/home,2048,60000,1,
21,GET,session:9,512,1800000,,900000
31,SET NX,lock:job:7,1,30000,,
32,SET XX KEEPTTL,lock:job:7,int:42,,,
33,SETEX,s,3,5,,
40,INCRBY,counter:hits,5,,0,
41,DECRBY,counter:hits,2,,0,
42,INCR,rate:1,,1000,,
43,INCR,counter:hits,,,,
44,DECR,counter:hits
50,GROW,queue:mail,120,,0,
51,SHRINK,queue:mail,20,,0,
60,APPEND,log,10,,,
61,EXPIRE,session:9,,5000,,
62,PERSIST,session:9,,,,
63,TTL,session:9,,,,
64,GETDEL,lock:job:7,,,,
65,DEL,\"a,\"\"b\"\"\",,,,
70,FLUSHALL,,,,,
";

#[test]
fn csv_every_op() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "t.csv", CSV);
    let (ops, r) = read_all(&p, opts(TraceFormat::Csv));
    let s = r.stats();
    assert_eq!(s.skipped_malformed, 0, "{:?}", s.first_errors);
    assert_eq!(s.unknown_commands.get("FLUSHALL"), Some(&1));
    let cmds: Vec<Cmd> = ops.iter().map(|o| o.cmd).collect();
    let set = |len, ttl_ms, cond, keep_ttl| Cmd::Set {
        value: Value::bytes(len),
        ttl_ms,
        cond,
        keep_ttl,
    };
    let expected = vec![
        set(512, 1_800_000, SetCond::Always, false),
        Cmd::Read(ReadSpec::default()),
        Cmd::Read(ReadSpec {
            fill: Some(Value::bytes(2048)),
            fill_ttl_ms: 60_000,
            slide_ms: 0,
        }),
        Cmd::Read(ReadSpec {
            fill: Some(Value::bytes(512)),
            fill_ttl_ms: 1_800_000,
            slide_ms: 900_000,
        }),
        set(1, 30_000, SetCond::IfAbsent, false),
        Cmd::Set {
            value: Value::integer(42),
            ttl_ms: 0,
            cond: SetCond::IfPresent,
            keep_ttl: true,
        },
        set(3, 5, SetCond::Always, false),
        Cmd::IncrBy { delta: 5 },
        Cmd::IncrBy { delta: -2 },
        Cmd::IncrWindow { window_ms: 1000 },
        Cmd::IncrBy { delta: 1 },
        Cmd::IncrBy { delta: -1 },
        Cmd::Grow {
            bytes: 120,
            elems: 1,
            kind: Agg::List,
        },
        Cmd::Grow {
            bytes: -20,
            elems: -1,
            kind: Agg::List,
        },
        Cmd::Append { len: 10 },
        Cmd::Expire { ttl_ms: 5000 },
        Cmd::Persist,
        Cmd::Peek,
        Cmd::GetDel,
        Cmd::Del,
    ];
    assert_eq!(cmds, expected);
    assert_eq!(ops[2].db, 1);
    assert_eq!(ops[2].key_len, "page:/home".len() as u16);
    let n = names(&r);
    assert!(n.contains_key(b"a,\"b\"".as_slice()), "{n:?}");
    assert_eq!(ops.last().unwrap().t_ms, 65);
}

#[test]
fn csv_header_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    for (text, needle) in [
        ("time,op,key\n0,GET,a\n", "header"),
        (
            "t_ms,op,key,value_bytes,ttl_ms,color\n",
            "unknown column 'color'",
        ),
        ("t_ms,op,key,value_bytes,ttl_ms,db,db\n", "twice"),
    ] {
        let p = write(dir.path(), "h.csv", text);
        let e = TraceReader::open(&p, opts(TraceFormat::Csv)).err().unwrap();
        assert!(matches!(e, TraceError::Header { line: 1, .. }), "{e:?}");
        let msg = e.to_string();
        assert!(msg.starts_with(&format!("{}:1: ", p.display())), "{msg}");
        assert!(msg.contains(needle), "{msg}");
    }
}

#[test]
fn empty_traces_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    for (format, name, text) in [
        (TraceFormat::Csv, "e.csv", ""),
        (
            TraceFormat::Csv,
            "h.csv",
            "t_ms,op,key,value_bytes,ttl_ms\n\n",
        ),
        (TraceFormat::Monitor, "m.log", "OK\n"),
        (TraceFormat::Twitter, "t.csv", "garbage\nmore garbage\n"),
        (TraceFormat::Cachelib, "c.csv", "op_time,key,op\n"),
        (TraceFormat::OracleGeneral, "o.bin", ""),
    ] {
        let p = write(dir.path(), name, text);
        let e = TraceReader::open(&p, opts(format)).err().unwrap();
        assert!(matches!(e, TraceError::Empty { .. }), "{format}: {e:?}");
        assert!(e.to_string().contains(name), "{e}");
        assert!(e.to_string().contains("no operation"), "{e}");
    }
    let e = TraceReader::open(dir.path().join("t.csv"), opts(TraceFormat::Twitter))
        .err()
        .unwrap();
    assert!(e.to_string().contains("2 lines read, 2 malformed"), "{e}");
}

#[test]
fn a_missing_file_and_an_unknown_format_are_named() {
    let e = TraceReader::open("/nonexistent/trace.csv.zst", opts(TraceFormat::Csv))
        .err()
        .unwrap();
    assert!(matches!(&e, TraceError::Open { file, .. } if file == "/nonexistent/trace.csv.zst"));
    assert!(e.to_string().contains("/nonexistent/trace.csv.zst"), "{e}");
    let e = "memcache".parse::<TraceFormat>().unwrap_err();
    assert!(
        e.to_string().contains("unknown trace format 'memcache'"),
        "{e}"
    );
}

// ---------------------------------------------------------------- strict / lenient

const BROKEN: &str = "\
t_ms,op,key,value_bytes,ttl_ms
0,SET,a,10,0
x,SET,b,10,0
2,SET,c,ten,0
3,GET,d
4,SET,\"e,1,0
5,SET,f,10,0,9,9
6,SET,g
7,SET,h,1,-5
8,GET,i
";

#[test]
fn lenient_skips_and_counts_broken_lines() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "b.csv", BROKEN);
    let (ops, r) = read_all(&p, opts(TraceFormat::Csv));
    assert_eq!(ops.len(), 3, "lines 2, 5 and 10");
    assert!(r.error().is_none());
    let s = r.stats().clone();
    assert_eq!(s.lines, 10);
    assert_eq!(s.skipped_malformed, 6);
    let lines: Vec<u64> = s.first_errors.iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, [3, 4, 6, 7, 8], "first five, with line numbers");
    assert!(
        s.first_errors[0].1.contains("t_ms 'x'"),
        "{:?}",
        s.first_errors
    );
    assert!(
        s.first_errors[1].1.contains("value_bytes 'ten'"),
        "{:?}",
        s.first_errors
    );
    assert_eq!(s.distinct_keys, 3, "skipped lines intern nothing");
    assert_eq!(r.finish().unwrap(), s);
}

#[test]
fn strict_stops_at_the_first_broken_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "b.csv", BROKEN);
    let mut o = opts(TraceFormat::Csv);
    o.strict = true;
    let (ops, r) = read_all(&p, o);
    assert_eq!(ops.len(), 1);
    let e = r.error().expect("an error");
    assert!(matches!(e, TraceError::Malformed { line: 3, .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!("{}:3: t_ms 'x' is not a whole number", p.display())
    );
    assert_eq!(r.stats().skipped_malformed, 1);
    assert!(r.finish().is_err());

    // Strict, broken before the first op: open itself fails.
    let p = write(
        dir.path(),
        "b2.csv",
        "t_ms,op,key,value_bytes,ttl_ms\n1,GET\n",
    );
    let mut o = opts(TraceFormat::Csv);
    o.strict = true;
    let e = TraceReader::open(&p, o).err().unwrap();
    assert!(
        e.to_string().starts_with(&format!("{}:2: ", p.display())),
        "{e}"
    );
}

// ---------------------------------------------------------------- compression

#[test]
fn gz_and_zst_give_the_same_ops_as_plain() {
    let dir = tempfile::tempdir().unwrap();
    let plain = samples().join("cachelib_kv_sample.csv");
    let (want, plain_reader) = read_all(&plain, opts(TraceFormat::Cachelib));
    let gz = dir.path().join("c.csv.gz");
    let zst = dir.path().join("c.csv.zst");
    gzip(&plain, &gz);
    zstd_file(&plain, &zst);
    for p in [&gz, &zst] {
        let (got, r) = read_all(p, opts(TraceFormat::Cachelib));
        assert_eq!(got, want, "{}", p.display());
        assert_eq!(r.stats(), plain_reader.stats());
    }
    // A corrupt compressed file is an error naming it, never a panic.
    let bad = dir.path().join("bad.csv.gz");
    let mut bytes = std::fs::read(&gz).unwrap();
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&bad, bytes).unwrap();
    let mut r = match TraceReader::open(&bad, opts(TraceFormat::Cachelib)) {
        Ok(r) => r,
        Err(e) => {
            assert!(e.to_string().contains("bad.csv.gz"), "{e}");
            return;
        }
    };
    r.by_ref().for_each(drop);
    let e = r.error().expect("truncated gzip is an error");
    assert!(matches!(e, TraceError::Read { .. }), "{e:?}");
    assert!(e.to_string().contains("bad.csv.gz"), "{e}");
}

// ---------------------------------------------------------------- oracleGeneral

fn oracle_file(dir: &Path, name: &str, recs: &[(u32, u64, u32)], tail: &[u8]) -> PathBuf {
    let mut bytes = Vec::new();
    for &(t, id, size) in recs {
        bytes.extend_from_slice(&oracle_general_record(t, id, size, -1));
    }
    bytes.extend_from_slice(tail);
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn oracle_general_records_are_reads() {
    let dir = tempfile::tempdir().unwrap();
    let recs = [
        (100, 7, 1000),
        (100, 8, 50),
        (101, 7, 1000),
        (103, u64::MAX, 0),
    ];
    let p = oracle_file(dir.path(), "t.oracleGeneral", &recs, &[]);
    let (ops, r) = read_all(&p, opts(TraceFormat::OracleGeneral));
    assert_eq!(ops.len(), 4);
    assert!(ops.iter().all(|o| o.cmd == Cmd::Read(ReadSpec::default())));
    assert_eq!(
        ops.iter().map(|o| (o.t_ms, o.key)).collect::<Vec<_>>(),
        [(0, 0), (0, 1), (1000, 0), (3000, 2)]
    );
    assert_eq!(ops[3].key_len, 20, "u64::MAX in decimal");
    assert_eq!(r.key_names()[0].1, b"7");

    let mut o = opts(TraceFormat::OracleGeneral);
    o.read_through = true;
    o.default_value_len = 33;
    let (ops, _) = read_all(&p, o);
    let fills: Vec<Option<u32>> = ops.iter().map(read_fill).collect();
    assert_eq!(fills, [Some(1000), Some(50), Some(1000), Some(33)]);
}

#[test]
fn a_truncated_oracle_general_record() {
    let dir = tempfile::tempdir().unwrap();
    let p = oracle_file(
        dir.path(),
        "t.bin",
        &[(1, 1, 10), (2, 2, 20)],
        &[1, 2, 3, 4, 5],
    );
    // Lenient: the whole records, then the partial one counted.
    let (ops, r) = read_all(&p, opts(TraceFormat::OracleGeneral));
    assert_eq!(ops.len(), 2);
    let s = r.stats();
    assert_eq!((s.lines, s.skipped_malformed), (3, 1));
    assert_eq!(s.first_errors[0].0, 3);
    assert!(
        s.first_errors[0].1.contains("byte offset 48"),
        "{:?}",
        s.first_errors
    );
    // Strict: an error naming the record and offset after the whole records.
    let mut o = opts(TraceFormat::OracleGeneral);
    o.strict = true;
    let (ops, r) = read_all(&p, o);
    assert_eq!(ops.len(), 2);
    let e = r.error().unwrap();
    assert!(
        matches!(
            e,
            TraceError::Truncated {
                record: 3,
                offset: 48,
                len: 5,
                size: 24,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        format!(
            "{}: record 3 at byte offset 48 is truncated (5 of 24 bytes)",
            p.display()
        )
    );
    // Compressed, same.
    let zst = dir.path().join("t.bin.zst");
    zstd_file(&p, &zst);
    let mut o = opts(TraceFormat::OracleGeneral);
    o.strict = true;
    let (ops, r) = read_all(&zst, o);
    assert_eq!(ops.len(), 2);
    assert!(matches!(
        r.error(),
        Some(TraceError::Truncated { offset: 48, .. })
    ));
}

// ---------------------------------------------------------------- monitor

#[test]
fn monitor_quoting_escapes_and_commands() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"OK
1732590000.123456 [0 127.0.0.1:52344] "SET" "session:9" "{\"u\":7,\"p\":\"a\\b\"}" "EX" "1800"
1732590000.130001 [0 unix:/run/redis.sock] "GET" "session:9"
1732590000.131210 [0 lua] "INCR" "rate:7"
1732590000.200000 [2 127.0.0.1:52344] "MSET" "a" "1" "b" "\xff\x00\n"
1732590000.300000 [2 127.0.0.1:52344] "MGET" "a" "b" "c"
1732590000.400000 [0 127.0.0.1:52344] "PING"
1732590000.500000 [0 127.0.0.1:52344] "DEL" "a" "b" "x y"
1732590001.000000 [0 127.0.0.1:52344] "EXPIREAT" "session:9" "1732590101"
1732590001.000000 [0 127.0.0.1:52344] "set" "k" "v" "px" "0"
1732590001.000000 [0 127.0.0.1:52344] "LPUSH" "q" "abc" "de"
1732590001.000000 [0 127.0.0.1:52344] "RPOP" "q"
1732590001.000000 [0 127.0.0.1:52344] "MULTI"
1732590001.500000 [0 127.0.0.1:52344] "SET" "k2" "v" "PXAT" "1732590001400"
this is not monitor output
"#;
    let p = write(dir.path(), "m.log", text);
    let mut o = opts(TraceFormat::Monitor);
    o.read_through = true;
    o.classes = ClassRules::from_cli(&["sessions=session:*"], &["sessions"]).unwrap();
    let (ops, r) = read_all(&p, o);
    let s = r.stats();
    assert_eq!(s.rejected, 1, "SET PX 0");
    assert_eq!(s.skipped_malformed, 1);
    assert_eq!(s.first_errors[0].0, 15);
    assert_eq!(s.unknown_commands.get("PING"), Some(&1));
    assert_eq!(s.unknown_commands.get("MULTI"), Some(&1));
    assert_eq!(ops.len(), 1 + 1 + 1 + 2 + 3 + 3 + 1 + 1 + 1 + 1);
    let json = r#"{"u":7,"p":"a\b"}"#;
    assert_eq!(
        ops[0].cmd,
        Cmd::Set {
            value: Value::bytes(json.len() as u32),
            ttl_ms: 1_800_000,
            cond: SetCond::Always,
            keep_ttl: false
        }
    );
    assert_eq!((ops[0].class, ops[0].key_len, ops[0].t_ms), (0, 9, 0));
    assert_eq!(read_fill(&ops[1]), Some(json.len() as u32), "last SET size");
    assert_eq!(ops[1].t_ms, 6);
    assert_eq!(ops[2].cmd, Cmd::IncrBy { delta: 1 });
    assert_eq!(set_value(&ops[3]), Some(Value::integer(1)));
    assert_eq!(set_value(&ops[4]), Some(Value::bytes(3)), "\\xff\\x00\\n");
    assert_eq!((ops[3].db, ops[3].t_ms), (2, 76));
    assert_eq!(read_fill(&ops[7]), Some(64), "c: default size");
    assert!(ops[5..8].iter().all(|o| o.db == 2));
    assert!(ops[8..11].iter().all(|o| o.cmd == Cmd::Del && o.db == 0));
    assert_ne!(ops[8].key, ops[3].key, "a in db 0 is not a in db 2");
    assert_eq!(ops[11].cmd, Cmd::Expire { ttl_ms: 100_000 });
    assert_eq!(
        ops[12].cmd,
        Cmd::Grow {
            bytes: 5,
            elems: 2,
            kind: Agg::List
        }
    );
    assert_eq!(ops[13].cmd, Cmd::Pop { elems: 1 }, "a pop is a read");
    match ops[14].cmd {
        Cmd::Set { ttl_ms, .. } => assert_eq!(ttl_ms, 1, "PXAT in the past"),
        c => panic!("{c:?}"),
    }
    assert!(names(&r).contains_key(b"x y".as_slice()));
}

#[test]
fn monitor_class_rules_from_a_toml_file() {
    let dir = tempfile::tempdir().unwrap();
    let rules = write(
        dir.path(),
        "classes.toml",
        "[[class]]\nname = \"jobs\"\nmatch = [\"job:*\", \"queue:*\"]\ncritical = true\n\n\
         [[class]]\nname = \"cache\"\nmatch = \"*\"\n",
    );
    let p = write(
        dir.path(),
        "m.log",
        "1.0 [0 lua] \"LPUSH\" \"queue:mail\" \"x\"\n1.0 [0 lua] \"GET\" \"page\"\n",
    );
    let mut o = opts(TraceFormat::Monitor);
    o.classes = ClassRules::from_toml_file(&rules).unwrap();
    let (ops, r) = read_all(&p, o);
    assert_eq!((ops[0].class, ops[1].class), (0, 1));
    let infos = r.class_infos();
    assert_eq!(infos.len(), 3);
    assert!(infos[0].critical && !infos[1].critical && infos[2].name == "other");
    let e = ClassRules::from_toml_file(dir.path().join("missing.toml")).unwrap_err();
    assert!(e.to_string().contains("missing.toml"), "{e}");
}

// ---------------------------------------------------------------- writer

fn sample_ops() -> (Vec<Op>, Vec<String>) {
    let names: Vec<String> = [
        "session:1",
        "job:a,b",
        "quote\"d",
        "counter",
        "queue",
        "rate:1",
        "",
        "ünï",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let cmds = [
        Cmd::Set {
            value: Value::bytes(512),
            ttl_ms: 1_800_000,
            cond: SetCond::Always,
            keep_ttl: false,
        },
        Cmd::Set {
            value: Value::integer(-17),
            ttl_ms: 0,
            cond: SetCond::IfAbsent,
            keep_ttl: true,
        },
        Cmd::Set {
            value: Value::bytes(0),
            ttl_ms: 5,
            cond: SetCond::IfPresent,
            keep_ttl: false,
        },
        Cmd::Read(ReadSpec::default()),
        Cmd::Read(ReadSpec {
            fill: Some(Value::bytes(100)),
            fill_ttl_ms: 60_000,
            slide_ms: 30_000,
        }),
        Cmd::Read(ReadSpec {
            fill: Some(Value::integer(0)),
            fill_ttl_ms: 0,
            slide_ms: 0,
        }),
        Cmd::Read(ReadSpec {
            fill: None,
            fill_ttl_ms: 0,
            slide_ms: 10,
        }),
        Cmd::Del,
        Cmd::GetDel,
        Cmd::Expire { ttl_ms: 0 },
        Cmd::Expire { ttl_ms: 99 },
        Cmd::Persist,
        Cmd::IncrBy { delta: i64::MIN },
        Cmd::IncrBy { delta: 1 },
        Cmd::IncrWindow { window_ms: 60_000 },
        Cmd::Append { len: u32::MAX },
        Cmd::Grow {
            bytes: 0,
            elems: 1,
            kind: Agg::List,
        },
        Cmd::Grow {
            bytes: i64::MAX,
            elems: 1,
            kind: Agg::List,
        },
        Cmd::Grow {
            bytes: i64::MIN,
            elems: -1,
            kind: Agg::List,
        },
        Cmd::Pop { elems: 1 },
        Cmd::Pop { elems: 0 },
        Cmd::Pop { elems: u32::MAX },
        Cmd::Peek,
    ];
    let mut rng = SmallRng::seed_from_u64(7);
    let mut ops = Vec::new();
    let mut t = 0;
    // Key ids in order of first use, as a reader assigns them.
    for (i, cmd) in cmds.iter().cycle().take(200).enumerate() {
        t += rng.gen_range(0..3);
        let key = if i < names.len() {
            i as u32
        } else {
            rng.gen_range(0..names.len() as u32)
        };
        ops.push(Op {
            t_ms: t,
            key,
            key_len: names[key as usize].len() as u16,
            db: (key % 3) as u8,
            class: u8::from(names[key as usize].starts_with("session:")),
            cmd: *cmd,
        });
    }
    (ops, names)
}

#[test]
fn csv_writer_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let (ops, names) = sample_ops();
    for file in ["w.csv", "w.csv.gz", "w.csv.zst"] {
        let p = dir.path().join(file);
        let mut w = CsvWriter::create(&p).unwrap();
        let n = w
            .write_ops(ops.iter().copied(), &|k| names[k as usize].clone())
            .unwrap();
        assert_eq!(n, ops.len() as u64);
        w.close().unwrap();
        let mut o = opts(TraceFormat::Csv);
        o.classes =
            ClassRules::from_cli(&["other=zzz", "sessions=session:*"], &["sessions"]).unwrap();
        let (back, r) = read_all(&p, o);
        assert_eq!(
            r.stats().skipped_malformed,
            0,
            "{:?}",
            r.stats().first_errors
        );
        assert_eq!(back, ops, "{file}");
        let back_names: Vec<String> = r
            .key_names()
            .into_iter()
            .map(|(_, n)| String::from_utf8(n).unwrap())
            .collect();
        assert_eq!(back_names, names);
    }
}

#[test]
fn csv_writer_refuses_line_breaks_in_names() {
    let mut w = CsvWriter::new(Vec::new()).unwrap();
    let (ops, _) = sample_ops();
    let e = w.write_op(&ops[0], b"a\nb").unwrap_err();
    assert!(matches!(e, CsvWriteError::LineBreak(_)), "{e:?}");
    w.write_op(&ops[0], b"ok").unwrap();
    let text = String::from_utf8(w.finish().unwrap()).unwrap();
    assert_eq!(
        text,
        format!(
            "t_ms,op,key,value_bytes,ttl_ms,db,slide_ms\n{},SET,ok,512,1800000,{},\n",
            ops[0].t_ms, ops[0].db
        )
    );
}

// ---------------------------------------------------------------- streaming, determinism

#[test]
fn a_million_lines_stream_in_constant_memory() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("big.csv");
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&p).unwrap());
        writeln!(w, "t_ms,op,key,value_bytes,ttl_ms").unwrap();
        for i in 0..1_000_000u64 {
            let k = (i * 7919) % 1000;
            if i % 4 == 0 {
                writeln!(w, "{},SET,key:{k},100,0", i / 10).unwrap();
            } else {
                writeln!(w, "{},GET,key:{k},,", i / 10).unwrap();
            }
        }
    }
    let mut r = TraceReader::open(&p, opts(TraceFormat::Csv)).unwrap();
    assert_eq!(r.stats().lines, 2, "open reads only up to the first op");
    assert!(r.next().is_some());
    assert_eq!(r.stats().lines, 2, "one line at a time");
    let mut n = 1u64;
    let mut last = 0;
    while let Some(op) = r.next() {
        assert!(op.t_ms >= last);
        last = op.t_ms;
        n += 1;
        if n == 500_000 {
            assert!(r.stats().lines <= 500_002);
        }
    }
    assert_eq!(n, 1_000_000);
    let s = r.finish().unwrap();
    assert_eq!(
        (s.lines, s.ops, s.distinct_keys),
        (1_000_001, 1_000_000, 1000)
    );
}

#[test]
fn reading_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let (ops, names) = sample_ops();
    let p = dir.path().join("d.csv");
    let mut w = CsvWriter::create(&p).unwrap();
    w.write_ops(ops, &|k| names[k as usize].clone()).unwrap();
    w.close().unwrap();
    let run = || {
        let mut o = opts(TraceFormat::Csv);
        o.read_through = true;
        let (ops, r) = read_all(&p, o);
        (ops, r.finish().unwrap(), std::fs::read(&p).unwrap())
    };
    assert_eq!(run(), run());
}

// ---------------------------------------------------------------- no panics

fn noisy_bytes(rng: &mut SmallRng, len: usize) -> Vec<u8> {
    const ALPHABET: &[u8] = b"\"\\x0123456789abcdefABC ,.[]:\n\r\t-+#GETSETINCRBYLPUSH";
    (0..len)
        .map(|_| {
            if rng.gen_bool(0.7) {
                ALPHABET[rng.gen_range(0..ALPHABET.len())]
            } else {
                rng.gen()
            }
        })
        .collect()
}

fn drain(name: &str, bytes: Vec<u8>, format: TraceFormat, strict: bool) -> Option<TraceStats> {
    let mut o = opts(format);
    o.strict = strict;
    o.read_through = true;
    let mut r = TraceReader::from_reader(name, std::io::Cursor::new(bytes), o).ok()?;
    r.by_ref().for_each(drop);
    Some(r.stats().clone())
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = SmallRng::seed_from_u64(0xfeed);
    let prefixes: [(TraceFormat, &[u8]); 5] = [
        (
            TraceFormat::Csv,
            b"t_ms,op,key,value_bytes,ttl_ms,db,slide_ms\n",
        ),
        (TraceFormat::Monitor, b"OK\n"),
        (TraceFormat::Twitter, b""),
        (
            TraceFormat::Cachelib,
            b"op_time,key,key_size,op,op_count,size,cache_hits,ttl\n",
        ),
        (TraceFormat::OracleGeneral, b""),
    ];
    for round in 0..300 {
        let len = rng.gen_range(0..3000);
        let noise = noisy_bytes(&mut rng, len);
        for (format, prefix) in prefixes {
            let mut bytes = if round % 2 == 0 {
                prefix.to_vec()
            } else {
                Vec::new()
            };
            bytes.extend_from_slice(&noise);
            for strict in [false, true] {
                drain("fuzz", bytes.clone(), format, strict);
            }
        }
    }
}

#[test]
fn mutated_valid_lines_never_panic() {
    let mut rng = SmallRng::seed_from_u64(42);
    let lines: [(TraceFormat, &str, &str); 4] = [
        (
            TraceFormat::Monitor,
            "",
            r#"1732590000.123456 [0 127.0.0.1:1] "ZADD" "z" "NX" "1.5" "a\x00" "2" "b" "SET" "k" "v" "EXAT" "99" "GETEX" "k" "PXAT" "5""#,
        ),
        (
            TraceFormat::Csv,
            "t_ms,op,key,value_bytes,ttl_ms,db,slide_ms\n",
            "5,SET XX KEEPTTL,\"k,\"\"\",int:-5,100,3,7",
        ),
        (
            TraceFormat::Twitter,
            "",
            "0,q:q:1:8WTwl7huJeQ,17,249,1,get,0",
        ),
        (
            TraceFormat::Cachelib,
            "op_time,key,key_size,op,op_count,size,cache_hits,ttl\n",
            "604038471,82131353f9ddc8c6,48,GET,3,87,1,0",
        ),
    ];
    let monitor_cmds = [
        "GET",
        "SET",
        "SETEX",
        "PSETEX",
        "SETNX",
        "MSET",
        "MSETNX",
        "MGET",
        "GETSET",
        "GETDEL",
        "GETEX",
        "DEL",
        "UNLINK",
        "EXPIRE",
        "PEXPIRE",
        "EXPIREAT",
        "PEXPIREAT",
        "PERSIST",
        "INCR",
        "DECR",
        "INCRBY",
        "DECRBY",
        "INCRBYFLOAT",
        "APPEND",
        "TTL",
        "EXISTS",
        "LPUSH",
        "LPOP",
        "BLPOP",
        "LMOVE",
        "SMOVE",
        "LREM",
        "HSET",
        "HDEL",
        "HINCRBY",
        "ZINCRBY",
        "ZADD",
        "ZREM",
        "SPOP",
        "LINSERT",
        "HSETNX",
        "SINTER",
    ];
    for (format, header, line) in lines {
        for _ in 0..400 {
            let mut l = line.as_bytes().to_vec();
            if format == TraceFormat::Monitor && rng.gen_bool(0.5) {
                let c = monitor_cmds[rng.gen_range(0..monitor_cmds.len())];
                let args: Vec<String> = (0..rng.gen_range(0..6))
                    .map(|_| {
                        [
                            "k",
                            "-1",
                            "0",
                            "9223372036854775807",
                            "1e400",
                            "NX",
                            "EX",
                            "PX",
                            "GET",
                            "KEEPTTL",
                            "",
                        ][rng.gen_range(0..11)]
                        .to_string()
                    })
                    .collect();
                l = format!(
                    "1.5 [0 lua] \"{c}\"{}",
                    args.iter().map(|a| format!(" \"{a}\"")).collect::<String>()
                )
                .into_bytes();
            }
            for _ in 0..rng.gen_range(0..4) {
                if l.is_empty() {
                    break;
                }
                let i = rng.gen_range(0..l.len());
                match rng.gen_range(0..3) {
                    0 => l[i] = rng.gen(),
                    1 => {
                        l.remove(i);
                    }
                    _ => l.insert(i, b"\"\\,0 -"[rng.gen_range(0..6)]),
                }
            }
            let mut bytes = header.as_bytes().to_vec();
            bytes.extend_from_slice(&l);
            bytes.push(b'\n');
            for strict in [false, true] {
                drain("mutated", bytes.clone(), format, strict);
            }
        }
    }
}

// ---------------------------------------------------------------- real redis-server

#[test]
fn monitor_capture_from_a_real_redis_server() {
    use support::redis::{encode, Reply, Server};
    let Some(server) = Server::start(&[]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("monitor.log");
    let Some(monitor) = support::redis::Monitor::start(&server, &capture) else {
        return;
    };
    let mut c = server.client();

    let big = "v".repeat(1000);
    let binary: Vec<u8> = b"a\"b\\c\n\r\t\x07\x08\x00\xff\x7f end".to_vec();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let at_s = (now + 3600).to_string();
    let at_ms = ((now + 3600) * 1000).to_string();
    // (command, operations it becomes)
    let script: Vec<(Vec<Vec<u8>>, usize)> = [
        (vec!["SET", "session:1", &big, "EX", "1800"], 1),
        (vec!["SET", "n", "12345"], 1),
        (vec!["SET", "k", "v", "NX", "PX", "5000"], 1),
        (vec!["SET", "k", "w", "XX", "KEEPTTL", "GET"], 2),
        (vec!["SET", "k2", "v", "EXAT", &at_s], 1),
        (vec!["SET", "k3", "v", "PXAT", &at_ms], 1),
        (vec!["SETEX", "s1", "100", "abc"], 1),
        (vec!["PSETEX", "s2", "100000", "abcd"], 1),
        (vec!["SETNX", "s3", "x"], 1),
        (vec!["MSET", "m1", "1", "m2", "22"], 2),
        (vec!["MGET", "m1", "m2", "nope"], 3),
        (vec!["GETSET", "m1", "333"], 2),
        (vec!["GETDEL", "m2"], 1),
        (vec!["GETEX", "session:1", "EX", "60"], 2),
        (vec!["GETEX", "session:1", "PERSIST"], 2),
        (vec!["DEL", "m1", "s3", "zzz"], 3),
        (vec!["UNLINK", "s2"], 1),
        (vec!["EXPIRE", "s1", "50"], 1),
        (vec!["PEXPIRE", "s1", "40000"], 1),
        (vec!["EXPIREAT", "s1", &at_s], 1),
        (vec!["PEXPIREAT", "s1", &at_ms], 1),
        (vec!["PERSIST", "s1"], 1),
        (vec!["INCR", "c"], 1),
        (vec!["DECR", "c"], 1),
        (vec!["INCRBY", "c", "10"], 1),
        (vec!["DECRBY", "c", "3"], 1),
        (vec!["INCRBYFLOAT", "f", "1.5"], 1),
        (vec!["APPEND", "log", "hello"], 1),
        (vec!["TTL", "s1"], 1),
        (vec!["PTTL", "s1"], 1),
        (vec!["EXISTS", "s1", "c"], 2),
        (vec!["TYPE", "c"], 1),
        (vec!["LPUSH", "q", "job1", "job22"], 1),
        (vec!["RPUSH", "q", "job333"], 1),
        (vec!["LPOP", "q"], 1),
        (vec!["RPOP", "q"], 1),
        (vec!["LRANGE", "q", "0", "-1"], 1),
        (vec!["HSET", "h", "f1", "v1", "f2", "v22"], 1),
        (vec!["HGET", "h", "f1"], 1),
        (vec!["HGETALL", "h"], 1),
        (vec!["HDEL", "h", "f1"], 1),
        (vec!["HINCRBY", "h", "n", "5"], 1),
        (vec!["SADD", "st", "a", "bb"], 1),
        (vec!["SREM", "st", "a"], 1),
        (vec!["SMEMBERS", "st"], 1),
        (vec!["ZADD", "z", "1", "a", "2.5", "bb"], 1),
        (vec!["ZREM", "z", "a"], 1),
        (vec!["ZRANGE", "z", "0", "-1"], 1),
    ]
    .into_iter()
    .map(|(args, n)| (args.into_iter().map(|a| a.as_bytes().to_vec()).collect(), n))
    .chain([(vec![b"SET".to_vec(), b"bin".to_vec(), binary.clone()], 1)])
    .collect();
    for (args, _) in &script {
        let mut buf = Vec::new();
        let refs: Vec<&[u8]> = args.iter().map(|a| &a[..]).collect();
        encode(&refs, &mut buf);
        let reply = c.pipeline(&buf, 1).remove(0);
        assert!(
            !matches!(reply, Reply::Error(_)),
            "{:?}: {reply:?}",
            String::from_utf8_lossy(&args[0])
        );
    }
    monitor.finish(&mut c);

    let mut o = opts(TraceFormat::Monitor);
    o.strict = true;
    let (ops, r) = read_all_named(&capture, o);
    assert!(r.error().is_none(), "{:?}", r.error());
    let s = r.stats();
    assert_eq!(
        (s.skipped_malformed, s.rejected),
        (0, 0),
        "{:?}",
        s.first_errors
    );
    for (args, _) in &script {
        let name = String::from_utf8_lossy(&args[0]).to_string();
        assert!(
            !s.unknown_commands.contains_key(&name),
            "{name} not understood"
        );
    }
    assert!(
        s.unknown_commands
            .keys()
            .all(|k| k == "PING" || k == "ECHO"),
        "{:?}",
        s.unknown_commands
    );
    // Each distinct command name that ran (the harness's PING and ECHO
    // too) is named once, after its first call: its latency histogram.
    let mut distinct: std::collections::BTreeSet<String> = script
        .iter()
        .map(|(args, _)| String::from_utf8_lossy(&args[0]).to_string())
        .collect();
    distinct.extend(["PING".to_string(), "ECHO".to_string()]);
    let named = ops
        .iter()
        .filter(|o| matches!(o.cmd, Cmd::Ran { .. }))
        .count();
    assert_eq!(named, distinct.len(), "{distinct:?}");
    let ops: Vec<_> = ops
        .into_iter()
        .filter(|o| !matches!(o.cmd, Cmd::Ran { .. }))
        .collect();
    let want: usize = script.iter().map(|(_, n)| n).sum();
    assert_eq!(
        ops.len(),
        want,
        "capture:\n{}",
        std::fs::read_to_string(&capture).unwrap_or_default()
    );

    let ids = names(&r);
    let sets_of = |k: &str| -> Vec<Value> {
        let id = ids[k.as_bytes()];
        ops.iter()
            .filter(|o| o.key == id)
            .filter_map(set_value)
            .collect()
    };
    assert_eq!(sets_of("session:1"), [Value::bytes(1000)]);
    assert_eq!(sets_of("n"), [Value::integer(12345)]);
    assert_eq!(sets_of("bin"), [Value::bytes(binary.len() as u32)]);
    assert_eq!(sets_of("m2"), [Value::integer(22)]);
    let ttl_of = |k: &str| {
        let id = ids[k.as_bytes()];
        ops.iter()
            .find_map(|o| match o.cmd {
                Cmd::Set { ttl_ms, .. } if o.key == id => Some(ttl_ms),
                _ => None,
            })
            .unwrap()
    };
    assert_eq!(ttl_of("session:1"), 1_800_000);
    assert_eq!(ttl_of("s2"), 100_000);
    assert!(
        (3_500_000..=3_600_000).contains(&ttl_of("k2")),
        "{}",
        ttl_of("k2")
    );
    assert!(
        (3_500_000..=3_600_000).contains(&ttl_of("k3")),
        "{}",
        ttl_of("k3")
    );
    let on_q: Vec<Cmd> = ops
        .iter()
        .filter(|o| o.key == ids[&b"q"[..]])
        .filter(|o| matches!(o.cmd, Cmd::Grow { .. } | Cmd::Pop { .. }))
        .map(|o| o.cmd)
        .collect();
    assert_eq!(
        on_q,
        [
            Cmd::Grow {
                bytes: 9,
                elems: 2,
                kind: Agg::List
            },
            Cmd::Grow {
                bytes: 6,
                elems: 1,
                kind: Agg::List
            },
            Cmd::Pop { elems: 1 },
            Cmd::Pop { elems: 1 },
        ],
        "pushes exact with their elements; pops take elements"
    );
    assert!(ops.windows(2).all(|w| w[0].t_ms <= w[1].t_ms));
}

/// Which aggregate each MONITOR write builds: lists, hashes (a field or
/// value over 64 bytes makes a hash table), sets and sorted sets.
#[test]
fn monitor_writes_say_which_aggregate_they_build() {
    let dir = tempfile::tempdir().unwrap();
    let long = "v".repeat(65);
    let text = format!(
        "OK\n\
         1732590000.000001 [0 127.0.0.1:1] \"RPUSH\" \"l\" \"a\" \"b\"\n\
         1732590000.000002 [0 127.0.0.1:1] \"HSET\" \"h\" \"f\" \"v\" \"g\" \"w\"\n\
         1732590000.000003 [0 127.0.0.1:1] \"HSET\" \"h2\" \"f\" \"{long}\"\n\
         1732590000.000004 [0 127.0.0.1:1] \"SADD\" \"s\" \"a\"\n\
         1732590000.000005 [0 127.0.0.1:1] \"ZADD\" \"z\" \"1\" \"a\"\n\
         1732590000.000006 [0 127.0.0.1:1] \"HINCRBY\" \"h3\" \"n\" \"1\"\n\
         1732590000.000007 [0 127.0.0.1:1] \"LMOVE\" \"l\" \"l2\" \"LEFT\" \"RIGHT\"\n"
    );
    let p = write(dir.path(), "agg.log", &text);
    let (ops, _) = read_all(&p, opts(TraceFormat::Monitor));
    let kinds: Vec<(Agg, i32)> = ops
        .iter()
        .filter_map(|o| match o.cmd {
            Cmd::Grow { kind, elems, .. } => Some((kind, elems)),
            _ => None,
        })
        .collect();
    assert_eq!(
        kinds,
        [
            (Agg::List, 2),
            (Agg::Hash, 2),
            (Agg::WideHash, 1),
            (Agg::Set, 1),
            (Agg::Zset, 1),
            (Agg::Hash, 1),
            (Agg::List, 1),
        ]
    );
    assert_eq!(
        ops.last().unwrap().cmd,
        Cmd::Pop { elems: 1 },
        "LMOVE pops its source"
    );
}
