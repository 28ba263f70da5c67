//! White text with a black outline drawn at the top-left of a frame (the timestamp overlay of the
//! summary video and the label of AI frames).
//!
//! Owns the bundled font and a cache of the last rasterised string; it decides nothing about what
//! the text says (see `timestamp`) and touches no pixel outside the text's box.

use ab_glyph::{point, Font, FontRef, InvalidFont, PxScale, ScaleFont};
use thiserror::Error;

use super::frame::RgbFrame;

/// DejaVu Sans Bold, bundled so the overlay looks the same on every machine.
const FONT_BYTES: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/fonts/DejaVuSans-Bold.ttf"));

/// Glyph height (ascent to descent) as a fraction of the frame height: about 38 px on 1080.
const GLYPH_HEIGHT_FRACTION: f32 = 0.035;

/// Gap between the frame's top-left corner and the text, as a fraction of the frame height.
const MARGIN_FRACTION: f32 = 0.015;

/// Thickness of the black outline around each glyph, in pixels.
const OUTLINE_RADIUS: i32 = 2;

/// Empty border kept around the glyphs so the outline and anti-aliased edges fit in the sprite.
const SPRITE_PADDING: i32 = OUTLINE_RADIUS + 1;

/// The bundled font could not be read.
#[derive(Debug, Error)]
#[error("bundled font assets/fonts/DejaVuSans-Bold.ttf cannot be parsed: {0}")]
pub struct FontLoadError(#[from] InvalidFont);

/// Draws one line of outlined text per frame, rasterising only when the text or the frame height
/// changes (a timestamp changes once a second, so most frames reuse the last sprite).
pub struct TextOverlay {
    /// The parsed bundled font.
    font: FontRef<'static>,
    /// The last rasterised string; its buffers are reused when the text changes.
    sprite: TextSprite,
}

/// Coverage masks of one rasterised string, `width`×`height`, row-major.
#[derive(Default)]
struct TextSprite {
    /// The string these masks show; the cache key together with `frame_height`.
    text: String,
    /// Frame height the glyph size was derived from; 0 means nothing is rasterised yet.
    frame_height: u32,
    /// Sprite width in pixels, padding included.
    width: usize,
    /// Sprite height in pixels, padding included.
    height: usize,
    /// Glyph coverage (0 = none, 255 = full): where the text is white.
    fill: Vec<u8>,
    /// Glyph coverage dilated by [`OUTLINE_RADIUS`]: where the frame is darkened to black first.
    outline: Vec<u8>,
}

impl TextOverlay {
    /// Loads the bundled font.
    pub fn new() -> Result<Self, FontLoadError> {
        Ok(Self {
            font: FontRef::try_from_slice(FONT_BYTES)?,
            sprite: TextSprite::default(),
        })
    }

    /// Draws `text` at the top-left of `frame`, sized from the frame height; text running past
    /// the frame's edge is cut off.
    pub fn draw(&mut self, frame: &mut RgbFrame, text: &str) {
        let origin = self.sprite(text, frame.height()).origin as usize;
        self.sprite.blend_into(frame, origin);
    }

    /// The coverage masks of `text` for a frame `frame_height` pixels tall, rasterised
    /// only when the text or height changed, and where their corner goes; for blending
    /// elsewhere (the GPU) exactly as [`TextOverlay::draw`] blends.
    pub fn sprite(&mut self, text: &str, frame_height: u32) -> SpriteView<'_> {
        if self.sprite.text != text || self.sprite.frame_height != frame_height {
            self.sprite.rasterise(&self.font, text, frame_height);
        }
        let margin = (frame_height as f32 * MARGIN_FRACTION).round() as i32;
        SpriteView {
            fill: &self.sprite.fill,
            outline: &self.sprite.outline,
            width: self.sprite.width as u32,
            height: self.sprite.height as u32,
            origin: (margin - SPRITE_PADDING).max(0) as u32,
        }
    }
}

/// A rasterised string: where to lighten to white (`fill`) and where to darken to black
/// first (`outline`), both `width`×`height` coverage bytes, row-major.
#[derive(Debug, Clone, Copy)]
pub struct SpriteView<'a> {
    /// Glyph coverage.
    pub fill: &'a [u8],
    /// Glyph coverage grown by the outline radius.
    pub outline: &'a [u8],
    /// Sprite width in pixels.
    pub width: u32,
    /// Sprite height in pixels.
    pub height: u32,
    /// The sprite's top-left corner is at (`origin`, `origin`) in the frame.
    pub origin: u32,
}

