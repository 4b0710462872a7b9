//! The op stream's guarantees: determinism, rates, consistency of every op
//! with its class, and the life cycles of sessions and jobs.

use super::tiny;
use evictsim::op::{Cmd, HashFields, KeyId, Op};
use evictsim::source::{ClassKind, Scenario, SessionStructure, Workload};
use std::collections::{HashMap, HashSet};

fn ops(s: &Scenario) -> Vec<Op> {
    Workload::new(s).collect()
}

#[test]
fn same_seed_same_ops_other_seed_other_ops() {
    let s = tiny();
    let a = ops(&s);
    assert_eq!(a, ops(&s));
    let mut other = s.clone();
    other.seed += 1;
    assert_ne!(a, ops(&other));
}

#[test]
fn time_never_goes_backwards_and_ties_keep_class_order() {
    let s = tiny();
    let all = ops(&s);
    for w in all.windows(2) {
        assert!(w[0].t_ms <= w[1].t_ms, "{:?} then {:?}", w[0], w[1]);
        if w[0].t_ms == w[1].t_ms {
            assert!(w[0].class <= w[1].class, "{:?} then {:?}", w[0], w[1]);
        }
    }
    assert!(all.iter().all(|o| o.t_ms < s.duration_ms));
}

#[test]
fn rates_are_roughly_honoured() {
    let text = r#"
[instance]
maxmemory = "1gb"
[run]
duration = "60s"
seed = 5
[[class]]
name = "c"
kind = "cache"
keys = 1000
reads_per_sec = 1000
value = 100
[[class]]
name = "s"
kind = "session"
logins_per_sec = 10
requests_per_sec = 300
active_for = "10m"
value = 100
[[class]]
name = "q"
kind = "queue"
enqueue_per_sec = 50
delay = "1s"
value = 100
[[class]]
name = "r"
kind = "counter"
keys = 100
incr_per_sec = 200
window = "1s"
"#;
    let s = Scenario::from_str(text, "rates.toml").expect("valid");
    let mut count: HashMap<(u8, &str), f64> = HashMap::new();
    for o in ops(&s) {
        let kind = match o.cmd {
            Cmd::Read(_) => "read",
            Cmd::Set { .. } => "set",
            Cmd::GetDel => "getdel",
            Cmd::IncrWindow { .. } => "incr",
            _ => "other",
        };
        *count.entry((o.class, kind)).or_default() += 1.0;
    }
    // Expected counts over 60 s; 10% is over 6 standard deviations for the
    // smallest (600 logins), so this cannot flap at a fixed seed.
    for (key, expected) in [
        ((0, "read"), 60_000.0),
        ((1, "set"), 600.0),
        ((1, "read"), 18_000.0),
        ((2, "set"), 3_000.0),
        ((2, "getdel"), 2_950.0),
        ((3, "incr"), 12_000.0),
    ] {
        let got = count.get(&key).copied().unwrap_or(0.0);
        assert!(
            (got - expected).abs() < expected * 0.1,
            "{key:?}: {got} vs {expected}"
        );
    }
}

#[test]
fn every_op_matches_its_class() {
    let s = tiny();
    let mut w = Workload::new(&s);
    let mut class_of: HashMap<KeyId, u8> = HashMap::new();
    let mut static_written: HashSet<KeyId> = HashSet::new();
    let mut n = 0;
    while let Some(o) = w.next() {
        n += 1;
        let c = &s.classes[usize::from(o.class)];
        assert_eq!(o.db, c.db, "{o:?}");
        let name = w.key_name(o.key);
        assert_eq!(name.len(), usize::from(o.key_len), "{o:?} {name}");
        let prefix = c.key.as_str().split('{').next().unwrap_or("");
        assert!(name.starts_with(prefix), "{name} vs {}", c.key.as_str());
        assert_eq!(*class_of.entry(o.key).or_insert(o.class), o.class, "{o:?}");
        assert!(u64::from(o.key) < w.key_count());
        match (&c.kind, o.cmd) {
            (ClassKind::Cache(k), Cmd::Read(r)) => {
                let v = r.fill.expect("a cache read fills on a miss");
                assert!(v.len > 0 && !v.int);
                assert_eq!(r.fill_ttl_ms, k.ttl_ms.unwrap_or(0));
                assert_eq!(r.slide_ms, 0);
            }
            (ClassKind::Counter(k), Cmd::IncrWindow { window_ms }) => {
                assert_eq!(window_ms, k.window_ms)
            }
            (ClassKind::Static(k), Cmd::Set { ttl_ms, .. }) => {
                assert_eq!(o.t_ms, 0);
                assert_eq!(ttl_ms, k.ttl_ms.unwrap_or(0));
                assert!(static_written.insert(o.key), "static key written twice");
            }
            (ClassKind::Static(_), Cmd::Read(r)) => {
                assert_eq!(r, Default::default());
                assert!(static_written.contains(&o.key), "static read before write");
            }
            (ClassKind::Session(_), Cmd::Set { .. } | Cmd::Read(_) | Cmd::Del) => {}
            (ClassKind::Queue(_), Cmd::Set { .. } | Cmd::GetDel) => {}
            (kind, cmd) => panic!("{} class emitted {cmd:?}", kind.name()),
        }
    }
    assert!(n > 1000);
    // Ids are dense: every one handed out is below key_count, and the
    // sessions and jobs created last are the last ids.
    let max = class_of.keys().max().copied().unwrap_or(0);
    assert_eq!(u64::from(max) + 1, w.key_count());
    assert_eq!(w.key_name(max + 1), "");
}

