//! Pipeline presets: which accelerator backend, batch sizes and channel
//! capacities a run uses.
//!
//! Owns the preset files' shape and their lookup: a bare name selects one of
//! the presets shipped in `pipelines/` (compiled into the binary, so it runs
//! from any directory); anything else is read as a path to a preset file.

use super::ConfigError;
use serde::Deserialize;
use std::path::Path;

/// The presets shipped in `pipelines/`, by name.
const SHIPPED: [(&str, &str); 3] = [
    ("auto", include_str!("../../pipelines/auto.yaml")),
    ("cpu", include_str!("../../pipelines/cpu.yaml")),
    ("nvidia", include_str!("../../pipelines/nvidia.yaml")),
];

/// Which backend the accelerator owner uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AcceleratorChoice {
    /// NVIDIA when usable, else CPU.
    Auto,
    /// NVIDIA or fail at start-up.
    Nvidia,
    /// CPU only.
    Cpu,
}

/// The precision TensorRT builds engines at, or TensorRT not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TensorRtPrecision {
    /// Half precision (the default): about twice as fast as fp32 on tensor cores.
    #[default]
    Fp16,
    /// Full precision.
    Fp32,
    /// Do not use TensorRT; ONNX Runtime's CUDA provider runs the model.
    Off,
}

/// Capacities of the bounded channels between stages.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelCapacities {
    /// Clip paths waiting for the metadata-probe stage.
    pub probe: usize,
    /// Jobs waiting for the accelerator owner.
    pub accelerator: usize,
    /// Per-frame results waiting for the contour/JSON writer.
    pub writer: usize,
    /// Rendered frames waiting for the encoder feeder.
    pub encoder: usize,
    /// Decoded frames read ahead of the accelerator owner, per open clip.
    pub decoded_frames: usize,
}

/// Capacities of the bounded channels between the service's threads (`run`).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServiceChannelCapacities {
    /// Closed CEs and snapshot requests waiting for the fetch stage.
    pub fetch: usize,
    /// CEs with their clips on disk waiting for the coordinator (or the cluster dispatcher).
    pub ready: usize,
    /// Notifications waiting for the notifier.
    pub notify: usize,
    /// Frigate GenAI summaries waiting for the coordinator.
    pub reviews: usize,
    /// Cluster claims, results and worker statuses waiting for the dispatcher.
    pub cluster: usize,
    /// Cluster jobs waiting to be published.
    pub outbox: usize,
    /// New CEs' snapshots waiting for the snapshot lane.
    pub snapshots: usize,
    /// Snapshots waiting for their quick AI title.
    pub quick_titles: usize,
}

impl Default for ServiceChannelCapacities {
    fn default() -> Self {
        Self {
            fetch: 64,
            ready: 64,
            notify: 256,
            reviews: 64,
            cluster: 64,
            outbox: 256,
            snapshots: 64,
            quick_titles: 64,
        }
    }
}

/// One pipeline preset.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelinePreset {
    /// Preset name (file stem or shipped name); filled in on load.
    #[serde(skip)]
    pub name: String,
    /// Accelerator backend choice.
    pub accelerator: AcceleratorChoice,
    /// Frames per inference call where the model allows batching.
    pub detect_batch_size: usize,
    /// ONNX Runtime intra-op threads (0: ONNX Runtime's default).
    pub inference_threads: usize,
    /// CUDA devices that get a GPU owner each; absent: every visible device.
    #[serde(default)]
    pub gpu_devices: Option<Vec<usize>>,
    /// TensorRT engine precision when ONNX Runtime has the TensorRT provider.
    #[serde(default)]
    pub tensorrt: TensorRtPrecision,
    /// Channel capacities.
    pub channels: ChannelCapacities,
    /// Capacities of the service's channels; absent: the defaults.
    #[serde(default)]
    pub service_channels: ServiceChannelCapacities,
}