impl TextSprite {
    /// Rasterises `text` for a frame `frame_height` pixels tall into this sprite's buffers.
    fn rasterise(&mut self, font: &FontRef<'static>, text: &str, frame_height: u32) {
        let scaled = font.as_scaled(PxScale::from(frame_height as f32 * GLYPH_HEIGHT_FRACTION));
        let baseline = SPRITE_PADDING as f32 + scaled.ascent().ceil();
        let mut glyphs = Vec::with_capacity(text.len());
        let mut caret = SPRITE_PADDING as f32;
        let mut previous = None;
        for character in text.chars() {
            let id = scaled.glyph_id(character);
            if let Some(previous) = previous {
                caret += scaled.kern(previous, id);
            }
            glyphs.push(id.with_scale_and_position(scaled.scale(), point(caret, baseline)));
            caret += scaled.h_advance(id);
            previous = Some(id);
        }

        self.text.clear();
        self.text.push_str(text);
        self.frame_height = frame_height;
        self.width = (caret.ceil() as i32 + SPRITE_PADDING) as usize;
        self.height = ((baseline - scaled.descent()).ceil() as i32 + SPRITE_PADDING) as usize;
        self.fill.clear();
        self.fill.resize(self.width * self.height, 0);
        for glyph in glyphs {
            let Some(outlined) = scaled.outline_glyph(glyph) else {
                continue; // whitespace has no outline
            };
            let bounds = outlined.px_bounds();
            let (left, top) = (bounds.min.x as i64, bounds.min.y as i64);
            let (width, height) = (self.width as i64, self.height as i64);
            outlined.draw(|x, y, coverage| {
                let (px, py) = (left + i64::from(x), top + i64::from(y));
                if (0..width).contains(&px) && (0..height).contains(&py) {
                    let cell = &mut self.fill[(py * width + px) as usize];
                    *cell = (*cell).max((coverage * 255.0).round() as u8);
                }
            });
        }
        dilate_disc(&self.fill, self.width, self.height, OUTLINE_RADIUS, &mut self.outline);
    }

    /// Blends the outline (black) and then the fill (white) into `frame` with the sprite's
    /// top-left corner at (`origin`, `origin`).
    fn blend_into(&self, frame: &mut RgbFrame, origin: usize) {
        let frame_width = frame.width() as usize;
        let frame_height = frame.height() as usize;
        let visible_width = self.width.min(frame_width.saturating_sub(origin));
        let visible_height = self.height.min(frame_height.saturating_sub(origin));
        let data = frame.data_mut();
        for row in 0..visible_height {
            let sprite_row = row * self.width;
            let frame_row = ((origin + row) * frame_width + origin) * 3;
            for column in 0..visible_width {
                let outline = u32::from(self.outline[sprite_row + column]);
                if outline == 0 {
                    continue;
                }
                let fill = u32::from(self.fill[sprite_row + column]);
                let start = frame_row + column * 3;
                for channel in &mut data[start..start + 3] {
                    let darkened = u32::from(*channel) * (255 - outline);
                    let darkened = (darkened + 127) / 255;
                    let lit = darkened * (255 - fill) + 255 * fill;
                    *channel = ((lit + 127) / 255) as u8;
                }
            }
        }
    }
}

