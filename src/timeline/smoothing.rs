//! Smoothing of the crop path across the slices of the summary (SPEC §7),
//! the predecessor's `smooth_zoom_ema` followed by its boundary hand-over.
//!
//! Owns the hold before a cut, the two zoom-scalar EMA series of each camera
//! run and the hand-over of each slice's end crop to the next slice's start.
//! It does not compute the raw crops (`crop`) and does not move crop centres:
//! only sizes are smoothed.
//!
//! How a smoothed scalar `z` becomes a rectangle: the crop area is
//! `z² × (frame_w × frame_h)` at the output aspect (`w = int(sqrt(area ×
//! aspect))`, `h = int(sqrt(area / aspect))`), each side made even
//! (`rect::even_side`); the rectangle is centred on the raw crop's centre
//! and clamped inside the frame (`CropRect::centered`). One deliberate
//! departure from the predecessor: where that size does not fit the frame,
//! both sides are scaled down by the same factor until it does, so the
//! rendered picture is never stretched; the predecessor clamped each side on
//! its own (SPEC §7 allows this). A size whose truncated sides fit is
//! computed exactly as the predecessor did.

use super::rect::{even_side, CropRect};

/// Zoom scalars are clamped to `[MIN_ZOOM, 1]` before smoothing (SPEC §7).
const MIN_ZOOM: f64 = 0.4;

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
/// smoothed crops, in three steps (SPEC §7):
///
/// 1. Hold: the last slice of a run followed by another camera gets its raw
///    end crop replaced by its raw start crop. The plan's final run is not
///    followed by a cut and is not held.
/// 2. Two EMA series per run of consecutive same-camera slices, one over the
///    slices' start scalars and one over their end scalars, with
///    `z = clamp(sqrt(w·h / (frame_w·frame_h)), 0.4, 1)`. Each series is set
///    to its own raw value at the run's first slice and then steps
///    `s = α·z + (1 − α)·s`; a held end still takes its step, so it need not
///    equal the start. Each smoothed crop is centred on its raw crop's centre.
/// 3. Hand-over: every slice but a run's first starts at the previous slice's
///    smoothed end. (The start series therefore shows only at a run's first
///    slice, as it did in the predecessor.)
pub fn smooth_slice_crops(slices: &[SliceCrops], output_size: (u32, u32), alpha: f64) -> Vec<SliceCrops> {
    let aspect = f64::from(output_size.0) / f64::from(output_size.1);
    let runs: Vec<&[SliceCrops]> = slices.chunk_by(|a, b| a.camera == b.camera).collect();
    let mut smoothed = Vec::with_capacity(slices.len());
    for (run_index, run) in runs.iter().enumerate() {
        let followed_by_cut = run_index + 1 < runs.len();
        let held = |index: usize, slice: &SliceCrops| {
            let is_last_before_cut = followed_by_cut && index + 1 == run.len();
            let end = if is_last_before_cut { slice.start } else { slice.end };
            SliceCrops { end, ..*slice }
        };
        let frame = run[0].frame;
        let mut start_series = ZoomEma::new(alpha);
        let mut end_series = ZoomEma::new(alpha);
        let mut previous_end: Option<CropRect> = None;
        for (index, slice) in run.iter().enumerate() {
            let raw = held(index, slice);
            let start = rect_for_scalar(start_series.step(&raw.start, frame), raw.start.center(), frame, aspect);
            let end = rect_for_scalar(end_series.step(&raw.end, frame), raw.end.center(), frame, aspect);
            smoothed.push(SliceCrops {
                start: previous_end.unwrap_or(start),
                end,
                ..raw
            });
            previous_end = Some(end);
        }
    }
    smoothed
}

/// One EMA series of clamped zoom scalars, set to the first value it sees.
struct ZoomEma {
    alpha: f64,
    value: Option<f64>,
}

impl ZoomEma {
    fn new(alpha: f64) -> Self {
        Self { alpha, value: None }
    }

    /// Feeds `crop`'s clamped zoom scalar and returns the smoothed scalar.
    fn step(&mut self, crop: &CropRect, frame: (u32, u32)) -> f64 {
        let z = zoom_scalar(crop, frame);
        let s = self
            .value
            .map_or(z, |previous| self.alpha * z + (1.0 - self.alpha) * previous);
        self.value = Some(s);
        s
    }
}

/// `sqrt(crop area / frame area)` clamped to `[0.4, 1]`: 1 for the full
/// frame, 0.5 for a crop of half the width and half the height.
fn zoom_scalar(crop: &CropRect, frame: (u32, u32)) -> f64 {
    let frame_area = frame_area(frame).max(1.0);
    (f64::from(crop.w) * f64::from(crop.h) / frame_area)
        .sqrt()
        .clamp(MIN_ZOOM, 1.0)
}

/// `frame_w × frame_h` in square pixels.
fn frame_area(frame: (u32, u32)) -> f64 {
    f64::from(frame.0) * f64::from(frame.1)
}

