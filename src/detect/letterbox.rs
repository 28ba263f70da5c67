//! Letterbox geometry and the CPU letterbox preprocessor for the detector.
//!
//! Owns the mapping between a clip's native pixels and the detector's input
//! pixels (keep aspect, centred padding, exactly as Ultralytics does), and the
//! conversion of an interleaved RGB frame into the planar `0..1` tensor the
//! model reads. It knows nothing of the model's output, of ONNX Runtime or of
//! the GPU path (whose kernel must follow the same geometry).

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

/// Value of the padding around the resized frame, as Ultralytics pads (grey 114).
pub const PAD_VALUE: f32 = 114.0 / 255.0;

/// Scale from `u8` channel values to the model's `0..1` range.
const CHANNEL_SCALE: f32 = 1.0 / 255.0;

/// Why a letterbox could not be built or a frame could not be preprocessed.
#[derive(Debug, thiserror::Error)]
pub enum LetterboxError {
    /// A source or target side of zero pixels has no letterbox.
    #[error("cannot letterbox {source_width}x{source_height} into {target_width}x{target_height}: every side must be at least 1 px")]
    EmptySize {
        /// Native frame width.
        source_width: u32,
        /// Native frame height.
        source_height: u32,
        /// Model input width.
        target_width: u32,
        /// Model input height.
        target_height: u32,
    },
    /// The frame's size is not the size the letterbox was built for.
    #[error("frame is {width}x{height} but the letterbox was built for {expected_width}x{expected_height}")]
    FrameSizeMismatch {
        /// Width of the frame handed in.
        width: u32,
        /// Height of the frame handed in.
        height: u32,
        /// Native width the letterbox expects.
        expected_width: u32,
        /// Native height the letterbox expects.
        expected_height: u32,
    },
    /// A buffer does not hold exactly the values its dimensions call for.
    #[error("{buffer} buffer holds {actual} values, expected {expected}")]
    BufferLength {
        /// Which buffer (`RGB frame` or `model input`).
        buffer: &'static str,
        /// Length the dimensions call for.
        expected: usize,
        /// Length handed in.
        actual: usize,
    },
    /// The resize library refused a buffer (cannot happen once the lengths are checked).
    #[error("wrapping a frame buffer for the resizer failed: {0}")]
    ImageBuffer(#[from] fast_image_resize::ImageBufferError),
    /// The resize library refused the images (cannot happen for matching pixel types).
    #[error("resizing the frame for the detector failed: {0}")]
    Resize(#[from] fast_image_resize::ResizeError),
}

/// How a native frame sits inside the model's input: scaled to fit, centred, padded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Letterbox {
    /// Native frame width, so frames and boxes can be checked against it.
    pub source_width: u32,
    /// Native frame height.
    pub source_height: u32,
    /// Model input width.
    pub target_width: u32,
    /// Model input height.
    pub target_height: u32,
    /// Native-to-input scale, `min(target_w / source_w, target_h / source_h)`.
    pub scale: f64,
    /// Width of the resized frame inside the input (`round(source_w × scale)`).
    pub content_width: u32,
    /// Height of the resized frame inside the input.
    pub content_height: u32,
    /// Padding columns left of the content (the right side gets the rest).
    pub pad_left: u32,
    /// Padding rows above the content (the bottom gets the rest).
    pub pad_top: u32,
}

impl Letterbox {
    /// Fits a `source_width × source_height` frame into a `target_width × target_height`
    /// input, as Ultralytics' `LetterBox` does (odd padding puts the extra pixel
    /// right/bottom).
    pub fn new(
        source_width: u32,
        source_height: u32,
        target_width: u32,
        target_height: u32,
    ) -> Result<Self, LetterboxError> {
        if source_width == 0 || source_height == 0 || target_width == 0 || target_height == 0 {
            return Err(LetterboxError::EmptySize {
                source_width,
                source_height,
                target_width,
                target_height,
            });
        }
        let scale = (f64::from(target_width) / f64::from(source_width))
            .min(f64::from(target_height) / f64::from(source_height));
        let fit = |source: u32, target: u32| ((f64::from(source) * scale).round() as u32).clamp(1, target);
        let content_width = fit(source_width, target_width);
        let content_height = fit(source_height, target_height);
        // Ultralytics: `top = round(dh / 2 - 0.1)`, which floors an odd padding.
        let leading_pad = |target: u32, content: u32| (f64::from(target - content) / 2.0 - 0.1).round().max(0.0) as u32;
        Ok(Self {
            source_width,
            source_height,
            target_width,
            target_height,
            scale,
            content_width,
            content_height,
            pad_left: leading_pad(target_width, content_width),
            pad_top: leading_pad(target_height, content_height),
        })
    }

