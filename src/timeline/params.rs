//! Tunables of the camera timeline, the crops and the AI frame choice (SPEC §6–§8).
//!
//! Owns the numbers only, with the SPEC defaults and a check that they are
//! usable. It does not read configuration files: the configuration layer maps
//! its validated keys onto these fields.

/// Every tunable of the summary plan and the AI frame choice, one field each.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanParams {
    /// Spacing of the camera-timeline sample grid, seconds (SPEC §6.1: 2 s).
    pub sample_step_sec: f64,
    /// Weight of the newest area in the per-camera EMA, 0..=1
    /// (`multi_cam.camera_timeline_ema_alpha`, SPEC §6.3: 0.4).
    pub camera_ema_alpha: f64,
    /// Multiplier on the primary camera's score so the CE's first camera wins
    /// near-ties (SPEC §6.4: 1.2).
    pub primary_bonus: f64,
    /// How much better a challenger's score must be to take over from the
    /// shown camera (`multi_cam.camera_switch_hysteresis_margin`, SPEC §6.4: 1.15).
    pub switch_hysteresis: f64,
    /// Shortest run of samples a camera may be shown for; shorter runs are
    /// merged away (SPEC §6.5: 5).
    pub min_run_samples: usize,
    /// Seconds kept before the first and after the last detection when the
    /// slices are trimmed to the action window (SPEC §6.6: 3 s).
    pub trim_padding_sec: f64,
    /// How far from `t` an entry with a person may be to still steer the crop
    /// when the nearest entry has none (SPEC §7 "hold": 5 s).
    pub hold_window_sec: f64,
    /// Share of the crop, in percent, that the padded content should fill;
    /// 0 turns zooming off (`multi_cam.tracking_target_frame_percent`, SPEC §7: 40).
    pub tracking_target_frame_percent: f64,
    /// Weight of the newest zoom scalar in the crop-size EMA, 0..=1
    /// (`multi_cam.compilation_zoom_smooth_ema_alpha`, SPEC §7: 0.25).
    pub zoom_smoothing_alpha: f64,
    /// Summary video size `(width, height)`; also fixes the crop aspect (SPEC §7: 1440×1080).
    pub output_size: (u32, u32),
    /// Detection label that counts as "person" for scoring and cropping (default `person`).
    pub label: String,
    /// Most frames sent to the AI endpoint (`max_multi_cam_frames_min`, SPEC §8: 45).
    pub ai_max_frames: usize,
    /// Size `(width, height)` of an AI frame crop (SPEC §8: 1280×720).
    pub ai_crop_size: (u32, u32),
}

impl Default for PlanParams {
    fn default() -> Self {
        Self {
            sample_step_sec: 2.0,
            camera_ema_alpha: 0.4,
            primary_bonus: 1.2,
            switch_hysteresis: 1.15,
            min_run_samples: 5,
            trim_padding_sec: 3.0,
            hold_window_sec: 5.0,
            tracking_target_frame_percent: 40.0,
            zoom_smoothing_alpha: 0.25,
            output_size: (1440, 1080),
            label: "person".to_owned(),
            ai_max_frames: 45,
            ai_crop_size: (1280, 720),
        }
    }
}

/// A tunable outside the range the algorithms are defined for.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("plan parameter `{field}` is {value}, but must be {expected}")]
pub struct PlanParamsError {
    /// Name of the offending `PlanParams` field.
    pub field: &'static str,
    /// The rejected value, as text.
    pub value: String,
    /// The accepted range, in words.
    pub expected: &'static str,
}

impl PlanParams {
    /// Checks that every field is in the range its algorithm is defined for.
    /// The planning functions never panic or loop on bad values, but their
    /// results are only meaningful for parameters that pass this check.
    pub fn validate(&self) -> Result<(), PlanParamsError> {
        let fail = |field, value: String, expected| Err(PlanParamsError { field, value, expected });
        let positive = [
            ("sample_step_sec", self.sample_step_sec),
            ("primary_bonus", self.primary_bonus),
            ("switch_hysteresis", self.switch_hysteresis),
        ];
        for (field, value) in positive {
            if !(value > 0.0 && value.is_finite()) {
                return fail(field, value.to_string(), "a finite number above 0");
            }
        }
        let non_negative = [
            ("trim_padding_sec", self.trim_padding_sec),
            ("hold_window_sec", self.hold_window_sec),
        ];
        for (field, value) in non_negative {
            if !(value >= 0.0 && value.is_finite()) {
                return fail(field, value.to_string(), "a finite number of at least 0");
            }
        }
        let unit = [
            ("camera_ema_alpha", self.camera_ema_alpha),
            ("zoom_smoothing_alpha", self.zoom_smoothing_alpha),
        ];
        for (field, value) in unit {
            if !(0.0..=1.0).contains(&value) {
                return fail(field, value.to_string(), "between 0 and 1");
            }
        }
        if !(0.0..=100.0).contains(&self.tracking_target_frame_percent) {
            return fail(
                "tracking_target_frame_percent",
                self.tracking_target_frame_percent.to_string(),
                "between 0 and 100",
            );
        }
        let sizes = [("output_size", self.output_size), ("ai_crop_size", self.ai_crop_size)];
        for (field, (w, h)) in sizes {
            if w == 0 || h == 0 {
                return fail(field, format!("{w}x{h}"), "at least 1x1");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_spec_numbers_and_valid() {
        let params = PlanParams::default();
        assert_eq!(params.sample_step_sec, 2.0);
        assert_eq!(params.camera_ema_alpha, 0.4);
        assert_eq!(params.switch_hysteresis, 1.15);
        assert_eq!(params.min_run_samples, 5);
        assert_eq!(params.output_size, (1440, 1080));
        assert_eq!(params.ai_crop_size, (1280, 720));
        assert_eq!(params.validate(), Ok(()));
    }

    #[test]
    fn a_zero_step_is_rejected_by_name() {
        let params = PlanParams {
            sample_step_sec: 0.0,
            ..PlanParams::default()
        };
        let err = params.validate().unwrap_err();
        assert_eq!(err.field, "sample_step_sec");
        assert!(err.to_string().contains("sample_step_sec"), "{err}");
    }

    #[test]
    fn zero_padding_is_allowed_but_negative_is_not() {
        let zero = PlanParams {
            trim_padding_sec: 0.0,
            ..PlanParams::default()
        };
        assert_eq!(zero.validate(), Ok(()));
        let negative = PlanParams {
            hold_window_sec: -1.0,
            ..PlanParams::default()
        };
        assert_eq!(negative.validate().unwrap_err().field, "hold_window_sec");
    }

    #[test]
    fn alpha_above_one_and_empty_sizes_are_rejected() {
        let alpha = PlanParams {
            zoom_smoothing_alpha: 1.5,
            ..PlanParams::default()
        };
        assert_eq!(alpha.validate().unwrap_err().field, "zoom_smoothing_alpha");
        let size = PlanParams {
            ai_crop_size: (0, 720),
            ..PlanParams::default()
        };
        assert_eq!(size.validate().unwrap_err().field, "ai_crop_size");
    }
}
