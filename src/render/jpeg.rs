//! JPEG encoding of rendered frames (the AI frames sent for analysis, quality 90 there).
//!
//! Owns only the encoder call; writing the bytes to disk or into a request is the caller's job.

use image::codecs::jpeg::JpegEncoder;
use image::{ExtendedColorType, ImageError};
use thiserror::Error;

use super::frame::RgbFrameRef;

/// The JPEG encoder rejected a frame.
#[derive(Debug, Error)]
#[error("JPEG encoding of a {width}x{height} frame failed: {source}")]
pub struct JpegEncodeError {
    /// Width of the frame that failed, in pixels.
    pub width: u32,
    /// Height of the frame that failed, in pixels.
    pub height: u32,
    /// The encoder's reason.
    #[source]
    pub source: ImageError,
}

/// Encodes `frame` as a baseline JPEG at `quality` (1–100; values outside are clamped by the
/// encoder).
pub fn encode_jpeg<'f>(frame: impl Into<RgbFrameRef<'f>>, quality: u8) -> Result<Vec<u8>, JpegEncodeError> {
    let frame = frame.into();
    // A quality-90 JPEG is usually well under a tenth of the raw size.
    let mut bytes = Vec::with_capacity(frame.data().len() / 8);
    JpegEncoder::new_with_quality(&mut bytes, quality)
        .encode(frame.data(), frame.width(), frame.height(), ExtendedColorType::Rgb8)
        .map_err(|source| JpegEncodeError {
            width: frame.width(),
            height: frame.height(),
            source,
        })?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::frame::RgbFrame;

    #[test]
    fn encoded_frame_decodes_to_same_size_and_colour() {
        let colour = [200u8, 60, 40];
        let data: Vec<u8> = colour.iter().copied().cycle().take(64 * 48 * 3).collect();
        let frame = RgbFrame::from_vec(64, 48, data).unwrap();
        let bytes = encode_jpeg(&frame, 90).unwrap();
        assert_eq!(bytes[..2], [0xFF, 0xD8]);
        let decoded = image::load_from_memory(&bytes).unwrap().to_rgb8();
        assert_eq!(decoded.dimensions(), (64, 48));
        let centre = decoded.get_pixel(32, 24).0;
        for (got, want) in centre.iter().zip(colour) {
            assert!(got.abs_diff(want) <= 6, "decoded {centre:?}, encoded {colour:?}");
        }
    }

    #[test]
    fn empty_frame_is_an_error_naming_its_size() {
        let error = encode_jpeg(&RgbFrame::black(0, 0), 90).unwrap_err();
        assert!(error.to_string().starts_with("JPEG encoding of a 0x0 frame failed"));
    }
}
