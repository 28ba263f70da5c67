//! The accelerator owner's backends.
//!
//! The accelerator owner (`pipeline::stages::accelerator_owner`) is one
//! thread per device that decodes clips, runs the detector, computes motion
//! masks and renders summary frames. *How* it does that is a backend:
//!
//! - `cpu`: FFmpeg decode, ONNX Runtime on the CPU, CPU crop/resize/overlay.
//! - `nvidia`: NVDEC decode into device memory, CUDA kernels, ONNX Runtime's
//!   TensorRT/CUDA providers on device buffers; the CPU backend is its fallback.
//!
//! A backend is built on the owner thread by a [`BackendFactory`] and is never
//! `Send`: once created it cannot leave that thread, so exclusive use of its
//! device state needs no lock. `selection` decides at start-up which backend
//! each owner gets, and why.

pub mod cpu;
mod detector_setup;
mod error;
pub mod nvidia;
pub mod selection;

pub use error::AcceleratorError;

use crate::ai::AiFrameJpeg;
use crate::encode::PixelFormat;
use crate::flow::frame_pool::PooledBuffer;
use crate::flow::messages::{AiFramesJob, CompileJob, DetectJob, SampledFrame};
use crate::flow::telemetry::DeviceMemory;

/// Counts reported by a finished detection pass.
#[derive(Debug, Clone, Copy, Default)]
pub struct DetectStats {
    /// Frames decoded.
    pub decoded_frames: u64,
    /// Frames run through the detector.
    pub sampled_frames: u64,
}

/// What an accelerator backend can do. Implementations live on one thread.
pub trait AcceleratorBackend {
    /// Short name for logs and `doctor` (`cpu`, `nvidia`).
    fn name(&self) -> &'static str;

    /// Name of the loaded detector model, written into sidecars.
    fn model_name(&self) -> &str;

    /// Decodes the job's clip and emits one [`SampledFrame`] per sampled frame,
    /// in order. `emit` returns `false` when the receiver is gone.
    fn detect_clip(
        &mut self,
        job: &DetectJob,
        emit: &mut dyn FnMut(SampledFrame) -> bool,
    ) -> Result<DetectStats, AcceleratorError>;

    /// Detection passes over several clips together, where the device decodes several at
    /// once; `emit` gets the index of the job a frame belongs to. One outcome per job, in
    /// order. By default the passes run one after another.
    fn detect_clips(
        &mut self,
        jobs: &[DetectJob],
        emit: &mut dyn FnMut(usize, SampledFrame) -> bool,
    ) -> Vec<Result<DetectStats, AcceleratorError>> {
        jobs.iter()
            .enumerate()
            .map(|(index, job)| self.detect_clip(job, &mut |frame| emit(index, frame)))
            .collect()
    }

    /// How many clips [`AcceleratorBackend::detect_clips`] should get at once.
    fn parallel_clips(&self) -> usize {
        1
    }

    /// Layout of the summary frames this backend renders.
    fn summary_pixels(&self) -> PixelFormat {
        PixelFormat::Rgb24
    }

    /// Renders the summary frames of the job's plan, in order, each into a
    /// pooled buffer of the output size in [`AcceleratorBackend::summary_pixels`]'s
    /// layout. Returns the number of frames.
    fn render_summary(
        &mut self,
        job: &CompileJob,
        emit: &mut dyn FnMut(PooledBuffer) -> bool,
    ) -> Result<u64, AcceleratorError>;

    /// Cuts, stamps and JPEG-encodes the job's AI frames, in order.
    fn render_ai_frames(&mut self, job: &AiFramesJob) -> Result<Vec<AiFrameJpeg>, AcceleratorError>;

    /// Jobs this backend's device failed and a fallback backend ran, since start-up.
    fn fallbacks(&self) -> u64 {
        0
    }

    /// Device faults since start-up that the backend recovered from by itself (running the
    /// job on a fallback); the owner leaves rotation when this grows, as it does when a job
    /// fails with a device fault.
    fn device_faults(&self) -> u64 {
        0
    }

    /// A cheap call on the device, made by an owner out of rotation after a fault: `Ok` when
    /// the device works again. Without a device there is nothing to fail.
    fn probe(&mut self) -> Result<(), AcceleratorError> {
        Ok(())
    }

    /// Memory in use on this backend's GPU now; `None` without one.
    fn device_memory(&self) -> Option<DeviceMemory> {
        None
    }
}

/// Builds a backend on the thread that will own it.
pub trait BackendFactory: Send {
    /// Short name of the backend this factory builds.
    fn name(&self) -> &'static str;

    /// Creates the backend (loads the model, opens the device).
    fn create(self: Box<Self>) -> Result<Box<dyn AcceleratorBackend>, AcceleratorError>;
}
