//! The subset of NVIDIA's NVDECODE API (`nvcuvid.h`, `cuviddec.h`) this product calls,
//! declared by hand and loaded from `libnvcuvid.so.1` at run time.
//!
//! Owns the C layouts, constants and function types, and loading them into an
//! [`NvcuvidApi`] table. It holds no decoder state and makes no call itself; the safe
//! session lives in `decoder`, the capability query in `caps`.
//!
//! Layouts are those of Linux x86-64 (LP64: C `unsigned long` is 64 bits). Reserved
//! fields are kept so every struct has the driver's size; the driver reads them as zero.
//! `CUVIDPICPARAMS` is opaque: the parser fills it and it is handed back to
//! `cuvidDecodePicture` untouched; only its leading fields are declared.

use crate::gpu::library_symbol::symbol;
use std::ffi::{c_int, c_uint, c_ulong, c_void};

use super::NvdecError;

/// The NVDEC library's file name, as the driver installs it.
pub const NVCUVID_LIBRARY: &str = "libnvcuvid.so.1";

/// `CUresult`: 0 is success, anything else a CUDA driver error code.
pub type CuResult = c_int;
/// `CUDA_SUCCESS`.
pub const CUDA_SUCCESS: CuResult = 0;

/// `CUvideoparser`: an opaque parser handle.
pub type CuVideoParser = *mut c_void;
/// `CUvideodecoder`: an opaque decoder handle.
pub type CuVideoDecoder = *mut c_void;

/// `cudaVideoCodec_H264`.
pub const CUDA_VIDEO_CODEC_H264: c_int = 4;
/// `cudaVideoCodec_HEVC`.
pub const CUDA_VIDEO_CODEC_HEVC: c_int = 8;
/// `cudaVideoChromaFormat_420`.
pub const CUDA_VIDEO_CHROMA_FORMAT_420: c_int = 1;
/// `cudaVideoSurfaceFormat_NV12`.
pub const CUDA_VIDEO_SURFACE_FORMAT_NV12: c_int = 0;
/// `cudaVideoDeinterlaceMode_Weave`: no deinterlacing (camera streams are progressive).
pub const CUDA_VIDEO_DEINTERLACE_MODE_WEAVE: c_int = 0;
/// `cudaVideoCreate_PreferCUVID`: decode on the dedicated NVDEC engines.
pub const CUDA_VIDEO_CREATE_PREFER_CUVID: c_ulong = 0x04;

/// `CUVID_PKT_ENDOFSTREAM`: the last packet; the parser flushes its pictures.
pub const CUVID_PKT_ENDOFSTREAM: c_ulong = 0x01;
/// `CUVID_PKT_TIMESTAMP`: the packet's timestamp is valid and is passed to display.
pub const CUVID_PKT_TIMESTAMP: c_ulong = 0x02;
/// `CUVID_PKT_ENDOFPICTURE`: the packet holds exactly one whole picture, so it is
/// decoded at once instead of when the next start code arrives.
pub const CUVID_PKT_ENDOFPICTURE: c_ulong = 0x08;

/// A rectangle of `int`s (`CUVIDEOFORMAT::display_area`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IntRect {
    /// Left edge, inclusive.
    pub left: c_int,
    /// Top edge, inclusive.
    pub top: c_int,
    /// Right edge, exclusive.
    pub right: c_int,
    /// Bottom edge, exclusive.
    pub bottom: c_int,
}

/// A rectangle of `short`s (`CUVIDDECODECREATEINFO::display_area` and `target_rect`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ShortRect {
    /// Left edge, inclusive.
    pub left: i16,
    /// Top edge, inclusive.
    pub top: i16,
    /// Right edge, exclusive.
    pub right: i16,
    /// Bottom edge, exclusive.
    pub bottom: i16,
}

