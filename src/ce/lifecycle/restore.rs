//! Rebuilding an open CE after a restart from its journaled lifecycle actions.
//!
//! Owns the restored-CE description and its folding from journal entries.
//! Reads no file: the journal module hands over the entries it parsed.

use serde::{Deserialize, Serialize};

use super::actions::LifecycleAction;

/// A member event of a CE being restored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestoredEvent {
    /// Frigate event id, so its later `end` finds the CE.
    pub event_id: String,
    /// Camera that saw it.
    pub camera: String,
    /// Object label.
    pub label: String,
    /// Frigate's start time (epoch seconds).
    pub start_time: f64,
    /// Frigate's end time; `None` while Frigate still tracks it.
    pub end_time: Option<f64>,
}

/// An open CE as journaled before a restart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestoredCe {
    /// `ce_<int start_ts>_<8 hex>`.
    pub ce_id: String,
    /// Its folder under `events/`.
    pub folder: String,
    /// Member events in join order (discarded ones already left out).
    pub events: Vec<RestoredEvent>,
    /// Time of its last open, join or end (epoch seconds), which drives joins
    /// and the re-armed close timer.
    pub last_activity: f64,
}

/// Why a journal or a restored CE cannot be taken back.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RestoreError {
    /// The journal's first lifecycle action is not the opening of the CE.
    #[error("journal of {ce_id}: lifecycle actions before its ce_opened")]
    NotOpened {
        /// CE named by the first action.
        ce_id: String,
    },
    /// The journal mixes the actions of two CEs.
    #[error("journal of {expected}: holds an action of {found}")]
    ForeignAction {
        /// CE the journal opened.
        expected: String,
        /// CE of the stray action.
        found: String,
    },
    /// An action names an event that never joined the CE.
    #[error("journal of {ce_id}: event {event_id} ended or was discarded without joining")]
    UnknownEvent {
        /// The CE.
        ce_id: String,
        /// The unknown event.
        event_id: String,
    },
    /// The CE is already open in the lifecycle.
    #[error("{ce_id}: restored twice")]
    AlreadyOpen {
        /// The CE.
        ce_id: String,
    },
    /// A restored event already belongs to another open CE.
    #[error("{ce_id}: event {event_id} already belongs to {other_ce_id}")]
    EventInAnotherCe {
        /// The CE being restored.
        ce_id: String,
        /// The shared event.
        event_id: String,
        /// The CE that holds it.
        other_ce_id: String,
    },
}

impl RestoredCe {
    /// Folds one CE's journaled lifecycle actions, each with the `now` it was
    /// emitted at, in journal order. `Ok(None)` when the journal is empty or the
    /// CE already closed, was discarded or canceled (nothing left to resume).
    ///
    /// # Errors
    /// [`RestoreError::NotOpened`], [`RestoreError::ForeignAction`] or
    /// [`RestoreError::UnknownEvent`] when the journal is inconsistent.
    pub fn from_journal<'a>(
        entries: impl IntoIterator<Item = (f64, &'a LifecycleAction)>,
    ) -> Result<Option<RestoredCe>, RestoreError> {
        let mut entries = entries.into_iter();
        let Some((opened_at, first)) = entries.next() else {
            return Ok(None);
        };
        let LifecycleAction::CeOpened { ce_id, folder, .. } = first else {
            return Err(RestoreError::NotOpened {
                ce_id: first.ce_id().to_string(),
            });
        };
        let mut restored = RestoredCe {
            ce_id: ce_id.clone(),
            folder: folder.clone(),
            events: Vec::new(),
            last_activity: opened_at,
        };
        for (at, action) in entries {
            if action.ce_id() != restored.ce_id {
                return Err(RestoreError::ForeignAction {
                    expected: restored.ce_id,
                    found: action.ce_id().to_string(),
                });
            }
            match action {
                LifecycleAction::EventJoined {
                    event_id,
                    camera,
                    label,
                    start_time,
                    ..
                } => {
                    if restored.event_index(event_id).is_none() {
                        restored.events.push(RestoredEvent {
                            event_id: event_id.clone(),
                            camera: camera.clone(),
                            label: label.clone(),
                            start_time: *start_time,
                            end_time: None,
                        });
                    }
                    restored.last_activity = at;
                }
                LifecycleAction::EventEnded { event_id, end_time, .. } => {
                    let index = restored.known_event_index(event_id)?;
                    restored.events[index].end_time = Some(*end_time);
                    restored.last_activity = at;
                }
                LifecycleAction::EventDiscarded { event_id, .. } => {
                    let index = restored.known_event_index(event_id)?;
                    restored.events.remove(index);
                }
                LifecycleAction::CeOpened { .. } => {}
                LifecycleAction::CeDiscarded { .. }
                | LifecycleAction::CeCanceled { .. }
                | LifecycleAction::CeClosed { .. } => return Ok(None),
            }
        }
        Ok(Some(restored))
    }

