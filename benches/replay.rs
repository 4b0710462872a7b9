//! End-to-end replay of a trace file per format: the file is written to a
//! temporary directory once (outside the timed part), then each iteration
//! opens it, parses it on the reader's thread and replays it under
//! `allkeys-lru` (with the instance with no `maxmemory` beside it, as
//! `evictsim replay` does). Beside `parse` (parsing alone, in memory) and
//! `policies` (the model alone, in memory), this is what a user waits for.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use evictsim::model::{InstanceConfig, PolicyKind};
use evictsim::sim::{simulate, RunSpec};
use evictsim::trace::{TraceFormat, TraceOptions, TraceReader};

#[path = "../tests/support/formats.rs"]
mod formats;

const RECORDS: usize = 500_000;
const KEYS: u32 = 50_000;

fn replay(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut g = c.benchmark_group("replay_file");
    g.sample_size(10);
    g.throughput(Throughput::Elements(RECORDS as u64));
    for &format in TraceFormat::ALL {
        let path = dir.path().join(format!("trace.{}", format.name()));
        std::fs::write(&path, formats::generate(format, RECORDS, KEYS)).expect("trace written");
        g.bench_function(format.name(), |b| {
            b.iter(|| {
                let mut o = TraceOptions::new(format);
                o.read_through = true;
                let mut r = TraceReader::open(&path, o).expect("trace opens");
                let spec = RunSpec {
                    scenario: "bench".into(),
                    seed: 1,
                    instance: InstanceConfig {
                        // About a tenth of the working set.
                        maxmemory: 8 << 20,
                        ..Default::default()
                    },
                    policies: vec![PolicyKind::AllKeysLru],
                    classes: r.class_infos(),
                    duration_ms: 0,
                    source: Default::default(),
                };
                let res = simulate(&spec, r.by_ref(), |_, _| {});
                assert!(res.results[0].metrics.totals().evicted > 0);
                res.ops
            })
        });
    }
    g.finish();
}

criterion_group!(benches, replay);
criterion_main!(benches);
