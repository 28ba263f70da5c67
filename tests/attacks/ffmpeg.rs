//! FFmpeg children: a clip whose FFmpeg floods stderr must neither wedge `process` nor the
//! service, a clip without video frames fails its camera with one clear line, and a Ctrl-C
//! to the service's process group reaches the service (which drains) and not its FFmpegs.

use crate::common::copy_sample;
use crate::common::frigate_api::{ffmpeg_test_jpeg, FrigateApi, Setup};
use crate::common::service_harness::{
    frigate_with_sample_clips, sample_clips, wait_for_finished_ce_folders, OnlineWatch, Rig, SERVICE_AVAILABILITY,
};
use serde_json::Value;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Longest a `process` run or a CE may take here; far above the seconds they need.
const DEADLINE: Duration = Duration::from_secs(300);

/// The top-level MP4 boxes of `bytes`: (type, start, size).
fn top_level_boxes(bytes: &[u8]) -> Vec<([u8; 4], usize, usize)> {
    let mut boxes = Vec::new();
    let mut at = 0;
    while at + 8 <= bytes.len() {
        let size = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        assert!(size >= 8, "box at {at} has size {size}");
        boxes.push((bytes[at + 4..at + 8].try_into().unwrap(), at, size));
        at += size;
    }
    boxes
}

/// Encodes a 320x240, 20 fps H.264 clip of `seconds` with `extra` output options.
fn encode(path: &Path, seconds: u32, extra: &[&str]) {
    let status = Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:rate=20",
        ])
        .args(["-t", &seconds.to_string()])
        .args([
            "-c:v", "libx264", "-preset", "veryfast", "-g", "20", "-pix_fmt", "yuv420p",
        ])
        .args(extra)
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success(), "encoding {}", path.display());
}

/// A real H.264 MP4 (20 s, 8 slices a frame) with one byte in every 97 of its `mdat` flipped:
/// FFmpeg conceals the damage and writes a few hundred KiB of error lines. Made once.
fn corrupt_clip() -> &'static Path {
    static CLIP: OnceLock<PathBuf> = OnceLock::new();
    CLIP.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("fb-attack-ffmpeg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let clean = dir.join("clean.mp4");
        encode(&clean, 20, &["-x264-params", "slices=8"]);
        let mut bytes = std::fs::read(&clean).unwrap();
        let (_, start, size) = top_level_boxes(&bytes)
            .into_iter()
            .find(|(kind, ..)| kind == b"mdat")
            .expect("an mdat box");
        for at in (start + 64..start + size - 1).step_by(97) {
            bytes[at] ^= 0xff;
        }
        let clip = dir.join("corrupt.mp4");
        std::fs::write(&clip, bytes).unwrap();
        let stderr = Command::new("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(&clip)
            .args(["-f", "rawvideo", "-pix_fmt", "rgb24", "-y", "/dev/null"])
            .output()
            .unwrap()
            .stderr;
        assert!(stderr.len() > 64 * 1024, "only {} bytes of FFmpeg errors", stderr.len());
        clip
    })
}

/// A fragmented MP4 cut after its `moov`: a video track with no frame at all.
fn zero_frame_clip(path: &Path) {
    let fragmented = path.with_extension("fragmented.mp4");
    encode(&fragmented, 1, &["-movflags", "frag_keyframe+empty_moov"]);
    let bytes = std::fs::read(&fragmented).unwrap();
    let kept: Vec<u8> = top_level_boxes(&bytes)
        .into_iter()
        .filter(|(kind, ..)| kind == b"ftyp" || kind == b"moov")
        .flat_map(|(_, start, size)| bytes[start..start + size].to_vec())
        .collect();
    std::fs::write(path, kept).unwrap();
    std::fs::remove_file(fragmented).unwrap();
}

/// Puts `clip` into `ce` as camera `camera`'s clip.
fn add_camera(ce: &Path, camera: &str, clip: &Path) {
    std::fs::create_dir_all(ce.join(camera)).unwrap();
    std::fs::copy(clip, ce.join(camera).join(format!("{camera}-1.mp4"))).unwrap();
}

/// Waits for `child` until `deadline` has passed; kills it and fails the test if it is still running.
fn wait_or_kill(mut child: Child, what: &str, limit: Duration) -> Output {
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            let output = child.wait_with_output().unwrap();
            panic!(
                "{what} still running after {limit:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    child.wait_with_output().unwrap()
}

/// `frigate-buffer process CE --json`, within [`DEADLINE`]; the JSON report's cameras by name.
fn process_cameras(ce: &Path) -> Vec<Value> {
    let child = Command::new(env!("CARGO_BIN_EXE_frigate-buffer"))
        .args(["process", ce.to_str().unwrap(), "--json"])
        .env("FRIGATE_BUFFER_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let output = wait_or_kill(child, "process", DEADLINE);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    report["ce"]["cameras"].as_array().unwrap().clone()
}

fn camera<'a>(cameras: &'a [Value], name: &str) -> &'a Value {
    cameras.iter().find(|c| c["camera"] == name).unwrap()
}

