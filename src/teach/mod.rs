//! Teaching with evictsim: a lesson (a small scenario with readable key
//! names and a `[lesson]` table) played through the same model `run` uses,
//! with the policy's pick trace on, into a [`Tape`] of steps: what Redis did
//! for each command and why, and what it cost. The CLI prints a tape; the
//! pictures ([`draw`]), the GIF ([`gif`]) and the page ([`page`]) show it.

pub mod draw;
pub mod gif;
pub mod page;
mod tape;
mod text;

pub use tape::{gauge_text, record, Cell, ClassView, Gauge, Kind, Step, Tape};
pub use text::{wrap, Line, Span, Style};
