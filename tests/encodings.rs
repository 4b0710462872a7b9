//! Aggregate encodings and their conversions, against a real redis-server
//! 7.0.15: lists, hashes, sets and sorted sets are built one command per
//! element, as applications build them, around each threshold
//! (`hash-max-listpack-entries` 512 and `-value` 64,
//! `zset-max-listpack-entries` 128 and `-value` 64, `set-max-intset-entries`
//! 512, a string member in a set), on the server and, as MONITOR lines,
//! through the trace reader into the model. Each key's `OBJECT ENCODING`
//! must be the encoding the model holds it in. (Their memory is checked by
//! `calibrate`'s aggregate cells: tests/validate.rs.)

#[allow(dead_code)]
mod support;

use evictsim::model::keyspace::ValueKind;
use evictsim::model::{AnyInstance, InstanceConfig, PolicyKind};
use evictsim::trace::{TraceFormat, TraceOptions, TraceReader};
use support::redis::{Reply, Server};

/// Redis 7.0's name for how the model holds a value.
fn encoding(kind: ValueKind) -> &'static str {
    match kind {
        ValueKind::Str => "embstr or raw",
        ValueKind::Int => "int",
        ValueKind::Aggregate => "(unmodelled aggregate)",
        ValueKind::List => "quicklist",
        ValueKind::Hash | ValueKind::Zset | ValueKind::SetListpack => "listpack",
        ValueKind::HashTable | ValueKind::SetTable | ValueKind::SetIntTable => "hashtable",
        ValueKind::ZsetSkiplist => "skiplist",
        ValueKind::Intset16 | ValueKind::Intset32 | ValueKind::Intset64 => "intset",
    }
}

/// The commands of each case: (key, commands, each its arguments after
/// the key).
fn cases() -> Vec<(&'static str, &'static str, Vec<Vec<String>>)> {
    let n = |count: usize, f: &dyn Fn(usize) -> Vec<String>| (0..count).map(f).collect();
    let member = |i: usize| format!("member:{i:06}");
    vec![
        (
            "hash-512",
            "HSET",
            n(512, &|i| vec![format!("f{i:04}"), "v".repeat(20)]),
        ),
        (
            "hash-513",
            "HSET",
            n(513, &|i| vec![format!("f{i:04}"), "v".repeat(20)]),
        ),
        (
            "hash-wide",
            "HSET",
            n(3, &|i| vec![format!("f{i}"), "v".repeat(65)]),
        ),
        (
            "zset-128",
            "ZADD",
            n(128, &|i| vec![(1000 + i).to_string(), member(i)]),
        ),
        (
            "zset-129",
            "ZADD",
            n(129, &|i| vec![(1000 + i).to_string(), member(i)]),
        ),
        (
            "zset-wide",
            "ZADD",
            n(2, &|i| vec![i.to_string(), "m".repeat(65)]),
        ),
        (
            "set-ints-512",
            "SADD",
            n(512, &|i| vec![(i * 7).to_string()]),
        ),
        (
            "set-ints-513",
            "SADD",
            n(513, &|i| vec![(i * 7).to_string()]),
        ),
        (
            "set-big-ints",
            "SADD",
            n(40, &|i| vec![(5_000_000_000u64 + i as u64).to_string()]),
        ),
        ("set-strings", "SADD", n(20, &|i| vec![member(i)])),
        ("list", "RPUSH", n(300, &|i| vec![format!("job:{i}")])),
    ]
}

#[test]
fn aggregates_take_the_encoding_redis_gives_them() {
    let Some(server) = Server::start(&[]) else {
        return;
    };
    let mut c = server.client();
    let mut capture = String::new();
    let mut t = 1_700_000_000.0f64;
    for (key, name, commands) in cases() {
        for args in commands {
            let mut argv = vec![name, key];
            argv.extend(args.iter().map(String::as_str));
            let reply = c.cmd(&argv);
            assert!(!matches!(reply, Reply::Error(_)), "{argv:?}: {reply:?}");
            let quoted: Vec<String> = argv.iter().map(|a| format!("\"{a}\"")).collect();
            capture.push_str(&format!("{t:.6} [0 127.0.0.1:1] {}\n", quoted.join(" ")));
            t += 0.001;
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("monitor.log");
    std::fs::write(&path, capture).unwrap();
    let mut reader = TraceReader::open(&path, TraceOptions::new(TraceFormat::Monitor)).unwrap();
    let mut model = AnyInstance::new(
        PolicyKind::NoEviction,
        &InstanceConfig::default(),
        reader.class_infos().len(),
    );
    for op in reader.by_ref() {
        model.apply(&op);
    }
    let names = reader.key_names();
    let ks = model.keyspace();
    let mut wrong = Vec::new();
    for (key, ..) in cases() {
        let Reply::Bulk(Some(real)) = c.cmd(&["OBJECT", "ENCODING", key]) else {
            panic!("OBJECT ENCODING {key} failed")
        };
        let real = String::from_utf8(real).unwrap();
        let id = names
            .iter()
            .position(|(db, n)| *db == 0 && n == key.as_bytes())
            .unwrap_or_else(|| panic!("{key} not read")) as u32;
        let pos = ks
            .find(0, id)
            .unwrap_or_else(|| panic!("{key} not in the model"));
        let modelled = encoding(ks.entry(0, pos).kind);
        if real != modelled {
            wrong.push(format!("{key}: redis {real}, model {modelled}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
