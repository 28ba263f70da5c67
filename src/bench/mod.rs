//! Throughput measurements for the `bench` command: the decode stage alone,
//! raw ONNX Runtime inference on the same frames, the end-to-end detection
//! pass and the summary compile through the real pipeline, and memory; and
//! ([`concurrent`]) many copies of a CE through one pipeline at once.
//!
//! Owns measurement only; it drives the same components a real run uses.

pub mod concurrent;
pub mod memory;

use crate::accelerator::cpu::FfmpegDecoder;
use crate::assemble::StartError;
use crate::ce_folder;
use crate::config::Config;
use crate::detect::letterbox::{Letterbox, LetterboxPreprocessor};
use crate::flow::telemetry::StageSnapshot;
use crate::gpu::cuda_context::GpuContext;
use crate::inference::gpu_providers::{GpuProviders, TensorRtCache};
use crate::inference::onnxruntime_library::{self, OnnxRuntime};
use crate::inference::{DetectorSession, ModelFile};
use crate::media::ffmpeg_tool;
use crate::media::probe::probe_clip;
use crate::offline::{process_folder, OfflineError};
use memory::MemoryReport;
use serde::Serialize;
use std::path::Path;
use std::time::Instant;

/// Most sampled frames timed for raw inference.
const RAW_INFERENCE_FRAMES: usize = 60;

/// Figures of one bench run.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// Accelerator backend measured.
    pub backend: String,
    /// Cameras in the CE.
    pub cameras: usize,
    /// Frames decoded by the decode-only pass (all cameras).
    pub decode_frames: u64,
    /// Decode-only throughput, frames/s (cameras one after another).
    pub decode_fps: f64,
    /// Frames timed through raw inference (preprocessed beforehand).
    pub raw_inference_frames: usize,
    /// Raw ONNX Runtime inference throughput, frames/s.
    pub raw_inference_fps: f64,
    /// Where the raw inference ran: `cpu`, `onnxruntime-cuda` or `onnxruntime-tensorrt`, the
    /// same execution provider as the pipeline's detector.
    pub raw_inference_provider: String,
    /// Frames decoded by the pipeline's detection pass.
    pub detection_pass_decoded_frames: u64,
    /// Frames run through the detector by the pipeline.
    pub detection_pass_sampled_frames: u64,
    /// Detection-pass wall time, seconds.
    pub detection_pass_seconds: f64,
    /// End-to-end detection pass, decoded frames/s.
    pub detection_pass_fps: f64,
    /// Detector throughput inside the pipeline, sampled frames/s.
    pub detection_fps: f64,
    /// Pipeline detector throughput over raw inference throughput.
    pub pipeline_to_raw_inference_ratio: f64,
    /// Summary frames encoded.
    pub compile_frames: u64,
    /// Compile wall time, seconds.
    pub compile_seconds: f64,
    /// Compile throughput, frames/s.
    pub compile_fps: f64,
    /// Seconds the accelerator owner(s) spent busy during the CE, over the CE's detection
    /// plus compile wall time.
    pub accelerator_busy_fraction: f64,
    /// Every stage's counters at the end of the run.
    pub stages: Vec<StageSnapshot>,
    /// The process's memory at the end of the run.
    pub memory: MemoryReport,
}

