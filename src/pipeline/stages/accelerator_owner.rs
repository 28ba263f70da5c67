//! The accelerator-owner stage: the one thread that owns a device's backend
//! (decoders, detector, render buffers) and does all decode, detect and
//! render work for the jobs it is sent. It does no file or process I/O of
//! its own: inputs arrive in messages, results leave as messages.

use crate::accelerator::AcceleratorBackend;
use crate::encode::VideoFormat;
use crate::flow::failure::PipelineError;
use crate::flow::messages::{
    AcceleratorJob, AiFramesJob, AiRequest, CompileJob, DetectJob, EncoderMessage, WriterMessage,
};
use crate::flow::telemetry::StageCounters;
use crate::pipeline::stage::Stage;
use crossbeam_channel::{Receiver, Sender};
use std::sync::Arc;

/// The channels an accelerator owner reads and writes besides its input.
pub struct OwnerLinks {
    /// Sampled-frame results and clip completions out.
    pub writer: Sender<WriterMessage>,
    /// Rendered frames out.
    pub encoder: Sender<EncoderMessage>,
    /// Rendered AI frames out, when AI analysis is configured.
    pub ai: Option<Sender<AiRequest>>,
    /// The stage's own input, to take detection jobs already waiting behind the one in
    /// hand so that their clips decode together.
    pub queued: Receiver<AcceleratorJob>,
    /// Owners (GPUs) reading that input, so one does not take every waiting clip.
    pub owners: usize,
    /// This stage's counters, where the backend's fallback count is published.
    pub counters: Arc<StageCounters>,
}

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
    /// Jobs waiting behind the one in hand.
    queued: Receiver<AcceleratorJob>,
    /// Owners reading the same input.
    owners: usize,
}

impl AcceleratorOwner {
    /// An owner driving `backend`.
    pub fn new(
        backend: Box<dyn AcceleratorBackend>,
        links: OwnerLinks,
        format: VideoFormat,
        frame_interval: u32,
    ) -> Self {
        Self {
            backend,
            writer: links.writer,
            encoder: links.encoder,
            format,
            frame_interval,
            ai: links.ai,
            counters: links.counters,
            queued: links.queued,
            owners: links.owners,
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

    /// Runs `first` together with the detection jobs queued right behind it, up to what
    /// the backend decodes at once and this owner's share of the waiting clips when
    /// several owners read the queue; a job of another kind ends the gathering and is
    /// handled after them, so the queue's order is kept.
    fn detect(&mut self, first: DetectJob) -> bool {
        let limit = clips_to_take(self.backend.parallel_clips(), 1 + self.queued.len(), self.owners);
        let mut jobs = vec![first];
        let mut next = None;
        while jobs.len() < limit {
            match self.queued.try_recv() {
                Ok(AcceleratorJob::Detect(job)) => jobs.push(job),
                Ok(other) => {
                    next = Some(other);
                    break;
                }
                Err(_) => break,
            }
        }
        let writer = &self.writer;
        let mut emit = |index: usize, frame| {
            let job: &DetectJob = &jobs[index];
            writer
                .send(WriterMessage::Sample {
                    ce: job.ce.clone(),
                    camera: job.camera.clone(),
                    native: (job.clip.width, job.clip.height),
                    frame,
                })
                .is_ok()
        };
        let outcomes = self.backend.detect_clips(&jobs, &mut emit);
        let mut ok = true;
        for (job, outcome) in jobs.into_iter().zip(outcomes) {
            if let Err(err) = &outcome {
                tracing::error!(camera = %job.camera, backend = self.backend.name(), "{err}");
            }
            ok &= outcome.is_ok();
            let done = WriterMessage::ClipDone {
                ce: job.ce,
                camera: job.camera,
                clip: job.clip,
                model: self.backend.model_name().to_string(),
                frame_interval: self.frame_interval,
                outcome: outcome
                    .map(|_| ())
                    .map_err(|err| PipelineError::failed(err.to_string())),
            };
            ok &= self.writer.send(done).is_ok();
        }
        match next {
            Some(job) => self.dispatch(job) && ok,
            None => ok,
        }
    }

    /// Runs one job of any kind.
    fn dispatch(&mut self, job: AcceleratorJob) -> bool {
        match job {
            AcceleratorJob::Detect(job) => self.detect(job),
            AcceleratorJob::Compile(job) => self.compile(job),
            AcceleratorJob::AiFrames(job) => self.ai_frames(job),
        }
    }

    fn compile(&mut self, job: CompileJob) -> bool {
        let ce_id = job.ce.id.clone();
        let begin = EncoderMessage::Begin {
            ce_id: ce_id.clone(),
            output: job.output.clone(),
            format: VideoFormat {
                pixels: self.backend.summary_pixels(),
                ..self.format
            },
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

/// How many of `waiting` clips (the one in hand included) an owner decodes at once: what its
/// backend decodes in parallel, but no more than its share when `owners` read the same queue.
fn clips_to_take(parallel_clips: usize, waiting: usize, owners: usize) -> usize {
    parallel_clips.min(waiting.div_ceil(owners.max(1))).max(1)
}

impl Stage for AcceleratorOwner {
    type Input = AcceleratorJob;

    fn handle(&mut self, job: AcceleratorJob) -> bool {
        let ok = self.dispatch(job);
        self.counters.set_fallbacks(self.backend.fallbacks());
        if let Some(memory) = self.backend.device_memory() {
            self.counters.set_device_memory(memory);
        }
        ok
    }
}

#[cfg(test)]
mod tests {
    use super::clips_to_take;

    #[test]
    fn an_owner_takes_its_share_of_the_waiting_clips() {
        // One owner takes everything its decoders can run.
        assert_eq!(clips_to_take(7, 4, 1), 4);
        assert_eq!(clips_to_take(7, 12, 1), 7);
        // Two owners split four clips two and two; an odd clip goes to the first.
        assert_eq!(clips_to_take(7, 4, 2), 2);
        assert_eq!(clips_to_take(7, 3, 2), 2);
        // The CPU backend decodes one clip at a time whatever waits.
        assert_eq!(clips_to_take(1, 4, 2), 1);
        assert_eq!(clips_to_take(7, 1, 4), 1);
    }
}
