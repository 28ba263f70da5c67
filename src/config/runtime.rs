//! The validated runtime configuration: what every other module reads.
//!
//! Owns the one place where the raw YAML, the environment overrides and the
//! defaults become checked values. Nothing downstream re-reads a raw key.

use super::raw::{RawConfig, RawEventFilters};
use super::{ClusterSettings, ConfigError, ConfigWarning, Environment, PipelinePreset, ReportSettings};
use crate::ce::lifecycle::ZoneFilter;
use crate::frigate::http::FetchSettings;
use crate::frigate::CameraName;
use crate::shipped_files;
use crate::timeline::PlanParams;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Detector model and thresholds.
#[derive(Debug, Clone)]
pub struct DetectorConfig {
    /// ONNX model file.
    pub model_path: PathBuf,
    /// Class names file in the model's class order.
    pub names_path: PathBuf,
    /// sha256 the model must have; `None` skips the check (user models).
    pub model_sha256: Option<String>,
    /// Labels written to the sidecars.
    pub labels: Vec<String>,
    /// Minimum confidence of a kept detection.
    pub confidence_threshold: f32,
    /// IoU of class-aware NMS.
    pub iou_threshold: f32,
    /// Weight of a new sampled frame in the motion background average, in (0, 1].
    pub motion_background_alpha: f64,
    /// Detect every n-th decoded frame.
    pub frame_interval: u32,
    /// Explicit ONNX Runtime library, if configured.
    pub onnxruntime_library: Option<PathBuf>,
}

/// Summary video format.
#[derive(Debug, Clone, Copy)]
pub struct SummaryConfig {
    /// Output width in pixels (even).
    pub width: u32,
    /// Output height in pixels (even).
    pub height: u32,
    /// Output frame rate.
    pub fps: u32,
    /// Draw the timestamp/camera overlay.
    pub timestamp_overlay: bool,
}

/// Consolidated-event windowing.
#[derive(Debug, Clone, Copy)]
pub struct CeTimings {
    /// Seconds of quiet that close a consolidated event.
    pub event_gap_seconds: f64,
    /// Events shorter than this are discarded.
    pub minimum_event_seconds: f64,
    /// Events this long or longer cancel their consolidated event.
    pub max_event_length_seconds: f64,
    /// Seconds of clip before the first event.
    pub export_buffer_before: f64,
    /// Seconds of clip after the last event.
    pub export_buffer_after: f64,
}

/// TLS settings of the MQTT connection.
#[derive(Debug, Clone)]
pub struct MqttTls {
    /// CA certificate file to trust (system store when `None`).
    pub ca_file: Option<PathBuf>,
    /// Client certificate.
    pub cert_file: Option<PathBuf>,
    /// Client key.
    pub key_file: Option<PathBuf>,
    /// Skip server certificate verification.
    pub insecure: bool,
}

/// The MQTT connection.
#[derive(Clone)]
pub struct MqttSettings {
    /// Broker host.
    pub host: String,
    /// Broker port.
    pub port: u16,
    /// User name.
    pub username: Option<String>,
    /// Password (never logged).
    pub password: Option<String>,
    /// Stable client id, so the broker keeps the persistent session.
    pub client_id: String,
    /// Frigate's topic prefix.
    pub topic_prefix: String,
    /// TLS, when configured.
    pub tls: Option<MqttTls>,
}

impl std::fmt::Debug for MqttSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MqttSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("client_id", &self.client_id)
            .field("topic_prefix", &self.topic_prefix)
            .field("tls", &self.tls)
            .finish()
    }
}

/// The HTTP API.
#[derive(Clone)]
pub struct ApiSettings {
    /// Address to bind (localhost unless configured).
    pub host: String,
    /// Port to bind.
    pub port: u16,
    /// Bearer token required on every route but `/healthz` (never logged).
    pub token: Option<String>,
}

impl std::fmt::Debug for ApiSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// The vision-LLM analysis, when configured.
#[derive(Clone)]
pub struct AiConfig {
    /// OpenAI-compatible endpoint base URL.
    pub base_url: String,
    /// API key (never logged).
    pub api_key: Option<String>,
    /// Model name.
    pub model: String,
    /// Most frames sent per rolling hour.
    pub frames_per_hour_cap: usize,
    /// When set, the wait after a new CE's snapshot before a quick title is asked of the
    /// endpoint (`ai.quick_title_enabled`, `ai.quick_title_delay_seconds`).
    pub quick_title_delay: Option<Duration>,
}

