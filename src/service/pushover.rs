//! The Pushover thread: the optional second notifier, sending what the notifier thread
//! hands it to Pushover's `POST /1/messages.json` under the same rate limit as Home
//! Assistant's (2 per 5 s, 10 waiting, one `overflow` notice).
//!
//! Owns the HTTP request (a `multipart/form-data` form, the CE's `notification.gif` as its
//! `attachment`) and its own [`RateLimiter`], so a slow or unreachable Pushover never holds
//! up the MQTT notifications. Which statuses go and their fields belong to
//! `notify::pushover`. A message Pushover refuses or that cannot reach it is logged and
//! dropped: Pushover is best effort and never journaled.

use crate::config::PushoverSettings;
use crate::encode::preview_gif::PREVIEW_GIF;
use crate::fs_read::read_regular_file;
use crate::notify::pushover::MAX_ATTACHMENT_BYTES;
use crate::notify::{pushover_message, Notification, PushoverMessage, RateLimiter};
use crate::recent_ids::RecentIds;
use crossbeam_channel::{Receiver, RecvTimeoutError};
use std::path::{Path, PathBuf};
use std::time::Duration;
use thiserror::Error;

/// Longest wait for Pushover's answer.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Separates the form's parts (a fixed string long enough not to occur in a short text
/// field or a small GIF in practice).
const BOUNDARY: &str = "frigate-buffer-pushover-7d1f0c9a4b2e";

/// A notification for Pushover, with the CE folder its preview GIF is in.
#[derive(Debug, Clone)]
pub struct PushoverRequest {
    /// The notification as Home Assistant gets it.
    pub notification: Notification,
    /// The CE folder, when the notification belongs to one.
    pub folder: Option<PathBuf>,
}

/// Why a message did not reach Pushover.
#[derive(Debug, Error)]
pub enum PushoverError {
    /// No answer: connection refused, timeout.
    #[error("Pushover request to {url} failed: {reason}")]
    Transport {
        /// The endpoint.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// Pushover answered with an error.
    #[error("Pushover at {url} refused the message (HTTP {status}): {body}")]
    Refused {
        /// The endpoint.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The start of its answer, which names the errors.
        body: String,
    },
}

/// Posts messages to Pushover.
pub struct PushoverClient {
    agent: ureq::Agent,
    settings: PushoverSettings,
}

impl PushoverClient {
    /// A client for `settings`; nothing is sent until [`PushoverClient::send`].
    pub fn new(settings: PushoverSettings) -> Self {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(REQUEST_TIMEOUT))
            .http_status_as_error(false)
            .build();
        Self {
            agent: ureq::Agent::new_with_config(config),
            settings,
        }
    }

    /// Sends `notification` if Pushover gets its status; `gif` is attached when the
    /// message takes one and the file exists.
    pub fn send(&self, notification: &Notification, gif: Option<&Path>) -> Result<(), PushoverError> {
        let Some(message) = pushover_message(notification, &self.settings) else {
            return Ok(());
        };
        let attachment = gif
            .filter(|_| message.attach_gif)
            .and_then(|path| attachable(path, &notification.event_id));
        let body = multipart_form(&message, attachment.as_deref());
        let url = &self.settings.api_url;
        let transport = |err: ureq::Error| PushoverError::Transport {
            url: url.clone(),
            reason: err.to_string(),
        };
        let mut response = self
            .agent
            .post(url)
            .header("Content-Type", format!("multipart/form-data; boundary={BOUNDARY}"))
            .send(&body[..])
            .map_err(transport)?;
        let status = response.status().as_u16();
        let answer = response.body_mut().read_to_string().unwrap_or_default();
        // Pushover answers `{"status":1,...}` when it took the message.
        let accepted = serde_json::from_str::<serde_json::Value>(&answer).is_ok_and(|value| value["status"] == 1);
        if (200..300).contains(&status) && accepted {
            return Ok(());
        }
        Err(PushoverError::Refused {
            url: url.clone(),
            status,
            body: answer.chars().take(300).collect(),
        })
    }
}

/// The preview GIF at `path` if there is one Pushover takes; one that is too large is left
/// out (logged) so the message still goes.
fn attachable(path: &Path, ce_id: &str) -> Option<Vec<u8>> {
    let gif = read_regular_file(path).ok()??;
    if gif.len() as u64 > MAX_ATTACHMENT_BYTES {
        tracing::warn!(
            ce = %ce_id,
            bytes = gif.len(),
            "{} is larger than Pushover takes ({MAX_ATTACHMENT_BYTES} bytes): sent without it",
            path.display()
        );
        return None;
    }
    Some(gif)
}

