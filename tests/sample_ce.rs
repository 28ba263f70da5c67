//! `process`, `plan`, `detect` and `probe` on the generated sample CE, checked
//! against its ground truth: where the person is, which camera shows them
//! largest, and the summary video's format and length.

mod common;

use common::{copy_sample, frigate_buffer, frigate_buffer_on, iou, sample_ce, video_info};
use serde_json::Value;
use std::path::Path;

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

fn bbox(value: &Value) -> [f64; 4] {
    let a: Vec<f64> = value.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    [a[0], a[1], a[2], a[3]]
}

/// Share of ground-truth person frames found (IoU ≥ 0.5), and of empty
/// frames without a person detection, for one camera's sidecar.
fn agreement(sidecar: &Value, truth: &Value) -> (f64, f64) {
    let boxes = truth["boxes"].as_array().unwrap();
    let (mut present, mut found, mut empty, mut clean) = (0, 0, 0, 0);
    for entry in sidecar["entries"].as_array().unwrap() {
        let frame = entry["frame_number"].as_u64().unwrap() as usize;
        let people: Vec<[f64; 4]> = entry["detections"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["label"] == "person")
            .map(|d| bbox(&d["bbox"]))
            .collect();
        match &boxes[frame] {
            Value::Null => {
                empty += 1;
                clean += usize::from(people.is_empty());
            }
            expected => {
                present += 1;
                let expected = bbox(expected);
                found += usize::from(people.iter().any(|p| iou(*p, expected) >= 0.5));
            }
        }
    }
    let ratio = |a: usize, b: usize| if b == 0 { 1.0 } else { a as f64 / b as f64 };
    (ratio(found, present), ratio(clean, empty))
}

