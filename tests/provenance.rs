//! Every report reproduces itself: the command it prints (in the Markdown,
//! the HTML and `results.json`'s `command`), run as printed, writes the same
//! `results.json` byte for byte. Scenarios, and traces with class rules
//! from the command line or a file, read-through, sampling and instance
//! settings.
//!
//! Regression: reports of a replayed trace used to print `evictsim run
//! scenarios/<trace name>.toml`, a file that does not exist, with the
//! sampled, scaled `maxmemory`.

use assert_cmd::cargo::cargo_bin;
use std::path::Path;
use std::process::Command;

/// Runs `args` in `dir` with its report in `dir/first`, then the command
/// that report prints with its report in `dir/second`; both results.json.
fn rerun(dir: &Path, args: &[&str]) -> (String, Vec<u8>, Vec<u8>) {
    let bin = cargo_bin("evictsim");
    let out = Command::new(&bin)
        .current_dir(dir)
        .args(args)
        .args(["--out", "first", "--quiet", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let first = std::fs::read(dir.join("first/results.json")).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&first).unwrap();
    let cmd = json["command"].as_str().expect("a command").to_string();
    let md = std::fs::read_to_string(dir.join("first/report.md")).unwrap();
    assert!(md.contains(&cmd), "report.md prints the command:\n{md}");
    let rest = cmd.strip_prefix("evictsim ").expect("starts with evictsim");
    let out = Command::new("sh")
        .current_dir(dir)
        .arg("-c")
        .arg(format!("'{}' {rest} --out second --quiet", bin.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{cmd}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let second = std::fs::read(dir.join("second/results.json")).unwrap();
    (cmd, first, second)
}

fn copy_fixture(dir: &Path, name: &str) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::copy(src, dir.join(name)).unwrap();
}

#[test]
fn a_scenario_report_reruns_itself() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture(dir.path(), "tiny.toml");
    let (cmd, a, b) = rerun(
        dir.path(),
        &[
            "run",
            "tiny.toml",
            "--seed",
            "3",
            "--maxmemory",
            "1mb",
            "-p",
            "allkeys-lfu",
        ],
    );
    assert_eq!(
        cmd,
        "evictsim run tiny.toml --seed 3 --maxmemory 1mb --policy allkeys-lfu"
    );
    assert!(a == b, "{cmd} gave another results.json");
}

#[test]
fn a_trace_report_reruns_itself_with_its_class_rules() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture(dir.path(), "mixed-zeros.csv");
    let (cmd, a, b) = rerun(
        dir.path(),
        &[
            "replay",
            "mixed-zeros.csv",
            "--trace-format",
            "csv",
            "--maxmemory",
            "3mb",
            "--class",
            "sessions=session:*",
            "--class",
            "cache=cache:*",
            "--critical",
            "sessions",
            "--samples",
            "10",
            "--seed",
            "4",
            "-p",
            "allkeys-lru",
            "-p",
            "noeviction",
        ],
    );
    assert_eq!(
        cmd,
        "evictsim replay mixed-zeros.csv --trace-format csv --maxmemory 3mb \
         --class 'sessions=session:*' --class 'cache=cache:*' --critical sessions \
         --samples 10 --seed 4 --policy allkeys-lru --policy noeviction"
    );
    assert!(a == b, "{cmd} gave another results.json");
}

#[test]
fn a_sampled_read_through_trace_report_names_the_size_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture(dir.path(), "mixed-zeros.csv");
    copy_fixture(dir.path(), "mixed-zeros.classes.toml");
    let (cmd, a, b) = rerun(
        dir.path(),
        &[
            "replay",
            "mixed-zeros.csv",
            "--trace-format",
            "csv",
            "--maxmemory",
            "4mb",
            "--classes",
            "mixed-zeros.classes.toml",
            "--read-through",
            "--memory-model",
            "raw",
            "--sample-rate",
            "0.5",
            "-p",
            "exact-lru",
        ],
    );
    assert!(cmd.contains("--maxmemory 4mb"), "the size asked for: {cmd}");
    assert!(cmd.contains("--classes mixed-zeros.classes.toml"), "{cmd}");
    assert!(cmd.contains("--critical sessions"), "{cmd}");
    assert!(cmd.contains("--read-through --memory-model raw"), "{cmd}");
    assert!(cmd.contains("--sample-rate 0.5"), "{cmd}");
    assert!(a == b, "{cmd} gave another results.json");
}

/// A cluster's report reruns on the same cluster: `--shards N` for an even
/// split (from the command line or the file), nothing for an explicit slot
/// map, which the scenario file holds.
#[test]
fn a_cluster_report_reruns_itself() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny.toml"),
    )
    .unwrap()
    .replace("db = 1\n", "");
    std::fs::write(dir.path().join("tiny.toml"), &tiny).unwrap();
    let (cmd, a, b) = rerun(
        dir.path(),
        &["run", "tiny.toml", "--shards", "2", "-p", "allkeys-lru"],
    );
    assert_eq!(
        cmd,
        "evictsim run tiny.toml --seed 7 --maxmemory 1536kb --shards 2 --policy allkeys-lru"
    );
    assert!(a == b, "{cmd} gave another results.json");

    let explicit = tiny.replace(
        "[run]",
        "cluster = { slots = [[0, 99, 1], [100, 16383, 0]] }\n\n[run]",
    );
    std::fs::write(dir.path().join("skewed.toml"), explicit).unwrap();
    std::fs::remove_dir_all(dir.path().join("first")).unwrap();
    std::fs::remove_dir_all(dir.path().join("second")).unwrap();
    let (cmd, a, b) = rerun(dir.path(), &["run", "skewed.toml", "-p", "noeviction"]);
    assert!(!cmd.contains("--shards"), "the file holds the map: {cmd}");
    assert!(a == b, "{cmd} gave another results.json");
    let json: serde_json::Value = serde_json::from_slice(&a).unwrap();
    assert_eq!(json["cluster"]["slots"][0], serde_json::json!([0, 99, 1]));
}

#[test]
fn a_clustered_trace_report_reruns_itself() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture(dir.path(), "mixed-zeros.csv");
    let (cmd, a, b) = rerun(
        dir.path(),
        &[
            "replay",
            "mixed-zeros.csv",
            "--trace-format",
            "csv",
            "--maxmemory",
            "1mb",
            "--class",
            "sessions=session:*",
            "--critical",
            "sessions",
            "--shards",
            "3",
            "--sample-rate",
            "0.5",
            "-p",
            "allkeys-lru",
        ],
    );
    assert!(cmd.contains("--maxmemory 1mb --shards 3"), "{cmd}");
    assert!(a == b, "{cmd} gave another results.json");
}
