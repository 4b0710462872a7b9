//! `evictsim audit`: the flags and exit status on known configs with the
//! seed scenario (a cache's allkeys-lru with no persistence: two flags; a
//! sized store: none; Debian's default: no limit), with class rules and
//! with nothing; the files it writes are `split`'s for the same inputs;
//! broken and unreadable files exit 1 naming the file and line.

mod support;

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/conf").join(name)
}

/// The seed scenario cut to `minutes` (a debug build runs it in seconds;
/// the pressure is there after one), written into `dir`.
fn seed(dir: &Path, minutes: u32) -> PathBuf {
    let text = std::fs::read_to_string(root().join("scenarios/seed-blog.toml"))
        .unwrap()
        .replace("duration = \"10m\"", &format!("duration = \"{minutes}m\""));
    let p = dir.join("seed-blog.toml");
    std::fs::write(&p, text).unwrap();
    p
}

/// Runs `evictsim audit ARGS --format json -q --out OUT`: (exit status,
/// the JSON, stderr).
fn audit(args: &[&str], out: &Path) -> (i32, Value, String) {
    let o = Command::cargo_bin("evictsim")
        .unwrap()
        .arg("audit")
        .args(args)
        // One directory for every audit of a test, one config after
        // another: --force lets each write over the last one's report.
        .args(["--format", "json", "-q", "--force", "--out"])
        .arg(out)
        .output()
        .unwrap();
    let code = o.status.code().unwrap();
    let json = if o.stdout.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&o.stdout).unwrap()
    };
    (code, json, String::from_utf8_lossy(&o.stderr).into_owned())
}

