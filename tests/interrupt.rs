//! An interrupted run loses nothing (issue 21): SIGINT or SIGTERM during a
//! long `run` writes the results so far, marked partial in every file and
//! on the terminal, and exits 130 or 143; a second signal exits at once,
//! leaving the report already there or (when it lands while the new files
//! are renamed into place) the new one whole, never a mix; a report
//! elsewhere is never touched. Each test waits for the run's first line on stderr (printed
//! once the handlers are installed) rather than sleeping blindly.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A scenario of an hour at 100,000 reads a second: far longer than a test.
fn long_scenario(dir: &Path, policies: &str) -> PathBuf {
    let path = dir.join("long.toml");
    std::fs::write(
        &path,
        format!(
            "[instance]\nmaxmemory = \"2mb\"\n{policies}\n\
             [run]\nduration = \"1h\"\nseed = 1\nstart = \"2026-12-04T10:00:20Z\"\n\
             [[class]]\nname = \"pages\"\nkind = \"cache\"\nkey = \"page:{{id}}\"\n\
             keys = 100000\nreads_per_sec = 100000\nvalue = {{ dist = \"fixed\", bytes = 100 }}\n"
        ),
    )
    .unwrap();
    path
}

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_evictsim"))
}

/// Starts `evictsim run SCENARIO --out OUT` and returns once it has said
/// its first line on stderr (the handlers are installed by then), with
/// the rest of stderr collected by a thread.
fn start(scenario: &Path, out: &Path) -> (Child, std::thread::JoinHandle<String>) {
    let mut child = Command::new(bin())
        .args([
            "run",
            scenario.to_str().unwrap(),
            // Over another scenario's report, in the second-signal test.
            "--force",
            "--out",
            out.to_str().unwrap(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    assert!(first.starts_with("clock starts"), "{first}");
    let rest = std::thread::spawn(move || {
        let mut s = String::new();
        while stderr.read_line(&mut s).unwrap_or(0) > 0 {}
        s
    });
    (child, rest)
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

fn wait(mut child: Child) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s.code().unwrap_or(-1);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the run did not stop within 120 s of the signal");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Every file of `dir` by name, with its bytes.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

/// A complete report of the tiny fixture in `dir`.
fn complete_report(dir: &Path) {
    let tiny = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny.toml");
    let ok = Command::new(bin())
        .args([
            "run",
            tiny.to_str().unwrap(),
            "-q",
            "--out",
            dir.to_str().unwrap(),
        ])
        .stdout(Stdio::null())
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

#[test]
fn sigint_writes_the_results_so_far_marked_partial_in_every_file() {
    let tmp = tempfile::tempdir().unwrap();
    let previous = tmp.path().join("previous");
    complete_report(&previous);
    let before = snapshot(&previous);
    let scenario = long_scenario(tmp.path(), "policies = [\"allkeys-lru\"]");
    let out = tmp.path().join("out");
    let (child, stderr) = start(&scenario, &out);
    signal(&child, "-INT");
    assert_eq!(wait(child), 130);
    let stderr = stderr.join().unwrap();
    assert!(
        stderr.contains("PARTIAL RESULTS: interrupted by SIGINT after "),
        "{stderr}"
    );
    let files = snapshot(&out);
    for (name, bytes) in &files {
        assert!(
            !name.starts_with('.') || name == evictsim::report::owner::MARKER,
            "a temporary file was left: {name}"
        );
        let text = String::from_utf8_lossy(bytes);
        let head: String = text.chars().take(400).collect();
        match name.as_str() {
            "results.json" => {
                let v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
                assert_eq!(v["partial"], true);
                assert_eq!(v["stopped"]["reason"], "interrupted by SIGINT");
                assert_eq!(v["stopped"]["planned_ms"], 3_600_000);
                assert!(v["stopped"]["ops"].as_u64().unwrap() > 0);
                assert_eq!(v["stopped"]["ops"], v["ops"]);
            }
            "table.txt" | "report.md" | "results.csv" => {
                assert!(head.contains("PARTIAL RESULTS"), "{name}: {head}")
            }
            "report.html" => assert!(text.contains("<p class=\"partial\">"), "{name}"),
            // Every chart says so in its subtitle.
            n if n.ends_with(".svg") => assert!(
                text.contains("PARTIAL RESULTS (interrupted by SIGINT at "),
                "{name} carries no partial mark"
            ),
            _ => {}
        }
    }
    assert!(files.iter().any(|(n, _)| n == "results.json"));
    assert!(files.iter().any(|(n, _)| n.ends_with(".png")));
    assert_eq!(
        snapshot(&previous),
        before,
        "a report elsewhere was touched"
    );
}

#[test]
fn sigterm_exits_143_with_the_results_so_far() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = long_scenario(tmp.path(), "policies = [\"allkeys-lfu\"]");
    let out = tmp.path().join("out");
    let (child, stderr) = start(&scenario, &out);
    signal(&child, "-TERM");
    assert_eq!(wait(child), 143);
    assert!(stderr.join().unwrap().contains("interrupted by SIGTERM"));
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("results.json")).unwrap()).unwrap();
    assert_eq!(v["partial"], true);
}

#[test]
fn a_second_sigint_leaves_the_previous_report_or_the_complete_new_one_never_a_mix() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    complete_report(&out);
    let before = snapshot(&out);
    // Every policy: a batch takes long enough for the second signal to
    // arrive inside it, most of the time. Signals are not queued, and on a
    // busy machine both may land before the run looks: then the partial
    // report is written whole, which is also a correct outcome.
    let scenario = long_scenario(tmp.path(), "");
    let (child, _stderr) = start(&scenario, &out);
    signal(&child, "-INT");
    signal(&child, "-INT");
    assert_eq!(wait(child), 130);
    let after = snapshot(&out);
    if after == before {
        return;
    }
    for (name, bytes) in &after {
        assert!(
            !name.starts_with('.') || name == evictsim::report::owner::MARKER,
            "a temporary file was left: {name}"
        );
        let old = before.iter().find(|(n, _)| n == name);
        assert!(
            old.is_none_or(|(_, b)| b != bytes),
            "{name} is still the previous run's beside the new run's files"
        );
        let text = String::from_utf8_lossy(bytes);
        let head: String = text.chars().take(400).collect();
        match name.as_str() {
            "table.txt" | "report.md" | "results.csv" => {
                assert!(head.contains("PARTIAL RESULTS"), "{name}: {head}")
            }
            "results.json" => {
                let v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
                assert_eq!(v["partial"], true);
            }
            _ => {}
        }
    }
    for name in [
        "report.md",
        "results.json",
        "results.csv",
        "table.txt",
        "report.html",
    ] {
        assert!(after.iter().any(|(n, _)| n == name), "{name} is missing");
    }
}

#[test]
fn a_signal_during_a_sweep_exits_at_once_leaving_the_previous_sweep_report() {
    // A sweep's report is written whole or not at all: the first signal
    // while its points run exits 130 at once and the report already in
    // --out (the same sweep's, a smaller one) stays as it was.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let small = tmp.path().join("long.toml");
    std::fs::write(
        &small,
        "[instance]\nmaxmemory = \"2mb\"\npolicies = [\"allkeys-lru\"]\n\
         [run]\nduration = \"10s\"\nseed = 1\nstart = \"2026-12-04T10:00:20Z\"\n\
         [[class]]\nname = \"pages\"\nkind = \"cache\"\nkey = \"page:{id}\"\n\
         keys = 1000\nreads_per_sec = 1000\nvalue = { dist = \"fixed\", bytes = 100 }\n",
    )
    .unwrap();
    let sweep = |scenario: &Path| {
        Command::new(bin())
            .args([
                "sweep",
                scenario.to_str().unwrap(),
                "--maxmemory",
                "2mb..64mb",
            ])
            .args(["--steps", "40", "--out", out.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    assert_eq!(wait(sweep(&small)), 0);
    let before = snapshot(&out);
    assert!(before.iter().any(|(n, _)| n == "report.md"));
    // The same scenario's name, now an hour at 50,000 reads a second: 40
    // points of 180M operations each, far longer than the test.
    let long = tmp.path().join("long.toml");
    std::fs::write(
        &long,
        std::fs::read_to_string(&small)
            .unwrap()
            .replace("duration = \"10s\"", "duration = \"1h\"")
            .replace("reads_per_sec = 1000", "reads_per_sec = 50000"),
    )
    .unwrap();
    let mut child = sweep(&long);
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    assert!(first.starts_with("clock starts"), "{first}");
    let sent = Instant::now();
    signal(&child, "-INT");
    assert_eq!(wait(child), 130);
    assert!(
        sent.elapsed() < Duration::from_secs(30),
        "the sweep took {:?} to stop",
        sent.elapsed()
    );
    assert_eq!(snapshot(&out), before, "the previous sweep report changed");
}
