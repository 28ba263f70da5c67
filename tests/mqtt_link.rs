//! The service's MQTT link against a real Mosquitto: a QoS 1 message is
//! acknowledged to the broker only once the service is done with it, so a
//! crash in between gets it delivered again to the persistent session.
//!
//! The crashing consumer is a child process (this test binary run again on
//! an ignored helper test), killed with SIGKILL while it holds a message.

mod common;

use common::mosquitto::Mosquitto;
use frigate_buffer::config::MqttSettings;
use frigate_buffer::mqtt_link::{self, Delivery, Inbound, LinkProfile, MqttLink};
use paho_mqtt as mqtt;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TOPIC: &str = "frigate/events";
const CLIENT_ID: &str = "fb-ack-after-effect";
const HELPER_PORT: &str = "MQTT_LINK_HOLDING_CONSUMER_PORT";

fn settings(port: u16, client_id: &str) -> MqttSettings {
    MqttSettings {
        host: "127.0.0.1".into(),
        port,
        username: None,
        password: None,
        client_id: client_id.into(),
        topic_prefix: "frigate".into(),
        tls: None,
    }
}

fn connected_link(port: u16, client_id: &str) -> MqttLink {
    let profile = LinkProfile::service(&settings(port, client_id), vec![TOPIC.to_string()]);
    let link = mqtt_link::open(&settings(port, client_id), profile).unwrap();
    link.connect(&settings(port, client_id), &|| false).unwrap();
    link
}

/// The next message delivered within `timeout`, skipping connection notices.
fn next_delivery(link: &MqttLink, timeout: Duration) -> Option<Delivery> {
    let deadline = Instant::now() + timeout;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match link.inbox.recv_timeout(left) {
            Ok(Inbound::Message(delivery)) => return Some(delivery),
            Ok(Inbound::ConnectionLost) => {}
            Err(_) => return None,
        }
    }
    None
}

fn publisher(broker: &Mosquitto) -> mqtt::Client {
    let client = mqtt::Client::new(format!("tcp://127.0.0.1:{}", broker.port)).unwrap();
    client.connect(None).unwrap();
    client
}

fn publish(client: &mqtt::Client, payload: &str) {
    client.publish(mqtt::Message::new(TOPIC, payload, mqtt::QOS_1)).unwrap();
}

/// The consumer that crashes: prints each payload as it arrives, releases
/// the ones starting with `released` and holds the others for ever.
#[test]
#[ignore = "helper process of the test below"]
fn holding_consumer() {
    let Ok(port) = std::env::var(HELPER_PORT) else {
        return;
    };
    let link = connected_link(port.parse().unwrap(), CLIENT_ID);
    let mut held = Vec::new();
    loop {
        if let Ok(Inbound::Message(delivery)) = link.inbox.recv() {
            let payload = delivery.message.payload_str().into_owned();
            if !payload.starts_with("released") {
                held.push(delivery);
            }
            println!("got {payload}");
            std::io::stdout().flush().unwrap();
        }
    }
}

#[test]
fn a_message_held_at_a_crash_is_delivered_again_and_a_released_one_is_not() {
    let broker = Mosquitto::start();
    let frigate = publisher(&broker);
    let mut consumer = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "holding_consumer", "--ignored", "--nocapture"])
        .env(HELPER_PORT, broker.port.to_string())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let (lines_tx, lines) = crossbeam_channel::unbounded();
    let stdout = consumer.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let got = |payload: &str| {
        let deadline = Instant::now() + Duration::from_secs(10);
        while let Ok(line) = lines.recv_deadline(deadline) {
            if line == format!("got {payload}") {
                return true;
            }
        }
        false
    };
    // The subscription is made once connected; publish until one arrives.
    let mut probes = 0;
    loop {
        probes += 1;
        publish(&frigate, &format!("released probe {probes}"));
        if got(&format!("released probe {probes}")) {
            break;
        }
        assert!(probes < 5, "the consumer never subscribed");
    }
    publish(&frigate, "released");
    assert!(got("released"));
    publish(&frigate, "held");
    assert!(got("held"));
    std::thread::sleep(Duration::from_millis(500));
    consumer.kill().unwrap();
    consumer.wait().unwrap();

    // The restarted consumer resumes the persistent session.
    let restarted = connected_link(broker.port, CLIENT_ID);
    let again = next_delivery(&restarted, Duration::from_secs(10)).expect("the held message is delivered again");
    assert_eq!(again.message.payload_str(), "held");
    drop(again);
    if let Some(extra) = next_delivery(&restarted, Duration::from_secs(2)) {
        panic!(
            "only the held message comes again, not {:?}",
            extra.message.payload_str()
        );
    }
    restarted.close();
}

/// What arrives on `link`'s inbox within `window`, a receiver waiting all along (a persistent
/// session's inbox only takes a notice while one waits).
fn notices_within(link: &MqttLink, window: Duration) -> std::thread::JoinHandle<Vec<&'static str>> {
    let inbox = link.inbox.clone();
    std::thread::spawn(move || {
        let deadline = Instant::now() + window;
        let mut seen = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match inbox.recv_timeout(left) {
                Ok(Inbound::ConnectionLost) => seen.push("connection lost"),
                Ok(Inbound::Message(_)) => seen.push("message"),
                Err(_) => break,
            }
        }
        seen
    })
}

#[test]
fn closing_the_link_is_not_reported_as_a_lost_connection() {
    let broker = Mosquitto::start();
    let link = connected_link(broker.port, "fb-closing");
    // The client announces the end of the stream while it disconnects; before the link knew it
    // was closing, that reached the consumer as a lost connection (a warning at every shutdown).
    let watching = notices_within(&link, Duration::from_secs(5));
    link.close();
    assert_eq!(
        watching.join().unwrap(),
        Vec::<&str>::new(),
        "a deliberate close is no loss"
    );
}
