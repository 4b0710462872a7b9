//! Error of spatially sampled replay (SHARDS, `replay --sample-rate R`)
//! against the full replay of a large generated trace: 10M read-through
//! reads over 1M keys with Zipf(0.9) popularity, one key in ten a session
//! (critical), `maxmemory` at about 10% of the working set, `allkeys-lru`.
//! For R = 0.1 and 0.01, six seeds each: the hit ratio, and the critical
//! evictions and lost critical reads scaled up by 1/R.
//!
//! `cargo run --release --example shards_error`

#[path = "../tests/support/zipf_sessions.rs"]
mod zipf_sessions;

use evictsim::op::Op;
use evictsim::shards::SpatialSample;
use evictsim::sim::RunResult;

const KEYS: u64 = 1_000_000;
const OPS: usize = 10_000_000;

fn trace() -> Vec<Op> {
    zipf_sessions::trace(KEYS, OPS)
}

fn replay(ops: &[Op], sample: Option<&SpatialSample>) -> RunResult {
    // About 10% of the working set (1M keys of ~650 B in Redis).
    zipf_sessions::replay(ops, 914_520 + 65_000_000, sample)
}

/// Hit ratio, critical evictions and lost critical reads, the counts
/// scaled by `1 / rate`.
fn figures(r: &RunResult, rate: f64) -> (f64, f64, f64) {
    let m = &r.results[0].metrics;
    let c = &m.classes[1].counters;
    (
        m.totals().hit_ratio().unwrap_or(0.0),
        c.evicted as f64 / rate,
        c.lost_reads as f64 / rate,
    )
}

fn main() {
    let ops = trace();
    let full = replay(&ops, None);
    let (h, e, l) = figures(&full, 1.0);
    println!(
        "full replay: hit ratio {h:.4}, critical evictions {e:.0}, lost critical reads {l:.0}"
    );
    println!(
        "R      seed  hit ratio (err)      critical evictions (err)   lost critical reads (err)"
    );
    for rate in [0.1, 0.01] {
        let mut errs = [Vec::new(), Vec::new(), Vec::new()];
        for seed in 0..6 {
            let s = SpatialSample::new(rate, seed).expect("valid rate");
            let (sh, se, sl) = figures(&replay(&ops, Some(&s)), rate);
            let (eh, ee, el) = (sh - h, (se - e) / e, (sl - l) / l);
            println!(
                "{rate:<6} {seed:<5} {sh:.4} ({eh:+.4})      {se:>10.0} ({:+.1}%)        {sl:>10.0} ({:+.1}%)",
                ee * 100.0,
                el * 100.0
            );
            errs[0].push(eh.abs());
            errs[1].push(ee.abs());
            errs[2].push(el.abs());
        }
        let mean = |v: &Vec<f64>| v.iter().sum::<f64>() / v.len() as f64;
        let max = |v: &Vec<f64>| v.iter().cloned().fold(0.0, f64::max);
        println!(
            "R = {rate}: mean |error| hit ratio {:.4} (max {:.4}), critical evictions {:.1}% (max {:.1}%), lost critical reads {:.1}% (max {:.1}%)",
            mean(&errs[0]),
            max(&errs[0]),
            mean(&errs[1]) * 100.0,
            max(&errs[1]) * 100.0,
            mean(&errs[2]) * 100.0,
            max(&errs[2]) * 100.0
        );
    }
}
