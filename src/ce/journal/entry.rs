//! One line of a CE journal: a timestamp and the step it records.
//!
//! Owns the on-disk vocabulary (`{"ts": .., "step": "<name>", ..fields}`).
//! It says nothing about what a sequence of steps means (see `ce_record`).

use crate::notify::{CeFacts, Milestone, Status};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// A completed state transition of a CE, as written to its journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum JournalStep {
    /// The CE exists: its folder was created for its first qualifying event
    /// (which is recorded by an `event_joined` line too).
    Opened {
        /// `ce_<int start_ts>_<8 hex>`.
        ce_id: String,
        /// The folder name under `events/`, `<int start_ts>_<8 hex>`.
        folder: String,
        /// Camera of the opening event.
        camera: String,
        /// Label of the opening event.
        label: String,
        /// Start of the opening event, epoch seconds.
        start_time: f64,
    },
    /// A Frigate event became part of the CE.
    EventJoined {
        /// Frigate's event id, `<start_ts>-<6 chars>`.
        event_id: String,
        /// The event's camera.
        camera: String,
        /// The event's label.
        label: String,
        /// The event's start, epoch seconds.
        start_time: f64,
    },
    /// A Frigate event of the CE ended and was kept.
    EventEnded {
        /// Frigate's event id.
        event_id: String,
        /// The event's end, epoch seconds.
        end_time: f64,
    },
    /// A Frigate event was too short and left the CE.
    EventDiscarded {
        /// Frigate's event id.
        event_id: String,
    },
    /// The CE closed: no event is open and the gap timer ran out.
    Closed {
        /// Start of the shared clip window, epoch seconds.
        window_start: f64,
        /// End of the shared clip window, epoch seconds.
        window_end: f64,
        /// Every camera whose clip the CE needs.
        cameras: Vec<String>,
        /// The camera named in notifications.
        primary: String,
    },
    /// A camera's clip is on disk under its final name.
    ClipFetched {
        /// The camera.
        camera: String,
        /// The clip, relative to the CE folder or absolute.
        path: PathBuf,
        /// Its size, for the log.
        bytes: u64,
    },
    /// A camera's clip could not be fetched; the CE goes on without it.
    ClipFailed {
        /// The camera.
        camera: String,
        /// Why, in one line.
        error: String,
    },
    /// The CE was published as a job to the cluster's workers.
    Dispatched {
        /// Delivery attempt, from 1; a job published again counts up.
        attempt: u32,
    },
    /// A worker took the CE's job.
    Claimed {
        /// The attempt it took.
        attempt: u32,
        /// The worker's id.
        worker: String,
    },
    /// Every fetched clip has its `detection.json`.
    SidecarsDone,
    /// The summary video is written.
    SummaryDone {
        /// The video, relative to the CE folder or absolute.
        path: PathBuf,
    },
    /// The summary video failed (see `compilation_error.log`); not retried.
    SummaryFailed {
        /// Why, in one line.
        error: String,
    },
    /// A notification of the CE is due: asked of the notifier, and sent
    /// again after a restart until a `notified` line of its status follows.
    NotificationDue {
        /// What happened.
        milestone: Milestone,
        /// What the notification says about the CE.
        facts: CeFacts,
    },
    /// A notification of the CE was accepted by the broker.
    Notified {
        /// Which one.
        status: Status,
    },
    /// Every step of the CE is done.
    Finished,
    /// The CE was discarded (its only events were too short).
    Discarded,
    /// The CE was canceled (an event reached the maximum length).
    Canceled,
}

impl JournalStep {
    /// Whether nothing follows this step: the CE needs no resuming.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            JournalStep::Finished | JournalStep::Discarded | JournalStep::Canceled
        )
    }
}

/// One journal line. Generic so the writer can encode a borrowed step.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct JournalEntry<Step = JournalStep> {
    /// When the step was recorded, epoch seconds.
    pub ts: f64,
    /// The step, flattened beside `ts`.
    #[serde(flatten)]
    pub step: Step,
}

/// The `opened` step the journal's unit tests start their CEs with: `ce_100_0badf00d`, a
/// person on `porch` at 99.5 s.
#[cfg(test)]
pub(super) fn porch_opened() -> JournalStep {
    JournalStep::Opened {
        ce_id: "ce_100_0badf00d".to_string(),
        folder: "100_0badf00d".to_string(),
        camera: "porch".to_string(),
        label: "person".to_string(),
        start_time: 99.5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_have_ts_step_and_fields() {
        let line = serde_json::to_string(&JournalEntry {
            ts: 12.5,
            step: &JournalStep::ClipFetched {
                camera: "porch".to_string(),
                path: PathBuf::from("porch/porch-1.mp4"),
                bytes: 2048,
            },
        })
        .unwrap();
        assert_eq!(
            line,
            r#"{"ts":12.5,"step":"clip_fetched","camera":"porch","path":"porch/porch-1.mp4","bytes":2048}"#
        );
    }

    #[test]
    fn unit_steps_and_statuses_round_trip() {
        for (text, step) in [
            (r#"{"ts":1.0,"step":"sidecars_done"}"#, JournalStep::SidecarsDone),
            (
                r#"{"ts":1.0,"step":"notified","status":"clip_ready"}"#,
                JournalStep::Notified {
                    status: Status::ClipReady,
                },
            ),
        ] {
            let entry: JournalEntry = serde_json::from_str(text).unwrap();
            assert_eq!(entry.ts, 1.0);
            assert_eq!(entry.step, step);
            assert_eq!(serde_json::to_string(&JournalEntry { ts: 1.0, step }).unwrap(), text);
        }
    }

    #[test]
    fn only_finished_discarded_canceled_are_terminal() {
        assert!(JournalStep::Finished.is_terminal());
        assert!(JournalStep::Discarded.is_terminal());
        assert!(JournalStep::Canceled.is_terminal());
        assert!(!JournalStep::SidecarsDone.is_terminal());
    }
}
