//! The `notification.gif` preview: the first 5 s of the summary at 5 frames per second,
//! 480 px wide, with a generated palette.
//!
//! Made from the summary's own rendered frames while the summary is being encoded: the
//! encoder feeder offers every frame, the sampled ones go to a second FFmpeg (a
//! [`ToolChild`]) over a pipe, so the preview is ready when the video is instead of being
//! cut from the finished file afterwards (which decoded the video again and took as long as
//! a third of the compile). Written atomically; an unfinished preview leaves no file.
//! Owns only the preview; whether a failed preview matters is the feeder's decision.
//!
//! When the summary was not made, [`ClipPreviewCut`] cuts the same preview (same
//! length, rate, width and palette) from a camera's clip instead.

use crate::encode::VideoFormat;
use crate::fs_atomic;
use crate::media::child_process::ToolChild;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

/// Name of the preview in the CE folder.
pub const PREVIEW_GIF: &str = "notification.gif";

/// Seconds of the summary the preview shows, from its start.
const PREVIEW_SECONDS: u64 = 5;
/// Frames per second of the preview.
const PREVIEW_FPS: u64 = 5;
/// The filter after the frames arrive: scale to 480 px wide, then a palette of the
/// preview's own colours.
const PREVIEW_FILTER: &str = "scale=480:-1:flags=lanczos,split[a][b];[a]palettegen=max_colors=128[p];[b][p]paletteuse";
/// Longest time FFmpeg may take to cut the preview from a clip (5 s of video; far more on a
/// loaded machine) before it is stopped.
const CLIP_PREVIEW_LIMIT: Duration = Duration::from_secs(120);

/// The preview `gif` being cut by FFmpeg from the first 5 s of `clip` (a video FFmpeg reads),
/// sampled at 5 frames per second: the preview when the summary was not made. Its owner polls
/// it ([`ClipPreviewCut::poll`]) instead of waiting, so the thread that started it goes on
/// with other work. Written atomically; on failure no file is left and the error names the
/// clip and ends with FFmpeg's last lines. Dropped unfinished, FFmpeg is killed.
pub struct ClipPreviewCut {
    /// FFmpeg writing the temporary file.
    child: ToolChild,
    /// The clip, for messages.
    clip: PathBuf,
    /// Where FFmpeg writes.
    temp: PathBuf,
    /// The preview's final name.
    gif: PathBuf,
    /// When FFmpeg is stopped if it has not finished.
    deadline: Instant,
}

impl ClipPreviewCut {
    /// Starts FFmpeg cutting `gif` from `clip`.
    ///
    /// # Errors
    /// One line naming the clip when FFmpeg cannot be started.
    pub fn start(ffmpeg: &Path, clip: &Path, gif: &Path) -> Result<Self, String> {
        let temp = fs_atomic::temp_path_for(gif);
        let filter = format!("fps={PREVIEW_FPS},{PREVIEW_FILTER}");
        let mut command = Command::new(ffmpeg);
        command
            .args(["-hide_banner", "-nostdin", "-loglevel", "error", "-y"])
            .args(["-t", &PREVIEW_SECONDS.to_string(), "-i"])
            .arg(clip)
            .args(["-an", "-vf", &filter, "-f", "gif"])
            .arg(&temp)
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        let child = ToolChild::spawn(command).map_err(|err| {
            format!(
                "preview GIF from {}: cannot run {}: {err}",
                clip.display(),
                ffmpeg.display()
            )
        })?;
        Ok(Self {
            child,
            clip: clip.to_path_buf(),
            temp,
            gif: gif.to_path_buf(),
            deadline: Instant::now() + CLIP_PREVIEW_LIMIT,
        })
    }

    /// `None` while FFmpeg runs; once it has ended, the preview's path or why there is none.
    /// Past the time limit FFmpeg is killed and that is the answer.
    pub fn poll(&mut self) -> Option<Result<PathBuf, String>> {
        let exited = match self.child.wait_at_most(Duration::ZERO) {
            Ok(Some(exited)) => exited,
            Ok(None) if Instant::now() < self.deadline => return None,
            Ok(None) => {
                let _ = self.child.kill();
                let limit = CLIP_PREVIEW_LIMIT.as_secs();
                return Some(Err(self.failed(format!("ffmpeg took longer than {limit} s"))));
            }
            Err(err) => return Some(Err(self.failed(format!("waiting for ffmpeg: {err}")))),
        };
        if !exited.status.success() {
            return Some(Err(self.failed(format!("ffmpeg {}", exited.describe()))));
        }
        Some(
            fs_atomic::commit(&self.temp, &self.gif)
                .map(|()| self.gif.clone())
                .map_err(|err| self.failed(format!("{}: {err}", self.gif.display()))),
        )
    }

