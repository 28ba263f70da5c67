//! The accelerator-owner stage: the one thread that owns a device's backend
//! (decoders, detector, render buffers) and does all decode, detect and
//! render work for the jobs the job router queues on it. It does no file or
//! process I/O of its own: inputs arrive in messages, results leave as messages.
//!
//! It keeps its line of the [`OwnerBoard`]: the frames it finished, and whether it is in
//! rotation. When its device faults it leaves rotation and hands the jobs queued on it back to
//! the router; the router sends it a probe after a back-off, and it rejoins when the probe
//! succeeds.

use crate::accelerator::{AcceleratorBackend, AcceleratorError};
use crate::encode::VideoFormat;
use crate::flow::failure::PipelineError;
use crate::flow::messages::{
    AcceleratorJob, AiFramesJob, AiRequest, CompileJob, DetectJob, EncoderMessage, OwnerMessage, WriterMessage,
};
use crate::flow::owner_board::OwnerBoard;
use crate::flow::telemetry::StageCounters;
use crate::pipeline::stage::Stage;
use crossbeam_channel::{Receiver, Sender};
use std::sync::Arc;
use std::time::Instant;

/// The channels an accelerator owner reads and writes besides its input.
pub struct OwnerLinks {
    /// Sampled-frame results and clip completions out.
    pub writer: Sender<WriterMessage>,
    /// Rendered frames out.
    pub encoder: Sender<EncoderMessage>,
    /// Rendered AI frames out, when AI analysis is configured.
    pub ai: Option<Sender<AiRequest>>,
    /// The stage's own input, to take detection jobs already waiting behind the one in
    /// hand so that their clips decode together, and to hand them back after a fault.
    pub queued: Receiver<OwnerMessage>,
    /// Where jobs go back to the router when the device faults.
    pub handed_back: Sender<AcceleratorJob>,
    /// This owner's index on the board.
    pub index: usize,
    /// Queued frames and rotation of every owner.
    pub board: Arc<OwnerBoard>,
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
    queued: Receiver<OwnerMessage>,
    /// Where jobs go back to the router when the device faults.
    handed_back: Sender<AcceleratorJob>,
    /// This owner's index on the board.
    index: usize,
    /// Queued frames and rotation of every owner.
    board: Arc<OwnerBoard>,
    /// The backend's device-fault count at the last check.
    device_faults: u64,
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
            handed_back: links.handed_back,
            index: links.index,
            board: links.board,
            device_faults: 0,
        }
    }

    fn ai_frames(&mut self, job: AiFramesJob) -> bool {
        let Some(ai) = self.ai.clone() else {
            return false;
        };
        let rendered = self.backend.render_ai_frames(&job);
        self.on_error(rendered.as_ref().err());
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
    /// the backend decodes at once; a message of another kind ends the gathering and is
    /// handled after them, so the queue's order is kept.
    fn detect(&mut self, first: DetectJob) -> bool {
        let limit = self.backend.parallel_clips().max(1);
        let mut jobs = vec![first];
        let mut next = None;
        while jobs.len() < limit {
            match self.queued.try_recv() {
                Ok(OwnerMessage::Job(AcceleratorJob::Detect(job))) => jobs.push(job),
                Ok(other) => {
                    next = Some(other);
                    break;
                }
                Err(_) => break,
            }
        }
        let writer = &self.writer;
        let mut emitted = vec![0u64; jobs.len()];
        let mut emit = |index: usize, frame| {
            emitted[index] += 1;
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
        for ((job, outcome), emitted) in jobs.into_iter().zip(outcomes).zip(emitted) {
            self.on_error(outcome.as_ref().err());
            // A pass the device failed before it sent a frame runs again on another owner.
            if outcome.is_err() && emitted == 0 && self.hands_jobs_back() {
                self.hand_back(AcceleratorJob::Detect(job));
                continue;
            }
            if let Err(err) = &outcome {
                tracing::error!(camera = %job.camera, backend = self.backend.name(), "{err}");
            }
            let decoded = outcome.as_ref().map_or(0, |stats| stats.decoded_frames);
            self.finished(job.frames(), decoded);
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
            Some(message) => self.take(message) && ok,
            None => ok,
        }
    }

    /// Handles one message from the owner's queue.
    fn take(&mut self, message: OwnerMessage) -> bool {
        match message {
            OwnerMessage::Job(job) if self.hands_jobs_back() => {
                self.hand_back(job);
                true
            }
            OwnerMessage::Job(job) => self.run(job),
            OwnerMessage::Probe => self.probe(),
        }
    }

    /// Runs one job of any kind.
    fn run(&mut self, job: AcceleratorJob) -> bool {
        let frames = job.frames();
        match job {
            AcceleratorJob::Detect(job) => self.detect(job),
            AcceleratorJob::Compile(job) => {
                let ok = self.compile(job);
                self.finished(frames, 0);
                ok
            }
            AcceleratorJob::AiFrames(job) => {
                let ok = self.ai_frames(job);
                self.finished(frames, 0);
                ok
            }
        }
    }

    /// Records a job of `frames` frames this owner ran (its detection pass decoding
    /// `decoded` frames): it leaves this owner's queued frames.
    fn finished(&self, frames: u64, decoded: u64) {
        self.board.ran(self.index, decoded);
        self.board.released(self.index, frames);
    }

    /// Leaves rotation when `error` is a device fault.
    fn on_error(&mut self, error: Option<&AcceleratorError>) {
        if error.is_some_and(AcceleratorError::is_device_fault) {
            self.leave_rotation();
        }
    }

    /// Whether a job in this owner's hands goes back to the router rather than running here:
    /// this owner is out of rotation and another is in.
    fn hands_jobs_back(&self) -> bool {
        !self.board.in_rotation(self.index) && self.board.any_in_rotation()
    }

    /// Gives `job` back to the router, which queues it on another owner.
    fn hand_back(&self, job: AcceleratorJob) {
        let frames = job.frames();
        // Handed back before released, so the router never sees it nowhere.
        if let Err(returned) = self.handed_back.send(job) {
            tracing::error!(ce = %returned.0.ce().id, "the job router is gone; a job was dropped");
        }
        self.board.released(self.index, frames);
    }

    /// After a device fault: leaves rotation and, when another owner is in rotation, hands
    /// every job queued here back to the router. Nothing happens if already out.
    fn leave_rotation(&mut self) {
        if !self.board.take_out(self.index, Instant::now()) {
            return;
        }
        let mut handed_back = 0;
        while self.hands_jobs_back() {
            match self.queued.try_recv() {
                Ok(OwnerMessage::Job(job)) => {
                    self.hand_back(job);
                    handed_back += 1;
                }
                Ok(OwnerMessage::Probe) => {}
                Err(_) => break,
            }
        }
        tracing::warn!(
            owner = self.index,
            backend = self.backend.name(),
            handed_back,
            "device fault: this accelerator owner is out of rotation until a probe succeeds"
        );
    }

    /// Leaves rotation when the backend recovered from a device fault by itself since the last
    /// check (it ran the job on its fallback), as when a job fails with one.
    fn check_device_faults(&mut self) {
        let device_faults = self.backend.device_faults();
        if device_faults > self.device_faults {
            self.device_faults = device_faults;
            self.leave_rotation();
        }
    }

    /// Tries the device; back into rotation when it answers.
    fn probe(&mut self) -> bool {
        match self.backend.probe() {
            Ok(()) => {
                tracing::info!(
                    owner = self.index,
                    backend = self.backend.name(),
                    "probe succeeded: back in rotation"
                );
                self.board.probe_succeeded(self.index);
                true
            }
            Err(err) => {
                tracing::warn!(owner = self.index, backend = self.backend.name(), "probe failed: {err}");
                self.board.probe_failed(self.index, Instant::now());
                false
            }
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
                self.on_error(Some(&err));
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

impl Drop for AcceleratorOwner {
    fn drop(&mut self) {
        // A panic ends the thread with jobs counted on it: let the router forget them.
        if std::thread::panicking() {
            self.board.abandon(self.index);
        }
    }
}

impl Stage for AcceleratorOwner {
    type Input = OwnerMessage;

    fn handle(&mut self, message: OwnerMessage) -> bool {
        let ok = self.take(message);
        self.check_device_faults();
        self.counters.set_fallbacks(self.backend.fallbacks());
        if let Some(memory) = self.backend.device_memory() {
            self.counters.set_device_memory(memory);
        }
        ok
    }
}