/// `CUVIDEOFORMAT`: the stream format the parser hands to the sequence callback.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct VideoFormat {
    /// `codec`: a `cudaVideoCodec` value.
    pub codec: c_int,
    /// `frame_rate.numerator`.
    pub frame_rate_numerator: c_uint,
    /// `frame_rate.denominator`.
    pub frame_rate_denominator: c_uint,
    /// `progressive_sequence`: 0 for interlaced streams.
    pub progressive_sequence: u8,
    /// `bit_depth_luma_minus8`.
    pub bit_depth_luma_minus8: u8,
    /// `bit_depth_chroma_minus8`.
    pub bit_depth_chroma_minus8: u8,
    /// `min_num_decode_surfaces`: the fewest surfaces that decode this stream correctly.
    pub min_num_decode_surfaces: u8,
    /// `coded_width`: width in whole macroblocks/CTUs.
    pub coded_width: c_uint,
    /// `coded_height`: height in whole macroblocks/CTUs (1088 for a 1080-line stream).
    pub coded_height: c_uint,
    /// `display_area`: the visible picture inside the coded one.
    pub display_area: IntRect,
    /// `chroma_format`: a `cudaVideoChromaFormat` value.
    pub chroma_format: c_int,
    /// `bitrate`: 0 when the stream does not say.
    pub bitrate: c_uint,
    /// `display_aspect_ratio.x`.
    pub display_aspect_x: c_int,
    /// `display_aspect_ratio.y`.
    pub display_aspect_y: c_int,
    /// `video_signal_description`: a bit-field byte (format, full range) and three
    /// colour bytes (primaries, transfer, matrix), kept as raw bytes.
    pub video_signal_description: [u8; 4],
    /// `seqhdr_data_length`: bytes of sequence header in the extended format (unused).
    pub seqhdr_data_length: c_uint,
}

/// `CUVIDPARSERDISPINFO`: a picture ready for display, in display order.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct ParserDispInfo {
    /// `picture_index`: the decode surface holding the picture.
    pub picture_index: c_int,
    /// `progressive_frame`.
    pub progressive_frame: c_int,
    /// `top_field_first`.
    pub top_field_first: c_int,
    /// `repeat_first_field`: negative for an unpaired field.
    pub repeat_first_field: c_int,
    /// `timestamp`: the timestamp of the packet that carried the picture.
    pub timestamp: i64,
}

/// The leading fields of `CUVIDPICPARAMS` (the rest is codec-specific and opaque here).
#[repr(C)]
#[derive(Debug)]
pub struct PicParamsHead {
    /// `PicWidthInMbs`.
    pub pic_width_in_mbs: c_int,
    /// `FrameHeightInMbs`.
    pub frame_height_in_mbs: c_int,
    /// `CurrPicIdx`: the decode surface this picture is written to.
    pub curr_pic_idx: c_int,
}

/// `PFNVIDSEQUENCECALLBACK`: returns 0 on failure, 1 on success, or more than 1 to
/// set the parser's number of decode surfaces.
pub type SequenceCallback = unsafe extern "C" fn(user_data: *mut c_void, format: *mut VideoFormat) -> c_int;
/// `PFNVIDDECODECALLBACK`: returns 0 on failure.
pub type DecodeCallback = unsafe extern "C" fn(user_data: *mut c_void, params: *mut PicParamsHead) -> c_int;
/// `PFNVIDDISPLAYCALLBACK`: returns 0 on failure; a null `info` means end of stream.
pub type DisplayCallback = unsafe extern "C" fn(user_data: *mut c_void, info: *mut ParserDispInfo) -> c_int;

/// `CUVIDPARSERPARAMS`: what `cuvidCreateVideoParser` is told.
#[repr(C)]
#[derive(Debug)]
pub struct ParserParams {
    /// `CodecType`.
    pub codec_type: c_int,
    /// `ulMaxNumDecodeSurfaces`: updated by the sequence callback's return value.
    pub max_num_decode_surfaces: c_uint,
    /// `ulClockRate`: timestamp units per second (0 means 10 MHz; only passed through).
    pub clock_rate: c_uint,
    /// `ulErrorThreshold`: percentage of corrupted macroblocks still displayed.
    pub error_threshold: c_uint,
    /// `ulMaxDisplayDelay`: pictures held back before display, so decode runs ahead.
    pub max_display_delay: c_uint,
    /// `bAnnexb:1, bMemoryOptimize:1, uReserved:30`.
    pub flags: c_uint,
    /// `uReserved1[4]`.
    pub reserved1: [c_uint; 4],
    /// `pUserData`: handed back to every callback.
    pub user_data: *mut c_void,
    /// `pfnSequenceCallback`.
    pub sequence_callback: Option<SequenceCallback>,
    /// `pfnDecodePicture`.
    pub decode_callback: Option<DecodeCallback>,
    /// `pfnDisplayPicture`.
    pub display_callback: Option<DisplayCallback>,
    /// `pfnGetOperatingPoint` (AV1 only; unused).
    pub operating_point_callback: *mut c_void,
    /// `pfnGetSEIMsg` (unused).
    pub sei_callback: *mut c_void,
    /// `pvReserved2[5]`.
    pub reserved2: [*mut c_void; 5],
    /// `pExtVideoInfo` (unused).
    pub ext_video_info: *mut c_void,
}

