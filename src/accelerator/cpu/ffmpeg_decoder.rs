//! CPU decode: an FFmpeg subprocess decoding a clip to raw RGB24 frames.
//!
//! Owns the subprocess and a reader thread that moves frames from FFmpeg's
//! stdout into pooled buffers on a bounded channel, so the accelerator owner
//! only ever receives ready frames: it does no process or pipe I/O itself,
//! and decoding overlaps with detection.

use crate::accelerator::AcceleratorError;
use crate::flow::frame_pool::{FramePool, PooledBuffer};
use crate::media::child_process::{Exited, ToolChild};
use crossbeam_channel::{Receiver, RecvTimeoutError};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long a decode may go without delivering a frame before its FFmpeg is killed and the
/// clip fails: generous, since a busy machine can be slow, but finite, so that no single
/// clip (a stuck FFmpeg, a file that never ends) can hold up the owner and every later CE.
pub const DECODE_STALL_LIMIT: Duration = Duration::from_secs(60);

/// One decoded frame in native resolution, RGB24, tightly packed.
pub struct DecodedFrame {
    /// Decode-order index from the clip start.
    pub index: u64,
    /// The pixels.
    pub pixels: PooledBuffer,
}

/// A running decode of one clip.
pub struct FfmpegDecoder {
    /// The clip, for messages.
    clip: PathBuf,
    /// Frames (or the reader's error) from the reader thread; closed at the end of stdout.
    frames: Receiver<Result<DecodedFrame, String>>,
    /// The FFmpeg process, killed if the decoder is dropped early.
    child: ToolChild,
    /// The reader thread.
    reader: Option<JoinHandle<()>>,
    /// Longest wait for the next frame before FFmpeg is declared stuck.
    stall_limit: Duration,
    /// Frames delivered so far.
    received: u64,
}

impl FfmpegDecoder {
    /// Starts decoding `clip` of `width × height` from its first frame, with at most
    /// `read_ahead` frames buffered ahead of the consumer and the [`DECODE_STALL_LIMIT`].
    pub fn open(
        ffmpeg: &Path,
        clip: &Path,
        width: u32,
        height: u32,
        read_ahead: usize,
    ) -> Result<Self, AcceleratorError> {
        Self::open_with_stall_limit(ffmpeg, clip, width, height, read_ahead, DECODE_STALL_LIMIT)
    }

