//! Start-up replay of every unfinished CE journal under the storage path.
//!
//! Owns reading `events/*/journal.jsonl`: which folders count, tolerating
//! lines torn by a crash, telling corrupt journals apart, and checking that
//! clips recorded as fetched are still on disk. It changes nothing on disk
//! and resumes nothing itself; a corrupt journal is reported for its caller
//! to quarantine, never fatal to the others.

use super::ce_record::CeRecord;
use super::entry::JournalEntry;
use super::{JournalError, JOURNAL_FILE_NAME};
use crate::fs_read::read_regular_file;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

/// The folder under the storage path that holds one folder per CE.
pub const EVENTS_DIR: &str = "events";

/// Suffix of a canceled CE's folder; such a CE is never resumed.
pub const CANCELED_SUFFIX: &str = "-canceled";

/// Suffix of the folder of a CE whose journal could not be replayed; such a
/// CE is set aside for a person to look at, never resumed.
pub const QUARANTINED_SUFFIX: &str = "-quarantined";

/// How every journal line begins; a line torn by a crash begins so too (or
/// is cut off within it).
const LINE_START: &[u8] = b"{\"ts\":";

/// What start-up replay found under `<storage>/events/`.
#[derive(Debug, Default)]
pub struct Replay {
    /// The unfinished CEs, sorted by folder name (start time first).
    pub records: Vec<CeRecord>,
    /// The CE folders whose journal cannot be used, each with why.
    pub unusable: Vec<UnusableJournal>,
}

/// A CE folder whose journal cannot be replayed.
#[derive(Debug)]
pub struct UnusableJournal {
    /// The CE folder.
    pub folder: PathBuf,
    /// Why: unreadable, a line that is no journal line, or no `opened` line.
    pub error: JournalError,
}

/// Replays the journal of every CE folder under `<storage>/events/`, sorted
/// by folder name (start time first). Skipped: `-canceled` and `-quarantined`
/// folders, folders without a journal, journals holding no usable line (the
/// CE never durably began), and journals whose last line is terminal
/// (`finished`, `discarded`, `canceled`). Lines torn by a crash are counted
/// in [`CeRecord::skipped_lines`]. A journal that cannot be read, holds a
/// line that is no journal line (garbage, not UTF-8) or has steps but no
/// `opened` line is listed in [`Replay::unusable`]. Clips recorded as fetched
/// whose file is missing or empty are left out of [`CeRecord::clips`], so
/// they are fetched again.
///
/// # Errors
/// [`JournalError::Read`] only when `events/` itself cannot be listed.
pub fn replay(storage: &Path) -> Result<Replay, JournalError> {
    let folders = ce_folders(storage)?.into_iter().filter(|path| {
        !path.file_name().is_some_and(|name| {
            let name = name.to_string_lossy();
            name.ends_with(CANCELED_SUFFIX) || name.ends_with(QUARANTINED_SUFFIX)
        })
    });
    let mut replay = Replay::default();
    for folder in folders {
        match replay_folder(&folder) {
            Ok(record) => replay.records.extend(record),
            Err(error) => replay.unusable.push(UnusableJournal { folder, error }),
        }
    }
    Ok(replay)
}

/// The CE folders under `<storage>/events/`, sorted by name (none when `events/` does not exist).
///
/// # Errors
/// [`JournalError::Read`] when `events/` cannot be listed.
pub(super) fn ce_folders(storage: &Path) -> Result<Vec<PathBuf>, JournalError> {
    let events_dir = storage.join(EVENTS_DIR);
    let read_error = |source| JournalError::Read {
        path: events_dir.clone(),
        source,
    };
    let listing = match fs::read_dir(&events_dir) {
        Ok(listing) => listing,
        Err(error) if error.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(read_error(error)),
    };
    let mut folders = Vec::new();
    for dir_entry in listing {
        let path = dir_entry.map_err(read_error)?.path();
        if path.is_dir() {
            folders.push(path);
        }
    }
    folders.sort();
    Ok(folders)
}

/// The record of one CE folder, or `None` when there is nothing to resume.
fn replay_folder(folder: &Path) -> Result<Option<CeRecord>, JournalError> {
    let path = folder.join(JOURNAL_FILE_NAME);
    let Some((entries, torn_lines)) = read_journal(folder)? else {
        return Ok(None);
    };
    if entries.last().is_some_and(|entry| entry.step.is_terminal()) {
        return Ok(None);
    }
    let had_steps = !entries.is_empty();
    let Some(mut record) = CeRecord::fold(folder, entries, torn_lines) else {
        return if had_steps {
            Err(JournalError::NotOpened { path })
        } else {
            Ok(None)
        };
    };
    record.clips.retain(|_, clip| is_non_empty_file(clip));
    Ok(Some(record))
}

