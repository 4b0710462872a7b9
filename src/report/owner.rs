//! Who a report directory belongs to. evictsim leaves a small marker file,
//! `.evictsim`, in every report directory it writes, naming the command and
//! what it ran (a scenario, a trace, a redis.conf). Before a command does
//! its work it claims its `--out`: a directory that holds another command's
//! or another input's report, or files evictsim did not write, is refused
//! (unless the user says `--force`), so one report never lands on top of
//! another and a mistyped `--out .` never scatters files into a source
//! tree. An empty or missing directory, or one of the same command and
//! input (a rerun), is the caller's.

use super::write_atomic;
use std::path::{Path, PathBuf};

/// The marker's file name.
pub const MARKER: &str = ".evictsim";

/// Names of the files evictsim's commands write into a report directory:
/// a directory without a marker (written before markers existed) that holds
/// only these is taken as evictsim's.
pub const KNOWN_FILES: &[&str] = &[
    "report.md",
    "report.html",
    "results.json",
    "results.csv",
    "table.txt",
    "store.conf",
    "cache.conf",
];

/// Extensions of chart files (`<chart>.png`, `<chart>.svg`).
const CHART_EXTENSIONS: &[&str] = &["png", "svg"];

/// A command and what it ran: who writes a report directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    /// The subcommand (`run`, `replay`, `sweep`...).
    pub command: String,
    /// What it ran: the scenario's name, the trace's or config's file name.
    pub subject: String,
}

impl Owner {
    /// The owner `command` of `subject`.
    pub fn new(command: impl Into<String>, subject: impl Into<String>) -> Owner {
        Owner {
            command: command.into(),
            subject: subject.into(),
        }
    }

    fn marker_text(&self) -> String {
        format!(
            "# evictsim wrote the report in this directory. It writes another\n\
             # command's or input's report here only when told --force.\n\
             command: {}\nsubject: {}\n",
            one_line(&self.command),
            one_line(&self.subject)
        )
    }

    fn parse(text: &str) -> Option<Owner> {
        let field = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
                .map(str::to_string)
        };
        Some(Owner {
            command: field("command")?,
            subject: field("subject")?,
        })
    }
}

fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

/// Why a command may not write its report into a directory.
#[derive(Debug, thiserror::Error)]
pub enum ClaimError {
    /// The directory holds another command's or input's report.
    #[error(
        "{dir} holds the report of `evictsim {} {}`; this `evictsim {} {}` would mix \
         two reports in it: choose another --out, or add --force to write over it",
        theirs.command, theirs.subject, ours.command, ours.subject, dir = dir.display()
    )]
    Taken {
        /// The directory.
        dir: PathBuf,
        /// Whose report it holds.
        theirs: Owner,
        /// Who asked.
        ours: Owner,
    },
    /// The directory holds files evictsim did not write.
    #[error(
        "{dir} holds files evictsim did not write ({names}): choose another --out \
         (a new or empty directory), or add --force to write there anyway",
        dir = dir.display()
    )]
    Foreign {
        /// The directory.
        dir: PathBuf,
        /// The first few of those files, comma-separated.
        names: String,
    },
    /// The path exists and is not a directory.
    #[error("{} is not a directory: --out names the directory the report goes in", dir.display())]
    NotADirectory {
        /// The path.
        dir: PathBuf,
    },
    /// The directory could not be read.
    #[error("cannot read {}: {source}", dir.display())]
    Read {
        /// The directory.
        dir: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Checks that `owner` may write its report into `dir`: it is missing,
/// empty, or holds `owner`'s own earlier report (or, without a marker, only
/// files named as evictsim's are). Reads, never writes.
pub fn claim(dir: &Path, owner: &Owner) -> Result<(), ClaimError> {
    let read = |source| ClaimError::Read {
        dir: dir.to_path_buf(),
        source,
    };
    let meta = match std::fs::metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(read(e)),
    };
    if !meta.is_dir() {
        return Err(ClaimError::NotADirectory {
            dir: dir.to_path_buf(),
        });
    }
    match std::fs::read_to_string(dir.join(MARKER)) {
        Ok(text) => {
            return match Owner::parse(&text) {
                Some(theirs) if theirs == *owner => Ok(()),
                Some(theirs) => Err(ClaimError::Taken {
                    dir: dir.to_path_buf(),
                    theirs,
                    ours: owner.clone(),
                }),
                None => Err(ClaimError::Foreign {
                    dir: dir.to_path_buf(),
                    names: format!("{MARKER}, which evictsim cannot read"),
                }),
            };
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(read(e)),
    }
    let mut foreign = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read)? {
        let entry = entry.map_err(read)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_file = entry.file_type().map_err(read)?.is_file();
        if !(is_file && looks_like_ours(&name)) {
            foreign.push(if is_file { name } else { format!("{name}/") });
        }
    }
    if foreign.is_empty() {
        return Ok(());
    }
    foreign.sort();
    let more = foreign.len().saturating_sub(3);
    let mut names = foreign.into_iter().take(3).collect::<Vec<_>>().join(", ");
    if more > 0 {
        names.push_str(&format!(" and {more} more"));
    }
    Err(ClaimError::Foreign {
        dir: dir.to_path_buf(),
        names,
    })
}

