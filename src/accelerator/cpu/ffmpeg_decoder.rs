//! CPU decode: an FFmpeg subprocess decoding a clip to raw RGB24 frames.
//!
//! Owns the subprocess and a reader thread that moves frames from FFmpeg's
//! stdout into pooled buffers on a bounded channel, so the accelerator owner
//! only ever receives ready frames: it does no process or pipe I/O itself,
//! and decoding overlaps with detection.

use crate::accelerator::AcceleratorError;
use crate::pipeline::frame_pool::{FramePool, PooledBuffer};
use crossbeam_channel::Receiver;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;

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
    /// Frames (or the final error) from the reader thread.
    frames: Receiver<Result<DecodedFrame, String>>,
    /// The FFmpeg process, killed if the decoder is dropped early.
    child: Child,
    /// The reader thread.
    reader: Option<JoinHandle<()>>,
}

impl FfmpegDecoder {
    /// Starts decoding `clip` of `width × height` from its first frame, with
    /// at most `read_ahead` frames buffered ahead of the consumer.
    pub fn open(
        ffmpeg: &Path,
        clip: &Path,
        width: u32,
        height: u32,
        read_ahead: usize,
    ) -> Result<Self, AcceleratorError> {
        let decode_error = |message: String| AcceleratorError::Decode {
            clip: clip.to_path_buf(),
            message,
        };
        let mut child = Command::new(ffmpeg)
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
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|err| decode_error(format!("cannot start {}: {err}", ffmpeg.display())))?;
        let mut stdout = child
            .stdout
            .take()
            .ok_or_else(|| decode_error("no stdout pipe".into()))?;
        let mut stderr = child
            .stderr
            .take()
            .ok_or_else(|| decode_error("no stderr pipe".into()))?;
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
                        Ok(false) => break,
                        Err(err) => {
                            let _ = tx.send(Err(format!("reading decoded frames: {err}")));
                            return;
                        }
                    }
                }
                let mut message = String::new();
                let _ = stderr.read_to_string(&mut message);
                if let Some(line) = message.lines().rev().find(|l| !l.trim().is_empty()) {
                    let _ = tx.send(Err(line.trim().to_string()));
                }
            })
            .map_err(|err| decode_error(format!("cannot start the reader thread: {err}")))?;
        Ok(Self {
            clip: clip.to_path_buf(),
            frames,
            child,
            reader: Some(reader),
        })
    }

    /// The next frame; `None` at the end of the clip.
    pub fn next_frame(&mut self) -> Option<Result<DecodedFrame, AcceleratorError>> {
        let item = self.frames.recv().ok()?;
        Some(item.map_err(|message| AcceleratorError::Decode {
            clip: self.clip.clone(),
            message,
        }))
    }

    /// Waits for FFmpeg to exit after the last frame; an error if it failed.
    pub fn finish(mut self) -> Result<(), AcceleratorError> {
        let status = self.child.wait();
        self.join_reader();
        match status {
            Ok(status) if status.success() => Ok(()),
            Ok(status) => Err(AcceleratorError::Decode {
                clip: self.clip.clone(),
                message: format!("ffmpeg exited with {status}"),
            }),
            Err(err) => Err(AcceleratorError::Decode {
                clip: self.clip.clone(),
                message: err.to_string(),
            }),
        }
    }

    fn join_reader(&mut self) {
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

impl Drop for FfmpegDecoder {
    fn drop(&mut self) {
        if self.reader.is_some() {
            let _ = self.child.kill();
            let _ = self.child.wait();
            // Unblock a reader waiting to send, then wait for it.
            while self.frames.try_recv().is_ok() {}
            self.join_reader();
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
