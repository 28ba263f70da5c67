//! `<prefix>/tracked_object_update`: enrichment of a tracked object after the fact (a GenAI
//! description, a recognised face or plate, a classification).
//!
//! Owns the typed envelope of those messages (`type`, `id`, `camera`) and keeps the rest of the
//! payload as JSON, since each kind carries different members and new kinds appear between
//! Frigate releases. It may not interpret the kind-specific members.

use super::frigate_id::frigate_id;
use crate::frigate::CameraName;

/// One `tracked_object_update` message.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct TrackedObjectUpdate {
    /// What was learned about the object (JSON key `type`).
    #[serde(rename = "type")]
    pub kind: TrackedObjectUpdateKind,
    /// The tracked object's Frigate event id, as in `events`.
    #[serde(deserialize_with = "frigate_id")]
    pub id: String,
    /// The camera that tracks the object; Frigate's documented `description` example omits it.
    pub camera: Option<CameraName>,
    /// Every other member, e.g. `description`, `name`, `plate`, `score`, `timestamp`.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// What a tracked object update reports.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(from = "String")]
pub enum TrackedObjectUpdateKind {
    /// A GenAI description of the object (member `description`).
    Description,
    /// A face recognition attempt (members `name`, `score`).
    Face,
    /// A licence plate reading (members `name`, `plate`, `score`).
    Lpr,
    /// A custom classification model's result (members `model`, `sub_label` or `attribute`, `score`).
    Classification,
    /// A kind this build does not know yet, kept by name so it can be logged.
    Other(String),
}

impl From<String> for TrackedObjectUpdateKind {
    fn from(kind: String) -> Self {
        match kind.as_str() {
            "description" => Self::Description,
            "face" => Self::Face,
            "lpr" => Self::Lpr,
            "classification" => Self::Classification,
            _ => Self::Other(kind),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_kinds_are_typed_and_unknown_kinds_keep_their_name() {
        let kinds: Vec<TrackedObjectUpdateKind> =
            serde_json::from_str(r#"["description", "face", "lpr", "classification", "audio_transcript"]"#).unwrap();
        assert_eq!(
            kinds,
            [
                TrackedObjectUpdateKind::Description,
                TrackedObjectUpdateKind::Face,
                TrackedObjectUpdateKind::Lpr,
                TrackedObjectUpdateKind::Classification,
                TrackedObjectUpdateKind::Other("audio_transcript".into()),
            ]
        );
    }

    #[test]
    fn kind_specific_members_stay_in_extra() {
        let update: TrackedObjectUpdate = serde_json::from_str(
            r#"{"type": "lpr", "id": "1719302408.721564-4xm2ka", "name": null, "plate": "AB12CDE",
                "score": 0.95, "camera": "driveway", "timestamp": 1719302411.2}"#,
        )
        .unwrap();
        assert_eq!(update.kind, TrackedObjectUpdateKind::Lpr);
        assert_eq!(update.camera.as_ref().map(|camera| camera.as_str()), Some("driveway"));
        assert_eq!(update.extra.len(), 4);
        assert_eq!(update.extra["plate"], "AB12CDE");
        assert_eq!(update.extra["name"], serde_json::Value::Null);
    }
}
