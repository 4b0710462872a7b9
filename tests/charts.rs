//! Charts drawn from hand-made run results: every chart renders to a real
//! 1600x900 PNG and to SVG, degenerate runs do not panic, and the same input
//! gives the same bytes.
//!
//! Set `EVICTSIM_CHART_SAMPLES=/some/dir` to also write every chart there, to
//! look at them.

use evictsim::metrics::Metrics;
use evictsim::model::PolicyKind;
use evictsim::report::charts::{all_charts, render_png, render_svg, Chart, HEIGHT, WIDTH};
use evictsim::sim::{ClassInfo, PolicyRun, RunResult};

const MIB: u64 = 1024 * 1024;

/// A small deterministic generator, so the fixture needs no seeded crate.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() % 1_000_000) as f64 / 1e6
    }
}

fn classes() -> Vec<ClassInfo> {
    vec![
        ClassInfo {
            name: "cache".into(),
            critical: false,
        },
        ClassInfo {
            name: "sessions".into(),
            critical: true,
        },
        ClassInfo {
            name: "jobs".into(),
            critical: true,
        },
    ]
}

/// A plausible run: memory fills in two minutes, then each policy evicts at
/// its own rates; `noeviction` refuses writes instead.
fn run_with(policies: &[PolicyKind]) -> RunResult {
    let classes = classes();
    let maxmemory = 64 * MIB;
    let simulated_ms = 600_000;
    let mut results = Vec::new();
    for (pi, &policy) in policies.iter().enumerate() {
        let mut rng = Lcg(42 + pi as u64);
        let mut m = Metrics::new(classes.len());
        // Evictions per second of cache, sessions, jobs once memory is full.
        let rates: [f64; 3] = match policy {
            PolicyKind::NoEviction => [0.0, 0.0, 0.0],
            PolicyKind::AllKeysLru => [180.0, 14.0, 3.0],
            PolicyKind::AllKeysLfu => [190.0, 6.0, 1.0],
            PolicyKind::AllKeysRandom => [120.0, 40.0, 9.0],
            PolicyKind::VolatileTtl => [90.0, 60.0, 0.0],
            _ => [150.0, 20.0, 2.0],
        };
        for t in (0..simulated_ms).step_by(500) {
            let fill = (t as f64 / 120_000.0).min(1.0);
            let jitter = if fill < 1.0 { 0.0 } else { rng.unit() * 0.015 };
            let used = (maxmemory as f64 * (fill * 0.995 - jitter + 0.005)) as u64;
            m.timeline.record_memory(t, used);
            if fill >= 1.0 {
                for (ci, &r) in rates.iter().enumerate() {
                    // Rate ramps up after the limit is reached, with noise.
                    let ramp = ((t - 120_000) as f64 / 200_000.0).min(1.0);
                    let expect = r * 0.5 * ramp * (0.6 + 0.8 * rng.unit());
                    for _ in 0..expect.round() as u64 {
                        m.timeline.record_eviction(t, ci);
                        let idle = match ci {
                            0 => 20_000.0 + rng.unit() * 400_000.0,
                            _ => 60_000.0 + rng.unit() * 900_000.0,
                        };
                        let ttl = (ci != 0 || rng.unit() < 0.5)
                            .then(|| (30_000.0 + rng.unit() * 1_500_000.0) as u64);
                        m.classes[ci].record_eviction(idle as u64, ttl, rng.unit() < 0.9);
                    }
                }
            }
        }
        for (ci, cm) in m.classes.iter_mut().enumerate() {
            let c = &mut cm.counters;
            c.reads = [400_000, 120_000, 30_000][ci];
            c.lost_reads = (c.evicted as f64 * [0.8, 2.5, 1.4][ci]) as u64;
            c.hits = c.reads - c.lost_reads - c.reads / [5, 40, 20][ci];
            c.writes = c.reads / 3;
        }
        if policy == PolicyKind::NoEviction {
            m.classes[0].counters.oom_rejected = 41_234;
            m.classes[1].counters.oom_rejected = 5_120;
        }
        m.peak_used_memory = maxmemory;
        results.push(PolicyRun { policy, metrics: m });
    }
    RunResult {
        scenario: "web-sessions".into(),
        seed: 7,
        maxmemory_bytes: maxmemory,
        ops: 1_250_000,
        simulated_ms,
        classes,
        results,
        unbounded_peak_memory: 96 * MIB,
    }
}

fn three_policies() -> RunResult {
    run_with(&[
        PolicyKind::NoEviction,
        PolicyKind::AllKeysLru,
        PolicyKind::VolatileTtl,
    ])
}

/// Decodes a PNG and returns its size and number of distinct colours.
fn decode(png_bytes: &[u8]) -> (u32, u32, usize) {
    let decoder = png::Decoder::new(png_bytes);
    let mut reader = decoder.read_info().expect("PNG header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("PNG frame");
    let bpp = info.color_type.samples();
    let mut colours: Vec<&[u8]> = buf[..info.buffer_size()].chunks(bpp).collect();
    colours.sort_unstable();
    colours.dedup();
    (info.width, info.height, colours.len())
}

fn title_of(chart: Chart) -> &'static str {
    match chart {
        Chart::CriticalLoss => "Critical keys evicted",
        Chart::MemoryOverTime => "Used memory over simulated time",
        Chart::WorstPolicyEvictionRate => "Evictions per second by class",
        Chart::TtlLeftAtEviction => "Remaining TTL of critical keys",
        Chart::IdleAtEviction => "Idle time of keys at eviction",
        Chart::HitRatio => "Hit ratio per class",
    }
}

