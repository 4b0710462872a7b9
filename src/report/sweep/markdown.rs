//! A sweep's Markdown report: the verdict first (each policy's smallest safe
//! size and its hit ratio there, or where it became safe on the grid), then
//! the three charts, every (policy, size) row, how the search works, and
//! the commands that rerun the sweep and any one point. Built with the run
//! report's document model and spelled by its Markdown renderer.

use super::rows::{cache_hit_ratio, evidence, exact, hit_ratio, pooled, rows, safe_on_grid, Row};
use super::{command, header_line, point_command, policy_label, seeds_note, unbounded_line};
use crate::report::charts::sweep::SweepChart;
use crate::report::doc::{b, c, t, Block, Document, Row as DocRow, Table, Tone};
use crate::report::fmt::{bytes, thousands};
use crate::report::markdown;
use crate::sweep::{SafeSize, SweepResult};

/// The report as Markdown.
pub(crate) fn render(r: &SweepResult) -> String {
    markdown::render(&document(r))
}

fn document(r: &SweepResult) -> Document {
    let rows = rows(r);
    let mut blocks = vec![Block::Para(vec![t(header_line(r))])];
    blocks.push(h2("Verdict", "verdict"));
    match &r.find_safe {
        Some(fs) => blocks.extend(found(r, &fs.policies, fs.resolution)),
        None => blocks.extend(grid_only(r, &rows)),
    }
    blocks.push(Block::Para(vec![t(sentence(&unbounded_line(r)))]));
    blocks.push(h2("Against maxmemory", "charts"));
    for chart in SweepChart::ALL {
        blocks.push(Block::Image {
            alt: chart.title().to_string(),
            file: format!("{}.png", chart.file_stem()),
        });
    }
    blocks.push(h2("Every size", "sizes"));
    blocks.push(Block::Table(size_table(&rows, super::safe_heading(r))));
    let mut legend =
        "Critical keys evicted counts distinct keys of critical classes evicted while \
                      live; critical refused, the writes to critical classes refused with -OOM. \
                      A size is safe when both are zero."
            .to_string();
    if let Some(note) = seeds_note(r) {
        legend += &format!(" {}.", capitalise(&note));
    }
    blocks.push(Block::Para(vec![t(legend)]));
    if r.find_safe.is_some() {
        blocks.push(h2("How the smallest safe size is found", "search"));
        blocks.push(Block::Para(vec![t(
            "From the top of the range down, the lowest grid size of the run of safe sizes that \
             reaches the top is taken (a safe size below an unsafe one is noted, never taken); \
             between it and the unsafe grid size below it, the multiples of the resolution are \
             bisected, which assumes safety changes only once between two neighbouring grid \
             sizes (the sampled policies draw random keys, so near the threshold it need not). \
             The answer and the size one resolution below it were both run under every seed \
             (below: until one seed was unsafe); only the sizes the bisection skipped are \
             inferred.",
        )]));
    }
    blocks.push(h2("Settings that produced this report", "settings"));
    if let Some(cmd) = command(r) {
        blocks.push(Block::Para(vec![t("Rerun the sweep:")]));
        blocks.push(Block::Code(cmd));
        if let Some(example) = example_point(r) {
            blocks.push(Block::Para(vec![t(
                "Every point is exactly the single run of its size, seed and policy, for example:",
            )]));
            blocks.push(Block::Code(example));
        }
    }
    Document {
        title: format!("Capacity sweep: {}", r.scenario),
        blocks,
    }
}

fn h2(text: &str, id: &'static str) -> Block {
    Block::Heading {
        level: 2,
        text: text.to_string(),
        id,
    }
}

