//! Memory sizes, durations and instants as people write them in Redis
//! configs and scenario files: `24mb`, `1gb`, `250ms`, `30s`, `2h`,
//! `2026-12-04T10:00:20Z`.
//!
//! Memory follows Redis's `memtoull` (src/util.c): a whole number with an
//! optional case-insensitive unit, where `k`, `m`, `g` are powers of 1000 and
//! `kb`, `mb`, `gb` powers of 1024. Durations take a whole number and a unit
//! (`ms`, `s`, `m`, `h`, `d`); a bare number is refused, since it is unclear
//! whether it means seconds or milliseconds.

/// Why a memory size or duration could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UnitError {
    /// Nothing was written.
    #[error("empty value")]
    Empty,
    /// The value starts with a minus sign.
    #[error("must not be negative")]
    Negative,
    /// The number has a decimal point.
    #[error("must be a whole number (no fractions; use a smaller unit)")]
    Fraction,
    /// The value does not start with a digit.
    #[error("not a number")]
    NotANumber,
    /// The unit after the number is not one of the accepted ones.
    #[error("unknown unit \"{unit}\" (expected {expected})")]
    UnknownUnit {
        /// The unit as written.
        unit: String,
        /// The accepted units, for the message.
        expected: &'static str,
    },
    /// A duration was written without a unit.
    #[error("missing unit (write e.g. 250ms, 30s, 10m, 2h or 1d)")]
    MissingUnit,
    /// The value does not fit in 64 bits.
    #[error("too large")]
    Overflow,
}

/// The units [`parse_memory`] accepts, for messages.
const MEMORY_UNITS: &str = "no unit, b, k, kb, m, mb, g or gb";

/// The units [`parse_duration`] accepts, for messages.
const DURATION_UNITS: &str = "ms, s, m, h or d";

/// Parses a memory size the way Redis's `memtoull` does, in bytes: `1000`,
/// `1k` (1,000), `1kb` (1,024), `24mb`, `2GB`.
pub fn parse_memory(s: &str) -> Result<u64, UnitError> {
    let (n, unit) = split_number(s)?;
    let mul: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" => 1_000,
        "kb" => 1 << 10,
        "m" => 1_000_000,
        "mb" => 1 << 20,
        "g" => 1_000_000_000,
        "gb" => 1 << 30,
        _ => {
            return Err(UnitError::UnknownUnit {
                unit: unit.to_string(),
                expected: MEMORY_UNITS,
            })
        }
    };
    n.checked_mul(mul).ok_or(UnitError::Overflow)
}

/// Parses a duration into milliseconds: `250ms`, `30s`, `10m`, `2h`, `1d`
/// (units case-insensitive).
pub fn parse_duration(s: &str) -> Result<u64, UnitError> {
    let (n, unit) = split_number(s)?;
    let mul: u64 = match unit.to_ascii_lowercase().as_str() {
        "" => return Err(UnitError::MissingUnit),
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => {
            return Err(UnitError::UnknownUnit {
                unit: unit.to_string(),
                expected: DURATION_UNITS,
            })
        }
    };
    n.checked_mul(mul).ok_or(UnitError::Overflow)
}

/// Why an instant could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{why} (expected RFC 3339, e.g. \"2026-12-04T10:00:20Z\" or \"2026-12-04T11:00:20+01:00\")"
)]
pub struct InstantError {
    /// What is wrong with it.
    pub why: String,
}

