//! GPU rendering of the AI analysis frames: each planned frame is its camera's picture at
//! `t`, cut from NV12 (crop, or the whole picture letterboxed) by the crop kernel into the
//! AI frame size, stamped `"<date time> | <camera> | i/N"` by the text kernel and encoded
//! to JPEG by nvJPEG, so only the JPEG bytes leave the device.

use super::clip_cursor::GpuClipCursor;
use super::device::{address, GpuDevice};
use super::device_text::DeviceText;
use crate::accelerator::AcceleratorError;
use crate::ai::{capped_to_max_width, AiFrameJpeg, AI_FRAME_SIZE, AI_JPEG_QUALITY};
use crate::flow::messages::AiFramesJob;
use crate::gpu::nvjpeg::NvjpegEncoder;
use crate::render::crop_resize::{clamp_into_source, letterbox_rect, CropRect, PixelRect};
use crate::render::timestamp::ai_frame_label;
use crate::timeline::AiCrop;
use cudarc::driver::CudaSlice;
use std::collections::HashMap;

/// AI frame render state of the GPU backend.
pub struct GpuAiRender {
    /// Output size.
    size: (u32, u32),
    /// The output frame, RGB, on the device.
    canvas: CudaSlice<u8>,
    /// Stamps the label.
    text: DeviceText,
    /// nvJPEG on the owner's stream.
    jpeg: NvjpegEncoder,
}

impl GpuAiRender {
    /// Render state on `device`; fails when nvJPEG cannot be loaded.
    pub fn new(device: &GpuDevice) -> Result<Self, AcceleratorError> {
        let size = capped_to_max_width(AI_FRAME_SIZE);
        let jpeg = NvjpegEncoder::new(&device.stream).map_err(|err| device.error(err))?;
        Ok(Self {
            size,
            canvas: device.alloc::<u8>(size.0 as usize * size.1 as usize * 3)?,
            text: DeviceText::new(device)?,
            jpeg,
        })
    }

    /// Renders every frame of the job, in order.
    pub fn run(&mut self, device: &GpuDevice, job: &AiFramesJob) -> Result<Vec<AiFrameJpeg>, AcceleratorError> {
        let (width, height) = self.size;
        let stream = &device.stream;
        let canvas = address(&self.canvas, stream);
        let pitch = width * 3;
        let mut cursors: HashMap<&str, GpuClipCursor> = HashMap::new();
        let total = job.frames.len();
        let mut out = Vec::with_capacity(total);
        for (index, frame) in job.frames.iter().enumerate() {
            let camera = frame.camera.as_str();
            let clip = job
                .clips
                .get(camera)
                .ok_or_else(|| AcceleratorError::UnknownCamera(camera.to_string()))?;
            if !cursors.contains_key(camera) {
                cursors.insert(camera, GpuClipCursor::open(device, clip.clone())?);
            }
            let picture = cursors
                .get_mut(camera)
                .expect("inserted above")
                .frame_at(device, frame.t)?;
            let (source_width, source_height) = (picture.width as u32, picture.height as u32);
            let (crop, region) = match frame.crop {
                AiCrop::Crop(rect) => {
                    let crop = clamp_into_source(CropRect::from(rect), source_width, source_height).map_err(|err| {
                        AcceleratorError::Frame {
                            clip: clip.path.clone(),
                            message: err.to_string(),
                        }
                    })?;
                    (
                        crop,
                        PixelRect {
                            left: 0,
                            top: 0,
                            width,
                            height,
                        },
                    )
                }
                AiCrop::Letterbox => {
                    let whole = CropRect {
                        x: 0.0,
                        y: 0.0,
                        width: f64::from(source_width),
                        height: f64::from(source_height),
                    };
                    (whole, letterbox_rect(source_width, source_height, width, height))
                }
            };
            let kernels = &device.kernels;
            if (region.width, region.height) != (width, height) {
                kernels
                    .fill_rgb(stream, canvas, pitch, width, height, 0)
                    .map_err(|err| device.error(err))?;
            }
            kernels
                .crop_resize_rgb(stream, &picture, crop, canvas, pitch, region)
                .map_err(|err| device.error(err))?;
            let label = ai_frame_label(job.ce.start_epoch + frame.t, camera, index + 1, total);
            self.text.stamp(device, &label, canvas, (width, height))?;
            let jpeg = self
                .jpeg
                .encode_rgb_interleaved(canvas, pitch as usize, width, height, AI_JPEG_QUALITY)
                .map_err(|err| device.error(err))?;
            out.push(AiFrameJpeg {
                camera: frame.camera.clone(),
                timestamp_sec: frame.t,
                jpeg,
            });
        }
        Ok(out)
    }
}
