//! The NVIDIA backend of the accelerator owner: NVDEC decoding into device memory,
//! kernels for the detector letterbox, motion masks, crops and the timestamp, the
//! detector on ONNX Runtime's TensorRT or CUDA provider over device buffers.
//!
//! - `device`: the owner's context, stream, kernels and NVDEC entry points.
//! - `access_units`: a demux thread per clip, so the owner does no file I/O.
//! - `clip_decoder`, `clip_cursor`: a clip decoded in display order; a render cursor.
//! - `detection`, `summary_render`, `ai_render`: the detection pass, the summary frames,
//!   the AI frames (JPEG by nvJPEG); `device_text` stamps text on device frames.
//!
//! Everything is created on the owner thread by [`NvidiaBackendFactory::create`] and is
//! not `Send`. Faults: a job the GPU fails is run again on the CPU backend this backend
//! also holds (frames already handed on are not handed on twice) and counted; after a
//! CUDA or inference fault the GPU state is dropped and rebuilt for the next job.

mod access_units;
mod ai_render;
mod clip_cursor;
mod clip_decoder;
mod detection;
mod device;
mod device_text;
mod summary_render;

use super::cpu::CpuBackendFactory;
use super::detector_setup::prepare_detector;
use super::{AcceleratorBackend, AcceleratorError, BackendFactory, DetectStats};
use crate::ai::AiFrameJpeg;
use crate::encode::PixelFormat;
use crate::flow::frame_pool::PooledBuffer;
use crate::flow::messages::{AiFramesJob, CompileJob, DetectJob, SampledFrame};
use crate::flow::telemetry::DeviceMemory;
use crate::inference::gpu_providers::{GpuProvider, GpuProviders, TensorRtCache};
use crate::inference::DetectorSession;
use crate::render::yuv::rgb_to_i420;
use ai_render::GpuAiRender;
use detection::GpuDetectionPass;
use device::GpuDevice;
use summary_render::GpuSummaryRenderer;

/// What the NVIDIA backend is built from, gathered on the caller's thread.
pub struct NvidiaBackendFactory {
    /// CUDA device ordinal this owner drives.
    pub device: usize,
    /// The CPU backend's ingredients: the fallback for every job, and the whole backend
    /// when the GPU cannot be opened (unless `require_gpu`).
    pub cpu: CpuBackendFactory,
    /// Fail start-up instead of running on the CPU when the GPU cannot be opened.
    pub require_gpu: bool,
    /// TensorRT engine cache; `None` uses the CUDA provider only.
    pub tensorrt: Option<TensorRtCache>,
}

/// The GPU side of the backend; dropped after a fault and rebuilt.
struct GpuState {
    /// Detector session and buffers (dropped before the device: the session runs on its stream).
    detection: GpuDetectionPass,
    /// Summary render buffers.
    render: GpuSummaryRenderer,
    /// AI frame buffers and nvJPEG.
    ai: GpuAiRender,
    /// Context, stream, kernels, NVDEC.
    device: GpuDevice,
}

/// How to (re)build the GPU state.
struct GpuRecipe {
    /// Device ordinal.
    device: usize,
    /// The CPU factory's ingredients (runtime, model, labels, settings), shared.
    cpu: CpuBackendFactory,
    /// TensorRT cache.
    tensorrt: Option<TensorRtCache>,
}

impl GpuRecipe {
    /// Opens the device and loads everything on it.
    fn build(&self) -> Result<(GpuState, GpuProvider), AcceleratorError> {
        let gpu_error = |message: String| AcceleratorError::Gpu {
            device: self.device,
            message,
        };
        let device = GpuDevice::open(self.device).map_err(gpu_error)?;
        let providers = GpuProviders {
            device: self.device,
            stream: device.stream.cu_stream().cast(),
            tensorrt: self.tensorrt.clone(),
        };
        let cpu = &self.cpu;
        let (mut session, provider) = DetectorSession::new_gpu(cpu.runtime, &cpu.model, &providers)?;
        let (output_shape, postprocess) =
            prepare_detector(&mut session, &cpu.model, cpu.labels.clone(), &cpu.detector)?;
        let batch = session.max_batch(cpu.batch_size);
        let detection = GpuDetectionPass::new(
            &device,
            session,
            postprocess,
            batch,
            cpu.detector.frame_interval,
            cpu.detector.motion_background_alpha,
            output_shape,
        )?;
        let render = GpuSummaryRenderer::new(&device, cpu.summary, cpu.read_ahead)?;
        let ai = GpuAiRender::new(&device)?;
        Ok((
            GpuState {
                detection,
                render,
                ai,
                device,
            },
            provider,
        ))
    }
}

