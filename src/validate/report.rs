//! A validation for people (a table per policy, real beside simulated, and
//! the verdict of each check) and for programs (JSON holding, per policy
//! and class, the `real` and `simulated` counters under the names `run`'s
//! JSON uses).

use super::compare::Check;
use super::compare::{critical_totals, diff_text};
use super::replay::{Pace, ServerReport};
use super::{PolicyValidation, Validation};
use crate::metrics::{Counters, Metrics};
use crate::report::fmt::{bytes, duration_ms, percent, thousands};
use crate::report::json::JsonHistogram;
use crate::sim::ClassInfo;
use comfy_table::{presets::UTF8_FULL_CONDENSED, CellAlignment, ContentArrangement, Table};
use serde::Serialize;

/// The terminal rendering, in pieces so each policy prints as it finishes.
#[derive(Clone, Copy, Debug, Default)]
pub struct ValidationTable;

impl ValidationTable {
    /// What is validated, and what the speed distorts.
    pub fn header(v: &Validation) -> String {
        let mut out = format!(
            "validate {}: maxmemory {}, seed {}, {} simulated",
            v.scenario,
            bytes(v.maxmemory_bytes),
            v.seed,
            duration_ms(v.scenario_ms),
        );
        if v.speed != 1.0 {
            out += &format!(
                " at speed {} = {} real per policy",
                v.speed,
                duration_ms(v.real_ms)
            );
        }
        out.push('\n');
        for n in &v.notes {
            out += &format!("  note: {n}\n");
        }
        out
    }

    /// One policy: the side-by-side table, what the server reported, and
    /// the checks.
    pub fn policy(v: &Validation, p: &PolicyValidation) -> String {
        let r = &p.real;
        let mut out = format!(
            "\n{} on {}\n  replay: {} ops, {} commands in {} pipelines over {} ({}/s); {} of {} ticks late by > {} ms, max lag {} ms{}\n",
            p.policy,
            p.server,
            thousands(r.pace.ops),
            thousands(r.pace.commands),
            thousands(r.pace.pipelines),
            duration_ms(r.pace.wall_ms),
            thousands(r.pace.commands_per_sec()),
            thousands(r.pace.late_ticks),
            thousands(r.pace.ticks),
            super::replay::LATE_MS,
            r.pace.max_lag_ms,
            if r.pace.other_errors > 0 {
                format!("; {} error replies", thousands(r.pace.other_errors))
            } else {
                String::new()
            },
        );
        out += &table(&v.classes, &r.metrics, &p.simulated).to_string();
        out.push('\n');
        let s = &r.server;
        let sim_totals = p.simulated.totals();
        out += &format!(
            "  server: evicted_keys {} ({} events{}), expired_keys {} (model {}); peak used_memory {} (model {})\n",
            thousands(s.evicted_keys),
            thousands(s.evicted_events),
            if s.unknown_evictions > 0 {
                format!(", {} of unknown keys", thousands(s.unknown_evictions))
            } else {
                String::new()
            },
            thousands(s.expired_keys),
            thousands(sim_totals.expired),
            bytes(s.used_memory_peak),
            bytes(p.simulated.peak_used_memory),
        );
        out += &format!(
            "  model given the server's memory outside its keys: used_memory with no key and no client buffer {}, plus client buffers as sampled every {} ms (mem_clients_normal {} at connect, {} on average){}\n",
            thousands(s.baseline_without_clients()),
            super::replay::INFO_EVERY_MS,
            thousands(s.baseline_client_memory),
            thousands(s.mean_client_memory()),
            if s.unconfirmed_misses > 0 {
                format!(
                    "; {} misses of keys believed present had no eviction event (not counted)",
                    thousands(s.unconfirmed_misses)
                )
            } else {
                String::new()
            },
        );
        for c in &p.checks {
            out += &format!(
                "  {:<4}  {:<28} real {:>10}  sim {:>10}  {:>7}  (tolerance {:.0}%, or <= {})\n",
                if c.ok { "ok" } else { "FAIL" },
                c.what,
                thousands(c.real),
                thousands(c.simulated),
                diff_text(c.real, c.simulated),
                c.tolerance * 100.0,
                super::compare::ABSOLUTE_FLOOR,
            );
        }
        out += &format!(
            "  {}: {}\n",
            p.policy,
            if p.ok() {
                "model within tolerance"
            } else {
                "MODEL OUTSIDE TOLERANCE"
            }
        );
        out
    }

