//! One decoder per clip for the whole of a job, each only ever moved
//! forward: a job asks for "camera C at time t" in increasing t per camera,
//! and gets the source frame shown at t without any clip being decoded twice.

use super::ffmpeg_decoder::{DecodedFrame, FfmpegDecoder};
use crate::accelerator::AcceleratorError;
use crate::media::probe::ClipMetadata;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

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

/// The open decoders of one job, by camera.
pub struct ClipCursors<'a> {
    /// The `ffmpeg` executable.
    ffmpeg: &'a Path,
    /// Decoded frames buffered ahead per clip.
    read_ahead: usize,
    /// Probed clips by camera.
    clips: &'a HashMap<String, Arc<ClipMetadata>>,
    /// Open cursors by camera.
    open: HashMap<String, ClipCursor>,
}

impl<'a> ClipCursors<'a> {
    /// Cursors over `clips`, opened on first use.
    pub fn new(ffmpeg: &'a Path, read_ahead: usize, clips: &'a HashMap<String, Arc<ClipMetadata>>) -> Self {
        Self {
            ffmpeg,
            read_ahead,
            clips,
            open: HashMap::new(),
        }
    }

    /// The frame of `camera` shown at `t`, with its clip's metadata.
    pub fn frame_at(&mut self, camera: &str, t: f64) -> Result<(&DecodedFrame, &ClipMetadata), AcceleratorError> {
        if !self.open.contains_key(camera) {
            let clip = self
                .clips
                .get(camera)
                .ok_or_else(|| AcceleratorError::UnknownCamera(camera.to_string()))?;
            let decoder = FfmpegDecoder::open(self.ffmpeg, &clip.path, clip.width, clip.height, self.read_ahead)?;
            let cursor = ClipCursor {
                clip: clip.clone(),
                decoder: Some(decoder),
                current: None,
            };
            self.open.insert(camera.to_string(), cursor);
        }
        let cursor = self.open.get_mut(camera).expect("inserted above");
        let clip: &ClipMetadata = self.clips.get(camera).expect("checked above");
        Ok((cursor.frame_at(t)?, clip))
    }
}
