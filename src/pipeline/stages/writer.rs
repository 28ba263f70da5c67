//! The CPU contour / JSON writer stage: turns motion masks into motion boxes,
//! gathers each clip's sampled frames and writes its `detection.json`
//! durably, then the camera's `poster.jpg` (the frame of its largest
//! detection, cut by FFmpeg on this CPU thread, unless Frigate's snapshot is
//! there). It shares nothing with other stages; the parsed sidecar it
//! announces is the one every later consumer uses.

use crate::flow::failure::PipelineError;
use crate::flow::messages::{PipelineEvent, SampledFrame, WriterMessage};
use crate::motion::contours::motion_boxes;
use crate::pipeline::stage::Stage;
use crate::sidecar::format::{Sidecar, SidecarEntry};
use crate::sidecar::poster::ensure_poster;
use crate::sidecar::store::{write_sidecar, SidecarIoError, SIDECAR_FILE};
use crossbeam_channel::Sender;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// Share of the native frame a motion blob must cover to be kept (0.5%).
const MIN_MOTION_AREA_FRACTION: f64 = 0.005;

/// State of the writer thread.
pub struct WriterStage {
    /// Entries gathered so far, by (CE id, camera).
    pending: HashMap<(String, String), Vec<SidecarEntry>>,
    /// Sidecar-ready and failure events out.
    events: Sender<PipelineEvent>,
    /// `ffmpeg`, for the poster frames; none are written without it.
    ffmpeg: Option<PathBuf>,
}

impl WriterStage {
    /// A writer announcing results on `events`, cutting posters with `ffmpeg`.
    pub fn new(events: Sender<PipelineEvent>, ffmpeg: Option<PathBuf>) -> Self {
        Self {
            pending: HashMap::new(),
            events,
            ffmpeg,
        }
    }

    fn entry_for(frame: SampledFrame, native: (u32, u32)) -> SidecarEntry {
        let motion = frame
            .motion
            .map(|mask| motion_boxes(&mask, native.0, native.1, MIN_MOTION_AREA_FRACTION))
            .unwrap_or_default();
        SidecarEntry {
            frame_number: frame.frame_number,
            timestamp_sec: frame.timestamp_sec,
            detections: frame.detections,
            motion,
        }
    }
}

impl Stage for WriterStage {
    type Input = WriterMessage;

    fn handle(&mut self, message: WriterMessage) -> bool {
        match message {
            WriterMessage::Sample {
                ce,
                camera,
                native,
                frame,
            } => {
                let entry = Self::entry_for(frame, native);
                self.pending.entry((ce.id.clone(), camera)).or_default().push(entry);
                true
            }
            WriterMessage::ClipDone {
                ce,
                camera,
                clip,
                model,
                frame_interval,
                outcome,
            } => {
                let entries = self
                    .pending
                    .remove(&(ce.id.clone(), camera.clone()))
                    .unwrap_or_default();
                let failure = |error: PipelineError| PipelineEvent::CameraFailed {
                    ce_id: ce.id.clone(),
                    camera: camera.clone(),
                    error,
                };
                if let Err(error) = outcome {
                    let _ = self.events.send(failure(error));
                    return false;
                }
                let sidecar = Sidecar {
                    native_width: clip.width,
                    native_height: clip.height,
                    model,
                    frame_interval,
                    fps: clip.fps,
                    entries,
                };
                let folder = ce.camera_folder(&camera);
                let path = folder.join(SIDECAR_FILE);
                let written = std::fs::create_dir_all(&folder)
                    .map_err(|err| PipelineError::io(folder.display(), &err))
                    .and_then(|()| write_sidecar(&path, &sidecar).map_err(sidecar_write_error));
                if let (Ok(()), Some(ffmpeg)) = (&written, &self.ffmpeg) {
                    if let Err(error) = ensure_poster(ffmpeg, &folder, &clip.path, &sidecar) {
                        tracing::warn!(ce = %ce.id, camera = %camera, "no poster frame: {error}");
                    }
                }
                let event = match written {
                    Ok(()) => PipelineEvent::SidecarReady {
                        ce_id: ce.id.clone(),
                        camera: camera.clone(),
                        clip,
                        sidecar: Arc::new(sidecar),
                        path,
                    },
                    Err(error) => {
                        tracing::error!("{error}");
                        failure(error)
                    }
                };
                let ok = matches!(event, PipelineEvent::SidecarReady { .. });
                let _ = self.events.send(event);
                ok
            }
        }
    }
}

/// A sidecar write's failure, storage-unwritable when the disk is full or read-only.
fn sidecar_write_error(error: SidecarIoError) -> PipelineError {
    match error {
        SidecarIoError::Io { path, source } => PipelineError::io(path.display(), &source),
        SidecarIoError::Format { .. } => PipelineError::failed(error.to_string()),
    }
}
