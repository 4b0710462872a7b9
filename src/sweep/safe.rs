//! The search for each policy's smallest safe `maxmemory` (`--find-safe`).
//!
//! A size is safe for a policy when, under every seed (and every start
//! phase, when asked for), no critical key was
//! evicted while live and no write to a critical class was refused. More
//! memory usually only helps, but the sampled policies draw random keys, so
//! safety need not be monotonic in size near the threshold. The search:
//!
//! 1. scans the grid from the top down and takes the lowest size of the
//!    run of safe sizes that reaches `TO` (a safe size below an unsafe one
//!    is noted as non-monotonic, never taken as the answer);
//! 2. bisects between that size and the unsafe grid size below it over the
//!    multiples of the resolution, assuming safety changes once between
//!    two neighbouring grid sizes; all policies bisect in the same rounds,
//!    so their runs share the cores and each seed's operations;
//! 3. checks the answer's neighbour one resolution below explicitly under
//!    the seeds (unless an earlier step already ran it) and records what
//!    it found, safe or not.
//!
//! So the answer is always a size that was run and found safe under every
//! seed, and the size one resolution below always a size that was run;
//! only the sizes the bisection skipped are inferred.

use std::collections::HashMap;

use super::{Job, Judgement, SweepPoint};
use crate::model::PolicyKind;

/// The smallest safe sizes of a sweep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FindSafe {
    /// The resolution searched to, in bytes.
    pub resolution: u64,
    /// One entry per policy, in report order.
    pub policies: Vec<SafeSize>,
}

/// One policy's smallest safe size and the evidence for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SafeSize {
    /// The policy.
    pub policy: PolicyKind,
    /// The smallest safe size found, in bytes; every grid size above it is
    /// safe too. `None` when no size of the range is safe.
    pub maxmemory_bytes: Option<u64>,
    /// The points at that size, one per seed, all safe.
    pub points: Vec<SweepPoint>,
    /// The size one resolution below the answer, as run.
    pub below: Option<BelowCheck>,
    /// When no size is safe: the first seed's point at the top of the
    /// range, which says what stays above zero.
    pub unsafe_at_top: Option<SweepPoint>,
    /// Sizes found safe below a size that is not (the answer is never one
    /// of them): safety is not monotonic for this policy there.
    pub safe_below_unsafe: Vec<u64>,
    /// Sizes run for this policy beyond the grid.
    pub extra_sizes: usize,
}

/// The check one resolution below an answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BelowCheck {
    /// The size checked, in bytes.
    pub maxmemory_bytes: u64,
    /// The first seed's point that is not safe there; `None` when it was
    /// safe under every seed.
    pub unsafe_point: Option<SweepPoint>,
}

/// Where one policy's search stands.
struct State {
    policy: PolicyKind,
    /// The lowest size of the safe run that reaches the top of the range.
    top: Option<u64>,
    /// Multiples of the resolution bracketing the answer: `lo` unsafe (or
    /// standing for the unsafe grid size), `hi` safe (or, at `top_k`,
    /// standing for `top`).
    lo: u64,
    hi: u64,
    top_k: u64,
    safe_below_unsafe: Vec<u64>,
    extra_sizes: usize,
}

impl State {
    fn start(
        policy: PolicyKind,
        sizes: &[u64],
        res: u64,
        judged: &HashMap<Job, Judgement>,
    ) -> State {
        let safe = |size: u64| judged[&Job { policy, size }].safe;
        let lowest_safe = sizes.len() - sizes.iter().rev().take_while(|&&s| safe(s)).count();
        let top = sizes.get(lowest_safe).copied();
        let below_run = &sizes[..lowest_safe.saturating_sub(1)];
        let mut state = State {
            policy,
            top,
            lo: 0,
            hi: 1,
            top_k: 1,
            safe_below_unsafe: below_run.iter().copied().filter(|&s| safe(s)).collect(),
            extra_sizes: 0,
        };
        if let (Some(b), Some(&a)) = (top, lowest_safe.checked_sub(1).map(|i| &sizes[i])) {
            // Multiples of res strictly between a and b: a/res+1 ..= (b-1)/res.
            state.lo = a / res;
            state.top_k = ((b - 1) / res + 1).max(state.lo + 1);
            state.hi = state.top_k;
        }
        state
    }

    /// The size to try next, if the bracket is still wider than one step.
    fn probe(&self, res: u64) -> Option<Job> {
        (self.top.is_some() && self.hi - self.lo > 1).then(|| Job {
            policy: self.policy,
            size: (self.lo + (self.hi - self.lo) / 2) * res,
        })
    }

    /// Narrows the bracket with the probe's outcome.
    fn learn(&mut self, res: u64, judged: &HashMap<Job, Judgement>) {
        if let Some(job) = self.probe(res) {
            if judged[&job].safe {
                self.hi = job.size / res;
            } else {
                self.lo = job.size / res;
            }
        }
    }

