//! Messages into the encoder feeder: one video at a time per CE, frames in order.

use crate::pipeline::frame_pool::PooledBuffer;
use std::path::PathBuf;

/// Layout of the raw frames handed to the encoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelFormat {
    /// Interleaved 8-bit RGB (the CPU renderer's output).
    Rgb24,
    /// Planar 4:2:0 YUV, BT.601 limited range, as the encoder stores it (the GPU renderer
    /// converts on the device: half the bytes to move and no conversion in the encoder).
    Yuv420p,
}

impl PixelFormat {
    /// FFmpeg's name of the format.
    pub fn ffmpeg_name(self) -> &'static str {
        match self {
            Self::Rgb24 => "rgb24",
            Self::Yuv420p => "yuv420p",
        }
    }

    /// Bytes of one `width`×`height` frame (even sizes).
    pub fn frame_len(self, width: u32, height: u32) -> usize {
        let pixels = width as usize * height as usize;
        match self {
            Self::Rgb24 => pixels * 3,
            Self::Yuv420p => pixels * 3 / 2,
        }
    }
}

/// Format of the frames of one video.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoFormat {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Frames per second.
    pub fps: u32,
    /// Layout of the raw frames.
    pub pixels: PixelFormat,
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_lengths_follow_the_layout() {
        assert_eq!(PixelFormat::Rgb24.frame_len(1440, 1080), 4_665_600);
        assert_eq!(PixelFormat::Yuv420p.frame_len(1440, 1080), 2_332_800);
        assert_eq!(PixelFormat::Yuv420p.ffmpeg_name(), "yuv420p");
    }
}
