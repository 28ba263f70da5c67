//! The accelerator-owner stage: the one thread that owns a device's backend
//! (decoders, detector, render buffers) and does all decode, detect and
//! render work for the jobs it is sent. It does no file or process I/O of
//! its own: inputs arrive in messages, results leave as messages.

use crate::accelerator::AcceleratorBackend;
use crate::pipeline::messages::{
    AcceleratorJob, AiFramesJob, AiRequest, CompileJob, DetectJob, EncoderMessage, VideoFormat, WriterMessage,
};
use crate::pipeline::stage::Stage;
use crate::pipeline::telemetry::StageCounters;
use crossbeam_channel::Sender;
use std::sync::Arc;

/// State of one accelerator-owner thread.
pub struct AcceleratorOwner {
    /// The backend, created on this thread and never leaving it.
    backend: Box<dyn AcceleratorBackend>,
    /// Sampled-frame results and clip completions out.
    writer: Sender<WriterMessage>,
    /// Rendered frames out.
    encoder: Sender<EncoderMessage>,
    /// Summary frame format.
    format: VideoFormat,
    /// Detection sampling interval, recorded in each sidecar.
    frame_interval: u32,
    /// Rendered AI frames out, when AI analysis is configured.
    ai: Option<Sender<AiRequest>>,
    /// This stage's counters, where the backend's fallback count is published.
    counters: Arc<StageCounters>,
}

impl AcceleratorOwner {
    /// An owner driving `backend`.
    pub fn new(
        backend: Box<dyn AcceleratorBackend>,
        writer: Sender<WriterMessage>,
        encoder: Sender<EncoderMessage>,
        format: VideoFormat,
        frame_interval: u32,
        ai: Option<Sender<AiRequest>>,
        counters: Arc<StageCounters>,
    ) -> Self {
        Self {
            backend,
            writer,
            encoder,
            format,
            frame_interval,
            ai,
            counters,
        }
    }

    fn ai_frames(&mut self, job: AiFramesJob) -> bool {
        let Some(ai) = &self.ai else {
            return false;
        };
        let rendered = self.backend.render_ai_frames(&job);
        let request = match rendered {
            Ok(frames) => AiRequest {
                ce: job.ce,
                frames,
                render_error: None,
            },
            Err(err) => AiRequest {
                ce: job.ce,
                frames: Vec::new(),
                render_error: Some(err.to_string()),
            },
        };
        let ok = request.render_error.is_none();
        ai.send(request).is_ok() && ok
    }

    fn detect(&mut self, job: DetectJob) -> bool {
        let writer = &self.writer;
        let native = (job.clip.width, job.clip.height);
        let mut emit = |frame| {
            writer
                .send(WriterMessage::Sample {
                    ce: job.ce.clone(),
                    camera: job.camera.clone(),
                    native,
                    frame,
                })
                .is_ok()
        };
        let outcome = self.backend.detect_clip(&job, &mut emit);
        if let Err(err) = &outcome {
            tracing::error!(camera = %job.camera, backend = self.backend.name(), "{err}");
        }
        let ok = outcome.is_ok();
        let done = WriterMessage::ClipDone {
            ce: job.ce,
            camera: job.camera,
            clip: job.clip,
            model: self.backend.model_name().to_string(),
            frame_interval: self.frame_interval,
            outcome: outcome.map(|_| ()).map_err(|err| err.to_string()),
        };
        self.writer.send(done).is_ok() && ok
    }

    fn compile(&mut self, job: CompileJob) -> bool {
        let ce_id = job.ce.id.clone();
        let begin = EncoderMessage::Begin {
            ce_id: ce_id.clone(),
            output: job.output.clone(),
            format: self.format,
        };
        if self.encoder.send(begin).is_err() {
            return false;
        }
        let encoder = &self.encoder;
        let progress = &job.ce.progress;
        let mut sent = 0u64;
        let mut emit = |pixels| {
            sent += 1;
            progress.set_summary_frames(sent);
            encoder
                .send(EncoderMessage::Frame {
                    ce_id: ce_id.clone(),
                    pixels,
                })
                .is_ok()
        };
        let end = match self.backend.render_summary(&job, &mut emit) {
            Ok(_) => EncoderMessage::Finish { ce_id },
            Err(err) => {
                tracing::error!(ce = %ce_id, backend = self.backend.name(), "summary render failed: {err}");
                EncoderMessage::Abort {
                    ce_id,
                    reason: err.to_string(),
                }
            }
        };
        let ok = matches!(end, EncoderMessage::Finish { .. });
        self.encoder.send(end).is_ok() && ok
    }
}

impl Stage for AcceleratorOwner {
    type Input = AcceleratorJob;

    fn handle(&mut self, job: AcceleratorJob) -> bool {
        let ok = match job {
            AcceleratorJob::Detect(job) => self.detect(job),
            AcceleratorJob::Compile(job) => self.compile(job),
            AcceleratorJob::AiFrames(job) => self.ai_frames(job),
        };
        self.counters.set_fallbacks(self.backend.fallbacks());
        ok
    }
}
