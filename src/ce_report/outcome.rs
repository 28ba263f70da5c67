//! What one CE came to: each camera's result and the whole CE's, as the CE driver reports
//! them and the report files, the service and the cluster protocol read them.

use crate::ai::AnalysisResult;
use crate::flow::failure::PipelineError;
use crate::timeline::CameraRun;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The result of one camera of a CE.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CameraOutcome {
    /// Camera name.
    pub camera: String,
    /// The clip, when there was one.
    pub clip: Option<PathBuf>,
    /// The written sidecar.
    pub sidecar: Option<PathBuf>,
    /// Sampled frames in the sidecar.
    pub sampled_frames: usize,
    /// Sampled frames with at least one person.
    pub frames_with_person: usize,
    /// Why the camera failed.
    pub error: Option<PipelineError>,
}

/// The result of a whole CE.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CeOutcome {
    /// CE id.
    pub ce_id: String,
    /// CE folder.
    pub folder: PathBuf,
    /// Per camera, in the CE's camera order.
    pub cameras: Vec<CameraOutcome>,
    /// Primary camera of the plan.
    pub primary_camera: Option<String>,
    /// Number of timeline slices.
    pub slices: usize,
    /// Which camera the summary shows when.
    #[serde(default)]
    pub timeline: Vec<CameraRun>,
    /// The summary video, when made.
    pub summary: Option<PathBuf>,
    /// The preview GIF, when made.
    pub preview_gif: Option<PathBuf>,
    /// Summary frames encoded.
    pub summary_frames: u64,
    /// Why there is no summary.
    pub summary_error: Option<PipelineError>,
    /// The AI analysis, when one was made.
    pub analysis: Option<AnalysisResult>,
    /// Why the AI analysis failed, when it was attempted.
    pub analysis_error: Option<String>,
    /// Seconds from submission to the last sidecar.
    pub detect_seconds: f64,
    /// Seconds from the compile submission to the finished video.
    pub compile_seconds: f64,
}

impl CeOutcome {
    /// The same outcome with every path passed through `map` (to move it
    /// between hosts that mount the storage at different places).
    pub fn try_map_paths<E>(mut self, map: impl Fn(&Path) -> Result<PathBuf, E>) -> Result<Self, E> {
        let map_option = |path: &mut Option<PathBuf>| -> Result<(), E> {
            if let Some(inner) = path {
                *inner = map(inner)?;
            }
            Ok(())
        };
        self.folder = map(&self.folder)?;
        for camera in &mut self.cameras {
            map_option(&mut camera.clip)?;
            map_option(&mut camera.sidecar)?;
        }
        map_option(&mut self.summary)?;
        map_option(&mut self.preview_gif)?;
        Ok(self)
    }
}
