//! Running the real service against the test broker and Frigate-API server:
//! the process, its configuration, a client that publishes Frigate messages
//! and collects notifications, and Frigate's event payloads.

use super::frigate_api::{ffmpeg_test_jpeg, FrigateApi, Setup};
use super::mosquitto::Mosquitto;
use super::sample_ce;
use paho_mqtt as mqtt;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A running `frigate-buffer run` (or `worker`), killed on drop.
pub struct Service {
    /// The process.
    pub child: Child,
}

impl Service {
    /// `frigate-buffer run --config <config>`.
    pub fn start(config: &Path) -> Self {
        Self::spawn("run", config, Stdio::inherit())
    }

    /// `frigate-buffer run --config <config>`, its log written to `log`.
    pub fn start_logged(config: &Path, log: &Path) -> Self {
        Self::spawn("run", config, std::fs::File::create(log).unwrap().into())
    }

    /// `frigate-buffer worker --config <config>`.
    pub fn worker(config: &Path) -> Self {
        Self::spawn("worker", config, Stdio::inherit())
    }

    fn spawn(command: &str, config: &Path, log: Stdio) -> Self {
        let child = Command::new(env!("CARGO_BIN_EXE_frigate-buffer"))
            .args([command, "--config", config.to_str().unwrap()])
            .env("FRIGATE_BUFFER_LOG", "info")
            .env_remove("NO_COLOR")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        Self { child }
    }