/// The NVIDIA backend, living on its GPU-owner thread.
pub struct NvidiaBackend {
    /// The GPU state; `None` after a fault until the next job rebuilds it.
    gpu: Option<GpuState>,
    /// How to rebuild it.
    recipe: GpuRecipe,
    /// The CPU backend jobs fail over to.
    cpu: Box<dyn AcceleratorBackend>,
    /// Jobs the GPU failed and the CPU ran.
    fallbacks: u64,
    /// Of those, the failures that dropped the GPU state (device faults).
    device_faults: u64,
}

impl BackendFactory for NvidiaBackendFactory {
    fn name(&self) -> &'static str {
        "nvidia"
    }

    fn create(self: Box<Self>) -> Result<Box<dyn AcceleratorBackend>, AcceleratorError> {
        let factory = *self;
        let recipe = GpuRecipe {
            device: factory.device,
            cpu: factory.cpu.clone(),
            tensorrt: factory.tensorrt,
        };
        let built = recipe.build();
        let cpu = Box::new(factory.cpu).create()?;
        match built {
            Ok((gpu, provider)) => {
                tracing::info!(
                    device = recipe.device,
                    detector = provider.name(),
                    "GPU owner ready: NVDEC decode, CUDA kernels, {} inference",
                    provider.name()
                );
                Ok(Box::new(NvidiaBackend {
                    gpu: Some(gpu),
                    recipe,
                    cpu,
                    fallbacks: 0,
                    device_faults: 0,
                }))
            }
            Err(err) if factory.require_gpu => Err(err),
            Err(err) => {
                tracing::warn!(
                    "GPU {} cannot be used, this owner runs on the CPU: {err}",
                    recipe.device
                );
                Ok(cpu)
            }
        }
    }
}

impl NvidiaBackend {
    /// The GPU state, rebuilt first if a fault dropped it; `None` when that fails too.
    fn gpu(&mut self) -> Option<&mut GpuState> {
        if self.gpu.is_none() {
            match self.recipe.build() {
                Ok((gpu, _)) => self.gpu = Some(gpu),
                Err(err) => tracing::error!(
                    "GPU {} could not be rebuilt; the CPU runs this job: {err}",
                    self.recipe.device
                ),
            }
        }
        self.gpu.as_mut()
    }

    /// The error a job gets when the GPU state could not be rebuilt.
    fn unavailable(&self, job: &DetectJob) -> AcceleratorError {
        AcceleratorError::Gpu {
            device: self.recipe.device,
            message: format!("unavailable for {}", job.clip.path.display()),
        }
    }

    /// Records a job the GPU failed, dropping the device state when it may be poisoned.
    fn fail_over(&mut self, err: &AcceleratorError, job: &str) {
        self.fallbacks += 1;
        tracing::warn!("GPU {} failed {job}; running it on the CPU: {err}", self.recipe.device);
        if err.is_device_fault() {
            self.device_faults += 1;
            self.gpu = None;
        }
    }
}

