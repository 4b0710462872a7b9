//! Chart 1: what each policy cost critical data. Two panels share the policy
//! axis: keys evicted and reads lost to eviction (and between them, when
//! evicted lists or other aggregates held several elements, the items lost
//! with them). In each policy's group the
//! left bar stacks the critical classes (warm colours) and the right bar the
//! cache classes (cool colours), so critical losses never hide in a total.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::frame::{class_legend, de, draw_category_labels, draw_note, frame, mesh_styles};
use super::frame::{draw_axis_desc, first_fitting, LegendItem};
use super::style::{
    bold, class_colours, fmt_compact, fmt_count, muted, text, AXIS_DESC_PX, INK, LABEL_PX, SMALL_PX,
};
use super::{run_line, ChartError};
use crate::metrics::Counters;
use crate::sim::RunResult;

/// Draws the chart.
pub(super) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    run: &RunResult,
) -> Result<(), ChartError> {
    let colours = class_colours(&run.classes);
    let mut legend = class_legend(&run.classes, &colours, |_| true, |_| String::new());
    legend.push(LegendItem::Gap);
    legend.push(LegendItem::Note(
        "Left bar of each policy: critical\nclasses; right bar: cache classes.\n\
         OOM: writes refused because\nnothing could be evicted."
            .to_string(),
    ));
    let plot = frame(
        root,
        "Critical keys evicted and critical reads lost, per policy",
        &run_line(run),
        &legend,
    )?;
    if run.results.is_empty() {
        return draw_note(&plot, "No policies in this run");
    }
    // A third panel when evicted keys held more than themselves (a list
    // queue's jobs): the items lost with them.
    // Only the classes whose evicted keys held more than themselves: a
    // string class would repeat the keys panel.
    let holders: Vec<bool> = (0..run.classes.len())
        .map(|ci| {
            run.results.iter().any(|pr| {
                pr.metrics
                    .classes
                    .get(ci)
                    .is_some_and(|c| c.counters.lost_aggregates())
            })
        })
        .collect();
    let every = vec![true; run.classes.len()];
    let items = holders.iter().any(|&h| h);
    let (_, h) = plot.dim_in_pixel();
    let (top, bottom) = plot.split_vertically(if items { h / 3 } else { h / 2 });
    let (middle, bottom) = if items {
        let (m, b) = bottom.split_vertically(h / 3);
        (Some(m), b)
    } else {
        (None, bottom)
    };
    panel(
        root,
        &top,
        run,
        &colours,
        "Keys evicted",
        "keys evicted",
        |c| c.evicted_live(),
        Extras {
            oom: true,
            x_desc: false,
            include: &every,
        },
    )?;
    if let Some(middle) = middle {
        panel(
            root,
            &middle,
            run,
            &colours,
            "Items lost with evicted lists, hashes and sets (jobs, fields, members; classes that hold them)",
            "items lost",
            |c| c.lost_items,
            Extras {
                oom: false,
                x_desc: false,
                include: &holders,
            },
        )?;
    }
    panel(
        root,
        &bottom,
        run,
        &colours,
        "Reads lost to eviction (the key had been evicted, not deleted or expired)",
        "reads lost",
        |c| c.lost_reads,
        Extras {
            oom: false,
            x_desc: true,
            include: &every,
        },
    )
}

/// What a panel draws besides its bars, and which classes it stacks.
#[derive(Clone, Copy)]
struct Extras<'a> {
    /// Notes of writes refused with OOM, per policy.
    oom: bool,
    /// The x axis description under the policy names.
    x_desc: bool,
    /// Per class, whether the panel shows it.
    include: &'a [bool],
}