/// The parsed lines of `folder`'s journal and how many were torn by a crash; `None` when it has
/// none. Every reader of the file goes through here.
///
/// # Errors
/// [`JournalError::Read`] when it cannot be read or is not a regular file (a pipe or a device
/// would block or never end), [`JournalError::Corrupt`] when a line is no journal line at all.
pub(super) fn read_journal(folder: &Path) -> Result<Option<(Vec<JournalEntry>, usize)>, JournalError> {
    let path = folder.join(JOURNAL_FILE_NAME);
    let bytes = match read_regular_file(&path) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return Ok(None),
        Err(source) => return Err(JournalError::Read { path, source }),
    };
    let lines = parse_lines(&bytes).map_err(|line| JournalError::Corrupt { path, line })?;
    Ok(Some(lines))
}

/// The parseable lines of a journal and how many non-blank lines were torn
/// by a crash (they begin as a journal line but do not parse); `Err` with
/// the 1-based number of the first line that is no journal line at all.
pub(super) fn parse_lines(bytes: &[u8]) -> Result<(Vec<JournalEntry>, usize), usize> {
    let mut entries = Vec::new();
    let mut torn = 0;
    for (index, line) in bytes.split(|&byte| byte == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<JournalEntry>(line) {
            Ok(entry) => entries.push(entry),
            Err(_) if line.starts_with(LINE_START) || LINE_START.starts_with(line) => torn += 1,
            Err(_) => return Err(index + 1),
        }
    }
    Ok((entries, torn))
}

