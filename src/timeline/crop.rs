//! The crop of one camera at one time (SPEC §7, before smoothing).
//!
//! Owns the choice of what the crop follows (nearest entry, the 5 s hold,
//! the motion fallback, the frame centre), the area-weighted centre and the
//! zoom and no-zoom size rules. It looks at one instant only: smoothing across
//! slices is `smoothing`, interpolation between slice ends is `rect`.

use super::cameras::CameraSidecar;
use super::params::PlanParams;
use super::rect::{even_side, scaled_to_fit, CropRect};
use crate::sidecar::format::{box_center, Sidecar, SidecarEntry};

/// Each side of the union of boxes is pushed out by this share of the union's
/// width (left, right) or height (top, bottom), at least 1 px (SPEC §7).
const CONTENT_PADDING_SHARE: f64 = 0.10;

/// A zoomed crop side is never below this share of the source side (SPEC §7).
const MIN_CROP_SIDE_SHARE: f64 = 0.4;

/// A box the crop follows, in native pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
struct FocusBox {
    /// `[x1, y1, x2, y2]`; the box's centre is its midpoint (a stored
    /// `centerpoint` is not used, as the predecessor did not).
    bbox: [f64; 4],
    /// Weight of the box's centre: its area as recorded in the sidecar.
    area: f64,
}

/// The raw crop of `camera` at time `t` (SPEC §7): centred on the
/// area-weighted centre of the followed boxes, sized by the zoom rule when
/// `tracking_target_frame_percent > 0` and the boxes' union has an area,
/// else by the no-zoom rule, and clamped inside the native frame.
pub fn crop_at(camera: &CameraSidecar, t: f64, params: &PlanParams) -> CropRect {
    let frame = camera.native;
    let boxes = focus_boxes(&camera.sidecar, t, &params.label, params.hold_window_sec);
    let Some(center) = weighted_center(&boxes) else {
        let frame_center = [f64::from(frame.0) / 2.0, f64::from(frame.1) / 2.0];
        return CropRect::centered(frame_center, scaled_to_fit(params.output_size, frame), frame);
    };
    let zoomed = if params.tracking_target_frame_percent > 0.0 {
        zoom_size(&boxes, frame, params)
    } else {
        None
    };
    let size = zoomed.unwrap_or_else(|| scaled_to_fit(params.output_size, frame));
    CropRect::centered(center, size, frame)
}

/// The boxes the crop follows at `t`: the `label` detections of the nearest
/// entry; if it has none, those of the nearest entry with one no further than
/// `hold_window_sec` from `t` (ties: the earlier entry); if none, the largest
/// motion box of the nearest entry (ties: the first listed); else nothing.
fn focus_boxes(sidecar: &Sidecar, t: f64, label: &str, hold_window_sec: f64) -> Vec<FocusBox> {
    let Some(nearest) = sidecar.nearest_entry_index(t).map(|i| &sidecar.entries[i]) else {
        return Vec::new();
    };
    let people = |entry: &SidecarEntry| -> Vec<FocusBox> {
        entry
            .detections
            .iter()
            .filter(|d| d.label == label)
            .map(|d| FocusBox {
                bbox: d.bbox,
                area: d.area() as f64,
            })
            .collect()
    };
    let in_nearest = people(nearest);
    if !in_nearest.is_empty() {
        return in_nearest;
    }
    if let Some(held) = nearest_entry_with_label(sidecar, t, label, hold_window_sec) {
        return people(held);
    }
    let largest_motion = nearest
        .motion
        .iter()
        .reduce(|best, m| if m.area > best.area { m } else { best });
    largest_motion
        .map(|m| FocusBox {
            bbox: m.bbox,
            area: m.area as f64,
        })
        .into_iter()
        .collect()
}

