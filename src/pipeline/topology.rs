//! The wiring of the pipeline, read top to bottom like the architecture table:
//!
//! ```text
//! driver ──ProbeRequest──▶ metadata-probe ──AcceleratorJob::Detect──▶ job router
//! driver ──AcceleratorJob::Compile───────────────────────────────────▶ job router
//! job router ──OwnerMessage (one queue per owner)──▶ accelerator owner (one per device)
//! accelerator owner ──AcceleratorJob (handed back after a device fault)──▶ job router
//! accelerator owner ──WriterMessage──▶ contour/JSON writer ──PipelineEvent──▶ driver
//! accelerator owner ──EncoderMessage─▶ encoder feeder      ──PipelineEvent──▶ driver
//! metadata-probe ──PipelineEvent (failures)──▶ driver
//! ```
//!
//! Every forward edge is a bounded channel (the preset's capacities): a full
//! channel blocks its producer. The event edge back to the driver is the one
//! unbounded channel: it closes the loop driver → stages → driver, and a
//! bounded edge in a loop can deadlock; its traffic is a few events per camera.
//! The job router gives each job to the accelerator owner in rotation with the
//! fewest queued frames (`flow::owner_board`); an owner whose device faults
//! leaves rotation until a probe succeeds, and hands its queue back. The
//! hand-back edge is unbounded too, for the same reason; it carries at most
//! what the owners' bounded queues held.
//!
//! Shutdown drains: dropping the driver's senders lets each stage finish what
//! is queued, then close its own outputs, in pipeline order.

use super::job_router::JobRouter;
use super::stage::{spawn_stage, spawn_thread, StageThread};
use super::stages::{AcceleratorOwner, AiAnalysisStage, EncoderFeeder, OwnerLinks, ProbeStage, WriterStage};
use crate::accelerator::BackendFactory;
use crate::ai::AiClient;
use crate::config::ChannelCapacities;
use crate::encode::EncoderFactory;
use crate::encode::VideoFormat;
use crate::flow::messages::{
    AcceleratorJob, AiRequest, EncoderMessage, OwnerMessage, PipelineEvent, ProbeRequest, WriterMessage,
};
use crate::flow::owner_board::{OwnerBoard, ProbeBackoff};
use crate::flow::telemetry::{PipelineTelemetry, QueueGauge, StageCounters};
use crossbeam_channel::{bounded, unbounded, Receiver, SendError, Sender};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What the pipeline is built from.
pub struct PipelineParts {
    /// Channel capacities.
    pub capacities: ChannelCapacities,
    /// One backend factory per accelerator owner (per device).
    pub accelerators: Vec<Box<dyn BackendFactory>>,
    /// The encoder feeder's encoder.
    pub encoder: Box<dyn EncoderFactory>,
    /// `ffmpeg`, for the preview GIF (from the summary, or from a clip when there is none) and
    /// the poster frames.
    pub ffmpeg: Option<PathBuf>,
    /// Summary frame format.
    pub summary_format: VideoFormat,
    /// Detection sampling interval.
    pub frame_interval: u32,
    /// The AI endpoint client, when AI analysis is configured.
    pub ai: Option<AiClient>,
    /// How long an accelerator owner stays out of rotation after a device fault before its
    /// device is probed, and the longest wait between probes.
    pub probe_backoff: ProbeBackoff,
}

/// A running pipeline.
pub struct Pipeline {
    /// Into the metadata-probe stage.
    probe: Sender<ProbeRequest>,
    /// Into the job router (compile jobs).
    accelerator: Sender<AcceleratorJob>,
    /// Events back from the stages.
    events: Receiver<PipelineEvent>,
    /// Stage threads in pipeline order, joined in that order at shutdown.
    threads: Vec<StageThread>,
    /// Counters and gauges.
    telemetry: PipelineTelemetry,
    /// Names of the accelerator backends in use.
    backend_names: Vec<&'static str>,
    /// Whether the AI analysis stage runs.
    ai_enabled: bool,
    /// `ffmpeg`, for the preview GIF of a CE without a summary.
    ffmpeg: Option<PathBuf>,
}

