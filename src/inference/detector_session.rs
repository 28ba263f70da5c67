//! An ONNX Runtime session of a YOLO-family detector.
//!
//! Owns the session and what was learnt from the model's signature: input
//! name and size, whether the batch dimension is fixed, the output name.
//! Pre- and post-processing live in `detect`.

use super::onnxruntime_library::OnnxRuntime;
use super::{InferenceError, ModelFile};
use ort::session::Session;
use ort::value::{TensorRef, ValueType};
use std::path::PathBuf;

/// How many frames one run may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchSupport {
    /// The model's batch dimension is fixed at this size.
    Fixed(usize),
    /// The batch dimension is dynamic.
    Dynamic,
}

/// A loaded detector.
pub struct DetectorSession {
    /// The ONNX Runtime session.
    pub(super) session: Session,
    /// Model file, for messages.
    pub(super) model_path: PathBuf,
    /// Name of the image input.
    pub(super) input_name: String,
    /// Name of the detections output.
    pub(super) output_name: String,
    /// Model input width in pixels.
    pub input_width: u32,
    /// Model input height in pixels.
    pub input_height: u32,
    /// Batch capability of the model.
    pub batch: BatchSupport,
}

impl DetectorSession {
    /// Creates a CPU session for `model` with `threads` intra-op threads (0: default).
    pub fn new_cpu(runtime: &OnnxRuntime, model: &ModelFile, threads: usize) -> Result<Self, InferenceError> {
        let mut builder = Session::builder(&runtime.environment)?;
        if threads > 0 {
            builder = builder.with_intra_threads(threads).map_err(ort::Error::from)?;
        }
        let session = builder.commit_from_memory(&model.bytes)?;
        Self::from_session(session, model.path.clone())
    }

    pub(super) fn from_session(session: Session, model_path: PathBuf) -> Result<Self, InferenceError> {
        let unsupported = |message: String| InferenceError::UnsupportedModel {
            path: model_path.clone(),
            message,
        };
        let input = session
            .inputs()
            .first()
            .ok_or_else(|| unsupported("has no inputs".into()))?;
        let output = session
            .outputs()
            .first()
            .ok_or_else(|| unsupported("has no outputs".into()))?;
        let shape: Vec<i64> = match input.dtype() {
            ValueType::Tensor { shape, .. } => shape.iter().copied().collect(),
            other => {
                return Err(unsupported(format!(
                    "input '{}' is not a tensor ({other:?})",
                    input.name()
                )))
            }
        };
        if shape.len() != 4 || shape[1] != 3 {
            return Err(unsupported(format!(
                "input '{}' has shape {shape:?}; expected [batch, 3, height, width]",
                input.name()
            )));
        }
        let (height, width) = (shape[2], shape[3]);
        if height <= 0 || width <= 0 {
            return Err(unsupported(format!(
                "input '{}' has dynamic spatial size {shape:?}; export the model with a fixed image size",
                input.name()
            )));
        }
        let batch = match shape[0] {
            n if n > 0 => BatchSupport::Fixed(n as usize),
            _ => BatchSupport::Dynamic,
        };
        Ok(Self {
            input_name: input.name().to_string(),
            output_name: output.name().to_string(),
            input_width: width as u32,
            input_height: height as u32,
            batch,
            session,
            model_path,
        })
    }

    /// Largest batch a run may carry, given the preferred size.
    pub fn max_batch(&self, preferred: usize) -> usize {
        match self.batch {
            BatchSupport::Fixed(n) => n,
            BatchSupport::Dynamic => preferred.max(1),
        }
    }

    /// Runs one all-zero batch (the smallest allowed) and returns the output
    /// shape: models often declare symbolic output dimensions, the real shape
    /// tells the output layout. It also makes the first real frame fast.
    pub fn warm_up(&mut self) -> Result<Vec<i64>, InferenceError> {
        let batch = self.max_batch(1);
        let input = vec![0.0f32; batch * self.input_len()];
        let mut output = Vec::new();
        self.run(&input, batch, &mut output)
    }

    /// Number of floats of one frame's input (`3 × height × width`).
    pub fn input_len(&self) -> usize {
        3 * self.input_width as usize * self.input_height as usize
    }

    /// Runs `batch` CHW frames laid end to end in `input`; copies the output
    /// into `output` and returns its shape.
    pub fn run(&mut self, input: &[f32], batch: usize, output: &mut Vec<f32>) -> Result<Vec<i64>, InferenceError> {
        let shape = [batch as i64, 3, self.input_height as i64, self.input_width as i64];
        let tensor = TensorRef::from_array_view((shape, input))?;
        let outputs = self.session.run(ort::inputs![self.input_name.as_str() => tensor])?;
        let value = outputs
            .get(self.output_name.as_str())
            .ok_or_else(|| InferenceError::UnsupportedModel {
                path: self.model_path.clone(),
                message: format!("output '{}' missing from the run's results", self.output_name),
            })?;
        let (out_shape, data) = value.try_extract_tensor::<f32>()?;
        output.clear();
        output.extend_from_slice(data);
        Ok(out_shape.iter().copied().collect())
    }
}
