//! One NVDEC decode session: a bitstream parser and the hardware decoder it drives.
//!
//! Owns the parser, the decoder (created by the parser's sequence callback, sized from
//! the stream), the queue of pictures ready for display, and mapping a picture into
//! device memory on request. It does not demux (callers feed Annex-B access units from
//! `media::mp4`), convert colours or copy frames to the host.
//!
//! Flow: [`NvdecSession::decode`] hands one access unit to the parser, which calls
//! back synchronously on this thread: the sequence callback creates the decoder, the
//! decode callback submits the picture to the engine (`cuvidDecodePicture`, which does
//! not wait for it), the display callback queues the picture in display order. The
//! caller then takes pictures with [`NvdecSession::next_picture`] and maps only those it
//! wants ([`DisplayedPicture::map`]); pictures not taken before the next `decode` are
//! skipped, never mapped. A [`MappedFrame`] is NV12 in device memory, valid until it is
//! unmapped (dropped); it borrows the session, so the session cannot be fed meanwhile.
//!
//! A session is not `Send`: it lives on the GPU-owner thread with its [`GpuContext`].

use std::collections::VecDeque;
use std::ffi::{c_int, c_ulong, c_void};
use std::ptr::{self, NonNull};
use std::sync::Arc;

use cudarc::driver::{CudaSlice, CudaStream, DevicePtr};

use super::caps::{query_decoder_caps, DecoderCaps};
use super::error::check;
use super::ffi::{
    self, CuVideoDecoder, CuVideoParser, DecodeCreateInfo, NvcuvidApi, ParserDispInfo, ParserParams, PicParamsHead,
    ProcParams, ShortRect, SourceDataPacket, VideoFormat,
};
use super::{NvdecCodec, NvdecError};
use crate::gpu::cuda_context::GpuContext;
use crate::gpu::kernels::Nv12Picture;

/// Decode surfaces beyond the stream's minimum, so the engine can run ahead of display.
const EXTRA_DECODE_SURFACES: u32 = 4;
/// The most decode surfaces NVDEC accepts.
const MAX_DECODE_SURFACES: u32 = 32;
/// Pictures the parser holds back before display: a picture is announced only after
/// the next two were submitted, so mapping it rarely waits on the engine.
const DISPLAY_DELAY: u32 = 2;
/// Output surfaces, i.e. frames that may be mapped at once.
const OUTPUT_SURFACES: c_ulong = 2;
/// Percentage of damaged macroblocks up to which a picture is still displayed: all, so
/// every access unit yields a frame and frame numbering never shifts.
const ERROR_THRESHOLD: u32 = 100;

/// The decoder geometry a stream format asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct DecoderPlan {
    /// Coded width (whole macroblocks/CTUs).
    coded_width: u32,
    /// Coded height (whole macroblocks/CTUs; 1088 for 1080 lines).
    coded_height: u32,
    /// The visible part of the coded picture, which is what gets output.
    display_area: ShortRect,
    /// Output (mapped frame) width: the visible width, rounded up to even for 4:2:0.
    output_width: u32,
    /// Output height: the visible height, rounded up to even for 4:2:0.
    output_height: u32,
    /// Decode surfaces to allocate.
    decode_surfaces: u32,
}

impl DecoderPlan {
    /// Plans the decoder for `format`: output the visible area at its own size.
    fn for_format(format: &VideoFormat) -> Self {
        let area = format.display_area;
        let coded = ShortRect {
            left: 0,
            top: 0,
            right: clamp_to_i16(format.coded_width),
            bottom: clamp_to_i16(format.coded_height),
        };
        let visible = ShortRect {
            left: clamp_to_i16(area.left.max(0).unsigned_abs()),
            top: clamp_to_i16(area.top.max(0).unsigned_abs()),
            right: clamp_to_i16(area.right.max(0).unsigned_abs()).min(coded.right),
            bottom: clamp_to_i16(area.bottom.max(0).unsigned_abs()).min(coded.bottom),
        };
        let display_area = if visible.right > visible.left && visible.bottom > visible.top {
            visible
        } else {
            coded
        };
        let even = |length: i16| (u32::from(length.unsigned_abs()) + 1) & !1;
        Self {
            coded_width: format.coded_width,
            coded_height: format.coded_height,
            display_area,
            output_width: even(display_area.right - display_area.left),
            output_height: even(display_area.bottom - display_area.top),
            decode_surfaces: (u32::from(format.min_num_decode_surfaces) + EXTRA_DECODE_SURFACES)
                .min(MAX_DECODE_SURFACES),
        }
    }

