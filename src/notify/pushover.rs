//! What a notification becomes on Pushover (the optional second notifier).
//!
//! Owns the choice of statuses Pushover gets, their priority, the form fields of Pushover's
//! `POST /1/messages.json` and whether the preview GIF is attached. It neither sends nor
//! rate-limits (see `service::pushover`).

use super::payload::{Notification, Status};

/// A Pushover notifier that is enabled and has its keys.
#[derive(Debug, Clone, PartialEq)]
pub struct PushoverSettings {
    /// The application's API token.
    pub token: String,
    /// The user (or group) key.
    pub user: String,
    /// Only this device of the user.
    pub device: Option<String>,
    /// The sound name.
    pub sound: Option<String>,
    /// Whether the message is HTML.
    pub html: bool,
    /// The endpoint messages are posted to.
    pub api_url: String,
}

/// The link text under the message.
const URL_TITLE: &str = "View in Event Viewer";

/// Pushover's limits (`https://pushover.net/api#limits`): a message past one is refused whole,
/// so the texts are shortened to fit and a link too long is left out.
const MAX_TITLE_CHARS: usize = 250;
const MAX_MESSAGE_CHARS: usize = 1024;
const MAX_URL_CHARS: usize = 512;
/// The largest attachment Pushover takes, in bytes; a larger preview is not attached.
pub const MAX_ATTACHMENT_BYTES: u64 = 2_621_440;

/// Pushover's priorities used here.
const QUIET: i8 = -1;
const NORMAL: i8 = 0;
const HIGH: i8 = 1;

