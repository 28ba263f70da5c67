//! Durable appends to a CE journal.
//!
//! Owns the write path of `journal.jsonl`: open with `O_APPEND`, write one
//! whole line, fsync the file (and its folder when the file is new) before
//! returning. It never reads a journal for meaning and never creates the CE
//! folder.

use super::entry::{JournalEntry, JournalStep};
use super::{JournalError, JOURNAL_FILE_NAME};
use std::fs::{File, OpenOptions};
use std::io::{self, ErrorKind, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;

/// Appends `step`, recorded at `now` (epoch seconds), to the journal of the
/// CE folder `folder`, and returns only once the line is on disk. A torn last
/// line left by an earlier crash is closed with a newline first, so it cannot
/// swallow this one.
pub fn append(folder: &Path, now: f64, step: &JournalStep) -> Result<(), JournalError> {
    let path = folder.join(JOURNAL_FILE_NAME);
    let append_error = |source| JournalError::Append {
        path: path.clone(),
        source,
    };
    let entry = JournalEntry { ts: now, step };
    let mut line = serde_json::to_vec(&entry).map_err(|source| JournalError::Encode {
        path: path.clone(),
        source,
    })?;
    line.push(b'\n');

    let (mut file, created) = open_for_append(&path).map_err(append_error)?;
    if ends_without_newline(&file).map_err(append_error)? {
        line.insert(0, b'\n');
    }
    file.write_all(&line).map_err(append_error)?;
    file.sync_data().map_err(append_error)?;
    if created {
        File::open(folder)
            .and_then(|dir| dir.sync_all())
            .map_err(|source| JournalError::Append {
                path: folder.to_path_buf(),
                source,
            })?;
    }
    Ok(())
}

/// Opens the journal for appending, creating it if needed; says whether it
/// was created (its directory entry then needs an fsync too).
fn open_for_append(path: &Path) -> io::Result<(File, bool)> {
    let mut options = OpenOptions::new();
    options.read(true).append(true);
    match options.open(path) {
        Ok(file) => Ok((file, false)),
        Err(error) if error.kind() == ErrorKind::NotFound => Ok((options.create(true).open(path)?, true)),
        Err(error) => Err(error),
    }
}

/// Whether the file is non-empty and its last byte is not a newline: the
/// trace of a line torn by a crash.
fn ends_without_newline(file: &File) -> io::Result<bool> {
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(false);
    }
    let mut last = [0u8; 1];
    file.read_exact_at(&mut last, len - 1)?;
    Ok(last[0] != b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_one_line_per_step() {
        let dir = tempfile::tempdir().unwrap();
        append(dir.path(), 1.0, &JournalStep::SidecarsDone).unwrap();
        append(dir.path(), 2.5, &JournalStep::Finished).unwrap();
        let text = std::fs::read_to_string(dir.path().join(JOURNAL_FILE_NAME)).unwrap();
        assert_eq!(
            text,
            "{\"ts\":1.0,\"step\":\"sidecars_done\"}\n{\"ts\":2.5,\"step\":\"finished\"}\n"
        );
    }

    #[test]
    fn a_torn_tail_is_closed_before_the_next_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(JOURNAL_FILE_NAME), "{\"ts\":1.0,\"st").unwrap();
        append(dir.path(), 2.0, &JournalStep::Finished).unwrap();
        let text = std::fs::read_to_string(dir.path().join(JOURNAL_FILE_NAME)).unwrap();
        assert_eq!(text, "{\"ts\":1.0,\"st\n{\"ts\":2.0,\"step\":\"finished\"}\n");
    }

    #[test]
    fn a_missing_folder_is_an_error_naming_the_journal() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("absent");
        let error = append(&folder, 1.0, &JournalStep::Finished).unwrap_err();
        assert!(error
            .to_string()
            .starts_with(&folder.join(JOURNAL_FILE_NAME).display().to_string()));
    }
}
