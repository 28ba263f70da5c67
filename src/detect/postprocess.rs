//! From a detector's raw output to sidecar detections in native pixels.
//!
//! Owns the chain decode → class-aware NMS → letterbox back to native pixels →
//! sidecar [`Detection`]s, and the settings it needs (layout, thresholds, kept
//! labels, names). It does not run the model and does no I/O.

use crate::detect::labels::{Labels, LabelsError};
use crate::detect::letterbox::Letterbox;
use crate::detect::nms::class_aware_nms;
use crate::detect::yolo_output::{OutputLayout, YoloOutputError};
use crate::sidecar::format::Detection;

/// Minimum confidence of a kept detection when the configuration says nothing.
pub const DEFAULT_CONFIDENCE_THRESHOLD: f32 = 0.25;

/// Why a postprocessor could not be built.
#[derive(Debug, thiserror::Error)]
pub enum PostprocessError {
    /// A kept label is not in the names file.
    #[error(transparent)]
    Labels(#[from] LabelsError),
    /// The model scores a different number of classes than the names file names.
    #[error("the detector scores {model} classes but the names file lists {names}")]
    ClassCountMismatch {
        /// Classes in the output layout.
        model: usize,
        /// Names in the names file.
        names: usize,
    },
}

/// Turns one model output into the detections written to a sidecar.
#[derive(Debug, Clone)]
pub struct Postprocessor {
    /// Layout of the model's output tensor.
    layout: OutputLayout,
    /// Minimum score of a kept detection.
    threshold: f32,
    /// IoU above which a same-class box is a duplicate.
    iou_threshold: f32,
    /// Class ids of the configured labels; other classes are dropped.
    keep_classes: Vec<usize>,
    /// Names of the classes, to label the detections.
    labels: Labels,
}

impl Postprocessor {
    /// Builds a postprocessor keeping `keep_labels` (names from `labels`); the
    /// layout's class count must match the names file.
    pub fn new<S: AsRef<str>>(
        layout: OutputLayout,
        labels: Labels,
        keep_labels: &[S],
        threshold: f32,
        iou_threshold: f32,
    ) -> Result<Self, PostprocessError> {
        if layout.num_classes != labels.len() {
            return Err(PostprocessError::ClassCountMismatch {
                model: layout.num_classes,
                names: labels.len(),
            });
        }
        let keep_classes = labels.class_ids(keep_labels)?;
        Ok(Self {
            layout,
            threshold,
            iou_threshold,
            keep_classes,
            labels,
        })
    }

