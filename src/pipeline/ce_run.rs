//! Driving consolidated events through the stages: submit every camera's clip,
//! collect the sidecars as they are written, plan the summary once every
//! camera has finished (or failed), submit the compile, and report.
//!
//! Owns the per-CE bookkeeping only; it runs on the thread of whoever drives CEs (the
//! `process` and `bench` commands' main thread, the service's coordinator thread, a cluster
//! worker's loop). A failed camera
//! never fails the CE: the summary is planned from the cameras that worked. A CE whose
//! summary was wanted and not made gets its preview GIF from its first camera's clip, cut by
//! FFmpeg while the driver goes on ([`CeDriver::poll_previews`] concludes it).

use super::Pipeline;
use crate::ai::AnalysisResult;
use crate::ce_report::{write_ce_report, CameraOutcome, CeOutcome};
use crate::encode::preview_gif::{ClipPreviewCut, PREVIEW_GIF};
use crate::flow::failure::PipelineError;
use crate::flow::messages::{AcceleratorJob, AiFramesJob, CeJob, CompileJob, PipelineEvent, ProbeRequest};
use crate::media::probe::ClipMetadata;
use crate::sidecar::format::Sidecar;
use crate::timeline::{default_primary, plan_ai_frames, plan_summary, CameraSidecar, PlanParams, SummaryPlan};
use crossbeam_channel::RecvTimeoutError;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Longest wait between two progress ticks.
const TICK: Duration = Duration::from_millis(100);

/// Where one CE stands.
struct CeState {
    /// The job.
    job: Arc<CeJob>,
    /// Outcomes per camera (index as in the job).
    cameras: Vec<CameraOutcome>,
    /// Parsed sidecars and probed clips of the cameras that worked.
    ready: HashMap<String, (Arc<Sidecar>, Arc<ClipMetadata>)>,
    /// Cameras still in the detection pass.
    waiting: usize,
    /// When the CE was submitted.
    submitted: Instant,
    /// Detection-pass duration, once known.
    detect: Option<Duration>,
    /// When the compile was submitted.
    compile_started: Option<Instant>,
    /// Plan, once computed.
    plan: Option<Arc<SummaryPlan>>,
    /// Whether to compile a summary once the sidecars exist.
    want_summary: bool,
    /// The AI analysis was requested and has not reported yet.
    analysis_pending: bool,
    /// The AI analysis outcome, once reported.
    analysis: Option<Result<AnalysisResult, String>>,
    /// The summary outcome, once reported (the CE may still await its analysis).
    summary: Option<SummaryResult>,
}

/// The summary video, its preview GIF and frame count, or why there is none.
type SummaryResult = Result<(PathBuf, Option<PathBuf>, u64), PipelineError>;

/// A CE whose summary was not made, waiting for its preview GIF to be cut from a clip.
struct AwaitingPreview {
    /// The CE, otherwise concluded.
    state: CeState,
    /// Why there is no summary.
    error: PipelineError,
    /// FFmpeg cutting the preview.
    cut: ClipPreviewCut,
}

/// Drives CEs through a [`Pipeline`].
pub struct CeDriver<'p> {
    /// The pipeline.
    pipeline: &'p Pipeline,
    /// Timeline and crop tunables.
    params: PlanParams,
    /// CEs in flight by id.
    active: HashMap<String, CeState>,
    /// CEs without a summary whose preview is being cut from a clip (never on this thread's
    /// time: polled each turn).
    awaiting_preview: Vec<AwaitingPreview>,
    /// CEs finished, in completion order.
    finished: Vec<CeOutcome>,
}

impl<'p> CeDriver<'p> {
    /// A driver for `pipeline`.
    pub fn new(pipeline: &'p Pipeline, params: PlanParams) -> Self {
        Self {
            pipeline,
            params,
            active: HashMap::new(),
            awaiting_preview: Vec::new(),
            finished: Vec::new(),
        }
    }

    /// Submits a CE. `missing` lists cameras known to have no usable clip
    /// (with the reason); they are reported as failed without being probed.
    /// With `want_summary` false the CE ends once its sidecars are written.
    pub fn submit(&mut self, job: Arc<CeJob>, missing: Vec<(String, String)>, want_summary: bool) {
        let mut cameras: Vec<CameraOutcome> = job
            .cameras
            .iter()
            .map(|c| CameraOutcome {
                camera: c.camera.clone(),
                clip: Some(c.clip.clone()),
                sidecar: None,
                sampled_frames: 0,
                frames_with_person: 0,
                error: None,
            })
            .collect();
        cameras.extend(missing.into_iter().map(|(camera, error)| CameraOutcome {
            camera,
            clip: None,
            sidecar: None,
            sampled_frames: 0,
            frames_with_person: 0,
            error: Some(PipelineError::failed(error)),
        }));
        let state = CeState {
            job: job.clone(),
            cameras,
            ready: HashMap::new(),
            waiting: job.cameras.len(),
            submitted: Instant::now(),
            detect: None,
            compile_started: None,
            plan: None,
            want_summary,
            analysis_pending: false,
            analysis: None,
            summary: None,
        };
        self.active.insert(job.id.clone(), state);
        for camera in &job.cameras {
            let request = ProbeRequest {
                ce: job.clone(),
                camera: camera.camera.clone(),
                clip: camera.clip.clone(),
            };
            if self.pipeline.submit_clip(request).is_err() {
                self.record_failure(&job.id, &camera.camera, PipelineError::failed("pipeline is shut down"));
            }
        }
        self.advance(&job.id);
    }

