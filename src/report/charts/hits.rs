//! Chart 5: hit ratio per class and policy, as grouped bars in percent. A
//! policy that keeps the cache warm but drops sessions shows here as high
//! cache bars next to low critical ones.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::data::display_order;
use super::frame::{class_legend, de, draw_category_labels, draw_note, frame, mesh_styles};
use super::frame::{draw_axis_desc, LegendItem};
use super::style::{class_colours, muted, text, AXIS_DESC_PX, LABEL_PX, SMALL_PX};
use super::{run_line, ChartError};
use crate::sim::RunResult;

/// Draws the chart.
pub(super) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    run: &RunResult,
) -> Result<(), ChartError> {
    let colours = class_colours(&run.classes);
    let ratio = |p: usize, ci: usize| -> Option<f64> {
        run.results[p]
            .metrics
            .classes
            .get(ci)
            .and_then(|cm| cm.counters.hit_ratio())
    };
    let n = run.results.len();
    let shown: Vec<usize> = display_order(run)
        .into_iter()
        .filter(|&ci| (0..n).any(|p| ratio(p, ci).is_some()))
        .collect();
    let mut legend = class_legend(
        &run.classes,
        &colours,
        |ci| shown.contains(&ci),
        |_| String::new(),
    );
    if !legend.is_empty() {
        legend.push(LegendItem::Gap);
    }
    legend.push(LegendItem::Note(
        "Hits over reads of each class.\nClasses never read are left out.".to_string(),
    ));
    let plot = frame(
        root,
        "Hit ratio per class, per policy",
        &run_line(run),
        &legend,
    )?;
    if n == 0 || shown.is_empty() {
        return draw_note(&plot, "No reads in this run");
    }

    let mut chart = ChartBuilder::on(&plot)
        .margin(16)
        .margin_right(30)
        .x_label_area_size(100)
        .y_label_area_size(110)
        .build_cartesian_2d(0f64..n as f64, 0f64..108.0)
        .map_err(de)?;
    let (grid, axis) = mesh_styles();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_labels(12)
        .y_label_formatter(&|v| {
            if *v <= 100.0 {
                format!("{v:.0}%")
            } else {
                String::new()
            }
        })
        .y_desc("hit ratio (% of reads)")
        .axis_desc_style(text(AXIS_DESC_PX))
        .label_style(text(LABEL_PX))
        .bold_line_style(grid)
        .light_line_style(TRANSPARENT)
        .axis_style(axis)
        .draw()
        .map_err(de)?;

    let k = shown.len() as f64;
    let slot = 0.84 / k;
    let (gx0, base_y) = chart.backend_coord(&(0.0, 0.0));
    let (gx1, _) = chart.backend_coord(&(1.0, 0.0));
    let slot_px = ((gx1 - gx0) as f64 * slot) as i32;
    for p in 0..n {
        for (j, &ci) in shown.iter().enumerate() {
            let Some(r) = ratio(p, ci) else { continue };
            let x0 = p as f64 + 0.08 + slot * j as f64 + slot * 0.06;
            let x1 = x0 + slot * 0.88;
            let pct = r * 100.0;
            chart
                .draw_series([Rectangle::new([(x0, 0.0), (x1, pct)], colours[ci].filled())])
                .map_err(de)?;
            let label = format!("{pct:.0}%");
            let (w, _) = root
                .estimate_text_size(&label, &muted(SMALL_PX))
                .map_err(de)?;
            if (w as i32) < slot_px - 2 {
                let (px, py) = chart.backend_coord(&((x0 + x1) / 2.0, pct));
                root.draw_text(
                    &label,
                    &muted(SMALL_PX).pos(Pos::new(HPos::Center, VPos::Bottom)),
                    (px, py - 4),
                )
                .map_err(de)?;
            }
        }
    }
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
    let below = draw_category_labels(root, &labels, base_y + 10, gx1 - gx0)?;
    let centre = chart.backend_coord(&(n as f64 / 2.0, 0.0)).0;
    draw_axis_desc(root, "maxmemory-policy", centre, below + 4)?;
    Ok(())
}
