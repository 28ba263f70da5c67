//! The CPU backend of the accelerator owner: FFmpeg decode (`ffmpeg_decoder`),
//! ONNX Runtime on the CPU (`detection_pass`), CPU crop/resize and overlay
//! (`summary_render`), AI frames (`ai_render`); `clip_cursors` gives both one
//! forward-only decoder per clip. Everything it needs from disk (model bytes, names) is
//! loaded by the factory on the caller's thread before the owner starts.

mod ai_render;
mod clip_cursors;
mod detection_pass;
mod ffmpeg_decoder;
mod summary_render;

pub use ffmpeg_decoder::{DecodedFrame, FfmpegDecoder};

use super::detector_setup::prepare_detector;
use super::{AcceleratorBackend, AcceleratorError, BackendFactory, DetectStats};
use crate::ai::AiFrameJpeg;
use crate::config::{DetectorConfig, SummaryConfig};
use crate::detect::labels::Labels;
use crate::flow::frame_pool::PooledBuffer;
use crate::flow::messages::{AiFramesJob, CompileJob, DetectJob, SampledFrame};
use crate::inference::onnxruntime_library::OnnxRuntime;
use crate::inference::{DetectorSession, ModelFile};
use ai_render::AiRender;
use detection_pass::DetectionPass;
use std::path::PathBuf;
use std::sync::Arc;
use summary_render::SummaryRenderer;

/// Everything the CPU backend is built from, gathered on the caller's thread.
#[derive(Clone)]
pub struct CpuBackendFactory {
    /// The loaded ONNX Runtime.
    pub runtime: &'static OnnxRuntime,
    /// The model bytes, already verified.
    pub model: Arc<ModelFile>,
    /// Class names of the model.
    pub labels: Labels,
    /// Detector settings.
    pub detector: DetectorConfig,
    /// Summary format.
    pub summary: SummaryConfig,
    /// Preferred frames per inference call.
    pub batch_size: usize,
    /// ONNX Runtime intra-op threads (0: default).
    pub inference_threads: usize,
    /// Decoded frames buffered ahead of the owner per clip.
    pub read_ahead: usize,
    /// The `ffmpeg` executable.
    pub ffmpeg: PathBuf,
}

/// The CPU backend, living on its accelerator-owner thread.
pub struct CpuBackend {
    /// Detector session and pre/post-processing state.
    detection: DetectionPass,
    /// Crop/resize/overlay state and the output frame pool.
    render: SummaryRenderer,
    /// AI frame crop/overlay/JPEG state.
    ai: AiRender,
    /// Name of the model, for sidecars.
    model_name: String,
}

impl BackendFactory for CpuBackendFactory {
    fn name(&self) -> &'static str {
        "cpu"
    }

    fn create(self: Box<Self>) -> Result<Box<dyn AcceleratorBackend>, AcceleratorError> {
        let mut session = DetectorSession::new_cpu(self.runtime, &self.model, self.inference_threads)?;
        let (_, postprocess) = prepare_detector(&mut session, &self.model, self.labels, &self.detector)?;
        let batch = session.max_batch(self.batch_size);
        let detection = DetectionPass::new(
            session,
            postprocess,
            batch,
            self.detector.frame_interval,
            self.detector.motion_background_alpha,
            self.ffmpeg.clone(),
            self.read_ahead,
        );
        let font_error = |message: String| AcceleratorError::Frame {
            clip: PathBuf::from("-"),
            message,
        };
        let ai = AiRender::new(self.ffmpeg.clone(), self.read_ahead).map_err(font_error)?;
        let render = SummaryRenderer::new(self.summary, self.ffmpeg, self.read_ahead).map_err(font_error)?;
        Ok(Box::new(CpuBackend {
            detection,
            render,
            ai,
            model_name: self.model.name.clone(),
        }))
    }
}

impl AcceleratorBackend for CpuBackend {
    fn name(&self) -> &'static str {
        "cpu"
    }

    fn model_name(&self) -> &str {
        &self.model_name
    }

    fn detect_clip(
        &mut self,
        job: &DetectJob,
        emit: &mut dyn FnMut(SampledFrame) -> bool,
    ) -> Result<DetectStats, AcceleratorError> {
        self.detection.run(job, emit)
    }

    fn render_summary(
        &mut self,
        job: &CompileJob,
        emit: &mut dyn FnMut(PooledBuffer) -> bool,
    ) -> Result<u64, AcceleratorError> {
        self.render.run(job, emit)
    }

    fn render_ai_frames(&mut self, job: &AiFramesJob) -> Result<Vec<AiFrameJpeg>, AcceleratorError> {
        self.ai.run(job)
    }
}