    /// Handles events until every submitted CE has finished; returns their
    /// outcomes. `tick` runs at least every `TICK` (for progress displays).
    pub fn run_to_completion(mut self, tick: &mut dyn FnMut()) -> Vec<CeOutcome> {
        while self.in_flight() > 0 {
            match self.pipeline.events().recv_timeout(TICK) {
                Ok(event) => self.handle(event),
                Err(RecvTimeoutError::Timeout) => {}
                // Only previews being cut: their FFmpeg runs on.
                Err(RecvTimeoutError::Disconnected) if self.active.is_empty() => std::thread::sleep(TICK),
                Err(RecvTimeoutError::Disconnected) => break,
            }
            self.poll_previews();
            tick();
        }
        self.finished
    }

    /// CEs still in flight (a CE whose preview is being cut from a clip included).
    pub fn in_flight(&self) -> usize {
        self.active.len() + self.awaiting_preview.len()
    }

    /// Concludes the CEs whose preview cut from a clip has ended; call it every turn.
    pub fn poll_previews(&mut self) {
        let mut position = 0;
        while position < self.awaiting_preview.len() {
            let Some(cut) = self.awaiting_preview[position].cut.poll() else {
                position += 1;
                continue;
            };
            let AwaitingPreview { state, error, .. } = self.awaiting_preview.remove(position);
            let gif = match cut {
                Ok(gif) => {
                    let camera = state.job.cameras.first().map_or("", |first| first.camera.as_str());
                    tracing::info!(ce = %state.job.id, camera, "no summary: preview GIF made from the first clip");
                    Some(gif)
                }
                Err(err) => {
                    tracing::warn!(ce = %state.job.id, "{err}");
                    None
                }
            };
            self.conclude(state, (None, gif, 0), Some(error));
        }
    }

    /// Outcomes of the CEs finished since the last call.
    pub fn take_finished(&mut self) -> Vec<CeOutcome> {
        std::mem::take(&mut self.finished)
    }

    /// Applies one pipeline event (for drivers that select over several channels).
    pub fn handle(&mut self, event: PipelineEvent) {
        match event {
            PipelineEvent::SidecarReady {
                ce_id,
                camera,
                clip,
                sidecar,
                path,
            } => {
                if let Some(state) = self.active.get_mut(&ce_id) {
                    if let Some(outcome) = state.cameras.iter_mut().find(|c| c.camera == camera) {
                        outcome.sidecar = Some(path);
                        outcome.sampled_frames = sidecar.entries.len();
                        outcome.frames_with_person = sidecar
                            .entries
                            .iter()
                            .filter(|e| e.detections.iter().any(|d| d.label == self.params.label))
                            .count();
                    }
                    state.ready.insert(camera, (sidecar, clip));
                    state.waiting = state.waiting.saturating_sub(1);
                }
                self.advance(&ce_id);
            }
            PipelineEvent::CameraFailed { ce_id, camera, error } => {
                self.record_failure(&ce_id, &camera, error);
                self.advance(&ce_id);
            }
            PipelineEvent::SummaryReady {
                ce_id,
                video,
                gif,
                frames,
            } => self.summary_done(&ce_id, Ok((video, gif, frames))),
            PipelineEvent::SummaryFailed { ce_id, error } => self.summary_done(&ce_id, Err(error)),
            PipelineEvent::AnalysisDone { ce_id, outcome } => {
                if let Some(state) = self.active.get_mut(&ce_id) {
                    state.analysis_pending = false;
                    state.analysis = Some(outcome);
                }
                self.finish_if_done(&ce_id);
            }
        }
    }

    fn record_failure(&mut self, ce_id: &str, camera: &str, error: PipelineError) {
        if let Some(state) = self.active.get_mut(ce_id) {
            if let Some(outcome) = state.cameras.iter_mut().find(|c| c.camera == camera) {
                outcome.error = Some(error);
            }
            state.waiting = state.waiting.saturating_sub(1);
        }
    }

