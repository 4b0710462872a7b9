//! A server comparison (`compare-servers`) as a person reads it: the
//! sentence per server, the memory to lose nothing, each policy at the
//! scenario's `maxmemory`, each policy's smallest safe `maxmemory` per
//! server; as a terminal table, Markdown (with the chart) and JSON.

use comfy_table::{presets::UTF8_FULL_CONDENSED, CellAlignment, ContentArrangement, Table};
use serde::Serialize;

use crate::report::fmt::{bytes, thousands};
use crate::servers::ServerComparison;

/// The chart's file stem in a report directory.
pub const CHART_STEM: &str = "safe-maxmemory-by-server";

fn server_name(c: &ServerComparison, i: usize) -> String {
    let l = c.servers[i].layout;
    format!("{} ({})", l.server.label(), l.allocator.name())
}

fn safe_text(v: Option<u64>) -> String {
    v.map_or_else(|| "none in range".to_string(), bytes)
}

/// The header line: what was compared.
fn header(c: &ServerComparison) -> String {
    format!(
        "compare-servers {}: seed {}, maxmemory {}, {} policies on {} servers; safe sizes to {}",
        c.scenario,
        c.seed,
        bytes(c.maxmemory),
        c.policies.len(),
        c.servers.len(),
        bytes(c.resolution)
    )
}

fn tables(c: &ServerComparison) -> (Table, Table, Table) {
    let preset = |t: &mut Table| {
        t.load_preset(UTF8_FULL_CONDENSED)
            .force_no_tty()
            .set_content_arrangement(ContentArrangement::Disabled);
    };
    let mut lose = Table::new();
    preset(&mut lose);
    lose.set_header(vec!["server", "memory to lose nothing", "vs first"]);
    let base = c.servers.first().map_or(0, |s| s.unbounded_peak_memory);
    for (i, s) in c.servers.iter().enumerate() {
        let d = s.unbounded_peak_memory as i64 - base as i64;
        let pct = if base == 0 {
            0.0
        } else {
            d as f64 * 100.0 / base as f64
        };
        lose.add_row(vec![
            server_name(c, i),
            bytes(s.unbounded_peak_memory),
            if i == 0 {
                "-".to_string()
            } else {
                format!(
                    "{}{} ({pct:+.1}%)",
                    if d < 0 { "-" } else { "+" },
                    bytes(d.unsigned_abs())
                )
            },
        ]);
    }
    let mut at = Table::new();
    preset(&mut at);
    at.set_header(vec![
        "server",
        "policy",
        "critical keys\nevicted",
        "lost critical\nreads",
        "critical\nrefused",
        "hit\nratio",
    ]);
    for (i, s) in c.servers.iter().enumerate() {
        for (j, p) in s.at_maxmemory.iter().enumerate() {
            let ct = &p.critical_totals;
            at.add_row(vec![
                if j == 0 {
                    server_name(c, i)
                } else {
                    String::new()
                },
                p.policy.name().to_string(),
                thousands(ct.evicted_distinct),
                thousands(ct.lost_reads),
                thousands(ct.oom_rejected),
                hit_ratio(p.totals.hits, p.totals.reads),
            ]);
        }
    }
    let mut safe = Table::new();
    preset(&mut safe);
    let mut head = vec!["policy".to_string()];
    head.extend((0..c.servers.len()).map(|i| server_name(c, i)));
    safe.set_header(head);
    for (k, &policy) in c.policies.iter().enumerate() {
        let mut row = vec![policy.name().to_string()];
        for s in &c.servers {
            row.push(safe_text(
                s.safe.policies.get(k).and_then(|p| p.maxmemory_bytes),
            ));
        }
        safe.add_row(row);
    }
    for t in [&mut lose, &mut at, &mut safe] {
        for col in t.column_iter_mut().skip(1) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
    (lose, at, safe)
}

fn hit_ratio(hits: u64, reads: u64) -> String {
    if reads == 0 {
        "-".to_string()
    } else {
        format!("{:.1}%", hits as f64 * 100.0 / reads as f64)
    }
}

/// The sentences, one per server after the first.
fn sentences(c: &ServerComparison) -> Vec<String> {
    (1..c.servers.len())
        .filter_map(|i| c.sentence(i))
        .map(|s| {
            let mut chars = s.chars();
            chars
                .next()
                .map_or(String::new(), |f| f.to_uppercase().chain(chars).collect())
                + "."
        })
        .collect()
}

/// The comparison for a terminal.
pub fn render_text(c: &ServerComparison) -> String {
    let (lose, at, safe) = tables(c);
    let mut out = header(c) + "\n";
    for s in sentences(c) {
        out += &s;
        out.push('\n');
    }
    out += &format!("\nMemory to lose nothing (used_memory's peak with no maxmemory):\n{lose}\n");
    out += &format!(
        "\nAt the scenario's maxmemory ({}):\n{at}\n",
        bytes(c.maxmemory)
    );
    out += &format!(
        "\nSmallest safe maxmemory (no critical key evicted while live, no critical write refused):\n{safe}\n"
    );
    out
}

/// The comparison as Markdown, with the chart.
pub fn render_markdown(c: &ServerComparison) -> String {
    let (lose, at, safe) = tables(c);
    let mut out = format!("# Which server? {}\n\n{}\n\n", c.scenario, header(c));
    for s in sentences(c) {
        out += &format!("**{s}**\n\n");
    }
    out += &format!("![Smallest safe maxmemory by server]({CHART_STEM}.svg)\n\n");
    out += "## Memory to lose nothing\n\nused_memory's peak with no maxmemory.\n\n```\n";
    out += &format!(
        "{lose}\n```\n\n## At the scenario's maxmemory ({})\n\n```\n",
        bytes(c.maxmemory)
    );
    out += &format!("{at}\n```\n\n## Smallest safe maxmemory\n\nNo critical key evicted while live and no critical write refused.\n\n```\n{safe}\n```\n");
    out
}

#[derive(Serialize)]
struct JsonServer {
    server: &'static str,
    allocator: &'static str,
    memory_to_lose_nothing: u64,
    at_maxmemory: Vec<JsonAt>,
    smallest_safe_maxmemory: Vec<JsonSafe>,
}

#[derive(Serialize)]
struct JsonAt {
    policy: &'static str,
    /// Distinct critical keys evicted while live (the run table's figure).
    critical_evicted: u64,
    lost_critical_reads: u64,
    critical_refused: u64,
    hits: u64,
    reads: u64,
}

#[derive(Serialize)]
struct JsonSafe {
    policy: &'static str,
    maxmemory_bytes: Option<u64>,
}

#[derive(Serialize)]
struct JsonComparison<'a> {
    scenario: &'a str,
    seed: u64,
    maxmemory_bytes: u64,
    resolution_bytes: u64,
    sentences: Vec<String>,
    servers: Vec<JsonServer>,
}

