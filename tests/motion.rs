//! The motion fallback against a background model, on the default backend (the CPU
//! without an NVIDIA GPU) with the real
//! model and real H.264 clips: a slowly creeping solid box is seen; a still scene is not.

mod common;

use common::frigate_buffer_on;
use common::slow_box::{assert_slow_box_motion, slow_box_clip};

#[test]
fn a_slowly_creeping_box_is_seen_and_the_still_scene_is_not() {
    let dir = tempfile::Builder::new().prefix("slow-box-").tempdir().unwrap();
    let clip = dir.path().join("driveway/driveway-1.mp4");
    std::fs::create_dir_all(clip.parent().unwrap()).unwrap();
    std::fs::copy(slow_box_clip(), &clip).unwrap();
    let output = frigate_buffer_on("detect", &clip, &[]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let sidecar: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("driveway/detection.json")).unwrap()).unwrap();
    assert_slow_box_motion(&sidecar);
}
