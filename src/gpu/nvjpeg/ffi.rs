//! The subset of NVIDIA's nvJPEG API (`nvjpeg.h`, CUDA 12 and 13) this product calls,
//! declared by hand and loaded from `libnvjpeg` at run time.
//!
//! Owns the C layouts, constants and function types, and loading them into an
//! [`NvjpegApi`] table. It holds no encoder state and makes no call itself; the safe
//! encoder lives in `encoder`.
//!
//! Layouts are those of Linux x86-64 (LP64: `size_t` is 64 bits). The handle, state and
//! parameter types are opaque pointers; `cudaStream_t` is the same pointer as the driver
//! API's `CUstream`.

use crate::gpu::library_symbol::symbol;
use std::ffi::{c_int, c_void};

use super::NvjpegError;

/// The library's file names, most recent CUDA major first: CUDA 13 installs
/// `libnvjpeg.so.13`, CUDA 12 `libnvjpeg.so.12`; the unversioned name is a development
/// symlink found on some systems.
pub const NVJPEG_LIBRARIES: [&str; 3] = ["libnvjpeg.so.13", "libnvjpeg.so.12", "libnvjpeg.so"];

/// `nvjpegStatus_t`: 0 is success, anything else an error code.
pub type NvjpegStatus = c_int;
/// `NVJPEG_STATUS_SUCCESS`.
pub const NVJPEG_STATUS_SUCCESS: NvjpegStatus = 0;

/// `nvjpegHandle_t`: the library handle.
pub type NvjpegHandle = *mut c_void;
/// `nvjpegEncoderState_t`: the encoder's working buffers and its last bitstream.
pub type NvjpegEncoderState = *mut c_void;
/// `nvjpegEncoderParams_t`: quality, sampling and Huffman settings.
pub type NvjpegEncoderParams = *mut c_void;
/// `cudaStream_t` (identical to the driver API's `CUstream`).
pub type CudaStream = *mut c_void;

/// `NVJPEG_MAX_COMPONENT`: the number of planes `nvjpegImage_t` describes.
pub const NVJPEG_MAX_COMPONENT: usize = 4;
/// `NVJPEG_INPUT_RGBI` (`nvjpegInputFormat_t`): interleaved 8-bit RGB in plane 0,
/// converted to YCbCr by the encoder.
pub const NVJPEG_INPUT_RGBI: c_int = 5;
/// `NVJPEG_CSS_420` (`nvjpegChromaSubsampling_t`): chroma halved in both directions.
pub const NVJPEG_CSS_420: c_int = 2;

/// `nvjpegImage_t`: up to four planes of device memory and their row pitches.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct NvjpegImage {
    /// `channel[]`: the first byte of each plane (unused planes are null).
    pub channel: [*mut u8; NVJPEG_MAX_COMPONENT],
    /// `pitch[]`: bytes from one row of each plane to the next.
    pub pitch: [usize; NVJPEG_MAX_COMPONENT],
}

/// `nvjpegCreateSimple`.
pub type CreateSimpleFn = unsafe extern "C" fn(handle: *mut NvjpegHandle) -> NvjpegStatus;
/// `nvjpegDestroy`.
pub type DestroyFn = unsafe extern "C" fn(handle: NvjpegHandle) -> NvjpegStatus;
/// `nvjpegEncoderStateCreate`.
pub type EncoderStateCreateFn =
    unsafe extern "C" fn(handle: NvjpegHandle, state: *mut NvjpegEncoderState, stream: CudaStream) -> NvjpegStatus;
/// `nvjpegEncoderStateDestroy`.
pub type EncoderStateDestroyFn = unsafe extern "C" fn(state: NvjpegEncoderState) -> NvjpegStatus;
/// `nvjpegEncoderParamsCreate`.
pub type EncoderParamsCreateFn =
    unsafe extern "C" fn(handle: NvjpegHandle, params: *mut NvjpegEncoderParams, stream: CudaStream) -> NvjpegStatus;
/// `nvjpegEncoderParamsDestroy`.
pub type EncoderParamsDestroyFn = unsafe extern "C" fn(params: NvjpegEncoderParams) -> NvjpegStatus;
/// `nvjpegEncoderParamsSetQuality`.
pub type EncoderParamsSetQualityFn =
    unsafe extern "C" fn(params: NvjpegEncoderParams, quality: c_int, stream: CudaStream) -> NvjpegStatus;
/// `nvjpegEncoderParamsSetOptimizedHuffman`.
pub type EncoderParamsSetOptimizedHuffmanFn =
    unsafe extern "C" fn(params: NvjpegEncoderParams, optimized: c_int, stream: CudaStream) -> NvjpegStatus;
/// `nvjpegEncoderParamsSetSamplingFactors`.
pub type EncoderParamsSetSamplingFactorsFn =
    unsafe extern "C" fn(params: NvjpegEncoderParams, subsampling: c_int, stream: CudaStream) -> NvjpegStatus;
/// `nvjpegEncodeImage`.
pub type EncodeImageFn = unsafe extern "C" fn(
    handle: NvjpegHandle,
    state: NvjpegEncoderState,
    params: NvjpegEncoderParams,
    source: *const NvjpegImage,
    input_format: c_int,
    width: c_int,
    height: c_int,
    stream: CudaStream,
) -> NvjpegStatus;
/// `nvjpegEncodeRetrieveBitstream`: with a null `data`, only writes the size to `length`.
pub type EncodeRetrieveBitstreamFn = unsafe extern "C" fn(
    handle: NvjpegHandle,
    state: NvjpegEncoderState,
    data: *mut u8,
    length: *mut usize,
    stream: CudaStream,
) -> NvjpegStatus;

