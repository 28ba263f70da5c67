//! A clip's metadata: codec, size, frame rate, duration, frame count, keyframes.
//!
//! Owns the metadata-probe decision: the in-process MP4 demuxer first, and ffprobe
//! (a subprocess) only for files that are some other container or a fragmented MP4.
//! Damaged MP4s (empty, truncated) are reported, not handed to ffprobe. This runs on
//! the metadata-probe stage, never on a GPU-owner thread; caching is `probe_cache`'s job.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

use super::child_process::ToolChild;
use super::ffmpeg_tool;
use super::mp4::sample_table::keyframe_frame_indices;
use super::mp4::{Mp4Error, Mp4VideoTrack};

/// Which reader produced a [`ClipMetadata`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProbeMethod {
    /// The in-process MP4 demuxer.
    Mp4,
    /// The `ffprobe` subprocess (other containers, fragmented MP4).
    Ffprobe,
}

/// What the pipeline needs to know about a clip before decoding it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClipMetadata {
    /// The clip probed, so the value can travel alone in a message.
    pub path: PathBuf,
    /// Codec name as FFmpeg spells it (`h264`, `hevc`), which picks the decoder.
    pub codec: String,
    /// Coded width in pixels; detections and crops are in this space.
    pub width: u32,
    /// Coded height in pixels.
    pub height: u32,
    /// Average frames per second (frame count / duration), mapping frame index to time.
    pub fps: f64,
    /// Duration of the video track in seconds.
    pub duration_sec: f64,
    /// Number of video frames (samples/packets).
    pub frame_count: u64,
    /// Frame indices (presentation order, ascending) of keyframes, where decoding
    /// can start without earlier frames.
    pub keyframes: Vec<u64>,
    /// Which reader produced these numbers.
    pub probed_by: ProbeMethod,
}

