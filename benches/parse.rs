//! Trace parsing throughput per format (bytes and records per second): a
//! seeded trace of each format is generated in memory, outside the timed
//! part, then read to the end by `TraceReader`.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use evictsim::trace::{oracle_general_record, TraceFormat, TraceOptions, TraceReader};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::io::Cursor;

const RECORDS: usize = 200_000;

fn generate(format: TraceFormat) -> Vec<u8> {
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
    for i in 0..RECORDS {
        let key: u32 = rng.gen_range(0..100_000);
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

fn parse(c: &mut Criterion) {
    for &format in TraceFormat::ALL {
        let data = generate(format);
        let mut g = c.benchmark_group(format!("parse/{}", format.name()));
        g.sample_size(10);
        g.throughput(Throughput::Bytes(data.len() as u64));
        g.bench_function("bytes", |b| {
            b.iter_batched(
                || data.clone(),
                |d| {
                    let mut r = TraceReader::from_reader(
                        "bench",
                        Cursor::new(d),
                        TraceOptions::new(format),
                    )
                    .expect("trace opens");
                    let n = r.by_ref().count();
                    assert!(n >= RECORDS / 2);
                    n
                },
                BatchSize::LargeInput,
            )
        });
        g.throughput(Throughput::Elements(RECORDS as u64));
        g.bench_function("records", |b| {
            b.iter_batched(
                || data.clone(),
                |d| {
                    let mut r = TraceReader::from_reader(
                        "bench",
                        Cursor::new(d),
                        TraceOptions::new(format),
                    )
                    .expect("trace opens");
                    r.by_ref().count()
                },
                BatchSize::LargeInput,
            )
        });
        g.finish();
    }
}

criterion_group!(benches, parse);
criterion_main!(benches);
