//! Replaying faster than the scenario's clock: `--speed X` divides every
//! time in the op stream by X (when each op happens, and every TTL, sliding
//! window, rate-limit window and delay it carries), so ten simulated minutes
//! take one real minute at `--speed 10`. The real server and the model both
//! see the scaled stream; what the scaling distorts relative to the
//! scenario is said by [`distortions`].

use crate::op::{Cmd, Op, ReadSpec};

/// A time in ms divided by `speed`; a non-zero time stays at least 1 ms
/// (0 means "none" for TTLs and must not appear from a short one).
#[inline]
pub(super) fn scale_ms(ms: u64, speed: f64) -> u64 {
    if ms == 0 || speed == 1.0 {
        return ms;
    }
    ((ms as f64 / speed).round() as u64).max(1)
}

/// The op with its time and every duration it carries divided by `speed`.
/// The op's time is floored, so ops keep their order.
pub(super) fn scale_op(op: Op, speed: f64) -> Op {
    if speed == 1.0 {
        return op;
    }
    let s = |ms| scale_ms(ms, speed);
    let cmd = match op.cmd {
        Cmd::Read(r) => Cmd::Read(ReadSpec {
            fill: r.fill,
            fill_ttl_ms: s(r.fill_ttl_ms),
            slide_ms: s(r.slide_ms),
        }),
        Cmd::Set {
            value,
            ttl_ms,
            cond,
            keep_ttl,
        } => Cmd::Set {
            value,
            ttl_ms: s(ttl_ms),
            cond,
            keep_ttl,
        },
        Cmd::Expire { ttl_ms } => Cmd::Expire { ttl_ms: s(ttl_ms) },
        Cmd::IncrWindow { window_ms } => Cmd::IncrWindow {
            window_ms: s(window_ms),
        },
        other => other,
    };
    Op {
        t_ms: (op.t_ms as f64 / speed).floor() as u64,
        cmd,
        ..op
    }
}

/// What replaying `speed` times faster changes relative to the scenario,
/// one sentence each; empty at speed 1. `hz` and `lfu_decay_time` are the
/// instance's.
pub(super) fn distortions(speed: f64, hz: u32, lfu_decay_time: u32) -> Vec<String> {
    if speed == 1.0 {
        return Vec::new();
    }
    let x = trim(speed);
    let mut out = vec![
        format!("times, TTLs, windows and delays are divided by {x}; the model replays the same scaled stream"),
        format!(
            "the LRU clock's 1 s resolution spans {} simulated seconds: keys touched within that look equally old",
            trim(speed)
        ),
    ];
    if lfu_decay_time > 0 {
        out.push(format!(
            "LFU counters decay once per {lfu_decay_time} real minute(s) = {} simulated minutes: {x} times slower relative to the workload",
            trim(speed * f64::from(lfu_decay_time))
        ));
    }
    out.push(format!(
        "the active expire cycle (hz {hz}) runs {} cycles per simulated second instead of {hz} ({x} times less often)",
        trim(f64::from(hz) / speed)
    ));
    out
}

/// A number without a trailing `.0`.
fn trim(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::op::{SetCond, Value};

    fn op(t_ms: u64, cmd: Cmd) -> Op {
        Op {
            t_ms,
            key: 1,
            key_len: 8,
            db: 0,
            class: 0,
            cmd,
        }
    }

    #[test]
    fn speed_one_is_the_identity() {
        let o = op(
            1234,
            Cmd::Read(ReadSpec {
                fill: Some(Value::bytes(3)),
                fill_ttl_ms: 999,
                slide_ms: 7,
            }),
        );
        assert_eq!(scale_op(o, 1.0), o);
    }

    #[test]
    fn every_duration_is_divided() {
        let read = scale_op(
            op(
                10_009,
                Cmd::Read(ReadSpec {
                    fill: Some(Value::bytes(3)),
                    fill_ttl_ms: 60_000,
                    slide_ms: 1_800_000,
                }),
            ),
            10.0,
        );
        assert_eq!(read.t_ms, 1000);
        assert_eq!(
            read.cmd,
            Cmd::Read(ReadSpec {
                fill: Some(Value::bytes(3)),
                fill_ttl_ms: 6_000,
                slide_ms: 180_000,
            })
        );
        let set = scale_op(
            op(
                5,
                Cmd::Set {
                    value: Value::bytes(1),
                    ttl_ms: 3,
                    cond: SetCond::Always,
                    keep_ttl: false,
                },
            ),
            10.0,
        );
        assert_eq!(set.t_ms, 0);
        // A short TTL stays a TTL.
        assert!(matches!(set.cmd, Cmd::Set { ttl_ms: 1, .. }));
        let w = scale_op(op(0, Cmd::IncrWindow { window_ms: 60_000 }), 4.0);
        assert_eq!(w.cmd, Cmd::IncrWindow { window_ms: 15_000 });
        let e = scale_op(op(0, Cmd::Expire { ttl_ms: 0 }), 4.0);
        assert_eq!(e.cmd, Cmd::Expire { ttl_ms: 0 }, "PEXPIRE 0 still deletes");
    }

    #[test]
    fn distortions_are_named() {
        assert!(distortions(1.0, 10, 1).is_empty());
        let d = distortions(10.0, 10, 1).join("\n");
        assert!(d.contains("10 simulated seconds"), "{d}");
        assert!(d.contains("runs 1 cycles per simulated second"), "{d}");
        assert!(d.contains("10 simulated minutes"), "{d}");
    }
}