/// Whether `path` is a regular file with at least one byte: a usable clip.
fn is_non_empty_file(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.len() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ce::journal::{append, JournalStep, NextStep};
    use crate::notify::Status;

    /// Creates `events/<name>/` under `storage` with an opened, closed CE over
    /// `porch` and `drive`.
    fn closed_ce(storage: &Path, name: &str) -> PathBuf {
        let folder = storage.join(EVENTS_DIR).join(name);
        fs::create_dir_all(&folder).unwrap();
        let steps = [
            JournalStep::Opened {
                ce_id: format!("ce_{name}"),
                folder: name.to_string(),
                camera: "porch".to_string(),
                label: "person".to_string(),
                start_time: 100.0,
            },
            JournalStep::EventJoined {
                event_id: "100.0-abc123".to_string(),
                camera: "porch".to_string(),
                label: "person".to_string(),
                start_time: 100.0,
            },
            JournalStep::EventEnded {
                event_id: "100.0-abc123".to_string(),
                end_time: 110.0,
            },
            JournalStep::Closed {
                window_start: 95.0,
                window_end: 140.0,
                cameras: vec!["drive".to_string(), "porch".to_string()],
                primary: "porch".to_string(),
            },
        ];
        for (i, step) in steps.iter().enumerate() {
            append(&folder, 100.0 + i as f64, step).unwrap();
        }
        folder
    }

    /// Writes a clip of `bytes` bytes and records it as fetched.
    fn fetch(folder: &Path, camera: &str, bytes: usize) {
        let relative = PathBuf::from(camera).join(format!("{camera}-1.mp4"));
        fs::create_dir_all(folder.join(camera)).unwrap();
        fs::write(folder.join(&relative), vec![0u8; bytes]).unwrap();
        let step = JournalStep::ClipFetched {
            camera: camera.to_string(),
            path: relative,
            bytes: bytes as u64,
        };
        append(folder, 200.0, &step).unwrap();
    }

    #[test]
    fn round_trip_through_the_disk() {
        let storage = tempfile::tempdir().unwrap();
        let folder = closed_ce(storage.path(), "100_0badf00d");
        fetch(&folder, "porch", 4);
        let records = replay(storage.path()).unwrap().records;
        assert_eq!(records.len(), 1);
        let record = &records[0];
        assert_eq!(record.folder, folder);
        assert_eq!(record.ce_id, "ce_100_0badf00d");
        assert_eq!(record.events[0].end_time, Some(110.0));
        assert_eq!(record.last_activity, 102.0);
        assert_eq!(record.clips["porch"], folder.join("porch/porch-1.mp4"));
        assert_eq!(record.skipped_lines, 0);
        assert_eq!(
            record.next_step(),
            NextStep::Fetch {
                cameras: vec!["drive".to_string()]
            }
        );
    }

    #[test]
    fn torn_final_line_is_counted_not_fatal() {
        let storage = tempfile::tempdir().unwrap();
        let folder = closed_ce(storage.path(), "100_0badf00d");
        let mut journal = fs::OpenOptions::new()
            .append(true)
            .open(folder.join(JOURNAL_FILE_NAME))
            .unwrap();
        std::io::Write::write_all(&mut journal, b"{\"ts\":300.0,\"step\":\"sidecars_d\xe2").unwrap();
        let records = replay(storage.path()).unwrap().records;
        assert_eq!(records[0].skipped_lines, 1);
        assert_eq!(
            records[0].next_step(),
            NextStep::Fetch {
                cameras: vec!["drive".to_string(), "porch".to_string()]
            }
        );
    }

    #[test]
    fn deleted_or_empty_clip_is_fetched_again() {
        let storage = tempfile::tempdir().unwrap();
        let folder = closed_ce(storage.path(), "100_0badf00d");
        fetch(&folder, "porch", 4);
        fetch(&folder, "drive", 0);
        append(&folder, 300.0, &JournalStep::SidecarsDone).unwrap();
        fs::remove_file(folder.join("porch/porch-1.mp4")).unwrap();
        let records = replay(storage.path()).unwrap().records;
        assert!(records[0].clips.is_empty());
        assert_eq!(
            records[0].next_step(),
            NextStep::Fetch {
                cameras: vec!["drive".to_string(), "porch".to_string()]
            }
        );
    }

    #[test]
    fn finished_discarded_and_canceled_ces_are_skipped() {
        let storage = tempfile::tempdir().unwrap();
        let finished = closed_ce(storage.path(), "100_00000001");
        append(&finished, 400.0, &JournalStep::Finished).unwrap();
        let discarded = closed_ce(storage.path(), "100_00000002");
        append(&discarded, 400.0, &JournalStep::Discarded).unwrap();
        let canceled_in_journal = closed_ce(storage.path(), "100_00000003");
        append(&canceled_in_journal, 400.0, &JournalStep::Canceled).unwrap();
        closed_ce(storage.path(), "100_00000004-canceled");
        let resumable = closed_ce(storage.path(), "100_00000005");
        append(&resumable, 400.0, &JournalStep::Notified { status: Status::New }).unwrap();
        fs::create_dir_all(storage.path().join(EVENTS_DIR).join("100_00000006")).unwrap();
        let folders: Vec<PathBuf> = replay(storage.path())
            .unwrap()
            .records
            .into_iter()
            .map(|record| record.folder)
            .collect();
        assert_eq!(folders, [resumable]);
    }

    #[test]
    fn missing_events_folder_means_nothing_to_resume() {
        let storage = tempfile::tempdir().unwrap();
        let replay = replay(storage.path()).unwrap();
        assert!(replay.records.is_empty() && replay.unusable.is_empty());
    }

    #[test]
    fn blank_lines_are_ignored_torn_ones_counted_and_garbage_refused() {
        let torn =
            b"{\"ts\":1.0,\"step\":\"finished\"}\n\n  \n{\"ts\":2.0}\n{\"t\n{\"ts\":3.0,\"step\":\"sidecars_done\"}";
        let (entries, torn_lines) = parse_lines(torn).unwrap();
        assert_eq!((entries.len(), torn_lines), (2, 2));
        assert!(matches!(
            parse_lines(b"{\"ts\":1.0,\"step\":\"finished\"}\nnot json\n"),
            Err(2)
        ));
        assert!(matches!(parse_lines(b"\xff\xfe\x00garbage"), Err(1)));
    }

    #[test]
    fn unreadable_garbage_or_unopened_journals_are_listed_unusable_and_the_others_replayed() {
        let storage = tempfile::tempdir().unwrap();
        let events = storage.path().join(EVENTS_DIR);
        let good = closed_ce(storage.path(), "100_00000001");
        fs::create_dir_all(events.join("100_00000002").join(JOURNAL_FILE_NAME)).unwrap();
        fs::create_dir_all(events.join("100_00000003")).unwrap();
        fs::write(
            events.join("100_00000003").join(JOURNAL_FILE_NAME),
            b"\x89PNG\r\n\x1a\n\x00\x00",
        )
        .unwrap();
        let unopened = events.join("100_00000004");
        fs::create_dir_all(&unopened).unwrap();
        append(&unopened, 1.0, &JournalStep::SidecarsDone).unwrap();
        fs::create_dir_all(events.join("100_00000005-quarantined").join(JOURNAL_FILE_NAME)).unwrap();
        let replay = replay(storage.path()).unwrap();
        let resumed: Vec<&PathBuf> = replay.records.iter().map(|record| &record.folder).collect();
        assert_eq!(resumed, [&good]);
        let unusable: Vec<String> = replay
            .unusable
            .iter()
            .map(|unusable| format!("{}", unusable.error))
            .collect();
        assert_eq!(unusable.len(), 3, "{unusable:?}");
        assert!(
            unusable[0].contains("100_00000002/journal.jsonl: cannot read"),
            "{}",
            unusable[0]
        );
        assert!(
            unusable[1].ends_with("100_00000003/journal.jsonl: line 1 is not a journal line"),
            "{}",
            unusable[1]
        );
        assert!(
            unusable[2].ends_with("100_00000004/journal.jsonl: steps without an `opened` line"),
            "{}",
            unusable[2]
        );
    }
}
