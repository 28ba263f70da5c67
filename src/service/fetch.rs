//! The fetch thread: owns the HTTP client to Frigate. For each closed CE it
//! downloads every camera's clip for the shared export window (skipping
//! clips already fetched before a restart), journals each result before
//! moving on, and hands the CE to the coordinator.

use super::messages::{FetchRequest, NotifyRequest, ReadyCe, SnapshotJob};
use super::notifier::now_epoch;
use super::shared::ServiceShared;
use crate::ce::journal::{self, JournalStep};
use crate::ce_folder::camera_dir;
use crate::frigate::http::FrigateClient;
use crate::metrics::{CeStage, ErrorKind};
use crate::notify::{CeFacts, Milestone};
use crate::pipeline::messages::CameraClip;
use crossbeam_channel::{Receiver, Sender};
use std::sync::atomic::{AtomicBool, Ordering};

/// File name of a camera's clip inside its folder.
pub fn clip_file_name(camera: &str) -> String {
    format!("{camera}-1.mp4")
}

/// Where the fetch thread sends snapshot notifications, and how it links files.
pub struct Links {
    /// Notifications out.
    pub notify: Sender<NotifyRequest>,
    /// Base URL of this service's files (`network.public_url`).
    pub public_url: String,
}

/// Downloads the snapshot of a new CE's first event and announces it.
fn fetch_snapshot(client: &FrigateClient, job: &SnapshotJob, links: &Links, shared: &ServiceShared) {
    if !job.folder.is_dir() {
        // Discarded or canceled since it opened: its folder must not come back.
        return;
    }
    let dest = match camera_dir(&job.folder, &job.camera) {
        Ok(camera_folder) => camera_folder.join("snapshot.jpg"),
        Err(error) => {
            tracing::error!(ce = %job.ce_id, "snapshot not fetched: {error}");
            return;
        }
    };
    if let Err(error) = client.fetch_snapshot(&job.event_id, &dest) {
        shared.metrics.record_error(ErrorKind::Fetch);
        tracing::warn!(ce = %job.ce_id, camera = %job.camera, "snapshot not fetched: {error}");
        return;
    }
    let folder = job
        .folder
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let facts = CeFacts {
        ce_id: job.ce_id.clone(),
        camera: job.camera.clone(),
        label: job.label.clone(),
        camera_count: 1,
        image_url: Some(format!(
            "{}/files/events/{folder}/{}/snapshot.jpg",
            links.public_url, job.camera
        )),
        video_url: None,
        player_url: None,
        threat_level: 0,
    };
    let _ = links.notify.send(NotifyRequest {
        milestone: Milestone::SnapshotReady,
        facts,
        journal: None,
    });
}

/// Runs until `requests` closes; every job ends as one [`ReadyCe`]. Once
/// `shutdown` is set, queued jobs are left to the journal (the next start
/// fetches them), so shutdown never waits on downloads not yet begun.
pub fn run_fetch(
    requests: Receiver<FetchRequest>,
    client: FrigateClient,
    ready: Sender<ReadyCe>,
    links: Links,
    shared: ServiceShared,
    shutdown: &AtomicBool,
) {
    for request in requests.iter() {
        let job = match request {
            FetchRequest::Snapshot(snapshot) => {
                fetch_snapshot(&client, &snapshot, &links, &shared);
                continue;
            }
            FetchRequest::Clips(job) => job,
        };
        if shutdown.load(Ordering::Relaxed) {
            tracing::info!(ce = %job.ce_id, "shutting down: clip fetch left for the next start");
            continue;
        }
        let mut clips = Vec::new();
        let mut failed: Vec<(String, String)> = job.failed.clone().into_iter().collect();
        for camera in &job.cameras {
            if failed.iter().any(|(name, _)| name == camera) {
                continue;
            }
            if let Some(path) = job.fetched.get(camera) {
                clips.push(CameraClip {
                    camera: camera.clone(),
                    clip: path.clone(),
                });
                continue;
            }
            let event_ids = job.event_ids.get(camera).cloned().unwrap_or_default();
            let fetched = camera_dir(&job.folder, camera)
                .map_err(|err| err.to_string())
                .and_then(|folder| {
                    std::fs::create_dir_all(&folder).map_err(|err| format!("{}: {err}", folder.display()))?;
                    let dest = folder.join(clip_file_name(camera));
                    client
                        .fetch_clip(camera, job.window_start, job.window_end, &event_ids, &dest)
                        .map(|clip| (clip, dest))
                        .map_err(|err| err.to_string())
                });
            let step = match fetched {
                Ok((clip, dest)) => {
                    tracing::info!(ce = %job.ce_id, camera, source = ?clip.source, bytes = clip.bytes, "clip fetched");
                    clips.push(CameraClip {
                        camera: camera.clone(),
                        clip: dest.clone(),
                    });
                    JournalStep::ClipFetched {
                        camera: camera.clone(),
                        path: dest,
                        bytes: clip.bytes,
                    }
                }
                Err(error) => {
                    shared.metrics.record_error(ErrorKind::Fetch);
                    tracing::error!(ce = %job.ce_id, camera, "clip not fetched: {error}");
                    failed.push((camera.clone(), error.clone()));
                    JournalStep::ClipFailed {
                        camera: camera.clone(),
                        error,
                    }
                }
            };
            if let Err(err) = journal::append(&job.folder, now_epoch(), &step) {
                shared.metrics.record_error(ErrorKind::Journal);
                tracing::error!(ce = %job.ce_id, "{err}");
            }
        }
        let ce = ReadyCe {
            ce_id: job.ce_id,
            folder: job.folder,
            window_start: job.window_start,
            window_seconds: (job.window_end - job.window_start).max(0.0),
            clips,
            failed,
            label: job.label,
            closed_at: job.closed_at,
            dispatched: None,
        };
        shared.metrics.leave_ce_stage(CeStage::Fetching);
        shared.metrics.enter_ce_stage(CeStage::Processing);
        if ready.send(ce).is_err() {
            return;
        }
    }
}
