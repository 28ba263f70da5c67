//! Class-aware greedy non-maximum suppression of detector candidates.
//!
//! Owns the rule that removes duplicate boxes of the same object: the
//! best-scoring box of a class wins and suppresses every box of that class
//! overlapping it by more than the IoU threshold. It works on plain boxes in
//! any pixel space and knows nothing of tensors, letterboxes or labels.

use crate::detect::yolo_output::Candidate;

/// IoU above which a same-class box is a duplicate (Ultralytics' default).
pub const DEFAULT_IOU_THRESHOLD: f32 = 0.45;

/// Intersection over union of two `[x1, y1, x2, y2]` boxes; 0 when either is empty.
pub fn iou(a: [f32; 4], b: [f32; 4]) -> f32 {
    let area = |r: [f32; 4]| (r[2] - r[0]).max(0.0) * (r[3] - r[1]).max(0.0);
    let intersection = [a[0].max(b[0]), a[1].max(b[1]), a[2].min(b[2]), a[3].min(b[3])];
    let overlap = area(intersection);
    let union = area(a) + area(b) - overlap;
    if union > 0.0 {
        overlap / union
    } else {
        0.0
    }
}

/// Keeps, class by class, the candidates not overlapping a better one of the
/// same class by more than `iou_threshold`. Candidates are visited by score
/// (highest first, ties by their input order), and the result is in that order.
pub fn class_aware_nms(candidates: &[Candidate], iou_threshold: f32) -> Vec<Candidate> {
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    // Stable sort: equal scores keep their input order.
    order.sort_by(|&a, &b| candidates[b].score.total_cmp(&candidates[a].score));
    let mut kept: Vec<Candidate> = Vec::new();
    for candidate in order.into_iter().map(|i| candidates[i]) {
        let duplicate = kept
            .iter()
            .any(|winner| winner.class_id == candidate.class_id && iou(winner.bbox, candidate.bbox) > iou_threshold);
        if !duplicate {
            kept.push(candidate);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(bbox: [f32; 4], class_id: usize, score: f32) -> Candidate {
        Candidate { bbox, class_id, score }
    }

    #[test]
    fn iou_of_a_hand_case() {
        // Overlap 5x5 = 25; union 100 + 100 - 25 = 175.
        let value = iou([0.0, 0.0, 10.0, 10.0], [5.0, 5.0, 15.0, 15.0]);
        assert!((value - 25.0 / 175.0).abs() < 1e-7, "{value}");
        assert_eq!(iou([0.0, 0.0, 10.0, 10.0], [10.0, 0.0, 20.0, 10.0]), 0.0);
        assert_eq!(iou([0.0, 0.0, 10.0, 10.0], [0.0, 0.0, 10.0, 10.0]), 1.0);
        assert_eq!(iou([0.0; 4], [0.0; 4]), 0.0);
    }

    #[test]
    fn overlapping_boxes_of_one_class_keep_the_best() {
        let weaker = candidate([1.0, 1.0, 11.0, 11.0], 0, 0.6);
        let best = candidate([0.0, 0.0, 10.0, 10.0], 0, 0.9);
        let apart = candidate([50.0, 50.0, 60.0, 60.0], 0, 0.3);
        let kept = class_aware_nms(&[weaker, best, apart], DEFAULT_IOU_THRESHOLD);
        assert_eq!(kept, vec![best, apart]);
    }

    #[test]
    fn overlapping_boxes_of_different_classes_are_both_kept() {
        let person = candidate([0.0, 0.0, 10.0, 10.0], 0, 0.9);
        let dog = candidate([0.0, 0.0, 10.0, 10.0], 16, 0.8);
        assert_eq!(
            class_aware_nms(&[dog, person], DEFAULT_IOU_THRESHOLD),
            vec![person, dog]
        );
    }

    #[test]
    fn overlap_at_the_threshold_is_not_suppressed() {
        // IoU 25/175 = 0.142857...: suppressed only when the threshold is below it.
        let a = candidate([0.0, 0.0, 10.0, 10.0], 0, 0.9);
        let b = candidate([5.0, 5.0, 15.0, 15.0], 0, 0.8);
        assert_eq!(class_aware_nms(&[a, b], 0.15).len(), 2);
        assert_eq!(class_aware_nms(&[a, b], 0.14), vec![a]);
    }

    #[test]
    fn equal_scores_keep_input_order() {
        let first = candidate([0.0, 0.0, 10.0, 10.0], 0, 0.5);
        let second = candidate([0.0, 0.0, 10.0, 9.0], 0, 0.5);
        assert_eq!(class_aware_nms(&[first, second], DEFAULT_IOU_THRESHOLD), vec![first]);
        assert_eq!(class_aware_nms(&[second, first], DEFAULT_IOU_THRESHOLD), vec![second]);
    }
}
