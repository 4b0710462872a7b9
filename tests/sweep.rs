//! `evictsim sweep` as a user runs it: every point is exactly the single
//! `run` (or `replay`) of its size, seed and policy; `--find-safe` answers a
//! size that is safe under every seed with the size one resolution below
//! not; the report directory; and clear errors for bad ranges.

use assert_cmd::Command;
use evictsim::model::PolicyKind;
use evictsim::sim::{self, RunSpec};
use evictsim::source::{Scenario, Workload};
use predicates::prelude::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn evictsim(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("evictsim").unwrap();
    c.current_dir(dir);
    c
}

/// Runs evictsim and parses its stdout as JSON, failing with its stderr.
fn json(dir: &Path, args: &[&str]) -> Value {
    let out = evictsim(dir).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "evictsim {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The counters of a JSON object as the bytes serde_json writes for them.
fn bytes_of(v: &Value) -> String {
    serde_json::to_string(v).unwrap()
}

/// Checks every point of a sweep against the single run `single` makes for
/// (size, seed, policy): the same counters, byte for byte, and the same
/// figures derived from them.
fn assert_points_equal_single_runs(sweep: &Value, single: impl Fn(u64, u64, &str) -> Value) {
    let points = sweep["points"].as_array().unwrap();
    assert!(!points.is_empty());
    for p in points {
        let (size, seed) = (
            p["maxmemory_bytes"].as_u64().unwrap(),
            p["seed"].as_u64().unwrap(),
        );
        let policy = p["policy"].as_str().unwrap();
        let run = single(size, seed, policy);
        assert_eq!(run["maxmemory_bytes"].as_u64(), Some(size));
        assert_eq!(run["seed"].as_u64(), Some(seed));
        let r = &run["results"][0];
        assert_eq!(r["policy"], policy);
        let at = format!("{policy} at {size} bytes, seed {seed}");
        assert_eq!(
            bytes_of(&p["totals"]),
            bytes_of(&r["totals"]),
            "totals of {at}"
        );
        assert_eq!(
            bytes_of(&p["critical_totals"]),
            bytes_of(&r["critical_totals"]),
            "critical totals of {at}"
        );
        assert_eq!(p["peak_used_memory"], r["peak_used_memory"], "peak of {at}");
        let c = &r["critical_totals"];
        assert_eq!(p["critical_evicted"], c["evicted_distinct"]);
        assert_eq!(p["lost_critical_reads"], c["lost_reads"]);
        assert_eq!(p["critical_refused"], c["oom_rejected"]);
        assert_eq!(p["refused_writes"], r["totals"]["oom_rejected"]);
        assert_eq!(p["hit_ratio"]["hits"], r["totals"]["hits"]);
        assert_eq!(p["hit_ratio"]["reads"], r["totals"]["reads"]);
    }
}

#[test]
fn sweep_points_equal_single_runs_of_a_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = fixture("tiny.toml");
    let tiny = tiny.to_str().unwrap();
    let sweep = json(
        dir.path(),
        &[
            "sweep",
            tiny,
            "--maxmemory",
            "1mb..2mb",
            "--steps",
            "3",
            "--seeds",
            "2",
            "-p",
            "noeviction",
            "-p",
            "allkeys-lru",
            "-p",
            "volatile-lru",
            "--format",
            "json",
            "--no-report",
            "-q",
        ],
    );
    // 3 sizes x 3 policies x seeds 7 (the scenario's) and 8.
    assert_eq!(sweep["points"].as_array().unwrap().len(), 18);
    let seeds: Vec<u64> = sweep["seeds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["seed"].as_u64().unwrap())
        .collect();
    assert_eq!(seeds, [7, 8]);
    // A scenario's seed changes its workload.
    assert_ne!(sweep["seeds"][0]["ops"], sweep["seeds"][1]["ops"]);
    assert_points_equal_single_runs(&sweep, |size, seed, policy| {
        json(
            dir.path(),
            &[
                "run",
                tiny,
                "--maxmemory",
                &size.to_string(),
                "--seed",
                &seed.to_string(),
                "-p",
                policy,
                "--format",
                "json",
                "--no-report",
                "-q",
            ],
        )
    });
}

#[test]
fn sweep_points_equal_single_replays_of_a_trace() {
    let dir = tempfile::tempdir().unwrap();
    let trace = fixture("mixed-zeros.csv");
    let classes = fixture("mixed-zeros.classes.toml");
    let (trace, classes) = (trace.to_str().unwrap(), classes.to_str().unwrap());
    let sweep = json(
        dir.path(),
        &[
            "sweep",
            "--trace",
            trace,
            "--trace-format",
            "csv",
            "--classes",
            classes,
            "--maxmemory",
            "2mb..3mb",
            "--steps",
            "2",
            "--seeds",
            "2",
            "-p",
            "allkeys-lru",
            "-p",
            "volatile-lfu",
            "--format",
            "json",
            "--no-report",
            "-q",
        ],
    );
    assert_eq!(sweep["points"].as_array().unwrap().len(), 8);
    // A trace's operations are the same under every seed.
    assert_eq!(sweep["seeds"][0]["ops"], sweep["seeds"][1]["ops"]);
    assert_eq!(sweep["source"]["kind"], "trace");
    assert_points_equal_single_runs(&sweep, |size, seed, policy| {
        json(
            dir.path(),
            &[
                "replay",
                trace,
                "--trace-format",
                "csv",
                "--classes",
                classes,
                "--maxmemory",
                &size.to_string(),
                "--seed",
                &seed.to_string(),
                "-p",
                policy,
                "--format",
                "json",
                "--no-report",
                "-q",
            ],
        )
    });
}

/// On a Redis Cluster (`--shards`), a point is the single `run` or
/// `replay --shards` of its size, which is each shard's maxmemory.
#[test]
fn sweep_points_equal_single_cluster_runs_and_replays() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = fixture("tiny-cluster.toml");
    let tiny = tiny.to_str().unwrap();
    let common = ["--shards", "3", "--format", "json", "--no-report", "-q"];
    let mut args = vec!["sweep", tiny, "--maxmemory", "1mb..1600kb", "--steps", "3"];
    args.extend(["-p", "allkeys-lru", "-p", "noeviction", "--find-safe"]);
    args.extend(["--resolution", "64kb"]);
    args.extend(common);
    let sweep = json(dir.path(), &args);
    assert_eq!(sweep["shards"], 3);
    assert!(
        sweep["command"].as_str().unwrap().contains(" --shards 3"),
        "{}",
        sweep["command"]
    );
    // Some size is unsafe, so the comparison covers evictions and refusals.
    let points = sweep["points"].as_array().unwrap();
    assert!(points
        .iter()
        .any(|p| p["critical_evicted"].as_u64() > Some(0)));
    assert_points_equal_single_runs(&sweep, |size, seed, policy| {
        let (size, seed) = (size.to_string(), seed.to_string());
        let mut args = vec!["run", tiny, "--maxmemory", &size, "--seed", &seed];
        args.extend(["-p", policy]);
        args.extend(common);
        json(dir.path(), &args)
    });
    // The safe size found is safe in a single cluster run, one resolution
    // below is not.
    for s in sweep["safe"].as_array().unwrap() {
        let Some(size) = s["maxmemory_bytes"].as_u64() else {
            continue;
        };
        let policy = s["policy"].as_str().unwrap();
        for (at, want) in [(size, true), (size - 64 * 1024, false)] {
            let at = at.to_string();
            let mut args = vec!["run", tiny, "--maxmemory", &at, "-p", policy];
            args.extend(common);
            let run = json(dir.path(), &args);
            let c = &run["results"][0]["critical_totals"];
            let is_safe = c["evicted_distinct"] == 0 && c["oom_rejected"] == 0;
            assert_eq!(is_safe, want, "{policy} at {at} bytes: {c}");
        }
    }

    // A trace, routed as it is read.
    let trace = fixture("mixed-zeros.csv");
    let classes = fixture("mixed-zeros.classes.toml");
    let (trace, classes) = (trace.to_str().unwrap(), classes.to_str().unwrap());
    let t = ["--trace-format", "csv", "--classes", classes];
    let mut args = vec!["sweep", "--trace", trace, "--maxmemory", "1mb..1500kb"];
    args.extend(["--steps", "2", "-p", "allkeys-lru"]);
    args.extend(t);
    args.extend(common);
    let sweep = json(dir.path(), &args);
    assert_eq!(sweep["shards"], 3);
    assert_points_equal_single_runs(&sweep, |size, seed, policy| {
        let (size, seed) = (size.to_string(), seed.to_string());
        let mut args = vec!["replay", trace, "--maxmemory", &size, "--seed", &seed];
        args.extend(["-p", policy]);
        args.extend(t);
        args.extend(common);
        json(dir.path(), &args)
    });
}

