//! One nvJPEG encoder: a library handle, encoder state and parameters bound to one CUDA
//! stream, turning interleaved RGB images in device memory into JPEG bytes on the host.
//!
//! Owns the nvJPEG objects and their lifetime, checking a request before the library
//! sees it, and fetching the bitstream. It does not allocate, fill or free device
//! images, convert colours or resize: callers hand it a device pointer they keep alive
//! for the duration of the call.
//!
//! Settings are fixed at creation (4:2:0 chroma subsampling, standard Huffman tables,
//! which encode faster than optimized ones at a few percent more bytes); the quality is
//! per call. An encoder is not `Send`: it lives on the GPU-owner thread, whose CUDA
//! context must be current whenever it is used.

use std::ffi::c_int;
use std::marker::PhantomData;
use std::ptr;
use std::sync::Arc;

use super::error::check;
use super::ffi::{
    CudaStream, NvjpegApi, NvjpegEncoderParams, NvjpegEncoderState, NvjpegHandle, NvjpegImage, NVJPEG_CSS_420,
    NVJPEG_INPUT_RGBI, NVJPEG_MAX_COMPONENT,
};
use super::NvjpegError;

/// Bytes per pixel of interleaved 8-bit RGB.
const RGB_BYTES_PER_PIXEL: usize = 3;

/// A JPEG encoder on one CUDA stream.
#[derive(Debug)]
pub struct NvjpegEncoder {
    /// The loaded library; its entry points are called for every step.
    api: NvjpegApi,
    /// The CUDA stream every call is queued on (`cudaStream_t`); the bitstream retrieval
    /// synchronises with it.
    stream: CudaStream,
    /// Keeps that stream (and its context) alive for as long as the encoder.
    _stream_owner: Arc<cudarc::driver::CudaStream>,
    /// The nvJPEG library handle (null until created).
    handle: NvjpegHandle,
    /// The encoder state, which holds the last encoded bitstream (null until created).
    state: NvjpegEncoderState,
    /// The encoder parameters (null until created).
    params: NvjpegEncoderParams,
    /// The quality `params` currently carries, so it is set only when it changes.
    quality: Option<u8>,
    /// Keeps the type neither `Send` nor `Sync`: it belongs to the GPU-owner thread.
    _owner_thread: PhantomData<*const ()>,
}

impl NvjpegEncoder {
    /// Loads nvJPEG and creates an encoder whose work is queued on `stream`, making the stream's
    /// context current on this thread. The encoder holds the stream, so it cannot outlive it.
    ///
    /// # Errors
    /// [`NvjpegError::LibraryNotFound`] without nvJPEG, [`NvjpegError::Context`] when the context
    /// cannot be made current, [`NvjpegError::Call`] when a creation call fails.
    pub fn new(stream: &Arc<cudarc::driver::CudaStream>) -> Result<Self, NvjpegError> {
        let api = NvjpegApi::load()?;
        stream.context().bind_to_thread().map_err(NvjpegError::Context)?;
        let raw_stream: CudaStream = stream.cu_stream().cast();
        let mut encoder = Self {
            api,
            stream: raw_stream,
            _stream_owner: Arc::clone(stream),
            handle: ptr::null_mut(),
            state: ptr::null_mut(),
            params: ptr::null_mut(),
            quality: None,
            _owner_thread: PhantomData,
        };
        // On any failure below, dropping `encoder` destroys what was already created.
        // SAFETY: in all calls, the entry points come from the loaded library with their
        // exact prototypes; every out-pointer is a live field of `encoder`, every handle
        // passed in was created by the call before it, and `raw_stream` is a live stream
        // (held by the encoder) of the context made current above.
        unsafe {
            check("nvjpegCreateSimple", (encoder.api.create_simple)(&mut encoder.handle))?;
            check(
                "nvjpegEncoderStateCreate",
                (encoder.api.encoder_state_create)(encoder.handle, &mut encoder.state, raw_stream),
            )?;
            check(
                "nvjpegEncoderParamsCreate",
                (encoder.api.encoder_params_create)(encoder.handle, &mut encoder.params, raw_stream),
            )?;
            check(
                "nvjpegEncoderParamsSetSamplingFactors",
                (encoder.api.encoder_params_set_sampling_factors)(encoder.params, NVJPEG_CSS_420, raw_stream),
            )?;
            check(
                "nvjpegEncoderParamsSetOptimizedHuffman",
                (encoder.api.encoder_params_set_optimized_huffman)(encoder.params, 0, raw_stream),
            )?;
        }
        Ok(encoder)
    }

    /// Encodes the `width`×`height` interleaved RGB image at `device_ptr` (rows
    /// `pitch_bytes` apart) at JPEG `quality` (1..=100) and returns the JPEG file bytes.
    ///
    /// The image must stay valid and unmodified until this returns; it returns only
    /// after the stream has finished the encode.
    pub fn encode_rgb_interleaved(
        &mut self,
        device_ptr: u64,
        pitch_bytes: usize,
        width: u32,
        height: u32,
        quality: u8,
    ) -> Result<Vec<u8>, NvjpegError> {
        let quality_param = quality_parameter(quality)?;
        let (width_param, height_param) = image_dimensions(device_ptr, pitch_bytes, width, height)?;
        if self.quality != Some(quality) {
            // SAFETY: `params` is the live parameter object created in `new`.
            let status = unsafe { (self.api.encoder_params_set_quality)(self.params, quality_param, self.stream) };
            check("nvjpegEncoderParamsSetQuality", status)?;
            self.quality = Some(quality);
        }
        let mut source = NvjpegImage {
            channel: [ptr::null_mut(); NVJPEG_MAX_COMPONENT],
            pitch: [0; NVJPEG_MAX_COMPONENT],
        };
        // A device address is an integer in the driver API and a pointer in nvJPEG's.
        source.channel[0] = device_ptr as usize as *mut u8;
        source.pitch[0] = pitch_bytes;
        // SAFETY: handle, state and params are the live objects created in `new`;
        // `source` describes an image the caller guarantees is a valid device
        // allocation of at least `height` rows of `pitch_bytes` (checked to hold a
        // full RGB row), and lives across the call, which only reads it.
        let status = unsafe {
            (self.api.encode_image)(
                self.handle,
                self.state,
                self.params,
                &source,
                NVJPEG_INPUT_RGBI,
                width_param,
                height_param,
                self.stream,
            )
        };
        check("nvjpegEncodeImage", status)?;
        self.retrieve_bitstream()
    }

