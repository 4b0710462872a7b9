//! The reports of a [`SweepResult`]: a terminal table, JSON and CSV (one row
//! per point), a Markdown report that leads with each policy's smallest
//! safe size, and three charts against `maxmemory` (lost critical reads,
//! hit ratio, refused writes), written together as a report directory.
//! Like the run's reports they only read what the sweep counted, and the
//! same sweep always gives the same bytes.

mod csv;
mod json;
mod markdown;
mod rows;
mod table;

use std::path::{Path, PathBuf};

use super::charts::sweep::{render_sweep_png, render_sweep_svg, SweepChart};
use super::fmt::{bytes, duration_ms, plural, thousands};
use super::story::{redis_size, run_command, shell_word, trace_options};
use super::{ReportError, WriteError};
use crate::model::PolicyKind;
use crate::provenance::Provenance;
use crate::sweep::{Spacing, SweepResult};

/// What a sweep can be printed as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SweepFormat {
    /// A UTF-8 table for a terminal, one row per policy and size, with
    /// where each policy becomes safe.
    Table,
    /// Pretty JSON: every point and the smallest safe sizes, no floats.
    Json,
    /// CSV with one row per (size, policy, seed) point.
    Csv,
    /// The Markdown report, verdict first, charts as images beside it.
    Markdown,
}

impl SweepFormat {
    /// Every format, in the order a report directory lists them.
    pub const ALL: [SweepFormat; 4] = [
        SweepFormat::Markdown,
        SweepFormat::Json,
        SweepFormat::Csv,
        SweepFormat::Table,
    ];

    /// The file a report directory holds it in.
    pub fn file_name(self) -> &'static str {
        match self {
            SweepFormat::Table => "table.txt",
            SweepFormat::Json => "results.json",
            SweepFormat::Csv => "results.csv",
            SweepFormat::Markdown => "report.md",
        }
    }
}

/// Renders a sweep in a format.
pub fn export_sweep(format: SweepFormat, r: &SweepResult) -> Result<Vec<u8>, ReportError> {
    Ok(match format {
        SweepFormat::Table => table::render(r).into_bytes(),
        SweepFormat::Json => json::render(r)?,
        SweepFormat::Csv => csv::render(r).into_bytes(),
        SweepFormat::Markdown => markdown::render(r).into_bytes(),
    })
}

/// Writes a sweep's report directory (created if missing): `report.md`
/// first, `results.json`, `results.csv`, `table.txt` and each chart as PNG
/// and SVG. Everything is rendered in memory before the first file is
/// written, and each file is written atomically; returns the paths.
pub fn write_sweep_dir(dir: &Path, r: &SweepResult) -> Result<Vec<PathBuf>, WriteError> {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for format in SweepFormat::ALL {
        files.push((format.file_name().to_string(), export_sweep(format, r)?));
    }
    for chart in SweepChart::ALL {
        let err = |source| ReportError::SweepChart {
            chart: chart.file_stem(),
            source,
        };
        let png = render_sweep_png(chart, r).map_err(err)?;
        let svg = render_sweep_svg(chart, r).map_err(err)?;
        files.push((format!("{}.png", chart.file_stem()), png));
        files.push((format!("{}.svg", chart.file_stem()), svg.into_bytes()));
    }
    super::write_files(dir, &files)
}

/// The command that reruns the sweep, if a command can.
pub(crate) fn command(r: &SweepResult) -> Option<String> {
    let range = format!(
        "{}..{}",
        redis_size(r.grid.range.from),
        redis_size(r.grid.range.to)
    );
    let spacing = match r.grid.spacing {
        Spacing::Steps(n) => format!("--steps {n}"),
        Spacing::Step(s) => format!("--step {}", redis_size(s)),
    };
    let seed = r.runs.first().map_or(0, |s| s.seed);
    let mut cmd = match &r.source {
        Provenance::Library => return None,
        Provenance::Scenario { path } => format!(
            "evictsim sweep {} --maxmemory {range} {spacing} --seed {seed}",
            shell_word(path)
        ),
        Provenance::Trace(tp) => format!(
            "evictsim sweep --trace {} --trace-format {} --maxmemory {range} {spacing}{} --seed {seed}",
            shell_word(&tp.path),
            tp.format,
            trace_options(tp, &r.instance),
        ),
    };
    cmd += &shards_flag(r);
    if r.runs.len() > 1 {
        cmd += &format!(" --seeds {}", r.runs.len());
    }
    if r.phase_offsets_ms.len() > 1 {
        cmd += &format!(" --phases {}", r.phase_offsets_ms.len());
    }
    for p in &r.policies {
        cmd.push_str(" --policy ");
        cmd.push_str(p.name());
    }
    if let Some(fs) = &r.find_safe {
        cmd += &format!(" --find-safe --resolution {}", redis_size(fs.resolution));
    }
    Some(cmd)
}

/// The command that reruns one point as a single run; with phases, the
/// run at every phase, whose figures include the point's.
pub(crate) fn point_command(
    r: &SweepResult,
    size: u64,
    seed: u64,
    policy: PolicyKind,
) -> Option<String> {
    let cmd = run_command(
        &r.source,
        &r.instance,
        seed,
        size,
        &[policy],
        &shards_flag(r),
    )?;
    Some(match r.phase_offsets_ms.len() {
        n if n > 1 => format!("{cmd} --phases {n}"),
        _ => cmd,
    })
}

