//! The look shared by every chart: the embedded font, the colour-blind-safe
//! palettes, text sizes and the number formats of axes and labels.
//!
//! Colours follow meaning: a key class keeps one colour in every chart of a
//! run (critical classes take the warm Okabe–Ito colours, cache classes the
//! cool ones and grey), and a policy keeps one colour in every run (Paul Tol's
//! muted palette, given by each policy's entry in the policy table:
//! [`PolicyKind::colour`]).

use std::sync::OnceLock;

use plotters::style::{register_font, FontDesc, FontFamily, FontStyle, RGBColor, TextStyle};

use crate::model::PolicyKind;
use crate::sim::ClassInfo;

use super::ChartError;

/// DejaVu Sans, embedded so text renders on machines with no system fonts.
static REGULAR_TTF: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
/// DejaVu Sans Bold, for titles.
static BOLD_TTF: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-Bold.ttf");

/// Registers the embedded fonts with plotters under the name `sans-serif`,
/// once per process, so SVG viewers fall back to their own sans-serif.
pub(crate) fn ensure_fonts() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        register_font("sans-serif", FontStyle::Normal, REGULAR_TTF).is_ok()
            && register_font("sans-serif", FontStyle::Bold, BOLD_TTF).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(ChartError::Font)
    }
}

/// Canvas width in pixels.
pub const WIDTH: u32 = 1600;
/// Canvas height in pixels.
pub const HEIGHT: u32 = 900;

/// Title size in pixels.
pub(crate) const TITLE_PX: f64 = 40.0;
/// Subtitle and panel caption size.
pub(crate) const SUBTITLE_PX: f64 = 22.0;
/// Axis description size.
pub(crate) const AXIS_DESC_PX: f64 = 24.0;
/// Tick label and legend text size.
pub(crate) const LABEL_PX: f64 = 21.0;
/// Value labels over bars and other small notes.
pub(crate) const SMALL_PX: f64 = 18.0;

/// Near-black used for text and axes.
pub(crate) const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
/// Grey for subtitles and notes.
pub(crate) const MUTED_INK: RGBColor = RGBColor(0x55, 0x55, 0x55);
/// Light grey for grid lines.
pub(crate) const GRID: RGBColor = RGBColor(0xE2, 0xE2, 0xE2);

/// Warm Okabe–Ito colours for critical classes: vermillion, orange, reddish
/// purple, yellow, then darker variants.
const CRITICAL_COLOURS: [RGBColor; 8] = [
    RGBColor(0xD5, 0x5E, 0x00),
    RGBColor(0xE6, 0x9F, 0x00),
    RGBColor(0xCC, 0x79, 0xA7),
    RGBColor(0xF0, 0xE4, 0x42),
    RGBColor(0x95, 0x41, 0x00),
    RGBColor(0xA1, 0x6F, 0x00),
    RGBColor(0x8F, 0x55, 0x75),
    RGBColor(0xA8, 0xA0, 0x2E),
];

/// Cool Okabe–Ito colours and greys for cache classes: blue, sky blue,
/// bluish green, grey, then darker variants.
const CACHE_COLOURS: [RGBColor; 8] = [
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0x56, 0xB4, 0xE9),
    RGBColor(0x00, 0x9E, 0x73),
    RGBColor(0x99, 0x99, 0x99),
    RGBColor(0x00, 0x4F, 0x7C),
    RGBColor(0x3C, 0x7E, 0xA3),
    RGBColor(0x00, 0x6E, 0x50),
    RGBColor(0x5E, 0x5E, 0x5E),
];

/// The colour of every class, by class index: the n-th critical class takes
/// the n-th warm colour, the n-th cache class the n-th cool one.
pub(crate) fn class_colours(classes: &[ClassInfo]) -> Vec<RGBColor> {
    let (mut critical, mut cache) = (0, 0);
    classes
        .iter()
        .map(|c| {
            if c.critical {
                critical += 1;
                CRITICAL_COLOURS[(critical - 1) % CRITICAL_COLOURS.len()]
            } else {
                cache += 1;
                CACHE_COLOURS[(cache - 1) % CACHE_COLOURS.len()]
            }
        })
        .collect()
}

/// The colour of a policy, the same in every run ([`PolicyKind::colour`]).
pub(crate) fn policy_colour(policy: PolicyKind) -> RGBColor {
    let [r, g, b] = policy.colour();
    RGBColor(r, g, b)
}

/// A policy's name on a chart; a reference (no server has it) says so.
pub(crate) fn policy_label(policy: PolicyKind) -> String {
    if policy.is_reference() {
        format!("{} (ref)", policy.name())
    } else {
        policy.name().to_string()
    }
}

/// A regular sans-serif font of `px` pixels.
pub(crate) fn font(px: f64) -> FontDesc<'static> {
    FontDesc::new(FontFamily::SansSerif, px, FontStyle::Normal)
}

/// A bold sans-serif font of `px` pixels.
pub(crate) fn bold(px: f64) -> FontDesc<'static> {
    FontDesc::new(FontFamily::SansSerif, px, FontStyle::Bold)
}

