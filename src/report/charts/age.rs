//! Chart 4: how old, in two senses, the evicted keys were. One chart reads
//! the remaining TTL of evicted critical keys (how much of a session's life
//! the policy cut short), the other the idle time of every evicted key (did
//! the policy pick cold keys?). Per policy that evicted anything, one box per
//! class: median, 25th–75th and 5th–95th percentiles on a log time axis.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::data::{display_order, spreads, AgeKind, Spread};
use super::frame::{class_legend, de, draw_category_labels, draw_note, frame, mesh_styles};
use super::frame::{draw_axis_desc, LegendItem};
use super::style::{
    class_colours, fmt_count, fmt_duration_ms, muted, text, AXIS_DESC_PX, INK, LABEL_PX, SMALL_PX,
};
use super::{run_line, ChartError};
use crate::sim::RunResult;

/// Coarse tick values in ms, 1 ms up to 30 days, at durations people think in.
const COARSE_TICKS_MS: [f64; 12] = [
    1.0, 10.0, 100.0, 1e3, 1e4, 6e4, 6e5, 3.6e6, 2.16e7, 8.64e7, 6.048e8, 2.592e9,
];

/// Fine tick values in ms, used when few of them fall in the range.
const FINE_TICKS_MS: [f64; 27] = [
    1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1e3, 2e3, 5e3, 1e4, 3e4, 6e4, 1.2e5, 3e5,
    6e5, 1.8e6, 3.6e6, 7.2e6, 2.16e7, 4.32e7, 8.64e7, 1.728e8, 6.048e8, 2.592e9,
];

/// Most ticks on the time axis.
const MAX_TICKS: usize = 12;

