//! What a crash loses (`evictsim crash`): by hand on a stream simple
//! enough to count, under each persistence mode; and against a real
//! redis-server killed with SIGKILL at a known moment and restarted on the
//! same directory: exact for `save ""` and `appendfsync always`, within the
//! stated window for `everysec` and RDB.

mod support;

use evictsim::crash::{crash_ops, CrashKind};
use evictsim::model::{InstanceConfig, PolicyKind};
use evictsim::op::{Cmd, Op, SetCond, Value};
use evictsim::persistence::{parse_save, Fsync, Persistence};
use evictsim::sim::ClassInfo;
use std::time::{Duration, Instant};

/// `n` SETs of new keys, one every `gap_ms`, starting at `gap_ms`.
fn sets(n: u32, gap_ms: u64) -> Vec<Op> {
    (0..n)
        .map(|i| Op {
            t_ms: (u64::from(i) + 1) * gap_ms,
            key: i,
            key_len: 8,
            db: 0,
            class: 0,
            cmd: Cmd::Set {
                value: Value::bytes(100),
                ttl_ms: 0,
                cond: SetCond::Always,
                keep_ttl: false,
            },
        })
        .collect()
}

fn classes() -> Vec<ClassInfo> {
    vec![ClassInfo {
        name: "jobs".into(),
        critical: true,
    }]
}

fn persistence(save: &str, aof: Option<Fsync>) -> Persistence {
    Persistence {
        save: parse_save(save).unwrap(),
        appendonly: aof.is_some(),
        appendfsync: aof.unwrap_or_default(),
    }
}

/// Lost keys of a crash at `t` of `kind`.
fn lost(p: &Persistence, ops: &[Op], t: u64, kind: CrashKind) -> (u64, u64) {
    let r = crash_ops(
        "t",
        ops,
        &classes(),
        &InstanceConfig::default(),
        t,
        PolicyKind::NoEviction,
        p,
        &[t],
    );
    let l = r.points[0].of(kind).1[0];
    (l.lost_keys, l.live_keys)
}

#[test]
fn each_persistence_mode_loses_what_its_rules_say() {
    // 100 keys, one every 100 ms: 10 s of writes, the crash at 10 s.
    let ops = sets(100, 100);
    let t = 10_000;
    for kind in CrashKind::ALL {
        assert_eq!(
            lost(&persistence("", None), &ops, t, kind),
            (100, 100),
            "none"
        );
        assert_eq!(
            lost(&persistence("", Some(Fsync::Always)), &ops, t, kind).0,
            0
        );
    }
    // everysec: a process crash loses nothing acknowledged (the page cache
    // survives); a power loss what came after the last whole second (the
    // key written at exactly 10,000 ms is covered by the fsync at 10 s).
    let every = persistence("", Some(Fsync::EverySec));
    assert_eq!(lost(&every, &ops, t, CrashKind::Process).0, 0);
    assert_eq!(
        lost(&every, &ops, 9_950, CrashKind::Power).0,
        9,
        "9,100..9,900 ms"
    );
    // appendfsync no: the last 30 s on a power loss, here everything.
    let no = persistence("", Some(Fsync::No));
    assert_eq!(lost(&no, &ops, t, CrashKind::Power).0, 100);
    assert_eq!(lost(&no, &ops, t, CrashKind::Process).0, 0);
    // RDB "save 5 1": the first snapshot once more than 5 whole seconds
    // passed since the start (the cron ticks every 100 ms; the epoch is 20 s
    // into a minute, a whole second), forked at 6,000 ms with 59 keys (one
    // every 100 ms from 100 ms... 5,900 ms, and the one at 6,000 ms is
    // written before that tick), so a crash at 10 s loses the rest.
    let rdb = persistence("5 1", None);
    let (l, live) = lost(&rdb, &ops, t, CrashKind::Process);
    assert_eq!(live, 100);
    assert_eq!(l, 100 - 60, "keys after the fork at 6,000 ms");
    // Before any snapshot completed: everything.
    assert_eq!(lost(&rdb, &ops, 5_500, CrashKind::Power).0, 55);
}

