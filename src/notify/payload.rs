//! The Home Assistant notification object as published (SPEC §3.3).
//!
//! Owns the field names, the status and phase vocabularies and the tag
//! convention. It does not decide the text of a CE's notification (see
//! `builder`) nor when it is sent (see `rate_limit`).

use serde::{Deserialize, Serialize};
use std::path::Path;

/// Threat level from which a notification is marked critical (SPEC §3.3).
const CRITICAL_THREAT_LEVEL: u8 = 2;

/// Event id and tag suffix of the `overflow` notice, which belongs to no CE.
const OVERFLOW_ID: &str = "overflow";

/// One notification, serialising to exactly the object Home Assistant
/// automations read: `{event_id, status, phase, camera, label, title, message,
/// image_url, video_url, player_url, tag, timestamp, threat_level, critical,
/// clear_tag?}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notification {
    /// The CE id (`ce_<start>_<hex8>`), so automations can group a CE's messages.
    pub event_id: String,
    /// Which milestone this notification reports.
    pub status: Status,
    /// Coarse stage of the CE, for automations that do not care about every status.
    pub phase: Phase,
    /// The `phase` value the previous service (Frigate Event Buffer) sent with
    /// this status, so its Home Assistant automations keep working after
    /// testing `event_phase` instead of `phase` (docs/migrating.md).
    pub event_phase: PreviousPhase,
    /// The CE's primary camera, for per-camera automations.
    pub camera: String,
    /// The tracked object's label (`person`, `car`, ...).
    pub label: String,
    /// Short headline shown by the phone.
    pub title: String,
    /// Body text shown by the phone.
    pub message: String,
    /// Snapshot or preview image to attach, when one exists yet.
    pub image_url: Option<String>,
    /// The summary video, once it exists.
    pub video_url: Option<String>,
    /// A page that plays the CE in a browser, once it exists.
    pub player_url: Option<String>,
    /// `frigate_<ce_id>`: Home Assistant groups and replaces notifications by tag.
    pub tag: String,
    /// When the notification was produced, epoch seconds.
    pub timestamp: f64,
    /// 0 (nothing) to 2 (threat; older Frigate builds allow 3), from the analysis.
    pub threat_level: u8,
    /// `threat_level >= 2`: lets automations break through do-not-disturb.
    pub critical: bool,
    /// The tag of this CE's previous notification, so Home Assistant clears it
    /// instead of stacking; absent on a CE's first notification.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clear_tag: Option<String>,
}

/// The player page of the CE in folder `folder` (`<public_url>/player/<folder>`),
/// the `player_url` of its notifications.
pub fn player_url(public_url: &str, folder: &str) -> String {
    format!("{public_url}/player/{folder}")
}

/// The URL the HTTP API serves `file` of the CE in `ce_folder` at
/// (`<public_url>/files/events/<folder>/<file>`), for `image_url` and `video_url`.
pub fn event_file_url(public_url: &str, ce_folder: &Path, file: &Path) -> String {
    let events_dir = ce_folder.parent().unwrap_or(ce_folder);
    let name = file.strip_prefix(events_dir).unwrap_or(file);
    format!("{public_url}/files/events/{}", name.display())
}

/// The milestone a notification reports, as spelled on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// A CE was opened by a qualifying Frigate event.
    New,
    /// Frigate's snapshot of the CE's first event is available.
    SnapshotReady,
    /// The event was shorter than `minimum_event_seconds` and was dropped.
    Discarded,
    /// The event reached `max_event_length_seconds`; the CE was canceled.
    Canceled,
    /// Clips, sidecars and the summary video are ready.
    ClipReady,
    /// The AI analysis finished: title, description and threat level.
    Finalized,
    /// Notifications were dropped by the rate limit.
    Overflow,
}

/// Coarse stage of a CE that a status belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// The CE is open and still collecting events (`new`, `snapshot_ready`).
    Detected,
    /// The CE ended without output (`discarded`, `canceled`).
    Dropped,
    /// The summary video exists (`clip_ready`).
    Summarized,
    /// The AI analysis exists (`finalized`).
    Analyzed,
    /// Not about one CE: the rate limit dropped notifications (`overflow`).
    RateLimited,
}

/// The `phase` values the previous service sent (its event lifecycle names),
/// spelled as it spelled them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PreviousPhase {
    /// The event was detected and not yet described (`new`, `discarded`, `canceled`).
    New,
    /// A title exists: the quick title or the analysis (`snapshot_ready`, `finalized`).
    Finalized,
    /// The CE's clips and summary exist (`clip_ready`).
    Summarized,
    /// The rate limit dropped notifications (`overflow`).
    Overflow,
}

