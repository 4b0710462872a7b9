//! A seeded trace of every format (evictsim CSV, MONITOR, Twitter,
//! CacheLib, oracleGeneral), the same requests in each: 80% reads and 20%
//! writes of `keys` keys with values of 10-2,000 bytes, 10 to 1,000
//! requests per second. Used by the parse and replay benches and by the
//! test that the threaded reader replays every format as a sequential
//! replay does.

use evictsim::trace::{oracle_general_record, TraceFormat};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// `records` requests over `keys` keys in `format`, from seed 7.
pub fn generate(format: TraceFormat, records: usize, keys: u32) -> Vec<u8> {
    let mut rng = SmallRng::seed_from_u64(7);
    let mut out = Vec::new();
    if format == TraceFormat::Csv {
        out.extend_from_slice(b"t_ms,op,key,value_bytes,ttl_ms\n");
    }
    if format == TraceFormat::Cachelib {
        out.extend_from_slice(
            b"op_time,key,key_size,op,op_count,size,cache_hits,ttl,usecase,sub_usecase\n",
        );
    }
    for i in 0..records {
        let key: u32 = rng.gen_range(0..keys);
        let size: u32 = rng.gen_range(10..2_000);
        let get = rng.gen_bool(0.8);
        match format {
            TraceFormat::Csv => {
                let op = if get { "GET" } else { "SET" };
                out.extend_from_slice(
                    format!("{},{op},session:{key:08},{size},60000\n", i / 10).as_bytes(),
                );
            }
            TraceFormat::Monitor => {
                let line = if get {
                    format!(
                        "{}.{:06} [0 127.0.0.1:5000] \"GET\" \"session:{key:08}\"\n",
                        1_732_590_000 + i / 1000,
                        i % 1000
                    )
                } else {
                    format!(
                        "{}.{:06} [0 127.0.0.1:5000] \"SET\" \"session:{key:08}\" \"{}\" \"EX\" \"60\"\n",
                        1_732_590_000 + i / 1000,
                        i % 1000,
                        "x".repeat((size % 200) as usize)
                    )
                };
                out.extend_from_slice(line.as_bytes());
            }
            TraceFormat::Twitter => {
                let op = if get { "get" } else { "set" };
                out.extend_from_slice(
                    format!("{},key:{key:08},12,{size},1,{op},0\n", i / 1000).as_bytes(),
                );
            }
            TraceFormat::Cachelib => {
                let op = if get { "GET" } else { "SET" };
                out.extend_from_slice(
                    format!("{},{key:016x},16,{op},1,{size},0,0,1,1\n", i / 1000).as_bytes(),
                );
            }
            TraceFormat::OracleGeneral => {
                out.extend_from_slice(&oracle_general_record(
                    (i / 1000) as u32,
                    key as u64,
                    size,
                    -1,
                ));
            }
        }
    }
    out
}
