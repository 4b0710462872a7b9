//! Redis Cluster: keys hash to Redis's slots (checked against a real
//! `redis-server --cluster-enabled yes`), every operation reaches exactly
//! one shard, a one-shard cluster is the single instance byte for byte,
//! the hot-tenant scenario's hottest shard is the tenant's, and a cluster
//! refuses databases other than 0 in scenarios and traces.
//!
//! The test against a real server is skipped with a message when
//! redis-server is missing outside CI.

mod support;

use assert_cmd::Command;
use evictsim::cluster::{key_hash_slot, SlotMap};
use evictsim::model::PolicyKind;
use evictsim::provenance::Provenance;
use evictsim::report::{export, Format};
use evictsim::sim::{simulate, simulate_cluster, RunResult, RunSpec};
use evictsim::source::{Scenario, Workload};
use std::path::Path;
use support::redis::{Reply, Server};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A scenario small enough for a debug build: a cache spread over every
/// slot and one tenant's sessions on one slot, under pressure.
const TWO_TENANTS: &str = r#"
[instance]
maxmemory = "2mb"
policies = ["noeviction", "allkeys-lru", "volatile-ttl"]
[run]
duration = "20s"
seed = 5
[[class]]
name = "cache"
kind = "cache"
key = "cache:{id:06}"
keys = 6000
reads_per_sec = 1500
value = { dist = "lognormal", median = 600, sigma = 0.8 }
ttl = "1h"
[[class]]
name = "tenant-sessions"
kind = "session"
key = "s:{{acme}}:{hex:16}"
logins_per_sec = 60
active_for = "10s"
requests_per_sec = 300
value = { dist = "uniform", min = 300, max = 900 }
ttl = "1m"
sliding = true
"#;

fn spec(sc: &Scenario) -> RunSpec {
    RunSpec {
        scenario: sc.name.clone(),
        seed: sc.seed,
        instance: sc.instance.clone(),
        policies: sc.policies.clone(),
        classes: sc.class_infos(),
        duration_ms: sc.duration_ms,
        source: Provenance::Scenario {
            path: format!("{}.toml", sc.name),
        },
    }
}

fn run(sc: &Scenario, slots: &SlotMap) -> RunResult {
    simulate_cluster(&spec(sc), slots, Workload::new(sc), |_, _| {})
}

