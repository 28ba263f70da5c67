//! Messages into the accelerator owner: everything a job needs travels in the
//! message (probed metadata, the computed plan), so the owner never touches
//! the disk to learn it.

use super::ce::CeJob;
use crate::media::probe::ClipMetadata;
use crate::timeline::{AiFrame, SummaryPlan};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// Detection pass over one camera's clip.
#[derive(Debug, Clone)]
pub struct DetectJob {
    /// The CE.
    pub ce: Arc<CeJob>,
    /// Camera name.
    pub camera: String,
    /// Probed metadata of the clip (path, size, fps, frame count, keyframes).
    pub clip: Arc<ClipMetadata>,
}

/// Rendering of the summary video of one CE.
#[derive(Debug, Clone)]
pub struct CompileJob {
    /// The CE.
    pub ce: Arc<CeJob>,
    /// Slices and crops, in time order.
    pub plan: Arc<SummaryPlan>,
    /// Probed metadata of each camera's clip, by camera name.
    pub clips: HashMap<String, Arc<ClipMetadata>>,
    /// Where the encoder feeder writes the video (the owner only passes it on).
    pub output: PathBuf,
}

/// Rendering of the AI analysis frames of one CE (cropped, stamped, JPEG).
#[derive(Debug, Clone)]
pub struct AiFramesJob {
    /// The CE.
    pub ce: Arc<CeJob>,
    /// The frames to cut, in time order.
    pub frames: Arc<Vec<AiFrame>>,
    /// Probed metadata of each camera's clip, by camera name.
    pub clips: HashMap<String, Arc<ClipMetadata>>,
}

/// Work for the accelerator owner.
#[derive(Debug, Clone)]
pub enum AcceleratorJob {
    /// Decode a clip and detect on its sampled frames.
    Detect(DetectJob),
    /// Render the summary video frames.
    Compile(CompileJob),
    /// Render the AI analysis frames.
    AiFrames(AiFramesJob),
}
