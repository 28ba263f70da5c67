//! Messages into the CPU contour / JSON writer.

use super::ce::CeJob;
use crate::flow::failure::PipelineError;
use crate::media::probe::ClipMetadata;
use crate::motion::mask::MotionMask;
use crate::sidecar::format::Detection;
use std::sync::Arc;

/// What the accelerator found on one sampled frame.
#[derive(Debug, Clone)]
pub struct SampledFrame {
    /// Index of the decoded frame.
    pub frame_number: u64,
    /// Presentation time, seconds from the clip start.
    pub timestamp_sec: f64,
    /// Detections in native pixels.
    pub detections: Vec<Detection>,
    /// Motion against the previous sampled frame (none for the first).
    pub motion: Option<MotionMask>,
}

/// Messages to the writer, in order per (CE, camera).
#[derive(Debug)]
pub enum WriterMessage {
    /// One sampled frame of a clip.
    Sample {
        /// The CE.
        ce: Arc<CeJob>,
        /// Camera name.
        camera: String,
        /// Native clip size, to scale motion masks back to clip pixels.
        native: (u32, u32),
        /// The frame's results.
        frame: SampledFrame,
    },
    /// The clip's detection pass ended; write its sidecar (or report the failure).
    ClipDone {
        /// The CE.
        ce: Arc<CeJob>,
        /// Camera name.
        camera: String,
        /// Probed metadata of the clip.
        clip: Arc<ClipMetadata>,
        /// Name of the model that produced the detections.
        model: String,
        /// Sampling interval used.
        frame_interval: u32,
        /// `Err` with a one-line reason when the pass failed part-way.
        outcome: Result<(), PipelineError>,
    },
}
