//! Reading files the service did not necessarily write itself (journals, saved reports,
//! analysis results under the storage folder).
//!
//! Owns one rule: only a regular file is read. A FIFO or a device put where a file is expected
//! would block the reader or never end, so it is refused with `InvalidInput` before it is
//! opened. It does not parse what it reads.

use std::fs;
use std::io::{self, ErrorKind};
use std::path::Path;

/// The bytes of the regular file at `path`; `None` when nothing is there.
///
/// # Errors
/// `InvalidInput` when `path` is no regular file; any other I/O error as it came.
pub fn read_regular_file(path: &Path) -> io::Result<Option<Vec<u8>>> {
    match fs::metadata(path) {
        Ok(meta) if !meta.is_file() => return Err(io::Error::new(ErrorKind::InvalidInput, "not a regular file")),
        Ok(_) => {}
        Err(error) if error.kind() == ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error),
    }
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(error) if error.kind() == ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_file_and_says_none_when_absent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        assert!(read_regular_file(&path).unwrap().is_none());
        fs::write(&path, b"{}").unwrap();
        assert_eq!(read_regular_file(&path).unwrap().unwrap(), b"{}");
    }

    #[test]
    fn refuses_a_fifo_without_opening_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&path).status().unwrap();
        assert!(made.success());
        let error = read_regular_file(&path).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput);
        let error = read_regular_file(dir.path()).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput);
    }
}
