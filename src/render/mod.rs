//! CPU rendering of summary-video frames and AI frames.
//!
//! - `frame`: the packed RGB frame passed between decoder, renderer and encoder.
//! - `crop_resize`: bicubic crop-and-scale and letterboxing into the output size.
//! - `text_overlay`: white, dark-outlined text drawn at the top-left of a frame.
//! - `timestamp`: the overlay strings (local date and time, camera, frame counter).
//! - `jpeg`: JPEG encoding of AI frames.

pub mod crop_resize;
pub mod frame;
pub mod jpeg;
pub mod text_overlay;
pub mod timestamp;
pub mod yuv;
