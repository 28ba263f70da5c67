//! Smoothing of the crop path across the slices of the summary (SPEC §7).
//!
//! Owns the zoom-scalar EMA over consecutive slices of one camera, the
//! hand-over of each slice's end crop to the next slice's start, and the hold
//! before a cut. It does not compute the raw crops (`crop`) and does not move
//! crop centres: only sizes are smoothed.
//!
//! How a smoothed scalar `z` becomes a rectangle: the crop area is
//! `z² × frame_w × frame_h` at the output aspect (`w = sqrt(area × aspect)`,
//! `h = sqrt(area / aspect)`); if that does not fit the frame both sides are
//! scaled down by the same factor until it does (so the rendered picture is
//! never stretched); each side is made even (`rect::even_side`); the rectangle
//! is centred on the raw crop's centre and clamped inside the frame
//! (`CropRect::centered`). Every crop of the plan therefore has the output
//! aspect up to even rounding, while the raw zoom rule's per-side clamps
//! (which can distort the aspect) only feed the scalar.

use super::rect::{even_side, CropRect};

/// The two crops of one slice, with what is needed to smooth them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SliceCrops {
    /// Index of the slice's camera; a change between neighbours is a cut.
    pub camera: usize,
    /// Native `(width, height)` of the camera's frame.
    pub frame: (u32, u32),
    /// Crop at the slice's start time.
    pub start: CropRect,
    /// Crop at the slice's end time.
    pub end: CropRect,
}

/// Smooths `slices` (in plan order, raw crops in) and returns them with the
/// smoothed crops.
///
/// For each run of consecutive slices on one camera, the raw crops at the
/// run's boundary times — the first slice's start, then every slice's end —
/// give zoom scalars `z_j = sqrt(w·h / (frame_w·frame_h))`, smoothed as
/// `s_0 = z_0`, `s_j = α·z_j + (1 − α)·s_{j−1}` (the EMA restarts at every
/// camera change). Each slice's start is the previous slice's end (the run's
/// first slice starts at `s_0`). A run followed by another camera ends with a
/// held crop: its last slice gets `end = start`. The plan's final run is not
/// followed by a cut and is not held.
pub fn smooth_slice_crops(slices: &[SliceCrops], output_size: (u32, u32), alpha: f64) -> Vec<SliceCrops> {
    let aspect = f64::from(output_size.0) / f64::from(output_size.1);
    let runs: Vec<&[SliceCrops]> = slices.chunk_by(|a, b| a.camera == b.camera).collect();
    let mut smoothed = Vec::with_capacity(slices.len());
    for (run_index, run) in runs.iter().enumerate() {
        let frame = run[0].frame;
        let mut ema: Option<f64> = None;
        let mut smooth = |raw: &CropRect| {
            let z = zoom_scalar(raw, frame);
            let s = ema.map_or(z, |previous| alpha * z + (1.0 - alpha) * previous);
            ema = Some(s);
            rect_for_scalar(s, raw.center(), frame, aspect)
        };
        let mut start = smooth(&run[0].start);
        for slice in run.iter() {
            let end = smooth(&slice.end);
            smoothed.push(SliceCrops { start, end, ..*slice });
            start = end;
        }
        let followed_by_cut = run_index + 1 < runs.len();
        if let (true, Some(last)) = (followed_by_cut, smoothed.last_mut()) {
            last.end = last.start;
        }
    }
    smoothed
}

/// `sqrt(crop area / frame area)`: 1 for the full frame, 0.5 for a crop of
/// half the width and half the height.
fn zoom_scalar(crop: &CropRect, frame: (u32, u32)) -> f64 {
    let frame_area = (f64::from(frame.0) * f64::from(frame.1)).max(1.0);
    (f64::from(crop.w) * f64::from(crop.h) / frame_area).sqrt()
}