/// Regular text of `px` pixels in the ink colour.
pub(crate) fn text(px: f64) -> TextStyle<'static> {
    font(px).color(&INK)
}

/// Regular text of `px` pixels in the muted colour.
pub(crate) fn muted(px: f64) -> TextStyle<'static> {
    font(px).color(&MUTED_INK)
}

/// A count for labels and ticks: `950`, `1,234`, `12.3k`, `4.5M`.
pub(crate) fn fmt_count(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{}G", trim(v / 1e9))
    } else if a >= 1e6 {
        format!("{}M", trim(v / 1e6))
    } else if a >= 1e4 {
        format!("{}k", trim(v / 1e3))
    } else if a >= 1000.0 {
        let n = v.round() as i64;
        format!("{},{:03}", n / 1000, (n % 1000).abs())
    } else if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        trim(v)
    }
}

/// A count in at most five characters for tight spots: `950`, `8.3k`, `12k`.
pub(crate) fn fmt_compact(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{}G", trim_to(v / 1e9))
    } else if a >= 1e6 {
        format!("{}M", trim_to(v / 1e6))
    } else if a >= 1000.0 {
        format!("{}k", trim_to(v / 1e3))
    } else {
        fmt_count(v)
    }
}

/// One decimal below 10, none above, so the result stays short.
fn trim_to(v: f64) -> String {
    if v.abs() >= 9.95 {
        format!("{v:.0}")
    } else {
        trim(v)
    }
}

/// A number with at most one decimal, without a trailing `.0`.
fn trim(v: f64) -> String {
    let s = format!("{v:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

/// A duration in ms as a short label: `250 ms`, `4 s`, `10 min`, `6 h`, `2 d`.
pub(crate) fn fmt_duration_ms(ms: f64) -> String {
    const S: f64 = 1000.0;
    const MIN: f64 = 60.0 * S;
    const H: f64 = 60.0 * MIN;
    const D: f64 = 24.0 * H;
    if ms < S {
        format!("{} ms", trim(ms))
    } else if ms < MIN {
        format!("{} s", trim(ms / S))
    } else if ms < H {
        format!("{} min", trim(ms / MIN))
    } else if ms < D {
        format!("{} h", trim(ms / H))
    } else {
        format!("{} d", trim(ms / D))
    }
}

/// Bytes as mebibytes, with one decimal under 10 MiB.
pub(crate) fn fmt_mib(bytes: f64) -> String {
    let mib = bytes / (1024.0 * 1024.0);
    if mib < 10.0 {
        format!("{mib:.1} MiB")
    } else {
        format!("{mib:.0} MiB")
    }
}

/// The unit a time axis uses, chosen from the span it covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TimeUnit {
    /// Seconds, for spans up to 3 minutes.
    Seconds,
    /// Minutes, for spans up to 3 hours.
    Minutes,
    /// Hours, beyond.
    Hours,
}

impl TimeUnit {
    /// The unit that suits a span of `span_ms`.
    pub(crate) fn for_span(span_ms: u64) -> Self {
        if span_ms <= 180_000 {
            TimeUnit::Seconds
        } else if span_ms <= 3 * 3_600_000 {
            TimeUnit::Minutes
        } else {
            TimeUnit::Hours
        }
    }

    /// Milliseconds in one unit.
    pub(crate) fn ms(self) -> f64 {
        match self {
            TimeUnit::Seconds => 1e3,
            TimeUnit::Minutes => 6e4,
            TimeUnit::Hours => 3.6e6,
        }
    }

    /// The unit's symbol for axis descriptions.
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            TimeUnit::Seconds => "s",
            TimeUnit::Minutes => "min",
            TimeUnit::Hours => "h",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_well() {
        assert_eq!(fmt_count(0.0), "0");
        assert_eq!(fmt_count(950.0), "950");
        assert_eq!(fmt_count(1234.0), "1,234");
        assert_eq!(fmt_count(12_345.0), "12.3k");
        assert_eq!(fmt_count(4_500_000.0), "4.5M");
        assert_eq!(fmt_count(2.5), "2.5");
        assert_eq!(fmt_compact(8_269.0), "8.3k");
        assert_eq!(fmt_compact(56_900.0), "57k");
        assert_eq!(fmt_compact(950.0), "950");
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(fmt_duration_ms(250.0), "250 ms");
        assert_eq!(fmt_duration_ms(60_000.0), "1 min");
        assert_eq!(fmt_duration_ms(5_400_000.0), "1.5 h");
        assert_eq!(fmt_duration_ms(86_400_000.0), "1 d");
    }

    #[test]
    fn critical_and_cache_classes_get_disjoint_colours() {
        let classes: Vec<ClassInfo> = [true, false, true, false]
            .iter()
            .enumerate()
            .map(|(i, &critical)| ClassInfo {
                name: format!("c{i}"),
                critical,
            })
            .collect();
        let c = class_colours(&classes);
        assert_eq!(c[0], CRITICAL_COLOURS[0]);
        assert_eq!(c[1], CACHE_COLOURS[0]);
        assert_eq!(c[2], CRITICAL_COLOURS[1]);
        assert_eq!(c[3], CACHE_COLOURS[1]);
    }
}
