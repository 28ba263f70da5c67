//! The coordinator thread: owns the pipeline and the CE driver. It submits
//! each CE whose clips are on disk, follows it through the stages, journals
//! the results and asks for the `clip_ready` notification, then `finalized`
//! once the CE's analysis is known (ours, or Frigate's GenAI summary, which
//! may come before or after the CE finishes).

use super::messages::{NotifyRequest, ReadyCe, ReviewAnalysis};
use super::notifier::now_epoch;
use super::shared::ServiceShared;
use crate::ai::{read_analysis_result, AnalysisResult};
use crate::ce::journal::{self, JournalStep};
use crate::metrics::{CeFinalState, CeStage, ErrorKind, FrameStage};
use crate::notify::{CeFacts, Milestone, Status};
use crate::pipeline::ce_run::{CeDriver, CeOutcome};
use crate::pipeline::messages::CeJob;
use crate::pipeline::Pipeline;
use crate::recent_ids::RecentIds;
use crate::timeline::PlanParams;
use crossbeam_channel::{select, Receiver, Sender};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What the coordinator remembers of a CE while the pipeline works on it.
struct InFlight {
    /// Label of the first event.
    label: String,
    /// When the CE closed (epoch seconds).
    closed_at: f64,
}

fn journal_step(folder: &Path, step: &JournalStep) {
    if let Err(err) = journal::append(folder, now_epoch(), step) {
        tracing::error!("{err}");
    }
}

/// Sends the `finalized` notification of a CE with `analysis` and journals it.
fn finalize(folder: &Path, facts: &CeFacts, analysis: &AnalysisResult, notify: &Sender<NotifyRequest>) {
    let facts = CeFacts {
        threat_level: analysis.potential_threat_level,
        ..facts.clone()
    };
    let milestone = Milestone::Finalized {
        title: analysis.title.clone(),
        description: analysis.short_summary.clone(),
    };
    let _ = notify.send(NotifyRequest { milestone, facts });
    journal_step(
        folder,
        &JournalStep::Notified {
            status: Status::Finalized,
        },
    );
}

/// Journals a finished CE, asks for its `clip_ready` notification and, when
/// `analysis` is known, its `finalized` one. Returns the CE's notification facts.
fn conclude(
    outcome: &CeOutcome,
    flight: &InFlight,
    analysis: Option<&AnalysisResult>,
    public_url: &str,
    notify: &Sender<NotifyRequest>,
    shared: &ServiceShared,
) -> CeFacts {
    let folder = &outcome.folder;
    let metrics = &shared.metrics;
    metrics.leave_ce_stage(CeStage::Processing);
    let camera_errors = outcome.cameras.iter().filter(|c| c.error.is_some()).count() as u64;
    (0..camera_errors).for_each(|_| metrics.record_error(ErrorKind::Decode));
    let sampled: usize = outcome.cameras.iter().map(|c| c.sampled_frames).sum();
    metrics.add_frames(FrameStage::Detect, sampled as u64);
    metrics.add_frames(FrameStage::Render, outcome.summary_frames);
    metrics.add_frames(FrameStage::Encode, outcome.summary_frames);
    if outcome.summary.is_some() {
        metrics.record_ce_final_state(CeFinalState::Finished);
        let latency = (now_epoch() - flight.closed_at).max(0.0);
        metrics.observe_ce_close_to_summary(Duration::from_secs_f64(latency));
    } else {
        metrics.record_error(ErrorKind::Encode);
        metrics.record_ce_final_state(CeFinalState::Failed);
    }
    if outcome.cameras.iter().any(|c| c.sidecar.is_some()) {
        journal_step(folder, &JournalStep::SidecarsDone);
    }
    match (&outcome.summary, &outcome.summary_error) {
        (Some(video), _) => journal_step(folder, &JournalStep::SummaryDone { path: video.clone() }),
        (None, error) => journal_step(
            folder,
            &JournalStep::SummaryFailed {
                error: error.clone().unwrap_or_else(|| "unknown".into()),
            },
        ),
    }
    let link = |path: &Path| {
        let name = path.strip_prefix(folder.parent().unwrap_or(folder)).unwrap_or(path);
        format!("{public_url}/files/events/{}", name.display())
    };
    let facts = CeFacts {
        ce_id: outcome.ce_id.clone(),
        camera: outcome.primary_camera.clone().unwrap_or_default(),
        label: flight.label.clone(),
        camera_count: outcome.cameras.iter().filter(|c| c.sidecar.is_some()).count(),
        image_url: outcome.preview_gif.as_deref().map(link),
        video_url: outcome.summary.as_deref().map(link),
        player_url: None,
        threat_level: 0,
    };
    let _ = notify.send(NotifyRequest {
        milestone: Milestone::ClipReady,
        facts: facts.clone(),
    });
    journal_step(
        folder,
        &JournalStep::Notified {
            status: Status::ClipReady,
        },
    );
    if let Some(analysis) = analysis {
        finalize(folder, &facts, analysis, notify);
    }
    if outcome.analysis_error.is_some() {
        metrics.record_error(ErrorKind::Ai);
    }
    journal_step(folder, &JournalStep::Finished);
    if let Some(name) = folder.file_name() {
        shared.deactivate(&name.to_string_lossy());
    }
    facts
}

