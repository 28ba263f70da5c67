//! How a processed CE ends, wherever it was processed (the local pipeline or
//! a cluster worker): its results journaled, its `clip_ready` notification,
//! then `finalized` once its analysis is known (ours, or Frigate's GenAI
//! summary, which may come before or after the CE finishes).
//!
//! Owns the per-CE facts kept between hand-over and outcome, and Frigate's
//! GenAI summaries waiting for their CE. It never touches the pipeline or the
//! MQTT connection; notifications go to the notifier thread.

use super::clock::now_epoch;
use super::messages::{NotifyRequest, ReadyCe, ReviewAnalysis};
use super::shared::ServiceShared;
use crate::ai::{read_analysis_result, AnalysisResult};
use crate::ce::journal::{self, JournalStep};
use crate::ce_report::CeOutcome;
use crate::flow::failure::PipelineError;
use crate::metrics::{CeFinalState, CeStage, ErrorKind, FrameStage};
use crate::notify::{event_file_url, CeFacts, Milestone};
use crate::recent_ids::RecentIds;
use crossbeam_channel::Sender;
use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

/// How long a CE that ran out of storage space waits before it is processed again.
pub const STORAGE_RETRY_DELAY: Duration = Duration::from_secs(30);

/// What became of an outcome handed to [`Conclusions::conclude`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict {
    /// The CE is done: journaled, notified.
    Concluded,
    /// Nothing is wrong with the CE, but it could not be written (the
    /// storage is full or read-only): process it again after this long.
    RetryAfter(Duration),
}

/// Whether a CE failed because its storage could not be written: no space
/// left (ENOSPC) or mounted read-only (EROFS), as the writer and the encoder
/// report it. Such a CE is held back, not concluded: concluding it would announce
/// a summary of no camera (every sidecar write failed) and journal nothing.
fn storage_unwritable(outcome: &CeOutcome) -> bool {
    let camera_errors = outcome.cameras.iter().filter_map(|camera| camera.error.as_ref());
    outcome
        .summary_error
        .iter()
        .chain(camera_errors)
        .any(PipelineError::storage_unwritable)
}

/// What is remembered of a CE between its hand-over and its outcome.
struct InFlight {
    /// Label of the first event.
    label: String,
    /// When the CE closed (epoch seconds).
    closed_at: f64,
}

/// Appends `step` to the CE's journal, logging a failure.
pub fn journal_step(folder: &Path, step: &JournalStep) {
    if let Err(err) = journal::append(folder, now_epoch(), step) {
        tracing::error!("{err}");
    }
}

/// Journals a notification of the CE in `folder` as due, then asks the
/// notifier for it; the notifier journals it as sent once the broker accepted
/// it, and a restart sends it if that never happened.
pub fn notify_journaled(folder: &Path, milestone: Milestone, facts: CeFacts, notify: &Sender<NotifyRequest>) {
    let due = JournalStep::NotificationDue {
        milestone: milestone.clone(),
        facts: facts.clone(),
    };
    journal_step(folder, &due);
    let _ = notify.send(NotifyRequest {
        milestone,
        facts,
        journal: Some(folder.to_path_buf()),
    });
}

/// Asks the notifier again for every notification journaled as due and
/// never as sent (the broker did not accept it before the service stopped).
/// Returns how many. Must run before anything journals a new due one.
pub fn resend_unsent(storage: &Path, notify: &Sender<NotifyRequest>) -> Result<usize, journal::JournalError> {
    let unsent = journal::unsent_notifications(storage)?;
    for notification in &unsent {
        tracing::info!(ce = %notification.facts.ce_id, status = ?notification.milestone.status(), "sending a notification the broker never accepted");
        let _ = notify.send(NotifyRequest {
            milestone: notification.milestone.clone(),
            facts: notification.facts.clone(),
            journal: Some(notification.folder.clone()),
        });
    }
    Ok(unsent.len())
}

/// Asks for the `finalized` notification of a CE with `analysis`.
fn finalize(folder: &Path, facts: &CeFacts, analysis: &AnalysisResult, notify: &Sender<NotifyRequest>) {
    let facts = CeFacts {
        threat_level: analysis.potential_threat_level,
        ..facts.clone()
    };
    let milestone = Milestone::Finalized {
        title: analysis.title.clone(),
        description: analysis.short_summary.clone(),
    };
    notify_journaled(folder, milestone, facts, notify);
}

/// What Frigate's GenAI summaries are waiting for.
#[derive(Default)]
struct ReviewBook {
    /// Summaries that came before their CE finished, by CE id.
    early: HashMap<String, AnalysisResult>,
    /// Recently finished CEs: their notification facts, and whether `finalized` went out.
    finished: RecentIds<(CeFacts, bool)>,
}

/// Settings of [`Conclusions`].
pub struct ConclusionSettings {
    /// Base of the links in notifications.
    pub public_url: String,
    /// `ai_mode: frigate`: a CE's analysis may be Frigate's, recorded before a restart.
    pub frigate_genai: bool,
}

/// Concludes CEs: journal, metrics and notifications.
pub struct Conclusions {
    /// CEs handed over and not concluded yet, by id.
    in_flight: HashMap<String, InFlight>,
    /// Frigate's GenAI summaries.
    reviews: ReviewBook,
    /// Links and modes.
    settings: ConclusionSettings,
    /// Notifications out.
    notify: Sender<NotifyRequest>,
    /// Metrics and the active-CE set.
    shared: ServiceShared,
}