/// Whether a file of this name could be one evictsim wrote (or a hidden
/// file, which nobody reads as a report's).
fn looks_like_ours(name: &str) -> bool {
    name.starts_with('.')
        || KNOWN_FILES.contains(&name)
        || name
            .rsplit_once('.')
            .is_some_and(|(stem, ext)| !stem.is_empty() && CHART_EXTENSIONS.contains(&ext))
}

/// Leaves `owner`'s marker in `dir` (atomically); call after the report's
/// files are written.
pub fn mark(dir: &Path, owner: &Owner) -> std::io::Result<()> {
    write_atomic(&dir.join(MARKER), owner.marker_text().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(subject: &str) -> Owner {
        Owner::new("run", subject)
    }

    #[test]
    fn missing_empty_and_own_directories_are_the_callers() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("r");
        claim(&dir, &run("seed")).unwrap();
        std::fs::create_dir(&dir).unwrap();
        claim(&dir, &run("seed")).unwrap();
        std::fs::write(dir.join("report.md"), "x").unwrap();
        mark(&dir, &run("seed")).unwrap();
        claim(&dir, &run("seed")).unwrap();
    }

    #[test]
    fn another_report_or_foreign_files_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        std::fs::write(dir.join("report.md"), "x").unwrap();
        std::fs::write(dir.join("keys-evicted.png"), "x").unwrap();
        // No marker, only evictsim's names: an older evictsim's report.
        claim(dir, &run("seed")).unwrap();
        mark(dir, &run("seed")).unwrap();
        let e = claim(dir, &run("other")).unwrap_err().to_string();
        assert!(
            e.contains("holds the report of `evictsim run seed`")
                && e.contains("`evictsim run other`")
                && e.contains("--force"),
            "{e}"
        );
        let e = claim(dir, &Owner::new("sweep", "seed")).unwrap_err();
        assert!(matches!(e, ClaimError::Taken { .. }), "{e}");

        std::fs::remove_file(dir.join(MARKER)).unwrap();
        std::fs::write(dir.join("Cargo.toml"), "x").unwrap();
        std::fs::create_dir(dir.join("src")).unwrap();
        let e = claim(dir, &run("seed")).unwrap_err().to_string();
        assert!(
            e.contains("holds files evictsim did not write (Cargo.toml, src/)"),
            "{e}"
        );

        let file = dir.join("Cargo.toml");
        let e = claim(&file, &run("seed")).unwrap_err();
        assert!(matches!(e, ClaimError::NotADirectory { .. }), "{e}");
    }

    #[test]
    fn the_marker_reads_back_and_keeps_to_one_line_per_field() {
        let o = Owner::new("replay", "a\nb.csv");
        assert_eq!(
            Owner::parse(&o.marker_text()),
            Some(Owner::new("replay", "a b.csv"))
        );
    }
}
