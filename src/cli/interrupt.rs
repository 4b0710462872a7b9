//! SIGINT and SIGTERM during a long `run` or `replay`: the first sets a
//! flag the simulation reads between batches, so the results so far are
//! written, marked partial, and the command exits 130 (SIGINT) or 143
//! (SIGTERM); a second exits at once with that status, before any report
//! file is replaced, except while the report's files are being renamed into
//! place ([`shielded`]): then it exits as soon as the last one is, so the
//! directory holds either the previous report or the new one, never a mix.
//!
//! Commands whose report is only worth writing whole (`sweep`, `split`,
//! `crash`, `audit`, `compare-servers`) install the handlers with
//! [`install_whole`]: there the first signal exits at once, leaving the
//! previous report as it was, unless the new one is being renamed into
//! place, which then finishes first.

use anyhow::{Context, Result};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::low_level;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

/// A signal arrived: stop at the end of the batch.
static ANY: AtomicBool = AtomicBool::new(false);
/// The first signal was SIGTERM (else SIGINT).
static TERM: AtomicBool = AtomicBool::new(false);
/// Report files are being renamed into place: a second signal waits.
static SHIELD: AtomicBool = AtomicBool::new(false);
/// The exit status a second signal asked for while shielded (0: none).
static DEFERRED: AtomicI32 = AtomicI32::new(0);
/// The handlers are installed.
static INSTALLED: AtomicBool = AtomicBool::new(false);
/// The command writes its report whole or not at all: the first signal
/// acts as a second one.
static WHOLE: AtomicBool = AtomicBool::new(false);

/// What a handler does; only atomics and `_exit`, which are safe in a
/// signal handler.
fn on_signal(code: i32) {
    if ANY.load(Ordering::SeqCst) || WHOLE.load(Ordering::SeqCst) {
        if SHIELD.load(Ordering::SeqCst) {
            DEFERRED.store(code, Ordering::SeqCst);
        } else {
            low_level::exit(code);
        }
        return;
    }
    if code == 143 {
        TERM.store(true, Ordering::SeqCst);
    }
    ANY.store(true, Ordering::SeqCst);
}

/// Installs the handlers (once; later calls do nothing).
pub fn install() -> Result<()> {
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return Ok(());
    }
    for (sig, code) in [(SIGINT, 130), (SIGTERM, 143)] {
        // SAFETY: the action only touches atomics and calls `_exit`, both
        // async-signal-safe; it allocates nothing and takes no lock.
        unsafe { low_level::register(sig, move || on_signal(code)) }
            .context("cannot install a signal handler")?;
    }
    Ok(())
}

/// Installs the handlers for a command that writes its report whole or
/// not at all: a signal exits at once (status 130 or 143), except while
/// the report is renamed into place ([`shielded`]).
pub fn install_whole() -> Result<()> {
    WHOLE.store(true, Ordering::SeqCst);
    install()
}

/// The flag a run stops on (never set when the handlers are not installed).
pub fn stop_flag() -> &'static AtomicBool {
    &ANY
}

/// The signal that arrived, as `(name, exit status)`, if one did.
pub fn received() -> Option<(&'static str, i32)> {
    if !ANY.load(Ordering::SeqCst) {
        return None;
    }
    Some(if TERM.load(Ordering::SeqCst) {
        ("SIGTERM", 143)
    } else {
        ("SIGINT", 130)
    })
}

/// Runs `write` with a second signal held back until it returns; if one
/// arrived meanwhile, exits with its status right after.
pub fn shielded<T>(write: impl FnOnce() -> T) -> T {
    SHIELD.store(true, Ordering::SeqCst);
    let out = write();
    SHIELD.store(false, Ordering::SeqCst);
    let code = DEFERRED.load(Ordering::SeqCst);
    if code != 0 {
        std::process::exit(code);
    }
    out
}