/// The loaded nvJPEG library and its entry points. It holds only the library handle and
/// function pointers, no encoder state.
#[derive(Debug)]
pub struct NvjpegApi {
    /// `nvjpegCreateSimple`.
    pub create_simple: CreateSimpleFn,
    /// `nvjpegDestroy`.
    pub destroy: DestroyFn,
    /// `nvjpegEncoderStateCreate`.
    pub encoder_state_create: EncoderStateCreateFn,
    /// `nvjpegEncoderStateDestroy`.
    pub encoder_state_destroy: EncoderStateDestroyFn,
    /// `nvjpegEncoderParamsCreate`.
    pub encoder_params_create: EncoderParamsCreateFn,
    /// `nvjpegEncoderParamsDestroy`.
    pub encoder_params_destroy: EncoderParamsDestroyFn,
    /// `nvjpegEncoderParamsSetQuality`.
    pub encoder_params_set_quality: EncoderParamsSetQualityFn,
    /// `nvjpegEncoderParamsSetOptimizedHuffman`.
    pub encoder_params_set_optimized_huffman: EncoderParamsSetOptimizedHuffmanFn,
    /// `nvjpegEncoderParamsSetSamplingFactors`.
    pub encoder_params_set_sampling_factors: EncoderParamsSetSamplingFactorsFn,
    /// `nvjpegEncodeImage`.
    pub encode_image: EncodeImageFn,
    /// `nvjpegEncodeRetrieveBitstream`.
    pub encode_retrieve_bitstream: EncodeRetrieveBitstreamFn,
    /// Keeps the library mapped for as long as the function pointers above are used.
    _library: libloading::Library,
}

impl NvjpegApi {
    /// Loads the first of [`NVJPEG_LIBRARIES`] that exists and resolves every entry
    /// point; a missing library or symbol is an error, never a panic.
    pub fn load() -> Result<Self, NvjpegError> {
        Self::load_first_of(&NVJPEG_LIBRARIES)
    }

    /// Loads the API from the first library in `candidates` the loader finds.
    fn load_first_of(candidates: &[&str]) -> Result<Self, NvjpegError> {
        let mut reasons = Vec::with_capacity(candidates.len());
        for &library_name in candidates {
            // SAFETY: loading the CUDA toolkit's nvJPEG library runs only its own
            // initialisers, which have no preconditions on the caller.
            match unsafe { libloading::Library::new(library_name) } {
                Ok(library) => return Self::resolve(library, library_name),
                Err(err) => reasons.push(err.to_string()),
            }
        }
        Err(NvjpegError::LibraryNotFound {
            library: candidates.join(" / "),
            detail: reasons.join("; "),
        })
    }

    /// Resolves every entry point of the loaded `library`.
    fn resolve(library: libloading::Library, library_name: &str) -> Result<Self, NvjpegError> {
        // SAFETY: for every `symbol` call below, each type is the exact C prototype of
        // that entry point in nvjpeg.h, and the pointers are used only while `_library`
        // keeps the library mapped.
        unsafe {
            Ok(Self {
                create_simple: symbol(&library, library_name, "nvjpegCreateSimple")?,
                destroy: symbol(&library, library_name, "nvjpegDestroy")?,
                encoder_state_create: symbol(&library, library_name, "nvjpegEncoderStateCreate")?,
                encoder_state_destroy: symbol(&library, library_name, "nvjpegEncoderStateDestroy")?,
                encoder_params_create: symbol(&library, library_name, "nvjpegEncoderParamsCreate")?,
                encoder_params_destroy: symbol(&library, library_name, "nvjpegEncoderParamsDestroy")?,
                encoder_params_set_quality: symbol(&library, library_name, "nvjpegEncoderParamsSetQuality")?,
                encoder_params_set_optimized_huffman: symbol(
                    &library,
                    library_name,
                    "nvjpegEncoderParamsSetOptimizedHuffman",
                )?,
                encoder_params_set_sampling_factors: symbol(
                    &library,
                    library_name,
                    "nvjpegEncoderParamsSetSamplingFactors",
                )?,
                encode_image: symbol(&library, library_name, "nvjpegEncodeImage")?,
                encode_retrieve_bitstream: symbol(&library, library_name, "nvjpegEncodeRetrieveBitstream")?,
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
    fn image_descriptor_matches_the_c_layout() {
        assert_eq!(offset_of!(NvjpegImage, pitch), 32);
        assert_eq!(size_of::<NvjpegImage>(), 64);
    }

    #[test]
    fn a_missing_library_names_every_file_tried() {
        let err = NvjpegApi::load_first_of(&["libnvjpeg-absent.so.13", "libnvjpeg-absent.so.12"]).unwrap_err();
        assert!(matches!(err, NvjpegError::LibraryNotFound { .. }), "{err}");
        assert!(
            err.to_string()
                .starts_with("nvJPEG: libnvjpeg-absent.so.13 / libnvjpeg-absent.so.12 not found ("),
            "{err}"
        );
    }
}
