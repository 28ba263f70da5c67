//! The device state of one GPU owner: its CUDA context, the one stream all of its work is
//! queued on, its compiled kernels and the NVDEC entry points.
//!
//! Owns opening all of that on the owner thread and turning driver failures into
//! [`AcceleratorError`]s that name the device. One stream keeps every step of a frame
//! (mapping, kernels, inference, downloads) ordered without events; NVDEC engines still
//! work in parallel with it, since decoding is queued independently of the stream.

use crate::accelerator::AcceleratorError;
use crate::gpu::cuda_context::GpuContext;
use crate::gpu::kernels::GpuKernels;
use crate::gpu::nvdec::{query_decoder_caps, NvcuvidApi, NvdecCodec};
use cudarc::driver::{CudaSlice, CudaStream, DevicePtr, DeviceRepr, ValidAsZeroBits};
use std::sync::Arc;

/// What one GPU owner holds of its device.
pub struct GpuDevice {
    /// The context, current on the owner thread.
    pub context: GpuContext,
    /// The owner's stream.
    pub stream: Arc<CudaStream>,
    /// The image kernels.
    pub kernels: GpuKernels,
    /// NVDEC.
    pub nvdec: Arc<NvcuvidApi>,
    /// NVDEC engines of the device (H.264), i.e. clips worth decoding at once.
    pub decode_engines: usize,
}

impl GpuDevice {
    /// Opens device `ordinal` on the calling thread: context, stream, kernels, NVDEC.
    pub fn open(ordinal: usize) -> Result<Self, String> {
        let (context, stream) = GpuContext::open_single_stream(ordinal).map_err(|err| err.to_string())?;
        let kernels = GpuKernels::compile(&context).map_err(|err| err.to_string())?;
        let nvdec = Arc::new(NvcuvidApi::load().map_err(|err| err.to_string())?);
        let caps = query_decoder_caps(&nvdec, &context, NvdecCodec::H264).map_err(|err| err.to_string())?;
        Ok(Self {
            context,
            stream,
            kernels,
            nvdec,
            decode_engines: (caps.engine_count as usize).max(1),
        })
    }

    /// The CUDA device ordinal.
    pub fn ordinal(&self) -> usize {
        self.context.ordinal()
    }

    /// An error of this device.
    pub fn error(&self, message: impl std::fmt::Display) -> AcceleratorError {
        AcceleratorError::Gpu {
            device: self.ordinal(),
            message: message.to_string(),
        }
    }

    /// A zeroed device buffer of `len` elements.
    pub fn alloc<T: DeviceRepr + ValidAsZeroBits>(&self, len: usize) -> Result<CudaSlice<T>, AcceleratorError> {
        self.stream
            .alloc_zeros(len.max(1))
            .map_err(|err| self.error(format!("allocating {len} elements: {err}")))
    }

    /// Waits for everything queued on the stream.
    pub fn synchronize(&self) -> Result<(), AcceleratorError> {
        self.stream
            .synchronize()
            .map_err(|err| self.error(format!("stream synchronize: {err}")))
    }
}

/// The device address of `buffer` (event tracking is off, so nothing is recorded).
pub fn address<T>(buffer: &CudaSlice<T>, stream: &CudaStream) -> u64 {
    let (address, _record) = buffer.device_ptr(stream);
    address
}
