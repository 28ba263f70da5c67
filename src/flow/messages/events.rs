//! Events from the stages back to whoever drives CEs (`pipeline::ce_run`'s driver, run by the
//! `process` and `bench` commands, the service's coordinator and a cluster worker).

use crate::ai::AnalysisResult;
use crate::flow::failure::PipelineError;
use crate::media::probe::ClipMetadata;
use crate::sidecar::format::Sidecar;
use std::path::PathBuf;
use std::sync::Arc;

/// Something that happened to a CE.
#[derive(Debug)]
pub enum PipelineEvent {
    /// A camera's sidecar is written; the parsed value is shared from here on.
    SidecarReady {
        /// CE id.
        ce_id: String,
        /// Camera name.
        camera: String,
        /// Probed metadata of the clip.
        clip: Arc<ClipMetadata>,
        /// The sidecar, parsed once for every later consumer.
        sidecar: Arc<Sidecar>,
        /// Where it was written.
        path: PathBuf,
    },
    /// A camera failed (probe, decode, detection or sidecar write).
    CameraFailed {
        /// CE id.
        ce_id: String,
        /// Camera name.
        camera: String,
        /// One-line reason naming the clip or file, and its kind.
        error: PipelineError,
    },
    /// The summary video (and its preview GIF) are in place.
    SummaryReady {
        /// CE id.
        ce_id: String,
        /// The video.
        video: PathBuf,
        /// The preview GIF, when it could be made.
        gif: Option<PathBuf>,
        /// Frames encoded.
        frames: u64,
    },
    /// The AI analysis finished (or failed, with a one-line reason).
    AnalysisDone {
        /// CE id.
        ce_id: String,
        /// The parsed answer, or why there is none.
        outcome: Result<AnalysisResult, String>,
    },
    /// The summary could not be produced; `compilation_error.log` says why.
    SummaryFailed {
        /// CE id.
        ce_id: String,
        /// One-line reason, and its kind.
        error: PipelineError,
    },
}
