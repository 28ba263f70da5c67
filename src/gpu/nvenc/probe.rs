//! The NVENC probe: whether this GPU's hardware encoder can be opened, and which codecs
//! it offers.
//!
//! Owns the probe's sequence (driver API version, function table, one encode session on
//! the caller's CUDA context, the codec list, closing the session) and its one-line
//! report. It configures no encoder and encodes nothing. The CUDA context is the
//! caller's; the probe neither creates nor makes it current.

use std::ffi::c_void;
use std::fmt;
use std::ptr;

use super::error::check;
use super::ffi::{
    self, DestroyEncoderFn, FunctionList, GetEncodeGuidCountFn, GetEncodeGuidsFn, Guid, NvencLibrary,
    OpenEncodeSessionExFn, OpenEncodeSessionExParams, NVENCAPI_MAJOR_VERSION, NVENCAPI_MINOR_VERSION,
};
use super::NvencError;
use crate::gpu::cuda_context::{GpuContext, GpuContextError};

/// What the probe found.
#[derive(Debug)]
pub enum NvencProbe {
    /// An encode session opened on the GPU.
    Available {
        /// The newest NVENC API `(major, minor)` the driver offers.
        max_api_version: (u32, u32),
        /// The codecs the encoder offers, by name (`H.264`, `HEVC`, `AV1`); a codec this
        /// product does not know is listed by its GUID.
        codecs: Vec<String>,
    },
    /// No encode session could be opened; the error says which step failed and why.
    Unavailable(NvencError),
}

impl fmt::Display for NvencProbe {
    /// One line for the start-up log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Available {
                max_api_version: (major, minor),
                codecs,
            } => write!(
                f,
                "NVENC: available (driver API {major}.{minor}), codecs: {}",
                codecs.join(", ")
            ),
            Self::Unavailable(err) => write!(f, "{err}"),
        }
    }
}

/// Opens device `ordinal`'s CUDA context on this thread and probes NVENC on it.
pub fn probe_device(ordinal: usize) -> Result<NvencProbe, GpuContextError> {
    let context = GpuContext::open(ordinal)?;
    // SAFETY: the context is open and current on this thread for the whole probe.
    Ok(unsafe { probe_nvenc(context.cuda().cu_ctx().cast()) })
}

/// Probes NVENC on the CUDA context `cu_context` (a `CUcontext` of the GPU to ask about):
/// loads the library, opens one encode session, lists its codecs and closes it again.
/// Never panics; every failure is reported as [`NvencProbe::Unavailable`].
///
/// # Safety
/// `cu_context` must be a live CUDA context for the duration of the call: the driver
/// dereferences it when opening the session.
pub unsafe fn probe_nvenc(cu_context: *mut c_void) -> NvencProbe {
    // SAFETY: forwarded to the caller.
    unsafe { probe_library(ffi::NVENC_LIBRARY, cu_context) }
}

/// [`probe_nvenc`] with the library called `library_name`.
///
/// # Safety
/// As [`probe_nvenc`].
unsafe fn probe_library(library_name: &str, cu_context: *mut c_void) -> NvencProbe {
    // SAFETY: the caller vouches for `cu_context`.
    let found = NvencLibrary::load_from(library_name).and_then(|library| unsafe { list_codecs(&library, cu_context) });
    match found {
        Ok((max_api_version, codecs)) => NvencProbe::Available {
            max_api_version,
            codecs,
        },
        Err(err) => NvencProbe::Unavailable(err),
    }
}

