//! Reading and writing sidecar files.
//!
//! Owns the file name (`detection.json`) and the file I/O of sidecars; the
//! format itself is `sidecar::format`. Writes are durable and atomic.

use super::format::{Sidecar, SidecarFormatError};
use crate::fs_atomic;
use std::path::{Path, PathBuf};

/// File name of a camera's sidecar inside its folder.
pub const SIDECAR_FILE: &str = "detection.json";

/// Why a sidecar file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SidecarIoError {
    /// Reading or writing failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The sidecar file.
        path: PathBuf,
        /// The I/O failure.
        source: std::io::Error,
    },
    /// The file is not a sidecar.
    #[error("{}: {source}", path.display())]
    Format {
        /// The sidecar file.
        path: PathBuf,
        /// The parse failure.
        source: SidecarFormatError,
    },
}

/// Writes `sidecar` to `path` durably and atomically.
pub fn write_sidecar(path: &Path, sidecar: &Sidecar) -> Result<(), SidecarIoError> {
    fs_atomic::write_atomic(path, &sidecar.to_json_vec()).map_err(|source| SidecarIoError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads and parses the sidecar at `path` (current or legacy form).
pub fn read_sidecar(path: &Path) -> Result<Sidecar, SidecarIoError> {
    let bytes = std::fs::read(path).map_err(|source| SidecarIoError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Sidecar::from_json_slice(&bytes).map_err(|source| SidecarIoError::Format {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sidecar::format::{Detection, SidecarEntry};

    #[test]
    fn written_sidecar_reads_back_equal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SIDECAR_FILE);
        let sidecar = Sidecar {
            native_width: 1280,
            native_height: 720,
            model: "nanodet_coco80_416".into(),
            frame_interval: 5,
            fps: 20.0,
            entries: vec![SidecarEntry {
                frame_number: 0,
                timestamp_sec: 0.0,
                detections: vec![Detection::new("person", 0.9, [1.0, 2.0, 3.0, 4.0])],
                motion: vec![],
            }],
        };
        write_sidecar(&path, &sidecar).unwrap();
        assert_eq!(read_sidecar(&path).unwrap(), sidecar);
    }

    #[test]
    fn unreadable_and_malformed_files_name_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.json");
        assert!(read_sidecar(&missing).unwrap_err().to_string().contains("nope.json"));
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, "{not json").unwrap();
        let message = read_sidecar(&bad).unwrap_err().to_string();
        assert!(
            message.contains("bad.json") && message.contains("not a detection sidecar"),
            "{message}"
        );
    }
}