/// Writes into `dilated` the maximum of `mask` over a disc of `radius` pixels around each pixel
/// (`width`×`height`, row-major), growing every shape by `radius`.
fn dilate_disc(mask: &[u8], width: usize, height: usize, radius: i32, dilated: &mut Vec<u8>) {
    dilated.clear();
    dilated.resize(mask.len(), 0);
    for dy in -radius..=radius {
        for dx in -radius..=radius {
            if dx * dx + dy * dy > radius * radius {
                continue;
            }
            for y in 0..height as i64 {
                let source_y = y + i64::from(dy);
                if !(0..height as i64).contains(&source_y) {
                    continue;
                }
                for x in 0..width as i64 {
                    let source_x = x + i64::from(dx);
                    if !(0..width as i64).contains(&source_x) {
                        continue;
                    }
                    let target = &mut dilated[(y * width as i64 + x) as usize];
                    *target = (*target).max(mask[(source_y * width as i64 + source_x) as usize]);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MID_GREY: u8 = 128;

    fn grey_frame(width: u32, height: u32) -> RgbFrame {
        let data = vec![MID_GREY; (width * height * 3) as usize];
        RgbFrame::from_vec(width, height, data).unwrap()
    }

    /// Bounding box (left, top, right exclusive, bottom exclusive) of pixels matching `keep`.
    fn bounds_where(frame: &RgbFrame, keep: impl Fn([u8; 3]) -> bool) -> (u32, u32, u32, u32) {
        let mut bounds = (u32::MAX, u32::MAX, 0, 0);
        for y in 0..frame.height() {
            for x in 0..frame.width() {
                if keep(frame.pixel(x, y)) {
                    bounds = (
                        bounds.0.min(x),
                        bounds.1.min(y),
                        bounds.2.max(x + 1),
                        bounds.3.max(y + 1),
                    );
                }
            }
        }
        bounds
    }

    #[test]
    fn text_is_white_inside_a_dark_outline_at_the_top_left() {
        // 600 px tall: glyphs 21 px (ascent to descent), margin 9 px.
        let mut frame = grey_frame(400, 600);
        TextOverlay::new().unwrap().draw(&mut frame, "12:00");

        let white = bounds_where(&frame, |pixel| pixel.iter().all(|&c| c >= 240));
        let dark = bounds_where(&frame, |pixel| pixel.iter().all(|&c| c <= 30));
        let changed = bounds_where(&frame, |pixel| pixel != [MID_GREY; 3]);
        assert!(white.0 < white.2, "no white text pixels");
        // Digits start a pixel or two right of the margin and their tops sit below it.
        assert!((9..=13).contains(&white.0), "white starts at {white:?}");
        assert!((9..=16).contains(&white.1), "white starts at {white:?}");
        // Five characters of a bold face at 21 px: roughly 50-70 px wide, digits ~15 px tall.
        assert!((50..=75).contains(&(white.2 - white.0)), "white spans {white:?}");
        assert!((12..=18).contains(&(white.3 - white.1)), "white spans {white:?}");
        // The outline surrounds the white by about two pixels on every side.
        let gaps = [white.0 - dark.0, white.1 - dark.1, dark.2 - white.2, dark.3 - white.3];
        assert!(
            gaps.iter().all(|gap| (1..=3).contains(gap)),
            "outline gaps {gaps:?}: dark {dark:?}, white {white:?}"
        );
        // Nothing outside the outlined text changed.
        assert!(changed.0 >= dark.0 - 1 && changed.2 <= dark.2 + 1, "{changed:?}");
        assert!(changed.1 >= dark.1 - 1 && changed.3 <= dark.3 + 1, "{changed:?}");
    }

    #[test]
    fn glyph_height_follows_the_frame_height() {
        let mut overlay = TextOverlay::new().unwrap();
        let mut small = grey_frame(300, 300);
        let mut large = grey_frame(300, 900);
        overlay.draw(&mut small, "0");
        overlay.draw(&mut large, "0");
        let white = |pixel: [u8; 3]| pixel.iter().all(|&c| c >= 240);
        let small_digit = bounds_where(&small, white);
        let large_digit = bounds_where(&large, white);
        // Three times the frame height gives three times the digit height (about 8 and 23 px).
        let small_height = f64::from(small_digit.3 - small_digit.1);
        let large_height = f64::from(large_digit.3 - large_digit.1);
        assert!(
            (large_height / small_height - 3.0).abs() < 0.5,
            "{small_digit:?} vs {large_digit:?}"
        );
    }

    #[test]
    fn cached_sprite_is_replaced_when_the_text_changes() {
        let mut reused = TextOverlay::new().unwrap();
        let mut warm_up = grey_frame(200, 200);
        reused.draw(&mut warm_up, "88:88");
        let mut from_reused = grey_frame(200, 200);
        reused.draw(&mut from_reused, "1:1");

        let mut from_fresh = grey_frame(200, 200);
        TextOverlay::new().unwrap().draw(&mut from_fresh, "1:1");
        assert_eq!(from_reused, from_fresh);
        assert_ne!(from_reused, warm_up);
    }

    #[test]
    fn text_wider_than_the_frame_is_cut_off() {
        let mut frame = grey_frame(40, 200);
        TextOverlay::new()
            .unwrap()
            .draw(&mut frame, "2023-11-14 10:13:20 PM | driveway");
        assert_eq!(frame.pixel(39, 190), [MID_GREY; 3]);
        assert!(frame.data().iter().any(|&c| c >= 240));
    }

    #[test]
    fn dilation_grows_a_point_into_a_disc() {
        let mut mask = vec![0u8; 7 * 7];
        mask[3 * 7 + 3] = 200;
        let mut dilated = Vec::new();
        dilate_disc(&mask, 7, 7, 2, &mut dilated);
        let covered: Vec<(usize, usize)> = (0..49).filter(|&i| dilated[i] == 200).map(|i| (i % 7, i / 7)).collect();
        // Radius 2 disc: the 13 offsets with dx² + dy² <= 4.
        assert_eq!(covered.len(), 13);
        assert!(covered.contains(&(1, 3)) && covered.contains(&(3, 5)));
        assert!(!covered.contains(&(1, 1)) && !covered.contains(&(2, 1)));
        assert_eq!(dilated.iter().filter(|&&v| v != 0 && v != 200).count(), 0);
    }
}
