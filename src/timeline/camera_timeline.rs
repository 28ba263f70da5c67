//! Which camera is shown at each sample of the CE (SPEC §6 steps 1–5).
//!
//! Owns the sample grid, the per-camera person-area curves, their EMA, the
//! primary bonus, hysteresis switching and the merging of short runs. It
//! produces one camera per sample and nothing else: slices and trimming are
//! `slices`, crops are `crop`.

use super::cameras::CameraSidecar;
use super::params::PlanParams;

/// One grid sample and the camera chosen for it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimelineSample {
    /// Sample time, seconds from the shared clip start (`k × step`).
    pub t: f64,
    /// Index of the chosen camera in the planner's camera list.
    pub camera: usize,
}

/// The per-sample camera assignment of a CE.
#[derive(Debug, Clone, PartialEq)]
pub struct CameraTimeline {
    /// `max(CE window length, last sidecar timestamp)`: where the grid and the
    /// last slice end, so no sidecar content is cut off.
    pub global_end: f64,
    /// Samples `t = 0, step, 2·step, … ≤ global_end` in order; empty when
    /// there are no cameras.
    pub samples: Vec<TimelineSample>,
}

impl CameraTimeline {
    /// Runs SPEC §6 steps 1–5 over `cameras`. `primary` names the camera that
    /// gets the score bonus (a name not among `cameras` gets none);
    /// `ce_window_sec` is the length of the CE's shared clip window.
    ///
    /// Arg-max ties are broken in favour of the shown camera, then the primary,
    /// then the camera listed first, so an all-zero start shows the primary.
    pub fn build(cameras: &[CameraSidecar], primary: &str, ce_window_sec: f64, params: &PlanParams) -> Self {
        let global_end = global_end(cameras, ce_window_sec);
        if cameras.is_empty() {
            return Self {
                global_end,
                samples: Vec::new(),
            };
        }
        let times = sample_times(global_end, params.sample_step_sec);
        let primary = cameras.iter().position(|c| c.name == primary);
        let scores: Vec<Vec<f64>> = area_curves(cameras, &times, &params.label)
            .iter()
            .enumerate()
            .map(|(camera, areas)| {
                let bonus = if Some(camera) == primary {
                    params.primary_bonus
                } else {
                    1.0
                };
                ema(areas, params.camera_ema_alpha)
                    .into_iter()
                    .map(|s| s * bonus)
                    .collect()
            })
            .collect();
        let chosen = choose_cameras(&scores, primary, params.switch_hysteresis);
        let merged = merge_short_runs(&chosen, params.min_run_samples);
        Self {
            global_end,
            samples: times
                .into_iter()
                .zip(merged)
                .map(|(t, camera)| TimelineSample { t, camera })
                .collect(),
        }
    }
}

/// `max(ce_window_sec, last timestamp of every sidecar)`, never below 0.
pub fn global_end(cameras: &[CameraSidecar], ce_window_sec: f64) -> f64 {
    cameras
        .iter()
        .filter_map(CameraSidecar::last_timestamp)
        .fold(ce_window_sec.max(0.0), f64::max)
}

/// `t_k = k × step` for every `k` with `t_k ≤ global_end` (exact comparison,
/// no tolerance, so no sample ever lies past `global_end`). A step that is not
/// a finite number above 0 yields the single sample 0 (`PlanParams::validate`
/// rejects such a step).
pub fn sample_times(global_end: f64, step: f64) -> Vec<f64> {
    if !step.is_finite() || step <= 0.0 {
        return vec![0.0];
    }
    (0u64..)
        .map(|k| k as f64 * step)
        .take_while(|&t| t <= global_end)
        .collect()
}

/// Per camera, the person area at each time (SPEC §6.2): raw square pixels
/// when all cameras share one native resolution, otherwise each camera's
/// area divided by its `native_w × native_h` so cameras compete on the share
/// of the frame. An unknown (0) native size divides by 1.
fn area_curves(cameras: &[CameraSidecar], times: &[f64], label: &str) -> Vec<Vec<f64>> {
    let mixed_resolutions = cameras.iter().any(|c| c.native != cameras[0].native);
    cameras
        .iter()
        .map(|camera| {
            let divisor = if mixed_resolutions {
                camera.frame_area().max(1.0)
            } else {
                1.0
            };
            times
                .iter()
                .map(|&t| camera.label_area_at(t, label) / divisor)
                .collect()
        })
        .collect()
}

/// `s_i = α·x_i + (1 − α)·s_{i−1}` with `s_{−1} = 0` (SPEC §6.3).
fn ema(values: &[f64], alpha: f64) -> Vec<f64> {
    values
        .iter()
        .scan(0.0, |s, &x| {
            *s = alpha * x + (1.0 - alpha) * *s;
            Some(*s)
        })
        .collect()
}

