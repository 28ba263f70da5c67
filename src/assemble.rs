//! Building a running pipeline from a validated configuration: choose the
//! backends, load what they need on the caller's thread (ONNX Runtime, the
//! model bytes, the names file), start the stages.
//!
//! Owns start-up order and start-up errors; it holds no state afterwards.

use crate::accelerator::cpu::CpuBackendFactory;
use crate::accelerator::nvidia::NvidiaBackendFactory;
use crate::accelerator::selection::{select_backends, BackendPlan, SelectionError};
use crate::accelerator::BackendFactory;
use crate::ai::{AiClient, AiSettings};
use crate::config::{AcceleratorChoice, AiConfig, Config};
use crate::detect::labels::Labels;
use crate::encode::ffmpeg_pipe::FfmpegEncoderFactory;
use crate::encode::{PixelFormat, VideoFormat};
use crate::flow::owner_board::ProbeBackoff;
use crate::inference::gpu_providers::TensorRtCache;
use crate::inference::{onnxruntime_library, InferenceError, ModelFile};
use crate::pipeline::{Pipeline, PipelineParts};
use std::sync::Arc;

/// Why the pipeline could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// No usable backend.
    #[error("{0}")]
    Selection(#[from] SelectionError),
    /// ONNX Runtime or the model could not be loaded.
    #[error("{0}")]
    Inference(#[from] InferenceError),
    /// A stage failed to start.
    #[error("{0}")]
    Stage(String),
}

/// The AI endpoint's client for `ai`: the analysis', the quick titles' and the daily review's
/// (each its own hourly cap).
pub fn ai_client(ai: &AiConfig) -> AiClient {
    let mut settings = AiSettings::new(&ai.base_url, ai.api_key.clone(), &ai.model);
    settings.frames_per_hour_cap = ai.frames_per_hour_cap;
    AiClient::new(settings)
}

/// One accelerator owner per GPU of the plan, or one CPU owner.
fn accelerator_factories(config: &Config, plan: &BackendPlan, cpu: CpuBackendFactory) -> Vec<Box<dyn BackendFactory>> {
    if plan.gpu_devices.is_empty() {
        return vec![Box::new(cpu)];
    }
    let tensorrt = TensorRtCache::for_precision(config.pipeline.tensorrt);
    plan.gpu_devices
        .iter()
        .map(|&device| {
            Box::new(NvidiaBackendFactory {
                device,
                cpu: cpu.clone(),
                require_gpu: config.pipeline.accelerator == AcceleratorChoice::Nvidia,
                tensorrt: tensorrt.clone(),
            }) as Box<dyn BackendFactory>
        })
        .collect()
}

/// Starts the pipeline for `config`; returns it with the backend choices.
pub fn start_pipeline(config: &Config) -> Result<(Pipeline, BackendPlan), StartError> {
    let (parts, backends) = pipeline_parts(config)?;
    let pipeline = Pipeline::start(parts).map_err(StartError::Stage)?;
    Ok((pipeline, backends))
}

/// What the pipeline for `config` is built from (nothing started yet), with the backend choices.
pub fn pipeline_parts(config: &Config) -> Result<(PipelineParts, BackendPlan), StartError> {
    let detector = &config.detector;
    let runtime = onnxruntime_library::load(detector.onnxruntime_library.as_deref())?;
    let backends = select_backends(config, Some(runtime))?;
    let ffmpeg = backends.ffmpeg.clone().ok_or(SelectionError::FfmpegMissing)?;
    let model = Arc::new(ModelFile::read(&detector.model_path, detector.model_sha256.as_deref())?);
    let labels = Labels::load(&detector.names_path).map_err(|err| InferenceError::Labels(err.to_string()))?;
    let cpu = CpuBackendFactory {
        runtime,
        model,
        labels,
        detector: detector.clone(),
        summary: config.summary,
        batch_size: config.pipeline.detect_batch_size,
        inference_threads: config.pipeline.inference_threads,
        read_ahead: config.pipeline.channels.decoded_frames,
        ffmpeg: ffmpeg.clone(),
    };
    let parts = PipelineParts {
        capacities: config.pipeline.channels,
        accelerators: accelerator_factories(config, &backends, cpu),
        encoder: Box::new(FfmpegEncoderFactory::new(ffmpeg.clone(), backends.encoder)),
        ffmpeg: Some(ffmpeg),
        summary_format: VideoFormat {
            pixels: PixelFormat::Rgb24,
            width: config.summary.width,
            height: config.summary.height,
            fps: config.summary.fps,
        },
        frame_interval: detector.frame_interval,
        ai: config.ai.as_ref().map(ai_client),
        probe_backoff: ProbeBackoff::default(),
    };
    Ok((parts, backends))
}
