//! Simulated time: run time 0 stands for a fixed wall-clock instant
//! (`InstanceConfig::start_unix_ms`, by default [`EPOCH_UNIX_MS`]), so the
//! 1-second LRU clock and the LFU minute clock tick at the same places on
//! every run.

/// Unix time (ms) that simulated time 0 stands for by default.
pub(super) const EPOCH_UNIX_MS: u64 = 1_700_000_000_000;

/// Redis's 24-bit LRU clock in seconds (`LRU_CLOCK_RESOLUTION` 1000 ms) at
/// a unix time in ms. Redis refreshes its cached copy from the cron, as the
/// instance does.
#[inline]
pub(super) fn lru_clock_at(unix_ms: u64) -> u32 {
    ((unix_ms / 1000) & ((1 << 24) - 1)) as u32
}
