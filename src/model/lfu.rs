//! Redis's logarithmic LFU counter (src/evict.c): 8 bits of frequency and 16
//! bits of last-decrement time in minutes, packed in the key's 24-bit `lru`
//! field.

/// A new key's counter (`LFU_INIT_VAL`).
pub(super) const LFU_INIT_VAL: u8 = 5;

/// Redis's minute clock for LFU (`LFUGetTimeInMinutes`), from unix ms.
#[inline]
pub(crate) fn minutes(unix_ms: u64) -> u32 {
    ((unix_ms / 60_000) & 0xFFFF) as u32
}

/// Packs a decrement time and a counter into the `lru` field.
#[inline]
pub(super) fn pack(ldt_minutes: u32, counter: u8) -> u32 {
    ((ldt_minutes & 0xFFFF) << 8) | counter as u32
}

/// The counter held in an `lru` field.
#[inline]
pub(crate) fn counter(lru: u32) -> u8 {
    (lru & 0xFF) as u8
}

/// Minutes since the field's last decrement, with one wrap of the 16-bit
/// clock handled (`LFUTimeElapsed`).
#[inline]
pub(crate) fn elapsed(lru: u32, now_minutes: u32) -> u32 {
    let ldt = lru >> 8;
    if now_minutes >= ldt {
        now_minutes - ldt
    } else {
        65_535 - ldt + now_minutes
    }
}

/// The counter after decay, without storing it (`LFUDecrAndReturn`): one
/// less per `decay_time` minutes elapsed; `decay_time` 0 never decays.
#[inline]
pub(crate) fn decayed(lru: u32, now_minutes: u32, decay_time: u32) -> u8 {
    let c = counter(lru) as u32;
    let periods = elapsed(lru, now_minutes)
        .checked_div(decay_time)
        .unwrap_or(0);
    if periods > c {
        0
    } else {
        (c - periods) as u8
    }
}

/// The logarithmic increment (`LFULogIncr`), given a uniform draw `r` in
/// [0, 1).
#[inline]
pub(super) fn log_incr(counter: u8, log_factor: u32, r: f64) -> u8 {
    if counter == 255 {
        return 255;
    }
    let base = (counter as i32 - LFU_INIT_VAL as i32).max(0) as f64;
    let p = 1.0 / (base * log_factor as f64 + 1.0);
    if r < p {
        counter + 1
    } else {
        counter
    }
}

/// One access (`updateLFU`): decay, then increment, then stamp the time.
#[inline]
pub(super) fn access(lru: u32, now_minutes: u32, decay_time: u32, log_factor: u32, r: f64) -> u32 {
    let c = decayed(lru, now_minutes, decay_time);
    pack(now_minutes, log_incr(c, log_factor, r))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn hits(n: u32, factor: u32, seed: u64) -> u8 {
        let mut rng = rand::rngs::SmallRng::seed_from_u64(seed);
        let mut lru = pack(100, LFU_INIT_VAL);
        for _ in 0..n {
            lru = access(lru, 100, 1, factor, rng.gen::<f64>());
        }
        counter(lru)
    }

    #[test]
    fn new_key_counts_five() {
        assert_eq!(counter(pack(7, LFU_INIT_VAL)), 5);
    }

    #[test]
    fn hundred_and_thousand_hits_land_near_redis_figures() {
        // REDIS_MODEL.md: factor 10, 100 hits about 10, 1,000 about 18.
        let avg = |n| (0..20).map(|s| hits(n, 10, s) as f64).sum::<f64>() / 20.0;
        let h100 = avg(100);
        let h1000 = avg(1000);
        assert!((8.0..=12.0).contains(&h100), "100 hits -> {h100}");
        assert!((16.0..=20.0).contains(&h1000), "1000 hits -> {h1000}");
        let h100k = hits(100_000, 10, 1);
        assert!((130..=155).contains(&h100k), "100k hits -> {h100k}");
    }

    #[test]
    fn decay_subtracts_one_per_period() {
        let lru = pack(1000, 20);
        assert_eq!(decayed(lru, 1000, 1), 20);
        assert_eq!(decayed(lru, 1003, 1), 17);
        assert_eq!(decayed(lru, 1010, 2), 15);
        assert_eq!(decayed(lru, 2000, 1), 0);
        assert_eq!(decayed(lru, 2000, 0), 20, "decay time 0 never decays");
        // The 16-bit minute clock wraps.
        let late = pack(65_530, 20);
        assert_eq!(decayed(late, 4, 1), 11);
    }

    #[test]
    fn counter_saturates_at_255() {
        assert_eq!(log_incr(255, 10, 0.0), 255);
        assert_eq!(
            log_incr(4, 10, 0.999),
            5,
            "below LFU_INIT_VAL always increments"
        );
    }
}
