//! Traces mean what their writers meant: 0 in a field that does not apply
//! reads as the empty field does, in every format; where Redis gives 0 a
//! meaning (EXPIRE 0 deletes, SETEX 0 and SET EX 0 are refused) the reader
//! keeps it; a value in a column an op does not use is an error, not
//! ignored; `--strict` refuses ops outside a closed format's list; and what
//! was understood is printed.
//!
//! Regression: an evictsim CSV written with zeros (`0,GET,cache:9,0,0`,
//! `4,INCR,rl:863:0,0,0`) used to replay every GET as "fill a 0-byte value
//! on a miss" and every INCR as "delete the counter at once" (a 0-ms
//! window), moving `noeviction`'s refused writes by +75% against Redis.

#[path = "support/mixed_trace.rs"]
mod mixed_trace;
#[allow(dead_code)]
mod support;

use assert_cmd::Command;
use evictsim::model::{InstanceConfig, PolicyKind};
use evictsim::op::{Cmd, Op, ReadSpec, Value};
use evictsim::report::{export, Format};
use evictsim::sim::{simulate, RunSpec};
use evictsim::trace::{
    oracle_general_record, ClassRules, TraceFormat, TraceOptions, TraceReader, TraceStats,
};
use predicates::prelude::*;
use std::path::{Path, PathBuf};

fn write(dir: &Path, name: &str, text: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn read(path: &Path, format: TraceFormat, read_through: bool) -> (Vec<Op>, TraceStats) {
    let mut o = TraceOptions::new(format);
    o.read_through = read_through;
    o.classes = mixed_classes();
    let mut r = TraceReader::open(path, o).unwrap_or_else(|e| panic!("{e}"));
    let ops: Vec<Op> = r.by_ref().collect();
    (ops, r.finish().unwrap_or_else(|e| panic!("{e}")))
}

fn read_text(text: &str, format: TraceFormat, read_through: bool) -> (Vec<Op>, TraceStats) {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "t", text.as_bytes());
    read(&p, format, read_through)
}

