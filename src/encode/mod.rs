//! Video encoders used by the encoder feeder, behind one trait so a hardware
//! encoder can take the place of the software one.
//!
//! - `ffmpeg_pipe`: H.264 by an FFmpeg subprocess (raw frames on its stdin), libx264 or
//!   NVENC (`h264_nvenc`).
//! - `nvenc_trial`: the start-up trial encode that decides whether NVENC is used.
//! - `preview_gif`: the `notification.gif` preview, made from the summary's frames as they
//!   are encoded.
//! - `video_format`: the layout, size and rate of the raw frames encoders take.

pub mod ffmpeg_pipe;
pub mod nvenc_trial;
pub mod preview_gif;
#[cfg(test)]
pub(crate) mod stand_in_ffmpeg;
mod video_format;

use std::path::Path;
pub use video_format::{PixelFormat, VideoFormat};

/// Why encoding failed.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    /// The encoder program is not installed.
    #[error("encoder unavailable: {0}")]
    Unavailable(String),
    /// Starting or feeding the encoder failed.
    #[error("encoding {}: {message}", path.display())]
    Failed {
        /// The output being written.
        path: std::path::PathBuf,
        /// What went wrong (the encoder's last error lines).
        message: String,
    },
    /// The output could not be written: its file system is full or read-only.
    #[error("encoding {}: {message}", path.display())]
    StorageUnwritable {
        /// The output being written.
        path: std::path::PathBuf,
        /// What the encoder said.
        message: String,
    },
}

/// One open encode: frames in, a file out.
pub trait VideoEncoder {
    /// Encodes the next frame, in the layout given to [`EncoderFactory::open`] (RGB24 from
    /// the CPU backend, YUV 4:2:0 from the NVIDIA backend).
    fn write_frame(&mut self, frame: &[u8]) -> Result<(), EncodeError>;

    /// Flushes and closes the file. The file is complete once this returns `Ok`.
    fn finish(self: Box<Self>) -> Result<(), EncodeError>;
}

/// Opens encoders; lives on the encoder-feeder thread.
pub trait EncoderFactory: Send {
    /// Name for logs and `doctor` (`libx264 (ffmpeg)`).
    fn name(&self) -> String;

    /// Starts encoding to `path` (a temporary name; the caller renames it).
    fn open(&self, path: &Path, format: VideoFormat) -> Result<Box<dyn VideoEncoder>, EncodeError>;
}
