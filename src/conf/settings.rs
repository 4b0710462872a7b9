//! The settings evictsim models, read from their directives as Redis 7.0
//! reads them (src/config.c): memory with `memtoull`'s units, integers as
//! `string2ll` takes them (no `+`, no leading zeros) within each config's
//! range, `yes`/`no` and enum names in any case, `save` points that
//! accumulate, and `hz` clamped to 1..=500 once the file is read. Each
//! keeps where it was set, so a report can point at the line.

use super::{ConfError, Directive, DirectiveKind, Origin, Warning};
use crate::model::PolicyKind;
use crate::persistence::{Fsync, Persistence, SavePoint};
use crate::units::{self, UnitError};

/// A setting's value and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting<T> {
    /// The value in force.
    pub value: T,
    /// The directive that set it; `None`: Redis 7.0's default.
    pub origin: Option<Origin>,
    /// Earlier directives the last one overrides.
    pub overridden: Vec<Origin>,
}

impl<T> Setting<T> {
    fn default(value: T) -> Setting<T> {
        Setting {
            value,
            origin: None,
            overridden: Vec::new(),
        }
    }

    fn set(&mut self, value: T, at: &Origin) {
        if let Some(o) = self.origin.take() {
            self.overridden.push(o);
        }
        self.value = value;
        self.origin = Some(at.clone());
    }
}

/// What evictsim reads of a config, with Redis 7.0's defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// `maxmemory` in bytes (0: no limit).
    pub maxmemory: Setting<u64>,
    /// `maxmemory-policy`.
    pub policy: Setting<PolicyKind>,
    /// `maxmemory-samples`.
    pub samples: Setting<u32>,
    /// `lfu-log-factor`.
    pub lfu_log_factor: Setting<u32>,
    /// `lfu-decay-time`, in minutes.
    pub lfu_decay_time: Setting<u32>,
    /// `databases`.
    pub databases: Setting<u32>,
    /// `hz`, clamped to 1..=500 as Redis clamps it.
    pub hz: Setting<u32>,
    /// `active-expire-effort`.
    pub active_expire_effort: Setting<u32>,
    /// `save` points (origin: the last `save` line; they accumulate).
    pub save: Setting<Vec<SavePoint>>,
    /// `appendonly`.
    pub appendonly: Setting<bool>,
    /// `appendfsync`.
    pub appendfsync: Setting<Fsync>,
    /// Whether a `save` line was read (the first drops the defaults).
    save_read: bool,
}

impl Default for Settings {
    /// Redis 7.0's defaults.
    fn default() -> Self {
        let p = Persistence::default();
        Settings {
            maxmemory: Setting::default(0),
            policy: Setting::default(PolicyKind::NoEviction),
            samples: Setting::default(5),
            lfu_log_factor: Setting::default(10),
            lfu_decay_time: Setting::default(1),
            databases: Setting::default(16),
            hz: Setting::default(10),
            active_expire_effort: Setting::default(1),
            save: Setting::default(p.save),
            appendonly: Setting::default(p.appendonly),
            appendfsync: Setting::default(p.appendfsync),
            save_read: false,
        }
    }
}

/// Redis 7.0's `maxmemory-policy` names, as its error lists them.
const POLICY_NAMES: &str = "volatile-lru, volatile-lfu, volatile-random, volatile-ttl, \
                            allkeys-lru, allkeys-lfu, allkeys-random, noeviction";

