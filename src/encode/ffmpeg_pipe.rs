//! Software H.264 encoding with FFmpeg's libx264, fed RGB24 frames over a pipe.
//!
//! Settings follow the summary contract: `-preset veryfast -crf 23`, yuv420p,
//! `+faststart`. FFmpeg runs as a [`ToolChild`]: its own process group, stderr drained
//! (the last lines explain a failure), killed if the encoder is dropped unfinished.

use super::{EncodeError, EncoderFactory, VideoEncoder};
use crate::media::child_process::ToolChild;
use crate::pipeline::messages::VideoFormat;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};

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
    /// The FFmpeg process, killed if the encoder is dropped unfinished.
    child: ToolChild,
    /// Its stdin (frames go here); `None` once closed.
    stdin: Option<ChildStdin>,
}

impl EncoderFactory for X264Factory {
    fn name(&self) -> String {
        "libx264 (ffmpeg)".to_string()
    }

    fn open(&self, path: &Path, format: VideoFormat) -> Result<Box<dyn VideoEncoder>, EncodeError> {
        let size = format!("{}x{}", format.width, format.height);
        let mut command = Command::new(&self.ffmpeg);
        command
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
            .stdout(Stdio::null());
        let mut child = ToolChild::spawn(command).map_err(|err| EncodeError::Failed {
            path: path.to_path_buf(),
            message: format!("cannot start {}: {err}", self.ffmpeg.display()),
        })?;
        let stdin = child.take_stdin();
        Ok(Box::new(X264Encoder {
            path: path.to_path_buf(),
            child,
            stdin,
        }))
    }
}

impl X264Encoder {
    /// Closes stdin, waits for FFmpeg, and describes the failure with how it ended.
    fn failure(&mut self, context: &str) -> EncodeError {
        self.stdin = None;
        let message = match self.child.wait() {
            Ok(exited) => format!("{context}: ffmpeg {}", exited.describe()),
            Err(err) => format!("{context}: waiting for ffmpeg: {err}"),
        };
        EncodeError::Failed {
            path: self.path.clone(),
            message,
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
        let exited = self.child.wait().map_err(|err| EncodeError::Failed {
            path: self.path.clone(),
            message: format!("waiting for ffmpeg: {err}"),
        })?;
        if exited.status.success() {
            Ok(())
        } else {
            Err(EncodeError::Failed {
                path: self.path.clone(),
                message: format!("ffmpeg {}", exited.describe()),
            })
        }
    }
}
