//! A clip's NVDEC decoder positioned at the picture shown at the latest time asked for,
//! for rendering: it only moves forward, maps only the pictures asked for, and keeps each
//! one in a device buffer of its own so that it can be shown again (a clip with fewer
//! frames per second than the output, or one that ended early).

use super::clip_decoder::{map_picture, GpuClipDecoder};
use super::device::GpuDevice;
use crate::accelerator::AcceleratorError;
use crate::gpu::kernels::Nv12Picture;
use crate::media::probe::ClipMetadata;
use cudarc::driver::CudaSlice;
use std::sync::Arc;

/// A picture copied out of the decoder.
struct KeptPicture {
    /// Display index.
    index: u64,
    /// Luma rows then chroma rows, `pitch` bytes each.
    pixels: CudaSlice<u8>,
    /// The picture as the kernels take it (addresses into `pixels`).
    described: Nv12Picture,
}

/// The render cursor of one clip.
pub struct GpuClipCursor {
    /// The clip's metadata.
    clip: Arc<ClipMetadata>,
    /// The decoder; `None` once the clip has ended.
    decoder: Option<GpuClipDecoder>,
    /// Pictures kept, in display order: the one shown now, and any displayed past it in
    /// the same step (the end of a stream displays several at once).
    kept: Vec<KeptPicture>,
    /// Buffers of pictures no longer needed, reused.
    spare: Vec<CudaSlice<u8>>,
}

impl GpuClipCursor {
    /// Opens the clip's decoder.
    pub fn open(device: &GpuDevice, clip: Arc<ClipMetadata>) -> Result<Self, AcceleratorError> {
        let decoder = GpuClipDecoder::open(&device.context, &device.nvdec, &device.stream, &clip.path)?;
        Ok(Self {
            clip,
            decoder: Some(decoder),
            kept: Vec::new(),
            spare: Vec::new(),
        })
    }

    /// Advances to the picture shown at `t` seconds and describes it for the kernels.
    pub fn frame_at(&mut self, device: &GpuDevice, t: f64) -> Result<Nv12Picture, AcceleratorError> {
        let fps = if self.clip.fps > 0.0 { self.clip.fps } else { 20.0 };
        let last = self.clip.frame_count.saturating_sub(1);
        let target = ((t * fps + 1e-6).floor().max(0.0) as u64).min(last);
        while self.kept.last().is_none_or(|kept| kept.index < target) {
            let Some(decoder) = self.decoder.as_mut() else { break };
            let clip_path = self.clip.path.clone();
            let (kept, spare) = (&mut self.kept, &mut self.spare);
            let more = decoder.pump(&mut |index, picture| {
                if index < target {
                    return Ok(());
                }
                let (mapped, _) = map_picture(picture, &clip_path)?;
                let pixels = match spare.pop() {
                    Some(buffer) if buffer.len() >= mapped.byte_len() => buffer,
                    _ => device.alloc::<u8>(mapped.byte_len())?,
                };
                let described = mapped.copy_into(&pixels).map_err(|err| device.error(err))?;
                mapped.unmap().map_err(|err| device.error(err))?;
                kept.push(KeptPicture {
                    index,
                    described,
                    pixels,
                });
                Ok(())
            })?;
            if !more {
                self.decoder = None;
            }
        }
        // Keep the latest picture at or before the target; earlier ones are done with.
        let shown = self.kept.iter().rposition(|kept| kept.index <= target).unwrap_or(0);
        for done in self.kept.drain(..shown) {
            self.spare.push(done.pixels);
        }
        let picture = self.kept.first().ok_or_else(|| AcceleratorError::Decode {
            clip: self.clip.path.clone(),
            message: "no frame could be decoded".into(),
        })?;
        Ok(Nv12Picture {
            width: picture.described.width.min(self.clip.width as i32),
            height: picture.described.height.min(self.clip.height as i32),
            ..picture.described
        })
    }
}