/// ` --shards N` when the sweep ran on an even cluster (which may have come
/// from the flag), else nothing: an explicit slot map can only come from
/// the scenario file, which the command reads again.
fn shards_flag(r: &SweepResult) -> String {
    match r.cluster.as_ref().filter(|c| c.is_even()) {
        Some(c) => format!(" --shards {}", c.shards()),
        None => String::new(),
    }
}

/// A policy's name in a report; a reference says so.
pub(crate) fn policy_label(p: PolicyKind) -> String {
    if p.is_reference() {
        format!("{} (ref)", p.name())
    } else {
        p.name().to_string()
    }
}

/// What was swept, in one line.
pub(crate) fn header_line(r: &SweepResult) -> String {
    let ops: Vec<u64> = r.runs.iter().map(|s| s.ops).collect();
    let (lo, hi) = (
        ops.iter().min().copied().unwrap_or(0),
        ops.iter().max().copied().unwrap_or(0),
    );
    let ops = if lo == hi {
        thousands(lo)
    } else {
        format!("{}-{}", thousands(lo), thousands(hi))
    };
    let seeds = match r.runs.as_slice() {
        [one] => format!("seed {}", one.seed),
        [first, .., last] => format!("seeds {}-{}", first.seed, last.seed),
        [] => "no seed".to_string(),
    };
    format!(
        "{} {}, maxmemory {} to {}{} in {} {}, {} {}, {seeds}, {ops} ops over {}",
        if r.source.trace().is_some() {
            "trace"
        } else {
            "scenario"
        },
        r.scenario,
        bytes(r.grid.range.from),
        bytes(r.grid.range.to),
        match &r.cluster {
            Some(c) => format!(
                " per shard ({} {})",
                c.shards(),
                plural(c.shards() as u64, "shard", "shards")
            ),
            None => String::new(),
        },
        r.sizes.len(),
        plural(r.sizes.len() as u64, "size", "sizes"),
        r.policies.len(),
        plural(r.policies.len() as u64, "policy", "policies"),
        duration_ms(r.runs.first().map_or(0, |s| s.simulated_ms)),
    )
}

/// Over which runs a size is judged safe, for sentences: `None` for one
/// seed at one phase, else `under every seed`, `at every start phase` or
/// `under every seed at every start phase`.
pub(crate) fn safe_scope(r: &SweepResult) -> Option<&'static str> {
    match (r.runs.len() > 1, r.phase_offsets_ms.len() > 1) {
        (false, false) => None,
        (true, false) => Some("under every seed"),
        (false, true) => Some("at every start phase"),
        (true, true) => Some("under every seed at every start phase"),
    }
}

/// The heading of the safe column: `safe`, `safe (all seeds)` or, with
/// start phases, `safe (all runs)`.
pub(crate) fn safe_heading(r: &SweepResult) -> &'static str {
    match (r.runs.len() > 1, r.phase_offsets_ms.len() > 1) {
        (false, false) => "safe",
        (true, false) => "safe (all seeds)",
        (_, true) => "safe (all runs)",
    }
}

/// How several seeds (or start phases) are folded into one row, or `None`
/// for one seed at one phase.
pub(crate) fn seeds_note(r: &SweepResult) -> Option<String> {
    let phases = r.phase_offsets_ms.len();
    if phases > 1 {
        let offsets: Vec<String> = r
            .phase_offsets_ms
            .iter()
            .map(|&o| crate::report::story::offset(o))
            .collect();
        return Some(format!(
            "counts: the worst of {} runs ({} {} x {phases} start phases of the minute, +{}); \
             hit ratios: hits over reads summed over them; safe: {}",
            r.runs.len() * phases,
            r.runs.len(),
            if r.runs.len() == 1 { "seed" } else { "seeds" },
            offsets.join(", +"),
            safe_scope(r).unwrap_or("in every run"),
        ));
    }
    (r.runs.len() > 1).then(|| {
        let seeds: Vec<String> = r.runs.iter().map(|s| s.seed.to_string()).collect();
        format!(
            "counts: the worst of {} seeds ({}); hit ratios: hits over reads summed over the seeds; \
             safe: under every seed",
            r.runs.len(),
            seeds.join(", ")
        )
    })
}

/// The peak with no `maxmemory`, the highest over the seeds, in a sentence.
pub(crate) fn unbounded_line(r: &SweepResult) -> String {
    match r.runs.iter().max_by_key(|s| s.unbounded_peak_memory) {
        Some(s) => format!(
            "with no maxmemory {} used memory peaks at {}{}; Redis checks the limit \
             counting each command's own arguments too, so a policy may still evict a little above it",
            if r.cluster.is_some() {
                "the fullest shard's"
            } else {
                "the workload's"
            },
            bytes(s.unbounded_peak_memory),
            if r.runs.len() > 1 {
                format!(" (seed {})", s.seed)
            } else {
                String::new()
            }
        ),
        None => String::new(),
    }
}
