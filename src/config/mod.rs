//! Configuration: one YAML file (plus environment overrides) turned, in one
//! place, into the validated [`Config`] the rest of the program uses.
//!
//! - `raw`: the file's serde shape (all keys optional).
//! - `previous`: the previous service's keys and environment variables → this product's keys.
//! - `keys`: this product's key paths; unknown keys and the nearest known one.
//! - `env`: the environment snapshot loading reads.
//! - `runtime`: validation and defaults → [`Config`].
//! - `effective`: the resolved configuration written back as YAML, secrets masked.
//! - `warning`: [`ConfigWarning`], what is worth telling short of an error.
//! - `preset`: the `pipeline:` presets from `pipelines/`.
//! - `pushover`: the `notifications.pushover:` section (the optional second notifier).
//! - `cluster`: the `cluster:` section (scale-out across hosts).
//! - `reports`: the stats page's refresh and the daily review's settings.
//! - `error`: [`ConfigError`], whose messages name the file and the key.

mod cluster;
mod effective;
mod env;
mod error;
mod keys;
#[cfg(test)]
mod migration_tests;
mod preset;
mod previous;
mod pushover;
mod raw;
mod reports;
mod runtime;
mod warning;

/// The fetch limits live with the fetch side; the configuration resolves them.
pub use crate::frigate::http::FetchSettings;
pub use cluster::ClusterSettings;
pub use env::Environment;
pub use error::ConfigError;
pub use preset::{AcceleratorChoice, ChannelCapacities, PipelinePreset, ServiceChannelCapacities, TensorRtPrecision};
pub use pushover::PushoverSettings;
pub use reports::ReportSettings;
pub use runtime::{
    AiConfig, ApiSettings, CameraSettings, CeTimings, Config, DetectorConfig, MqttSettings, MqttTls,
    NotificationSettings, SummaryConfig,
};
pub use warning::ConfigWarning;

use std::path::{Path, PathBuf};

