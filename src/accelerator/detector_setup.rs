//! What every backend does with a freshly loaded detector session: learn the output
//! layout from a warm-up run and build the post-processor for the configured labels and
//! thresholds.
//!
//! Owns that start-up step only; sessions are created by each backend on its own device.

use super::AcceleratorError;
use crate::config::DetectorConfig;
use crate::detect::labels::Labels;
use crate::detect::postprocess::Postprocessor;
use crate::detect::yolo_output::OutputLayout;
use crate::inference::{DetectorSession, InferenceError, ModelFile};

/// Warms `session` up and returns its one-run output shape and the post-processor.
pub fn prepare_detector(
    session: &mut DetectorSession,
    model: &ModelFile,
    labels: Labels,
    detector: &DetectorConfig,
) -> Result<(Vec<i64>, Postprocessor), AcceleratorError> {
    let output_shape = session.warm_up()?;
    let unsupported = |message: String| {
        AcceleratorError::Detector(InferenceError::UnsupportedModel {
            path: model.path.clone(),
            message,
        })
    };
    let layout =
        OutputLayout::from_shape(&output_shape, Some(labels.len())).map_err(|err| unsupported(err.to_string()))?;
    let postprocess = Postprocessor::new(
        layout,
        labels,
        &detector.labels,
        detector.confidence_threshold,
        detector.iou_threshold,
    )
    .map_err(|err| unsupported(err.to_string()))?;
    Ok((output_shape, postprocess))
}
