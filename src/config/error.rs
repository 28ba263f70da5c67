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
    /// Shorthand for [`ConfigError::InvalidKey`]. The key and the message may quote values from
    /// the file; their control characters (a newline inside a quoted value) are written as
    /// escapes, so the error stays on one line.
    pub fn invalid(path: impl Into<PathBuf>, key: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidKey {
            path: path.into(),
            key: single_line(key.into()),
            message: single_line(message.into()),
        }
    }
}

/// `text` with each control character written as its escape (`\n`, `\u{1b}`).
fn single_line(text: String) -> String {
    if !text.chars().any(char::is_control) {
        return text;
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use std::path::Path;

    #[test]
    fn a_value_with_a_newline_is_quoted_on_one_line() {
        // Found by the `config` fuzz target (corpus/config/newline-in-value-crash.yaml): YAML folds
        // the blank line of this plain scalar into one newline inside the pipeline selector.
        let text = "pipeline: &c Paths givepw\n\n  ev";
        let err = Config::from_yaml(text, Path::new("fuzz.yaml")).unwrap_err();
        let message = err.to_string();
        assert!(!message.contains('\n'), "{message}");
        assert!(message.contains("'Paths givepw\\nev'"), "{message}");
    }
}
