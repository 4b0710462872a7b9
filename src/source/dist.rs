//! The two distributions a class is described by: which of its keys a
//! request picks (popularity) and how large a key's value is.
//!
//! A value's size is drawn from a hash of (seed, class, key) rather than from
//! the class's random stream, so the same key always has the same size: a
//! read-through refill writes back what was evicted.

use super::error::ScenarioError;
use super::fields::Field;
use super::hash::SplitMix;
use rand::rngs::SmallRng;
use rand::Rng;
use rand_distr::{Distribution, Zipf};

/// The largest value Redis accepts (`proto-max-bulk-len`, 512 MB).
pub const MAX_VALUE_BYTES: u64 = 512 * 1024 * 1024;

/// The largest Zipf exponent accepted (real workloads sit near 0.6-1.3).
const MAX_ALPHA: f64 = 10.0;

/// Which keys of a fixed-size class requests go to.
#[derive(Clone, Debug, PartialEq)]
pub enum Popularity {
    /// Every key equally likely.
    Uniform,
    /// Key number `k` (from 0) drawn with weight `1 / (k + 1)^alpha`.
    Zipf {
        /// The exponent, > 0 (0.99 is the YCSB default).
        alpha: f64,
    },
    /// The first `hot_fraction` of the keys get `hot_share` of the
    /// requests, uniformly within each part.
    HotSet {
        /// Fraction of keys that are hot, in (0, 1).
        hot_fraction: f64,
        /// Fraction of requests that go to hot keys, in [0, 1].
        hot_share: f64,
    },
}

/// How large a class's values are, in bytes (draws are rounded and kept
/// within 1 byte..512 MB).
#[derive(Clone, Debug, PartialEq)]
pub enum ValueDist {
    /// Always `bytes`.
    Fixed {
        /// The size.
        bytes: u32,
    },
    /// Uniform between `min` and `max`, both included.
    Uniform {
        /// Smallest size.
        min: u32,
        /// Largest size.
        max: u32,
    },
    /// Normal with this mean and standard deviation.
    Normal {
        /// Mean size.
        mean: u32,
        /// Standard deviation in bytes.
        stddev: u32,
    },
    /// Log-normal: half the values are below `median`; `sigma` is the
    /// standard deviation of the log (1.0 spreads sizes over ~10x).
    LogNormal {
        /// Median size.
        median: u32,
        /// Spread of the log of the size, >= 0.
        sigma: f64,
    },
    /// One of `sizes`, with probabilities proportional to `weights`.
    Weighted {
        /// The possible sizes.
        sizes: Vec<u32>,
        /// Their relative weights (same length, >= 0, not all 0).
        weights: Vec<f64>,
    },
}

impl ValueDist {
    /// The size of the key whose hash is `key_hash`: a pure function, so a
    /// key keeps its size for the whole run.
    pub fn size(&self, key_hash: u64) -> u32 {
        let mut r = SplitMix::new(key_hash);
        let x = match self {
            ValueDist::Fixed { bytes } => return *bytes,
            ValueDist::Uniform { min, max } => {
                let span = u64::from(max - min) + 1;
                let off = (u128::from(r.next_u64()) * u128::from(span)) >> 64;
                return min + off as u32;
            }
            ValueDist::Normal { mean, stddev } => {
                f64::from(*mean) + f64::from(*stddev) * std_normal(&mut r)
            }
            ValueDist::LogNormal { median, sigma } => {
                f64::from(*median) * (sigma * std_normal(&mut r)).exp()
            }
            ValueDist::Weighted { sizes, weights } => {
                let total: f64 = weights.iter().sum();
                let mut u = r.next_f64() * total;
                for (s, w) in sizes.iter().zip(weights) {
                    if u < *w {
                        return *s;
                    }
                    u -= w;
                }
                return sizes.last().copied().unwrap_or(1);
            }
        };
        x.round().clamp(1.0, MAX_VALUE_BYTES as f64) as u32
    }
}

/// How long something waits, in ms (a user's break before coming back).
#[derive(Clone, Debug, PartialEq)]
pub enum DelayDist {
    /// Always this long.
    Fixed {
        /// The delay in ms.
        ms: u64,
    },
    /// Uniform between `min_ms` and `max_ms`.
    Uniform {
        /// Shortest delay in ms.
        min_ms: u64,
        /// Longest delay in ms.
        max_ms: u64,
    },
    /// Exponential with this mean (memoryless breaks).
    Exponential {
        /// Mean delay in ms.
        mean_ms: u64,
    },
    /// Log-normal: half the delays are below `median_ms`; `sigma` is the
    /// standard deviation of the log.
    LogNormal {
        /// Median delay in ms.
        median_ms: u64,
        /// Spread of the log of the delay, >= 0.
        sigma: f64,
    },
}

