//! The quick-title thread: a quick AI title for each new CE, from its snapshot.
//!
//! The snapshot lane hands it each snapshot it saved (when `ai.quick_title_enabled` and our own
//! AI analysis are configured). Once `ai.quick_title_delay_seconds` have passed, it sends the
//! snapshot to the AI endpoint, one request at a time, and asks the notifier for a
//! `snapshot_ready` notification with the CE's tag carrying the title, so Home Assistant replaces
//! the CE's notification with the titled one. A CE discarded or canceled in the meantime (its
//! folder gone) gets no title. Jobs still waiting when the service stops are dropped: the title is
//! interim, the analysis follows. It reads the snapshot and writes nothing.

use super::messages::NotifyRequest;
use super::shared::ServiceShared;
use crate::ai::AiClient;
use crate::metrics::ErrorKind;
use crate::notify::{CeFacts, Milestone};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A saved snapshot of a new CE, to title once its time comes.
#[derive(Debug, Clone)]
pub struct QuickTitleJob {
    /// The CE, as its notifications describe it (the snapshot's image URL included).
    pub facts: CeFacts,
    /// The CE folder; gone when the CE was discarded or canceled.
    pub folder: PathBuf,
    /// The snapshot JPEG.
    pub snapshot: PathBuf,
    /// When to ask for the title.
    pub due: Instant,
}

/// Runs until `jobs` closes, titling each job at its time, in order.
pub fn run_quick_titles(
    jobs: Receiver<QuickTitleJob>,
    ai: AiClient,
    notify: Sender<NotifyRequest>,
    shared: ServiceShared,
) {
    let mut waiting: VecDeque<QuickTitleJob> = VecDeque::new();
    loop {
        let wait = waiting.front().map_or(Duration::from_secs(3600), |job| {
            job.due.saturating_duration_since(Instant::now())
        });
        match jobs.recv_timeout(wait) {
            Ok(job) => waiting.push_back(job),
            Err(RecvTimeoutError::Timeout) => {
                if let Some(job) = waiting.pop_front() {
                    title(&job, &ai, &notify, &shared);
                }
            }
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    for job in waiting {
        tracing::debug!(ce = %job.facts.ce_id, "stopping: quick title not asked for");
    }
}

/// Asks for `job`'s title and the notification that carries it.
fn title(job: &QuickTitleJob, ai: &AiClient, notify: &Sender<NotifyRequest>, shared: &ServiceShared) {
    if !job.folder.is_dir() {
        tracing::debug!(ce = %job.facts.ce_id, "no quick title: the CE was dropped");
        return;
    }
    let snapshot = match std::fs::read(&job.snapshot) {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::warn!(ce = %job.facts.ce_id, "no quick title: {}: {error}", job.snapshot.display());
            return;
        }
    };
    match ai.quick_title(&snapshot, &job.facts.camera, &job.facts.label) {
        Ok(quick) => {
            tracing::info!(ce = %job.facts.ce_id, title = %quick.title, "quick title");
            let _ = notify.send(NotifyRequest {
                milestone: Milestone::QuickTitle {
                    title: quick.title,
                    description: quick.description,
                },
                facts: job.facts.clone(),
                journal: None,
            });
        }
        Err(error) => {
            shared.metrics.record_error(ErrorKind::Ai);
            tracing::warn!(ce = %job.facts.ce_id, "no quick title: {error}");
        }
    }
}
