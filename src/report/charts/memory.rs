//! Chart 2: used memory over simulated time against a dashed line at
//! `maxmemory`, and the same workload with no limit as a muted line: how
//! soon the limit is reached, and how far above it the workload would go.
//! Policies whose lines coincide (within 0.5% of the chart's height at every
//! point) are drawn once and labelled together, so eleven policies held at
//! the limit read as one line, not as one grey smear with eleven entries.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::frame::{de, draw_note, frame, mesh_styles, LegendItem};
use super::style::{
    fmt_mib, policy_colour, text, TimeUnit, AXIS_DESC_PX, INK, LABEL_PX, MUTED_INK,
};
use super::{run_line, ChartError};
use crate::sim::RunResult;

const MIB: f64 = 1024.0 * 1024.0;
/// Dash and gap of the `maxmemory` line.
const MAXMEMORY_DASH: (u32, u32) = (14, 10);
/// Dash and gap of the unbounded-peak line.
const PEAK_DASH: (u32, u32) = (4, 6);

/// Draws the chart.
pub(super) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    run: &RunResult,
) -> Result<(), ChartError> {
    let series: Vec<(usize, Vec<(f64, f64)>)> = run
        .results
        .iter()
        .enumerate()
        .filter(|(_, pr)| !pr.metrics.timeline.used_memory.is_empty())
        .map(|(i, pr)| {
            let t = &pr.metrics.timeline;
            let pts = t
                .used_memory
                .iter()
                .enumerate()
                .map(|(b, &m)| ((b as u64 * t.step_ms) as f64, m as f64))
                .collect();
            (i, pts)
        })
        .collect();
    let end_ms = series
        .iter()
        .flat_map(|(_, s)| s.last())
        .map(|p| p.0)
        .fold(run.simulated_ms as f64, f64::max)
        .max(1.0);
    let unit = TimeUnit::for_span(end_ms as u64);

    let unbounded: Vec<(f64, f64)> = run
        .unbounded_memory
        .iter()
        .map(|&(t, m)| (t as f64, m as f64))
        .collect();
    let top = series
        .iter()
        .flat_map(|(_, s)| s.iter().map(|p| p.1))
        .chain(unbounded.iter().map(|p| p.1))
        .fold(run.maxmemory_bytes as f64, f64::max)
        .max(run.unbounded_peak_memory as f64)
        .max(1.0);
    let groups = coinciding(&series, top * 0.005);

    let mut legend = vec![LegendItem::Header("Policy".to_string())];
    for g in &groups {
        let first = run.results[series[g[0]].0].policy;
        let names: Vec<&str> = g
            .iter()
            .map(|&k| run.results[series[k].0].policy.name())
            .collect();
        let label = match names.len() {
            1 => names[0].to_string(),
            n if n == run.results.len() => format!("all {n} policies"),
            n => format!("{n} policies (one line)"),
        };
        legend.push(LegendItem::Line {
            colour: policy_colour(first),
            width: 4,
            dash: None,
            label,
        });
        if names.len() > 1 && names.len() < run.results.len() {
            legend.push(LegendItem::Note(wrap(&names.join(", "), 34)));
        }
    }
    legend.push(LegendItem::Gap);
    legend.push(LegendItem::Line {
        colour: INK,
        width: 3,
        dash: Some(MAXMEMORY_DASH),
        label: format!("maxmemory ({})", fmt_mib(run.maxmemory_bytes as f64)),
    });
    let peak = run.unbounded_peak_memory;
    if !unbounded.is_empty() {
        legend.push(LegendItem::Line {
            colour: MUTED_INK,
            width: 3,
            dash: Some(PEAK_DASH),
            label: format!("no maxmemory (peak {})", fmt_mib(peak as f64)),
        });
    } else if peak > 0 {
        legend.push(LegendItem::Gap);
        legend.push(LegendItem::Note(format!(
            "Without maxmemory the workload\npeaks at {}.",
            fmt_mib(peak as f64)
        )));
    }
    let plot = frame(
        root,
        "Used memory over simulated time vs maxmemory",
        &run_line(run),
        &legend,
    )?;
    if series.is_empty() {
        return draw_note(&plot, "No memory samples in this run");
    }

    let y_max = top / MIB * 1.12;
    let x_max = end_ms / unit.ms();
    let mut chart = ChartBuilder::on(&plot)
        .margin(16)
        .margin_right(30)
        .x_label_area_size(80)
        .y_label_area_size(110)
        .build_cartesian_2d(0f64..x_max, 0f64..y_max)
        .map_err(de)?;
    let (grid, axis) = mesh_styles();
    let x_desc = format!("simulated time ({})", unit.symbol());
    chart
        .configure_mesh()
        .x_labels(10)
        .y_labels(8)
        .x_label_formatter(&|v| trim_axis(*v))
        .y_label_formatter(&|v| trim_axis(*v))
        .x_desc(x_desc)
        .y_desc("used memory (MiB)")
        .axis_desc_style(text(AXIS_DESC_PX))
        .label_style(text(LABEL_PX))
        .bold_line_style(grid)
        .light_line_style(TRANSPARENT)
        .axis_style(axis)
        .draw()
        .map_err(de)?;

    for g in &groups {
        let (i, s) = &series[g[0]];
        let colour = policy_colour(run.results[*i].policy);
        chart
            .draw_series(LineSeries::new(
                s.iter().map(|&(t, m)| (t / unit.ms(), m / MIB)),
                colour.stroke_width(3),
            ))
            .map_err(de)?;
    }
    if !unbounded.is_empty() {
        chart
            .draw_series(DashedLineSeries::new(
                unbounded.iter().map(|&(t, m)| (t / unit.ms(), m / MIB)),
                PEAK_DASH.0,
                PEAK_DASH.1,
                MUTED_INK.stroke_width(3),
            ))
            .map_err(de)?;
    }
    // Reference lines last, so the policies hugging them do not hide them.
    let limit = run.maxmemory_bytes as f64 / MIB;
    chart
        .draw_series(DashedLineSeries::new(
            [(0.0, limit), (x_max, limit)],
            MAXMEMORY_DASH.0,
            MAXMEMORY_DASH.1,
            INK.stroke_width(3),
        ))
        .map_err(de)?;
    Ok(())
}

/// Groups the series (by index) whose points all lie within `tolerance` of
/// the group's first series; groups in order of their first member.
fn coinciding(series: &[(usize, Vec<(f64, f64)>)], tolerance: f64) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (k, (_, s)) in series.iter().enumerate() {
        let same = |g: &&mut Vec<usize>| {
            let first = &series[g[0]].1;
            first.len() == s.len()
                && first
                    .iter()
                    .zip(s)
                    .all(|(a, b)| (a.1 - b.1).abs() <= tolerance)
        };
        match groups.iter_mut().find(|g| same(g)) {
            Some(g) => g.push(k),
            None => groups.push(vec![k]),
        }
    }
    groups
}

/// `text` broken into lines of at most `width` characters at commas.
fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = 0;
    for (i, word) in text.split(", ").enumerate() {
        let piece = if i == 0 {
            word.to_string()
        } else {
            format!(", {word}")
        };
        if line > 0 && line + piece.len() > width {
            out.push_str(",\n");
            out.push_str(word);
            line = word.len();
        } else {
            out.push_str(&piece);
            line += piece.len();
        }
    }
    out
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
