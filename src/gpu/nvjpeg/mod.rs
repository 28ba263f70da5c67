//! nvJPEG: JPEG encoding of RGB images that are already in device memory, through
//! NVIDIA's `libnvjpeg` loaded at run time.
//!
//! - [`ffi`]: the hand-declared C API subset and its loader ([`NvjpegApi`]).
//! - [`encoder`]: one encoder bound to a CUDA stream ([`NvjpegEncoder`]).
//! - [`error`]: the module's error type ([`NvjpegError`]).
//!
//! Everything here runs on the GPU-owner thread, whose CUDA context must be current
//! when an encoder is created and used; encoders are not `Send`.

pub mod encoder;
pub mod error;
pub(crate) mod ffi;

pub use encoder::NvjpegEncoder;
pub use error::NvjpegError;
pub use ffi::NvjpegApi;