/// `CUVIDSOURCEDATAPACKET`: one packet of bitstream for `cuvidParseVideoData`.
#[repr(C)]
#[derive(Debug)]
pub struct SourceDataPacket {
    /// `flags`: `CUVID_PKT_*` bits.
    pub flags: c_ulong,
    /// `payload_size`: bytes at `payload`.
    pub payload_size: c_ulong,
    /// `payload`: Annex-B bytes.
    pub payload: *const u8,
    /// `timestamp`: passed through to the display callback.
    pub timestamp: i64,
}

/// `CUVIDDECODECAPS`: the question and answer of `cuvidGetDecoderCaps`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct DecodeCaps {
    /// `eCodecType` (in).
    pub codec_type: c_int,
    /// `eChromaFormat` (in).
    pub chroma_format: c_int,
    /// `nBitDepthMinus8` (in).
    pub bit_depth_minus8: c_uint,
    /// `reserved1[3]`.
    pub reserved1: [c_uint; 3],
    /// `bIsSupported` (out).
    pub is_supported: u8,
    /// `nNumNVDECs` (out): decode engines on the GPU.
    pub num_nvdecs: u8,
    /// `nOutputFormatMask` (out): bit per `cudaVideoSurfaceFormat`.
    pub output_format_mask: u16,
    /// `nMaxWidth` (out).
    pub max_width: c_uint,
    /// `nMaxHeight` (out).
    pub max_height: c_uint,
    /// `nMaxMBCount` (out): coded width × height / 256 must not exceed it.
    pub max_mb_count: c_uint,
    /// `nMinWidth` (out).
    pub min_width: u16,
    /// `nMinHeight` (out).
    pub min_height: u16,
    /// `bIsHistogramSupported`, `nCounterBitDepth`, `nMaxHistogramBins` (out; unused).
    pub histogram: [u8; 4],
    /// `reserved3[10]`.
    pub reserved3: [c_uint; 10],
}

/// `CUVIDDECODECREATEINFO`: what `cuvidCreateDecoder` is told.
#[repr(C)]
#[derive(Debug)]
pub struct DecodeCreateInfo {
    /// `ulWidth`: coded width.
    pub width: c_ulong,
    /// `ulHeight`: coded height.
    pub height: c_ulong,
    /// `ulNumDecodeSurfaces`.
    pub num_decode_surfaces: c_ulong,
    /// `CodecType`.
    pub codec_type: c_int,
    /// `ChromaFormat`.
    pub chroma_format: c_int,
    /// `ulCreationFlags`: `cudaVideoCreate_*`.
    pub creation_flags: c_ulong,
    /// `bitDepthMinus8`.
    pub bit_depth_minus8: c_ulong,
    /// `ulIntraDecodeOnly`.
    pub intra_decode_only: c_ulong,
    /// `ulMaxWidth`: for reconfiguration (0: the coded width).
    pub max_width: c_ulong,
    /// `ulMaxHeight`: for reconfiguration (0: the coded height).
    pub max_height: c_ulong,
    /// `Reserved1`.
    pub reserved1: c_ulong,
    /// `display_area`: the part of the coded picture that is output.
    pub display_area: ShortRect,
    /// `OutputFormat`: a `cudaVideoSurfaceFormat`.
    pub output_format: c_int,
    /// `DeinterlaceMode`.
    pub deinterlace_mode: c_int,
    /// `ulTargetWidth`: output width.
    pub target_width: c_ulong,
    /// `ulTargetHeight`: output height.
    pub target_height: c_ulong,
    /// `ulNumOutputSurfaces`: frames that may be mapped at once.
    pub num_output_surfaces: c_ulong,
    /// `vidLock`: context lock, only needed for CUDA-based decode (null here).
    pub vid_lock: *mut c_void,
    /// `target_rect`: placement in the output (zero: the whole output).
    pub target_rect: ShortRect,
    /// `enableHistogram` and `Reserved2[4]`.
    pub reserved2: [c_ulong; 5],
}

