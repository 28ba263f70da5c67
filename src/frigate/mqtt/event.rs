//! `<prefix>/events`: one message per change of a Frigate tracked object ("event").
//!
//! Owns the typed shape of the `events` payload and its leniency: unknown fields are ignored,
//! every field except `type`, `id`, `camera`, `label` and `start_time` may be missing, and the
//! `snapshot` string or null of old builds reads as no snapshot. It may not decide what an event
//! means for a consolidated event; that is the ingest stage's business.

use std::fmt;

use serde::de::{self, value::MapAccessDeserializer, Deserialize, Deserializer, MapAccess, Visitor};

use super::frigate_id::frigate_id;
use super::SubLabel;
use crate::frigate::CameraName;

/// An axis-aligned box `[x1, y1, x2, y2]` in pixels of the camera's detect resolution.
pub type PixelBox = [f64; 4];

/// One `events` message.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct EventMessage {
    /// Where the tracked object is in its life (JSON key `type`).
    #[serde(rename = "type")]
    pub kind: EventKind,
    /// The object's state at the previous message; absent or null on some builds' first message.
    pub before: Option<FrigateEvent>,
    /// The object's state now.
    pub after: FrigateEvent,
}

/// Where a tracked object is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    /// First message, sent once the object is no longer a false positive.
    New,
    /// A better snapshot, a zone change, a sub label or another significant change.
    Update,
    /// The object is gone; `end_time` is set.
    End,
}

/// A tracked object as Frigate reports it in `before` / `after`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct FrigateEvent {
    /// Frigate's event id, `"<start_ts>-<6 chars>"`; the key for clips and snapshots over HTTP.
    #[serde(deserialize_with = "frigate_id")]
    pub id: String,
    /// The camera that tracks the object.
    pub camera: CameraName,
    /// The detector's label, e.g. `person`, `car`.
    pub label: String,
    /// Who or what the object was identified as, once it was.
    pub sub_label: Option<SubLabel>,
    /// The detector score of the current frame.
    pub score: Option<f64>,
    /// The best (median-filtered) score over the object's life; what Frigate filters on.
    pub top_score: Option<f64>,
    /// When the object was first seen, epoch seconds.
    pub start_time: f64,
    /// When the object was last seen, epoch seconds; `None` until the `end` message.
    pub end_time: Option<f64>,
    /// Whether Frigate holds a recording for the event (the clip can be fetched).
    #[serde(default)]
    pub has_clip: bool,
    /// Whether Frigate saved a snapshot for the event (the snapshot can be fetched).
    #[serde(default)]
    pub has_snapshot: bool,
    /// Zones the object is in now.
    #[serde(default)]
    pub current_zones: Vec<String>,
    /// Every zone the object has entered so far, in order of entry.
    #[serde(default)]
    pub entered_zones: Vec<String>,
    /// The object's box in the current frame (JSON key `box`).
    #[serde(rename = "box")]
    pub bbox: Option<PixelBox>,
    /// The box's area in pixels.
    pub area: Option<f64>,
    /// The region the detector ran on for the current frame.
    pub region: Option<PixelBox>,
    /// The frame chosen as the event's snapshot so far; `None` before one is chosen and on
    /// builds older than 0.14, which sent a string or null here.
    #[serde(default, deserialize_with = "snapshot_or_legacy")]
    pub snapshot: Option<EventSnapshot>,
    /// Whether Frigate still considers the object a false positive.
    #[serde(default)]
    pub false_positive: bool,
    /// Whether the object has stopped moving (a parked car, a sleeping cat).
    #[serde(default)]
    pub stationary: bool,
    /// The opposite of `stationary`, sent since Frigate 0.14; see [`FrigateEvent::is_active`].
    pub active: Option<bool>,
}

impl FrigateEvent {
    /// Whether the object is moving: `active` when Frigate sent it, else the opposite of `stationary`.
    pub fn is_active(&self) -> bool {
        self.active.unwrap_or(!self.stationary)
    }
}

/// The frame Frigate picked as the best view of the object so far.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct EventSnapshot {
    /// Capture time of that frame, epoch seconds; places the best view on the clip's timeline.
    pub frame_time: f64,
    /// The object's box in that frame (JSON key `box`).
    #[serde(rename = "box")]
    pub bbox: Option<PixelBox>,
    /// The box's area in pixels.
    pub area: Option<f64>,
    /// The region the detector ran on in that frame.
    pub region: Option<PixelBox>,
    /// The detector score in that frame.
    pub score: Option<f64>,
    /// Attribute detections (face, licence plate…) inside the object in that frame.
    #[serde(default)]
    pub attributes: Vec<SnapshotAttribute>,
}

