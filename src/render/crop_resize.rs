//! Cropping a sub-rectangle of a source frame and scaling it to the output size (summary video,
//! AI frames), and letterboxing a whole frame into the output size (AI frames whose subject is
//! large).
//!
//! Owns the resampler and its scratch buffers; it does not choose where to crop (that is the crop
//! algorithm's job) and it does not draw on the result.

use fast_image_resize::images::{CroppedImageMut, Image, ImageRef};
use fast_image_resize::{FilterType, ImageBufferError, PixelType, ResizeAlg, ResizeError, ResizeOptions, Resizer};
use thiserror::Error;

use super::frame::{RgbFrame, RgbFrameRef};

/// A rectangle of the source frame in native pixels; fractional edges are honoured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CropRect {
    /// Left edge, in source pixels from the left of the frame.
    pub x: f64,
    /// Top edge, in source pixels from the top of the frame.
    pub y: f64,
    /// Width in source pixels.
    pub width: f64,
    /// Height in source pixels.
    pub height: f64,
}

impl From<crate::timeline::CropRect> for CropRect {
    /// The whole-pixel crop a plan chose, as a source rectangle.
    fn from(rect: crate::timeline::CropRect) -> Self {
        Self {
            x: f64::from(rect.x),
            y: f64::from(rect.y),
            width: f64::from(rect.w),
            height: f64::from(rect.h),
        }
    }
}

/// A whole-pixel rectangle inside the destination frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PixelRect {
    /// Left edge in pixels.
    pub left: u32,
    /// Top edge in pixels.
    pub top: u32,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// Why a frame could not be cropped or scaled.
#[derive(Debug, Error)]
pub enum CropResizeError {
    /// The source frame has no pixels, so there is nothing to scale.
    #[error("cannot scale an empty {width}x{height} source frame")]
    EmptySource {
        /// Source width in pixels.
        width: u32,
        /// Source height in pixels.
        height: u32,
    },
    /// The destination frame has no pixels, so there is nowhere to draw.
    #[error("cannot scale into an empty {width}x{height} destination frame")]
    EmptyDestination {
        /// Destination width in pixels.
        width: u32,
        /// Destination height in pixels.
        height: u32,
    },
    /// A crop coordinate is NaN or infinite, so no rectangle can be derived from it.
    #[error("crop rectangle {crop:?} has a non-finite coordinate")]
    NonFiniteCrop {
        /// The rejected rectangle.
        crop: CropRect,
    },
    /// The resampler refused a frame buffer.
    #[error("the resampler refused a frame buffer: {0}")]
    Buffer(#[from] ImageBufferError),
    /// The resampler refused the crop or the images.
    #[error("the resampler failed: {0}")]
    Resize(#[from] ResizeError),
}

/// Scales RGB frames with a Catmull-Rom (bicubic) filter, reusing its scratch buffers from frame
/// to frame.
pub struct CropResizer {
    /// The SIMD resampler; keeps its intermediate buffers between calls so steady-state frames
    /// do not allocate frame-sized memory.
    resizer: Resizer,
    /// Catmull-Rom convolution: sharp like bicubic, and the kernel widens on downscale so
    /// shrinking does not alias.
    options: ResizeOptions,
}

impl Default for CropResizer {
    fn default() -> Self {
        Self::new()
    }
}

impl CropResizer {
    /// A resampler using the best SIMD extensions of this CPU.
    pub fn new() -> Self {
        Self {
            resizer: Resizer::new(),
            options: ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::CatmullRom)),
        }
    }