    /// The verdict over every policy.
    pub fn footer(v: &Validation) -> String {
        let good = v.policies.iter().filter(|p| p.ok()).count();
        let bad: Vec<&str> = v
            .policies
            .iter()
            .filter(|p| !p.ok())
            .map(|p| p.policy.name())
            .collect();
        let mut out = format!(
            "\nvalidation: {good} of {} policies within tolerance",
            v.policies.len()
        );
        if !bad.is_empty() {
            out += &format!(" (outside: {})", bad.join(", "));
        }
        out.push('\n');
        out
    }

    /// The whole validation at once.
    pub fn render(v: &Validation) -> String {
        let mut out = Self::header(v);
        for p in &v.policies {
            out += &Self::policy(v, p);
        }
        out += &Self::footer(v);
        out
    }
}

fn hit_ratio(c: &Counters) -> String {
    percent(c.hits, c.reads)
}

fn table(classes: &[ClassInfo], real: &Metrics, sim: &Metrics) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .force_no_tty()
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(vec![
            "class",
            "evicted\nreal",
            "evicted\nsim",
            "\ndiff",
            "lost reads\nreal",
            "lost reads\nsim",
            "\ndiff",
            "refused\nreal",
            "refused\nsim",
            "\ndiff",
            "hit ratio\nreal",
            "hit ratio\nsim",
        ]);
    let row = |name: String, r: &Counters, s: &Counters| {
        vec![
            name,
            thousands(r.evicted),
            thousands(s.evicted),
            diff_text(r.evicted, s.evicted),
            thousands(r.lost_reads),
            thousands(s.lost_reads),
            diff_text(r.lost_reads, s.lost_reads),
            thousands(r.oom_rejected),
            thousands(s.oom_rejected),
            diff_text(r.oom_rejected, s.oom_rejected),
            hit_ratio(r),
            hit_ratio(s),
        ]
    };
    for ((info, r), s) in classes.iter().zip(&real.classes).zip(&sim.classes) {
        let name = if info.critical {
            format!("{} *", info.name)
        } else {
            info.name.clone()
        };
        t.add_row(row(name, &r.counters, &s.counters));
    }
    t.add_row(row(
        "critical (*)".into(),
        &critical_totals(classes, real),
        &critical_totals(classes, sim),
    ));
    t.add_row(row("all".into(), &real.totals(), &sim.totals()));
    for i in 1..12 {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    t
}

/// The JSON rendering. Field and class order is fixed (classes in the
/// scenario's order), as in `run`'s JSON.
#[derive(Clone, Copy, Debug, Default)]
pub struct ValidationJson;

impl ValidationJson {
    /// Pretty JSON of the whole validation.
    pub fn render(v: &Validation) -> Result<Vec<u8>, serde_json::Error> {
        let doc = JsonValidation {
            scenario: &v.scenario,
            seed: v.seed,
            speed: v.speed,
            maxmemory_bytes: v.maxmemory_bytes,
            scenario_ms: v.scenario_ms,
            real_ms: v.real_ms,
            notes: &v.notes,
            ok: v.ok(),
            results: v.policies.iter().map(|p| JsonPolicy::new(v, p)).collect(),
        };
        let mut out = serde_json::to_vec_pretty(&doc)?;
        out.push(b'\n');
        Ok(out)
    }
}

#[derive(Serialize)]
struct JsonValidation<'a> {
    scenario: &'a str,
    seed: u64,
    speed: f64,
    maxmemory_bytes: u64,
    scenario_ms: u64,
    real_ms: u64,
    notes: &'a [String],
    ok: bool,
    results: Vec<JsonPolicy<'a>>,
}

/// The same value from the model and from the server.
#[derive(Serialize)]
struct Pair<S, R> {
    simulated: S,
    real: R,
}