    /// Removes the temporary file and says why, naming the clip.
    fn failed(&self, reason: String) -> String {
        let _ = std::fs::remove_file(&self.temp);
        format!("preview GIF from {}: {reason}", self.clip.display())
    }
}

impl Drop for ClipPreviewCut {
    fn drop(&mut self) {
        // Unfinished (or failed): FFmpeg stops first, so nothing writes the name once it is gone.
        let _ = self.child.kill();
        let _ = std::fs::remove_file(&self.temp);
    }
}

/// Whether frame `index` of a `fps` video is one of the preview's: the first frame shown at
/// or after each fifth of a second of the first five seconds (every frame when the video
/// has five or fewer per second).
pub fn is_preview_frame(index: u64, fps: u32) -> bool {
    let fps = u64::from(fps);
    if fps == 0 {
        return false;
    }
    if fps <= PREVIEW_FPS {
        return index < PREVIEW_SECONDS * fps;
    }
    // The latest preview step at or before the frame, and the frame that starts it.
    let step = index * PREVIEW_FPS / fps;
    step < PREVIEW_SECONDS * PREVIEW_FPS && (step * fps).div_ceil(PREVIEW_FPS) == index
}

/// The preview of one summary being written.
pub struct PreviewGifWriter {
    /// Final path of the preview.
    gif: PathBuf,
    /// Temporary file FFmpeg writes.
    temp: PathBuf,
    /// Frames per second of the summary.
    fps: u32,
    /// FFmpeg, killed if the writer is dropped unfinished.
    child: ToolChild,
    /// Its stdin; `None` once every preview frame has been sent.
    stdin: Option<ChildStdin>,
    /// Frames sent.
    frames: u64,
    /// Set once the preview is in place.
    committed: bool,
}

impl PreviewGifWriter {
    /// Starts the preview `gif` of a summary whose frames have `format`.
    pub fn start(ffmpeg: &Path, gif: &Path, format: VideoFormat) -> Result<Self, String> {
        let temp = fs_atomic::temp_path_for(gif);
        let size = format!("{}x{}", format.width, format.height);
        let rate = u64::from(format.fps).clamp(1, PREVIEW_FPS).to_string();
        let mut command = Command::new(ffmpeg);
        command
            .args(["-hide_banner", "-nostdin", "-loglevel", "error", "-y"])
            .args(["-f", "rawvideo", "-pix_fmt", format.pixels.ffmpeg_name()])
            .args(["-s", &size, "-r", &rate, "-i", "pipe:0"])
            .args(["-vf", PREVIEW_FILTER, "-f", "gif"])
            .arg(&temp)
            .stdin(Stdio::piped())
            .stdout(Stdio::null());
        let mut child = ToolChild::spawn(command).map_err(|err| format!("cannot run {}: {err}", ffmpeg.display()))?;
        let stdin = child.take_stdin();
        Ok(Self {
            gif: gif.to_path_buf(),
            temp,
            fps: format.fps,
            child,
            stdin,
            frames: 0,
            committed: false,
        })
    }

    /// Offers frame `index` of the summary; sends it if the preview shows it.
    pub fn offer(&mut self, index: u64, frame: &[u8]) -> Result<(), String> {
        let Some(stdin) = self.stdin.as_mut() else {
            return Ok(());
        };
        if !is_preview_frame(index, self.fps) {
            if index >= PREVIEW_SECONDS * u64::from(self.fps) {
                self.stdin = None;
            }
            return Ok(());
        }
        if let Err(err) = stdin.write_all(frame) {
            self.stdin = None;
            return Err(self.failure(&format!("ffmpeg stopped reading frames ({err})")));
        }
        self.frames += 1;
        Ok(())
    }

    /// Waits for FFmpeg and moves the preview into place; the error ends with FFmpeg's
    /// last lines.
    pub fn finish(mut self) -> Result<PathBuf, String> {
        self.stdin = None;
        if self.frames == 0 {
            return Err(format!("{}: no frame to show", self.gif.display()));
        }
        let exited = self
            .child
            .wait()
            .map_err(|err| format!("{}: waiting for ffmpeg: {err}", self.gif.display()))?;
        if !exited.status.success() {
            return Err(format!("{}: ffmpeg {}", self.gif.display(), exited.describe()));
        }
        fs_atomic::commit(&self.temp, &self.gif).map_err(|err| format!("{}: {err}", self.gif.display()))?;
        self.committed = true;
        Ok(self.gif.clone())
    }