    /// [`FfmpegDecoder::open`] with the longest wait for a frame given: past it, FFmpeg is
    /// killed and the decode fails.
    pub fn open_with_stall_limit(
        ffmpeg: &Path,
        clip: &Path,
        width: u32,
        height: u32,
        read_ahead: usize,
        stall_limit: Duration,
    ) -> Result<Self, AcceleratorError> {
        let decode_error = |message: String| AcceleratorError::Decode {
            clip: clip.to_path_buf(),
            message,
        };
        let mut command = Command::new(ffmpeg);
        command
            .args(["-hide_banner", "-nostdin", "-loglevel", "error", "-i"])
            .arg(clip)
            .args([
                "-map",
                "0:v:0",
                "-fps_mode",
                "passthrough",
                "-f",
                "rawvideo",
                "-pix_fmt",
                "rgb24",
                "pipe:1",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped());
        let mut child = ToolChild::spawn(command)
            .map_err(|err| decode_error(format!("cannot start {}: {err}", ffmpeg.display())))?;
        let mut stdout = child
            .take_stdout()
            .ok_or_else(|| decode_error("no stdout pipe".into()))?;
        let frame_len = width as usize * height as usize * 3;
        let (tx, frames) = crossbeam_channel::bounded(read_ahead.max(1));
        // Buffers in flight: the queue, one being filled, one held by the consumer.
        let pool = FramePool::new(read_ahead.max(1) + 2, frame_len);
        let reader = std::thread::Builder::new()
            .name("fb-decode-read".into())
            .spawn(move || {
                let mut index = 0u64;
                loop {
                    let mut pixels = pool.acquire();
                    match read_full(&mut stdout, &mut pixels) {
                        Ok(true) => {
                            if tx.send(Ok(DecodedFrame { index, pixels })).is_err() {
                                return;
                            }
                            index += 1;
                        }
                        Ok(false) => return,
                        Err(err) => {
                            let _ = tx.send(Err(format!("reading decoded frames: {err}")));
                            return;
                        }
                    }
                }
            })
            .map_err(|err| decode_error(format!("cannot start the reader thread: {err}")))?;
        Ok(Self {
            clip: clip.to_path_buf(),
            frames,
            child,
            reader: Some(reader),
            stall_limit,
            received: 0,
        })
    }

    /// The next frame; `None` at the end of FFmpeg's output. An error if the reader failed or
    /// no frame came within the stall limit (FFmpeg is then killed).
    pub fn next_frame(&mut self) -> Option<Result<DecodedFrame, AcceleratorError>> {
        match self.frames.recv_timeout(self.stall_limit) {
            Ok(Ok(frame)) => {
                self.received += 1;
                Some(Ok(frame))
            }
            Ok(Err(message)) => Some(Err(self.failure(message))),
            Err(RecvTimeoutError::Disconnected) => None,
            Err(RecvTimeoutError::Timeout) => {
                let message = format!(
                    "no frame from ffmpeg for {} s after frame {}; stopped it",
                    self.stall_limit.as_secs_f64(),
                    self.received
                );
                let _ = self.child.kill();
                Some(Err(self.failure(message)))
            }
        }
    }

    /// Waits for FFmpeg to exit after the last frame. An error if it failed (its exit status
    /// and last stderr lines) or delivered no frame; its stderr alone is no error, since
    /// FFmpeg reports concealed damage there and still decodes the clip.
    pub fn finish(mut self) -> Result<(), AcceleratorError> {
        self.stop_reader();
        let exited = self.wait_for_exit()?;
        let message = match (exited.status.success(), self.received) {
            (true, 0) => "has no video frames".to_string(),
            (true, _) => return Ok(()),
            (false, 0) => format!("has no video frames (ffmpeg {})", exited.describe()),
            (false, _) => format!("ffmpeg {}", exited.describe()),
        };
        Err(self.decode_error(message))
    }

    /// The error for `message`, with how FFmpeg ended added once it has exited.
    fn failure(&mut self, message: String) -> AcceleratorError {
        match self.wait_for_exit() {
            Ok(exited) => self.decode_error(format!("{message} (ffmpeg {})", exited.describe())),
            Err(_) => self.decode_error(message),
        }
    }

    /// Waits for FFmpeg to exit, at most the stall limit, then kills it.
    fn wait_for_exit(&mut self) -> Result<Exited, AcceleratorError> {
        let waited = match self.child.wait_at_most(self.stall_limit) {
            Ok(Some(exited)) => Ok(exited),
            Ok(None) => self.child.kill(),
            Err(err) => Err(err),
        };
        waited.map_err(|err| self.decode_error(format!("waiting for ffmpeg: {err}")))
    }

    fn decode_error(&self, message: String) -> AcceleratorError {
        AcceleratorError::Decode {
            clip: self.clip.clone(),
            message,
        }
    }

    /// Ends the reader thread: dropping the receiver makes its next send fail, so it cannot
    /// stay blocked on a full queue.
    fn stop_reader(&mut self) {
        self.frames = crossbeam_channel::never();
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

impl Drop for FfmpegDecoder {
    fn drop(&mut self) {
        if self.reader.is_some() {
            let _ = self.child.kill();
            self.stop_reader();
        }
    }
}

/// Fills `buf` completely; `Ok(false)` on a clean end of stream before the
/// first byte, an error on a stream that ends inside a frame.
fn read_full(source: &mut impl Read, buf: &mut [u8]) -> std::io::Result<bool> {
    let mut filled = 0;
    while filled < buf.len() {
        match source.read(&mut buf[filled..]) {
            Ok(0) if filled == 0 => return Ok(false),
            Ok(0) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    format!("stream ended inside a frame ({filled} of {} bytes)", buf.len()),
                ))
            }
            Ok(n) => filled += n,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::stand_in_ffmpeg::stand_in as stand_in_ffmpeg;
    use std::time::Instant;

    /// Decodes every frame of a 2×2 clip with the stand-in; the frame count and `finish`'s result.
    fn decode_all(ffmpeg: &Path, stall_limit: Duration) -> (u64, Result<(), AcceleratorError>) {
        let clip = Path::new("/clips/cam-1.mp4");
        let mut decoder = FfmpegDecoder::open_with_stall_limit(ffmpeg, clip, 2, 2, 2, stall_limit).unwrap();
        let mut frames = 0;
        while let Some(frame) = decoder.next_frame() {
            if let Err(err) = frame {
                return (frames, Err(err));
            }
            frames += 1;
        }
        (frames, decoder.finish())
    }

    #[test]
    fn a_silent_stuck_ffmpeg_is_stopped_by_the_watchdog() {
        let dir = tempfile::tempdir().unwrap();
        let ffmpeg = stand_in_ffmpeg(dir.path(), "exec sleep 600");
        let started = Instant::now();
        let (frames, result) = decode_all(&ffmpeg, Duration::from_secs(1));
        let elapsed = started.elapsed();
        assert_eq!(frames, 0);
        let message = result.unwrap_err().to_string();
        assert!(
            message.starts_with(
                "clip /clips/cam-1.mp4: decode failed: no frame from ffmpeg for 1 s after frame 0; stopped it"
            ),
            "{message}"
        );
        assert!(elapsed < Duration::from_secs(30), "took {elapsed:?}");
    }

    #[test]
    fn the_watchdog_counts_from_the_last_frame() {
        let dir = tempfile::tempdir().unwrap();
        // Three 12-byte frames, then silence.
        let ffmpeg = stand_in_ffmpeg(dir.path(), "head -c 36 /dev/zero; exec sleep 600");
        let (frames, result) = decode_all(&ffmpeg, Duration::from_secs(1));
        assert_eq!(frames, 3);
        let message = result.unwrap_err().to_string();
        assert!(
            message.contains("no frame from ffmpeg for 1 s after frame 3"),
            "{message}"
        );
    }

    /// 600 KiB of error lines before the first frame: FFmpeg blocks on a full stderr pipe
    /// unless it is drained while the frames are read. The text itself is no failure.
    #[test]
    fn a_flood_of_stderr_neither_blocks_nor_fails_the_decode() {
        let dir = tempfile::tempdir().unwrap();
        let flood = "yes 'error while decoding MB 3 0' | head -n 20000 >&2";
        let ffmpeg = stand_in_ffmpeg(dir.path(), &format!("{flood}; head -c 60 /dev/zero; {flood}"));
        let (frames, result) = decode_all(&ffmpeg, DECODE_STALL_LIMIT);
        assert_eq!(frames, 5);
        result.unwrap();
    }

    #[test]
    fn no_frame_at_all_is_a_clip_without_video_frames() {
        let dir = tempfile::tempdir().unwrap();
        let ffmpeg = stand_in_ffmpeg(dir.path(), "echo 'Error marking filters as finished' >&2; exit 1");
        let (frames, result) = decode_all(&ffmpeg, DECODE_STALL_LIMIT);
        assert_eq!(frames, 0);
        assert_eq!(
            result.unwrap_err().to_string(),
            "clip /clips/cam-1.mp4: decode failed: has no video frames \
             (ffmpeg exited with exit status: 1: Error marking filters as finished)"
        );
    }

    #[test]
    fn a_failing_exit_after_frames_fails_with_its_last_lines() {
        let dir = tempfile::tempdir().unwrap();
        let ffmpeg = stand_in_ffmpeg(dir.path(), "head -c 24 /dev/zero; echo 'disk on fire' >&2; exit 1");
        let (frames, result) = decode_all(&ffmpeg, DECODE_STALL_LIMIT);
        assert_eq!(frames, 2);
        let message = result.unwrap_err().to_string();
        assert!(
            message.ends_with("ffmpeg exited with exit status: 1: disk on fire"),
            "{message}"
        );
    }
}
