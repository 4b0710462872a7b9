//! Number formatting for people: byte sizes in binary units, counts with
//! thousands separators, percentages and durations. Everything is integer
//! arithmetic, so the same numbers always print the same text on every
//! machine.

/// Formats a figure over several runs as `median (lowest-highest)`, each
/// value formatted by `f`: `1,370 (648-2,060)`; only the median when the
/// lowest and the highest print the same.
pub fn spread<T: Copy>(s: &crate::phase::Spread<T>, f: impl Fn(T) -> String) -> String {
    let (lo, mid, hi) = (f(s.min), f(s.median), f(s.max));
    if lo == hi {
        mid
    } else {
        format!("{mid} ({lo}-{hi})")
    }
}

/// Formats a count with thousands separators: `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Formats a byte count in binary units with one decimal, rounded half up:
/// `512 B`, `1.5 KiB`, `23.9 MiB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let n = u128::from(n);
    if n < 1024 {
        return format!("{n} B");
    }
    let mut unit = 1;
    while unit + 1 < UNITS.len() && n >= 1u128 << (10 * (unit + 1)) {
        unit += 1;
    }
    let tenths = |u: usize| {
        let size = 1u128 << (10 * u);
        (n * 10 + size / 2) / size
    };
    let mut t = tenths(unit);
    // 1023.96 KiB rounds to 1024.0 KiB: say 1.0 MiB instead.
    if t >= 10_240 && unit + 1 < UNITS.len() {
        unit += 1;
        t = tenths(unit);
    }
    format!("{}.{} {}", t / 10, t % 10, UNITS[unit])
}

/// Formats `num / den` as a percentage with one decimal, rounded down so
/// that `100.0%` means all of it; `-` when `den` is zero.
pub fn percent(num: u64, den: u64) -> String {
    if den == 0 {
        return "-".to_string();
    }
    let tenths = u128::from(num) * 1000 / u128::from(den);
    format!("{}.{}%", tenths / 10, tenths % 10)
}

/// Formats a duration in ms: `850 ms`, `12.3 s` (rounded down), `5m 3s`,
/// `1h 0m 0s`, `2d 3h 4m`.
pub fn duration_ms(ms: u64) -> String {
    if ms < 1000 {
        return format!("{ms} ms");
    }
    let s = ms / 1000;
    if s < 60 {
        return format!("{}.{} s", s, (ms % 1000) / 100);
    }
    let (d, h, m, s) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
    if d > 0 {
        format!("{d}d {h}h {m}m")
    } else if h > 0 {
        format!("{h}h {m}m {s}s")
    } else {
        format!("{m}m {s}s")
    }
}

/// Picks the singular or plural form of a noun for a count.
pub(crate) fn plural<'a>(n: u64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separates_every_three_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(u64::MAX), "18,446,744,073,709,551,615");
    }

    #[test]
    fn bytes_use_binary_units_with_one_decimal() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1024), "1.0 KiB");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(25_060_000), "23.9 MiB");
        assert_eq!(bytes(64 << 20), "64.0 MiB");
        // Just under 1 MiB rounds up into the next unit, not to "1024.0 KiB".
        assert_eq!(bytes((1 << 20) - 1), "1.0 MiB");
        assert_eq!(bytes(3 << 30), "3.0 GiB");
        assert_eq!(bytes(u64::MAX), "16.0 EiB");
    }

    #[test]
    fn percent_rounds_down_and_shows_dash_for_nothing() {
        assert_eq!(percent(0, 0), "-");
        assert_eq!(percent(0, 5), "0.0%");
        assert_eq!(percent(1, 3), "33.3%");
        assert_eq!(percent(2, 3), "66.6%");
        assert_eq!(percent(9999, 10_000), "99.9%");
        assert_eq!(percent(5, 5), "100.0%");
        assert_eq!(percent(u64::MAX, u64::MAX), "100.0%");
    }

    #[test]
    fn durations_pick_a_readable_unit() {
        assert_eq!(duration_ms(0), "0 ms");
        assert_eq!(duration_ms(850), "850 ms");
        assert_eq!(duration_ms(12_345), "12.3 s");
        assert_eq!(duration_ms(303_000), "5m 3s");
        assert_eq!(duration_ms(3_600_000), "1h 0m 0s");
        assert_eq!(duration_ms(183_840_000), "2d 3h 4m");
    }
}