    /// Whether another format needs a different decoder (the surface count may differ).
    fn same_geometry(&self, other: &Self) -> bool {
        (self.coded_width, self.coded_height, self.display_area)
            == (other.coded_width, other.coded_height, other.display_area)
    }

    /// `WxH` of the output, for messages.
    fn describe(&self) -> String {
        format!("{}x{}", self.output_width, self.output_height)
    }
}

/// Clamps a picture dimension into the `short` NVDEC's rectangles use.
fn clamp_to_i16(value: u32) -> i16 {
    i16::try_from(value).unwrap_or(i16::MAX)
}

/// A picture the parser announced for display, waiting for the caller.
#[derive(Debug, Clone, Copy)]
struct PendingPicture {
    /// The display information as the parser gave it.
    info: ParserDispInfo,
}

/// What the parser's callbacks work on. Allocated once per session at a fixed address,
/// which the parser keeps as its user data.
struct ParserState {
    /// The entry points the callbacks call.
    api: Arc<NvcuvidApi>,
    /// The codec the parser was created for (for messages and caps).
    codec: NvdecCodec,
    /// The decode engines' limits for this codec, queried once when the session opens.
    caps: DecoderCaps,
    /// The hardware decoder; null until the first sequence header.
    decoder: CuVideoDecoder,
    /// The geometry the decoder was created with.
    plan: Option<DecoderPlan>,
    /// Pictures announced for display and not yet taken, in display order.
    displayed: VecDeque<PendingPicture>,
    /// The first error raised inside a callback, returned by the call that fed the data.
    failure: Option<NvdecError>,
    /// Pictures submitted to the engine so far.
    pictures_decoded: u64,
}

impl ParserState {
    /// Sequence callback: creates the decoder for the stream's format (once), and
    /// returns how many decode surfaces the parser may use.
    fn on_sequence(&mut self, format: &VideoFormat) -> Result<u32, NvdecError> {
        if format.chroma_format != ffi::CUDA_VIDEO_CHROMA_FORMAT_420
            || format.bit_depth_luma_minus8 != 0
            || format.bit_depth_chroma_minus8 != 0
        {
            return Err(NvdecError::Unsupported {
                codec: self.codec,
                width: format.coded_width,
                height: format.coded_height,
                reason: format!(
                    "chroma format {} at {} bits; only 8-bit 4:2:0 is decoded",
                    format.chroma_format,
                    8 + u32::from(format.bit_depth_luma_minus8)
                ),
            });
        }
        let plan = DecoderPlan::for_format(format);
        if let Some(current) = self.plan {
            if current.same_geometry(&plan) {
                return Ok(current.decode_surfaces);
            }
            return Err(NvdecError::FormatChanged {
                codec: self.codec,
                from: current.describe(),
                to: plan.describe(),
            });
        }
        self.caps.check_size(plan.coded_width, plan.coded_height)?;
        let mut info = DecodeCreateInfo {
            width: c_ulong::from(plan.coded_width),
            height: c_ulong::from(plan.coded_height),
            num_decode_surfaces: c_ulong::from(plan.decode_surfaces),
            codec_type: self.codec.cuda_video_codec(),
            chroma_format: ffi::CUDA_VIDEO_CHROMA_FORMAT_420,
            creation_flags: ffi::CUDA_VIDEO_CREATE_PREFER_CUVID,
            bit_depth_minus8: 0,
            intra_decode_only: 0,
            max_width: c_ulong::from(plan.coded_width),
            max_height: c_ulong::from(plan.coded_height),
            reserved1: 0,
            display_area: plan.display_area,
            output_format: ffi::CUDA_VIDEO_SURFACE_FORMAT_NV12,
            deinterlace_mode: ffi::CUDA_VIDEO_DEINTERLACE_MODE_WEAVE,
            target_width: c_ulong::from(plan.output_width),
            target_height: c_ulong::from(plan.output_height),
            num_output_surfaces: OUTPUT_SURFACES,
            vid_lock: ptr::null_mut(),
            target_rect: ShortRect::default(),
            reserved2: [0; 5],
        };
        let mut decoder: CuVideoDecoder = ptr::null_mut();
        // SAFETY: `info` is a complete CUVIDDECODECREATEINFO with reserved fields zero;
        // `decoder` is a valid out-pointer. The parser calls back on the thread that fed
        // it, where the session made its context current.
        let code = unsafe { (self.api.create_decoder)(&mut decoder, &mut info) };
        check("cuvidCreateDecoder", code)?;
        self.decoder = decoder;
        self.plan = Some(plan);
        Ok(plan.decode_surfaces)
    }

