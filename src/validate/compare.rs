//! The verdict of a validation: the figures that matter, real against
//! simulated, each within its tolerance.
//!
//! Total evictions must agree within 10%; evictions of each critical class
//! and the lost critical reads within 15%; refused writes under
//! `noeviction` within 10%. Counts that differ by at most
//! [`ABSOLUTE_FLOOR`] agree whatever their ratio, so tiny counts don't
//! flap.

use crate::metrics::{Counters, Metrics};
use crate::model::PolicyKind;
use crate::sim::ClassInfo;
use serde::Serialize;

/// Total evictions: relative tolerance.
pub(super) const TOTAL_EVICTIONS: f64 = 0.10;
/// Evictions of one critical class, and lost critical reads.
pub(super) const CRITICAL: f64 = 0.15;
/// Refused writes under `noeviction`.
pub(super) const REFUSED: f64 = 0.10;
/// Differences up to this many counts always agree.
pub(super) const ABSOLUTE_FLOOR: u64 = 20;

/// One figure compared.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Check {
    /// What is compared, e.g. `evictions of sessions`.
    pub what: String,
    /// The real server's count.
    pub real: u64,
    /// The model's count.
    pub simulated: u64,
    /// The relative tolerance.
    pub tolerance: f64,
    /// Whether they agree.
    pub ok: bool,
}

impl Check {
    /// Compares `simulated` with `real` within `tolerance` (relative to
    /// the real count) or `ABSOLUTE_FLOOR` (20).
    pub fn new(what: impl Into<String>, real: u64, simulated: u64, tolerance: f64) -> Check {
        let diff = real.abs_diff(simulated);
        let ok = diff <= ABSOLUTE_FLOOR || (diff as f64) <= tolerance * real as f64;
        Check {
            what: what.into(),
            real,
            simulated,
            tolerance,
            ok,
        }
    }

    /// (simulated - real) / real; `None` when real is 0.
    pub fn relative_diff(&self) -> Option<f64> {
        relative_diff(self.real, self.simulated)
    }
}

/// (simulated - real) / real; `None` when real is 0.
pub(super) fn relative_diff(real: u64, simulated: u64) -> Option<f64> {
    (real > 0).then(|| (simulated as f64 - real as f64) / real as f64)
}

/// The relative difference as text: `+3.2%`, `0.0%` when both are 0,
/// `new` when only the model has some.
pub(super) fn diff_text(real: u64, simulated: u64) -> String {
    match relative_diff(real, simulated) {
        Some(d) => format!("{:+.1}%", d * 100.0),
        None if simulated == 0 => "0.0%".to_string(),
        None => "n/a".to_string(),
    }
}

/// The counters of the critical classes summed.
pub(super) fn critical_totals(classes: &[ClassInfo], m: &Metrics) -> Counters {
    let mut t = Counters::default();
    for (info, c) in classes.iter().zip(&m.classes) {
        if info.critical {
            t.add(&c.counters);
        }
    }
    t
}

/// The checks of one policy's run.
pub(super) fn checks(
    policy: PolicyKind,
    classes: &[ClassInfo],
    real: &Metrics,
    sim: &Metrics,
) -> Vec<Check> {
    let (rt, st) = (real.totals(), sim.totals());
    let mut out = vec![Check::new(
        "total evictions",
        rt.evicted,
        st.evicted,
        TOTAL_EVICTIONS,
    )];
    for ((info, r), s) in classes.iter().zip(&real.classes).zip(&sim.classes) {
        if info.critical {
            out.push(Check::new(
                format!("evictions of {}", info.name),
                r.counters.evicted,
                s.counters.evicted,
                CRITICAL,
            ));
        }
    }
    let (rc, sc) = (
        critical_totals(classes, real),
        critical_totals(classes, sim),
    );
    out.push(Check::new(
        "lost critical reads",
        rc.lost_reads,
        sc.lost_reads,
        CRITICAL,
    ));
    // With lists (or hashes, sets) among the critical keys, what the
    // evicted ones held: the jobs lost with their queues.
    if rc.lost_aggregates() || sc.lost_aggregates() {
        out.push(Check::new(
            "items lost with critical keys",
            rc.lost_items,
            sc.lost_items,
            CRITICAL,
        ));
    }
    if policy == PolicyKind::NoEviction {
        out.push(Check::new(
            "refused writes",
            rt.oom_rejected,
            st.oom_rejected,
            REFUSED,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerance_is_relative_to_the_real_count() {
        assert!(Check::new("x", 1000, 1100, 0.10).ok);
        assert!(!Check::new("x", 1000, 1101, 0.10).ok);
        assert!(Check::new("x", 1000, 900, 0.10).ok);
        assert!(!Check::new("x", 1000, 899, 0.10).ok);
    }

    #[test]
    fn small_differences_always_agree() {
        assert!(Check::new("x", 0, 20, 0.10).ok);
        assert!(!Check::new("x", 0, 21, 0.10).ok);
        assert!(Check::new("x", 5, 25, 0.10).ok);
    }

    #[test]
    fn diffs_read_as_percentages() {
        assert_eq!(diff_text(200, 210), "+5.0%");
        assert_eq!(diff_text(200, 190), "-5.0%");
        assert_eq!(diff_text(0, 0), "0.0%");
        assert_eq!(diff_text(0, 3), "n/a");
    }

    #[test]
    fn noeviction_also_checks_refusals() {
        let classes = vec![
            ClassInfo {
                name: "cache".into(),
                critical: false,
            },
            ClassInfo {
                name: "sessions".into(),
                critical: true,
            },
        ];
        let m = Metrics::new(2);
        let names = |p| {
            checks(p, &classes, &m, &m)
                .into_iter()
                .map(|c| c.what)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(PolicyKind::AllKeysLru),
            [
                "total evictions",
                "evictions of sessions",
                "lost critical reads"
            ]
        );
        assert_eq!(
            names(PolicyKind::NoEviction).last().unwrap(),
            "refused writes"
        );
    }
}
