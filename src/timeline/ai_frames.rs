//! Which frames go to the AI endpoint and how each is cropped (SPEC §8).
//!
//! Owns the choice of at most `ai_max_frames` samples along the camera
//! timeline and the 1280×720 crop rule. The frames follow the §6 sample grid
//! *before* the slices are trimmed to the action window: §8 speaks of the
//! grid and of each sample's assigned camera (steps 1–5), while trimming
//! (step 6) applies to video slices. It does not decode, draw the overlay,
//! encode JPEGs or talk to the endpoint.

use super::camera_timeline::CameraTimeline;
use super::cameras::CameraSidecar;
use super::params::PlanParams;
use super::rect::{scaled_to_fit, CropRect};

/// A person this large a share of the crop area (or larger) is shown whole:
/// the full frame is letterboxed instead of cropped (SPEC §8: 40 %).
const LETTERBOX_PERSON_SHARE: f64 = 0.40;

/// How an AI frame is cut from its source frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AiCrop {
    /// Cut this native-pixel rectangle (the AI crop size, or smaller on a
    /// smaller source).
    Crop(CropRect),
    /// The person is too large for the crop: fit the whole frame into the AI
    /// crop size, padding the rest.
    Letterbox,
}

/// One frame to extract for the AI analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct AiFrame {
    /// Camera assigned to the sample.
    pub camera: String,
    /// Source time, seconds from the shared clip start.
    pub t: f64,
    /// How to cut the frame.
    pub crop: AiCrop,
}

/// The AI frames of a CE, in time order: at most `params.ai_max_frames`
/// samples of the untrimmed camera timeline, spread evenly (see
/// `evenly_spaced`), each on its assigned camera with its `ai_crop`.
pub fn plan_ai_frames(
    cameras: &[CameraSidecar],
    primary: &str,
    ce_window_sec: f64,
    params: &PlanParams,
) -> Vec<AiFrame> {
    let timeline = CameraTimeline::build(cameras, primary, ce_window_sec, params);
    evenly_spaced(timeline.samples.len(), params.ai_max_frames)
        .into_iter()
        .map(|i| {
            let sample = timeline.samples[i];
            let camera = &cameras[sample.camera];
            AiFrame {
                camera: camera.name.clone(),
                t: sample.t,
                crop: ai_crop(camera, sample.t, params),
            }
        })
        .collect()
}

/// Indices of `max` of `count` samples spread evenly, first and last
/// included: `round(k × (count − 1) / (max − 1))` for `k = 0..max`; every
/// index when `count ≤ max`; only the first when `max` is 1.
fn evenly_spaced(count: usize, max: usize) -> Vec<usize> {
    if count <= max {
        return (0..count).collect();
    }
    if max <= 1 {
        return (0..max).collect();
    }
    let stride = (count - 1) as f64 / (max - 1) as f64;
    (0..max).map(|k| (k as f64 * stride).round() as usize).collect()
}

/// SPEC §8 crop of `camera` at `t`, using the nearest entry only: no `label`
/// detection → the crop centred in the frame; the largest one (ties: the
/// first listed) covering at least 40 % of the crop area → `Letterbox`; else
/// the crop centred on that detection's centre, clamped inside the frame. The
/// crop is `params.ai_crop_size`, scaled down uniformly on a smaller source.
pub fn ai_crop(camera: &CameraSidecar, t: f64, params: &PlanParams) -> AiCrop {
    let frame = camera.native;
    let size = scaled_to_fit(params.ai_crop_size, frame);
    let largest_person = camera
        .sidecar
        .nearest_entry_index(t)
        .map(|i| &camera.sidecar.entries[i])
        .and_then(|entry| {
            entry
                .detections
                .iter()
                .filter(|d| d.label == params.label)
                .reduce(|best, d| if d.area() > best.area() { d } else { best })
        });
    let Some(person) = largest_person else {
        let frame_center = [f64::from(frame.0) / 2.0, f64::from(frame.1) / 2.0];
        return AiCrop::Crop(CropRect::centered(frame_center, size, frame));
    };
    let crop_area = f64::from(size.0) * f64::from(size.1);
    if person.area() as f64 >= LETTERBOX_PERSON_SHARE * crop_area {
        AiCrop::Letterbox
    } else {
        AiCrop::Crop(CropRect::centered(person.center(), size, frame))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::cameras::test_support::{camera, entry};

    fn crop_of(people: &[[f64; 4]]) -> AiCrop {
        let cam = camera("a", (1920, 1080), vec![entry(0.0, people, &[])]);
        ai_crop(&cam, 0.0, &PlanParams::default())
    }

    #[test]
    fn even_spacing_keeps_first_and_last() {
        assert_eq!(evenly_spaced(10, 4), vec![0, 3, 6, 9]);
        // 5/3 steps: 0, 1.67, 3.33, 5 → 0, 2, 3, 5.
        assert_eq!(evenly_spaced(6, 4), vec![0, 2, 3, 5]);
        assert_eq!(evenly_spaced(3, 45), vec![0, 1, 2]);
        assert_eq!(evenly_spaced(3, 1), vec![0]);
        assert!(evenly_spaced(3, 0).is_empty());
        let many = evenly_spaced(100, 45);
        assert_eq!((many.len(), many[0], many[44]), (45, 0, 99));
        assert!(many.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn no_person_gives_the_centre_crop() {
        assert_eq!(crop_of(&[]), AiCrop::Crop([320, 180, 1280, 720].into()));
    }

    #[test]
    fn a_person_under_40_percent_is_followed_and_clamped() {
        // Largest: 400×600 = 240000 < 0.4 × 921600 = 368640; centre (400,500)
        // → x −240 → 0, y 140. The smaller person does not steer.
        let people = [[1500.0, 100.0, 1600.0, 200.0], [200.0, 200.0, 600.0, 800.0]];
        assert_eq!(crop_of(&people), AiCrop::Crop([0, 140, 1280, 720].into()));
    }

    #[test]
    fn a_person_of_40_percent_or_more_letterboxes() {
        // 640×576 = 368640, exactly 40 % of 1280×720.
        assert_eq!(crop_of(&[[100.0, 100.0, 740.0, 676.0]]), AiCrop::Letterbox);
        // One pixel row less: 640×575 = 368000 is followed instead.
        assert!(matches!(crop_of(&[[100.0, 100.0, 740.0, 675.0]]), AiCrop::Crop(_)));
    }

    #[test]
    fn frames_follow_the_untrimmed_grid_and_the_assigned_camera() {
        // One camera, a person only at 60–70 s, window 100 s: 51 samples →
        // 45 frames at round(k × 50/44) × 2 s, starting at 0 s although the
        // action window starts at 57 s.
        let person = [[700.0, 300.0, 1200.0, 900.0]];
        let entries = (0..=100)
            .map(|s| {
                let t = f64::from(s);
                let people: &[[f64; 4]] = if (60.0..=70.0).contains(&t) { &person } else { &[] };
                entry(t, people, &[])
            })
            .collect();
        let cams = [camera("porch", (1920, 1080), entries)];
        let frames = plan_ai_frames(&cams, "porch", 100.0, &PlanParams::default());
        assert_eq!(frames.len(), 45);
        assert_eq!((frames[0].t, frames[1].t, frames[44].t), (0.0, 2.0, 100.0));
        assert!(frames.iter().all(|f| f.camera == "porch"));
        // k = 27 → round(30.68) = 31 → t 62: the person (centre (950,600)) is followed.
        assert_eq!(frames[27].t, 62.0);
        assert_eq!(frames[27].crop, AiCrop::Crop([310, 240, 1280, 720].into()));
    }
}