/// The library's single-policy run is the multi-policy run's entry for
/// that policy, counter for counter and in its timeline.
#[test]
fn simulate_one_equals_that_policys_entry_in_simulate() {
    let sc = Scenario::from_path(&fixture("tiny.toml")).unwrap();
    let spec = RunSpec {
        scenario: sc.name.clone(),
        seed: sc.seed,
        instance: sc.instance.clone(),
        policies: PolicyKind::ALL.to_vec(),
        classes: sc.class_infos(),
        duration_ms: sc.duration_ms,
        source: Default::default(),
    };
    let all = sim::simulate(&spec, Workload::new(&sc), |_, _| {});
    let ops: Vec<_> = Workload::new(&sc).collect();
    for run in &all.results {
        let one = sim::simulate_one(&spec, run.policy, &ops);
        let counters = |m: &evictsim::metrics::Metrics| {
            m.classes.iter().map(|c| c.counters).collect::<Vec<_>>()
        };
        assert_eq!(
            counters(&one.metrics),
            counters(&run.metrics),
            "{}",
            run.policy
        );
        assert_eq!(one.metrics.peak_used_memory, run.metrics.peak_used_memory);
        assert_eq!(one.metrics.timeline, run.metrics.timeline, "{}", run.policy);
    }
}

/// Whether a run's single policy is safe: no critical key evicted while
/// live, no critical write refused.
fn safe(run: &Value) -> bool {
    let c = &run["results"][0]["critical_totals"];
    let live = c["evicted"].as_u64().unwrap() - c["evicted_expired"].as_u64().unwrap();
    live == 0 && c["oom_rejected"] == 0
}