/// One panel: per policy a critical stack and a cache stack of `value`.
#[allow(clippy::too_many_arguments)]
fn panel<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    area: &DrawingArea<DB, Shift>,
    run: &RunResult,
    colours: &[RGBColor],
    caption: &str,
    y_desc: &str,
    value: fn(&Counters) -> u64,
    extras: Extras<'_>,
) -> Result<(), ChartError> {
    let n = run.results.len();
    let groups: Vec<Vec<usize>> = [true, false]
        .iter()
        .map(|&crit| {
            (0..run.classes.len())
                .filter(|&i| run.classes[i].critical == crit && extras.include[i])
                .collect()
        })
        .filter(|g: &Vec<usize>| !g.is_empty())
        .collect();
    let val = |p: usize, ci: usize| -> u64 {
        run.results[p]
            .metrics
            .classes
            .get(ci)
            .map_or(0, |cm| value(&cm.counters))
    };
    let total = |p: usize, g: &[usize]| -> u64 { g.iter().map(|&ci| val(p, ci)).sum() };
    let max = (0..n)
        .flat_map(|p| groups.iter().map(move |g| (p, g)))
        .map(|(p, g)| total(p, g))
        .max()
        .unwrap_or(0);
    let oom: Vec<u64> = run
        .results
        .iter()
        .map(|pr| pr.metrics.totals().oom_rejected)
        .collect();
    // Room above the bars for value labels, and for OOM notes over tall bars.
    let oom_over_tall_bars = extras.oom
        && (0..n).any(|p| oom[p] > 0 && groups.iter().any(|g| total(p, g) * 10 > max * 6));
    let headroom = if oom_over_tall_bars { 1.6 } else { 1.22 };
    // At least 0..5 so that small counts get whole-number ticks.
    let y_max = (max as f64 * headroom).max(5.0);

    let mut chart = ChartBuilder::on(area)
        .caption(caption, bold(LABEL_PX + 1.0).color(&INK))
        .margin_top(4)
        .margin_right(24)
        .x_label_area_size(if extras.x_desc { 92 } else { 62 })
        .y_label_area_size(110)
        .build_cartesian_2d(0f64..n as f64, 0f64..y_max)
        .map_err(de)?;
    let (grid, axis) = mesh_styles();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_labels(6)
        .y_label_formatter(&|v| whole(*v))
        .y_desc(y_desc)
        .axis_desc_style(text(AXIS_DESC_PX))
        .label_style(text(LABEL_PX))
        .bold_line_style(grid)
        .light_line_style(TRANSPARENT)
        .axis_style(axis)
        .draw()
        .map_err(de)?;

    // Bar slots inside a group of width 1.
    let slots: Vec<(f64, f64)> = match groups.len() {
        1 => vec![(0.25, 0.75)],
        _ => vec![(0.12, 0.48), (0.52, 0.88)],
    };
    let bottom_centre = Pos::new(HPos::Center, VPos::Bottom);
    let group_px = chart.backend_coord(&(1.0, 0.0)).0 - chart.backend_coord(&(0.0, 0.0)).0;
    for (p, &oom_p) in oom.iter().enumerate() {
        let mut group_top = i32::MAX;
        for (g, &(a, b)) in groups.iter().zip(&slots) {
            let (x0, x1) = (p as f64 + a, p as f64 + b);
            let mut base = 0u64;
            for &ci in g {
                let v = val(p, ci);
                if v == 0 {
                    continue;
                }
                let seg = [(x0, base as f64), (x1, (base + v) as f64)];
                chart
                    .draw_series([
                        Rectangle::new(seg, colours[ci].filled()),
                        Rectangle::new(seg, WHITE.stroke_width(1)),
                    ])
                    .map_err(de)?;
                base += v;
            }
            let critical = run.classes[g[0]].critical;
            let (cx, cy) = chart.backend_coord(&((x0 + x1) / 2.0, base as f64));
            let room = ((b - a + 0.03) * group_px as f64) as i32;
            let full = fmt_count(base as f64);
            let candidates = [vec![full.clone()], vec![fmt_compact(base as f64)]];
            let label = first_fitting(root, &candidates, SMALL_PX, room)?
                .first()
                .cloned()
                .unwrap_or(full);
            let style = if critical {
                bold(SMALL_PX).color(&INK)
            } else {
                muted(SMALL_PX)
            };
            root.draw_text(&label, &style.pos(bottom_centre), (cx, cy - 4))
                .map_err(de)?;
            group_top = group_top.min(cy - 4 - SMALL_PX as i32);
        }
        if extras.oom && oom_p > 0 {
            let (cx, _) = chart.backend_coord(&(p as f64 + 0.5, 0.0));
            let count = fmt_compact(oom_p as f64);
            let candidates = [
                vec![format!("{count} writes"), "refused (OOM)".to_string()],
                vec![
                    format!("{count} writes"),
                    "refused".to_string(),
                    "(OOM)".to_string(),
                ],
                vec![count.clone(), "refused".to_string(), "(OOM)".to_string()],
                vec![count, "OOM".to_string()],
            ];
            let lines = first_fitting(root, &candidates, SMALL_PX, group_px - 8)?;
            let line_px = (SMALL_PX * 1.25) as i32;
            let mut y = group_top - 6 - lines.len() as i32 * line_px;
            let (_, plot_top) = chart.backend_coord(&(0.0, y_max));
            y = y.max(plot_top + 2);
            for l in lines {
                root.draw_text(
                    l,
                    &muted(SMALL_PX).pos(Pos::new(HPos::Center, VPos::Top)),
                    (cx, y),
                )
                .map_err(de)?;
                y += line_px;
            }
        }
    }

    let (x0, base_y) = chart.backend_coord(&(0.0, 0.0));
    let (x1, _) = chart.backend_coord(&(1.0, 0.0));
    let labels: Vec<(i32, String)> = run
        .results
        .iter()
        .enumerate()
        .map(|(p, pr)| {
            (
                chart.backend_coord(&(p as f64 + 0.5, 0.0)).0,
                super::style::policy_label(pr.policy),
            )
        })
        .collect();
    let below = draw_category_labels(root, &labels, base_y + 10, x1 - x0)?;
    if extras.x_desc {
        let centre = chart.backend_coord(&(n as f64 / 2.0, 0.0)).0;
        draw_axis_desc(root, "maxmemory-policy", centre, below + 4)?;
    }
    if max == 0 {
        draw_note(
            &chart.plotting_area().strip_coord_spec(),
            &format!("No {y_desc} under any policy"),
        )?;
    }
    Ok(())
}

/// A count tick label, or nothing for a tick between whole numbers.
fn whole(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        fmt_count(v)
    } else {
        String::new()
    }
}
