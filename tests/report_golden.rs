//! Golden snapshots of every report format, built from a hand-made run, plus
//! the edge cases no report may panic on. Regenerate the snapshots with
//! `UPDATE_GOLDEN=1 cargo test --test report_golden` and review the diff.

use std::path::Path;

use evictsim::metrics::{Counters, Metrics};
use evictsim::model::PolicyKind;
use evictsim::report::{export, Format};
use evictsim::sim::{ClassInfo, PolicyRun, RunResult};

const CACHE: usize = 0;
const SESSIONS: usize = 1;
const FEED: usize = 2;

fn counters(reads: u64, hits: u64, writes: u64) -> Counters {
    Counters {
        reads,
        hits,
        writes,
        ..Default::default()
    }
}

/// Three classes (one critical, one whose name needs CSV quoting) under
/// `noeviction`, `allkeys-lru` and `volatile-lru`.
fn sample() -> RunResult {
    let classes = vec![
        ClassInfo {
            name: "cache".into(),
            critical: false,
        },
        ClassInfo {
            name: "sessions".into(),
            critical: true,
        },
        ClassInfo {
            name: "feed,v2".into(),
            critical: false,
        },
    ];

    let mut noeviction = Metrics::new(3);
    noeviction.classes[CACHE].counters = Counters {
        oom_rejected: 434,
        expired: 1_500,
        ..counters(120_000, 90_000, 31_000)
    };
    noeviction.classes[SESSIONS].counters = Counters {
        oom_rejected: 800,
        expired: 2_000,
        ..counters(40_000, 39_500, 9_000)
    };
    noeviction.classes[FEED].counters = counters(5_000, 4_000, 1_000);
    noeviction.peak_used_memory = 64 << 20;

    let mut lru = Metrics::new(3);
    lru.classes[CACHE].counters = Counters {
        expired: 900,
        ..counters(120_000, 97_000, 31_400)
    };
    for idle in [200, 5_000, 5_000, 60_000] {
        lru.classes[CACHE].record_eviction(idle, None, true);
    }
    lru.classes[CACHE].counters.evicted = 50_000;
    lru.classes[CACHE].counters.evicted_distinct = 42_000;
    lru.classes[SESSIONS].counters = Counters {
        lost_reads: 5_678,
        expired: 1_100,
        ..counters(40_000, 33_800, 9_800)
    };
    for (idle, ttl) in [(1_500, 1_200_000), (30_000, 1_700_000), (30_000, 600_000)] {
        lru.classes[SESSIONS].record_eviction(idle, Some(ttl), true);
    }
    lru.classes[SESSIONS].record_eviction(600_000, None, false);
    lru.classes[SESSIONS].counters.evicted = 3_500;
    lru.classes[SESSIONS].counters.evicted_distinct = 3_210;
    lru.classes[FEED].counters = Counters {
        evicted: 700,
        evicted_distinct: 700,
        ..counters(5_000, 3_900, 1_050)
    };
    lru.peak_used_memory = 67_100_000;

    let mut vlru = Metrics::new(3);
    vlru.classes[CACHE].counters = Counters {
        evicted: 48_000,
        evicted_distinct: 40_000,
        expired: 1_000,
        ..counters(120_000, 95_500, 31_300)
    };
    vlru.classes[SESSIONS].record_eviction(2_000, Some(900_000), true);
    vlru.classes[SESSIONS].counters = Counters {
        evicted: 12,
        evicted_distinct: 12,
        lost_reads: 20,
        expired: 1_900,
        ..counters(40_000, 39_400, 9_010)
    };
    vlru.classes[FEED].counters = Counters {
        oom_rejected: 300,
        ..counters(5_000, 4_000, 1_000)
    };
    vlru.peak_used_memory = 67_000_000;

    RunResult {
        scenario: "shop-sessions".into(),
        seed: 42,
        maxmemory_bytes: 64 << 20,
        ops: 1_000_000,
        simulated_ms: 3_600_000,
        classes,
        results: vec![
            PolicyRun {
                policy: PolicyKind::NoEviction,
                metrics: noeviction,
            },
            PolicyRun {
                policy: PolicyKind::AllKeysLru,
                metrics: lru,
            },
            PolicyRun {
                policy: PolicyKind::VolatileLru,
                metrics: vlru,
            },
        ],
        unbounded_peak_memory: 83_886_080,
    }
}

