//! Durable atomic file writes.
//!
//! Owns the one way outputs reach their final name: a temporary file in the
//! same directory, fsync, rename, fsync the directory. A crash leaves either
//! the old file or the new one, never a half-written file under the final name.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Distinguishes temporary names of concurrent writes in one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A temporary path beside `final_path` (same directory, so rename is atomic),
/// ending in `.tmp` and keeping `final_path`'s extension before it, so tools
/// that infer a format from the name (FFmpeg) still do.
pub fn temp_path_for(final_path: &Path) -> PathBuf {
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = final_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (stem, ext) = match name.rsplit_once('.') {
        Some((stem, ext)) => (stem.to_string(), format!(".{ext}")),
        None => (name.clone(), String::new()),
    };
    final_path.with_file_name(format!(".{stem}.{}-{n}.tmp{ext}", std::process::id()))
}

/// Writes `bytes` to `path` durably and atomically.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let temp = temp_path_for(path);
    let result = (|| {
        let mut file = OpenOptions::new().write(true).create_new(true).open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        commit(&temp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// Moves a finished, closed temporary file into place durably: fsync the
/// file, rename it to `final_path`, fsync the directory.
pub fn commit(temp: &Path, final_path: &Path) -> io::Result<()> {
    File::open(temp)?.sync_all()?;
    fs::rename(temp, final_path)?;
    sync_parent_dir(final_path)
}

fn sync_parent_dir(path: &Path) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_content_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("detection.json");
        write_atomic(&path, b"old").unwrap();
        write_atomic(&path, b"new").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("detection.json")]);
    }

    #[test]
    fn failure_leaves_the_old_file_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        write_atomic(&path, b"old").unwrap();
        // A directory where the temporary's directory should be makes the write fail.
        let missing_dir = dir.path().join("missing").join("out.json");
        assert!(write_atomic(&missing_dir, b"x").is_err());
        assert_eq!(fs::read(&path).unwrap(), b"old");
    }

    #[test]
    fn temp_name_keeps_the_extension_and_directory() {
        let temp = temp_path_for(Path::new("/a/b/ce_summary.mp4"));
        assert_eq!(temp.parent(), Some(Path::new("/a/b")));
        assert!(temp.to_string_lossy().ends_with(".tmp.mp4"));
    }
}
