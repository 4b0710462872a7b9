//! The dangerous combinations an audit flags, each with a stable id, a
//! one-line reason (with the model's numbers when a scenario ran) and a
//! fix. Each rule reads only the [`Audit`] it judges.

use std::fmt;
use std::str::FromStr;

use super::{Audit, Layout};
use crate::crash::CrashKind;
use crate::model::PolicyKind;
use crate::report::fmt::{bytes, thousands};

/// The id of a flag, stable for scripts and `--accept`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FlagId {
    /// `maxmemory 0`: no limit.
    NoMaxmemory,
    /// Critical classes under an `allkeys-*` policy.
    AllkeysCritical,
    /// A `volatile-*` policy, and critical keys that carry a TTL.
    VolatileCriticalTtl,
    /// Critical classes with neither RDB snapshots nor AOF.
    CriticalNotDurable,
    /// Writes refused with `-OOM` (`noeviction`, or `volatile-*` with no
    /// key to evict) with nothing saying the application handles it.
    OomUnhandled,
}

impl FlagId {
    /// Every id, in the order flags are listed.
    pub const ALL: [FlagId; 5] = [
        FlagId::NoMaxmemory,
        FlagId::AllkeysCritical,
        FlagId::VolatileCriticalTtl,
        FlagId::CriticalNotDurable,
        FlagId::OomUnhandled,
    ];

    /// Its name in reports, JSON and `--accept`.
    pub fn name(self) -> &'static str {
        match self {
            FlagId::NoMaxmemory => "no-maxmemory",
            FlagId::AllkeysCritical => "allkeys-critical",
            FlagId::VolatileCriticalTtl => "volatile-critical-ttl",
            FlagId::CriticalNotDurable => "critical-not-durable",
            FlagId::OomUnhandled => "oom-unhandled",
        }
    }
}

impl fmt::Display for FlagId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A flag name that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown flag '{0}' (flags: {})", FlagId::ALL.map(FlagId::name).join(", "))]
pub struct UnknownFlag(String);

impl FromStr for FlagId {
    type Err = UnknownFlag;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FlagId::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| UnknownFlag(s.to_string()))
    }
}

/// One dangerous combination found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flag {
    /// Which one.
    pub id: FlagId,
    /// Why it is dangerous here, in one line.
    pub reason: String,
    /// What to change, in one line.
    pub fix: String,
    /// Whether `--accept` said it is known and handled.
    pub accepted: bool,
}

fn flag(id: FlagId, reason: String, fix: String) -> Flag {
    Flag {
        id,
        reason,
        fix,
        accepted: false,
    }
}

