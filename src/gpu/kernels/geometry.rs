//! Launch geometry of the image kernels: how many blocks of how many threads cover an
//! output, and the kernel-side picture descriptor.
//!
//! Pure arithmetic, tested without a GPU; the launches themselves live in `launch`.

/// Threads per block side of the two-dimensional kernels (16×16 = 256 threads).
pub const BLOCK_SIDE: u32 = 16;
/// Threads per block of the one-dimensional kernels.
pub const LINEAR_BLOCK: u32 = 256;

/// A launch shape: `grid` blocks of `block` threads, in (x, y, z).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LaunchShape {
    /// Blocks per grid dimension.
    pub grid: (u32, u32, u32),
    /// Threads per block dimension.
    pub block: (u32, u32, u32),
}

impl LaunchShape {
    /// One thread per element of a `width`×`height` output, in 16×16 blocks.
    pub fn covering(width: u32, height: u32) -> Self {
        Self {
            grid: (width.div_ceil(BLOCK_SIDE).max(1), height.div_ceil(BLOCK_SIDE).max(1), 1),
            block: (BLOCK_SIDE, BLOCK_SIDE, 1),
        }
    }

    /// One thread per element of `count` elements, in blocks of 256.
    pub fn linear(count: u32) -> Self {
        Self {
            grid: (count.div_ceil(LINEAR_BLOCK).max(1), 1, 1),
            block: (LINEAR_BLOCK, 1, 1),
        }
    }

    /// Threads launched in all.
    pub fn threads(&self) -> u64 {
        let (gx, gy, gz) = self.grid;
        let (bx, by, bz) = self.block;
        u64::from(gx) * u64::from(gy) * u64::from(gz) * u64::from(bx) * u64::from(by) * u64::from(bz)
    }
}

/// An NV12 picture in device memory as the kernels take it (`struct Nv12` in `kernels.cu`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nv12Picture {
    /// Device address of the luma plane.
    pub luma: u64,
    /// Device address of the interleaved chroma plane.
    pub chroma: u64,
    /// Bytes per row of either plane.
    pub pitch: i32,
    /// Width in pixels.
    pub width: i32,
    /// Height in pixels.
    pub height: i32,
}

// SAFETY: `Nv12Picture` is `repr(C)` plain data (two addresses and three ints) with the
// layout of the kernels' `struct Nv12`, so it can be passed by value as a kernel argument.
unsafe impl cudarc::driver::DeviceRepr for Nv12Picture {}

/// Bytes per row of a bit-packed mask `width` pixels wide (`ceil(width / 8)`).
pub fn mask_row_bytes(width: u32) -> u32 {
    width.div_ceil(8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_hd_is_covered_by_120_by_68_blocks() {
        let shape = LaunchShape::covering(1920, 1080);
        assert_eq!(shape.grid, (120, 68, 1));
        assert_eq!(shape.block, (16, 16, 1));
        // 1088 rows launched for 1080: the kernels bound-check the last 8.
        assert_eq!(shape.threads(), 1920 * 1088);
    }

    #[test]
    fn detector_input_of_416_is_26_blocks_square() {
        assert_eq!(LaunchShape::covering(416, 416).grid, (26, 26, 1));
        assert_eq!(LaunchShape::covering(417, 1).grid, (27, 1, 1));
    }

    #[test]
    fn linear_launch_rounds_up_to_whole_blocks() {
        let mask_bytes = mask_row_bytes(320) * 180;
        assert_eq!(mask_bytes, 7200);
        let shape = LaunchShape::linear(mask_bytes);
        assert_eq!(shape.grid, (29, 1, 1));
        assert_eq!(shape.threads(), 29 * 256);
        assert_eq!(LaunchShape::linear(0).grid, (1, 1, 1));
    }

    #[test]
    fn mask_rows_round_up_to_bytes() {
        assert_eq!(mask_row_bytes(8), 1);
        assert_eq!(mask_row_bytes(9), 2);
        assert_eq!(mask_row_bytes(213), 27);
    }

    #[test]
    fn picture_descriptor_has_the_kernel_layout() {
        // Two 8-byte addresses, three 4-byte ints, padded to 8: 32 bytes, as nvcc lays it out.
        assert_eq!(std::mem::size_of::<Nv12Picture>(), 32);
        assert_eq!(std::mem::align_of::<Nv12Picture>(), 8);
    }
}