/// The verdict with `--find-safe`.
fn found(r: &SweepResult, policies: &[SafeSize], resolution: u64) -> Vec<Block> {
    let scope = match (r.runs.len() > 1, r.phase_offsets_ms.len()) {
        (true, 1) => format!("under every one of {} seeds", r.runs.len()),
        (false, 1) => "for this seed".to_string(),
        (true, n) => format!(
            "under every one of {} seeds at every one of {n} start phases of the minute",
            r.runs.len()
        ),
        (false, n) => format!("at every one of {n} start phases of the minute"),
    };
    let mut out = vec![Block::Para(vec![t(format!(
        "The smallest maxmemory at which each policy evicts no critical key while it is live and \
         refuses no write to a critical class, {scope}, searched to {}:",
        bytes(resolution)
    ))])];
    let mut table = Table {
        head: vec![
            "policy",
            "smallest safe maxmemory",
            "hit ratio there",
            "cache hit ratio there",
            "checked one resolution below",
        ]
        .into_iter()
        .map(Into::into)
        .collect(),
        numeric: vec![false, true, true, true, false],
        rows: Vec::new(),
    };
    for s in policies {
        let cells = match s.maxmemory_bytes {
            Some(size) => vec![
                vec![c(policy_label(s.policy))],
                vec![b(exact(size))],
                vec![t(pooled(&s.points, hit_ratio).percent())],
                vec![t(pooled(&s.points, cache_hit_ratio).percent())],
                vec![t(evidence(r, s))],
            ],
            None => vec![
                vec![c(policy_label(s.policy))],
                vec![b("none")],
                vec![t("-")],
                vec![t("-")],
                vec![t(evidence(r, s))],
            ],
        };
        table.rows.push(DocRow {
            tone: if s.maxmemory_bytes.is_some() {
                Tone::Safe
            } else {
                Tone::Danger
            },
            cells,
        });
    }
    out.push(Block::Table(table));
    let judged = || policies.iter().filter(|s| !s.policy.is_reference());
    let cheapest = judged()
        .filter_map(|s| s.maxmemory_bytes.map(|m| (m, s)))
        .min_by(|(a, x), (b, y)| {
            a.cmp(b)
                .then_with(|| pooled(&y.points, hit_ratio).compare(&pooled(&x.points, hit_ratio)))
        });
    if let Some((size, s)) = cheapest {
        out.push(Block::Para(vec![
            t("Safe for the least memory: "),
            c(s.policy.name()),
            t(" at "),
            b(exact(size)),
            t(format!(
                ", with a hit ratio of {} there.",
                pooled(&s.points, hit_ratio).percent()
            )),
        ]));
    }
    let never: Vec<&SafeSize> = judged().filter(|s| s.maxmemory_bytes.is_none()).collect();
    if !never.is_empty() {
        let mut spans = vec![t(format!(
            "Not safe anywhere up to {}: ",
            bytes(r.grid.range.to)
        ))];
        for (i, s) in never.iter().enumerate() {
            if i > 0 {
                spans.push(t(if i + 1 == never.len() { " and " } else { ", " }));
            }
            spans.push(c(s.policy.name()));
            if let Some(p) = &s.unsafe_at_top {
                spans.push(t(format!(" ({})", super::rows::unsafe_figures(p))));
            }
        }
        spans.push(t("."));
        out.push(Block::Para(spans));
    }
    out
}

/// The verdict without `--find-safe`: where each policy is safe on the grid.
fn grid_only(r: &SweepResult, rows: &[Row]) -> Vec<Block> {
    let mut table = Table {
        head: vec!["policy", "safe on the grid from", "hit ratio there"]
            .into_iter()
            .map(Into::into)
            .collect(),
        numeric: vec![false, true, true],
        rows: Vec::new(),
    };
    for &p in &r.policies {
        let at = safe_on_grid(rows, p);
        let hit = at
            .and_then(|size| rows.iter().find(|x| x.policy == p && x.size == size))
            .map_or("-".to_string(), |x| x.hit_ratio.percent());
        table.rows.push(DocRow {
            tone: if at.is_some() {
                Tone::Safe
            } else {
                Tone::Danger
            },
            cells: vec![
                vec![c(policy_label(p))],
                vec![b(at.map_or_else(|| "not safe".to_string(), bytes))],
                vec![t(hit)],
            ],
        });
    }
    vec![
        Block::Para(vec![t(
            "The smallest grid size from which each policy evicts no critical key while it is \
             live and refuses no write to a critical class, at that size and every larger one \
             (--find-safe searches between the grid's sizes):",
        )]),
        Block::Table(table),
    ]
}

fn size_table(rows: &[Row], safe: &'static str) -> Table {
    let mut table = Table {
        head: vec![
            "policy",
            "maxmemory",
            "critical keys evicted",
            "lost critical reads",
            "critical refused",
            "refused writes",
            "hit ratio",
            "cache hit ratio",
            safe,
        ]
        .into_iter()
        .map(Into::into)
        .collect(),
        numeric: vec![false, true, true, true, true, true, true, true, false],
        rows: Vec::new(),
    };
    for row in rows {
        let n = |v: u64| vec![t(thousands(v))];
        table.rows.push(DocRow {
            tone: if row.safe { Tone::Safe } else { Tone::Plain },
            cells: vec![
                vec![c(policy_label(row.policy))],
                vec![t(bytes(row.size))],
                n(row.critical_keys_evicted.max),
                n(row.lost_critical_reads.max),
                n(row.critical_refused.max),
                n(row.refused_writes.max),
                vec![t(row.hit_ratio.percent())],
                vec![t(row.cache_hit_ratio.percent())],
                vec![t(if row.safe { "yes" } else { "no" })],
            ],
        });
    }
    table
}

/// A point's own command: the first policy's answer, or the first point.
fn example_point(r: &SweepResult) -> Option<String> {
    let (size, seed, policy) = r
        .find_safe
        .as_ref()
        .and_then(|fs| {
            fs.policies.iter().find_map(|s| {
                s.points
                    .first()
                    .map(|p| (p.maxmemory_bytes, p.seed, p.policy))
            })
        })
        .or_else(|| {
            r.points
                .first()
                .map(|p| (p.maxmemory_bytes, p.seed, p.policy))
        })?;
    point_command(r, size, seed, policy)
}

fn sentence(s: &str) -> String {
    format!("{}.", capitalise(s))
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(f) => f.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
