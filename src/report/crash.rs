//! How a crash answer is shown: per class, at each moment asked for, the
//! keys and writes a process crash and a power loss would lose; over many
//! random moments, their median, p99 and worst; JSON with the same figures;
//! and a chart of the critical keys at risk over the run. Cache classes are
//! listed apart (they come back cold). Numbers come from the
//! [`CrashReport`]; nothing is recomputed.

use comfy_table::{presets::UTF8_FULL_CONDENSED, CellAlignment, ContentArrangement, Table};
use plotters::coord::Shift;
use plotters::prelude::*;
use serde::Serialize;

use super::charts::frame::{de, frame, mesh_styles, LegendItem};
use super::charts::style::{class_colours, fmt_count, text, TimeUnit, AXIS_DESC_PX, LABEL_PX};
use super::charts::{png_of, svg_of, ChartError};
use super::fmt::{duration_ms, thousands};
use crate::crash::{ClassLoss, CrashKind, CrashPoint, CrashReport};

/// The moments' losses of one kind and class: (median, p99, max) of lost
/// keys and of lost writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Spread {
    /// Moments measured.
    pub moments: u64,
    /// Lost keys: median, 99th percentile, worst.
    pub lost_keys: [u64; 3],
    /// Lost writes: median, 99th percentile, worst.
    pub lost_writes: [u64; 3],
}

fn pick(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i]
}

/// The spread over `points` of `kind` for class `c`.
pub fn spread(points: &[CrashPoint], kind: CrashKind, c: usize) -> Spread {
    let mut keys: Vec<u64> = Vec::new();
    let mut writes: Vec<u64> = Vec::new();
    for p in points {
        if let Some(l) = p.of(kind).1.get(c) {
            keys.push(l.lost_keys);
            writes.push(l.lost_writes);
        }
    }
    keys.sort_unstable();
    writes.sort_unstable();
    let three = |v: &[u64]| [pick(v, 0.5), pick(v, 0.99), v.last().copied().unwrap_or(0)];
    Spread {
        moments: keys.len() as u64,
        lost_keys: three(&keys),
        lost_writes: three(&writes),
    }
}

fn durable_text(d: Option<u64>, t: u64) -> String {
    match d {
        None => "nothing durable".to_string(),
        Some(d) if d >= t => "everything acknowledged".to_string(),
        Some(d) => format!("the last {} lost", duration_ms(t - d)),
    }
}

fn loss_cell(l: &ClassLoss) -> String {
    let rolled = match l.rolled_back_keys {
        0 => String::new(),
        n => format!(" ({} rolled back)", thousands(n)),
    };
    format!(
        "{} of {} keys{rolled}, {} writes",
        thousands(l.lost_keys),
        thousands(l.live_keys),
        thousands(l.lost_writes)
    )
}

fn new_table(head: Vec<&str>) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .force_no_tty()
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(head);
    t
}

