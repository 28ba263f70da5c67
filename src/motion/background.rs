//! The motion detector's background model: a running average of the blurred
//! grey thumbnails of one camera's clip, and the motion mask of each sampled
//! frame against it (SPEC §5), as Frigate's own motion detector does.
//!
//! Owns the per-clip background state and the integer arithmetic of every
//! step, which the GPU kernels (`motion_blur`, `motion_background`,
//! `motion_dilate_bits` in `gpu/kernels/kernels.cu`) repeat operation for
//! operation, so both backends give bit-identical masks on the same
//! thumbnails. Making thumbnails is `motion::mask`; finding blobs is
//! `motion::contours`.
//!
//! Per sampled frame, on the thumbnail `g`:
//! 1. Blur: 3×3 Gaussian `[1 2 1] ⊗ [1 2 1] / 16`, edges repeated,
//!    `b = (Σ w·g + 8) >> 4`.
//! 2. The first frame seeds the background (`avg = b << 8`, 8.8 fixed point)
//!    and has no mask.
//! 3. Later frames: a pixel moves where `|(b << 8) − avg| > threshold << 8`,
//!    judged against the background *before* this frame is blended in;
//!    then `avg += (((b << 8) − avg) · a + 128) >> 8` (arithmetic shift),
//!    with `a = round(α · 256)` in `1..=256`.
//! 4. Dilation: a mask pixel is set where any pixel of its 3×3 neighbourhood
//!    (inside the thumbnail) moves; then bit-packed (`MotionMask`).
//!
//! Differencing against a slowly learnt background, not the previous sample,
//! sees the whole of a uniformly coloured object that creeps a few pixels per
//! sample; frame-to-frame differencing sees only thin strips at its edges.

use super::mask::{GreyThumbnail, MotionError, MotionMask};

/// Default weight of a new sample in the background average.
///
/// Frigate blends each detect frame in with α = 0.01 at 5 fps: a time
/// constant of 100 frames, 20 s. We blend once per sampled frame (every 5th
/// decoded frame, 4 per second on a 20 fps clip), and our clips are short
/// (tens of seconds around an event), so a 20 s memory would keep the ghost
/// of anything that moved (a departed car, the person's own trail) for most
/// of the clip. α = 0.05 per sample is a time constant of 20 samples (5 s at
/// 20 fps): a creeping object is still seen whole for
/// `ln(contrast / threshold) / α` samples (about 36 for a contrast of 150
/// grey levels) while its ghost fades below the threshold within
/// `ln(255 / 25) / α ≈ 46` samples (12 s at 20 fps) even at full contrast.
pub const DEFAULT_BACKGROUND_ALPHA: f64 = 0.05;

/// `round(α · 256)` clamped to `1..=256`: the background weight in 1/256ths.
pub fn alpha_fixed_point(alpha: f64) -> u32 {
    (alpha * 256.0).round().clamp(1.0, 256.0) as u32
}

/// The running-average background of one camera's clip.
#[derive(Debug, Clone)]
pub struct MotionBackground {
    /// Thumbnail width.
    width: u32,
    /// Thumbnail height.
    height: u32,
    /// Weight of a new sample, 1/256ths.
    alpha: u32,
    /// Grey-level difference above which a pixel moves.
    threshold: u8,
    /// Background average per pixel, 8.8 fixed point; `None` until seeded.
    average: Option<Vec<u16>>,
}

impl MotionBackground {
    /// An empty background for `width × height` thumbnails; the first frame seeds it.
    pub fn new(width: u32, height: u32, alpha: f64, threshold: u8) -> Self {
        Self {
            width,
            height,
            alpha: alpha_fixed_point(alpha),
            threshold,
            average: None,
        }
    }

    /// Blends `thumbnail` into the background and returns its motion mask
    /// against the background as it was; `None` for the seeding first frame.
    pub fn update(&mut self, thumbnail: &GreyThumbnail) -> Result<Option<MotionMask>, MotionError> {
        if (thumbnail.width(), thumbnail.height()) != (self.width, self.height) {
            return Err(MotionError::SizeMismatch {
                previous_width: self.width,
                previous_height: self.height,
                current_width: thumbnail.width(),
                current_height: thumbnail.height(),
            });
        }
        let blurred = blur(thumbnail.pixels(), self.width as usize, self.height as usize);
        let Some(average) = self.average.as_mut() else {
            self.average = Some(blurred.iter().map(|&b| u16::from(b) << 8).collect());
            return Ok(None);
        };
        let threshold = i32::from(self.threshold) << 8;
        let alpha = self.alpha as i32;
        let moving: Vec<bool> = blurred
            .iter()
            .zip(average.iter_mut())
            .map(|(&b, avg)| {
                let delta = (i32::from(b) << 8) - i32::from(*avg);
                *avg = (i32::from(*avg) + ((delta * alpha + 128) >> 8)) as u16;
                delta.abs() > threshold
            })
            .collect();
        MotionMask::from_bits(self.width, self.height, dilated_bits(&moving, self.width, self.height)).map(Some)
    }
}

