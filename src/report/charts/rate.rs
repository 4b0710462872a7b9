//! Chart 3: evictions per second by class over simulated time, for the worst
//! policy (most lost critical reads, then most critical evictions). Shows
//! when critical keys start to go and which classes pay for memory pressure.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::data::{damage, worst_policy};
use super::frame::{class_legend_as, de, draw_note, frame, mesh_styles, LegendItem};
use super::style::{
    class_colours, fmt_count, fmt_duration_ms, text, TimeUnit, AXIS_DESC_PX, LABEL_PX,
};
use super::{run_line, ChartError};
use crate::sim::RunResult;

/// Most points per line.
const MAX_POINTS: usize = 240;
/// Line widths of critical and cache classes.
const LINE_WIDTHS: (u32, u32) = (4, 3);

/// Draws the chart.
pub(super) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    run: &RunResult,
) -> Result<(), ChartError> {
    let colours = class_colours(&run.classes);
    let Some(w) = worst_policy(run) else {
        let legend = class_legend_as(
            &run.classes,
            &colours,
            |_| true,
            |_| String::new(),
            Some(LINE_WIDTHS),
        );
        let plot = frame(
            root,
            "Evictions per second by class, worst policy",
            &run_line(run),
            &legend,
        )?;
        return draw_note(&plot, "No policy evicted any key in this run");
    };
    let pr = &run.results[w];
    let t = &pr.metrics.timeline;
    let buckets = t.evictions.iter().map(Vec::len).max().unwrap_or(0);
    // Merge buckets so the line has at most MAX_POINTS points: a readable
    // rate rather than per-second noise.
    let merge = buckets.div_ceil(MAX_POINTS).max(1);
    let window_ms = t.step_ms.max(1) * merge as u64;
    // A window is divided by the time it covers within the run, so the
    // last one, cut by the run's end, does not read as a drop in the rate
    // (and a window wholly after the end is left out).
    let end_ms = run.simulated_ms.max(1);
    let rates: Vec<Vec<(f64, f64)>> = t
        .evictions
        .iter()
        .map(|s| {
            s.chunks(merge)
                .enumerate()
                .filter_map(|(k, c)| {
                    let start = k as u64 * window_ms;
                    let covered = (start + window_ms).min(end_ms).checked_sub(start)?;
                    (covered > 0).then(|| {
                        let mid_ms = start as f64 + covered as f64 / 2.0;
                        (
                            mid_ms,
                            c.iter().sum::<u64>() as f64 * 1000.0 / covered as f64,
                        )
                    })
                })
                .collect()
        })
        .collect();
    let evicted = |ci: usize| -> u64 { t.evictions.get(ci).map_or(0, |s| s.iter().sum()) };
    let (lost, crit_evicted, _) = damage(run, pr);

    let mut legend = class_legend_as(
        &run.classes,
        &colours,
        |_| true,
        |ci| format!(" ({} evicted)", fmt_count(evicted(ci) as f64)),
        Some(LINE_WIDTHS),
    );
    legend.push(LegendItem::Gap);
    legend.push(LegendItem::Note(format!(
        "Worst policy: most lost critical\nreads ({}), then most critical\nkeys evicted ({}).\n\
         Rate averaged over {} windows.",
        fmt_count(lost as f64),
        fmt_count(crit_evicted as f64),
        fmt_duration_ms(window_ms as f64),
    )));
    let plot = frame(
        root,
        &format!("Evictions per second by class under {}", pr.policy.name()),
        &run_line(run),
        &legend,
    )?;

    let end_ms = (buckets as u64 * t.step_ms).max(run.simulated_ms).max(1);
    let unit = TimeUnit::for_span(end_ms);
    let peak = rates
        .iter()
        .flat_map(|s| s.iter().map(|p| p.1))
        .fold(0.0, f64::max);
    let y_max = if peak > 0.0 { peak * 1.1 } else { 5.0 };
    let x_max = end_ms as f64 / unit.ms();

    let mut chart = ChartBuilder::on(&plot)
        .margin(16)
        .margin_right(30)
        .x_label_area_size(80)
        .y_label_area_size(110)
        .build_cartesian_2d(0f64..x_max, 0f64..y_max)
        .map_err(de)?;
    let (grid, axis) = mesh_styles();
    chart
        .configure_mesh()
        .x_labels(10)
        .y_labels(8)
        .x_label_formatter(&|v| fmt_count(*v))
        .y_label_formatter(&|v| fmt_count(*v))
        .x_desc(format!("simulated time ({})", unit.symbol()))
        .y_desc("evictions per second")
        .axis_desc_style(text(AXIS_DESC_PX))
        .label_style(text(LABEL_PX))
        .bold_line_style(grid)
        .light_line_style(TRANSPARENT)
        .axis_style(axis)
        .draw()
        .map_err(de)?;

    // Cache classes first so the critical lines are drawn on top.
    let mut order: Vec<usize> = (0..run.classes.len().min(rates.len())).collect();
    order.sort_by_key(|&ci| run.classes[ci].critical);
    for ci in order {
        if evicted(ci) == 0 {
            continue;
        }
        let width = if run.classes[ci].critical {
            LINE_WIDTHS.0
        } else {
            LINE_WIDTHS.1
        };
        let pts = rates[ci].iter().map(|&(ms, r)| (ms / unit.ms(), r));
        chart
            .draw_series(LineSeries::new(pts, colours[ci].stroke_width(width)))
            .map_err(de)?;
    }
    if peak == 0.0 {
        draw_note(
            &chart.plotting_area().strip_coord_spec(),
            "The timeline recorded no evictions",
        )?;
    }
    Ok(())
}