/// The entry with a `label` detection whose timestamp is nearest to `t`,
/// within `window_sec` of it (inclusive); ties go to the earlier entry.
fn nearest_entry_with_label<'a>(
    sidecar: &'a Sidecar,
    t: f64,
    label: &str,
    window_sec: f64,
) -> Option<&'a SidecarEntry> {
    let entries = &sidecar.entries;
    let first = entries.partition_point(|e| e.timestamp_sec < t - window_sec);
    let end = entries.partition_point(|e| e.timestamp_sec <= t + window_sec);
    entries[first..end.max(first)]
        .iter()
        .filter(|e| e.detections.iter().any(|d| d.label == label))
        .reduce(|best, e| {
            if (e.timestamp_sec - t).abs() < (best.timestamp_sec - t).abs() {
                e
            } else {
                best
            }
        })
}

/// Area-weighted mean of the box midpoints, a box of area 0 or less
/// weighing 1 (the predecessor's rule); `None` without boxes.
fn weighted_center(boxes: &[FocusBox]) -> Option<[f64; 2]> {
    if boxes.is_empty() {
        return None;
    }
    let weight = |b: &FocusBox| if b.area > 0.0 { b.area } else { 1.0 };
    let (sum_x, sum_y, total) = boxes.iter().fold((0.0, 0.0, 0.0), |(x, y, total), b| {
        let [cx, cy] = box_center(b.bbox);
        (x + cx * weight(b), y + cy * weight(b), total + weight(b))
    });
    Some([sum_x / total, sum_y / total])
}

