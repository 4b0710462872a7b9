//! The charts of a sweep: one figure against `maxmemory`, one line per
//! policy (in the policy's colour of every other chart), for lost critical
//! reads, the hit ratio (a miss-ratio curve, read upside down) and refused
//! writes. Counts use a log axis with zero at its foot, since one policy
//! may lose 100,000 reads where another loses 100; policies whose lines are
//! identical are drawn once and named together. With several seeds the
//! line is the worst seed (the pooled ratio for the hit ratio) and a
//! whisker runs to the best. A dotted vertical line marks the used memory's
//! peak with no `maxmemory` (the limit is checked counting each command's
//! arguments too, so a policy may still evict a little above it). The
//! smallest safe sizes are not marked: they cluster within a few MiB and
//! a marker's height would read as a value; the report lists them.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::frame::{de, draw_note, frame, mesh_styles, LegendItem};
use super::style::{
    fmt_count, policy_colour, policy_label, text, AXIS_DESC_PX, LABEL_PX, MUTED_INK,
};
use super::{encode_png, style, ChartError};
use crate::model::PolicyKind;
use crate::report::HitRatio;
use crate::sweep::{SweepPoint, SweepResult};

/// A chart of a sweep.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SweepChart {
    /// Reads of critical keys lost to eviction against `maxmemory`.
    LostCriticalReads,
    /// Hit ratio against `maxmemory`.
    HitRatio,
    /// Writes refused with `-OOM` against `maxmemory`.
    RefusedWrites,
}

impl SweepChart {
    /// Every chart, in report order.
    pub const ALL: [SweepChart; 3] = [
        SweepChart::LostCriticalReads,
        SweepChart::HitRatio,
        SweepChart::RefusedWrites,
    ];

    /// The file name stem.
    pub fn file_stem(self) -> &'static str {
        match self {
            SweepChart::LostCriticalReads => "lost-critical-reads-vs-maxmemory",
            SweepChart::HitRatio => "hit-ratio-vs-maxmemory",
            SweepChart::RefusedWrites => "refused-writes-vs-maxmemory",
        }
    }

    /// The chart's title.
    pub fn title(self) -> &'static str {
        match self {
            SweepChart::LostCriticalReads => "Lost critical reads against maxmemory",
            SweepChart::HitRatio => "Hit ratio against maxmemory (the miss-ratio curve)",
            SweepChart::RefusedWrites => "Writes refused with -OOM against maxmemory",
        }
    }

    /// The figure it draws for one point.
    fn count(self, p: &SweepPoint) -> u64 {
        match self {
            SweepChart::LostCriticalReads => p.critical_totals.lost_reads,
            SweepChart::RefusedWrites => p.totals.oom_rejected,
            SweepChart::HitRatio => 0,
        }
    }
}

/// Renders a sweep chart as an SVG document.
pub fn render_sweep_svg(chart: SweepChart, r: &SweepResult) -> Result<String, ChartError> {
    style::ensure_fonts()?;
    let mut out = String::new();
    {
        let root =
            SVGBackend::with_string(&mut out, (style::WIDTH, style::HEIGHT)).into_drawing_area();
        draw(chart, &root, r)?;
        root.present().map_err(de)?;
    }
    Ok(out)
}

/// Renders a sweep chart as PNG bytes.
pub fn render_sweep_png(chart: SweepChart, r: &SweepResult) -> Result<Vec<u8>, ChartError> {
    style::ensure_fonts()?;
    let mut pixels = vec![0u8; style::WIDTH as usize * style::HEIGHT as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (style::WIDTH, style::HEIGHT))
            .into_drawing_area();
        draw(chart, &root, r)?;
        root.present().map_err(de)?;
    }
    encode_png(&pixels)
}

/// One policy's line: (size, value, whisker end) per grid size.
struct Series {
    policies: Vec<PolicyKind>,
    points: Vec<(u64, f64, f64)>,
}

