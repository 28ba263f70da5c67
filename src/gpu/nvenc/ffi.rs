//! The subset of NVIDIA's NVENC API (`nvEncodeAPI.h`, Video Codec SDK 13.0) this product
//! calls, declared by hand and loaded from `libnvidia-encode.so.1` at run time.
//!
//! Owns the version arithmetic, the C layouts and constants, the function table the
//! driver fills, and loading the library's two exported entry points into an
//! [`NvencLibrary`]. It holds no session and makes no call itself; the probe lives in
//! `probe`.
//!
//! Layouts are those of Linux x86-64. Reserved fields and table slots are kept so every
//! struct has the driver's exact size: the driver reads and writes all of it.

use crate::gpu::library_symbol::symbol;
use std::ffi::{c_int, c_void};
use std::fmt;

use super::NvencError;

/// The NVENC library's file name, as the driver installs it.
pub const NVENC_LIBRARY: &str = "libnvidia-encode.so.1";

/// `NVENCAPI_MAJOR_VERSION` of the header these declarations follow.
pub const NVENCAPI_MAJOR_VERSION: u32 = 13;
/// `NVENCAPI_MINOR_VERSION` of the header these declarations follow.
pub const NVENCAPI_MINOR_VERSION: u32 = 0;

/// `NVENCAPI_VERSION` for an API `major.minor`: `major | (minor << 24)`.
pub const fn nvencapi_version(major: u32, minor: u32) -> u32 {
    major | (minor << 24)
}

/// `NVENCAPI_STRUCT_VERSION(ver)` for API 13.0: the API version, the struct's own
/// version in bits 16.., and the signature `0x7` in bits 28..31.
pub const fn nvencapi_struct_version(struct_version: u32) -> u32 {
    nvencapi_version(NVENCAPI_MAJOR_VERSION, NVENCAPI_MINOR_VERSION) | (struct_version << 16) | (0x7 << 28)
}

/// Splits the value of `NvEncodeAPIGetMaxSupportedVersion`, `(major << 4) | minor`,
/// into `(major, minor)`.
pub const fn split_max_supported_version(packed: u32) -> (u32, u32) {
    (packed >> 4, packed & 0xf)
}

/// `NV_ENCODE_API_FUNCTION_LIST_VER`.
pub const NV_ENCODE_API_FUNCTION_LIST_VER: u32 = nvencapi_struct_version(2);
/// `NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS_VER`.
pub const NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS_VER: u32 = nvencapi_struct_version(1);
/// `NV_ENC_DEVICE_TYPE_CUDA`: the session's device is a `CUcontext`.
pub const NV_ENC_DEVICE_TYPE_CUDA: u32 = 1;

/// `NVENCSTATUS`: 0 is success, anything else an `NV_ENC_ERR_*` code.
pub type NvencStatus = c_int;
/// `NV_ENC_SUCCESS`.
pub const NV_ENC_SUCCESS: NvencStatus = 0;

/// A Windows-style GUID, as NVENC names codecs, profiles and presets.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Guid {
    /// `Data1`: the first 8 hex digits.
    pub data1: u32,
    /// `Data2`: the next 4.
    pub data2: u16,
    /// `Data3`: the next 4.
    pub data3: u16,
    /// `Data4`: the last 16, two then six bytes.
    pub data4: [u8; 8],
}

impl fmt::Display for Guid {
    /// The registry form, e.g. `6BC82762-4E63-4CA4-AA85-1E50F321F6BF`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.data4;
        write!(
            f,
            "{:08X}-{:04X}-{:04X}-{:02X}{:02X}-{:02X}{:02X}{:02X}{:02X}{:02X}{:02X}",
            self.data1, self.data2, self.data3, d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]
        )
    }
}

/// `NV_ENC_CODEC_H264_GUID`.
pub const NV_ENC_CODEC_H264_GUID: Guid = Guid {
    data1: 0x6bc8_2762,
    data2: 0x4e63,
    data3: 0x4ca4,
    data4: [0xaa, 0x85, 0x1e, 0x50, 0xf3, 0x21, 0xf6, 0xbf],
};
/// `NV_ENC_CODEC_HEVC_GUID`.
pub const NV_ENC_CODEC_HEVC_GUID: Guid = Guid {
    data1: 0x790c_dc88,
    data2: 0x4522,
    data3: 0x4d7b,
    data4: [0x94, 0x25, 0xbd, 0xa9, 0x97, 0x5f, 0x76, 0x03],
};
/// `NV_ENC_CODEC_AV1_GUID`.
pub const NV_ENC_CODEC_AV1_GUID: Guid = Guid {
    data1: 0x0a35_2289,
    data2: 0x0aa7,
    data3: 0x4759,
    data4: [0x86, 0x2d, 0x5d, 0x15, 0xcd, 0x16, 0xd2, 0x54],
};