    /// Maps an `[x1, y1, x2, y2]` box from model-input pixels to native pixels,
    /// clamped to the native frame.
    pub fn to_native(&self, bbox: [f64; 4]) -> [f64; 4] {
        let (left, top) = (f64::from(self.pad_left), f64::from(self.pad_top));
        let (width, height) = (f64::from(self.source_width), f64::from(self.source_height));
        [
            ((bbox[0] - left) / self.scale).clamp(0.0, width),
            ((bbox[1] - top) / self.scale).clamp(0.0, height),
            ((bbox[2] - left) / self.scale).clamp(0.0, width),
            ((bbox[3] - top) / self.scale).clamp(0.0, height),
        ]
    }

    /// Maps an `[x1, y1, x2, y2]` box from native pixels to model-input pixels
    /// (the inverse of [`Letterbox::to_native`] inside the frame).
    pub fn to_model(&self, bbox: [f64; 4]) -> [f64; 4] {
        let (left, top) = (f64::from(self.pad_left), f64::from(self.pad_top));
        [
            bbox[0] * self.scale + left,
            bbox[1] * self.scale + top,
            bbox[2] * self.scale + left,
            bbox[3] * self.scale + top,
        ]
    }
}

/// Letterboxes RGB frames into the detector's planar input on the CPU.
///
/// Keeps the resizer and the resized-frame buffer between frames, so after the
/// first frame of a given size no memory is allocated.
#[derive(Default)]
pub struct LetterboxPreprocessor {
    /// Resizer with its internal convolution buffers, reused across frames.
    resizer: Resizer,
    /// The frame resized to the content area, interleaved RGB, reused across frames.
    resized: Vec<u8>,
}

impl LetterboxPreprocessor {
    /// A preprocessor with empty buffers (they grow on the first frame).
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes `rgb` (interleaved RGB, tightly packed `width × height` rows) into
    /// `dst` as the model's `[3, target_h, target_w]` planar RGB tensor in `0..1`:
    /// bilinear resize into the content area, [`PAD_VALUE`] around it.
    pub fn write_chw_input(
        &mut self,
        rgb: &[u8],
        width: u32,
        height: u32,
        letterbox: &Letterbox,
        dst: &mut [f32],
    ) -> Result<(), LetterboxError> {
        if (width, height) != (letterbox.source_width, letterbox.source_height) {
            return Err(LetterboxError::FrameSizeMismatch {
                width,
                height,
                expected_width: letterbox.source_width,
                expected_height: letterbox.source_height,
            });
        }
        check_length("RGB frame", rgb.len(), width as usize * height as usize * 3)?;
        let plane_len = letterbox.target_width as usize * letterbox.target_height as usize;
        check_length("model input", dst.len(), plane_len * 3)?;

        let content_width = letterbox.content_width as usize;
        let content_height = letterbox.content_height as usize;
        self.resized.resize(content_width * content_height * 3, 0);
        let source = ImageRef::new(width, height, rgb, PixelType::U8x3)?;
        let mut resized = Image::from_slice_u8(
            letterbox.content_width,
            letterbox.content_height,
            &mut self.resized,
            PixelType::U8x3,
        )?;
        let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Bilinear));
        self.resizer.resize(&source, &mut resized, &options)?;

        dst.fill(PAD_VALUE);
        let (red, rest) = dst.split_at_mut(plane_len);
        let (green, blue) = rest.split_at_mut(plane_len);
        let target_width = letterbox.target_width as usize;
        let first_content = letterbox.pad_top as usize * target_width + letterbox.pad_left as usize;
        for (row_index, source_row) in self.resized.chunks_exact(content_width * 3).enumerate() {
            let start = first_content + row_index * target_width;
            let span = start..start + content_width;
            let planes = red[span.clone()]
                .iter_mut()
                .zip(&mut green[span.clone()])
                .zip(&mut blue[span]);
            for (((r, g), b), pixel) in planes.zip(source_row.chunks_exact(3)) {
                *r = f32::from(pixel[0]) * CHANNEL_SCALE;
                *g = f32::from(pixel[1]) * CHANNEL_SCALE;
                *b = f32::from(pixel[2]) * CHANNEL_SCALE;
            }
        }
        Ok(())
    }
}

