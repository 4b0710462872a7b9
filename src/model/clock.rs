//! Simulated time: run time 0 is a fixed wall-clock instant, so the 1-second
//! LRU clock and the LFU minute clock tick at the same places on every run.

/// Unix time (ms) that simulated time 0 stands for.
pub const EPOCH_UNIX_MS: u64 = 1_700_000_000_000;

/// Unix ms of a simulated time.
#[inline]
pub fn unix_ms(sim_ms: u64) -> u64 {
    EPOCH_UNIX_MS + sim_ms
}

/// Redis's 24-bit LRU clock in seconds (`LRU_CLOCK_RESOLUTION` 1000 ms) at a
/// simulated time. Redis refreshes its cached copy from the cron, as the
/// instance does.
#[inline]
pub fn lru_clock(sim_ms: u64) -> u32 {
    ((unix_ms(sim_ms) / 1000) & ((1 << 24) - 1)) as u32
}