/// Draws the chart.
fn draw<DB: DrawingBackend>(
    chart: SweepChart,
    root: &DrawingArea<DB, Shift>,
    r: &SweepResult,
) -> Result<(), ChartError> {
    let many_seeds = r.runs.len() > 1;
    let series = group(
        r.policies
            .iter()
            .map(|&policy| Series {
                policies: vec![policy],
                points: r
                    .sizes
                    .iter()
                    .map(|&size| value(chart, r.points_at(size, policy).collect()))
                    .zip(&r.sizes)
                    .map(|((v, w), &size)| (size, v, w))
                    .collect(),
            })
            .collect(),
    );
    let unit = SizeUnit::for_max(r.grid.range.to);
    let peak = r
        .runs
        .iter()
        .map(|s| s.unbounded_peak_memory)
        .max()
        .unwrap_or(0);
    let in_range = peak >= r.grid.range.from && peak <= r.grid.range.to;

    let mut legend = vec![LegendItem::Header("Policy".to_string())];
    for s in &series {
        let label = match s.policies.len() {
            1 => policy_label(s.policies[0]),
            n if n == r.policies.len() => format!("all {n} policies"),
            n => format!("{n} policies (one line)"),
        };
        legend.push(LegendItem::Line {
            colour: policy_colour(s.policies[0]),
            width: 4,
            dash: None,
            label,
        });
        if s.policies.len() > 1 && s.policies.len() < r.policies.len() {
            let names: Vec<String> = s.policies.iter().map(|&p| policy_label(p)).collect();
            legend.push(LegendItem::Note(wrap(&names.join(", "), 34)));
        }
    }
    legend.push(LegendItem::Gap);
    if peak > 0 {
        if in_range {
            legend.push(LegendItem::Line {
                colour: MUTED_INK,
                width: 3,
                dash: Some(PEAK_DASH),
                label: format!("peak with no maxmemory ({})", unit.label(peak)),
            });
        } else {
            legend.push(LegendItem::Note(format!(
                "Without maxmemory the workload's\nused memory peaks at {}.",
                unit.label(peak)
            )));
        }
    }
    let note = match chart {
        SweepChart::LostCriticalReads => {
            "Reads of critical keys that missed\nonly because the key was evicted.\n\
             Safe also needs no critical key\nevicted and no critical write refused."
        }
        SweepChart::HitRatio => {
            "Hits over all reads (a refused\nINCR is a read that failed).\n\
             1 − this is the miss ratio."
        }
        SweepChart::RefusedWrites => "Commands refused with -OOM,\nall classes.",
    };
    legend.push(LegendItem::Gap);
    legend.push(LegendItem::Note(note.to_string()));
    if many_seeds {
        legend.push(LegendItem::Gap);
        legend.push(LegendItem::Note(match chart {
            SweepChart::HitRatio => format!(
                "Line: pooled over {} seeds;\nwhisker: lowest to highest seed.",
                r.runs.len()
            ),
            _ => format!(
                "Line: worst of {} seeds;\nwhisker: down to the best seed.",
                r.runs.len()
            ),
        }));
    }

    let plot = frame(root, chart.title(), &subtitle(r), &legend)?;
    if r.points.is_empty() {
        return draw_note(&plot, "No points in this sweep");
    }
    let (x0, x1) = (r.grid.range.from as f64, r.grid.range.to as f64);
    let pad = ((x1 - x0) * 0.02).max(1.0);
    let x_range = unit.of(x0 - pad)..unit.of(x1 + pad);
    let x_desc = format!("maxmemory ({})", unit.symbol());
    let (grid, axis) = mesh_styles();

    if chart == SweepChart::HitRatio {
        let mut c = ChartBuilder::on(&plot)
            .margin(16)
            .margin_right(30)
            .x_label_area_size(80)
            .y_label_area_size(110)
            .build_cartesian_2d(x_range, 0f64..100.0)
            .map_err(de)?;
        c.configure_mesh()
            .x_labels(10)
            .y_labels(11)
            .x_label_formatter(&|v| trim_axis(*v))
            .y_label_formatter(&|v| format!("{v:.0}%"))
            .x_desc(x_desc)
            .y_desc("hit ratio")
            .axis_desc_style(text(AXIS_DESC_PX))
            .label_style(text(LABEL_PX))
            .bold_line_style(grid)
            .light_line_style(TRANSPARENT)
            .axis_style(axis)
            .draw()
            .map_err(de)?;
        draw_lines(&mut c, &series, unit, many_seeds, |v| v)?;
        if in_range {
            draw_peak(&mut c, unit.of(peak as f64), 0.0, 100.0)?;
        }
        return Ok(());
    }

    let top = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1.max(p.2)))
        .fold(0.0, f64::max);
    let mut ticks = vec![0.0];
    let mut v = 1.0;
    loop {
        ticks.push(v);
        if v >= top.max(10.0) {
            break;
        }
        v *= 10.0;
    }
    // Counts plus one on a log axis: zero sits at the foot, decades evenly.
    let y_top = (v + 1.0) * 1.4;
    let positions: Vec<f64> = ticks.iter().map(|&t| t + 1.0).collect();
    let mut c = ChartBuilder::on(&plot)
        .margin(16)
        .margin_right(30)
        .x_label_area_size(80)
        .y_label_area_size(110)
        .build_cartesian_2d(
            x_range,
            (1f64..y_top).log_scale().with_key_points(positions),
        )
        .map_err(de)?;
    let y_desc = match chart {
        SweepChart::LostCriticalReads => "lost critical reads (log scale, 0 at the foot)",
        _ => "refused writes (log scale, 0 at the foot)",
    };
    c.configure_mesh()
        .x_labels(10)
        .x_label_formatter(&|v| trim_axis(*v))
        .y_label_formatter(&|u| fmt_count((*u - 1.0).round()))
        .x_desc(x_desc)
        .y_desc(y_desc)
        .axis_desc_style(text(AXIS_DESC_PX))
        .label_style(text(LABEL_PX))
        .bold_line_style(grid)
        .light_line_style(TRANSPARENT)
        .axis_style(axis)
        .draw()
        .map_err(de)?;
    draw_lines(&mut c, &series, unit, many_seeds, |v| v + 1.0)?;
    if in_range {
        draw_peak(&mut c, unit.of(peak as f64), 1.0, y_top)?;
    }
    Ok(())
}