    /// Once every camera is done, plans and submits the compile (or finishes
    /// the CE when no camera produced a sidecar).
    fn advance(&mut self, ce_id: &str) {
        let Some(state) = self.active.get_mut(ce_id) else {
            return;
        };
        if state.waiting > 0 || state.compile_started.is_some() {
            return;
        }
        state.detect = Some(state.submitted.elapsed());
        if state.ready.is_empty() {
            self.complete(ce_id, Err(PipelineError::failed("no camera produced a sidecar")));
            return;
        }
        if !state.want_summary {
            self.complete(ce_id, Err(PipelineError::failed("summary not requested")));
            return;
        }
        let cameras: Vec<CameraSidecar> = state
            .job
            .cameras
            .iter()
            .filter_map(|c| {
                state.ready.get(&c.camera).map(|(sidecar, clip)| CameraSidecar {
                    name: c.camera.clone(),
                    sidecar: sidecar.clone(),
                    native: (clip.width, clip.height),
                })
            })
            .collect();
        let primary = default_primary(&cameras, &self.params.label).unwrap_or_else(|| cameras[0].name.clone());
        let window = if state.job.window_seconds > 0.0 {
            state.job.window_seconds
        } else {
            state
                .ready
                .values()
                .map(|(_, clip)| clip.duration_sec)
                .fold(0.0, f64::max)
        };
        let plan = Arc::new(plan_summary(&cameras, &primary, window, &self.params));
        let job = state.job.clone();
        let output = job.folder.join(format!("{}_summary.mp4", job.folder_name()));
        let compile = CompileJob {
            ce: job.clone(),
            plan: plan.clone(),
            clips: state
                .ready
                .iter()
                .map(|(name, (_, clip))| (name.clone(), clip.clone()))
                .collect(),
            output,
        };
        // The AI frames go first: the analysis request then runs beside the compile.
        let ai_job = self.pipeline.ai_enabled().then(|| AiFramesJob {
            ce: job.clone(),
            frames: Arc::new(plan_ai_frames(&cameras, &primary, window, &self.params)),
            clips: compile.clips.clone(),
        });
        state.plan = Some(plan);
        state.compile_started = Some(Instant::now());
        if let Some(ai_job) = ai_job {
            state.analysis_pending = self.pipeline.submit_job(AcceleratorJob::AiFrames(ai_job)).is_ok();
        }
        if self.pipeline.submit_job(AcceleratorJob::Compile(compile)).is_err() {
            self.complete(ce_id, Err(PipelineError::failed("pipeline is shut down")));
        }
    }

    fn summary_done(&mut self, ce_id: &str, result: SummaryResult) {
        if let Some(state) = self.active.get_mut(ce_id) {
            state.summary = Some(result);
        }
        self.finish_if_done(ce_id);
    }

    /// Completes the CE once its summary and (when requested) its analysis are in.
    fn finish_if_done(&mut self, ce_id: &str) {
        let Some(state) = self.active.get_mut(ce_id) else {
            return;
        };
        if state.analysis_pending {
            return;
        }
        if let Some(result) = state.summary.take() {
            self.complete(ce_id, result);
        }
    }

    fn complete(&mut self, ce_id: &str, result: SummaryResult) {
        let Some(state) = self.active.remove(ce_id) else {
            return;
        };
        match result {
            Ok((video, gif, frames)) => self.conclude(state, (Some(video), gif, frames), None),
            Err(error) if !state.want_summary => self.conclude(state, (None, None, 0), Some(error)),
            Err(error) => match self.start_clip_preview(&state.job) {
                Some(cut) => self.awaiting_preview.push(AwaitingPreview { state, error, cut }),
                None => self.conclude(state, (None, None, 0), Some(error)),
            },
        }
    }

    /// Writes the CE's report and hands it over, with its summary, preview GIF and summary
    /// frame count, or why it has no summary.
    fn conclude(
        &mut self,
        state: CeState,
        (summary, preview_gif, summary_frames): (Option<PathBuf>, Option<PathBuf>, u64),
        summary_error: Option<PipelineError>,
    ) {
        let (analysis, analysis_error) = match state.analysis {
            Some(Ok(result)) => (Some(result), None),
            Some(Err(error)) => (None, Some(error)),
            None => (None, None),
        };
        let compile_seconds = state.compile_started.map_or(0.0, |t| t.elapsed().as_secs_f64());
        let outcome = CeOutcome {
            ce_id: state.job.id.clone(),
            folder: state.job.folder.clone(),
            cameras: state.cameras,
            primary_camera: state.plan.as_ref().map(|p| p.primary_camera.clone()),
            slices: state.plan.as_ref().map_or(0, |p| p.slices.len()),
            timeline: state.plan.as_ref().map(|p| p.camera_runs()).unwrap_or_default(),
            summary,
            preview_gif,
            summary_frames,
            summary_error,
            analysis,
            analysis_error,
            detect_seconds: state.detect.map_or(0.0, |d| d.as_secs_f64()),
            compile_seconds,
        };
        if let Err(err) = write_ce_report(&outcome, state.job.start_epoch) {
            tracing::error!(ce = %outcome.ce_id, "cannot write metadata.json/summary.txt in {}: {err}", outcome.folder.display());
        }
        self.finished.push(outcome);
    }

    /// Starts cutting the preview GIF of a CE whose summary was not made from the clip of its
    /// first camera (the cameras are in order of first appearance and their clips share the
    /// window's start, so this clip starts first); `None`, logged, when it cannot be started.
    fn start_clip_preview(&self, job: &CeJob) -> Option<ClipPreviewCut> {
        let ffmpeg = self.pipeline.ffmpeg()?;
        let first = job.cameras.first()?;
        ClipPreviewCut::start(ffmpeg, &first.clip, &job.folder.join(PREVIEW_GIF))
            .map_err(|err| tracing::warn!(ce = %job.id, "{err}"))
            .ok()
    }
}
