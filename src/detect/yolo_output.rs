//! Decoding of a YOLO-family detector's raw output tensor into candidate boxes.
//!
//! Owns the recognition of the two common output layouts from the tensor's
//! shape and the per-candidate class choice and confidence threshold. Boxes stay
//! in model-input pixels: mapping to native pixels (letterbox) and suppression
//! of duplicates (NMS) belong to other modules; running the model is not here.

use std::cmp::Ordering;
use std::fmt;

/// The two output layouts YOLO exporters produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayoutKind {
    /// `[B, 4+C, N]` (YOLOv8/v9/v11): one row per attribute — `cx, cy, w, h`,
    /// then `C` class scores — and no objectness.
    AttributeRows,
    /// `[B, N, 5+C]` (YOLOv5/v7): one row per candidate — `cx, cy, w, h`,
    /// objectness, then `C` class scores; a class's score is objectness × class score.
    CandidateRows,
}

/// The shape of a detector output tensor, understood.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputLayout {
    /// Which way round the attributes and candidates are stored.
    pub kind: LayoutKind,
    /// Number of images in the output the layout was read from (`B`). Each image is decoded
    /// on its own, and [`OutputLayout::decode`] takes an output of any whole number of
    /// images, so one layout serves every batch size of a dynamic-batch model.
    pub batch_size: usize,
    /// Number of classes the model scores (`C`), to check against the names file.
    pub num_classes: usize,
    /// Number of candidate boxes per image (`N`).
    pub num_candidates: usize,
}

/// A box proposed by the detector, before suppression of duplicates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// `[x1, y1, x2, y2]` in model-input pixels.
    pub bbox: [f32; 4],
    /// Index of the best-scoring class (into the names file).
    pub class_id: usize,
    /// Confidence of that class (× objectness for [`LayoutKind::CandidateRows`]).
    pub score: f32,
}

/// A tensor shape printed as `[1, 84, 3549]` in error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape(pub Vec<i64>);

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

/// Why an output tensor could not be understood or decoded.
#[derive(Debug, thiserror::Error)]
pub enum YoloOutputError {
    /// Not a `[B, rows, columns]` tensor of known size.
    #[error(
        "detector output shape {0} is not [batch, 4+classes, boxes] or [batch, boxes, 5+classes] with fixed sizes"
    )]
    UnsupportedShape(Shape),
    /// Both layouts fit equally well; the names file could not tell them apart.
    #[error("detector output shape {0} is ambiguous: cannot tell boxes from attributes (give the class count)")]
    Ambiguous(Shape),
    /// The layout's class count disagrees with the names file.
    #[error("detector output shape {shape} holds {found} classes but the names file lists {expected}")]
    ClassCountMismatch {
        /// The output tensor's shape.
        shape: Shape,
        /// Classes implied by the shape.
        found: usize,
        /// Classes in the names file.
        expected: usize,
    },
    /// The output buffer does not hold a whole number of the images the layout describes.
    #[error("detector output holds {actual} values, not a whole number of {image_len}-value images")]
    BufferLength {
        /// `(attributes) × N`, the values of one image.
        image_len: usize,
        /// Length handed in.
        actual: usize,
    },
    /// The batch index is past the end of the output.
    #[error("batch index {index} is out of range for a batch of {batch_size}")]
    BatchIndex {
        /// Index asked for.
        index: usize,
        /// Images in the output.
        batch_size: usize,
    },
}

/// Box coordinates come first in both layouts: `cx, cy, w, h`.
const BOX_ATTRIBUTES: usize = 4;

