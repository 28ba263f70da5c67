//! The notifier thread: owns the Home Assistant notification state (the
//! previous tag of each CE, the rate limiter) and publishes over MQTT.

use super::messages::NotifyRequest;
use crate::notify::{NotificationBuilder, RateLimiter};
use crossbeam_channel::{Receiver, RecvTimeoutError};
use paho_mqtt as mqtt;
use std::time::Duration;

/// Longest wait for the broker to take a notification. Bounded because the
/// client's network thread may itself be waiting for the ingest thread, which
/// may be waiting for room in this thread's queue.
const PUBLISH_REPLY_LIMIT: Duration = Duration::from_secs(5);

/// Current time in epoch seconds.
pub fn now_epoch() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Runs until `requests` closes and every queued notification has gone out.
pub fn run_notifier(requests: Receiver<NotifyRequest>, client: mqtt::AsyncClient, topic: String, enabled: bool) {
    let mut builder = NotificationBuilder::new();
    let mut limiter = RateLimiter::new();
    let mut open = true;
    while open || limiter.next_ready_at().is_some() {
        let now = now_epoch();
        let wait = limiter.next_ready_at().map_or(Duration::from_secs(1), |at| {
            Duration::from_secs_f64((at - now).clamp(0.0, 1.0))
        });
        match requests.recv_timeout(wait) {
            Ok(request) if enabled => {
                let notification = builder.build(&request.milestone, &request.facts, now_epoch());
                limiter.offer(notification, now_epoch());
            }
            Ok(_) => {}
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => open = false,
        }
        while let Some(notification) = limiter.poll(now_epoch()) {
            let payload = serde_json::to_vec(&notification).expect("notifications always serialise");
            let message = mqtt::Message::new(&topic, payload, mqtt::QOS_1);
            match client.publish(message).wait_for(PUBLISH_REPLY_LIMIT) {
                Ok(()) => {
                    tracing::info!(ce = %notification.event_id, status = ?notification.status, "notification sent")
                }
                Err(err) => tracing::warn!(ce = %notification.event_id, "notification not sent: {err}"),
            }
        }
    }
}