impl Pipeline {
    /// Starts every stage thread. Fails if a stage cannot start (for example
    /// the detector model does not load), after stopping the ones started.
    pub fn start(parts: PipelineParts) -> Result<Self, String> {
        let capacities = parts.capacities;
        let (probe_tx, probe_rx) = bounded::<ProbeRequest>(capacities.probe);
        let (accel_tx, accel_rx) = bounded::<AcceleratorJob>(capacities.accelerator);
        let (writer_tx, writer_rx) = bounded::<WriterMessage>(capacities.writer);
        let (encoder_tx, encoder_rx) = bounded::<EncoderMessage>(capacities.encoder);
        let (events_tx, events_rx) = unbounded::<PipelineEvent>();

        let board = Arc::new(OwnerBoard::new(parts.accelerators.len(), parts.probe_backoff));
        let mut telemetry = PipelineTelemetry {
            stages: Vec::new(),
            queues: vec![
                Arc::new(QueueGauge::new("probe", capacities.probe, probe_rx.clone())),
                Arc::new(QueueGauge::new("accelerator", capacities.accelerator, accel_rx.clone())),
                Arc::new(QueueGauge::new("writer", capacities.writer, writer_rx.clone())),
                Arc::new(QueueGauge::new("encoder", capacities.encoder, encoder_rx.clone())),
            ],
            owners: Some(board.clone()),
        };
        let mut threads = Vec::new();
        let mut start = |counters: Arc<StageCounters>, result: Result<StageThread, String>| {
            telemetry.stages.push(counters);
            result.map(|thread| threads.push(thread))
        };

        // Downstream first, so a failing upstream start leaves nothing blocked.
        let counters = StageCounters::new("writer");
        let (events, ffmpeg) = (events_tx.clone(), parts.ffmpeg.clone());
        start(
            counters.clone(),
            spawn_stage(counters, writer_rx, move || Ok(WriterStage::new(events, ffmpeg))),
        )?;

        let counters = StageCounters::new("encoder");
        let (encoder, ffmpeg, events) = (parts.encoder, parts.ffmpeg.clone(), events_tx.clone());
        start(
            counters.clone(),
            spawn_stage(counters, encoder_rx, move || {
                Ok(EncoderFeeder::new(encoder, ffmpeg, events))
            }),
        )?;

        // The AI stage has a small queue: one request carries a CE's frames.
        let ai_enabled = parts.ai.is_some();
        let ai_tx = match parts.ai {
            Some(client) => {
                let (ai_tx, ai_rx) = bounded::<AiRequest>(2);
                let counters = StageCounters::new("ai");
                let events = events_tx.clone();
                start(
                    counters.clone(),
                    spawn_stage(counters, ai_rx, move || Ok(AiAnalysisStage::new(client, events))),
                )?;
                Some(ai_tx)
            }
            None => None,
        };

        let mut backend_names = Vec::new();
        let (handed_back_tx, handed_back_rx) = unbounded::<AcceleratorJob>();
        let mut owner_queues = Vec::new();
        for (index, factory) in parts.accelerators.into_iter().enumerate() {
            backend_names.push(factory.name());
            let (queue_tx, queue_rx) = bounded::<OwnerMessage>(capacities.accelerator);
            let counters = StageCounters::new("accelerator");
            let links = OwnerLinks {
                writer: writer_tx.clone(),
                encoder: encoder_tx.clone(),
                ai: ai_tx.clone(),
                queued: queue_rx.clone(),
                handed_back: handed_back_tx.clone(),
                index,
                board: board.clone(),
                counters: counters.clone(),
            };
            let (format, interval) = (parts.summary_format, parts.frame_interval);
            let owner = spawn_stage(counters.clone(), queue_rx, move || {
                let backend = factory.create().map_err(|err| err.to_string())?;
                Ok(AcceleratorOwner::new(backend, links, format, interval))
            });
            start(counters, owner)?;
            owner_queues.push(queue_tx);
        }
        drop((writer_tx, encoder_tx, ai_tx, handed_back_tx));
        let counters = StageCounters::new("router");
        let router = JobRouter::new(accel_rx, handed_back_rx, owner_queues, board, counters.clone());
        start(counters, spawn_thread("router", move || router.run()))?;

        let counters = StageCounters::new("probe");
        let (jobs, events) = (accel_tx.clone(), events_tx);
        start(
            counters.clone(),
            spawn_stage(counters, probe_rx, move || Ok(ProbeStage::new(jobs, events))),
        )?;

        Ok(Self {
            probe: probe_tx,
            accelerator: accel_tx,
            events: events_rx,
            threads,
            telemetry,
            backend_names,
            ai_enabled,
            ffmpeg: parts.ffmpeg,
        })
    }

    /// Queues a clip for probing (and then detection); blocks while the probe queue is full.
    pub fn submit_clip(&self, request: ProbeRequest) -> Result<(), SendError<ProbeRequest>> {
        self.probe.send(request)
    }

    /// Queues a compile job; blocks while the accelerator queue is full.
    pub fn submit_job(&self, job: AcceleratorJob) -> Result<(), SendError<AcceleratorJob>> {
        self.accelerator.send(job)
    }

    /// Events from the stages.
    pub fn events(&self) -> &Receiver<PipelineEvent> {
        &self.events
    }

    /// Counters and queue gauges, readable from any thread.
    pub fn telemetry(&self) -> &PipelineTelemetry {
        &self.telemetry
    }

    /// Names of the accelerator backends in use, one per owner.
    pub fn backend_names(&self) -> &[&'static str] {
        &self.backend_names
    }

    /// Whether CEs get an AI analysis.
    pub fn ai_enabled(&self) -> bool {
        self.ai_enabled
    }

    /// `ffmpeg`, when installed.
    pub fn ffmpeg(&self) -> Option<&Path> {
        self.ffmpeg.as_deref()
    }

    /// Stops accepting work, lets every stage drain what is queued, and joins them.
    pub fn shutdown(self) {
        let Self {
            probe,
            accelerator,
            threads,
            ..
        } = self;
        drop(probe);
        drop(accelerator);
        // Threads were started downstream-first; join upstream-first so each
        // stage's outputs close before its consumers are waited for.
        for thread in threads.into_iter().rev() {
            thread.join();
        }
    }
}
