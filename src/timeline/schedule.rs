//! The rendering schedule of a summary plan (SPEC §7 "Rendering"): which
//! source time and which crop each output frame shows.
//!
//! Owns the frame count per slice and the interpolation of the crop between a
//! slice's ends. It does not decode, crop pixels or encode.

use super::plan::SummaryPlan;
use super::rect::CropRect;

/// Frame rate of the summary video (SPEC §7).
pub const OUTPUT_FPS: u32 = 20;

/// One output frame of the summary, in output order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RenderFrame<'a> {
    /// Index of the plan slice the frame belongs to.
    pub slice_index: usize,
    /// Camera whose source frame is shown.
    pub camera: &'a str,
    /// Source time to show, seconds from the shared clip start.
    pub t: f64,
    /// Native-pixel crop to cut from that source frame.
    pub crop: CropRect,
}

impl SummaryPlan {
    /// Every output frame in order: a slice `[t0, t1]` yields
    /// `n = max(1, round((t1 − t0) × 20))` frames at `t = t0 + k/20`,
    /// `k = 0..n`, each with the crop a fraction `(t − t0)/(t1 − t0)` of the
    /// way from `crop_start` to `crop_end` (`CropRect::lerp`). Since
    /// `n ≤ 20·(t1 − t0) + 0.5`, the last frame's fraction stays below 1.
    pub fn frame_times(&self) -> impl Iterator<Item = RenderFrame<'_>> + '_ {
        let fps = f64::from(OUTPUT_FPS);
        self.slices.iter().enumerate().flat_map(move |(slice_index, slice)| {
            let length = slice.end_sec - slice.start_sec;
            (0..frames_in(length)).map(move |k| {
                let offset = k as f64 / fps;
                RenderFrame {
                    slice_index,
                    camera: slice.camera.as_str(),
                    t: slice.start_sec + offset,
                    crop: slice.crop_start.lerp(&slice.crop_end, fraction(offset, length)),
                }
            })
        })
    }

    /// Number of frames `frame_times` yields (for progress reporting).
    pub fn frame_count(&self) -> usize {
        self.slices.iter().map(|s| frames_in(s.end_sec - s.start_sec)).sum()
    }
}

/// `offset / length`, or 0 for a slice without length (possible only in a
/// plan read back from a file), so its single frame shows `crop_start`.
fn fraction(offset: f64, length: f64) -> f64 {
    if length > 0.0 {
        offset / length
    } else {
        0.0
    }
}

/// `max(1, round(length × fps))`.
fn frames_in(length_sec: f64) -> usize {
    ((length_sec * f64::from(OUTPUT_FPS)).round() as usize).max(1)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::timeline::plan::PlanSlice;

    fn plan(slices: Vec<PlanSlice>) -> SummaryPlan {
        SummaryPlan {
            global_end: 10.0,
            primary_camera: "a".into(),
            native: BTreeMap::from([("a".into(), (1920, 1080)), ("b".into(), (1920, 1080))]),
            slices,
        }
    }

    fn slice(camera: &str, start_sec: f64, end_sec: f64, start: [u32; 4], end: [u32; 4]) -> PlanSlice {
        PlanSlice {
            camera: camera.into(),
            start_sec,
            end_sec,
            crop_start: start.into(),
            crop_end: end.into(),
        }
    }

    #[test]
    fn frames_step_at_twenty_per_second_with_interpolated_crops() {
        // 0.2 s → 4 frames at 0, 0.05, 0.1, 0.15; fractions 0, ¼, ½, ¾.
        let p = plan(vec![slice("a", 0.0, 0.2, [0, 0, 800, 600], [400, 200, 1200, 900])]);
        let frames: Vec<_> = p.frame_times().collect();
        assert_eq!(frames.len(), 4);
        assert_eq!(p.frame_count(), 4);
        let times: Vec<f64> = frames.iter().map(|f| f.t).collect();
        assert_eq!(times, vec![0.0, 0.05, 0.1, 0.15]);
        // Quarter way: left 100, top 50, right 800→1600 gives 1000, bottom 600→1100 gives 725.
        assert_eq!(<[u32; 4]>::from(frames[1].crop), [100, 50, 900, 675]);
        // Halfway: centre (400,300)→(1000,650) = (700,475), size 1000×750.
        assert_eq!(<[u32; 4]>::from(frames[2].crop), [200, 100, 1000, 750]);
    }

    #[test]
    fn short_slices_get_at_least_one_frame_and_lengths_round() {
        // 0.01 s → round(0.2) = 0 → 1 frame; 0.075 s → round(1.5) = 2;
        // 2.0 s → 40; 0.52 s → round(10.4) = 10.
        let crop = [240, 0, 1440, 1080];
        let p = plan(vec![
            slice("a", 3.0, 3.01, crop, crop),
            slice("b", 3.01, 3.085, crop, crop),
            slice("b", 3.085, 5.085, crop, crop),
            slice("a", 5.085, 5.605, crop, crop),
        ]);
        let per_slice: Vec<usize> = (0..4)
            .map(|i| p.frame_times().filter(|f| f.slice_index == i).count())
            .collect();
        assert_eq!(per_slice, vec![1, 2, 40, 10]);
        assert_eq!(p.frame_count(), 53);
        let second = p.frame_times().nth(1).map(|f| (f.camera, f.t));
        assert_eq!(second, Some(("b", 3.01)));
    }

    #[test]
    fn an_empty_slice_read_back_shows_its_start_crop_once() {
        let p = plan(vec![slice("a", 4.0, 4.0, [10, 20, 800, 600], [0, 0, 1920, 1080])]);
        let frames: Vec<_> = p.frame_times().map(|f| (f.t, <[u32; 4]>::from(f.crop))).collect();
        assert_eq!(frames, vec![(4.0, [10, 20, 800, 600])]);
    }
}
