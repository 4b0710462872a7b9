//! The `evictsim` binary as a user runs it: in a temporary directory, with
//! the shipped fixture and with broken input.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::{Path, PathBuf};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny.toml")
}

fn evictsim(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("evictsim").unwrap();
    c.current_dir(dir);
    c
}

#[test]
fn run_prints_a_table_and_writes_a_report() {
    let dir = tempfile::tempdir().unwrap();
    evictsim(dir.path())
        .args(["run", fixture().to_str().unwrap(), "-q"])
        .assert()
        .success()
        .stdout(predicate::str::contains("allkeys-lru"))
        .stdout(predicate::str::contains("safest:"));
    let report = dir.path().join("reports/tiny");
    for f in ["results.json", "results.csv", "table.txt"] {
        assert!(report.join(f).is_file(), "{f} missing");
    }
    let leftovers: Vec<_> = std::fs::read_dir(&report)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') && n != evictsim::report::owner::MARKER)
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    // The marker says whose report this is, and a rerun may write over it.
    let marker = std::fs::read_to_string(report.join(".evictsim")).unwrap();
    assert!(marker.contains("command: run\nsubject: tiny\n"), "{marker}");
}

#[test]
fn same_seed_gives_byte_identical_json() {
    let dir = tempfile::tempdir().unwrap();
    let run = |seed: &str| {
        evictsim(dir.path())
            .args([
                "run",
                fixture().to_str().unwrap(),
                "--format",
                "json",
                "--no-report",
                "--seed",
                seed,
            ])
            .output()
            .unwrap()
            .stdout
    };
    let a = run("5");
    assert!(!a.is_empty());
    assert_eq!(a, run("5"));
    assert_ne!(a, run("6"), "another seed must change something");
}