/// Why a clip could not be probed; every message names the clip and is one line.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The file is an MP4 but is empty, truncated or inconsistent, or cannot be read.
    #[error(transparent)]
    Mp4(#[from] Mp4Error),
    /// The file cannot be found or its size and time read.
    #[error("clip {}: cannot read: {source}", path.display())]
    Unreadable {
        /// The clip at fault.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The file is not an MP4 the demuxer reads and ffprobe is not installed.
    #[error("clip {}: not an MP4 the in-process demuxer reads, and ffprobe (needed for other containers) is not installed", path.display())]
    FfprobeMissing {
        /// The clip at fault.
        path: PathBuf,
    },
    /// ffprobe exists but could not be started.
    #[error("clip {}: cannot run ffprobe: {source}", path.display())]
    FfprobeSpawn {
        /// The clip at fault.
        path: PathBuf,
        /// Why the process did not start.
        source: std::io::Error,
    },
    /// ffprobe ran and rejected the file.
    #[error("clip {}: ffprobe failed ({status}): {message}", path.display())]
    FfprobeFailed {
        /// The clip at fault.
        path: PathBuf,
        /// ffprobe's exit status.
        status: String,
        /// ffprobe's error output joined into one line.
        message: String,
    },
    /// The clip's video track holds no frame (an MP4 cut before its first fragment).
    #[error("clip {}: has no video frames", path.display())]
    NoFrames {
        /// The clip at fault.
        path: PathBuf,
    },
    /// ffprobe's report lacks something the pipeline needs.
    #[error("clip {}: ffprobe report unusable: {detail}", path.display())]
    FfprobeReport {
        /// The clip at fault.
        path: PathBuf,
        /// What is missing or malformed.
        detail: String,
    },
}

impl ProbeError {
    /// The clip the error is about.
    pub fn path(&self) -> &Path {
        match self {
            Self::Mp4(err) => &err.path,
            Self::Unreadable { path, .. }
            | Self::FfprobeMissing { path }
            | Self::FfprobeSpawn { path, .. }
            | Self::FfprobeFailed { path, .. }
            | Self::FfprobeReport { path, .. }
            | Self::NoFrames { path } => path,
        }
    }
}

/// Probes `path`: in-process MP4 first, ffprobe (located by
/// [`ffmpeg_tool::locate`]) for other containers.
pub fn probe_clip(path: &Path) -> Result<ClipMetadata, ProbeError> {
    probe_clip_with(path, || ffmpeg_tool::locate("ffprobe"))
}

/// [`probe_clip`] with the ffprobe lookup given, run only if ffprobe is needed. A clip
/// without a single video frame is an error here, before any decoder sees it.
fn probe_clip_with(path: &Path, locate_ffprobe: impl FnOnce() -> Option<PathBuf>) -> Result<ClipMetadata, ProbeError> {
    let metadata = match Mp4VideoTrack::open(path) {
        Ok(track) => metadata_from_track(&track),
        Err(err) if err.kind.other_demuxer_may_read() => {
            let ffprobe = locate_ffprobe().ok_or_else(|| ProbeError::FfprobeMissing {
                path: path.to_path_buf(),
            })?;
            probe_with_ffprobe(path, &ffprobe)?
        }
        Err(err) => return Err(err.into()),
    };
    if metadata.frame_count == 0 {
        return Err(ProbeError::NoFrames {
            path: path.to_path_buf(),
        });
    }
    Ok(metadata)
}

fn metadata_from_track(track: &Mp4VideoTrack) -> ClipMetadata {
    ClipMetadata {
        path: track.path().to_path_buf(),
        codec: track.codec().name(),
        width: track.width(),
        height: track.height(),
        fps: track.fps(),
        duration_sec: track.duration_sec(),
        frame_count: track.sample_count() as u64,
        keyframes: track.keyframe_frame_indices(),
        probed_by: ProbeMethod::Mp4,
    }
}

/// The parts of ffprobe's JSON report this module reads.
#[derive(Debug, Deserialize)]
struct FfprobeReport {
    /// The selected video stream (`-select_streams v:0`), or none.
    #[serde(default)]
    streams: Vec<FfprobeStream>,
    /// One entry per video packet (frame), giving the count and the keyframes.
    #[serde(default)]
    packets: Vec<FfprobePacket>,
    /// Container-level values; its duration stands in when the stream has none (Matroska).
    format: Option<FfprobeFormat>,
}

/// The stream fields this module reads.
#[derive(Debug, Deserialize)]
struct FfprobeStream {
    /// FFmpeg's codec name (`h264`, `hevc`).
    codec_name: Option<String>,
    /// Coded width in pixels.
    width: Option<u32>,
    /// Coded height in pixels.
    height: Option<u32>,
    /// Stream duration in seconds, as ffprobe prints it (a decimal string).
    duration: Option<String>,
}

/// The packet fields this module reads.
#[derive(Debug, Deserialize)]
struct FfprobePacket {
    /// Presentation timestamp, used to rank frames in presentation order.
    pts: Option<i64>,
    /// Decode timestamp, standing in when `pts` is missing.
    dts: Option<i64>,
    /// Packet flags; `K` marks a keyframe.
    #[serde(default)]
    flags: String,
}

/// The container fields this module reads.
#[derive(Debug, Deserialize)]
struct FfprobeFormat {
    /// Container duration in seconds (a decimal string).
    duration: Option<String>,
}

fn probe_with_ffprobe(path: &Path, ffprobe: &Path) -> Result<ClipMetadata, ProbeError> {
    let mut command = Command::new(ffprobe);
    command
        .args(["-v", "error", "-select_streams", "v:0", "-print_format", "json"])
        .args([
            "-show_entries",
            "stream=codec_name,width,height,duration:format=duration:packet=pts,dts,flags",
        ])
        .arg(path);
    let (exited, stdout) = ToolChild::output(command).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => ProbeError::FfprobeMissing {
            path: path.to_path_buf(),
        },
        _ => ProbeError::FfprobeSpawn {
            path: path.to_path_buf(),
            source,
        },
    })?;
    if !exited.status.success() {
        return Err(ProbeError::FfprobeFailed {
            path: path.to_path_buf(),
            status: exited.status.to_string(),
            message: exited.stderr.one_line(),
        });
    }
    let report: FfprobeReport = serde_json::from_slice(&stdout).map_err(|err| ProbeError::FfprobeReport {
        path: path.to_path_buf(),
        detail: format!("invalid JSON: {err}"),
    })?;
    metadata_from_report(path, report)
}