    /// Decode callback: submits one picture to the engine.
    fn on_decode(&mut self, params: &mut PicParamsHead) -> Result<(), NvdecError> {
        if self.decoder.is_null() {
            return Err(NvdecError::NoSequenceHeader { codec: self.codec });
        }
        let surface = params.curr_pic_idx;
        if self
            .displayed
            .iter()
            .any(|pending| pending.info.picture_index == surface)
        {
            return Err(NvdecError::SurfaceReused { surface });
        }
        // SAFETY: `params` is the parser's complete CUVIDPICPARAMS for this picture,
        // passed through unchanged; `decoder` was created by this session and is alive.
        let code = unsafe { (self.api.decode_picture)(self.decoder, params) };
        check("cuvidDecodePicture", code)?;
        self.pictures_decoded += 1;
        Ok(())
    }

    /// Records the first callback failure; later ones are consequences of it.
    fn fail(&mut self, error: NvdecError) {
        self.failure.get_or_insert(error);
    }
}

/// `PFNVIDSEQUENCECALLBACK` for a session.
///
/// # Safety
/// `user_data` must be the session's live `ParserState` with no other reference to it
/// in use; `format` must be null or valid for the call.
unsafe extern "C" fn sequence_callback(user_data: *mut c_void, format: *mut VideoFormat) -> c_int {
    // SAFETY: per this function's contract; the parser passes the user data it was
    // created with and a format valid for the duration of the call.
    let (state, format) = unsafe { (&mut *user_data.cast::<ParserState>(), format.as_ref()) };
    let Some(format) = format else { return 0 };
    match state.on_sequence(format) {
        Ok(surfaces) => c_int::try_from(surfaces).unwrap_or(c_int::MAX),
        Err(error) => {
            state.fail(error);
            0
        }
    }
}

/// `PFNVIDDECODECALLBACK` for a session.
///
/// # Safety
/// As [`sequence_callback`], with `params` null or the parser's picture parameters.
unsafe extern "C" fn decode_callback(user_data: *mut c_void, params: *mut PicParamsHead) -> c_int {
    // SAFETY: per this function's contract, as in `sequence_callback`.
    let (state, params) = unsafe { (&mut *user_data.cast::<ParserState>(), params.as_mut()) };
    let Some(params) = params else { return 0 };
    match state.on_decode(params) {
        Ok(()) => 1,
        Err(error) => {
            state.fail(error);
            0
        }
    }
}

/// `PFNVIDDISPLAYCALLBACK` for a session: queues the picture; null means end of stream.
///
/// # Safety
/// As [`sequence_callback`], with `info` null or valid for the call.
unsafe extern "C" fn display_callback(user_data: *mut c_void, info: *mut ParserDispInfo) -> c_int {
    // SAFETY: per this function's contract, as in `sequence_callback`.
    let (state, info) = unsafe { (&mut *user_data.cast::<ParserState>(), info.as_ref()) };
    if let Some(info) = info {
        state.displayed.push_back(PendingPicture { info: *info });
    }
    1
}

