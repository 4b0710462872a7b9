//! Which keys does sampled LRU evict? A static probe of the model's
//! sampling against a real redis-server, with nothing else moving.
//!
//! `KEYS` keys of distinct ages (key `i` last touched `KEYS - 1 - i`
//! seconds ago, written oldest first), `maxmemory` set to the memory they
//! use, then `NEW` fresh keys, each forcing about one eviction under
//! `allkeys-lru` with 5 samples. The server gets its keys by `RESTORE ...
//! IDLETIME`; the model writes them one second apart and stops after as
//! many evictions as the server made. Both print how many evictions fell in
//! each age bin, averaged over the runs.
//!
//! A sample that favours some keys of a chain shows here. Redis before
//! 7.0.12 kept each chain from its head (the key linked last) and cut the
//! last one; 7.0.12 reservoir-samples the chains (redis/redis#12276). Over
//! sets of 20 runs, 7.0.15 evicts 206-214 keys from the youngest 75%; the
//! model 208-210 with the reservoir, about 239 with the older walk.
//!
//! `cargo run --release --example sampling_probe [-- RUNS [REDIS_SERVER]]`
//! (default 10 runs, `redis-server` from the PATH).

use evictsim::model::policy::AllKeysLru;
use evictsim::model::{Instance, InstanceConfig, PolicyKind};
use evictsim::op::{Cmd, Op, SetCond, Value};
use evictsim::validate::server::{self, ServerSettings};
use evictsim::validate::Target;
use std::error::Error;
use std::path::{Path, PathBuf};

const KEYS: u64 = 50_000;
const NEW: u64 = 4_000;
const BINS: usize = 20;
const VALUE: usize = 100;

/// The age bin of the key written `i`-th (0: youngest).
fn bin(i: u64) -> usize {
    ((KEYS - 1 - i) as usize * BINS) / KEYS as usize
}

/// One run on a fresh server: evictions per age bin and in total.
fn real_run(path: &Path) -> Result<(Vec<u64>, u64), Box<dyn Error>> {
    // The model's defaults (5 samples, no limit yet) under allkeys-lru.
    let settings = ServerSettings::for_instance(&InstanceConfig::default(), PolicyKind::AllKeysLru);
    let session = server::open(&Target::Spawn(path.to_path_buf()), &settings)?;
    let mut con = session.connect()?;
    let value = "x".repeat(VALUE);
    redis::cmd("SET")
        .arg("template")
        .arg(&value)
        .query::<()>(&mut con)?;
    let payload: Vec<u8> = redis::cmd("DUMP").arg("template").query(&mut con)?;
    redis::cmd("DEL").arg("template").query::<()>(&mut con)?;
    let all: Vec<u64> = (0..KEYS).collect();
    for chunk in all.chunks(1000) {
        let mut p = redis::pipe();
        for &i in chunk {
            p.cmd("RESTORE")
                .arg(format!("k{i:07}"))
                .arg(0)
                .arg(&payload)
                .arg("IDLETIME")
                .arg(KEYS - 1 - i)
                .ignore();
        }
        p.query::<()>(&mut con)?;
    }
    let used = session.info_u64(&mut con, "memory", "used_memory")?;
    session.run(&mut con, &["CONFIG", "SET", "maxmemory", &used.to_string()])?;
    let new: Vec<u64> = (0..NEW).collect();
    for chunk in new.chunks(20) {
        let mut p = redis::pipe();
        for &j in chunk {
            p.cmd("SET").arg(format!("n{j:07}")).arg(&value).ignore();
        }
        p.query::<()>(&mut con)?;
    }
    // Lift the limit before reading back: a pipeline of reads grows the
    // query buffer, which would evict more keys.
    session.run(&mut con, &["CONFIG", "SET", "maxmemory", "0"])?;
    let evicted = session.info_u64(&mut con, "stats", "evicted_keys")?;
    let mut hist = vec![0u64; BINS];
    for chunk in all.chunks(1000) {
        let mut p = redis::pipe();
        for &i in chunk {
            p.cmd("EXISTS").arg(format!("k{i:07}"));
        }
        let there: Vec<u8> = p.query(&mut con)?;
        for (&i, &t) in chunk.iter().zip(&there) {
            if t == 0 {
                hist[bin(i)] += 1;
            }
        }
    }
    Ok((hist, evicted))
}

/// One run of the model (instance seed `seed`), stopped after `stop`
/// evictions: evictions per age bin.
fn model_run(seed: u64, stop: u64) -> Vec<u64> {
    let set = Cmd::Set {
        value: Value::bytes(VALUE as u32),
        ttl_ms: 0,
        cond: SetCond::Always,
        keep_ttl: false,
    };
    let cfg = InstanceConfig {
        seed,
        ..Default::default()
    };
    let mut inst: Instance<AllKeysLru> = Instance::new(&cfg, BINS + 1);
    let op = |t_ms: u64, key: u64, class: usize| Op {
        t_ms,
        key: key as u32,
        key_len: 8,
        db: 0,
        class: class as u8,
        cmd: set,
    };
    for i in 0..KEYS {
        inst.apply(&op(i * 1000, i, bin(i)));
    }
    inst.set_maxmemory(inst.keyspace().used_memory());
    let mut j = 0;
    while inst.metrics().totals().evicted < stop {
        inst.apply(&op(KEYS * 1000, KEYS + j, BINS));
        j += 1;
    }
    inst.metrics().classes[..BINS]
        .iter()
        .map(|c| c.counters.evicted)
        .collect()
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let runs: u64 = match args.next() {
        Some(a) => a.parse()?,
        None => 10,
    };
    if runs == 0 {
        return Err("RUNS must be at least 1".into());
    }
    let path = PathBuf::from(args.next().unwrap_or_else(|| "redis-server".to_string()));
    let mut real = vec![0u64; BINS];
    let mut real_evicted = 0;
    for _ in 0..runs {
        let (h, e) = real_run(&path)?;
        real.iter_mut().zip(&h).for_each(|(a, b)| *a += b);
        real_evicted += e;
    }
    let stop = real_evicted / runs;
    let mut model = vec![0u64; BINS];
    for seed in 0..runs {
        let h = model_run(seed, stop);
        model.iter_mut().zip(&h).for_each(|(a, b)| *a += b);
    }
    let mean = |x: u64| x as f64 / runs as f64;
    println!("{KEYS} keys, {NEW} new keys, {stop} evictions a run (server mean), {runs} runs each");
    println!("{:>14} {:>10} {:>10}", "age (% of max)", "redis", "model");
    for b in (0..BINS).rev() {
        if real[b] + model[b] > 0 {
            let lo = b * 100 / BINS;
            let hi = (b + 1) * 100 / BINS;
            println!(
                "{:>14} {:>10.1} {:>10.1}",
                format!("{lo}-{hi}"),
                mean(real[b]),
                mean(model[b])
            );
        }
    }
    let young = |h: &[u64]| mean(h[..BINS * 3 / 4].iter().sum());
    println!(
        "evicted from the youngest 75%: redis {:.1}, model {:.1}",
        young(&real),
        young(&model)
    );
    Ok(())
}
