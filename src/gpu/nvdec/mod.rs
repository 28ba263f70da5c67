//! NVDEC: hardware H.264/HEVC decoding into device memory, through NVIDIA's
//! `libnvcuvid` loaded at run time.
//!
//! - [`ffi`]: the hand-declared C API subset and its loader ([`NvcuvidApi`]).
//! - [`caps`]: what the GPU's decode engines support ([`DecoderCaps`]).
//! - [`decoder`]: a parser + decoder session fed Annex-B access units
//!   ([`NvdecSession`]); decoded pictures stay on the GPU and are mapped only on request.
//! - [`error`]: the module's error type ([`NvdecError`]).
//!
//! Everything here runs on the GPU-owner thread: sessions borrow that thread's
//! [`GpuContext`](crate::gpu::cuda_context::GpuContext) and are not `Send`.

pub mod caps;
pub mod decoder;
pub mod error;
pub(crate) mod ffi;

use std::ffi::c_int;
use std::fmt;

use crate::media::mp4::VideoCodec;

pub use caps::{query_decoder_caps, DecoderCaps};
pub use decoder::{DisplayedPicture, MappedFrame, NvdecSession};
pub use error::NvdecError;
pub use ffi::NvcuvidApi;

/// A codec NVDEC decodes for this product (8-bit 4:2:0 only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NvdecCodec {
    /// H.264 / AVC.
    H264,
    /// H.265 / HEVC.
    Hevc,
}

impl NvdecCodec {
    /// The codec of a demuxed track, or `None` when NVDEC is not used for it.
    pub fn from_track_codec(codec: &VideoCodec) -> Option<Self> {
        match codec {
            VideoCodec::H264 => Some(Self::H264),
            VideoCodec::Hevc => Some(Self::Hevc),
            VideoCodec::Other(_) => None,
        }
    }

    /// The `cudaVideoCodec` value.
    fn cuda_video_codec(self) -> c_int {
        match self {
            Self::H264 => ffi::CUDA_VIDEO_CODEC_H264,
            Self::Hevc => ffi::CUDA_VIDEO_CODEC_HEVC,
        }
    }
}

impl fmt::Display for NvdecCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::H264 => "H.264",
            Self::Hevc => "HEVC",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::mp4::FourCc;

    #[test]
    fn track_codecs_map_to_cuda_video_codecs() {
        assert_eq!(
            NvdecCodec::from_track_codec(&VideoCodec::H264).map(NvdecCodec::cuda_video_codec),
            Some(4)
        );
        assert_eq!(
            NvdecCodec::from_track_codec(&VideoCodec::Hevc).map(NvdecCodec::cuda_video_codec),
            Some(8)
        );
        assert_eq!(NvdecCodec::from_track_codec(&VideoCodec::Other(FourCc(*b"av01"))), None);
    }
}