/// A parser + decoder session for one stream, on the GPU-owner thread.
pub struct NvdecSession {
    /// The context the decoder lives in; made current before every driver call.
    context: GpuContext,
    /// The entry points.
    api: Arc<NvcuvidApi>,
    /// The stream mapping copies frames on, one per session so sessions on different
    /// threads do not queue behind each other.
    stream: Arc<CudaStream>,
    /// The parser handle.
    parser: CuVideoParser,
    /// The callbacks' state, owned by the session (freed in `Drop`, after the parser).
    state: NonNull<ParserState>,
}

impl NvdecSession {
    /// Opens a session for a `codec` stream on `context`'s device. The decoder itself
    /// is created when the first sequence header arrives.
    pub fn new(context: &GpuContext, api: Arc<NvcuvidApi>, codec: NvdecCodec) -> Result<Self, NvdecError> {
        let stream = context.new_stream()?;
        Self::on_stream(context, api, codec, stream)
    }

    /// Opens a session whose frames are mapped on `stream`, so that work the caller
    /// queues on the same stream is ordered after each mapping without events.
    pub fn on_stream(
        context: &GpuContext,
        api: Arc<NvcuvidApi>,
        codec: NvdecCodec,
        stream: Arc<CudaStream>,
    ) -> Result<Self, NvdecError> {
        let caps = query_decoder_caps(&api, context, codec)?;
        let state = NonNull::from(Box::leak(Box::new(ParserState {
            api: Arc::clone(&api),
            codec,
            caps,
            decoder: ptr::null_mut(),
            plan: None,
            displayed: VecDeque::new(),
            failure: None,
            pictures_decoded: 0,
        })));
        let mut params = ParserParams {
            codec_type: codec.cuda_video_codec(),
            max_num_decode_surfaces: 1,
            clock_rate: 0,
            error_threshold: ERROR_THRESHOLD,
            max_display_delay: DISPLAY_DELAY,
            flags: 0,
            reserved1: [0; 4],
            user_data: state.as_ptr().cast(),
            sequence_callback: Some(sequence_callback),
            decode_callback: Some(decode_callback),
            display_callback: Some(display_callback),
            operating_point_callback: ptr::null_mut(),
            sei_callback: ptr::null_mut(),
            reserved2: [ptr::null_mut(); 5],
            ext_video_info: ptr::null_mut(),
        };
        let mut parser: CuVideoParser = ptr::null_mut();
        // SAFETY: `params` is a complete CUVIDPARSERPARAMS whose callbacks match the
        // C prototypes and whose user data outlives the parser (both are released
        // together in `Drop`); `parser` is a valid out-pointer.
        let code = unsafe { (api.create_video_parser)(&mut parser, &mut params) };
        let session = Self {
            context: context.clone(),
            api,
            stream,
            parser,
            state,
        };
        check("cuvidCreateVideoParser", code)?;
        Ok(session)
    }

    /// Decodes one Annex-B access unit (one picture, with its parameter sets before a
    /// keyframe). Pass the access unit's presentation time as `timestamp`: the parser
    /// hands timestamps out in display order (fed decode-order indices 0, 1, 2… of a
    /// stream with B-frames, pictures come back stamped 0, 1, 2… in display order), so
    /// only presentation times come back meaning their picture. Pictures from earlier
    /// calls that were not taken are skipped. After an error the session should be
    /// dropped.
    pub fn decode(&mut self, access_unit: &[u8], timestamp: i64) -> Result<(), NvdecError> {
        self.state_mut().displayed.clear();
        if access_unit.is_empty() {
            return Ok(());
        }
        self.parse(SourceDataPacket {
            flags: ffi::CUVID_PKT_TIMESTAMP | ffi::CUVID_PKT_ENDOFPICTURE,
            payload_size: access_unit.len() as c_ulong,
            payload: access_unit.as_ptr(),
            timestamp,
        })
    }