    /// Describes why FFmpeg stopped, with how it ended.
    fn failure(&mut self, context: &str) -> String {
        match self.child.wait() {
            Ok(exited) => format!("{}: {context}: ffmpeg {}", self.gif.display(), exited.describe()),
            Err(err) => format!("{}: {context}: waiting for ffmpeg: {err}", self.gif.display()),
        }
    }
}

impl Drop for PreviewGifWriter {
    fn drop(&mut self) {
        if !self.committed {
            self.stdin = None;
            let _ = self.child.kill();
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::PixelFormat;

    fn preview_frames(fps: u32, frames: u64) -> Vec<u64> {
        (0..frames).filter(|&index| is_preview_frame(index, fps)).collect()
    }

    #[test]
    fn the_preview_takes_five_frames_a_second_of_the_first_five_seconds() {
        let at_20 = preview_frames(20, 400);
        assert_eq!(at_20.len(), 25);
        assert_eq!(&at_20[..4], &[0, 4, 8, 12]);
        assert_eq!(at_20.last(), Some(&96));
        let at_30 = preview_frames(30, 400);
        assert_eq!(at_30.len(), 25);
        assert_eq!(&at_30[..3], &[0, 6, 12]);
        // 12 fps: steps at 0, 2.4, 4.8, 7.2 frames → the frames shown from then on.
        assert_eq!(&preview_frames(12, 400)[..5], &[0, 3, 5, 8, 10]);
        assert_eq!(preview_frames(12, 400).len(), 25);
        // Five or fewer frames a second: every frame of the first five seconds.
        assert_eq!(preview_frames(4, 400), (0..20).collect::<Vec<_>>());
        assert!(preview_frames(0, 400).is_empty());
    }

    /// Reads the logical screen size from a GIF's header.
    fn gif_size(bytes: &[u8]) -> (u16, u16) {
        assert_eq!(&bytes[..6], b"GIF89a", "not a GIF");
        (
            u16::from_le_bytes([bytes[6], bytes[7]]),
            u16::from_le_bytes([bytes[8], bytes[9]]),
        )
    }

    /// Frames FFmpeg decodes from `gif`.
    fn decoded_frames(ffmpeg: &Path, gif: &Path) -> u64 {
        let output = Command::new(ffmpeg)
            .args(["-hide_banner", "-nostdin", "-i"])
            .arg(gif)
            .args(["-f", "null", "-"])
            .output()
            .unwrap();
        let log = String::from_utf8_lossy(&output.stderr);
        let last = log.rsplit("frame=").next().unwrap();
        last.split_whitespace().next().unwrap().parse().unwrap()
    }

    #[test]
    fn a_preview_is_made_from_the_frames_offered_while_the_summary_is_encoded() {
        let ffmpeg = crate::media::ffmpeg_tool::locate("ffmpeg").expect("ffmpeg is installed where the tests run");
        let dir = tempfile::tempdir().unwrap();
        let gif = dir.path().join("notification.gif");
        let format = VideoFormat {
            width: 640,
            height: 360,
            fps: 20,
            pixels: PixelFormat::Rgb24,
        };
        let mut writer = PreviewGifWriter::start(&ffmpeg, &gif, format).unwrap();
        for index in 0..200u64 {
            // A bright square moving across a dark frame.
            let mut frame = vec![20u8; PixelFormat::Rgb24.frame_len(640, 360)];
            let left = (index as usize * 3) % 560;
            for row in 100..180 {
                let start = (row * 640 + left) * 3;
                frame[start..start + 80 * 3].fill(230);
            }
            writer.offer(index, &frame).unwrap();
        }
        assert_eq!(writer.finish().unwrap(), gif);
        let bytes = std::fs::read(&gif).unwrap();
        assert_eq!(gif_size(&bytes), (480, 270));
        assert_eq!(decoded_frames(&ffmpeg, &gif), 25);
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("notification.gif")]);
    }