    /// Scales `crop` of `src` to fill the whole of `dst`.
    ///
    /// `crop` is first clamped inside the source (at least one pixel, at most the frame), so a
    /// rectangle that strays past an edge is shifted back rather than rejected.
    pub fn crop_resize<'s>(
        &mut self,
        src: impl Into<RgbFrameRef<'s>>,
        crop: CropRect,
        dst: &mut RgbFrame,
    ) -> Result<(), CropResizeError> {
        let src = src.into();
        check_not_empty(src, dst)?;
        let clamped = clamp_into_source(crop, src.width(), src.height())?;
        let options = self.options.crop(clamped.x, clamped.y, clamped.width, clamped.height);
        let src_image = ImageRef::new(src.width(), src.height(), src.data(), PixelType::U8x3)?;
        let (dst_width, dst_height) = (dst.width(), dst.height());
        let mut dst_image = Image::from_slice_u8(dst_width, dst_height, dst.data_mut(), PixelType::U8x3)?;
        self.resizer.resize(&src_image, &mut dst_image, &options)?;
        Ok(())
    }

    /// Scales the whole of `src` into `dst` keeping its aspect ratio, centred, with black bars
    /// where the aspect ratios differ.
    pub fn letterbox_into<'s>(
        &mut self,
        src: impl Into<RgbFrameRef<'s>>,
        dst: &mut RgbFrame,
    ) -> Result<(), CropResizeError> {
        let src = src.into();
        check_not_empty(src, dst)?;
        let picture = letterbox_rect(src.width(), src.height(), dst.width(), dst.height());
        let (dst_width, dst_height) = (dst.width(), dst.height());
        if picture.width != dst_width || picture.height != dst_height {
            dst.data_mut().fill(0);
        }
        let src_image = ImageRef::new(src.width(), src.height(), src.data(), PixelType::U8x3)?;
        let mut dst_image = Image::from_slice_u8(dst_width, dst_height, dst.data_mut(), PixelType::U8x3)?;
        let mut picture_area =
            CroppedImageMut::new(&mut dst_image, picture.left, picture.top, picture.width, picture.height)
                .map_err(ResizeError::from)?;
        self.resizer.resize(&src_image, &mut picture_area, &self.options)?;
        Ok(())
    }
}

/// Rejects frames with no pixels before the resampler sees them.
fn check_not_empty(src: RgbFrameRef<'_>, dst: &RgbFrame) -> Result<(), CropResizeError> {
    if src.width() == 0 || src.height() == 0 {
        return Err(CropResizeError::EmptySource {
            width: src.width(),
            height: src.height(),
        });
    }
    if dst.width() == 0 || dst.height() == 0 {
        return Err(CropResizeError::EmptyDestination {
            width: dst.width(),
            height: dst.height(),
        });
    }
    Ok(())
}

/// Limits `crop` to a non-empty rectangle inside a `src_width`×`src_height` frame: each side is
/// clamped to `[1, frame side]`, then the position is shifted so the rectangle fits.
pub fn clamp_into_source(crop: CropRect, src_width: u32, src_height: u32) -> Result<CropRect, CropResizeError> {
    let finite = [crop.x, crop.y, crop.width, crop.height]
        .iter()
        .all(|value| value.is_finite());
    if !finite {
        return Err(CropResizeError::NonFiniteCrop { crop });
    }
    let (frame_width, frame_height) = (f64::from(src_width), f64::from(src_height));
    let width = crop.width.clamp(1.0, frame_width.max(1.0));
    let height = crop.height.clamp(1.0, frame_height.max(1.0));
    Ok(CropRect {
        x: crop.x.clamp(0.0, (frame_width - width).max(0.0)),
        y: crop.y.clamp(0.0, (frame_height - height).max(0.0)),
        width,
        height,
    })
}