/// An attribute object (e.g. `face`, `license_plate`) detected inside the tracked object.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct SnapshotAttribute {
    /// The attribute's label.
    pub label: String,
    /// The attribute detection's score.
    pub score: Option<f64>,
    /// The attribute's box (JSON key `box`).
    #[serde(rename = "box")]
    pub bbox: Option<PixelBox>,
}

/// Reads `snapshot`: an object becomes a snapshot; a string or null (builds before 0.14) means none.
fn snapshot_or_legacy<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<EventSnapshot>, D::Error> {
    deserializer.deserialize_any(SnapshotVisitor)
}

/// Accepts a snapshot object, or a legacy string or null.
struct SnapshotVisitor;

impl<'de> Visitor<'de> for SnapshotVisitor {
    type Value = Option<EventSnapshot>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a snapshot object, or a string or null from a build before 0.14")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        EventSnapshot::deserialize(MapAccessDeserializer::new(map)).map(Some)
    }

    fn visit_str<E: de::Error>(self, _legacy: &str) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An `after` object with the required fields and the given extra members.
    fn event_json(extra_members: &str) -> String {
        format!(
            r#"{{"id": "1719302408.721564-4xm2ka", "camera": "front_door", "label": "person",
                "start_time": 1719302408.721564{extra_members}}}"#
        )
    }

    fn parse(json: &str) -> Result<FrigateEvent, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn only_the_identity_fields_are_required_and_the_rest_default() {
        let event = parse(&event_json("")).unwrap();
        assert_eq!(event.start_time, 1719302408.721564);
        assert_eq!(event.sub_label, None);
        assert_eq!(event.end_time, None);
        assert!(!event.has_clip && !event.has_snapshot && !event.false_positive && !event.stationary);
        assert!(event.current_zones.is_empty() && event.entered_zones.is_empty());
        assert_eq!(
            (event.bbox, event.area, event.region, event.snapshot),
            (None, None, None, None)
        );
    }

    #[test]
    fn legacy_snapshot_string_and_null_read_as_no_snapshot() {
        assert_eq!(
            parse(&event_json(r#", "snapshot": "1607123961.837752""#))
                .unwrap()
                .snapshot,
            None
        );
        assert_eq!(parse(&event_json(r#", "snapshot": null"#)).unwrap().snapshot, None);
    }

    #[test]
    fn a_snapshot_object_is_read_with_its_box_and_attributes() {
        let json = event_json(
            r#", "snapshot": {"frame_time": 1719302410.5, "box": [415, 489, 528, 700], "area": 23843,
                "region": [260, 446, 660, 846], "score": 0.77546,
                "attributes": [{"label": "face", "box": [442, 506, 490, 560], "score": 0.86}],
                "current_estimated_speed": 0}"#,
        );
        let snapshot = parse(&json).unwrap().snapshot.unwrap();
        assert_eq!(snapshot.frame_time, 1719302410.5);
        assert_eq!(snapshot.bbox, Some([415.0, 489.0, 528.0, 700.0]));
        assert_eq!(snapshot.area, Some(23843.0));
        assert_eq!(snapshot.region, Some([260.0, 446.0, 660.0, 846.0]));
        assert_eq!(snapshot.score, Some(0.77546));
        assert_eq!(
            snapshot.attributes,
            [SnapshotAttribute {
                label: "face".into(),
                score: Some(0.86),
                bbox: Some([442.0, 506.0, 490.0, 560.0])
            }]
        );
    }

    #[test]
    fn a_snapshot_of_another_kind_is_an_error() {
        let error = parse(&event_json(r#", "snapshot": 5"#)).unwrap_err();
        assert!(error.to_string().starts_with(
            "invalid type: integer `5`, expected a snapshot object, or a string or null from a build before 0.14"
        ));
    }

    #[test]
    fn active_falls_back_to_the_opposite_of_stationary() {
        assert!(parse(&event_json("")).unwrap().is_active());
        assert!(!parse(&event_json(r#", "stationary": true"#)).unwrap().is_active());
        assert!(parse(&event_json(r#", "stationary": true, "active": true"#))
            .unwrap()
            .is_active());
    }

    #[test]
    fn event_kinds_are_lowercase_words() {
        let kinds: Vec<EventKind> = serde_json::from_str(r#"["new", "update", "end"]"#).unwrap();
        assert_eq!(kinds, [EventKind::New, EventKind::Update, EventKind::End]);
        assert!(serde_json::from_str::<EventKind>(r#""genai""#).is_err());
    }
}
