//! Charts of a [`RunResult`] for design reviews and slides: what each
//! `maxmemory-policy` did to critical data, how memory filled up, when the
//! worst policy evicted, how idle and how far from expiry the evicted keys
//! were, and the hit ratio per class.
//!
//! Every chart renders to SVG text or to PNG bytes (1600x900) from the same
//! drawing code; the caller writes the files. Text uses an embedded DejaVu
//! Sans, so rendering needs no system fonts, and the same input always gives
//! byte-identical output.

mod age;
mod data;
pub(crate) mod frame;
mod hits;
mod loss;
mod memory;
mod rate;
pub mod servers;
pub(crate) mod style;
pub mod sweep;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::sim::RunResult;

pub use style::{HEIGHT, WIDTH};

/// A chart that can be drawn from a [`RunResult`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Chart {
    /// Critical and cache keys evicted and reads lost to eviction, per policy,
    /// stacked by class.
    CriticalLoss,
    /// Used memory over simulated time, one line per policy, against
    /// `maxmemory`.
    MemoryOverTime,
    /// Evictions per second by class over time, for the policy that lost the
    /// most critical reads.
    WorstPolicyEvictionRate,
    /// Remaining TTL of evicted critical keys, per policy and class.
    TtlLeftAtEviction,
    /// Idle time of evicted keys, per policy and class.
    IdleAtEviction,
    /// Hit ratio per class, per policy.
    HitRatio,
}

impl Chart {
    /// Every chart, in the order a report shows them.
    pub const ALL: [Chart; 6] = [
        Chart::CriticalLoss,
        Chart::MemoryOverTime,
        Chart::WorstPolicyEvictionRate,
        Chart::TtlLeftAtEviction,
        Chart::IdleAtEviction,
        Chart::HitRatio,
    ];

    /// A file name stem for the chart, such as `critical-loss`.
    pub fn file_stem(self) -> &'static str {
        match self {
            Chart::CriticalLoss => "critical-loss",
            Chart::MemoryOverTime => "memory-over-time",
            Chart::WorstPolicyEvictionRate => "worst-policy-eviction-rate",
            Chart::TtlLeftAtEviction => "ttl-left-at-eviction",
            Chart::IdleAtEviction => "idle-at-eviction",
            Chart::HitRatio => "hit-ratio",
        }
    }

    /// A short title for the chart, for headings and image descriptions.
    pub fn title(self) -> &'static str {
        match self {
            Chart::CriticalLoss => "Critical keys evicted and critical reads lost, per policy",
            Chart::MemoryOverTime => "Used memory over simulated time vs maxmemory",
            Chart::WorstPolicyEvictionRate => "Evictions per second by class, worst policy",
            Chart::TtlLeftAtEviction => "Remaining TTL of critical keys at eviction",
            Chart::IdleAtEviction => "Idle time of keys at eviction",
            Chart::HitRatio => "Hit ratio per class, per policy",
        }
    }

    /// Whether the run holds anything for this chart to show; a chart without
    /// data still renders, with a note saying so.
    pub fn has_data(self, run: &RunResult) -> bool {
        let any_class = |f: &dyn Fn(usize, &crate::metrics::ClassMetrics) -> bool| {
            run.results.iter().any(|pr| {
                pr.metrics
                    .classes
                    .iter()
                    .enumerate()
                    .any(|(i, cm)| i < run.classes.len() && f(i, cm))
            })
        };
        match self {
            Chart::CriticalLoss => {
                !run.results.is_empty() && run.classes.iter().any(|c| c.critical)
            }
            Chart::MemoryOverTime => run
                .results
                .iter()
                .any(|pr| !pr.metrics.timeline.used_memory.is_empty()),
            Chart::WorstPolicyEvictionRate => data::worst_policy(run).is_some_and(|w| {
                run.results[w]
                    .metrics
                    .timeline
                    .evictions
                    .iter()
                    .any(|s| s.iter().any(|&n| n > 0))
            }),
            Chart::TtlLeftAtEviction => !data::spreads(run, data::AgeKind::TtlLeft).is_empty(),
            Chart::IdleAtEviction => !data::spreads(run, data::AgeKind::Idle).is_empty(),
            Chart::HitRatio => any_class(&|_, cm| cm.counters.reads > 0),
        }
    }
}

