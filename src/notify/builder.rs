//! Turning a CE milestone into a notification.
//!
//! Owns the human text of each status and the `clear_tag` chain: it remembers,
//! per CE, the tag it last produced, so the next notification of that CE tells
//! Home Assistant to clear it. A CE's tag is forgotten with its last
//! notification (`discarded`, `canceled`, `finalized`); CEs that never get
//! one (no analysis) are forgotten oldest first past a bound. It neither
//! sends nor rate-limits.

use super::payload::{is_critical, tag_for, Notification, Status};
use crate::recent_ids::RecentIds;
use serde::{Deserialize, Serialize};

/// What the CE knows when a milestone is reached.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CeFacts {
    /// The CE id; the notification's `event_id` and the root of its tag.
    pub ce_id: String,
    /// The primary camera, named in the text.
    pub camera: String,
    /// The tracked object's label, named in the text.
    pub label: String,
    /// How many cameras the summary covers, for the `clip_ready` headline.
    pub camera_count: usize,
    /// Snapshot or preview image, once one exists.
    pub image_url: Option<String>,
    /// The summary video, once it exists.
    pub video_url: Option<String>,
    /// The browser player page; the notifier sets it for every CE
    /// notification from the CE id and `network.public_url`.
    pub player_url: Option<String>,
    /// The latest known threat level (0 until an analysis says otherwise), so
    /// a later notification does not downgrade a critical one it replaces.
    pub threat_level: u8,
}

/// A CE milestone worth a notification; `overflow` is not one (it belongs to
/// the rate limit, see [`Notification::overflow`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Milestone {
    /// The CE was opened.
    New,
    /// The first event's snapshot is available.
    SnapshotReady,
    /// A quick title of the CE was written from its snapshot (status `snapshot_ready`, as the
    /// previous service sent it).
    QuickTitle {
        /// The headline.
        title: String,
        /// A sentence or two on what the snapshot shows.
        description: String,
    },
    /// The event was too short and was dropped.
    Discarded,
    /// The event was too long; the CE was canceled.
    Canceled,
    /// The summary video is ready.
    ClipReady,
    /// The AI analysis finished with this headline and description.
    Finalized {
        /// The analysis' one-line title.
        title: String,
        /// The analysis' description of the scene.
        description: String,
    },
}

impl Milestone {
    /// The wire status of this milestone.
    pub fn status(&self) -> Status {
        match self {
            Milestone::New => Status::New,
            Milestone::SnapshotReady | Milestone::QuickTitle { .. } => Status::SnapshotReady,
            Milestone::Discarded => Status::Discarded,
            Milestone::Canceled => Status::Canceled,
            Milestone::ClipReady => Status::ClipReady,
            Milestone::Finalized { .. } => Status::Finalized,
        }
    }

    /// Whether no notification of the CE follows this one.
    pub fn is_last(&self) -> bool {
        matches!(
            self,
            Milestone::Discarded | Milestone::Canceled | Milestone::Finalized { .. }
        )
    }
}

/// Builds CE notifications and remembers, per CE, the last tag produced.
#[derive(Debug, Default)]
pub struct NotificationBuilder {
    /// CE id → tag of its latest notification: the next one's `clear_tag`.
    last_tag: RecentIds<String>,
}

impl NotificationBuilder {
    /// A builder that has produced nothing yet.
    pub fn new() -> NotificationBuilder {
        NotificationBuilder::default()
    }

    /// The notification for `milestone` of the CE described by `facts`,
    /// produced at `now` (epoch seconds). Its `clear_tag` is the tag of the
    /// CE's previous notification, if any.
    pub fn build(&mut self, milestone: &Milestone, facts: &CeFacts, now: f64) -> Notification {
        let status = milestone.status();
        let tag = tag_for(&facts.ce_id);
        let clear_tag = if milestone.is_last() {
            self.last_tag.remove(&facts.ce_id)
        } else {
            let previous = self.last_tag.remove(&facts.ce_id);
            self.last_tag.insert(&facts.ce_id, tag.clone());
            previous
        };
        let (title, message) = text(milestone, facts);
        Notification {
            event_id: facts.ce_id.clone(),
            status,
            phase: status.phase(),
            event_phase: status.previous_phase(),
            camera: facts.camera.clone(),
            label: facts.label.clone(),
            title,
            message,
            image_url: facts.image_url.clone(),
            video_url: facts.video_url.clone(),
            player_url: facts.player_url.clone(),
            tag,
            timestamp: now,
            threat_level: facts.threat_level,
            critical: is_critical(facts.threat_level),
            clear_tag,
        }
    }

