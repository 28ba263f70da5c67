//! Turning one decoded source frame into one AI frame: cut or letterbox to 1280×720, draw the
//! `"<date time> | <camera> | i/N"` label, encode as a quality-90 JPEG (SPEC §8).
//!
//! Owns the AI frame size rule and the reusable render buffers. It does not choose the frames or
//! their crops (`timeline::ai_frames`), decode video, or write files.

use thiserror::Error;

use crate::render::crop_resize::{CropRect as SourceRect, CropResizeError, CropResizer};
use crate::render::frame::{RgbFrame, RgbFrameRef};
use crate::render::jpeg::{encode_jpeg, JpegEncodeError};
use crate::render::text_overlay::{FontLoadError, TextOverlay};
use crate::timeline::AiCrop;

/// Default AI frame size (SPEC §8).
pub const AI_FRAME_SIZE: (u32, u32) = (1280, 720);

/// AI frames are never wider than this; a wider configured size is scaled down uniformly.
pub const MAX_AI_FRAME_WIDTH: u32 = 1280;

/// JPEG quality of AI frames (SPEC §8).
pub const AI_JPEG_QUALITY: u8 = 90;

/// One encoded AI frame and what the manifest says about it.
#[derive(Debug, Clone, PartialEq)]
pub struct AiFrameJpeg {
    /// Camera the frame was taken from.
    pub camera: String,
    /// Source time, seconds from the shared clip start.
    pub timestamp_sec: f64,
    /// The JPEG bytes.
    pub jpeg: Vec<u8>,
}

/// Why an AI frame could not be rendered.
#[derive(Debug, Error)]
pub enum AiRenderError {
    /// The overlay font did not load.
    #[error(transparent)]
    Font(#[from] FontLoadError),
    /// The source frame could not be cut and scaled.
    #[error("AI frame {label:?}: {source}")]
    Scale {
        /// The frame's label, naming camera and position.
        label: String,
        /// The resampler's reason.
        source: CropResizeError,
    },
    /// The rendered frame could not be encoded.
    #[error("AI frame {label:?}: {source}")]
    Encode {
        /// The frame's label, naming camera and position.
        label: String,
        /// The encoder's reason.
        source: JpegEncodeError,
    },
}

/// Renders AI frames one after another, reusing its output canvas, resampler buffers and the
/// rasterised font.
pub struct AiFrameRenderer {
    /// Bicubic crop-and-scale and letterboxing.
    resizer: CropResizer,
    /// Draws the label at the top-left.
    overlay: TextOverlay,
    /// The output frame, overwritten by every render.
    canvas: RgbFrame,
}

impl AiFrameRenderer {
    /// A renderer of `size` frames (usually [`AI_FRAME_SIZE`]), scaled down uniformly to
    /// [`MAX_AI_FRAME_WIDTH`] when wider.
    pub fn new(size: (u32, u32)) -> Result<Self, AiRenderError> {
        let (width, height) = capped_to_max_width(size);
        Ok(Self {
            resizer: CropResizer::new(),
            overlay: TextOverlay::new()?,
            canvas: RgbFrame::black(width, height),
        })
    }

    /// Output size in pixels, width first.
    pub fn size(&self) -> (u32, u32) {
        (self.canvas.width(), self.canvas.height())
    }

    /// Cuts `crop` of `source` (or letterboxes all of it) into the output size, draws `label`
    /// (see `render::timestamp::ai_frame_label`) and returns the quality-90 JPEG.
    pub fn render<'s>(
        &mut self,
        source: impl Into<RgbFrameRef<'s>>,
        crop: AiCrop,
        label: &str,
    ) -> Result<Vec<u8>, AiRenderError> {
        let scaled = match crop {
            AiCrop::Crop(rect) => self
                .resizer
                .crop_resize(source, SourceRect::from(rect), &mut self.canvas),
            AiCrop::Letterbox => self.resizer.letterbox_into(source, &mut self.canvas),
        };
        scaled.map_err(|source| AiRenderError::Scale {
            label: label.to_string(),
            source,
        })?;
        self.overlay.draw(&mut self.canvas, label);
        encode_jpeg(&self.canvas, AI_JPEG_QUALITY).map_err(|source| AiRenderError::Encode {
            label: label.to_string(),
            source,
        })
    }
}