    /// Ends the stream: the parser displays the pictures it still holds. The next
    /// access unit, if any, must start a new stream (a keyframe with parameter sets).
    pub fn flush(&mut self) -> Result<(), NvdecError> {
        self.state_mut().displayed.clear();
        self.parse(SourceDataPacket {
            flags: ffi::CUVID_PKT_ENDOFSTREAM,
            payload_size: 0,
            payload: ptr::null(),
            timestamp: 0,
        })
    }

    /// The next picture in display order from the last `decode`/`flush`, if any.
    pub fn next_picture(&mut self) -> Option<DisplayedPicture<'_>> {
        let pending = self.state_mut().displayed.pop_front()?;
        Some(DisplayedPicture {
            session: self,
            info: pending.info,
        })
    }

    /// The stream mapped frames are written on: work that reads a [`MappedFrame`] is
    /// queued on it (or waits for it).
    pub fn stream(&self) -> &Arc<CudaStream> {
        &self.stream
    }

    /// Pictures submitted to the decode engine so far.
    pub fn pictures_decoded(&self) -> u64 {
        self.state().pictures_decoded
    }

    /// Width and height of mapped frames, once the first sequence header was seen.
    pub fn frame_size(&self) -> Option<(u32, u32)> {
        self.state().plan.map(|plan| (plan.output_width, plan.output_height))
    }

    /// Feeds one packet to the parser and returns the first callback failure, if any.
    fn parse(&mut self, mut packet: SourceDataPacket) -> Result<(), NvdecError> {
        self.context.make_current()?;
        // SAFETY: `packet` points at bytes that live for the call; the parser calls
        // back synchronously into `state`, which no reference of ours covers during
        // the call.
        let code = unsafe { (self.api.parse_video_data)(self.parser, &mut packet) };
        if let Some(error) = self.state_mut().failure.take() {
            return Err(error);
        }
        check("cuvidParseVideoData", code)
    }

    /// The callbacks' state, for reading between parser calls.
    fn state(&self) -> &ParserState {
        // SAFETY: `state` is owned by the session and only mutated by the parser during
        // `parse`, which holds `&mut self`, so no callback runs while this borrow lives.
        unsafe { self.state.as_ref() }
    }

    /// The callbacks' state, for changing between parser calls.
    fn state_mut(&mut self) -> &mut ParserState {
        // SAFETY: as in `state`; `&mut self` makes this the only reference.
        unsafe { self.state.as_mut() }
    }
}

impl Drop for NvdecSession {
    fn drop(&mut self) {
        // A context that cannot be made current leaves nothing better to do than to
        // release the handles anyway; the driver frees them with the context.
        let _ = self.context.make_current();
        if !self.parser.is_null() {
            // SAFETY: the parser was created by this session and is destroyed once; no
            // mapped frame can outlive the session (they borrow it).
            unsafe { (self.api.destroy_video_parser)(self.parser) };
        }
        let decoder = self.state().decoder;
        if !decoder.is_null() {
            // SAFETY: as above, for the decoder created by the sequence callback.
            unsafe { (self.api.destroy_decoder)(decoder) };
        }
        // SAFETY: `state` came from `Box::leak` in `new`, the parser that referenced it
        // is destroyed, and it is freed exactly once here.
        drop(unsafe { Box::from_raw(self.state.as_ptr()) });
    }
}

/// A decoded picture ready for display, not yet mapped. Borrowing the session keeps it
/// from being fed, so the picture's surface cannot be reused meanwhile.
pub struct DisplayedPicture<'session> {
    /// The session whose decoder holds the picture.
    session: &'session NvdecSession,
    /// The parser's display information (surface, field flags, timestamp).
    info: ParserDispInfo,
}