    /// Records that CE `ce_id` was notified before a restart (the journal
    /// says so), so its next notification clears the earlier one.
    pub fn resume(&mut self, ce_id: &str) {
        self.last_tag.insert(ce_id, tag_for(ce_id));
    }

    /// Drops what is remembered about a CE that will not be notified again.
    pub fn forget(&mut self, ce_id: &str) {
        self.last_tag.remove(ce_id);
    }

    /// How many CEs' tags are remembered.
    pub fn remembered(&self) -> usize {
        self.last_tag.len()
    }
}

/// Title and message of a milestone.
fn text(milestone: &Milestone, facts: &CeFacts) -> (String, String) {
    let headline = format!("{} at {}", capitalised(&facts.label), facts.camera);
    match milestone {
        Milestone::New => (headline, format!("Tracking a {} on {}", facts.label, facts.camera)),
        Milestone::SnapshotReady => (headline, "Snapshot ready".to_string()),
        Milestone::Discarded => (headline, "Discarded: shorter than the minimum event length".to_string()),
        Milestone::Canceled => (headline, "Canceled: longer than the maximum event length".to_string()),
        Milestone::ClipReady => {
            let plural = if facts.camera_count == 1 { "" } else { "s" };
            (
                format!("Summary ready ({} camera{plural})", facts.camera_count),
                headline,
            )
        }
        Milestone::QuickTitle { title, description } | Milestone::Finalized { title, description } => {
            (title.clone(), description.clone())
        }
    }
}

