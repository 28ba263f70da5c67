//! `<prefix>/reviews`: one message per change of a Frigate review item (an alert or a detection
//! grouping the tracked objects of one camera's activity).
//!
//! Owns the typed shape of the `reviews` payload and its leniency: unknown fields are ignored and
//! everything but `type`, `id`, `camera`, `start_time` and `severity` may be missing. It may not
//! decide what a review means for a consolidated event.

use super::frigate_id::frigate_id;
use super::{GenAiMetadata, SubLabel};
use crate::frigate::CameraName;

/// One `reviews` message.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct ReviewMessage {
    /// Where the review item is in its life (JSON key `type`).
    #[serde(rename = "type")]
    pub kind: ReviewKind,
    /// The item's state at the previous message.
    pub before: Option<Review>,
    /// The item's state now.
    pub after: Review,
}

/// Where a review item is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReviewKind {
    /// The activity started.
    New,
    /// More objects, a zone change, a recognition, or a raise from detection to alert.
    Update,
    /// The activity ended; `end_time` is set.
    End,
    /// Frigate's GenAI summary is ready in `after.data.metadata` (sent after `end`).
    Genai,
}

/// A review item as Frigate reports it in `before` / `after`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct Review {
    /// Frigate's review id, `"<start_ts>-<6 chars>"`.
    #[serde(deserialize_with = "frigate_id")]
    pub id: String,
    /// The camera whose activity this is.
    pub camera: CameraName,
    /// When the activity started, epoch seconds.
    pub start_time: f64,
    /// When the activity ended, epoch seconds; `None` until the `end` message.
    pub end_time: Option<f64>,
    /// Whether Frigate rates the activity an alert or a detection.
    pub severity: Severity,
    /// Path of the review thumbnail inside Frigate's container (under `/media/frigate/clips/review`).
    pub thumb_path: Option<String>,
    /// What the activity contains.
    #[serde(default)]
    pub data: ReviewData,
}

/// Frigate's rating of a review item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Matches the camera's alert rules (labels, zones).
    Alert,
    /// Tracked objects that are not alerts.
    Detection,
}

/// The contents of a review item.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(default)]
pub struct ReviewData {
    /// Ids of the tracked objects (Frigate events) in the activity.
    pub detections: Vec<String>,
    /// Labels seen, e.g. `person`, `car`, `person-verified`.
    pub objects: Vec<String>,
    /// Names given to recognised objects.
    pub sub_labels: Vec<SubLabel>,
    /// Zones the objects entered.
    pub zones: Vec<String>,
    /// Audio labels heard, e.g. `speech`, `bark`.
    pub audio: Vec<String>,
    /// Frigate's GenAI summary; present on `genai` messages.
    pub metadata: Option<GenAiMetadata>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_review_with_only_its_identity_has_empty_data() {
        let review: Review = serde_json::from_str(
            r#"{"id": "1718987129.308396-fqk5ka", "camera": "front_cam", "start_time": 1718987129.308396,
                "severity": "detection"}"#,
        )
        .unwrap();
        assert_eq!(review.severity, Severity::Detection);
        assert_eq!((review.end_time, review.thumb_path), (None, None));
        assert_eq!(review.data, ReviewData::default());
    }

    #[test]
    fn review_kinds_include_genai_and_severities_are_lowercase() {
        let kinds: Vec<ReviewKind> = serde_json::from_str(r#"["new", "update", "end", "genai"]"#).unwrap();
        assert_eq!(
            kinds,
            [ReviewKind::New, ReviewKind::Update, ReviewKind::End, ReviewKind::Genai]
        );
        let severities: Vec<Severity> = serde_json::from_str(r#"["alert", "detection"]"#).unwrap();
        assert_eq!(severities, [Severity::Alert, Severity::Detection]);
        assert!(serde_json::from_str::<Severity>(r#""significant_motion""#).is_err());
    }

    #[test]
    fn sub_labels_accept_names_and_pairs() {
        let data: ReviewData = serde_json::from_str(r#"{"sub_labels": ["Bob", ["Alice", 0.9]]}"#).unwrap();
        assert_eq!(
            data.sub_labels,
            [
                SubLabel {
                    name: "Bob".into(),
                    score: None
                },
                SubLabel {
                    name: "Alice".into(),
                    score: Some(0.9)
                }
            ]
        );
    }
}