/// 3×3 Gaussian blur with repeated edges, `(Σ w·p + 8) >> 4`.
fn blur(pixels: &[u8], width: usize, height: usize) -> Vec<u8> {
    const WEIGHTS: [u32; 3] = [1, 2, 1];
    let at = |x: usize, y: usize| u32::from(pixels[y * width + x]);
    let mut out = Vec::with_capacity(pixels.len());
    for y in 0..height {
        let rows = [y.saturating_sub(1), y, (y + 1).min(height - 1)];
        for x in 0..width {
            let columns = [x.saturating_sub(1), x, (x + 1).min(width - 1)];
            let mut sum = 0;
            for (row, row_weight) in rows.iter().zip(WEIGHTS) {
                for (column, column_weight) in columns.iter().zip(WEIGHTS) {
                    sum += row_weight * column_weight * at(*column, *row);
                }
            }
            out.push(((sum + 8) >> 4) as u8);
        }
    }
    out
}

/// The 3×3 dilation of `moving`, bit-packed in `MotionMask`'s layout.
fn dilated_bits(moving: &[bool], width: u32, height: u32) -> Vec<u8> {
    let (width, height) = (width as usize, height as usize);
    let row_bytes = width.div_ceil(8);
    let mut bits = vec![0u8; row_bytes * height];
    for y in 0..height {
        let rows = y.saturating_sub(1)..=(y + 1).min(height - 1);
        for x in 0..width {
            let columns = x.saturating_sub(1)..=(x + 1).min(width - 1);
            let any = rows
                .clone()
                .any(|row| columns.clone().any(|column| moving[row * width + column]));
            if any {
                bits[y * row_bytes + x / 8] |= 1 << (x % 8);
            }
        }
    }
    bits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thumbnail(width: u32, values: &[u8]) -> GreyThumbnail {
        let rgb: Vec<u8> = values.iter().flat_map(|&v| [v; 3]).collect();
        let height = values.len() as u32 / width;
        GreyThumbnail::from_rgb(&rgb, width, height, width).unwrap()
    }

    fn moved(mask: &MotionMask) -> Vec<(u32, u32)> {
        (0..mask.height())
            .flat_map(|y| (0..mask.width()).map(move |x| (x, y)))
            .filter(|&(x, y)| mask.get(x, y))
            .collect()
    }

    #[test]
    fn blur_weights_and_edges() {
        // A single 160 at the centre of 3×3 zeros: centre 160·4/16 = 40,
        // edge neighbours 160·2/16 = 20, corners 10.
        let mut values = [0u8; 9];
        values[4] = 160;
        assert_eq!(blur(&values, 3, 3), vec![10, 20, 10, 20, 40, 20, 10, 20, 10]);
        // A flat image stays flat at the edges (they repeat).
        assert_eq!(blur(&[7; 6], 3, 2), vec![7; 6]);
    }

    #[test]
    fn the_first_frame_seeds_and_a_still_scene_never_moves() {
        let mut background = MotionBackground::new(4, 4, 0.05, 25);
        let scene = thumbnail(4, &[10, 200, 30, 90, 50, 60, 70, 80, 0, 255, 3, 4, 100, 100, 100, 100]);
        assert!(background.update(&scene).unwrap().is_none());
        for _ in 0..5 {
            assert!(moved(&background.update(&scene).unwrap().unwrap()).is_empty());
        }
    }

    #[test]
    fn a_change_moves_its_dilated_neighbourhood_then_fades_into_the_background() {
        // 6×6 of 0; then the pixel (2,2) becomes 255: blurred it is
        // (255·4 + 8) >> 4 = 64 at (2,2), (255·2 + 8) >> 4 = 32 at its edge
        // neighbours, 16 at its corners. 64 and 32 exceed 25 (a plus sign);
        // dilation grows the plus by one pixel: a 5×5 square without corners.
        let mut background = MotionBackground::new(6, 6, 0.05, 25);
        background.update(&thumbnail(6, &[0; 36])).unwrap();
        let mut values = [0u8; 36];
        values[2 * 6 + 2] = 255;
        let changed = thumbnail(6, &values);
        let first = background.update(&changed).unwrap().unwrap();
        let neighbourhood: Vec<(u32, u32)> = (0..=4u32)
            .flat_map(|y| (0..=4u32).map(move |x| (x, y)))
            .filter(|&(x, y)| x.abs_diff(2) + y.abs_diff(2) < 4)
            .collect();
        assert_eq!(moved(&first), neighbourhood);
        // a = round(0.05 · 256) = 13. The centre's average climbs from 0
        // towards 64 << 8 = 16384: +((16384 · 13 + 128) >> 8) = +832, …;
        // it stays more than 25 grey levels (6400) below until
        // 16384 · (1 − 13/256)^n ≤ 6400, n = 18.04…: 18 more moving frames.
        let still_moving = (0..40)
            .take_while(|_| !moved(&background.update(&changed).unwrap().unwrap()).is_empty())
            .count();
        assert_eq!(still_moving, 18);
    }

    #[test]
    fn alpha_is_stored_in_256ths() {
        assert_eq!(alpha_fixed_point(0.05), 13);
        assert_eq!(alpha_fixed_point(0.0001), 1);
        assert_eq!(alpha_fixed_point(1.0), 256);
    }

    #[test]
    fn a_thumbnail_of_another_size_is_an_error() {
        let mut background = MotionBackground::new(2, 2, 0.05, 25);
        let err = background.update(&thumbnail(4, &[0; 4])).unwrap_err();
        assert!(err.to_string().contains("2x2 thumbnail with a 4x1"), "{err}");
    }
}