/// SPEC §6.4 over `scores[camera][sample]`: the first sample shows the
/// arg-max; afterwards the shown camera hands over to the arg-max only when
/// `score[best] ≥ hysteresis × score[shown]`.
fn choose_cameras(scores: &[Vec<f64>], primary: Option<usize>, hysteresis: f64) -> Vec<usize> {
    let sample_count = scores.first().map_or(0, Vec::len);
    let mut shown: Option<usize> = None;
    (0..sample_count)
        .map(|i| {
            let score = |camera: usize| scores[camera][i];
            let top = (0..scores.len()).map(score).fold(f64::NEG_INFINITY, f64::max);
            let best = shown
                .into_iter()
                .chain(primary)
                .chain(0..scores.len())
                .find(|&camera| score(camera) == top)
                .unwrap_or(0);
            let next = match shown {
                Some(current) if score(best) < hysteresis * score(current) => current,
                _ => best,
            };
            shown = Some(next);
            next
        })
        .collect()
}

/// SPEC §6.5: a run shorter than `min_run` samples takes the camera of the
/// run before it (as already merged, so a chain of short runs all join the
/// long run before them); a short first run takes the camera of the second
/// run. Lengths are judged on the runs as chosen, before any merging.
///
/// A deliberate departure from the predecessor, which merged a short run into
/// the preceding run's camera *as chosen before merging*: after an earlier
/// merge that could bring back a camera that shows no one for several
/// seconds. Here a short run follows the camera actually shown before it, so
/// a camera merged away never comes back through its neighbour.
fn merge_short_runs(assignment: &[usize], min_run: usize) -> Vec<usize> {
    let runs = run_lengths(assignment);
    let mut merged: Vec<usize> = Vec::with_capacity(assignment.len());
    for (index, &(camera, len)) in runs.iter().enumerate() {
        let shown = match (len >= min_run, index, merged.last()) {
            (true, _, _) => camera,
            (false, 0, _) => runs.get(1).map_or(camera, |&(next, _)| next),
            (false, _, Some(&previous)) => previous,
            (false, _, None) => camera,
        };
        merged.extend(std::iter::repeat_n(shown, len));
    }
    merged
}

