//! The summary plan: which camera, when, and which crop (SPEC §6–§7), as the
//! `plan --json` command prints it and the renderer consumes it.
//!
//! Owns the composition of the timeline stages into one `SummaryPlan`, its
//! serialised shape and the choice of a default primary camera. It does no
//! I/O and renders nothing; the per-frame schedule is `schedule`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::camera_timeline::CameraTimeline;
use super::cameras::CameraSidecar;
use super::crop::crop_at;
use super::params::PlanParams;
use super::rect::CropRect;
use super::slices::summary_slices;
use super::smoothing::{smooth_slice_crops, SliceCrops};

/// Everything the renderer needs to cut and crop the summary video.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryPlan {
    /// End of the timeline, seconds: `max(CE window, last sidecar timestamp)`.
    pub global_end: f64,
    /// Camera whose score got the primary bonus.
    pub primary_camera: String,
    /// Native `[width, height]` of every camera, so crops can be checked and
    /// interpolated without the sidecars.
    pub native: BTreeMap<String, (u32, u32)>,
    /// The slices in time order, contiguous except where trimming removed time.
    pub slices: Vec<PlanSlice>,
}

/// One stretch of the summary from one camera, with its crop path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanSlice {
    /// Camera shown.
    pub camera: String,
    /// Start, seconds from the shared clip start.
    pub start_sec: f64,
    /// End, seconds from the shared clip start (after `start_sec`).
    pub end_sec: f64,
    /// Crop at `start_sec`, native pixels.
    pub crop_start: CropRect,
    /// Crop at `end_sec`, native pixels; frames in between interpolate.
    pub crop_end: CropRect,
}

/// A stretch of the summary shown from one camera: consecutive slices of the
/// same camera joined, as the player page draws the camera timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CameraRun {
    /// Camera shown.
    pub camera: String,
    /// Start, seconds from the shared clip start.
    pub start_sec: f64,
    /// End, seconds from the shared clip start.
    pub end_sec: f64,
}

impl SummaryPlan {
    /// Which camera is shown when: the slices with consecutive slices of one
    /// camera joined (a gap left by trimming also starts a new run).
    pub fn camera_runs(&self) -> Vec<CameraRun> {
        let mut runs: Vec<CameraRun> = Vec::new();
        for slice in &self.slices {
            match runs.last_mut() {
                Some(run) if run.camera == slice.camera && run.end_sec == slice.start_sec => {
                    run.end_sec = slice.end_sec;
                }
                _ => runs.push(CameraRun {
                    camera: slice.camera.clone(),
                    start_sec: slice.start_sec,
                    end_sec: slice.end_sec,
                }),
            }
        }
        runs
    }
}

/// Plans the summary of a CE (SPEC §6 and §7): camera timeline, slices
/// trimmed to the action window, raw crops at each slice's ends, smoothing.
/// `primary` names the CE's first camera; `ce_window_sec` is the length of
/// the shared clip window.
pub fn plan_summary(cameras: &[CameraSidecar], primary: &str, ce_window_sec: f64, params: &PlanParams) -> SummaryPlan {
    let timeline = CameraTimeline::build(cameras, primary, ce_window_sec, params);
    let slices = summary_slices(&timeline, cameras, params.trim_padding_sec);
    let raw_crops: Vec<SliceCrops> = slices
        .iter()
        .map(|slice| {
            let camera = &cameras[slice.camera];
            SliceCrops {
                camera: slice.camera,
                frame: camera.native,
                start: crop_at(camera, slice.start_sec, params),
                end: crop_at(camera, slice.end_sec, params),
            }
        })
        .collect();
    let crops = smooth_slice_crops(&raw_crops, params.output_size, params.zoom_smoothing_alpha);
    SummaryPlan {
        global_end: timeline.global_end,
        primary_camera: primary.to_owned(),
        native: cameras.iter().map(|c| (c.name.clone(), c.native)).collect(),
        slices: slices
            .iter()
            .zip(crops)
            .map(|(slice, crop)| PlanSlice {
                camera: cameras[slice.camera].name.clone(),
                start_sec: slice.start_sec,
                end_sec: slice.end_sec,
                crop_start: crop.start,
                crop_end: crop.end,
            })
            .collect(),
    }
}

