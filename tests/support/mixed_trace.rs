//! A small mixed trace written as a planner writes one by hand: 0 in every
//! field that does not apply. 15 simulated seconds of one instance holding
//! a read-through page cache, sessions with a 30-minute TTL (users who come
//! back after a pause), fixed-window rate limits written as `INCR` then
//! `EXPIRE`, and a job queue (`SET`, later `GETDEL` or `GET` + `DEL`).
//!
//! `tests/fixtures/mixed-zeros.csv` is this function's output (a test
//! checks they agree; `cargo run --example mixed_trace` rewrites it), and
//! `tests/fixtures/mixed-zeros.classes.toml` names its classes.

#![allow(dead_code)]

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Exp, Zipf};
use std::fmt::Write;

/// Simulated length of the trace, in ms.
pub const DURATION_MS: u64 = 15_000;

/// One line before sorting: time, order of generation, text.
struct Line(u64, u64, String);

/// The trace's text: header, then one operation per line in time order.
pub fn csv() -> String {
    let mut rng = SmallRng::seed_from_u64(2026);
    let mut lines: Vec<Line> = Vec::new();
    let mut push = |t: u64, text: String| {
        if t < DURATION_MS {
            let n = lines.len() as u64;
            lines.push(Line(t, n, text));
        }
    };
    // Page cache: 700 reads/s over 6,000 pages, Zipf(0.9), read-through
    // with the page's size and a 5-minute TTL.
    let pages = Zipf::new(6_000, 0.9).expect("valid zipf");
    let gap = Exp::new(0.7).expect("valid rate");
    let mut t = 0.0f64;
    loop {
        t += gap.sample(&mut rng);
        if t as u64 >= DURATION_MS {
            break;
        }
        let page = pages.sample(&mut rng) as u64;
        let size = 400 + (page * 2_654_435_761) % 2_400;
        push(t as u64, format!("GET,cache:page:{page},{size},300000"));
    }
    // Sessions: 45 logins/s; each user makes requests ~1 s apart, and one
    // in three pauses 3-6 s (lunch, a meeting) before coming back. Every
    // request reads the session and counts against the user's rate limit
    // (a 10-second window: INCR, then EXPIRE).
    let login_gap = Exp::new(0.045).expect("valid rate");
    let think = Exp::new(1.0 / 900.0).expect("valid rate");
    let mut t = 0.0f64;
    let mut user = 0u64;
    loop {
        t += login_gap.sample(&mut rng);
        if t as u64 >= DURATION_MS {
            break;
        }
        user += 1;
        let login = t as u64;
        let size = 250 + rng.gen_range(0..400);
        push(login, format!("SET,session:u{user},{size},1800000"));
        let mut now = login as f64;
        let requests = rng.gen_range(3..12);
        let pause_at = if rng.gen_bool(1.0 / 3.0) {
            rng.gen_range(1..requests)
        } else {
            usize::MAX
        };
        for r in 0..requests {
            now += think.sample(&mut rng);
            if r == pause_at {
                now += rng.gen_range(3_000.0..6_000.0);
            }
            let at = now as u64;
            push(at, format!("GET,session:u{user},0,0"));
            let window = at / 10_000;
            push(at, format!("INCR,rl:u{user}:{window},0,0"));
            push(at, format!("EXPIRE,rl:u{user}:{window},0,10000"));
        }
    }
    // Jobs: 25 enqueued a second, 300-600 bytes, no TTL; a worker takes
    // each 0.2-1.5 s later.
    let job_gap = Exp::new(0.025).expect("valid rate");
    let mut t = 0.0f64;
    let mut job = 0u64;
    loop {
        t += job_gap.sample(&mut rng);
        if t as u64 >= DURATION_MS {
            break;
        }
        job += 1;
        let at = t as u64;
        push(
            at,
            format!("SET,job:{job},{},0", 300 + rng.gen_range(0..300)),
        );
        let taken = at + rng.gen_range(200..1_500);
        if rng.gen_bool(0.5) {
            push(taken, format!("GETDEL,job:{job},0,0"));
        } else {
            push(taken, format!("GET,job:{job},0,0"));
            push(taken, format!("DEL,job:{job},0,0"));
        }
    }
    lines.sort_by_key(|l| (l.0, l.1));
    let mut out = String::from(
        "# 15 s of a mixed instance, written with 0 in every field that does not apply\n\
         t_ms,op,key,value_bytes,ttl_ms\n",
    );
    for Line(t, _, text) in lines {
        let _ = writeln!(out, "{t},{text}");
    }
    out
}

/// The same trace with every field that does not apply left empty instead
/// of 0 (a GET's size and TTL when it does not fill, the TTL of an INCR, a
/// job's TTL, the fields of GETDEL, DEL and EXPIRE's size).
pub fn csv_with_empty_fields() -> String {
    let mut out = String::new();
    for line in csv().lines() {
        let f: Vec<&str> = line.split(',').collect();
        if line.starts_with('#') || f.len() != 5 || f[0] == "t_ms" {
            out += line;
            out.push('\n');
            continue;
        }
        fn blank(s: &str) -> &str {
            if s == "0" {
                ""
            } else {
                s
            }
        }
        let (v, ttl) = (blank(f[3]), blank(f[4]));
        let _ = writeln!(out, "{},{},{},{v},{ttl}", f[0], f[1], f[2]);
    }
    out
}