/// Dash and gap of the no-limit peak line.
const PEAK_DASH: (u32, u32) = (4, 6);

/// The value and whisker end of one figure at one size over the seeds: for
/// counts the worst seed and the best, for the hit ratio the pooled ratio
/// and the seed farthest from it (both in percent).
fn value(chart: SweepChart, points: Vec<&SweepPoint>) -> (f64, f64) {
    if chart == SweepChart::HitRatio {
        let ratio = |h: HitRatio| {
            if h.reads == 0 {
                0.0
            } else {
                h.hits as f64 * 100.0 / h.reads as f64
            }
        };
        let one = |p: &SweepPoint| {
            ratio(HitRatio {
                hits: p.totals.hits,
                reads: p.totals.reads,
            })
        };
        let pooled = ratio(HitRatio {
            hits: points.iter().map(|p| p.totals.hits).sum(),
            reads: points.iter().map(|p| p.totals.reads).sum(),
        });
        let far = points
            .iter()
            .map(|p| one(p))
            .max_by(|a, b| (a - pooled).abs().total_cmp(&(b - pooled).abs()))
            .unwrap_or(pooled);
        return (pooled, far);
    }
    let counts = points.iter().map(|p| chart.count(p));
    (
        counts.clone().max().unwrap_or(0) as f64,
        counts.min().unwrap_or(0) as f64,
    )
}

/// Merges series whose points are all equal, keeping the first's place.
fn group(series: Vec<Series>) -> Vec<Series> {
    let mut out: Vec<Series> = Vec::new();
    for s in series {
        match out.iter_mut().find(|o| o.points == s.points) {
            Some(o) => o.policies.extend(s.policies),
            None => out.push(s),
        }
    }
    out
}

type Cartesian<'a, DB, Y> =
    ChartContext<'a, DB, Cartesian2d<plotters::coord::types::RangedCoordf64, Y>>;