/// Runs the probe's calls and returns the driver's API version and the codec names.
///
/// # Safety
/// As [`probe_nvenc`].
unsafe fn list_codecs(
    library: &NvencLibrary,
    cu_context: *mut c_void,
) -> Result<((u32, u32), Vec<String>), NvencError> {
    let mut packed_version = 0u32;
    // SAFETY: the entry point has this exact prototype and writes one `u32` to a live local.
    let status = unsafe { (library.get_max_supported_version)(&mut packed_version) };
    check("NvEncodeAPIGetMaxSupportedVersion", status)?;
    let max_api_version = ffi::split_max_supported_version(packed_version);
    require_api_version(max_api_version)?;

    let mut functions = FunctionList::empty();
    // SAFETY: `functions` is a live table of the driver's exact size whose version field
    // is set; the driver only fills its entries.
    let status = unsafe { (library.create_instance)(&mut functions) };
    check("NvEncodeAPICreateInstance", status)?;
    let entries = SessionEntries::from_table(&functions)?;

    // SAFETY: the caller vouches for `cu_context`.
    let session = unsafe { EncodeSession::open(&entries, cu_context) }?;
    let codecs = session.encode_guids()?.iter().map(codec_name).collect();
    Ok((max_api_version, codecs))
}

/// Refuses a driver whose newest API is older than the one these declarations follow.
fn require_api_version(driver: (u32, u32)) -> Result<(), NvencError> {
    let required = (NVENCAPI_MAJOR_VERSION, NVENCAPI_MINOR_VERSION);
    if driver >= required {
        Ok(())
    } else {
        Err(NvencError::DriverTooOld { driver, required })
    }
}

/// The name of an encode GUID: the codec's, or the GUID itself when it is not known.
fn codec_name(guid: &Guid) -> String {
    match *guid {
        ffi::NV_ENC_CODEC_H264_GUID => "H.264".to_string(),
        ffi::NV_ENC_CODEC_HEVC_GUID => "HEVC".to_string(),
        ffi::NV_ENC_CODEC_AV1_GUID => "AV1".to_string(),
        other => format!("codec {other}"),
    }
}

/// The function-table entries the probe calls, checked present.
struct SessionEntries {
    /// `nvEncOpenEncodeSessionEx`.
    open_encode_session_ex: OpenEncodeSessionExFn,
    /// `nvEncGetEncodeGUIDCount`.
    get_encode_guid_count: GetEncodeGuidCountFn,
    /// `nvEncGetEncodeGUIDs`.
    get_encode_guids: GetEncodeGuidsFn,
    /// `nvEncDestroyEncoder`.
    destroy_encoder: DestroyEncoderFn,
}

impl SessionEntries {
    /// Takes the entries from a filled table; a missing one is an error, not a null call.
    fn from_table(functions: &FunctionList) -> Result<Self, NvencError> {
        let missing = |entry| NvencError::MissingEntry { entry };
        Ok(Self {
            open_encode_session_ex: functions
                .open_encode_session_ex
                .ok_or_else(|| missing("nvEncOpenEncodeSessionEx"))?,
            get_encode_guid_count: functions
                .get_encode_guid_count
                .ok_or_else(|| missing("nvEncGetEncodeGUIDCount"))?,
            get_encode_guids: functions
                .get_encode_guids
                .ok_or_else(|| missing("nvEncGetEncodeGUIDs"))?,
            destroy_encoder: functions
                .destroy_encoder
                .ok_or_else(|| missing("nvEncDestroyEncoder"))?,
        })
    }
}

/// An open encode session, destroyed when dropped.
struct EncodeSession<'a> {
    /// The entries the session is used and destroyed through.
    entries: &'a SessionEntries,
    /// The driver's encoder handle (null when opening returned none).
    encoder: *mut c_void,
}

impl<'a> EncodeSession<'a> {
    /// Opens a session on `cu_context`. A failed open that still returned a handle is
    /// destroyed too, as nvEncodeAPI.h requires.
    ///
    /// # Safety
    /// `cu_context` must be a live CUDA context for the duration of the call.
    unsafe fn open(entries: &'a SessionEntries, cu_context: *mut c_void) -> Result<Self, NvencError> {
        let mut params = OpenEncodeSessionExParams::for_cuda_context(cu_context);
        let mut session = Self {
            entries,
            encoder: ptr::null_mut(),
        };
        // SAFETY: `params` is a fully initialised struct of the driver's size and
        // version, and `session.encoder` a live out-pointer; the caller vouches for
        // the context.
        let status = unsafe { (entries.open_encode_session_ex)(&mut params, &mut session.encoder) };
        check("nvEncOpenEncodeSessionEx", status)?;
        Ok(session)
    }

