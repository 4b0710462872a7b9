//! How an audit is shown: the posture in a few labelled lines (memory,
//! persistence, classes, what pressure and a crash would cost), the flags
//! with their reasons and fixes, and the layout written; and the same as
//! JSON. Numbers come from the [`Audit`]; nothing is recomputed.

use serde::Serialize;

use super::fmt::{bytes, duration_ms, percent, thousands};
use crate::audit::{Audit, Layout};
use crate::conf::write::{self, InstanceSpec};
use crate::conf::{Origin, Setting};
use crate::crash::{CrashKind, CrashPoint};
use crate::metrics::Counters;
use crate::persistence::{Fsync, Persistence};

/// The width of a line's label.
const LABEL: usize = 12;

fn at<T>(s: &Setting<T>) -> String {
    match &s.origin {
        Some(o) => format!(" ({o})"),
        None => " (Redis's default)".to_string(),
    }
}

fn line(label: &str, text: &str) -> String {
    let mut out = String::new();
    for (i, l) in text.lines().enumerate() {
        let head = if i == 0 { label } else { "" };
        out += &format!("{head:<LABEL$} {l}\n");
    }
    out
}

/// What a crash loses under `p`, in words, by the crash model's rules.
pub fn persistence_risk(p: &Persistence) -> String {
    match (p.appendonly, p.appendfsync) {
        (false, _) if p.save.is_empty() => {
            "no persistence: a restart or crash loses every key".to_string()
        }
        (false, _) => {
            "RDB only: a crash loses every write since the last snapshot started".to_string()
        }
        (true, Fsync::Always) => {
            "AOF, fsync always: a crash loses no acknowledged write".to_string()
        }
        (true, Fsync::EverySec) => "AOF, fsync every second: a process crash loses no \
                                    acknowledged write, a power loss about the last second"
            .to_string(),
        (true, Fsync::No) => "AOF, fsync left to the kernel: a process crash loses no \
                              acknowledged write, a power loss about the last 30 seconds"
            .to_string(),
    }
}

/// What survives a crash at `t` whose durable point is `d`, in words.
fn durable(p: &Persistence, d: Option<u64>, t: u64) -> String {
    match d {
        None if !p.is_durable() => "nothing is persisted".to_string(),
        None => "no snapshot completed yet".to_string(),
        Some(d) if d >= t => "everything acknowledged is durable".to_string(),
        Some(d) if p.appendonly => format!("the AOF is durable up to {}", duration_ms(d)),
        Some(d) => format!("the last snapshot is from {}", duration_ms(d)),
    }
}

fn crash_line(a: &Audit, p: &Persistence, at: &CrashPoint, kind: CrashKind) -> String {
    let (live, lost, writes) = a.critical_crash(at, kind);
    format!(
        "{} of {} critical keys and {} writes ({})",
        thousands(lost),
        thousands(live),
        thousands(writes),
        durable(p, at.of(kind).0, at.t_ms)
    )
}

/// The median and worst of the critical keys lost over the random moments.
fn spread(a: &Audit, kind: CrashKind) -> Option<(usize, u64, u64)> {
    let r = a.crash.as_ref()?;
    let end = a.crash_at_end()?.t_ms;
    let mut lost: Vec<u64> = r
        .points
        .iter()
        .filter(|p| p.t_ms != end || r.points.len() == 1)
        .map(|p| a.critical_crash(p, kind).1)
        .collect();
    if lost.is_empty() {
        return None;
    }
    lost.sort_unstable();
    Some((lost.len(), lost[lost.len() / 2], *lost.last()?))
}

fn spec_words(s: &InstanceSpec) -> String {
    format!(
        "{}: {}, maxmemory {}, {} ({})",
        s.role.file_name(),
        s.policy,
        write::size(s.maxmemory),
        match (s.persistence.appendonly, s.persistence.is_durable()) {
            (true, _) => format!("AOF {}", s.persistence.appendfsync),
            (false, true) => "RDB only".to_string(),
            (false, false) => "no persistence".to_string(),
        },
        s.classes.join(", ")
    )
}

