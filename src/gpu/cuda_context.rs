//! The CUDA context of one GPU-owner thread.
//!
//! Owns opening a device's (primary) CUDA context through cudarc and keeping it current
//! on the thread that opened it. It does no decoding, no kernels and no memory
//! management of its own; those take a [`GpuContext`] to prove the context exists and is
//! current.
//!
//! Ownership: a [`GpuContext`] is neither `Send` nor `Sync`. It is opened on the
//! GPU-owner thread, lives there, and everything built from it (NVDEC sessions, mapped
//! frames) inherits that, so no other thread can reach the GPU work. Two threads that
//! each call [`GpuContext::open`] for the same ordinal share the device's primary
//! context (reference-counted by the driver), each with its own handle.

use std::marker::PhantomData;
use std::sync::Arc;

use cudarc::driver::{CudaContext, CudaStream, DriverError};

/// The driver library cudarc loads; named in the error when it is missing.
const CUDA_DRIVER_LIBRARY: &str = "libcuda.so.1";

/// A failure to open or use a device's CUDA context.
#[derive(Debug, thiserror::Error)]
pub enum GpuContextError {
    /// The CUDA driver library cannot be loaded: no NVIDIA driver on this machine, or it
    /// is not on the loader's path.
    #[error("{CUDA_DRIVER_LIBRARY} not found: the NVIDIA driver is not installed or not on the library path")]
    DriverNotFound,
    /// A CUDA driver call failed for this device.
    #[error("CUDA device {ordinal}: {operation} failed: {source}")]
    Driver {
        /// The device ordinal, so the operator knows which GPU is at fault.
        ordinal: usize,
        /// What was being done (`open`, `make current`, `device name`, `create stream`).
        operation: &'static str,
        /// The driver's error code and text.
        source: DriverError,
    },
}

/// The CUDA context of one device, owned by the thread that opened it.
#[derive(Debug, Clone)]
pub struct GpuContext {
    /// cudarc's handle; kernels, streams and allocations are made through it.
    context: Arc<CudaContext>,
    /// Keeps the type neither `Send` nor `Sync`: GPU exclusivity comes from ownership by
    /// one thread, not from a lock.
    _owner_thread: PhantomData<*const ()>,
}

impl GpuContext {
    /// Opens device `ordinal`'s primary context and makes it current on this thread.
    pub fn open(ordinal: usize) -> Result<Self, GpuContextError> {
        // SAFETY: only probes whether the driver library can be loaded by name; the
        // handle is dropped before any symbol is used.
        if !unsafe { cudarc::driver::sys::is_culib_present() } {
            return Err(GpuContextError::DriverNotFound);
        }
        let context = CudaContext::new(ordinal).map_err(|source| GpuContextError::Driver {
            ordinal,
            operation: "open",
            source,
        })?;
        Ok(Self {
            context,
            _owner_thread: PhantomData,
        })
    }

    /// Makes this context current on the calling thread (a no-op when it already is).
    pub fn make_current(&self) -> Result<(), GpuContextError> {
        self.context
            .bind_to_thread()
            .map_err(|source| self.error("make current", source))
    }

    /// The device's ordinal.
    pub fn ordinal(&self) -> usize {
        self.context.ordinal()
    }

    /// The device's marketing name (for example `NVIDIA H100 80GB HBM3`).
    pub fn device_name(&self) -> Result<String, GpuContextError> {
        self.context.name().map_err(|source| self.error("device name", source))
    }

    /// A new CUDA stream on this device (non-blocking with respect to the default stream).
    pub fn new_stream(&self) -> Result<Arc<CudaStream>, GpuContextError> {
        self.context
            .new_stream()
            .map_err(|source| self.error("create stream", source))
    }

    /// cudarc's context, for streams, allocations and kernel launches.
    pub fn cuda(&self) -> &Arc<CudaContext> {
        &self.context
    }

    /// Wraps a driver error with this device's ordinal.
    fn error(&self, operation: &'static str, source: DriverError) -> GpuContextError {
        GpuContextError::Driver {
            ordinal: self.ordinal(),
            operation,
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_driver_message_names_the_library() {
        assert_eq!(
            GpuContextError::DriverNotFound.to_string(),
            "libcuda.so.1 not found: the NVIDIA driver is not installed or not on the library path"
        );
    }
}
