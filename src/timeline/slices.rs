//! Time slices of the summary video (SPEC §6 step 6).
//!
//! Owns the cutting of the per-sample camera assignment into one slice per
//! sample and the trimming of those slices to the action window. It does not
//! choose cameras (`camera_timeline`) or crops (`crop`, `smoothing`).

use super::camera_timeline::CameraTimeline;
use super::cameras::CameraSidecar;

/// A stretch of the summary shown from one camera.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeSlice {
    /// Index of the camera in the planner's camera list.
    pub camera: usize,
    /// Start, seconds from the shared clip start.
    pub start_sec: f64,
    /// End, seconds from the shared clip start; always after `start_sec`.
    pub end_sec: f64,
}

/// The part of the CE worth showing: from a little before the first detection
/// to a little after the last, over all cameras.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ActionWindow {
    /// First detection time minus the padding.
    pub start_sec: f64,
    /// Last detection time plus the padding.
    pub end_sec: f64,
}

/// The slices of the summary: one per sample, trimmed to the action window
/// of `cameras` (untrimmed when no camera has any detection).
pub fn summary_slices(timeline: &CameraTimeline, cameras: &[CameraSidecar], padding_sec: f64) -> Vec<TimeSlice> {
    let slices = slices_per_sample(timeline);
    match action_window(cameras, padding_sec) {
        Some(window) => trim_to_window(&slices, window),
        None => slices,
    }
}

/// Slice `i` is `[t_i, t_{i+1}]` on sample `i`'s camera and the last one ends
/// at `global_end`. Slices are never joined (the crop path is defined per
/// slice). When the last sample falls exactly on `global_end` its slice would
/// be empty, so it is not emitted.
fn slices_per_sample(timeline: &CameraTimeline) -> Vec<TimeSlice> {
    let ends = timeline
        .samples
        .iter()
        .skip(1)
        .map(|next| next.t)
        .chain(std::iter::once(timeline.global_end));
    timeline
        .samples
        .iter()
        .zip(ends)
        .map(|(sample, end_sec)| TimeSlice {
            camera: sample.camera,
            start_sec: sample.t,
            end_sec,
        })
        .filter(|slice| slice.end_sec > slice.start_sec)
        .collect()
}

/// `[first − padding, last + padding]` over the timestamps of every entry that
/// holds at least one detection of any kept label, on any camera; `None` when
/// no entry has one.
pub fn action_window(cameras: &[CameraSidecar], padding_sec: f64) -> Option<ActionWindow> {
    let detection_times = cameras
        .iter()
        .flat_map(|camera| camera.sidecar.entries.iter())
        .filter(|entry| !entry.detections.is_empty())
        .map(|entry| entry.timestamp_sec);
    detection_times
        .fold(None, |bounds: Option<(f64, f64)>, t| {
            Some(bounds.map_or((t, t), |(first, last)| (first.min(t), last.max(t))))
        })
        .map(|(first, last)| ActionWindow {
            start_sec: first - padding_sec,
            end_sec: last + padding_sec,
        })
}

/// Drops the slices wholly outside `window` (touching its edge counts as
/// outside) and clips the ones that straddle an edge.
fn trim_to_window(slices: &[TimeSlice], window: ActionWindow) -> Vec<TimeSlice> {
    slices
        .iter()
        .filter_map(|slice| {
            let start_sec = slice.start_sec.max(window.start_sec);
            let end_sec = slice.end_sec.min(window.end_sec);
            (end_sec > start_sec).then_some(TimeSlice {
                camera: slice.camera,
                start_sec,
                end_sec,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::camera_timeline::TimelineSample;
    use crate::timeline::cameras::test_support::{camera, entry};

    fn timeline(global_end: f64, cameras: &[usize]) -> CameraTimeline {
        CameraTimeline {
            global_end,
            samples: cameras
                .iter()
                .enumerate()
                .map(|(k, &camera)| TimelineSample {
                    t: 2.0 * k as f64,
                    camera,
                })
                .collect(),
        }
    }

    fn bounds(slices: &[TimeSlice]) -> Vec<(usize, f64, f64)> {
        slices.iter().map(|s| (s.camera, s.start_sec, s.end_sec)).collect()
    }

    #[test]
    fn one_slice_per_sample_and_the_last_ends_at_global_end() {
        let slices = slices_per_sample(&timeline(7.0, &[0, 0, 1, 1]));
        assert_eq!(
            bounds(&slices),
            vec![(0, 0.0, 2.0), (0, 2.0, 4.0), (1, 4.0, 6.0), (1, 6.0, 7.0)]
        );
    }

    #[test]
    fn a_last_sample_on_global_end_makes_no_empty_slice() {
        // Grid 0, 2, 4, 6 with global_end 6: the sample at 6 would give [6, 6].
        let slices = slices_per_sample(&timeline(6.0, &[0, 0, 1, 1]));
        assert_eq!(bounds(&slices), vec![(0, 0.0, 2.0), (0, 2.0, 4.0), (1, 4.0, 6.0)]);
        assert!(slices_per_sample(&timeline(0.0, &[0])).is_empty());
    }

    #[test]
    fn trimming_drops_outside_slices_and_clips_both_edges() {
        // Detections at 5.0 (camera a) and 9.5 (camera b): window [2.0, 12.5].
        let cams = [
            camera(
                "a",
                (1920, 1080),
                vec![entry(0.0, &[], &[]), entry(5.0, &[[0.0, 0.0, 10.0, 10.0]], &[])],
            ),
            camera(
                "b",
                (1920, 1080),
                vec![entry(9.5, &[[0.0, 0.0, 10.0, 10.0]], &[]), entry(20.0, &[], &[])],
            ),
        ];
        assert_eq!(
            action_window(&cams, 3.0),
            Some(ActionWindow {
                start_sec: 2.0,
                end_sec: 12.5
            })
        );
        let tl = timeline(20.0, &[0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
        let trimmed = summary_slices(&tl, &cams, 3.0);
        assert_eq!(
            bounds(&trimmed),
            vec![
                (0, 2.0, 4.0),
                (0, 4.0, 6.0),
                (0, 6.0, 8.0),
                (0, 8.0, 10.0),
                (1, 10.0, 12.0),
                (1, 12.0, 12.5)
            ]
        );
        // A window edge inside a slice clips its start.
        let inner = trim_to_window(
            &slices_per_sample(&tl),
            ActionWindow {
                start_sec: 3.0,
                end_sec: 5.0,
            },
        );
        assert_eq!(bounds(&inner), vec![(0, 3.0, 4.0), (0, 4.0, 5.0)]);
    }

    #[test]
    fn no_detections_means_no_trimming() {
        let cams = [camera("a", (1920, 1080), vec![entry(0.0, &[], &[])])];
        assert_eq!(action_window(&cams, 3.0), None);
        let tl = timeline(5.0, &[0, 0, 0]);
        assert_eq!(
            bounds(&summary_slices(&tl, &cams, 3.0)),
            vec![(0, 0.0, 2.0), (0, 2.0, 4.0), (0, 4.0, 5.0)]
        );
    }
}
