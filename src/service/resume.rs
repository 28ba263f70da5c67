//! Resuming after a restart: replays the journal of every unfinished CE and
//! puts it back where it stopped — open CEs into the lifecycle, closed ones
//! to the fetch thread (clips already on disk are not downloaded again),
//! fetched ones to the coordinator, processed ones to the notifier. Files a
//! killed run left half-written in those CEs are removed first. A CE whose
//! journal cannot be replayed is quarantined (its folder renamed
//! `<folder>-quarantined`, one error line, `errors_total{kind="quarantine"}`)
//! and the others resume.

use super::clock::now_epoch;
use super::conclusions::notify_journaled;
use super::ingest::Ingest;
use super::messages::NotifyRequest;
use super::messages::{FetchJob, FetchRequest, ReadyCe};
use crate::ce::journal::replay::QUARANTINED_SUFFIX;
use crate::ce::journal::{self, CeRecord, JournalStep, NextStep, SummaryOutcome};
use crate::encode::preview_gif::PREVIEW_GIF;
use crate::flow::messages::CameraClip;
use crate::metrics::{CeStage, ErrorKind, ServiceMetrics};
use crate::notify::{event_file_url, CeFacts, Milestone};
use crossbeam_channel::Sender;
use std::collections::BTreeMap;
use std::fmt::Display;
use std::path::{Path, PathBuf};

fn fetch_job(record: &CeRecord) -> Option<FetchJob> {
    let window = record.window.as_ref()?;
    let mut event_ids: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for event in &record.events {
        event_ids
            .entry(event.camera.clone())
            .or_default()
            .push(event.event_id.clone());
    }
    Some(FetchJob {
        ce_id: record.ce_id.clone(),
        folder: record.folder.clone(),
        window_start: window.start,
        window_end: window.end,
        cameras: window.cameras.clone(),
        event_ids,
        label: record.label.clone(),
        fetched: record.clips.clone(),
        failed: record.failed_clips.clone(),
        closed_at: now_epoch(),
    })
}

/// Sets aside the CE in `folder`, whose journal cannot be replayed because
/// of `cause`: renames the folder `<folder>-quarantined` (never resumed,
/// kept for a person to look at), logs one error line and counts it.
fn quarantine(folder: &Path, cause: &dyn Display, metrics: &ServiceMetrics) {
    metrics.record_error(ErrorKind::Quarantine);
    let mut name = folder.as_os_str().to_owned();
    name.push(QUARANTINED_SUFFIX);
    let target = PathBuf::from(name);
    match std::fs::rename(folder, &target) {
        Ok(()) => tracing::error!(
            "consolidated event {} not resumed and quarantined as {}: {cause}",
            folder.display(),
            target.display()
        ),
        Err(err) => tracing::error!(
            "consolidated event {} not resumed ({cause}); renaming it to {} failed: {err}",
            folder.display(),
            target.display()
        ),
    }
}

/// Replays the journals under `storage` and re-queues every unfinished CE;
/// quarantines those whose journal cannot be replayed. A CE whose `clip_ready`
/// was never asked for gets it, its links under `public_url`. Returns how many
/// CEs were resumed.
///
/// # Errors
/// Only when `events/` itself cannot be listed.
pub fn resume(
    storage: &Path,
    ingest: &mut Ingest,
    fetch: &Sender<FetchRequest>,
    ready: &Sender<ReadyCe>,
    notify: &Sender<NotifyRequest>,
    public_url: &str,
) -> Result<usize, journal::JournalError> {
    let replay = journal::replay(storage)?;
    for unusable in &replay.unusable {
        quarantine(&unusable.folder, &unusable.error, &ingest.shared().metrics);
    }
    let mut resumed = 0;
    for record in replay.records {
        if record.skipped_lines > 0 {
            tracing::warn!(ce = %record.ce_id, lines = record.skipped_lines, "torn journal lines ignored");
        }
        match crate::fs_atomic::remove_abandoned_temps(&record.folder) {
            Ok(0) => {}
            Ok(count) => tracing::info!(ce = %record.ce_id, count, "half-written files of the previous run removed"),
            Err(err) => tracing::warn!(ce = %record.ce_id, "{}: {err}", record.folder.display()),
        }
        let step = record.next_step();
        let folder_name = record.folder_name();
        let stage = match step {
            NextStep::AwaitEvents => Some(CeStage::Open),
            NextStep::Fetch { .. } => Some(CeStage::Fetching),
            NextStep::Process => Some(CeStage::Processing),
            NextStep::Notify | NextStep::Done => None,
        };
        if let Some(stage) = stage {
            ingest.shared().activate(&folder_name);
            ingest.shared().metrics.enter_ce_stage(stage);
        }
        tracing::info!(ce = %record.ce_id, ?step, "resuming consolidated event");
        if let Err(err) = ingest.restore(&record) {
            if let Some(stage) = stage {
                ingest.shared().deactivate(&folder_name);
                ingest.shared().metrics.leave_ce_stage(stage);
            }
            quarantine(&record.folder, &err, &ingest.shared().metrics);
            continue;
        }
        resumed += 1;
        match step {
            // Restored above: open again, its close timer running.
            NextStep::AwaitEvents => {}
            NextStep::Fetch { .. } => {
                if let Some(job) = fetch_job(&record) {
                    let _ = fetch.send(FetchRequest::Clips(job));
                }
            }
            NextStep::Process => {
                let Some(window) = record.window.as_ref() else { continue };
                let clips = window
                    .cameras
                    .iter()
                    .filter_map(|camera| {
                        record.clips.get(camera).map(|clip| CameraClip {
                            camera: camera.clone(),
                            clip: clip.clone(),
                        })
                    })
                    .collect();
                let _ = ready.send(ReadyCe {
                    ce_id: record.ce_id.clone(),
                    folder: record.folder.clone(),
                    window_start: window.start,
                    window_seconds: (window.end - window.start).max(0.0),
                    clips,
                    failed: record.failed_clips.clone().into_iter().collect(),
                    label: record.label.clone(),
                    closed_at: now_epoch(),
                    dispatched: record.dispatch.clone(),
                });
            }
            NextStep::Notify => {
                let summary = match &record.summary {
                    SummaryOutcome::Done(path) => Some(path.clone()),
                    _ => None,
                };
                let facts = CeFacts {
                    ce_id: record.ce_id.clone(),
                    camera: record.camera.clone(),
                    label: record.label.clone(),
                    camera_count: record.clips.len(),
                    image_url: Some(record.folder.join(PREVIEW_GIF))
                        .filter(|gif| gif.is_file())
                        .map(|gif| event_file_url(public_url, &record.folder, &gif)),
                    video_url: summary.map(|path| event_file_url(public_url, &record.folder, &path)),
                    player_url: None,
                    threat_level: 0,
                };
                notify_journaled(&record.folder, Milestone::ClipReady, facts, notify);
                if let Err(err) = journal::append(&record.folder, now_epoch(), &JournalStep::Finished) {
                    tracing::error!("{err}");
                }
            }
            NextStep::Done => {
                if let Err(err) = journal::append(&record.folder, now_epoch(), &JournalStep::Finished) {
                    tracing::error!("{err}");
                }
            }
        }
    }
    Ok(resumed)
}
