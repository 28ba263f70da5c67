//! Test fixtures: real clips encoded with the `ffmpeg` CLI, and decoding checks.
//!
//! Shared by the tests of `mp4`, `probe` and `probe_cache` so that every test
//! encodes clips the same way. Encoded clips are kept in a directory under the
//! system temp dir, named by a hash of their encode options, so each is encoded once
//! rather than once per test; tests that modify a clip copy it first. Test-only;
//! nothing in the product uses it.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Output options for H.264 with a keyframe every 20 frames (at 0, 20, 40, ...).
pub(crate) const H264_GOP20: &[&str] = &["-c:v", "libx264", "-g", "20", "-pix_fmt", "yuv420p"];

/// Read-only clip of `seconds` of the 320x240, 20 fps `testsrc2` pattern, encoded
/// with `output_args` into a container chosen by the extension of `file_name`.
pub(crate) fn encoded_clip(file_name: &str, seconds: u32, output_args: &[&str]) -> PathBuf {
    static PARTIAL_COUNTER: AtomicUsize = AtomicUsize::new(0);
    let mut hasher = DefaultHasher::new();
    (file_name, seconds, output_args).hash(&mut hasher);
    let (stem, extension) = file_name.rsplit_once('.').expect("file name has an extension");
    let dir = std::env::temp_dir().join("frigate-buffer-test-clips");
    std::fs::create_dir_all(&dir).expect("fixture dir");
    let path = dir.join(format!("{stem}-{:016x}.{extension}", hasher.finish()));
    if path.exists() {
        return path;
    }
    let partial = dir.join(format!(
        "{stem}-{}-{}.partial.{extension}",
        std::process::id(),
        PARTIAL_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
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
        .args(output_args)
        .arg(&partial)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success(), "ffmpeg failed to write {}", partial.display());
    std::fs::rename(&partial, &path).expect("fixture rename");
    path
}

/// A 3 s, 60-frame, 320x240 H.264 `+faststart` MP4 with keyframes at 0, 20 and 40,
/// shaped like a Frigate clip. Read-only: copy it before modifying.
pub(crate) fn h264_mp4() -> PathBuf {
    let mut args = H264_GOP20.to_vec();
    args.extend(["-movflags", "+faststart"]);
    encoded_clip("h264.mp4", 3, &args)
}

/// The same 60 frames as [`h264_mp4`] as a fragmented MP4 (`moof` fragments).
pub(crate) fn fragmented_h264_mp4() -> PathBuf {
    let mut args = H264_GOP20.to_vec();
    args.extend(["-movflags", "frag_keyframe+empty_moov"]);
    encoded_clip("fragmented.mp4", 3, &args)
}

/// Copies `clip` to `dir/file_name` for a test that modifies or renames it.
pub(crate) fn copy_clip(clip: &Path, dir: &Path, file_name: &str) -> PathBuf {
    let path = dir.join(file_name);
    std::fs::copy(clip, &path).expect("fixture copy");
    path
}

/// Number of frames FFmpeg decodes from a raw elementary stream in `demuxer`
/// format (`h264` or `hevc`), fed on stdin.
pub(crate) fn decoded_frame_count(demuxer: &str, stream: &[u8]) -> usize {
    let mut child = Command::new("ffmpeg")
        .args(["-v", "error", "-f", demuxer, "-i", "-", "-f", "framemd5", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ffmpeg runs");
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input = stream.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().expect("ffmpeg finishes");
    writer.join().expect("writer thread").expect("stream written");
    assert!(
        output.status.success() && output.stderr.is_empty(),
        "ffmpeg decode failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .count()
}
