//! `evictsim inspect` against a real redis-server filled with a known mix
//! (sessions with a TTL, cache pages, rate-limit counters, job keys, a hash
//! and a list): each class's pattern is found with its count within 10%,
//! the written scenario passes `check` and `run`, and MONITOR sees only
//! read commands while it looks.

mod support;

use assert_cmd::Command;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

fn fill(c: &mut support::redis::Client) {
    let mut buf = Vec::new();
    let mut n = 0;
    let mut push = |args: &[&str], buf: &mut Vec<u8>| {
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        support::redis::encode(&a, buf);
        n += 1;
    };
    let v = |len: usize| "x".repeat(len);
    for i in 0..1500 {
        let key = format!(
            "session:{:032x}",
            (i as u128) * 0x9e37_79b9_7f4a_7c15_u128 + 1
        );
        push(&["SET", &key, &v(400), "EX", "1800"], &mut buf);
    }
    for i in 0..3000 {
        push(
            &["SET", &format!("cache:page:{i:08}"), &v(1200), "EX", "3600"],
            &mut buf,
        );
    }
    for i in 0..800 {
        let key = format!("rl:u{}:{}", 1000 + i, 29_000_000);
        push(&["SET", &key, "7", "EX", "60"], &mut buf);
    }
    for i in 0..300 {
        push(&["SET", &format!("job:{}", 50_000 + i), &v(300)], &mut buf);
    }
    for i in 0..120 {
        push(
            &[
                "HSET",
                &format!("user:{}:profile", 700 + i),
                "name",
                "x",
                "plan",
                "pro",
            ],
            &mut buf,
        );
    }
    push(&["RPUSH", "queue:mail", "a", "b", "c"], &mut buf);
    let replies = c.pipeline(&buf, n);
    assert!(replies
        .iter()
        .all(|r| !matches!(r, support::redis::Reply::Error(_))));
}

/// Commands MONITOR saw, by name.
fn watch(
    port: u16,
) -> (
    std::thread::JoinHandle<Vec<String>>,
    std::sync::mpsc::Sender<()>,
) {
    let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut w = s.try_clone().unwrap();
    w.write_all(b"*1\r\n$7\r\nMONITOR\r\n").unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let h = std::thread::spawn(move || {
        let mut r = BufReader::new(s);
        let mut seen = Vec::new();
        loop {
            let mut line = String::new();
            match r.read_line(&mut line) {
                Ok(0) => break,
                Ok(_) => {
                    if let Some(start) = line.find("] \"") {
                        let rest = &line[start + 3..];
                        if let Some(end) = rest.find('"') {
                            seen.push(rest[..end].to_ascii_uppercase());
                        }
                    }
                }
                Err(_) => {
                    if rx.try_recv().is_ok() {
                        break;
                    }
                }
            }
        }
        seen
    });
    (h, tx)
}

#[test]
fn inspect_finds_each_class_and_writes_a_scenario_that_runs() {
    let Some(server) = support::redis::Server::start(&[]) else {
        return;
    };
    let mut c = server.client();
    fill(&mut c);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("inspected.toml");
    let (monitor, stop) = watch(server.port);
    std::thread::sleep(Duration::from_millis(100));
    let url = format!("redis://127.0.0.1:{}", server.port);
    let res = Command::cargo_bin("evictsim")
        .unwrap()
        .args([
            "inspect", "--redis", &url, "--sample", "10000", "--rate", "20000", "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    stop.send(()).unwrap();
    let seen = monitor.join().unwrap();
    let stdout = String::from_utf8_lossy(&res.stdout);
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    // Read commands only.
    let allowed = [
        "INFO", "CONFIG", "SELECT", "SCAN", "TYPE", "OBJECT", "MEMORY", "PTTL", "CLIENT", "HELLO",
    ];
    assert!(!seen.is_empty(), "MONITOR saw nothing");
    for cmd in &seen {
        assert!(
            allowed.contains(&cmd.as_str()),
            "inspect sent {cmd}: {seen:?}"
        );
    }
    assert!(seen.iter().any(|c| c == "SCAN"));
    assert!(!seen.iter().any(|c| c == "CONFIG") || seen.iter().all(|c| c != "SET"));
    // Each class: its pattern and count (within 10%).
    for (pattern, want) in [
        ("session:{hex:32}", 1500),
        ("cache:page:{id:08}", 3000),
        ("rl:u{id}:{id}", 800),
        ("job:{id}", 300),
        ("user:{id}:profile", 120),
    ] {
        let line = stdout
            .lines()
            .find(|l| l.trim_start().starts_with(pattern))
            .unwrap_or_else(|| panic!("no {pattern} in:\n{stdout}"));
        let count: u64 = line
            .split('~')
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .map(|n| n.replace(',', "").parse().unwrap())
            .unwrap();
        assert!(
            count.abs_diff(want) * 10 <= want,
            "{pattern}: {count} vs {want}\n{stdout}"
        );
    }
    let toml = std::fs::read_to_string(&out).unwrap();
    assert!(toml.contains("kind = \"session\""), "{toml}");
    assert!(toml.contains("kind = \"cache\""), "{toml}");
    assert!(toml.contains("kind = \"counter\""), "{toml}");
    assert!(toml.contains("kind = \"queue\""), "{toml}");
    // The list is a list queue of one list (its jobs pushed onto it), the
    // job keys a queue of one key per job.
    assert!(
        toml.contains("structure = \"list\"") && toml.contains("queues = 1\n"),
        "{toml}"
    );
    for sub in [
        vec!["check"],
        vec!["run", "--no-report", "-q", "-p", "allkeys-lru"],
    ] {
        Command::cargo_bin("evictsim")
            .unwrap()
            .args(&sub)
            .arg(&out)
            .assert()
            .success();
    }
}
