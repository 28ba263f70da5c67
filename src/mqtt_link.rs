//! The MQTT connections of the service and of the cluster workers (beside both, used by each),
//! in one of two kinds of session:
//!
//! - [`SessionKind::Persistent`] (the service, `run`): a stable client id
//!   with clean session off, so QoS 1 messages published while the service is
//!   down are delivered when it returns; each message acknowledged after its
//!   effect.
//! - [`SessionKind::Ephemeral`] (a cluster worker): MQTT 5, clean start, no
//!   session kept; messages acknowledged on receipt, because a job that a
//!   worker dropped is published again by the ingest node's ledger, not the
//!   broker.
//!
//! Both reconnect by themselves with back-off, take user/password and TLS,
//! and announce `online` / `offline` on an availability topic that is also
//! their last will.
//!
//! Acknowledgement after effect: the MQTT client library sends the PUBACK of
//! a QoS 1 message only when its message callback returns. The callback hands
//! each message to the consumer as a [`Delivery`] and waits until the
//! consumer drops it, which it does after the message's effect is durable. A
//! crash before that leaves the message unacknowledged, and the broker
//! delivers it again to the persistent session.
//!
//! Owns the connection only: it never parses a message. The library runs its
//! callbacks under its own process-wide lock, so while a persistent session's
//! delivery is held, every call into the library, from any thread, waits. The
//! thread holding a delivery must therefore never call the library, nor wait
//! for a thread that does; this module waits only on the thread that calls
//! [`MqttLink::connect`] and [`MqttLink::close`], and a publisher elsewhere
//! waits a bounded time. Nor may the library's thread wait forever for a
//! consumer that has gone: once [`MqttLink::stop_handing_over`] was called,
//! the hand-over gives up (a message not yet handed over is dropped, and the
//! library acknowledges it, so stop handing over only once the link is
//! closed or the consumer has really gone).

use crate::config::MqttSettings;
use crossbeam_channel::{Receiver, RecvTimeoutError, SendTimeoutError, Sender};
use paho_mqtt as mqtt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Topic where the service announces `online` / `offline` (retained, with a last will).
pub const AVAILABILITY_TOPIC: &str = "frigate_buffer/available";

/// Longest wait for the broker to confirm a publish or a disconnect.
const BROKER_REPLY_LIMIT: Duration = Duration::from_secs(10);

/// How often a waiting hand-over looks whether it should give up.
const HAND_OVER_CHECK: Duration = Duration::from_millis(100);

/// Why the MQTT connection could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum MqttLinkError {
    /// The client could not be created, configured or connected.
    #[error("MQTT broker {uri}: {message}")]
    Setup {
        /// Broker URI.
        uri: String,
        /// What failed.
        message: String,
    },
}

/// A message received at QoS 1. In a persistent session its acknowledgement
/// waits for this value to be dropped: drop it once the message's effect is
/// durable. In an ephemeral one it was acknowledged on receipt.
pub struct Delivery {
    /// The message.
    pub message: mqtt::Message,
    /// Dropping it releases the client library's callback, which then acknowledges.
    _release: Sender<()>,
}

/// What the connection hands to its consumer.
pub enum Inbound {
    /// A message from the broker.
    Message(Delivery),
    /// The connection dropped; the client reconnects by itself.
    ConnectionLost,
}

/// The kind of session, and with it when messages are acknowledged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SessionKind {
    /// MQTT 3.1.1, session kept across connections, acknowledged after effect.
    Persistent,
    /// MQTT 5, clean start, no session kept, acknowledged on receipt.
    Ephemeral,
}

/// Where a client announces `online` / `offline`.
#[derive(Debug, Clone)]
pub struct Availability {
    /// The topic.
    pub topic: String,
    /// Whether the announcements are retained.
    pub retained: bool,
}

/// Who connects, to what, and how.
#[derive(Debug, Clone)]
pub struct LinkProfile {
    /// The client id.
    pub client_id: String,
    /// Topic filters subscribed at QoS 1 after every (re)connection.
    pub topics: Vec<String>,
    /// The kind of session.
    pub session: SessionKind,
    /// The availability topic, also the last will.
    pub availability: Availability,
}

