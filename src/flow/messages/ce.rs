//! The consolidated event as it travels through the pipeline.
//!
//! Owns [`CeJob`], the immutable description of one CE shared (as an `Arc`)
//! by every message about it, and [`CeProgress`], the lock-free counters
//! stages bump so a display can follow the work without extra messages.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// One camera's clip within a CE.
#[derive(Debug, Clone)]
pub struct CameraClip {
    /// Camera name (also the name of its sub-folder).
    pub camera: String,
    /// Path of the clip.
    pub clip: PathBuf,
}

/// Lock-free progress counters of one CE.
#[derive(Debug, Default)]
pub struct CeProgress {
    /// Decoded frames of the detection pass, per camera (same order as `CeJob::cameras`).
    detect_frames: Vec<AtomicU64>,
    /// Summary frames rendered so far.
    summary_frames: AtomicU64,
}

impl CeProgress {
    fn for_cameras(count: usize) -> Self {
        Self {
            detect_frames: (0..count).map(|_| AtomicU64::new(0)).collect(),
            summary_frames: AtomicU64::new(0),
        }
    }

    /// Sets the number of frames decoded so far on camera `index`.
    pub fn set_detect_frames(&self, index: usize, frames: u64) {
        if let Some(counter) = self.detect_frames.get(index) {
            counter.store(frames, Ordering::Relaxed);
        }
    }

    /// Frames decoded so far on camera `index`.
    pub fn detect_frames(&self, index: usize) -> u64 {
        self.detect_frames.get(index).map_or(0, |c| c.load(Ordering::Relaxed))
    }

    /// Sets the number of summary frames rendered so far.
    pub fn set_summary_frames(&self, frames: u64) {
        self.summary_frames.store(frames, Ordering::Relaxed);
    }

    /// Summary frames rendered so far.
    pub fn summary_frames(&self) -> u64 {
        self.summary_frames.load(Ordering::Relaxed)
    }
}

/// One consolidated event to process.
#[derive(Debug)]
pub struct CeJob {
    /// CE identifier (`ce_<start>_<hex8>`, or the folder name offline).
    pub id: String,
    /// The CE folder; camera sub-folders and outputs live here.
    pub folder: PathBuf,
    /// Wall-clock time (epoch seconds) of t = 0 in every clip, for overlays.
    pub start_epoch: f64,
    /// Length of the CE's export window in seconds (0 when unknown).
    pub window_seconds: f64,
    /// The cameras and their clips.
    pub cameras: Vec<CameraClip>,
    /// Progress counters.
    pub progress: CeProgress,
}

impl CeJob {
    /// Creates a CE job with zeroed progress.
    pub fn new(id: String, folder: PathBuf, start_epoch: f64, window_seconds: f64, cameras: Vec<CameraClip>) -> Self {
        let progress = CeProgress::for_cameras(cameras.len());
        Self {
            id,
            folder,
            start_epoch,
            window_seconds,
            cameras,
            progress,
        }
    }

    /// Position of `camera` in [`CeJob::cameras`].
    pub fn camera_index(&self, camera: &str) -> Option<usize> {
        self.cameras.iter().position(|c| c.camera == camera)
    }

    /// The camera's output folder (`<ce>/<camera>/`).
    pub fn camera_folder(&self, camera: &str) -> PathBuf {
        self.folder.join(camera)
    }

    /// Name of the CE folder (used in output file names).
    pub fn folder_name(&self) -> String {
        self.folder
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.id.clone())
    }
}