/// `names` joined for a sentence.
fn list(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => one.to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Where a setting was made, for a reason: ` (FILE:LINE)` or ` (Redis's
/// default)`.
fn at(origin: &Option<crate::conf::Origin>) -> String {
    match origin {
        Some(o) => format!(" ({o})"),
        None => " (Redis's default)".to_string(),
    }
}

/// The layout's fix in words, naming the files when there are some.
fn split_fix(a: &Audit) -> String {
    match &a.layout {
        Layout::Split(_) => {
            "move the critical classes to a store instance (store.conf: noeviction, appendonly \
             yes) and leave this policy to a cache of the rest (cache.conf)"
                .to_string()
        }
        Layout::None(_) => "move the critical classes to a store instance (noeviction, \
                            appendonly yes) and leave this policy to a cache of the rest"
            .to_string(),
    }
}

/// Every flag `a` earns, in [`FlagId::ALL`] order.
pub(super) fn judge(a: &Audit) -> Vec<Flag> {
    let s = &a.conf.settings;
    let policy = s.policy.value;
    let max = s.maxmemory.value;
    let critical: Vec<&str> = a
        .classes
        .iter()
        .filter(|c| c.info.critical)
        .map(|c| c.info.name.as_str())
        .collect();
    let crit = a.critical_counters();
    let total = a.total_counters();
    let peak = a.pressure.as_ref().map(|r| r.unbounded_peak_memory);
    let mut out = Vec::new();

    if max == 0 {
        let grows = match peak {
            Some(p) => format!(" (the scenario alone peaks at {})", bytes(p)),
            None => String::new(),
        };
        let crash = match (&a.crash, a.crash_at_end()) {
            (Some(_), Some(end)) if !critical.is_empty() => {
                let (_, lost, _) = a.critical_crash(end, CrashKind::Process);
                format!(
                    "; killed at the end of the run, it would lose {} critical keys under \
                     this persistence",
                    thousands(lost)
                )
            }
            _ => String::new(),
        };
        let need = match peak {
            Some(p) => format!(
                "; to lose nothing this workload needs {} plus headroom",
                bytes(p)
            ),
            None => String::new(),
        };
        out.push(flag(
            FlagId::NoMaxmemory,
            format!(
                "maxmemory 0{}: no limit, so the dataset grows{grows} until the host swaps or \
                 the OOM killer ends redis-server{crash}",
                at(&s.maxmemory.origin)
            ),
            format!(
                "set maxmemory below the host's memory, leaving room for the fork of a snapshot \
                 or AOF rewrite and for client buffers{need}"
            ),
        ));
    }

    let name = policy.name();
    if max > 0 && name.starts_with("allkeys-") && !critical.is_empty() {
        let model = match crit {
            Some(c) => format!(
                ": in the model, {} critical keys evicted and {} reads of them lost",
                thousands(c.evicted_distinct),
                thousands(c.lost_reads)
            ),
            None => String::new(),
        };
        out.push(flag(
            FlagId::AllkeysCritical,
            format!(
                "maxmemory-policy {name}{} evicts any key once used memory reaches maxmemory, \
                 {} included{model}",
                at(&s.policy.origin),
                list(&critical)
            ),
            format!(
                "{}; or noeviction here, if the application handles -OOM",
                split_fix(a)
            ),
        ));
    }

    if max > 0 && policy.volatile_only() {
        let with_ttl: Vec<&str> = a
            .classes
            .iter()
            .filter(|c| c.info.critical && matches!(c.ttl_ms, Some(Some(_))))
            .map(|c| c.info.name.as_str())
            .collect();
        if !with_ttl.is_empty() {
            let model = match crit {
                Some(c) => format!(
                    ": in the model, {} critical keys evicted and {} reads of them lost",
                    thousands(c.evicted_distinct),
                    thousands(c.lost_reads)
                ),
                None => String::new(),
            };
            out.push(flag(
                FlagId::VolatileCriticalTtl,
                format!(
                    "maxmemory-policy {name}{} evicts keys that carry a TTL, and {} carry \
                     one{model}",
                    at(&s.policy.origin),
                    list(&with_ttl)
                ),
                format!(
                    "{}; or keep critical keys without a TTL (then only the cache's keys with \
                     one can go)",
                    split_fix(a)
                ),
            ));
        }
    }

    let p = a.conf.persistence();
    if !critical.is_empty() && !p.is_durable() {
        let end = match a.crash_at_end() {
            Some(end) => {
                let (live, _, _) = a.critical_crash(end, CrashKind::Process);
                format!(" ({} of them at the end of the run)", thousands(live))
            }
            None => String::new(),
        };
        out.push(flag(
            FlagId::CriticalNotDurable,
            format!(
                "save \"\"{} and appendonly no{}: a restart or crash loses every key, and \
                 every key of {}{end} has no other copy",
                at(&s.save.origin),
                at(&s.appendonly.origin),
                list(&critical)
            ),
            "appendonly yes with appendfsync everysec (a crash loses at most about one second \
             of writes), as store.conf has"
                .to_string(),
        ));
    }

    if max > 0 {
        let what = "the application must treat -OOM ('OOM command not allowed when used memory \
                    > maxmemory') on any write as a failure: retry or queue the write, alert, \
                    never report success";
        match (policy, total) {
            (PolicyKind::NoEviction, None) => out.push(flag(
                FlagId::OomUnhandled,
                format!(
                    "maxmemory-policy noeviction{} refuses writes with -OOM once used memory \
                     reaches maxmemory ({}); class rules cannot say when that happens (give \
                     --scenario)",
                    at(&s.policy.origin),
                    bytes(max)
                ),
                format!("{what}; then --accept oom-unhandled"),
            )),
            (_, Some(t)) if t.oom_rejected > 0 => {
                let c = crit.unwrap_or_default();
                let why = if policy == PolicyKind::NoEviction {
                    "refuses writes with -OOM once used memory reaches maxmemory".to_string()
                } else {
                    "refuses writes with -OOM when no key with a TTL is left to evict".to_string()
                };
                let size = match peak {
                    Some(p) => {
                        format!(", or give maxmemory the {} the workload peaks at", bytes(p))
                    }
                    None => String::new(),
                };
                out.push(flag(
                    FlagId::OomUnhandled,
                    format!(
                        "maxmemory-policy {name}{} {why}: in the model, {} writes refused, {} of \
                         them to critical classes",
                        at(&s.policy.origin),
                        thousands(t.oom_rejected),
                        thousands(c.oom_rejected)
                    ),
                    format!("{what}{size}"),
                ));
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_back() {
        for id in FlagId::ALL {
            assert_eq!(id.name().parse::<FlagId>(), Ok(id));
        }
        let e = "nope".parse::<FlagId>().unwrap_err().to_string();
        assert!(
            e.contains("no-maxmemory") && e.contains("oom-unhandled"),
            "{e}"
        );
    }

    #[test]
    fn lists_read_as_sentences() {
        assert_eq!(list(&["a"]), "a");
        assert_eq!(list(&["a", "b", "c"]), "a, b and c");
    }
}
