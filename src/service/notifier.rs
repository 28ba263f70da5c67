//! The notifier thread: owns the Home Assistant notification state (the
//! previous tag of each CE, the `new` notifications waiting for their picture
//! (`first_picture`), the rate limiter) and publishes over MQTT.
//!
//! A notification the journal tracks (a request with a journal folder) is
//! journaled as `notified` only once the broker accepted it (its QoS 1
//! PUBACK). One the broker did not take (not connected yet, or the
//! connection lost) waits and goes out once the client is connected again;
//! one still unsent when the service stops stays due in the journal and is
//! sent after the next start. It never journals anything else.
//!
//! Every CE notification gets its `player_url` here, the one place it is
//! made, from the CE id and `network.public_url`.

use super::clock::now_epoch;
use super::first_picture::FirstPicture;
use super::messages::NotifyRequest;
use super::pushover::PushoverRequest;
use crate::ce::journal::{self, JournalStep};
use crate::ce::lifecycle::ce_id::CeIdentity;
use crate::notify::{player_url, CeFacts, Notification, NotificationBuilder, RateLimiter, Status};
use crate::recent_ids::RecentIds;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use paho_mqtt as mqtt;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::Duration;

/// Longest wait for the broker to take a notification. Bounded because the
/// client's network thread may itself be waiting for the ingest thread, which
/// may be waiting for room in this thread's queue.
const PUBLISH_REPLY_LIMIT: Duration = Duration::from_secs(5);

/// Most notifications kept waiting for the broker; the oldest beyond it is
/// dropped (a journaled one stays due in its journal).
const MAX_WAITING_FOR_BROKER: usize = 256;

/// The journal folders of notifications waiting to be confirmed by the
/// broker, by CE and status. Bounded: one the rate limit dropped is never
/// confirmed, and stays due in its journal.
#[derive(Default)]
struct AwaitingConfirmation(RecentIds<PathBuf>);

impl AwaitingConfirmation {
    fn key(ce_id: &str, status: Status) -> String {
        format!("{ce_id} {status:?}")
    }

    fn expect(&mut self, ce_id: &str, status: Status, folder: PathBuf) {
        self.0.insert(&Self::key(ce_id, status), folder);
    }

    /// Journals `notified` for a notification the broker accepted, if the journal tracks it.
    fn confirm(&mut self, notification: &Notification) {
        let key = Self::key(&notification.event_id, notification.status);
        let Some(folder) = self.0.remove(&key) else {
            return;
        };
        let sent = JournalStep::Notified {
            status: notification.status,
        };
        if let Err(err) = journal::append(&folder, now_epoch(), &sent) {
            tracing::error!("{err}");
        }
    }
}

/// Where the notifier sends: Home Assistant over MQTT, and Pushover when configured.
pub struct NotifierOutputs {
    /// The MQTT client.
    pub client: mqtt::AsyncClient,
    /// The notifications topic.
    pub topic: String,
    /// Whether Home Assistant gets notifications.
    pub home_assistant: bool,
    /// The Pushover thread, when Pushover is enabled.
    pub pushover: Option<Sender<PushoverRequest>>,
    /// Base URL of the links in notifications (`network.public_url`).
    pub public_url: String,
}

/// `facts` with the CE's player page under `public_url`.
fn with_player_url(facts: &CeFacts, public_url: &str) -> CeFacts {
    CeFacts {
        player_url: CeIdentity::folder_of(&facts.ce_id).map(|folder| player_url(public_url, folder)),
        ..facts.clone()
    }
}

/// Builds `request`'s notification, hands it to Pushover when configured, and offers it to the
/// Home Assistant rate limit when that is enabled; a journaled one is expected to be confirmed
/// by the broker.
fn offer(
    request: NotifyRequest,
    builder: &mut NotificationBuilder,
    awaiting: &mut AwaitingConfirmation,
    limiter: &mut RateLimiter,
    outputs: &Outputs<'_>,
) {
    let facts = with_player_url(&request.facts, outputs.public_url);
    let notification = builder.build(&request.milestone, &facts, now_epoch());
    if let Some(pushover) = outputs.pushover {
        let handed = PushoverRequest {
            notification: notification.clone(),
            folder: request.journal.clone(),
        };
        if pushover.try_send(handed).is_err() {
            tracing::warn!(ce = %notification.event_id, "Pushover notification dropped: its queue is full");
        }
    }
    if outputs.home_assistant {
        if let Some(folder) = request.journal {
            awaiting.expect(&notification.event_id, notification.status, folder);
        }
        limiter.offer(notification, now_epoch());
    }
}

