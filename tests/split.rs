//! One instance or two (`evictsim split`): the split layout of the seed
//! scenario loses no critical read and refuses no critical write where the
//! mixed instance under `allkeys-lru` loses both, with the same total
//! memory; the written `store.conf` and `cache.conf` are the golden files
//! (tests/fixtures/golden/split-seed-1m.*.conf, written before the writer
//! moved to `conf::write`, shared with `audit`) and start real
//! redis-servers with the settings they say (checked with `CONFIG GET`).

mod support;

use assert_cmd::Command;
use evictsim::model::PolicyKind;
use evictsim::provenance::Provenance;
use evictsim::source::Scenario;
use evictsim::split::{self, SplitOptions};
use std::path::Path;

fn seed(minutes: u64) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/seed-blog.toml");
    let mut sc = Scenario::from_path(&path).unwrap();
    // A shorter run keeps the test fast in a debug build; the pressure is
    // already there after a minute.
    sc.duration_ms = minutes * 60_000;
    sc.policies = vec![PolicyKind::AllKeysLru];
    sc
}

#[test]
fn the_split_seed_loses_nothing_where_one_instance_does() {
    let sc = seed(3);
    let plan = split::plan(&sc, &SplitOptions::default(), Provenance::Library).unwrap();
    let classes = plan.classes().to_vec();
    let store = split::critical_counters(&classes, &plan.store.metrics);
    assert_eq!(store.evicted, 0);
    assert_eq!(store.lost_reads, 0);
    assert_eq!(store.oom_rejected, 0, "no critical write refused");
    let mixed = split::critical_counters(&classes, &plan.mixed.results[0].metrics);
    assert!(mixed.evicted_distinct > 100, "{mixed:?}");
    assert!(mixed.lost_reads > 10, "{mixed:?}");
    assert_eq!(
        plan.total_memory(),
        plan.mixed.maxmemory_bytes,
        "same memory"
    );
    // The store is the critical peak plus 25%, rounded up to a MiB.
    assert!(plan.store.maxmemory >= plan.store_peak * 125 / 100);
    assert!(plan.store.maxmemory < plan.store_peak * 125 / 100 + (1 << 20));
    // Every op went to one side or the other.
    assert_eq!(plan.store.ops + plan.cache.ops, plan.mixed.ops);
    let cache = split::cache_counters(&classes, &plan.cache.metrics);
    assert!(cache.reads > 0 && cache.hits > 0);
}

#[test]
fn a_split_without_room_for_the_cache_says_so() {
    let mut sc = seed(1);
    sc.instance.maxmemory = 4 << 20;
    let e = split::plan(&sc, &SplitOptions::default(), Provenance::Library).unwrap_err();
    assert!(e.to_string().contains("--cache-maxmemory"), "{e}");
}

/// `CONFIG GET name` on `c`, as a string.
fn config_get(c: &mut support::redis::Client, name: &str) -> String {
    match c.cmd(&["CONFIG", "GET", name]) {
        support::redis::Reply::Array(v) => match v.get(1) {
            Some(support::redis::Reply::Bulk(Some(b))) => String::from_utf8_lossy(b).into_owned(),
            other => panic!("CONFIG GET {name}: {other:?}"),
        },
        other => panic!("CONFIG GET {name}: {other:?}"),
    }
}

#[test]
fn the_config_files_start_real_servers_with_their_settings() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("seed.toml");
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/seed-blog.toml"),
    )
    .unwrap()
    .replace("duration = \"10m\"", "duration = \"1m\"");
    std::fs::write(&scenario, text).unwrap();
    let out = dir.path().join("out");
    Command::cargo_bin("evictsim")
        .unwrap()
        .args([
            "split",
            scenario.to_str().unwrap(),
            "-p",
            "allkeys-lru",
            "-q",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let plan: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("results.json")).unwrap()).unwrap();
    for (file, side) in [("store.conf", "store"), ("cache.conf", "cache")] {
        let conf = out.join(file);
        let text = std::fs::read_to_string(&conf).unwrap();
        assert!(text.starts_with("# Redis "), "commented: {text}");
        let golden = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("tests/fixtures/golden/split-seed-1m.{side}.conf"));
        assert_eq!(
            support::generated_line(&text),
            std::fs::read_to_string(golden).unwrap(),
            "{file} is byte for byte what split wrote before the shared writer"
        );
        let data = tempfile::tempdir().unwrap();
        let Some(server) = support::redis::Server::start_with_config(
            conf.to_str().unwrap(),
            data.path().to_str().unwrap(),
        ) else {
            return;
        };
        let mut c = server.client();
        let want = plan[side]["maxmemory_bytes"].as_u64().unwrap();
        assert_eq!(config_get(&mut c, "maxmemory"), want.to_string(), "{file}");
        assert_eq!(
            config_get(&mut c, "maxmemory-policy"),
            plan[side]["policy"].as_str().unwrap(),
            "{file}"
        );
        if side == "store" {
            assert_eq!(config_get(&mut c, "appendonly"), "yes");
            assert_eq!(config_get(&mut c, "appendfsync"), "everysec");
            assert_eq!(config_get(&mut c, "save"), "3600 1 300 100 60 10000");
        } else {
            assert_eq!(config_get(&mut c, "appendonly"), "no");
            assert_eq!(config_get(&mut c, "save"), "");
        }
    }
}