#[test]
fn refills_write_the_same_size_as_before() {
    let s = tiny();
    let mut size: HashMap<KeyId, u32> = HashMap::new();
    for o in ops(&s) {
        let v = match o.cmd {
            Cmd::Read(r) => r.fill,
            Cmd::Set { value, .. } => Some(value),
            _ => None,
        };
        if let Some(v) = v {
            assert_eq!(*size.entry(o.key).or_insert(v.len), v.len, "{o:?}");
        }
    }
}

#[test]
fn sessions_are_read_only_after_login_and_before_logout() {
    let s = tiny();
    let class = s.classes.iter().position(|c| c.name == "sessions").unwrap() as u8;
    let ClassKind::Session(spec) = &s.classes[usize::from(class)].kind else {
        panic!("not a session class")
    };
    let mut created: HashSet<KeyId> = HashSet::new();
    let mut logged_out: HashSet<KeyId> = HashSet::new();
    let (mut reads, mut dels) = (0, 0);
    for o in ops(&s).into_iter().filter(|o| o.class == class) {
        assert!(!logged_out.contains(&o.key), "op after logout: {o:?}");
        match o.cmd {
            Cmd::Set { ttl_ms, .. } => {
                assert!(created.insert(o.key), "session id reused: {o:?}");
                assert_eq!(ttl_ms, spec.ttl_ms.unwrap_or(0));
            }
            Cmd::Read(r) => {
                assert!(created.contains(&o.key), "read of a session never created");
                assert_eq!(r.fill.is_some(), spec.relogin);
                assert_eq!(r.slide_ms, if spec.sliding { r.fill_ttl_ms } else { 0 });
                reads += 1;
            }
            Cmd::Del => {
                assert!(created.contains(&o.key));
                logged_out.insert(o.key);
                dels += 1;
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(reads > 100 && dels > 0, "{reads} reads, {dels} logouts");
}

/// A hash session (`tests/fixtures/tiny-hash.toml`, 4 fields, 160 to 240
/// bytes): its login is an HSET of every field with the session's TTL (a
/// PEXPIRE follows it), its requests HGETALL reads that slide the TTL and
/// write the same fields back on a miss; the fields split the value.
#[test]
fn hash_sessions_log_in_with_hset_and_read_with_hgetall() {
    let s = Scenario::from_path(&super::crate_path("tests/fixtures/tiny-hash.toml")).unwrap();
    let class = s.classes.iter().position(|c| c.name == "sessions").unwrap() as u8;
    let ClassKind::Session(spec) = &s.classes[usize::from(class)].kind else {
        panic!("not a session class")
    };
    assert_eq!(spec.structure, SessionStructure::Hash { fields: 4 });
    let mut shape: HashMap<KeyId, HashFields> = HashMap::new();
    let (mut logins, mut reads) = (0, 0);
    for o in ops(&s).into_iter().filter(|o| o.class == class) {
        match o.cmd {
            Cmd::HashSet { fields, ttl_ms } => {
                assert!(
                    shape.insert(o.key, fields).is_none(),
                    "session id reused: {o:?}"
                );
                assert_eq!(ttl_ms, 3_000);
                assert_eq!((fields.n, fields.field_len), (4, 2), "f0..f3");
                assert!((40..=60).contains(&fields.value_len), "{fields:?}");
                logins += 1;
            }
            Cmd::HashRead(r) => {
                assert_eq!(
                    r.fill,
                    Some(shape[&o.key]),
                    "a re-login writes the same fields"
                );
                assert_eq!((r.fill_ttl_ms, r.slide_ms), (3_000, 3_000));
                reads += 1;
            }
            Cmd::Del => assert!(shape.contains_key(&o.key)),
            other => panic!("a hash session sends no {other:?}"),
        }
    }
    assert!(
        logins > 100 && reads > 1_000,
        "{logins} logins, {reads} reads"
    );
}

#[test]
fn jobs_are_taken_once_after_their_delay() {
    let s = tiny();
    let class = s.classes.iter().position(|c| c.name == "jobs").unwrap() as u8;
    let ClassKind::Queue(spec) = &s.classes[usize::from(class)].kind else {
        panic!("not a queue class")
    };
    let mut enqueued: HashMap<KeyId, u64> = HashMap::new();
    let mut taken = 0;
    for o in ops(&s).into_iter().filter(|o| o.class == class) {
        match o.cmd {
            Cmd::Set { .. } => assert!(enqueued.insert(o.key, o.t_ms).is_none()),
            Cmd::GetDel => {
                let at = enqueued.remove(&o.key).expect("taken once, after its SET");
                let waited = o.t_ms - at;
                assert!(
                    waited >= spec.delay_ms && waited <= spec.delay_ms + spec.delay_jitter_ms + 1,
                    "waited {waited} ms"
                );
                taken += 1;
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(taken > 50, "{taken}");
}

#[test]
fn key_names_render_the_template() {
    let s = tiny();
    let w = Workload::new(&s);
    assert_eq!(w.key_name(0), "cache:page:00000000");
    assert_eq!(w.key_name(1999), "cache:page:00001999");
    assert_eq!(w.key_name(2000), "ratelimit:00000000");
    let flags: Vec<String> = (2300..2303).map(|id| w.key_name(id)).collect();
    assert_eq!(flags, ["flag:000", "flag:001", "flag:002"]);
    let frag = w.key_name(2350);
    assert!(frag.starts_with("frag:") && frag.len() == 21, "{frag}");
}

#[test]
fn class_infos_follow_class_order() {
    let s = tiny();
    let infos = s.class_infos();
    let names: Vec<_> = infos
        .iter()
        .map(|c| (c.name.as_str(), c.critical))
        .collect();
    assert_eq!(
        names,
        [
            ("pages", false),
            ("sessions", true),
            ("jobs", true),
            ("ratelimit", true),
            ("flags", true),
            ("fragments", false),
        ]
    );
}

const RETURNING: &str = r#"
[instance]
maxmemory = "4mb"
[run]
duration = "20m"
seed = 3
[[class]]
name = "pages"
kind = "cache"
keys = 40000
popularity = { dist = "uniform" }
reads_per_sec = 400
value = "1kb"
[[class]]
name = "sessions"
kind = "session"
logins_per_sec = 2
active_for = "1m"
requests_per_sec = 20
value = 500
ttl = "30m"
sliding = true
relogin = false
returns = { share = 1.0, after = "5m" }
"#;

/// Users who come back read their session again after the break; with
/// the limit forcing the idle ones out, those reads find it gone: the
/// "users randomly get logged out" of a cache and sessions in one instance.
#[test]
fn returning_users_read_their_session_after_the_break_and_find_it_evicted() {
    let s = Scenario::from_str(RETURNING, "returning.toml").unwrap();
    let ops = ops(&s);
    // Every session's reads: some come more than 5 minutes after the
    // session's previous read (a return after the break).
    let mut last: HashMap<KeyId, u64> = HashMap::new();
    let mut returns = 0;
    for op in ops.iter().filter(|o| o.class == 1) {
        if matches!(op.cmd, Cmd::Read(_)) {
            if let Some(&t) = last.get(&op.key) {
                returns += u32::from(op.t_ms - t >= 5 * 60_000);
            }
        }
        last.insert(op.key, op.t_ms);
    }
    assert!(returns > 100, "returns after a break: {returns}");
    // Without returns, no read comes after such a gap.
    let no_returns = RETURNING.replace("returns = { share = 1.0, after = \"5m\" }", "");
    let s2 = Scenario::from_str(&no_returns, "plain.toml").unwrap();
    let mut last: HashMap<KeyId, u64> = HashMap::new();
    let mut late = 0;
    for op in ops_of(&s2).iter().filter(|o| o.class == 1) {
        if let (Cmd::Read(_), Some(&t)) = (op.cmd, last.get(&op.key)) {
            late += u32::from(op.t_ms - t >= 5 * 60_000);
        }
        last.insert(op.key, op.t_ms);
    }
    assert_eq!(late, 0, "no user comes back without returns");
    // Under allkeys-lru at 4 MB the idle sessions go first, and the users
    // who come back find them gone.
    use evictsim::model::{AnyInstance, PolicyKind};
    let mut inst = AnyInstance::new(PolicyKind::AllKeysLru, &s.instance, s.classes.len());
    inst.apply_all(&ops);
    let m = inst.into_metrics();
    let sessions = &m.classes[1].counters;
    assert!(sessions.evicted_distinct > 50, "{sessions:?}");
    assert!(sessions.lost_reads > 50, "logged-out users: {sessions:?}");
}

fn ops_of(s: &Scenario) -> Vec<Op> {
    Workload::new(s).collect()
}
