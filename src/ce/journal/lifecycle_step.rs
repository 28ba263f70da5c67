//! The journal line of each lifecycle transition: [`LifecycleAction`] → [`JournalStep`].
//!
//! Owns only this mapping, so the service journals an action without spelling its fields twice.
//! Carrying the action out (folders, notifications, fetches) stays with the service.

use super::entry::JournalStep;
use crate::ce::lifecycle::LifecycleAction;

impl From<&LifecycleAction> for JournalStep {
    fn from(action: &LifecycleAction) -> JournalStep {
        match action {
            LifecycleAction::CeOpened {
                ce_id,
                folder,
                camera,
                label,
                start_time,
            } => JournalStep::Opened {
                ce_id: ce_id.clone(),
                folder: folder.clone(),
                camera: camera.clone(),
                label: label.clone(),
                start_time: *start_time,
            },
            LifecycleAction::EventJoined {
                event_id,
                camera,
                label,
                start_time,
                ..
            } => JournalStep::EventJoined {
                event_id: event_id.clone(),
                camera: camera.clone(),
                label: label.clone(),
                start_time: *start_time,
            },
            LifecycleAction::EventEnded { event_id, end_time, .. } => JournalStep::EventEnded {
                event_id: event_id.clone(),
                end_time: *end_time,
            },
            LifecycleAction::EventDiscarded { event_id, .. } => JournalStep::EventDiscarded {
                event_id: event_id.clone(),
            },
            LifecycleAction::CeDiscarded { .. } => JournalStep::Discarded,
            LifecycleAction::CeCanceled { .. } => JournalStep::Canceled,
            LifecycleAction::CeClosed {
                window_start,
                window_end,
                cameras,
                ..
            } => JournalStep::Closed {
                window_start: *window_start,
                window_end: *window_end,
                cameras: cameras.clone(),
                primary: cameras.first().cloned().unwrap_or_default(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ce::lifecycle::CeMember;

    #[test]
    fn a_closed_ce_names_its_first_camera_primary() {
        let action = LifecycleAction::CeClosed {
            ce_id: "ce_100_0badf00d".to_string(),
            folder: "100_0badf00d".to_string(),
            window_start: 95.0,
            window_end: 160.0,
            cameras: vec!["drive".to_string(), "porch".to_string()],
            events: vec![CeMember {
                event_id: "e1".to_string(),
                camera: "drive".to_string(),
                label: "person".to_string(),
                start_time: 100.0,
                end_time: 150.0,
            }],
        };
        assert_eq!(
            JournalStep::from(&action),
            JournalStep::Closed {
                window_start: 95.0,
                window_end: 160.0,
                cameras: vec!["drive".to_string(), "porch".to_string()],
                primary: "drive".to_string(),
            }
        );
    }

    #[test]
    fn opening_and_joining_keep_their_times() {
        let opened = LifecycleAction::CeOpened {
            ce_id: "ce_100_0badf00d".to_string(),
            folder: "100_0badf00d".to_string(),
            camera: "porch".to_string(),
            label: "person".to_string(),
            start_time: 99.5,
        };
        assert_eq!(
            JournalStep::from(&opened),
            JournalStep::Opened {
                ce_id: "ce_100_0badf00d".to_string(),
                folder: "100_0badf00d".to_string(),
                camera: "porch".to_string(),
                label: "person".to_string(),
                start_time: 99.5,
            }
        );
        let ended = LifecycleAction::EventEnded {
            ce_id: "ce_100_0badf00d".to_string(),
            event_id: "e1".to_string(),
            end_time: 120.25,
        };
        assert_eq!(
            JournalStep::from(&ended),
            JournalStep::EventEnded {
                event_id: "e1".to_string(),
                end_time: 120.25,
            }
        );
    }
}