/// Draws every series with markers, and whiskers when there are seeds.
fn draw_lines<DB: DrawingBackend, Y: Ranged<ValueType = f64>>(
    c: &mut Cartesian<'_, DB, Y>,
    series: &[Series],
    unit: SizeUnit,
    many_seeds: bool,
    y: impl Fn(f64) -> f64,
) -> Result<(), ChartError> {
    // The series listed first (a lone policy before a crowd) is drawn last,
    // on top.
    for s in series.iter().rev() {
        let colour = policy_colour(s.policies[0]);
        let pts: Vec<(f64, f64)> = s
            .points
            .iter()
            .map(|&(size, v, _)| (unit.of(size as f64), y(v)))
            .collect();
        if many_seeds {
            c.draw_series(s.points.iter().map(|&(size, v, w)| {
                let x = unit.of(size as f64);
                PathElement::new(vec![(x, y(v)), (x, y(w))], colour.mix(0.5).stroke_width(2))
            }))
            .map_err(de)?;
        }
        c.draw_series(LineSeries::new(pts.iter().copied(), colour.stroke_width(3)))
            .map_err(de)?;
        c.draw_series(pts.iter().map(|&p| Circle::new(p, 5, colour.filled())))
            .map_err(de)?;
    }
    Ok(())
}

/// The dotted vertical line at the no-limit peak.
fn draw_peak<DB: DrawingBackend, Y: Ranged<ValueType = f64>>(
    c: &mut Cartesian<'_, DB, Y>,
    x: f64,
    y0: f64,
    y1: f64,
) -> Result<(), ChartError> {
    c.draw_series(DashedLineSeries::new(
        [(x, y0), (x, y1)],
        PEAK_DASH.0,
        PEAK_DASH.1,
        MUTED_INK.stroke_width(3),
    ))
    .map_err(de)?;
    Ok(())
}

/// The subtitle: what was swept.
fn subtitle(r: &SweepResult) -> String {
    let seeds = match r.runs.as_slice() {
        [one] => format!("seed {}", one.seed),
        [first, .., last] => format!("seeds {}–{}", first.seed, last.seed),
        [] => String::new(),
    };
    let unit = SizeUnit::for_max(r.grid.range.to);
    format!(
        "{} {} · {seeds} · {} sizes from {} to {} · {} ops each",
        if r.source.trace().is_some() {
            "trace"
        } else {
            "scenario"
        },
        r.scenario,
        r.sizes.len(),
        unit.label(r.grid.range.from),
        unit.label(r.grid.range.to),
        fmt_count(r.runs.first().map_or(0, |s| s.ops) as f64),
    )
}

/// The unit of the size axis, chosen from the top of the range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SizeUnit {
    KiB,
    MiB,
    GiB,
}

impl SizeUnit {
    fn for_max(bytes: u64) -> SizeUnit {
        if bytes < 4 << 20 {
            SizeUnit::KiB
        } else if bytes < 4 << 30 {
            SizeUnit::MiB
        } else {
            SizeUnit::GiB
        }
    }

    fn bytes(self) -> f64 {
        match self {
            SizeUnit::KiB => 1024.0,
            SizeUnit::MiB => 1024.0 * 1024.0,
            SizeUnit::GiB => 1024.0 * 1024.0 * 1024.0,
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            SizeUnit::KiB => "KiB",
            SizeUnit::MiB => "MiB",
            SizeUnit::GiB => "GiB",
        }
    }

    fn of(self, bytes: f64) -> f64 {
        bytes / self.bytes()
    }

    /// A size in this unit with at most one decimal (`147.9 MiB`).
    fn label(self, bytes: u64) -> String {
        let v = self.of(bytes as f64);
        let s = format!("{v:.1}");
        format!("{} {}", s.strip_suffix(".0").unwrap_or(&s), self.symbol())
    }
}

/// An axis number without needless decimals.
fn trim_axis(v: f64) -> String {
    if (v - v.round()).abs() < 1e-6 {
        format!("{}", v.round() as i64)
    } else if v.abs() >= 10.0 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// `text` broken into lines of at most `width` characters at commas.
fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = 0;
    for (i, word) in text.split(", ").enumerate() {
        if i > 0 && line + word.len() + 2 > width {
            out.push_str(",\n");
            line = 0;
        } else if i > 0 {
            out.push_str(", ");
            line += 2;
        }
        out.push_str(word);
        line += word.len();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_wrap_at_commas() {
        assert_eq!(wrap("a, b, c", 4), "a, b,\nc");
        assert_eq!(wrap("allkeys-lru", 4), "allkeys-lru");
    }
}
