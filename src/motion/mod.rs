//! The motion fallback's pure CPU side (SPEC §5).
//!
//! - [`mask`]: grey thumbnails and the bit-packed motion mask.
//! - [`background`]: the running-average background of a clip and each sampled
//!   frame's mask against it.
//! - [`contours`]: motion boxes in native pixels from a mask's external contours.
//!
//! A GPU backend produces the same [`mask::MotionMask`] from device memory; the
//! contour step always runs on the CPU, off the GPU-owner thread.

pub mod background;
pub mod contours;
pub mod mask;