/// Why a chart could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// The embedded font did not parse; no chart can be drawn in this process.
    #[error("the embedded chart font could not be loaded")]
    Font,
    /// plotters failed while drawing; the chart is not produced.
    #[error("drawing the chart failed: {0}")]
    Draw(String),
    /// The drawn pixels could not be encoded as PNG.
    #[error("encoding the chart as PNG failed: {0}")]
    Png(#[from] png::EncodingError),
}

/// The charts that have data in `run`, in report order.
pub fn all_charts(run: &RunResult) -> Vec<Chart> {
    Chart::ALL.into_iter().filter(|c| c.has_data(run)).collect()
}

/// Renders `chart` as an SVG document of [`WIDTH`]x[`HEIGHT`].
pub fn render_svg(chart: Chart, run: &RunResult) -> Result<String, ChartError> {
    svg_of(|root| draw(chart, root, run))
}

/// Renders `chart` as PNG-encoded bytes of a [`WIDTH`]x[`HEIGHT`] RGB image.
pub fn render_png(chart: Chart, run: &RunResult) -> Result<Vec<u8>, ChartError> {
    png_of(|root| draw(chart, root, run))
}

/// An SVG document of [`WIDTH`]x[`HEIGHT`] drawn by `draw`: for charts of
/// other reports than a run's.
pub(crate) fn svg_of(
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), ChartError>,
) -> Result<String, ChartError> {
    style::ensure_fonts()?;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, HEIGHT)).into_drawing_area();
        draw(&root)?;
        root.present().map_err(frame::de)?;
    }
    Ok(out)
}

/// PNG bytes of a [`WIDTH`]x[`HEIGHT`] RGB image drawn by `draw`: for
/// charts of other reports than a run's.
pub(crate) fn png_of(
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> Result<(), ChartError>,
) -> Result<Vec<u8>, ChartError> {
    encode_png(&rgb_of(draw)?)
}

/// Encodes [`WIDTH`]x[`HEIGHT`] RGB pixels as PNG.
fn encode_png(pixels: &[u8]) -> Result<Vec<u8>, ChartError> {
    let mut png_bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut png_bytes, WIDTH, HEIGHT);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header()?;
        writer.write_image_data(pixels)?;
        writer.finish()?;
    }
    Ok(png_bytes)
}

/// The RGB pixels (row by row, 3 bytes each) of a [`WIDTH`]x[`HEIGHT`]
/// image drawn by `draw`: for encoders other than PNG (the demo's GIF).
pub(crate) fn rgb_of(
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> Result<(), ChartError>,
) -> Result<Vec<u8>, ChartError> {
    style::ensure_fonts()?;
    let mut pixels = vec![0u8; WIDTH as usize * HEIGHT as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (WIDTH, HEIGHT)).into_drawing_area();
        draw(&root)?;
        root.present().map_err(frame::de)?;
    }
    Ok(pixels)
}

/// Draws `chart` on any plotters backend.
fn draw<DB: DrawingBackend>(
    chart: Chart,
    root: &DrawingArea<DB, Shift>,
    run: &RunResult,
) -> Result<(), ChartError> {
    match chart {
        Chart::CriticalLoss => loss::draw(root, run),
        Chart::MemoryOverTime => memory::draw(root, run),
        Chart::WorstPolicyEvictionRate => rate::draw(root, run),
        Chart::TtlLeftAtEviction => age::draw(root, run, data::AgeKind::TtlLeft),
        Chart::IdleAtEviction => age::draw(root, run, data::AgeKind::Idle),
        Chart::HitRatio => hits::draw(root, run),
    }
}

/// The subtitle line every chart carries: what run it shows.
fn run_line(run: &RunResult) -> String {
    let unit = style::TimeUnit::for_span(run.simulated_ms);
    // An interrupted run's charts say so first, as its other files do.
    let partial = run
        .partial
        .as_ref()
        .map_or(String::new(), |p| format!("{} · ", p.short_line()));
    format!(
        "{partial}scenario {} · seed {} · maxmemory {} · {} ops over {} {}",
        run.scenario,
        run.seed,
        style::fmt_mib(run.maxmemory_bytes as f64),
        style::fmt_count(run.ops as f64),
        style::fmt_count((run.simulated_ms as f64 / unit.ms() * 10.0).round() / 10.0),
        unit.symbol(),
    )
}
