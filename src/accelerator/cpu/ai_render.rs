//! CPU rendering of the AI analysis frames: each planned frame is the source
//! frame of its camera at `t`, cropped (or letterboxed) to the AI frame size,
//! stamped `"<date time> | <camera> | i/N"` and encoded as JPEG.

use super::clip_cursors::ClipCursors;
use crate::accelerator::AcceleratorError;
use crate::ai::{AiFrameJpeg, AiFrameRenderer, AI_FRAME_SIZE};
use crate::flow::messages::AiFramesJob;
use crate::render::frame::RgbFrameRef;
use crate::render::timestamp::ai_frame_label;
use std::path::PathBuf;

/// AI frame render state of the CPU backend.
pub struct AiRender {
    /// Crop/letterbox, overlay and JPEG state.
    renderer: AiFrameRenderer,
    /// The `ffmpeg` executable.
    ffmpeg: PathBuf,
    /// Decoded frames buffered ahead per clip.
    read_ahead: usize,
}

impl AiRender {
    /// Render state; the error is the overlay font failing to load.
    pub fn new(ffmpeg: PathBuf, read_ahead: usize) -> Result<Self, String> {
        Ok(Self {
            renderer: AiFrameRenderer::new(AI_FRAME_SIZE).map_err(|err| err.to_string())?,
            ffmpeg,
            read_ahead,
        })
    }

    /// Renders every frame of the job, in order.
    pub fn run(&mut self, job: &AiFramesJob) -> Result<Vec<AiFrameJpeg>, AcceleratorError> {
        let mut cursors = ClipCursors::new(&self.ffmpeg, self.read_ahead, &job.clips);
        let total = job.frames.len();
        let mut out = Vec::with_capacity(total);
        for (index, frame) in job.frames.iter().enumerate() {
            let (source, clip) = cursors.frame_at(&frame.camera, frame.t)?;
            let failure = |message: String| AcceleratorError::Frame {
                clip: clip.path.clone(),
                message,
            };
            let view = RgbFrameRef::new(clip.width, clip.height, &source.pixels).map_err(|e| failure(e.to_string()))?;
            let label = ai_frame_label(job.ce.start_epoch + frame.t, &frame.camera, index + 1, total);
            let jpeg = self
                .renderer
                .render(view, frame.crop, &label)
                .map_err(|e| failure(e.to_string()))?;
            out.push(AiFrameJpeg {
                camera: frame.camera.clone(),
                timestamp_sec: frame.t,
                jpeg,
            });
        }
        Ok(out)
    }
}
