//! A report directory: every format of one run written side by side, each
//! file atomically (temporary name, then rename).

use super::{export, write_atomic, Format, ReportError};
use crate::sim::RunResult;
use std::path::{Path, PathBuf};

/// A report file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The directory could not be created.
    #[error("cannot create report directory {path}: {source}")]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A format could not be produced.
    #[error(transparent)]
    Export(#[from] ReportError),
}

/// Files of a report directory and the format each holds.
pub const FILES: [(&str, Format); 3] = [
    ("results.json", Format::Json),
    ("results.csv", Format::Csv),
    ("table.txt", Format::Table),
];

/// Writes every report file of `r` into `dir` (created if missing) and
/// returns their paths.
pub fn write_dir(dir: &Path, r: &RunResult) -> Result<Vec<PathBuf>, WriteError> {
    std::fs::create_dir_all(dir).map_err(|source| WriteError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut written = Vec::new();
    for (name, format) in FILES {
        let bytes = export(format, r)?;
        let path = dir.join(name);
        write_atomic(&path, &bytes).map_err(|source| WriteError::Write {
            path: path.clone(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}
