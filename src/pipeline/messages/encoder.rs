//! Messages into the encoder feeder: one video at a time per CE, frames in order.

use crate::pipeline::frame_pool::PooledBuffer;
use std::path::PathBuf;

/// Format of the frames of one video.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoFormat {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Frames per second.
    pub fps: u32,
}

/// Messages to the encoder feeder, keyed by CE id.
pub enum EncoderMessage {
    /// Opens an encoder session writing `output` (atomically, on `Finish`).
    Begin {
        /// CE id.
        ce_id: String,
        /// Final path of the video.
        output: PathBuf,
        /// Frame format (RGB24 frames of `width × height`).
        format: VideoFormat,
    },
    /// The next frame, RGB24, tightly packed.
    Frame {
        /// CE id.
        ce_id: String,
        /// The pixels (returned to their pool once encoded).
        pixels: PooledBuffer,
    },
    /// No more frames: finish the file and move it into place.
    Finish {
        /// CE id.
        ce_id: String,
    },
    /// Rendering failed: discard the partial video.
    Abort {
        /// CE id.
        ce_id: String,
        /// One-line reason, written to `compilation_error.log`.
        reason: String,
    },
}
