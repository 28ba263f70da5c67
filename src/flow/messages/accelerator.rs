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

impl DetectJob {
    /// The frames the pass decodes: the probed frame count, else duration × fps.
    pub fn frames(&self) -> u64 {
        if self.clip.frame_count > 0 {
            return self.clip.frame_count;
        }
        (self.clip.duration_sec * self.clip.fps).round().max(1.0) as u64
    }
}

impl AcceleratorJob {
    /// The frames the job makes its owner handle, the measure the job router balances owners
    /// by: a detection pass decodes its clip (the probed frame count, else duration × fps), a
    /// summary renders its plan's frames, AI frames are cut one by one.
    pub fn frames(&self) -> u64 {
        match self {
            Self::Detect(job) => job.frames(),
            Self::Compile(job) => job.plan.frame_count() as u64,
            Self::AiFrames(job) => job.frames.len() as u64,
        }
    }

    /// The CE the job belongs to.
    pub fn ce(&self) -> &CeJob {
        match self {
            Self::Detect(job) => &job.ce,
            Self::Compile(job) => &job.ce,
            Self::AiFrames(job) => &job.ce,
        }
    }
}

/// What one accelerator owner's own queue carries: the jobs the router hands it, and the probe
/// of its device once it is out of rotation after a fault.
#[derive(Debug, Clone)]
pub enum OwnerMessage {
    /// Run a job.
    Job(AcceleratorJob),
    /// Try the device (a cheap call); back into rotation if it answers.
    Probe,
}
