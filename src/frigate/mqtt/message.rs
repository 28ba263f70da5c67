//! One received MQTT message, decoded: the single entry point from (topic, payload) to a typed
//! [`FrigateMessage`].
//!
//! Owns the dispatch from topic to payload type and the reading of `available`. It may not hold
//! state between messages or act on them; a bad payload becomes a [`PayloadError`] for the caller
//! to log, count and drop.

use serde::de::DeserializeOwned;

use super::topic::Topic;
use super::{EventMessage, PayloadError, ReviewMessage, TrackedObjectUpdate};

/// A decoded message from one of the Frigate topics we subscribe to.
#[derive(Debug, Clone, PartialEq)]
pub enum FrigateMessage {
    /// `<prefix>/events`: a tracked object started, changed or ended.
    Event(EventMessage),
    /// `<prefix>/reviews`: a review item started, changed, ended or got its GenAI summary.
    Review(ReviewMessage),
    /// `<prefix>/tracked_object_update`: a tracked object was described or recognised.
    TrackedObjectUpdate(TrackedObjectUpdate),
    /// `<prefix>/available`: `true` when Frigate is online, `false` when it went offline.
    Available(bool),
}

/// Decodes one MQTT message.
///
/// Returns `Ok(None)` for topics that are not ours (e.g. `frigate/stats`, `frigate/front/person`,
/// `frigate/front/tracked_object_update`), and an error naming the topic (and the field) for a
/// payload on one of our topics that cannot be decoded.
pub fn parse_message(topic_prefix: &str, topic: &str, payload: &[u8]) -> Result<Option<FrigateMessage>, PayloadError> {
    let Some(kind) = Topic::classify(topic_prefix, topic) else {
        return Ok(None);
    };
    let message = match kind {
        Topic::Events => FrigateMessage::Event(decode_json(topic, payload)?),
        Topic::Reviews => FrigateMessage::Review(decode_json(topic, payload)?),
        Topic::TrackedObjectUpdate => FrigateMessage::TrackedObjectUpdate(decode_json(topic, payload)?),
        Topic::Available => FrigateMessage::Available(decode_availability(topic, payload)?),
    };
    Ok(Some(message))
}

/// Decodes a whole JSON payload, tracking the path of the field at fault.
fn decode_json<T: DeserializeOwned>(topic: &str, payload: &[u8]) -> Result<T, PayloadError> {
    let mut deserializer = serde_json::Deserializer::from_slice(payload);
    let value = serde_path_to_error::deserialize(&mut deserializer)
        .map_err(|error| PayloadError::from_json(topic, &error.path().to_string(), error.inner()))?;
    deserializer
        .end()
        .map_err(|error| PayloadError::from_json(topic, ".", &error))?;
    Ok(value)
}

