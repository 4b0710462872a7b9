//! The layout every chart shares: white canvas, title and subtitle on top, a
//! plot area, and a legend column on the right that plotters' own legend box
//! cannot overlap with data. Also category labels under bar groups, and the
//! note drawn where a chart has nothing to show.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::{self, bold, muted, text, INK, LABEL_PX, SMALL_PX, SUBTITLE_PX, TITLE_PX};
use super::ChartError;

/// Turns a plotters error into a [`ChartError`].
pub(crate) fn de<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> ChartError {
    ChartError::Draw(e.to_string())
}

/// One row of a legend.
pub(crate) enum LegendItem {
    /// A bold group heading.
    Header(String),
    /// A filled square of a colour and its label.
    Swatch(RGBColor, String),
    /// A line sample (solid or dashed) of a colour and width, and its label.
    Line {
        /// Line colour.
        colour: RGBColor,
        /// Stroke width in pixels.
        width: u32,
        /// Dash and gap lengths in pixels, or `None` for a solid line.
        dash: Option<(u32, u32)>,
        /// The label.
        label: String,
    },
    /// Small muted text; `\n` starts a new line.
    Note(String),
    /// Vertical space.
    Gap,
}

const SWATCH: i32 = 24;
const ROW: i32 = 34;
const PAD: i32 = 14;

/// Draws the title, subtitle and legend column, and returns the plot area
/// left of the legend.
pub(crate) fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
    legend: &[LegendItem],
) -> Result<DrawingArea<DB, Shift>, ChartError> {
    root.fill(&WHITE).map_err(de)?;
    let top_left = Pos::new(HPos::Left, VPos::Top);
    root.draw_text(title, &bold(TITLE_PX).color(&INK).pos(top_left), (32, 18))
        .map_err(de)?;
    root.draw_text(subtitle, &muted(SUBTITLE_PX).pos(top_left), (34, 70))
        .map_err(de)?;
    let body = root.margin(108, 12, 12, 16);
    let width = legend_width(root, legend)?;
    let (w, _) = body.dim_in_pixel();
    let (plot, legend_area) = body.split_horizontally(w.saturating_sub(width));
    draw_legend(&legend_area, legend)?;
    Ok(plot)
}

/// The width the legend column needs for its longest row.
fn legend_width<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    items: &[LegendItem],
) -> Result<u32, ChartError> {
    let mut w = 0u32;
    for item in items {
        let (s, style) = match item {
            LegendItem::Header(s) => (s.as_str(), bold(LABEL_PX).color(&INK)),
            LegendItem::Swatch(_, s) | LegendItem::Line { label: s, .. } => {
                (s.as_str(), text(LABEL_PX))
            }
            LegendItem::Note(s) => (s.as_str(), muted(SMALL_PX)),
            LegendItem::Gap => continue,
        };
        let indent = match item {
            LegendItem::Swatch(..) | LegendItem::Line { .. } => (SWATCH * 2 + 12) as u32,
            _ => 0,
        };
        for line in s.lines() {
            let (tw, _) = root.estimate_text_size(line, &style).map_err(de)?;
            w = w.max(tw + indent);
        }
    }
    Ok((w + 3 * PAD as u32).clamp(220, 520))
}

/// Draws the legend rows top-down in `area`.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    items: &[LegendItem],
) -> Result<(), ChartError> {
    let left = Pos::new(HPos::Left, VPos::Center);
    let mut y = PAD + ROW / 2;
    for item in items {
        match item {
            LegendItem::Header(s) => {
                area.draw_text(s, &bold(LABEL_PX).color(&INK).pos(left), (PAD, y))
                    .map_err(de)?;
                y += ROW;
            }
            LegendItem::Swatch(c, s) => {
                area.draw(&Rectangle::new(
                    [(PAD, y - SWATCH / 2), (PAD + SWATCH, y + SWATCH / 2)],
                    c.filled(),
                ))
                .map_err(de)?;
                area.draw_text(s, &text(LABEL_PX).pos(left), (PAD + SWATCH + 12, y))
                    .map_err(de)?;
                y += ROW;
            }
            LegendItem::Line {
                colour,
                width,
                dash,
                label,
            } => {
                let pts = vec![(PAD, y), (PAD + 2 * SWATCH, y)];
                let st = colour.stroke_width(*width);
                if let Some((on, off)) = *dash {
                    area.draw(&plotters::element::DashedPathElement::new(pts, on, off, st))
                        .map_err(de)?;
                } else {
                    area.draw(&PathElement::new(pts, st)).map_err(de)?;
                }
                area.draw_text(label, &text(LABEL_PX).pos(left), (PAD + 2 * SWATCH + 12, y))
                    .map_err(de)?;
                y += ROW;
            }
            LegendItem::Note(s) => {
                for line in s.lines() {
                    area.draw_text(line, &muted(SMALL_PX).pos(left), (PAD, y))
                        .map_err(de)?;
                    y += (SMALL_PX * 1.35) as i32;
                }
            }
            LegendItem::Gap => y += ROW / 2,
        }
    }
    Ok(())
}

/// Draws `msg` centred in `area`, for a chart with no data.
pub(crate) fn draw_note<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    msg: &str,
) -> Result<(), ChartError> {
    let (w, h) = area.dim_in_pixel();
    let centre = Pos::new(HPos::Center, VPos::Center);
    let mut y = h as i32 / 2 - (msg.lines().count() as i32 - 1) * 20;
    for line in msg.lines() {
        area.draw_text(line, &muted(28.0).pos(centre), (w as i32 / 2, y))
            .map_err(de)?;
        y += 40;
    }
    Ok(())
}

