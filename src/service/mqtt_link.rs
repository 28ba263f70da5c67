//! The MQTT connection of the service: a persistent session (stable client
//! id, clean session off) so QoS 1 messages published while the service is
//! down are delivered when it returns, automatic reconnect with back-off,
//! user/password and TLS, and a retained availability topic with a last will.
//!
//! Owns the connection set-up only. Messages are consumed by the ingest
//! stage; notifications are published through a clone of the client.

use crate::config::MqttSettings;
use paho_mqtt as mqtt;
use std::time::Duration;

/// Topic where the service announces `online` / `offline` (retained, with a last will).
pub const AVAILABILITY_TOPIC: &str = "frigate_buffer/available";

/// Why the MQTT connection could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum MqttLinkError {
    /// The client could not be created or configured.
    #[error("MQTT broker {uri}: {message}")]
    Setup {
        /// Broker URI.
        uri: String,
        /// What failed.
        message: String,
    },
}

/// A connected client and its message stream.
pub struct MqttLink {
    /// The client (clone it to publish from other threads).
    pub client: mqtt::Client,
    /// Incoming messages; `None` marks a lost connection (the client reconnects by itself).
    pub messages: mqtt::SyncReceiver<Option<mqtt::Message>>,
    /// The broker URI, for messages.
    pub uri: String,
}

fn broker_uri(settings: &MqttSettings) -> String {
    let scheme = if settings.tls.is_some() { "ssl" } else { "tcp" };
    format!("{scheme}://{}:{}", settings.host, settings.port)
}

/// Creates the client and starts consuming; [`MqttLink::connect`] connects.
pub fn open(settings: &MqttSettings) -> Result<MqttLink, MqttLinkError> {
    let uri = broker_uri(settings);
    let setup = |err: mqtt::Error| MqttLinkError::Setup {
        uri: uri.clone(),
        message: err.to_string(),
    };
    let create = mqtt::CreateOptionsBuilder::new()
        .server_uri(&uri)
        .client_id(&settings.client_id)
        .persistence(mqtt::PersistenceType::None)
        .finalize();
    let client = mqtt::Client::new(create).map_err(setup)?;
    let messages = client.start_consuming();
    Ok(MqttLink { client, messages, uri })
}

impl MqttLink {
    /// Connects with a persistent session and subscribes to `topics` at QoS 1,
    /// retrying with back-off until `give_up` says stop. Publishes `online`.
    pub fn connect(
        &self,
        settings: &MqttSettings,
        topics: &[String],
        give_up: &dyn Fn() -> bool,
    ) -> Result<(), MqttLinkError> {
        let options = connect_options(settings).map_err(|message| MqttLinkError::Setup {
            uri: self.uri.clone(),
            message,
        })?;
        let mut delay = Duration::from_millis(500);
        loop {
            match self.client.connect(options.clone()) {
                Ok(response) => {
                    let session_present = response.connect_response().is_some_and(|r| r.session_present);
                    tracing::info!(broker = %self.uri, session_present, "connected to MQTT broker");
                    break;
                }
                Err(err) if !give_up() => {
                    tracing::warn!(broker = %self.uri, "MQTT connect failed ({err}); retrying in {delay:?}");
                    std::thread::sleep(delay);
                    delay = (delay * 2).min(Duration::from_secs(30));
                }
                Err(err) => {
                    return Err(MqttLinkError::Setup {
                        uri: self.uri.clone(),
                        message: err.to_string(),
                    })
                }
            }
        }
        self.subscribe(topics)?;
        self.announce(true);
        Ok(())
    }

    /// Reconnects after a lost connection (same persistent session), retrying
    /// with back-off until `give_up` says stop, then re-subscribes and
    /// announces `online` again. Messages queued by the broker meanwhile follow.
    pub fn reconnect(&self, topics: &[String], give_up: &dyn Fn() -> bool) {
        let mut delay = Duration::from_millis(250);
        while !give_up() {
            match self.client.reconnect() {
                Ok(_) => {
                    tracing::info!(broker = %self.uri, "reconnected to MQTT broker");
                    if let Err(err) = self.subscribe(topics) {
                        tracing::warn!("{err}");
                    }
                    self.announce(true);
                    return;
                }
                Err(err) => {
                    tracing::warn!(broker = %self.uri, "MQTT reconnect failed ({err}); retrying in {delay:?}");
                    std::thread::sleep(delay);
                    delay = (delay * 2).min(Duration::from_secs(30));
                }
            }
        }
    }

    /// (Re-)subscribes to `topics` at QoS 1.
    pub fn subscribe(&self, topics: &[String]) -> Result<(), MqttLinkError> {
        let qos = vec![mqtt::QOS_1; topics.len()];
        self.client
            .subscribe_many(topics, &qos)
            .map(|_| ())
            .map_err(|err| MqttLinkError::Setup {
                uri: self.uri.clone(),
                message: format!("subscribe: {err}"),
            })
    }

    /// Publishes the retained availability state.
    pub fn announce(&self, online: bool) {
        let payload = if online { "online" } else { "offline" };
        let message = mqtt::Message::new_retained(AVAILABILITY_TOPIC, payload, mqtt::QOS_1);
        if let Err(err) = self.client.publish(message) {
            tracing::warn!("cannot publish availability: {err}");
        }
    }
}

fn connect_options(settings: &MqttSettings) -> Result<mqtt::ConnectOptions, String> {
    let mut builder = mqtt::ConnectOptionsBuilder::new();
    builder
        .clean_session(false)
        .keep_alive_interval(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(10))
        .will_message(mqtt::Message::new_retained(AVAILABILITY_TOPIC, "offline", mqtt::QOS_1));
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
