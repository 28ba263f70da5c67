//! Messages into the AI analysis stage.

use super::ce::CeJob;
use crate::ai::AiFrameJpeg;
use std::sync::Arc;

/// The rendered AI frames of one CE, ready to be sent for analysis.
#[derive(Debug)]
pub struct AiRequest {
    /// The CE.
    pub ce: Arc<CeJob>,
    /// Frames in time order (empty when rendering failed).
    pub frames: Vec<AiFrameJpeg>,
    /// Why there are no frames, when rendering failed.
    pub render_error: Option<String>,
}