/// Compares `actual` with `tests/golden/<name>`, or rewrites the file when
/// `UPDATE_GOLDEN=1`.
fn golden(name: &str, actual: &[u8]) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var("UPDATE_GOLDEN").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run with UPDATE_GOLDEN=1 to create it",
            path.display()
        )
    });
    if expected != actual {
        panic!(
            "{} differs (UPDATE_GOLDEN=1 regenerates it)\n--- expected\n{}\n--- actual\n{}",
            path.display(),
            String::from_utf8_lossy(&expected),
            String::from_utf8_lossy(actual)
        );
    }
}

#[test]
fn table_matches_golden() {
    golden("table.txt", &export(Format::Table, &sample()).unwrap());
}

#[test]
fn json_matches_golden() {
    golden("results.json", &export(Format::Json, &sample()).unwrap());
}

#[test]
fn csv_matches_golden() {
    golden("results.csv", &export(Format::Csv, &sample()).unwrap());
}

#[test]
fn same_run_gives_same_bytes() {
    for f in Format::ALL {
        assert_eq!(export(f, &sample()).unwrap(), export(f, &sample()).unwrap());
    }
}

/// The names a consumer of the JSON relies on; checked apart from the golden
/// so that regenerating it cannot rename a field unnoticed.
#[test]
fn json_keeps_its_stable_names() {
    let text = String::from_utf8(export(Format::Json, &sample()).unwrap()).unwrap();
    let at = |key: &str| text.find(&format!("\"{key}\": {{")).unwrap();
    assert!(
        at("cache") < at("sessions") && at("sessions") < at("feed,v2"),
        "scenario order"
    );
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    for key in [
        "scenario",
        "seed",
        "maxmemory_bytes",
        "ops",
        "simulated_ms",
        "unbounded_peak_memory",
        "results",
    ] {
        assert!(v.get(key).is_some(), "missing top-level {key}");
    }
    assert_eq!(v["verdict"]["safest"], "noeviction");
    assert_eq!(v["verdict"]["worst"], "allkeys-lru");
    let lru = &v["results"][1];
    assert_eq!(lru["policy"], "allkeys-lru");
    assert_eq!(lru["peak_used_memory"], 67_100_000);
    assert_eq!(lru["classes"].as_object().unwrap().len(), 3);
    let s = &lru["classes"]["sessions"];
    for key in [
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
        assert!(s.get(key).is_some(), "missing class field {key}");
        assert!(lru["totals"].get(key).is_some() || key == "critical");
    }
    for hist in ["idle_at_eviction_ms", "ttl_left_at_eviction_ms"] {
        for key in ["count", "p50", "p90", "p99", "max"] {
            assert!(s[hist].get(key).is_some(), "missing {hist}.{key}");
        }
    }
    assert_eq!(s["idle_at_eviction_ms"]["count"], 4);
    assert_eq!(s["ttl_left_at_eviction_ms"]["count"], 3);
    assert_eq!(lru["totals"]["lost_reads"], 5_678);
}

#[test]
fn empty_run_reports_without_panicking() {
    let mut r = sample();
    r.results.clear();
    let table = String::from_utf8(export(Format::Table, &r).unwrap()).unwrap();
    assert!(table.contains("no policy was run"), "{table}");
    let json: serde_json::Value =
        serde_json::from_slice(&export(Format::Json, &r).unwrap()).unwrap();
    assert_eq!(json["results"], serde_json::json!([]));
    assert!(json["verdict"]["safest"].is_null());
    let csv = String::from_utf8(export(Format::Csv, &r).unwrap()).unwrap();
    assert_eq!(csv.lines().count(), 1, "header only");
}

#[test]
fn zero_reads_show_a_dash_not_nan() {
    let mut r = sample();
    r.results.truncate(1);
    r.results[0].metrics = Metrics::new(3);
    let table = String::from_utf8(export(Format::Table, &r).unwrap()).unwrap();
    assert!(!table.contains("NaN"), "{table}");
    let row = table.lines().find(|l| l.contains("noeviction")).unwrap();
    assert_eq!(row.matches(" - ").count(), 2, "{row}");
    assert!(table.contains("no write refused"), "{table}");
    assert!(table.contains("worst: none"), "{table}");
}

#[test]
fn mismatched_class_lists_do_not_panic() {
    let mut r = sample();
    r.classes.pop();
    r.results[2].metrics = Metrics::new(1);
    for f in Format::ALL {
        export(f, &r).unwrap();
    }
}

#[test]
fn table_says_when_every_policy_loses_something() {
    let mut r = sample();
    r.results.remove(0);
    let table = String::from_utf8(export(Format::Table, &r).unwrap()).unwrap();
    assert!(
        table.contains(
            "safest: volatile-lru (every policy loses critical keys; this one least: \
             12 critical keys evicted, 20 reads lost)"
        ),
        "{table}"
    );
    assert!(table.contains("worst: allkeys-lru"), "{table}");
}