    /// Copies the last encoded bitstream out of the encoder state: one call for its
    /// size, which waits for the encode on the stream, then one for its bytes.
    fn retrieve_bitstream(&mut self) -> Result<Vec<u8>, NvjpegError> {
        let mut length = 0usize;
        // SAFETY: handle and state are live; a null `data` asks only for the size,
        // written to `length`, a live local.
        let status = unsafe {
            (self.api.encode_retrieve_bitstream)(self.handle, self.state, ptr::null_mut(), &mut length, self.stream)
        };
        check("nvjpegEncodeRetrieveBitstream", status)?;
        let mut jpeg = vec![0u8; length];
        // SAFETY: `jpeg` has exactly `length` writable bytes, the capacity passed in
        // `length`; the call writes at most that many and stores the count written.
        let status = unsafe {
            (self.api.encode_retrieve_bitstream)(self.handle, self.state, jpeg.as_mut_ptr(), &mut length, self.stream)
        };
        check("nvjpegEncodeRetrieveBitstream", status)?;
        jpeg.truncate(length);
        Ok(jpeg)
    }
}

impl Drop for NvjpegEncoder {
    /// Destroys the parameters, state and handle, the reverse of their creation, skipping
    /// any that were never created. Statuses are ignored: nothing can be done about a
    /// failed release here.
    fn drop(&mut self) {
        // SAFETY: each non-null object was created by this encoder, is destroyed once,
        // and nothing uses it afterwards; the library is still mapped by `self.api`.
        unsafe {
            if !self.params.is_null() {
                (self.api.encoder_params_destroy)(self.params);
            }
            if !self.state.is_null() {
                (self.api.encoder_state_destroy)(self.state);
            }
            if !self.handle.is_null() {
                (self.api.destroy)(self.handle);
            }
        }
    }
}

/// Checks a JPEG quality and returns it as nvJPEG's `int`.
fn quality_parameter(quality: u8) -> Result<c_int, NvjpegError> {
    if (1..=100).contains(&quality) {
        Ok(c_int::from(quality))
    } else {
        Err(NvjpegError::InvalidQuality { quality })
    }
}

/// Checks an interleaved RGB image description and returns its width and height as
/// nvJPEG's `int`s.
fn image_dimensions(
    device_ptr: u64,
    pitch_bytes: usize,
    width: u32,
    height: u32,
) -> Result<(c_int, c_int), NvjpegError> {
    let invalid = |reason| NvjpegError::InvalidImage {
        width,
        height,
        pitch_bytes,
        reason,
    };
    if device_ptr == 0 {
        return Err(invalid("the device pointer is null"));
    }
    if width == 0 || height == 0 {
        return Err(invalid("the image is empty"));
    }
    // A baseline JPEG header stores each side in 16 bits.
    let (Ok(width16), Ok(height16)) = (u16::try_from(width), u16::try_from(height)) else {
        return Err(invalid("a JPEG side is at most 65535 pixels"));
    };
    if pitch_bytes < usize::from(width16) * RGB_BYTES_PER_PIXEL {
        return Err(invalid("the pitch is shorter than a row of 3-byte pixels"));
    }
    Ok((c_int::from(width16), c_int::from(height16)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quality_must_be_between_1_and_100() {
        assert_eq!(quality_parameter(1).unwrap(), 1);
        assert_eq!(quality_parameter(90).unwrap(), 90);
        assert_eq!(quality_parameter(100).unwrap(), 100);
        assert!(matches!(
            quality_parameter(0),
            Err(NvjpegError::InvalidQuality { quality: 0 })
        ));
        assert!(matches!(
            quality_parameter(101),
            Err(NvjpegError::InvalidQuality { quality: 101 })
        ));
    }

    #[test]
    fn a_valid_image_passes_its_dimensions_through() {
        assert_eq!(image_dimensions(0x7f00_0000, 3840, 1280, 720).unwrap(), (1280, 720));
        assert_eq!(image_dimensions(0x7f00_0000, 4096, 1280, 720).unwrap(), (1280, 720));
    }

    #[test]
    fn invalid_images_are_refused_with_the_reason() {
        let reason = |result: Result<(c_int, c_int), NvjpegError>| match result {
            Err(NvjpegError::InvalidImage { reason, .. }) => reason,
            other => panic!("expected InvalidImage, got {other:?}"),
        };
        assert_eq!(
            reason(image_dimensions(0, 3840, 1280, 720)),
            "the device pointer is null"
        );
        assert_eq!(reason(image_dimensions(0x1000, 3840, 0, 720)), "the image is empty");
        assert_eq!(reason(image_dimensions(0x1000, 3840, 1280, 0)), "the image is empty");
        assert_eq!(
            reason(image_dimensions(0x1000, 3839, 1280, 720)),
            "the pitch is shorter than a row of 3-byte pixels"
        );
        assert_eq!(
            reason(image_dimensions(0x1000, 300_000, 65_536, 720)),
            "a JPEG side is at most 65535 pixels"
        );
    }
}
