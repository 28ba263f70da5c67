//! The encoder-feeder stage: owns the video encoder sessions. Frames arrive
//! one at a time in order and go straight into the encoder (nothing is
//! accumulated), the first few also into the preview GIF's writer; the finished
//! file is moved into place atomically, the preview beside it. A failed compile
//! leaves `compilation_error.log`, no half video and no preview (the CE driver then cuts
//! the preview from a clip).

use crate::encode::preview_gif::{PreviewGifWriter, PREVIEW_GIF};
use crate::encode::{EncoderFactory, VideoEncoder};
use crate::flow::failure::PipelineError;
use crate::flow::messages::{EncoderMessage, PipelineEvent};
use crate::fs_atomic;
use crate::pipeline::stage::Stage;
use crossbeam_channel::Sender;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// File left in the CE folder when its summary could not be made.
pub const COMPILATION_ERROR_LOG: &str = "compilation_error.log";

/// One video being encoded.
struct Session {
    /// The encoder; `None` after it failed.
    encoder: Option<Box<dyn VideoEncoder>>,
    /// Temporary file being written.
    temp: PathBuf,
    /// Final name.
    output: PathBuf,
    /// Frames written.
    frames: u64,
    /// The preview GIF being made from the first frames; `None` without FFmpeg or after it
    /// failed (the summary goes on without it).
    preview: Option<PreviewGifWriter>,
    /// First failure, reported at the end.
    error: Option<PipelineError>,
}

/// State of the encoder-feeder thread.
pub struct EncoderFeeder {
    /// Opens encoders.
    factory: Box<dyn EncoderFactory>,
    /// `ffmpeg` for the preview GIF, when installed.
    ffmpeg: Option<PathBuf>,
    /// Open sessions by CE id.
    sessions: HashMap<String, Session>,
    /// Summary events out.
    events: Sender<PipelineEvent>,
}

impl EncoderFeeder {
    /// A feeder opening encoders with `factory`.
    pub fn new(factory: Box<dyn EncoderFactory>, ffmpeg: Option<PathBuf>, events: Sender<PipelineEvent>) -> Self {
        Self {
            factory,
            ffmpeg,
            sessions: HashMap::new(),
            events,
        }
    }

    fn fail(&self, ce_id: String, output: &Path, temp: &Path, error: PipelineError) -> bool {
        let _ = std::fs::remove_file(temp);
        tracing::error!(ce = %ce_id, "summary failed: {error}");
        if let Some(folder) = output.parent() {
            let log = folder.join(COMPILATION_ERROR_LOG);
            if let Err(err) = fs_atomic::write_atomic(&log, format!("{error}\n").as_bytes()) {
                tracing::error!("{}: {err}", log.display());
            }
        }
        let _ = self.events.send(PipelineEvent::SummaryFailed { ce_id, error });
        false
    }

    fn finish(&mut self, ce_id: String) -> bool {
        let Some(mut session) = self.sessions.remove(&ce_id) else {
            return false;
        };
        let finished = match (session.encoder.take(), session.error.take()) {
            (_, Some(error)) => Err(error),
            (None, None) => Err(PipelineError::failed("encoder was not open")),
            (Some(_), None) if session.frames == 0 => Err(PipelineError::failed("the plan produced no frames")),
            (Some(encoder), None) => encoder.finish().map_err(PipelineError::from),
        };
        let committed = finished.and_then(|()| {
            fs_atomic::commit(&session.temp, &session.output)
                .map_err(|err| PipelineError::io(session.output.display(), &err))
        });
        if let Err(error) = committed {
            return self.fail(ce_id, &session.output, &session.temp, error);
        }
        let gif = session.preview.take().and_then(|preview| match preview.finish() {
            Ok(gif) => Some(gif),
            Err(err) => {
                tracing::warn!(ce = %ce_id, "preview GIF not made: {err}");
                None
            }
        });
        let _ = self.events.send(PipelineEvent::SummaryReady {
            ce_id,
            video: session.output,
            gif,
            frames: session.frames,
        });
        true
    }
}

impl Stage for EncoderFeeder {
    type Input = EncoderMessage;

    fn handle(&mut self, message: EncoderMessage) -> bool {
        match message {
            EncoderMessage::Begin { ce_id, output, format } => {
                let temp = fs_atomic::temp_path_for(&output);
                let opened = output
                    .parent()
                    .map_or(Ok(()), std::fs::create_dir_all)
                    .map_err(|err| PipelineError::io(output.display(), &err))
                    .and_then(|()| self.factory.open(&temp, format).map_err(PipelineError::from));
                let (encoder, error) = match opened {
                    Ok(encoder) => (Some(encoder), None),
                    Err(error) => (None, Some(error)),
                };
                let ok = error.is_none();
                let preview = match (&self.ffmpeg, ok) {
                    (Some(ffmpeg), true) => {
                        PreviewGifWriter::start(ffmpeg, &output.with_file_name(PREVIEW_GIF), format)
                            .map_err(|err| tracing::warn!(ce = %ce_id, "preview GIF not made: {err}"))
                            .ok()
                    }
                    _ => None,
                };
                let session = Session {
                    encoder,
                    temp,
                    output,
                    frames: 0,
                    preview,
                    error,
                };
                self.sessions.insert(ce_id, session);
                ok
            }
            EncoderMessage::Frame { ce_id, pixels } => {
                let Some(session) = self.sessions.get_mut(&ce_id) else {
                    return false;
                };
                let Some(encoder) = session.encoder.as_mut() else {
                    return false;
                };
                if let Some(preview) = session.preview.as_mut() {
                    if let Err(err) = preview.offer(session.frames, &pixels) {
                        tracing::warn!(ce = %ce_id, "preview GIF not made: {err}");
                        session.preview = None;
                    }
                }
                match encoder.write_frame(&pixels) {
                    Ok(()) => {
                        session.frames += 1;
                        true
                    }
                    Err(err) => {
                        session.error = Some(PipelineError::from(err));
                        session.encoder = None;
                        false
                    }
                }
            }
            EncoderMessage::Finish { ce_id } => self.finish(ce_id),
            EncoderMessage::Abort { ce_id, reason } => match self.sessions.remove(&ce_id) {
                Some(session) => {
                    drop(session.encoder);
                    self.fail(ce_id, &session.output, &session.temp, PipelineError::failed(reason))
                }
                None => false,
            },
        }
    }
}
