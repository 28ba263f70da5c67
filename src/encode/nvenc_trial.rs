//! The start-up trial that decides whether the summary may be encoded with NVENC: a few
//! frames of the summary's own size and layout through FFmpeg's `h264_nvenc`, with
//! exactly the options of a real summary, into a scratch MP4 that must come out non-empty.
//!
//! Owns the trial only: it says yes, or no with a one-line reason; the choice of encoder
//! is the caller's. Listing `h264_nvenc` among FFmpeg's encoders is not enough (FFmpeg
//! lists it on every machine whose build has it, with or without a GPU encoder), so the
//! trial really encodes. It is bounded in time: a trial that hangs is killed and counts as
//! a failure.

use super::ffmpeg_pipe::{FfmpegEncoderFactory, H264Codec};
use crate::encode::{PixelFormat, VideoFormat};
use crate::media::child_process::ToolChild;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Frames the trial encodes.
pub const TRIAL_FRAMES: usize = 8;

/// Longest the trial may take before it is killed and counted as a failure.
pub const TRIAL_TIME_LIMIT: Duration = Duration::from_secs(30);

/// Encodes [`TRIAL_FRAMES`] mid-grey frames of `format` with `codec` in the `ffmpeg` at
/// `ffmpeg`, within `limit`. `Err` says why it failed, in one line.
pub fn trial_encode(ffmpeg: &Path, codec: H264Codec, format: VideoFormat, limit: Duration) -> Result<(), String> {
    let scratch = ScratchFile::new();
    let command = FfmpegEncoderFactory::new(ffmpeg.to_path_buf(), codec).command(&scratch.0, format);
    let mut child = ToolChild::spawn(command).map_err(|err| format!("cannot start {}: {err}", ffmpeg.display()))?;
    let stdin = child.take_stdin();
    let frame = grey_frame(format);
    // Frames go in from a thread of their own, so an FFmpeg that stops reading cannot hold
    // the trial past its limit; killing FFmpeg ends the writes with EPIPE.
    let writer = std::thread::Builder::new()
        .name("fb-encoder-trial".into())
        .spawn(move || {
            if let Some(mut stdin) = stdin {
                for _ in 0..TRIAL_FRAMES {
                    if stdin.write_all(&frame).is_err() {
                        break;
                    }
                }
            }
        })
        .map_err(|err| format!("cannot start the trial's writer thread: {err}"))?;
    let ended = child
        .wait_at_most(limit)
        .map_err(|err| format!("waiting for ffmpeg: {err}"))?;
    let outcome = match ended {
        None => {
            let _ = child.kill();
            Err(format!("ffmpeg did not finish within {} s", limit.as_secs()))
        }
        Some(exited) if !exited.status.success() => Err(format!("ffmpeg {}", exited.describe())),
        Some(_) => match std::fs::metadata(&scratch.0) {
            Ok(written) if written.len() > 0 => Ok(()),
            _ => Err("ffmpeg exited cleanly but wrote no video".to_string()),
        },
    };
    let _ = writer.join();
    outcome
}

/// The trial's output, in the temporary folder; removed when dropped.
struct ScratchFile(PathBuf);

impl ScratchFile {
    /// A name no other trial (of this or another process) uses at the same time.
    fn new() -> Self {
        static TRIALS: AtomicUsize = AtomicUsize::new(0);
        let trial = TRIALS.fetch_add(1, Ordering::Relaxed);
        let name = format!("frigate-buffer-encoder-trial-{}-{trial}.mp4", std::process::id());
        Self(std::env::temp_dir().join(name))
    }
}