/// `NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS`: what `nvEncOpenEncodeSessionEx` is told.
#[repr(C)]
#[derive(Debug)]
pub struct OpenEncodeSessionExParams {
    /// `version`: [`NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS_VER`].
    pub version: u32,
    /// `deviceType`: [`NV_ENC_DEVICE_TYPE_CUDA`].
    pub device_type: u32,
    /// `device`: the `CUcontext` the session encodes in.
    pub device: *mut c_void,
    /// `reserved`.
    pub reserved: *mut c_void,
    /// `apiVersion`: the `NVENCAPI_VERSION` the caller was written against.
    pub api_version: u32,
    /// `reserved1[253]`.
    pub reserved1: [u32; 253],
    /// `reserved2[64]`.
    pub reserved2: [*mut c_void; 64],
}

impl OpenEncodeSessionExParams {
    /// The parameters of a session on the CUDA context `cu_context`, for API 13.0.
    pub fn for_cuda_context(cu_context: *mut c_void) -> Self {
        Self {
            version: NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS_VER,
            device_type: NV_ENC_DEVICE_TYPE_CUDA,
            device: cu_context,
            reserved: std::ptr::null_mut(),
            api_version: nvencapi_version(NVENCAPI_MAJOR_VERSION, NVENCAPI_MINOR_VERSION),
            reserved1: [0; 253],
            reserved2: [std::ptr::null_mut(); 64],
        }
    }
}

/// `nvEncGetEncodeGUIDCount`.
pub type GetEncodeGuidCountFn = unsafe extern "C" fn(encoder: *mut c_void, count: *mut u32) -> NvencStatus;
/// `nvEncGetEncodeGUIDs`: writes at most `capacity` GUIDs and their number to `count`.
pub type GetEncodeGuidsFn =
    unsafe extern "C" fn(encoder: *mut c_void, guids: *mut Guid, capacity: u32, count: *mut u32) -> NvencStatus;
/// `nvEncDestroyEncoder`.
pub type DestroyEncoderFn = unsafe extern "C" fn(encoder: *mut c_void) -> NvencStatus;
/// `nvEncOpenEncodeSessionEx`.
pub type OpenEncodeSessionExFn =
    unsafe extern "C" fn(params: *mut OpenEncodeSessionExParams, encoder: *mut *mut c_void) -> NvencStatus;

/// Entry slots of `NV_ENCODE_API_FUNCTION_LIST` after its two `uint32_t`s: 43 named
/// entries (one of them `reserved1`) and `reserved2[275]`, the same 318 since SDK 9.
pub const FUNCTION_LIST_SLOTS: usize = 318;

/// `NV_ENCODE_API_FUNCTION_LIST`, the table `NvEncodeAPICreateInstance` fills. Only the
/// entries this product calls are typed; the others are kept as untyped slots at their
/// positions (the slot numbers in the docs count from 1 after `reserved`).
#[repr(C)]
#[derive(Debug)]
pub struct FunctionList {
    /// `version`: [`NV_ENCODE_API_FUNCTION_LIST_VER`].
    pub version: u32,
    /// `reserved`.
    pub reserved: u32,
    /// Slot 1: `nvEncOpenEncodeSession` (the pre-`Ex` form).
    pub open_encode_session: *mut c_void,
    /// Slot 2: `nvEncGetEncodeGUIDCount`.
    pub get_encode_guid_count: Option<GetEncodeGuidCountFn>,
    /// Slots 3–4: `nvEncGetEncodeProfileGUIDCount`, `nvEncGetEncodeProfileGUIDs`.
    pub profile_entries: [*mut c_void; 2],
    /// Slot 5: `nvEncGetEncodeGUIDs`.
    pub get_encode_guids: Option<GetEncodeGuidsFn>,
    /// Slots 6–27: `nvEncGetInputFormatCount` through `nvEncUnmapInputResource`.
    pub session_entries: [*mut c_void; 22],
    /// Slot 28: `nvEncDestroyEncoder`.
    pub destroy_encoder: Option<DestroyEncoderFn>,
    /// Slot 29: `nvEncInvalidateRefFrames`.
    pub invalidate_ref_frames: *mut c_void,
    /// Slot 30: `nvEncOpenEncodeSessionEx`.
    pub open_encode_session_ex: Option<OpenEncodeSessionExFn>,
    /// Slots 31–318: `nvEncRegisterResource` through `nvEncLookaheadPicture`, then
    /// `reserved2[275]`.
    pub later_entries: [*mut c_void; FUNCTION_LIST_SLOTS - 30],
}

impl FunctionList {
    /// An empty table carrying its version, ready for `NvEncodeAPICreateInstance`.
    pub fn empty() -> Self {
        Self {
            version: NV_ENCODE_API_FUNCTION_LIST_VER,
            reserved: 0,
            open_encode_session: std::ptr::null_mut(),
            get_encode_guid_count: None,
            profile_entries: [std::ptr::null_mut(); 2],
            get_encode_guids: None,
            session_entries: [std::ptr::null_mut(); 22],
            destroy_encoder: None,
            invalidate_ref_frames: std::ptr::null_mut(),
            open_encode_session_ex: None,
            later_entries: [std::ptr::null_mut(); FUNCTION_LIST_SLOTS - 30],
        }
    }
}

