//! A CE's history as its journal tells it, finished CEs included: when it opened, when and how it
//! concluded, its cameras. For statistics and reports that look back over every CE folder.
//!
//! Owns reading journals for looking back only: it never writes a journal and decides nothing
//! about resuming (that is [`replay()`](super::replay())'s).

use super::entry::JournalStep;
use super::replay::{ce_folders, read_journal};
use super::JournalError;
use std::path::{Path, PathBuf};

/// The folder under the storage path whose `events/` holds kept CEs.
const SAVED_DIR: &str = "saved";

/// How a CE ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conclusion {
    /// Every step done (`finished`), the summary video made.
    Finished,
    /// Every step done, but the summary video failed.
    SummaryFailed,
    /// Its only events were too short (`discarded`).
    Discarded,
    /// An event ran too long (`canceled`).
    Canceled,
}

/// One CE, from its journal.
#[derive(Debug, Clone, PartialEq)]
pub struct CeHistory {
    /// The CE folder.
    pub folder: PathBuf,
    /// `ce_<int start_ts>_<8 hex>`.
    pub ce_id: String,
    /// Start of the opening event, epoch seconds.
    pub start_time: f64,
    /// When the `opened` line was written, epoch seconds.
    pub opened_at: f64,
    /// The cameras, in the order the journal first names them.
    pub cameras: Vec<String>,
    /// When (epoch seconds) and how the CE ended; `None` while it is open or processing.
    pub concluded: Option<(f64, Conclusion)>,
}

impl CeHistory {
    /// Seconds from the opening to the conclusion, once concluded.
    pub fn processing_seconds(&self) -> Option<f64> {
        self.concluded.map(|(at, _)| at - self.opened_at)
    }

    /// Folds a journal's steps (with their times), in file order; `None` without an `opened` line.
    fn fold(folder: &Path, steps: impl IntoIterator<Item = (f64, JournalStep)>) -> Option<CeHistory> {
        let mut history: Option<CeHistory> = None;
        let mut summary_failed = false;
        for (ts, step) in steps {
            if let JournalStep::Opened {
                ce_id,
                camera,
                start_time,
                ..
            } = &step
            {
                history.get_or_insert_with(|| CeHistory {
                    folder: folder.to_path_buf(),
                    ce_id: ce_id.clone(),
                    start_time: *start_time,
                    opened_at: ts,
                    cameras: vec![camera.clone()],
                    concluded: None,
                });
                continue;
            }
            let Some(history) = history.as_mut() else {
                continue;
            };
            match step {
                JournalStep::EventJoined { camera, .. }
                | JournalStep::ClipFetched { camera, .. }
                | JournalStep::ClipFailed { camera, .. } => history.add_camera(&camera),
                JournalStep::Closed { cameras, .. } => cameras.iter().for_each(|camera| history.add_camera(camera)),
                JournalStep::SummaryFailed { .. } => summary_failed = true,
                JournalStep::Finished if summary_failed => history.concluded = Some((ts, Conclusion::SummaryFailed)),
                JournalStep::Finished => history.concluded = Some((ts, Conclusion::Finished)),
                JournalStep::Discarded => history.concluded = Some((ts, Conclusion::Discarded)),
                JournalStep::Canceled => history.concluded = Some((ts, Conclusion::Canceled)),
                _ => {}
            }
        }
        history
    }

    /// Records a camera once, keeping first-seen order.
    fn add_camera(&mut self, camera: &str) {
        if !self.cameras.iter().any(|known| known == camera) {
            self.cameras.push(camera.to_string());
        }
    }
}

/// The history of one CE folder; `None` when it has no journal or no `opened` line. Lines torn by
/// a crash are skipped.
///
/// # Errors
/// [`JournalError::Read`] when the journal cannot be read or is not a regular file (a pipe would
/// block the reader, a device such as `/dev/zero` never end), [`JournalError::Corrupt`] when a
/// line is no journal line at all.
pub fn read_history(folder: &Path) -> Result<Option<CeHistory>, JournalError> {
    let Some((entries, _torn)) = read_journal(folder)? else {
        return Ok(None);
    };
    Ok(CeHistory::fold(
        folder,
        entries.into_iter().map(|entry| (entry.ts, entry.step)),
    ))
}

/// What [`histories`] found under the storage path.
#[derive(Debug, Default)]
pub struct Histories {
    /// Every CE with a usable journal, under `events/` and `saved/events/`.
    pub ces: Vec<CeHistory>,
    /// The journals that could not be read, each with why.
    pub unreadable: Vec<JournalError>,
}

/// The history of every CE folder under `<storage>/events/` and `<storage>/saved/events/`.
///
/// # Errors
/// [`JournalError::Read`] only when one of those folders exists but cannot be listed.
pub fn histories(storage: &Path) -> Result<Histories, JournalError> {
    let mut found = Histories::default();
    for root in [storage.to_path_buf(), storage.join(SAVED_DIR)] {
        for folder in ce_folders(&root)? {
            match read_history(&folder) {
                Ok(history) => found.ces.extend(history),
                Err(error) => found.unreadable.push(error),
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ce::journal::append;
    use std::fs;

    fn opened(name: &str) -> JournalStep {
        JournalStep::Opened {
            ce_id: format!("ce_{name}"),
            folder: name.to_string(),
            camera: "porch".to_string(),
            label: "person".to_string(),
            start_time: 99.0,
        }
    }

    #[test]
    fn finished_ces_are_read_with_their_processing_time() {
        let storage = tempfile::tempdir().unwrap();
        let finished = storage.path().join("events/100_00000001");
        let failed = storage.path().join("saved/events/100_00000002");
        let open = storage.path().join("events/100_00000003");
        for folder in [&finished, &failed, &open] {
            fs::create_dir_all(folder).unwrap();
        }
        append(&finished, 100.0, &opened("100_00000001")).unwrap();
        let closed = JournalStep::Closed {
            window_start: 90.0,
            window_end: 150.0,
            cameras: vec!["drive".to_string(), "porch".to_string()],
            primary: "porch".to_string(),
        };
        append(&finished, 160.0, &closed).unwrap();
        append(&finished, 172.5, &JournalStep::Finished).unwrap();
        append(&failed, 200.0, &opened("100_00000002")).unwrap();
        let summary_failed = JournalStep::SummaryFailed {
            error: "encoder".to_string(),
        };
        append(&failed, 230.0, &summary_failed).unwrap();
        append(&failed, 240.0, &JournalStep::Finished).unwrap();
        append(&open, 300.0, &opened("100_00000003")).unwrap();
        fs::create_dir_all(storage.path().join("events/100_00000004")).unwrap();
        fs::write(storage.path().join("events/100_00000004/journal.jsonl"), b"garbage\n").unwrap();

        let found = histories(storage.path()).unwrap();
        let summary: Vec<(&str, Option<f64>, Option<Conclusion>)> = found
            .ces
            .iter()
            .map(|ce| {
                (
                    ce.ce_id.as_str(),
                    ce.processing_seconds(),
                    ce.concluded.map(|(_, how)| how),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("ce_100_00000001", Some(72.5), Some(Conclusion::Finished)),
                ("ce_100_00000003", None, None),
                ("ce_100_00000002", Some(40.0), Some(Conclusion::SummaryFailed)),
            ]
        );
        assert_eq!(found.ces[0].cameras, ["porch", "drive"]);
        assert_eq!(found.unreadable.len(), 1);
    }
}
