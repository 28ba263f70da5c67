//! Software H.264 encoding with FFmpeg's libx264, fed RGB24 frames over a pipe.
//!
//! Settings follow the summary contract: `-preset veryfast -crf 23`, yuv420p,
//! `+faststart`. FFmpeg's stderr is kept (last lines) for error messages.

use super::{EncodeError, EncoderFactory, VideoEncoder};
use crate::pipeline::messages::VideoFormat;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::thread::JoinHandle;

/// Opens libx264 encoders through the `ffmpeg` program at `ffmpeg`.
pub struct X264Factory {
    /// The `ffmpeg` executable.
    ffmpeg: PathBuf,
}

impl X264Factory {
    /// A factory using the `ffmpeg` at `ffmpeg`.
    pub fn new(ffmpeg: PathBuf) -> Self {
        Self { ffmpeg }
    }
}

/// A running FFmpeg encode.
struct X264Encoder {
    /// The output file.
    path: PathBuf,
    /// The FFmpeg process.
    child: Child,
    /// Its stdin (frames go here); `None` once closed.
    stdin: Option<ChildStdin>,
    /// Collects FFmpeg's stderr.
    stderr: Option<JoinHandle<String>>,
}

impl EncoderFactory for X264Factory {
    fn name(&self) -> String {
        "libx264 (ffmpeg)".to_string()
    }

    fn open(&self, path: &Path, format: VideoFormat) -> Result<Box<dyn VideoEncoder>, EncodeError> {
        let size = format!("{}x{}", format.width, format.height);
        let mut child = Command::new(&self.ffmpeg)
            .args(["-hide_banner", "-nostdin", "-loglevel", "error", "-y"])
            .args([
                "-f",
                "rawvideo",
                "-pix_fmt",
                format.pixels.ffmpeg_name(),
                "-s",
                &size,
                "-r",
                &format.fps.to_string(),
                "-i",
                "pipe:0",
            ])
            .args([
                "-an", "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p",
            ])
            .args(["-movflags", "+faststart", "-f", "mp4"])
            .arg(path)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|err| EncodeError::Failed {
                path: path.to_path_buf(),
                message: format!("cannot start {}: {err}", self.ffmpeg.display()),
            })?;
        let stdin = child.stdin.take();
        let stderr = child.stderr.take().map(|mut pipe| {
            std::thread::spawn(move || {
                let mut text = String::new();
                let _ = pipe.read_to_string(&mut text);
                text
            })
        });
        Ok(Box::new(X264Encoder {
            path: path.to_path_buf(),
            child,
            stdin,
            stderr,
        }))
    }
}

impl X264Encoder {
    fn failure(&mut self, context: &str) -> EncodeError {
        self.stdin = None;
        let _ = self.child.wait();
        let stderr = self.stderr.take().and_then(|h| h.join().ok()).unwrap_or_default();
        let last = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no message");
        EncodeError::Failed {
            path: self.path.clone(),
            message: format!("{context}: {last}"),
        }
    }
}

impl VideoEncoder for X264Encoder {
    fn write_frame(&mut self, rgb: &[u8]) -> Result<(), EncodeError> {
        let written = match self.stdin.as_mut() {
            Some(stdin) => stdin.write_all(rgb),
            None => return Err(self.failure("encoder already closed")),
        };
        written.map_err(|err| self.failure(&format!("ffmpeg stopped reading frames ({err})")))
    }

    fn finish(mut self: Box<Self>) -> Result<(), EncodeError> {
        self.stdin = None;
        let status = self.child.wait().map_err(|err| EncodeError::Failed {
            path: self.path.clone(),
            message: err.to_string(),
        })?;
        if status.success() {
            Ok(())
        } else {
            Err(self.failure(&format!("ffmpeg exited with {status}")))
        }
    }
}

impl Drop for X264Encoder {
    fn drop(&mut self) {
        // An encoder dropped without `finish` (abort, shutdown) must not leave
        // an FFmpeg process behind.
        if self.stdin.take().is_some() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
