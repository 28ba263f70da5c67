//! The resolved configuration written back in the file's own keys, for
//! `check-config`.
//!
//! Owns the mapping from the runtime [`Config`] back to this product's key
//! paths (defaults filled in, the previous service's keys already moved,
//! environment overrides applied) and the masking of secrets. It only reads
//! the configuration.

use super::Config;
use crate::ce::lifecycle::ZoneFilter;
use serde_json::{json, Value};

/// What a secret that is set is shown as.
pub const MASK: &str = "********";

fn masked(secret: &Option<String>) -> Value {
    match secret {
        Some(_) => Value::String(MASK.into()),
        None => Value::Null,
    }
}

/// An `f32` setting as the decimal it was written as (0.45, not 0.449999988).
fn decimal(value: f32) -> Value {
    value.to_string().parse::<f64>().map_or(Value::Null, Value::from)
}

fn zone_filter(filter: &ZoneFilter) -> Value {
    json!({"tracked_zones": filter.tracked_zones, "exceptions": filter.exceptions})
}

impl Config {
    /// The effective configuration as a tree of this product's keys, passwords, tokens and API
    /// keys replaced by `********`.
    pub fn effective(&self) -> Value {
        let mqtt = &self.mqtt;
        let plan = &self.plan;
        let cameras: Vec<Value> = self
            .cameras
            .iter()
            .map(|camera| {
                let mut entry = json!({"name": camera.name.as_str(), "labels": camera.labels});
                if let Some(filter) = &camera.event_filters {
                    entry["event_filters"] = zone_filter(filter);
                }
                entry
            })
            .collect();
        let ai = match &self.ai {
            Some(ai) => json!({
                "enabled": true,
                "base_url": ai.base_url,
                "api_key": masked(&ai.api_key),
                "model": ai.model,
                "frames_per_hour_cap": ai.frames_per_hour_cap,
                "quick_title_enabled": ai.quick_title_delay.is_some(),
                "quick_title_delay_seconds": ai.quick_title_delay.map(|delay| delay.as_secs_f64()),
            }),
            None => json!({"enabled": false}),
        };
        let pushover = match &self.notifications.pushover {
            Some(pushover) => json!({
                "enabled": true,
                "pushover_user_key": MASK,
                "pushover_api_token": MASK,
                "device": pushover.device,
                "default_sound": pushover.sound,
                "html": u8::from(pushover.html),
                "api_url": pushover.api_url,
            }),
            None => json!({"enabled": false}),
        };
        json!({
            "pipeline": self.pipeline.name,
            "network": {
                "storage_path": self.storage_path,
                "mqtt_broker": mqtt.host,
                "mqtt_port": mqtt.port,
                "mqtt_user": mqtt.username,
                "mqtt_password": masked(&mqtt.password),
                "mqtt_client_id": mqtt.client_id,
                "mqtt_topic_prefix": mqtt.topic_prefix,
                "mqtt_tls": mqtt.tls.as_ref().map(|tls| json!({
                    "ca_file": tls.ca_file,
                    "cert_file": tls.cert_file,
                    "key_file": tls.key_file,
                    "insecure": tls.insecure,
                })),
                "frigate_url": self.frigate_url,
                "api_host": self.api.host,
                "api_port": self.api.port,
                "api_token": masked(&self.api.token),
                "public_url": self.notifications.public_url,
            },
            "settings": {
                "event_gap_seconds": self.ce.event_gap_seconds,
                "minimum_event_seconds": self.ce.minimum_event_seconds,
                "max_event_length_seconds": self.ce.max_event_length_seconds,
                "retention_days": self.retention_days,
                "export_buffer_before": self.ce.export_buffer_before,
                "export_buffer_after": self.ce.export_buffer_after,
                "export_timeout_seconds": self.fetch.export_timeout.as_secs_f64(),
                "clip_fetch_timeout_seconds": self.fetch.clip_deadline.as_secs_f64(),
                "max_clip_mb": self.fetch.max_clip_bytes as f64 / (1024.0 * 1024.0),
                "fetch_stall_seconds": self.fetch.stall_timeout.as_secs_f64(),
                "fetch_workers": self.fetch.workers,
                "timestamp_overlay": self.summary.timestamp_overlay,
                "ai_mode": if self.frigate_genai { "frigate" } else { "external_api" },
                "log_level": self.log_level,
                "stats_refresh_seconds": self.reports.stats_refresh.as_secs(),
                "daily_report_schedule_hour": self.reports.daily_report_hour,
                "daily_report_retention_days": self.reports.daily_report_retention_days,
                "report_prompt_file": self.reports.prompt_file,
                "report_known_person_name": self.reports.known_person_name,
            },
            "multi_cam": {
                "detection_frame_interval": self.detector.frame_interval,
                "camera_timeline_ema_alpha": plan.camera_ema_alpha,
                "camera_timeline_primary_bias_multiplier": plan.primary_bonus,
                "camera_switch_hysteresis_margin": plan.switch_hysteresis,
                "camera_switch_min_segment_frames": plan.min_run_samples,
                "tracking_target_frame_percent": plan.tracking_target_frame_percent,
                "compilation_zoom_smooth_ema_alpha": plan.zoom_smoothing_alpha,
                "max_multi_cam_frames_min": plan.ai_max_frames,
                "crop_width": plan.ai_crop_size.0,
                "crop_height": plan.ai_crop_size.1,
                "output_width": self.summary.width,
                "output_height": self.summary.height,
            },
            "detection": {
                "model": self.detector.model_path,
                "names": self.detector.names_path,
                "model_sha256": self.detector.model_sha256,
                "labels": self.detector.labels,
                "confidence_threshold": decimal(self.detector.confidence_threshold),
                "iou_threshold": decimal(self.detector.iou_threshold),
                "motion_background_alpha": self.detector.motion_background_alpha,
                "onnxruntime_library": self.detector.onnxruntime_library,
            },
            "cameras": cameras,
            "event_filters": zone_filter(&self.event_filters),
            "notifications": {
                "home_assistant": {
                    "enabled": self.notifications.enabled,
                    "topic": self.notifications.topic,
                },
                "pushover": pushover,
            },
            "ai": ai,
            "cluster": {
                "enabled": self.cluster.enabled,
                "topic": self.cluster.topic,
                "group": self.cluster.group,
                "worker_id": self.cluster.worker_id,
                "claim_timeout_seconds": self.cluster.claim_timeout.as_secs_f64(),
                "job_timeout_seconds": self.cluster.job_timeout.as_secs_f64(),
            },
        })
    }

