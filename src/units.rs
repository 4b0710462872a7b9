//! Memory sizes and durations as people write them in Redis configs and
//! scenario files: `24mb`, `1gb`, `250ms`, `30s`, `2h`.
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