impl AcceleratorBackend for NvidiaBackend {
    fn name(&self) -> &'static str {
        "nvidia"
    }

    fn model_name(&self) -> &str {
        self.cpu.model_name()
    }

    fn detect_clip(
        &mut self,
        job: &DetectJob,
        emit: &mut dyn FnMut(SampledFrame) -> bool,
    ) -> Result<DetectStats, AcceleratorError> {
        let mut outcomes = self.detect_clips(std::slice::from_ref(job), &mut |_, frame| emit(frame));
        outcomes.pop().unwrap_or(Err(AcceleratorError::DownstreamClosed))
    }

    fn detect_clips(
        &mut self,
        jobs: &[DetectJob],
        emit: &mut dyn FnMut(usize, SampledFrame) -> bool,
    ) -> Vec<Result<DetectStats, AcceleratorError>> {
        let mut last_emitted: Vec<Option<u64>> = vec![None; jobs.len()];
        let outcomes = match self.gpu() {
            Some(gpu) => gpu.detection.run(&gpu.device, jobs, &mut |index, frame| {
                last_emitted[index] = Some(frame.frame_number);
                emit(index, frame)
            }),
            None => jobs.iter().map(|job| Err(self.unavailable(job))).collect(),
        };
        let mut finished = Vec::with_capacity(jobs.len());
        for ((index, job), outcome) in jobs.iter().enumerate().zip(outcomes) {
            let outcome = match outcome {
                Err(AcceleratorError::DownstreamClosed) => Err(AcceleratorError::DownstreamClosed),
                Err(err) => {
                    self.fail_over(&err, &format!("detection of {}", job.clip.path.display()));
                    let already = last_emitted[index];
                    self.cpu.detect_clip(job, &mut |frame| match already {
                        Some(last) if frame.frame_number <= last => true,
                        _ => emit(index, frame),
                    })
                }
                ok => ok,
            };
            finished.push(outcome);
        }
        finished
    }

    fn parallel_clips(&self) -> usize {
        self.gpu.as_ref().map_or(1, |gpu| gpu.device.decode_engines)
    }

    fn summary_pixels(&self) -> PixelFormat {
        PixelFormat::Yuv420p
    }

    fn render_summary(
        &mut self,
        job: &CompileJob,
        emit: &mut dyn FnMut(PooledBuffer) -> bool,
    ) -> Result<u64, AcceleratorError> {
        let mut sent = 0u64;
        if let Some(gpu) = self.gpu() {
            let mut counting = |frame: PooledBuffer| {
                sent += 1;
                emit(frame)
            };
            match gpu.render.run(&gpu.device, job, &mut counting) {
                Err(AcceleratorError::DownstreamClosed) => return Err(AcceleratorError::DownstreamClosed),
                Err(err) => self.fail_over(&err, &format!("the summary of CE {}", job.ce.id)),
                ok => return ok,
            }
        }
        // The CPU renders RGB; the encoder was opened for YUV 4:2:0, so frames are converted.
        let (width, height) = (
            self.recipe.cpu.summary.width as usize,
            self.recipe.cpu.summary.height as usize,
        );
        let mut planes = Vec::new();
        let mut skipped = 0u64;
        let mut after_gpu = |mut frame: PooledBuffer| {
            skipped += 1;
            if skipped <= sent {
                return true;
            }
            rgb_to_i420(frame.vec_mut(), width, height, &mut planes);
            frame.vec_mut().clone_from(&planes);
            emit(frame)
        };
        self.cpu
            .render_summary(job, &mut after_gpu)
            .map(|frames| frames.max(sent))
    }

    fn render_ai_frames(&mut self, job: &AiFramesJob) -> Result<Vec<AiFrameJpeg>, AcceleratorError> {
        if let Some(gpu) = self.gpu() {
            match gpu.ai.run(&gpu.device, job) {
                Err(err) => self.fail_over(&err, &format!("the AI frames of CE {}", job.ce.id)),
                ok => return ok,
            }
        }
        self.cpu.render_ai_frames(job)
    }

    fn fallbacks(&self) -> u64 {
        self.fallbacks
    }

    fn device_faults(&self) -> u64 {
        self.device_faults
    }

    /// Rebuilds the GPU state if a fault dropped it, then allocates a small buffer and
    /// synchronises the device.
    fn probe(&mut self) -> Result<(), AcceleratorError> {
        let device = self.recipe.device;
        let Some(gpu) = self.gpu() else {
            return Err(AcceleratorError::Gpu {
                device,
                message: "the GPU state could not be rebuilt".into(),
            });
        };
        let answered = gpu
            .device
            .alloc::<u8>(4096)
            .and_then(|_buffer| gpu.device.synchronize());
        if answered.is_err() {
            self.gpu = None;
        }
        answered
    }

    fn device_memory(&self) -> Option<DeviceMemory> {
        // The owner's context is current on this thread while the GPU state lives.
        self.gpu.as_ref()?;
        let (free, total) = cudarc::driver::result::mem_get_info().ok()?;
        Some(DeviceMemory {
            ordinal: self.recipe.device,
            used_bytes: total.saturating_sub(free) as u64,
        })
    }
}
