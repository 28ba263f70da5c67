//! CPU rendering of the summary video: one decoder per clip for the whole CE,
//! advanced only forward as the plan's frame times increase; each output
//! frame is the source frame shown at `t`, cropped (bicubic) to the output
//! size, stamped with the date/time/camera overlay, and handed on in a pooled
//! buffer. Nothing is accumulated: memory is the decoders' read-ahead plus
//! the output pool, whatever the length of the CE.

use super::ffmpeg_decoder::{DecodedFrame, FfmpegDecoder};
use crate::accelerator::AcceleratorError;
use crate::config::SummaryConfig;
use crate::media::probe::ClipMetadata;
use crate::pipeline::frame_pool::{FramePool, PooledBuffer};
use crate::pipeline::messages::CompileJob;
use crate::render::crop_resize::{CropRect, CropResizer};
use crate::render::frame::{RgbFrame, RgbFrameRef};
use crate::render::text_overlay::TextOverlay;
use crate::render::timestamp::summary_label;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// Output frames in flight: the encoder queue plus the one being drawn.
const OUTPUT_POOL_EXTRA: usize = 2;

/// A clip's decoder positioned at the most recent frame taken from it.
struct ClipCursor {
    /// The clip's metadata.
    clip: Arc<ClipMetadata>,
    /// The decoder; `None` once the clip has ended.
    decoder: Option<FfmpegDecoder>,
    /// The last frame decoded (shown again if the clip ends early).
    current: Option<DecodedFrame>,
}

impl ClipCursor {
    /// Advances to the frame shown at `t` seconds and returns it.
    fn frame_at(&mut self, t: f64) -> Result<&DecodedFrame, AcceleratorError> {
        let fps = if self.clip.fps > 0.0 { self.clip.fps } else { 20.0 };
        let last = self.clip.frame_count.saturating_sub(1);
        let target = ((t * fps + 1e-6).floor().max(0.0) as u64).min(last);
        while self.current.as_ref().is_none_or(|f| f.index < target) {
            let Some(decoder) = self.decoder.as_mut() else { break };
            match decoder.next_frame() {
                Some(frame) => self.current = Some(frame?),
                None => {
                    if let Some(decoder) = self.decoder.take() {
                        decoder.finish()?;
                    }
                }
            }
        }
        self.current.as_ref().ok_or_else(|| AcceleratorError::Decode {
            clip: self.clip.path.clone(),
            message: "no frame could be decoded".into(),
        })
    }
}

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
        let mut cursors: HashMap<&str, ClipCursor> = HashMap::new();
        let mut frames = 0u64;
        for planned in job.plan.frame_times() {
            let cursor = match cursors.entry(planned.camera) {
                std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
                std::collections::hash_map::Entry::Vacant(entry) => {
                    let clip = job
                        .clips
                        .get(planned.camera)
                        .ok_or_else(|| AcceleratorError::UnknownCamera(planned.camera.to_string()))?;
                    let decoder =
                        FfmpegDecoder::open(&self.ffmpeg, &clip.path, clip.width, clip.height, self.read_ahead)?;
                    entry.insert(ClipCursor {
                        clip: clip.clone(),
                        decoder: Some(decoder),
                        current: None,
                    })
                }
            };
            let (width, height, clip_path) = (cursor.clip.width, cursor.clip.height, cursor.clip.path.clone());
            let source = cursor.frame_at(planned.t)?;
            let frame_error = |message: String| AcceleratorError::Frame {
                clip: clip_path.clone(),
                message,
            };
            let source = RgbFrameRef::new(width, height, &source.pixels).map_err(|err| frame_error(err.to_string()))?;
            let mut out = self.pool.acquire();
            let mut frame = RgbFrame::from_vec(self.summary.width, self.summary.height, std::mem::take(out.vec_mut()))
                .map_err(|err| frame_error(err.to_string()))?;
            let crop = CropRect {
                x: f64::from(planned.crop.x),
                y: f64::from(planned.crop.y),
                width: f64::from(planned.crop.w),
                height: f64::from(planned.crop.h),
            };
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
