//! Inference: ONNX Runtime loaded at run time, the detector model file and
//! the detector session, on the CPU (`detector_session`) or on an NVIDIA GPU
//! (`gpu_providers` for TensorRT/CUDA, `device_io` for runs on device buffers).
//! Pre/post-processing is `detect`.

mod detector_session;
pub mod device_io;
mod error;
pub mod gpu_providers;
mod model_file;
pub mod onnxruntime_library;

pub use detector_session::{BatchSupport, DetectorSession};
pub use error::InferenceError;
pub use model_file::ModelFile;