#[test]
fn every_chart_has_data_in_a_plausible_run() {
    assert_eq!(all_charts(&three_policies()), Chart::ALL.to_vec());
}

#[test]
fn every_png_decodes_at_full_size_with_content() {
    let run = three_policies();
    for chart in Chart::ALL {
        let bytes = render_png(chart, &run).unwrap();
        let (w, h, colours) = decode(&bytes);
        assert_eq!((w, h), (WIDTH, HEIGHT), "{chart:?}");
        assert!(colours > 16, "{chart:?} has only {colours} colours");
    }
}

#[test]
fn every_svg_is_an_svg_document_with_its_title() {
    let run = three_policies();
    for chart in Chart::ALL {
        let svg = render_svg(chart, &run).unwrap();
        assert!(svg.starts_with("<svg"), "{chart:?}");
        assert!(svg.trim_end().ends_with("</svg>"), "{chart:?}");
        assert!(svg.contains("<text"), "{chart:?}");
        assert!(svg.contains(title_of(chart)), "{chart:?}");
    }
}

#[test]
fn worst_policy_chart_names_the_policy_with_most_lost_critical_reads() {
    // allkeys-random evicts the most sessions in the fixture.
    let run = run_with(&[
        PolicyKind::AllKeysLru,
        PolicyKind::AllKeysRandom,
        PolicyKind::AllKeysLfu,
    ]);
    let svg = render_svg(Chart::WorstPolicyEvictionRate, &run).unwrap();
    assert!(svg.contains("under allkeys-random"));
}

#[test]
fn rendering_twice_gives_identical_bytes() {
    let run = three_policies();
    for chart in Chart::ALL {
        assert_eq!(
            render_png(chart, &run).unwrap(),
            render_png(chart, &run).unwrap(),
            "{chart:?}"
        );
        assert_eq!(
            render_svg(chart, &run).unwrap(),
            render_svg(chart, &run).unwrap(),
            "{chart:?}"
        );
    }
}

#[test]
fn a_run_with_no_policies_renders_notes() {
    let mut run = three_policies();
    run.results.clear();
    assert!(all_charts(&run).is_empty());
    for chart in Chart::ALL {
        let (w, h, _) = decode(&render_png(chart, &run).unwrap());
        assert_eq!((w, h), (WIDTH, HEIGHT));
        render_svg(chart, &run).unwrap();
    }
}

#[test]
fn noeviction_alone_skips_eviction_charts_and_still_renders_them() {
    let run = run_with(&[PolicyKind::NoEviction]);
    assert_eq!(
        all_charts(&run),
        vec![Chart::CriticalLoss, Chart::MemoryOverTime, Chart::HitRatio]
    );
    for chart in Chart::ALL {
        render_png(chart, &run).unwrap();
        assert!(render_svg(chart, &run).unwrap().contains("<text"));
    }
}

#[test]
fn zero_reads_and_empty_metrics_do_not_panic() {
    let classes = classes();
    let run = RunResult {
        scenario: "empty".into(),
        seed: 0,
        maxmemory_bytes: 0,
        ops: 0,
        simulated_ms: 0,
        results: vec![
            PolicyRun {
                policy: PolicyKind::NoEviction,
                metrics: Metrics::new(classes.len()),
            },
            PolicyRun {
                policy: PolicyKind::AllKeysLru,
                // Fewer per-class entries than classes: must not index out.
                metrics: Metrics::new(1),
            },
        ],
        classes,
        unbounded_peak_memory: 0,
    };
    assert_eq!(all_charts(&run), vec![Chart::CriticalLoss]);
    for chart in Chart::ALL {
        render_png(chart, &run).unwrap();
        render_svg(chart, &run).unwrap();
    }
}

#[test]
fn no_classes_at_all_does_not_panic() {
    let mut run = three_policies();
    run.classes.clear();
    for chart in Chart::ALL {
        render_png(chart, &run).unwrap();
        render_svg(chart, &run).unwrap();
    }
}

#[test]
fn write_samples_when_asked() {
    let Ok(dir) = std::env::var("EVICTSIM_CHART_SAMPLES") else {
        return;
    };
    let dir = std::path::Path::new(&dir);
    std::fs::create_dir_all(dir).unwrap();
    let fixtures = [
        ("three", three_policies()),
        ("all", run_with(&PolicyKind::ALL)),
        ("noeviction", run_with(&[PolicyKind::NoEviction])),
        ("nothing", {
            let mut r = three_policies();
            r.results.clear();
            r
        }),
    ];
    for (name, run) in fixtures {
        for chart in Chart::ALL {
            let stem = format!("{name}-{}", chart.file_stem());
            std::fs::write(
                dir.join(format!("{stem}.png")),
                render_png(chart, &run).unwrap(),
            )
            .unwrap();
            std::fs::write(
                dir.join(format!("{stem}.svg")),
                render_svg(chart, &run).unwrap(),
            )
            .unwrap();
        }
    }
}