    /// The answer: the safe end of the bracket.
    fn answer(&self, res: u64) -> Option<u64> {
        let top = self.top?;
        Some(if self.hi == self.top_k {
            top
        } else {
            self.hi * res
        })
    }

    /// The size one resolution below the answer (none at or under `res`:
    /// 0 would mean no limit).
    fn below(&self, res: u64) -> Option<Job> {
        self.answer(res).filter(|&a| a > res).map(|a| Job {
            policy: self.policy,
            size: a - res,
        })
    }
}

/// Runs jobs under the seeds (stopping a job at its first unsafe seed) and
/// returns each job's points in seed order.
pub(super) type Evaluate<'e> = dyn FnMut(&[Job]) -> Vec<Vec<SweepPoint>> + 'e;

/// Searches every policy's smallest safe size to `res` bytes, given the
/// grid's judgements (which it extends with the sizes it runs).
pub(super) fn search(
    runner: &mut Evaluate<'_>,
    policies: &[PolicyKind],
    sizes: &[u64],
    res: u64,
    judged: &mut HashMap<Job, Judgement>,
) -> FindSafe {
    let res = res.max(1);
    let mut states: Vec<State> = policies
        .iter()
        .map(|&p| State::start(p, sizes, res, judged))
        .collect();
    loop {
        let jobs: Vec<Job> = states.iter().filter_map(|s| s.probe(res)).collect();
        if jobs.is_empty() {
            break;
        }
        run_new(runner, &jobs, judged, &mut states);
        for s in &mut states {
            s.learn(res, judged);
        }
    }
    let checks: Vec<Job> = states.iter().filter_map(|s| s.below(res)).collect();
    run_new(runner, &checks, judged, &mut states);

    let policies = states
        .iter()
        .map(|s| {
            let found = s.answer(res);
            let below = s.below(res).map(|job| BelowCheck {
                maxmemory_bytes: job.size,
                unsafe_point: judged[&job].first_unsafe().cloned(),
            });
            let mut safe_below_unsafe = s.safe_below_unsafe.clone();
            // Safe one step below an answer that sits above an unsafe size.
            if let Some(b) = &below {
                let above_an_unsafe_size = judged.iter().any(|(j, v)| {
                    j.policy == s.policy
                        && j.size > b.maxmemory_bytes
                        && Some(j.size) < found
                        && !v.safe
                });
                if b.unsafe_point.is_none() && above_an_unsafe_size {
                    safe_below_unsafe.push(b.maxmemory_bytes);
                }
            }
            SafeSize {
                policy: s.policy,
                maxmemory_bytes: found,
                points: found.map_or_else(Vec::new, |size| {
                    judged[&Job {
                        policy: s.policy,
                        size,
                    }]
                        .points
                        .clone()
                }),
                below,
                unsafe_at_top: match (found, sizes.last()) {
                    (None, Some(&size)) => judged[&Job {
                        policy: s.policy,
                        size,
                    }]
                        .first_unsafe()
                        .cloned(),
                    _ => None,
                },
                safe_below_unsafe,
                extra_sizes: s.extra_sizes,
            }
        })
        .collect();
    FindSafe {
        resolution: res,
        policies,
    }
}

