//! The GPU detection pass over the clips of a CE, interleaved so that several NVDEC
//! engines decode at once: each step feeds one access unit to each open clip in turn.
//! Every picture is decoded; every `frame_interval`-th one is mapped, letterboxed into
//! that clip's detector input and thumbnailed for motion by kernels, which compare the
//! thumbnail with the clip's background model in device memory (`motion::background`,
//! the same integer steps as the CPU), then unmapped; full batches (the pipeline's
//! `detect_batch_size`, or the model's fixed batch) run through ONNX Runtime on device
//! buffers; only detections and bit-packed motion masks come back to the host. Pictures
//! that are not sampled are never mapped.

use super::clip_decoder::{map_picture, GpuClipDecoder};
use super::device::{address, GpuDevice};
use crate::accelerator::{AcceleratorError, DetectStats};
use crate::detect::letterbox::Letterbox;
use crate::detect::postprocess::Postprocessor;
use crate::flow::messages::{DetectJob, SampledFrame};
use crate::gpu::kernels::{mask_row_bytes, MotionBuffers};
use crate::gpu::nvdec::DisplayedPicture;
use crate::inference::device_io::{batch_output_shape, element_count, DeviceTensor};
use crate::inference::DetectorSession;
use crate::motion::background::alpha_fixed_point;
use crate::motion::mask::{thumbnail_size, MotionMask, DEFAULT_DIFF_THRESHOLD, DEFAULT_THUMBNAIL_WIDTH};
use cudarc::driver::CudaSlice;

/// A sampled frame waiting in the batch for its detections.
struct PendingFrame {
    /// Display index of the picture.
    frame_number: u64,
    /// Presentation time in seconds.
    timestamp_sec: f64,
    /// Whether a motion mask was computed into this batch slot (not for the seeding first frame).
    has_motion: bool,
}

/// One clip's pass in progress: its decoder, and the rest.
struct ClipPass<'j> {
    /// The clip's decoder.
    decoder: GpuClipDecoder,
    /// Everything the decoder's pictures are handled with.
    state: ClipState<'j>,
}

/// The per-clip buffers and counts of a pass.
struct ClipState<'j> {
    /// The job.
    job: &'j DetectJob,
    /// Frame → model input geometry.
    letterbox: Letterbox,
    /// Motion thumbnail size.
    thumb_size: (u32, u32),
    /// Bytes of one bit-packed mask.
    mask_len: usize,
    /// The current motion thumbnail.
    thumbnail: CudaSlice<u8>,
    /// The blurred thumbnail.
    blurred: CudaSlice<u8>,
    /// The clip's background average (8.8 fixed point), seeded by its first sampled frame.
    background: CudaSlice<u16>,
    /// Moving flags before dilation.
    moving: CudaSlice<u8>,
    /// One mask per batch slot, on the device.
    masks: CudaSlice<u8>,
    /// The masks downloaded.
    host_masks: Vec<u8>,
    /// Model input of the batch.
    input: CudaSlice<f32>,
    /// Sampled frames waiting for the detector.
    pending: Vec<PendingFrame>,
    /// Frames sampled so far.
    sampled: u64,
    /// Counts.
    stats: DetectStats,
    /// Frames per second, for timestamps.
    fps: f64,
}

