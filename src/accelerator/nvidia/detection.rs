//! The GPU detection pass over one clip: NVDEC decodes every picture; every
//! `frame_interval`-th one is mapped, letterboxed into the detector's device input and
//! thumbnailed for motion by kernels, then unmapped; full batches run through ONNX
//! Runtime on device buffers; only detections and bit-packed motion masks come back to
//! the host. Pictures that are not sampled are decoded but never mapped.

use super::clip_decoder::{map_picture, GpuClipDecoder};
use super::device::{address, GpuDevice};
use crate::accelerator::{AcceleratorError, DetectStats};
use crate::detect::letterbox::Letterbox;
use crate::detect::postprocess::Postprocessor;
use crate::gpu::kernels::mask_row_bytes;
use crate::inference::device_io::{batch_output_shape, element_count, DeviceTensor};
use crate::inference::{BatchSupport, DetectorSession};
use crate::motion::mask::{thumbnail_size, MotionMask, DEFAULT_DIFF_THRESHOLD, DEFAULT_THUMBNAIL_WIDTH};
use crate::pipeline::messages::{DetectJob, SampledFrame};
use cudarc::driver::CudaSlice;

/// A sampled frame waiting in the batch for its detections.
struct PendingFrame {
    /// Display index of the picture.
    frame_number: u64,
    /// Presentation time in seconds.
    timestamp_sec: f64,
    /// Whether a motion mask was computed into this batch slot (not for the first frame).
    has_motion: bool,
}

/// Detector state of the GPU backend, reused across clips.
pub struct GpuDetectionPass {
    /// The detector session, running on the device's stream.
    session: DetectorSession,
    /// Output decoding, NMS, label filtering, letterbox mapping.
    postprocess: Postprocessor,
    /// Frames per inference call.
    batch: usize,
    /// Detect every n-th decoded frame.
    frame_interval: u32,
    /// Output shape of a one-frame run.
    single_output_shape: Vec<i64>,
    /// Model input of the whole batch, on the device.
    input: CudaSlice<f32>,
    /// Model output of the whole batch, on the device.
    output: CudaSlice<f32>,
    /// The output downloaded, reused.
    host_output: Vec<f32>,
}

impl GpuDetectionPass {
    /// Detection state around a GPU session whose one-frame output shape is known.
    pub fn new(
        device: &GpuDevice,
        session: DetectorSession,
        postprocess: Postprocessor,
        batch: usize,
        frame_interval: u32,
        single_output_shape: Vec<i64>,
    ) -> Result<Self, AcceleratorError> {
        let input = device.alloc::<f32>(batch * session.input_len())?;
        let output = device.alloc::<f32>(element_count(&batch_output_shape(&single_output_shape, batch)))?;
        Ok(Self {
            session,
            postprocess,
            batch,
            frame_interval,
            single_output_shape,
            input,
            output,
            host_output: Vec::new(),
        })
    }

