//! One step of a tape as a picture (1600x900): the keyspace as cells
//! coloured by class and fading with idle time, the keys the policy sampled
//! outlined, an evicted key flashing red where it was, the memory bar, and
//! the step's narration beside it. The same drawing gives the SVG of the
//! page, the PNG frames and the GIF.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::tape::{gauge_text, Cell, ClassView, Kind, Tape};
use super::text::{wrap, Style};
use crate::report::charts::frame::de;
use crate::report::charts::style::{self, bold, font, INK, MUTED_INK};
use crate::report::charts::{png_of, rgb_of, svg_of, ChartError, WIDTH};
use crate::sim::ClassInfo;

/// Red of an eviction, a loss or a refusal.
const ALARM: RGBColor = RGBColor(0xC6, 0x28, 0x28);
/// Pale red behind an evicted key.
const ALARM_BG: RGBColor = RGBColor(0xFD, 0xE0, 0xDC);
/// Green of what went right.
const OK: RGBColor = RGBColor(0x1B, 0x7F, 0x3B);
/// Grey of an empty slot.
const EMPTY: RGBColor = RGBColor(0xF2, 0xF2, 0xF2);

/// Idle time at which a cell has faded to its palest.
const FADE_MS: u64 = 60_000;

/// Step `i` of `tape` as an SVG document.
pub fn step_svg(tape: &Tape, i: usize) -> Result<String, ChartError> {
    svg_of(|root| draw_step(root, tape, i))
}

/// Step `i` of `tape` as PNG bytes.
pub fn step_png(tape: &Tape, i: usize) -> Result<Vec<u8>, ChartError> {
    png_of(|root| draw_step(root, tape, i))
}

/// Step `i` of `tape` as RGB pixels, 1600x900.
pub fn step_rgb(tape: &Tape, i: usize) -> Result<Vec<u8>, ChartError> {
    rgb_of(|root| draw_step(root, tape, i))
}

/// The colour of each class, as the report's charts give them.
fn colours(tape: &Tape) -> Vec<RGBColor> {
    let infos: Vec<ClassInfo> = tape
        .classes
        .iter()
        .map(|c| ClassInfo {
            name: c.name.clone(),
            critical: c.critical,
        })
        .collect();
    style::class_colours(&infos)
}

/// `c` mixed with white: `keep` 1.0 is `c`, 0.0 is white.
fn fade(c: RGBColor, keep: f64) -> RGBColor {
    let mix = |v: u8| (255.0 - (255.0 - f64::from(v)) * keep).round() as u8;
    RGBColor(mix(c.0), mix(c.1), mix(c.2))
}