#[test]
fn find_safe_answers_a_safe_size_with_the_size_one_resolution_below_unsafe() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = fixture("tiny.toml");
    let tiny = tiny.to_str().unwrap();
    let sweep = json(
        dir.path(),
        &[
            "sweep",
            tiny,
            "--maxmemory",
            "1mb..3mb",
            "--steps",
            "5",
            "--seeds",
            "2",
            "-p",
            "noeviction",
            "-p",
            "allkeys-lru",
            "--find-safe",
            "--resolution",
            "64kb",
            "--format",
            "json",
            "--no-report",
            "-q",
        ],
    );
    assert_eq!(sweep["find_safe"]["resolution_bytes"], 65536);
    let safe_sizes = sweep["safe"].as_array().unwrap();
    assert_eq!(safe_sizes.len(), 2);
    let run = |size: u64, seed: u64, policy: &str| {
        json(
            dir.path(),
            &[
                "run",
                tiny,
                "--maxmemory",
                &size.to_string(),
                "--seed",
                &seed.to_string(),
                "-p",
                policy,
                "--format",
                "json",
                "--no-report",
                "-q",
            ],
        )
    };
    let mut found = Vec::new();
    for s in safe_sizes {
        let policy = s["policy"].as_str().unwrap();
        let size = s["maxmemory_bytes"]
            .as_u64()
            .expect("tiny is safe below 3mb");
        assert_eq!(s["seeds"], serde_json::json!([7, 8]));
        // Safe under every seed, checked by the single run...
        for seed in [7, 8] {
            assert!(
                safe(&run(size, seed, policy)),
                "{policy} at {size}, seed {seed}"
            );
        }
        // ...and one resolution below, unsafe under at least one seed.
        let below = size - 65536;
        assert_eq!(s["below"]["maxmemory_bytes"].as_u64(), Some(below));
        assert_eq!(s["below"]["safe"], false);
        assert!(
            [7, 8].iter().any(|&seed| !safe(&run(below, seed, policy))),
            "{policy} at {below} is safe under both seeds"
        );
        // The hit ratio there is the single runs' hits over reads, summed.
        let (hits, reads) = [7, 8].iter().fold((0, 0), |(h, r), &seed| {
            let t = &run(size, seed, policy)["results"][0]["totals"];
            (
                h + t["hits"].as_u64().unwrap(),
                r + t["reads"].as_u64().unwrap(),
            )
        });
        assert_eq!(s["hit_ratio"]["hits"].as_u64(), Some(hits));
        assert_eq!(s["hit_ratio"]["reads"].as_u64(), Some(reads));
        found.push((policy.to_string(), size / 1024));
    }
    // The answers themselves, in KiB: a change to the model or the search
    // shows here (tiny's no-limit peak is 2,609,864 bytes, about 2549 KiB).
    assert_eq!(
        found,
        [
            ("noeviction".to_string(), 2560),
            ("allkeys-lru".to_string(), 2432)
        ]
    );
}