/// Draws the chart of `kind`.
pub(super) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    run: &RunResult,
    kind: AgeKind,
) -> Result<(), ChartError> {
    let colours = class_colours(&run.classes);
    let rows = spreads(run, kind);
    let shown: Vec<usize> = display_order(run)
        .into_iter()
        .filter(|&ci| rows.iter().any(|(_, r)| r[ci].is_some()))
        .collect();
    let (title, y_desc, empty, scope) = match kind {
        AgeKind::TtlLeft => (
            "Remaining TTL of critical keys at eviction (life cut short)",
            "TTL left at eviction (log scale)",
            "No critical key with a TTL was evicted",
            "Critical keys that had a TTL;\npolicies that evicted none\nare left out.",
        ),
        AgeKind::Idle => (
            "Idle time of keys at eviction",
            "idle time at eviction (log scale)",
            "No key was evicted",
            "All evicted keys; policies that\nevicted none are left out.",
        ),
    };
    let mut legend = class_legend(
        &run.classes,
        &colours,
        |ci| shown.contains(&ci),
        |_| String::new(),
    );
    if !legend.is_empty() {
        legend.push(LegendItem::Gap);
    }
    legend.push(LegendItem::Note(format!(
        "Box: 25th–75th percentile.\nBar in box: median.\nWhiskers: 5th–95th percentile.\n\
         n: evictions measured.\n\n{scope}"
    )));
    let plot = frame(root, title, &run_line(run), &legend)?;
    if rows.is_empty() || shown.is_empty() {
        return draw_note(&plot, empty);
    }

    let all: Vec<&Spread> = rows.iter().flat_map(|(_, r)| r.iter().flatten()).collect();
    let lo_v = all.iter().map(|s| s.p5).fold(f64::MAX, f64::min);
    let hi_v = all.iter().map(|s| s.p95).fold(1.0, f64::max);
    let lo = COARSE_TICKS_MS
        .iter()
        .copied()
        .rev()
        .find(|&t| t <= lo_v)
        .unwrap_or(COARSE_TICKS_MS[0]);
    let hi = COARSE_TICKS_MS
        .iter()
        .copied()
        .find(|&t| t >= hi_v * 1.5 && t > lo)
        .unwrap_or(COARSE_TICKS_MS[COARSE_TICKS_MS.len() - 1]);
    let in_range =
        |ts: &[f64]| -> Vec<f64> { ts.iter().copied().filter(|&t| t >= lo && t <= hi).collect() };
    let fine = in_range(&FINE_TICKS_MS);
    let ticks = if fine.len() <= MAX_TICKS {
        fine
    } else {
        in_range(&COARSE_TICKS_MS)
    };

    let n = rows.len();
    let mut chart = ChartBuilder::on(&plot)
        .margin(16)
        .margin_right(30)
        .x_label_area_size(100)
        .y_label_area_size(130)
        .build_cartesian_2d(0f64..n as f64, (lo..hi).log_scale().with_key_points(ticks))
        .map_err(de)?;
    let (grid, axis) = mesh_styles();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_label_formatter(&|v| fmt_duration_ms(*v))
        .y_desc(y_desc)
        .axis_desc_style(text(AXIS_DESC_PX))
        .label_style(text(LABEL_PX))
        .bold_line_style(grid)
        .light_line_style(TRANSPARENT)
        .axis_style(axis)
        .draw()
        .map_err(de)?;

    let k = shown.len() as f64;
    let slot = 0.84 / k;
    let half_box = (slot * 0.32).min(0.16);
    let (gx0, _) = chart.backend_coord(&(0.0, lo));
    let (gx1, _) = chart.backend_coord(&(1.0, lo));
    let slot_px = ((gx1 - gx0) as f64 * slot) as i32;
    for (g, (_, row)) in rows.iter().enumerate() {
        for (j, &ci) in shown.iter().enumerate() {
            let Some(s) = row[ci] else { continue };
            let cx = g as f64 + 0.08 + slot * (j as f64 + 0.5);
            let (a, b) = (cx - half_box, cx + half_box);
            let cap = half_box * 0.5;
            let ink = INK.stroke_width(2);
            chart
                .draw_series([
                    PathElement::new(vec![(cx, s.p5), (cx, s.p95)], ink),
                    PathElement::new(vec![(cx - cap, s.p5), (cx + cap, s.p5)], ink),
                    PathElement::new(vec![(cx - cap, s.p95), (cx + cap, s.p95)], ink),
                ])
                .map_err(de)?;
            chart
                .draw_series([
                    Rectangle::new([(a, s.p25), (b, s.p75)], colours[ci].filled()),
                    Rectangle::new([(a, s.p25), (b, s.p75)], INK.stroke_width(2)),
                ])
                .map_err(de)?;
            chart
                .draw_series([PathElement::new(
                    vec![(a, s.p50), (b, s.p50)],
                    INK.stroke_width(4),
                )])
                .map_err(de)?;
            let label = format!("n={}", fmt_count(s.count as f64));
            let (w, _) = root
                .estimate_text_size(&label, &muted(SMALL_PX))
                .map_err(de)?;
            if (w as i32) < slot_px - 4 {
                let (px, py) = chart.backend_coord(&(cx, s.p95));
                root.draw_text(
                    &label,
                    &muted(SMALL_PX).pos(Pos::new(HPos::Center, VPos::Bottom)),
                    (px, py - 6),
                )
                .map_err(de)?;
            }
        }
    }

    let (_, base_y) = chart.backend_coord(&(0.0, lo));
    let labels: Vec<(i32, String)> = rows
        .iter()
        .enumerate()
        .map(|(g, (pi, _))| {
            (
                chart.backend_coord(&(g as f64 + 0.5, lo)).0,
                super::style::policy_label(run.results[*pi].policy),
            )
        })
        .collect();
    let below = draw_category_labels(root, &labels, base_y + 10, gx1 - gx0)?;
    let centre = chart.backend_coord(&(n as f64 / 2.0, lo)).0;
    draw_axis_desc(root, "maxmemory-policy", centre, below + 4)?;
    Ok(())
}