/// The comparison as pretty JSON.
pub fn render_json(c: &ServerComparison) -> String {
    let j = JsonComparison {
        scenario: &c.scenario,
        seed: c.seed,
        maxmemory_bytes: c.maxmemory,
        resolution_bytes: c.resolution,
        sentences: sentences(c),
        servers: c
            .servers
            .iter()
            .map(|s| JsonServer {
                server: s.layout.server.name(),
                allocator: s.layout.allocator.name(),
                memory_to_lose_nothing: s.unbounded_peak_memory,
                at_maxmemory: s
                    .at_maxmemory
                    .iter()
                    .map(|p| JsonAt {
                        policy: p.policy.name(),
                        critical_evicted: p.critical_totals.evicted_distinct,
                        lost_critical_reads: p.critical_totals.lost_reads,
                        critical_refused: p.critical_totals.oom_rejected,
                        hits: p.totals.hits,
                        reads: p.totals.reads,
                    })
                    .collect(),
                smallest_safe_maxmemory: s
                    .safe
                    .policies
                    .iter()
                    .map(|p| JsonSafe {
                        policy: p.policy.name(),
                        maxmemory_bytes: p.maxmemory_bytes,
                    })
                    .collect(),
            })
            .collect(),
    };
    let mut s = serde_json::to_string_pretty(&j).expect("plain data serialises");
    s.push('\n');
    s
}