/// Reads `online` / `offline` (surrounding whitespace ignored).
fn decode_availability(topic: &str, payload: &[u8]) -> Result<bool, PayloadError> {
    match payload.trim_ascii() {
        b"online" => Ok(true),
        b"offline" => Ok(false),
        other => Err(PayloadError::invalid_availability(topic, other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frigate::mqtt::{EventKind, ReviewKind, Severity, SnapshotAttribute, SubLabel, TrackedObjectUpdateKind};

    const EVENT_ID: &str = "1719302408.721564-4xm2ka";

    fn parse(topic: &str, payload: &[u8]) -> Result<Option<FrigateMessage>, PayloadError> {
        parse_message("frigate", topic, payload)
    }

    fn event(payload: &[u8]) -> EventMessage {
        match parse("frigate/events", payload) {
            Ok(Some(FrigateMessage::Event(message))) => message,
            other => panic!("expected an event message, got {other:?}"),
        }
    }

    fn error_text(topic: &str, payload: &str) -> String {
        match parse(topic, payload.as_bytes()) {
            Err(error) => error.to_string(),
            Ok(message) => panic!("expected an error, got {message:?}"),
        }
    }

    #[test]
    fn new_event_from_frigate() {
        let message = event(include_bytes!("fixtures/events_new.json"));
        assert_eq!(message.kind, EventKind::New);
        assert_eq!(message.before.as_ref(), Some(&message.after));
        let after = &message.after;
        assert_eq!(
            (after.id.as_str(), after.camera.as_str(), after.label.as_str()),
            (EVENT_ID, "front_door", "person")
        );
        assert_eq!(after.sub_label, None);
        assert_eq!((after.score, after.top_score), (Some(0.8125), Some(0.79296875)));
        assert_eq!((after.start_time, after.end_time), (1719302408.721564, None));
        assert!(after.has_clip && after.has_snapshot && !after.false_positive && after.is_active());
        assert_eq!(after.bbox, Some([612.0, 284.0, 748.0, 652.0]));
        assert_eq!(after.area, Some(50048.0));
        assert_eq!(after.region, Some([480.0, 220.0, 880.0, 620.0]));
        assert_eq!(after.current_zones, ["driveway"]);
        let snapshot = after.snapshot.as_ref().unwrap();
        assert_eq!(snapshot.frame_time, 1719302409.012211);
        assert!(snapshot.attributes.is_empty());
    }

    #[test]
    fn update_event_carries_the_recognised_name_and_a_better_snapshot() {
        let message = event(include_bytes!("fixtures/events_update.json"));
        assert_eq!(message.kind, EventKind::Update);
        assert_eq!(message.before.as_ref().unwrap().sub_label, None);
        let after = &message.after;
        assert_eq!(
            after.sub_label,
            Some(SubLabel {
                name: "Bob".into(),
                score: Some(0.93)
            })
        );
        assert_eq!(after.entered_zones, ["driveway", "porch"]);
        assert_eq!(after.bbox, Some([528.0, 230.0, 694.0, 690.0]));
        let snapshot = after.snapshot.as_ref().unwrap();
        assert_eq!(snapshot.frame_time, 1719302411.873318);
        assert_eq!(snapshot.bbox, Some([540.0, 236.0, 700.0, 688.0]));
        assert_eq!(snapshot.area, Some(72320.0));
        assert_eq!(snapshot.region, Some([420.0, 160.0, 900.0, 640.0]));
        assert_eq!(snapshot.score, Some(0.91015625));
        assert_eq!(
            snapshot.attributes,
            [SnapshotAttribute {
                label: "face".into(),
                score: Some(0.86),
                bbox: Some([598.0, 250.0, 646.0, 310.0])
            }]
        );
    }

    #[test]
    fn end_event_sets_end_time_and_keeps_the_snapshot() {
        let message = event(include_bytes!("fixtures/events_end.json"));
        assert_eq!(message.kind, EventKind::End);
        assert_eq!(message.before.as_ref().unwrap().end_time, None);
        let after = &message.after;
        assert_eq!(after.id, EVENT_ID);
        assert_eq!(after.end_time, Some(1719302421.905512));
        assert!(after.stationary && !after.is_active());
        assert_eq!(after.current_zones, ["porch"]);
        assert_eq!(after.sub_label.as_ref().map(|label| label.name.as_str()), Some("Bob"));
        assert_eq!(
            after.snapshot.as_ref().map(|snapshot| snapshot.frame_time),
            Some(1719302411.873318)
        );
    }

    #[test]
    fn genai_review_from_frigate() {
        let Ok(Some(FrigateMessage::Review(message))) =
            parse("frigate/reviews", include_bytes!("fixtures/reviews_genai.json"))
        else {
            panic!("expected a review message");
        };
        assert_eq!(message.kind, ReviewKind::Genai);
        assert_eq!(message.before.as_ref().unwrap().data.metadata, None);
        let review = &message.after;
        assert_eq!(
            (review.id.as_str(), review.camera.as_str()),
            ("1719302407.950421-k3v9qd", "front_door")
        );
        assert_eq!(
            (review.start_time, review.end_time),
            (1719302407.950421, Some(1719302431.905512))
        );
        assert_eq!(review.severity, Severity::Alert);
        assert_eq!(
            review.thumb_path.as_deref(),
            Some("/media/frigate/clips/review/thumb-front_door-1719302407.950421-k3v9qd.webp")
        );
        assert_eq!(review.data.detections, [EVENT_ID]);
        assert_eq!(review.data.objects, ["person", "person-verified"]);
        assert_eq!(
            review.data.sub_labels,
            [SubLabel {
                name: "Bob".into(),
                score: None
            }]
        );
        assert_eq!(review.data.zones, ["driveway", "porch"]);
        assert!(review.data.audio.is_empty());
        let metadata = review.data.metadata.as_ref().unwrap();
        assert_eq!(metadata.title, "Bob Leaves a Package at the Front Door");
        assert_eq!(
            metadata.short_summary,
            "Bob walked up the driveway and left a small box on the porch doormat. No unusual behaviour."
        );
        assert!(metadata.scene.starts_with("Bob walks up the driveway"));
        assert_eq!(metadata.confidence, Some(0.85));
        assert_eq!(metadata.potential_threat_level.get(), 0);
        assert!(metadata.other_concerns.is_empty());
        assert_eq!(metadata.time.as_deref(), Some("Tuesday, 09:06 AM"));
        assert_eq!(metadata.observations.len(), 3);
    }

    #[test]
    fn description_update_from_frigate() {
        let Ok(Some(FrigateMessage::TrackedObjectUpdate(update))) = parse(
            "frigate/tracked_object_update",
            include_bytes!("fixtures/tracked_object_update_description.json"),
        ) else {
            panic!("expected a tracked object update");
        };
        assert_eq!(update.kind, TrackedObjectUpdateKind::Description);
        assert_eq!(update.id, EVENT_ID);
        assert_eq!(update.camera.as_ref().map(|camera| camera.as_str()), Some("front_door"));
        assert_eq!(
            update.extra["description"],
            "A man in a grey jacket carries a small cardboard box up the driveway and sets it down on the porch \
             doormat."
        );
        assert_eq!(update.extra.len(), 1);
    }

    #[test]
    fn a_description_without_camera_is_accepted() {
        let Ok(Some(FrigateMessage::TrackedObjectUpdate(update))) = parse(
            "frigate/tracked_object_update",
            br#"{"type": "description", "id": "1607123955.475377-mxklsc", "description": "A red sedan."}"#,
        ) else {
            panic!("expected a tracked object update");
        };
        assert_eq!(update.camera, None);
    }

    #[test]
    fn topics_that_are_not_ours_are_ignored_whatever_the_payload() {
        for topic in [
            "frigate/stats",
            "frigate/front/person",
            "frigate/front/tracked_object_update",
            "other/events",
        ] {
            assert_eq!(parse(topic, b"not json"), Ok(None), "{topic}");
        }
    }

    #[test]
    fn a_custom_prefix_replaces_frigate() {
        let payload = include_bytes!("fixtures/events_new.json");
        assert!(matches!(
            parse_message("nvr", "nvr/events", payload),
            Ok(Some(FrigateMessage::Event(_)))
        ));
        assert_eq!(parse_message("nvr", "frigate/events", payload), Ok(None));
    }

    #[test]
    fn availability_is_online_or_offline() {
        assert_eq!(
            parse("frigate/available", b"online"),
            Ok(Some(FrigateMessage::Available(true)))
        );
        assert_eq!(
            parse("frigate/available", b"offline"),
            Ok(Some(FrigateMessage::Available(false)))
        );
        assert_eq!(
            parse("frigate/available", b" online\n"),
            Ok(Some(FrigateMessage::Available(true)))
        );
        assert_eq!(
            error_text("frigate/available", "stopped"),
            r#"frigate/available: expected `online` or `offline`, got "stopped""#
        );
        assert_eq!(
            error_text("frigate/available", "ONLINE"),
            r#"frigate/available: expected `online` or `offline`, got "ONLINE""#
        );
        assert_eq!(
            error_text("frigate/available", ""),
            r#"frigate/available: expected `online` or `offline`, got """#
        );
    }

    #[test]
    fn a_long_availability_payload_is_quoted_shortened() {
        let PayloadError::InvalidAvailability { payload, .. } =
            parse("frigate/available", "x".repeat(500).as_bytes()).unwrap_err()
        else {
            panic!("expected an availability error");
        };
        assert_eq!(payload.len(), 64);
    }

    #[test]
    fn malformed_json_names_the_topic_and_position() {
        assert_eq!(
            error_text("frigate/events", r#"{"type" "new"}"#),
            "frigate/events: invalid JSON at line 1 column 9: expected `:`"
        );
        assert_eq!(
            error_text("frigate/reviews", "{\"type\": \"new\",\n"),
            "frigate/reviews: invalid JSON at line 2 column 0: EOF while parsing a value"
        );
        assert_eq!(
            error_text("frigate/tracked_object_update", r#"{"type": "face", "id": "a"} {}"#),
            "frigate/tracked_object_update: invalid JSON at line 1 column 29: trailing characters"
        );
    }

    #[test]
    fn wrong_types_name_the_field_path() {
        let after = r#""id": "a", "camera": "front_door", "label": "person""#;
        assert_eq!(
            error_text(
                "frigate/events",
                &format!(r#"{{"type": "new", "after": {{{after}, "start_time": "x"}}}}"#)
            ),
            r#"frigate/events: after.start_time: invalid type: string "x", expected f64"#
        );
        assert_eq!(
            error_text(
                "frigate/events",
                &format!(
                    r#"{{"type": "new", "after": {{{after}, "start_time": 1, "snapshot": {{"frame_time": "soon"}}}}}}"#
                )
            ),
            r#"frigate/events: after.snapshot.frame_time: invalid type: string "soon", expected f64"#
        );
        assert_eq!(
            error_text(
                "frigate/events",
                &format!(r#"{{"type": "new", "after": {{{after}, "start_time": 1, "box": [1, 2, 3]}}}}"#)
            ),
            "frigate/events: after.box: invalid length 3, expected an array of length 4"
        );
        assert_eq!(
            error_text(
                "frigate/events",
                &format!(r#"{{"type": "new", "after": {{{after}, "start_time": 1, "sub_label": [5, 0.9]}}}}"#)
            ),
            "frigate/events: after.sub_label[0]: invalid type: integer `5`, expected a string"
        );
        assert_eq!(
            error_text("frigate/tracked_object_update", r#"{"type": "face", "id": 5}"#),
            "frigate/tracked_object_update: id: invalid type: integer `5`, expected a string"
        );
    }

    #[test]
    fn missing_required_fields_and_unknown_kinds_are_errors() {
        assert_eq!(
            error_text(
                "frigate/events",
                r#"{"type": "end", "after": {"id": "a", "label": "person", "start_time": 1}}"#
            ),
            "frigate/events: after: missing field `camera`"
        );
        assert_eq!(
            error_text(
                "frigate/events",
                r#"{"after": {"id": "a", "camera": "c", "label": "l", "start_time": 1}}"#
            ),
            "frigate/events: payload: missing field `type`"
        );
        assert_eq!(
            error_text("frigate/events", r#"{"type": "started", "after": {}}"#),
            "frigate/events: type: unknown variant `started`, expected one of `new`, `update`, `end`"
        );
    }

    #[test]
    fn camera_names_and_ids_that_are_not_frigate_names_make_the_message_malformed() {
        let event = |id: &str, camera: &str| {
            let after = serde_json::json!({"id": id, "camera": camera, "label": "person", "start_time": 1});
            serde_json::json!({"type": "new", "after": after}).to_string()
        };
        assert_eq!(
            error_text("frigate/events", &event("1.5-abc", "../../../x")),
            r#"frigate/events: after.camera: camera name "../../../x" may only contain letters, digits, '_' and '-'"#
        );
        assert_eq!(
            error_text("frigate/events", &event("1.5-abc", "")),
            "frigate/events: after.camera: camera name must not be empty"
        );
        assert_eq!(
            error_text("frigate/events", &event("..", "porch")),
            r#"frigate/events: after.id: id ".." is not a Frigate id (letters, digits, '.', '_' and '-', not '.' or '..')"#
        );
        let review = r#"{"type": "new", "after": {"id": "r", "camera": "a/b", "start_time": 1, "severity": "alert"}}"#;
        assert!(error_text("frigate/reviews", review).starts_with("frigate/reviews: after.camera: camera name \"a/b\""));
        let update = r#"{"type": "face", "id": "1.5-abc", "camera": "/abs/path"}"#;
        assert!(error_text("frigate/tracked_object_update", update)
            .starts_with("frigate/tracked_object_update: camera: camera name \"/abs/path\""));
    }

    #[test]
    fn an_out_of_range_threat_level_names_its_path() {
        let review = r#"{"type": "genai", "after": {"id": "r", "camera": "c", "start_time": 1, "severity": "alert",
            "data": {"metadata": {"title": "t", "potential_threat_level": 4}}}}"#;
        assert_eq!(
            error_text("frigate/reviews", review),
            "frigate/reviews: after.data.metadata.potential_threat_level: threat level 4 is outside 0..=3"
        );
    }
}