/// `CUVIDPROCPARAMS`: how a decoded picture is mapped.
#[repr(C)]
#[derive(Debug)]
pub struct ProcParams {
    /// `progressive_frame`.
    pub progressive_frame: c_int,
    /// `second_field`.
    pub second_field: c_int,
    /// `top_field_first`.
    pub top_field_first: c_int,
    /// `unpaired_field`.
    pub unpaired_field: c_int,
    /// `reserved_flags`.
    pub reserved_flags: c_uint,
    /// `reserved_zero`.
    pub reserved_zero: c_uint,
    /// `raw_input_dptr`.
    pub raw_input_dptr: u64,
    /// `raw_input_pitch`.
    pub raw_input_pitch: c_uint,
    /// `raw_input_format`.
    pub raw_input_format: c_uint,
    /// `raw_output_dptr`.
    pub raw_output_dptr: u64,
    /// `raw_output_pitch`.
    pub raw_output_pitch: c_uint,
    /// `Reserved1`.
    pub reserved1: c_uint,
    /// `output_stream`: CUDA stream of the post-processing copy (null: default stream).
    pub output_stream: *mut c_void,
    /// `Reserved[46]`.
    pub reserved: [c_uint; 46],
    /// `histogram_dptr` (unused).
    pub histogram_dptr: *mut u64,
    /// `Reserved2[]`: two pointers, the larger size any header version declared.
    pub reserved2: [*mut c_void; 2],
}

/// `cuvidGetDecoderCaps`.
pub type GetDecoderCapsFn = unsafe extern "C" fn(caps: *mut DecodeCaps) -> CuResult;
/// `cuvidCreateDecoder`.
pub type CreateDecoderFn = unsafe extern "C" fn(decoder: *mut CuVideoDecoder, info: *mut DecodeCreateInfo) -> CuResult;
/// `cuvidDestroyDecoder`.
pub type DestroyDecoderFn = unsafe extern "C" fn(decoder: CuVideoDecoder) -> CuResult;
/// `cuvidDecodePicture`.
pub type DecodePictureFn = unsafe extern "C" fn(decoder: CuVideoDecoder, params: *mut PicParamsHead) -> CuResult;
/// `cuvidMapVideoFrame64`.
pub type MapVideoFrameFn = unsafe extern "C" fn(
    decoder: CuVideoDecoder,
    picture_index: c_int,
    device_ptr: *mut u64,
    pitch: *mut c_uint,
    params: *mut ProcParams,
) -> CuResult;
/// `cuvidUnmapVideoFrame64`.
pub type UnmapVideoFrameFn = unsafe extern "C" fn(decoder: CuVideoDecoder, device_ptr: u64) -> CuResult;
/// `cuvidCreateVideoParser`.
pub type CreateVideoParserFn = unsafe extern "C" fn(parser: *mut CuVideoParser, params: *mut ParserParams) -> CuResult;
/// `cuvidParseVideoData`.
pub type ParseVideoDataFn = unsafe extern "C" fn(parser: CuVideoParser, packet: *mut SourceDataPacket) -> CuResult;
/// `cuvidDestroyVideoParser`.
pub type DestroyVideoParserFn = unsafe extern "C" fn(parser: CuVideoParser) -> CuResult;

/// The loaded NVDEC library and its entry points. Shareable between threads: it holds
/// only the library handle and function pointers, no decoder state.
#[derive(Debug)]
pub struct NvcuvidApi {
    /// `cuvidGetDecoderCaps`.
    pub get_decoder_caps: GetDecoderCapsFn,
    /// `cuvidCreateDecoder`.
    pub create_decoder: CreateDecoderFn,
    /// `cuvidDestroyDecoder`.
    pub destroy_decoder: DestroyDecoderFn,
    /// `cuvidDecodePicture`.
    pub decode_picture: DecodePictureFn,
    /// `cuvidMapVideoFrame64`.
    pub map_video_frame: MapVideoFrameFn,
    /// `cuvidUnmapVideoFrame64`.
    pub unmap_video_frame: UnmapVideoFrameFn,
    /// `cuvidCreateVideoParser`.
    pub create_video_parser: CreateVideoParserFn,
    /// `cuvidParseVideoData`.
    pub parse_video_data: ParseVideoDataFn,
    /// `cuvidDestroyVideoParser`.
    pub destroy_video_parser: DestroyVideoParserFn,
    /// Keeps the library mapped for as long as the function pointers above are used.
    _library: libloading::Library,
}

impl NvcuvidApi {
    /// Loads `libnvcuvid.so.1` and resolves every entry point; a missing library or
    /// symbol is an error, never a panic.
    pub fn load() -> Result<Self, NvdecError> {
        Self::load_from(NVCUVID_LIBRARY)
    }

