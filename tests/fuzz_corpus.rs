//! The fuzz targets' corpora as ordinary tests (issue 21): every file in
//! `fuzz/corpus/<target>/` and every crash the fuzzers found
//! (`fuzz/regressions/<target>/`) goes through the same entry point as its
//! target (`evictsim::fuzzing`), so CI checks them on stable, without
//! cargo-fuzz or nightly. An entry point returns on any input; the
//! `policies` one panics when a model invariant fails.

use evictsim::fuzzing;
use evictsim::trace::TraceFormat;
use std::path::Path;

/// Feeds every file of `fuzz/{corpus,regressions}/<target>/` to `entry`.
fn replay(target: &str, entry: impl Fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut seen = 0;
    for kind in ["corpus", "regressions"] {
        let Ok(dir) = std::fs::read_dir(root.join(kind).join(target)) else {
            continue;
        };
        let mut files: Vec<_> = dir.map(|e| e.unwrap().path()).collect();
        files.sort();
        for f in files {
            let data = std::fs::read(&f).unwrap();
            let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| entry(&data)));
            assert!(caught.is_ok(), "{} panicked", f.display());
            seen += 1;
        }
    }
    assert!(seen > 0, "no corpus for {target}");
}

#[test]
fn scenario_corpus() {
    replay("scenario", fuzzing::scenario);
}

#[test]
fn class_rules_corpus() {
    replay("class_rules", fuzzing::class_rules);
}

#[test]
fn redis_conf_corpus() {
    replay("redis_conf", fuzzing::redis_conf);
}

#[test]
fn policies_corpus() {
    replay("policies", fuzzing::policies);
}

#[test]
fn trace_corpora() {
    for (target, format) in [
        ("trace_csv", TraceFormat::Csv),
        ("trace_monitor", TraceFormat::Monitor),
        ("trace_twitter", TraceFormat::Twitter),
        ("trace_cachelib", TraceFormat::Cachelib),
        ("trace_oracle_general", TraceFormat::OracleGeneral),
    ] {
        replay(target, |d| fuzzing::trace(format, d));
    }
}
