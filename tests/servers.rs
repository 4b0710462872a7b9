//! The other servers: Redis 8.2.3, Valkey 8.1.8 and Valkey 9.1.2, each
//! checked against its real binary (from the PyPI wheels `.ci/run` fetches
//! into `$EVICTSIM_SERVERS`, by default `~/.cache/evictsim/servers`), and
//! the `--server` choice on the command line. A test whose binary is
//! absent says SKIPPED.

use assert_cmd::Command;
use evictsim::model::{Allocator, Server};
use evictsim::validate::{self, Target};
use std::path::{Path, PathBuf};

/// Where `.ci/run` puts the binaries.
fn servers_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("EVICTSIM_SERVERS") {
        return PathBuf::from(d);
    }
    let home = std::env::var_os("HOME").unwrap_or_default();
    Path::new(&home).join(".cache/evictsim/servers")
}

/// The binary of `server`, or None (saying SKIPPED) when it is absent.
fn binary(server: Server) -> Option<PathBuf> {
    let rel = match server {
        Server::Redis70 => return Some(PathBuf::from("/usr/bin/redis-server")),
        Server::Redis82 => "redis-8.2/redis-server",
        Server::Valkey81 => "valkey-8.1/valkey-server",
        Server::Valkey91 => "valkey-9.1/valkey-server",
    };
    let p = servers_dir().join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!(
            "SKIPPED: {} not found at {} (.ci/run fetches it from PyPI)",
            server.label(),
            p.display()
        );
        None
    }
}

/// Calibrates the grid against `server`'s binary: INFO must pick its model
/// and every cell must be within 5%.
fn calibrates_within_5_percent(server: Server, allocator: Allocator) {
    let Some(bin) = binary(server) else {
        return;
    };
    let c = validate::calibrate(
        &Target::Spawn(bin),
        &validate::calibrate::grid(),
        validate::calibrate::DEFAULT_KEYS_PER_CELL,
    )
    .expect("calibration runs");
    let text = c.render();
    println!("{text}");
    let says = format!("model: {} with {}", server.name(), allocator.name());
    assert!(c.model.starts_with(&says), "{} vs {says}", c.model);
    assert_eq!(c.rows.len(), validate::calibrate::grid().len());
    assert!(c.largest_error() < 0.05, "{text}");
    assert!(c.baseline_error().abs() < 0.05, "{text}");
}

#[test]
fn redis_8_2_calibrates_within_5_percent() {
    calibrates_within_5_percent(Server::Redis82, Allocator::Jemalloc);
}

#[test]
fn valkey_8_1_calibrates_within_5_percent() {
    calibrates_within_5_percent(Server::Valkey81, Allocator::Libc);
}

#[test]
fn valkey_9_1_calibrates_within_5_percent() {
    calibrates_within_5_percent(Server::Valkey91, Allocator::Libc);
}

fn evictsim() -> Command {
    let mut c = Command::cargo_bin("evictsim").unwrap();
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

fn run_json(extra: &[&str]) -> String {
    let out = evictsim()
        .args([
            "run",
            "tests/fixtures/tiny.toml",
            "--no-report",
            "-q",
            "-f",
            "json",
        ])
        .args(extra)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).unwrap()
}

#[test]
fn redis_7_0_is_the_default_byte_for_byte() {
    // Everything but the command line the report quotes.
    let strip = |s: String| {
        let mut v: serde_json::Value = serde_json::from_str(&s).unwrap();
        v.as_object_mut().unwrap().remove("command");
        serde_json::to_string_pretty(&v).unwrap()
    };
    assert_eq!(
        strip(run_json(&[])),
        strip(run_json(&[
            "--server",
            "redis-7.0",
            "--allocator",
            "jemalloc"
        ]))
    );
}