fn mixed_classes() -> ClassRules {
    ClassRules::from_toml_file(fixture("mixed-zeros.classes.toml")).unwrap()
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn cmds(ops: &[Op]) -> Vec<Cmd> {
    ops.iter().map(|o| o.cmd).collect()
}

fn evictsim() -> Command {
    let mut c = Command::cargo_bin("evictsim").unwrap();
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

// ---------------------------------------------------------------- csv

#[test]
fn the_fixture_is_the_generators_output() {
    let committed = std::fs::read_to_string(fixture("mixed-zeros.csv")).unwrap();
    assert!(
        committed == mixed_trace::csv(),
        "tests/fixtures/mixed-zeros.csv is stale: cargo run --example mixed_trace"
    );
}

#[test]
fn csv_zeros_give_the_same_run_as_empty_fields() {
    let (zeros, zs) = read_text(&mixed_trace::csv(), TraceFormat::Csv, false);
    let (empty, es) = read_text(
        &mixed_trace::csv_with_empty_fields(),
        TraceFormat::Csv,
        false,
    );
    assert!(zeros.len() > 20_000);
    assert_eq!(zeros, empty);
    assert_eq!(zs.understood, es.understood);
    // What the writer meant: page reads fill, session and job reads do not;
    // no INCR opens a window (the trace sets it with EXPIRE).
    let u = &zs.understood;
    let classes = mixed_classes().class_infos();
    let id = |n: &str| classes.iter().position(|c| c.name == n).unwrap();
    assert_eq!(u[id("cache")].reads_with_fill, u[id("cache")].reads);
    assert_eq!(u[id("sessions")].reads_with_fill, 0);
    assert_eq!(u[id("jobs")].reads_with_fill, 0);
    assert!(u[id("ratelimit")].incrs > 1_000);
    assert_eq!(u[id("ratelimit")].incrs_with_window, 0);
    assert_eq!(u[id("ratelimit")].expires, u[id("ratelimit")].incrs);
    assert_eq!(u[id("jobs")].sets_with_ttl, 0);
    assert_eq!(u[id("sessions")].sets_with_ttl, u[id("sessions")].sets);
    // And the same figures out of the model, byte for byte.
    let run = |ops: Vec<Op>| {
        let spec = RunSpec {
            scenario: "mixed".into(),
            seed: 0,
            instance: InstanceConfig {
                maxmemory: 3 << 20,
                ..Default::default()
            },
            policies: vec![PolicyKind::NoEviction, PolicyKind::AllKeysLru],
            classes: mixed_classes().class_infos(),
            duration_ms: 0,
            source: Default::default(),
        };
        export(Format::Json, &simulate(&spec, ops.into_iter(), |_, _| {})).unwrap()
    };
    assert_eq!(run(zeros), run(empty));
}

const HEADER: &str = "t_ms,op,key,value_bytes,ttl_ms,db,slide_ms\n";

#[test]
fn csv_get_with_zero_size_does_not_fill() {
    let (ops, _) = read_text(
        &format!("{HEADER}0,GET,a,0,0,0,0\n1,GET,a,,,,\n2,GET,a,0,60000\n"),
        TraceFormat::Csv,
        false,
    );
    assert_eq!(cmds(&ops), vec![Cmd::Read(ReadSpec::default()); 3]);
    // With read-through, 0 fills as the empty field does: the key's last
    // known size (here the default), with the line's TTL.
    let (ops, _) = read_text(
        &format!("{HEADER}0,GET,a,0,5000\n1,GET,a,,5000\n"),
        TraceFormat::Csv,
        true,
    );
    assert_eq!(ops[0].cmd, ops[1].cmd);
    assert!(matches!(
        ops[0].cmd,
        Cmd::Read(ReadSpec {
            fill: Some(_),
            fill_ttl_ms: 5000,
            ..
        })
    ));
}

#[test]
fn csv_incr_with_zero_ttl_opens_no_window() {
    let (ops, stats) = read_text(
        &format!("{HEADER}0,INCR,rl:1,0,0\n1,INCR,rl:1,,\n2,INCR,rl:2,0,1000\n"),
        TraceFormat::Csv,
        false,
    );
    assert_eq!(
        cmds(&ops),
        vec![
            Cmd::IncrBy { delta: 1 },
            Cmd::IncrBy { delta: 1 },
            Cmd::IncrWindow { window_ms: 1000 }
        ]
    );
    let u = stats.understood.iter().find(|u| u.incrs > 0).unwrap();
    assert_eq!((u.incrs, u.incrs_with_window), (3, 1));
}

#[test]
fn csv_keeps_redis_meaning_of_zero_where_redis_has_one() {
    let (ops, stats) = read_text(
        &format!(
            "{HEADER}0,SET,a,0,0\n1,EXPIRE,a,0,0\n2,SETEX,b,10,0\n3,SETEX,b,10,5\n4,INCRBY,c,0,0\n"
        ),
        TraceFormat::Csv,
        false,
    );
    // SET of 0 bytes is an empty string; EXPIRE 0 deletes; SETEX 0 is
    // refused (Redis: "invalid expire time"), counted, never fatal.
    assert!(matches!(
        ops[0].cmd,
        Cmd::Set {
            value: Value { len: 0, .. },
            ttl_ms: 0,
            ..
        }
    ));
    assert_eq!(ops[1].cmd, Cmd::Expire { ttl_ms: 0 });
    assert!(matches!(ops[2].cmd, Cmd::Set { ttl_ms: 5, .. }));
    assert_eq!(ops[3].cmd, Cmd::IncrBy { delta: 0 });
    assert_eq!(ops.len(), 4);
    assert_eq!(stats.rejected, 1);
    assert_eq!(stats.skipped_malformed, 0);
    let deletes: u64 = stats.understood.iter().map(|u| u.expire_deletes).sum();
    assert_eq!(deletes, 1);
}

#[test]
fn csv_refuses_a_value_in_a_column_the_op_does_not_use() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "u.csv",
        format!("{HEADER}0,SET,a,5,0\n1,DEL,a,512,\n").as_bytes(),
    );
    let mut o = TraceOptions::new(TraceFormat::Csv);
    o.strict = true;
    let mut r = TraceReader::open(&p, o).unwrap();
    r.by_ref().for_each(drop);
    let e = r.finish().unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "{}:3: value_bytes '512' does not apply to DEL (leave it empty or 0)",
            p.display()
        )
    );
    for (line, field) in [
        ("1,DECR,a,,60000", "ttl_ms '60000' does not apply to DECR"),
        ("1,PERSIST,a,,,,5", "slide_ms '5' does not apply to PERSIST"),
        (
            "1,EXPIRE,a,7,100",
            "value_bytes '7' does not apply to EXPIRE",
        ),
    ] {
        let (_, s) = read_text(
            &format!("{HEADER}0,SET,a,5,0\n{line}\n"),
            TraceFormat::Csv,
            false,
        );
        assert_eq!(s.skipped_malformed, 1, "{line}");
        assert!(s.first_errors[0].1.contains(field), "{:?}", s.first_errors);
    }
}