/// `CLUSTER KEYSLOT` needs cluster mode: a plain server answers "cluster
/// support disabled", so the server runs with `--cluster-enabled yes` and
/// its `nodes.conf` in a temporary directory. No slot needs to be assigned
/// for KEYSLOT to answer.
#[test]
fn slots_match_cluster_keyslot_of_a_real_server() {
    let dir = tempfile::tempdir().unwrap();
    let nodes = dir.path().join("nodes.conf");
    let Some(server) = Server::start(&[
        "--cluster-enabled",
        "yes",
        "--cluster-config-file",
        nodes.to_str().unwrap(),
        "--dir",
        dir.path().to_str().unwrap(),
    ]) else {
        return;
    };
    let mut c = server.client();
    let mut keys: Vec<String> = [
        "foo",
        "{user1000}.following",
        "{user1000}.followers",
        "foo{}{bar}",
        "foo{{bar}}",
        "foo{bar}{zap}",
        "{bar",
        "}{x}",
        "{}",
        "",
        "a{b",
        "session:{tenant42}:9f2c",
        "cache:page:00000042",
        "日本{語}",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // And names as the hot-tenant scenario renders them.
    let sc = Scenario::from_path(&root().join("scenarios/cluster-hot-tenant.toml")).unwrap();
    let w = Workload::new(&sc);
    keys.extend((0..5).map(|id| w.key_name(id)));
    let mut w = Workload::new(&sc);
    while keys.len() < 30 {
        let op = w.next().unwrap();
        let name = w.key_name(op.key);
        if !keys.contains(&name) {
            keys.push(name);
        }
    }
    for k in &keys {
        let want = match c.cmd(&["CLUSTER", "KEYSLOT", k]) {
            Reply::Int(n) => n as u16,
            other => panic!("CLUSTER KEYSLOT {k:?}: {other:?}"),
        };
        assert_eq!(key_hash_slot(k.as_bytes()), want, "slot of {k:?}");
    }
    assert!(keys.iter().any(|k| k.contains("{tenant42}")));
}

#[test]
fn every_operation_reaches_one_shard() {
    let sc = Scenario::from_str(TWO_TENANTS, "two-tenants.toml").unwrap();
    let slots = SlotMap::even(3).unwrap();
    let r = run(&sc, &slots);
    let c = r.cluster.as_ref().unwrap();
    assert_eq!(c.shards.len(), 3);
    assert_eq!(c.shards.iter().map(|s| s.ops).sum::<u64>(), r.ops);
    assert_eq!(
        c.shards.iter().map(|s| s.keys).sum::<u64>(),
        distinct_keys(&sc),
        "every key on exactly one shard"
    );
    for (run, shards) in r.results.iter().zip(&c.results) {
        let mut sum = evictsim::metrics::Counters::default();
        for m in shards {
            sum.add(&m.totals());
        }
        assert_eq!(sum, run.metrics.totals(), "{}", run.policy);
        let peak = shards.iter().map(|m| m.peak_used_memory).max().unwrap();
        assert_eq!(run.metrics.peak_used_memory, peak, "the fullest shard's");
    }
    let unbounded = c.shards.iter().map(|s| s.unbounded_peak_memory).max();
    assert_eq!(Some(r.unbounded_peak_memory), unbounded);
}

/// Distinct keys the scenario's stream touches.
fn distinct_keys(sc: &Scenario) -> u64 {
    let mut seen = std::collections::HashSet::new();
    for op in Workload::new(sc) {
        seen.insert(op.key);
    }
    seen.len() as u64
}

#[test]
fn one_shard_is_the_single_instance_byte_for_byte() {
    let text = std::fs::read_to_string(root().join("tests/fixtures/tiny.toml")).unwrap();
    // The fixture's second cache is in db 1, which a cluster refuses.
    let text = text.replace("db = 1\n", "");
    let sc = Scenario::from_str(&text, "tiny.toml").unwrap();
    let single = simulate(&spec(&sc), Workload::new(&sc), |_, _| {});
    let mut one = run(&sc, &SlotMap::even(1).unwrap());
    let c = one.cluster.take().unwrap();
    assert_eq!(c.shards[0].ops, single.ops);
    for f in [Format::Json, Format::Table, Format::Csv, Format::Markdown] {
        assert!(
            export(f, &one).unwrap() == export(f, &single).unwrap(),
            "{f} differs"
        );
    }
    // The shard's own metrics are the instance's.
    for (shards, run) in c.results.iter().zip(&single.results) {
        assert_eq!(shards[0].totals(), run.metrics.totals());
        assert_eq!(shards[0].timeline, run.metrics.timeline);
        assert_eq!(shards[0].peak_used_memory, run.metrics.peak_used_memory);
    }
}

#[test]
fn a_hash_tag_puts_a_tenant_on_one_shard_and_makes_it_the_hottest() {
    let sc = Scenario::from_str(TWO_TENANTS, "two-tenants.toml").unwrap();
    let slots = SlotMap::even(3).unwrap();
    let tenant = slots.shard_of_key(b"acme");
    let r = run(&sc, &slots);
    let c = r.cluster.as_ref().unwrap();
    for (run, shards) in r.results.iter().zip(&c.results) {
        for (s, m) in shards.iter().enumerate() {
            let writes = m.classes[1].counters.writes;
            assert_eq!(writes > 0, s == tenant, "{} shard {s}", run.policy);
        }
    }
    let json: serde_json::Value =
        serde_json::from_slice(&export(Format::Json, &r).unwrap()).unwrap();
    assert_eq!(json["cluster"]["hottest_shard"], tenant);
    assert_eq!(json["cluster"]["hottest_under"], "volatile-ttl");
    for p in json["results"].as_array().unwrap() {
        assert_eq!(p["hottest_shard"], tenant, "{}", p["policy"]);
        assert_eq!(p["shards"].as_array().unwrap().len(), 3);
    }
}

/// The shipped scenario teaches what it says: the tenant's shard loses
/// sessions while the others have room.
#[test]
fn the_hot_tenant_scenarios_hottest_shard_is_the_tenants() {
    let mut sc = Scenario::from_path(&root().join("scenarios/cluster-hot-tenant.toml")).unwrap();
    sc.policies = vec![PolicyKind::AllKeysLru, PolicyKind::VolatileTtl];
    let slots = sc.cluster.clone().expect("the scenario is a cluster");
    assert_eq!(slots.shards(), 3);
    let tenant = slots.shard_of_key(b"session:{tenant42}:0123456789abcdef");
    let r = run(&sc, &slots);
    let table = String::from_utf8(export(Format::Table, &r).unwrap()).unwrap();
    assert!(
        table.contains(&format!("hottest shard: {tenant} (slots ")),
        "{table}"
    );
    let c = r.cluster.as_ref().unwrap();
    for (run, shards) in r.results.iter().zip(&c.results) {
        for (s, m) in shards.iter().enumerate() {
            let t = m.totals();
            if s == tenant {
                assert!(t.lost_reads > 0, "{}: the tenant's shard loses", run.policy);
            } else {
                assert_eq!(t.evicted, 0, "{}: shard {s} has room", run.policy);
            }
        }
    }
    for s in 0..3 {
        let need = c.shards[s].unbounded_peak_memory;
        assert_eq!(need > sc.instance.maxmemory, s == tenant, "shard {s}");
    }
}

#[test]
fn a_cluster_refuses_other_databases_in_scenarios() {
    let text = r#"[instance]
maxmemory = "1mb"
cluster = { shards = 2 }
[run]
duration = "1s"
[[class]]
name = "a"
kind = "cache"
keys = 10
reads_per_sec = 1
value = 10
[[class]]
name = "b"
kind = "cache"
db = 3
key = "b:{id}"
keys = 10
reads_per_sec = 1
value = 10
"#;
    let e = Scenario::from_str(text, "x.toml").unwrap_err();
    assert_eq!(e.line(), Some(15), "{e}");
    assert_eq!(e.field(), Some("class[1].db"), "{e}");
    assert!(e.to_string().contains("refuses SELECT"), "{e}");
    // Without the cluster it is valid.
    let plain = text.replace("cluster = { shards = 2 }\n", "");
    assert!(Scenario::from_str(&plain, "x.toml")
        .unwrap()
        .cluster
        .is_none());
}

#[test]
fn cluster_fields_are_checked_with_their_line() {
    let base = |cluster: &str| {
        format!(
            "[instance]\nmaxmemory = \"1mb\"\ncluster = {cluster}\n[run]\nduration = \"1s\"\n\
             [[class]]\nname = \"a\"\nkind = \"cache\"\nkeys = 10\nreads_per_sec = 1\nvalue = 10\n"
        )
    };
    let ok = Scenario::from_str(&base("{ shards = 4 }"), "x.toml").unwrap();
    assert_eq!(ok.cluster, Some(SlotMap::even(4).unwrap()));
    let explicit =
        Scenario::from_str(&base("{ slots = [[0, 99, 1], [100, 16383, 0]] }"), "x.toml").unwrap();
    let m = explicit.cluster.unwrap();
    assert_eq!((m.shards(), m.shard_of_slot(50)), (2, 1));
    for (cluster, field, words) in [
        ("{ shards = 0 }", "instance.cluster.shards", "from 1 to 255"),
        (
            "{ shards = 256 }",
            "instance.cluster.shards",
            "from 1 to 255",
        ),
        (
            "{ shard = 2 }",
            "instance.cluster.shard",
            "did you mean `shards`",
        ),
        ("{ }", "instance.cluster.shards", "missing"),
        (
            "{ shards = 2, slots = [[0, 100, 0], [100, 16383, 1]] }",
            "instance.cluster.slots",
            "slot 100 is given twice",
        ),
        (
            "{ shards = 2, slots = [[0, 100, 0], [200, 16383, 1]] }",
            "instance.cluster.slots",
            "slots 101-199 belong to no shard",
        ),
        (
            "{ shards = 2, slots = [[0, 16383, 2]] }",
            "instance.cluster.slots[0][2]",
            "at most 1",
        ),
        (
            "{ slots = [[0, 16384, 0]] }",
            "instance.cluster.slots[0][1]",
            "at most 16383",
        ),
        (
            "{ slots = [[0, 16383]] }",
            "instance.cluster.slots[0]",
            "[from, to, shard]",
        ),
        (
            "{ slots = [[9, 5, 0]] }",
            "instance.cluster.slots[0]",
            "ends before it starts",
        ),
    ] {
        let e = Scenario::from_str(&base(cluster), "x.toml").unwrap_err();
        assert_eq!(e.field(), Some(field), "{cluster}: {e}");
        assert_eq!(e.line(), Some(3), "{cluster}: {e}");
        assert!(e.to_string().contains(words), "{cluster}: {e}");
    }
}

fn evictsim(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("evictsim").unwrap();
    c.current_dir(dir);
    c
}

#[test]
fn run_with_shards_prints_the_shards_and_refuses_db_1() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("two.toml"), TWO_TENANTS).unwrap();
    let out = evictsim(dir.path())
        .args(["run", "two.toml", "--shards", "2", "--no-report", "-q"])
        .args(["-p", "allkeys-lru"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.starts_with("scenario two, 2 shards, maxmemory 2.0 MiB per shard,"),
        "{out}"
    );
    assert!(out.contains("shards under allkeys-lru"), "{out}");
    assert!(out.contains("hottest shard: "), "{out}");
    assert!(out.contains("0-8191"), "{out}");
    // tiny.toml has a class in db 1: --shards refuses it at its db field.
    evictsim(root())
        .args([
            "run",
            "tests/fixtures/tiny.toml",
            "--shards",
            "3",
            "--no-report",
        ])
        .assert()
        .failure()
        .stderr(predicates::str::contains(
            "tiny.toml:60: class[5].db: must be 0",
        ));
    for bad in ["0", "256", "x"] {
        evictsim(dir.path())
            .args(["run", "two.toml", "--shards", bad, "--no-report"])
            .assert()
            .failure()
            .stderr(predicates::str::contains("--shards"));
    }
    // validate replays into one server: it says so instead of ignoring the cluster.
    std::fs::write(
        dir.path().join("c.toml"),
        TWO_TENANTS.replace("[run]", "cluster = { shards = 2 }\n[run]"),
    )
    .unwrap();
    evictsim(dir.path())
        .args(["validate", "c.toml"])
        .assert()
        .failure()
        .stderr(predicates::str::contains("not a Redis Cluster of 2 shards"));
}