impl DisplayedPicture<'_> {
    /// The timestamp given with the access unit that carried this picture.
    pub fn timestamp(&self) -> i64 {
        self.info.timestamp
    }

    /// Maps the picture as NV12 in device memory. The call waits for the picture's
    /// decode; the copy into the frame is queued on [`NvdecSession::stream`].
    pub fn map(&self) -> Result<MappedFrame<'_>, NvdecError> {
        let session = self.session;
        session.context.make_current()?;
        let (width, height) = session.frame_size().ok_or(NvdecError::NoSequenceHeader {
            codec: session.state().codec,
        })?;
        let mut params = ProcParams {
            progressive_frame: self.info.progressive_frame,
            second_field: self.info.repeat_first_field + 1,
            top_field_first: self.info.top_field_first,
            unpaired_field: c_int::from(self.info.repeat_first_field < 0),
            reserved_flags: 0,
            reserved_zero: 0,
            raw_input_dptr: 0,
            raw_input_pitch: 0,
            raw_input_format: 0,
            raw_output_dptr: 0,
            raw_output_pitch: 0,
            reserved1: 0,
            output_stream: session.stream.cu_stream().cast(),
            reserved: [0; 46],
            histogram_dptr: ptr::null_mut(),
            reserved2: [ptr::null_mut(); 2],
        };
        let mut device_ptr = 0_u64;
        let mut pitch = 0_u32;
        // SAFETY: the decoder exists (a picture was displayed, so a sequence header
        // created it); the picture index comes from the parser for this decoder; the
        // out-pointers and `params` are valid for the call; the stream in `params`
        // belongs to this session and outlives the mapping; the context is current.
        let code = unsafe {
            (session.api.map_video_frame)(
                session.state().decoder,
                self.info.picture_index,
                &mut device_ptr,
                &mut pitch,
                &mut params,
            )
        };
        check("cuvidMapVideoFrame64", code)?;
        Ok(MappedFrame {
            session,
            device_ptr,
            pitch,
            width,
            height,
        })
    }
}

/// A picture mapped as NV12 in device memory: a luma plane of `height` rows of `pitch`
/// bytes, then the interleaved chroma plane of `height / 2` rows. Unmapped when dropped.
pub struct MappedFrame<'picture> {
    /// The session whose decoder owns the output surface.
    session: &'picture NvdecSession,
    /// Device address of the luma plane.
    device_ptr: u64,
    /// Bytes per row, for both planes.
    pitch: u32,
    /// Visible width in pixels.
    width: u32,
    /// Visible height in pixels (even).
    height: u32,
}

impl MappedFrame<'_> {
    /// Device address of the luma (Y) plane.
    pub fn luma_ptr(&self) -> u64 {
        self.device_ptr
    }

    /// Device address of the interleaved chroma (UV) plane.
    pub fn chroma_ptr(&self) -> u64 {
        self.device_ptr + u64::from(self.pitch) * u64::from(self.height)
    }

    /// The stream the frame's contents are written on; read it from work queued there.
    pub fn stream(&self) -> &Arc<CudaStream> {
        self.session.stream()
    }

    /// Bytes per row of either plane.
    pub fn pitch(&self) -> u32 {
        self.pitch
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The frame as the image kernels take it.
    pub fn picture(&self) -> Nv12Picture {
        Nv12Picture {
            luma: self.luma_ptr(),
            chroma: self.chroma_ptr(),
            pitch: self.pitch as i32,
            width: self.width as i32,
            height: self.height as i32,
        }
    }

    /// Bytes of the frame: both planes, the chroma plane right after the luma plane.
    pub fn byte_len(&self) -> usize {
        self.pitch as usize * self.height as usize * 3 / 2
    }

    /// Copies the frame into `destination` on the frame's stream and waits for the copy, so the
    /// frame can be unmapped at once; returns the copy as the image kernels take it.
    ///
    /// # Errors
    /// [`NvdecError::CopyTooSmall`] when `destination` is shorter than [`MappedFrame::byte_len`];
    /// [`NvdecError::Copy`] when the copy or the wait fails.
    pub fn copy_into(&self, destination: &CudaSlice<u8>) -> Result<Nv12Picture, NvdecError> {
        let len = self.byte_len();
        if destination.len() < len {
            return Err(NvdecError::CopyTooSmall {
                needed: len,
                available: destination.len(),
            });
        }
        let stream = self.stream();
        // The owner's buffers live on this one stream, so no event is recorded.
        let (address, _record) = destination.device_ptr(stream);
        // SAFETY: the source is the `len` bytes of this mapped surface (two contiguous planes),
        // mapped until `self` is unmapped, which cannot happen before the synchronise below; the
        // destination is `len` bytes of a live device allocation, checked above; the copy is
        // queued on the stream the decoder writes the surface on.
        unsafe { cudarc::driver::result::memcpy_dtod_async(address, self.device_ptr, len, stream.cu_stream()) }?;
        stream.synchronize()?;
        Ok(Nv12Picture {
            luma: address,
            chroma: address + u64::from(self.pitch) * u64::from(self.height),
            ..self.picture()
        })
    }

    /// Unmaps the frame, reporting a failure that dropping it would ignore.
    pub fn unmap(self) -> Result<(), NvdecError> {
        let result = self.release();
        std::mem::forget(self);
        result
    }

    /// Returns the output surface to the decoder.
    fn release(&self) -> Result<(), NvdecError> {
        self.session.context.make_current()?;
        // SAFETY: `device_ptr` was returned by cuvidMapVideoFrame64 for this decoder
        // and is unmapped once (`unmap` forgets the frame, `Drop` runs otherwise).
        let code = unsafe { (self.session.api.unmap_video_frame)(self.session.state().decoder, self.device_ptr) };
        check("cuvidUnmapVideoFrame64", code)
    }
}