#[test]
fn process_finds_the_person_picks_the_largest_camera_and_writes_a_playable_summary() {
    let cameras = ["backyard", "driveway", "front_door"];
    let ce = copy_sample(&cameras);
    let output = frigate_buffer_on("process", ce.path(), &["--json"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["backends"]["accelerator"], "cpu");

    let truth = read_json(&sample_ce().join("ground_truth.json"));
    for camera in cameras {
        let sidecar = read_json(&ce.path().join(camera).join("detection.json"));
        assert_eq!(sidecar["frame_interval"], 5);
        assert_eq!(
            sidecar["entries"].as_array().unwrap().len(),
            120,
            "{camera}: 600 frames sampled every 5th"
        );
        let (found, clean) = agreement(&sidecar, &truth["cameras"][camera]);
        assert!(
            found >= 0.9,
            "{camera}: person found in only {:.0}% of frames",
            found * 100.0
        );
        assert!(
            clean >= 0.95,
            "{camera}: false people in {:.0}% of empty frames",
            (1.0 - clean) * 100.0
        );
        assert_eq!(sidecar["native_width"], truth["cameras"][camera]["width"]);
    }

    let summary = ce.path().join(format!(
        "{}_summary.mp4",
        ce.path().file_name().unwrap().to_string_lossy()
    ));
    let info = video_info(&summary);
    assert_eq!((info.codec.as_str(), info.width, info.height), ("h264", 1440, 1080));
    assert_eq!(info.pix_fmt, "yuv420p");
    assert!((info.fps - 20.0).abs() < 1e-9);
    assert!(
        info.frames.abs_diff(600) <= 1,
        "expected 30 s at 20 fps, got {} frames",
        info.frames
    );
    assert!(
        (info.duration - 30.0).abs() <= 0.05 + 1.0 / 20.0,
        "duration {}",
        info.duration
    );
    assert!(ce.path().join("notification.gif").metadata().unwrap().len() > 1000);
    let metadata = read_json(&ce.path().join("metadata.json"));
    assert_eq!(metadata["cameras"].as_array().unwrap().len(), 3);
    assert_eq!(metadata["summary_frames"], 600);
    assert_eq!(metadata["primary_camera"], report["ce"]["primary_camera"]);
    assert!(metadata["primary_camera"].is_string());
    let text = std::fs::read_to_string(ce.path().join("summary.txt")).unwrap();
    assert!(text.contains("front_door: 120 frames analysed"), "{text}");
    let leftovers: Vec<_> = std::fs::read_dir(ce.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.contains(".tmp.") || name.ends_with(".tmp")
        })
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");

    // The plan over the written sidecars shows each camera while it has the largest person.
    let output = frigate_buffer_on("plan", ce.path(), &["--json"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let plan: Value = serde_json::from_slice(&output.stdout).unwrap();
    let camera_at = |t: f64| -> String {
        let slices = plan["slices"].as_array().unwrap();
        let slice = slices
            .iter()
            .find(|s| s["start_sec"].as_f64().unwrap() <= t && t < s["end_sec"].as_f64().unwrap())
            .unwrap_or_else(|| panic!("no slice covers t = {t}"));
        slice["camera"].as_str().unwrap().to_string()
    };
    for t in [1.0, 3.0, 5.0, 7.0] {
        assert_eq!(camera_at(t), "backyard", "t = {t}");
    }
    for t in [11.0, 13.0, 15.0, 17.0, 19.0] {
        assert_eq!(camera_at(t), "front_door", "t = {t}");
    }
    assert_eq!(plan["native"]["front_door"], serde_json::json!([1920, 1080]));
    // Every crop lies inside its camera's frame and has the output's 4:3 aspect.
    for slice in plan["slices"].as_array().unwrap() {
        let native = &plan["native"][slice["camera"].as_str().unwrap()];
        let (w, h) = (native[0].as_u64().unwrap(), native[1].as_u64().unwrap());
        for key in ["crop_start", "crop_end"] {
            let c: Vec<u64> = slice[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap())
                .collect();
            assert!(c[0] + c[2] <= w && c[1] + c[3] <= h, "{key} {c:?} outside {w}x{h}");
            let aspect = c[2] as f64 / c[3] as f64;
            assert!((aspect - 4.0 / 3.0).abs() < 0.01, "{key} {c:?} is not 4:3");
        }
    }
}

#[test]
fn plan_primary_override_and_unknown_camera() {
    let ce = copy_sample(&["driveway"]);
    let sidecar = r#"[{"frame_number": 0, "timestamp_sec": 0.0,
        "detections": [{"label": "person", "score": 0.9, "bbox": [100, 100, 300, 500]}]}]"#;
    // A legacy bare-list sidecar: the native size comes from probing the clip.
    std::fs::write(ce.path().join("driveway/detection.json"), sidecar).unwrap();
    let output = frigate_buffer_on("plan", ce.path(), &["--json", "--primary", "driveway"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let plan: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(plan["primary_camera"], "driveway");
    assert_eq!(plan["native"]["driveway"], serde_json::json!([1280, 720]));
    let output = frigate_buffer_on("plan", ce.path(), &["--json", "--primary", "garage"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--primary garage"));
}

#[test]
fn probe_reports_the_clip_metadata() {
    let clip = sample_ce().join("front_door/front_door-1.mp4");
    let output = frigate_buffer_on("probe", &clip, &[]);
    assert!(output.status.success());
    let metadata: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(metadata["codec"], "h264");
    assert_eq!(
        (metadata["width"].as_u64(), metadata["height"].as_u64()),
        (Some(1920), Some(1080))
    );
    assert_eq!(metadata["frame_count"], 600);
    assert!((metadata["fps"].as_f64().unwrap() - 20.0).abs() < 1e-6);
    assert_eq!(
        metadata["keyframes"].as_array().unwrap().len(),
        15,
        "a keyframe every 40 frames"
    );
}

#[test]
fn detect_writes_the_sidecar_beside_the_clip() {
    let ce = copy_sample(&["backyard"]);
    let clip = ce.path().join("backyard/backyard-1.mp4");
    let output = frigate_buffer_on("detect", &clip, &[]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let sidecar = read_json(&ce.path().join("backyard/detection.json"));
    let entries = sidecar["entries"].as_array().unwrap();
    let with_person = entries
        .iter()
        .filter(|e| !e["detections"].as_array().unwrap().is_empty())
        .count();
    // The person is on the lawn for the first 8 s (frames 0..160: 32 sampled frames), then it is empty.
    assert!((30..=34).contains(&with_person), "{with_person} frames with a person");
    let last = entries.last().unwrap();
    assert!(last["detections"].as_array().unwrap().is_empty());
    // Motion: the person's exit leaves motion boxes around 8 s; the empty lawn later has none.
    let motion_at = |frame: u64| {
        entries.iter().find(|e| e["frame_number"] == frame).unwrap()["motion"]
            .as_array()
            .unwrap()
            .len()
    };
    assert!(motion_at(100) > 0, "a moving person makes motion boxes");
    assert_eq!(motion_at(500), 0, "a still scene has no motion");
}

#[test]
fn doctor_reports_the_cpu_backends() {
    let output = frigate_buffer(&["doctor"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("accelerator owner backend: cpu"), "{stdout}");
    assert!(stdout.contains("onnxruntime  ok: 1.30"), "{stdout}");
    assert!(stdout.contains("encode  libx264 (ffmpeg)"), "{stdout}");
}