/// The message as a `multipart/form-data` body, the GIF as the `attachment` part.
fn multipart_form(message: &PushoverMessage, gif: Option<&[u8]>) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in &message.fields {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    if let Some(gif) = gif {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"{PREVIEW_GIF}\"\r\nContent-Type: image/gif\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(gif);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Runs until `requests` closes and every waiting message has been tried.
pub fn run_pushover(requests: Receiver<PushoverRequest>, client: PushoverClient) {
    let mut limiter = RateLimiter::new();
    let mut folders: RecentIds<PathBuf> = RecentIds::default();
    let mut open = true;
    while open || limiter.next_ready_at().is_some() {
        let now = super::clock::now_epoch();
        let wait = limiter.next_ready_at().map_or(Duration::from_secs(1), |at| {
            Duration::from_secs_f64((at - now).clamp(0.0, 1.0))
        });
        match requests.recv_timeout(wait) {
            Ok(request) => {
                if pushover_message(&request.notification, &client.settings).is_some() {
                    if let Some(folder) = request.folder {
                        folders.insert(&request.notification.event_id, folder);
                    }
                    limiter.offer(request.notification, super::clock::now_epoch());
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => open = false,
        }
        while let Some(notification) = limiter.poll(super::clock::now_epoch()) {
            let gif = folders
                .get(&notification.event_id)
                .map(|folder| folder.join(PREVIEW_GIF));
            match client.send(&notification, gif.as_deref()) {
                Ok(()) => {
                    tracing::info!(ce = %notification.event_id, status = ?notification.status, "Pushover notification sent")
                }
                Err(err) => tracing::warn!(ce = %notification.event_id, status = ?notification.status, "{err}"),
            }
        }
    }
}

#[cfg(test)]
#[path = "../../tests/common/pushover_api.rs"]
mod stand_in_pushover;

#[cfg(test)]
mod tests {
    use super::stand_in_pushover::{form_parts, stand_in_pushover, text_field, Received};
    use super::*;
    use crate::notify::{CeFacts, Milestone, NotificationBuilder};
    use std::process::Command;

    fn settings(api_url: String) -> PushoverSettings {
        PushoverSettings {
            token: "azGDORePK8gMaC0QOYAMyEEuzJnyUi".into(),
            user: "uQiRzpo4DXghDmr9QzzfQu27cmVRsG".into(),
            device: Some("pixel".into()),
            sound: Some("siren".into()),
            html: true,
            api_url,
        }
    }

    fn notification(builder: &mut NotificationBuilder, ce_id: &str, milestone: Milestone) -> Notification {
        let facts = CeFacts {
            ce_id: ce_id.into(),
            camera: "front_door".into(),
            label: "person".into(),
            camera_count: 2,
            image_url: None,
            video_url: None,
            player_url: Some(format!("http://buffer:5055/player?ce={ce_id}")),
            threat_level: 0,
        };
        builder.build(&milestone, &facts, 1_700_000_000.0)
    }

    /// A real GIF, made by FFmpeg, in `folder`.
    fn preview_gif_in(folder: &Path) -> Vec<u8> {
        let gif = folder.join(PREVIEW_GIF);
        let status = Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i"])
            .args(["testsrc=size=96x64:rate=5", "-t", "1"])
            .arg(&gif)
            .status()
            .unwrap();
        assert!(status.success());
        std::fs::read(gif).unwrap()
    }

    #[test]
    fn sends_pushovers_fields_with_the_gif_and_honours_the_rate_limit() {
        let (url, received) =
            stand_in_pushover((200, r#"{"status":1,"request":"647d2300-702c-4b38-8b2f-d56326ae460b"}"#));
        let folder = tempfile::tempdir().unwrap();
        let gif = preview_gif_in(folder.path());
        let (tx, rx) = crossbeam_channel::unbounded();
        let client = PushoverClient::new(settings(url));
        let thread = std::thread::spawn(move || run_pushover(rx, client));
        let mut builder = NotificationBuilder::new();
        let handed = [
            ("ce_1_aa", Milestone::New),
            ("ce_1_aa", Milestone::ClipReady),
            ("ce_2_bb", Milestone::ClipReady),
            ("ce_3_cc", Milestone::ClipReady),
        ];
        for (ce_id, milestone) in handed {
            let request = PushoverRequest {
                notification: notification(&mut builder, ce_id, milestone),
                folder: Some(folder.path().to_path_buf()),
            };
            tx.send(request).unwrap();
        }
        drop(tx);
        let deadline = Duration::from_secs(60);
        let got: Vec<Received> = (0..3).map(|_| received.recv_timeout(deadline).unwrap()).collect();
        thread.join().unwrap();
        assert!(received.try_recv().is_err(), "`new` is not sent to Pushover");

        let first = &got[0];
        assert_eq!(first.request_line, "POST /1/messages.json HTTP/1.1");
        let parts = form_parts(&first.content_type, &first.body);
        assert_eq!(
            text_field(&parts, "token").as_deref(),
            Some("azGDORePK8gMaC0QOYAMyEEuzJnyUi")
        );
        assert_eq!(
            text_field(&parts, "user").as_deref(),
            Some("uQiRzpo4DXghDmr9QzzfQu27cmVRsG")
        );
        assert_eq!(
            text_field(&parts, "title").as_deref(),
            Some("Summary ready (2 cameras)")
        );
        assert_eq!(text_field(&parts, "message").as_deref(), Some("Person at front_door"));
        assert_eq!(text_field(&parts, "priority").as_deref(), Some("-1"));
        assert_eq!(text_field(&parts, "sound").as_deref(), Some("siren"));
        assert_eq!(text_field(&parts, "device").as_deref(), Some("pixel"));
        assert_eq!(text_field(&parts, "html").as_deref(), Some("1"));
        assert_eq!(
            text_field(&parts, "url").as_deref(),
            Some("http://buffer:5055/player?ce=ce_1_aa")
        );
        assert_eq!(text_field(&parts, "timestamp").as_deref(), Some("1700000000"));
        let attachment = parts.iter().find(|(name, _)| name == "attachment").unwrap();
        assert_eq!(
            attachment.1, gif,
            "the attachment is the CE's notification.gif, byte for byte"
        );
        assert!(
            String::from_utf8_lossy(&first.body).contains("filename=\"notification.gif\"\r\nContent-Type: image/gif")
        );

        // Two per 5 s: the third waits for the first to leave the window.
        let third_after_first = got[2].at.duration_since(got[0].at);
        assert!(
            third_after_first >= Duration::from_millis(4900),
            "third sent {third_after_first:?} after the first"
        );
        let urls: Vec<String> = got
            .iter()
            .map(|received| text_field(&form_parts(&received.content_type, &received.body), "url").unwrap())
            .collect();
        assert_eq!(
            urls,
            ["ce_1_aa", "ce_2_bb", "ce_3_cc"].map(|ce| format!("http://buffer:5055/player?ce={ce}"))
        );
    }

    #[test]
    fn a_preview_larger_than_pushover_takes_is_left_out_and_the_message_still_goes() {
        let (url, received) = stand_in_pushover((200, r#"{"status":1,"request":"5f0c"}"#));
        let folder = tempfile::tempdir().unwrap();
        let gif = folder.path().join(PREVIEW_GIF);
        std::fs::write(&gif, vec![b'G'; MAX_ATTACHMENT_BYTES as usize + 1]).unwrap();
        let client = PushoverClient::new(settings(url));
        let notification = notification(&mut NotificationBuilder::new(), "ce_1_aa", Milestone::ClipReady);
        client.send(&notification, Some(&gif)).unwrap();
        let request = received.recv_timeout(Duration::from_secs(30)).unwrap();
        let parts = form_parts(&request.content_type, &request.body);
        assert_eq!(text_field(&parts, "priority").as_deref(), Some("-1"));
        assert!(parts.iter().all(|(name, _)| name != "attachment"));
    }

    #[test]
    fn a_refusal_names_pushovers_errors() {
        let (url, received) = stand_in_pushover((
            400,
            r#"{"user":"invalid","errors":["user identifier is invalid"],"status":0}"#,
        ));
        let client = PushoverClient::new(settings(url));
        let notification = notification(&mut NotificationBuilder::new(), "ce_1_aa", Milestone::SnapshotReady);
        let error = client.send(&notification, None).unwrap_err().to_string();
        assert!(
            error.contains("HTTP 400") && error.contains("user identifier is invalid"),
            "{error}"
        );
        let request = received.recv_timeout(Duration::from_secs(30)).unwrap();
        let parts = form_parts(&request.content_type, &request.body);
        assert_eq!(text_field(&parts, "priority").as_deref(), Some("0"));
        assert!(
            parts.iter().all(|(name, _)| name != "attachment"),
            "snapshot_ready carries no GIF"
        );
    }
}
