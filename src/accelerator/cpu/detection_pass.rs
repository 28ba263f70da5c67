//! The CPU detection pass over one clip: decode every frame, and on every
//! `frame_interval`-th one letterbox it into the batch, compute its motion
//! mask against the clip's background model, run the detector when the batch is
//! full, and emit one `SampledFrame` per sampled frame in order.

use super::ffmpeg_decoder::FfmpegDecoder;
use crate::accelerator::{AcceleratorError, DetectStats};
use crate::detect::letterbox::{Letterbox, LetterboxPreprocessor};
use crate::detect::postprocess::Postprocessor;
use crate::flow::messages::{DetectJob, SampledFrame};
use crate::inference::{BatchSupport, DetectorSession};
use crate::motion::background::MotionBackground;
use crate::motion::mask::{thumbnail_size, GreyThumbnail, MotionMask, DEFAULT_DIFF_THRESHOLD, DEFAULT_THUMBNAIL_WIDTH};
use std::path::{Path, PathBuf};

/// A sampled frame waiting in the batch for its detections.
struct PendingFrame {
    /// Index of the decoded frame.
    frame_number: u64,
    /// Presentation time in seconds.
    timestamp_sec: f64,
    /// Motion against the background (none for the seeding first frame).
    motion: Option<MotionMask>,
}

/// Detector state of the CPU backend, reused across clips.
pub struct DetectionPass {
    /// The ONNX Runtime session.
    session: DetectorSession,
    /// Output decoding, NMS, label filtering, letterbox mapping.
    postprocess: Postprocessor,
    /// Letterbox resize state.
    preprocess: LetterboxPreprocessor,
    /// Frames per inference call.
    batch: usize,
    /// Detect every n-th decoded frame.
    frame_interval: u32,
    /// Weight of a new sampled frame in the motion background.
    motion_alpha: f64,
    /// The `ffmpeg` executable.
    ffmpeg: PathBuf,
    /// Decoded frames buffered ahead.
    read_ahead: usize,
    /// Model input of the whole batch, reused.
    input: Vec<f32>,
    /// Model output, reused.
    output: Vec<f32>,
}

impl DetectionPass {
    /// Detection state around a loaded session.
    pub fn new(
        session: DetectorSession,
        postprocess: Postprocessor,
        batch: usize,
        frame_interval: u32,
        motion_alpha: f64,
        ffmpeg: PathBuf,
        read_ahead: usize,
    ) -> Self {
        let input = vec![0.0; batch * session.input_len()];
        Self {
            session,
            postprocess,
            preprocess: LetterboxPreprocessor::new(),
            batch,
            frame_interval,
            motion_alpha,
            ffmpeg,
            read_ahead,
            input,
            output: Vec::new(),
        }
    }

    /// Runs the pass over the job's clip.
    pub fn run(
        &mut self,
        job: &DetectJob,
        emit: &mut dyn FnMut(SampledFrame) -> bool,
    ) -> Result<DetectStats, AcceleratorError> {
        let clip = &job.clip;
        let frame_error = |message: String| AcceleratorError::Frame {
            clip: clip.path.clone(),
            message,
        };
        let letterbox = Letterbox::new(
            clip.width,
            clip.height,
            self.session.input_width,
            self.session.input_height,
        )
        .map_err(|err| frame_error(err.to_string()))?;
        let camera_index = job.ce.camera_index(&job.camera);
        let fps = if clip.fps > 0.0 { clip.fps } else { 20.0 };
        let mut decoder = FfmpegDecoder::open(&self.ffmpeg, &clip.path, clip.width, clip.height, self.read_ahead)?;
        let mut stats = DetectStats::default();
        let (thumb_width, thumb_height) = thumbnail_size(clip.width, clip.height, DEFAULT_THUMBNAIL_WIDTH);
        let mut background =
            MotionBackground::new(thumb_width, thumb_height, self.motion_alpha, DEFAULT_DIFF_THRESHOLD);
        let mut pending: Vec<PendingFrame> = Vec::with_capacity(self.batch);
        let frame_len = self.session.input_len();
        while let Some(frame) = decoder.next_frame() {
            let frame = frame?;
            stats.decoded_frames += 1;
            if let Some(index) = camera_index {
                job.ce.progress.set_detect_frames(index, stats.decoded_frames);
            }
            if frame.index % u64::from(self.frame_interval) != 0 {
                continue;
            }
            let slot = pending.len();
            self.preprocess
                .write_chw_input(
                    &frame.pixels,
                    clip.width,
                    clip.height,
                    &letterbox,
                    &mut self.input[slot * frame_len..(slot + 1) * frame_len],
                )
                .map_err(|err| frame_error(err.to_string()))?;
            let thumbnail = GreyThumbnail::from_rgb(&frame.pixels, clip.width, clip.height, DEFAULT_THUMBNAIL_WIDTH)
                .map_err(|err| frame_error(err.to_string()))?;
            let motion = background
                .update(&thumbnail)
                .map_err(|err| frame_error(err.to_string()))?;
            pending.push(PendingFrame {
                frame_number: frame.index,
                timestamp_sec: frame.index as f64 / fps,
                motion,
            });
            if pending.len() == self.batch {
                self.flush(&mut pending, &letterbox, &clip.path, emit, &mut stats)?;
            }
        }
        self.flush(&mut pending, &letterbox, &clip.path, emit, &mut stats)?;
        decoder.finish()?;
        if stats.decoded_frames == 0 {
            return Err(frame_error("no frame could be decoded".into()));
        }
        Ok(stats)
    }

    /// Runs the detector on the pending frames and emits them in order.
    fn flush(
        &mut self,
        pending: &mut Vec<PendingFrame>,
        letterbox: &Letterbox,
        clip: &Path,
        emit: &mut dyn FnMut(SampledFrame) -> bool,
        stats: &mut DetectStats,
    ) -> Result<(), AcceleratorError> {
        if pending.is_empty() {
            return Ok(());
        }
        // A model with a fixed batch always gets a full batch; unused slots keep stale input.
        let run_batch = match self.session.batch {
            BatchSupport::Fixed(n) => n,
            BatchSupport::Dynamic => pending.len(),
        };
        let frame_len = self.session.input_len();
        self.session
            .run(&self.input[..run_batch * frame_len], run_batch, &mut self.output)?;
        for (index, frame) in pending.drain(..).enumerate() {
            let detections = self
                .postprocess
                .detections(&self.output, index, letterbox)
                .map_err(|err| AcceleratorError::Frame {
                    clip: clip.to_path_buf(),
                    message: err.to_string(),
                })?;
            stats.sampled_frames += 1;
            let sampled = SampledFrame {
                frame_number: frame.frame_number,
                timestamp_sec: frame.timestamp_sec,
                detections,
                motion: frame.motion,
            };
            if !emit(sampled) {
                return Err(AcceleratorError::DownstreamClosed);
            }
        }
        Ok(())
    }
}
