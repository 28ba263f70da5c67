//! Why a camera of a CE or its summary failed, as the stages report it and the CE's outcome
//! carries it: one line for the user, and whether the storage could not be written.
//!
//! The kind is what the service decides on: a CE whose outputs could not be written because the
//! storage is full or read-only is held back and processed again, not concluded. It is set where
//! the failure happens (an I/O error's kind, the encoder's own error), never read back from text.

use crate::encode::EncodeError;
use serde::{Deserialize, Serialize};
use std::fmt::Display;
use std::io;

/// What kind of failure a [`PipelineError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The storage could not be written: no space left (ENOSPC) or mounted read-only (EROFS).
    StorageUnwritable,
    /// Anything else: a clip that cannot be read, an encoder that failed, a stage that stopped.
    Failed,
}

/// A camera's or a summary's failure: one line naming the clip or file, and its kind.
///
/// In JSON (`process --json`, the cluster's results) an ordinary failure is its line, as a
/// string; a storage failure is `{"kind": "storage_unwritable", "message": …}`, so a cluster's
/// ingest node holds that CE back as the worker's own service would.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(into = "WireError", from = "WireError")]
#[error("{message}")]
pub struct PipelineError {
    /// What kind of failure.
    pub kind: FailureKind,
    /// One line naming the clip or file and the cause.
    pub message: String,
}

impl PipelineError {
    /// A failure that is not the storage's.
    pub fn failed(message: impl Into<String>) -> Self {
        Self {
            kind: FailureKind::Failed,
            message: message.into(),
        }
    }

    /// `context: error`, storage-unwritable when the I/O error says the file system is full or
    /// read-only.
    pub fn io(context: impl Display, error: &io::Error) -> Self {
        let kind = match error.kind() {
            io::ErrorKind::StorageFull | io::ErrorKind::ReadOnlyFilesystem => FailureKind::StorageUnwritable,
            _ => FailureKind::Failed,
        };
        Self {
            kind,
            message: format!("{context}: {error}"),
        }
    }

    /// Whether the storage could not be written.
    pub fn storage_unwritable(&self) -> bool {
        self.kind == FailureKind::StorageUnwritable
    }
}

/// How a [`PipelineError`] is written in JSON.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum WireError {
    /// An ordinary failure: its line.
    Text(String),
    /// A failure of another kind, named.
    Typed {
        /// Its kind.
        kind: FailureKind,
        /// Its line.
        message: String,
    },
}

impl From<PipelineError> for WireError {
    fn from(error: PipelineError) -> Self {
        match error.kind {
            FailureKind::Failed => WireError::Text(error.message),
            kind => WireError::Typed {
                kind,
                message: error.message,
            },
        }
    }
}

impl From<WireError> for PipelineError {
    fn from(wire: WireError) -> Self {
        match wire {
            WireError::Text(message) => PipelineError::failed(message),
            WireError::Typed { kind, message } => PipelineError { kind, message },
        }
    }
}

impl From<EncodeError> for PipelineError {
    fn from(error: EncodeError) -> Self {
        let kind = match error {
            EncodeError::StorageUnwritable { .. } => FailureKind::StorageUnwritable,
            EncodeError::Unavailable(_) | EncodeError::Failed { .. } => FailureKind::Failed,
        };
        Self {
            kind,
            message: error.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_of_a_full_or_read_only_disk_are_storage_failures() {
        let full = io::Error::from_raw_os_error(28); // ENOSPC
        let error = PipelineError::io("/storage/x/detection.json", &full);
        assert!(error.storage_unwritable(), "{error:?}");
        assert!(error.message.starts_with("/storage/x/detection.json: "), "{error}");
        let read_only = io::Error::from_raw_os_error(30); // EROFS
        assert!(PipelineError::io("f", &read_only).storage_unwritable());
        let missing = io::Error::from_raw_os_error(2); // ENOENT
        assert!(!PipelineError::io("f", &missing).storage_unwritable());
    }

    #[test]
    fn json_keeps_ordinary_failures_as_text_and_names_storage_failures() {
        let ordinary = PipelineError::failed("clip /x/yard-1.mp4: has no video frames");
        let text = serde_json::to_string(&ordinary).unwrap();
        assert_eq!(text, r#""clip /x/yard-1.mp4: has no video frames""#);
        assert_eq!(serde_json::from_str::<PipelineError>(&text).unwrap(), ordinary);
        let full = PipelineError::io("/x/detection.json", &io::Error::from_raw_os_error(28));
        let text = serde_json::to_string(&full).unwrap();
        assert!(
            text.starts_with(r#"{"kind":"storage_unwritable","message":"/x/detection.json: "#),
            "{text}"
        );
        assert_eq!(serde_json::from_str::<PipelineError>(&text).unwrap(), full);
    }

    #[test]
    fn the_encoder_s_storage_error_keeps_its_kind() {
        let path = std::path::PathBuf::from("/storage/x/ce_summary.mp4");
        let full = EncodeError::StorageUnwritable {
            path: path.clone(),
            message: "No space left on device".into(),
        };
        assert!(PipelineError::from(full).storage_unwritable());
        let other = EncodeError::Failed {
            path,
            message: "exited with 1".into(),
        };
        assert_eq!(PipelineError::from(other).kind, FailureKind::Failed);
    }
}
