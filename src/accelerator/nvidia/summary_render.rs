//! GPU rendering of the summary video: one NVDEC decoder per clip for the whole CE,
//! advanced only forward; each output frame is the picture shown at `t`, cropped and
//! resized (Catmull-Rom) by a kernel straight from NV12, stamped by the text kernel with
//! a sprite rasterised on the CPU only when the text changes, and downloaded once into
//! a pooled buffer for the encoder feeder, already converted to the encoder's YUV 4:2:0.

use super::clip_cursor::GpuClipCursor;
use super::device::{address, GpuDevice};
use super::device_text::DeviceText;
use crate::accelerator::AcceleratorError;
use crate::config::SummaryConfig;
use crate::encode::PixelFormat;
use crate::flow::frame_pool::{FramePool, PooledBuffer};
use crate::flow::messages::CompileJob;
use crate::render::crop_resize::{clamp_into_source, CropRect, PixelRect};
use crate::render::timestamp::summary_label;
use cudarc::driver::CudaSlice;
use std::collections::HashMap;

/// Output frames in flight: the encoder queue plus the one being drawn.
const OUTPUT_POOL_EXTRA: usize = 2;

/// Render state of the GPU backend, reused across CEs.
pub struct GpuSummaryRenderer {
    /// Output format and overlay switch.
    summary: SummaryConfig,
    /// Stamps the timestamp.
    text: DeviceText,
    /// Host buffers handed to the encoder feeder.
    pool: FramePool,
    /// The output frame on the device, RGB.
    frame: CudaSlice<u8>,
    /// The output frame converted for the encoder (YUV 4:2:0).
    planes: CudaSlice<u8>,
}

impl GpuSummaryRenderer {
    /// Render state for `summary` on `device`.
    pub fn new(device: &GpuDevice, summary: SummaryConfig, queued_frames: usize) -> Result<Self, AcceleratorError> {
        let (width, height) = (summary.width, summary.height);
        let encoded_len = PixelFormat::Yuv420p.frame_len(width, height);
        Ok(Self {
            summary,
            text: DeviceText::new(device)?,
            pool: FramePool::new(queued_frames + OUTPUT_POOL_EXTRA, encoded_len),
            frame: device.alloc::<u8>(PixelFormat::Rgb24.frame_len(width, height))?,
            planes: device.alloc::<u8>(encoded_len)?,
        })
    }

    /// Renders every frame of the job's plan, in order.
    pub fn run(
        &mut self,
        device: &GpuDevice,
        job: &CompileJob,
        emit: &mut dyn FnMut(PooledBuffer) -> bool,
    ) -> Result<u64, AcceleratorError> {
        let (width, height) = (self.summary.width, self.summary.height);
        let pitch = width * 3;
        let stream = &device.stream;
        let frame_address = address(&self.frame, stream);
        let whole_frame = PixelRect {
            left: 0,
            top: 0,
            width,
            height,
        };
        let mut cursors: HashMap<&str, GpuClipCursor> = HashMap::new();
        let mut frames = 0u64;
        for planned in job.plan.frame_times() {
            let clip = job
                .clips
                .get(planned.camera)
                .ok_or_else(|| AcceleratorError::UnknownCamera(planned.camera.to_string()))?;
            if !cursors.contains_key(planned.camera) {
                cursors.insert(planned.camera, GpuClipCursor::open(device, clip.clone())?);
            }
            let cursor = cursors.get_mut(planned.camera).expect("inserted above");
            let picture = cursor.frame_at(device, planned.t)?;
            let frame_error = |message: String| AcceleratorError::Frame {
                clip: clip.path.clone(),
                message,
            };
            let crop = CropRect::from(planned.crop);
            let crop = clamp_into_source(crop, picture.width as u32, picture.height as u32)
                .map_err(|err| frame_error(err.to_string()))?;
            device
                .kernels
                .crop_resize_rgb(stream, &picture, crop, frame_address, pitch, whole_frame)
                .map_err(|err| device.error(err))?;
            if self.summary.timestamp_overlay {
                let label = summary_label(job.ce.start_epoch + planned.t, planned.camera);
                self.text.stamp(device, &label, frame_address, (width, height))?;
            }
            device
                .kernels
                .rgb_to_i420(
                    stream,
                    frame_address,
                    pitch,
                    (width, height),
                    address(&self.planes, stream),
                )
                .map_err(|err| device.error(err))?;
            let mut out = self.pool.acquire();
            stream
                .memcpy_dtoh(&self.planes, out.vec_mut().as_mut_slice())
                .map_err(|err| device.error(format!("download of a summary frame: {err}")))?;
            device.synchronize()?;
            frames += 1;
            if frames % 100 == 1 {
                tracing::debug!(
                    frames,
                    camera = planned.camera,
                    t = planned.t,
                    "GPU summary render progress"
                );
            }
            if !emit(out) {
                return Err(AcceleratorError::DownstreamClosed);
            }
        }
        Ok(frames)
    }
}