/// The server's counters under `run`'s names; `expired` is null per class
/// (the server's expiries are only known in total, from INFO).
#[derive(Serialize)]
struct RealCounters {
    reads: u64,
    hits: u64,
    writes: u64,
    evicted: u64,
    evicted_expired: u64,
    evicted_distinct: u64,
    lost_reads: u64,
    oom_rejected: u64,
    expired: Option<u64>,
}

impl RealCounters {
    fn new(c: &Counters, expired: Option<u64>) -> Self {
        RealCounters {
            reads: c.reads,
            hits: c.hits,
            writes: c.writes,
            evicted: c.evicted,
            evicted_expired: c.evicted_expired,
            evicted_distinct: c.evicted_distinct,
            lost_reads: c.lost_reads,
            oom_rejected: c.oom_rejected,
            expired,
        }
    }
}

#[derive(Serialize)]
struct JsonCheck<'a> {
    #[serde(flatten)]
    check: &'a Check,
    relative_diff: Option<f64>,
}

#[derive(Serialize)]
struct JsonPolicy<'a> {
    policy: &'static str,
    server: &'a str,
    ok: bool,
    model_baseline_memory: u64,
    mean_client_memory: u64,
    peak_used_memory: Pair<u64, u64>,
    classes: JsonClasses<'a>,
    totals: Pair<Counters, RealCounters>,
    critical_totals: Pair<Counters, RealCounters>,
    checks: Vec<JsonCheck<'a>>,
    pace: &'a Pace,
    server_report: &'a ServerReport,
}

impl<'a> JsonPolicy<'a> {
    fn new(v: &'a Validation, p: &'a PolicyValidation) -> Self {
        let (real, sim) = (&p.real.metrics, &p.simulated);
        JsonPolicy {
            policy: p.policy.name(),
            server: &p.server,
            ok: p.ok(),
            model_baseline_memory: p.real.server.baseline_without_clients(),
            mean_client_memory: p.real.server.mean_client_memory(),
            peak_used_memory: Pair {
                simulated: sim.peak_used_memory,
                real: p.real.server.used_memory_peak,
            },
            classes: JsonClasses {
                infos: &v.classes,
                real,
                sim,
            },
            totals: Pair {
                simulated: sim.totals(),
                real: RealCounters::new(&real.totals(), Some(p.real.server.expired_keys)),
            },
            critical_totals: Pair {
                simulated: critical_totals(&v.classes, sim),
                real: RealCounters::new(&critical_totals(&v.classes, real), None),
            },
            checks: p
                .checks
                .iter()
                .map(|c| JsonCheck {
                    check: c,
                    relative_diff: c.relative_diff(),
                })
                .collect(),
            pace: &p.real.pace,
            server_report: &p.real.server,
        }
    }
}

/// The classes as a JSON object in the scenario's order.
struct JsonClasses<'a> {
    infos: &'a [ClassInfo],
    real: &'a Metrics,
    sim: &'a Metrics,
}

#[derive(Serialize)]
struct JsonClass<'a> {
    critical: bool,
    simulated: &'a Counters,
    real: RealCounters,
    /// Idle time of the live keys evicted (the server's as the client saw
    /// it: from its last command on the key to the eviction event).
    idle_at_eviction_ms: Pair<JsonHistogram, JsonHistogram>,
    ttl_left_at_eviction_ms: Pair<JsonHistogram, JsonHistogram>,
}

impl Serialize for JsonClasses<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let rows = self
            .infos
            .iter()
            .zip(&self.real.classes)
            .zip(&self.sim.classes);
        let mut map = s.serialize_map(Some(self.infos.len()))?;
        for ((info, r), sm) in rows {
            let class = JsonClass {
                critical: info.critical,
                simulated: &sm.counters,
                real: RealCounters::new(&r.counters, None),
                idle_at_eviction_ms: Pair {
                    simulated: JsonHistogram::new(&sm.idle_at_eviction_ms),
                    real: JsonHistogram::new(&r.idle_at_eviction_ms),
                },
                ttl_left_at_eviction_ms: Pair {
                    simulated: JsonHistogram::new(&sm.ttl_left_at_eviction_ms),
                    real: JsonHistogram::new(&r.ttl_left_at_eviction_ms),
                },
            };
            map.serialize_entry(&info.name, &class)?;
        }
        map.end()
    }
}