/// The terminal report: the moments asked for, then the spread over the
/// sampled moments (`samples`, may be empty).
pub fn table(r: &CrashReport, at: &[CrashPoint], samples: &[CrashPoint]) -> String {
    let mut out = format!(
        "crash of {} under {} (evicted keys are not crash losses), persistence: {}\n",
        r.scenario,
        r.policy,
        r.persistence.describe()
    );
    for p in at {
        out += &format!("\na crash at {}:\n", duration_ms(p.t_ms));
        let mut t = new_table(vec!["class", "process crash (kill -9)", "power loss"]);
        for (c, info) in r.classes.iter().enumerate() {
            let name = if info.critical {
                format!("{} *", info.name)
            } else {
                format!("{} (cache)", info.name)
            };
            let cell = |k: CrashKind| p.of(k).1.get(c).map_or_else(String::new, loss_cell);
            t.add_row(vec![name, cell(CrashKind::Process), cell(CrashKind::Power)]);
        }
        t.add_row(vec![
            "durable".to_string(),
            durable_text(p.of(CrashKind::Process).0, p.t_ms),
            durable_text(p.of(CrashKind::Power).0, p.t_ms),
        ]);
        out += &t.to_string();
        out.push('\n');
    }
    if !samples.is_empty() {
        out += &format!(
            "\nover {} random moments (lost keys / lost writes: median, p99, worst):\n",
            thousands(samples.len() as u64)
        );
        let mut t = new_table(vec![
            "class",
            "process crash: keys",
            "writes",
            "power loss: keys",
            "writes",
        ]);
        for (c, info) in r.classes.iter().enumerate() {
            let name = if info.critical {
                format!("{} *", info.name)
            } else {
                format!("{} (cache)", info.name)
            };
            let three = |v: [u64; 3]| {
                format!(
                    "{} / {} / {}",
                    thousands(v[0]),
                    thousands(v[1]),
                    thousands(v[2])
                )
            };
            let (a, b) = (
                spread(samples, CrashKind::Process, c),
                spread(samples, CrashKind::Power, c),
            );
            t.add_row(vec![
                name,
                three(a.lost_keys),
                three(a.lost_writes),
                three(b.lost_keys),
                three(b.lost_writes),
            ]);
        }
        for i in 1..5 {
            if let Some(col) = t.column_mut(i) {
                col.set_cell_alignment(CellAlignment::Right);
            }
        }
        out += &t.to_string();
        out.push('\n');
    }
    out += &format!(
        "* critical: data with no other copy. Lost keys exist only in memory (written or \
         changed since the durable point); rolled back ones come back in an older state. \
         Cache classes come back cold, not lost. {} snapshot(s) completed in the run.\n",
        r.snapshots.len()
    );
    out
}

#[derive(Serialize)]
struct JsonCrash<'a> {
    scenario: &'a str,
    policy: &'static str,
    persistence: JsonPersistence,
    snapshots: Vec<[u64; 2]>,
    at: Vec<JsonPoint<'a>>,
    samples: Option<JsonSamples<'a>>,
}

#[derive(Serialize)]
struct JsonPersistence {
    save: String,
    appendonly: bool,
    appendfsync: &'static str,
}

#[derive(Serialize)]
struct JsonPoint<'a> {
    t_ms: u64,
    kinds: Vec<JsonKind<'a>>,
}

#[derive(Serialize)]
struct JsonKind<'a> {
    kind: &'static str,
    durable_ms: Option<u64>,
    classes: Vec<JsonClass<'a>>,
}

#[derive(Serialize)]
struct JsonClass<'a> {
    class: &'a str,
    critical: bool,
    live_keys: u64,
    lost_keys: u64,
    rolled_back_keys: u64,
    lost_writes: u64,
}

#[derive(Serialize)]
struct JsonSamples<'a> {
    moments: u64,
    kinds: Vec<JsonSpreadKind<'a>>,
}

#[derive(Serialize)]
struct JsonSpreadKind<'a> {
    kind: &'static str,
    classes: Vec<JsonSpread<'a>>,
}

#[derive(Serialize)]
struct JsonSpread<'a> {
    class: &'a str,
    critical: bool,
    /// median, p99, max
    lost_keys: [u64; 3],
    /// median, p99, max
    lost_writes: [u64; 3],
}

