//! Keeping the replay on the stream's clock: time 0 on a whole second of
//! the wall clock (Redis's LRU clock ticks on whole seconds, and the model
//! is told where its clocks stand), each tick sent at `start + t_ms`, and
//! what was achieved ([`Pace`]).

use serde::Serialize;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A tick sent this much (ms) after its time counts as late.
pub(crate) const LATE_MS: u64 = 10;

/// What the replay achieved against the clock.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Pace {
    /// Ops of the stream replayed.
    pub ops: u64,
    /// Redis commands sent (follow-ups and SELECTs included).
    pub commands: u64,
    /// Pipelines sent (each one round trip).
    pub pipelines: u64,
    /// Milliseconds with at least one op.
    pub ticks: u64,
    /// Ticks sent more than `LATE_MS` (10 ms) after their time.
    pub late_ticks: u64,
    /// The largest delay of a tick behind its time, in ms.
    pub max_lag_ms: u64,
    /// Real time the replay took, in ms (until the scenario's end).
    pub wall_ms: u64,
    /// Error replies other than `-OOM` (e.g. WRONGTYPE), which the model
    /// treats as skipped commands.
    pub other_errors: u64,
}

impl Pace {
    /// Commands a second over the whole run.
    pub fn commands_per_sec(&self) -> u64 {
        self.commands * 1000 / self.wall_ms.max(1)
    }

    /// Sleeps until `t_ms` after `start`, or notes how late that already is.
    pub(super) fn wait_until(&mut self, start: Instant, t_ms: u64) {
        let due = start + Duration::from_millis(t_ms);
        let now = Instant::now();
        if now < due {
            std::thread::sleep(due - now);
        } else {
            let lag = (now - due).as_millis() as u64;
            self.max_lag_ms = self.max_lag_ms.max(lag);
            if lag > LATE_MS {
                self.late_ticks += 1;
            }
        }
    }
}

/// Waits for the next whole second of the wall clock and returns that
/// instant and its unix time in ms.
pub(super) fn align_to_second() -> (Instant, u64) {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let wait = Duration::from_nanos(u64::from(1_000_000_000 - since_epoch.subsec_nanos()));
    std::thread::sleep(wait);
    (Instant::now(), (since_epoch + wait).as_millis() as u64)
}