fn check_length(buffer: &'static str, actual: usize, expected: usize) -> Result<(), LetterboxError> {
    if actual == expected {
        Ok(())
    } else {
        Err(LetterboxError::BufferLength {
            buffer,
            expected,
            actual,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_hd_into_416_square() {
        let letterbox = Letterbox::new(1920, 1080, 416, 416).unwrap();
        assert!((letterbox.scale - 416.0 / 1920.0).abs() < 1e-12);
        assert!((letterbox.scale - 0.216_666_666).abs() < 1e-6);
        assert_eq!((letterbox.content_width, letterbox.content_height), (416, 234));
        assert_eq!((letterbox.pad_left, letterbox.pad_top), (0, 91));
    }

    #[test]
    fn odd_padding_puts_the_extra_pixel_at_the_end() {
        // 100x51 into 100x100: content 100x51, 49 rows of padding -> 24 above, 25 below.
        let letterbox = Letterbox::new(100, 51, 100, 100).unwrap();
        assert_eq!((letterbox.content_width, letterbox.content_height), (100, 51));
        assert_eq!(letterbox.pad_top, 24);
        // Portrait: 1080x1920 into 416x416 pads left and right.
        let portrait = Letterbox::new(1080, 1920, 416, 416).unwrap();
        assert_eq!(
            (portrait.content_width, portrait.pad_left, portrait.pad_top),
            (234, 91, 0)
        );
    }

    #[test]
    fn zero_sizes_are_rejected() {
        let err = Letterbox::new(0, 1080, 416, 416).unwrap_err();
        assert!(err.to_string().contains("0x1080 into 416x416"), "{err}");
    }

    #[test]
    fn boxes_round_trip_through_the_geometry() {
        let letterbox = Letterbox::new(1920, 1080, 416, 416).unwrap();
        let native = [100.0, 200.0, 1500.0, 1079.0];
        let model = letterbox.to_model(native);
        // 100 * 416/1920 = 21.666..., 200 * 416/1920 + 91 = 134.333...
        assert!((model[0] - 21.666_666).abs() < 1e-4);
        assert!((model[1] - 134.333_333).abs() < 1e-4);
        let back = letterbox.to_native(model);
        for (a, b) in back.iter().zip(native) {
            assert!((a - b).abs() < 1.0, "{back:?} vs {native:?}");
        }
    }

    #[test]
    fn boxes_in_the_padding_are_clamped_to_the_frame() {
        let letterbox = Letterbox::new(1920, 1080, 416, 416).unwrap();
        // A box spanning the whole input covers the whole native frame, no more.
        assert_eq!(
            letterbox.to_native([0.0, 0.0, 416.0, 416.0]),
            [0.0, 0.0, 1920.0, 1080.0]
        );
    }

    #[test]
    fn solid_frame_fills_content_and_pads_with_grey() {
        let (width, height) = (40, 20);
        let rgb: Vec<u8> = [51u8, 102, 255].repeat(width * height);
        let letterbox = Letterbox::new(width as u32, height as u32, 16, 16).unwrap();
        // scale 0.4 -> content 16x8, 4 rows of padding above and below.
        assert_eq!((letterbox.content_height, letterbox.pad_top), (8, 4));
        let mut input = vec![0.0f32; 3 * 16 * 16];
        let mut preprocessor = LetterboxPreprocessor::new();
        preprocessor
            .write_chw_input(&rgb, width as u32, height as u32, &letterbox, &mut input)
            .unwrap();
        let at = |channel: usize, x: usize, y: usize| input[channel * 256 + y * 16 + x];
        for x in 0..16 {
            for y in (0..4).chain(12..16) {
                for channel in 0..3 {
                    assert_eq!(at(channel, x, y), PAD_VALUE, "padding at ({x},{y})");
                }
            }
            for y in 4..12 {
                assert!((at(0, x, y) - 0.2).abs() < 1e-6);
                assert!((at(1, x, y) - 0.4).abs() < 1e-6);
                assert!((at(2, x, y) - 1.0).abs() < 1e-6);
            }
        }
    }

    #[test]
    fn content_keeps_its_orientation() {
        // Left half black, right half white; nothing is mirrored or transposed.
        let (width, height) = (8usize, 4usize);
        let rgb: Vec<u8> = (0..width * height)
            .flat_map(|i| if i % width < width / 2 { [0u8; 3] } else { [255u8; 3] })
            .collect();
        let letterbox = Letterbox::new(8, 4, 8, 8).unwrap();
        let mut input = vec![0.0f32; 3 * 64];
        LetterboxPreprocessor::new()
            .write_chw_input(&rgb, 8, 4, &letterbox, &mut input)
            .unwrap();
        assert_eq!(letterbox.pad_top, 2);
        assert_eq!(input[2 * 8], 0.0);
        assert_eq!(input[2 * 8 + 7], 1.0);
    }

    #[test]
    fn mismatched_buffers_are_errors() {
        let letterbox = Letterbox::new(4, 4, 8, 8).unwrap();
        let mut preprocessor = LetterboxPreprocessor::new();
        let mut input = vec![0.0f32; 3 * 64];
        let err = preprocessor
            .write_chw_input(&[0; 10], 4, 4, &letterbox, &mut input)
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("RGB frame buffer holds 10 values, expected 48"),
            "{err}"
        );
        let err = preprocessor
            .write_chw_input(&[0; 48], 4, 4, &letterbox, &mut input[..5])
            .unwrap_err();
        assert!(err.to_string().contains("model input"), "{err}");
        let err = preprocessor
            .write_chw_input(&[0; 48], 2, 8, &letterbox, &mut input)
            .unwrap_err();
        assert!(err.to_string().contains("frame is 2x8"), "{err}");
    }
}
