//! Running the detector on buffers that stay in device memory (ONNX Runtime IO binding).
//!
//! Owns binding a device input batch and a device output buffer to a GPU session and
//! running it. The caller owns both buffers, queued the work that fills the input on the
//! stream the session's provider runs on, and reads the output after that stream: no
//! host copy is made here, and nothing is synchronised beyond what ONNX Runtime does.

use super::detector_session::DetectorSession;
use super::InferenceError;
use ort::memory::{AllocationDevice, AllocatorType, MemoryInfo, MemoryType};
use ort::session::IoBinding;
use ort::value::{Shape, TensorRefMut};
use ort::AsPointer;
use std::ffi::{CStr, CString};

/// A device buffer handed to ONNX Runtime: address and element count (f32).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceTensor {
    /// Device address.
    pub address: u64,
    /// Capacity in floats.
    pub len: usize,
}

/// The output shape of a `batch`-frame run, from the shape a one-frame run reported.
pub fn batch_output_shape(single: &[i64], batch: usize) -> Vec<i64> {
    let mut shape = single.to_vec();
    if let Some(first) = shape.first_mut() {
        *first = batch as i64;
    }
    shape
}

/// Floats in a tensor of `shape`.
pub fn element_count(shape: &[i64]) -> usize {
    shape.iter().map(|&dim| dim.max(0) as usize).product()
}

impl DetectorSession {
    /// Runs `batch` frames already in `input` (CHW floats, end to end) and writes the
    /// detections into `output`, whose shape is `output_shape`. Both live on `device`.
    pub fn run_on_device(
        &mut self,
        device: usize,
        input: DeviceTensor,
        batch: usize,
        output: DeviceTensor,
        output_shape: &[i64],
    ) -> Result<(), InferenceError> {
        let input_shape = [
            batch as i64,
            3,
            i64::from(self.input_height),
            i64::from(self.input_width),
        ];
        let too_small = |what: &str, needed: usize, len: usize| {
            InferenceError::Runtime(format!(
                "{what} device buffer holds {len} floats, the run needs {needed}"
            ))
        };
        if element_count(&input_shape) > input.len {
            return Err(too_small("input", element_count(&input_shape), input.len));
        }
        if element_count(output_shape) > output.len {
            return Err(too_small("output", element_count(output_shape), output.len));
        }
        let memory = || {
            MemoryInfo::new(
                AllocationDevice::CUDA,
                device as i32,
                AllocatorType::Device,
                MemoryType::Default,
            )
        };
        // SAFETY: both addresses are live device allocations on `device` of at least the
        // element counts checked above; the tensors only live until the run returns.
        let (input_tensor, output_tensor) = unsafe {
            (
                TensorRefMut::<f32>::from_raw(memory()?, input.address as *mut _, Shape::new(input_shape))?,
                TensorRefMut::<f32>::from_raw(memory()?, output.address as *mut _, Shape::new(output_shape.to_vec()))?,
            )
        };
        let mut binding = self.session.create_binding()?;
        bind(&mut binding, Slot::Input, &self.input_name, input_tensor.ptr())?;
        bind(&mut binding, Slot::Output, &self.output_name, output_tensor.ptr())?;
        self.session.run_binding(&binding)?;
        Ok(())
    }
}

/// Which side of the model a buffer is bound to.
#[derive(Debug, Clone, Copy)]
enum Slot {
    /// A model input.
    Input,
    /// A model output.
    Output,
}

/// Binds a device tensor through ONNX Runtime's C API. (The `ort` crate's own binding
/// copies borrowed tensors first, through a helper session that itself binds, which
/// would deadlock on the device tensors used here and defeat binding them at all.)
fn bind(
    binding: &mut IoBinding,
    slot: Slot,
    name: &str,
    value: *const ort::sys::OrtValue,
) -> Result<(), InferenceError> {
    let c_name =
        CString::new(name).map_err(|_| InferenceError::Runtime(format!("tensor name {name:?} contains a NUL byte")))?;
    let api = ort::api();
    // SAFETY: the binding and the value are live ONNX Runtime objects for the call, and
    // the name is a NUL-terminated string; ONNX Runtime keeps its own reference to the value.
    let status = unsafe {
        match slot {
            Slot::Input => (api.BindInput)(binding.ptr_mut(), c_name.as_ptr(), value),
            Slot::Output => (api.BindOutput)(binding.ptr_mut(), c_name.as_ptr(), value),
        }
    };
    if status.0.is_null() {
        return Ok(());
    }
    // SAFETY: a non-null status is an error object owned by the caller: read, then released.
    let message = unsafe {
        let text = CStr::from_ptr((api.GetErrorMessage)(status.0))
            .to_string_lossy()
            .into_owned();
        (api.ReleaseStatus)(status.0);
        text
    };
    Err(InferenceError::Runtime(format!("binding {slot:?} '{name}': {message}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_replaces_the_leading_dimension() {
        assert_eq!(batch_output_shape(&[1, 84, 3549], 8), vec![8, 84, 3549]);
        assert_eq!(element_count(&[8, 84, 3549]), 8 * 84 * 3549);
        assert_eq!(element_count(&[]), 1);
    }
}