/// `(camera, length)` of each maximal run of equal values.
fn run_lengths(assignment: &[usize]) -> Vec<(usize, usize)> {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for &camera in assignment {
        match runs.last_mut() {
            Some((last, len)) if *last == camera => *len += 1,
            _ => runs.push((camera, 1)),
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::cameras::test_support::{camera, entry};

    fn assert_close(actual: &[f64], expected: &[f64]) {
        assert_eq!(actual.len(), expected.len(), "{actual:?}");
        for (a, e) in actual.iter().zip(expected) {
            assert!((a - e).abs() < 1e-9, "{actual:?} != {expected:?}");
        }
    }

    #[test]
    fn grid_includes_global_end_when_it_falls_on_a_step() {
        assert_eq!(sample_times(10.0, 2.0), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(sample_times(9.9, 2.0), vec![0.0, 2.0, 4.0, 6.0, 8.0]);
        assert_eq!(sample_times(0.0, 2.0), vec![0.0]);
        assert_eq!(sample_times(5.0, 0.0), vec![0.0]);
        assert_eq!(sample_times(5.0, f64::NAN), vec![0.0]);
    }

    #[test]
    fn global_end_is_the_longer_of_window_and_sidecars() {
        let cams = [
            camera("a", (1920, 1080), vec![entry(0.0, &[], &[]), entry(41.5, &[], &[])]),
            camera("b", (1920, 1080), vec![entry(12.0, &[], &[])]),
        ];
        assert_eq!(global_end(&cams, 40.0), 41.5);
        assert_eq!(global_end(&cams, 50.0), 50.0);
        assert_eq!(global_end(&[], -3.0), 0.0);
    }

    #[test]
    fn ema_starts_from_zero() {
        // 0.4·100 = 40; 0.6·40 = 24; 0.4·50 + 0.6·24 = 34.4; 0.4·50 + 0.6·34.4 = 40.64.
        assert_close(&ema(&[100.0, 0.0, 50.0, 50.0], 0.4), &[40.0, 24.0, 34.4, 40.64]);
    }

    #[test]
    fn challenger_needs_the_full_hysteresis_margin() {
        let shown_a = vec![100.0, 100.0, 100.0, 100.0];
        let challenger = vec![50.0, 114.0, 116.0, 100.0];
        // 114 < 1.15 × 100 keeps A; 116 ≥ 115 switches to B; B then keeps the
        // view at a tie.
        assert_eq!(choose_cameras(&[shown_a, challenger], None, 1.15), vec![0, 0, 1, 1]);
    }

    #[test]
    fn switching_back_also_needs_the_margin() {
        let a = vec![10.0, 10.0, 10.0, 10.0];
        let b = vec![20.0, 9.0, 8.0, 8.6];
        // B shown first; A at 10 ≥ 1.15 × 9 = 10.35? no; ≥ 1.15 × 8 = 9.2 yes.
        assert_eq!(choose_cameras(&[a, b], None, 1.15), vec![1, 1, 0, 0]);
    }

    #[test]
    fn ties_prefer_the_primary_then_the_first_camera() {
        let zeros = || vec![0.0, 0.0];
        assert_eq!(choose_cameras(&[zeros(), zeros()], Some(1), 1.15), vec![1, 1]);
        assert_eq!(choose_cameras(&[zeros(), zeros()], None, 1.15), vec![0, 0]);
    }

    #[test]
    fn short_run_between_long_runs_disappears() {
        let chosen = [vec![0; 6], vec![1; 3], vec![0; 6]].concat();
        assert_eq!(merge_short_runs(&chosen, 5), vec![0; 15]);
    }

    #[test]
    fn short_run_joins_the_run_before_it_even_with_a_new_camera() {
        let chosen = [vec![0; 6], vec![1; 7], vec![2; 2], vec![0; 5]].concat();
        let expected = [vec![0; 6], vec![1; 9], vec![0; 5]].concat();
        assert_eq!(merge_short_runs(&chosen, 5), expected);
    }

    #[test]
    fn chained_short_runs_all_join_the_preceding_long_run() {
        let chosen = [vec![0; 5], vec![1; 3], vec![2; 3], vec![0; 5]].concat();
        assert_eq!(merge_short_runs(&chosen, 5), vec![0; 16]);
    }

    #[test]
    fn short_first_run_merges_into_the_next() {
        let chosen = [vec![1; 2], vec![0; 6]].concat();
        assert_eq!(merge_short_runs(&chosen, 5), vec![0; 8]);
        // The second run, itself short, follows the first into camera 1's run.
        let chain = [vec![0; 2], vec![1; 3], vec![2; 5]].concat();
        let expected = [vec![1; 5], vec![2; 5]].concat();
        assert_eq!(merge_short_runs(&chain, 5), expected);
    }

    #[test]
    fn a_single_run_is_kept_even_if_short() {
        assert_eq!(merge_short_runs(&[1, 1, 1], 5), vec![1, 1, 1]);
        assert_eq!(merge_short_runs(&[], 5), Vec::<usize>::new());
    }

    #[test]
    fn primary_bonus_wins_a_near_tie() {
        // A: 100×100 = 10000 px², B: 100×110 = 11000 px², both constant.
        let a = camera("a", (1920, 1080), vec![entry(0.0, &[[0.0, 0.0, 100.0, 100.0]], &[])]);
        let b = camera("b", (1920, 1080), vec![entry(0.0, &[[0.0, 0.0, 100.0, 110.0]], &[])]);
        let cams = [a, b];
        let params = PlanParams::default();
        // Scores at t=0: A 0.4·10000·1.2 = 4800 > B 0.4·11000 = 4400.
        let with_bonus = CameraTimeline::build(&cams, "a", 8.0, &params);
        assert!(with_bonus.samples.iter().all(|s| s.camera == 0));
        let without = CameraTimeline::build(&cams, "none", 8.0, &params);
        assert!(without.samples.iter().all(|s| s.camera == 1));
        assert_eq!(without.samples.len(), 5);
        assert_eq!(without.global_end, 8.0);
    }

    #[test]
    fn different_resolutions_compare_shares_of_the_frame() {
        // A 1920×1080 with 480×432 = 207360 px² = 10 %; B 640×360 with
        // 160×288 = 46080 px² = 20 %. Raw pixels favour A, shares favour B.
        let a_people = [[0.0, 0.0, 480.0, 432.0]];
        let b_people = [[0.0, 0.0, 160.0, 288.0]];
        let cams = [
            camera("a", (1920, 1080), vec![entry(0.0, &a_people, &[])]),
            camera("b", (640, 360), vec![entry(0.0, &b_people, &[])]),
        ];
        let times = [0.0, 2.0];
        assert_eq!(
            area_curves(&cams, &times, "person"),
            vec![vec![0.1, 0.1], vec![0.2, 0.2]]
        );
        let timeline = CameraTimeline::build(&cams, "a", 4.0, &PlanParams::default());
        assert!(timeline.samples.iter().all(|s| s.camera == 1));

        // The same boxes on two 1920×1080 cameras are compared in raw pixels.
        let same = [
            camera("a", (1920, 1080), vec![entry(0.0, &a_people, &[])]),
            camera("b", (1920, 1080), vec![entry(0.0, &b_people, &[])]),
        ];
        assert_eq!(
            area_curves(&same, &times, "person"),
            vec![vec![207_360.0; 2], vec![46_080.0; 2]]
        );
    }

    #[test]
    fn no_cameras_gives_no_samples() {
        let timeline = CameraTimeline::build(&[], "a", 12.0, &PlanParams::default());
        assert_eq!(timeline.global_end, 12.0);
        assert!(timeline.samples.is_empty());
    }
}