/// The terminal report; `written` is the directory the files went to.
pub fn table(a: &Audit, written: Option<&str>) -> String {
    let c = &a.conf;
    let s = &c.settings;
    let mut out = format!(
        "audit of {} by Redis 7.0's rules: {} {}, {} directives\n",
        c.path,
        c.files.len(),
        if c.files.len() == 1 { "file" } else { "files" },
        c.directives.len()
    );
    if let Some(b) = &c.rewrite_block {
        out += &format!(
            "written by CONFIG REWRITE: {} directives in its block from {b}\n",
            c.rewritten().count()
        );
    }
    let max = if s.maxmemory.value == 0 {
        "0, no limit".to_string()
    } else {
        bytes(s.maxmemory.value)
    };
    out += &line(
        "memory",
        &format!(
            "maxmemory {max}{}; maxmemory-policy {}{}; maxmemory-samples {}",
            at(&s.maxmemory),
            s.policy.value,
            at(&s.policy),
            s.samples.value
        ),
    );
    let p = c.persistence();
    let save = if p.save.is_empty() {
        "save \"\"".to_string()
    } else {
        format!("save {}", p.save_line())
    };
    let aof = if p.appendonly {
        format!(
            "appendonly yes{}, appendfsync {}{}",
            at(&s.appendonly),
            p.appendfsync,
            at(&s.appendfsync)
        )
    } else {
        format!("appendonly no{}", at(&s.appendonly))
    };
    out += &line(
        "persistence",
        &format!("{save}{}; {aof}\n{}", at(&s.save), persistence_risk(&p)),
    );
    let renamed = c.renamed_commands();
    if !renamed.is_empty() {
        let r: Vec<String> = renamed
            .iter()
            .map(|(from, to)| {
                if to.is_empty() {
                    format!("{from} disabled")
                } else {
                    format!("{from} -> {to}")
                }
            })
            .collect();
        out += &line("renamed", &r.join(", "));
    }
    out += &line("classes", &classes_text(a));
    out += &line("pressure", &pressure_text(a));
    if let Some(crash) = crash_text(a, &p) {
        out += &line("crash", &crash);
    }
    if !c.warnings.is_empty() {
        let w: Vec<String> = c.warnings.iter().map(ToString::to_string).collect();
        out += &line("warnings", &w.join("\n"));
    }
    let failing = a.failing().count();
    out += &format!(
        "\nflags: {} (exit status {})\n",
        match (a.flags.len(), failing) {
            (0, _) => "none".to_string(),
            (n, f) if f == n => n.to_string(),
            (n, f) => format!("{n}, {} accepted", n - f),
        },
        a.exit_status()
    );
    for f in &a.flags {
        let accepted = if f.accepted { " (accepted)" } else { "" };
        out += &format!("  {}{accepted}: {}\n    fix: {}\n", f.id, f.reason, f.fix);
    }
    out += "\n";
    out += &match &a.layout {
        Layout::Split(l) => line(
            "layout",
            &format!(
                "{}\n{}\nmemory: {}{}",
                spec_words(&l.store),
                spec_words(&l.cache),
                l.budget,
                written.map_or(String::new(), |d| format!("\nwritten to {d}/"))
            ),
        ),
        Layout::None(why) => line("layout", &format!("no store.conf and cache.conf: {why}")),
    };
    out
}