// ---------------------------------------------------------------- other formats

#[test]
fn twitter_zeros_read_as_empty_fields() {
    let zeros = "0,k1,2,0,0,get,0\n1,k1,2,100,0,set,0\n2,k1,0,0,0,delete,0\n3,k2,0,50,0,add,0\n";
    let empty = "0,k1,2,,,get,\n1,k1,2,100,,set,\n2,k1,,,,delete,\n3,k2,,50,,add,\n";
    for rt in [false, true] {
        let (a, _) = read_text(zeros, TraceFormat::Twitter, rt);
        let (b, _) = read_text(empty, TraceFormat::Twitter, rt);
        assert_eq!(a, b, "read-through {rt}");
        assert!(
            matches!(a[1].cmd, Cmd::Set { ttl_ms: 0, .. }),
            "ttl 0 is none"
        );
        assert_eq!(a[3].key_len, 2, "key_size 0: the key's own length");
    }
}

#[test]
fn cachelib_zeros_read_as_empty_fields() {
    let head = "op_time,key,key_size,op,op_count,size,cache_hits,ttl\n";
    let zeros = format!("{head}10,aa,0,GET,1,0,0,0\n11,aa,0,SET,1,80,0,0\n12,aa,0,GET,2,0,0,0\n");
    let empty = format!("{head}10,aa,,GET,1,,,\n11,aa,,SET,1,80,,\n12,aa,,GET,2,,,\n");
    for rt in [false, true] {
        let (a, _) = read_text(&zeros, TraceFormat::Cachelib, rt);
        let (b, _) = read_text(&empty, TraceFormat::Cachelib, rt);
        assert_eq!(a, b, "read-through {rt}");
        assert_eq!(a.len(), 4);
        assert!(matches!(a[1].cmd, Cmd::Set { ttl_ms: 0, .. }));
    }
    // Read-through: the size-0 reads after the SET fill its 80 bytes.
    let (a, _) = read_text(&zeros, TraceFormat::Cachelib, true);
    assert!(matches!(
        a[3].cmd,
        Cmd::Read(ReadSpec {
            fill: Some(Value { len: 80, .. }),
            ..
        })
    ));
}

#[test]
fn monitor_set_ex_zero_is_refused_as_redis_refuses_it() {
    let base = "1700000000.000000 [0 127.0.0.1:1] \"SET\" \"k\" \"v\"\n\
                1700000000.100000 [0 127.0.0.1:1] \"GET\" \"k\"\n";
    let with = format!(
        "{base}1700000000.200000 [0 127.0.0.1:1] \"SET\" \"k\" \"v\" \"EX\" \"0\"\n\
         1700000000.300000 [0 127.0.0.1:1] \"SETEX\" \"k\" \"0\" \"v\"\n\
         1700000000.400000 [0 127.0.0.1:1] \"GETEX\" \"k\" \"PX\" \"0\"\n"
    );
    let (a, sa) = read_text(base, TraceFormat::Monitor, false);
    let (b, sb) = read_text(&with, TraceFormat::Monitor, false);
    assert_eq!(a, b, "refused commands change nothing");
    assert_eq!((sa.rejected, sb.rejected), (0, 3));
    // EXPIRE 0 is Redis's delete, kept.
    let (c, _) = read_text(
        &format!("{base}1700000000.500000 [0 127.0.0.1:1] \"EXPIRE\" \"k\" \"0\"\n"),
        TraceFormat::Monitor,
        false,
    );
    // (after it, the capture's first EXPIRE: its name, Cmd::Ran)
    let last = c.iter().rev().find(|o| !matches!(o.cmd, Cmd::Ran { .. }));
    assert_eq!(last.unwrap().cmd, Cmd::Expire { ttl_ms: 0 });
}

#[test]
fn oracle_general_size_zero_is_the_last_known_size() {
    let mut bytes = Vec::new();
    for (t, id, size) in [(0, 7, 300), (1, 7, 0), (2, 8, 0)] {
        bytes.extend_from_slice(&oracle_general_record(t, id, size, -1));
    }
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "o.bin", &bytes);
    let (ops, _) = read(&p, TraceFormat::OracleGeneral, true);
    let fill = |op: &Op| match op.cmd {
        Cmd::Read(r) => r.fill.map(|v| v.len),
        _ => None,
    };
    assert_eq!(fill(&ops[0]), Some(300));
    assert_eq!(fill(&ops[1]), Some(300), "0: the object's last size");
    assert_eq!(
        fill(&ops[2]),
        Some(evictsim::trace::DEFAULT_VALUE_LEN),
        "0 and never seen: the default"
    );
}