impl LinkProfile {
    /// The service's profile: its configured client id, a persistent session
    /// and the retained [`AVAILABILITY_TOPIC`].
    pub fn service(settings: &MqttSettings, topics: Vec<String>) -> Self {
        Self {
            client_id: settings.client_id.clone(),
            topics,
            session: SessionKind::Persistent,
            availability: Availability {
                topic: AVAILABILITY_TOPIC.to_string(),
                retained: true,
            },
        }
    }
}

/// A client and the stream of what it receives.
pub struct MqttLink {
    /// The client (clone it to publish from other threads).
    pub client: mqtt::AsyncClient,
    /// Incoming messages (in a persistent session, each unacknowledged until dropped).
    pub inbox: Receiver<Inbound>,
    /// The broker URI, for messages.
    pub uri: String,
    /// Who connects and how.
    profile: LinkProfile,
    /// Set once the inbox's consumer stops: hand-overs give up instead of waiting.
    stopped: Arc<AtomicBool>,
    /// Set when [`MqttLink::close`] disconnects: the connection ending then is no loss.
    closing: Arc<AtomicBool>,
}

fn broker_uri(settings: &MqttSettings) -> String {
    let scheme = if settings.tls.is_some() { "ssl" } else { "tcp" };
    format!("{scheme}://{}:{}", settings.host, settings.port)
}

/// Why a hand-over ended without the consumer being done with the message.
#[derive(Debug, PartialEq)]
enum HandOverEnd {
    /// The consumer took the message and released it (or the session does not wait).
    Released,
    /// The consumer is gone or stopping; the message was dropped unhandled
    /// or is still held.
    GaveUp,
}

/// Hands a message to the consumer; in a persistent session, waits until the
/// consumer is done with it. Gives up once `stopped` is set or the consumer
/// has gone, so the library's thread never waits forever.
fn hand_over(
    inbox: &Sender<Inbound>,
    message: mqtt::Message,
    session: SessionKind,
    stopped: &AtomicBool,
) -> HandOverEnd {
    let (release, released) = crossbeam_channel::bounded::<()>(0);
    let mut inbound = Inbound::Message(Delivery {
        message,
        _release: release,
    });
    loop {
        if stopped.load(Ordering::Relaxed) {
            return HandOverEnd::GaveUp;
        }
        match inbox.send_timeout(inbound, HAND_OVER_CHECK) {
            Ok(()) => break,
            Err(SendTimeoutError::Timeout(back)) => inbound = back,
            Err(SendTimeoutError::Disconnected(_)) => return HandOverEnd::GaveUp,
        }
    }
    if session == SessionKind::Ephemeral {
        return HandOverEnd::Released;
    }
    loop {
        // `Disconnected` when the consumer drops the delivery.
        match released.recv_timeout(HAND_OVER_CHECK) {
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return HandOverEnd::Released,
            Err(RecvTimeoutError::Timeout) if stopped.load(Ordering::Relaxed) => return HandOverEnd::GaveUp,
            Err(RecvTimeoutError::Timeout) => {}
        }
    }
}