/// Draws step `i` of `tape` on any backend.
pub fn draw_step<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    tape: &Tape,
    i: usize,
) -> Result<(), ChartError> {
    root.fill(&WHITE).map_err(de)?;
    let Some(step) = tape.steps.get(i) else {
        return Ok(());
    };
    let top_left = Pos::new(HPos::Left, VPos::Top);
    root.draw_text(&tape.title, &bold(36.0).color(&INK).pos(top_left), (32, 16))
        .map_err(de)?;
    root.draw_text(
        &format!("{} · {}", tape.variant, tape.settings),
        &font(19.0).color(&MUTED_INK).pos(top_left),
        (34, 62),
    )
    .map_err(de)?;
    root.draw_text(
        &format!("step {} of {}", i + 1, tape.steps.len()),
        &bold(22.0).color(&INK).pos(Pos::new(HPos::Right, VPos::Top)),
        (WIDTH as i32 - 32, 22),
    )
    .map_err(de)?;

    let colours = colours(tape);
    // The keyspace: one panel per instance, side by side.
    let (gx0, gy0, gx1, gy1) = (32, 104, 930, 760);
    let total: usize = tape.slots.iter().sum::<usize>().max(1);
    let mut x = gx0;
    for (region, label) in tape.regions.iter().enumerate() {
        let share = tape.slots[region] as f64 / total as f64;
        let w = if tape.regions.len() == 1 {
            gx1 - gx0
        } else {
            (((gx1 - gx0) as f64) * share).round() as i32 - 12
        };
        let mut top = gy0;
        if !label.is_empty() {
            root.draw_text(label, &bold(22.0).color(&INK).pos(top_left), (x, gy0))
                .map_err(de)?;
            top += 32;
        }
        let cells: Vec<&Cell> = step.cells.iter().filter(|c| c.region == region).collect();
        draw_grid(
            root,
            (x, top, x + w, gy1),
            tape.slots[region].max(1),
            &cells,
            (&colours, &tape.classes),
        )?;
        x += w + 24;
    }

    // The narration.
    let (nx, ny) = (960, 104);
    let mut y = ny;
    let head = format!("{}  {}", clock_words(step.t_ms), step.headline);
    for l in wrap(&head, 44) {
        root.draw_text(
            &l,
            &bold(24.0)
                .color(if step.alarm { &ALARM } else { &INK })
                .pos(top_left),
            (nx, y),
        )
        .map_err(de)?;
        y += 32;
    }
    y += 8;
    for line in step.lines.iter() {
        if y > 740 {
            root.draw_text("…", &font(18.0).color(&MUTED_INK).pos(top_left), (nx, y))
                .map_err(de)?;
            break;
        }
        // One colour per line: the strongest style in it.
        let colour = if line.spans.iter().any(|s| s.style == Style::Bad) {
            ALARM
        } else if line.spans.iter().any(|s| s.style == Style::Good) {
            OK
        } else if line.spans.iter().all(|s| s.style == Style::Dim) {
            MUTED_INK
        } else {
            INK
        };
        let text = line.plain();
        if text.contains('▕') {
            continue; // the gauge is drawn as a bar below
        }
        // The time is in the headline's place already.
        let text = match text.strip_prefix('[') {
            Some(rest) => rest
                .split_once("] ")
                .map_or(text.clone(), |(_, t)| t.to_string()),
            None => text,
        };
        for l in wrap(text.trim(), 58) {
            if y > 740 {
                break;
            }
            root.draw_text(&l, &font(18.0).color(&colour).pos(top_left), (nx, y))
                .map_err(de)?;
            y += 24;
        }
        y += 4;
    }

    // Memory bars.
    let (bx0, bx1) = (32, 930);
    let mut by = 784;
    let bar_h = if step.gauges.len() > 1 { 22 } else { 36 };
    for g in &step.gauges {
        let frac = (g.used.min(g.max) as f64 / g.max.max(1) as f64).clamp(0.0, 1.0);
        root.draw(&Rectangle::new(
            [(bx0, by), (bx1, by + bar_h)],
            EMPTY.filled(),
        ))
        .map_err(de)?;
        let fill = if frac >= 0.999 { ALARM } else { INK };
        let fx = bx0 + ((bx1 - bx0) as f64 * frac).round() as i32;
        root.draw(&Rectangle::new(
            [(bx0, by), (fx, by + bar_h)],
            fill.mix(0.75).filled(),
        ))
        .map_err(de)?;
        root.draw(&Rectangle::new(
            [(bx0, by), (bx1, by + bar_h)],
            INK.stroke_width(2),
        ))
        .map_err(de)?;
        let label = gauge_text(g);
        let words = label.split('▏').nth(1).unwrap_or("").trim().to_string();
        let name = if g.label.is_empty() {
            "memory".to_string()
        } else {
            g.label.clone()
        };
        root.draw_text(
            &format!("{name}: {words}"),
            &font(19.0)
                .color(&INK)
                .pos(Pos::new(HPos::Left, VPos::Center)),
            (bx1 + 16, by + bar_h / 2),
        )
        .map_err(de)?;
        by += bar_h + 10;
    }

    // Legend.
    let mut lx = 32;
    let ly = 862;
    for (c, cv) in tape.classes.iter().enumerate() {
        root.draw(&Rectangle::new(
            [(lx, ly), (lx + 20, ly + 20)],
            colours[c].filled(),
        ))
        .map_err(de)?;
        let label = format!(
            "{}{}",
            cv.name,
            if cv.critical {
                " (critical)"
            } else {
                " (cache)"
            }
        );
        root.draw_text(
            &label,
            &font(18.0)
                .color(&INK)
                .pos(Pos::new(HPos::Left, VPos::Center)),
            (lx + 28, ly + 10),
        )
        .map_err(de)?;
        lx += 40 + 10 * label.len() as i32;
    }
    let key = "pale: idle longer · thick outline: sampled · red: evicted or lost";
    root.draw_text(
        key,
        &font(17.0)
            .color(&MUTED_INK)
            .pos(Pos::new(HPos::Right, VPos::Center)),
        (WIDTH as i32 - 24, ly + 10),
    )
    .map_err(de)?;
    Ok(())
}

