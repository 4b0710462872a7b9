//! Every shipped scenario parses, says what it teaches, and generates ops.

use super::crate_path;
use evictsim::model::PolicyKind;
use evictsim::source::{Scenario, Workload};

#[test]
fn every_shipped_scenario_parses_and_generates_ops() {
    let dir = crate_path("scenarios");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("scenarios/ exists") {
        let path = entry.expect("readable entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        seen += 1;
        let text = std::fs::read_to_string(&path).expect("readable");
        assert!(
            text.starts_with('#'),
            "{} must open with a comment saying what it teaches",
            path.display()
        );
        let s = Scenario::from_path(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            Some(s.name.as_str()),
            path.file_stem().and_then(|x| x.to_str())
        );
        assert!(s.instance.maxmemory > 0, "{}: no memory pressure", s.name);
        let ops: Vec<_> = Workload::new(&s).take(50_000).collect();
        assert_eq!(ops.len(), 50_000, "{}", s.name);
        assert!(ops.iter().all(|o| o.t_ms < s.duration_ms));
    }
    assert!(seen >= 4, "only {seen} scenarios found");
}

#[test]
fn seed_blog_runs_2000_to_4000_ops_a_second() {
    let s = Scenario::from_path(&crate_path("scenarios/seed-blog.toml")).expect("valid");
    assert!((5 * 60_000..=10 * 60_000).contains(&s.duration_ms));
    let first_minute = Workload::new(&s).take_while(|o| o.t_ms < 60_000).count();
    let per_sec = first_minute as f64 / 60.0;
    assert!((2000.0..=4000.0).contains(&per_sec), "{per_sec} ops/s");
    let infos = s.class_infos();
    let critical: Vec<_> = infos
        .iter()
        .filter(|c| c.critical)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(
        critical,
        ["sessions", "rate-limits", "jobs", "feature-flags"]
    );
    assert!(s.classes.iter().all(|c| c.db == 0));
    assert_eq!(s.policies, PolicyKind::ALL.to_vec());
}

#[test]
fn tiny_fixture_is_small_and_has_every_kind() {
    let s = super::tiny();
    let mut kinds: Vec<_> = s.classes.iter().map(|c| c.kind.name()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    assert_eq!(kinds, ["cache", "counter", "queue", "session", "static"]);
    let n = Workload::new(&s).count();
    assert!((1_000..20_000).contains(&n), "{n} ops");
    assert!(s.duration_ms <= 10_000);
}
