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
    /// A driver-wide query (no device yet) failed.
    #[error("CUDA driver: {operation} failed: {source}")]
    DriverQuery {
        /// The query.
        operation: &'static str,
        /// The driver's error code and text.
        source: DriverError,
    },
    /// A second stream was asked of a context opened for one stream only.
    #[error("CUDA device {ordinal}: this context queues all its work on one stream; no other may be made")]
    SingleStream {
        /// The device ordinal.
        ordinal: usize,
    },
}

/// The CUDA context of one device, owned by the thread that opened it.
#[derive(Debug, Clone)]
pub struct GpuContext {
    /// cudarc's handle; kernels, streams and allocations are made through it.
    context: Arc<CudaContext>,
    /// Opened by [`GpuContext::open_single_stream`]: its one stream is handed out, no other.
    single_stream: bool,
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
            single_stream: false,
            _owner_thread: PhantomData,
        })
    }

    /// Opens device `ordinal` for an owner that queues all its work on one stream, and that
    /// stream. cudarc's per-buffer events, which order work across streams, are turned off: with
    /// one stream nothing needs them, and each costs driver calls per buffer use. The context
    /// refuses to make a second stream ([`GpuContextError::SingleStream`]), which keeps that true.
    pub fn open_single_stream(ordinal: usize) -> Result<(Self, Arc<CudaStream>), GpuContextError> {
        let mut context = Self::open(ordinal)?;
        let stream = context.new_stream()?;
        // SAFETY: event tracking only orders a buffer's uses across streams; every buffer of
        // this context is used on `stream`, the only stream it will make (checked in
        // `new_stream`), where the stream's own order holds.
        unsafe { context.context.disable_event_tracking() };
        context.single_stream = true;
        Ok((context, stream))
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
        if self.single_stream {
            return Err(GpuContextError::SingleStream {
                ordinal: self.ordinal(),
            });
        }
        self.context
            .new_stream()
            .map_err(|source| self.error("create stream", source))
    }

    /// cudarc's context, for streams, allocations and kernel launches.
    pub fn cuda(&self) -> &Arc<CudaContext> {
        &self.context
    }

    /// The CUDA version the driver supports, as (major, minor), e.g. (13, 0).
    pub fn driver_version() -> Result<(i32, i32), GpuContextError> {
        // SAFETY: only probes whether the driver library can be loaded by name.
        if !unsafe { cudarc::driver::sys::is_culib_present() } {
            return Err(GpuContextError::DriverNotFound);
        }
        let mut version = 0;
        // SAFETY: the driver library is present (checked above); the out-pointer is a live local.
        let code = unsafe { cudarc::driver::sys::cuDriverGetVersion(&mut version) };
        code.result().map_err(|source| GpuContextError::DriverQuery {
            operation: "cuDriverGetVersion",
            source,
        })?;
        Ok((version / 1000, (version % 1000) / 10))
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
