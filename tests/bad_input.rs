//! Bad input: each broken camera gets one clear line naming its file, the
//! other cameras still complete, and configuration errors exit with code 2
//! naming the key and the file.

mod common;

use common::{copy_sample, frigate_buffer, frigate_buffer_on, sample_ce, video_info};
use serde_json::Value;
use std::fs;

#[test]
fn broken_cameras_fail_alone_and_the_ce_completes() {
    let ce = copy_sample(&["driveway"]);
    let dir = ce.path();
    let good = fs::read(sample_ce().join("backyard/backyard-1.mp4")).unwrap();
    let write = |camera: &str, bytes: &[u8]| {
        fs::create_dir_all(dir.join(camera)).unwrap();
        fs::write(dir.join(camera).join(format!("{camera}-1.mp4")), bytes).unwrap();
    };
    write("empty", b"");
    write("truncated", &good[..good.len() * 2 / 5]);
    write("text", b"this is not a video\n");
    fs::create_dir_all(dir.join("noclip")).unwrap();

    let output = frigate_buffer_on("process", dir, &["--json"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let cameras = report["ce"]["cameras"].as_array().unwrap();
    let error_of = |name: &str| -> String {
        let camera = cameras.iter().find(|c| c["camera"] == name).unwrap();
        camera["error"].as_str().unwrap_or_default().to_string()
    };
    for (camera, expected) in [
        ("empty", "empty-1.mp4"),
        ("truncated", "truncated-1.mp4"),
        ("text", "text-1.mp4"),
        ("noclip", "has no .mp4 clip"),
    ] {
        let error = error_of(camera);
        assert!(error.contains(expected), "{camera}: {error}");
        assert!(!error.contains('\n'), "{camera}: one line, got {error}");
    }
    assert!(error_of("empty").contains("empty"), "{}", error_of("empty"));
    assert!(error_of("truncated").contains("truncated"), "{}", error_of("truncated"));
    assert_eq!(error_of("driveway"), "");
    assert!(dir.join("driveway/detection.json").is_file());
    for broken in ["empty", "truncated", "text"] {
        assert!(
            !dir.join(broken).join("detection.json").exists(),
            "{broken} must have no sidecar"
        );
    }
    let summary = report["ce"]["summary"].as_str().expect("the CE still has a summary");
    let info = video_info(std::path::Path::new(summary));
    assert_eq!((info.width, info.height), (1440, 1080));
    assert!(info.frames.abs_diff(600) <= 1, "{} frames", info.frames);
}

#[test]
fn malformed_config_key_exits_2_naming_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yaml");
    fs::write(&config, "multi_cam:\n  detection_frame_interval: often\n").unwrap();
    let output = frigate_buffer(&[
        "process",
        dir.path().to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("config.yaml") && stderr.contains("multi_cam.detection_frame_interval"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
}

#[test]
fn unreadable_model_path_exits_2_naming_the_key_and_file() {
    let ce = copy_sample(&["driveway"]);
    let config = ce.path().join("config.yaml");
    fs::write(&config, "detection:\n  model: /nonexistent/yolo.onnx\n").unwrap();
    let output = frigate_buffer(&[
        "process",
        ce.path().to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("detection.model") && stderr.contains("/nonexistent/yolo.onnx"),
        "{stderr}"
    );
}

#[test]
fn a_damaged_model_fails_its_checksum() {
    let ce = copy_sample(&["driveway"]);
    let model = ce.path().join("damaged.onnx");
    let mut bytes = fs::read(common::root().join("models/nanodet_coco80_416.onnx")).unwrap();
    bytes[1000] ^= 0xff;
    fs::write(&model, bytes).unwrap();
    let config = ce.path().join("config.yaml");
    let sha = "36b267480e15b25fd4456411a087fa1a9d833ecebd36dee4d44d53d75258320d";
    fs::write(
        &config,
        format!("detection:\n  model: {}\n  model_sha256: {sha}\n", model.display()),
    )
    .unwrap();
    let output = frigate_buffer(&[
        "process",
        ce.path().to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("damaged.onnx") && stderr.contains("sha256"), "{stderr}");
}

#[test]
fn missing_folder_is_one_line_naming_it() {
    let output = frigate_buffer(&["process", "/nonexistent/ce"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("/nonexistent/ce"), "{stderr}");
}

/// Runs the binary with `env` set (and `FRIGATE_BUFFER_CONFIG` unset unless given).
fn frigate_buffer_with_env(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_frigate-buffer"));
    command
        .args(args)
        .env("FRIGATE_BUFFER_LOG", "warn")
        .env_remove("FRIGATE_BUFFER_CONFIG");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("running frigate-buffer")
}

#[test]
fn run_without_config_reads_the_environment_then_frigates_location() {
    let named = frigate_buffer_with_env(&["run"], &[("FRIGATE_BUFFER_CONFIG", "/nonexistent/fb.yml")]);
    assert_eq!(named.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&named.stderr);
    assert!(stderr.contains("/nonexistent/fb.yml"), "{stderr}");

    if std::path::Path::new("/config/config.yml").exists() {
        eprintln!("skipped the default location: /config/config.yml exists on this machine");
        return;
    }
    let default = frigate_buffer_with_env(&["worker"], &[]);
    assert_eq!(default.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&default.stderr);
    assert!(stderr.contains("/config/config.yml"), "{stderr}");
}

#[test]
fn a_bad_api_port_in_the_environment_exits_2_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yaml");
    fs::write(&config, "network:\n  api_port: 5055\n").unwrap();
    let output = frigate_buffer_with_env(
        &["process", "/nonexistent/ce", "--config", config.to_str().unwrap()],
        &[("API_PORT", "http")],
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("API_PORT") && stderr.contains("'http'"), "{stderr}");
}