fn flags(j: &Value) -> Vec<String> {
    j["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn allkeys_lru_without_persistence_flags_the_seeds_critical_data() {
    let d = tempfile::tempdir().unwrap();
    let sc = seed(d.path(), 2);
    let conf = fixture("allkeys-lru-no-persistence.conf");
    let (code, j, err) = audit(&[s(&conf), "--scenario", s(&sc)], &d.path().join("out"));
    assert_eq!(code, 3, "{err}");
    assert_eq!(flags(&j), ["allkeys-critical", "critical-not-durable"]);
    let f = &j["flags"][0];
    let reason = f["reason"].as_str().unwrap();
    assert!(
        reason.contains("allkeys-lru-no-persistence.conf:5"),
        "{reason}"
    );
    assert!(
        reason.contains("sessions, rate-limits, jobs and feature-flags included"),
        "{reason}"
    );
    assert!(f["fix"].as_str().unwrap().contains("store.conf"), "{f}");
    // The model ran under the file's settings and lost critical data.
    let p = &j["pressure"];
    assert_eq!(p["policy"], "allkeys-lru");
    assert_eq!(p["maxmemory_bytes"], 64 << 20);
    assert!(
        p["critical"]["evicted_distinct"].as_u64().unwrap() > 100,
        "{p}"
    );
    // With no persistence a crash loses every critical key.
    let c = &j["crash"]["process"];
    assert_eq!(c["critical_lost_keys"], c["critical_live_keys"]);
    assert!(c["critical_live_keys"].as_u64().unwrap() > 0);
}

#[test]
fn a_store_sized_for_the_seed_flags_nothing() {
    let d = tempfile::tempdir().unwrap();
    let sc = seed(d.path(), 2);
    let out = d.path().join("out");
    let (code, j, err) = audit(
        &[s(&fixture("safe-store.conf")), "--scenario", s(&sc)],
        &out,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(flags(&j), Vec::<String>::new());
    assert_eq!(j["exit_status"], 0);
    assert_eq!(j["pressure"]["all"]["oom_rejected"], 0);
    assert_eq!(j["crash"]["process"]["critical_lost_keys"], 0);
    assert_eq!(j["crash"]["process"]["critical_lost_writes"], 0);
    // The table says so too.
    let table = std::fs::read_to_string(out.join("table.txt")).unwrap();
    assert!(table.contains("flags: none (exit status 0)"), "{table}");
}

#[test]
fn debians_default_config_has_no_limit() {
    let d = tempfile::tempdir().unwrap();
    let sc = seed(d.path(), 2);
    let out = d.path().join("out");
    let (code, j, err) = audit(
        &[s(&fixture("debian-redis.conf")), "--scenario", s(&sc)],
        &out,
    );
    assert_eq!(code, 3, "{err}");
    assert_eq!(flags(&j), ["no-maxmemory"]);
    assert_eq!(j["warnings"], Value::Array(vec![]));
    assert_eq!(j["settings"]["maxmemory"]["set_at"], Value::Null);
    assert!(j["settings"]["appendonly"]["set_at"]
        .as_str()
        .unwrap()
        .ends_with("debian-redis.conf:1379"));
    // With no limit the layout is sized from the peak the instance reached.
    let budget = j["layout"]["budget"].as_str().unwrap();
    assert!(budget.contains("the peak the instance reached"), "{budget}");
    assert!(out.join("store.conf").is_file() && out.join("cache.conf").is_file());
}

/// The written files are `split`'s for the same scenario and memory, but
/// for the line saying which command generated them.
#[test]
fn the_written_files_are_splits() {
    let d = tempfile::tempdir().unwrap();
    let sc = seed(d.path(), 2);
    let conf = fixture("allkeys-lru-no-persistence.conf");
    let audited = d.path().join("audit");
    let (code, ..) = audit(&[s(&conf), "--scenario", s(&sc)], &audited);
    assert_eq!(code, 3);
    let split = d.path().join("split");
    Command::cargo_bin("evictsim")
        .unwrap()
        .args([
            "split",
            s(&sc),
            "--maxmemory",
            "64mb",
            "-p",
            "allkeys-lru",
            "-q",
            "--out",
        ])
        .arg(&split)
        .assert()
        .success();
    for f in ["store.conf", "cache.conf"] {
        let a = std::fs::read_to_string(audited.join(f)).unwrap();
        let b = std::fs::read_to_string(split.join(f)).unwrap();
        assert!(
            a.contains(&format!("# Generated by `evictsim audit {}", s(&conf))),
            "{a}"
        );
        assert_eq!(
            support::generated_line(&a),
            support::generated_line(&b),
            "{f}"
        );
    }
}

#[test]
fn volatile_policies_are_flagged_when_critical_keys_carry_a_ttl() {
    let d = tempfile::tempdir().unwrap();
    let sc = seed(d.path(), 1);
    let conf = d.path().join("volatile.conf");
    std::fs::write(
        &conf,
        "maxmemory 64mb\nmaxmemory-policy volatile-lru\nappendonly yes\n",
    )
    .unwrap();
    let (code, j, err) = audit(&[s(&conf), "--scenario", s(&sc)], &d.path().join("out"));
    assert_eq!(code, 3, "{err}");
    assert_eq!(flags(&j), ["volatile-critical-ttl"]);
    let reason = j["flags"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("sessions and rate-limits carry one"),
        "{reason}"
    );
    // Accepted, it no longer fails the file.
    let (code, j, _) = audit(
        &[
            s(&conf),
            "--scenario",
            s(&sc),
            "--accept",
            "volatile-critical-ttl",
        ],
        &d.path().join("out"),
    );
    assert_eq!(code, 0);
    assert_eq!(j["flags"][0]["accepted"], true);
}

#[test]
fn class_rules_judge_without_a_workload() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("out");
    let rules = [
        "--class",
        "sessions=session:*",
        "--class",
        "cache=cache:*",
        "--critical",
        "sessions",
    ];
    fn with<'a>(conf: &'a str, rules: &[&'a str]) -> Vec<&'a str> {
        let mut a = vec![conf];
        a.extend(rules);
        a
    }
    // The include fixture, read from its directory: noeviction at 48mb
    // with AOF; nothing says the application handles -OOM.
    let inc = fixture("with-include.conf");
    let mut args = with(s(&inc), &rules);
    let cwd = fixture("");
    args.extend(["--cwd", s(&cwd)]);
    let (code, j, err) = audit(&args, &out);
    assert_eq!(code, 3, "{err}");
    assert_eq!(flags(&j), ["oom-unhandled"]);
    assert_eq!(j["files"].as_array().unwrap().len(), 4);
    assert_eq!(j["pressure"], Value::Null);
    // Each instance gets the file's maxmemory.
    let store = std::fs::read_to_string(out.join("store.conf")).unwrap();
    assert!(
        store.contains("\nmaxmemory 48mb\n") && store.contains("appendonly yes"),
        "{store}"
    );
    let cache = std::fs::read_to_string(out.join("cache.conf")).unwrap();
    assert!(cache.contains("(cache, other)") && cache.contains("maxmemory-policy allkeys-lru"));
    args.extend(["--accept", "oom-unhandled"]);
    assert_eq!(audit(&args, &out).0, 0);
    // The CONFIG REWRITE fixture: allkeys-lfu, AOF always.
    let rewritten = fixture("rewritten.conf");
    let (code, j, _) = audit(&with(s(&rewritten), &rules), &out);
    assert_eq!(code, 3);
    assert_eq!(flags(&j), ["allkeys-critical"]);
    assert!(j["rewrite_block"]
        .as_str()
        .unwrap()
        .ends_with("rewritten.conf:17"));
    assert!(j["flags"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("rewritten.conf:22"));
    // No classes: only what the file alone shows; no layout (and none
    // left over from before).
    let (code, j, _) = audit(&[s(&fixture("debian-redis.conf"))], &out);
    assert_eq!(code, 3);
    assert_eq!(flags(&j), ["no-maxmemory"]);
    assert_eq!(j["layout"]["written"], false);
    assert!(!out.join("store.conf").exists());
}

#[test]
fn broken_and_unreadable_files_exit_1_naming_the_line() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("out");
    let cwd = fixture("");
    for (name, line, reason) in [
        (
            "bad-maxmemory.conf",
            3,
            "maxmemory '1.5gb': argument must be a memory value",
        ),
        ("unterminated-quote.conf", 4, "unbalanced quotes"),
        (
            "missing-include.conf",
            3,
            "include broken/nowhere.conf: cannot open",
        ),
    ] {
        let conf = fixture(&format!("broken/{name}"));
        let (code, j, err) = audit(&[s(&conf), "--cwd", s(&cwd)], &out);
        assert_eq!(code, 1, "{name}");
        assert_eq!(j, Value::Null);
        let want = format!("error: {}:{line}: {reason}", s(&conf));
        assert!(err.starts_with(&want), "{err}");
    }
    let (code, _, err) = audit(&["no/such/redis.conf"], &out);
    assert_eq!(code, 1);
    assert!(
        err.starts_with("error: no/such/redis.conf: cannot read: "),
        "{err}"
    );
    // A flag that is not one is a usage error.
    let (code, _, err) = audit(&[s(&fixture("safe-store.conf")), "--accept", "nope"], &out);
    assert_eq!(code, 1);
    assert!(err.contains("unknown flag 'nope'"), "{err}");
}
