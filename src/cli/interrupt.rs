//! SIGINT and SIGTERM during a long `run`, `replay` or `sweep`: the first
//! sets a flag the simulation reads between batches, so the results so far
//! are written, marked partial, and the command exits 130 (SIGINT) or 143
//! (SIGTERM); a second exits at once with that status, before any report
//! file is replaced (each is written to a temporary name and renamed).

use anyhow::{Context, Result};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::flag;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

/// The flags the handlers set.
struct Flags {
    /// Any of the two signals arrived: stop at the end of the batch.
    any: Arc<AtomicBool>,
    /// SIGTERM arrived (else it was SIGINT).
    term: Arc<AtomicBool>,
}

static FLAGS: OnceLock<Flags> = OnceLock::new();

/// Installs the handlers (once; later calls do nothing).
pub fn install() -> Result<()> {
    if FLAGS.get().is_some() {
        return Ok(());
    }
    let any = Arc::new(AtomicBool::new(false));
    let term = Arc::new(AtomicBool::new(false));
    for (sig, code) in [(SIGINT, 130), (SIGTERM, 143)] {
        // Registered first, so it sees the flag as it was before this
        // signal: a second signal exits at once.
        flag::register_conditional_shutdown(sig, code, Arc::clone(&any))
            .context("cannot install a signal handler")?;
        flag::register(sig, Arc::clone(&any)).context("cannot install a signal handler")?;
    }
    flag::register(SIGTERM, Arc::clone(&term)).context("cannot install a signal handler")?;
    let _ = FLAGS.set(Flags { any, term });
    Ok(())
}

/// The flag a run stops on (never set when the handlers are not installed).
pub fn stop_flag() -> &'static AtomicBool {
    static NEVER: AtomicBool = AtomicBool::new(false);
    FLAGS.get().map_or(&NEVER, |f| &f.any)
}

/// The signal that arrived, as `(name, exit status)`, if one did.
pub fn received() -> Option<(&'static str, i32)> {
    let f = FLAGS.get()?;
    if !f.any.load(Ordering::Relaxed) {
        return None;
    }
    Some(if f.term.load(Ordering::Relaxed) {
        ("SIGTERM", 143)
    } else {
        ("SIGINT", 130)
    })
}