/// Where a `src_width`×`src_height` picture lands when fitted whole into a
/// `dst_width`×`dst_height` frame at the largest scale that keeps its aspect ratio, centred.
pub fn letterbox_rect(src_width: u32, src_height: u32, dst_width: u32, dst_height: u32) -> PixelRect {
    let scale = (f64::from(dst_width) / f64::from(src_width)).min(f64::from(dst_height) / f64::from(src_height));
    let fitted_side = |src_side: u32, dst_side: u32| {
        // Rounded, then kept within the frame and non-empty; the cast cannot overflow because the
        // value is at most `dst_side`.
        ((f64::from(src_side) * scale).round() as u32).clamp(1, dst_side.max(1))
    };
    let width = fitted_side(src_width, dst_width);
    let height = fitted_side(src_height, dst_height);
    PixelRect {
        left: (dst_width - width) / 2,
        top: (dst_height - height) / 2,
        width,
        height,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GREY: [u8; 3] = [100, 100, 100];
    const RED: [u8; 3] = [230, 20, 20];

    /// A grey frame with a red square of side `side` whose top-left pixel is (`left`, `top`).
    fn frame_with_square(width: u32, height: u32, left: u32, top: u32, side: u32) -> RgbFrame {
        let mut data = Vec::with_capacity((width * height * 3) as usize);
        for y in 0..height {
            for x in 0..width {
                let inside = (left..left + side).contains(&x) && (top..top + side).contains(&y);
                data.extend_from_slice(if inside { &RED } else { &GREY });
            }
        }
        RgbFrame::from_vec(width, height, data).unwrap()
    }

    /// Bounding box (left, top, right exclusive, bottom exclusive) of the clearly red pixels.
    fn red_bounds(frame: &RgbFrame) -> (u32, u32, u32, u32) {
        let mut bounds = (u32::MAX, u32::MAX, 0, 0);
        for y in 0..frame.height() {
            for x in 0..frame.width() {
                let [r, g, _] = frame.pixel(x, y);
                if r > 165 && g < 60 {
                    bounds.0 = bounds.0.min(x);
                    bounds.1 = bounds.1.min(y);
                    bounds.2 = bounds.2.max(x + 1);
                    bounds.3 = bounds.3.max(y + 1);
                }
            }
        }
        bounds
    }

    fn assert_near(actual: (u32, u32, u32, u32), expected: (u32, u32, u32, u32)) {
        let pairs = [
            (actual.0, expected.0),
            (actual.1, expected.1),
            (actual.2, expected.2),
            (actual.3, expected.3),
        ];
        for (got, want) in pairs {
            assert!(got.abs_diff(want) <= 2, "bounds {actual:?}, expected {expected:?}");
        }
    }

    #[test]
    fn centred_crop_upscaled_twice_places_square_in_the_middle() {
        // 10 px square at (40, 30), centre (45, 35). A 32x24 crop centred on it starts at
        // (29, 23); scaled 2x the square spans (22..42, 14..34) of the 64x48 output.
        let src = frame_with_square(64, 48, 40, 30, 10);
        let mut dst = RgbFrame::black(64, 48);
        let crop = CropRect {
            x: 29.0,
            y: 23.0,
            width: 32.0,
            height: 24.0,
        };
        CropResizer::new().crop_resize(&src, crop, &mut dst).unwrap();
        assert_near(red_bounds(&dst), (22, 14, 42, 34));
        assert_eq!(dst.pixel(2, 2), GREY);
    }

    #[test]
    fn half_pixel_crop_offset_shifts_the_output_by_one_pixel() {
        // Starting the crop at x = 29.5 instead of 29 moves the square 0.5 source px = 1 output
        // px to the left: (21..41).
        let src = frame_with_square(64, 48, 40, 30, 10);
        let mut whole = RgbFrame::black(64, 48);
        let mut shifted = RgbFrame::black(64, 48);
        let mut resizer = CropResizer::new();
        let crop = CropRect {
            x: 29.0,
            y: 23.0,
            width: 32.0,
            height: 24.0,
        };
        resizer.crop_resize(&src, crop, &mut whole).unwrap();
        let half_right = CropRect { x: 29.5, ..crop };
        resizer.crop_resize(&src, half_right, &mut shifted).unwrap();
        assert_ne!(whole, shifted);
        assert_near(red_bounds(&shifted), (21, 14, 41, 34));
    }

    #[test]
    fn crop_past_the_edge_is_shifted_back_inside() {
        let crop = CropRect {
            x: 50.0,
            y: -7.0,
            width: 32.0,
            height: 100.0,
        };
        let clamped = clamp_into_source(crop, 64, 48).unwrap();
        assert_eq!(
            clamped,
            CropRect {
                x: 32.0,
                y: 0.0,
                width: 32.0,
                height: 48.0
            }
        );
        let tiny = CropRect {
            x: 70.0,
            y: 3.0,
            width: 0.25,
            height: 0.0,
        };
        assert_eq!(
            clamp_into_source(tiny, 64, 48).unwrap(),
            CropRect {
                x: 63.0,
                y: 3.0,
                width: 1.0,
                height: 1.0
            }
        );
    }

    #[test]
    fn crop_with_fractional_size_at_the_far_edge_is_accepted() {
        let src = frame_with_square(64, 48, 40, 30, 10);
        let mut dst = RgbFrame::black(40, 30);
        let crop = CropRect {
            x: 1000.0,
            y: 1000.0,
            width: 33.3,
            height: 24.7,
        };
        CropResizer::new().crop_resize(&src, crop, &mut dst).unwrap();
        // The crop is pushed to (30.7, 23.3) and scaled by (40 / 33.3, 30 / 24.7); the square
        // (40..50, 30..40) maps to x (40 - 30.7) * 1.201 = 11.2 .. (50 - 30.7) * 1.201 = 23.2 and
        // y (30 - 23.3) * 1.215 = 8.1 .. (40 - 23.3) * 1.215 = 20.3.
        assert_near(red_bounds(&dst), (11, 8, 23, 20));
    }

    #[test]
    fn non_finite_crop_is_rejected() {
        let src = RgbFrame::black(8, 8);
        let mut dst = RgbFrame::black(4, 4);
        let crop = CropRect {
            x: f64::NAN,
            y: 0.0,
            width: 4.0,
            height: 4.0,
        };
        let error = CropResizer::new().crop_resize(&src, crop, &mut dst).unwrap_err();
        assert!(matches!(error, CropResizeError::NonFiniteCrop { .. }));
    }

    #[test]
    fn empty_frames_are_rejected() {
        let mut resizer = CropResizer::new();
        let mut dst = RgbFrame::black(4, 4);
        let error = resizer.letterbox_into(&RgbFrame::black(0, 4), &mut dst).unwrap_err();
        assert!(matches!(error, CropResizeError::EmptySource { width: 0, height: 4 }));
        let error = resizer
            .letterbox_into(&RgbFrame::black(4, 4), &mut RgbFrame::black(4, 0))
            .unwrap_err();
        assert!(matches!(error, CropResizeError::EmptyDestination { .. }));
    }

    #[test]
    fn letterbox_rect_centres_the_fitted_picture() {
        // 4:3 into a wide frame: height-limited, scale 0.75 -> 48x36, bars of 16 px each side.
        assert_eq!(
            letterbox_rect(64, 48, 80, 36),
            PixelRect {
                left: 16,
                top: 0,
                width: 48,
                height: 36
            }
        );
        // Square into 16:9: 720x720 with 280 px bars.
        assert_eq!(
            letterbox_rect(1000, 1000, 1280, 720),
            PixelRect {
                left: 280,
                top: 0,
                width: 720,
                height: 720
            }
        );
        // Same aspect: fills the frame.
        assert_eq!(
            letterbox_rect(1920, 1080, 1280, 720),
            PixelRect {
                left: 0,
                top: 0,
                width: 1280,
                height: 720
            }
        );
        // Tall frame: width-limited, 64x48 into 32x48 -> 32x24 at top 12.
        assert_eq!(
            letterbox_rect(64, 48, 32, 48),
            PixelRect {
                left: 0,
                top: 12,
                width: 32,
                height: 24
            }
        );
    }

    #[test]
    fn letterbox_draws_black_bars_beside_the_picture() {
        let white = RgbFrame::from_vec(64, 48, vec![255; 64 * 48 * 3]).unwrap();
        let mut dst = RgbFrame::from_vec(80, 36, vec![77; 80 * 36 * 3]).unwrap();
        CropResizer::new().letterbox_into(&white, &mut dst).unwrap();
        for y in [0, 17, 35] {
            assert_eq!(dst.pixel(0, y), [0, 0, 0]);
            assert_eq!(dst.pixel(15, y), [0, 0, 0]);
            assert_eq!(dst.pixel(16, y), [255, 255, 255]);
            assert_eq!(dst.pixel(63, y), [255, 255, 255]);
            assert_eq!(dst.pixel(64, y), [0, 0, 0]);
            assert_eq!(dst.pixel(79, y), [0, 0, 0]);
        }
    }
}