impl DelayDist {
    /// One delay in ms, drawn from the class's random stream.
    pub(crate) fn sample(&self, rng: &mut SmallRng) -> f64 {
        match *self {
            DelayDist::Fixed { ms } => ms as f64,
            DelayDist::Uniform { min_ms, max_ms } => {
                min_ms as f64 + rng.gen::<f64>() * (max_ms - min_ms) as f64
            }
            DelayDist::Exponential { mean_ms } => {
                let e: f64 = rng.sample(rand_distr::Exp1);
                e * mean_ms as f64
            }
            DelayDist::LogNormal { median_ms, sigma } => {
                let z: f64 = rng.sample(rand_distr::StandardNormal);
                median_ms as f64 * (sigma * z).exp()
            }
        }
    }
}

/// Reads a delay: a duration (`"20m"`) or a table with `dist` = `"fixed"`
/// (`delay`), `"uniform"` (`min`, `max`), `"exponential"`
/// (`mean`) or `"lognormal"` (`median`, `sigma`).
pub(crate) fn read_delay(f: &Field) -> Result<DelayDist, ScenarioError> {
    const DISTS: &str = "\"fixed\", \"uniform\", \"exponential\" or \"lognormal\"";
    if !f.is_table() {
        return Ok(DelayDist::Fixed {
            ms: f.duration_ms()?,
        });
    }
    let t = f.table_unchecked()?;
    let dist = t.require("dist", DISTS)?;
    match dist.str()? {
        "fixed" => {
            t.deny_unknown(&["dist", "delay"], "a fixed delay")?;
            let ms = t
                .require("delay", "the delay, e.g. \"20m\"")?
                .duration_ms()?;
            Ok(DelayDist::Fixed { ms })
        }
        "uniform" => {
            t.deny_unknown(&["dist", "min", "max"], "a uniform delay")?;
            let min_ms = t.require("min", "the shortest delay")?.duration_ms()?;
            let mf = t.require("max", "the longest delay")?;
            let max_ms = mf.duration_ms()?;
            if max_ms < min_ms {
                return Err(mf.err(format!("must be >= min ({min_ms} ms) (got {max_ms} ms)")));
            }
            Ok(DelayDist::Uniform { min_ms, max_ms })
        }
        "exponential" => {
            t.deny_unknown(&["dist", "mean"], "an exponential delay")?;
            let mean_ms = t
                .require("mean", "the mean delay, e.g. \"20m\"")?
                .duration_ms()?;
            Ok(DelayDist::Exponential { mean_ms })
        }
        "lognormal" => {
            t.deny_unknown(&["dist", "median", "sigma"], "a lognormal delay")?;
            let median_ms = t
                .require("median", "the median delay, e.g. \"20m\"")?
                .duration_ms()?;
            let sf = t.require("sigma", "the spread of log(delay), e.g. 1.0")?;
            let sigma = sf.number()?;
            if !(0.0..=10.0).contains(&sigma) {
                return Err(sf.err(format!("must be between 0 and 10 (got {sigma})")));
            }
            Ok(DelayDist::LogNormal { median_ms, sigma })
        }
        other => Err(dist.err(format!("unknown distribution '{other}' (expected {DISTS})"))),
    }
}