/// Draws category labels centred at the given x positions, starting at
/// `top` (canvas pixels): one line if every label fits `slot` pixels at the
/// label size, otherwise split after the first `-` and shrunk as needed.
/// Returns the y below the last line.
pub(crate) fn draw_category_labels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    labels: &[(i32, String)],
    top: i32,
    slot: i32,
) -> Result<i32, ChartError> {
    let fits = |px: f64, lines: &[Vec<&str>]| -> Result<bool, ChartError> {
        for ls in lines {
            for l in ls {
                let (w, _) = root.estimate_text_size(l, &text(px)).map_err(de)?;
                if w as i32 > slot - 6 {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    };
    let single: Vec<Vec<&str>> = labels.iter().map(|(_, s)| vec![s.as_str()]).collect();
    let split: Vec<Vec<&str>> = labels
        .iter()
        .map(|(_, s)| match s.split_once('-') {
            Some((a, b)) => vec![a, b],
            None => vec![s.as_str()],
        })
        .collect();
    let mut chosen = (&split, 14.0);
    if fits(LABEL_PX, &single)? {
        chosen = (&single, LABEL_PX);
    } else {
        let mut px = LABEL_PX;
        while px >= 14.0 {
            if fits(px, &split)? {
                chosen = (&split, px);
                break;
            }
            px -= 1.0;
        }
    }
    let (lines, px) = chosen;
    let split_used = std::ptr::eq(lines, &split);
    let top_centre = Pos::new(HPos::Center, VPos::Top);
    let step = (px * 1.2) as i32;
    let mut bottom = top;
    for ((x, _), ls) in labels.iter().zip(lines) {
        let mut y = top;
        for (k, l) in ls.iter().enumerate() {
            // Keep the dash on the first line so the name still reads as one.
            let shown = if split_used && k == 0 && ls.len() > 1 {
                format!("{l}-")
            } else {
                (*l).to_string()
            };
            root.draw_text(&shown, &text(px).pos(top_centre), (*x, y))
                .map_err(de)?;
            y += step;
        }
        bottom = bottom.max(y);
    }
    Ok(bottom)
}

/// Draws an axis description centred at `x` with its top at `top`.
pub(crate) fn draw_axis_desc<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    desc: &str,
    x: i32,
    top: i32,
) -> Result<(), ChartError> {
    root.draw_text(
        desc,
        &text(style::AXIS_DESC_PX).pos(Pos::new(HPos::Center, VPos::Top)),
        (x, top),
    )
    .map_err(de)
}

/// The first of `candidates` (each a set of lines) whose every line is
/// narrower than `width` at `px`, or the last one.
pub(crate) fn first_fitting<'c, DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    candidates: &'c [Vec<String>],
    px: f64,
    width: i32,
) -> Result<&'c [String], ChartError> {
    for c in candidates {
        let mut fits = true;
        for l in c {
            let (w, _) = root.estimate_text_size(l, &text(px)).map_err(de)?;
            fits &= (w as i32) < width;
        }
        if fits {
            return Ok(c);
        }
    }
    Ok(candidates.last().map_or(&[], Vec::as_slice))
}

/// The axis, grid and label styles every cartesian chart uses.
pub(crate) fn mesh_styles() -> (ShapeStyle, ShapeStyle) {
    (
        ShapeStyle::from(&style::GRID).stroke_width(1),
        ShapeStyle::from(&INK).stroke_width(2),
    )
}

/// Legend rows for the classes: critical classes under one heading, cache
/// classes under another, each with its colour and an optional suffix.
pub(crate) fn class_legend(
    classes: &[crate::sim::ClassInfo],
    colours: &[RGBColor],
    shown: impl Fn(usize) -> bool,
    suffix: impl Fn(usize) -> String,
) -> Vec<LegendItem> {
    class_legend_as(classes, colours, shown, suffix, None)
}

/// Like [`class_legend`], with line samples of the given width for the
/// critical and cache classes instead of squares when `lines` is set.
pub(crate) fn class_legend_as(
    classes: &[crate::sim::ClassInfo],
    colours: &[RGBColor],
    shown: impl Fn(usize) -> bool,
    suffix: impl Fn(usize) -> String,
    lines: Option<(u32, u32)>,
) -> Vec<LegendItem> {
    let mut items = Vec::new();
    for (critical, heading) in [(true, "Critical classes"), (false, "Cache classes")] {
        let rows: Vec<LegendItem> = classes
            .iter()
            .enumerate()
            .filter(|(i, c)| c.critical == critical && shown(*i))
            .map(|(i, c)| {
                let label = format!("{}{}", c.name, suffix(i));
                match lines {
                    Some((crit_w, cache_w)) => LegendItem::Line {
                        colour: colours[i],
                        width: if c.critical { crit_w } else { cache_w },
                        dash: None,
                        label,
                    },
                    None => LegendItem::Swatch(colours[i], label),
                }
            })
            .collect();
        if !rows.is_empty() {
            if !items.is_empty() {
                items.push(LegendItem::Gap);
            }
            items.push(LegendItem::Header(heading.to_string()));
            items.extend(rows);
        }
    }
    items
}