    /// [`Config::effective`] as YAML text.
    pub fn effective_yaml(&self) -> String {
        serde_saphyr::to_string(&self.effective()).unwrap_or_else(|err| format!("# cannot write YAML: {err}\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{keys, Environment};
    use std::path::Path;

    #[test]
    fn every_key_written_is_a_key_of_the_file_and_secrets_are_masked() {
        let env = Environment::from_pairs([("MQTT_PASSWORD", "hunter2")]);
        let text = "pipeline: cpu\nnetwork:\n  api_token: tok-123\nai:\n  base_url: http://ai:8000\n  api_key: sk-999\ncameras:\n  - name: front\n    event_filters:\n      tracked_zones: [Porch]\n";
        let config = Config::from_yaml_in(text, Path::new("c.yaml"), &env).unwrap();
        let tree = config.effective();
        assert_eq!(keys::unknown_keys(&tree, keys::PRODUCT_KEYS), []);
        assert_eq!(tree["network"]["mqtt_password"], MASK);
        assert_eq!(tree["network"]["api_token"], MASK);
        assert_eq!(tree["ai"]["api_key"], MASK);
        assert_eq!(tree["cameras"][0]["event_filters"]["tracked_zones"][0], "Porch");
        let yaml = config.effective_yaml();
        for secret in ["hunter2", "tok-123", "sk-999"] {
            assert!(!yaml.contains(secret), "{yaml}");
        }
        let reread = Config::from_yaml_in(&yaml, Path::new("effective.yaml"), &Environment::default()).unwrap();
        assert!(reread.warnings.is_empty(), "{:?}", reread.warnings);
        assert_eq!(reread.effective()["settings"], tree["settings"]);
    }
}
