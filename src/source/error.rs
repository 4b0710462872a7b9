//! Why a scenario file was refused, with the file, line and field to fix.

/// A scenario that could not be read or is not valid. Nothing is simulated
/// from it; the message says where to look.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read. The reason is part of the message (and
    /// not a separate cause, so an error chain says it once).
    #[error("{file}: cannot read: {reason}")]
    Read {
        /// The file as given.
        file: String,
        /// What the operating system said.
        reason: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("{file}:{line}: invalid TOML: {message}")]
    Syntax {
        /// The file as given.
        file: String,
        /// 1-based line of the mistake.
        line: usize,
        /// What the parser expected.
        message: String,
    },
    /// The file is TOML but not a valid scenario.
    #[error("{file}:{line}: {field}: {message}")]
    Invalid {
        /// The file as given.
        file: String,
        /// 1-based line of the offending key or value.
        line: usize,
        /// Path of the field, e.g. `class[2].popularity.alpha`.
        field: String,
        /// What is wrong and, where it helps, what would be right.
        message: String,
    },
}

impl ScenarioError {
    /// The 1-based line the error points at, if it points at one.
    pub fn line(&self) -> Option<usize> {
        match self {
            ScenarioError::Read { .. } => None,
            ScenarioError::Syntax { line, .. } | ScenarioError::Invalid { line, .. } => Some(*line),
        }
    }

    /// The path of the offending field, if the error is about one.
    pub fn field(&self) -> Option<&str> {
        match self {
            ScenarioError::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}
