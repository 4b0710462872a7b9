//! Trace parsing throughput per format (bytes and records per second): a
//! seeded trace of each format is generated in memory, outside the timed
//! part, then read to the end by `TraceReader`.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use evictsim::trace::{TraceFormat, TraceOptions, TraceReader};
use std::io::Cursor;

#[path = "../tests/support/formats.rs"]
mod formats;

const RECORDS: usize = 200_000;

fn parse(c: &mut Criterion) {
    for &format in TraceFormat::ALL {
        let data = formats::generate(format, RECORDS, 100_000);
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
