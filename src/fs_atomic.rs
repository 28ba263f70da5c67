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

/// The process id in `name` when it is one of [`temp_path_for`]'s names
/// (`.<stem>.<pid>-<n>.tmp[.<ext>]`).
fn temp_name_owner(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?;
    let (before, after) = rest.rsplit_once(".tmp")?;
    if !(after.is_empty() || after.starts_with('.') && !after[1..].contains('.')) {
        return None;
    }
    let (_, tag) = before.rsplit_once('.')?;
    let (pid, n) = tag.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits(pid) && digits(n)).then(|| pid.parse().ok()).flatten()
}

/// Deletes, under `dir` and its subfolders, the temporary files of writes
/// that another process started and never committed: it died before the
/// rename. Returns how many were deleted.
pub fn remove_abandoned_temps(dir: &Path) -> io::Result<usize> {
    let mut removed = 0;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            removed += remove_abandoned_temps(&entry.path())?;
        } else if kind.is_file() {
            let owner = temp_name_owner(&entry.file_name().to_string_lossy());
            if owner.is_some_and(|pid| pid != std::process::id()) {
                fs::remove_file(entry.path())?;
                removed += 1;
            }
        }
    }
    Ok(removed)
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
    fn temporary_names_are_recognised_with_their_process() {
        let ours = temp_path_for(Path::new("/ce/front_door/front_door-1.mp4"));
        let name = ours.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(temp_name_owner(&name), Some(std::process::id()));
        assert_eq!(temp_name_owner(".journal.4242-7.tmp.jsonl"), Some(4242));
        assert_eq!(temp_name_owner(".notes.12-0.tmp"), Some(12));
        for not_temp in [
            "front_door-1.mp4",
            ".hidden.mp4",
            ".a.12-x.tmp.mp4",
            ".a.12-3.tmp.mp4.bak",
            "x.1-2.tmp",
        ] {
            assert_eq!(temp_name_owner(not_temp), None, "{not_temp}");
        }
    }

    #[test]
    fn abandoned_temporaries_of_other_processes_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let camera = dir.path().join("front_door");
        fs::create_dir(&camera).unwrap();
        fs::write(camera.join(".detection.1-0.tmp.json"), b"{").unwrap();
        fs::write(dir.path().join(".summary.2-5.tmp.mp4"), b"half").unwrap();
        let own = temp_path_for(&dir.path().join("metadata.json"));
        fs::write(&own, b"in progress").unwrap();
        fs::write(camera.join("detection.json"), b"{}").unwrap();
        assert_eq!(remove_abandoned_temps(dir.path()).unwrap(), 2);
        assert!(own.exists(), "this process's own write is left alone");
        assert!(camera.join("detection.json").exists());
        assert!(!camera.join(".detection.1-0.tmp.json").exists());
    }

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