fn metadata_from_report(path: &Path, report: FfprobeReport) -> Result<ClipMetadata, ProbeError> {
    let unusable = |detail: &str| ProbeError::FfprobeReport {
        path: path.to_path_buf(),
        detail: detail.to_string(),
    };
    let stream = report
        .streams
        .into_iter()
        .next()
        .ok_or_else(|| unusable("no video stream"))?;
    let duration_sec = stream
        .duration
        .as_deref()
        .or(report.format.as_ref().and_then(|format| format.duration.as_deref()))
        .and_then(|text| text.parse::<f64>().ok())
        .ok_or_else(|| unusable("no duration"))?;
    let packets: Vec<(i64, bool)> = report
        .packets
        .iter()
        .enumerate()
        .map(|(index, packet)| {
            let time = packet.pts.or(packet.dts).unwrap_or(index as i64);
            (time, packet.flags.contains('K'))
        })
        .collect();
    let frame_count = packets.len() as u64;
    Ok(ClipMetadata {
        path: path.to_path_buf(),
        codec: stream.codec_name.ok_or_else(|| unusable("no codec name"))?,
        width: stream.width.ok_or_else(|| unusable("no width"))?,
        height: stream.height.ok_or_else(|| unusable("no height"))?,
        fps: if duration_sec > 0.0 {
            frame_count as f64 / duration_sec
        } else {
            0.0
        },
        duration_sec,
        frame_count,
        keyframes: keyframe_frame_indices(&packets),
        probed_by: ProbeMethod::Ffprobe,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::mp4::Mp4ErrorKind;
    use crate::media::test_clips::{copy_clip, encoded_clip, fragmented_h264_mp4, h264_mp4, H264_GOP20};

    fn assert_three_second_gop20_clip(metadata: &ClipMetadata) {
        assert_eq!(metadata.codec, "h264");
        assert_eq!((metadata.width, metadata.height), (320, 240));
        assert_eq!(metadata.frame_count, 60);
        assert!((metadata.duration_sec - 3.0).abs() < 0.05, "{}", metadata.duration_sec);
        assert!((metadata.fps - 20.0).abs() < 0.01, "{}", metadata.fps);
        assert_eq!(metadata.keyframes, vec![0, 20, 40]);
    }

    #[test]
    fn mp4_is_probed_in_process() {
        let clip = h264_mp4();
        let metadata = probe_clip(&clip).unwrap();
        assert_three_second_gop20_clip(&metadata);
        assert_eq!(metadata.probed_by, ProbeMethod::Mp4);
        let json = serde_json::to_value(&metadata).unwrap();
        assert_eq!(json["probed_by"], "mp4");
        assert_eq!(json["keyframes"], serde_json::json!([0, 20, 40]));
    }

    #[test]
    fn matroska_falls_back_to_ffprobe_with_the_same_numbers() {
        let clip = encoded_clip("h264.mkv", 3, H264_GOP20);
        let metadata = probe_clip(&clip).unwrap();
        assert_three_second_gop20_clip(&metadata);
        assert_eq!(metadata.probed_by, ProbeMethod::Ffprobe);
        assert_eq!(metadata.path, clip);
    }

    #[test]
    fn fragmented_mp4_falls_back_to_ffprobe() {
        let metadata = probe_clip(&fragmented_h264_mp4()).unwrap();
        assert_three_second_gop20_clip(&metadata);
        assert_eq!(metadata.probed_by, ProbeMethod::Ffprobe);
    }

    #[test]
    fn truncated_mp4_is_not_handed_to_ffprobe() {
        let dir = tempfile::tempdir().unwrap();
        let clip = copy_clip(&h264_mp4(), dir.path(), "clip.mp4");
        let bytes = std::fs::read(&clip).unwrap();
        std::fs::write(&clip, &bytes[..bytes.len() * 2 / 5]).unwrap();
        let err = probe_clip_with(&clip, || None).unwrap_err();
        assert!(matches!(&err, ProbeError::Mp4(mp4) if matches!(mp4.kind, Mp4ErrorKind::Truncated { .. })));
        assert_eq!(err.path(), clip);
    }

    #[test]
    fn missing_ffprobe_is_named_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let clip = dir.path().join("notes.mp4");
        std::fs::write(&clip, "not a video at all\n").unwrap();
        let expected = format!(
            "clip {}: not an MP4 the in-process demuxer reads, and ffprobe (needed for other containers) is not installed",
            clip.display()
        );
        let not_on_path = probe_clip_with(&clip, || None).unwrap_err();
        assert_eq!(not_on_path.to_string(), expected);
        let vanished = probe_clip_with(&clip, || Some("/nonexistent/ffprobe".into())).unwrap_err();
        assert_eq!(vanished.to_string(), expected);
    }

    #[test]
    fn text_file_rejected_by_ffprobe_gives_one_line_naming_the_clip() {
        let dir = tempfile::tempdir().unwrap();
        let clip = dir.path().join("notes.mp4");
        std::fs::write(&clip, "not a video at all\n").unwrap();
        let err = probe_clip(&clip).unwrap_err();
        assert!(matches!(err, ProbeError::FfprobeFailed { .. }), "{err}");
        let message = err.to_string();
        assert!(
            message.starts_with(&format!("clip {}: ffprobe failed", clip.display())),
            "{message}"
        );
        assert!(!message.contains('\n'), "{message}");
    }

    /// A fragmented MP4 cut after its `moov`: a video track, no sample.
    #[test]
    fn a_track_without_frames_is_rejected_naming_the_clip() {
        let whole = std::fs::read(fragmented_h264_mp4()).unwrap();
        let mut kept = Vec::new();
        let mut at = 0;
        while at + 8 <= whole.len() {
            let size = u32::from_be_bytes(whole[at..at + 4].try_into().unwrap()) as usize;
            if matches!(&whole[at + 4..at + 8], b"ftyp" | b"moov") {
                kept.extend_from_slice(&whole[at..at + size]);
            }
            at += size;
        }
        let dir = tempfile::tempdir().unwrap();
        let clip = dir.path().join("cam-1.mp4");
        std::fs::write(&clip, kept).unwrap();
        let err = probe_clip(&clip).unwrap_err();
        assert_eq!(err.to_string(), format!("clip {}: has no video frames", clip.display()));
    }

    #[test]
    fn report_keyframes_are_ranked_by_pts_and_fps_is_frames_over_duration() {
        let report: FfprobeReport = serde_json::from_str(
            r#"{"packets": [{"pts": 0, "flags": "K_"}, {"pts": 200, "flags": "__"},
                            {"pts": 100, "flags": "K_"}, {"dts": 300, "flags": "__"}],
                "streams": [{"codec_name": "hevc", "width": 64, "height": 48}],
                "format": {"duration": "0.400000"}}"#,
        )
        .unwrap();
        let metadata = metadata_from_report(Path::new("/c/a.mkv"), report).unwrap();
        assert_eq!(metadata.keyframes, vec![0, 1]);
        assert_eq!(metadata.frame_count, 4);
        assert!((metadata.fps - 10.0).abs() < 1e-9);
        assert_eq!(metadata.codec, "hevc");
    }

    #[test]
    fn report_without_video_stream_is_an_error_naming_the_clip() {
        let report: FfprobeReport = serde_json::from_str(r#"{"streams": []}"#).unwrap();
        let err = metadata_from_report(Path::new("/c/a.mkv"), report).unwrap_err();
        assert_eq!(
            err.to_string(),
            "clip /c/a.mkv: ffprobe report unusable: no video stream"
        );
    }
}