/// Regression: with everything acknowledged durable (AOF on a process
/// crash, `appendfsync always`), the writes since the last 100 ms cron
/// checkpoint were counted lost (`evictsim crash` showed "0 of 514 keys,
/// 11 writes" beside "everything acknowledged").
#[test]
fn nothing_durable_is_counted_as_lost_writes() {
    let ops = sets(100, 10);
    for (p, kind) in [
        (persistence("", Some(Fsync::Always)), CrashKind::Power),
        (persistence("", Some(Fsync::EverySec)), CrashKind::Process),
    ] {
        let r = crash_ops(
            "t",
            &ops,
            &classes(),
            &InstanceConfig::default(),
            995,
            PolicyKind::NoEviction,
            &p,
            &[995],
        );
        let (d, l) = r.points[0].of(kind);
        assert_eq!(d, Some(995));
        assert_eq!(l[0].lost_writes, 0, "{p:?} {kind:?}");
    }
}

// ---------------------------------------------------------------- a real crash

/// Writes `n` keys, one every `gap` ms, to a fresh server started with
/// `args` in a temporary directory, kills it with SIGKILL right after the
/// last reply, restarts it on the same directory and counts the keys that
/// came back. None when redis-server is missing.
fn real_crash(args: &[&str], n: u32, gap_ms: u64) -> Option<u64> {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap().to_string();
    let mut all: Vec<&str> = vec!["--dir", &d];
    all.extend_from_slice(args);
    let server = support::redis::Server::start_raw(&all)?;
    let mut c = server.client();
    let start = Instant::now();
    let value = "x".repeat(100);
    for i in 0..n {
        let due = start + Duration::from_millis((u64::from(i) + 1) * gap_ms);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let key = format!("job:{i:04}");
        let r = c.cmd(&["SET", &key, &value]);
        assert_eq!(r, support::redis::Reply::Status("OK".into()));
    }
    drop(c);
    server.kill9();
    let again = support::redis::Server::start_raw(&all)?;
    let mut c = again.client();
    // The server answers -LOADING while it reads its files back.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match c.cmd(&["DBSIZE"]) {
            support::redis::Reply::Int(k) => return Some(k as u64),
            support::redis::Reply::Error(e)
                if e.starts_with("LOADING") && Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            other => panic!("DBSIZE: {other:?}"),
        }
    }
}

#[test]
fn a_real_kill_9_loses_what_the_model_says() {
    const N: u32 = 300;
    const GAP: u64 = 10; // 3 s of writes
    let ops = sets(N, GAP);
    let t = u64::from(N) * GAP;
    let window = |ms: u64| ms / GAP; // writes in `ms`
    let cases: [(&[&str], Persistence, u64); 4] = [
        (
            &["--save", "", "--appendonly", "no"],
            persistence("", None),
            0,
        ),
        (
            &[
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
            ],
            persistence("", Some(Fsync::Always)),
            0,
        ),
        (
            &[
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
            ],
            persistence("", Some(Fsync::EverySec)),
            window(2_000),
        ),
        // A snapshot once more than one whole second passed and a write
        // happened: the real server's second boundaries fall elsewhere than
        // the model's, so they may differ by up to about a second and a bit.
        (
            &["--save", "1 1", "--appendonly", "no"],
            persistence("1 1", None),
            window(1_500),
        ),
    ];
    for (args, p, tolerance) in cases {
        let Some(back) = real_crash(args, N, GAP) else {
            return;
        };
        let (lost_model, live) = lost(&p, &ops, t, CrashKind::Process);
        let model_back = live - lost_model;
        println!("{args:?}: real {back} of {N} came back, model {model_back}");
        assert!(
            back.abs_diff(model_back) <= tolerance,
            "{args:?}: real {back} came back, the model says {model_back} (tolerance {tolerance})"
        );
    }
}
