//! The coordinator thread: owns the pipeline and the CE driver. It submits
//! each CE whose clips are on disk, follows it through the stages, journals
//! the results and asks for the `clip_ready` notification.

use super::messages::{NotifyRequest, ReadyCe};
use super::notifier::now_epoch;
use crate::ce::journal::{self, JournalStep};
use crate::notify::{CeFacts, Milestone, Status};
use crate::pipeline::ce_run::{CeDriver, CeOutcome};
use crate::pipeline::messages::CeJob;
use crate::pipeline::Pipeline;
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
}

fn journal_step(folder: &Path, step: &JournalStep) {
    if let Err(err) = journal::append(folder, now_epoch(), step) {
        tracing::error!("{err}");
    }
}

/// Journals a finished CE and asks for its notification.
fn conclude(outcome: &CeOutcome, label: &str, public_url: &str, notify: &Sender<NotifyRequest>) {
    let folder = &outcome.folder;
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
        label: label.to_string(),
        camera_count: outcome.cameras.iter().filter(|c| c.sidecar.is_some()).count(),
        image_url: outcome.preview_gif.as_deref().map(link),
        video_url: outcome.summary.as_deref().map(link),
        player_url: None,
        threat_level: 0,
    };
    let _ = notify.send(NotifyRequest {
        milestone: Milestone::ClipReady,
        facts,
    });
    journal_step(
        folder,
        &JournalStep::Notified {
            status: Status::ClipReady,
        },
    );
    journal_step(folder, &JournalStep::Finished);
}

/// Runs until `ready` closes and every submitted CE has finished, or until
/// `drain_limit` after `ready` closed; then drains and stops the pipeline.
pub fn run_coordinator(
    pipeline: Pipeline,
    params: PlanParams,
    ready: Receiver<ReadyCe>,
    notify: Sender<NotifyRequest>,
    public_url: String,
    drain_limit: Duration,
) {
    let mut driver = CeDriver::new(&pipeline, params);
    let mut in_flight: HashMap<String, InFlight> = HashMap::new();
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
            ready.clone()
        } else {
            crossbeam_channel::never()
        };
        select! {
            recv(ready_or_never) -> message => match message {
                Ok(ce) => {
                    let job = Arc::new(CeJob::new(ce.ce_id.clone(), ce.folder.clone(), ce.window_start, ce.window_seconds, ce.clips));
                    in_flight.insert(ce.ce_id.clone(), InFlight { label: ce.label });
                    driver.submit(job, ce.failed, true);
                }
                Err(_) => {
                    ready_open = false;
                    drain_deadline = Some(Instant::now() + drain_limit);
                }
            },
            recv(pipeline.events()) -> event => {
                if let Ok(event) = event {
                    driver.handle(event);
                }
            },
            recv(tick) -> _ => {}
        }
        for outcome in driver.take_finished() {
            let label = in_flight.remove(&outcome.ce_id).map(|f| f.label).unwrap_or_default();
            tracing::info!(
                ce = %outcome.ce_id,
                summary = ?outcome.summary,
                error = ?outcome.summary_error,
                "consolidated event processed"
            );
            conclude(&outcome, &label, &public_url, &notify);
        }
    }
    drop(driver);
    pipeline.shutdown();
}
