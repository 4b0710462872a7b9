//! Writes the trace of the side-by-side comparison with libCacheSim
//! (docs/performance.md): N requests, Zipf(1.0) popularity over M objects
//! of 100-4,000 bytes (uniform, fixed per object), in libCacheSim's
//! `oracleGeneral` format (24-byte records), 1,000 requests per second.
//! Seeded, so the same arguments write the same bytes.
//!
//! `cargo run --release --example zipf_trace -- OUT [REQUESTS] [OBJECTS] [SEED]`
//! (defaults: 20,000,000 requests, 1,000,000 objects, seed 1)

use rand::{rngs::SmallRng, Rng, SeedableRng};
use rand_distr::{Distribution, Zipf};
use std::io::{BufWriter, Write};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = args
        .next()
        .ok_or("usage: zipf_trace OUT [REQUESTS] [OBJECTS] [SEED]")?;
    let requests: u64 = args.next().map_or(Ok(20_000_000), |s| s.parse())?;
    let objects: u64 = args.next().map_or(Ok(1_000_000), |s| s.parse())?;
    let seed: u64 = args.next().map_or(Ok(1), |s| s.parse())?;
    let mut rng = SmallRng::seed_from_u64(seed);
    let sizes: Vec<u32> = (0..objects).map(|_| rng.gen_range(100..=4000)).collect();
    let zipf = Zipf::new(objects, 1.0)?;
    let tmp = format!("{out}.tmp");
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(&tmp)?);
    let mut working_set = 0u64;
    let mut seen = vec![false; objects as usize];
    for i in 0..requests {
        let rank = zipf.sample(&mut rng) as u64 - 1; // 1-based
                                                     // Spread the ids so they are not the ranks (a trace's ids are not
                                                     // sorted by popularity).
        let id = rank.wrapping_mul(7919).wrapping_add(13);
        let size = sizes[rank as usize];
        if !std::mem::replace(&mut seen[rank as usize], true) {
            working_set += size as u64;
        }
        w.write_all(&((i / 1000) as u32).to_le_bytes())?;
        w.write_all(&id.to_le_bytes())?;
        w.write_all(&size.to_le_bytes())?;
        w.write_all(&(-1i64).to_le_bytes())?;
    }
    w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    std::fs::rename(&tmp, &out)?;
    let touched = seen.iter().filter(|&&s| s).count();
    println!(
        "wrote {out}: {requests} requests over {touched} distinct objects, \
         working set {working_set} bytes (10%: {})",
        working_set / 10
    );
    Ok(())
}
