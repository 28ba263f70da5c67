//! Grey thumbnails of frames and the bit-packed motion mask.
//!
//! Owns the CPU grey thumbnail (BT.601 luma, area-averaged downscale) and the
//! mask's bit-packed layout, which a GPU backend reproduces from device
//! memory. Which pixels move is `motion::background`; finding blobs in the
//! mask belongs to `motion::contours`.

/// Width of the grey thumbnail unless configured otherwise.
pub const DEFAULT_THUMBNAIL_WIDTH: u32 = 320;

/// Grey-level difference above which a thumbnail pixel counts as moving.
pub const DEFAULT_DIFF_THRESHOLD: u8 = 25;

/// BT.601 luma weights in 1/65536ths (0.299, 0.587, 0.114); they sum to 65536.
const LUMA_WEIGHTS: [u64; 3] = [19_595, 38_470, 7_471];

/// Why a thumbnail or mask could not be built.
#[derive(Debug, thiserror::Error)]
pub enum MotionError {
    /// A frame or thumbnail with a side of zero pixels.
    #[error("cannot make a {thumbnail_width} px wide grey thumbnail of a {width}x{height} frame")]
    EmptySize {
        /// Frame width.
        width: u32,
        /// Frame height.
        height: u32,
        /// Requested thumbnail width.
        thumbnail_width: u32,
    },
    /// The RGB buffer does not hold `width × height` pixels.
    #[error("RGB frame buffer holds {actual} bytes but a {width}x{height} frame needs {expected}")]
    FrameLength {
        /// Frame width.
        width: u32,
        /// Frame height.
        height: u32,
        /// `width × height × 3`.
        expected: usize,
        /// Length handed in.
        actual: usize,
    },
    /// A thumbnail of another size than the background it is compared with.
    #[error(
        "cannot compare a {previous_width}x{previous_height} thumbnail with a {current_width}x{current_height} one"
    )]
    SizeMismatch {
        /// Previous thumbnail width.
        previous_width: u32,
        /// Previous thumbnail height.
        previous_height: u32,
        /// Current thumbnail width.
        current_width: u32,
        /// Current thumbnail height.
        current_height: u32,
    },
    /// Packed bits whose length does not fit the stated mask size.
    #[error("a {width}x{height} motion mask needs {expected} bytes of bits, got {actual}")]
    MaskLength {
        /// Mask width.
        width: u32,
        /// Mask height.
        height: u32,
        /// `ceil(width / 8) × height`.
        expected: usize,
        /// Length handed in.
        actual: usize,
    },
}

/// A frame downscaled to a small grey (luma) image, for frame differencing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GreyThumbnail {
    /// Thumbnail width in pixels.
    width: u32,
    /// Thumbnail height in pixels (the frame's aspect kept).
    height: u32,
    /// Row-major luma values, `width × height`.
    pixels: Vec<u8>,
}

impl GreyThumbnail {
    /// Downscales an interleaved RGB frame (tightly packed rows) to
    /// `thumbnail_width` pixels wide (no wider than the frame), keeping the
    /// aspect: each thumbnail pixel is the BT.601 luma of the mean colour of the
    /// frame pixels it covers.
    pub fn from_rgb(rgb: &[u8], width: u32, height: u32, thumbnail_width: u32) -> Result<Self, MotionError> {
        if width == 0 || height == 0 || thumbnail_width == 0 {
            return Err(MotionError::EmptySize {
                width,
                height,
                thumbnail_width,
            });
        }
        let expected = width as usize * height as usize * 3;
        if rgb.len() != expected {
            return Err(MotionError::FrameLength {
                width,
                height,
                expected,
                actual: rgb.len(),
            });
        }
        let (thumb_width, thumb_height) = thumbnail_size(width, height, thumbnail_width);
        let columns = bin_bounds(width, thumb_width);
        let rows = bin_bounds(height, thumb_height);

        let row_len = width as usize * 3;
        let mut pixels = Vec::with_capacity(thumb_width as usize * thumb_height as usize);
        // Per-channel sums down each frame column over one band of rows (a band
        // is at most `height` rows of 255, which fits a u32). Summing whole rows
        // first keeps the hot loop a plain element-wise add.
        let mut column_sums = vec![0u32; row_len];
        for row_bin in rows.windows(2) {
            column_sums.fill(0);
            let band = &rgb[row_bin[0] * row_len..row_bin[1] * row_len];
            for frame_row in band.chunks_exact(row_len) {
                for (sum, &value) in column_sums.iter_mut().zip(frame_row) {
                    *sum += u32::from(value);
                }
            }
            let band_height = (row_bin[1] - row_bin[0]) as u64;
            for column_bin in columns.windows(2) {
                let mut channels = [0u64; 3];
                for pixel in column_sums[column_bin[0] * 3..column_bin[1] * 3].chunks_exact(3) {
                    channels[0] += u64::from(pixel[0]);
                    channels[1] += u64::from(pixel[1]);
                    channels[2] += u64::from(pixel[2]);
                }
                let denominator = band_height * (column_bin[1] - column_bin[0]) as u64 * 65_536;
                let weighted: u64 = channels.iter().zip(LUMA_WEIGHTS).map(|(s, w)| s * w).sum();
                // At most 255 × denominator / denominator, so it fits a byte.
                pixels.push(((weighted + denominator / 2) / denominator) as u8);
            }
        }
        Ok(Self {
            width: thumb_width,
            height: thumb_height,
            pixels,
        })
    }

