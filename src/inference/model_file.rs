//! The detector model file: read once, checked against its sha256, handed to
//! the session as bytes (so the accelerator owner never reads the disk).

use super::InferenceError;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// A model file's bytes, read and verified.
pub struct ModelFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// Model name written into sidecars (the file stem).
    pub name: String,
    /// The ONNX bytes.
    pub bytes: Vec<u8>,
}

impl ModelFile {
    /// Reads `path`; when `expected_sha256` is given, the file must match it.
    pub fn read(path: &Path, expected_sha256: Option<&str>) -> Result<Self, InferenceError> {
        let bytes = std::fs::read(path).map_err(|source| InferenceError::ModelUnreadable {
            path: path.to_path_buf(),
            source,
        })?;
        if let Some(expected) = expected_sha256 {
            let actual = hex(&Sha256::digest(&bytes));
            if !actual.eq_ignore_ascii_case(expected) {
                return Err(InferenceError::ModelChecksum {
                    path: path.to_path_buf(),
                    expected: expected.to_string(),
                    actual,
                });
            }
        }
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "model".into());
        Ok(Self {
            path: path.to_path_buf(),
            name,
            bytes,
        })
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_mismatch_and_missing_file_are_reported_with_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.onnx");
        std::fs::write(&path, b"abc").unwrap();
        let sha_of_abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(ModelFile::read(&path, Some(sha_of_abc)).unwrap().name, "m");
        let err = ModelFile::read(&path, Some("00")).err().unwrap().to_string();
        assert!(err.contains("m.onnx") && err.contains("sha256"), "{err}");
        let err = ModelFile::read(&dir.path().join("none.onnx"), None)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("none.onnx"), "{err}");
    }
}
