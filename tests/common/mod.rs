//! Shared helpers of the integration tests: the sample CE (generated once by
//! `scripts/make-sample.sh`), running the real binary, probing outputs with
//! ffprobe.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Once;

pub mod api_server;
pub mod browser;
pub mod creeping_box;
pub mod frigate_api;
pub mod mosquitto;
pub mod openai_stub;
pub mod pushover_api;
pub mod service_harness;
pub mod slow_box;
pub mod small_disk;

/// The project root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The sample CE folder, generated on first use (the script is idempotent), or the one
/// `$FRIGATE_BUFFER_SAMPLE` names (a machine that runs test binaries built elsewhere).
pub fn sample_ce() -> PathBuf {
    if let Some(dir) = std::env::var_os("FRIGATE_BUFFER_SAMPLE") {
        return PathBuf::from(dir);
    }
    static MAKE: Once = Once::new();
    let dir = root().join("sample/ce");
    MAKE.call_once(|| {
        let status = Command::new("bash")
            .arg(root().join("scripts/make-sample.sh"))
            .arg(&dir)
            .status()
            .expect("running scripts/make-sample.sh");
        assert!(status.success(), "scripts/make-sample.sh failed");
    });
    dir
}

/// Copies the sample's clips (not its outputs) into a fresh CE folder.
pub fn copy_sample(cameras: &[&str]) -> tempfile::TempDir {
    let sample = sample_ce();
    let dir = tempfile::Builder::new().prefix("ce-").tempdir().unwrap();
    for camera in cameras {
        std::fs::create_dir_all(dir.path().join(camera)).unwrap();
        let clip = format!("{camera}/{camera}-1.mp4");
        std::fs::copy(sample.join(&clip), dir.path().join(&clip)).unwrap();
    }
    dir
}

/// Runs the binary with `args`.
pub fn frigate_buffer(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_frigate-buffer"))
        .args(args)
        .env("FRIGATE_BUFFER_LOG", "warn")
        .output()
        .expect("running frigate-buffer")
}

/// Runs the binary on paths.
pub fn frigate_buffer_on(command: &str, path: &Path, extra: &[&str]) -> Output {
    let path = path.to_str().unwrap();
    let mut args = vec![command, path];
    args.extend_from_slice(extra);
    frigate_buffer(&args)
}

/// Stream properties of a video, from ffprobe.
#[derive(Debug)]
pub struct VideoInfo {
    pub codec: String,
    pub width: u32,
    pub height: u32,
    pub fps: f64,
    pub frames: u64,
    pub duration: f64,
    pub pix_fmt: String,
}

/// Probes `video` with ffprobe, counting frames by decoding.
pub fn video_info(video: &Path) -> VideoInfo {
    let output = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-count_frames",
            "-print_format",
            "json",
        ])
        .args([
            "-show_entries",
            "stream=codec_name,width,height,r_frame_rate,nb_read_frames,pix_fmt:format=duration",
        ])
        .arg(video)
        .output()
        .expect("running ffprobe");
    assert!(output.status.success(), "ffprobe failed on {}", video.display());
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let stream = &value["streams"][0];
    let rate = stream["r_frame_rate"].as_str().unwrap();
    let (num, den) = rate.split_once('/').unwrap();
    VideoInfo {
        codec: stream["codec_name"].as_str().unwrap().to_string(),
        width: stream["width"].as_u64().unwrap() as u32,
        height: stream["height"].as_u64().unwrap() as u32,
        fps: num.parse::<f64>().unwrap() / den.parse::<f64>().unwrap(),
        frames: stream["nb_read_frames"].as_str().unwrap().parse().unwrap(),
        duration: value["format"]["duration"].as_str().unwrap().parse().unwrap(),
        pix_fmt: stream["pix_fmt"].as_str().unwrap().to_string(),
    }
}

/// Intersection over union of two `[x1, y1, x2, y2]` boxes.
pub fn iou(a: [f64; 4], b: [f64; 4]) -> f64 {
    let w = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let h = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = w * h;
    let union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
    if union > 0.0 {
        inter / union
    } else {
        0.0
    }
}