/// Parses YAML text into the raw form: the previous service's keys and environment variables
/// become this product's keys, unknown keys are warned about; type errors name the dotted key
/// path and the file, or the environment variable that set the key.
fn parse_yaml(
    text: &str,
    path: &Path,
    env: &Environment,
    warnings: &mut Vec<ConfigWarning>,
) -> Result<(raw::RawConfig, previous::EnvOrigins), ConfigError> {
    let mut tree: serde_json::Value = if text.trim().is_empty() {
        serde_json::Value::Object(Default::default())
    } else {
        serde_saphyr::from_str(text).map_err(|err| ConfigError::Syntax {
            path: path.to_path_buf(),
            message: err.to_string().replace('\n', " "),
        })?
    };
    let origins = previous::migrate(&mut tree, env, path, warnings)?;
    let known = previous::all_known_keys();
    warnings.extend(
        keys::unknown_keys(&tree, &known)
            .into_iter()
            .map(ConfigWarning::Unknown),
    );
    let raw = serde_path_to_error::deserialize(tree).map_err(|err| {
        let key = err.path().to_string();
        let source = origins.get(&key).map_or_else(|| path.to_path_buf(), PathBuf::from);
        ConfigError::invalid(source, key, err.into_inner().to_string())
    })?;
    Ok((raw, origins))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write_config(text: &str) -> tempfile::NamedTempFile {
        let mut file = tempfile::Builder::new().suffix(".yaml").tempfile().unwrap();
        file.write_all(text.as_bytes()).unwrap();
        file
    }

    #[test]
    fn predecessor_keys_are_read() {
        let file = write_config(
            "pipeline: cpu\nmulti_cam:\n  detection_frame_interval: 3\n  camera_switch_hysteresis_margin: 1.3\nsettings:\n  event_gap_seconds: 60\nunknown_section: {a: 1}\n",
        );
        let config = Config::load(file.path()).unwrap();
        assert_eq!(config.detector.frame_interval, 3);
        assert_eq!(config.plan.switch_hysteresis, 1.3);
        assert_eq!(config.ce.event_gap_seconds, 60.0);
        assert_eq!(config.pipeline.name, "cpu");
    }

    #[test]
    fn a_preset_file_is_found_next_to_the_config_file() {
        let dir = tempfile::tempdir().unwrap();
        let preset = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/pipelines/cpu.yaml"))
            .unwrap()
            .replace("detect_batch_size: 1", "detect_batch_size: 3");
        std::fs::write(dir.path().join("mine.yaml"), preset).unwrap();
        std::fs::write(dir.path().join("config.yaml"), "pipeline: mine.yaml\n").unwrap();
        let config = Config::load(&dir.path().join("config.yaml")).unwrap();
        assert_eq!(config.pipeline.detect_batch_size, 3);
    }

    #[test]
    fn wrong_type_names_file_and_key() {
        let file = write_config("multi_cam:\n  detection_frame_interval: five\n");
        let message = Config::load(file.path()).unwrap_err().to_string();
        assert!(message.contains("multi_cam.detection_frame_interval"), "{message}");
        assert!(message.starts_with(&file.path().display().to_string()), "{message}");
        assert!(!message.contains('\n'));
    }

    #[test]
    fn out_of_range_value_names_key() {
        let file = write_config("multi_cam:\n  detection_frame_interval: 0\n");
        let message = Config::load(file.path()).unwrap_err().to_string();
        assert!(
            message.contains("key 'multi_cam.detection_frame_interval': must be at least 1"),
            "{message}"
        );
    }

    #[test]
    fn cluster_section_defaults_and_checks() {
        let file = write_config("pipeline: cpu\n");
        let cluster = Config::load(file.path()).unwrap().cluster;
        assert!(!cluster.enabled);
        assert_eq!(
            (cluster.topic.as_str(), cluster.group.as_str()),
            ("frigate_buffer/cluster", "frigate-buffer")
        );
        assert_eq!(cluster.claim_timeout, std::time::Duration::from_secs(30));
        let file = write_config(
            "pipeline: cpu\ncluster:\n  enabled: true\n  topic: home/fb/\n  worker_id: gpu-a\n  job_timeout_seconds: 90\n",
        );
        let cluster = Config::load(file.path()).unwrap().cluster;
        assert!(cluster.enabled);
        assert_eq!(cluster.topic, "home/fb");
        assert_eq!(cluster.worker_id.as_deref(), Some("gpu-a"));
        assert_eq!(cluster.job_timeout, std::time::Duration::from_secs(90));
        for (text, key) in [
            ("cluster:\n  group: a/b\n", "cluster.group"),
            ("cluster:\n  topic: fb/#\n", "cluster.topic"),
            ("cluster:\n  worker_id: \"x+\"\n", "cluster.worker_id"),
            (
                "cluster:\n  claim_timeout_seconds: 0\n",
                "cluster.claim_timeout_seconds",
            ),
        ] {
            let file = write_config(&format!("pipeline: cpu\n{text}"));
            let message = Config::load(file.path()).unwrap_err().to_string();
            assert!(message.contains(&format!("key '{key}'")), "{message}");
        }
    }

    #[test]
    fn fetch_settings_default_from_the_export_timeout_and_are_checked() {
        let file = write_config("pipeline: cpu\nsettings:\n  export_timeout_seconds: 60\n");
        let fetch = Config::load(file.path()).unwrap().fetch;
        assert_eq!(fetch.export_timeout, std::time::Duration::from_secs(60));
        assert_eq!(fetch.clip_deadline, std::time::Duration::from_secs(360));
        assert_eq!(fetch.max_clip_bytes, 2 << 30);
        assert_eq!(fetch.stall_timeout, std::time::Duration::from_secs(30));
        assert_eq!(fetch.workers, 3);
        let file = write_config(
            "pipeline: cpu\nsettings:\n  clip_fetch_timeout_seconds: 20\n  max_clip_mb: 0.5\n  fetch_stall_seconds: 4\n  fetch_workers: 2\n",
        );
        let fetch = Config::load(file.path()).unwrap().fetch;
        assert_eq!(fetch.clip_deadline, std::time::Duration::from_secs(20));
        assert_eq!(fetch.max_clip_bytes, 512 * 1024);
        assert_eq!(fetch.stall_timeout, std::time::Duration::from_secs(4));
        assert_eq!(fetch.workers, 2);
        for (text, key) in [
            ("clip_fetch_timeout_seconds: 0", "settings.clip_fetch_timeout_seconds"),
            ("max_clip_mb: -1", "settings.max_clip_mb"),
            ("fetch_stall_seconds: 0", "settings.fetch_stall_seconds"),
            ("fetch_workers: 0", "settings.fetch_workers"),
            ("fetch_workers: 17", "settings.fetch_workers"),
        ] {
            let file = write_config(&format!("pipeline: cpu\nsettings:\n  {text}\n"));
            let message = Config::load(file.path()).unwrap_err().to_string();
            assert!(message.contains(&format!("key '{key}'")), "{message}");
        }
    }

    #[test]
    fn broken_yaml_is_a_syntax_error() {
        let file = write_config("multi_cam: [unclosed\n");
        assert!(matches!(Config::load(file.path()), Err(ConfigError::Syntax { .. })));
    }
}