// ---------------------------------------------------------------- --strict and the summary

#[test]
fn strict_refuses_unknown_ops_in_closed_formats() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "csv",
            "a.csv",
            format!("{HEADER}0,SET,a,5,0\n1,FROB,a,,\n"),
            "unknown op 'FROB' (known: GET, SET,",
        ),
        (
            "twitter",
            "t.csv",
            "0,k,1,5,0,set,0\n1,k,1,5,0,frob,0\n".to_string(),
            "unknown op 'frob' (known: get, gets, set,",
        ),
        (
            "cachelib",
            "c.csv",
            "op_time,key,op,size\n1,a,SET,5\n2,a,FROB,5\n".to_string(),
            "unknown op 'FROB' (known: GET, GET_LEASE,",
        ),
    ];
    for (format, name, text, msg) in cases {
        let p = write(dir.path(), name, text.as_bytes());
        let file = p.display().to_string();
        evictsim()
            .args([
                "replay",
                &file,
                "--trace-format",
                format,
                "--maxmemory",
                "1mb",
            ])
            .args(["--strict", "--no-report", "-p", "allkeys-lru"])
            .assert()
            .failure()
            .code(1)
            .stderr(predicate::str::contains(format!("{file}:")))
            .stderr(predicate::str::contains(msg))
            .stderr(predicate::str::contains("panicked").not());
        // Lenient: counted and listed, the run goes on.
        evictsim()
            .args([
                "replay",
                &file,
                "--trace-format",
                format,
                "--maxmemory",
                "1mb",
            ])
            .args(["--no-report", "-p", "allkeys-lru"])
            .assert()
            .success()
            .stderr(predicate::str::contains(
                "commands not modelled (skipped): FROB x1",
            ));
    }
    // MONITOR keeps counting what it does not model, strict or not.
    let p = write(
        dir.path(),
        "m.log",
        b"1.0 [0 127.0.0.1:1] \"PING\"\n1.1 [0 127.0.0.1:1] \"SET\" \"a\" \"b\"\n",
    );
    evictsim()
        .args(["replay", p.to_str().unwrap(), "--trace-format", "monitor"])
        .args(["--maxmemory", "1mb", "--strict", "--no-report"])
        .assert()
        .success()
        .stderr(predicate::str::contains("PING x1"));
}

#[test]
fn replay_says_what_it_understood_per_class() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    evictsim()
        .args([
            "replay",
            "tests/fixtures/mixed-zeros.csv",
            "--trace-format",
            "csv",
        ])
        .args([
            "--maxmemory",
            "3mb",
            "--classes",
            "tests/fixtures/mixed-zeros.classes.toml",
        ])
        .args(["-p", "allkeys-lru", "--out", out.to_str().unwrap()])
        .assert()
        .success()
        .stderr(predicate::str::contains("understood as:"))
        .stderr(predicate::str::is_match(r"(?m)^  cache +10,489 +10,489 ").unwrap())
        .stderr(predicate::str::is_match(r"(?m)^  ratelimit +0 +0 +0 +3,294 +0 ").unwrap());
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("How the trace was read, per class"), "{md}");
    assert!(md.contains("| fill on a miss |"), "{md}");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("results.json")).unwrap()).unwrap();
    let u = &json["source"]["trace"]["understood"];
    assert_eq!(u["cache"]["reads_with_fill"], 10_489);
    assert_eq!(u["ratelimit"]["incrs_with_window"], 0);
    assert_eq!(u["sessions"]["reads_with_fill"], 0);
}

#[test]
fn the_csv_writer_refuses_what_zero_cannot_say() {
    use evictsim::trace::{CsvWriteError, CsvWriter};
    let op = |cmd| Op {
        t_ms: 0,
        key: 0,
        key_len: 1,
        db: 0,
        class: 0,
        cmd,
    };
    let mut w = CsvWriter::new(Vec::new()).unwrap();
    for cmd in [
        Cmd::IncrWindow { window_ms: 0 },
        Cmd::Read(ReadSpec {
            fill: Some(Value::bytes(0)),
            ..ReadSpec::default()
        }),
    ] {
        let e = w.write_op(&op(cmd), b"k").unwrap_err();
        assert!(matches!(e, CsvWriteError::Unwritable(_)), "{e:?}");
        assert!(
            e.to_string().contains("(0 means none in that field)"),
            "{e}"
        );
    }
    assert_eq!(w.ops(), 0, "nothing half-written");
}