    pub fn sigkill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    pub fn sigterm(mut self) -> std::process::ExitStatus {
        Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        self.child.wait().unwrap()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// Writes the service's configuration into `dir`, with `extra_settings` (indented YAML lines) added
/// under `settings:`.
fn write_config(
    dir: &Path,
    broker: &Mosquitto,
    frigate: &FrigateApi,
    client_id: &str,
    extra_settings: &str,
) -> PathBuf {
    let config = dir.join("config.yaml");
    let text = format!(
        "pipeline: cpu\nnetwork:\n  mqtt_broker: 127.0.0.1\n  mqtt_port: {}\n  mqtt_client_id: {client_id}\n  frigate_url: {}\n  storage_path: {}\n  api_port: 0\nsettings:\n  event_gap_seconds: 3\n  minimum_event_seconds: 1\n  max_event_length_seconds: 60\n  export_buffer_before: 0\n  export_buffer_after: 0\n{extra_settings}",
        broker.port,
        frigate.base_url(),
        dir.join("storage").display()
    );
    std::fs::write(&config, text).unwrap();
    config
}

/// Where the service announces `online` (retained) after subscribing to Frigate's topics.
pub const SERVICE_AVAILABILITY: &str = "frigate_buffer/available";

/// Watches availability topics for live `online` announcements. The service and the workers
/// subscribe before they announce, so an announcement means their subscriptions are in place:
/// what is published after it reaches them, however slowly the machine started them.
pub struct OnlineWatch {
    _client: mqtt::Client,
    messages: mqtt::SyncReceiver<Option<mqtt::Message>>,
}

impl OnlineWatch {
    /// Subscribes to `filter` now, so that announcements made from here on are seen.
    pub fn new(broker: &Mosquitto, filter: &str) -> Self {
        static WATCHES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = WATCHES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let client = mqtt::Client::new(
            mqtt::CreateOptionsBuilder::new()
                .server_uri(format!("tcp://127.0.0.1:{}", broker.port))
                .client_id(format!("online-watch-{}-{n}", std::process::id()))
                .finalize(),
        )
        .unwrap();
        let messages = client.start_consuming();
        client.connect(None).unwrap();
        client.subscribe(filter, 1).unwrap();
        Self {
            _client: client,
            messages,
        }
    }

    /// Waits until each of `topics` has carried a live (not retained) `online`.
    pub fn wait_for(&self, topics: &[&str], timeout: Duration) {
        let deadline = Instant::now() + timeout;
        let mut waiting: Vec<&str> = topics.to_vec();
        while !waiting.is_empty() {
            assert!(
                Instant::now() < deadline,
                "no 'online' within {timeout:?} on {waiting:?}"
            );
            if let Ok(Some(message)) = self.messages.recv_timeout(Duration::from_millis(200)) {
                if !message.retained() && message.payload() == b"online" {
                    waiting.retain(|topic| *topic != message.topic());
                }
            }
        }
    }
}

/// A client publishing Frigate messages and collecting notifications.
pub struct Observer {
    /// The connection.
    pub client: mqtt::Client,
    /// Notifications received, in order.
    pub notifications: mqtt::SyncReceiver<Option<mqtt::Message>>,
}

impl Observer {
    pub fn connect(broker: &Mosquitto, id: &str) -> Self {
        let client = mqtt::Client::new(
            mqtt::CreateOptionsBuilder::new()
                .server_uri(format!("tcp://127.0.0.1:{}", broker.port))
                .client_id(id)
                .finalize(),
        )
        .unwrap();
        let notifications = client.start_consuming();
        let options = mqtt::ConnectOptionsBuilder::new().clean_session(false).finalize();
        client.connect(options).unwrap();
        client.subscribe("frigate/custom/notifications", 1).unwrap();
        Self { client, notifications }
    }

    pub fn publish(&self, topic: &str, payload: &Value) {
        let message = mqtt::Message::new(topic, serde_json::to_vec(payload).unwrap(), 1);
        self.client.publish(message).unwrap();
    }

    pub fn publish_raw(&self, topic: &str, payload: &[u8]) {
        self.client.publish(mqtt::Message::new(topic, payload, 1)).unwrap();
    }

    /// Collects notifications until one with `status` arrives (or the timeout).
    pub fn until_status(&self, status: &str, timeout: Duration) -> Vec<Value> {
        let deadline = Instant::now() + timeout;
        let mut seen = Vec::new();
        while Instant::now() < deadline {
            if let Ok(Some(message)) = self.notifications.recv_timeout(Duration::from_millis(200)) {
                let value: Value = serde_json::from_slice(message.payload()).unwrap();
                let done = value["status"] == status;
                seen.push(value);
                if done {
                    return seen;
                }
            }
        }
        panic!("no '{status}' notification within {timeout:?}; saw {seen:?}");
    }
}

pub fn frigate_event(kind: &str, id: &str, camera: &str, start: f64, end: Option<f64>) -> Value {
    json!({
        "type": kind,
        "before": null,
        "after": {
            "id": id, "camera": camera, "label": "person", "sub_label": null,
            "score": 0.8, "top_score": 0.85, "start_time": start, "end_time": end,
            "has_clip": true, "has_snapshot": true, "current_zones": [], "entered_zones": [],
            "box": [100, 100, 300, 500], "area": 80000, "region": [0, 0, 640, 640],
            "snapshot": {"frame_time": start + 1.0, "box": [100, 100, 300, 500], "area": 80000,
                         "region": [0, 0, 640, 640], "score": 0.85, "attributes": []},
            "false_positive": false, "stationary": false, "active": true
        }
    })
}

pub fn ce_folders(storage: &Path) -> Vec<PathBuf> {
    let mut folders: Vec<PathBuf> = std::fs::read_dir(storage.join("events"))
        .map(|dir| dir.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    folders.sort();
    folders
}

/// The CE folders whose journal says `finished`.
pub fn finished_ce_folders(storage: &Path) -> Vec<PathBuf> {
    ce_folders(storage)
        .into_iter()
        .filter(|folder| {
            std::fs::read_to_string(folder.join("journal.jsonl"))
                .is_ok_and(|journal| journal.contains("\"step\":\"finished\""))
        })
        .collect()
}

/// Waits until at least `count` CE folders say `finished` (the journal's last step, written
/// after the `clip_ready` notification is handed on), and returns them; panics after `timeout`.
pub fn wait_for_finished_ce_folders(storage: &Path, count: usize, timeout: Duration) -> Vec<PathBuf> {
    let deadline = Instant::now() + timeout;
    loop {
        let folders = finished_ce_folders(storage);
        if folders.len() >= count {
            return folders;
        }
        assert!(Instant::now() < deadline, "{} of {count} CEs finished", folders.len());
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// Seconds of the sample's clips a Frigate server serves in the service tests: enough for
/// people in both cameras and a summary of several slices, a third of the CPU work of
/// the whole 30-s clips on a 2-core machine.
pub const SERVED_CLIP_SECONDS: u32 = 10;

/// The sample's front door and driveway clips cut to their first [`SERVED_CLIP_SECONDS`]
/// (stream copy, made once per build), by camera, as a Frigate server serves them.
pub fn sample_clips() -> HashMap<String, PathBuf> {
    static CLIPS: OnceLock<HashMap<String, PathBuf>> = OnceLock::new();
    CLIPS
        .get_or_init(|| {
            let whole = whole_sample_clips();
            let folder = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("sample-{SERVED_CLIP_SECONDS}s"));
            std::fs::create_dir_all(&folder).unwrap();
            ["front_door", "driveway"]
                .into_iter()
                .map(|camera| {
                    let cut = folder.join(format!("{camera}.mp4"));
                    if !cut.exists() {
                        let partial = folder.join(format!(".{}.{camera}.mp4", std::process::id()));
                        let status = Command::new("ffmpeg")
                            .args(["-v", "error", "-y", "-i"])
                            .arg(&whole[camera])
                            .args(["-t", &SERVED_CLIP_SECONDS.to_string(), "-c", "copy"])
                            .args(["-movflags", "+faststart", "-f", "mp4"])
                            .arg(&partial)
                            .status()
                            .expect("running ffmpeg");
                        assert!(status.success(), "ffmpeg failed to cut the {camera} clip");
                        std::fs::rename(&partial, &cut).unwrap();
                    }
                    (camera.to_string(), cut)
                })
                .collect()
        })
        .clone()
}

/// The sample's whole 30-s front door and driveway clips, by camera (the soak's mix).
pub fn whole_sample_clips() -> HashMap<String, PathBuf> {
    let sample = sample_ce();
    ["front_door", "driveway"]
        .into_iter()
        .map(|camera| (camera.to_string(), sample.join(format!("{camera}/{camera}-1.mp4"))))
        .collect()
}

/// A Frigate server (0.17) serving [`sample_clips`], knowing `events` (id, camera), with exports
/// done at the first look.
pub fn frigate_with_sample_clips(events: &[(&str, &str)]) -> FrigateApi {
    frigate_with_clips(sample_clips(), events)
}

/// A Frigate server (0.17) serving `clips` (by camera), knowing `events` (id, camera), with
/// exports done at the first look.
pub fn frigate_with_clips(clips: HashMap<String, PathBuf>, events: &[(&str, &str)]) -> FrigateApi {
    FrigateApi::start(Setup {
        clips,
        events: events
            .iter()
            .map(|(id, camera)| (id.to_string(), camera.to_string()))
            .collect(),
        jpeg: Some(ffmpeg_test_jpeg()),
        export_looks_until_done: 1,
        ..Setup::default()
    })
}

/// Everything a service under test talks to: a broker, a Frigate server, a
/// storage folder and the configuration naming them, and an observer.
pub struct Rig {
    /// The broker.
    pub broker: Mosquitto,
    /// The Frigate server.
    pub frigate: FrigateApi,
    /// Holds the configuration and `storage/`.
    pub dir: tempfile::TempDir,
    /// The configuration file.
    pub config: PathBuf,
    /// Publishes Frigate messages and collects notifications.
    pub observer: Observer,
}

impl Rig {
    /// A rig named `name` (client ids `fb-<name>`, `observer-<name>`) around `frigate`, with
    /// `extra_settings` (indented YAML lines) under `settings:`.
    pub fn start(name: &str, frigate: FrigateApi, extra_settings: &str) -> Rig {
        let broker = Mosquitto::start();
        let dir = tempfile::tempdir().unwrap();
        let config = write_config(dir.path(), &broker, &frigate, &format!("fb-{name}"), extra_settings);
        let observer = Observer::connect(&broker, &format!("observer-{name}"));
        Rig {
            broker,
            frigate,
            dir,
            config,
            observer,
        }
    }

    /// Starts the service and waits until it has subscribed (it announces `online` right after).
    pub fn start_service(&self) -> Service {
        let online = OnlineWatch::new(&self.broker, SERVICE_AVAILABILITY);
        let service = Service::start(&self.config);
        online.wait_for(&[SERVICE_AVAILABILITY], Duration::from_secs(120));
        service
    }

    /// Starts the service with its log written to `log`, and waits until it has subscribed.
    pub fn start_logged_service(&self, log: &Path) -> Service {
        let online = OnlineWatch::new(&self.broker, SERVICE_AVAILABILITY);
        let service = Service::start_logged(&self.config, log);
        online.wait_for(&[SERVICE_AVAILABILITY], Duration::from_secs(120));
        service
    }

    /// The service's storage folder.
    pub fn storage(&self) -> PathBuf {
        self.dir.path().join("storage")
    }

    /// Publishes one incident on `cameras`: a person for 2 s, ended 0.5 s ago, event ids
    /// `<start>-<tag><n>`.
    pub fn publish_incident(&self, tag: &str, cameras: &[&str]) {
        let start = now() - 2.5;
        for (n, camera) in cameras.iter().enumerate() {
            let id = format!("{:.6}-{tag}{n}", start + n as f64 * 0.1);
            self.observer
                .publish("frigate/events", &frigate_event("new", &id, camera, start, None));
            self.observer.publish(
                "frigate/events",
                &frigate_event("end", &id, camera, start, Some(start + 2.0)),
            );
        }
    }
}