    /// The GUIDs of the codecs the encoder offers.
    fn encode_guids(&self) -> Result<Vec<Guid>, NvencError> {
        let mut count = 0u32;
        // SAFETY: `encoder` is the open session; `count` is a live local.
        let status = unsafe { (self.entries.get_encode_guid_count)(self.encoder, &mut count) };
        check("nvEncGetEncodeGUIDCount", status)?;
        let capacity = count;
        let mut guids = vec![Guid::default(); capacity as usize];
        // SAFETY: `guids` holds `capacity` writable GUIDs, the capacity passed; the
        // driver writes at most that many and their number to `count`.
        let status = unsafe { (self.entries.get_encode_guids)(self.encoder, guids.as_mut_ptr(), capacity, &mut count) };
        check("nvEncGetEncodeGUIDs", status)?;
        guids.truncate(count as usize);
        Ok(guids)
    }
}

impl Drop for EncodeSession<'_> {
    /// Destroys the session; the status is ignored, as nothing can be done about a failed
    /// release here.
    fn drop(&mut self) {
        if !self.encoder.is_null() {
            // SAFETY: `encoder` came from `nvEncOpenEncodeSessionEx`, is destroyed once
            // and not used afterwards.
            unsafe { (self.entries.destroy_encoder)(self.encoder) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_library_makes_nvenc_unavailable_naming_the_file() {
        // SAFETY: the library is absent, so the context is never handed to a driver.
        let probe = unsafe { probe_library("libnvidia-encode-absent.so.1", ptr::null_mut()) };
        assert!(
            matches!(probe, NvencProbe::Unavailable(NvencError::LibraryNotFound { .. })),
            "{probe:?}"
        );
        assert!(
            probe
                .to_string()
                .starts_with("NVENC: libnvidia-encode-absent.so.1 not found ("),
            "{probe}"
        );
    }

    #[test]
    fn the_real_library_name_is_reported_when_it_is_absent() {
        if NvencLibrary::load().is_ok() {
            // This machine has the NVIDIA driver; the path is covered above by name.
            return;
        }
        // SAFETY: the library is absent, so the context is never handed to a driver.
        let probe = unsafe { probe_nvenc(ptr::null_mut()) };
        assert!(
            probe
                .to_string()
                .starts_with("NVENC: libnvidia-encode.so.1 not found ("),
            "{probe}"
        );
    }

    #[test]
    fn drivers_older_than_13_0_are_refused() {
        assert!(require_api_version((13, 0)).is_ok());
        assert!(require_api_version((13, 1)).is_ok());
        assert!(matches!(
            require_api_version((12, 2)),
            Err(NvencError::DriverTooOld {
                driver: (12, 2),
                required: (13, 0)
            })
        ));
    }

    #[test]
    fn known_codecs_are_named_and_others_shown_by_guid() {
        assert_eq!(codec_name(&ffi::NV_ENC_CODEC_H264_GUID), "H.264");
        assert_eq!(codec_name(&ffi::NV_ENC_CODEC_HEVC_GUID), "HEVC");
        assert_eq!(codec_name(&ffi::NV_ENC_CODEC_AV1_GUID), "AV1");
        let unknown = Guid {
            data1: 1,
            data2: 2,
            data3: 3,
            data4: [4, 5, 6, 7, 8, 9, 10, 11],
        };
        assert_eq!(codec_name(&unknown), "codec 00000001-0002-0003-0405-060708090A0B");
    }

    #[test]
    fn an_available_encoder_is_reported_on_one_line() {
        let probe = NvencProbe::Available {
            max_api_version: (13, 0),
            codecs: vec!["H.264".to_string(), "HEVC".to_string(), "AV1".to_string()],
        };
        assert_eq!(
            probe.to_string(),
            "NVENC: available (driver API 13.0), codecs: H.264, HEVC, AV1"
        );
    }
}
