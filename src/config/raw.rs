//! The configuration file as written by the user, before validation.
//!
//! Owns only the serde shape of the YAML file: every key optional, names as
//! the previous service spelled them where it had the setting. It sees the file
//! after `config::previous` has renamed the previous service's other keys;
//! unknown keys are skipped here (`config::keys` warns about them). Nothing
//! outside `config` reads these types: the runtime form in `config::runtime` is
//! the only thing the rest of the program sees.

use serde::Deserialize;
use std::path::PathBuf;

/// Top level of the YAML file.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawConfig {
    /// Preset name from `pipelines/` (`auto`, `nvidia`, `cpu`) or a path to a preset file.
    pub pipeline: Option<String>,
    /// Addresses, credentials and the storage folder.
    pub network: RawNetwork,
    /// Consolidated-event timings and behaviour.
    pub settings: RawSettings,
    /// Timeline, crop and detection-sampling tunables.
    pub multi_cam: RawMultiCam,
    /// Detector model and thresholds.
    pub detection: RawDetection,
    /// Cameras to follow, with per-camera label filters.
    pub cameras: Vec<RawCamera>,
    /// Zone filters of events.
    pub event_filters: RawEventFilters,
    /// Outgoing notifications.
    pub notifications: RawNotifications,
    /// Scale-out across hosts.
    pub cluster: RawCluster,
    /// Vision-LLM analysis.
    pub ai: RawAi,
}

/// `cluster.*`
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawCluster {
    /// `run` publishes CE jobs to workers instead of processing them itself.
    pub enabled: Option<bool>,
    /// Root of the cluster's topics.
    pub topic: Option<String>,
    /// Shared-subscription group of the workers.
    pub group: Option<String>,
    /// This worker's id (default: host name and process id).
    pub worker_id: Option<String>,
    /// How long a published job may wait for a worker to take it.
    pub claim_timeout_seconds: Option<f64>,
    /// How long a taken job may run before it is published again.
    pub job_timeout_seconds: Option<f64>,
}

/// `ai.*`
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawAi {
    /// Run the analysis (also needs `base_url`).
    pub enabled: Option<bool>,
    /// OpenAI-compatible endpoint base URL.
    pub base_url: Option<String>,
    /// API key (env `AI_API_KEY`).
    pub api_key: Option<String>,
    /// Model name sent with each request.
    pub model: Option<String>,
    /// Most frames sent per rolling hour.
    pub frames_per_hour_cap: Option<usize>,
    /// Ask for a quick title from a new CE's snapshot.
    pub quick_title_enabled: Option<bool>,
    /// Seconds after the snapshot before the quick title is asked for.
    pub quick_title_delay_seconds: Option<f64>,
}

/// `network.*`
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawNetwork {
    /// Where consolidated events are written (env `STORAGE_PATH`).
    pub storage_path: Option<PathBuf>,
    /// MQTT broker host (env `MQTT_BROKER`).
    pub mqtt_broker: Option<String>,
    /// MQTT broker port (env `MQTT_PORT`).
    pub mqtt_port: Option<u16>,
    /// MQTT user name (env `MQTT_USER`).
    pub mqtt_user: Option<String>,
    /// MQTT password (env `MQTT_PASSWORD`).
    pub mqtt_password: Option<String>,
    /// MQTT client id; stable across restarts so the broker keeps the session.
    pub mqtt_client_id: Option<String>,
    /// Topic prefix of Frigate's messages.
    pub mqtt_topic_prefix: Option<String>,
    /// TLS to the broker.
    pub mqtt_tls: Option<RawTls>,
    /// Frigate base URL (env `FRIGATE_URL`).
    pub frigate_url: Option<String>,
    /// Address the HTTP API binds to (env `API_HOST`).
    pub api_host: Option<String>,
    /// Port of the HTTP API (env `API_PORT`).
    pub api_port: Option<u16>,
    /// Bearer token the HTTP API requires (env `API_TOKEN`).
    pub api_token: Option<String>,
    /// Base URL under which this service's files are reachable, for notification links.
    pub public_url: Option<String>,
}

/// `network.mqtt_tls`
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawTls {
    /// CA certificate file (PEM) to trust.
    pub ca_file: Option<PathBuf>,
    /// Client certificate (PEM), for brokers that require one.
    pub cert_file: Option<PathBuf>,
    /// Client key (PEM).
    pub key_file: Option<PathBuf>,
    /// Skip server certificate verification (testing only).
    pub insecure: Option<bool>,
}

/// `event_filters.*` and `cameras[].event_filters.*`
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawEventFilters {
    /// Zones an event must be in to start a consolidated event.
    pub tracked_zones: Vec<String>,
    /// Labels or sub-labels that qualify without a zone.
    pub exceptions: Vec<String>,
}

/// `notifications.*`
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawNotifications {
    /// Home Assistant notifications over MQTT.
    pub home_assistant: RawHomeAssistant,
    /// Pushover, the optional second notifier.
    pub pushover: super::pushover::RawPushover,
}