/// Creates the client. Messages flow into [`MqttLink::inbox`] once
/// [`MqttLink::connect`] has connected; after every (re)connection the client
/// subscribes to the profile's topics at QoS 1 and announces `online`.
pub fn open(settings: &MqttSettings, profile: LinkProfile) -> Result<MqttLink, MqttLinkError> {
    let uri = broker_uri(settings);
    let version = match profile.session {
        SessionKind::Persistent => mqtt::MQTT_VERSION_3_1_1,
        SessionKind::Ephemeral => mqtt::MQTT_VERSION_5,
    };
    let create = mqtt::CreateOptionsBuilder::new()
        .server_uri(&uri)
        .client_id(&profile.client_id)
        .mqtt_version(version)
        .persistence(mqtt::PersistenceType::None)
        .finalize();
    let client = mqtt::AsyncClient::new(create).map_err(|err| MqttLinkError::Setup {
        uri: uri.clone(),
        message: err.to_string(),
    })?;
    let session = profile.session;
    // A persistent session's callback waits for each delivery's consumer; an
    // ephemeral one's never blocks the library's receive thread.
    let (inbox_tx, inbox) = match session {
        SessionKind::Persistent => crossbeam_channel::bounded(0),
        SessionKind::Ephemeral => crossbeam_channel::unbounded(),
    };
    let stopped = Arc::new(AtomicBool::new(false));
    let closing = Arc::new(AtomicBool::new(false));
    let (stopped_for_callback, closing_for_callback) = (stopped.clone(), closing.clone());
    client.set_message_callback(move |_, message| match message {
        Some(message) => {
            if hand_over(&inbox_tx, message, session, &stopped_for_callback) == HandOverEnd::GaveUp {
                tracing::warn!("MQTT message not handed over: its consumer has stopped");
            }
        }
        None if closing_for_callback.load(Ordering::Relaxed) => {}
        None => {
            let _ = inbox_tx.try_send(Inbound::ConnectionLost);
        }
    });
    let (topics, connected_uri, online) = (
        profile.topics.clone(),
        uri.clone(),
        availability(&profile.availability, true),
    );
    client.set_connected_callback(move |client| {
        tracing::info!(broker = %connected_uri, "connected to MQTT broker");
        // Neither call is waited for: this runs on the client library's network thread.
        drop(client.subscribe_many(&topics, &vec![mqtt::QOS_1; topics.len()]));
        drop(client.publish(online.clone()));
    });
    Ok(MqttLink {
        client,
        inbox,
        uri,
        profile,
        stopped,
        closing,
    })
}

fn availability(topic: &Availability, online: bool) -> mqtt::Message {
    let payload = if online { "online" } else { "offline" };
    if topic.retained {
        mqtt::Message::new_retained(topic.topic.as_str(), payload, mqtt::QOS_1)
    } else {
        mqtt::Message::new(topic.topic.as_str(), payload, mqtt::QOS_1)
    }
}

impl MqttLink {
    /// Connects, retrying with back-off until `give_up` says stop. In a
    /// persistent session, must not run on the thread that drains the inbox.
    pub fn connect(&self, settings: &MqttSettings, give_up: &dyn Fn() -> bool) -> Result<(), MqttLinkError> {
        let setup = |message: String| MqttLinkError::Setup {
            uri: self.uri.clone(),
            message,
        };
        let options = connect_options(settings, &self.profile).map_err(setup)?;
        let mut delay = Duration::from_millis(500);
        loop {
            match self.client.connect(options.clone()).wait() {
                Ok(_) => return Ok(()),
                Err(err) if !give_up() => {
                    tracing::warn!(broker = %self.uri, "MQTT connect failed ({err}); retrying in {delay:?}");
                    std::thread::sleep(delay);
                    delay = (delay * 2).min(Duration::from_secs(30));
                }
                Err(err) => return Err(setup(err.to_string())),
            }
        }
    }

    /// Tells waiting and later hand-overs to give up: the inbox's consumer is
    /// stopping. Call it after [`close`](Self::close), or when the consumer
    /// is gone for good.
    pub fn stop_handing_over(&self) {
        self.stopped.store(true, Ordering::Relaxed);
    }

    /// Announces `offline` and disconnects. After it returns no message is
    /// handed over any more, so the inbox's consumer may stop.
    pub fn close(&self) {
        self.closing.store(true, Ordering::Relaxed);
        let offline = availability(&self.profile.availability, false);
        if let Err(err) = self.client.publish(offline).wait_for(BROKER_REPLY_LIMIT) {
            tracing::warn!("cannot publish availability: {err}");
        }
        if let Err(err) = self.client.disconnect(None).wait_for(BROKER_REPLY_LIMIT) {
            tracing::warn!(broker = %self.uri, "MQTT disconnect: {err}");
        }
    }
}