impl OutputLayout {
    /// Recognises the layout from the output tensor's shape: the larger of the
    /// two last dimensions is the number of boxes. `num_classes_hint` (the names
    /// file's length) settles a square shape and is checked against the result.
    pub fn from_shape(shape: &[i64], num_classes_hint: Option<usize>) -> Result<Self, YoloOutputError> {
        let shape_error = || YoloOutputError::UnsupportedShape(Shape(shape.to_vec()));
        let dims: Vec<usize> = shape
            .iter()
            .map(|&d| usize::try_from(d).ok().filter(|&d| d > 0))
            .collect::<Option<_>>()
            .ok_or_else(shape_error)?;
        let &[batch_size, rows, columns] = dims.as_slice() else {
            return Err(shape_error());
        };
        let attribute_rows = |attributes: usize| {
            attributes.checked_sub(BOX_ATTRIBUTES).map(|num_classes| Self {
                kind: LayoutKind::AttributeRows,
                batch_size,
                num_classes,
                num_candidates: columns,
            })
        };
        let candidate_rows = |attributes: usize| {
            attributes.checked_sub(BOX_ATTRIBUTES + 1).map(|num_classes| Self {
                kind: LayoutKind::CandidateRows,
                batch_size,
                num_classes,
                num_candidates: rows,
            })
        };
        let layout = match rows.cmp(&columns) {
            Ordering::Less => attribute_rows(rows),
            Ordering::Greater => candidate_rows(columns),
            Ordering::Equal => {
                let fits = |layout: &Self| Some(layout.num_classes) == num_classes_hint;
                let by_hint = attribute_rows(rows)
                    .filter(fits)
                    .or_else(|| candidate_rows(columns).filter(fits));
                if by_hint.is_none() {
                    return Err(YoloOutputError::Ambiguous(Shape(shape.to_vec())));
                }
                by_hint
            }
        };
        let layout = layout.filter(|l| l.num_classes > 0).ok_or_else(shape_error)?;
        match num_classes_hint {
            Some(expected) if expected != layout.num_classes => Err(YoloOutputError::ClassCountMismatch {
                shape: Shape(shape.to_vec()),
                found: layout.num_classes,
                expected,
            }),
            _ => Ok(layout),
        }
    }

    /// Values per image: `(box attributes + objectness? + C) × N`.
    fn image_len(&self) -> usize {
        let objectness = usize::from(self.kind == LayoutKind::CandidateRows);
        (BOX_ATTRIBUTES + objectness + self.num_classes) * self.num_candidates
    }

    /// Decodes image `batch_index` of `output` (the whole row-major tensor) into
    /// candidates whose best class (arg-max over all classes, as Ultralytics
    /// does) is in `keep_classes` with a score of at least `threshold`, in
    /// candidate order.
    pub fn decode(
        &self,
        output: &[f32],
        batch_index: usize,
        keep_classes: &[usize],
        threshold: f32,
    ) -> Result<Vec<Candidate>, YoloOutputError> {
        let image_len = self.image_len();
        if output.is_empty() || !output.len().is_multiple_of(image_len) {
            return Err(YoloOutputError::BufferLength {
                image_len,
                actual: output.len(),
            });
        }
        let images = output.len() / image_len;
        if batch_index >= images {
            return Err(YoloOutputError::BatchIndex {
                index: batch_index,
                batch_size: images,
            });
        }
        let image = &output[batch_index * image_len..(batch_index + 1) * image_len];
        let keep = |class_id: usize, score: f32| score >= threshold && keep_classes.contains(&class_id);
        let candidates = match self.kind {
            LayoutKind::AttributeRows => self.decode_attribute_rows(image, keep),
            LayoutKind::CandidateRows => self.decode_candidate_rows(image, keep),
        };
        Ok(candidates)
    }

    /// `[4+C, N]`: class scores are read row by row (contiguous) to find each
    /// candidate's best class, then the kept candidates' boxes are gathered.
    fn decode_attribute_rows(&self, image: &[f32], keep: impl Fn(usize, f32) -> bool) -> Vec<Candidate> {
        let n = self.num_candidates;
        let (box_rows, class_rows) = image.split_at(BOX_ATTRIBUTES * n);
        let mut best_score = vec![f32::NEG_INFINITY; n];
        let mut best_class = vec![0usize; n];
        for (class_id, scores) in class_rows.chunks_exact(n).enumerate() {
            let best = best_score.iter_mut().zip(best_class.iter_mut());
            for ((best_score, best_class), &score) in best.zip(scores) {
                if score > *best_score {
                    *best_score = score;
                    *best_class = class_id;
                }
            }
        }
        (0..n)
            .filter(|&i| keep(best_class[i], best_score[i]))
            .map(|i| Candidate {
                bbox: corners(box_rows[i], box_rows[n + i], box_rows[2 * n + i], box_rows[3 * n + i]),
                class_id: best_class[i],
                score: best_score[i],
            })
            .collect()
    }