/// One Pushover message: its form fields in order, and whether the CE's
/// `notification.gif` goes with it as the `attachment`.
#[derive(Debug, Clone, PartialEq)]
pub struct PushoverMessage {
    /// `(name, value)` form fields: token, user, title, message, priority, html, timestamp,
    /// then url, url_title, device, sound when they have a value.
    pub fields: Vec<(&'static str, String)>,
    /// Whether the preview GIF is attached.
    pub attach_gif: bool,
}

/// The Pushover message for `notification`, or `None` for the statuses Pushover does not
/// get (as before: `new`, `discarded`, `canceled` are for Home Assistant only).
///
/// Priority as the previous service chose it: `snapshot_ready` and `overflow` normal,
/// `clip_ready` and `finalized` quiet, except that a critical notification (threat level 2
/// or more) is always high.
pub fn pushover_message(notification: &Notification, settings: &PushoverSettings) -> Option<PushoverMessage> {
    let (priority, attach_gif) = match notification.status {
        Status::New | Status::Discarded | Status::Canceled => return None,
        Status::SnapshotReady | Status::Overflow => (NORMAL, false),
        Status::ClipReady | Status::Finalized => (QUIET, true),
    };
    let priority = if notification.critical { HIGH } else { priority };
    let mut fields = vec![
        ("token", settings.token.clone()),
        ("user", settings.user.clone()),
        ("title", shortened(&notification.title, MAX_TITLE_CHARS)),
        ("message", shortened(&notification.message, MAX_MESSAGE_CHARS)),
        ("priority", priority.to_string()),
        ("html", u8::from(settings.html).to_string()),
        ("timestamp", (notification.timestamp as i64).to_string()),
    ];
    if let Some(url) = notification
        .player_url
        .as_ref()
        .filter(|url| url.chars().count() <= MAX_URL_CHARS)
    {
        fields.push(("url", url.clone()));
        fields.push(("url_title", URL_TITLE.to_string()));
    }
    if let Some(device) = &settings.device {
        fields.push(("device", device.clone()));
    }
    if let Some(sound) = &settings.sound {
        fields.push(("sound", sound.clone()));
    }
    Some(PushoverMessage { fields, attach_gif })
}

/// `text` cut to at most `max` characters, the last one an ellipsis when it was cut.
fn shortened(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::{CeFacts, Milestone, NotificationBuilder};

    fn settings() -> PushoverSettings {
        PushoverSettings {
            token: "a456".into(),
            user: "u123".into(),
            device: Some("phone".into()),
            sound: None,
            html: true,
            api_url: "http://unused".into(),
        }
    }

    fn notification(milestone: Milestone, threat_level: u8) -> Notification {
        let facts = CeFacts {
            ce_id: "ce_1_aa".into(),
            camera: "front_door".into(),
            label: "person".into(),
            camera_count: 1,
            image_url: None,
            video_url: None,
            player_url: Some("http://buffer:5055/player?ce=ce_1_aa".into()),
            threat_level,
        };
        NotificationBuilder::new().build(&milestone, &facts, 1700000000.75)
    }

    fn field<'m>(message: &'m PushoverMessage, name: &str) -> Option<&'m str> {
        message
            .fields
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.as_str())
    }

    #[test]
    fn texts_past_pushovers_limits_are_shortened_and_a_link_too_long_left_out() {
        let finalized = Milestone::Finalized {
            title: "Ä".repeat(300),
            description: "A person walks up the drive. ".repeat(60),
        };
        let mut long = notification(finalized, 0);
        long.player_url = Some(format!("http://buffer:5055/player/{}", "x".repeat(600)));
        let message = pushover_message(&long, &settings()).unwrap();
        let title = field(&message, "title").unwrap();
        assert_eq!(title.chars().count(), 250);
        assert!(title.starts_with("ÄÄ") && title.ends_with('…'));
        let text = field(&message, "message").unwrap();
        assert_eq!(text.chars().count(), 1024);
        assert!(text.starts_with("A person walks up the drive.") && text.ends_with('…'));
        assert_eq!(field(&message, "url"), None);
        assert_eq!(field(&message, "url_title"), None);

        let short = pushover_message(&notification(Milestone::ClipReady, 0), &settings()).unwrap();
        let built = notification(Milestone::ClipReady, 0);
        assert_eq!(
            field(&short, "title"),
            Some(built.title.as_str()),
            "short texts are kept whole"
        );
        assert_eq!(field(&short, "url"), built.player_url.as_deref());
    }

    #[test]
    fn only_the_previous_services_statuses_go_to_pushover() {
        for skipped in [Milestone::New, Milestone::Discarded, Milestone::Canceled] {
            assert_eq!(pushover_message(&notification(skipped, 0), &settings()), None);
        }
        let snapshot = pushover_message(&notification(Milestone::SnapshotReady, 0), &settings()).unwrap();
        assert_eq!(field(&snapshot, "priority"), Some("0"));
        assert!(!snapshot.attach_gif);
        let clip = pushover_message(&notification(Milestone::ClipReady, 0), &settings()).unwrap();
        assert_eq!(field(&clip, "priority"), Some("-1"));
        assert!(clip.attach_gif);
    }

    #[test]
    fn a_critical_notification_is_high_priority() {
        let finalized = Milestone::Finalized {
            title: "Someone at the door".into(),
            description: "A person tries the handle.".into(),
        };
        let message = pushover_message(&notification(finalized, 2), &settings()).unwrap();
        assert_eq!(field(&message, "priority"), Some("1"));
        assert_eq!(field(&message, "title"), Some("Someone at the door"));
        assert_eq!(field(&message, "message"), Some("A person tries the handle."));
    }

    #[test]
    fn fields_follow_pushovers_names() {
        let message = pushover_message(&notification(Milestone::ClipReady, 0), &settings()).unwrap();
        let names: Vec<&str> = message.fields.iter().map(|(name, _)| *name).collect();
        assert_eq!(
            names,
            [
                "token",
                "user",
                "title",
                "message",
                "priority",
                "html",
                "timestamp",
                "url",
                "url_title",
                "device"
            ]
        );
        assert_eq!(field(&message, "token"), Some("a456"));
        assert_eq!(field(&message, "user"), Some("u123"));
        assert_eq!(field(&message, "html"), Some("1"));
        assert_eq!(field(&message, "timestamp"), Some("1700000000"));
        assert_eq!(field(&message, "url"), Some("http://buffer:5055/player?ce=ce_1_aa"));
        assert_eq!(field(&message, "device"), Some("phone"));
    }
}