/// `notifications.home_assistant.*`
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawHomeAssistant {
    /// Publish notifications.
    pub enabled: Option<bool>,
    /// Topic to publish to.
    pub topic: Option<String>,
}

/// `settings.*`
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawSettings {
    /// Seconds of quiet after which a consolidated event closes.
    pub event_gap_seconds: Option<f64>,
    /// Events shorter than this are discarded.
    pub minimum_event_seconds: Option<f64>,
    /// Events this long or longer cancel their consolidated event.
    pub max_event_length_seconds: Option<f64>,
    /// Days before a consolidated event's folder is deleted.
    pub retention_days: Option<f64>,
    /// `external_api` (our own analysis) or `frigate` (Frigate's GenAI review metadata).
    pub ai_mode: Option<String>,
    /// Seconds of clip kept before the first event of a consolidated event.
    pub export_buffer_before: Option<f64>,
    /// Seconds of clip kept after the last event of a consolidated event.
    pub export_buffer_after: Option<f64>,
    /// Seconds a Frigate export may run before the clip is fetched another way.
    pub export_timeout_seconds: Option<f64>,
    /// Seconds one camera's clip may take over every source and try together.
    pub clip_fetch_timeout_seconds: Option<f64>,
    /// Largest clip in MiB; a longer download is cut and fails.
    pub max_clip_mb: Option<f64>,
    /// Seconds without a byte from Frigate after which a request fails.
    pub fetch_stall_seconds: Option<f64>,
    /// Clips downloaded at once.
    pub fetch_workers: Option<usize>,
    /// Draw the date/time/camera overlay on the summary video.
    pub timestamp_overlay: Option<bool>,
    /// Least severe log level written (`DEBUG`, `INFO`, `WARNING`, `ERROR`; env `LOG_LEVEL`).
    pub log_level: Option<String>,
    /// Seconds the stats page's figures are reused.
    pub stats_refresh_seconds: Option<u64>,
    /// Local hour (0-23) at which the daily review is written.
    pub daily_report_schedule_hour: Option<u32>,
    /// Days a daily review is kept.
    pub daily_report_retention_days: Option<u32>,
    /// The daily review's prompt file.
    pub report_prompt_file: Option<PathBuf>,
    /// A person the household knows, named in the daily review's prompt.
    pub report_known_person_name: Option<String>,
}

/// `multi_cam.*`
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawMultiCam {
    /// Run the detector on every n-th decoded frame.
    pub detection_frame_interval: Option<u32>,
    /// EMA weight of the newest person area in the camera timeline.
    pub camera_timeline_ema_alpha: Option<f64>,
    /// Factor by which a camera must beat the current one to take over.
    pub camera_switch_hysteresis_margin: Option<f64>,
    /// Multiplier on the primary camera's score.
    pub camera_timeline_primary_bias_multiplier: Option<f64>,
    /// Shortest run of timeline samples a camera may be shown for.
    pub camera_switch_min_segment_frames: Option<usize>,
    /// AI frame crop width in pixels.
    pub crop_width: Option<u32>,
    /// AI frame crop height in pixels.
    pub crop_height: Option<u32>,
    /// Share of the crop the subject should fill; 0 disables zoom.
    pub tracking_target_frame_percent: Option<f64>,
    /// EMA weight of the zoom smoothing between slices.
    pub compilation_zoom_smooth_ema_alpha: Option<f64>,
    /// Most frames sent to the AI analysis.
    pub max_multi_cam_frames_min: Option<usize>,
    /// Summary video width in pixels.
    pub output_width: Option<u32>,
    /// Summary video height in pixels.
    pub output_height: Option<u32>,
}

/// `detection.*`
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawDetection {
    /// ONNX model file (YOLOv5/v7/v8/v9/v11 layouts).
    pub model: Option<PathBuf>,
    /// Class names file, one per line, in the model's class order.
    pub names: Option<PathBuf>,
    /// Expected sha256 of the model file; checked at load.
    pub model_sha256: Option<String>,
    /// Labels kept in the sidecars.
    pub labels: Option<Vec<String>>,
    /// Minimum detection confidence.
    pub confidence_threshold: Option<f32>,
    /// IoU above which overlapping boxes of a class are merged.
    pub iou_threshold: Option<f32>,
    /// Weight of a new sampled frame in the motion background average.
    pub motion_background_alpha: Option<f64>,
    /// Path of `libonnxruntime.so` (env `ORT_DYLIB_PATH`).
    pub onnxruntime_library: Option<PathBuf>,
}

/// One entry of `cameras:`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawCamera {
    /// Frigate camera name.
    pub name: String,
    /// Labels that start a consolidated event on this camera.
    pub labels: Vec<String>,
    /// This camera's zone filter, in place of the global `event_filters`.
    pub event_filters: Option<RawEventFilters>,
}
