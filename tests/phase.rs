//! Where in the minute a run starts: a MONITOR capture replays at its own
//! timestamps' phase, `--start-unix-ms` and `[run] start` set the clock
//! start, `--phases N` reports each figure's median and range over N start
//! phases (real runs' figures, `--phases 1` a plain run byte for byte), and
//! a short LFU run says its figures move with the phase.

use assert_cmd::Command;
use evictsim::model::{InstanceConfig, PolicyKind};
use evictsim::phase;
use evictsim::provenance::Provenance;
use evictsim::sim::{self, RunSpec};
use evictsim::trace::{ClassRules, TraceFormat, TraceOptions, TraceReader};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// 2026-12-04T10:00:35Z in unix ms: the capture's first timestamp, 35 s
/// past the minute (the default instant is 20 s past one).
const CAPTURE_START_MS: u64 = 1_796_378_435_000;

/// 2026-12-04T10:00:20Z in unix ms.
const SCENARIO_START_MS: u64 = 1_796_378_420_000;

/// A MONITOR capture of 60 s (about 30,000 commands) of small keys (a
/// cache, sessions, rate limits) from `CAPTURE_START_MS + shift_ms`, in
/// whole microseconds so a shifted copy differs only in its timestamps.
fn capture(shift_ms: u64) -> String {
    let mut rng = SmallRng::seed_from_u64(22);
    let mut out = String::from("OK\n");
    let mut us = (CAPTURE_START_MS + shift_ms) * 1000;
    for _ in 0..30_000 {
        let ts = format!("{}.{:06}", us / 1_000_000, us % 1_000_000);
        let line = match rng.gen_range(0..10) {
            0..=4 => {
                let key = format!("cache:{}", (rng.gen::<f64>().powi(3) * 8_000.0) as u64);
                if rng.gen_bool(0.7) {
                    format!(r#""GET" "{key}""#)
                } else {
                    let v = "x".repeat(rng.gen_range(100..800));
                    format!(r#""SET" "{key}" "{v}" "EX" "300""#)
                }
            }
            5..=7 => {
                let key = format!("session:{}", rng.gen_range(0..1_500));
                if rng.gen_bool(0.8) {
                    format!(r#""GET" "{key}""#)
                } else {
                    format!(r#""SET" "{key}" "{}" "EX" "1800""#, "s".repeat(300))
                }
            }
            _ => format!(r#""INCR" "rl:{}""#, rng.gen_range(0..1_000)),
        };
        out += &format!("{ts} [0 127.0.0.1:5000] {line}\n");
        us += rng.gen_range(1..4_000);
    }
    out
}

/// Writes the capture shifted by `shift_ms` into `dir` and returns its path.
fn write_capture(dir: &Path, shift_ms: u64) -> PathBuf {
    let path = dir.join(format!("capture-{shift_ms}.log"));
    std::fs::write(&path, capture(shift_ms)).unwrap();
    path
}

fn evictsim(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("evictsim").unwrap();
    c.current_dir(dir);
    c
}

/// The replay of `trace` at 1400 KiB under the LFU policies and LRU, with
/// `extra` arguments: (stdout, stderr).
fn replay(dir: &Path, trace: &Path, extra: &[&str]) -> (String, String) {
    let out = evictsim(dir)
        .args([
            "replay",
            trace.to_str().unwrap(),
            "--trace-format",
            "monitor",
        ])
        .args(["--maxmemory", "1400kb", "--no-report"])
        .args(["--class", "sessions=session:*", "--class", "rl=rl:*"])
        .args(["--class", "cache=cache:*", "--critical", "sessions"])
        .args([
            "--critical",
            "rl",
            "-p",
            "allkeys-lfu",
            "-p",
            "volatile-lfu",
        ])
        .args(["-p", "allkeys-lru"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// What each policy counted: the `results` of a JSON report, without
/// their spread over phases.
fn figures(report: &Value) -> Value {
    let mut results = report["results"].clone();
    for p in results.as_array_mut().unwrap() {
        p.as_object_mut().unwrap().remove("phase_spread");
    }
    results
}

/// A policy's distinct critical keys evicted in a JSON report.
fn critical_evicted(report: &Value, policy: &str) -> u64 {
    let p = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["policy"] == policy)
        .unwrap();
    p["critical_totals"]["evicted_distinct"].as_u64().unwrap()
}

#[test]
fn a_monitor_capture_replays_at_the_phase_it_was_taken_at() {
    let dir = tempfile::tempdir().unwrap();
    let original = write_capture(dir.path(), 0);
    let shifted = write_capture(dir.path(), 30_000);
    let (own, stderr) = replay(dir.path(), &original, &["-f", "json", "-q"]);
    assert!(stderr.is_empty(), "quiet: {stderr}");
    let own = json(&own);
    assert_eq!(own["instance"]["start_unix_ms"], CAPTURE_START_MS);

    // The capture shifted by 30 s gives what the original gives with its
    // clock started 30 s later.
    let (moved, _) = replay(dir.path(), &shifted, &["-f", "json"]);
    let later = (CAPTURE_START_MS + 30_000).to_string();
    let (asked, _) = replay(
        dir.path(),
        &original,
        &["-f", "json", "--start-unix-ms", &later],
    );
    let (moved, asked) = (json(&moved), json(&asked));
    assert_eq!(figures(&moved), figures(&asked));
    // ...and the phase matters: LFU counts differently 30 s later, so the
    // capture's own phase is what the first replay used.
    assert_ne!(
        critical_evicted(&own, "allkeys-lfu"),
        critical_evicted(&moved, "allkeys-lfu")
    );
    // The fixed default instant (20 s past a minute, not 35) would give
    // other figures again.
    let (default, _) = replay(
        dir.path(),
        &original,
        &["-f", "json", "--start-unix-ms", "1700000000000"],
    );
    assert_ne!(figures(&own), figures(&json(&default)));
    // An RFC 3339 start is the same instant.
    let (rfc, _) = replay(
        dir.path(),
        &original,
        &["-f", "json", "--start-unix-ms", "2026-12-04T11:01:05+01:00"],
    );
    assert_eq!(figures(&json(&rfc)), figures(&asked));

    // What was understood, on stderr and in the report, and the rerun
    // command carries an explicit start.
    let (_, stderr) = replay(dir.path(), &original, &[]);
    assert!(
        stderr
            .contains("clock starts at 2026-12-04T10:00:35Z (from the capture's first timestamp)"),
        "{stderr}"
    );
    assert!(asked["command"]
        .as_str()
        .unwrap()
        .contains(&format!("--start-unix-ms {later}")));
    assert_eq!(
        asked["instance"]["start"],
        "2026-12-04T10:01:05Z (from --start-unix-ms)"
    );
    assert!(!own["command"].as_str().unwrap().contains("--start-unix-ms"));
}

#[test]
fn phases_1_is_a_plain_run_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let trace = write_capture(dir.path(), 0);
    for format in ["table", "json", "csv", "markdown"] {
        let (plain, _) = replay(dir.path(), &trace, &["-f", format, "-q"]);
        let (one, _) = replay(dir.path(), &trace, &["-f", format, "-q", "--phases", "1"]);
        assert_eq!(plain, one, "{format}");
    }
    let tiny = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny.toml");
    let run = |extra: &[&str]| {
        evictsim(dir.path())
            .args([
                "run",
                tiny.to_str().unwrap(),
                "-f",
                "json",
                "--no-report",
                "-q",
            ])
            .args(extra)
            .output()
            .unwrap()
            .stdout
    };
    assert_eq!(run(&[]), run(&["--phases", "1"]));
}

#[test]
fn the_spread_is_made_of_real_runs_figures() {
    let dir = tempfile::tempdir().unwrap();
    let trace = write_capture(dir.path(), 0);
    let (out, _) = replay(dir.path(), &trace, &["-f", "json", "--phases", "6"]);
    let report = json(&out);
    assert_eq!(report["phases"]["count"], 6);
    assert_eq!(
        report["phases"]["offsets_ms"],
        serde_json::json!([0, 10_000, 20_000, 30_000, 40_000, 50_000])
    );
    // Each phase as a single run, its clock started k * 10 s later.
    let singles: Vec<Value> = (0..6u64)
        .map(|k| {
            let start = (CAPTURE_START_MS + k * 10_000).to_string();
            json(
                &replay(
                    dir.path(),
                    &trace,
                    &["-f", "json", "--start-unix-ms", &start],
                )
                .0,
            )
        })
        .collect();
    // The plain figures are phase 0's.
    assert_eq!(figures(&report), figures(&singles[0]));
    for (i, policy) in ["allkeys-lfu", "volatile-lfu", "allkeys-lru"]
        .iter()
        .enumerate()
    {
        let spread = &report["results"][i]["phase_spread"]["critical_keys_evicted"];
        let mut runs: Vec<u64> = singles
            .iter()
            .map(|s| critical_evicted(s, policy))
            .collect();
        runs.sort();
        assert_eq!(spread["min"], runs[0], "{policy}");
        assert_eq!(spread["median"], runs[2], "{policy}: the lower middle");
        assert_eq!(spread["max"], runs[5], "{policy}");
        if policy.ends_with("lfu") {
            assert!(runs[0] < runs[5], "{policy}: the phase must move LFU");
        }
        // Every counter's spread is within the runs' own values.
        let lost = &report["results"][i]["phase_spread"]["critical_totals"]["lost_reads"];
        let lost_runs: Vec<u64> = singles
            .iter()
            .map(|s| {
                s["results"][i]["critical_totals"]["lost_reads"]
                    .as_u64()
                    .unwrap()
            })
            .collect();
        for k in ["min", "median", "max"] {
            assert!(
                lost_runs.contains(&lost[k].as_u64().unwrap()),
                "{policy} {k}"
            );
        }
    }
    assert!(report["command"].as_str().unwrap().ends_with("--phases 6"));

    // The table prints `median (lowest-highest)`; the CSV adds the columns.
    let (table, _) = replay(dir.path(), &trace, &["--phases", "6", "-q"]);
    let lfu_row = table.lines().find(|l| l.contains("allkeys-lfu")).unwrap();
    let mut runs: Vec<u64> = singles
        .iter()
        .map(|s| critical_evicted(s, "allkeys-lfu"))
        .collect();
    runs.sort();
    let thousands = |n: u64| evictsim::report::fmt::thousands(n);
    let cell = format!(
        "{} ({}-{})",
        thousands(runs[2]),
        thousands(runs[0]),
        thousands(runs[5])
    );
    assert!(lfu_row.contains(&cell), "{cell} not in {lfu_row}");
    assert!(table.contains("6 start phases over the minute"));
    // The Markdown report says what moved and where the clock started.
    let (md, _) = replay(
        dir.path(),
        &trace,
        &["--phases", "6", "-q", "-f", "markdown"],
    );
    assert!(md.contains("**Over 6 start phases of the minute** the figures move: `allkeys-lfu` "));
    assert!(md.contains(&format!(
        "{} ({}-{})",
        thousands(runs[2]),
        thousands(runs[0]),
        thousands(runs[5])
    )));
    assert!(md.contains(
        "| clock start | 2026-12-04T10:00:35Z (from the capture's first timestamp); 6 start phases"
    ));
    let (csv, _) = replay(dir.path(), &trace, &["--phases", "6", "-q", "-f", "csv"]);
    assert!(csv.lines().next().unwrap().ends_with(
        ",expired_min,expired_median,expired_max,lost_items_min,lost_items_median,lost_items_max"
    ));
    // Every row has a value under every column, the spreads included.
    let width = csv.lines().next().unwrap().split(',').count();
    assert!(csv.lines().all(|l| l.split(',').count() == width), "{csv}");
}

#[test]
fn the_library_runs_every_phase_as_its_own_instance_would() {
    let dir = tempfile::tempdir().unwrap();
    let trace = write_capture(dir.path(), 0);
    let open = || {
        let mut opts = TraceOptions::new(TraceFormat::Monitor);
        opts.classes =
            ClassRules::from_cli(&["sessions=session:*", "cache=cache:*"], &["sessions"]).unwrap();
        TraceReader::open(&trace, opts).unwrap()
    };
    let reader = open();
    assert_eq!(reader.start_unix_ms(), Some(CAPTURE_START_MS));
    let classes = reader.class_infos();
    let spec = |start: u64| RunSpec {
        scenario: "capture".into(),
        seed: 0,
        instance: InstanceConfig {
            maxmemory: 1400 << 10,
            start_unix_ms: start,
            ..Default::default()
        },
        policies: vec![PolicyKind::AllKeysLfu, PolicyKind::VolatileLfu],
        classes: classes.clone(),
        duration_ms: 0,
        source: Provenance::Library,
    };
    let offsets = phase::offsets_ms(4);
    let phased = sim::simulate_phases(&spec(CAPTURE_START_MS), &offsets, reader, |_, _| {});
    let runs = phased.phases.as_ref().unwrap();
    assert_eq!(runs.offsets_ms, [0, 15_000, 30_000, 45_000]);
    for (k, &o) in offsets.iter().enumerate() {
        let single = sim::simulate(&spec(CAPTURE_START_MS + o), open(), |_, _| {});
        for (p, run) in single.results.iter().enumerate() {
            let at = &runs.runs[p][k];
            assert_eq!(at.totals(), run.metrics.totals(), "policy {p} phase {k}");
            assert_eq!(at.peak_used_memory, run.metrics.peak_used_memory);
        }
    }
    assert_eq!(
        phased.results[0].metrics.totals(),
        runs.runs[0][0].totals(),
        "results hold phase 0's"
    );
    // A one-shard cluster at the same phases is the single instance.
    let one = evictsim::cluster::SlotMap::even(1).unwrap();
    let cluster =
        sim::simulate_cluster_phases(&spec(CAPTURE_START_MS), &one, &offsets, open(), |_, _| {});
    let cluster_runs = cluster.phases.as_ref().unwrap();
    for (p, per_phase) in runs.runs.iter().enumerate() {
        for (k, m) in per_phase.iter().enumerate() {
            assert_eq!(
                cluster_runs.runs[p][k].totals(),
                m.totals(),
                "policy {p} phase {k}"
            );
        }
    }
    let shard0 = &cluster.cluster.as_ref().unwrap().results[0][0];
    assert_eq!(
        shard0.totals(),
        runs.runs[0][0].totals(),
        "the shards are phase 0's"
    );
}

/// tiny.toml with its duration and policies replaced.
fn tiny_scenario(dir: &Path, duration: &str, policies: &str, start: Option<&str>) -> PathBuf {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny.toml"),
    )
    .unwrap()
    .replace("duration = \"5s\"", &format!("duration = \"{duration}\""))
    .replace(
        "policies = [\"noeviction\", \"allkeys-lru\", \"volatile-lru\"]",
        &format!("policies = {policies}"),
    );
    let text = match start {
        Some(s) => text.replace("seed = 7\n", &format!("seed = 7\nstart = {s}\n")),
        None => text,
    };
    let path = dir.join(format!("tiny-{}.toml", text.len()));
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_short_lfu_run_says_its_figures_move_with_the_phase_and_a_long_one_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let note = "--phases 6 shows by how much";
    let stderr = |scenario: &Path, extra: &[&str]| {
        let out = evictsim(dir.path())
            .args(["run", scenario.to_str().unwrap(), "--no-report"])
            .args(extra)
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stderr).unwrap()
    };
    let short = tiny_scenario(dir.path(), "5s", r#"["allkeys-lfu", "allkeys-lru"]"#, None);
    let said = stderr(&short, &[]);
    assert!(said.contains(note), "{said}");
    assert_eq!(said.matches('\n').count(), 1, "one line: {said}");
    assert!(said.contains("allkeys-lfu") && !said.contains("allkeys-lru"));
    assert!(!stderr(&short, &["--phases", "2"]).contains(note));
    assert!(!stderr(&short, &["-p", "allkeys-lru"]).contains(note));
    // 31 minutes is long enough for the minute phase to average out.
    let long = tiny_scenario(dir.path(), "31m", r#"["allkeys-lfu"]"#, None);
    assert!(!stderr(&long, &[]).contains(note));
}

#[test]
fn a_scenario_sets_its_clock_start_and_a_bad_one_names_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let lfu = r#"["allkeys-lfu"]"#;
    let run = |scenario: &Path| {
        let out = evictsim(dir.path())
            .args([
                "run",
                scenario.to_str().unwrap(),
                "--no-report",
                "-f",
                "json",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        (
            json(&String::from_utf8(out.stdout).unwrap()),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let (rfc, said) = run(&tiny_scenario(
        dir.path(),
        "5s",
        lfu,
        Some("\"2026-12-04T10:00:20Z\""),
    ));
    assert!(
        said.contains("clock starts at 2026-12-04T10:00:20Z (from the scenario's [run] start)"),
        "{said}"
    );
    assert_eq!(rfc["instance"]["start_unix_ms"], SCENARIO_START_MS);
    for same in [
        "1796378420000",
        "\"2026-12-04T11:00:20+01:00\"",
        "2026-12-04T10:00:20Z",
    ] {
        let (r, _) = run(&tiny_scenario(dir.path(), "5s", lfu, Some(same)));
        assert_eq!(figures(&r), figures(&rfc), "{same}");
    }
    let (default, said) = run(&tiny_scenario(dir.path(), "5s", lfu, None));
    assert!(!said.contains("clock starts"), "{said}");
    assert!(default["instance"].get("start_unix_ms").is_none());

    for (bad, why) in [
        ("\"2026-12-04T10:00:20\"", "no time zone"),
        ("\"tomorrow\"", "not a date and time"),
        ("-5", "must be >= 0"),
        ("true", "expected an RFC 3339 time"),
    ] {
        let path = tiny_scenario(dir.path(), "5s", lfu, Some(bad));
        let out = evictsim(dir.path())
            .args(["run", path.to_str().unwrap(), "--no-report"])
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8(out.stderr).unwrap();
        let at = format!("{}:12: run.start: ", path.display());
        assert!(err.contains(&at), "{bad}: {err}");
        assert!(err.contains(why), "{bad}: {err}");
        assert!(
            err.contains("2026-12-04T10:00:20Z"),
            "names what is accepted: {err}"
        );
    }
}

#[test]
fn find_safe_judges_safety_at_every_phase_as_under_every_seed() {
    let dir = tempfile::tempdir().unwrap();
    let trace = write_capture(dir.path(), 0);
    let sweep = |extra: &[&str]| {
        let out = evictsim(dir.path())
            .args(["sweep", "--trace", trace.to_str().unwrap()])
            .args(["--trace-format", "monitor", "--maxmemory", "1mb..4mb"])
            .args(["--steps", "4", "--class", "sessions=session:*"])
            .args(["--critical", "sessions", "-p", "allkeys-lfu"])
            .args(["--find-safe", "--resolution", "64kb", "-f", "json"])
            .args(["--no-report", "-q"])
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        json(&String::from_utf8(out.stdout).unwrap())
    };
    let plain = sweep(&[]);
    let phased = sweep(&["--phases", "3"]);
    assert!(plain["points"][0].get("phase_ms").is_none());
    assert_eq!(
        phased["phases"]["offsets_ms"],
        serde_json::json!([0, 20_000, 40_000])
    );
    assert!(phased["command"].as_str().unwrap().contains(" --phases 3"));
    // Every grid point ran at the three phases; phase 0's are the plain
    // sweep's points.
    let points = phased["points"].as_array().unwrap();
    assert_eq!(points.len(), 3 * plain["points"].as_array().unwrap().len());
    let at = |ms: u64| -> Vec<Value> {
        points
            .iter()
            .filter(|p| p["phase_ms"] == ms)
            .map(|p| {
                let mut p = p.clone();
                p.as_object_mut().unwrap().remove("phase_ms");
                p
            })
            .collect()
    };
    assert_eq!(&at(0), plain["points"].as_array().unwrap());
    // A point at a later phase is the replay with its clock started then.
    let p = &at(20_000)[1];
    let size = p["maxmemory_bytes"].as_u64().unwrap().to_string();
    let start = (CAPTURE_START_MS + 20_000).to_string();
    let out = evictsim(dir.path())
        .args([
            "replay",
            trace.to_str().unwrap(),
            "--trace-format",
            "monitor",
        ])
        .args(["--maxmemory", &size, "--class", "sessions=session:*"])
        .args(["--critical", "sessions", "-p", "allkeys-lfu", "-f", "json"])
        .args(["--no-report", "-q", "--start-unix-ms", &start])
        .output()
        .unwrap();
    let single = json(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(single["results"][0]["totals"], p["totals"]);
    // The answer is safe at every phase, so never below the plain one.
    let (a, b) = (&plain["safe"][0], &phased["safe"][0]);
    let (a, b) = (
        a["maxmemory_bytes"].as_u64().unwrap(),
        b["maxmemory_bytes"].as_u64().unwrap(),
    );
    assert!(b >= a, "{b} < {a}");
    // A grid size at or above the answer is safe at every phase; the size
    // below it names the phase that was not.
    let above: Vec<&Value> = points
        .iter()
        .filter(|p| p["maxmemory_bytes"].as_u64().unwrap() >= b)
        .collect();
    assert!(!above.is_empty() && above.iter().all(|p| p["safe"] == true));
    let below = &phased["safe"][0]["below"]["unsafe_at"];
    assert!(below["phase_ms"].is_u64(), "{below}");
}