/// The rectangle for zoom scalar `z` (see the module doc).
fn rect_for_scalar(z: f64, center: [f64; 2], frame: (u32, u32), aspect: f64) -> CropRect {
    let area = z * z * frame_area(frame);
    let (w, h) = ((area * aspect).sqrt(), (area / aspect).sqrt());
    let (frame_w, frame_h) = (f64::from(frame.0), f64::from(frame.1));
    let oversize = w.trunc() > frame_w || h.trunc() > frame_h;
    let fit = if oversize { (frame_w / w).min(frame_h / h) } else { 1.0 };
    let size = (even_side(w * fit, 1, frame.0), even_side(h * fit, 1, frame.1));
    CropRect::centered(center, size, frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    const WIDE: (u32, u32) = (1920, 1080);
    const OUTPUT: (u32, u32) = (1440, 1080);
    /// The no-zoom crop: 1440×1080 centred; z = sqrt(1440·1080 / 1920·1080) = 0.8660.
    const CENTRE: [u32; 4] = [240, 0, 1440, 1080];
    /// The tightest zoom crop, centred: z = sqrt(768·432 / 1920·1080) = 0.4.
    const TIGHT: [u32; 4] = [576, 324, 768, 432];
    /// z = 0.4 → area 0.16 × 2073600 = 331776 → w = int(sqrt(331776 × 4/3) = 665.1) = 665 → 664,
    /// h = int(sqrt(331776 × 3/4) = 498.8) = 498; corner int(960 − 332) = 628, int(540 − 249) = 291.
    const TIGHT_SMOOTHED: [u32; 4] = [628, 291, 664, 498];

    fn slice(camera: usize, start: [u32; 4], end: [u32; 4]) -> SliceCrops {
        SliceCrops {
            camera,
            frame: WIDE,
            start: start.into(),
            end: end.into(),
        }
    }

    fn crops(slices: &[SliceCrops]) -> Vec<([u32; 4], [u32; 4])> {
        slices.iter().map(|s| (s.start.into(), s.end.into())).collect()
    }

    #[test]
    fn each_series_is_seeded_with_its_own_first_raw_value() {
        // Slice 0 starts at the frame centre and ends on a tight zoom. The end
        // series starts at the end's own scalar 0.4 (not one EMA step from the
        // start's 0.8660, which would give 0.7495 → a crop 1.9× wider).
        // Start: z 0.8660 → area 1555200 (float: 1555199.9999999998), w =
        // int(1439.9999999999998) = 1439 → 1438, h 1080; corner int(960 − 719) = 241.
        // Slice 1 ends at the centre crop again: the end series steps to
        // 0.25 × 0.8660 + 0.75 × 0.4 = 0.5165 → area 553192.6 → w int(858.8) = 858,
        // h int(644.1) = 644, centred (960,540) → 531, 218.
        let input = [slice(0, CENTRE, TIGHT), slice(0, TIGHT, CENTRE)];
        let out = smooth_slice_crops(&input, OUTPUT, 0.25);
        assert_eq!(
            crops(&out),
            vec![
                ([241, 0, 1438, 1080], TIGHT_SMOOTHED),
                (TIGHT_SMOOTHED, [531, 218, 858, 644]),
            ]
        );
    }

    #[test]
    fn the_held_end_before_a_cut_is_the_raw_start_and_still_takes_its_step() {
        // Camera 0: slice 0 tight → tight (both series 0.4). Slice 1 is the
        // last before the cut: its raw end (a tight crop at the bottom right)
        // is replaced by its raw start, the full frame (z 1, centre (960,540)),
        // before smoothing: the end series steps to 0.25 × 1 + 0.75 × 0.4 = 0.55
        // → area 627264 → w int(914.5) = 914, h int(685.9) = 685 → 684;
        // corner int(960 − 457) = 503, int(540 − 342) = 198. Its start is
        // slice 0's smoothed end. Camera 1 restarts both series.
        let input = [
            slice(0, TIGHT, TIGHT),
            slice(0, [0, 0, 1920, 1080], [1152, 648, 768, 432]),
            slice(1, TIGHT, TIGHT),
        ];
        let out = smooth_slice_crops(&input, OUTPUT, 0.25);
        assert_eq!(
            crops(&out),
            vec![
                (TIGHT_SMOOTHED, TIGHT_SMOOTHED),
                (TIGHT_SMOOTHED, [503, 198, 914, 684]),
                (TIGHT_SMOOTHED, TIGHT_SMOOTHED),
            ]
        );
    }

    #[test]
    fn the_last_run_of_the_plan_is_not_held() {
        // Same camera 0 slices without a cut after them: slice 1's end is its
        // raw end's scalar 0.4 (series 0.4 → 0.4) centred on (1536,864):
        // corner int(1536 − 332) = 1204, int(864 − 249) = 615, clamped to
        // 1920 − 664 = 1256 and 1080 − 498 = 582.
        let input = [
            slice(0, TIGHT, TIGHT),
            slice(0, [0, 0, 1920, 1080], [1152, 648, 768, 432]),
        ];
        let out = smooth_slice_crops(&input, OUTPUT, 0.25);
        assert_eq!(out[1].end, [1204, 582, 664, 498].into());
        assert_eq!(out[1].start, out[0].end);
    }

    #[test]
    fn scalars_below_the_minimum_zoom_are_clamped_to_it() {
        // 384×216 is z 0.2, clamped to 0.4: the same crop as the tightest zoom.
        let input = [slice(0, [768, 432, 384, 216], [768, 432, 384, 216])];
        let out = smooth_slice_crops(&input, OUTPUT, 0.25);
        assert_eq!(crops(&out), vec![(TIGHT_SMOOTHED, TIGHT_SMOOTHED)]);
    }

    #[test]
    fn a_full_wide_frame_is_fitted_without_stretching() {
        // z = 1 on 1920×1080 → 1662.8×1247.1 at 4:3; h does not fit, so both
        // sides scale by 1080 / 1247.1 = 0.866 → exactly 1440×1080; centred
        // at x 240. (The predecessor clamped h alone and kept w 1662.)
        let full = slice(0, [0, 0, 1920, 1080], [0, 0, 1920, 1080]);
        let out = smooth_slice_crops(&[full], OUTPUT, 0.25);
        assert_eq!(crops(&out), vec![(CENTRE, CENTRE)]);
    }

    #[test]
    fn empty_input_gives_empty_output() {
        assert!(smooth_slice_crops(&[], OUTPUT, 0.25).is_empty());
    }
}