impl Drop for ScratchFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// One mid-grey frame of `format` (grey in both layouts: neutral chroma for YUV).
fn grey_frame(format: VideoFormat) -> Vec<u8> {
    let luma = format.width as usize * format.height as usize;
    match format.pixels {
        PixelFormat::Rgb24 => vec![128; luma * 3],
        PixelFormat::Yuv420p => {
            let mut frame = vec![128; format.pixels.frame_len(format.width, format.height)];
            frame[..luma].fill(126);
            frame
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::stand_in_ffmpeg::{failing_encoder, stand_in, working_encoder};
    use std::time::Instant;

    const FORMAT: VideoFormat = VideoFormat {
        width: 64,
        height: 48,
        fps: 20,
        pixels: PixelFormat::Yuv420p,
    };

    #[test]
    fn a_trial_that_encodes_passes_and_ran_the_summary_options_on_the_chosen_gpu() {
        let dir = tempfile::tempdir().unwrap();
        let ffmpeg = working_encoder(dir.path());
        trial_encode(&ffmpeg, H264Codec::Nvenc { device: 1 }, FORMAT, TRIAL_TIME_LIMIT).unwrap();
        let args = std::fs::read_to_string(dir.path().join("args"))
            .unwrap()
            .replace('\n', " ");
        for options in [
            "-c:v h264_nvenc -gpu 1 -preset p1 -tune hq -rc vbr -cq 24 -b:v 0",
            "-pix_fmt yuv420p -movflags +faststart -f mp4",
            "-f rawvideo -pix_fmt yuv420p -s 64x48 -r 20 -i pipe:0",
        ] {
            assert!(args.contains(options), "{options:?} missing from {args:?}");
        }
        let fed = std::fs::metadata(dir.path().join("fed")).unwrap().len();
        assert_eq!(fed, (TRIAL_FRAMES * 64 * 48 * 3 / 2) as u64);
    }

    #[test]
    fn a_trial_whose_ffmpeg_fails_says_why_in_one_line() {
        let dir = tempfile::tempdir().unwrap();
        let ffmpeg = failing_encoder(dir.path(), "OpenEncodeSessionEx failed: unsupported device (2)");
        let reason = trial_encode(&ffmpeg, H264Codec::Nvenc { device: 0 }, FORMAT, TRIAL_TIME_LIMIT).unwrap_err();
        assert!(reason.contains("unsupported device (2)"), "{reason}");
        assert!(reason.contains("exit status: 187"), "{reason}");
        assert!(!reason.contains('\n'), "{reason:?}");
    }

    #[test]
    fn a_trial_that_writes_nothing_fails() {
        let dir = tempfile::tempdir().unwrap();
        let ffmpeg = stand_in(dir.path(), "cat > /dev/null");
        let reason = trial_encode(&ffmpeg, H264Codec::Nvenc { device: 0 }, FORMAT, TRIAL_TIME_LIMIT).unwrap_err();
        assert_eq!(reason, "ffmpeg exited cleanly but wrote no video");
    }

    #[test]
    fn the_real_ffmpeg_takes_every_option_and_names_the_missing_driver() {
        // Where a driver is installed the trial may well succeed; this checks the other side.
        if crate::gpu::driver_probe::probe_driver().cuda.is_ok() {
            return;
        }
        let ffmpeg = crate::media::ffmpeg_tool::locate("ffmpeg").expect("ffmpeg is installed where the tests run");
        let reason = trial_encode(&ffmpeg, H264Codec::Nvenc { device: 0 }, FORMAT, TRIAL_TIME_LIMIT).unwrap_err();
        assert!(
            reason.contains("Cannot load libcuda.so.1") || reason.contains("Unknown encoder 'h264_nvenc'"),
            "{reason}"
        );
        assert!(!reason.contains("Unrecognized option"), "{reason}");
    }

    #[test]
    fn a_hanging_trial_is_killed_at_its_limit() {
        let dir = tempfile::tempdir().unwrap();
        let ffmpeg = stand_in(dir.path(), "exec sleep 600");
        let started = Instant::now();
        let reason = trial_encode(&ffmpeg, H264Codec::Nvenc { device: 0 }, FORMAT, Duration::from_secs(1)).unwrap_err();
        assert_eq!(reason, "ffmpeg did not finish within 1 s");
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the trial returned soon after its limit"
        );
    }
}