    /// Thumbnail width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Thumbnail height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Row-major luma values.
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }
}

/// The size of the thumbnail of a `width`×`height` frame (both non-zero) at most
/// `thumbnail_width` wide: no wider than the frame, the aspect kept, at least one row.
pub fn thumbnail_size(width: u32, height: u32, thumbnail_width: u32) -> (u32, u32) {
    let thumb_width = thumbnail_width.min(width);
    let scaled_height = (f64::from(height) * f64::from(thumb_width) / f64::from(width)).round();
    (thumb_width, (scaled_height as u32).clamp(1, height))
}

/// `bins + 1` boundaries splitting `0..len` into `bins` near-equal, non-empty
/// ranges (`bins ≤ len`).
fn bin_bounds(len: u32, bins: u32) -> Vec<usize> {
    (0..=u64::from(bins))
        .map(|i| (i * u64::from(len) / u64::from(bins)) as usize)
        .collect()
}

/// Which thumbnail pixels moved in a sampled frame, one bit each.
///
/// Layout (shared with the GPU backend): row-major, each row starts on a byte
/// boundary and takes `ceil(width / 8)` bytes; pixel `x` of a row is bit
/// `x % 8` (least significant first) of byte `x / 8`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MotionMask {
    /// Mask width in pixels (the thumbnail's).
    width: u32,
    /// Mask height in pixels.
    height: u32,
    /// Packed bits, `ceil(width / 8) × height` bytes.
    bits: Vec<u8>,
}

impl MotionMask {
    /// Wraps packed bits in the layout above; their length must match the size.
    pub fn from_bits(width: u32, height: u32, bits: Vec<u8>) -> Result<Self, MotionError> {
        let expected = row_bytes(width) * height as usize;
        if bits.len() != expected {
            return Err(MotionError::MaskLength {
                width,
                height,
                expected,
                actual: bits.len(),
            });
        }
        Ok(Self { width, height, bits })
    }

    /// Mask width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Mask height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Whether pixel `(x, y)` moved; `false` outside the mask.
    pub fn get(&self, x: u32, y: u32) -> bool {
        if x >= self.width || y >= self.height {
            return false;
        }
        let byte = self.bits[y as usize * row_bytes(self.width) + x as usize / 8];
        byte & (1 << (x % 8)) != 0
    }
}

/// Bytes per packed mask row.
fn row_bytes(width: u32) -> usize {
    width.div_ceil(8) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An RGB frame whose pixels have the given luma values (R = G = B keeps them exact).
    fn grey_frame(values: &[u8]) -> Vec<u8> {
        values.iter().flat_map(|&v| [v; 3]).collect()
    }

    #[test]
    fn luma_follows_bt601() {
        let rgb = [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255];
        let thumbnail = GreyThumbnail::from_rgb(&rgb, 4, 1, 4).unwrap();
        // 0.299 × 255 = 76.2, 0.587 × 255 = 149.7, 0.114 × 255 = 29.1.
        assert_eq!(thumbnail.pixels(), [76, 150, 29, 255]);
    }

    #[test]
    fn downscale_averages_the_covered_area() {
        // 4x2 grey frame to 2 px wide: each thumbnail pixel covers a 2x2 block.
        let frame = grey_frame(&[0, 10, 100, 100, 20, 30, 200, 201]);
        let half = GreyThumbnail::from_rgb(&frame, 4, 2, 2).unwrap();
        assert_eq!((half.width(), half.height()), (2, 1));
        // (0 + 10 + 20 + 30) / 4 = 15; (100 + 100 + 200 + 201) / 4 = 150.25.
        assert_eq!(half.pixels(), [15, 150]);
        // 5 px to 2: the columns split 2 + 3; (10 + 20) / 2 = 15, (30 + 40 + 50) / 3 = 40.
        let uneven = GreyThumbnail::from_rgb(&grey_frame(&[10, 20, 30, 40, 50]), 5, 1, 2).unwrap();
        assert_eq!(uneven.pixels(), [15, 40]);
    }

    #[test]
    fn full_hd_thumbnail_keeps_the_aspect() {
        let rgb = vec![90u8; 1920 * 1080 * 3];
        let thumbnail = GreyThumbnail::from_rgb(&rgb, 1920, 1080, DEFAULT_THUMBNAIL_WIDTH).unwrap();
        assert_eq!((thumbnail.width(), thumbnail.height()), (320, 180));
        assert!(thumbnail.pixels().iter().all(|&v| v == 90));
    }

    #[test]
    fn bad_frames_are_errors() {
        let err = GreyThumbnail::from_rgb(&[0; 5], 2, 1, 2).unwrap_err();
        assert!(
            err.to_string().contains("holds 5 bytes but a 2x1 frame needs 6"),
            "{err}"
        );
        assert!(GreyThumbnail::from_rgb(&[], 0, 0, 320).is_err());
    }

    #[test]
    fn from_bits_checks_the_length() {
        assert!(MotionMask::from_bits(9, 2, vec![0; 4]).is_ok());
        let err = MotionMask::from_bits(9, 2, vec![0; 3]).unwrap_err();
        assert!(err.to_string().contains("9x2 motion mask needs 4 bytes"), "{err}");
        let mask = MotionMask::from_bits(9, 1, vec![0b1000_0000, 0b1]).unwrap();
        assert!(mask.get(7, 0) && mask.get(8, 0) && !mask.get(0, 0));
    }
}