impl Status {
    /// The `phase` the previous service sent with this status.
    pub fn previous_phase(self) -> PreviousPhase {
        match self {
            Status::New | Status::Discarded | Status::Canceled => PreviousPhase::New,
            Status::SnapshotReady | Status::Finalized => PreviousPhase::Finalized,
            Status::ClipReady => PreviousPhase::Summarized,
            Status::Overflow => PreviousPhase::Overflow,
        }
    }

    /// The phase this status belongs to.
    pub fn phase(self) -> Phase {
        match self {
            Status::New | Status::SnapshotReady => Phase::Detected,
            Status::Discarded | Status::Canceled => Phase::Dropped,
            Status::ClipReady => Phase::Summarized,
            Status::Finalized => Phase::Analyzed,
            Status::Overflow => Phase::RateLimited,
        }
    }
}

/// The tag of every notification of CE `ce_id`: `frigate_<ce_id>`.
pub fn tag_for(ce_id: &str) -> String {
    format!("frigate_{ce_id}")
}

/// Whether a notification of this threat level is critical.
pub fn is_critical(threat_level: u8) -> bool {
    threat_level >= CRITICAL_THREAT_LEVEL
}

impl Notification {
    /// The single notice that stands for `dropped` notifications the rate
    /// limit had to discard.
    pub fn overflow(dropped: usize, now: f64) -> Notification {
        let plural = if dropped == 1 { "" } else { "s" };
        Notification {
            event_id: OVERFLOW_ID.to_string(),
            status: Status::Overflow,
            phase: Status::Overflow.phase(),
            event_phase: Status::Overflow.previous_phase(),
            camera: String::new(),
            label: String::new(),
            title: "Notifications dropped".to_string(),
            message: format!("{dropped} notification{plural} dropped by the rate limit"),
            image_url: None,
            video_url: None,
            player_url: None,
            tag: tag_for(OVERFLOW_ID),
            timestamp: now,
            threat_level: 0,
            critical: false,
            clear_tag: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn event_file_url_names_the_file_under_the_events_folder() {
        let folder = Path::new("/data/storage/events/1733300000_0badf00d");
        assert_eq!(
            event_file_url("http://buffer.lan:5055", folder, &folder.join("summary.mp4")),
            "http://buffer.lan:5055/files/events/1733300000_0badf00d/summary.mp4"
        );
    }

    #[test]
    fn overflow_serialises_every_field_and_omits_absent_clear_tag() {
        let value = serde_json::to_value(Notification::overflow(3, 12.5)).unwrap();
        assert_eq!(
            value,
            json!({
                "event_id": "overflow", "status": "overflow", "phase": "rate_limited",
                "event_phase": "OVERFLOW",
                "camera": "", "label": "", "title": "Notifications dropped",
                "message": "3 notifications dropped by the rate limit",
                "image_url": null, "video_url": null, "player_url": null,
                "tag": "frigate_overflow", "timestamp": 12.5, "threat_level": 0,
                "critical": false
            })
        );
    }

    #[test]
    fn overflow_of_one_is_singular() {
        assert_eq!(
            Notification::overflow(1, 0.0).message,
            "1 notification dropped by the rate limit"
        );
    }

    #[test]
    fn statuses_use_the_wire_names() {
        let names: Vec<String> = [
            Status::New,
            Status::SnapshotReady,
            Status::Discarded,
            Status::Canceled,
            Status::ClipReady,
            Status::Finalized,
            Status::Overflow,
        ]
        .iter()
        .map(|status| serde_json::to_string(status).unwrap())
        .collect();
        assert_eq!(
            names,
            [
                "\"new\"",
                "\"snapshot_ready\"",
                "\"discarded\"",
                "\"canceled\"",
                "\"clip_ready\"",
                "\"finalized\"",
                "\"overflow\""
            ]
        );
    }

    /// The previous service's automations test these exact `phase` strings.
    #[test]
    fn every_status_carries_the_previous_services_phase() {
        let pairs: Vec<(String, String)> = [
            Status::New,
            Status::SnapshotReady,
            Status::Discarded,
            Status::Canceled,
            Status::ClipReady,
            Status::Finalized,
            Status::Overflow,
        ]
        .iter()
        .map(|status| {
            (
                serde_json::to_value(status).unwrap().as_str().unwrap().to_string(),
                serde_json::to_value(status.previous_phase())
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
        let expected = [
            ("new", "NEW"),
            ("snapshot_ready", "FINALIZED"),
            ("discarded", "NEW"),
            ("canceled", "NEW"),
            ("clip_ready", "SUMMARIZED"),
            ("finalized", "FINALIZED"),
            ("overflow", "OVERFLOW"),
        ];
        assert_eq!(
            pairs,
            expected.map(|(status, phase)| (status.to_string(), phase.to_string()))
        );
    }

    #[test]
    fn critical_from_threat_level_two() {
        assert!(!is_critical(0));
        assert!(!is_critical(1));
        assert!(is_critical(2));
        assert!(is_critical(3));
    }
}
