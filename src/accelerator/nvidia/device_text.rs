//! Text stamped on device frames: the string rasterised on the CPU by the shared
//! [`TextOverlay`] (so both backends draw the same pixels), uploaded only when it changes,
//! and blended by the text kernel.

use super::device::{address, GpuDevice};
use crate::accelerator::AcceleratorError;
use crate::render::text_overlay::TextOverlay;
use cudarc::driver::CudaSlice;

/// The sprite of the last text, on the device.
struct DeviceSprite {
    /// The text and frame height it was rasterised for.
    key: (String, u32),
    /// Fill coverage.
    fill: CudaSlice<u8>,
    /// Outline coverage.
    outline: CudaSlice<u8>,
    /// Width and height.
    size: (u32, u32),
    /// Corner position in the frame.
    origin: u32,
}

/// Stamps text on RGB frames in device memory.
pub struct DeviceText {
    /// Rasterises the text.
    overlay: TextOverlay,
    /// The last uploaded sprite.
    sprite: Option<DeviceSprite>,
}

impl DeviceText {
    /// A stamper with the bundled font.
    pub fn new(device: &GpuDevice) -> Result<Self, AcceleratorError> {
        Ok(Self {
            overlay: TextOverlay::new().map_err(|err| device.error(err))?,
            sprite: None,
        })
    }

    /// Draws `text` at the top-left of the `size` RGB frame at `frame` (rows of
    /// `size.0 × 3` bytes), as [`TextOverlay::draw`] would.
    pub fn stamp(
        &mut self,
        device: &GpuDevice,
        text: &str,
        frame: u64,
        size: (u32, u32),
    ) -> Result<(), AcceleratorError> {
        let key = (text.to_string(), size.1);
        if self.sprite.as_ref().is_none_or(|sprite| sprite.key != key) {
            let view = self.overlay.sprite(text, size.1);
            let upload = |bytes: &[u8]| {
                device
                    .stream
                    .clone_htod(bytes)
                    .map_err(|err| device.error(format!("upload of a text sprite: {err}")))
            };
            self.sprite = Some(DeviceSprite {
                fill: upload(view.fill)?,
                outline: upload(view.outline)?,
                size: (view.width, view.height),
                origin: view.origin,
                key,
            });
        }
        let sprite = self.sprite.as_ref().expect("uploaded above");
        let stream = &device.stream;
        device
            .kernels
            .blend_text(
                stream,
                frame,
                size.0 * 3,
                size,
                address(&sprite.fill, stream),
                address(&sprite.outline, stream),
                sprite.size,
                sprite.origin,
            )
            .map_err(|err| device.error(err))
    }
}