/// Draws `slots` cells in the box `(x0, y0, x1, y1)`, filling those in
/// `cells` by their slot.
fn draw_grid<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    (x0, y0, x1, y1): (i32, i32, i32, i32),
    slots: usize,
    cells: &[&Cell],
    (colours, classes): (&[RGBColor], &[ClassView]),
) -> Result<(), ChartError> {
    let (w, h) = (f64::from(x1 - x0), f64::from(y1 - y0));
    let mut cols = ((slots as f64 * w / h / 1.8).sqrt().ceil() as usize).max(1);
    while cols > 1 && w / cols as f64 <= 130.0 {
        cols -= 1;
    }
    let rows = slots.div_ceil(cols).max(1);
    let cw = (w / cols as f64).floor() as i32;
    let ch = ((h / rows as f64).floor() as i32).min(cw * 2 / 3).max(24);
    let gap = 6;
    let small = ch < 56;
    for slot in 0..slots {
        let (r, c) = ((slot / cols) as i32, (slot % cols) as i32);
        let (cx0, cy0) = (x0 + c * cw, y0 + r * ch);
        let (cx1, cy1) = (cx0 + cw - gap, cy0 + ch - gap);
        let cell = cells.iter().find(|x| x.slot == slot);
        let Some(cell) = cell else {
            root.draw(&Rectangle::new([(cx0, cy0), (cx1, cy1)], EMPTY.filled()))
                .map_err(de)?;
            continue;
        };
        let base = colours.get(cell.class).copied().unwrap_or(INK);
        let keep = 1.0 - 0.75 * (cell.idle_ms.min(FADE_MS) as f64 / FADE_MS as f64);
        let (fill, ink) = if cell.evicted {
            (ALARM_BG, ALARM)
        } else if cell.lost {
            (EMPTY, ALARM)
        } else {
            let f = fade(base, keep);
            let dark = u32::from(f.0) * 299 + u32::from(f.1) * 587 + u32::from(f.2) * 114 < 140_000;
            (f, if dark { WHITE } else { INK })
        };
        root.draw(&Rectangle::new([(cx0, cy0), (cx1, cy1)], fill.filled()))
            .map_err(de)?;
        if cell.evicted {
            root.draw(&Rectangle::new(
                [(cx0, cy0), (cx1, cy1)],
                ALARM.stroke_width(5),
            ))
            .map_err(de)?;
            root.draw(&PathElement::new(
                vec![(cx0, cy0), (cx1, cy1)],
                ALARM.stroke_width(2),
            ))
            .map_err(de)?;
            root.draw(&PathElement::new(
                vec![(cx0, cy1), (cx1, cy0)],
                ALARM.stroke_width(2),
            ))
            .map_err(de)?;
        } else if cell.sampled {
            root.draw(&Rectangle::new(
                [(cx0, cy0), (cx1, cy1)],
                INK.stroke_width(5),
            ))
            .map_err(de)?;
        } else if cell.touched {
            root.draw(&Rectangle::new(
                [(cx0 + 2, cy0 + 2), (cx1 - 2, cy1 - 2)],
                base.stroke_width(3),
            ))
            .map_err(de)?;
        }
        if cell.lost {
            root.draw(&Rectangle::new(
                [(cx0, cy0), (cx1, cy1)],
                ALARM.stroke_width(2),
            ))
            .map_err(de)?;
        }
        let mid = (cx0 + cx1) / 2;
        let label_px = if cw < 170 { 15.0 } else { 17.0 };
        let name = shorten(&cell.name, ((cw - 12) as f64 / (label_px * 0.56)) as usize);
        let centre = Pos::new(HPos::Center, VPos::Center);
        if small {
            root.draw_text(
                &name,
                &font(label_px).color(&ink).pos(centre),
                (mid, (cy0 + cy1) / 2),
            )
            .map_err(de)?;
        } else {
            root.draw_text(
                &name,
                &bold(label_px).color(&ink).pos(centre),
                (mid, (cy0 + cy1) / 2 - 10),
            )
            .map_err(de)?;
            // A list's jobs (an aggregate's elements) beside its state.
            let held = if cell.items > 1 {
                let queue = classes
                    .get(cell.class)
                    .is_some_and(|c| c.kind == Kind::Queue);
                format!("{} {} · ", cell.items, if queue { "jobs" } else { "items" })
            } else {
                String::new()
            };
            let sub = if cell.evicted {
                format!("{held}evicted")
            } else if cell.lost {
                format!("{held}gone")
            } else {
                format!("{held}idle {}s", cell.idle_ms / 1000)
            };
            root.draw_text(
                &sub,
                &font(14.0).color(&ink).pos(centre),
                (mid, (cy0 + cy1) / 2 + 12),
            )
            .map_err(de)?;
        }
    }
    Ok(())
}

/// `s` cut to `max` characters with an ellipsis.
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// Simulated time for a caption: `t = 12.4 s`.
fn clock_words(ms: u64) -> String {
    format!("t = {}.{} s", ms / 1000, ms / 100 % 10)
}
