//! The chart of a server comparison: per policy, the smallest safe
//! `maxmemory` on each server, one bar per server side by side, and first
//! the memory to lose nothing (the peak with no limit); a dashed line marks
//! the scenario's own `maxmemory`. Lower is cheaper.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::frame::{de, frame, mesh_styles, LegendItem};
use super::style::{text, AXIS_DESC_PX, LABEL_PX, MUTED_INK};
use super::{encode_png, style, ChartError};
use crate::servers::ServerComparison;

/// One colour per server position (Paul Tol's bright palette).
const SERVER_COLOURS: [RGBColor; 6] = [
    RGBColor(0x44, 0x77, 0xAA),
    RGBColor(0xEE, 0x66, 0x77),
    RGBColor(0x22, 0x88, 0x33),
    RGBColor(0xCC, 0xBB, 0x44),
    RGBColor(0x66, 0xCC, 0xEE),
    RGBColor(0xAA, 0x33, 0x77),
];

/// Renders the chart as an SVG document.
pub fn render_servers_svg(c: &ServerComparison) -> Result<String, ChartError> {
    style::ensure_fonts()?;
    let mut out = String::new();
    {
        let root =
            SVGBackend::with_string(&mut out, (style::WIDTH, style::HEIGHT)).into_drawing_area();
        draw(&root, c)?;
        root.present().map_err(de)?;
    }
    Ok(out)
}

/// Renders the chart as PNG bytes.
pub fn render_servers_png(c: &ServerComparison) -> Result<Vec<u8>, ChartError> {
    style::ensure_fonts()?;
    let mut pixels = vec![0u8; style::WIDTH as usize * style::HEIGHT as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (style::WIDTH, style::HEIGHT))
            .into_drawing_area();
        draw(&root, c)?;
        root.present().map_err(de)?;
    }
    encode_png(&pixels)
}

fn mib(b: u64) -> f64 {
    b as f64 / 1_048_576.0
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: &ServerComparison,
) -> Result<(), ChartError> {
    // Categories: the memory to lose nothing, then each policy's safe size.
    let mut groups: Vec<(String, Vec<Option<u64>>)> = vec![(
        "lose nothing".to_string(),
        c.servers
            .iter()
            .map(|s| Some(s.unbounded_peak_memory))
            .collect(),
    )];
    for (k, p) in c.policies.iter().enumerate() {
        groups.push((
            p.name().to_string(),
            c.servers
                .iter()
                .map(|s| s.safe.policies.get(k).and_then(|x| x.maxmemory_bytes))
                .collect(),
        ));
    }
    let mut legend = vec![LegendItem::Header("Server".to_string())];
    for (i, s) in c.servers.iter().enumerate() {
        legend.push(LegendItem::Swatch(
            SERVER_COLOURS[i % SERVER_COLOURS.len()],
            format!(
                "{} ({})",
                s.layout.server.label(),
                s.layout.allocator.name()
            ),
        ));
    }
    legend.push(LegendItem::Gap);
    legend.push(LegendItem::Line {
        colour: MUTED_INK,
        width: 3,
        dash: Some((12, 8)),
        label: format!("scenario maxmemory ({:.1} MiB)", mib(c.maxmemory)),
    });
    legend.push(LegendItem::Gap);
    legend.push(LegendItem::Note(
        "First group: used memory's peak\nwith no maxmemory. Then, per\npolicy, the smallest maxmemory\nthat loses nothing critical.\nNo bar: none safe in range.".to_string(),
    ));
    let subtitle = format!(
        "{}, seed {}: the same workload on each server; lower is cheaper",
        c.scenario, c.seed
    );
    let plot = frame(
        root,
        "Smallest safe maxmemory by server",
        &subtitle,
        &legend,
    )?;
    let top = groups
        .iter()
        .flat_map(|(_, v)| v.iter().flatten())
        .copied()
        .chain([c.maxmemory])
        .max()
        .unwrap_or(1);
    let n = groups.len();
    let per = c.servers.len().max(1);
    let mut chart = ChartBuilder::on(&plot)
        .margin(10)
        .x_label_area_size(90)
        .y_label_area_size(110)
        .build_cartesian_2d(0f64..n as f64, 0f64..mib(top) * 1.1)
        .map_err(de)?;
    let (bold_line, light_line) = mesh_styles();
    let labels: Vec<String> = groups.iter().map(|(l, _)| l.clone()).collect();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .max_light_lines(0)
        .bold_line_style(bold_line)
        .light_line_style(light_line)
        .y_desc("maxmemory (MiB)")
        .axis_desc_style(text(AXIS_DESC_PX))
        .label_style(text(LABEL_PX))
        // Many groups of policy names side by side: a smaller face keeps
        // "allkeys-random" and "volatile-random" apart.
        .x_label_style(text(if n > 6 { LABEL_PX * 0.72 } else { LABEL_PX }))
        .x_labels(n * 2 + 1)
        .x_label_formatter(&|x| {
            let i = x.floor() as usize;
            if (x - i as f64 - 0.5).abs() < 0.01 && i < labels.len() {
                labels[i].clone()
            } else {
                String::new()
            }
        })
        .draw()
        .map_err(de)?;
    let width = 0.8 / per as f64;
    for (g, (_, values)) in groups.iter().enumerate() {
        for (i, v) in values.iter().enumerate() {
            let Some(v) = v else { continue };
            let x0 = g as f64 + 0.1 + i as f64 * width;
            let colour = SERVER_COLOURS[i % SERVER_COLOURS.len()];
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x0, 0.0), (x0 + width * 0.92, mib(*v))],
                    colour.filled(),
                )))
                .map_err(de)?;
        }
    }
    let y = mib(c.maxmemory);
    chart
        .draw_series(DashedLineSeries::new(
            [(0.0, y), (n as f64, y)],
            12,
            8,
            ShapeStyle::from(&MUTED_INK).stroke_width(3),
        ))
        .map_err(de)?;
    Ok(())
}
