//! Failures of NVDEC: a missing library, a failed driver call, a stream the engines
//! cannot decode.
//!
//! Owns the error type and the naming of CUDA result codes; it makes no call. Errors
//! name the call and code, not the clip: the caller that fed the clip wraps them with
//! its path.

use crate::gpu::library_symbol::MissingSymbol;
use std::ffi::c_int;

use super::NvdecCodec;
use crate::gpu::cuda_context::GpuContextError;

/// A failure of NVDEC decoding or of loading it.
#[derive(Debug, thiserror::Error)]
pub enum NvdecError {
    /// The NVDEC library is not installed (no NVIDIA driver, or a driver without it).
    #[error("{library} not found ({detail})")]
    LibraryNotFound {
        /// The file name that was looked for.
        library: String,
        /// The loader's reason.
        detail: String,
    },
    /// The library lacks an entry point this product calls (a driver too old).
    #[error("{0}; the NVIDIA driver is too old")]
    MissingSymbol(#[from] MissingSymbol),
    /// An NVDEC call returned a CUDA error.
    #[error("{call} failed: {}", describe_cu_result(*code))]
    Call {
        /// The entry point that failed.
        call: &'static str,
        /// The `CUresult` it returned.
        code: c_int,
    },
    /// The GPU's decode engines cannot decode this stream.
    #[error("{codec} {width}x{height}: {reason}")]
    Unsupported {
        /// The stream's codec.
        codec: NvdecCodec,
        /// Coded width of the stream.
        width: u32,
        /// Coded height of the stream.
        height: u32,
        /// Why (bit depth, chroma format, size limits, no engine).
        reason: String,
    },
    /// The stream changed its picture format mid-stream; a session decodes one format.
    #[error("{codec} stream changed format from {from} to {to} mid-stream; open a new session for it")]
    FormatChanged {
        /// The stream's codec.
        codec: NvdecCodec,
        /// The format the decoder was created for (`WxH`).
        from: String,
        /// The new format (`WxH`).
        to: String,
    },
    /// The parser sent a picture before any sequence header created the decoder
    /// (the stream did not start with parameter sets and a keyframe).
    #[error(
        "{codec} picture arrived before a sequence header; the stream must start at a keyframe with its parameter sets"
    )]
    NoSequenceHeader {
        /// The stream's codec.
        codec: NvdecCodec,
    },
    /// The parser decoded into a surface whose displayed picture the caller had not yet
    /// taken, so that picture would be overwritten.
    #[error("decode surface {surface} was reused before its displayed picture was taken")]
    SurfaceReused {
        /// The decode surface index.
        surface: c_int,
    },
    /// The CUDA context could not be made current.
    #[error(transparent)]
    Context(#[from] GpuContextError),
    /// A mapped picture does not fit the buffer it was to be copied into.
    #[error("a decoded picture of {needed} bytes does not fit a buffer of {available}")]
    CopyTooSmall {
        /// Bytes of the picture (both planes).
        needed: usize,
        /// Bytes of the buffer.
        available: usize,
    },
    /// Copying a mapped picture, or waiting for the copy, failed.
    #[error("copy of a decoded picture: {0}")]
    Copy(#[from] cudarc::driver::DriverError),
}

/// Turns a `CUresult` into `code (NAME)`, naming the codes NVDEC returns in practice.
pub fn describe_cu_result(code: c_int) -> String {
    let name = match code {
        1 => "CUDA_ERROR_INVALID_VALUE",
        2 => "CUDA_ERROR_OUT_OF_MEMORY",
        3 => "CUDA_ERROR_NOT_INITIALIZED",
        4 => "CUDA_ERROR_DEINITIALIZED",
        100 => "CUDA_ERROR_NO_DEVICE",
        101 => "CUDA_ERROR_INVALID_DEVICE",
        201 => "CUDA_ERROR_INVALID_CONTEXT",
        205 => "CUDA_ERROR_MAP_FAILED",
        206 => "CUDA_ERROR_UNMAP_FAILED",
        400 => "CUDA_ERROR_INVALID_HANDLE",
        700 => "CUDA_ERROR_ILLEGAL_ADDRESS",
        801 => "CUDA_ERROR_NOT_SUPPORTED",
        999 => "CUDA_ERROR_UNKNOWN",
        _ => return format!("CUDA error {code}"),
    };
    format!("CUDA error {code} ({name})")
}

/// Turns a `CUresult` from `call` into `Ok` or [`NvdecError::Call`].
pub(super) fn check(call: &'static str, code: c_int) -> Result<(), NvdecError> {
    if code == super::ffi::CUDA_SUCCESS {
        Ok(())
    } else {
        Err(NvdecError::Call { call, code })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_are_named_and_others_numbered() {
        assert_eq!(describe_cu_result(801), "CUDA error 801 (CUDA_ERROR_NOT_SUPPORTED)");
        assert_eq!(describe_cu_result(12345), "CUDA error 12345");
    }

    #[test]
    fn check_passes_success_and_names_the_failed_call() {
        assert!(check("cuvidDecodePicture", 0).is_ok());
        let err = check("cuvidCreateDecoder", 2).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cuvidCreateDecoder failed: CUDA error 2 (CUDA_ERROR_OUT_OF_MEMORY)"
        );
    }
}