/// The tiny fixture's JSON, fixed: any change to the model's results shows
/// here (regenerate with UPDATE_GOLDEN=1 and explain the change in the
/// commit).
#[test]
fn tiny_scenario_json_matches_golden() {
    let dir = tempfile::tempdir().unwrap();
    // A relative path, as the JSON records the path given.
    std::fs::copy(fixture(), dir.path().join("tiny.toml")).unwrap();
    let out = evictsim(dir.path())
        .args(["run", "tiny.toml", "--format", "json", "--no-report"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/tiny.json");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &out.stdout).unwrap();
    }
    let want = std::fs::read(&golden).expect("golden file (UPDATE_GOLDEN=1 writes it)");
    assert!(
        want == out.stdout,
        "tiny.json differs from the golden file; if the change is intended, rerun with UPDATE_GOLDEN=1"
    );
}

#[test]
fn json_keeps_the_documented_names() {
    let dir = tempfile::tempdir().unwrap();
    let out = evictsim(dir.path())
        .args([
            "run",
            fixture().to_str().unwrap(),
            "-f",
            "json",
            "--no-report",
            "-p",
            "allkeys-lru",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for k in [
        "scenario",
        "seed",
        "maxmemory_bytes",
        "ops",
        "simulated_ms",
        "results",
    ] {
        assert!(v.get(k).is_some(), "top-level {k} missing");
    }
    let r = &v["results"][0];
    assert_eq!(r["policy"], "allkeys-lru");
    assert!(r["peak_used_memory"].is_u64());
    let classes = r["classes"].as_object().unwrap();
    assert!(!classes.is_empty());
    for (_, c) in classes {
        for k in [
            "critical",
            "reads",
            "hits",
            "writes",
            "evicted",
            "evicted_distinct",
            "lost_reads",
            "oom_rejected",
            "expired",
        ] {
            assert!(c.get(k).is_some(), "class counter {k} missing");
        }
    }
    assert!(r["totals"]["evicted"].is_u64());
}

#[test]
fn maxmemory_override_changes_pressure() {
    let dir = tempfile::tempdir().unwrap();
    let evicted = |m: &str| {
        let out = evictsim(dir.path())
            .args([
                "run",
                fixture().to_str().unwrap(),
                "-f",
                "json",
                "--no-report",
                "-p",
                "allkeys-lru",
                "--maxmemory",
                m,
            ])
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["results"][0]["totals"]["evicted"].as_u64().unwrap()
    };
    assert!(evicted("1mb") > evicted("1gb"));
    assert_eq!(evicted("1gb"), 0);
}

#[test]
fn fails_with_file_line_and_field_on_a_bad_scenario_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[instance]\nmaxmemory = \"12 parsecs\"\n[run]\nduration = \"1m\"\n[[class]]\nname = \"c\"\nkind = \"cache\"\nkeys = 10\nreads_per_sec = 1\nvalue = 10\n",
    )
    .unwrap();
    evictsim(dir.path())
        .args(["run", "bad.toml"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("bad.toml:2"))
        .stderr(predicate::str::contains("maxmemory"))
        .stderr(predicate::str::contains("panicked").not());
    assert!(
        !dir.path().join("reports").exists(),
        "no report for a failed run"
    );
}

#[test]
fn fails_clearly_on_a_missing_file_an_unknown_policy_and_a_bad_size() {
    let dir = tempfile::tempdir().unwrap();
    evictsim(dir.path())
        .args(["run", "nope.toml"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("nope.toml"));
    evictsim(dir.path())
        .args(["run", fixture().to_str().unwrap(), "-p", "allkeys-mru"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("unknown policy 'allkeys-mru'"));
    evictsim(dir.path())
        .args(["run", fixture().to_str().unwrap(), "--maxmemory=-5mb"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--maxmemory"));
    evictsim(dir.path())
        .args(["run", fixture().to_str().unwrap(), "--format", "xml"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("xml"));
}

#[test]
fn check_accepts_every_shipped_scenario() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut args = vec!["check".to_string()];
    for e in std::fs::read_dir(root.join("scenarios")).unwrap() {
        args.push(e.unwrap().path().to_string_lossy().into_owned());
    }
    evictsim(root)
        .args(&args)
        .assert()
        .success()
        .stdout(predicate::str::contains("FAIL").not());
}

/// `check` says a hash session back: how many fields, how they are named,
/// which commands, and what an eviction loses.
#[test]
fn check_says_each_hash_session_back() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    evictsim(root)
        .args(["check", "scenarios/hash-sessions.toml"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "sessions: each session a hash of 6 fields (f0..f5, each 1/6 of the session's value), \
             HSET then PEXPIRE at login, HGETALL on each request; evicting one loses all 6 fields",
        ));
}

#[test]
fn help_shows_examples_and_policies_lists_all() {
    let dir = tempfile::tempdir().unwrap();
    evictsim(dir.path())
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("Examples:"))
        .stdout(predicate::str::contains(
            "evictsim run scenarios/seed-blog.toml",
        ));
    evictsim(dir.path())
        .arg("policies")
        .assert()
        .success()
        .stdout(predicate::str::contains("volatile-ttl"))
        .stdout(predicate::str::contains("exact-lru"));
}

/// The published Twitter sample kept in the repository.
fn twitter_sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/traces/twitter_sample.csv")
}

#[test]
fn replay_a_published_twitter_trace_with_classes() {
    let sample = twitter_sample();
    let dir = tempfile::tempdir().unwrap();
    let out = evictsim(dir.path())
        .args([
            "replay",
            sample.to_str().unwrap(),
            "--trace-format",
            "twitter",
            "--maxmemory",
            "8kb",
            // 8kb is below an empty Redis's used_memory: count keys alone.
            "--memory-model",
            "raw",
        ])
        .args([
            "--read-through",
            "-p",
            "allkeys-lru",
            "-p",
            "noeviction",
            "--class",
            "q=q:*",
            "--critical",
            "q",
        ])
        .args(["-f", "json", "--no-report"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["scenario"], "twitter_sample.csv");
    assert_eq!(v["ops"], 100);
    let classes = v["results"][0]["classes"].as_object().unwrap();
    assert!(classes.contains_key("q") && classes.contains_key("other"));
    assert_eq!(classes["q"]["critical"], true);
    assert!(String::from_utf8_lossy(&out.stderr).contains("100 operations"));
}

#[test]
fn replay_strict_stops_at_a_broken_line_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("t.csv"),
        "t_ms,op,key,value_bytes,ttl_ms\n0,SET,a,10,0\n1,SET,b,ten,0\n2,GET,a,,\n",
    )
    .unwrap();
    evictsim(dir.path())
        .args([
            "replay",
            "t.csv",
            "--trace-format",
            "csv",
            "--maxmemory",
            "1mb",
            "--strict",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains("t.csv:3"))
        .stderr(predicate::str::contains("panicked").not());
    assert!(
        !dir.path().join("reports").exists(),
        "no report for a failed replay"
    );
    // Lenient (the default): the broken line is skipped and counted.
    evictsim(dir.path())
        .args([
            "replay",
            "t.csv",
            "--trace-format",
            "csv",
            "--maxmemory",
            "1mb",
            "--no-report",
        ])
        .assert()
        .success()
        .stderr(predicate::str::contains("1 malformed lines skipped"))
        .stderr(predicate::str::contains("line 3"));
}

#[test]
fn replay_refuses_an_unknown_format_and_an_empty_trace() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("empty.csv"), "").unwrap();
    evictsim(dir.path())
        .args([
            "replay",
            "empty.csv",
            "--trace-format",
            "parquet",
            "--maxmemory",
            "1mb",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains("parquet"));
    evictsim(dir.path())
        .args([
            "replay",
            "empty.csv",
            "--trace-format",
            "csv",
            "--maxmemory",
            "1mb",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains("empty.csv"));
}

/// A scenario emitted as a trace and replayed gives the same operation
/// count and nearly the same results (key ids are interned in another order,
/// so the `expires` hash layout, and with it active expiry, differs).
#[test]
fn an_emitted_trace_replays_like_the_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let run = evictsim(dir.path())
        .args([
            "run",
            fixture().to_str().unwrap(),
            "-p",
            "allkeys-lru",
            "-f",
            "json",
            "--no-report",
        ])
        .args(["--emit-trace", "tiny.csv.zst"])
        .output()
        .unwrap();
    assert!(run.status.success());
    assert!(dir.path().join("tiny.csv.zst").is_file());
    let rules = "[[class]]\nname = \"pages\"\nmatch = \"cache:page:*\"\n";
    std::fs::write(dir.path().join("classes.toml"), rules).unwrap();
    let replay = evictsim(dir.path())
        .args([
            "replay",
            "tiny.csv.zst",
            "--trace-format",
            "csv",
            "--maxmemory",
            "1536kb",
            "-p",
            "allkeys-lru",
        ])
        .args(["-f", "json", "--no-report", "--classes", "classes.toml"])
        .output()
        .unwrap();
    assert!(
        replay.status.success(),
        "{}",
        String::from_utf8_lossy(&replay.stderr)
    );
    let a: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let b: serde_json::Value = serde_json::from_slice(&replay.stdout).unwrap();
    assert_eq!(a["ops"], b["ops"]);
    let reads = |v: &serde_json::Value| v["results"][0]["totals"]["reads"].as_u64().unwrap() as f64;
    let hits = |v: &serde_json::Value| v["results"][0]["totals"]["hits"].as_u64().unwrap() as f64;
    assert_eq!(reads(&a), reads(&b));
    assert!(
        (hits(&a) - hits(&b)).abs() / hits(&a) < 0.02,
        "hits {} vs {}",
        hits(&a),
        hits(&b)
    );
}

#[test]
fn replay_samples_keys_with_sample_rate() {
    let dir = tempfile::tempdir().unwrap();
    evictsim(dir.path())
        .args([
            "run",
            fixture().to_str().unwrap(),
            "-p",
            "allkeys-lru",
            "--no-report",
            "-q",
        ])
        .args(["--emit-trace", "tiny.csv"])
        .assert()
        .success();
    let ops = |extra: &[&str]| {
        let out = evictsim(dir.path())
            .args([
                "replay",
                "tiny.csv",
                "--trace-format",
                "csv",
                "--maxmemory",
                "1536kb",
                "-p",
                "allkeys-lru",
            ])
            .args(["-f", "json", "--no-report"])
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (
            v["ops"].as_u64().unwrap(),
            v["maxmemory_bytes"].as_u64().unwrap(),
        )
    };
    let (all, max_all) = ops(&[]);
    let (half, max_half) = ops(&["--sample-rate", "0.5"]);
    assert!(half > all / 4 && half < all * 3 / 4, "{half} of {all}");
    assert!(max_half < max_all);
    evictsim(dir.path())
        .args([
            "replay",
            "tiny.csv",
            "--trace-format",
            "csv",
            "--maxmemory",
            "1mb",
            "--sample-rate",
            "2",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains("sample rate"));
}

/// A trace line naming a database the instance does not have is refused,
/// as Redis refuses `SELECT` of it: counted, never a panic.
#[test]
fn replay_refuses_a_database_out_of_range() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("dbs.csv");
    std::fs::write(
        &trace,
        "t_ms,op,key,value_bytes,ttl_ms,db\n0,SET,a,10,,0\n1,GET,a,,,20\n2,SET,b,10,,255\n3,GET,a,,,0\n",
    )
    .unwrap();
    let out = evictsim(dir.path())
        .args(["replay", trace.to_str().unwrap(), "--trace-format", "csv"])
        .args(["--maxmemory", "1mb", "-p", "allkeys-lru"])
        .args(["-f", "json", "--no-report"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ops"], 2, "{v}");
}

/// Regressions: a missing scenario printed its cause twice (`cannot read:
/// No such file...` then `caused by: No such file...`); a directory given
/// as a trace was reported at `DIR:1`, a line that does not exist.
#[test]
fn errors_say_their_cause_once_and_invent_no_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = evictsim(dir.path())
        .args(["run", "nope.toml"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(err.matches("No such file").count(), 1, "{err}");
    let out = evictsim(dir.path())
        .args(["replay", ".", "--trace-format", "csv", "--maxmemory", "1mb"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(err.contains("is a directory, not a trace file"), "{err}");
    assert!(!err.contains(".:1"), "{err}");
}

/// A run over more than one logical database shows each database's share
/// of memory beside its share of evictions (the tiny fixture keeps a cache
/// in DB 1).
#[test]
fn a_run_over_two_databases_shows_their_shares() {
    let dir = tempfile::tempdir().unwrap();
    evictsim(dir.path())
        .args(["run", fixture().to_str().unwrap(), "--out", "r", "-q"])
        .assert()
        .success();
    let md = std::fs::read_to_string(dir.path().join("r/report.md")).unwrap();
    assert!(md.contains("## Logical databases"), "{md}");
    assert!(
        md.contains("| DB 0 memory | DB 0 evictions | DB 1 memory | DB 1 evictions |"),
        "{md}"
    );
    assert!(md.contains("does not protect them"), "{md}");
}

/// A MONITOR capture of a job list under pressure: 50 jobs pushed onto
/// `queue:jobs`, then 3,000 cache writes; LRU evicts the idle list and the
/// 50 jobs with it, the worker's BRPOP then finds nothing (a lost read),
/// and a job pushed after that is popped again.
#[test]
fn a_monitor_capture_of_a_job_list_counts_the_jobs_lost_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("OK\n");
    let t0 = 1_764_842_400.0f64;
    for j in 0..50 {
        text += &format!(
            "{:.6} [0 127.0.0.1:5000] \"RPUSH\" \"queue:jobs\" \"{{\\\"job\\\":{j}}}\"\n",
            t0 + f64::from(j) * 0.001
        );
    }
    let value = "x".repeat(200);
    for k in 0..3_000 {
        text += &format!(
            "{:.6} [0 127.0.0.1:5001] \"SET\" \"cache:{k}\" \"{value}\"\n",
            t0 + 1.0 + f64::from(k) * 0.002
        );
    }
    for (dt, line) in [
        (8.0, "\"BRPOP\" \"queue:jobs\" \"0\""),
        (8.5, "\"RPUSH\" \"queue:jobs\" \"late\""),
        (8.6, "\"BRPOP\" \"queue:jobs\" \"0\""),
    ] {
        text += &format!("{:.6} [0 127.0.0.1:5000] {line}\n", t0 + dt);
    }
    std::fs::write(dir.path().join("q.monitor"), text).unwrap();
    let out = evictsim(dir.path())
        .args(["replay", "q.monitor", "--trace-format", "monitor"])
        .args(["--class", "jobs=queue:*", "--critical", "jobs"])
        .args(["--class", "cache=cache:*", "--maxmemory", "1300kb"])
        .args(["-p", "allkeys-lru", "-p", "exact-lru", "-p", "noeviction"])
        .args(["-f", "json", "--no-report"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    // What the reader understood: 51 pushes and 2 pops of the jobs class.
    let jobs_row = stderr
        .lines()
        .find(|l| l.trim_start().starts_with("jobs "))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(jobs_row.trim_end().ends_with("51     2"), "{jobs_row}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for r in v["results"].as_array().unwrap() {
        let jobs = &r["classes"]["jobs"];
        match r["policy"].as_str().unwrap() {
            "noeviction" => {
                assert_eq!(jobs["lost_items"], 0);
                assert_eq!(jobs["hits"], 2, "both pops find jobs");
            }
            p => {
                assert_eq!(jobs["evicted_distinct"], 1, "{p}");
                assert_eq!(
                    jobs["lost_items"], 50,
                    "{p}: the 50 jobs went with the list"
                );
                assert_eq!(
                    jobs["lost_reads"], 1,
                    "{p}: the worker's pop found no queue"
                );
                assert_eq!(
                    (jobs["reads"].as_u64(), jobs["hits"].as_u64()),
                    (Some(2), Some(1))
                );
            }
        }
    }
    // The table's verdict says it.
    let table = evictsim(dir.path())
        .args(["replay", "q.monitor", "--trace-format", "monitor"])
        .args(["--class", "jobs=queue:*", "--critical", "jobs"])
        .args(["--maxmemory", "1300kb", "-p", "allkeys-lru", "--no-report"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("1 critical key evicted (50 items lost with it), 1 read lost"),
        "{text}"
    );
}

/// A run with job lists shows the jobs lost with them in the class table
/// ("items lost"); a run with strings only has no such column.
#[test]
fn the_class_table_shows_items_lost_only_with_aggregates() {
    let dir = tempfile::tempdir().unwrap();
    let lists = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny-lists.toml");
    let md = |path: &Path| {
        let out = evictsim(dir.path())
            .args([
                "run",
                path.to_str().unwrap(),
                "-f",
                "markdown",
                "--no-report",
                "-q",
            ])
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let with = md(&lists);
    assert!(
        with.contains("| evictions | distinct keys | items lost | lost reads |"),
        "{with}"
    );
    assert!(with.contains("Items lost: what the evicted keys held"));
    let without = md(&fixture());
    assert!(!without.contains("items lost"), "{without}");
}