/// Detector state of the GPU backend, reused across CEs.
pub struct GpuDetectionPass {
    /// The detector session, running on the device's stream.
    session: DetectorSession,
    /// Output decoding, NMS, label filtering, letterbox mapping.
    postprocess: Postprocessor,
    /// Frames per inference call.
    batch: usize,
    /// Detect every n-th decoded frame.
    frame_interval: u32,
    /// Weight of a new sampled frame in the motion background, 1/256ths.
    motion_alpha: u32,
    /// Output shape of a one-frame run.
    single_output_shape: Vec<i64>,
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
        motion_alpha: f64,
        single_output_shape: Vec<i64>,
    ) -> Result<Self, AcceleratorError> {
        let output = device.alloc::<f32>(element_count(&batch_output_shape(&single_output_shape, batch)))?;
        Ok(Self {
            session,
            postprocess,
            batch,
            frame_interval,
            motion_alpha: alpha_fixed_point(motion_alpha),
            single_output_shape,
            output,
            host_output: Vec::new(),
        })
    }

    /// Runs the passes of `jobs` together; `emit` gets the index of the job a frame
    /// belongs to. One outcome per job, in order. A device fault ends every pass still
    /// open with that fault (the device state is suspect); a clip's own failure ends only
    /// its pass.
    pub fn run(
        &mut self,
        device: &GpuDevice,
        jobs: &[DetectJob],
        emit: &mut dyn FnMut(usize, SampledFrame) -> bool,
    ) -> Vec<Result<DetectStats, AcceleratorError>> {
        let mut outcomes: Vec<Option<Result<DetectStats, AcceleratorError>>> = jobs.iter().map(|_| None).collect();
        let mut open: Vec<(usize, ClipPass<'_>)> = Vec::new();
        for (index, job) in jobs.iter().enumerate() {
            match self.open(device, job) {
                Ok(pass) => open.push((index, pass)),
                Err(err) => outcomes[index] = Some(Err(err)),
            }
        }
        while !open.is_empty() {
            let mut position = 0;
            while position < open.len() {
                let index = open[position].0;
                match self.step(device, &mut open[position].1, &mut |frame| emit(index, frame)) {
                    Ok(true) => position += 1,
                    Ok(false) => {
                        let (_, mut pass) = open.remove(position);
                        outcomes[index] = Some(self.finish(device, &mut pass.state, &mut |frame| emit(index, frame)));
                    }
                    Err(err) if err.is_device_fault() => {
                        for (other, _) in open.drain(..).filter(|(other, _)| *other != index) {
                            let message = format!("pass abandoned after a fault on another clip: {err}");
                            outcomes[other] = Some(Err(device.error(message)));
                        }
                        outcomes[index] = Some(Err(err));
                    }
                    Err(err) => {
                        open.remove(position);
                        outcomes[index] = Some(Err(err));
                    }
                }
            }
        }
        outcomes
            .into_iter()
            .map(|outcome| outcome.unwrap_or(Err(AcceleratorError::DownstreamClosed)))
            .collect()
    }

    /// Opens a clip's decoder and allocates its buffers.
    fn open<'j>(&self, device: &GpuDevice, job: &'j DetectJob) -> Result<ClipPass<'j>, AcceleratorError> {
        let clip = &job.clip;
        let letterbox = Letterbox::new(
            clip.width,
            clip.height,
            self.session.input_width,
            self.session.input_height,
        )
        .map_err(|err| AcceleratorError::Frame {
            clip: clip.path.clone(),
            message: err.to_string(),
        })?;
        let (thumb_width, thumb_height) = thumbnail_size(clip.width, clip.height, DEFAULT_THUMBNAIL_WIDTH);
        let thumb_len = thumb_width as usize * thumb_height as usize;
        let mask_len = mask_row_bytes(thumb_width) as usize * thumb_height as usize;
        let decoder = GpuClipDecoder::open(&device.context, &device.nvdec, &device.stream, &clip.path)?;
        tracing::debug!(clip = %clip.path.display(), "GPU detection pass started");
        Ok(ClipPass {
            decoder,
            state: ClipState {
                job,
                letterbox,
                thumb_size: (thumb_width, thumb_height),
                mask_len,
                thumbnail: device.alloc::<u8>(thumb_len)?,
                blurred: device.alloc::<u8>(thumb_len)?,
                background: device.alloc::<u16>(thumb_len)?,
                moving: device.alloc::<u8>(thumb_len)?,
                masks: device.alloc::<u8>(mask_len * self.batch)?,
                host_masks: vec![0u8; mask_len * self.batch],
                input: device.alloc::<f32>(self.batch * self.session.input_len())?,
                pending: Vec::with_capacity(self.batch),
                sampled: 0,
                stats: DetectStats::default(),
                fps: if clip.fps > 0.0 { clip.fps } else { 20.0 },
            },
        })
    }

    /// Feeds one access unit of `pass`'s clip and handles the pictures it displays;
    /// `false` once the clip is fully decoded.
    fn step(
        &mut self,
        device: &GpuDevice,
        pass: &mut ClipPass<'_>,
        emit: &mut dyn FnMut(SampledFrame) -> bool,
    ) -> Result<bool, AcceleratorError> {
        let ClipPass { decoder, state } = pass;
        let more = decoder.pump(&mut |index, picture| self.sample(device, state, index, picture, emit))?;
        let job = state.job;
        if let Some(camera) = job.ce.camera_index(&job.camera) {
            job.ce.progress.set_detect_frames(camera, state.stats.decoded_frames);
        }
        Ok(more)
    }

    /// Handles one displayed picture of `pass`'s clip.
    fn sample(
        &mut self,
        device: &GpuDevice,
        pass: &mut ClipState<'_>,
        index: u64,
        picture: &DisplayedPicture<'_>,
        emit: &mut dyn FnMut(SampledFrame) -> bool,
    ) -> Result<(), AcceleratorError> {
        pass.stats.decoded_frames += 1;
        if !index.is_multiple_of(u64::from(self.frame_interval)) {
            return Ok(());
        }
        let clip = &pass.job.clip;
        let (mapped, mut nv12) = map_picture(picture, &clip.path)?;
        nv12.width = nv12.width.min(clip.width as i32);
        nv12.height = nv12.height.min(clip.height as i32);
        let stream = &device.stream;
        let slot = pass.pending.len();
        let thumbnail = address(&pass.thumbnail, stream);
        let motion_buffers = MotionBuffers {
            blurred: address(&pass.blurred, stream),
            average: address(&pass.background, stream),
            moving: address(&pass.moving, stream),
        };
        let slot_input =
            address(&pass.input, stream) + (slot * self.session.input_len() * std::mem::size_of::<f32>()) as u64;
        let slot_mask = address(&pass.masks, stream) + (slot * pass.mask_len) as u64;
        let (thumb_width, thumb_height) = pass.thumb_size;
        let kernels = &device.kernels;
        kernels
            .letterbox_chw(stream, &nv12, &pass.letterbox, slot_input)
            .and_then(|()| kernels.grey_thumbnail(stream, &nv12, thumbnail, thumb_width, thumb_height))
            .and_then(|()| {
                kernels.motion_background(
                    stream,
                    thumbnail,
                    &motion_buffers,
                    thumb_width,
                    thumb_height,
                    self.motion_alpha,
                    DEFAULT_DIFF_THRESHOLD,
                    pass.sampled == 0,
                    slot_mask,
                )
            })
            .map_err(|err| device.error(err))?;
        // The surface goes back to the decoder only once the kernels have read it.
        device.synchronize()?;
        mapped.unmap().map_err(|err| device.error(err))?;
        pass.pending.push(PendingFrame {
            frame_number: index,
            timestamp_sec: index as f64 / pass.fps,
            has_motion: pass.sampled > 0,
        });
        pass.sampled += 1;
        if pass.pending.len() == self.batch {
            self.flush(device, pass, emit)?;
        }
        Ok(())
    }

    /// Flushes the last partial batch of a finished clip.
    fn finish(
        &mut self,
        device: &GpuDevice,
        pass: &mut ClipState<'_>,
        emit: &mut dyn FnMut(SampledFrame) -> bool,
    ) -> Result<DetectStats, AcceleratorError> {
        self.flush(device, pass, emit)?;
        if pass.stats.decoded_frames == 0 {
            return Err(AcceleratorError::Frame {
                clip: pass.job.clip.path.clone(),
                message: "no frame could be decoded".into(),
            });
        }
        Ok(pass.stats)
    }

    /// Runs the detector on the pending frames, downloads detections and masks, and
    /// emits the frames in order.
    fn flush(
        &mut self,
        device: &GpuDevice,
        pass: &mut ClipState<'_>,
        emit: &mut dyn FnMut(SampledFrame) -> bool,
    ) -> Result<(), AcceleratorError> {
        if pass.pending.is_empty() {
            return Ok(());
        }
        // Every run carries a full batch (unused slots keep stale input), so the device sees
        // one input shape: one set of CUDA kernels, one TensorRT engine.
        let run_batch = self.batch;
        let stream = &device.stream;
        let output_shape = batch_output_shape(&self.single_output_shape, run_batch);
        let input = DeviceTensor {
            address: address(&pass.input, stream),
            len: pass.input.len(),
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
            .and_then(|()| stream.memcpy_dtoh(&pass.masks, pass.host_masks.as_mut_slice()))
            .map_err(|err| device.error(format!("download of detections: {err}")))?;
        device.synchronize()?;
        let clip = &pass.job.clip.path;
        let frame_error = |message: String| AcceleratorError::Frame {
            clip: clip.clone(),
            message,
        };
        let (mask_width, mask_height) = pass.thumb_size;
        for (slot, frame) in pass.pending.drain(..).enumerate() {
            let detections = self
                .postprocess
                .detections(&self.host_output, slot, &pass.letterbox)
                .map_err(|err| frame_error(err.to_string()))?;
            let motion = if frame.has_motion {
                let bits = pass.host_masks[slot * pass.mask_len..(slot + 1) * pass.mask_len].to_vec();
                Some(MotionMask::from_bits(mask_width, mask_height, bits).map_err(|err| frame_error(err.to_string()))?)
            } else {
                None
            };
            pass.stats.sampled_frames += 1;
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