/// Pretty JSON of the crash answer.
pub fn json(
    r: &CrashReport,
    at: &[CrashPoint],
    samples: &[CrashPoint],
) -> Result<Vec<u8>, serde_json::Error> {
    let doc = JsonCrash {
        scenario: &r.scenario,
        policy: r.policy.name(),
        persistence: JsonPersistence {
            save: r.persistence.save_line(),
            appendonly: r.persistence.appendonly,
            appendfsync: r.persistence.appendfsync.name(),
        },
        snapshots: r.snapshots.iter().map(|s| [s.fork_ms, s.done_ms]).collect(),
        at: at
            .iter()
            .map(|p| JsonPoint {
                t_ms: p.t_ms,
                kinds: p
                    .kinds
                    .iter()
                    .map(|(k, d, loss)| JsonKind {
                        kind: k.name(),
                        durable_ms: *d,
                        classes: r
                            .classes
                            .iter()
                            .zip(loss)
                            .map(|(c, l)| JsonClass {
                                class: &c.name,
                                critical: c.critical,
                                live_keys: l.live_keys,
                                lost_keys: l.lost_keys,
                                rolled_back_keys: l.rolled_back_keys,
                                lost_writes: l.lost_writes,
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
        samples: (!samples.is_empty()).then(|| JsonSamples {
            moments: samples.len() as u64,
            kinds: CrashKind::ALL
                .iter()
                .map(|&k| JsonSpreadKind {
                    kind: k.name(),
                    classes: r
                        .classes
                        .iter()
                        .enumerate()
                        .map(|(c, info)| {
                            let s = spread(samples, k, c);
                            JsonSpread {
                                class: &info.name,
                                critical: info.critical,
                                lost_keys: s.lost_keys,
                                lost_writes: s.lost_writes,
                            }
                        })
                        .collect(),
                })
                .collect(),
        }),
    };
    let mut out = serde_json::to_vec_pretty(&doc)?;
    out.push(b'\n');
    Ok(out)
}

/// The chart of critical keys at risk over the run (power loss), one line
/// per critical class, as SVG and PNG.
pub fn chart(r: &CrashReport, timeline: &[CrashPoint]) -> Result<(String, Vec<u8>), ChartError> {
    Ok((
        svg_of(|root| draw(root, r, timeline))?,
        png_of(|root| draw(root, r, timeline))?,
    ))
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    r: &CrashReport,
    timeline: &[CrashPoint],
) -> Result<(), ChartError> {
    let colours = class_colours(&r.classes);
    let critical: Vec<usize> = (0..r.classes.len())
        .filter(|&c| r.classes[c].critical)
        .collect();
    let mut legend = vec![LegendItem::Header("Critical classes".to_string())];
    for &c in &critical {
        legend.push(LegendItem::Line {
            colour: colours[c],
            width: 4,
            dash: None,
            label: r.classes[c].name.clone(),
        });
    }
    legend.push(LegendItem::Gap);
    legend.push(LegendItem::Note(format!(
        "Keys a power loss at that\nmoment would lose for good:\nwritten since the last\ndurable point.\nPersistence: {}.",
        r.persistence.describe().replace(" and ", "\nand ")
    )));
    let plot = frame(
        root,
        "Critical keys at risk over the run",
        &format!(
            "scenario {} · {} · {}",
            r.scenario,
            r.policy,
            r.persistence.describe()
        ),
        &legend,
    )?;
    let unit = TimeUnit::for_span(r.duration_ms);
    let series: Vec<(usize, Vec<(f64, f64)>)> = critical
        .iter()
        .map(|&c| {
            let pts = timeline
                .iter()
                .map(|p| {
                    let l = p.of(CrashKind::Power).1.get(c).map_or(0, |l| l.lost_keys);
                    (p.t_ms as f64 / unit.ms(), l as f64)
                })
                .collect();
            (c, pts)
        })
        .collect();
    let y_max = series
        .iter()
        .flat_map(|(_, s)| s.iter().map(|p| p.1))
        .fold(1.0f64, f64::max)
        * 1.12;
    let x_max = (r.duration_ms as f64 / unit.ms()).max(1e-9);
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
        .y_label_formatter(&|v| fmt_count(*v))
        .x_desc(format!("crash at (simulated {})", unit.symbol()))
        .y_desc("keys lost for good")
        .axis_desc_style(text(AXIS_DESC_PX))
        .label_style(text(LABEL_PX))
        .bold_line_style(grid)
        .light_line_style(TRANSPARENT)
        .axis_style(axis)
        .draw()
        .map_err(de)?;
    for (c, s) in &series {
        chart
            .draw_series(LineSeries::new(
                s.iter().copied(),
                colours[*c].stroke_width(3),
            ))
            .map_err(de)?;
    }
    Ok(())
}
