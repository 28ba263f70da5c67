//! The interleaved 8-bit RGB frame that the CPU decoder hands out, the CPU renderer draws into and
//! the software encoder consumes.
//!
//! Owns only pixel storage and its size checks; it knows nothing of decoding, cropping or text.

use thiserror::Error;

/// Bytes per RGB pixel.
const RGB_CHANNELS: usize = 3;

/// A pixel buffer whose length does not match the stated frame size.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("RGB frame {width}x{height} needs {expected} bytes but the buffer holds {actual}")]
pub struct FrameSizeError {
    /// Frame width the caller stated, in pixels.
    pub width: u32,
    /// Frame height the caller stated, in pixels.
    pub height: u32,
    /// Bytes a tightly packed RGB frame of that size holds.
    pub expected: usize,
    /// Bytes the caller supplied.
    pub actual: usize,
}

/// Number of bytes a tightly packed RGB frame of `width`×`height` holds.
fn rgb_byte_len(width: u32, height: u32) -> usize {
    width as usize * height as usize * RGB_CHANNELS
}

/// Checks that `data` holds exactly one tightly packed RGB frame of `width`×`height`.
fn check_len(width: u32, height: u32, data: &[u8]) -> Result<(), FrameSizeError> {
    let expected = rgb_byte_len(width, height);
    if data.len() == expected {
        Ok(())
    } else {
        Err(FrameSizeError {
            width,
            height,
            expected,
            actual: data.len(),
        })
    }
}

/// An owned RGB image: `height` rows of `width` pixels, 3 bytes (R, G, B) each, rows packed
/// without padding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RgbFrame {
    /// Width in pixels; rows are `width * 3` bytes.
    width: u32,
    /// Height in pixels (number of rows).
    height: u32,
    /// The pixels, row-major, exactly `width * height * 3` bytes.
    data: Vec<u8>,
}

impl RgbFrame {
    /// An all-black frame, used to allocate pooled output buffers once.
    pub fn black(width: u32, height: u32) -> Self {
        Self {
            width,
            height,
            data: vec![0; rgb_byte_len(width, height)],
        }
    }

    /// Wraps decoded pixels without copying; fails if `data` is not exactly one packed frame.
    pub fn from_vec(width: u32, height: u32, data: Vec<u8>) -> Result<Self, FrameSizeError> {
        check_len(width, height, &data)?;
        Ok(Self { width, height, data })
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The packed RGB bytes.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The packed RGB bytes, for writing pixels in place.
    pub fn data_mut(&mut self) -> &mut [u8] {
        &mut self.data
    }

    /// Gives the buffer back, e.g. to return it to a pool.
    pub fn into_vec(self) -> Vec<u8> {
        self.data
    }

    /// A borrowed view of this frame.
    pub fn view(&self) -> RgbFrameRef<'_> {
        RgbFrameRef {
            width: self.width,
            height: self.height,
            data: &self.data,
        }
    }

    /// The pixel at column `x`, row `y`; panics outside the frame.
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
        let start = (y as usize * self.width as usize + x as usize) * RGB_CHANNELS;
        [self.data[start], self.data[start + 1], self.data[start + 2]]
    }
}

/// A borrowed RGB image with the same layout as [`RgbFrame`], for pixels that live in someone
/// else's buffer (a decoder's output, a memory-mapped file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RgbFrameRef<'a> {
    /// Width in pixels; rows are `width * 3` bytes.
    width: u32,
    /// Height in pixels (number of rows).
    height: u32,
    /// The pixels, row-major, exactly `width * height * 3` bytes.
    data: &'a [u8],
}

impl<'a> RgbFrameRef<'a> {
    /// Views `data` as a packed RGB frame; fails if it is not exactly one frame long.
    pub fn new(width: u32, height: u32, data: &'a [u8]) -> Result<Self, FrameSizeError> {
        check_len(width, height, data)?;
        Ok(Self { width, height, data })
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The packed RGB bytes.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }
}

impl<'a> From<&'a RgbFrame> for RgbFrameRef<'a> {
    fn from(frame: &'a RgbFrame) -> Self {
        frame.view()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn black_frame_has_packed_rows() {
        let frame = RgbFrame::black(4, 3);
        assert_eq!(frame.data().len(), 36);
        assert!(frame.data().iter().all(|&byte| byte == 0));
    }

    #[test]
    fn from_vec_rejects_wrong_length() {
        let error = RgbFrame::from_vec(2, 2, vec![0; 11]).unwrap_err();
        assert_eq!(
            error,
            FrameSizeError {
                width: 2,
                height: 2,
                expected: 12,
                actual: 11
            }
        );
        assert!(RgbFrameRef::new(2, 2, &[0; 13]).is_err());
    }

    #[test]
    fn pixel_reads_row_major() {
        let data: Vec<u8> = (0..18).collect();
        let frame = RgbFrame::from_vec(3, 2, data).unwrap();
        assert_eq!(frame.pixel(1, 1), [12, 13, 14]);
        assert_eq!(frame.view().data()[3..6], [3, 4, 5]);
    }
}