    /// Detections of image `batch_index` of `output`, best first, in the native
    /// pixels of the frame `letterbox` was built for: boxes clamped to the
    /// frame and rounded to 2 decimals; boxes left empty by clamping (wholly in
    /// the padding) are dropped.
    pub fn detections(
        &self,
        output: &[f32],
        batch_index: usize,
        letterbox: &Letterbox,
    ) -> Result<Vec<Detection>, YoloOutputError> {
        let candidates = self
            .layout
            .decode(output, batch_index, &self.keep_classes, self.threshold)?;
        let detections = class_aware_nms(&candidates, self.iou_threshold)
            .into_iter()
            .filter_map(|candidate| {
                let bbox = letterbox
                    .to_native(candidate.bbox.map(f64::from))
                    .map(round_to_hundredths);
                let has_area = bbox[2] > bbox[0] && bbox[3] > bbox[1];
                has_area.then(|| {
                    // `keep_classes` came from `labels`, so the id names a class.
                    let label = &self.labels.names()[candidate.class_id];
                    Detection::new(label.as_str(), candidate.score, bbox)
                })
            })
            .collect();
        Ok(detections)
    }
}

fn round_to_hundredths(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::nms::DEFAULT_IOU_THRESHOLD;

    /// `[1, 6, 8]` YOLOv8-style output (2 classes, 8 candidates) with the given
    /// `(cx, cy, w, h, person, car)` candidates first.
    fn output(candidates: &[[f32; 6]]) -> Vec<f32> {
        let mut tensor = vec![0.0; 6 * 8];
        for (i, values) in candidates.iter().enumerate() {
            for (attribute, value) in values.iter().enumerate() {
                tensor[attribute * 8 + i] = *value;
            }
        }
        tensor
    }

    fn postprocessor(keep: &[&str]) -> Postprocessor {
        let layout = OutputLayout::from_shape(&[1, 6, 8], Some(2)).unwrap();
        let labels = Labels::from_names_text("person\ncar\n");
        Postprocessor::new(
            layout,
            labels,
            keep,
            DEFAULT_CONFIDENCE_THRESHOLD,
            DEFAULT_IOU_THRESHOLD,
        )
        .unwrap()
    }

    #[test]
    fn detections_are_in_native_pixels_and_deduplicated() {
        // 1920x1080 into 416x416: scale 416/1920, 91 rows of padding on top.
        let letterbox = Letterbox::new(1920, 1080, 416, 416).unwrap();
        let tensor = output(&[
            [208.0, 208.0, 104.0, 52.0, 0.9, 0.1],
            [209.0, 208.0, 104.0, 52.0, 0.8, 0.1], // duplicate of the first
            [100.0, 100.0, 20.0, 20.0, 0.1, 0.7],  // a car: not kept
        ]);
        let detections = postprocessor(&["person"]).detections(&tensor, 0, &letterbox).unwrap();
        assert_eq!(detections.len(), 1);
        let person = &detections[0];
        assert_eq!(person.label, "person");
        assert_eq!(person.score, 0.9);
        // x: (156 - 0) × 1920/416 = 720, (260) → 1200; y: (182 - 91) × 1920/416 = 420, (234 - 91) → 660.
        assert_eq!(person.bbox, [720.0, 420.0, 1200.0, 660.0]);
        assert_eq!(person.area, Some(480 * 240));
        assert_eq!(person.centerpoint, Some([960.0, 540.0]));
    }

    #[test]
    fn boxes_are_clamped_rounded_and_empty_ones_dropped() {
        let letterbox = Letterbox::new(1920, 1080, 416, 416).unwrap();
        let tensor = output(&[
            [10.0, 100.0, 40.0, 10.0, 0.9, 0.0], // sticks out on the left
            [200.0, 40.0, 50.0, 20.0, 0.8, 0.0], // wholly in the top padding
            [300.0, 200.0, 1.0, 1.0, 0.7, 0.0],  // fractional native coordinates
        ]);
        let detections = postprocessor(&["person"]).detections(&tensor, 0, &letterbox).unwrap();
        assert_eq!(detections.len(), 2);
        // x2 = 30 × 4.6153846 = 138.4615... → 138.46; y = (95 - 91) × 4.6153846 = 18.4615... → 18.46.
        assert_eq!(detections[0].bbox, [0.0, 18.46, 138.46, 64.62]);
        // x1 = 299.5 × 4.6153846 = 1382.3077 → 1382.31; y1 = 108.5 × 4.6153846 = 500.7692 → 500.77.
        assert_eq!(detections[1].bbox, [1382.31, 500.77, 1386.92, 505.38]);
    }

    #[test]
    fn names_must_match_the_model_and_kept_labels_must_exist() {
        let layout = OutputLayout::from_shape(&[1, 6, 8], None).unwrap();
        let three = Labels::from_names_text("person\ncar\ndog\n");
        let err = Postprocessor::new(layout, three, &["person"], 0.25, 0.45).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the detector scores 2 classes but the names file lists 3"
        );
        let two = Labels::from_names_text("person\ncar\n");
        let err = Postprocessor::new(layout, two, &["horse"], 0.25, 0.45).unwrap_err();
        assert!(err.to_string().contains("`horse`"), "{err}");
    }
}
