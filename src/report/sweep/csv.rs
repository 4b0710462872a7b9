//! A sweep for spreadsheets: one row per (size, policy, seed) point, in the
//! JSON's order, with the JSON's names; the hit ratios as hits and reads,
//! plus a decimal with six places (rounded down, empty when nothing was
//! read) for a quick plot. A sweep at several start phases has one row per
//! (size, policy, seed, phase) and a `phase_ms` column after `seed`.

use super::rows::{cache_hit_ratio, hit_ratio};
use crate::report::HitRatio;
use crate::sweep::SweepResult;

const HEADER: &str = "maxmemory_bytes,policy,seed,safe,critical_evicted,lost_critical_reads,\
critical_refused,refused_writes,hits,reads,hit_ratio,cache_hits,cache_reads,cache_hit_ratio,\
peak_used_memory\n";

/// The CSV text.
pub(crate) fn render(r: &SweepResult) -> String {
    let phases = r.phase_offsets_ms.len() > 1;
    let mut out = if phases {
        HEADER.replacen(",seed,", ",seed,phase_ms,", 1)
    } else {
        HEADER.to_string()
    };
    for p in &r.points {
        let (h, c) = (hit_ratio(p), cache_hit_ratio(p));
        out.push_str(&format!(
            "{},{},{}{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            p.maxmemory_bytes,
            p.policy.name(),
            p.seed,
            if phases {
                format!(",{}", p.phase_ms)
            } else {
                String::new()
            },
            p.is_safe(),
            p.critical_totals.evicted_distinct,
            p.critical_totals.lost_reads,
            p.critical_totals.oom_rejected,
            p.totals.oom_rejected,
            h.hits,
            h.reads,
            decimal(h),
            c.hits,
            c.reads,
            decimal(c),
            p.peak_used_memory,
        ));
    }
    out
}

/// `hits / reads` with six decimals, rounded down, by integer arithmetic;
/// empty when nothing was read.
pub(crate) fn decimal(h: HitRatio) -> String {
    if h.reads == 0 {
        return String::new();
    }
    let millionths = u128::from(h.hits) * 1_000_000 / u128::from(h.reads);
    format!("{}.{:06}", millionths / 1_000_000, millionths % 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_round_down_exactly() {
        let d = |hits, reads| decimal(HitRatio { hits, reads });
        assert_eq!(d(0, 0), "");
        assert_eq!(d(1, 3), "0.333333");
        assert_eq!(d(2, 3), "0.666666");
        assert_eq!(d(5, 5), "1.000000");
        assert_eq!(d(u64::MAX, u64::MAX), "1.000000");
    }
}
