//! The numbers every sweep report shows, derived once from the points: per
//! (policy, size), the worst seed's losses and refusals, the hit ratios
//! pooled over the seeds (hits over reads, summed), and whether the size
//! was safe under every seed. The sentences about a policy's smallest safe
//! size live here too, so the table and the Markdown say the same thing.

use crate::model::PolicyKind;
use crate::report::fmt::{bytes, plural, thousands};
use crate::report::HitRatio;
use crate::sweep::{SafeSize, SweepPoint, SweepResult};

/// The smallest and largest of one figure over the seeds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Spread {
    /// The best seed's.
    pub min: u64,
    /// The worst seed's.
    pub max: u64,
}

impl Spread {
    fn of(points: &[&SweepPoint], f: impl Fn(&SweepPoint) -> u64) -> Spread {
        let values = points.iter().map(|p| f(p));
        Spread {
            min: values.clone().min().unwrap_or(0),
            max: values.max().unwrap_or(0),
        }
    }
}

/// One policy at one size, over the seeds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Row {
    /// The policy.
    pub policy: PolicyKind,
    /// `maxmemory` in bytes.
    pub size: u64,
    /// Distinct critical keys evicted while live.
    pub critical_keys_evicted: Spread,
    /// Reads of critical keys lost to eviction.
    pub lost_critical_reads: Spread,
    /// Writes to critical classes refused.
    pub critical_refused: Spread,
    /// Writes refused, all classes.
    pub refused_writes: Spread,
    /// Hits over reads, summed over the seeds.
    pub hit_ratio: HitRatio,
    /// The same over the cache classes.
    pub cache_hit_ratio: HitRatio,
    /// The lowest and the highest hit ratio of one seed.
    pub hit_ratio_range: (HitRatio, HitRatio),
    /// Safe under every seed.
    pub safe: bool,
}

/// The point's hit ratio over all classes.
pub(crate) fn hit_ratio(p: &SweepPoint) -> HitRatio {
    HitRatio {
        hits: p.totals.hits,
        reads: p.totals.reads,
    }
}

/// The point's hit ratio over the cache classes.
pub(crate) fn cache_hit_ratio(p: &SweepPoint) -> HitRatio {
    HitRatio {
        hits: p.cache_totals.hits,
        reads: p.cache_totals.reads,
    }
}

/// Hits and reads summed over points.
pub(crate) fn pooled(points: &[SweepPoint], f: impl Fn(&SweepPoint) -> HitRatio) -> HitRatio {
    points
        .iter()
        .map(f)
        .fold(HitRatio::default(), |a, h| HitRatio {
            hits: a.hits + h.hits,
            reads: a.reads + h.reads,
        })
}

/// The rows by policy in report order, then size ascending.
pub(crate) fn rows(r: &SweepResult) -> Vec<Row> {
    let mut out = Vec::with_capacity(r.policies.len() * r.sizes.len());
    for &policy in &r.policies {
        for &size in &r.sizes {
            let points: Vec<&SweepPoint> = r.points_at(size, policy).collect();
            let owned: Vec<SweepPoint> = points.iter().map(|p| (*p).clone()).collect();
            let by_ratio = |a: &&&SweepPoint, b: &&&SweepPoint| hit_ratio(a).compare(&hit_ratio(b));
            out.push(Row {
                policy,
                size,
                critical_keys_evicted: Spread::of(&points, |p| p.critical_totals.evicted_distinct),
                lost_critical_reads: Spread::of(&points, |p| p.critical_totals.lost_reads),
                critical_refused: Spread::of(&points, |p| p.critical_totals.oom_rejected),
                refused_writes: Spread::of(&points, |p| p.totals.oom_rejected),
                hit_ratio: pooled(&owned, hit_ratio),
                cache_hit_ratio: pooled(&owned, cache_hit_ratio),
                hit_ratio_range: (
                    points
                        .iter()
                        .min_by(by_ratio)
                        .map(|p| hit_ratio(p))
                        .unwrap_or_default(),
                    points
                        .iter()
                        .max_by(by_ratio)
                        .map(|p| hit_ratio(p))
                        .unwrap_or_default(),
                ),
                safe: points.iter().all(|p| p.is_safe()),
            });
        }
    }
    out
}

