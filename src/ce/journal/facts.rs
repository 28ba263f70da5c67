//! What a CE's journal says about where it stands, for whoever shows CEs (the API's index): its
//! start, its end, its cameras and its [`CeStatus`], folded from the same lines that
//! [`replay()`](super::replay()) resumes from.
//!
//! Owns reading a folder's journal for display only: it never writes the journal and decides
//! nothing about resuming (that is [`CeRecord`](super::CeRecord)'s).

use super::entry::JournalStep;
use super::replay::read_journal;
use super::JournalError;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// Where a CE stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CeStatus {
    /// Events may still join.
    Open,
    /// Closed; clips, sidecars or the summary are being made.
    Processing,
    /// Every step is done.
    Finished,
    /// The summary video failed, or there is no journal and no summary.
    Failed,
    /// Canceled (an event ran too long) or discarded (too short).
    Canceled,
}

/// What a CE's journal says, folded from its lines.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JournalFacts {
    /// `ce_id` of the `opened` line.
    pub ce_id: Option<String>,
    /// `start_time` of the `opened` line.
    pub start_time: Option<f64>,
    /// Latest event end, `None` while an event is open or none ended.
    pub end_time: Option<f64>,
    /// Cameras in the order the journal names them.
    pub cameras: Vec<String>,
    /// `closed` was recorded.
    pub closed: bool,
    /// `finished` was recorded.
    pub finished: bool,
    /// `summary_failed` was recorded.
    pub summary_failed: bool,
    /// `canceled` or `discarded` was recorded.
    pub canceled: bool,
}

impl JournalFacts {
    /// Folds journal steps, in file order.
    pub fn fold<'a>(steps: impl IntoIterator<Item = &'a JournalStep>) -> JournalFacts {
        let mut facts = JournalFacts::default();
        let mut event_ends: BTreeMap<&str, Option<f64>> = BTreeMap::new();
        for step in steps {
            match step {
                JournalStep::Opened {
                    ce_id,
                    camera,
                    start_time,
                    ..
                } => {
                    facts.ce_id = Some(ce_id.clone());
                    facts.start_time = Some(*start_time);
                    facts.add_camera(camera);
                }
                JournalStep::EventJoined { event_id, camera, .. } => {
                    event_ends.entry(event_id).or_insert(None);
                    facts.add_camera(camera);
                }
                JournalStep::EventEnded { event_id, end_time } => {
                    event_ends.insert(event_id, Some(*end_time));
                }
                JournalStep::EventDiscarded { event_id } => {
                    event_ends.remove(event_id.as_str());
                }
                JournalStep::Closed { cameras, .. } => {
                    facts.closed = true;
                    cameras.iter().for_each(|camera| facts.add_camera(camera));
                }
                JournalStep::ClipFetched { camera, .. } | JournalStep::ClipFailed { camera, .. } => {
                    facts.add_camera(camera)
                }
                JournalStep::SummaryFailed { .. } => facts.summary_failed = true,
                JournalStep::Finished => facts.finished = true,
                JournalStep::Discarded | JournalStep::Canceled => facts.canceled = true,
                JournalStep::Dispatched { .. }
                | JournalStep::Claimed { .. }
                | JournalStep::SidecarsDone
                | JournalStep::SummaryDone { .. }
                | JournalStep::NotificationDue { .. }
                | JournalStep::Notified { .. } => {}
            }
        }
        let any_open = event_ends.values().any(Option::is_none);
        facts.end_time = if any_open {
            None
        } else {
            event_ends.values().flatten().copied().reduce(f64::max)
        };
        facts
    }

    /// Records a camera once, keeping first-seen order.
    fn add_camera(&mut self, camera: &str) {
        if !self.cameras.iter().any(|known| known == camera) {
            self.cameras.push(camera.to_string());
        }
    }

    /// The status these facts mean; canceled beats failed beats finished
    /// beats processing beats open.
    pub fn status(&self) -> CeStatus {
        if self.canceled {
            CeStatus::Canceled
        } else if self.summary_failed {
            CeStatus::Failed
        } else if self.finished {
            CeStatus::Finished
        } else if self.closed {
            CeStatus::Processing
        } else {
            CeStatus::Open
        }
    }
}

/// The facts of a CE folder's journal; `None` when it has none. Lines torn by a crash are skipped.
///
/// # Errors
/// [`JournalError::Read`] when the journal cannot be read, [`JournalError::Corrupt`] when a line is
/// no journal line at all.
pub fn read_facts(folder: &Path) -> Result<Option<JournalFacts>, JournalError> {
    let facts =
        read_journal(folder)?.map(|(entries, _torn)| JournalFacts::fold(entries.iter().map(|entry| &entry.step)));
    Ok(facts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ce::journal::entry::porch_opened;

    fn joined(event_id: &str, camera: &str) -> JournalStep {
        JournalStep::EventJoined {
            event_id: event_id.to_string(),
            camera: camera.to_string(),
            label: "person".to_string(),
            start_time: 100.0,
        }
    }

    fn ended(event_id: &str, end_time: f64) -> JournalStep {
        JournalStep::EventEnded {
            event_id: event_id.to_string(),
            end_time,
        }
    }

    #[test]
    fn open_ce_has_no_end_while_an_event_runs() {
        let facts = JournalFacts::fold(&[
            porch_opened(),
            joined("e1", "porch"),
            joined("e2", "drive"),
            ended("e1", 110.0),
        ]);
        assert_eq!(facts.status(), CeStatus::Open);
        assert_eq!(facts.ce_id.as_deref(), Some("ce_100_0badf00d"));
        assert_eq!(facts.start_time, Some(99.5));
        assert_eq!(facts.end_time, None);
        assert_eq!(facts.cameras, ["porch", "drive"]);
    }

    #[test]
    fn end_is_the_latest_kept_event_end() {
        let facts = JournalFacts::fold(&[
            porch_opened(),
            joined("e1", "porch"),
            joined("e2", "drive"),
            joined("e3", "yard"),
            ended("e2", 130.0),
            ended("e1", 120.0),
            JournalStep::EventDiscarded {
                event_id: "e3".to_string(),
            },
        ]);
        assert_eq!(facts.end_time, Some(130.0));
    }

    #[test]
    fn status_follows_the_furthest_step() {
        let closed = JournalStep::Closed {
            window_start: 95.0,
            window_end: 160.0,
            cameras: vec!["porch".to_string(), "garage".to_string()],
            primary: "porch".to_string(),
        };
        let processing = JournalFacts::fold(&[porch_opened(), closed.clone()]);
        assert_eq!(processing.status(), CeStatus::Processing);
        assert_eq!(processing.cameras, ["porch", "garage"]);
        let finished = JournalFacts::fold(&[porch_opened(), closed.clone(), JournalStep::Finished]);
        assert_eq!(finished.status(), CeStatus::Finished);
        let failed = JournalFacts::fold(&[
            porch_opened(),
            closed.clone(),
            JournalStep::SummaryFailed {
                error: "encoder".to_string(),
            },
            JournalStep::Finished,
        ]);
        assert_eq!(failed.status(), CeStatus::Failed);
        let canceled = JournalFacts::fold(&[porch_opened(), closed, JournalStep::Canceled]);
        assert_eq!(canceled.status(), CeStatus::Canceled);
    }
}
