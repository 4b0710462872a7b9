//! Golden snapshots of every report format, built from a hand-made run, plus
//! the edge cases no report may panic on. Regenerate the snapshots with
//! `UPDATE_GOLDEN=1 cargo test --test report_golden` and review the diff.

#[path = "support/sample.rs"]
mod sample;

use std::path::Path;

use evictsim::metrics::Metrics;
use evictsim::report::{export, Format};
use sample::sample;

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
fn markdown_matches_golden() {
    golden("report.md", &export(Format::Markdown, &sample()).unwrap());
}

fn markdown(r: &evictsim::sim::RunResult) -> String {
    String::from_utf8(export(Format::Markdown, r).unwrap()).unwrap()
}

/// The order a reader meets things in, checked apart from the golden so
/// that regenerating it cannot bury the verdict.
#[test]
fn markdown_leads_with_the_verdict_then_tables_charts_settings() {
    let md = markdown(&sample());
    let at = |s: &str| {
        md.find(s)
            .unwrap_or_else(|| panic!("missing {s:?} in\n{md}"))
    };
    assert!(
        md.starts_with("# Eviction risk report: shop-sessions\n"),
        "{md}"
    );
    let order = [
        "## Verdict",
        "2 of 3 policies lose critical data",
        "`allkeys-lru` (worst): **3,210 critical keys evicted, 5,678 reads lost**",
        "**Safe:** `noeviction`",
        "**1,234 writes refused**",
        "**Memory to lose nothing: 80.0 MiB.**",
        "## If this instance disappeared right now, would anything be permanently lost?",
        "**Yes:** **sessions**",
        "`appendfsync everysec`",
        "**Or split it into two instances:**",
        "**Logical databases don't help.**",
        "## Policies",
        "## Critical classes, per policy",
        "## Charts",
        "![Critical keys evicted and critical reads lost, per policy](critical-loss.png)",
        "## Settings that produced this report",
        concat!("| evictsim version | ", env!("CARGO_PKG_VERSION"), " |"),
        "evictsim run scenarios/shop-sessions.toml --seed 42 --maxmemory 64mb",
    ];
    for pair in order.windows(2) {
        assert!(
            at(pair[0]) < at(pair[1]),
            "{:?} before {:?}",
            pair[0],
            pair[1]
        );
    }
}

#[test]
fn markdown_escapes_text_from_the_run() {
    let mut r = sample();
    r.scenario = "a*b [x](y)".into();
    r.source = evictsim::provenance::Provenance::Scenario {
        path: "scenarios/a*b [x](y).toml".into(),
    };
    r.classes[1].name = "<script>alert(1)</script>".into();
    r.classes[2].name = "feed|v2_*".into();
    let md = markdown(&r);
    assert!(!md.contains("<script>"), "{md}");
    assert!(md.contains("\\<script\\>alert(1)\\</script\\>"), "{md}");
    assert!(md.contains("feed\\|v2\\_\\*"), "{md}");
    assert!(
        md.contains("# Eviction risk report: a\\*b \\[x\\](y)"),
        "{md}"
    );
    // A pipe in a class name must not add a table column.
    for line in md.lines().filter(|l| l.starts_with("| `")) {
        let cells = line.replace("\\|", "").matches('|').count();
        assert!(cells == 9 || cells == 11, "{line}");
    }
    // The command quotes the scenario for the shell.
    assert!(
        md.contains("evictsim run 'scenarios/a*b [x](y).toml'"),
        "{md}"
    );
}

#[test]
fn markdown_without_critical_classes_says_nothing_is_lost() {
    let mut r = sample();
    r.classes[1].critical = false;
    let md = markdown(&r);
    assert!(md.contains("**No class is marked critical,**"), "{md}");
    assert!(md.contains("**No.** No class is marked critical"), "{md}");
    assert!(md.contains("| `allkeys-lru` | no critical data |"), "{md}");
    assert!(!md.contains("appendfsync"), "{md}");
}

#[test]
fn markdown_when_every_policy_loses_names_the_least_damage() {
    let mut r = sample();
    r.results.remove(0);
    let md = markdown(&r);
    assert!(md.contains("**Every policy loses critical data**"), "{md}");
    assert!(
        md.contains("**No policy is safe at this maxmemory.** The least damage: `volatile-lru`"),
        "{md}"
    );
}

#[test]
fn markdown_of_degenerate_runs_does_not_panic() {
    let mut no_policies = sample();
    no_policies.results.clear();
    let md = markdown(&no_policies);
    assert!(md.contains("No policy was run"), "{md}");
    assert!(md.contains("No chart has data in this run."), "{md}");

    let mut no_classes = sample();
    no_classes.classes.clear();
    let md = markdown(&no_classes);
    assert!(
        md.contains("**Unknown:** the run declares no key classes"),
        "{md}"
    );

    let mut no_reads = sample();
    for p in &mut no_reads.results {
        p.metrics = Metrics::new(3);
    }
    no_reads.maxmemory_bytes = 0;
    let md = markdown(&no_reads);
    assert!(!md.contains("NaN"), "{md}");
    assert!(md.contains("maxmemory is not set"), "{md}");
    assert!(md.contains("nothing was read"), "{md}");
}

#[test]
fn same_run_gives_same_bytes() {
    for &f in Format::ALL {
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
    for f in [Format::Markdown, Format::Html] {
        assert!(!export(f, &r).unwrap().is_empty(), "{f}");
    }
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
    for &f in Format::ALL {
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
