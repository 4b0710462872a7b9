//! A report directory: every format of one run side by side (`report.md`,
//! `report.html`, `results.json`, `results.csv`, `table.txt`) plus each chart
//! that has data as `<chart>.png` (1600x900, what `report.md` shows) and
//! `<chart>.svg`.
//!
//! Everything is rendered in memory first, so a chart that fails to render
//! is an error naming it and leaves the directory as it was; only then is
//! each file written atomically (temporary name, then rename). Chart files
//! left by an earlier run for charts this run has no data for are removed,
//! so a directory never mixes the charts of two runs.

use super::charts::{render_png, Chart};
use super::{export, html, mark_partial, write_atomic, Format, ReportError};
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
    /// A chart file of an earlier run could not be removed; every file of
    /// this run was written.
    #[error("cannot remove the stale chart {path}: {source}")]
    RemoveStale {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A format or a chart could not be produced; no file was touched.
    #[error(transparent)]
    Export(#[from] ReportError),
}

/// Writes every report file of `r` into `dir` (created if missing), then
/// each chart with data as PNG and SVG, and returns the paths written.
pub fn write_dir(dir: &Path, r: &RunResult) -> Result<Vec<PathBuf>, WriteError> {
    render_dir(r)?.write(dir)
}

/// Every file of a report directory, rendered in memory and not yet
/// written: [`render_dir`] may take a while (charts), [`RenderedDir::write`]
/// only writes and renames, so a caller can shield that step alone (from a
/// second Ctrl-C, say) and never leave a directory mixing two runs.
pub struct RenderedDir {
    files: Vec<NamedFile>,
    charts: Vec<Chart>,
}

/// Renders every file of the report directory of `r`; touches no file.
pub fn render_dir(r: &RunResult) -> Result<RenderedDir, ReportError> {
    let (files, charts) = render(r)?;
    Ok(RenderedDir { files, charts })
}

impl RenderedDir {
    /// Writes each file atomically into `dir` (created if missing), removes
    /// the charts of an earlier run this one has no data for, and returns
    /// the paths written.
    pub fn write(self, dir: &Path) -> Result<Vec<PathBuf>, WriteError> {
        let RenderedDir { files, charts } = self;
        let written = write_files(dir, &files)?;
        for chart in Chart::ALL.into_iter().filter(|c| !charts.contains(c)) {
            for ext in ["png", "svg"] {
                let path = dir.join(format!("{}.{ext}", chart.file_stem()));
                let is_file = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file());
                if is_file {
                    std::fs::remove_file(&path)
                        .map_err(|source| WriteError::RemoveStale { path, source })?;
                }
            }
        }
        Ok(written)
    }
}

/// Creates `dir` if missing and writes each file of `files` into it
/// atomically, in order; returns the paths written. Every report directory
/// (run, sweep, split, crash, audit) is written through it.
pub fn write_files<N: AsRef<Path>>(
    dir: &Path,
    files: &[(N, Vec<u8>)],
) -> Result<Vec<PathBuf>, WriteError> {
    std::fs::create_dir_all(dir).map_err(|source| WriteError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut written = Vec::with_capacity(files.len());
    for (name, bytes) in files {
        let path = dir.join(name);
        write_atomic(&path, bytes).map_err(|source| WriteError::Write {
            path: path.clone(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}

/// A file's name in the report directory and its bytes.
type NamedFile = (String, Vec<u8>);

/// Every file of the directory, by name, and the charts among them.
fn render(r: &RunResult) -> Result<(Vec<NamedFile>, Vec<Chart>), ReportError> {
    let svgs = html::render_charts(r)?;
    let mut files = Vec::with_capacity(Format::ALL.len() + 2 * svgs.len());
    for &format in Format::ALL {
        let name = format.file_name();
        let bytes = match format {
            // The page inlines the SVGs rendered once for the files below.
            Format::Html => mark_partial(format, r, html::render_run(r, &svgs).into_bytes()),
            other => export(other, r)?,
        };
        files.push((name.to_string(), bytes));
    }
    let charts = svgs.iter().map(|(c, _)| *c).collect();
    for (chart, svg) in svgs {
        let png = render_png(chart, r).map_err(|source| ReportError::Chart { chart, source })?;
        files.push((format!("{}.png", chart.file_stem()), png));
        files.push((format!("{}.svg", chart.file_stem()), svg.into_bytes()));
    }
    Ok((files, charts))
}