/// What [`offer`] hands a notification to.
struct Outputs<'a> {
    /// The Pushover thread, when enabled.
    pushover: Option<&'a Sender<PushoverRequest>>,
    /// Whether Home Assistant gets notifications.
    home_assistant: bool,
    /// Base URL of the links.
    public_url: &'a str,
}

/// Seconds from `now` until `at`, as a wait of at most one second.
fn wait_until(at: f64, now: f64) -> Duration {
    Duration::from_secs_f64((at - now).clamp(0.0, 1.0))
}

/// Runs until `requests` closes and every queued notification has gone out
/// (or failed to: a journaled one is then sent after the next start). Each
/// notification is also handed to the Pushover thread, which rate-limits on
/// its own.
pub fn run_notifier(requests: Receiver<NotifyRequest>, outputs: NotifierOutputs) {
    let NotifierOutputs {
        client,
        topic,
        home_assistant: enabled,
        pushover,
        public_url,
    } = outputs;
    let offered_to = Outputs {
        pushover: pushover.as_ref(),
        home_assistant: enabled,
        public_url: &public_url,
    };
    let mut builder = NotificationBuilder::new();
    let mut limiter = RateLimiter::new();
    let mut awaiting = AwaitingConfirmation::default();
    let mut first_picture = FirstPicture::default();
    let mut waiting_for_broker: VecDeque<Notification> = VecDeque::new();
    let mut open = true;
    // Once stopping, a failed publish ends the wait for the broker: what is left is for the next start.
    let mut given_up = false;
    while open
        || limiter.next_ready_at().is_some()
        || (!waiting_for_broker.is_empty() && client.is_connected() && !given_up)
    {
        let now = now_epoch();
        let wait = [limiter.next_ready_at(), first_picture.next_due()]
            .into_iter()
            .flatten()
            .map(|at| wait_until(at, now))
            .fold(Duration::from_secs(1), Duration::min);
        match requests.recv_timeout(wait) {
            Ok(request) if enabled || pushover.is_some() => {
                for request in first_picture.take(request, now_epoch()) {
                    offer(request, &mut builder, &mut awaiting, &mut limiter, &offered_to);
                }
            }
            Ok(_) => {}
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => open = false,
        }
        let released = if open {
            first_picture.due(now_epoch())
        } else {
            first_picture.release_all()
        };
        for request in released {
            offer(request, &mut builder, &mut awaiting, &mut limiter, &offered_to);
        }
        while let Some(notification) = limiter.poll(now_epoch()) {
            waiting_for_broker.push_back(notification);
        }
        while waiting_for_broker.len() > MAX_WAITING_FOR_BROKER {
            if let Some(dropped) = waiting_for_broker.pop_front() {
                tracing::warn!(ce = %dropped.event_id, status = ?dropped.status, "notification dropped: too many waiting for the broker");
            }
        }
        // In order, and only while connected: a publish without a connection fails at once.
        while client.is_connected() {
            let Some(notification) = waiting_for_broker.pop_front() else {
                break;
            };
            let payload = serde_json::to_vec(&notification).expect("notifications always serialise");
            let message = mqtt::Message::new(&topic, payload, mqtt::QOS_1);
            match client.publish(message).wait_for(PUBLISH_REPLY_LIMIT) {
                Ok(()) => {
                    tracing::info!(ce = %notification.event_id, status = ?notification.status, "notification sent");
                    awaiting.confirm(&notification);
                }
                Err(err) => {
                    tracing::warn!(
                        ce = %notification.event_id,
                        status = ?notification.status,
                        "notification not sent yet: {err}; it goes out once the broker takes it"
                    );
                    waiting_for_broker.push_front(notification);
                    given_up = !open;
                    break;
                }
            }
        }
    }
    for notification in &waiting_for_broker {
        tracing::warn!(
            ce = %notification.event_id,
            status = ?notification.status,
            "notification not sent before the stop; a journaled one is sent after the next start"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::Milestone;

    #[test]
    fn every_ce_notification_carries_its_player_page() {
        let facts = CeFacts {
            ce_id: "ce_1700000000_0badf00d".to_string(),
            camera: "porch".to_string(),
            label: "person".to_string(),
            camera_count: 1,
            image_url: None,
            video_url: None,
            player_url: None,
            threat_level: 0,
        };
        let facts = with_player_url(&facts, "http://buffer.lan:5055");
        let notification = NotificationBuilder::new().build(&Milestone::New, &facts, 1.0);
        assert_eq!(
            notification.player_url.as_deref(),
            Some("http://buffer.lan:5055/player/1700000000_0badf00d")
        );
        let json = serde_json::to_value(&notification).unwrap();
        assert_eq!(json["player_url"], "http://buffer.lan:5055/player/1700000000_0badf00d");
    }
}