fn classes_text(a: &Audit) -> String {
    if a.classes.is_empty() {
        return "none given: the flags that need classes are not judged (--scenario, or --class \
                and --critical)"
            .to_string();
    }
    let words = |critical: bool| -> String {
        let v: Vec<String> = a
            .classes
            .iter()
            .filter(|c| c.info.critical == critical)
            .map(|c| match c.ttl_ms {
                Some(Some(t)) => format!("{} (TTL {})", c.info.name, duration_ms(t)),
                _ => c.info.name.clone(),
            })
            .collect();
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    format!(
        "{}: critical {}; cache {}",
        a.source,
        words(true),
        words(false)
    )
}

fn pressure_text(a: &Audit) -> String {
    let s = &a.conf.settings;
    let policy = s.policy.value;
    let max = s.maxmemory.value;
    let Some(r) = &a.pressure else {
        if max == 0 {
            return "no limit: nothing is evicted or refused until the host runs out of memory"
                .to_string();
        }
        let what = if policy.name().starts_with("allkeys-") {
            "any key may be evicted, critical ones included"
        } else if policy.volatile_only() {
            "keys with a TTL may be evicted (class rules do not say which carry one), and \
             writes are refused with -OOM when none is left"
        } else {
            "nothing is evicted, and writes are refused with -OOM"
        };
        return format!(
            "nothing run (class rules only): once used memory reaches {}, under {policy} {what}",
            bytes(max)
        );
    };
    let crit = a.critical_counters().unwrap_or_default();
    let all = a.total_counters().unwrap_or_default();
    let cache = percent(all.hits - crit.hits, all.reads - crit.reads);
    let run = format!(
        "over {} ({} ops)",
        duration_ms(r.simulated_ms),
        thousands(r.ops)
    );
    let peak = bytes(r.unbounded_peak_memory);
    if max == 0 {
        return format!(
            "{policy} with no limit {run}: nothing evicted or refused; the instance peaks at \
             {peak}; cache hit ratio {cache}"
        );
    }
    format!(
        "{policy} at {} {run}: {} critical keys evicted, {} reads of them lost, {} writes \
         refused ({} critical); cache hit ratio {cache}\nwith no limit the instance would peak \
         at {peak}",
        bytes(max),
        thousands(crit.evicted_distinct),
        thousands(crit.lost_reads),
        thousands(all.oom_rejected),
        thousands(crit.oom_rejected),
    )
}

/// What a crash cost in the scenario run; `None` without one (the
/// persistence line says the rule).
fn crash_text(a: &Audit, p: &Persistence) -> Option<String> {
    let end = a.crash_at_end()?;
    if !a.classes.iter().any(|c| c.info.critical) {
        return Some(format!("{}; no class is critical", persistence_risk(p)));
    }
    let process = crash_line(a, p, end, CrashKind::Process);
    let power = crash_line(a, p, end, CrashKind::Power);
    let mut s = if process == power {
        format!(
            "at the end ({}), kill -9 or a power loss loses {process}",
            duration_ms(end.t_ms)
        )
    } else {
        format!(
            "at the end ({}), kill -9 loses {process}; a power loss {power}",
            duration_ms(end.t_ms)
        )
    };
    if let (Some((n, pm, pw)), Some((_, wm, ww))) =
        (spread(a, CrashKind::Process), spread(a, CrashKind::Power))
    {
        s += &if (pm, pw) == (wm, ww) {
            format!(
                "\nat {n} random moments, critical keys lost: median {}, worst {}",
                thousands(pm),
                thousands(pw)
            )
        } else {
            format!(
                "\nat {n} random moments, critical keys lost: kill -9 median {}, worst {}; power \
                 loss median {}, worst {}",
                thousands(pm),
                thousands(pw),
                thousands(wm),
                thousands(ww)
            )
        };
    }
    Some(s)
}

#[derive(Serialize)]
struct JsonSetting<T: Serialize> {
    value: T,
    set_at: Option<String>,
}

fn js<T: Clone + Serialize>(s: &Setting<T>) -> JsonSetting<T> {
    JsonSetting {
        value: s.value.clone(),
        set_at: s.origin.as_ref().map(Origin::to_string),
    }
}

#[derive(Serialize)]
struct JsonAudit<'a> {
    config: &'a str,
    command: Option<String>,
    files: &'a [String],
    directives: usize,
    rewrite_block: Option<String>,
    warnings: Vec<String>,
    settings: JsonSettings,
    renamed_commands: Vec<(String, String)>,
    classes_from: &'a str,
    classes: Vec<JsonClass<'a>>,
    pressure: Option<JsonPressure>,
    crash: Option<JsonCrash>,
    flags: Vec<JsonFlag<'a>>,
    layout: JsonLayout<'a>,
    exit_status: i32,
}

#[derive(Serialize)]
struct JsonSettings {
    maxmemory: JsonSetting<u64>,
    maxmemory_policy: JsonSetting<&'static str>,
    maxmemory_samples: JsonSetting<u32>,
    save: JsonSetting<String>,
    appendonly: JsonSetting<bool>,
    appendfsync: JsonSetting<&'static str>,
}

#[derive(Serialize)]
struct JsonClass<'a> {
    name: &'a str,
    critical: bool,
    /// `null` when unknown (class rules).
    ttl_known: bool,
    ttl_ms: Option<u64>,
}

#[derive(Serialize)]
struct JsonPressure {
    policy: &'static str,
    maxmemory_bytes: u64,
    ops: u64,
    simulated_ms: u64,
    critical: Counters,
    all: Counters,
    unbounded_peak_bytes: u64,
}

#[derive(Serialize)]
struct JsonLoss {
    durable_ms: Option<u64>,
    critical_live_keys: u64,
    critical_lost_keys: u64,
    critical_lost_writes: u64,
}

#[derive(Serialize)]
struct JsonCrash {
    at_ms: u64,
    process: JsonLoss,
    power: JsonLoss,
    random_moments: usize,
    /// Critical keys lost over the random moments: median, worst.
    process_lost_keys: [u64; 2],
    power_lost_keys: [u64; 2],
}