/// SPEC §7 zoom rule, in the predecessor's arithmetic: content = union of
/// `boxes` (folded from `[frame_w, frame_h, 0, 0]`), each side padded by 10 %
/// of the union's width/height (at least 1 px), clipped to the frame; crop
/// area = content area / (percent / 100) at the output aspect; each side
/// `int(side)` clamped to `[max(1, int(0.4 × source side)), source side]` and
/// made even (`rect::even_side`). `None` (no zoom) when the union or the
/// padded, clipped content has no area.
fn zoom_size(boxes: &[FocusBox], frame: (u32, u32), params: &PlanParams) -> Option<(u32, u32)> {
    let (frame_w, frame_h) = (f64::from(frame.0), f64::from(frame.1));
    let union = boxes.iter().fold([frame_w, frame_h, 0.0, 0.0], |[x1, y1, x2, y2], b| {
        [
            x1.min(b.bbox[0]),
            y1.min(b.bbox[1]),
            x2.max(b.bbox[2]),
            y2.max(b.bbox[3]),
        ]
    });
    if union[0] >= union[2] || union[1] >= union[3] {
        return None;
    }
    let pad_x = (CONTENT_PADDING_SHARE * (union[2] - union[0])).max(1.0);
    let pad_y = (CONTENT_PADDING_SHARE * (union[3] - union[1])).max(1.0);
    let content_w = (union[2] + pad_x).min(frame_w) - (union[0] - pad_x).max(0.0);
    let content_h = (union[3] + pad_y).min(frame_h) - (union[1] - pad_y).max(0.0);
    let content_area = content_w * content_h;
    if content_area <= 0.0 {
        return None;
    }
    let crop_area = content_area / (params.tracking_target_frame_percent / 100.0);
    let aspect = f64::from(params.output_size.0) / f64::from(params.output_size.1);
    let min_side = |source: f64| ((MIN_CROP_SIDE_SHARE * source).trunc() as u32).max(1);
    Some((
        even_side((crop_area * aspect).sqrt(), min_side(frame_w), frame.0),
        even_side((crop_area / aspect).sqrt(), min_side(frame_h), frame.1),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::cameras::test_support::{camera, entry};

    fn crop(cam: &CameraSidecar, t: f64) -> [u32; 4] {
        crop_at(cam, t, &PlanParams::default()).into()
    }

    fn one_person(native: (u32, u32), bbox: [f64; 4]) -> CameraSidecar {
        camera("a", native, vec![entry(0.0, &[bbox], &[])])
    }

    #[test]
    fn single_box_zoom_by_hand() {
        // Union 500×600, padded 50/60 → [650,240,1250,960] = 600×720 = 432000;
        // /0.4 = 1080000; 4:3 → 1200×900; centre (950,600) → x 350, y 150.
        let cam = one_person((1920, 1080), [700.0, 300.0, 1200.0, 900.0]);
        assert_eq!(crop(&cam, 0.0), [350, 150, 1200, 900]);
    }

    #[test]
    fn small_box_hits_the_minimum_side_and_the_top_left_edge() {
        // Content 240×480 = 115200 → 288000 → w 619.7 → 768 (0.4×1920),
        // h 464.76 → even 464; centre (200,300): x −184 → 0, y 68.
        let cam = one_person((1920, 1080), [100.0, 100.0, 300.0, 500.0]);
        assert_eq!(crop(&cam, 0.0), [0, 68, 768, 464]);
    }

    #[test]
    fn clamps_at_the_bottom_right_edge_with_both_minimum_sides() {
        // Content 120×192 → 57600 → 277×208 → 768×432; centre (1850,980):
        // x 1466 → 1152, y 764 → 648.
        let cam = one_person((1920, 1080), [1800.0, 900.0, 1900.0, 1060.0]);
        assert_eq!(crop(&cam, 0.0), [1152, 648, 768, 432]);
    }

    #[test]
    fn large_content_is_capped_at_the_full_source_sides() {
        let cam = one_person((1920, 1080), [0.0, 0.0, 1920.0, 1080.0]);
        assert_eq!(crop(&cam, 0.0), [0, 0, 1920, 1080]);
    }

    #[test]
    fn sides_are_even_on_an_odd_source() {
        // Full-source sides 1921×1081 become 1920×1080 (lowest bit cleared);
        // centre (960.5,540.5) → x int(0.5) = 0, y 0 (rounding would give 1).
        let cam = one_person((1921, 1081), [0.0, 0.0, 1921.0, 1081.0]);
        assert_eq!(crop(&cam, 0.0), [0, 0, 1920, 1080]);
    }

    #[test]
    fn odd_truncated_sides_drop_their_lowest_bit() {
        // Box 601×301 at [100,100,701,401]: union padded by 60.1/30.1 →
        // 721.2×361.2 = 260497.4 px² → /0.4 = 651243.6 → w sqrt(868324.8) =
        // 931.8 → 931 → 930, h sqrt(488432.7) = 698.9 → 698. Centre
        // (400.5,250.5) → x int(400.5 − 465) → 0, y int(250.5 − 349) → 0.
        let cam = one_person((1920, 1080), [100.0, 100.0, 701.0, 401.0]);
        assert_eq!(crop(&cam, 0.0), [0, 0, 930, 698]);
        // The same box at [1000,500,1601,801]: centre (1300.5,650.5) →
        // x int(835.5) = 835, y int(301.5) = 301.
        let cam = one_person((1920, 1080), [1000.0, 500.0, 1601.0, 801.0]);
        assert_eq!(crop(&cam, 0.0), [835, 301, 930, 698]);
    }

    #[test]
    fn two_boxes_use_the_area_weighted_centre() {
        // Areas 10000 at (150,150) and 40000 at (500,200): centre (430,190).
        // Union 500×200 padded → 600×240 = 144000 → 360000 → w 692.8 → 768
        // (the minimum, int(0.4 × 1920)), h int(519.6) = 519 → 518;
        // corner int(430 − 384) = 46, int(190 − 259) → 0.
        let cam = camera(
            "a",
            (1920, 1080),
            vec![entry(
                0.0,
                &[[100.0, 100.0, 200.0, 200.0], [400.0, 100.0, 600.0, 300.0]],
                &[],
            )],
        );
        assert_eq!(crop(&cam, 0.0), [46, 0, 768, 518]);
    }

    fn held_camera() -> CameraSidecar {
        camera(
            "a",
            (1920, 1080),
            vec![
                entry(0.0, &[[700.0, 300.0, 1200.0, 900.0]], &[]),
                entry(4.0, &[], &[]),
                entry(6.0, &[], &[]),
            ],
        )
    }

    #[test]
    fn hold_reaches_a_person_up_to_five_seconds_away() {
        let cam = held_camera();
        assert_eq!(crop(&cam, 4.0), [350, 150, 1200, 900]);
        // Exactly 5 s (nearest entry 4.0 wins the tie with 6.0, and is empty).
        assert_eq!(crop(&cam, 5.0), [350, 150, 1200, 900]);
    }

    #[test]
    fn beyond_the_hold_the_frame_centre_is_used() {
        // Nearest entry 6.0 is empty and the person at 0.0 is 6 s away:
        // no motion either, so the output size 1440×1080 is centred.
        assert_eq!(crop(&held_camera(), 6.0), [240, 0, 1440, 1080]);
    }

    #[test]
    fn hold_prefers_the_nearer_person_entry() {
        let cam = camera(
            "a",
            (1920, 1080),
            vec![
                entry(0.0, &[[0.0, 0.0, 100.0, 100.0]], &[]),
                entry(3.0, &[], &[]),
                entry(4.0, &[[700.0, 300.0, 1200.0, 900.0]], &[]),
            ],
        );
        assert_eq!(crop(&cam, 2.6), [350, 150, 1200, 900]);
    }

    #[test]
    fn motion_fallback_follows_the_largest_motion_box() {
        // Motion 300×300 at (1150,650), padded → 360×360 = 129600 → 324000 →
        // w 657.3 → 768, h 492.95 → 492; x 766, y 404.
        let cam = camera(
            "a",
            (1920, 1080),
            vec![entry(
                0.0,
                &[],
                &[[0.0, 0.0, 100.0, 100.0], [1000.0, 500.0, 1300.0, 800.0]],
            )],
        );
        assert_eq!(crop(&cam, 0.0), [766, 404, 768, 492]);
    }

    #[test]
    fn centre_fallback_scales_the_output_down_for_a_small_source() {
        let cam = camera("a", (1280, 720), Vec::new());
        // 1440×1080 scaled by 2/3 → 960×720, centred.
        assert_eq!(crop(&cam, 3.0), [160, 0, 960, 720]);
    }

    #[test]
    fn zero_target_percent_keeps_the_output_size() {
        let cam = one_person((1920, 1080), [700.0, 300.0, 1200.0, 900.0]);
        let params = PlanParams {
            tracking_target_frame_percent: 0.0,
            ..PlanParams::default()
        };
        // Centre (950,600): x 230, y 60 → clamped to 0.
        assert_eq!(<[u32; 4]>::from(crop_at(&cam, 0.0, &params)), [230, 0, 1440, 1080]);
    }

    #[test]
    fn zero_area_boxes_weigh_one_and_centres_are_bbox_midpoints() {
        // Areas 0 (weight 1) at midpoint (100,50) and 3 at midpoint (300,150):
        // x = (100 + 3·300) / 4 = 250, y = (50 + 3·150) / 4 = 125.
        let point = FocusBox {
            bbox: [100.0, 50.0, 100.0, 50.0],
            area: 0.0,
        };
        let small = FocusBox {
            bbox: [299.0, 149.0, 301.0, 151.0],
            area: 3.0,
        };
        assert_eq!(weighted_center(&[point, small]), Some([250.0, 125.0]));
        assert_eq!(weighted_center(&[]), None);
    }

    #[test]
    fn the_centre_is_the_bbox_midpoint_not_the_stored_centerpoint() {
        // bbox [700,300,1200,900] has midpoint (950,600); the sidecar says
        // (100,100). Size as in `single_box_zoom_by_hand` (1200×900), so the
        // corner is int(950 − 600) = 350, int(600 − 450) = 150.
        let mut cam = one_person((1920, 1080), [700.0, 300.0, 1200.0, 900.0]);
        let sidecar = std::sync::Arc::make_mut(&mut cam.sidecar);
        sidecar.entries[0].detections[0].centerpoint = Some([100.0, 100.0]);
        assert_eq!(crop(&cam, 0.0), [350, 150, 1200, 900]);
    }

    #[test]
    fn other_labels_do_not_steer_the_crop() {
        let mut only_car = entry(0.0, &[], &[]);
        only_car.detections.push(crate::sidecar::format::Detection::new(
            "car",
            0.9,
            [0.0, 0.0, 200.0, 200.0],
        ));
        let cam = camera("a", (1920, 1080), vec![only_car]);
        assert_eq!(crop(&cam, 0.0), [240, 0, 1440, 1080]);
    }
}
