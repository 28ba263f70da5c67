//! The outbox thread: publishes the dispatcher's messages (cluster jobs).
//!
//! The MQTT client takes no call while its message callback runs, and in a
//! persistent session that callback waits for the consumer of each delivery —
//! possibly the very thread that wants to publish. Publishing from this
//! thread, which nobody waits for, breaks that cycle: a publication waits
//! here until the delivery is released, and the publisher goes on.

use crossbeam_channel::Receiver;
use paho_mqtt as mqtt;
use std::time::Duration;

/// Longest wait for the broker to confirm one publication.
const CONFIRM_LIMIT: Duration = Duration::from_secs(10);

/// Publishes each message at its QoS until `outbox` closes, logging failures
/// (a lost job is published again by the ledger's timeouts).
pub fn run_outbox(outbox: Receiver<mqtt::Message>, client: mqtt::AsyncClient) {
    for message in outbox {
        let topic = message.topic().to_string();
        if let Err(err) = client.publish(message).wait_for(CONFIRM_LIMIT) {
            tracing::warn!("cannot publish on {topic}: {err}");
        }
    }
}