#[test]
fn a_clustered_replay_refuses_other_databases_and_counts_them() {
    let dir = tempfile::tempdir().unwrap();
    let trace = "t_ms,op,key,value_bytes,ttl_ms,db\n\
                 0,SET,{u1}:a,100,,0\n\
                 1,SET,{u1}:b,100,,0\n\
                 2,SET,other,100,,1\n\
                 3,GET,{u1}:a,,,0\n\
                 4,GET,other,,,1\n";
    std::fs::write(dir.path().join("t.csv"), trace).unwrap();
    let json = |shards: Option<&str>| -> serde_json::Value {
        let mut cmd = evictsim(dir.path());
        cmd.args([
            "replay",
            "t.csv",
            "--trace-format",
            "csv",
            "--maxmemory",
            "1mb",
        ])
        .args(["-p", "allkeys-lru", "--format", "json", "--no-report", "-q"]);
        if let Some(n) = shards {
            cmd.args(["--shards", n]);
        }
        let out = cmd.assert().success().get_output().stdout.clone();
        serde_json::from_slice(&out).unwrap()
    };
    let plain = json(None);
    assert_eq!(plain["ops"], 5);
    assert_eq!(plain["source"]["trace"]["rejected"], 0);
    assert!(plain.get("cluster").is_none());
    let cluster = json(Some("3"));
    assert_eq!(cluster["ops"], 3, "the two db 1 commands are refused");
    assert_eq!(cluster["source"]["trace"]["rejected"], 2);
    let layout = cluster["cluster"]["layout"].as_array().unwrap();
    let u1 = SlotMap::even(3).unwrap().shard_of_key(b"u1");
    for (s, shard) in layout.iter().enumerate() {
        let (keys, ops) = if s == u1 { (2, 3) } else { (0, 0) };
        assert_eq!(shard["keys"], keys, "shard {s}");
        assert_eq!(shard["ops"], ops, "shard {s}");
    }
    assert!(cluster["command"].as_str().unwrap().contains("--shards 3"));
}
