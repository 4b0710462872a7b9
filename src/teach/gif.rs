//! A tape as an animated GIF: one frame per step, each the step's picture
//! at half size (800x450), looping. Colours go to a fixed palette (a 6x6x6
//! cube and 40 greys), so encoding is one table look-up per pixel and the
//! same tape always gives the same bytes.

use super::draw::step_rgb;
use super::tape::Tape;
use crate::report::charts::{ChartError, HEIGHT, WIDTH};
use std::borrow::Cow;

/// Width of a GIF frame.
pub const GIF_WIDTH: u16 = (WIDTH / 2) as u16;
/// Height of a GIF frame.
pub const GIF_HEIGHT: u16 = (HEIGHT / 2) as u16;

/// Why a GIF could not be made.
#[derive(Debug, thiserror::Error)]
pub enum GifError {
    /// A frame could not be drawn.
    #[error(transparent)]
    Draw(#[from] ChartError),
    /// The encoder failed.
    #[error("encoding the GIF failed: {0}")]
    Encode(#[from] gif::EncodingError),
}

/// The palette: 216 colours of a 6-level cube, then 40 greys.
fn palette() -> Vec<u8> {
    let mut p = Vec::with_capacity(256 * 3);
    for r in 0..6u8 {
        for g in 0..6u8 {
            for b in 0..6u8 {
                p.extend_from_slice(&[r * 51, g * 51, b * 51]);
            }
        }
    }
    for i in 0..40u32 {
        let v = (i * 255 / 39) as u8;
        p.extend_from_slice(&[v, v, v]);
    }
    p
}

/// The palette index of an RGB colour.
fn index(r: u8, g: u8, b: u8) -> u8 {
    let (hi, lo) = (r.max(g).max(b), r.min(g).min(b));
    if hi - lo < 10 {
        let v = (u32::from(r) + u32::from(g) + u32::from(b)) / 3;
        return 216 + ((v * 39 + 127) / 255) as u8;
    }
    let q = |v: u8| (u16::from(v) + 25) / 51;
    (q(r) * 36 + q(g) * 6 + q(b)) as u8
}

/// Halves an RGB image of 1600x900 (2x2 averages) into palette
/// indices.
fn shrink(rgb: &[u8]) -> Vec<u8> {
    let (w, h) = (WIDTH as usize, HEIGHT as usize);
    let mut out = Vec::with_capacity(w / 2 * h / 2);
    for y in 0..h / 2 {
        for x in 0..w / 2 {
            let mut sum = [0u32; 3];
            for (dy, dx) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                let p = ((2 * y + dy) * w + 2 * x + dx) * 3;
                for (s, v) in sum.iter_mut().zip(&rgb[p..p + 3]) {
                    *s += u32::from(*v);
                }
            }
            out.push(index(
                (sum[0] / 4) as u8,
                (sum[1] / 4) as u8,
                (sum[2] / 4) as u8,
            ));
        }
    }
    out
}

/// The tape as GIF bytes: one frame per step, 1.5 s each (3 s for a step
/// that lost data), looping forever.
pub fn tape_gif(tape: &Tape) -> Result<Vec<u8>, GifError> {
    let mut out = Vec::new();
    {
        let mut enc = gif::Encoder::new(&mut out, GIF_WIDTH, GIF_HEIGHT, &palette())?;
        enc.set_repeat(gif::Repeat::Infinite)?;
        for (i, step) in tape.steps.iter().enumerate() {
            let rgb = step_rgb(tape, i)?;
            let frame = gif::Frame {
                width: GIF_WIDTH,
                height: GIF_HEIGHT,
                delay: if step.alarm { 300 } else { 150 },
                buffer: Cow::Owned(shrink(&rgb)),
                ..gif::Frame::default()
            };
            enc.write_frame(&frame)?;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greys_and_colours_land_on_their_nearest_palette_entry() {
        let p = palette();
        assert_eq!(p.len(), 256 * 3);
        for (r, g, b) in [
            (255, 255, 255),
            (0, 0, 0),
            (0xD5, 0x5E, 0x00),
            (0x00, 0x72, 0xB2),
        ] {
            let i = usize::from(index(r, g, b)) * 3;
            let d = |a: u8, b: u8| (i32::from(a) - i32::from(b)).abs();
            assert!(d(p[i], r) <= 26 && d(p[i + 1], g) <= 26 && d(p[i + 2], b) <= 26);
        }
    }
}
