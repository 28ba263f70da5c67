//! Failures of nvJPEG: a missing library, a failed call, a request the encoder must not
//! be given.
//!
//! Owns the error type and the naming of `nvjpegStatus_t` codes; it makes no call.
//! Errors name the entry point and status, not the image: the caller that knows which
//! frame or snapshot was being encoded wraps them with it.

use crate::gpu::library_symbol::MissingSymbol;
use std::ffi::c_int;

use super::ffi::NVJPEG_STATUS_SUCCESS;

/// A failure of nvJPEG encoding or of loading it.
#[derive(Debug, thiserror::Error)]
pub enum NvjpegError {
    /// No nvJPEG library is installed (no CUDA toolkit runtime, or not on the loader path).
    #[error("nvJPEG: {library} not found ({detail})")]
    LibraryNotFound {
        /// The file names that were looked for, in order.
        library: String,
        /// The loader's reason for each.
        detail: String,
    },
    /// The library lacks an entry point this product calls (a toolkit too old).
    #[error("nvJPEG: {0}; the CUDA toolkit is too old")]
    MissingSymbol(#[from] MissingSymbol),
    /// An nvJPEG call returned an error status.
    #[error("nvJPEG: {call} failed: {}", describe_status(*status))]
    Call {
        /// The entry point that failed.
        call: &'static str,
        /// The `nvjpegStatus_t` it returned.
        status: c_int,
    },
    /// A JPEG quality outside 1..=100 was asked for.
    #[error("nvJPEG: quality {quality} is outside 1..=100")]
    InvalidQuality {
        /// The quality asked for.
        quality: u8,
    },
    /// The image handed to the encoder cannot be a valid interleaved RGB image.
    #[error("nvJPEG: {width}x{height} RGB image with pitch {pitch_bytes}: {reason}")]
    InvalidImage {
        /// Width in pixels.
        width: u32,
        /// Height in rows.
        height: u32,
        /// Bytes from one row to the next.
        pitch_bytes: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The stream's CUDA context could not be made current on this thread.
    #[error("nvJPEG: cannot make the stream's CUDA context current: {0}")]
    Context(cudarc::driver::DriverError),
}

/// The symbolic name of an `nvjpegStatus_t`, or `None` for a code nvjpeg.h does not define.
pub fn status_name(status: c_int) -> Option<&'static str> {
    Some(match status {
        0 => "NVJPEG_STATUS_SUCCESS",
        1 => "NVJPEG_STATUS_NOT_INITIALIZED",
        2 => "NVJPEG_STATUS_INVALID_PARAMETER",
        3 => "NVJPEG_STATUS_BAD_JPEG",
        4 => "NVJPEG_STATUS_JPEG_NOT_SUPPORTED",
        5 => "NVJPEG_STATUS_ALLOCATOR_FAILURE",
        6 => "NVJPEG_STATUS_EXECUTION_FAILED",
        7 => "NVJPEG_STATUS_ARCH_MISMATCH",
        8 => "NVJPEG_STATUS_INTERNAL_ERROR",
        9 => "NVJPEG_STATUS_IMPLEMENTATION_NOT_SUPPORTED",
        10 => "NVJPEG_STATUS_INCOMPLETE_BITSTREAM",
        _ => return None,
    })
}

/// Turns an `nvjpegStatus_t` into `NAME (code)`, or `unknown status (code)`.
pub fn describe_status(status: c_int) -> String {
    match status_name(status) {
        Some(name) => format!("{name} ({status})"),
        None => format!("unknown status ({status})"),
    }
}

/// Turns the status `call` returned into `Ok` or [`NvjpegError::Call`].
pub(super) fn check(call: &'static str, status: c_int) -> Result<(), NvjpegError> {
    if status == NVJPEG_STATUS_SUCCESS {
        Ok(())
    } else {
        Err(NvjpegError::Call { call, status })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_named_by_their_nvjpeg_h_values() {
        assert_eq!(status_name(2), Some("NVJPEG_STATUS_INVALID_PARAMETER"));
        assert_eq!(status_name(7), Some("NVJPEG_STATUS_ARCH_MISMATCH"));
        assert_eq!(status_name(10), Some("NVJPEG_STATUS_INCOMPLETE_BITSTREAM"));
        assert_eq!(status_name(11), None);
        assert_eq!(describe_status(6), "NVJPEG_STATUS_EXECUTION_FAILED (6)");
        assert_eq!(describe_status(-3), "unknown status (-3)");
    }

    #[test]
    fn check_passes_success_and_names_the_failed_call() {
        assert!(check("nvjpegEncodeImage", 0).is_ok());
        let err = check("nvjpegEncodeImage", 5).unwrap_err();
        assert_eq!(
            err.to_string(),
            "nvJPEG: nvjpegEncodeImage failed: NVJPEG_STATUS_ALLOCATOR_FAILURE (5)"
        );
    }

    #[test]
    fn request_errors_name_the_offending_values() {
        assert_eq!(
            NvjpegError::InvalidQuality { quality: 0 }.to_string(),
            "nvJPEG: quality 0 is outside 1..=100"
        );
        let err = NvjpegError::InvalidImage {
            width: 1280,
            height: 720,
            pitch_bytes: 1280,
            reason: "pitch is less than 3 bytes per pixel",
        };
        assert_eq!(
            err.to_string(),
            "nvJPEG: 1280x720 RGB image with pitch 1280: pitch is less than 3 bytes per pixel"
        );
    }
}
