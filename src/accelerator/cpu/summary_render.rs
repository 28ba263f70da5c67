//! CPU rendering of the summary video: one decoder per clip for the whole CE,
//! advanced only forward as the plan's frame times increase; each output
//! frame is the source frame shown at `t`, cropped (bicubic) to the output
//! size, stamped with the date/time/camera overlay, and handed on in a pooled
//! buffer. Nothing is accumulated: memory is the decoders' read-ahead plus
//! the output pool, whatever the length of the CE.

use super::clip_cursors::ClipCursors;
use crate::accelerator::AcceleratorError;
use crate::config::SummaryConfig;
use crate::flow::frame_pool::{FramePool, PooledBuffer};
use crate::flow::messages::CompileJob;
use crate::render::crop_resize::{CropRect, CropResizer};
use crate::render::frame::{RgbFrame, RgbFrameRef};
use crate::render::text_overlay::TextOverlay;
use crate::render::timestamp::summary_label;
use std::path::PathBuf;

/// Output frames in flight: the encoder queue plus the one being drawn.
const OUTPUT_POOL_EXTRA: usize = 2;

/// Render state of the CPU backend, reused across CEs.
pub struct SummaryRenderer {
    /// Output format and overlay switch.
    summary: SummaryConfig,
    /// The `ffmpeg` executable.
    ffmpeg: PathBuf,
    /// Decoded frames buffered ahead per clip.
    read_ahead: usize,
    /// Bicubic crop/resize.
    resizer: CropResizer,
    /// Timestamp overlay (caches the last rasterised string).
    overlay: TextOverlay,
    /// Output frame buffers.
    pool: FramePool,
}

impl SummaryRenderer {
    /// Render state for `summary`; the error is the overlay font failing to load.
    pub fn new(summary: SummaryConfig, ffmpeg: PathBuf, read_ahead: usize) -> Result<Self, String> {
        let frame_len = summary.width as usize * summary.height as usize * 3;
        Ok(Self {
            summary,
            ffmpeg,
            read_ahead,
            resizer: CropResizer::new(),
            overlay: TextOverlay::new().map_err(|err| err.to_string())?,
            pool: FramePool::new(read_ahead + OUTPUT_POOL_EXTRA, frame_len),
        })
    }

    /// Renders every frame of the job's plan, in order.
    pub fn run(
        &mut self,
        job: &CompileJob,
        emit: &mut dyn FnMut(PooledBuffer) -> bool,
    ) -> Result<u64, AcceleratorError> {
        let mut cursors = ClipCursors::new(&self.ffmpeg, self.read_ahead, &job.clips);
        let mut frames = 0u64;
        for planned in job.plan.frame_times() {
            let (source, clip) = cursors.frame_at(planned.camera, planned.t)?;
            let (width, height, clip_path) = (clip.width, clip.height, clip.path.clone());
            let frame_error = |message: String| AcceleratorError::Frame {
                clip: clip_path.clone(),
                message,
            };
            let source = RgbFrameRef::new(width, height, &source.pixels).map_err(|err| frame_error(err.to_string()))?;
            let mut out = self.pool.acquire();
            let mut frame = RgbFrame::from_vec(self.summary.width, self.summary.height, std::mem::take(out.vec_mut()))
                .map_err(|err| frame_error(err.to_string()))?;
            let crop = CropRect::from(planned.crop);
            let drawn = self.resizer.crop_resize(source, crop, &mut frame);
            if drawn.is_ok() && self.summary.timestamp_overlay {
                self.overlay.draw(
                    &mut frame,
                    &summary_label(job.ce.start_epoch + planned.t, planned.camera),
                );
            }
            *out.vec_mut() = frame.into_vec();
            drawn.map_err(|err| frame_error(err.to_string()))?;
            frames += 1;
            if !emit(out) {
                return Err(AcceleratorError::DownstreamClosed);
            }
        }
        Ok(frames)
    }
}