/// The camera whose sidecar has the earliest `label` detection (ties: the
/// one listed first); the first camera when none has one; `None` without
/// cameras.
pub fn default_primary(cameras: &[CameraSidecar], label: &str) -> Option<String> {
    let earliest = cameras
        .iter()
        .filter_map(|c| c.first_label_time(label).map(|t| (t, c)))
        .reduce(|best, next| if next.0 < best.0 { next } else { best });
    earliest
        .map(|(_, camera)| camera)
        .or(cameras.first())
        .map(|camera| camera.name.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sidecar::format::SidecarEntry;
    use crate::timeline::cameras::test_support::{camera, entry};

    /// Entries every 0.5 s over `[0, end]`, with `people` while `active(t)`.
    fn entries(end: f64, people: [f64; 4], active: impl Fn(f64) -> bool) -> Vec<SidecarEntry> {
        (0..=(end * 2.0) as u32)
            .map(|k| {
                let t = f64::from(k) / 2.0;
                if active(t) {
                    entry(t, &[people], &[])
                } else {
                    entry(t, &[], &[])
                }
            })
            .collect()
    }

    /// A: a small person (100×200) all along 0–40 s; B: a large person
    /// (400×600) from 10 to 20 s only; both 1920×1080, A primary.
    fn two_cameras() -> Vec<CameraSidecar> {
        vec![
            camera(
                "a",
                (1920, 1080),
                entries(40.0, [900.0, 400.0, 1000.0, 600.0], |_| true),
            ),
            camera(
                "b",
                (1920, 1080),
                entries(40.0, [200.0, 200.0, 600.0, 800.0], |t| (10.0..=20.0).contains(&t)),
            ),
        ]
    }

    #[test]
    fn larger_person_on_b_takes_the_view_from_10_to_20_s() {
        // A's score at t=10 (6th sample): 1.2 × 20000 × (1 − 0.6⁶) = 22880;
        // B's: 0.4 × 240000 = 96000 ≥ 1.15 × 22880, so B is shown from 10 s.
        // B's EMA then decays by 0.6 per sample after 20 s and hands back to A
        // at 30 s (s_B = 228802 × 0.6⁵ = 17791 ≤ 24000 / 1.15).
        let plan = plan_summary(&two_cameras(), "a", 40.0, &PlanParams::default());
        assert_eq!(plan.global_end, 40.0);
        assert_eq!(plan.slices.len(), 20);
        for slice in &plan.slices {
            let expected = if (10.0..30.0).contains(&slice.start_sec) {
                "b"
            } else {
                "a"
            };
            assert_eq!(slice.camera, expected, "slice at {}", slice.start_sec);
        }
        assert_eq!(plan.slices[4].end_sec, plan.slices[5].start_sec);
        assert_eq!(plan.slices.last().map(|s| s.end_sec), Some(40.0));
    }

    #[test]
    fn runs_join_the_slices_of_each_stretch_of_one_camera() {
        let plan = plan_summary(&two_cameras(), "a", 40.0, &PlanParams::default());
        let runs = plan.camera_runs();
        let runs: Vec<(&str, f64, f64)> = runs
            .iter()
            .map(|run| (run.camera.as_str(), run.start_sec, run.end_sec))
            .collect();
        assert_eq!(runs, [("a", 0.0, 10.0), ("b", 10.0, 30.0), ("a", 30.0, 40.0)]);
    }

    #[test]
    fn crops_follow_the_shown_camera_and_hold_before_cuts() {
        let plan = plan_summary(&two_cameras(), "a", 40.0, &PlanParams::default());
        // Last A slice before the cut at 10 s holds its crop.
        assert_eq!(plan.slices[4].crop_start, plan.slices[4].crop_end);
        // Same-camera neighbours join: each start is the previous end.
        assert_eq!(plan.slices[6].crop_start, plan.slices[5].crop_end);
        // B at 12 s follows its person centred at (400,500): content 480×720
        // → 864000 px² → raw zoom crop int(1073.3) = 1073 → 1072 ×
        // int(804.98) = 804 at x int(−136) → 0, y 98, so the raw crop's centre
        // is (536,500). Its scalar is constant over the run, so the smoothed
        // crop has the same area at 4:3: sqrt(861888 × 4/3) = 1072 and
        // sqrt(861888 × 3/4) = 804, centred on (536,500) → x 0, y 98.
        assert_eq!(<[u32; 4]>::from(plan.slices[6].crop_start), [0, 98, 1072, 804]);
    }

    #[test]
    fn serialises_to_the_documented_shape() {
        let cams = [camera(
            "a",
            (1920, 1080),
            vec![entry(0.0, &[], &[]), entry(3.0, &[], &[])],
        )];
        let plan = plan_summary(&cams, "a", 3.0, &PlanParams::default());
        let json = serde_json::to_value(&plan).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "global_end": 3.0,
                "primary_camera": "a",
                "native": {"a": [1920, 1080]},
                "slices": [
                    {"camera": "a", "start_sec": 0.0, "end_sec": 2.0,
                     "crop_start": [241, 0, 1438, 1080], "crop_end": [241, 0, 1438, 1080]},
                    {"camera": "a", "start_sec": 2.0, "end_sec": 3.0,
                     "crop_start": [241, 0, 1438, 1080], "crop_end": [241, 0, 1438, 1080]}
                ]
            })
        );
        let back: SummaryPlan = serde_json::from_value(json).unwrap();
        assert_eq!(back, plan);
    }

    #[test]
    fn default_primary_is_the_earliest_person() {
        let person = [[0.0, 0.0, 10.0, 10.0]];
        let cams = [
            camera("a", (1920, 1080), vec![entry(0.0, &[], &[]), entry(4.0, &person, &[])]),
            camera("b", (1920, 1080), vec![entry(2.0, &person, &[])]),
            camera("c", (1920, 1080), vec![entry(2.0, &person, &[])]),
        ];
        assert_eq!(default_primary(&cams, "person").as_deref(), Some("b"));
        assert_eq!(default_primary(&cams[..1], "person").as_deref(), Some("a"));
        let nobody = [
            camera("x", (1920, 1080), vec![entry(0.0, &[], &[])]),
            camera("y", (1920, 1080), Vec::new()),
        ];
        assert_eq!(default_primary(&nobody, "person").as_deref(), Some("x"));
        assert_eq!(default_primary(&[], "person"), None);
    }
}
