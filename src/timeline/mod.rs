//! The summary plan: which camera is shown when, with which crop, and which
//! frames go to the AI (SPEC §6–§8). Pure functions over parsed sidecars; no
//! I/O, no threads, no pixels.
//!
//! - `params.rs`: `PlanParams`, every tunable with its SPEC default.
//! - `cameras.rs`: `CameraSidecar`, a camera's name, shared sidecar and native size.
//! - `camera_timeline.rs`: sample grid, person-area EMA, primary bonus,
//!   hysteresis and short-run merging → one camera per sample (§6.1–5).
//! - `slices.rs`: one slice per sample, trimmed to the action window (§6.6).
//! - `rect.rs`: `CropRect` and the integer rules (centring, clamping, even
//!   sides, uniform down-scaling, interpolation).
//! - `crop.rs`: the raw crop of one camera at one time (§7).
//! - `smoothing.rs`: zoom EMA across same-camera slices, hold before cuts (§7).
//! - `plan.rs`: `plan_summary` → `SummaryPlan` (the `plan --json` shape),
//!   its `CameraRun`s (which camera is shown when) and `default_primary`.
//! - `schedule.rs`: `SummaryPlan::frame_times`, the per-output-frame source
//!   time and crop at 20 fps (§7 rendering).
//! - `ai_frames.rs`: the AI frame choice and its 1280×720 crop rule (§8).

pub mod ai_frames;
pub mod camera_timeline;
pub mod cameras;
pub mod crop;
pub mod params;
pub mod plan;
pub mod rect;
pub mod schedule;
pub mod slices;
pub mod smoothing;

pub use ai_frames::{ai_crop, plan_ai_frames, AiCrop, AiFrame};
pub use cameras::CameraSidecar;
pub use params::{PlanParams, PlanParamsError};
pub use plan::{default_primary, plan_summary, CameraRun, PlanSlice, SummaryPlan};
pub use rect::CropRect;
pub use schedule::{RenderFrame, OUTPUT_FPS};