impl Settings {
    /// Applies one directive, in load order, as Redis applies it at once:
    /// a bad value stops the reading there.
    pub(crate) fn apply(
        &mut self,
        d: &Directive,
        warnings: &mut Vec<Warning>,
    ) -> Result<(), ConfError> {
        if d.kind != DirectiveKind::Config {
            return Ok(());
        }
        let at = &d.origin;
        let arg = d.args.first().map_or("", String::as_str);
        let bad = |why: String| ConfError::at(at, format!("{} '{arg}': {why}", d.name));
        let int = |lo: i64, hi: i64| -> Result<u32, ConfError> {
            let v = string2ll(arg)
                .ok_or_else(|| bad("argument couldn't be parsed into an integer".to_string()))?;
            if v < lo || v > hi {
                return Err(bad(format!(
                    "argument must be between {lo} and {hi} inclusive"
                )));
            }
            Ok(v as u32)
        };
        const INT_MAX: i64 = i32::MAX as i64;
        match d.name.as_str() {
            "maxmemory" => {
                let (v, digitless) = memtoull(arg).map_err(bad)?;
                if digitless {
                    warnings.push(Warning {
                        origin: Some(at.clone()),
                        message: format!(
                            "maxmemory '{arg}' has no digits: Redis 7.0 reads it as 0 (no limit)"
                        ),
                    });
                }
                self.maxmemory.set(v, at);
            }
            "maxmemory-policy" => {
                let lower = arg.to_ascii_lowercase();
                let p = lower
                    .parse::<PolicyKind>()
                    .ok()
                    .filter(|p| !p.is_reference())
                    .ok_or_else(|| {
                        bad(format!(
                            "argument(s) must be one of the following: {POLICY_NAMES}"
                        ))
                    })?;
                if let Some(why) = p.redis7_reason() {
                    warnings.push(Warning {
                        origin: Some(at.clone()),
                        message: format!(
                            "maxmemory-policy {p}: {why}; audited as the later release runs it"
                        ),
                    });
                }
                self.policy.set(p, at);
            }
            "maxmemory-samples" => {
                let v = int(1, INT_MAX)?;
                self.samples.set(v, at);
            }
            "lfu-log-factor" => {
                let v = int(0, INT_MAX)?;
                self.lfu_log_factor.set(v, at);
            }
            "lfu-decay-time" => {
                let v = int(0, INT_MAX)?;
                self.lfu_decay_time.set(v, at);
            }
            "databases" => {
                let v = int(1, INT_MAX)?;
                if v > u32::from(u8::MAX) {
                    warnings.push(Warning {
                        origin: Some(at.clone()),
                        message: format!("databases {v}: evictsim models at most 255"),
                    });
                }
                self.databases.set(v, at);
            }
            "hz" => {
                let v = int(0, INT_MAX)?;
                let clamped = v.clamp(1, 500);
                if clamped != v {
                    warnings.push(Warning {
                        origin: Some(at.clone()),
                        message: format!("hz {v}: Redis 7.0 runs it as {clamped} (1 to 500)"),
                    });
                }
                self.hz.set(clamped, at);
            }
            "active-expire-effort" => {
                let v = int(1, 10)?;
                self.active_expire_effort.set(v, at);
            }
            "appendonly" => {
                let v = yes_no(arg).ok_or_else(|| bad("argument must be 'yes' or 'no'".into()))?;
                self.appendonly.set(v, at);
            }
            "appendfsync" => {
                let v = match arg.to_ascii_lowercase().as_str() {
                    "always" => Fsync::Always,
                    "everysec" => Fsync::EverySec,
                    "no" => Fsync::No,
                    _ => {
                        return Err(bad(
                            "argument(s) must be one of the following: always, everysec, no".into(),
                        ))
                    }
                };
                self.appendfsync.set(v, at);
            }
            "save" => self.save_line(d)?,
            _ => {}
        }
        Ok(())
    }

    /// One `save` line: the file's first drops the default points, `save
    /// ""` drops every point so far, and the rest add theirs.
    fn save_line(&mut self, d: &Directive) -> Result<(), ConfError> {
        let mut args: &[String] = &d.args;
        let reset = args.len() == 1 && args[0].is_empty();
        if reset {
            args = &[];
        }
        let invalid = |why: &str| {
            ConfError::at(
                &d.origin,
                format!(
                    "save '{}': Invalid save parameters ({why}; pairs of SECONDS CHANGES, \
                     SECONDS at least 1, or \"\" for none)",
                    d.args.join(" ")
                ),
            )
        };
        if args.len() % 2 == 1 {
            return Err(invalid("an odd number of arguments"));
        }
        let mut points = Vec::with_capacity(args.len() / 2);
        for pair in args.chunks(2) {
            let seconds = strtoll(&pair[0]).filter(|&v| v >= 1);
            let changes = strtoll(&pair[1]).filter(|&v| v >= 0);
            match (seconds, changes) {
                (Some(s), Some(c)) => points.push(SavePoint {
                    seconds: s as u64,
                    changes: c as u64,
                }),
                (None, _) => {
                    return Err(invalid(&format!(
                        "'{}' is not a number of seconds",
                        pair[0]
                    )))
                }
                (_, None) => {
                    return Err(invalid(&format!(
                        "'{}' is not a number of changes",
                        pair[1]
                    )))
                }
            }
        }
        let mut save = std::mem::take(&mut self.save.value);
        if !self.save_read || reset {
            save.clear();
        }
        self.save_read = true;
        save.extend(points);
        // Lines accumulate: the last is where the points were last set,
        // and none overrides another.
        self.save.value = save;
        self.save.origin = Some(d.origin.clone());
        Ok(())
    }
}

