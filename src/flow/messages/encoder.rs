//! Messages into the encoder feeder: one video at a time per CE, frames in order.

use crate::encode::VideoFormat;
use crate::flow::frame_pool::PooledBuffer;
use std::path::PathBuf;

/// Messages to the encoder feeder, keyed by CE id.
pub enum EncoderMessage {
    /// Opens an encoder session writing `output` (atomically, on `Finish`).
    Begin {
        /// CE id.
        ce_id: String,
        /// Final path of the video.
        output: PathBuf,
        /// Frame format.
        format: VideoFormat,
    },
    /// The next frame, in the format given at `Begin`, tightly packed.
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