fn connect_options(settings: &MqttSettings, profile: &LinkProfile) -> Result<mqtt::ConnectOptions, String> {
    let mut builder = match profile.session {
        SessionKind::Persistent => {
            let mut builder = mqtt::ConnectOptionsBuilder::new();
            builder.clean_session(false);
            builder
        }
        SessionKind::Ephemeral => {
            let mut builder = mqtt::ConnectOptionsBuilder::new_v5();
            builder.clean_start(true);
            builder
        }
    };
    builder
        .keep_alive_interval(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(10))
        .automatic_reconnect(Duration::from_millis(250), Duration::from_secs(30))
        .will_message(availability(&profile.availability, false));
    if let Some(user) = &settings.username {
        builder.user_name(user);
    }
    if let Some(password) = &settings.password {
        builder.password(password.as_bytes());
    }
    if let Some(tls) = &settings.tls {
        let mut ssl = mqtt::SslOptionsBuilder::new();
        if let Some(ca) = &tls.ca_file {
            ssl.trust_store(ca).map_err(|err| format!("{}: {err}", ca.display()))?;
        }
        if let Some(cert) = &tls.cert_file {
            ssl.key_store(cert)
                .map_err(|err| format!("{}: {err}", cert.display()))?;
        }
        if let Some(key) = &tls.key_file {
            ssl.private_key(key)
                .map_err(|err| format!("{}: {err}", key.display()))?;
        }
        ssl.enable_server_cert_auth(!tls.insecure).verify(!tls.insecure);
        builder.ssl_options(ssl.finalize());
    }
    Ok(builder.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn message() -> mqtt::Message {
        mqtt::Message::new("frigate/events", "{}", mqtt::QOS_1)
    }

    /// Runs a hand-over on its own thread, as the library's callback would.
    fn spawn_hand_over(
        inbox: Sender<Inbound>,
        stopped: Arc<AtomicBool>,
    ) -> std::thread::JoinHandle<(HandOverEnd, Instant)> {
        std::thread::spawn(move || {
            let end = hand_over(&inbox, message(), SessionKind::Persistent, &stopped);
            (end, Instant::now())
        })
    }

    #[test]
    fn hand_over_waits_for_the_consumer_to_release_the_delivery() {
        let (inbox_tx, inbox) = crossbeam_channel::bounded(0);
        let stopped = Arc::new(AtomicBool::new(false));
        let handing = spawn_hand_over(inbox_tx, stopped);
        let Inbound::Message(delivery) = inbox.recv_timeout(Duration::from_secs(10)).unwrap() else {
            panic!("a message was handed over");
        };
        std::thread::sleep(Duration::from_millis(300));
        assert!(!handing.is_finished(), "acknowledged before the consumer was done");
        let released_at = Instant::now();
        drop(delivery);
        let (end, returned_at) = handing.join().unwrap();
        assert_eq!(end, HandOverEnd::Released);
        assert!(returned_at >= released_at);
    }

    /// Waits (generously) for the hand-over thread to end after `stopped` was set.
    fn wait_until_finished<T>(handing: &std::thread::JoinHandle<T>) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !handing.is_finished() {
            assert!(Instant::now() < deadline, "hand-over still blocked after stop");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn hand_over_gives_up_when_the_consumer_stops_before_taking_it() {
        // The consumer never receives: the receiver is kept but nobody drains it.
        let (inbox_tx, _inbox) = crossbeam_channel::bounded(0);
        let stopped = Arc::new(AtomicBool::new(false));
        let handing = spawn_hand_over(inbox_tx, stopped.clone());
        std::thread::sleep(Duration::from_millis(300));
        assert!(!handing.is_finished());
        stopped.store(true, Ordering::Relaxed);
        wait_until_finished(&handing);
        assert_eq!(handing.join().unwrap().0, HandOverEnd::GaveUp);
    }

    #[test]
    fn hand_over_gives_up_when_the_consumer_stops_holding_a_delivery() {
        let (inbox_tx, inbox) = crossbeam_channel::bounded(0);
        let stopped = Arc::new(AtomicBool::new(false));
        let handing = spawn_hand_over(inbox_tx, stopped.clone());
        let held = inbox.recv_timeout(Duration::from_secs(10)).unwrap();
        stopped.store(true, Ordering::Relaxed);
        wait_until_finished(&handing);
        assert_eq!(handing.join().unwrap().0, HandOverEnd::GaveUp);
        drop(held);
    }

    #[test]
    fn hand_over_gives_up_when_the_consumer_is_gone() {
        let (inbox_tx, inbox) = crossbeam_channel::bounded(0);
        drop(inbox);
        let end = hand_over(&inbox_tx, message(), SessionKind::Persistent, &AtomicBool::new(false));
        assert_eq!(end, HandOverEnd::GaveUp);
    }
}