    /// Loads the API from the library called `library_name`.
    fn load_from(library_name: &str) -> Result<Self, NvdecError> {
        // SAFETY: loading the NVIDIA driver's NVDEC library runs only its own
        // initialisers, which have no preconditions on the caller.
        let library = unsafe { libloading::Library::new(library_name) }.map_err(|err| NvdecError::LibraryNotFound {
            library: library_name.to_string(),
            detail: err.to_string(),
        })?;
        // SAFETY: for every `symbol` call below, each type is the exact C prototype of
        // that entry point in nvcuvid.h/cuviddec.h, and the pointers are used only while
        // `_library` keeps the library mapped.
        unsafe {
            Ok(Self {
                get_decoder_caps: symbol(&library, library_name, "cuvidGetDecoderCaps")?,
                create_decoder: symbol(&library, library_name, "cuvidCreateDecoder")?,
                destroy_decoder: symbol(&library, library_name, "cuvidDestroyDecoder")?,
                decode_picture: symbol(&library, library_name, "cuvidDecodePicture")?,
                map_video_frame: symbol(&library, library_name, "cuvidMapVideoFrame64")?,
                unmap_video_frame: symbol(&library, library_name, "cuvidUnmapVideoFrame64")?,
                create_video_parser: symbol(&library, library_name, "cuvidCreateVideoParser")?,
                parse_video_data: symbol(&library, library_name, "cuvidParseVideoData")?,
                destroy_video_parser: symbol(&library, library_name, "cuvidDestroyVideoParser")?,
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
    fn video_format_matches_the_c_layout() {
        assert_eq!(offset_of!(VideoFormat, progressive_sequence), 12);
        assert_eq!(offset_of!(VideoFormat, coded_width), 16);
        assert_eq!(offset_of!(VideoFormat, display_area), 24);
        assert_eq!(offset_of!(VideoFormat, chroma_format), 40);
        assert_eq!(offset_of!(VideoFormat, video_signal_description), 56);
        assert_eq!(size_of::<VideoFormat>(), 64);
    }

    #[test]
    fn parser_params_match_the_c_layout() {
        assert_eq!(offset_of!(ParserParams, flags), 20);
        assert_eq!(offset_of!(ParserParams, user_data), 40);
        assert_eq!(offset_of!(ParserParams, display_callback), 64);
        assert_eq!(offset_of!(ParserParams, ext_video_info), 128);
        assert_eq!(size_of::<ParserParams>(), 136);
    }

    #[test]
    fn decode_caps_match_the_c_layout() {
        assert_eq!(offset_of!(DecodeCaps, is_supported), 24);
        assert_eq!(offset_of!(DecodeCaps, num_nvdecs), 25);
        assert_eq!(offset_of!(DecodeCaps, max_width), 28);
        assert_eq!(offset_of!(DecodeCaps, min_width), 40);
        assert_eq!(size_of::<DecodeCaps>(), 88);
    }

    #[test]
    fn decode_create_info_matches_the_c_layout() {
        assert_eq!(offset_of!(DecodeCreateInfo, codec_type), 24);
        assert_eq!(offset_of!(DecodeCreateInfo, creation_flags), 32);
        assert_eq!(offset_of!(DecodeCreateInfo, display_area), 80);
        assert_eq!(offset_of!(DecodeCreateInfo, output_format), 88);
        assert_eq!(offset_of!(DecodeCreateInfo, target_width), 96);
        assert_eq!(offset_of!(DecodeCreateInfo, vid_lock), 120);
        assert_eq!(offset_of!(DecodeCreateInfo, target_rect), 128);
        assert_eq!(size_of::<DecodeCreateInfo>(), 176);
    }

    #[test]
    fn packets_display_info_and_proc_params_match_the_c_layout() {
        assert_eq!(size_of::<SourceDataPacket>(), 32);
        assert_eq!(offset_of!(ParserDispInfo, timestamp), 16);
        assert_eq!(size_of::<ParserDispInfo>(), 24);
        assert_eq!(offset_of!(PicParamsHead, curr_pic_idx), 8);
        assert_eq!(offset_of!(ProcParams, raw_input_dptr), 24);
        assert_eq!(offset_of!(ProcParams, output_stream), 56);
        assert_eq!(offset_of!(ProcParams, histogram_dptr), 248);
        assert_eq!(size_of::<ProcParams>(), 272);
    }

    #[test]
    fn a_missing_library_is_a_typed_error() {
        let err = NvcuvidApi::load_from("libnvcuvid-absent.so.1").unwrap_err();
        assert!(matches!(err, NvdecError::LibraryNotFound { .. }), "{err}");
        assert!(err.to_string().starts_with("libnvcuvid-absent.so.1 not found"), "{err}");
    }
}