#[test]
fn process_survives_a_clip_whose_ffmpeg_floods_stderr() {
    let ce = copy_sample(&["driveway"]);
    add_camera(ce.path(), "yard", corrupt_clip());
    let cameras = process_cameras(ce.path());
    let yard = camera(&cameras, "yard");
    match yard["error"].as_str() {
        // Decoded with concealed errors: a sidecar with frames.
        None => {
            assert!(ce.path().join("yard/detection.json").is_file());
            assert!(yard["sampled_frames"].as_u64().unwrap() > 0, "{yard}");
        }
        Some(error) => {
            assert!(error.contains("yard-1.mp4") && !error.contains('\n'), "{error}");
        }
    }
    assert_eq!(camera(&cameras, "driveway")["error"], Value::Null);
    assert!(ce.path().join("driveway/detection.json").is_file());
}

#[test]
fn a_clip_without_video_frames_fails_its_camera_with_one_clear_line() {
    let ce = copy_sample(&["driveway"]);
    std::fs::create_dir_all(ce.path().join("yard")).unwrap();
    let clip = ce.path().join("yard/yard-1.mp4");
    zero_frame_clip(&clip);
    let cameras = process_cameras(ce.path());
    let error = camera(&cameras, "yard")["error"].as_str().unwrap().to_string();
    assert_eq!(error, format!("clip {}: has no video frames", clip.display()));
    assert!(!ce.path().join("yard/detection.json").exists());
    assert_eq!(camera(&cameras, "driveway")["error"], Value::Null);
    assert!(ce.path().join("driveway/detection.json").is_file());
}

/// The cameras of a finished CE folder's `metadata.json`.
fn metadata_cameras(folder: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(folder.join("metadata.json")).unwrap();
    let metadata: Value = serde_json::from_str(&text).unwrap();
    metadata["cameras"].as_array().unwrap().clone()
}

#[test]
fn the_service_finishes_the_flooding_clips_ce_and_the_next_one() {
    let mut clips = sample_clips();
    clips.insert("front_door".into(), corrupt_clip().to_path_buf());
    let frigate = FrigateApi::start(Setup {
        clips,
        jpeg: Some(ffmpeg_test_jpeg()),
        export_looks_until_done: 1,
        ..Setup::default()
    });
    let rig = Rig::start("attack-ffmpeg-flood", frigate, "");
    let service = rig.start_service();
    rig.publish_incident("flood", &["front_door", "driveway"]);
    let first = wait_for_finished_ce_folders(&rig.storage(), 1, DEADLINE).remove(0);
    rig.publish_incident("after", &["front_door", "driveway"]);
    let both = wait_for_finished_ce_folders(&rig.storage(), 2, DEADLINE);
    let second = both.iter().find(|folder| **folder != first).unwrap();
    for folder in [&first, second] {
        assert!(folder.join("driveway/detection.json").is_file(), "{}", folder.display());
        let cameras = metadata_cameras(folder);
        if let Some(error) = camera(&cameras, "front_door")["error"].as_str() {
            assert!(!error.contains('\n'), "{error}");
        }
    }
    assert!(service.sigterm().success());
}

/// The children of `pid` named `name`, from `/proc/*/stat` (fields: pid (comm) state ppid ...).
fn children_named(pid: u32, name: &str) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().filter_map(Result::ok) {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let Some((head, tail)) = stat.rsplit_once(") ") else {
            continue;
        };
        let comm = head.split_once(" (").map(|(_, comm)| comm);
        let ppid = tail.split_whitespace().nth(1).and_then(|p| p.parse::<u32>().ok());
        if comm == Some(name) && ppid == Some(pid) {
            found.push(entry.file_name().to_string_lossy().parse().unwrap());
        }
    }
    found
}

#[test]
fn ctrl_c_to_the_services_group_drains_and_the_ce_still_finishes_whole() {
    let rig = Rig::start("attack-ffmpeg-sigint", frigate_with_sample_clips(&[]), "");
    let log = rig.dir.path().join("service-1.log");
    let online = OnlineWatch::new(&rig.broker, SERVICE_AVAILABILITY);
    // Its own process group, as a shell gives a foreground job: Ctrl-C reaches the whole group.
    let service = Command::new(env!("CARGO_BIN_EXE_frigate-buffer"))
        .args(["run", "--config", rig.config.to_str().unwrap()])
        .env("FRIGATE_BUFFER_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .process_group(0)
        .spawn()
        .unwrap();
    let pid = service.id();
    online.wait_for(&[SERVICE_AVAILABILITY], Duration::from_secs(120));
    rig.publish_incident("ctrlc", &["front_door", "driveway"]);

    let deadline = Instant::now() + DEADLINE;
    while children_named(pid, "ffmpeg").is_empty() {
        assert!(
            Instant::now() < deadline,
            "no ffmpeg child of the service: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let sent = Command::new("kill")
        .args(["-INT", "--", &format!("-{pid}")])
        .status()
        .unwrap();
    assert!(sent.success());
    let exited = wait_or_kill(service, "the service after SIGINT", DEADLINE);
    assert!(
        exited.status.success(),
        "{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );

    let restarted = rig.start_service();
    let folder = wait_for_finished_ce_folders(&rig.storage(), 1, DEADLINE).remove(0);
    for name in ["front_door", "driveway"] {
        assert!(folder.join(name).join("detection.json").is_file(), "{name}");
        let cameras = metadata_cameras(&folder);
        assert_eq!(camera(&cameras, name)["error"], Value::Null, "{name}: {cameras:?}");
    }
    assert!(restarted.sigterm().success());
}
