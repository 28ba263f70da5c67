//! Errors of accelerator backends.

use std::path::PathBuf;

/// Why an accelerator job failed.
#[derive(Debug, thiserror::Error)]
pub enum AcceleratorError {
    /// The clip could not be decoded.
    #[error("clip {}: decode failed: {message}", clip.display())]
    Decode {
        /// The clip.
        clip: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A frame could not be processed (preprocessing, output decoding, rendering).
    #[error("clip {}: {message}", clip.display())]
    Frame {
        /// The clip the frame came from.
        clip: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The detector could not be loaded or run.
    #[error("detector: {0}")]
    Detector(#[from] crate::inference::InferenceError),
    /// A plan named a camera the job has no clip for.
    #[error("summary plan names camera '{0}' but the CE has no probed clip for it")]
    UnknownCamera(String),
    /// The GPU failed (a CUDA driver call, a kernel, a transfer).
    #[error("GPU {device}: {message}")]
    Gpu {
        /// The CUDA device ordinal.
        device: usize,
        /// What failed.
        message: String,
    },
    /// The stage downstream went away (shutdown).
    #[error("downstream stage closed")]
    DownstreamClosed,
}

impl AcceleratorError {
    /// Whether the device state may be unusable after this error (a CUDA or inference
    /// fault), rather than the error being about the clip.
    pub fn is_device_fault(&self) -> bool {
        matches!(self, Self::Gpu { .. } | Self::Detector(_))
    }
}