    /// Runs the pass over the job's clip.
    pub fn run(
        &mut self,
        device: &GpuDevice,
        job: &DetectJob,
        emit: &mut dyn FnMut(SampledFrame) -> bool,
    ) -> Result<DetectStats, AcceleratorError> {
        let clip = &job.clip;
        let frame_error = |message: String| AcceleratorError::Frame {
            clip: clip.path.clone(),
            message,
        };
        let letterbox = Letterbox::new(
            clip.width,
            clip.height,
            self.session.input_width,
            self.session.input_height,
        )
        .map_err(|err| frame_error(err.to_string()))?;
        let (thumb_width, thumb_height) = thumbnail_size(clip.width, clip.height, DEFAULT_THUMBNAIL_WIDTH);
        let thumb_len = thumb_width as usize * thumb_height as usize;
        let mask_len = mask_row_bytes(thumb_width) as usize * thumb_height as usize;
        let thumbnails = [device.alloc::<u8>(thumb_len)?, device.alloc::<u8>(thumb_len)?];
        let masks = device.alloc::<u8>(mask_len * self.batch)?;
        let mut host_masks = vec![0u8; mask_len * self.batch];
        let camera_index = job.ce.camera_index(&job.camera);
        let fps = if clip.fps > 0.0 { clip.fps } else { 20.0 };
        let frame_floats = self.session.input_len();
        let stream = &device.stream;
        let input_address = address(&self.input, stream);
        let mask_address = address(&masks, stream);
        let thumb_addresses = [address(&thumbnails[0], stream), address(&thumbnails[1], stream)];

        let mut decoder = GpuClipDecoder::open(&device.context, &device.nvdec, stream, &clip.path)?;
        tracing::debug!(clip = %clip.path.display(), "GPU detection pass started");
        let mut stats = DetectStats::default();
        let mut pending: Vec<PendingFrame> = Vec::with_capacity(self.batch);
        let mut sampled = 0u64;
        loop {
            let mut visit = |index: u64, picture: &crate::gpu::nvdec::DisplayedPicture<'_>| {
                stats.decoded_frames += 1;
                if !index.is_multiple_of(u64::from(self.frame_interval)) {
                    return Ok(());
                }
                let (mapped, mut nv12) = map_picture(picture, &clip.path)?;
                nv12.width = nv12.width.min(clip.width as i32);
                nv12.height = nv12.height.min(clip.height as i32);
                let slot = pending.len();
                let current = thumb_addresses[(sampled % 2) as usize];
                let previous = thumb_addresses[((sampled + 1) % 2) as usize];
                let kernels = &device.kernels;
                let slot_input = input_address + (slot * frame_floats * std::mem::size_of::<f32>()) as u64;
                kernels
                    .letterbox_chw(stream, &nv12, &letterbox, slot_input)
                    .and_then(|()| kernels.grey_thumbnail(stream, &nv12, current, thumb_width, thumb_height))
                    .and_then(|()| match sampled {
                        0 => Ok(()),
                        _ => kernels.motion_bits(
                            stream,
                            previous,
                            current,
                            thumb_width,
                            thumb_height,
                            DEFAULT_DIFF_THRESHOLD,
                            mask_address + (slot * mask_len) as u64,
                        ),
                    })
                    .map_err(|err| device.error(err))?;
                // The surface goes back to the decoder only once the kernels have read it.
                device.synchronize()?;
                mapped.unmap().map_err(|err| device.error(err))?;
                pending.push(PendingFrame {
                    frame_number: index,
                    timestamp_sec: index as f64 / fps,
                    has_motion: sampled > 0,
                });
                sampled += 1;
                if pending.len() == self.batch {
                    let masks = (&masks, host_masks.as_mut_slice(), mask_len, (thumb_width, thumb_height));
                    self.flush(device, &mut pending, &letterbox, masks, job, emit, &mut stats)?;
                }
                Ok(())
            };
            let more = decoder.pump(&mut visit)?;
            if stats.decoded_frames % 100 == 1 {
                tracing::debug!(decoded = stats.decoded_frames, sampled, "GPU detection pass progress");
            }
            if let Some(index) = camera_index {
                job.ce.progress.set_detect_frames(index, stats.decoded_frames);
            }
            if !more {
                break;
            }
        }
        let masks = (&masks, host_masks.as_mut_slice(), mask_len, (thumb_width, thumb_height));
        self.flush(device, &mut pending, &letterbox, masks, job, emit, &mut stats)?;
        if stats.decoded_frames == 0 {
            return Err(frame_error("no frame could be decoded".into()));
        }
        Ok(stats)
    }

    /// Runs the detector on the pending frames, downloads detections and masks, and
    /// emits the frames in order.
    #[allow(clippy::too_many_arguments)]
    fn flush(
        &mut self,
        device: &GpuDevice,
        pending: &mut Vec<PendingFrame>,
        letterbox: &Letterbox,
        (masks, host_masks, mask_len, mask_size): (&CudaSlice<u8>, &mut [u8], usize, (u32, u32)),
        job: &DetectJob,
        emit: &mut dyn FnMut(SampledFrame) -> bool,
        stats: &mut DetectStats,
    ) -> Result<(), AcceleratorError> {
        if pending.is_empty() {
            return Ok(());
        }
        // A model with a fixed batch always gets a full batch; unused slots keep stale input.
        let run_batch = match self.session.batch {
            BatchSupport::Fixed(n) => n,
            BatchSupport::Dynamic => pending.len(),
        };
        let stream = &device.stream;
        let output_shape = batch_output_shape(&self.single_output_shape, run_batch);
        let input = DeviceTensor {
            address: address(&self.input, stream),
            len: self.input.len(),
        };
        let output = DeviceTensor {
            address: address(&self.output, stream),
            len: self.output.len(),
        };
        self.session
            .run_on_device(device.ordinal(), input, run_batch, output, &output_shape)?;
        let output_len = element_count(&output_shape);
        self.host_output.resize(output_len, 0.0);
        stream
            .memcpy_dtoh(&self.output.slice(..output_len), self.host_output.as_mut_slice())
            .and_then(|()| stream.memcpy_dtoh(masks, &mut *host_masks))
            .map_err(|err| device.error(format!("download of detections: {err}")))?;
        device.synchronize()?;
        for (index, frame) in pending.drain(..).enumerate() {
            let frame_error = |message: String| AcceleratorError::Frame {
                clip: job.clip.path.clone(),
                message,
            };
            let detections = self
                .postprocess
                .detections(&self.host_output, index, letterbox)
                .map_err(|err| frame_error(err.to_string()))?;
            let motion = if frame.has_motion {
                let bits = host_masks[index * mask_len..(index + 1) * mask_len].to_vec();
                Some(
                    MotionMask::from_bits(mask_size.0, mask_size.1, bits)
                        .map_err(|err| frame_error(err.to_string()))?,
                )
            } else {
                None
            };
            stats.sampled_frames += 1;
            let sampled = SampledFrame {
                frame_number: frame.frame_number,
                timestamp_sec: frame.timestamp_sec,
                detections,
                motion,
            };
            if !emit(sampled) {
                return Err(AcceleratorError::DownstreamClosed);
            }
        }
        Ok(())
    }
}
