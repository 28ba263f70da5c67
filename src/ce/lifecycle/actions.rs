//! What the lifecycle tells the service to do, one transition at a time.
//!
//! Owns the action types. They are plain facts, serialisable so the service
//! can journal them and rebuild open CEs after a restart; carrying them out
//! (folders, notifications, exports) is the service's job, not this module's.

use serde::{Deserialize, Serialize};

/// One event of a closed CE, as the export and timeline stages need it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CeMember {
    /// Frigate event id.
    pub event_id: String,
    /// Camera that saw it.
    pub camera: String,
    /// Object label.
    pub label: String,
    /// Frigate's start time (epoch seconds).
    pub start_time: f64,
    /// Frigate's end time (epoch seconds).
    pub end_time: f64,
}

/// A transition of the CE lifecycle, in the order it happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum LifecycleAction {
    /// A new CE exists: create its folder and send the `new` notification.
    /// Always followed by the [`LifecycleAction::EventJoined`] of its first event.
    CeOpened {
        /// `ce_<int start_ts>_<8 hex>`.
        ce_id: String,
        /// `<int start_ts>_<8 hex>`, the folder under `events/`.
        folder: String,
        /// Camera of the first event.
        camera: String,
        /// Label of the first event.
        label: String,
        /// Start of the first event (epoch seconds).
        start_time: f64,
    },
    /// An event became a member of a CE.
    EventJoined {
        /// The CE it joined.
        ce_id: String,
        /// Frigate event id.
        event_id: String,
        /// Camera that saw it.
        camera: String,
        /// Object label.
        label: String,
        /// Frigate's start time (epoch seconds), kept so a restart can rebuild the window.
        start_time: f64,
    },
    /// A member event ended with an acceptable length; the CE's close timer was reset.
    EventEnded {
        /// The CE of the event.
        ce_id: String,
        /// Frigate event id.
        event_id: String,
        /// Frigate's end time (epoch seconds).
        end_time: f64,
    },
    /// A member event was shorter than `minimum_event_seconds` and left its CE,
    /// which carries on with its other events.
    EventDiscarded {
        /// The CE it left.
        ce_id: String,
        /// Frigate event id.
        event_id: String,
    },
    /// The CE lost its last event to the minimum length: remove its folder and
    /// send the `discarded` notification.
    CeDiscarded {
        /// The discarded CE.
        ce_id: String,
        /// Its folder under `events/`.
        folder: String,
    },
    /// An event reached `max_event_length_seconds`: suffix the folder with
    /// `-canceled` and send the `canceled` notification.
    CeCanceled {
        /// The canceled CE.
        ce_id: String,
        /// Its folder under `events/` (without the suffix).
        folder: String,
    },
    /// The CE is complete: export every camera over one shared window.
    CeClosed {
        /// The closed CE.
        ce_id: String,
        /// Its folder under `events/`.
        folder: String,
        /// Earliest member start minus `export_buffer_before` (epoch seconds).
        window_start: f64,
        /// Latest member end plus `export_buffer_after` (epoch seconds).
        window_end: f64,
        /// Distinct cameras in order of first appearance; the first is the primary.
        cameras: Vec<String>,
        /// Member events in the order they joined.
        events: Vec<CeMember>,
    },
}

impl LifecycleAction {
    /// The CE's folder under `events/` where the action names it (opening, discarding, canceling,
    /// closing); `None` for the event steps, whose folder follows from the CE id.
    pub fn folder(&self) -> Option<&str> {
        match self {
            LifecycleAction::CeOpened { folder, .. }
            | LifecycleAction::CeDiscarded { folder, .. }
            | LifecycleAction::CeCanceled { folder, .. }
            | LifecycleAction::CeClosed { folder, .. } => Some(folder),
            LifecycleAction::EventJoined { .. }
            | LifecycleAction::EventEnded { .. }
            | LifecycleAction::EventDiscarded { .. } => None,
        }
    }

    /// The CE this action concerns.
    pub fn ce_id(&self) -> &str {
        match self {
            LifecycleAction::CeOpened { ce_id, .. }
            | LifecycleAction::EventJoined { ce_id, .. }
            | LifecycleAction::EventEnded { ce_id, .. }
            | LifecycleAction::EventDiscarded { ce_id, .. }
            | LifecycleAction::CeDiscarded { ce_id, .. }
            | LifecycleAction::CeCanceled { ce_id, .. }
            | LifecycleAction::CeClosed { ce_id, .. } => ce_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip_through_json_with_a_snake_case_tag() {
        let action = LifecycleAction::EventEnded {
            ce_id: "ce_1_00000000".into(),
            event_id: "1.0-abc".into(),
            end_time: 9.5,
        };
        let json = serde_json::to_string(&action).expect("serialise");
        assert_eq!(
            json,
            r#"{"action":"event_ended","ce_id":"ce_1_00000000","event_id":"1.0-abc","end_time":9.5}"#
        );
        let back: LifecycleAction = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(back, action);
        assert_eq!(back.ce_id(), "ce_1_00000000");
    }
}