/// `yes` or `no`, in any case.
fn yes_no(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}

/// An integer as Redis's `string2ll` reads it: an optional `-`, then `0`
/// alone or digits not starting with `0`, within 64 bits.
fn string2ll(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let ok = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && !(s.starts_with('-') && digits == "0");
    ok.then(|| s.parse::<i64>().ok()).flatten()
}

/// An integer as C's `strtoll` reads it with the whole string required
/// (`save`'s check): leading blanks, a sign, digits; the empty string
/// reads as 0; a value past 64 bits saturates.
fn strtoll(s: &str) -> Option<i64> {
    if s.is_empty() {
        return Some(0);
    }
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v = t.parse::<i64>().unwrap_or(i64::MAX);
    Some(if neg { -v } else { v })
}

/// A memory value as Redis's `memtoull` reads it, and whether it had no
/// digits at all (`mb`, `""`: Redis reads those as 0 without a word).
fn memtoull(s: &str) -> Result<(u64, bool), String> {
    const UNITS: [&str; 8] = ["", "b", "k", "kb", "m", "mb", "g", "gb"];
    let why = match units::parse_memory(s) {
        Ok(v) => return Ok((v, false)),
        Err(UnitError::Empty) => return Ok((0, true)),
        Err(UnitError::NotANumber) if UNITS.contains(&s.to_ascii_lowercase().as_str()) => {
            return Ok((0, true))
        }
        Err(UnitError::NotANumber) => "it does not start with a digit".to_string(),
        Err(UnitError::Negative) => "it is negative".to_string(),
        Err(UnitError::Fraction) => "no fractions: use a smaller unit".to_string(),
        Err(UnitError::UnknownUnit { unit, .. }) => format!("unknown unit \"{unit}\""),
        Err(UnitError::Overflow) => "too large: Redis 7.0 would wrap it around".to_string(),
        Err(UnitError::MissingUnit) => "a unit is missing".to_string(),
    };
    Err(format!(
        "argument must be a memory value ({why}): bytes, or a whole number with k, kb, m, mb, \
         g or gb"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_as_string2ll_takes_them() {
        assert_eq!(string2ll("0"), Some(0));
        assert_eq!(string2ll("42"), Some(42));
        assert_eq!(string2ll("-7"), Some(-7));
        assert_eq!(string2ll("007"), None);
        assert_eq!(string2ll("+7"), None);
        assert_eq!(string2ll("-0"), None);
        assert_eq!(string2ll(""), None);
        assert_eq!(string2ll("5s"), None);
        assert_eq!(string2ll("99999999999999999999"), None);
    }

    #[test]
    fn save_numbers_as_strtoll_takes_them() {
        assert_eq!(strtoll("900"), Some(900));
        assert_eq!(strtoll("+900"), Some(900));
        assert_eq!(strtoll("0900"), Some(900));
        assert_eq!(strtoll(" 9"), Some(9));
        assert_eq!(strtoll(""), Some(0));
        assert_eq!(strtoll(" "), None);
        assert_eq!(strtoll("9x"), None);
        assert_eq!(strtoll("-1"), Some(-1));
    }

    #[test]
    fn memory_as_memtoull_reads_it() {
        assert_eq!(memtoull("0"), Ok((0, false)));
        assert_eq!(memtoull("1k"), Ok((1000, false)));
        assert_eq!(memtoull("1KB"), Ok((1024, false)));
        assert_eq!(memtoull("2Gb"), Ok((2 << 30, false)));
        assert_eq!(memtoull("mb"), Ok((0, true)));
        assert_eq!(memtoull(""), Ok((0, true)));
        for bad in ["10x", "-1", "1.5gb", "+5", "10 mb", "99999999999gb"] {
            let e = memtoull(bad).unwrap_err();
            assert!(
                e.starts_with("argument must be a memory value"),
                "{bad}: {e}"
            );
        }
    }
}
