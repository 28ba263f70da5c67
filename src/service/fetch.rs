//! The fetch thread: owns the HTTP client to Frigate. For each closed CE it
//! downloads every camera's clip for the shared export window (skipping
//! clips already fetched before a restart), journals each result before
//! moving on, and hands the CE to the coordinator.

use super::messages::{FetchJob, ReadyCe};
use super::notifier::now_epoch;
use super::shared::ServiceShared;
use crate::ce::journal::{self, JournalStep};
use crate::frigate::http::FrigateClient;
use crate::metrics::{CeStage, ErrorKind};
use crate::pipeline::messages::CameraClip;
use crossbeam_channel::{Receiver, Sender};

/// File name of a camera's clip inside its folder.
pub fn clip_file_name(camera: &str) -> String {
    format!("{camera}-1.mp4")
}

/// Runs until `jobs` closes; every job ends as one [`ReadyCe`].
pub fn run_fetch(jobs: Receiver<FetchJob>, client: FrigateClient, ready: Sender<ReadyCe>, shared: ServiceShared) {
    for job in jobs.iter() {
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
            let folder = job.folder.join(camera);
            let dest = folder.join(clip_file_name(camera));
            let event_ids = job.event_ids.get(camera).cloned().unwrap_or_default();
            let fetched = std::fs::create_dir_all(&folder)
                .map_err(|err| format!("{}: {err}", folder.display()))
                .and_then(|()| {
                    client
                        .fetch_clip(camera, job.window_start, job.window_end, &event_ids, &dest)
                        .map_err(|err| err.to_string())
                });
            let step = match fetched {
                Ok(clip) => {
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
        };
        shared.metrics.leave_ce_stage(CeStage::Fetching);
        shared.metrics.enter_ce_stage(CeStage::Processing);
        if ready.send(ce).is_err() {
            return;
        }
    }
}
