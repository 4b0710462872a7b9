//! Small deterministic hashes: SplitMix64, used to derive per-class seeds,
//! per-key value sizes and key names from the scenario's seed.
//!
//! A key's size and name must be a pure function of (seed, class, key), so a
//! refill writes the same size and a trace names the same key, whatever
//! happened before; hashing gives that without storing anything per key.

/// The SplitMix64 increment (2^64 / golden ratio).
const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;

/// The SplitMix64 finalizer: a bijection of `u64` that mixes every bit.
pub(crate) const fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A seed for one purpose (`tag`) derived from the scenario's seed.
pub(crate) const fn derive(seed: u64, tag: u64) -> u64 {
    mix64(seed ^ mix64(tag.wrapping_add(GOLDEN)))
}

/// A SplitMix64 stream, for the few numbers a key's size needs.
pub(crate) struct SplitMix(u64);

impl SplitMix {
    /// A stream starting from `seed`.
    pub(super) const fn new(seed: u64) -> Self {
        SplitMix(seed)
    }

    /// The next 64 random bits.
    pub(super) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        mix64(self.0)
    }

    /// A uniform float in [0, 1).
    pub(super) fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_reference_values() {
        // First outputs of SplitMix64 seeded with 1234567 (Vigna's reference).
        let mut s = SplitMix::new(1234567);
        assert_eq!(s.next_u64(), 6457827717110365317);
        assert_eq!(s.next_u64(), 3203168211198807973);
    }

    #[test]
    fn unit_floats_stay_in_range() {
        let mut s = SplitMix::new(7);
        for _ in 0..10_000 {
            let x = s.next_f64();
            assert!((0.0..1.0).contains(&x));
        }
    }
}
