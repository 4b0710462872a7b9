//! The sizes a sweep visits: a range `FROM..TO` of `maxmemory` in Redis's
//! units, cut into a number of evenly spaced sizes (`--steps N`) or walked
//! in fixed increments (`--step SIZE`). Both ends are always visited, and
//! every size is a whole number of bytes, computed with integer arithmetic
//! so the same range gives the same sizes on every machine.

use std::fmt;
use std::str::FromStr;

use crate::report::fmt::bytes;
use crate::units::{self, UnitError};

/// The most sizes one sweep visits (a guard against `--step 1`).
pub const MAX_SIZES: usize = 1000;

/// Why a range or a grid was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GridError {
    /// The range was not written as `FROM..TO`.
    #[error("expected FROM..TO in Redis units, e.g. 16mb..160mb (got '{0}')")]
    NotARange(String),
    /// One end is not a size.
    #[error("{end} '{text}': {source}")]
    BadSize {
        /// `FROM` or `TO`.
        end: &'static str,
        /// The end as written.
        text: String,
        /// Why it is not a size.
        source: UnitError,
    },
    /// `FROM` is 0, which Redis reads as "no limit".
    #[error("FROM must be above 0 (maxmemory 0 means no limit)")]
    ZeroFrom,
    /// The range runs backwards.
    #[error("FROM ({}) is above TO ({}): write the smaller size first", bytes(*from), bytes(*to))]
    Reversed {
        /// `FROM` in bytes.
        from: u64,
        /// `TO` in bytes.
        to: u64,
    },
    /// `--steps` below 2 on a range with two different ends.
    #[error("--steps must be at least 2 (one size for each end; got {0})")]
    TooFewSteps(u32),
    /// `--step 0`.
    #[error("--step must be above 0")]
    ZeroStep,
    /// More sizes than [`MAX_SIZES`].
    #[error("{0} sizes is more than the {MAX_SIZES} a sweep visits: use a larger --step or fewer --steps")]
    TooManySizes(u64),
}

/// A range of `maxmemory` sizes, both ends included, in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SizeRange {
    /// The smallest size (above 0).
    pub from: u64,
    /// The largest size (at least `from`).
    pub to: u64,
}

impl SizeRange {
    /// A range from `from` to `to`, refused if `from` is 0 or above `to`.
    pub fn new(from: u64, to: u64) -> Result<SizeRange, GridError> {
        if from == 0 {
            return Err(GridError::ZeroFrom);
        }
        if from > to {
            return Err(GridError::Reversed { from, to });
        }
        Ok(SizeRange { from, to })
    }
}

impl FromStr for SizeRange {
    type Err = GridError;

    /// Reads `FROM..TO` with Redis's units on each end (`16mb..160mb`).
    fn from_str(s: &str) -> Result<SizeRange, GridError> {
        let (a, b) = s
            .trim()
            .split_once("..")
            .ok_or_else(|| GridError::NotARange(s.to_string()))?;
        let end = |end: &'static str, text: &str| {
            units::parse_memory(text.trim()).map_err(|source| GridError::BadSize {
                end,
                text: text.to_string(),
                source,
            })
        };
        SizeRange::new(end("FROM", a)?, end("TO", b)?)
    }
}

impl fmt::Display for SizeRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.from, self.to)
    }
}

/// How the range is cut into sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spacing {
    /// This many sizes, evenly spaced from `FROM` to `TO` (rounded down to
    /// whole bytes).
    Steps(u32),
    /// `FROM`, `FROM + step`, ... up to `TO`, and `TO` itself.
    Step(u64),
}

/// A range and how it is cut: the sizes a sweep visits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SizeGrid {
    /// The range.
    pub range: SizeRange,
    /// The spacing.
    pub spacing: Spacing,
}

impl SizeGrid {
    /// A grid, refused if the spacing makes no sense or gives more than
    /// [`MAX_SIZES`] sizes.
    pub fn new(range: SizeRange, spacing: Spacing) -> Result<SizeGrid, GridError> {
        let span = range.to - range.from;
        let count = match spacing {
            Spacing::Steps(n) if n < 2 && span > 0 => return Err(GridError::TooFewSteps(n)),
            Spacing::Steps(n) => u64::from(n),
            Spacing::Step(0) => return Err(GridError::ZeroStep),
            Spacing::Step(s) => span / s + 1 + u64::from(span % s != 0),
        };
        if count > MAX_SIZES as u64 {
            return Err(GridError::TooManySizes(count));
        }
        Ok(SizeGrid { range, spacing })
    }