    /// `[N, 5+C]`: each candidate's attributes are contiguous.
    fn decode_candidate_rows(&self, image: &[f32], keep: impl Fn(usize, f32) -> bool) -> Vec<Candidate> {
        image
            .chunks_exact(BOX_ATTRIBUTES + 1 + self.num_classes)
            .filter_map(|row| {
                let objectness = row[BOX_ATTRIBUTES];
                let (class_id, class_score) = arg_max(&row[BOX_ATTRIBUTES + 1..])?;
                let score = objectness * class_score;
                keep(class_id, score).then(|| Candidate {
                    bbox: corners(row[0], row[1], row[2], row[3]),
                    class_id,
                    score,
                })
            })
            .collect()
    }
}

/// `cx, cy, w, h` → `[x1, y1, x2, y2]`.
fn corners(cx: f32, cy: f32, w: f32, h: f32) -> [f32; 4] {
    [cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0]
}

/// Index and value of the largest score (the first on ties); `None` when empty.
fn arg_max(scores: &[f32]) -> Option<(usize, f32)> {
    scores
        .iter()
        .copied()
        .enumerate()
        .fold(None, |best, (i, s)| match best {
            Some((_, b)) if b >= s => best,
            _ => Some((i, s)),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Candidates per image in the hand-built `[1, 4+C, N]` tensors; more than
    /// the attributes, so the shape reads as that layout.
    const N: usize = 8;

    /// Builds a `[1, 4+C, N]` tensor from per-candidate `(cx, cy, w, h, scores)`;
    /// the candidates after those given are all zero.
    fn attribute_rows_tensor(candidates: &[([f32; 4], Vec<f32>)]) -> Vec<f32> {
        let n = N;
        let attributes = 4 + candidates[0].1.len();
        let mut tensor = vec![0.0; attributes * n];
        for (i, (cxcywh, scores)) in candidates.iter().enumerate() {
            for (a, value) in cxcywh.iter().chain(scores).enumerate() {
                tensor[a * n + i] = *value;
            }
        }
        tensor
    }

    #[test]
    fn recognises_yolov8_layout() {
        let layout = OutputLayout::from_shape(&[1, 84, 3549], Some(80)).unwrap();
        assert_eq!(
            layout,
            OutputLayout {
                kind: LayoutKind::AttributeRows,
                batch_size: 1,
                num_classes: 80,
                num_candidates: 3549
            }
        );
    }

    #[test]
    fn recognises_yolov5_layout_and_batches() {
        let layout = OutputLayout::from_shape(&[4, 25200, 85], None).unwrap();
        assert_eq!(layout.kind, LayoutKind::CandidateRows);
        assert_eq!(
            (layout.batch_size, layout.num_classes, layout.num_candidates),
            (4, 80, 25200)
        );
    }

    #[test]
    fn bad_shapes_are_errors_naming_the_shape() {
        let err = OutputLayout::from_shape(&[84, 3549], None).unwrap_err();
        assert!(err.to_string().contains("[84, 3549]"), "{err}");
        let err = OutputLayout::from_shape(&[1, -1, 3549], None).unwrap_err();
        assert!(err.to_string().contains("[1, -1, 3549]"), "{err}");
        let err = OutputLayout::from_shape(&[1, 4, 3549], None).unwrap_err();
        assert!(matches!(err, YoloOutputError::UnsupportedShape(_)), "{err}");
        let err = OutputLayout::from_shape(&[1, 84, 84], None).unwrap_err();
        assert!(err.to_string().contains("[1, 84, 84] is ambiguous"), "{err}");
        let err = OutputLayout::from_shape(&[1, 84, 3549], Some(91)).unwrap_err();
        assert!(
            err.to_string().contains("holds 80 classes but the names file lists 91"),
            "{err}"
        );
    }

    #[test]
    fn class_count_settles_a_square_shape() {
        let v8 = OutputLayout::from_shape(&[1, 84, 84], Some(80)).unwrap();
        assert_eq!(v8.kind, LayoutKind::AttributeRows);
        let v5 = OutputLayout::from_shape(&[1, 84, 84], Some(79)).unwrap();
        assert_eq!((v5.kind, v5.num_candidates), (LayoutKind::CandidateRows, 84));
    }

    #[test]
    fn attribute_rows_keep_each_box_with_its_own_coordinates() {
        // Three candidates, two classes; candidate 1 is the only confident class-0 box.
        let tensor = attribute_rows_tensor(&[
            ([10.0, 20.0, 4.0, 6.0], vec![0.1, 0.2]),
            ([50.0, 60.0, 10.0, 20.0], vec![0.9, 0.3]),
            ([70.0, 80.0, 2.0, 2.0], vec![0.4, 0.8]),
        ]);
        let layout = OutputLayout::from_shape(&[1, 6, N as i64], Some(2)).unwrap();
        let only_class_0 = layout.decode(&tensor, 0, &[0], 0.25).unwrap();
        assert_eq!(
            only_class_0,
            vec![Candidate {
                bbox: [45.0, 50.0, 55.0, 70.0],
                class_id: 0,
                score: 0.9
            }]
        );
        // Candidate 2's best class is 1; class 0's 0.4 does not make it a class-0 box.
        let both = layout.decode(&tensor, 0, &[0, 1], 0.25).unwrap();
        assert_eq!(both.len(), 2);
        assert_eq!(both[1].bbox, [69.0, 79.0, 71.0, 81.0]);
        assert_eq!((both[1].class_id, both[1].score), (1, 0.8));
    }

    #[test]
    fn candidate_rows_multiply_objectness_and_decode_per_batch_index() {
        // [2, 7, 6]: 7 candidates of cx, cy, w, h, obj, 1 class score... only two are set.
        let mut tensor = vec![0.0f32; 2 * 7 * 6];
        tensor[3 * 6..4 * 6].copy_from_slice(&[100.0, 50.0, 20.0, 10.0, 0.5, 0.8]);
        let second_image = 7 * 6;
        tensor[second_image..second_image + 6].copy_from_slice(&[8.0, 8.0, 4.0, 4.0, 0.9, 0.2]);
        let layout = OutputLayout::from_shape(&[2, 7, 6], Some(1)).unwrap();
        let first = layout.decode(&tensor, 0, &[0], 0.25).unwrap();
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].bbox, [90.0, 45.0, 110.0, 55.0]);
        assert!((first[0].score - 0.4).abs() < 1e-6);
        // 0.9 × 0.2 = 0.18 is under the threshold.
        assert!(layout.decode(&tensor, 1, &[0], 0.25).unwrap().is_empty());
        assert_eq!(
            layout.decode(&tensor, 1, &[0], 0.1).unwrap()[0].bbox,
            [6.0, 6.0, 10.0, 10.0]
        );
    }

    #[test]
    fn threshold_is_inclusive() {
        let tensor = attribute_rows_tensor(&[([1.0, 1.0, 2.0, 2.0], vec![0.5])]);
        let layout = OutputLayout::from_shape(&[1, 5, N as i64], None).unwrap();
        assert_eq!(layout.decode(&tensor, 0, &[0], 0.5).unwrap().len(), 1);
    }

    #[test]
    fn wrong_buffer_or_batch_index_is_an_error() {
        let layout = OutputLayout::from_shape(&[1, 84, 100], None).unwrap();
        let err = layout.decode(&[0.0; 10], 0, &[0], 0.25).unwrap_err();
        assert!(
            err.to_string()
                .contains("holds 10 values, not a whole number of 8400-value images"),
            "{err}"
        );
        let err = layout.decode(&[], 0, &[0], 0.25).unwrap_err();
        assert!(matches!(err, YoloOutputError::BufferLength { .. }), "{err}");
        let err = layout.decode(&vec![0.0; 8400], 1, &[0], 0.25).unwrap_err();
        assert!(err.to_string().contains("batch index 1"), "{err}");
        let err = layout.decode(&vec![0.0; 3 * 8400], 3, &[0], 0.25).unwrap_err();
        assert!(
            err.to_string()
                .contains("batch index 3 is out of range for a batch of 3"),
            "{err}"
        );
    }

    #[test]
    fn a_layout_read_at_batch_one_decodes_every_image_of_a_larger_batch() {
        let layout = OutputLayout::from_shape(&[1, 5, N as i64], None).unwrap();
        let first = attribute_rows_tensor(&[([1.0, 1.0, 2.0, 2.0], vec![0.9])]);
        let second = attribute_rows_tensor(&[([30.0, 40.0, 10.0, 20.0], vec![0.8])]);
        let batch: Vec<f32> = first.iter().chain(&second).copied().collect();
        let decoded = layout.decode(&batch, 1, &[0], 0.5).unwrap();
        assert_eq!(decoded.len(), 1);
        assert_eq!(decoded[0].bbox, [25.0, 30.0, 35.0, 50.0]);
        assert_eq!(decoded[0].score, 0.8);
    }
}