/// The lowest size of the run of safe grid sizes that reaches the top of
/// the range, per policy (`None`: not safe at the top).
pub(crate) fn safe_on_grid(rows: &[Row], policy: PolicyKind) -> Option<u64> {
    rows.iter()
        .filter(|r| r.policy == policy)
        .rev()
        .take_while(|r| r.safe)
        .last()
        .map(|r| r.size)
}

/// A size exactly, in the largest binary unit that divides it (`114 MiB`,
/// `2432 KiB`), or with its bytes when none does, so that two sizes one
/// resolution apart never read the same.
pub(crate) fn exact(n: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    match UNITS.iter().find(|&&(size, _)| n > 0 && n % size == 0) {
        Some(&(size, unit)) => format!("{} {unit}", thousands(n / size)),
        None => format!("{} ({} bytes)", bytes(n), thousands(n)),
    }
}

/// What made a point unsafe: `12 critical keys evicted and 3 critical
/// writes refused`.
pub(crate) fn unsafe_figures(p: &SweepPoint) -> String {
    let c = &p.critical_totals;
    let mut parts = Vec::new();
    if c.evicted_distinct > 0 || c.evicted_live() > 0 {
        let n = c.evicted_distinct;
        parts.push(format!(
            "{} critical {} evicted",
            thousands(n),
            plural(n, "key", "keys")
        ));
    }
    if c.oom_rejected > 0 {
        let n = c.oom_rejected;
        parts.push(format!(
            "{} critical {} refused",
            thousands(n),
            plural(n, "write", "writes")
        ));
    }
    parts.join(" and ")
}

/// One policy's answer in words, without the policy's name: where it is
/// safe and at what hit ratio, then [`evidence`].
pub(crate) fn safe_sentence(r: &SweepResult, s: &SafeSize) -> String {
    match s.maxmemory_bytes {
        Some(found) => format!(
            "{}, hit ratio {} there; {}",
            exact(found),
            pooled(&s.points, hit_ratio).percent(),
            evidence(r, s)
        ),
        None => evidence(r, s),
    }
}

/// What backs a policy's answer: what the size one resolution below did,
/// and any sign that safety is not monotonic; or, when nothing was safe,
/// what stayed above zero at the top of the range.
pub(crate) fn evidence(r: &SweepResult, s: &SafeSize) -> String {
    let phases = r.phase_offsets_ms.len() > 1;
    let seed = |p: &SweepPoint| match (r.runs.len() > 1, phases) {
        (true, true) => format!(
            " (seed {}, phase +{})",
            p.seed,
            crate::report::story::offset(p.phase_ms)
        ),
        (false, true) => format!(" (phase +{})", crate::report::story::offset(p.phase_ms)),
        (true, false) => format!(" (seed {})", p.seed),
        (false, false) => String::new(),
    };
    let top = r.grid.range.to;
    let Some(found) = s.maxmemory_bytes else {
        return match &s.unsafe_at_top {
            Some(p) => format!(
                "none up to {}: at {} still {}{}",
                exact(top),
                exact(top),
                unsafe_figures(p),
                seed(p)
            ),
            None => format!("none up to {}", exact(top)),
        };
    };
    let mut out = match &s.below {
        Some(b) => match &b.unsafe_point {
            Some(p) => format!(
                "{} is not: {}{}",
                exact(b.maxmemory_bytes),
                unsafe_figures(p),
                seed(p)
            ),
            None if found == r.grid.range.from => format!(
                "the range's lowest size, and {} is safe too: a smaller FROM may find less",
                exact(b.maxmemory_bytes)
            ),
            None => format!(
                "{} is safe too, though a size between them is not",
                exact(b.maxmemory_bytes)
            ),
        },
        None => "no smaller size to check".to_string(),
    };
    let isolated: Vec<String> = s
        .safe_below_unsafe
        .iter()
        .filter(|&&x| s.below.as_ref().is_none_or(|b| b.maxmemory_bytes != x))
        .map(|&x| exact(x))
        .collect();
    if !isolated.is_empty() {
        out += &format!(
            "; also safe at {}, below an unsafe size: not monotonic here",
            isolated.join(", ")
        );
    }
    out
}