    /// The sizes in ascending order, each once, both ends included.
    pub fn sizes(&self) -> Vec<u64> {
        let SizeRange { from, to } = self.range;
        let mut out: Vec<u64> = match self.spacing {
            Spacing::Steps(n) if n < 2 => vec![from],
            Spacing::Steps(n) => {
                let span = u128::from(to - from);
                let last = u128::from(n - 1);
                (0..u128::from(n))
                    .map(|i| from + (span * i / last) as u64)
                    .collect()
            }
            Spacing::Step(s) => {
                let mut v: Vec<u64> = (0..)
                    .map_while(|i: u64| i.checked_mul(s).and_then(|d| from.checked_add(d)))
                    .take_while(|&m| m <= to)
                    .collect();
                v.push(to);
                v
            }
        };
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    #[test]
    fn ranges_read_redis_units_and_refuse_nonsense() {
        let r: SizeRange = "16mb..160mb".parse().unwrap();
        assert_eq!((r.from, r.to), (16 * MIB, 160 * MIB));
        let r: SizeRange = "1k .. 2kb".parse().unwrap();
        assert_eq!((r.from, r.to), (1000, 2048));
        assert_eq!(
            "64mb".parse::<SizeRange>(),
            Err(GridError::NotARange("64mb".into()))
        );
        assert!(matches!(
            "16mb..12parsecs".parse::<SizeRange>(),
            Err(GridError::BadSize { end: "TO", .. })
        ));
        assert_eq!(
            "2mb..1mb".parse::<SizeRange>(),
            Err(GridError::Reversed {
                from: 2 * MIB,
                to: MIB
            })
        );
        assert_eq!("0..1mb".parse::<SizeRange>(), Err(GridError::ZeroFrom));
    }

    #[test]
    fn steps_are_evenly_spaced_and_include_both_ends() {
        let g = SizeGrid::new(SizeRange::new(10, 20).unwrap(), Spacing::Steps(3)).unwrap();
        assert_eq!(g.sizes(), [10, 15, 20]);
        let g = SizeGrid::new(SizeRange::new(10, 20).unwrap(), Spacing::Steps(4)).unwrap();
        assert_eq!(g.sizes(), [10, 13, 16, 20]);
        // More steps than bytes: each size once.
        let g = SizeGrid::new(SizeRange::new(10, 12).unwrap(), Spacing::Steps(5)).unwrap();
        assert_eq!(g.sizes(), [10, 11, 12]);
        let g = SizeGrid::new(SizeRange::new(7, 7).unwrap(), Spacing::Steps(10)).unwrap();
        assert_eq!(g.sizes(), [7]);
    }

    #[test]
    fn a_step_walks_up_and_ends_on_to() {
        let g = SizeGrid::new(SizeRange::new(10, 20).unwrap(), Spacing::Step(5)).unwrap();
        assert_eq!(g.sizes(), [10, 15, 20]);
        let g = SizeGrid::new(SizeRange::new(10, 21).unwrap(), Spacing::Step(5)).unwrap();
        assert_eq!(g.sizes(), [10, 15, 20, 21]);
        let g = SizeGrid::new(SizeRange::new(10, 10).unwrap(), Spacing::Step(5)).unwrap();
        assert_eq!(g.sizes(), [10]);
        let huge = SizeRange::new(u64::MAX - 1, u64::MAX).unwrap();
        assert_eq!(
            SizeGrid::new(huge, Spacing::Step(u64::MAX))
                .unwrap()
                .sizes(),
            [u64::MAX - 1, u64::MAX]
        );
    }

    #[test]
    fn bad_spacings_are_refused() {
        let r = SizeRange::new(MIB, 2 * MIB).unwrap();
        assert_eq!(
            SizeGrid::new(r, Spacing::Steps(1)),
            Err(GridError::TooFewSteps(1))
        );
        assert_eq!(SizeGrid::new(r, Spacing::Step(0)), Err(GridError::ZeroStep));
        assert_eq!(
            SizeGrid::new(r, Spacing::Step(1)),
            Err(GridError::TooManySizes(MIB + 1))
        );
        assert_eq!(
            SizeGrid::new(r, Spacing::Steps(1001)),
            Err(GridError::TooManySizes(1001))
        );
    }
}