/// Runs the jobs not judged yet (stopping a job at its first unsafe seed)
/// and records them, counting each against its policy's extra sizes.
fn run_new(
    runner: &mut Evaluate<'_>,
    jobs: &[Job],
    judged: &mut HashMap<Job, Judgement>,
    states: &mut [State],
) {
    let new: Vec<Job> = jobs
        .iter()
        .copied()
        .filter(|j| !judged.contains_key(j))
        .collect();
    if new.is_empty() {
        return;
    }
    let outcomes = runner(&new);
    for (job, points) in new.iter().zip(outcomes) {
        judged.insert(*job, Judgement::of(&points));
        if let Some(s) = states.iter_mut().find(|s| s.policy == job.policy) {
            s.extra_sizes += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Counters;

    const P: PolicyKind = PolicyKind::AllKeysLru;

    fn point(size: u64, seed: u64, safe: bool) -> SweepPoint {
        let unsafe_counts = Counters {
            evicted: 1,
            evicted_distinct: 1,
            ..Counters::default()
        };
        SweepPoint {
            maxmemory_bytes: size,
            policy: P,
            seed,
            phase_ms: 0,
            totals: Counters::default(),
            critical_totals: if safe {
                Counters::default()
            } else {
                unsafe_counts
            },
            cache_totals: Counters::default(),
            peak_used_memory: 0,
        }
    }

    /// Runs the search over `sizes` with `safe(size, seed)` as the model,
    /// returning the answer and every size the search ran beyond the grid.
    fn run(
        sizes: &[u64],
        seeds: &[u64],
        res: u64,
        safe: impl Fn(u64, u64) -> bool,
    ) -> (SafeSize, Vec<u64>) {
        let points_of = |size: u64, stop: bool| {
            let mut out = Vec::new();
            for &seed in seeds {
                let ok = safe(size, seed);
                out.push(point(size, seed, ok));
                if stop && !ok {
                    break;
                }
            }
            out
        };
        let mut judged: HashMap<Job, Judgement> = sizes
            .iter()
            .map(|&size| {
                (
                    Job { policy: P, size },
                    Judgement::of(&points_of(size, false)),
                )
            })
            .collect();
        let mut ran = Vec::new();
        let mut eval = |jobs: &[Job]| {
            jobs.iter()
                .map(|j| {
                    ran.push(j.size);
                    points_of(j.size, true)
                })
                .collect()
        };
        let found = search(&mut eval, &[P], sizes, res, &mut judged);
        (found.policies[0].clone(), ran)
    }

    #[test]
    fn a_monotone_threshold_is_found_to_the_resolution_and_checked_below() {
        let (s, ran) = run(&[100, 200, 300, 400], &[1], 10, |m, _| m >= 237);
        assert_eq!(s.maxmemory_bytes, Some(240));
        let below = s.below.unwrap();
        assert_eq!(below.maxmemory_bytes, 230);
        assert_eq!(below.unsafe_point.unwrap().maxmemory_bytes, 230);
        // Bisection over 210..=290 (9 sizes): at most 4 probes, and the
        // size below was among them.
        assert!(ran.len() <= 4, "{ran:?}");
        assert!(ran.contains(&230));
        assert!(s.safe_below_unsafe.is_empty());
        assert_eq!(s.points.len(), 1);
    }

    #[test]
    fn every_seed_must_be_safe_and_the_size_below_names_the_seed_that_is_not() {
        let (s, _) = run(&[100, 200, 300], &[1, 2, 3], 10, |m, seed| {
            m >= if seed == 2 { 257 } else { 237 }
        });
        assert_eq!(s.maxmemory_bytes, Some(260));
        assert_eq!(
            s.points.iter().map(|p| p.seed).collect::<Vec<_>>(),
            [1, 2, 3]
        );
        let p = s.below.unwrap().unsafe_point.unwrap();
        assert_eq!((p.maxmemory_bytes, p.seed), (250, 2));
    }

    #[test]
    fn nothing_safe_reports_the_top_of_the_range() {
        let (s, ran) = run(&[100, 200], &[1], 10, |_, _| false);
        assert_eq!(s.maxmemory_bytes, None);
        assert!(s.below.is_none() && s.points.is_empty() && ran.is_empty());
        assert_eq!(s.unsafe_at_top.unwrap().maxmemory_bytes, 200);
    }

    #[test]
    fn a_range_safe_from_its_start_checks_below_it() {
        let (s, ran) = run(&[100, 200], &[1], 10, |m, _| m >= 50);
        assert_eq!(s.maxmemory_bytes, Some(100));
        let below = s.below.unwrap();
        assert_eq!(below.maxmemory_bytes, 90);
        assert!(below.unsafe_point.is_none(), "90 is safe too");
        assert_eq!(ran, [90]);
        // Not a sign of non-monotonic safety: nothing unsafe was seen.
        assert!(s.safe_below_unsafe.is_empty());
    }

    #[test]
    fn a_safe_size_below_an_unsafe_one_is_noted_never_taken() {
        let (s, _) = run(&[100, 200, 300], &[1], 10, |m, _| m >= 237 || m <= 100);
        assert_eq!(s.maxmemory_bytes, Some(240));
        assert_eq!(s.safe_below_unsafe, [100]);
    }

    #[test]
    fn an_unaligned_grid_is_searched_on_multiples_of_the_resolution() {
        let (s, _) = run(&[105, 205], &[1], 10, |m, _| m >= 150);
        assert_eq!(s.maxmemory_bytes, Some(150));
        assert_eq!(s.below.unwrap().maxmemory_bytes, 140);
        // No multiple below the grid size is safe: the grid size is the
        // answer, and the size one resolution below it is run explicitly.
        let (s, ran) = run(&[100, 205], &[1], 10, |m, _| m >= 201);
        assert_eq!(s.maxmemory_bytes, Some(205));
        assert_eq!(s.below.unwrap().maxmemory_bytes, 195);
        assert!(ran.contains(&195));
    }

    #[test]
    fn an_answer_within_one_resolution_of_zero_has_nothing_below() {
        // 0 would mean no limit: it is never run.
        let (s, ran) = run(&[5, 10], &[1], 10, |_, _| true);
        assert_eq!(s.maxmemory_bytes, Some(5));
        assert!(s.below.is_none() && ran.is_empty());
    }
}