/// The coordinator's channels.
pub struct CoordinatorLinks {
    /// CEs whose clips are on disk.
    pub ready: Receiver<ReadyCe>,
    /// Frigate's GenAI summaries (`ai_mode: frigate`); never sends otherwise.
    pub reviews: Receiver<ReviewAnalysis>,
    /// Notifications out.
    pub notify: Sender<NotifyRequest>,
}

/// How the coordinator behaves.
pub struct CoordinatorSettings {
    /// Base of the links in notifications.
    pub public_url: String,
    /// Longest wait for CEs in flight once `ready` closed.
    pub drain_limit: Duration,
    /// `ai_mode: frigate`: a CE's analysis may be Frigate's, recorded before a restart.
    pub frigate_genai: bool,
}

/// What the coordinator knows of Frigate's GenAI summaries.
#[derive(Default)]
struct ReviewBook {
    /// Summaries that came before their CE finished, by CE id.
    early: HashMap<String, AnalysisResult>,
    /// Recently finished CEs: their notification facts, and whether `finalized` went out.
    finished: RecentIds<(CeFacts, bool)>,
}

impl ReviewBook {
    /// Takes a summary: finalizes a finished CE now (once), keeps it for a CE still on its way.
    fn take(&mut self, review: ReviewAnalysis, notify: &Sender<NotifyRequest>) {
        match self.finished.get(&review.ce_id) {
            Some((_, true)) => {}
            Some((facts, false)) => {
                let facts = facts.clone();
                finalize(&review.folder, &facts, &review.result, notify);
                self.finished.insert(&review.ce_id, (facts, true));
            }
            None => {
                self.early.insert(review.ce_id.clone(), review.result);
            }
        }
    }
}

/// Runs until `ready` closes and every submitted CE has finished, or until
/// the drain limit after `ready` closed; then drains and stops the pipeline.
pub fn run_coordinator(
    pipeline: Pipeline,
    params: PlanParams,
    links: CoordinatorLinks,
    settings: CoordinatorSettings,
    shared: ServiceShared,
) {
    let mut driver = CeDriver::new(&pipeline, params);
    let mut in_flight: HashMap<String, InFlight> = HashMap::new();
    let mut reviews = ReviewBook::default();
    let mut ready_open = true;
    let mut drain_deadline: Option<Instant> = None;
    let tick = crossbeam_channel::tick(Duration::from_millis(500));
    while ready_open || driver.in_flight() > 0 {
        if drain_deadline.is_some_and(|deadline| Instant::now() > deadline) {
            tracing::warn!(
                in_flight = driver.in_flight(),
                "shutdown drain time exceeded; unfinished CEs resume at next start"
            );
            break;
        }
        let ready_or_never = if ready_open {
            links.ready.clone()
        } else {
            crossbeam_channel::never()
        };
        select! {
            recv(ready_or_never) -> message => match message {
                Ok(ce) => {
                    let job = Arc::new(CeJob::new(ce.ce_id.clone(), ce.folder.clone(), ce.window_start, ce.window_seconds, ce.clips));
                    in_flight.insert(ce.ce_id.clone(), InFlight { label: ce.label, closed_at: ce.closed_at });
                    driver.submit(job, ce.failed, true);
                }
                Err(_) => {
                    ready_open = false;
                    drain_deadline = Some(Instant::now() + settings.drain_limit);
                }
            },
            recv(pipeline.events()) -> event => {
                if let Ok(event) = event {
                    driver.handle(event);
                }
            },
            recv(links.reviews) -> review => {
                if let Ok(review) = review {
                    reviews.take(review, &links.notify);
                }
            },
            recv(tick) -> _ => {}
        }
        for outcome in driver.take_finished() {
            let flight = in_flight.remove(&outcome.ce_id).unwrap_or(InFlight {
                label: String::new(),
                closed_at: now_epoch(),
            });
            tracing::info!(
                ce = %outcome.ce_id,
                summary = ?outcome.summary,
                error = ?outcome.summary_error,
                "consolidated event processed"
            );
            let analysis = outcome
                .analysis
                .clone()
                .or_else(|| reviews.early.remove(&outcome.ce_id))
                .or_else(|| {
                    settings
                        .frigate_genai
                        .then(|| read_analysis_result(&outcome.folder).map(|record| record.result))
                        .flatten()
                });
            let facts = conclude(
                &outcome,
                &flight,
                analysis.as_ref(),
                &settings.public_url,
                &links.notify,
                &shared,
            );
            reviews.finished.insert(&outcome.ce_id, (facts, analysis.is_some()));
        }
    }
    drop(driver);
    pipeline.shutdown();
}
