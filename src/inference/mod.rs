//! Inference: ONNX Runtime loaded at run time, the detector model file and
//! the detector session. Pre/post-processing is `detect`; which execution
//! provider a session uses is decided by the accelerator backend.

mod detector_session;
mod error;
mod model_file;
pub mod onnxruntime_library;

pub use detector_session::{BatchSupport, DetectorSession};
pub use error::InferenceError;
pub use model_file::ModelFile;