/// A standard normal draw (Box-Muller).
fn std_normal(r: &mut SplitMix) -> f64 {
    let u1 = 1.0 - r.next_f64(); // (0, 1]: ln is finite
    let u2 = r.next_f64();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Draws key numbers of a fixed-size class by its popularity.
#[derive(Clone, Debug)]
pub(crate) enum Picker {
    Uniform { n: u32 },
    Zipf { zipf: Zipf<f64>, n: u32 },
    HotSet { hot: u32, n: u32, share: f64 },
}

impl Picker {
    /// A picker over keys `0..n` (`n` >= 1).
    pub(super) fn new(p: &Popularity, n: u32) -> Self {
        let n = n.max(1);
        match *p {
            Popularity::Uniform => Picker::Uniform { n },
            Popularity::Zipf { alpha } => {
                // Rejection-inversion loses precision for exponents a hair
                // away from 1; treat those as exactly 1.
                let s = if (alpha - 1.0).abs() < 1e-9 {
                    1.0
                } else {
                    alpha
                };
                match Zipf::new(u64::from(n), s) {
                    Ok(zipf) => Picker::Zipf { zipf, n },
                    Err(_) => Picker::Uniform { n },
                }
            }
            Popularity::HotSet {
                hot_fraction,
                hot_share,
            } => {
                let hot = ((f64::from(n) * hot_fraction).round() as u32).clamp(1, n);
                if hot == n {
                    Picker::Uniform { n }
                } else {
                    Picker::HotSet {
                        hot,
                        n,
                        share: hot_share,
                    }
                }
            }
        }
    }

    /// The next key number, in `0..n`.
    #[inline]
    pub(super) fn pick(&self, rng: &mut SmallRng) -> u32 {
        match self {
            Picker::Uniform { n } => rng.gen_range(0..*n),
            Picker::Zipf { zipf, n } => {
                let rank = zipf.sample(rng) as u32; // 1..=n
                rank.clamp(1, *n) - 1
            }
            Picker::HotSet { hot, n, share } => {
                if rng.gen::<f64>() < *share {
                    rng.gen_range(0..*hot)
                } else {
                    rng.gen_range(*hot..*n)
                }
            }
        }
    }
}

/// Reads a `popularity`: `"uniform"`, `{ dist = "uniform" }`,
/// `{ dist = "zipf", alpha = 0.99 }` or
/// `{ dist = "hotset", hot_fraction = 0.2, hot_share = 0.8 }`.
pub(crate) fn read_popularity(f: &Field) -> Result<Popularity, ScenarioError> {
    const DISTS: &str = "\"uniform\", \"zipf\" or \"hotset\"";
    if !f.is_table() {
        return match f.str()? {
            "uniform" => Ok(Popularity::Uniform),
            other => Err(f.err(format!(
                "unknown popularity {other:?}: write \"uniform\" or a table such as {{ dist = \"zipf\", alpha = 0.99 }}"
            ))),
        };
    }
    let t = f.table_unchecked()?;
    let dist = t.require("dist", DISTS)?;
    match dist.str()? {
        "uniform" => {
            t.deny_unknown(&["dist"], "a uniform popularity")?;
            Ok(Popularity::Uniform)
        }
        "zipf" => {
            t.deny_unknown(&["dist", "alpha"], "a zipf popularity")?;
            let a = t.require("alpha", "the Zipf exponent, e.g. 0.99")?;
            let alpha = a.number()?;
            if alpha <= 0.0 {
                return Err(a.err(format!("must be > 0 (got {alpha})")));
            }
            if alpha > MAX_ALPHA {
                return Err(a.err(format!("must be at most {MAX_ALPHA} (got {alpha})")));
            }
            Ok(Popularity::Zipf { alpha })
        }
        "hotset" => {
            t.deny_unknown(
                &["dist", "hot_fraction", "hot_share"],
                "a hotset popularity",
            )?;
            let hf = t.require("hot_fraction", "fraction of keys that are hot, e.g. 0.2")?;
            let hot_fraction = hf.number()?;
            if hot_fraction <= 0.0 || hot_fraction >= 1.0 {
                return Err(hf.err(format!(
                    "must be between 0 and 1, both excluded (got {hot_fraction})"
                )));
            }
            let hs = t.require("hot_share", "fraction of requests to hot keys, e.g. 0.8")?;
            let hot_share = probability(&hs)?;
            Ok(Popularity::HotSet {
                hot_fraction,
                hot_share,
            })
        }
        other => Err(dist.err(format!("unknown distribution {other:?} (expected {DISTS})"))),
    }
}

/// Reads a `value`: `{ dist = "fixed", bytes = 800 }`, `uniform{min,max}`,
/// `normal{mean,stddev}`, `lognormal{median,sigma}` or
/// `weighted{sizes=[..], weights=[..]}`; a bare size means fixed.
pub(crate) fn read_value(f: &Field) -> Result<ValueDist, ScenarioError> {
    const DISTS: &str = "\"fixed\", \"uniform\", \"normal\", \"lognormal\" or \"weighted\"";
    if !f.is_table() {
        return Ok(ValueDist::Fixed {
            bytes: value_size(f)?,
        });
    }
    let t = f.table_unchecked()?;
    let dist = t.require("dist", DISTS)?;
    match dist.str()? {
        "fixed" => {
            t.deny_unknown(&["dist", "bytes"], "a fixed value size")?;
            let bytes = value_size(&t.require("bytes", "the value size, e.g. 800 or \"1kb\"")?)?;
            Ok(ValueDist::Fixed { bytes })
        }
        "uniform" => {
            t.deny_unknown(&["dist", "min", "max"], "a uniform value size")?;
            let min = value_size(&t.require("min", "the smallest size")?)?;
            let mf = t.require("max", "the largest size")?;
            let max = value_size(&mf)?;
            if max < min {
                return Err(mf.err(format!("must be >= min ({min}) (got {max})")));
            }
            Ok(ValueDist::Uniform { min, max })
        }
        "normal" => {
            t.deny_unknown(&["dist", "mean", "stddev"], "a normal value size")?;
            let mean = value_size(&t.require("mean", "the mean size")?)?;
            let sf = t.require("stddev", "the standard deviation in bytes")?;
            let stddev = sf.memory()?;
            if stddev > MAX_VALUE_BYTES {
                return Err(sf.err(format!("must be at most 512mb (got {stddev})")));
            }
            Ok(ValueDist::Normal {
                mean,
                stddev: stddev as u32,
            })
        }
        "lognormal" => {
            t.deny_unknown(&["dist", "median", "sigma"], "a lognormal value size")?;
            let median = value_size(&t.require("median", "the median size")?)?;
            let sf = t.require("sigma", "the spread of log(size), e.g. 1.0")?;
            let sigma = sf.number()?;
            if !(0.0..=10.0).contains(&sigma) {
                return Err(sf.err(format!("must be between 0 and 10 (got {sigma})")));
            }
            Ok(ValueDist::LogNormal { median, sigma })
        }
        "weighted" => {
            t.deny_unknown(&["dist", "sizes", "weights"], "a weighted value size")?;
            let sf = t.require("sizes", "the possible sizes, e.g. [100, \"4kb\"]")?;
            let sizes = sf
                .array()?
                .iter()
                .map(value_size)
                .collect::<Result<Vec<_>, _>>()?;
            if sizes.is_empty() {
                return Err(sf.err("must list at least one size"));
            }
            let wf = t.require("weights", "one weight per size")?;
            let mut weights = Vec::new();
            for w in wf.array()? {
                let x = w.number()?;
                if x < 0.0 {
                    return Err(w.err(format!("must be >= 0 (got {x})")));
                }
                weights.push(x);
            }
            if weights.len() != sizes.len() {
                return Err(wf.err(format!(
                    "has {} weights for {} sizes; give one weight per size",
                    weights.len(),
                    sizes.len()
                )));
            }
            if weights.iter().sum::<f64>() <= 0.0 {
                return Err(wf.err("at least one weight must be > 0"));
            }
            Ok(ValueDist::Weighted { sizes, weights })
        }
        other => Err(dist.err(format!("unknown distribution {other:?} (expected {DISTS})"))),
    }
}

/// Reads a value size: 1 byte to 512 MB, as an integer or with units.
fn value_size(f: &Field) -> Result<u32, ScenarioError> {
    let b = f.memory()?;
    if b == 0 || b > MAX_VALUE_BYTES {
        return Err(f.err(format!(
            "a value size must be from 1 byte to 512mb (got {b})"
        )));
    }
    Ok(b as u32)
}

/// Reads a probability in [0, 1].
pub(crate) fn probability(f: &Field) -> Result<f64, ScenarioError> {
    let p = f.number()?;
    if !(0.0..=1.0).contains(&p) {
        return Err(f.err(format!("must be between 0 and 1 (got {p})")));
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn sizes_are_pure_and_in_range() {
        let dists = [
            ValueDist::Fixed { bytes: 7 },
            ValueDist::Uniform { min: 10, max: 20 },
            ValueDist::Normal {
                mean: 100,
                stddev: 500,
            },
            ValueDist::LogNormal {
                median: 800,
                sigma: 1.0,
            },
            ValueDist::Weighted {
                sizes: vec![1, 1000],
                weights: vec![0.0, 1.0],
            },
        ];
        for d in &dists {
            for h in 0..2000u64 {
                let s = d.size(h);
                assert_eq!(s, d.size(h));
                assert!((1..=MAX_VALUE_BYTES as u32).contains(&s));
            }
        }
        assert!((0..2000).all(|h| (10..=20).contains(&dists[1].size(h))));
        assert!((0..2000).any(|h| dists[1].size(h) == 10));
        assert!((0..2000).any(|h| dists[1].size(h) == 20));
        assert!((0..2000).all(|h| dists[4].size(h) == 1000));
    }

    #[test]
    fn lognormal_median_is_near_median() {
        let d = ValueDist::LogNormal {
            median: 800,
            sigma: 1.0,
        };
        let mut v: Vec<u32> = (0..10_001).map(|h| d.size(h * 7919)).collect();
        v.sort_unstable();
        let m = v[5000];
        assert!((700..900).contains(&m), "median {m}");
    }

    #[test]
    fn pickers_stay_in_range_and_skew() {
        let mut rng = SmallRng::seed_from_u64(1);
        let z = Picker::new(&Popularity::Zipf { alpha: 0.99 }, 1000);
        let mut first = 0;
        for _ in 0..10_000 {
            let k = z.pick(&mut rng);
            assert!(k < 1000);
            first += u32::from(k == 0);
        }
        assert!(first > 500, "key 0 drawn {first} times");
        let h = Picker::new(
            &Popularity::HotSet {
                hot_fraction: 0.1,
                hot_share: 0.9,
            },
            1000,
        );
        let hot = (0..10_000).filter(|_| h.pick(&mut rng) < 100).count();
        assert!((8_500..9_500).contains(&hot), "{hot}");
        let one = Picker::new(&Popularity::Zipf { alpha: 1.0 }, 1);
        assert_eq!(one.pick(&mut rng), 0);
    }
}
