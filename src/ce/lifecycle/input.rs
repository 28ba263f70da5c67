//! The lifecycle's view of one Frigate `frigate/events` message.
//!
//! Owns only the plain input types; parsing MQTT payloads into them is done
//! by the Frigate ingest code, which this module may not depend on.

use serde::{Deserialize, Serialize};

/// Which Frigate message this is (`type` of a `frigate/events` payload).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// Frigate started tracking an object.
    New,
    /// Something about the tracked object changed (zones, sub label, score).
    Update,
    /// Frigate stopped tracking the object; `end_time` is set.
    End,
}

/// One Frigate event message, reduced to what the CE lifecycle decides on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventUpdate {
    /// The message type; a repeated `new` for a known id is treated as an update.
    pub kind: EventKind,
    /// Frigate's event id (`<start_ts>-<6 chars>`), the key of every later message.
    pub id: String,
    /// Camera that saw the object, for the camera filter and the CE's camera list.
    pub camera: String,
    /// Object label (`person`, `car`, ...), for the label filter and zone exceptions.
    pub label: String,
    /// Recognised name (face, plate), which may also be a zone exception.
    pub sub_label: Option<String>,
    /// When Frigate started tracking the object (epoch seconds).
    pub start_time: f64,
    /// When Frigate stopped tracking it (epoch seconds); set on `end` only.
    pub end_time: Option<f64>,
    /// Zones the object is in now, for the zone filter.
    pub current_zones: Vec<String>,
    /// Zones the object has entered at some point, for the zone filter.
    pub entered_zones: Vec<String>,
    /// Frigate has not yet confirmed the object; such a message never qualifies.
    pub false_positive: bool,
}

/// Builders of input messages shared by the lifecycle's tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::{EventKind, EventUpdate};

    /// A confirmed event message without zones or sub label.
    pub(crate) fn message(kind: EventKind, id: &str, camera: &str, label: &str, start_time: f64) -> EventUpdate {
        EventUpdate {
            kind,
            id: id.to_string(),
            camera: camera.to_string(),
            label: label.to_string(),
            sub_label: None,
            start_time,
            end_time: None,
            current_zones: Vec::new(),
            entered_zones: Vec::new(),
            false_positive: false,
        }
    }

    /// The `end` message of an event that ran from `start_time` to `end_time`.
    pub(crate) fn end(id: &str, camera: &str, label: &str, start_time: f64, end_time: f64) -> EventUpdate {
        EventUpdate {
            end_time: Some(end_time),
            ..message(EventKind::End, id, camera, label, start_time)
        }
    }
}