/// Parses an RFC 3339 instant (`2026-12-04T10:00:20Z`, `...20.250Z`,
/// `...20+01:00`; `t`/`z` in either case, or a space for `T`) into unix
/// milliseconds. Fractions finer than a millisecond are dropped; instants
/// before 1970 are refused.
pub fn parse_instant(s: &str) -> Result<u64, InstantError> {
    let err = |why: &str| InstantError {
        why: why.to_string(),
    };
    let b = s.trim().as_bytes();
    let num = |from: usize, len: usize| -> Result<i64, InstantError> {
        let part = b
            .get(from..from + len)
            .filter(|p| p.iter().all(u8::is_ascii_digit))
            .ok_or_else(|| err("not a date and time"))?;
        Ok(part.iter().fold(0, |n, &d| n * 10 + i64::from(d - b'0')))
    };
    let sep = |at: usize, ok: &[u8]| b.get(at).is_some_and(|c| ok.contains(c));
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt ") && sep(13, b":") && sep(16, b":")) {
        return Err(err("not a date and time"));
    }
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err(err("no such date"));
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err(err("no such time of day (leap seconds are not taken)"));
    }
    let mut at = 19;
    let mut ms = 0i64;
    if sep(at, b".") {
        let digits = b[at + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 {
            return Err(err("a fraction of a second needs digits"));
        }
        for i in 0..3 {
            ms = ms * 10
                + b.get(at + 1 + i)
                    .filter(|_| i < digits)
                    .map_or(0, |&d| i64::from(d - b'0'));
        }
        at += 1 + digits;
    }
    let offset_min = match b.get(at..) {
        Some(b"Z" | b"z") => 0,
        Some([sign @ (b'+' | b'-'), _, _, b':', _, _]) => {
            let (h, m) = (num(at + 1, 2)?, num(at + 4, 2)?);
            if h > 23 || m > 59 {
                return Err(err("no such UTC offset"));
            }
            let off = h * 60 + m;
            if *sign == b'-' {
                -off
            } else {
                off
            }
        }
        Some([]) => {
            return Err(err(
                "no time zone: end with Z for UTC, or an offset such as +01:00",
            ))
        }
        _ => {
            return Err(err(
                "not a time zone: end with Z for UTC, or an offset such as +01:00",
            ))
        }
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3_600 + minute * 60 + second - offset_min * 60;
    if secs < 0 {
        return Err(err("before 1970-01-01T00:00:00Z"));
    }
    Ok(secs as u64 * 1000 + ms as u64)
}

/// A unix time in ms as RFC 3339 in UTC: `2026-12-04T10:00:20Z`, with
/// `.250` before the `Z` when it has milliseconds.
pub fn format_instant(unix_ms: u64) -> String {
    let secs = (unix_ms / 1000) as i64;
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    let ms = match unix_ms % 1000 {
        0 => String::new(),
        n => format!(".{n:03}"),
    };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{ms}Z",
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60
    )
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a count of days since 1970-01-01 (`civil_from_days`).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Splits `s` into its leading whole number and the unit after it.
fn split_number(s: &str) -> Result<(u64, &str), UnitError> {
    if s.is_empty() {
        return Err(UnitError::Empty);
    }
    if s.starts_with('-') {
        return Err(UnitError::Negative);
    }
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = s.split_at(digits);
    if unit.starts_with('.') || unit.starts_with(',') {
        return Err(UnitError::Fraction);
    }
    if number.is_empty() {
        return Err(UnitError::NotANumber);
    }
    // Only digits remain, so the one possible failure is overflow.
    let n = number.parse::<u64>().map_err(|_| UnitError::Overflow)?;
    Ok((n, unit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_read_as_rfc_3339() {
        // 1,700,000,000 s is 2023-11-14T22:13:20Z.
        assert_eq!(parse_instant("2023-11-14T22:13:20Z"), Ok(1_700_000_000_000));
        assert_eq!(parse_instant("2023-11-14t22:13:20z"), Ok(1_700_000_000_000));
        assert_eq!(
            parse_instant("2023-11-14 23:13:20+01:00"),
            Ok(1_700_000_000_000)
        );
        assert_eq!(
            parse_instant("2023-11-14T21:43:20-00:30"),
            Ok(1_700_000_000_000)
        );
        assert_eq!(
            parse_instant("2023-11-14T22:13:20.25Z"),
            Ok(1_700_000_000_250)
        );
        assert_eq!(
            parse_instant("2023-11-14T22:13:20.123456Z"),
            Ok(1_700_000_000_123)
        );
        assert_eq!(parse_instant("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(parse_instant("2024-02-29T00:00:00Z"), Ok(1_709_164_800_000));
        for bad in [
            "",
            "2023-11-14",
            "2023-11-14T22:13:20",
            "2023-11-14T22:13:20+0100",
            "2023-02-29T00:00:00Z",
            "2023-11-14T24:00:00Z",
            "2023-11-14T22:13:60Z",
            "1969-12-31T23:59:59Z",
            "2023-11-14T22:13:20.Z",
            "1700000000000",
        ] {
            assert!(parse_instant(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn instants_are_written_in_utc_and_read_back() {
        assert_eq!(format_instant(1_700_000_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(
            format_instant(1_700_000_000_250),
            "2023-11-14T22:13:20.250Z"
        );
        assert_eq!(format_instant(0), "1970-01-01T00:00:00Z");
        for ms in [
            0,
            951_782_400_000,
            1_709_164_800_000,
            1_796_378_420_000,
            4_102_444_800_123,
        ] {
            assert_eq!(parse_instant(&format_instant(ms)), Ok(ms));
        }
    }

    #[test]
    fn memory_units_follow_memtoull() {
        assert_eq!(parse_memory("0"), Ok(0));
        assert_eq!(parse_memory("1234"), Ok(1234));
        assert_eq!(parse_memory("12b"), Ok(12));
        assert_eq!(parse_memory("1k"), Ok(1_000));
        assert_eq!(parse_memory("1kb"), Ok(1_024));
        assert_eq!(parse_memory("3m"), Ok(3_000_000));
        assert_eq!(parse_memory("24mb"), Ok(24 * 1024 * 1024));
        assert_eq!(parse_memory("2g"), Ok(2_000_000_000));
        assert_eq!(parse_memory("2gb"), Ok(2 << 30));
        assert_eq!(parse_memory("24MB"), Ok(24 << 20));
        assert_eq!(parse_memory("1Gb"), Ok(1 << 30));
    }

    #[test]
    fn memory_rejects_nonsense() {
        assert_eq!(parse_memory(""), Err(UnitError::Empty));
        assert_eq!(parse_memory("-1"), Err(UnitError::Negative));
        assert_eq!(parse_memory("-1mb"), Err(UnitError::Negative));
        assert_eq!(parse_memory("1.5gb"), Err(UnitError::Fraction));
        assert_eq!(parse_memory("mb"), Err(UnitError::NotANumber));
        assert_eq!(parse_memory(".5"), Err(UnitError::Fraction));
        assert_eq!(parse_memory("+5"), Err(UnitError::NotANumber));
        assert!(matches!(
            parse_memory("10tb"),
            Err(UnitError::UnknownUnit { .. })
        ));
        assert!(matches!(
            parse_memory("10 mb"),
            Err(UnitError::UnknownUnit { .. })
        ));
        assert_eq!(
            parse_memory("99999999999999999999"),
            Err(UnitError::Overflow)
        );
        assert_eq!(parse_memory("17179869184gb"), Err(UnitError::Overflow));
        assert_eq!(parse_memory("18446744073709551615"), Ok(u64::MAX));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms"), Ok(250));
        assert_eq!(parse_duration("30s"), Ok(30_000));
        assert_eq!(parse_duration("10m"), Ok(600_000));
        assert_eq!(parse_duration("2h"), Ok(7_200_000));
        assert_eq!(parse_duration("1d"), Ok(86_400_000));
        assert_eq!(parse_duration("0s"), Ok(0));
        assert_eq!(parse_duration("5S"), Ok(5_000));
        assert_eq!(parse_duration("5MS"), Ok(5));
    }

    #[test]
    fn durations_reject_nonsense() {
        assert_eq!(parse_duration(""), Err(UnitError::Empty));
        assert_eq!(parse_duration("10"), Err(UnitError::MissingUnit));
        assert_eq!(parse_duration("-5s"), Err(UnitError::Negative));
        assert_eq!(parse_duration("1.5h"), Err(UnitError::Fraction));
        assert_eq!(parse_duration("s"), Err(UnitError::NotANumber));
        assert!(matches!(
            parse_duration("3w"),
            Err(UnitError::UnknownUnit { .. })
        ));
        assert!(matches!(
            parse_duration("5 s"),
            Err(UnitError::UnknownUnit { .. })
        ));
        assert!(matches!(
            parse_duration("5mb"),
            Err(UnitError::UnknownUnit { .. })
        ));
        assert_eq!(
            parse_duration("99999999999999999d"),
            Err(UnitError::Overflow)
        );
    }

    #[test]
    fn messages_name_the_accepted_units() {
        let e = parse_duration("3w").unwrap_err().to_string();
        assert!(e.contains("\"w\"") && e.contains("ms, s, m, h or d"), "{e}");
        let e = parse_memory("3tb").unwrap_err().to_string();
        assert!(e.contains("\"tb\"") && e.contains("kb"), "{e}");
    }
}
