//! Messages into the metadata-probe stage.

use super::ce::CeJob;
use std::path::PathBuf;
use std::sync::Arc;

/// A clip to probe before its detection pass.
#[derive(Debug, Clone)]
pub struct ProbeRequest {
    /// The CE the clip belongs to.
    pub ce: Arc<CeJob>,
    /// Camera name.
    pub camera: String,
    /// Path of the clip.
    pub clip: PathBuf,
}