    #[test]
    fn an_unfinished_preview_leaves_no_file() {
        let ffmpeg = crate::media::ffmpeg_tool::locate("ffmpeg").expect("ffmpeg is installed where the tests run");
        let dir = tempfile::tempdir().unwrap();
        let gif = dir.path().join("notification.gif");
        let format = VideoFormat {
            width: 64,
            height: 36,
            fps: 20,
            pixels: PixelFormat::Yuv420p,
        };
        let mut writer = PreviewGifWriter::start(&ffmpeg, &gif, format).unwrap();
        writer
            .offer(0, &vec![128u8; PixelFormat::Yuv420p.frame_len(64, 36)])
            .unwrap();
        drop(writer);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let empty = PreviewGifWriter::start(&ffmpeg, &gif, format).unwrap();
        assert!(empty.finish().unwrap_err().contains("no frame"));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    /// Polls `cut` until FFmpeg has ended.
    fn cut_to_the_end(mut cut: ClipPreviewCut) -> Result<PathBuf, String> {
        loop {
            if let Some(result) = cut.poll() {
                return result;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Width, height and decoded frame count of `video`, from ffprobe.
    fn probe_frames(video: &Path) -> (u64, u64, u64) {
        let output = Command::new("ffprobe")
            .args(["-v", "error", "-select_streams", "v:0", "-count_frames", "-of", "json"])
            .args(["-show_entries", "stream=codec_name,width,height,nb_read_frames"])
            .arg(video)
            .output()
            .unwrap();
        assert!(output.status.success(), "ffprobe failed on {}", video.display());
        let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let stream = &value["streams"][0];
        assert_eq!(stream["codec_name"], "gif");
        let frames = stream["nb_read_frames"].as_str().unwrap().parse().unwrap();
        (
            stream["width"].as_u64().unwrap(),
            stream["height"].as_u64().unwrap(),
            frames,
        )
    }

    #[test]
    fn a_clip_gives_the_same_preview_when_there_is_no_summary() {
        let ffmpeg = crate::media::ffmpeg_tool::locate("ffmpeg").expect("ffmpeg is installed where the tests run");
        let dir = tempfile::tempdir().unwrap();
        // A real H.264 clip, 12 s at 15 fps, 1280x720 (as a Frigate export).
        let clip = dir.path().join("front_door-1.mp4");
        let made = Command::new(&ffmpeg)
            .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi"])
            .args(["-i", "testsrc2=size=1280x720:rate=15", "-t", "12"])
            .args(["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"])
            .arg(&clip)
            .status()
            .unwrap();
        assert!(made.success());
        let gif = dir.path().join(PREVIEW_GIF);
        let cut = ClipPreviewCut::start(&ffmpeg, &clip, &gif).unwrap();
        assert_eq!(cut_to_the_end(cut).unwrap(), gif);
        assert_eq!(&std::fs::read(&gif).unwrap()[..6], b"GIF89a");
        assert_eq!(probe_frames(&gif), (480, 270, 25), "5 s at 5 fps, 480 px wide");
        let mut names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["front_door-1.mp4", "notification.gif"]);
    }

    #[test]
    fn a_cut_is_polled_without_waiting_and_dropping_it_stops_ffmpeg_and_leaves_nothing() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        // An FFmpeg that writes its output's first bytes and then takes its time.
        let slow = dir.path().join("ffmpeg");
        std::fs::write(
            &slow,
            "#!/bin/sh\nfor last; do :; done\nprintf GIF8 > \"$last\"\nexec sleep 600\n",
        )
        .unwrap();
        std::fs::set_permissions(&slow, std::fs::Permissions::from_mode(0o755)).unwrap();
        let gifs = dir.path().join("ce");
        std::fs::create_dir(&gifs).unwrap();
        let mut cut = ClipPreviewCut::start(&slow, Path::new("front_door-1.mp4"), &gifs.join(PREVIEW_GIF)).unwrap();
        assert!(cut.poll().is_none(), "FFmpeg is still running");
        drop(cut);
        assert_eq!(std::fs::read_dir(&gifs).unwrap().count(), 0, "no half preview");
    }

    #[test]
    fn a_clip_ffmpeg_cannot_read_leaves_no_preview_and_is_named() {
        let ffmpeg = crate::media::ffmpeg_tool::locate("ffmpeg").expect("ffmpeg is installed where the tests run");
        let dir = tempfile::tempdir().unwrap();
        let clip = dir.path().join("driveway-1.mp4");
        std::fs::write(&clip, b"not a video at all").unwrap();
        let cut = ClipPreviewCut::start(&ffmpeg, &clip, &dir.path().join(PREVIEW_GIF)).unwrap();
        let error = cut_to_the_end(cut).unwrap_err();
        assert!(
            error.contains("driveway-1.mp4") && error.contains("ffmpeg exited"),
            "{error}"
        );
        assert!(!error.contains('\n'), "one line: {error}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "only the clip");
    }
}