impl std::fmt::Debug for AiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AiConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("model", &self.model)
            .field("frames_per_hour_cap", &self.frames_per_hour_cap)
            .field("quick_title_delay", &self.quick_title_delay)
            .finish()
    }
}

/// A camera to follow.
#[derive(Debug, Clone)]
pub struct CameraSettings {
    /// Frigate camera name.
    pub name: CameraName,
    /// Labels that start a consolidated event (empty: any).
    pub labels: Vec<String>,
    /// This camera's own zone filter (`cameras[].event_filters`); `None`: the global one.
    pub event_filters: Option<ZoneFilter>,
}

/// Home Assistant notifications.
#[derive(Debug, Clone)]
pub struct NotificationSettings {
    /// Publish notifications.
    pub enabled: bool,
    /// Topic to publish to.
    pub topic: String,
    /// Base URL for links in notifications (empty: relative paths).
    pub public_url: String,
    /// Pushover, when enabled.
    pub pushover: Option<super::pushover::PushoverSettings>,
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// File the configuration came from (for messages), or `<defaults>`.
    pub source: PathBuf,
    /// Backend choice, batch sizes and channel capacities.
    pub pipeline: PipelinePreset,
    /// Root of `events/` and `saved/`.
    pub storage_path: PathBuf,
    /// Detector settings.
    pub detector: DetectorConfig,
    /// Summary video settings.
    pub summary: SummaryConfig,
    /// Timeline and crop tunables.
    pub plan: PlanParams,
    /// Consolidated-event windowing.
    pub ce: CeTimings,
    /// Cameras to follow (empty: every camera).
    pub cameras: Vec<CameraSettings>,
    /// Zone filter of cameras without their own (`event_filters`).
    pub event_filters: ZoneFilter,
    /// The MQTT connection.
    pub mqtt: MqttSettings,
    /// Frigate's base URL.
    pub frigate_url: String,
    /// How clips are fetched from Frigate.
    pub fetch: FetchSettings,
    /// Home Assistant notifications.
    pub notifications: NotificationSettings,
    /// Days before a CE folder is deleted.
    pub retention_days: f64,
    /// The HTTP API.
    pub api: ApiSettings,
    /// Our own AI analysis: `Some` when enabled with an endpoint and `settings.ai_mode` is `external_api`.
    pub ai: Option<AiConfig>,
    /// `settings.ai_mode: frigate`: Frigate's GenAI review summaries are the CEs' analysis.
    pub frigate_genai: bool,
    /// The stats page's refresh and the daily review (written only when `ai` is `Some`).
    pub reports: ReportSettings,
    /// Scale-out across hosts.
    pub cluster: ClusterSettings,
    /// `settings.log_level` as a log filter directive (`debug`, `info`, `warn`, `error`), if set.
    pub log_level: Option<String>,
    /// What loading found worth telling the user: unsupported, unknown and shadowed keys.
    pub warnings: Vec<ConfigWarning>,
}

impl From<RawEventFilters> for ZoneFilter {
    fn from(raw: RawEventFilters) -> Self {
        ZoneFilter {
            tracked_zones: raw.tracked_zones,
            exceptions: raw.exceptions,
        }
    }
}

/// The log filter directive of a `settings.log_level` value (the previous service's names, any case).
fn log_directive(level: &str) -> Option<&'static str> {
    match level.trim().to_ascii_lowercase().as_str() {
        "trace" => Some("trace"),
        "debug" => Some("debug"),
        "info" => Some("info"),
        "warning" | "warn" => Some("warn"),
        "error" => Some("error"),
        _ => None,
    }
}

impl Config {
    /// The configuration used when no file is given: every default, plus the
    /// environment overrides.
    pub fn defaults() -> Result<Self, ConfigError> {
        Self::from_yaml_in("", Path::new("<defaults>"), &Environment::of_process())
    }