#[test]
fn find_safe_says_when_no_size_is_safe_and_why() {
    let dir = tempfile::tempdir().unwrap();
    let out = evictsim(dir.path())
        .args([
            "sweep",
            fixture("tiny.toml").to_str().unwrap(),
            "--maxmemory",
            "1mb..1536kb",
            "--steps",
            "2",
            "-p",
            "noeviction",
            "--find-safe",
            "--no-report",
            "-q",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("noeviction  none up to 1,536 KiB: at 1,536 KiB still")
            && text.contains("critical writes refused"),
        "{text}"
    );
}

#[test]
fn sweep_writes_a_report_directory_atomically() {
    let dir = tempfile::tempdir().unwrap();
    evictsim(dir.path())
        .args([
            "sweep",
            fixture("tiny.toml").to_str().unwrap(),
            "--maxmemory",
            "1mb..2mb",
            "--steps",
            "2",
            "-p",
            "allkeys-lru",
            "--find-safe",
            "--resolution",
            "128kb",
            "-q",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("smallest safe maxmemory"));
    let report = dir.path().join("reports/tiny-sweep");
    let mut names: Vec<String> = std::fs::read_dir(&report)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ".evictsim",
            "hit-ratio-vs-maxmemory.png",
            "hit-ratio-vs-maxmemory.svg",
            "lost-critical-reads-vs-maxmemory.png",
            "lost-critical-reads-vs-maxmemory.svg",
            "refused-writes-vs-maxmemory.png",
            "refused-writes-vs-maxmemory.svg",
            "report.md",
            "results.csv",
            "results.json",
            "table.txt",
        ]
    );
    let md = std::fs::read_to_string(report.join("report.md")).unwrap();
    assert!(md.starts_with("# Capacity sweep: tiny\n"));
    let verdict = md.find("## Verdict").unwrap();
    assert!(verdict < md.find("## Every size").unwrap(), "verdict first");
    assert!(md.contains(
        "![Lost critical reads against maxmemory](lost-critical-reads-vs-maxmemory.png)"
    ));
    let png = std::fs::read(report.join("hit-ratio-vs-maxmemory.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    // Width and height from the IHDR chunk.
    assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 1600);
    assert_eq!(u32::from_be_bytes(png[20..24].try_into().unwrap()), 900);
    let csv = std::fs::read_to_string(report.join("results.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 2, "a header and one row per point");
}

#[test]
fn the_same_sweep_gives_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let run = || {
        evictsim(dir.path())
            .args([
                "sweep",
                fixture("tiny.toml").to_str().unwrap(),
                "--maxmemory",
                "1mb..2mb",
                "--step",
                "512kb",
                "-p",
                "allkeys-lfu",
                "--seeds",
                "2",
                "--find-safe",
                "--resolution",
                "128kb",
                "-f",
                "json",
                "--no-report",
                "-q",
            ])
            .output()
            .unwrap()
            .stdout
    };
    let a = run();
    assert!(!a.is_empty());
    assert_eq!(a, run());
}

#[test]
fn fails_clearly_on_a_backwards_range() {
    let dir = tempfile::tempdir().unwrap();
    evictsim(dir.path())
        .args([
            "sweep",
            fixture("tiny.toml").to_str().unwrap(),
            "--maxmemory",
            "3mb..1mb",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--maxmemory"))
        .stderr(predicate::str::contains(
            "FROM (3.0 MiB) is above TO (1.0 MiB): write the smaller size first",
        ));
    assert!(!dir.path().join("reports").exists());
}

#[test]
fn fails_clearly_on_both_steps_and_step() {
    let dir = tempfile::tempdir().unwrap();
    evictsim(dir.path())
        .args([
            "sweep",
            fixture("tiny.toml").to_str().unwrap(),
            "--maxmemory",
            "1mb..3mb",
            "--steps",
            "5",
            "--step",
            "1mb",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "'--steps <N>' cannot be used with '--step <SIZE>'",
        ));
}

#[test]
fn fails_clearly_on_a_bad_size() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = fixture("tiny.toml");
    let tiny = tiny.to_str().unwrap();
    evictsim(dir.path())
        .args(["sweep", tiny, "--maxmemory", "1mb..12parsecs"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "TO '12parsecs': unknown unit \"parsecs\"",
        ));
    evictsim(dir.path())
        .args(["sweep", tiny, "--maxmemory", "64mb"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("expected FROM..TO"));
    evictsim(dir.path())
        .args(["sweep", tiny, "--maxmemory", "1mb..2mb", "--step=-1mb"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "'--step <SIZE>': must not be negative",
        ));
    evictsim(dir.path())
        .args(["sweep", tiny, "--maxmemory", "0..2mb"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("FROM must be above 0"));
}

#[test]
fn fails_clearly_on_options_that_do_not_fit_together() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = fixture("tiny.toml");
    let tiny = tiny.to_str().unwrap();
    evictsim(dir.path())
        .args(["sweep", "--maxmemory", "1mb..2mb"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("<SCENARIO|--trace <FILE>>"));
    evictsim(dir.path())
        .args([
            "sweep",
            tiny,
            "--maxmemory",
            "1mb..2mb",
            "--resolution",
            "1mb",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--find-safe"));
    evictsim(dir.path())
        .args([
            "sweep",
            tiny,
            "--maxmemory",
            "1mb..2mb",
            "--critical",
            "sessions",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains("are for a trace"));
    evictsim(dir.path())
        .args(["sweep", tiny, "--maxmemory", "1mb..2mb", "--steps", "1"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--steps must be at least 2"));
    evictsim(dir.path())
        .args(["sweep", "--trace", "x.csv", "--maxmemory", "1mb..2mb"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--trace-format"));
}