impl PipelinePreset {
    /// True when `selector` names a shipped preset rather than a file.
    pub fn is_shipped(selector: &str) -> bool {
        SHIPPED.iter().any(|(name, _)| *name == selector)
    }

    /// Resolves `pipeline:` (a shipped name or a file path). `config_path`
    /// names the configuration file in errors.
    pub fn resolve(selector: &str, config_path: &Path) -> Result<Self, ConfigError> {
        let (name, text) = match SHIPPED.iter().find(|(name, _)| *name == selector) {
            Some((name, text)) => (name.to_string(), text.to_string()),
            None => {
                let path = Path::new(selector);
                let text = std::fs::read_to_string(path).map_err(|err| {
                    ConfigError::invalid(
                        config_path,
                        "pipeline",
                        format!(
                            "'{selector}' is neither a shipped preset (auto, nvidia, cpu) nor a readable file: {err}"
                        ),
                    )
                })?;
                let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
                (stem.unwrap_or_else(|| selector.to_string()), text)
            }
        };
        let mut preset: PipelinePreset = serde_saphyr::from_str(&text).map_err(|err| {
            ConfigError::invalid(config_path, "pipeline", format!("preset '{name}' is invalid: {err}"))
        })?;
        preset.name = name;
        if preset.detect_batch_size == 0 {
            return Err(ConfigError::invalid(
                config_path,
                "pipeline",
                "detect_batch_size must be at least 1",
            ));
        }
        let (capacities, service) = (preset.channels, preset.service_channels);
        let all = [
            capacities.probe,
            capacities.accelerator,
            capacities.writer,
            capacities.encoder,
            capacities.decoded_frames,
            service.fetch,
            service.ready,
            service.notify,
            service.reviews,
            service.cluster,
            service.outbox,
            service.snapshots,
            service.quick_titles,
        ];
        if all.contains(&0) {
            return Err(ConfigError::invalid(
                config_path,
                "pipeline",
                "channel capacities must be at least 1",
            ));
        }
        Ok(preset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_preset_parses() {
        for (name, _) in SHIPPED {
            let preset = PipelinePreset::resolve(name, Path::new("c.yaml")).unwrap();
            assert_eq!(preset.name, name);
        }
        let cpu = PipelinePreset::resolve("cpu", Path::new("c.yaml")).unwrap();
        assert_eq!(cpu.accelerator, AcceleratorChoice::Cpu);
    }

    #[test]
    fn service_channels_default_and_refuse_zero() {
        let dir = std::env::temp_dir().join(format!("fb-preset-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let base = SHIPPED[0].1.split("service_channels:").next().unwrap().to_string();
        let without = dir.join("without.yaml");
        std::fs::write(&without, &base).unwrap();
        let preset = PipelinePreset::resolve(without.to_str().unwrap(), Path::new("c.yaml")).unwrap();
        assert_eq!(
            (preset.service_channels.notify, preset.service_channels.outbox),
            (256, 256)
        );
        let zero = dir.join("zero.yaml");
        std::fs::write(&zero, format!("{base}service_channels:\n  ready: 0\n")).unwrap();
        let err = PipelinePreset::resolve(zero.to_str().unwrap(), Path::new("c.yaml")).unwrap_err();
        assert!(
            err.to_string().contains("channel capacities must be at least 1"),
            "{err}"
        );
        let four = dir.join("four.yaml");
        std::fs::write(&four, format!("{base}service_channels:\n  ready: 4\n")).unwrap();
        let preset = PipelinePreset::resolve(four.to_str().unwrap(), Path::new("c.yaml")).unwrap();
        assert_eq!((preset.service_channels.ready, preset.service_channels.fetch), (4, 64));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn unknown_preset_names_the_key() {
        let err = PipelinePreset::resolve("turbo", Path::new("c.yaml")).unwrap_err();
        assert!(err.to_string().starts_with("c.yaml: key 'pipeline'"), "{err}");
    }
}
