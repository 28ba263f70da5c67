//! The raw frames an encoder is fed: their layout ([`PixelFormat`]) and the video's size
//! and rate ([`VideoFormat`]). Shared by the renderers that make the frames and the
//! encoders that take them.

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