    /// Loads and validates a YAML configuration file, with the process's environment.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        Self::load_in(path, &Environment::of_process())
    }

    /// Loads and validates a YAML configuration file, with the environment `env`.
    pub fn load_in(path: &Path, env: &Environment) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Unreadable {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_yaml_in(&text, path, env)
    }

    /// Validates YAML configuration `text` with the process's environment; `source` names it
    /// in errors and anchors its relative paths.
    pub fn from_yaml(text: &str, source: &Path) -> Result<Self, ConfigError> {
        Self::from_yaml_in(text, source, &Environment::of_process())
    }

    /// Validates YAML configuration `text` with the environment `env`.
    pub fn from_yaml_in(text: &str, source: &Path, env: &Environment) -> Result<Self, ConfigError> {
        let mut warnings = Vec::new();
        let (raw, origins) = super::parse_yaml(text, source, env, &mut warnings)?;
        // A value an environment variable set is named by the variable, not the file.
        let mut config = Self::from_raw(raw, source, env).map_err(|err| match err {
            ConfigError::InvalidKey { key, message, .. } if origins.contains_key(&key) => ConfigError::InvalidKey {
                path: origins[&key].into(),
                key,
                message,
            },
            other => other,
        })?;
        config.warnings = warnings;
        Ok(config)
    }

    /// Writes each warning as one log line, prefixed with the file: the start-up report of
    /// `run`, `worker` and `check-config`.
    pub fn log_warnings(&self) {
        for warning in &self.warnings {
            tracing::warn!("{}: {warning}", self.source.display());
        }
    }

    fn from_raw(raw: RawConfig, source: &Path, env: &Environment) -> Result<Self, ConfigError> {
        let env_override = |name: &str| env.owned(name);
        let base_dir = source.parent().filter(|dir| !dir.as_os_str().is_empty());
        let relative_to_file = |path: PathBuf| match base_dir {
            Some(dir) if path.is_relative() && source.exists() => dir.join(path),
            _ => path,
        };
        let invalid = |key: &str, message: String| ConfigError::invalid(source, key, message);

        let RawConfig {
            pipeline,
            mut network,
            settings,
            multi_cam,
            detection,
            cameras,
            event_filters,
            notifications,
            cluster,
            ai,
        } = raw;
        let cluster = ClusterSettings::from_raw(cluster, source)?;
        let selector = pipeline.unwrap_or_else(|| "auto".into());
        let selector = if PipelinePreset::is_shipped(&selector) {
            selector
        } else {
            relative_to_file(PathBuf::from(selector)).display().to_string()
        };
        let pipeline = PipelinePreset::resolve(&selector, source)?;

        let storage_path = env_override("STORAGE_PATH")
            .map(PathBuf::from)
            .or(network.storage_path.take().map(relative_to_file))
            .unwrap_or_else(|| PathBuf::from("storage"));

        let user_model = detection.model.map(relative_to_file);
        let model_sha256 = match (&user_model, detection.model_sha256) {
            (_, Some(sha)) => Some(sha.to_ascii_lowercase()),
            (None, None) => Some(shipped_files::DEFAULT_MODEL_SHA256.to_string()),
            (Some(_), None) => None,
        };
        if let Some(model) = &user_model {
            if !model.is_file() {
                return Err(invalid(
                    "detection.model",
                    format!("{}: no such model file", model.display()),
                ));
            }
        }
        let model_path = user_model.unwrap_or_else(|| {
            shipped_files::locate(shipped_files::DEFAULT_MODEL).unwrap_or_else(|| shipped_files::DEFAULT_MODEL.into())
        });
        let names_path = detection.names.map(relative_to_file).unwrap_or_else(|| {
            shipped_files::locate(shipped_files::DEFAULT_NAMES).unwrap_or_else(|| shipped_files::DEFAULT_NAMES.into())
        });
        let confidence_threshold = detection.confidence_threshold.unwrap_or(0.25);
        if !(0.0..=1.0).contains(&confidence_threshold) {
            return Err(invalid(
                "detection.confidence_threshold",
                format!("must be within 0..1, got {confidence_threshold}"),
            ));
        }
        let iou_threshold = detection.iou_threshold.unwrap_or(0.45);
        if !(0.0..=1.0).contains(&iou_threshold) {
            return Err(invalid(
                "detection.iou_threshold",
                format!("must be within 0..1, got {iou_threshold}"),
            ));
        }
        let motion_background_alpha = detection
            .motion_background_alpha
            .unwrap_or(crate::motion::background::DEFAULT_BACKGROUND_ALPHA);
        if !(motion_background_alpha > 0.0 && motion_background_alpha <= 1.0) {
            return Err(invalid(
                "detection.motion_background_alpha",
                format!("must be above 0 and at most 1, got {motion_background_alpha}"),
            ));
        }
        let labels = detection.labels.unwrap_or_else(|| vec!["person".to_string()]);
        if labels.is_empty() {
            return Err(invalid("detection.labels", "must name at least one label".into()));
        }

        let frame_interval = multi_cam.detection_frame_interval.unwrap_or(5);
        if frame_interval == 0 {
            return Err(invalid(
                "multi_cam.detection_frame_interval",
                "must be at least 1".into(),
            ));
        }
        // The timeline follows the first configured label (the subject; `person` by default).
        let mut plan = PlanParams {
            label: labels[0].clone(),
            ..PlanParams::default()
        };
        let unit_interval = |key: &str, value: Option<f64>, target: &mut f64| -> Result<(), ConfigError> {
            if let Some(value) = value {
                if !(value > 0.0 && value <= 1.0) {
                    return Err(invalid(key, format!("must be within (0, 1], got {value}")));
                }
                *target = value;
            }
            Ok(())
        };
        unit_interval(
            "multi_cam.camera_timeline_ema_alpha",
            multi_cam.camera_timeline_ema_alpha,
            &mut plan.camera_ema_alpha,
        )?;
        unit_interval(
            "multi_cam.compilation_zoom_smooth_ema_alpha",
            multi_cam.compilation_zoom_smooth_ema_alpha,
            &mut plan.zoom_smoothing_alpha,
        )?;
        if let Some(margin) = multi_cam.camera_switch_hysteresis_margin {
            if margin < 1.0 {
                return Err(invalid(
                    "multi_cam.camera_switch_hysteresis_margin",
                    format!("must be at least 1.0, got {margin}"),
                ));
            }
            plan.switch_hysteresis = margin;
        }
        if let Some(percent) = multi_cam.tracking_target_frame_percent {
            if !(0.0..=100.0).contains(&percent) {
                return Err(invalid(
                    "multi_cam.tracking_target_frame_percent",
                    format!("must be within 0..100, got {percent}"),
                ));
            }
            plan.tracking_target_frame_percent = percent;
        }
        if let Some(max_frames) = multi_cam.max_multi_cam_frames_min {
            plan.ai_max_frames = max_frames;
        }
        if let Some(bias) = multi_cam.camera_timeline_primary_bias_multiplier {
            if !(bias.is_finite() && bias > 0.0) {
                return Err(invalid(
                    "multi_cam.camera_timeline_primary_bias_multiplier",
                    format!("must be more than 0, got {bias}"),
                ));
            }
            plan.primary_bonus = bias;
        }
        if let Some(samples) = multi_cam.camera_switch_min_segment_frames {
            if samples == 0 {
                return Err(invalid(
                    "multi_cam.camera_switch_min_segment_frames",
                    "must be at least 1".into(),
                ));
            }
            plan.min_run_samples = samples;
        }
        let even_size = |key: &str, value: Option<u32>, default: u32| -> Result<u32, ConfigError> {
            let value = value.unwrap_or(default);
            if value < 16 || !value.is_multiple_of(2) {
                return Err(invalid(
                    key,
                    format!("must be an even number of pixels >= 16, got {value}"),
                ));
            }
            Ok(value)
        };
        let width = even_size("multi_cam.output_width", multi_cam.output_width, 1440)?;
        let height = even_size("multi_cam.output_height", multi_cam.output_height, 1080)?;
        plan.output_size = (width, height);
        plan.ai_crop_size = (
            even_size("multi_cam.crop_width", multi_cam.crop_width, plan.ai_crop_size.0)?,
            even_size("multi_cam.crop_height", multi_cam.crop_height, plan.ai_crop_size.1)?,
        );
        plan.validate().map_err(|err| invalid("multi_cam", err.to_string()))?;

        let non_negative = |key: &str, value: Option<f64>, default: f64| -> Result<f64, ConfigError> {
            let value = value.unwrap_or(default);
            if !(value >= 0.0 && value.is_finite()) {
                return Err(invalid(
                    key,
                    format!("must be a non-negative number of seconds, got {value}"),
                ));
            }
            Ok(value)
        };
        let ce = CeTimings {
            event_gap_seconds: non_negative("settings.event_gap_seconds", settings.event_gap_seconds, 120.0)?,
            minimum_event_seconds: non_negative("settings.minimum_event_seconds", settings.minimum_event_seconds, 5.0)?,
            max_event_length_seconds: non_negative(
                "settings.max_event_length_seconds",
                settings.max_event_length_seconds,
                120.0,
            )?,
            export_buffer_before: non_negative("settings.export_buffer_before", settings.export_buffer_before, 5.0)?,
            export_buffer_after: non_negative("settings.export_buffer_after", settings.export_buffer_after, 30.0)?,
        };

        let retention_days = non_negative("settings.retention_days", settings.retention_days, 3.0)?;
        let export_timeout = non_negative(
            "settings.export_timeout_seconds",
            settings.export_timeout_seconds,
            120.0,
        )?;
        let positive = |key: &str, value: f64| -> Result<f64, ConfigError> {
            if value > 0.0 {
                Ok(value)
            } else {
                Err(invalid(key, format!("must be more than 0, got {value}")))
            }
        };
        let clip_deadline = non_negative(
            "settings.clip_fetch_timeout_seconds",
            settings.clip_fetch_timeout_seconds,
            export_timeout + 300.0,
        )
        .and_then(|value| positive("settings.clip_fetch_timeout_seconds", value))?;
        let max_clip_mb = settings.max_clip_mb.unwrap_or(2048.0);
        if !(max_clip_mb.is_finite() && max_clip_mb > 0.0) {
            return Err(invalid(
                "settings.max_clip_mb",
                format!("must be a positive number of MiB, got {max_clip_mb}"),
            ));
        }
        let stall_timeout = non_negative("settings.fetch_stall_seconds", settings.fetch_stall_seconds, 30.0)
            .and_then(|value| positive("settings.fetch_stall_seconds", value))?;
        let fetch_workers = settings.fetch_workers.unwrap_or(3);
        if !(1..=16).contains(&fetch_workers) {
            return Err(invalid(
                "settings.fetch_workers",
                format!("must be within 1..16, got {fetch_workers}"),
            ));
        }
        let fetch = FetchSettings {
            export_timeout: Duration::from_secs_f64(export_timeout),
            clip_deadline: Duration::from_secs_f64(clip_deadline),
            max_clip_bytes: (max_clip_mb * 1024.0 * 1024.0) as u64,
            stall_timeout: Duration::from_secs_f64(stall_timeout),
            workers: fetch_workers,
        };

        let mqtt_port = match env_override("MQTT_PORT") {
            Some(port) => port.parse::<u16>().map_err(|_| {
                ConfigError::invalid("MQTT_PORT", "network.mqtt_port", format!("not a port number: '{port}'"))
            })?,
            None => network.mqtt_port.unwrap_or(1883),
        };
        let mqtt = MqttSettings {
            host: env_override("MQTT_BROKER")
                .or(network.mqtt_broker)
                .unwrap_or_else(|| "localhost".into()),
            port: mqtt_port,
            username: env_override("MQTT_USER").or(network.mqtt_user),
            password: env_override("MQTT_PASSWORD").or(network.mqtt_password),
            client_id: network.mqtt_client_id.unwrap_or_else(|| "frigate-buffer".into()),
            topic_prefix: network.mqtt_topic_prefix.unwrap_or_else(|| "frigate".into()),
            tls: network.mqtt_tls.map(|tls| MqttTls {
                ca_file: tls.ca_file.map(relative_to_file),
                cert_file: tls.cert_file.map(relative_to_file),
                key_file: tls.key_file.map(relative_to_file),
                insecure: tls.insecure.unwrap_or(false),
            }),
        };
        if mqtt.topic_prefix.is_empty() || mqtt.topic_prefix.contains(['+', '#']) {
            return Err(invalid(
                "network.mqtt_topic_prefix",
                format!("'{}' is not a topic prefix", mqtt.topic_prefix),
            ));
        }
        let frigate_url = env_override("FRIGATE_URL")
            .or(network.frigate_url)
            .unwrap_or_else(|| "http://localhost:5000".into());
        if !(frigate_url.starts_with("http://") || frigate_url.starts_with("https://")) {
            return Err(invalid(
                "network.frigate_url",
                format!("'{frigate_url}' is not an http(s) URL"),
            ));
        }
        let cameras = cameras
            .into_iter()
            .enumerate()
            .map(|(index, camera)| {
                let name = CameraName::parse(&camera.name)
                    .map_err(|error| invalid(&format!("cameras[{index}].name"), error.to_string()))?;
                Ok(CameraSettings {
                    name,
                    labels: camera.labels,
                    event_filters: camera.event_filters.map(ZoneFilter::from),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let api_port = match env_override("API_PORT") {
            Some(port) => port.parse::<u16>().map_err(|_| {
                ConfigError::invalid("API_PORT", "network.api_port", format!("not a port number: '{port}'"))
            })?,
            None => network.api_port.unwrap_or(5055),
        };
        let api = ApiSettings {
            host: env_override("API_HOST")
                .or(network.api_host.clone())
                .unwrap_or_else(|| "127.0.0.1".into()),
            port: api_port,
            token: env_override("API_TOKEN")
                .or(network.api_token.clone())
                .filter(|t| !t.is_empty()),
        };
        let ai_mode = settings.ai_mode.clone().unwrap_or_else(|| "external_api".into());
        if ai_mode != "external_api" && ai_mode != "frigate" {
            return Err(invalid(
                "settings.ai_mode",
                format!("must be 'external_api' or 'frigate', got '{ai_mode}'"),
            ));
        }
        let raw_ai = ai;
        let ai_base_url = raw_ai.base_url.filter(|url| !url.is_empty());
        let ai = match (raw_ai.enabled.unwrap_or(ai_base_url.is_some()), ai_base_url) {
            (true, Some(base_url)) if ai_mode == "external_api" => {
                if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
                    return Err(invalid("ai.base_url", format!("'{base_url}' is not an http(s) URL")));
                }
                Some(AiConfig {
                    base_url,
                    api_key: env_override("AI_API_KEY").or(raw_ai.api_key).filter(|k| !k.is_empty()),
                    model: raw_ai.model.unwrap_or_else(|| "gemini-2.5-flash".into()),
                    frames_per_hour_cap: raw_ai.frames_per_hour_cap.unwrap_or(200),
                    quick_title_delay: if raw_ai.quick_title_enabled.unwrap_or(true) {
                        Some(Duration::from_secs_f64(non_negative(
                            "ai.quick_title_delay_seconds",
                            raw_ai.quick_title_delay_seconds,
                            4.0,
                        )?))
                    } else {
                        None
                    },
                })
            }
            (true, None) => {
                return Err(invalid(
                    "ai.base_url",
                    "ai.enabled is true but no endpoint is set".into(),
                ))
            }
            _ => None,
        };
        let reports = ReportSettings::from_raw(&settings, source, relative_to_file)?;
        let log_level = match settings.log_level.as_deref() {
            None => None,
            Some(level) => Some(
                log_directive(level)
                    .ok_or_else(|| {
                        invalid(
                            "settings.log_level",
                            format!("must be DEBUG, INFO, WARNING or ERROR, got '{level}'"),
                        )
                    })?
                    .to_string(),
            ),
        };
        let home_assistant = notifications.home_assistant;
        let pushover = super::pushover::PushoverSettings::from_raw(notifications.pushover, source)?;
        let notifications = NotificationSettings {
            enabled: home_assistant.enabled.unwrap_or(true),
            topic: home_assistant
                .topic
                .unwrap_or_else(|| "frigate/custom/notifications".into()),
            public_url: network.public_url.unwrap_or_default(),
            pushover,
        };

        Ok(Self {
            source: source.to_path_buf(),
            pipeline,
            storage_path,
            detector: DetectorConfig {
                model_path,
                names_path,
                model_sha256,
                labels,
                confidence_threshold,
                iou_threshold,
                motion_background_alpha,
                frame_interval,
                onnxruntime_library: env_override("ORT_DYLIB_PATH")
                    .map(PathBuf::from)
                    .or(detection.onnxruntime_library.map(relative_to_file)),
            },
            summary: SummaryConfig {
                width,
                height,
                fps: 20,
                timestamp_overlay: settings.timestamp_overlay.unwrap_or(true),
            },
            plan,
            ce,
            cameras,
            event_filters: event_filters.into(),
            mqtt,
            frigate_url: frigate_url.trim_end_matches('/').to_string(),
            fetch,
            notifications,
            retention_days,
            api,
            ai,
            frigate_genai: ai_mode == "frigate",
            reports,
            cluster,
            log_level,
            warnings: Vec::new(),
        })
    }
}
