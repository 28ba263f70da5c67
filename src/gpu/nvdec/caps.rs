//! What the GPU's decode engines can do for a codec at 8-bit 4:2:0.
//!
//! Owns the `cuvidGetDecoderCaps` query and the check of a stream's size against its
//! answer. It creates no decoder; `decoder` calls [`DecoderCaps::check_size`] before
//! creating one, and start-up reports the caps (engine count, limits).

use super::ffi::{self, DecodeCaps, NvcuvidApi};
use super::{error, NvdecCodec, NvdecError};
use crate::gpu::cuda_context::GpuContext;

/// The decode engines' answer for one codec at 8-bit 4:2:0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecoderCaps {
    /// The codec asked about.
    pub codec: NvdecCodec,
    /// Whether the GPU decodes it at all.
    pub supported: bool,
    /// NVDEC engines on the GPU: one session uses one engine, so this many sessions in
    /// flight are needed for full throughput.
    pub engine_count: u8,
    /// Largest coded width.
    pub max_width: u32,
    /// Largest coded height.
    pub max_height: u32,
    /// Largest coded picture in 16×16 macroblocks.
    pub max_macroblocks: u32,
    /// Smallest coded width.
    pub min_width: u32,
    /// Smallest coded height.
    pub min_height: u32,
}

impl DecoderCaps {
    /// Builds the answer from the driver's struct.
    fn from_driver(codec: NvdecCodec, caps: &DecodeCaps) -> Self {
        Self {
            codec,
            supported: caps.is_supported != 0,
            engine_count: caps.num_nvdecs,
            max_width: caps.max_width,
            max_height: caps.max_height,
            max_macroblocks: caps.max_mb_count,
            min_width: u32::from(caps.min_width),
            min_height: u32::from(caps.min_height),
        }
    }

    /// Checks that a stream of this coded size can be decoded; the error says why not.
    pub fn check_size(&self, coded_width: u32, coded_height: u32) -> Result<(), NvdecError> {
        let macroblocks = u64::from(coded_width.div_ceil(16)) * u64::from(coded_height.div_ceil(16));
        let reason = if !self.supported {
            "not supported by this GPU's decode engines".to_string()
        } else if coded_width > self.max_width || coded_height > self.max_height {
            format!("larger than the decoder's {}x{} limit", self.max_width, self.max_height)
        } else if coded_width < self.min_width || coded_height < self.min_height {
            format!(
                "smaller than the decoder's {}x{} minimum",
                self.min_width, self.min_height
            )
        } else if macroblocks > u64::from(self.max_macroblocks) {
            format!(
                "{macroblocks} macroblocks, more than the decoder's {}",
                self.max_macroblocks
            )
        } else {
            return Ok(());
        };
        Err(NvdecError::Unsupported {
            codec: self.codec,
            width: coded_width,
            height: coded_height,
            reason,
        })
    }
}

/// Asks the driver what it can decode for `codec` at 8-bit 4:2:0.
pub fn query_decoder_caps(
    api: &NvcuvidApi,
    context: &GpuContext,
    codec: NvdecCodec,
) -> Result<DecoderCaps, NvdecError> {
    context.make_current()?;
    let mut caps = DecodeCaps {
        codec_type: codec.cuda_video_codec(),
        chroma_format: ffi::CUDA_VIDEO_CHROMA_FORMAT_420,
        bit_depth_minus8: 0,
        ..DecodeCaps::default()
    };
    // SAFETY: `caps` is a fully initialised CUVIDDECODECAPS with its inputs set and the
    // rest zero, as the API requires; the call only writes into it. The context is
    // current on this thread.
    let code = unsafe { (api.get_decoder_caps)(&mut caps) };
    error::check("cuvidGetDecoderCaps", code)?;
    Ok(DecoderCaps::from_driver(codec, &caps))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h264_caps() -> DecoderCaps {
        DecoderCaps::from_driver(
            NvdecCodec::H264,
            &DecodeCaps {
                is_supported: 1,
                num_nvdecs: 7,
                max_width: 4096,
                max_height: 4096,
                max_mb_count: 65536,
                min_width: 48,
                min_height: 16,
                ..DecodeCaps::default()
            },
        )
    }

    #[test]
    fn driver_answer_is_read_field_by_field() {
        let caps = h264_caps();
        assert!(caps.supported);
        assert_eq!(caps.engine_count, 7);
        assert_eq!((caps.min_width, caps.min_height), (48, 16));
    }

    #[test]
    fn sizes_inside_the_limits_pass() {
        assert!(h264_caps().check_size(1920, 1088).is_ok());
        assert!(h264_caps().check_size(4096, 4096).is_ok());
    }

    #[test]
    fn sizes_outside_the_limits_say_which_limit() {
        let too_wide = h264_caps().check_size(4112, 1088).unwrap_err();
        assert_eq!(
            too_wide.to_string(),
            "H.264 4112x1088: larger than the decoder's 4096x4096 limit"
        );
        let too_small = h264_caps().check_size(32, 32).unwrap_err();
        assert_eq!(
            too_small.to_string(),
            "H.264 32x32: smaller than the decoder's 48x16 minimum"
        );
    }

    #[test]
    fn macroblock_limit_applies_inside_the_width_and_height_limits() {
        let mut caps = h264_caps();
        caps.max_macroblocks = 8160; // 1920x1088 is 120 x 68 = 8160 macroblocks
        assert!(caps.check_size(1920, 1088).is_ok());
        let err = caps.check_size(1920, 1104).unwrap_err();
        assert_eq!(
            err.to_string(),
            "H.264 1920x1104: 8280 macroblocks, more than the decoder's 8160"
        );
    }

    #[test]
    fn unsupported_codec_is_refused_whatever_the_size() {
        let mut caps = h264_caps();
        caps.supported = false;
        let err = caps.check_size(1920, 1088).unwrap_err();
        assert_eq!(
            err.to_string(),
            "H.264 1920x1088: not supported by this GPU's decode engines"
        );
    }
}