    /// Position of member `event_id`, if it joined.
    fn event_index(&self, event_id: &str) -> Option<usize> {
        self.events.iter().position(|event| event.event_id == event_id)
    }

    /// Position of member `event_id`, or the journal is inconsistent.
    fn known_event_index(&self, event_id: &str) -> Result<usize, RestoreError> {
        self.event_index(event_id).ok_or_else(|| RestoreError::UnknownEvent {
            ce_id: self.ce_id.clone(),
            event_id: event_id.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CE: &str = "ce_100_0000abcd";

    fn opened() -> LifecycleAction {
        LifecycleAction::CeOpened {
            ce_id: CE.into(),
            folder: "100_0000abcd".into(),
            camera: "front".into(),
            label: "person".into(),
            start_time: 100.0,
        }
    }

    fn joined(event_id: &str, camera: &str, start_time: f64) -> LifecycleAction {
        LifecycleAction::EventJoined {
            ce_id: CE.into(),
            event_id: event_id.into(),
            camera: camera.into(),
            label: "person".into(),
            start_time,
        }
    }

    #[test]
    fn folds_joins_ends_and_discards_with_last_activity_from_the_latest_join_or_end() {
        let journal = [
            (101.0, opened()),
            (101.0, joined("a", "front", 100.0)),
            (110.0, joined("b", "yard", 109.0)),
            (112.0, joined("c", "yard", 111.0)),
            (
                113.0,
                LifecycleAction::EventDiscarded {
                    ce_id: CE.into(),
                    event_id: "c".into(),
                },
            ),
            (
                140.0,
                LifecycleAction::EventEnded {
                    ce_id: CE.into(),
                    event_id: "a".into(),
                    end_time: 139.0,
                },
            ),
        ];
        let restored = RestoredCe::from_journal(journal.iter().map(|(at, action)| (*at, action)))
            .expect("consistent journal")
            .expect("still open");
        assert_eq!(restored.ce_id, CE);
        assert_eq!(restored.folder, "100_0000abcd");
        assert_eq!(restored.last_activity, 140.0);
        let events: Vec<(&str, Option<f64>)> = restored
            .events
            .iter()
            .map(|event| (event.event_id.as_str(), event.end_time))
            .collect();
        assert_eq!(events, [("a", Some(139.0)), ("b", None)]);
    }

    #[test]
    fn a_finished_ce_has_nothing_to_restore() {
        let journal = [
            (101.0, opened()),
            (101.0, joined("a", "front", 100.0)),
            (
                102.0,
                LifecycleAction::CeCanceled {
                    ce_id: CE.into(),
                    folder: "100_0000abcd".into(),
                },
            ),
        ];
        let restored = RestoredCe::from_journal(journal.iter().map(|(at, action)| (*at, action)));
        assert_eq!(restored, Ok(None));
    }

    #[test]
    fn inconsistent_journals_are_refused_naming_the_ce() {
        let stray = LifecycleAction::EventEnded {
            ce_id: CE.into(),
            event_id: "zz".into(),
            end_time: 5.0,
        };
        let missing_open = RestoredCe::from_journal([(1.0, &stray)]);
        assert_eq!(missing_open, Err(RestoreError::NotOpened { ce_id: CE.into() }));
        let opening = opened();
        let unknown = RestoredCe::from_journal([(1.0, &opening), (2.0, &stray)]);
        let error = unknown.expect_err("zz never joined");
        assert_eq!(
            error.to_string(),
            "journal of ce_100_0000abcd: event zz ended or was discarded without joining"
        );
    }

    #[test]
    fn a_journal_mixing_two_ces_is_refused() {
        let opening = opened();
        let other = LifecycleAction::EventDiscarded {
            ce_id: "ce_7_00000000".into(),
            event_id: "a".into(),
        };
        let mixed = RestoredCe::from_journal([(1.0, &opening), (2.0, &other)]);
        assert_eq!(
            mixed,
            Err(RestoreError::ForeignAction {
                expected: CE.into(),
                found: "ce_7_00000000".into()
            })
        );
    }
}
