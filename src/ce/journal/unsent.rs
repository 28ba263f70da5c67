//! Notifications a CE's journal records as due (`notification_due`) and
//! never as sent (`notified` of the same status): those the broker never
//! accepted before a stop, to send after the restart.
//!
//! Reads every CE journal, finished ones included (a CE finishes once its
//! notifications are due, not once they are sent). It changes nothing on
//! disk; journaling `notified` is the sender's job.

use super::entry::{JournalEntry, JournalStep};
use super::replay::{ce_folders, parse_lines};
use super::{JournalError, JOURNAL_FILE_NAME};
use crate::notify::{CeFacts, Milestone};
use std::fs;
use std::path::{Path, PathBuf};

/// A notification journaled as due and not as sent.
#[derive(Debug, Clone, PartialEq)]
pub struct UnsentNotification {
    /// The CE folder whose journal it is in.
    pub folder: PathBuf,
    /// What happened.
    pub milestone: Milestone,
    /// What the notification says about the CE.
    pub facts: CeFacts,
}

/// Every unsent notification under `<storage>/events/`, by folder name, in
/// journal order within a CE.
pub fn unsent_notifications(storage: &Path) -> Result<Vec<UnsentNotification>, JournalError> {
    let folders = ce_folders(storage)?;
    let mut unsent = Vec::new();
    for folder in folders {
        let path = folder.join(JOURNAL_FILE_NAME);
        // A journal that cannot be read or parsed has no notification to send: the resume
        // quarantines its CE (and says why) instead.
        let Ok(bytes) = fs::read(&path) else {
            continue;
        };
        let Ok((entries, _)) = parse_lines(&bytes) else {
            continue;
        };
        unsent.extend(
            due_not_sent(entries)
                .into_iter()
                .map(|(milestone, facts)| UnsentNotification {
                    folder: folder.clone(),
                    milestone,
                    facts,
                }),
        );
    }
    Ok(unsent)
}

/// The due notifications of one journal that no later `notified` line of
/// the same status answers.
fn due_not_sent(entries: Vec<JournalEntry>) -> Vec<(Milestone, CeFacts)> {
    let mut due: Vec<(Milestone, CeFacts)> = Vec::new();
    for entry in entries {
        match entry.step {
            JournalStep::NotificationDue { milestone, facts } => {
                due.retain(|(known, _)| known.status() != milestone.status());
                due.push((milestone, facts));
            }
            JournalStep::Notified { status } => due.retain(|(known, _)| known.status() != status),
            _ => {}
        }
    }
    due
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ce::journal::append;
    use crate::ce::journal::replay::EVENTS_DIR;
    use crate::notify::Status;

    fn facts() -> CeFacts {
        CeFacts {
            ce_id: "ce_100_0badf00d".to_string(),
            camera: "porch".to_string(),
            label: "person".to_string(),
            camera_count: 2,
            image_url: None,
            video_url: Some("http://host/files/events/100_0badf00d/summary.mp4".to_string()),
            player_url: None,
            threat_level: 0,
        }
    }

    fn finalized() -> Milestone {
        Milestone::Finalized {
            title: "Courier".to_string(),
            description: "A parcel".to_string(),
        }
    }

    #[test]
    fn due_without_notified_is_unsent_even_after_finished() {
        let storage = tempfile::tempdir().unwrap();
        let sent = storage.path().join(EVENTS_DIR).join("100_0badf00d");
        let unsent = storage.path().join(EVENTS_DIR).join("200_0badf00d");
        for folder in [&sent, &unsent] {
            fs::create_dir_all(folder).unwrap();
            let due = JournalStep::NotificationDue {
                milestone: Milestone::ClipReady,
                facts: facts(),
            };
            append(folder, 1.0, &due).unwrap();
            let later = JournalStep::NotificationDue {
                milestone: finalized(),
                facts: facts(),
            };
            append(folder, 2.0, &later).unwrap();
        }
        let clip_ready_sent = JournalStep::Notified {
            status: Status::ClipReady,
        };
        append(&sent, 3.0, &clip_ready_sent).unwrap();
        append(&unsent, 3.0, &JournalStep::Finished).unwrap();

        let found = unsent_notifications(storage.path()).unwrap();
        let summary: Vec<(PathBuf, Status)> = found.iter().map(|n| (n.folder.clone(), n.milestone.status())).collect();
        assert_eq!(
            summary,
            vec![
                (sent.clone(), Status::Finalized),
                (unsent.clone(), Status::ClipReady),
                (unsent.clone(), Status::Finalized),
            ]
        );
        assert_eq!(found[1].facts, facts());
        assert_eq!(found[2].milestone, finalized());
    }

    #[test]
    fn no_events_folder_means_nothing_unsent() {
        let storage = tempfile::tempdir().unwrap();
        assert!(unsent_notifications(storage.path()).unwrap().is_empty());
    }
}