impl Conclusions {
    /// Nothing in flight yet.
    pub fn new(settings: ConclusionSettings, notify: Sender<NotifyRequest>, shared: ServiceShared) -> Self {
        Self {
            in_flight: HashMap::new(),
            reviews: ReviewBook::default(),
            settings,
            notify,
            shared,
        }
    }

    /// Remembers what the outcome of `ce` will need.
    pub fn expect(&mut self, ce: &ReadyCe) {
        let flight = InFlight {
            label: ce.label.clone(),
            closed_at: ce.closed_at,
        };
        self.in_flight.insert(ce.ce_id.clone(), flight);
    }

    /// Takes a Frigate GenAI summary: finalizes a finished CE now (once),
    /// keeps it for a CE still on its way.
    pub fn take_review(&mut self, review: ReviewAnalysis) {
        match self.reviews.finished.get(&review.ce_id) {
            Some((_, true)) => {}
            Some((facts, false)) => {
                let facts = facts.clone();
                finalize(&review.folder, &facts, &review.result, &self.notify);
                self.reviews.finished.insert(&review.ce_id, (facts, true));
            }
            None => {
                self.reviews.early.insert(review.ce_id.clone(), review.result);
            }
        }
    }

    /// Concludes a processed CE: journals its results, records its metrics,
    /// asks for `clip_ready` and, when its analysis is known, `finalized`. A
    /// CE that ran out of storage space is not concluded but sent back.
    pub fn conclude(&mut self, outcome: &CeOutcome) -> Verdict {
        if storage_unwritable(outcome) {
            self.shared.metrics.record_error(ErrorKind::Storage);
            tracing::error!(
                ce = %outcome.ce_id,
                folder = %outcome.folder.display(),
                "storage full or read-only: the CE's outputs cannot be written; processing it again in {} s",
                STORAGE_RETRY_DELAY.as_secs()
            );
            return Verdict::RetryAfter(STORAGE_RETRY_DELAY);
        }
        let flight = self.in_flight.remove(&outcome.ce_id).unwrap_or(InFlight {
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
            .or_else(|| self.reviews.early.remove(&outcome.ce_id))
            .or_else(|| {
                self.settings
                    .frigate_genai
                    .then(|| read_analysis_result(&outcome.folder).map(|record| record.result))
                    .flatten()
            });
        self.record_metrics(outcome, &flight);
        journal_results(outcome);
        let facts = self.facts(outcome, &flight);
        let folder = &outcome.folder;
        notify_journaled(folder, Milestone::ClipReady, facts.clone(), &self.notify);
        if let Some(analysis) = &analysis {
            finalize(folder, &facts, analysis, &self.notify);
        }
        journal_step(folder, &JournalStep::Finished);
        if let Some(name) = folder.file_name() {
            self.shared.deactivate(&name.to_string_lossy());
        }
        self.reviews
            .finished
            .insert(&outcome.ce_id, (facts, analysis.is_some()));
        Verdict::Concluded
    }

    fn record_metrics(&self, outcome: &CeOutcome, flight: &InFlight) {
        let metrics = &self.shared.metrics;
        metrics.leave_ce_stage(CeStage::Processing);
        let camera_errors = outcome.cameras.iter().filter(|c| c.error.is_some()).count() as u64;
        (0..camera_errors).for_each(|_| metrics.record_error(ErrorKind::Decode));
        let sampled: usize = outcome.cameras.iter().map(|c| c.sampled_frames).sum();
        metrics.add_frames(FrameStage::Detect, sampled as u64);
        metrics.add_frames(FrameStage::Render, outcome.summary_frames);
        metrics.add_frames(FrameStage::Encode, outcome.summary_frames);
        if outcome.summary.is_some() {
            metrics.record_summary_encoded();
            metrics.record_ce_final_state(CeFinalState::Finished);
            let latency = (now_epoch() - flight.closed_at).max(0.0);
            metrics.observe_ce_close_to_summary(Duration::from_secs_f64(latency));
        } else {
            metrics.record_error(ErrorKind::Encode);
            metrics.record_ce_final_state(CeFinalState::Failed);
        }
        if outcome.analysis_error.is_some() {
            metrics.record_error(ErrorKind::Ai);
        }
    }

    /// The CE's notification facts, with links under the public URL.
    fn facts(&self, outcome: &CeOutcome, flight: &InFlight) -> CeFacts {
        let link = |path: &Path| event_file_url(&self.settings.public_url, &outcome.folder, path);
        CeFacts {
            ce_id: outcome.ce_id.clone(),
            camera: outcome.primary_camera.clone().unwrap_or_default(),
            label: flight.label.clone(),
            camera_count: outcome.cameras.iter().filter(|c| c.sidecar.is_some()).count(),
            image_url: outcome.preview_gif.as_deref().map(link),
            video_url: outcome.summary.as_deref().map(link),
            player_url: None,
            threat_level: 0,
        }
    }
}

/// Journals the sidecars and the summary outcome.
fn journal_results(outcome: &CeOutcome) {
    let folder = &outcome.folder;
    if outcome.cameras.iter().any(|c| c.sidecar.is_some()) {
        journal_step(folder, &JournalStep::SidecarsDone);
    }
    match (&outcome.summary, &outcome.summary_error) {
        (Some(video), _) => journal_step(folder, &JournalStep::SummaryDone { path: video.clone() }),
        (None, error) => journal_step(
            folder,
            &JournalStep::SummaryFailed {
                error: error.as_ref().map_or_else(|| "unknown".into(), ToString::to_string),
            },
        ),
    }
}
