//! The slow-box motion clip: a static textured scene where a solid white 48×48 box creeps
//! across a 320×180, 20 fps H.264 clip at 16 px/s (4 px per sampled frame at the default
//! interval of 5), and what its sidecar's motion must show.
//!
//! Timeline: 0–2 s static (the box waits off-frame left); 2–25 s the box crosses
//! (`x = floor(16·(t − 2)) − 48`, `y = 66`) and leaves on the right; 25–42 s static again.
//! Frame differencing between samples sees only 4 px strips at the box's edges
//! (4 × 48 = 192 px², under the 0.5 % minimum of 288 px²); a background model sees the box.
//! "After" starts 11.5 s after the box left: the background forgets a departed object
//! within `ln(255 / 25) / α ≈ 46` samples at the default α = 0.05 (the `motion::background`
//! docs), whatever its contrast.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

/// Seconds the box starts moving (still off-frame).
pub const MOVE_START_SEC: f64 = 2.0;
/// Seconds the box has fully left the frame.
pub const MOVE_END_SEC: f64 = 25.0;
/// Seconds after which the background has forgotten the box.
pub const SETTLED_SEC: f64 = 36.5;

/// The clip: `$FRIGATE_BUFFER_SLOW_BOX_CLIP` when set (a machine without FFmpeg), else
/// made once per build with FFmpeg.
pub fn slow_box_clip() -> PathBuf {
    if let Some(path) = std::env::var_os("FRIGATE_BUFFER_SLOW_BOX_CLIP") {
        return PathBuf::from(path);
    }
    static CLIP: OnceLock<PathBuf> = OnceLock::new();
    CLIP.get_or_init(|| {
        let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("slow-box.mp4");
        if path.exists() {
            return path;
        }
        let partial = path.with_file_name(format!(".{}.slow-box.mp4", std::process::id()));
        let status = Command::new("ffmpeg")
            .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
            .arg("nullsrc=s=320x180:r=20:d=42,geq=lum='128+60*sin(X/5)*sin(Y/4)':cb=128:cr=128,format=yuv420p")
            .args([
                "-f",
                "lavfi",
                "-i",
                "color=c=white:s=48x48:r=20:d=42",
                "-filter_complex",
            ])
            .arg("[0][1]overlay=x='floor(16*(t-2))-48':y=66:eval=frame:shortest=1,format=yuv420p")
            .args(["-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-g", "40"])
            .args(["-movflags", "+faststart", "-f", "mp4"])
            .arg(&partial)
            .status()
            .expect("running ffmpeg");
        assert!(status.success(), "ffmpeg failed to make the slow-box clip");
        std::fs::rename(&partial, &path).unwrap();
        path
    })
    .clone()
}

/// The box's left edge at `t` seconds.
fn box_left(t: f64) -> f64 {
    (16.0 * (t - MOVE_START_SEC)).floor() - 48.0
}

/// Checks a slow-box sidecar: no motion on the static scene before the box moves (after
/// the seeding first sample) or once the background has settled after it left; while at
/// least 16 px of the box are in view (3–24 s), motion in ≥ 80 % of the samples, the
/// largest box overlapping the white box.
pub fn assert_slow_box_motion(sidecar: &Value) {
    let entries = sidecar["entries"].as_array().expect("entries");
    let motion = |e: &Value| e["motion"].as_array().expect("motion").clone();
    let time = |e: &Value| e["timestamp_sec"].as_f64().expect("timestamp_sec");
    let before: Vec<f64> = entries
        .iter()
        .filter(|e| time(e) < MOVE_START_SEC && !motion(e).is_empty())
        .map(time)
        .collect();
    assert!(
        before.is_empty(),
        "motion on the static scene before the box moves at {before:?}"
    );
    let after: Vec<f64> = entries
        .iter()
        .filter(|e| time(e) >= SETTLED_SEC && !motion(e).is_empty())
        .map(time)
        .collect();
    assert!(after.is_empty(), "motion after the scene settled at {after:?}");
    assert!(
        entries.iter().any(|e| time(e) >= SETTLED_SEC),
        "the clip reaches the settled scene"
    );
    let moving: Vec<&Value> = entries.iter().filter(|e| (3.0..=24.0).contains(&time(e))).collect();
    let on_the_box = moving
        .iter()
        .filter(|e| {
            let left = box_left(time(e));
            motion(e).first().is_some_and(|m| {
                let b: Vec<f64> = m["bbox"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_f64().unwrap())
                    .collect();
                b[0] < left + 48.0 && b[2] > left && b[1] < 114.0 && b[3] > 66.0
            })
        })
        .count();
    assert!(
        on_the_box * 5 >= moving.len() * 4,
        "motion on the box in {on_the_box} of {} samples while it moves",
        moving.len()
    );
}