/// `person` → `Person`.
fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::payload::Phase;

    fn facts(ce_id: &str) -> CeFacts {
        CeFacts {
            ce_id: ce_id.to_string(),
            camera: "front_door".to_string(),
            label: "person".to_string(),
            camera_count: 3,
            image_url: Some("http://host/snap.jpg".to_string()),
            video_url: None,
            player_url: None,
            threat_level: 0,
        }
    }

    #[test]
    fn clear_tag_chains_per_ce() {
        let mut builder = NotificationBuilder::new();
        let first = builder.build(&Milestone::New, &facts("ce_1_aa"), 1.0);
        let other = builder.build(&Milestone::New, &facts("ce_2_bb"), 2.0);
        let second = builder.build(&Milestone::ClipReady, &facts("ce_1_aa"), 3.0);
        assert_eq!(first.tag, "frigate_ce_1_aa");
        assert_eq!(first.clear_tag, None);
        assert_eq!(other.clear_tag, None);
        assert_eq!(second.clear_tag.as_deref(), Some("frigate_ce_1_aa"));
    }

    #[test]
    fn resume_and_forget_set_the_chain() {
        let mut builder = NotificationBuilder::new();
        builder.resume("ce_1_aa");
        let after_resume = builder.build(&Milestone::ClipReady, &facts("ce_1_aa"), 1.0);
        assert_eq!(after_resume.clear_tag.as_deref(), Some("frigate_ce_1_aa"));
        builder.forget("ce_1_aa");
        let after_forget = builder.build(&Milestone::ClipReady, &facts("ce_1_aa"), 2.0);
        assert_eq!(after_forget.clear_tag, None);
    }

    #[test]
    fn a_ces_last_notification_forgets_its_tag() {
        let mut builder = NotificationBuilder::new();
        for (i, last) in [
            Milestone::Discarded,
            Milestone::Canceled,
            Milestone::Finalized {
                title: "t".to_string(),
                description: "d".to_string(),
            },
        ]
        .iter()
        .enumerate()
        {
            let ce_id = format!("ce_{i}_aa");
            builder.build(&Milestone::New, &facts(&ce_id), 1.0);
            assert_eq!(builder.remembered(), 1);
            let final_one = builder.build(last, &facts(&ce_id), 2.0);
            assert_eq!(
                final_one.clear_tag.as_deref(),
                Some(format!("frigate_{ce_id}").as_str())
            );
            assert_eq!(builder.remembered(), 0, "after {last:?}");
        }
    }

    #[test]
    fn tags_of_ces_never_finalized_stay_bounded() {
        let mut builder = NotificationBuilder::new();
        for i in 0..crate::recent_ids::REMEMBERED_IDS + 500 {
            let ce_id = format!("ce_{i}_aa");
            builder.build(&Milestone::New, &facts(&ce_id), 1.0);
            builder.build(&Milestone::ClipReady, &facts(&ce_id), 2.0);
        }
        assert_eq!(builder.remembered(), crate::recent_ids::REMEMBERED_IDS);
    }

    #[test]
    fn new_names_label_and_camera() {
        let n = NotificationBuilder::new().build(&Milestone::New, &facts("ce_1_aa"), 5.5);
        assert_eq!(n.title, "Person at front_door");
        assert_eq!(n.message, "Tracking a person on front_door");
        assert_eq!(n.status, Status::New);
        assert_eq!(n.phase, Phase::Detected);
        assert_eq!(n.event_id, "ce_1_aa");
        assert_eq!(n.timestamp, 5.5);
        assert_eq!(n.image_url.as_deref(), Some("http://host/snap.jpg"));
    }

    #[test]
    fn clip_ready_counts_cameras() {
        let mut builder = NotificationBuilder::new();
        let three = builder.build(&Milestone::ClipReady, &facts("ce_1_aa"), 0.0);
        let one = builder.build(
            &Milestone::ClipReady,
            &CeFacts {
                camera_count: 1,
                ..facts("ce_2_bb")
            },
            0.0,
        );
        assert_eq!(three.title, "Summary ready (3 cameras)");
        assert_eq!(three.message, "Person at front_door");
        assert_eq!(one.title, "Summary ready (1 camera)");
    }

    #[test]
    fn finalized_uses_the_analysis_and_threat_level() {
        let milestone = Milestone::Finalized {
            title: "Courier at the door".to_string(),
            description: "A courier leaves a parcel.".to_string(),
        };
        let calm = NotificationBuilder::new().build(
            &milestone,
            &CeFacts {
                threat_level: 1,
                ..facts("ce_1_aa")
            },
            0.0,
        );
        let threat = NotificationBuilder::new().build(
            &milestone,
            &CeFacts {
                threat_level: 2,
                ..facts("ce_1_aa")
            },
            0.0,
        );
        assert_eq!(calm.title, "Courier at the door");
        assert_eq!(calm.message, "A courier leaves a parcel.");
        assert_eq!(calm.phase, Phase::Analyzed);
        assert!(!calm.critical);
        assert!(threat.critical);
        assert_eq!(threat.threat_level, 2);
    }

    #[test]
    fn a_quick_title_is_a_snapshot_ready_with_the_titles_words() {
        let mut builder = NotificationBuilder::new();
        builder.build(&Milestone::New, &facts("ce_1_aa"), 0.0);
        let quick = Milestone::QuickTitle {
            title: "Person with a parcel".to_string(),
            description: "A person carries a box to the door.".to_string(),
        };
        let n = builder.build(&quick, &facts("ce_1_aa"), 4.0);
        assert_eq!(n.status, Status::SnapshotReady);
        assert_eq!(n.title, "Person with a parcel");
        assert_eq!(n.message, "A person carries a box to the door.");
        assert_eq!(n.tag, "frigate_ce_1_aa");
        assert_eq!(n.clear_tag.as_deref(), Some("frigate_ce_1_aa"));
        assert_eq!(n.image_url.as_deref(), Some("http://host/snap.jpg"));
    }

    #[test]
    fn serialised_second_notification_carries_clear_tag() {
        let mut builder = NotificationBuilder::new();
        builder.build(&Milestone::New, &facts("ce_1_aa"), 0.0);
        let value = serde_json::to_value(builder.build(&Milestone::Canceled, &facts("ce_1_aa"), 9.0)).unwrap();
        assert_eq!(value["clear_tag"], "frigate_ce_1_aa");
        assert_eq!(value["status"], "canceled");
        assert_eq!(value["phase"], "dropped");
        assert_eq!(value["event_phase"], "NEW");
        assert_eq!(value["message"], "Canceled: longer than the maximum event length");
    }
}
