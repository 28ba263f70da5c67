//! Errors of the inference layer (ONNX Runtime and the detector model).

use std::path::PathBuf;

/// Why the detector could not be loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum InferenceError {
    /// No ONNX Runtime library was found.
    #[error("ONNX Runtime library not found (looked in: {searched}); run scripts/install-onnxruntime.sh or set ORT_DYLIB_PATH")]
    LibraryNotFound {
        /// The places tried, comma-separated.
        searched: String,
    },
    /// The library exists but could not be loaded.
    #[error("ONNX Runtime library {}: {message}", path.display())]
    LibraryLoad {
        /// The library file.
        path: PathBuf,
        /// The loader's message.
        message: String,
    },
    /// The model file could not be read.
    #[error("model {}: {source}", path.display())]
    ModelUnreadable {
        /// The model file.
        path: PathBuf,
        /// The I/O failure.
        source: std::io::Error,
    },
    /// The model's sha256 is not the expected one.
    #[error("model {}: sha256 is {actual}, expected {expected} (a damaged or different file)", path.display())]
    ModelChecksum {
        /// The model file.
        path: PathBuf,
        /// Configured or shipped checksum.
        expected: String,
        /// Checksum of the file.
        actual: String,
    },
    /// The model is not a usable detector (inputs, outputs, shapes).
    #[error("model {}: {message}", path.display())]
    UnsupportedModel {
        /// The model file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The class names file is unusable.
    #[error("{0}")]
    Labels(String),
    /// ONNX Runtime failed to create the session or to run it.
    #[error("ONNX Runtime: {0}")]
    Runtime(String),
}

impl From<ort::Error> for InferenceError {
    fn from(err: ort::Error) -> Self {
        InferenceError::Runtime(err.to_string().replace('\n', " "))
    }
}