/// `NvEncodeAPIGetMaxSupportedVersion`.
pub type GetMaxSupportedVersionFn = unsafe extern "C" fn(version: *mut u32) -> NvencStatus;
/// `NvEncodeAPICreateInstance`.
pub type CreateInstanceFn = unsafe extern "C" fn(function_list: *mut FunctionList) -> NvencStatus;

/// The loaded NVENC library and its two exported entry points; everything else is
/// reached through the [`FunctionList`] that `create_instance` fills.
#[derive(Debug)]
pub struct NvencLibrary {
    /// `NvEncodeAPIGetMaxSupportedVersion`.
    pub get_max_supported_version: GetMaxSupportedVersionFn,
    /// `NvEncodeAPICreateInstance`.
    pub create_instance: CreateInstanceFn,
    /// Keeps the library mapped for as long as its function pointers are used.
    _library: libloading::Library,
}

impl NvencLibrary {
    /// Loads `libnvidia-encode.so.1` and resolves its entry points; a missing library or
    /// symbol is an error, never a panic.
    pub fn load() -> Result<Self, NvencError> {
        Self::load_from(NVENC_LIBRARY)
    }

    /// Loads the library called `library_name`.
    pub(super) fn load_from(library_name: &str) -> Result<Self, NvencError> {
        // SAFETY: loading the NVIDIA driver's encode library runs only its own
        // initialisers, which have no preconditions on the caller.
        let library = unsafe { libloading::Library::new(library_name) }.map_err(|err| NvencError::LibraryNotFound {
            library: library_name.to_string(),
            detail: err.to_string(),
        })?;
        // SAFETY: in both `symbol` calls, each type is the exact C prototype of that entry
        // point in nvEncodeAPI.h, and the pointers are used only while `_library` keeps
        // the library mapped.
        unsafe {
            Ok(Self {
                get_max_supported_version: symbol(&library, library_name, "NvEncodeAPIGetMaxSupportedVersion")?,
                create_instance: symbol(&library, library_name, "NvEncodeAPICreateInstance")?,
                _library: library,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use std::mem::{offset_of, size_of};

    use super::*;

    #[test]
    fn api_version_puts_the_minor_in_the_top_byte() {
        assert_eq!(nvencapi_version(13, 0), 0x0000_000D);
        assert_eq!(nvencapi_version(12, 2), 0x0200_000C);
    }

    #[test]
    fn struct_versions_match_the_header_macros_for_13_0() {
        // 13 | (2 << 16) | (7 << 28) = 0xD + 0x2_0000 + 0x7000_0000.
        assert_eq!(NV_ENCODE_API_FUNCTION_LIST_VER, 0x7002_000D);
        // 13 | (1 << 16) | (7 << 28).
        assert_eq!(NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS_VER, 0x7001_000D);
        assert_eq!(nvencapi_struct_version(7), 0x7007_000D);
    }

    #[test]
    fn max_supported_version_is_split_into_major_and_minor() {
        // 13.0 is (13 << 4) | 0 = 208; 12.2 is (12 << 4) | 2 = 194.
        assert_eq!(split_max_supported_version(208), (13, 0));
        assert_eq!(split_max_supported_version(194), (12, 2));
    }

    #[test]
    fn function_list_has_the_drivers_size_and_slot_offsets() {
        assert_eq!(offset_of!(FunctionList, get_encode_guid_count), 16);
        assert_eq!(offset_of!(FunctionList, get_encode_guids), 40);
        assert_eq!(offset_of!(FunctionList, destroy_encoder), 224);
        assert_eq!(offset_of!(FunctionList, open_encode_session_ex), 240);
        assert_eq!(size_of::<FunctionList>(), 8 + 318 * 8);
    }

    #[test]
    fn open_session_params_match_the_c_layout() {
        assert_eq!(offset_of!(OpenEncodeSessionExParams, device), 8);
        assert_eq!(offset_of!(OpenEncodeSessionExParams, api_version), 24);
        assert_eq!(offset_of!(OpenEncodeSessionExParams, reserved2), 1040);
        assert_eq!(size_of::<OpenEncodeSessionExParams>(), 1552);
        assert_eq!(size_of::<Guid>(), 16);
    }

    #[test]
    fn guids_print_in_registry_form() {
        assert_eq!(
            NV_ENC_CODEC_H264_GUID.to_string(),
            "6BC82762-4E63-4CA4-AA85-1E50F321F6BF"
        );
        assert_eq!(
            NV_ENC_CODEC_AV1_GUID.to_string(),
            "0A352289-0AA7-4759-862D-5D15CD16D254"
        );
    }

    #[test]
    fn a_missing_library_is_a_typed_error() {
        let err = NvencLibrary::load_from("libnvidia-encode-absent.so.1").unwrap_err();
        assert!(matches!(err, NvencError::LibraryNotFound { .. }), "{err}");
        assert!(
            err.to_string()
                .starts_with("NVENC: libnvidia-encode-absent.so.1 not found ("),
            "{err}"
        );
    }
}