impl Drop for MappedFrame<'_> {
    fn drop(&mut self) {
        // Dropping cannot report; callers that care call `unmap`.
        let _ = self.release();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gpu::nvdec::ffi::IntRect;

    fn format(coded: (u32, u32), display: IntRect, min_surfaces: u8) -> VideoFormat {
        VideoFormat {
            codec: ffi::CUDA_VIDEO_CODEC_H264,
            coded_width: coded.0,
            coded_height: coded.1,
            display_area: display,
            min_num_decode_surfaces: min_surfaces,
            chroma_format: ffi::CUDA_VIDEO_CHROMA_FORMAT_420,
            ..VideoFormat::default()
        }
    }

    #[test]
    fn a_1080p_stream_outputs_its_visible_1080_lines() {
        let display = IntRect {
            left: 0,
            top: 0,
            right: 1920,
            bottom: 1080,
        };
        let plan = DecoderPlan::for_format(&format((1920, 1088), display, 9));
        assert_eq!((plan.coded_width, plan.coded_height), (1920, 1088));
        assert_eq!((plan.output_width, plan.output_height), (1920, 1080));
        assert_eq!(plan.decode_surfaces, 13);
        assert_eq!(
            plan.display_area,
            ShortRect {
                left: 0,
                top: 0,
                right: 1920,
                bottom: 1080
            }
        );
    }

    #[test]
    fn odd_visible_sizes_round_up_to_even_and_surfaces_cap_at_32() {
        let display = IntRect {
            left: 2,
            top: 0,
            right: 641,
            bottom: 479,
        };
        let plan = DecoderPlan::for_format(&format((656, 480), display, 30));
        assert_eq!((plan.output_width, plan.output_height), (640, 480));
        assert_eq!(plan.decode_surfaces, 32);
    }

    #[test]
    fn an_empty_display_area_means_the_whole_coded_picture() {
        let plan = DecoderPlan::for_format(&format((1280, 720), IntRect::default(), 5));
        assert_eq!((plan.output_width, plan.output_height), (1280, 720));
    }

    #[test]
    fn only_a_size_change_needs_a_new_decoder() {
        let display = IntRect {
            left: 0,
            top: 0,
            right: 1920,
            bottom: 1080,
        };
        let first = DecoderPlan::for_format(&format((1920, 1088), display, 9));
        let more_surfaces = DecoderPlan::for_format(&format((1920, 1088), display, 12));
        let smaller = DecoderPlan::for_format(&format(
            (1280, 720),
            IntRect {
                left: 0,
                top: 0,
                right: 1280,
                bottom: 720,
            },
            9,
        ));
        assert!(first.same_geometry(&more_surfaces));
        assert!(!first.same_geometry(&smaller));
        assert_eq!(smaller.describe(), "1280x720");
    }
}
