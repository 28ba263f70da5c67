//! The one error type of configuration loading.
//!
//! Owns the wording of configuration errors: every message names the file and,
//! where there is one, the key at fault, on a single line.

use std::path::PathBuf;

/// Why a configuration could not be turned into a runtime [`super::Config`].
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read at all.
    #[error("{}: cannot read config: {source}", path.display())]
    Unreadable {
        /// The configuration file.
        path: PathBuf,
        /// The I/O failure.
        source: std::io::Error,
    },
    /// The file is not valid YAML.
    #[error("{}: not valid YAML: {message}", path.display())]
    Syntax {
        /// The configuration file.
        path: PathBuf,
        /// The parser's description, with line and column.
        message: String,
    },
    /// A key holds a value of the wrong kind or outside its range.
    #[error("{}: key '{key}': {message}", path.display())]
    InvalidKey {
        /// The configuration file (or the environment variable that overrode it).
        path: PathBuf,
        /// Dotted path of the key, e.g. `multi_cam.detection_frame_interval`.
        key: String,
        /// What is wrong with the value.
        message: String,
    },
}

impl ConfigError {
    /// Shorthand for [`ConfigError::InvalidKey`].
    pub fn invalid(path: impl Into<PathBuf>, key: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidKey {
            path: path.into(),
            key: key.into(),
            message: message.into(),
        }
    }
}
