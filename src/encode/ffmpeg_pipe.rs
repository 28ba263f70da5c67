//! H.264 encoding by an FFmpeg subprocess fed raw frames (RGB24 or YUV 4:2:0, as the
//! accelerator renders them) over a pipe, with libx264 on the CPU or `h264_nvenc` on an
//! NVIDIA GPU's encoder ([`H264Codec`]).
//!
//! Settings follow the summary contract: yuv420p, `+faststart`; libx264 `-preset veryfast
//! -crf 23`; NVENC preset `p1` with the high-quality tune, VBR at constant quality 24
//! (`-b:v 0` lets the quality target alone decide the rate). FFmpeg runs as a
//! [`ToolChild`]: its own process group, stderr drained (the last lines explain a failure),
//! killed if the encoder is dropped unfinished. Whether NVENC may be used is decided once
//! at start-up by `nvenc_trial`, not here.

use super::VideoFormat;
use super::{EncodeError, EncoderFactory, VideoEncoder};
use crate::media::child_process::{Exited, ToolChild};
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};

/// Which FFmpeg H.264 encoder writes the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum H264Codec {
    /// libx264 on the CPU.
    Libx264,
    /// `h264_nvenc` on the encoder of CUDA device `device`.
    Nvenc {
        /// The CUDA device ordinal (FFmpeg's `-gpu`).
        device: usize,
    },
}

impl H264Codec {
    /// FFmpeg's name of the encoder (`libx264`, `h264_nvenc`), also the metrics label.
    pub fn encoder_name(self) -> &'static str {
        match self {
            Self::Libx264 => "libx264",
            Self::Nvenc { .. } => "h264_nvenc",
        }
    }

    /// The FFmpeg output options that select and tune this encoder.
    fn output_options(self) -> Vec<String> {
        match self {
            Self::Libx264 => ["-c:v", "libx264", "-preset", "veryfast", "-crf", "23"]
                .map(String::from)
                .to_vec(),
            Self::Nvenc { device } => {
                let device = device.to_string();
                [
                    "-c:v",
                    "h264_nvenc",
                    "-gpu",
                    &device,
                    "-preset",
                    "p1",
                    "-tune",
                    "hq",
                    "-rc",
                    "vbr",
                    "-cq",
                    "24",
                    "-b:v",
                    "0",
                ]
                .map(String::from)
                .to_vec()
            }
        }
    }
}

/// Opens encoders of one [`H264Codec`] through the `ffmpeg` program at `ffmpeg`.
pub struct FfmpegEncoderFactory {
    /// The `ffmpeg` executable.
    ffmpeg: PathBuf,
    /// The encoder FFmpeg runs.
    codec: H264Codec,
}

impl FfmpegEncoderFactory {
    /// A factory running `codec` in the `ffmpeg` at `ffmpeg`.
    pub fn new(ffmpeg: PathBuf, codec: H264Codec) -> Self {
        Self { ffmpeg, codec }
    }

    /// The FFmpeg command that encodes raw `format` frames from its stdin to the MP4 `path`.
    pub(super) fn command(&self, path: &Path, format: VideoFormat) -> Command {
        let size = format!("{}x{}", format.width, format.height);
        let mut command = Command::new(&self.ffmpeg);
        command
            .args(["-hide_banner", "-nostdin", "-loglevel", "error", "-y"])
            .args(["-f", "rawvideo", "-pix_fmt", format.pixels.ffmpeg_name()])
            .args(["-s", &size, "-r", &format.fps.to_string(), "-i", "pipe:0"])
            .arg("-an")
            .args(self.codec.output_options())
            .args(["-pix_fmt", "yuv420p", "-movflags", "+faststart", "-f", "mp4"])
            .arg(path)
            .stdin(Stdio::piped())
            .stdout(Stdio::null());
        command
    }
}

/// A running FFmpeg encode.
struct FfmpegEncoder {
    /// The output file.
    path: PathBuf,
    /// The FFmpeg process, killed if the encoder is dropped unfinished.
    child: ToolChild,
    /// Its stdin (frames go here); `None` once closed.
    stdin: Option<ChildStdin>,
}

impl EncoderFactory for FfmpegEncoderFactory {
    fn name(&self) -> String {
        match self.codec {
            H264Codec::Libx264 => "libx264 (ffmpeg)".to_string(),
            H264Codec::Nvenc { device } => format!("h264_nvenc (ffmpeg, GPU {device})"),
        }
    }

    fn open(&self, path: &Path, format: VideoFormat) -> Result<Box<dyn VideoEncoder>, EncodeError> {
        let command = self.command(path, format);
        let mut child = ToolChild::spawn(command).map_err(|err| EncodeError::Failed {
            path: path.to_path_buf(),
            message: format!("cannot start {}: {err}", self.ffmpeg.display()),
        })?;
        let stdin = child.take_stdin();
        Ok(Box::new(FfmpegEncoder {
            path: path.to_path_buf(),
            child,
            stdin,
        }))
    }
}

impl FfmpegEncoder {
    /// Closes stdin, waits for FFmpeg, and describes the failure with how it ended.
    fn failure(&mut self, context: &str) -> EncodeError {
        self.stdin = None;
        match self.child.wait() {
            Ok(exited) => self.exit_error(&exited, &format!("{context}: ")),
            Err(err) => EncodeError::Failed {
                path: self.path.clone(),
                message: format!("{context}: waiting for ffmpeg: {err}"),
            },
        }
    }

    /// The error of an FFmpeg that exited unsuccessfully: storage-unwritable when its log says so.
    fn exit_error(&self, exited: &Exited, context: &str) -> EncodeError {
        let (path, message) = (self.path.clone(), format!("{context}ffmpeg {}", exited.describe()));
        if exited.storage_unwritable() {
            EncodeError::StorageUnwritable { path, message }
        } else {
            EncodeError::Failed { path, message }
        }
    }
}

impl VideoEncoder for FfmpegEncoder {
    fn write_frame(&mut self, frame: &[u8]) -> Result<(), EncodeError> {
        let written = match self.stdin.as_mut() {
            Some(stdin) => stdin.write_all(frame),
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
            Err(self.exit_error(&exited, ""))
        }
    }
}
