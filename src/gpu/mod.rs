//! NVIDIA GPU access, all loaded at run time so the binary starts without a
//! driver:
//!
//! - `driver_probe`: whether the driver libraries exist (no CUDA call).
//! - `cuda_context`: a CUDA context owned by the thread that opened it.
//! - `nvdec`: NVDEC hardware decoding (libnvcuvid) of H.264/HEVC access units
//!   into NV12 frames that stay in device memory, and decoder capabilities.
//! - `kernels`: the image kernels, compiled by NVRTC at start-up.
//! - `nvjpeg`: JPEG encoding of device images (libnvjpeg).
//! - `nvenc`: whether the GPU can open a video-encode session (libnvidia-encode).
//! - `library_symbol`: resolving the entry points of those run-time-loaded libraries.

pub mod cuda_context;
pub mod driver_probe;
pub mod kernels;
pub mod library_symbol;
pub mod nvdec;
pub mod nvenc;
pub mod nvjpeg;
