//! Charts drawn from hand-made run results: every chart renders to a real
//! 1600x900 PNG and to SVG, degenerate runs do not panic, and the same input
//! gives the same bytes.
//!
//! Set `EVICTSIM_CHART_SAMPLES=/some/dir` to also write every chart there, to
//! look at them.

#[path = "support/sample.rs"]
mod sample;

use evictsim::metrics::Metrics;
use evictsim::model::PolicyKind;
use evictsim::report::charts::{all_charts, render_png, render_svg, Chart, HEIGHT, WIDTH};
use evictsim::sim::{PolicyRun, RunResult};
use sample::{classes, rich};

fn three_policies() -> RunResult {
    rich(&[
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
    let run = rich(&[
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
    let run = rich(&[PolicyKind::NoEviction]);
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
        source: Default::default(),
        instance: Default::default(),
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
        unbounded_memory: Vec::new(),
        cluster: None,
        crash: None,
        phases: None,
        partial: None,
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
        ("all", rich(&PolicyKind::ALL)),
        ("noeviction", rich(&[PolicyKind::NoEviction])),
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

#[test]
fn the_loss_chart_shows_the_jobs_lost_with_evicted_lists_only_when_there_are_some() {
    let caption = "Items lost with evicted lists, hashes and sets";
    let mut run = three_policies();
    let plain = render_svg(Chart::CriticalLoss, &run).unwrap();
    assert!(!plain.contains(caption), "strings only: two panels");
    // The jobs class now holds its jobs in lists: each eviction took 40.
    let jobs = &mut run.results[1].metrics.classes[2].counters;
    jobs.lost_items = jobs.evicted_live() * 40;
    let svg = render_svg(Chart::CriticalLoss, &run).unwrap();
    assert!(svg.contains(caption), "a third panel for the lists' jobs");
    assert!(svg.contains("items lost"), "its axis");
    assert!(!plain.contains("items lost"));
}