/// The rectangle for zoom scalar `z` (see the module doc).
fn rect_for_scalar(z: f64, center: [f64; 2], frame: (u32, u32), aspect: f64) -> CropRect {
    let (frame_w, frame_h) = (f64::from(frame.0), f64::from(frame.1));
    let area = z * z * frame_w * frame_h;
    let (w, h) = ((area * aspect).sqrt(), (area / aspect).sqrt());
    let fit = (frame_w / w).min(frame_h / h).min(1.0);
    let size = (even_side(w * fit, frame.0), even_side(h * fit, frame.1));
    CropRect::centered(center, size, frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FOUR_THREE: (u32, u32) = (1600, 1200);

    fn rect(r: [u32; 4]) -> CropRect {
        r.into()
    }

    fn slice(camera: usize, start: [u32; 4], end: [u32; 4]) -> SliceCrops {
        SliceCrops {
            camera,
            frame: FOUR_THREE,
            start: rect(start),
            end: rect(end),
        }
    }

    fn crops(slices: &[SliceCrops]) -> Vec<([u32; 4], [u32; 4])> {
        slices.iter().map(|s| (s.start.into(), s.end.into())).collect()
    }

    #[test]
    fn ema_over_a_run_resets_at_a_cut_and_holds_before_it() {
        // Camera 0 boundaries: full frame (z 1), 800×600 at (400,300) (z 0.5),
        // 800×600 at (1200,900) (z 0.5) → s = 1, 0.875, 0.78125.
        // Camera 1 boundaries: 800×600 centred (z 0.5), full frame (z 1)
        // → s restarts at 0.5, then 0.625.
        let input = [
            slice(0, [0, 0, 1600, 1200], [0, 0, 800, 600]),
            slice(0, [0, 0, 800, 600], [800, 600, 800, 600]),
            slice(1, [400, 300, 800, 600], [0, 0, 1600, 1200]),
        ];
        let out = smooth_slice_crops(&input, (1440, 1080), 0.25);
        // s 0.875 → 1400×1050 centred (400,300) → clamped to (0,0).
        // Slice 2 would end at s 0.78125 → 1250×937.5 → 1250×938, but it is
        // the last slice before the cut, so it holds its start.
        // Camera 1: 800×600 centred; 0.625 → 1000×750 at (800,600).
        assert_eq!(
            crops(&out),
            vec![
                ([0, 0, 1600, 1200], [0, 0, 1400, 1050]),
                ([0, 0, 1400, 1050], [0, 0, 1400, 1050]),
                ([400, 300, 800, 600], [300, 225, 1000, 750]),
            ]
        );
    }

    #[test]
    fn the_last_run_of_the_plan_is_not_held() {
        let input = [
            slice(0, [0, 0, 1600, 1200], [0, 0, 800, 600]),
            slice(0, [0, 0, 800, 600], [800, 600, 800, 600]),
        ];
        let out = smooth_slice_crops(&input, (1440, 1080), 0.25);
        // s 0.78125 → 1250×938 centred (1200,900) → x 575→350, y 431→262.
        assert_eq!(out[1].end, rect([350, 262, 1250, 938]));
        assert_eq!(out[1].start, out[0].end);
    }

    #[test]
    fn a_constant_crop_at_the_output_aspect_is_unchanged() {
        let frame = (1920, 1080);
        let still = SliceCrops {
            camera: 0,
            frame,
            start: rect([240, 0, 1440, 1080]),
            end: rect([240, 0, 1440, 1080]),
        };
        let out = smooth_slice_crops(&[still, still], (1440, 1080), 0.25);
        assert_eq!(out, vec![still, still]);
    }

    #[test]
    fn a_full_wide_frame_becomes_the_largest_output_aspect_crop() {
        // z = 1 on 1920×1080 → 1662.8×1247.1 at 4:3, scaled by 0.866 to fit
        // → 1440×1080, centred.
        let full = SliceCrops {
            camera: 0,
            frame: (1920, 1080),
            start: rect([0, 0, 1920, 1080]),
            end: rect([0, 0, 1920, 1080]),
        };
        let out = smooth_slice_crops(&[full], (1440, 1080), 0.25);
        assert_eq!(out[0].start, rect([240, 0, 1440, 1080]));
        assert_eq!(out[0].end, rect([240, 0, 1440, 1080]));
    }

    #[test]
    fn empty_input_gives_empty_output() {
        assert!(smooth_slice_crops(&[], (1440, 1080), 0.25).is_empty());
    }
}
