//! Scenario files and the workload generator, through the library's public
//! API: the shipped files, the error messages, and the op stream's
//! guarantees.

mod errors;
mod files;
mod workload;

use evictsim::source::Scenario;
use std::path::{Path, PathBuf};

/// Path of a file relative to the crate's root.
pub fn crate_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The tiny fixture, with every class kind.
pub fn tiny() -> Scenario {
    Scenario::from_path(&crate_path("tests/fixtures/tiny.toml")).expect("tiny.toml is valid")
}
