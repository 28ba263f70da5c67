//! Failures of NVENC: a missing library, a driver too old for the API this product was
//! written against, a failed call.
//!
//! Owns the error type and the naming of `NVENCSTATUS` codes; it makes no call.

use crate::gpu::library_symbol::MissingSymbol;
use std::ffi::c_int;

use super::ffi::NV_ENC_SUCCESS;

/// A failure of NVENC or of loading it.
#[derive(Debug, thiserror::Error)]
pub enum NvencError {
    /// The NVENC library is not installed (no NVIDIA driver, or one without it).
    #[error("NVENC: {library} not found ({detail})")]
    LibraryNotFound {
        /// The file name that was looked for.
        library: String,
        /// The loader's reason.
        detail: String,
    },
    /// The library lacks an exported entry point this product calls.
    #[error("NVENC: {0}; the NVIDIA driver is too old")]
    MissingSymbol(#[from] MissingSymbol),
    /// The driver supports an older NVENC API than this product's declarations.
    #[error(
        "NVENC: the driver supports API {}.{} but {}.{} is required; update the NVIDIA driver",
        driver.0, driver.1, required.0, required.1
    )]
    DriverTooOld {
        /// The newest API `(major, minor)` the driver offers.
        driver: (u32, u32),
        /// The API `(major, minor)` these declarations follow.
        required: (u32, u32),
    },
    /// The driver's function table lacks an entry this product calls.
    #[error("NVENC: the driver's function table has no {entry}")]
    MissingEntry {
        /// The entry point's name.
        entry: &'static str,
    },
    /// An NVENC call returned an error status.
    #[error("NVENC: {call} failed: {}", describe_status(*status))]
    Call {
        /// The entry point that failed.
        call: &'static str,
        /// The `NVENCSTATUS` it returned.
        status: c_int,
    },
}

/// The symbolic name of an `NVENCSTATUS`, or `None` for a code nvEncodeAPI.h does not
/// define.
pub fn status_name(status: c_int) -> Option<&'static str> {
    Some(match status {
        0 => "NV_ENC_SUCCESS",
        1 => "NV_ENC_ERR_NO_ENCODE_DEVICE",
        2 => "NV_ENC_ERR_UNSUPPORTED_DEVICE",
        3 => "NV_ENC_ERR_INVALID_ENCODERDEVICE",
        4 => "NV_ENC_ERR_INVALID_DEVICE",
        5 => "NV_ENC_ERR_DEVICE_NOT_EXIST",
        6 => "NV_ENC_ERR_INVALID_PTR",
        7 => "NV_ENC_ERR_INVALID_EVENT",
        8 => "NV_ENC_ERR_INVALID_PARAM",
        9 => "NV_ENC_ERR_INVALID_CALL",
        10 => "NV_ENC_ERR_OUT_OF_MEMORY",
        11 => "NV_ENC_ERR_ENCODER_NOT_INITIALIZED",
        12 => "NV_ENC_ERR_UNSUPPORTED_PARAM",
        13 => "NV_ENC_ERR_LOCK_BUSY",
        14 => "NV_ENC_ERR_NOT_ENOUGH_BUFFER",
        15 => "NV_ENC_ERR_INVALID_VERSION",
        16 => "NV_ENC_ERR_MAP_FAILED",
        17 => "NV_ENC_ERR_NEED_MORE_INPUT",
        18 => "NV_ENC_ERR_ENCODER_BUSY",
        19 => "NV_ENC_ERR_EVENT_NOT_REGISTERD",
        20 => "NV_ENC_ERR_GENERIC",
        21 => "NV_ENC_ERR_INCOMPATIBLE_CLIENT_KEY",
        22 => "NV_ENC_ERR_UNIMPLEMENTED",
        23 => "NV_ENC_ERR_RESOURCE_REGISTER_FAILED",
        24 => "NV_ENC_ERR_RESOURCE_NOT_REGISTERED",
        25 => "NV_ENC_ERR_RESOURCE_NOT_MAPPED",
        26 => "NV_ENC_ERR_NEED_MORE_OUTPUT",
        _ => return None,
    })
}

/// What an operator should read into the statuses that say something about the
/// machine rather than about the call.
fn status_meaning(status: c_int) -> Option<&'static str> {
    match status {
        1 | 2 => Some("this GPU has no video encoder"),
        10 => Some("out of encoder memory or encode sessions"),
        15 => Some("the driver does not accept this API version"),
        _ => None,
    }
}

/// Turns an `NVENCSTATUS` into `NAME (code)`, followed by `: meaning` where the status
/// says something about the machine, or `unknown status (code)`.
pub fn describe_status(status: c_int) -> String {
    let named = match status_name(status) {
        Some(name) => format!("{name} ({status})"),
        None => format!("unknown status ({status})"),
    };
    match status_meaning(status) {
        Some(meaning) => format!("{named}: {meaning}"),
        None => named,
    }
}

/// Turns the status `call` returned into `Ok` or [`NvencError::Call`].
pub(super) fn check(call: &'static str, status: c_int) -> Result<(), NvencError> {
    if status == NV_ENC_SUCCESS {
        Ok(())
    } else {
        Err(NvencError::Call { call, status })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_named_by_their_header_values() {
        assert_eq!(status_name(2), Some("NV_ENC_ERR_UNSUPPORTED_DEVICE"));
        assert_eq!(status_name(15), Some("NV_ENC_ERR_INVALID_VERSION"));
        assert_eq!(status_name(26), Some("NV_ENC_ERR_NEED_MORE_OUTPUT"));
        assert_eq!(status_name(27), None);
        assert_eq!(describe_status(8), "NV_ENC_ERR_INVALID_PARAM (8)");
        assert_eq!(describe_status(99), "unknown status (99)");
    }

    #[test]
    fn a_gpu_without_an_encoder_is_explained_on_one_line() {
        let err = check("nvEncOpenEncodeSessionEx", 2).unwrap_err();
        assert_eq!(
            err.to_string(),
            "NVENC: nvEncOpenEncodeSessionEx failed: NV_ENC_ERR_UNSUPPORTED_DEVICE (2): this GPU has no video encoder"
        );
        assert!(check("nvEncDestroyEncoder", 0).is_ok());
    }

    #[test]
    fn an_old_driver_names_both_versions() {
        let err = NvencError::DriverTooOld {
            driver: (12, 2),
            required: (13, 0),
        };
        assert_eq!(
            err.to_string(),
            "NVENC: the driver supports API 12.2 but 13.0 is required; update the NVIDIA driver"
        );
    }
}