/// Why the bench could not run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The pipeline run failed.
    #[error("{0}")]
    Offline(#[from] OfflineError),
    /// The pipeline could not start.
    #[error("{0}")]
    Start(#[from] StartError),
    /// A measurement step failed.
    #[error("{0}")]
    Step(String),
}

/// Measures `dir` (a CE folder) with `config`.
pub fn run_bench(config: &Config, dir: &Path) -> Result<BenchReport, BenchError> {
    let folder = ce_folder::scan(dir).map_err(OfflineError::from)?;
    let ffmpeg = ffmpeg_tool::locate("ffmpeg").ok_or_else(|| BenchError::Step("ffmpeg not found".into()))?;
    let clips = folder
        .cameras
        .iter()
        .map(|c| probe_clip(&c.clip).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| BenchError::Step(format!("probe: {err}")))?;

    // Decode stage alone.
    let started = Instant::now();
    let mut decode_frames = 0u64;
    for clip in &clips {
        let mut decoder = FfmpegDecoder::open(&ffmpeg, &clip.path, clip.width, clip.height, 4)
            .map_err(|e| BenchError::Step(e.to_string()))?;
        while let Some(frame) = decoder.next_frame() {
            frame.map_err(|e| BenchError::Step(e.to_string()))?;
            decode_frames += 1;
        }
        decoder.finish().map_err(|e| BenchError::Step(e.to_string()))?;
    }
    let decode_fps = decode_frames as f64 / started.elapsed().as_secs_f64();

    // The real pipeline, end to end.
    let run = process_folder(config, folder, true, &mut |_| {})?;

    // Raw inference on sampled frames of the first clip, preprocessed beforehand, on the
    // execution provider the pipeline's detector used.
    let detector = &config.detector;
    let runtime = onnxruntime_library::load(detector.onnxruntime_library.as_deref()).map_err(StartError::from)?;
    let model = ModelFile::read(&detector.model_path, detector.model_sha256.as_deref()).map_err(StartError::from)?;
    let mut raw = RawInferenceSession::open(config, runtime, &model, run.backends.gpu_devices.first().copied())?;
    let session = &mut raw.session;
    let first = clips.first().ok_or_else(|| BenchError::Step("no clip".into()))?;
    let letterbox = Letterbox::new(first.width, first.height, session.input_width, session.input_height)
        .map_err(|e| BenchError::Step(e.to_string()))?;
    let mut preprocess = LetterboxPreprocessor::new();
    let mut inputs: Vec<Vec<f32>> = Vec::new();
    let mut decoder = FfmpegDecoder::open(&ffmpeg, &first.path, first.width, first.height, 4)
        .map_err(|e| BenchError::Step(e.to_string()))?;
    while let Some(frame) = decoder.next_frame() {
        let frame = frame.map_err(|e| BenchError::Step(e.to_string()))?;
        if frame.index % u64::from(detector.frame_interval) != 0 {
            continue;
        }
        let mut input = vec![0.0; session.input_len()];
        preprocess
            .write_chw_input(&frame.pixels, first.width, first.height, &letterbox, &mut input)
            .map_err(|e| BenchError::Step(e.to_string()))?;
        inputs.push(input);
        if inputs.len() == RAW_INFERENCE_FRAMES {
            break;
        }
    }
    drop(decoder);
    let mut output = Vec::new();
    session.warm_up().map_err(StartError::from)?;
    let started = Instant::now();
    for input in &inputs {
        session.run(input, 1, &mut output).map_err(StartError::from)?;
    }
    let raw_inference_fps = inputs.len() as f64 / started.elapsed().as_secs_f64();
    let raw_inference_provider = raw.provider.to_string();
    drop(raw);

    let outcome = &run.outcome;
    let decoded: u64 = clips.iter().map(|c| c.frame_count).sum();
    let sampled: u64 = outcome.cameras.iter().map(|c| c.sampled_frames as u64).sum();
    let detection_fps = per_second(sampled as f64, outcome.detect_seconds);
    Ok(BenchReport {
        backend: run.backends.accelerator.to_string(),
        cameras: clips.len(),
        decode_frames,
        decode_fps,
        raw_inference_frames: inputs.len(),
        raw_inference_fps,
        raw_inference_provider,
        detection_pass_decoded_frames: decoded,
        detection_pass_sampled_frames: sampled,
        detection_pass_seconds: outcome.detect_seconds,
        detection_pass_fps: per_second(decoded as f64, outcome.detect_seconds),
        detection_fps,
        pipeline_to_raw_inference_ratio: per_second(detection_fps, raw_inference_fps),
        compile_frames: outcome.summary_frames,
        compile_seconds: outcome.compile_seconds,
        compile_fps: per_second(outcome.summary_frames as f64, outcome.compile_seconds),
        accelerator_busy_fraction: per_second(
            accelerator_busy_seconds(&run.stages),
            outcome.detect_seconds + outcome.compile_seconds,
        ),
        stages: run.stages.clone(),
        memory: MemoryReport::now(),
    })
}

/// `n` over `seconds`, 0 when no time passed.
fn per_second(n: f64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        n / seconds
    } else {
        0.0
    }
}

/// Seconds the accelerator owners were busy, all of them together.
fn accelerator_busy_seconds(stages: &[StageSnapshot]) -> f64 {
    stages
        .iter()
        .filter(|stage| stage.name == "accelerator")
        .map(|stage| stage.busy_seconds)
        .sum()
}

/// A detector session for the raw-inference figure, on the pipeline's execution provider.
/// Fields drop in order: the session before the stream it runs on, the stream before its context.
struct RawInferenceSession {
    /// The session.
    session: DetectorSession,
    /// `cpu` or the GPU provider's name.
    provider: &'static str,
    /// The stream a GPU session runs on.
    _stream: Option<std::sync::Arc<cudarc::driver::CudaStream>>,
    /// The device context a GPU session lives in.
    _context: Option<GpuContext>,
}

impl RawInferenceSession {
    /// A session on CUDA device `gpu` (the first GPU owner's) when the pipeline ran there, else on
    /// the CPU with the pipeline's thread count.
    fn open(config: &Config, runtime: &OnnxRuntime, model: &ModelFile, gpu: Option<usize>) -> Result<Self, BenchError> {
        let Some(device) = gpu else {
            let session = DetectorSession::new_cpu(runtime, model, config.pipeline.inference_threads)
                .map_err(StartError::from)?;
            return Ok(Self {
                session,
                provider: "cpu",
                _stream: None,
                _context: None,
            });
        };
        let gpu_error = |err: String| BenchError::Step(format!("raw inference on CUDA device {device}: {err}"));
        let context = GpuContext::open(device).map_err(|err| gpu_error(err.to_string()))?;
        let stream = context.new_stream().map_err(|err| gpu_error(err.to_string()))?;
        let providers = GpuProviders {
            device,
            stream: stream.cu_stream().cast(),
            tensorrt: TensorRtCache::for_precision(config.pipeline.tensorrt),
        };
        let (session, provider) = DetectorSession::new_gpu(runtime, model, &providers).map_err(StartError::from)?;
        Ok(Self {
            session,
            provider: provider.name(),
            _stream: Some(stream),
            _context: Some(context),
        })
    }
}