/// `size` scaled down uniformly so its width is at most [`MAX_AI_FRAME_WIDTH`] (height rounded,
/// at least 1 px); unchanged when already narrow enough. Every backend renders AI frames at
/// this size.
pub fn capped_to_max_width((width, height): (u32, u32)) -> (u32, u32) {
    if width <= MAX_AI_FRAME_WIDTH {
        return (width, height);
    }
    let scaled_height = f64::from(height) * f64::from(MAX_AI_FRAME_WIDTH) / f64::from(width);
    // At most `height`, so the cast cannot overflow.
    (MAX_AI_FRAME_WIDTH, (scaled_height.round() as u32).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::CropRect;

    const GREY: [u8; 3] = [90, 90, 90];
    const RED: [u8; 3] = [220, 20, 20];

    /// A grey `width`×`height` frame with a red square of `side` px centred on `centre`.
    fn frame_with_square(width: u32, height: u32, centre: (u32, u32), side: u32) -> RgbFrame {
        let (left, top) = (centre.0 - side / 2, centre.1 - side / 2);
        let mut data = Vec::with_capacity((width * height * 3) as usize);
        for y in 0..height {
            for x in 0..width {
                let inside = (left..left + side).contains(&x) && (top..top + side).contains(&y);
                data.extend_from_slice(if inside { &RED } else { &GREY });
            }
        }
        RgbFrame::from_vec(width, height, data).unwrap()
    }

    /// Decodes `jpeg` and returns it with the bounding box (left, top, right, bottom, exclusive)
    /// of its clearly red pixels.
    fn decode_with_red_bounds(jpeg: &[u8]) -> (image::RgbImage, (u32, u32, u32, u32)) {
        let decoded = image::load_from_memory_with_format(jpeg, image::ImageFormat::Jpeg)
            .unwrap()
            .to_rgb8();
        let mut bounds = (u32::MAX, u32::MAX, 0, 0);
        for (x, y, pixel) in decoded.enumerate_pixels() {
            let [r, g, b] = pixel.0;
            if r > 160 && g < 70 && b < 70 {
                bounds = (
                    bounds.0.min(x),
                    bounds.1.min(y),
                    bounds.2.max(x + 1),
                    bounds.3.max(y + 1),
                );
            }
        }
        (decoded, bounds)
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
    fn crop_centred_on_a_square_puts_it_in_the_middle_of_a_1280x720_jpeg() {
        // Square 100 px centred at (1000, 600) of 1920×1080; the crop centred on it starts at
        // (360, 240), so the square spans (590..690, 310..410) of the output, centred at (640, 360).
        let source = frame_with_square(1920, 1080, (1000, 600), 100);
        let crop = AiCrop::Crop(CropRect::centered([1000.0, 600.0], AI_FRAME_SIZE, (1920, 1080)));
        assert_eq!(crop, AiCrop::Crop([360, 240, 1280, 720].into()));
        let mut renderer = AiFrameRenderer::new(AI_FRAME_SIZE).unwrap();
        let jpeg = renderer
            .render(&source, crop, "2023-11-14 10:13:20 PM | porch | 1/3")
            .unwrap();
        assert_eq!(jpeg[..2], [0xFF, 0xD8]);
        let (decoded, red) = decode_with_red_bounds(&jpeg);
        assert_eq!(decoded.dimensions(), (1280, 720));
        assert_near(red, (590, 310, 690, 410));
        // The label is drawn white at the top-left, over the grey background.
        let white_in_label = (0..400)
            .flat_map(|x| (0..40).map(move |y| (x, y)))
            .filter(|&(x, y)| decoded.get_pixel(x, y).0.iter().all(|&c| c > 220))
            .count();
        assert!(white_in_label > 100, "only {white_in_label} white label pixels");
        assert!(decoded.get_pixel(1200, 700).0.iter().all(|&c| c.abs_diff(90) <= 6));
    }

    #[test]
    fn letterbox_fits_the_whole_square_frame_between_black_bars() {
        // 1000×1000 into 1280×720: 720×720 at x 280..1000; the 200 px square centred at
        // (500, 500) becomes 144 px centred at (640, 360): (568..712, 288..432).
        let source = frame_with_square(1000, 1000, (500, 500), 200);
        let mut renderer = AiFrameRenderer::new(AI_FRAME_SIZE).unwrap();
        let jpeg = renderer.render(&source, AiCrop::Letterbox, "label").unwrap();
        let (decoded, red) = decode_with_red_bounds(&jpeg);
        assert_near(red, (568, 288, 712, 432));
        assert!(decoded.get_pixel(100, 600).0.iter().all(|&c| c < 8));
        assert!(decoded.get_pixel(1180, 600).0.iter().all(|&c| c < 8));
    }

    #[test]
    fn wider_sizes_are_capped_at_1280() {
        assert_eq!(capped_to_max_width((1920, 1080)), (1280, 720));
        assert_eq!(capped_to_max_width((2560, 1080)), (1280, 540));
        assert_eq!(capped_to_max_width((640, 360)), (640, 360));
        let renderer = AiFrameRenderer::new((1920, 1080)).unwrap();
        assert_eq!(renderer.size(), (1280, 720));
    }

    #[test]
    fn an_empty_source_names_the_frame() {
        let mut renderer = AiFrameRenderer::new((64, 36)).unwrap();
        let error = renderer
            .render(&RgbFrame::black(0, 0), AiCrop::Letterbox, "porch | 2/5")
            .unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("AI frame \"porch | 2/5\": cannot scale an empty"),
            "{error}"
        );
    }
}