#[derive(Serialize)]
struct JsonFlag<'a> {
    id: &'static str,
    reason: &'a str,
    fix: &'a str,
    accepted: bool,
}

#[derive(Serialize)]
struct JsonLayout<'a> {
    written: bool,
    budget: Option<&'a str>,
    reason: Option<&'a str>,
    store: Option<JsonSpec<'a>>,
    cache: Option<JsonSpec<'a>>,
}

#[derive(Serialize)]
struct JsonSpec<'a> {
    file: &'static str,
    policy: &'static str,
    maxmemory_bytes: u64,
    appendonly: bool,
    save: String,
    classes: &'a [String],
}

fn json_spec(s: &InstanceSpec) -> JsonSpec<'_> {
    JsonSpec {
        file: s.role.file_name(),
        policy: s.policy.name(),
        maxmemory_bytes: s.maxmemory,
        appendonly: s.persistence.appendonly,
        save: s.persistence.save_line(),
        classes: &s.classes,
    }
}

/// Pretty JSON of the audit (`command`: the one that reruns it).
pub fn json(a: &Audit, command: Option<String>) -> Result<Vec<u8>, serde_json::Error> {
    let c = &a.conf;
    let s = &c.settings;
    let loss = |p: &CrashPoint, kind: CrashKind| {
        let (live, lost, writes) = a.critical_crash(p, kind);
        JsonLoss {
            durable_ms: p.of(kind).0,
            critical_live_keys: live,
            critical_lost_keys: lost,
            critical_lost_writes: writes,
        }
    };
    let doc = JsonAudit {
        config: &c.path,
        command,
        files: &c.files,
        directives: c.directives.len(),
        rewrite_block: c.rewrite_block.as_ref().map(Origin::to_string),
        warnings: c.warnings.iter().map(ToString::to_string).collect(),
        settings: JsonSettings {
            maxmemory: js(&s.maxmemory),
            maxmemory_policy: JsonSetting {
                value: s.policy.value.name(),
                set_at: s.policy.origin.as_ref().map(Origin::to_string),
            },
            maxmemory_samples: js(&s.samples),
            save: JsonSetting {
                value: c.persistence().save_line(),
                set_at: s.save.origin.as_ref().map(Origin::to_string),
            },
            appendonly: js(&s.appendonly),
            appendfsync: JsonSetting {
                value: s.appendfsync.value.name(),
                set_at: s.appendfsync.origin.as_ref().map(Origin::to_string),
            },
        },
        renamed_commands: c.renamed_commands(),
        classes_from: &a.source,
        classes: a
            .classes
            .iter()
            .map(|k| JsonClass {
                name: &k.info.name,
                critical: k.info.critical,
                ttl_known: k.ttl_ms.is_some(),
                ttl_ms: k.ttl_ms.flatten(),
            })
            .collect(),
        pressure: a.pressure.as_ref().map(|r| JsonPressure {
            policy: s.policy.value.name(),
            maxmemory_bytes: r.maxmemory_bytes,
            ops: r.ops,
            simulated_ms: r.simulated_ms,
            critical: a.critical_counters().unwrap_or_default(),
            all: a.total_counters().unwrap_or_default(),
            unbounded_peak_bytes: r.unbounded_peak_memory,
        }),
        crash: a.crash_at_end().map(|end| {
            let two = |k| spread(a, k).map_or([0, 0], |(_, m, w)| [m, w]);
            JsonCrash {
                at_ms: end.t_ms,
                process: loss(end, CrashKind::Process),
                power: loss(end, CrashKind::Power),
                random_moments: spread(a, CrashKind::Process).map_or(0, |(n, ..)| n),
                process_lost_keys: two(CrashKind::Process),
                power_lost_keys: two(CrashKind::Power),
            }
        }),
        flags: a
            .flags
            .iter()
            .map(|f| JsonFlag {
                id: f.id.name(),
                reason: &f.reason,
                fix: &f.fix,
                accepted: f.accepted,
            })
            .collect(),
        layout: match &a.layout {
            Layout::Split(l) => JsonLayout {
                written: true,
                budget: Some(&l.budget),
                reason: None,
                store: Some(json_spec(&l.store)),
                cache: Some(json_spec(&l.cache)),
            },
            Layout::None(why) => JsonLayout {
                written: false,
                budget: None,
                reason: Some(why),
                store: None,
                cache: None,
            },
        },
        exit_status: a.exit_status(),
    };
    let mut out = serde_json::to_vec_pretty(&doc)?;
    out.push(b'\n');
    Ok(out)
}