#[test]
fn valkey_9_1_costs_less_memory_and_says_so() {
    let v: serde_json::Value =
        serde_json::from_str(&run_json(&["--server", "valkey-9.1"])).unwrap();
    let r: serde_json::Value = serde_json::from_str(&run_json(&[])).unwrap();
    assert_eq!(v["instance"]["server"], "valkey-9.1");
    assert_eq!(v["instance"]["allocator"], "libc");
    assert!(r["instance"].get("server").is_none());
    // The same keys cost less on Valkey 9.1: its no-limit peak above the
    // empty server's memory is lower (its empty server is larger).
    let peak = |j: &serde_json::Value, s: Server| {
        j["unbounded_peak_memory"].as_u64().unwrap() - s.baseline_memory()
    };
    let (pv, pr) = (peak(&v, Server::Valkey91), peak(&r, Server::Redis70));
    assert!(pv * 20 < pr * 19, "valkey {pv} vs redis {pr}: not 5% less");
}

#[test]
fn a_server_without_lrm_refuses_it() {
    evictsim()
        .args([
            "run",
            "tests/fixtures/tiny.toml",
            "--no-report",
            "--server",
            "valkey-8.1",
            "-p",
            "allkeys-lrm",
        ])
        .assert()
        .failure()
        .stderr(predicates::str::contains("valkey-8.1 has no allkeys-lrm"));
}

#[test]
fn compare_servers_writes_the_comparison_and_the_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let run = |out: &Path| {
        evictsim()
            .args([
                "compare-servers",
                "tests/fixtures/tiny.toml",
                "-q",
                "--json",
                "--resolution",
                "64kb",
                "--out",
            ])
            .arg(out)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone()
    };
    let first = run(&dir.path().join("a"));
    let j: serde_json::Value = serde_json::from_slice(&first).unwrap();
    let servers = j["servers"].as_array().unwrap();
    let names: Vec<&str> = servers
        .iter()
        .map(|s| s["server"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["redis-7.0", "redis-8.2", "valkey-8.1", "valkey-9.1"]
    );
    // Redis 8.2 stores these keys in fewer bytes than 7.0 (its empty server
    // is smaller too): it needs less memory to lose nothing.
    let lose = |i: usize| servers[i]["memory_to_lose_nothing"].as_u64().unwrap();
    assert!(lose(1) < lose(0), "{} vs {}", lose(1), lose(0));
    let sentences = j["sentences"].as_array().unwrap();
    assert_eq!(sentences.len(), 3);
    assert!(
        sentences[2]
            .as_str()
            .unwrap()
            .starts_with("On Valkey 9.1 this workload needs "),
        "{}",
        sentences[2]
    );
    for s in servers {
        // Every policy of the fixture, at its maxmemory and searched.
        assert_eq!(s["at_maxmemory"].as_array().unwrap().len(), 3);
        assert_eq!(s["smallest_safe_maxmemory"].as_array().unwrap().len(), 3);
    }
    for f in [
        "table.txt",
        "report.md",
        "results.json",
        "safe-maxmemory-by-server.svg",
        "safe-maxmemory-by-server.png",
    ] {
        assert!(dir.path().join("a").join(f).exists(), "{f}");
    }
    // Same seed, same bytes.
    assert_eq!(first, run(&dir.path().join("b")));
    assert_eq!(
        std::fs::read(dir.path().join("a/report.md")).unwrap(),
        std::fs::read(dir.path().join("b/report.md")).unwrap()
    );
}

#[test]
fn policies_per_server_leave_out_lrm_where_absent() {
    for server in ["redis-8.2", "valkey-8.1", "valkey-9.1"] {
        let out = evictsim()
            .args(["policies", "--server", server])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text.lines().count(),
            9,
            "{server}: the eight and exact-lru\n{text}"
        );
        assert!(!text.contains("lrm"), "{server}\n{text}");
    }
    let all = evictsim()
        .arg("policies")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(String::from_utf8(all).unwrap().contains("allkeys-lrm"));
}
