//! Resuming after a restart: replays the journal of every unfinished CE and
//! puts it back where it stopped — open CEs into the lifecycle, closed ones
//! to the fetch thread (clips already on disk are not downloaded again),
//! fetched ones to the coordinator, processed ones to the notifier. Files a
//! killed run left half-written in those CEs are removed first.

use super::conclusions::notify_journaled;
use super::ingest::Ingest;
use super::messages::NotifyRequest;
use super::messages::{FetchJob, FetchRequest, ReadyCe};
use super::notifier::now_epoch;
use crate::ce::journal::{self, CeRecord, JournalStep, NextStep, SummaryOutcome};
use crate::ce::lifecycle::{RestoredCe, RestoredEvent};
use crate::metrics::CeStage;
use crate::notify::{CeFacts, Milestone};
use crate::pipeline::messages::CameraClip;
use crossbeam_channel::Sender;
use std::collections::BTreeMap;
use std::path::Path;

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

/// Replays the journals under `storage` and re-queues every unfinished CE.
/// Returns how many CEs were resumed.
pub fn resume(
    storage: &Path,
    ingest: &mut Ingest,
    fetch: &Sender<FetchRequest>,
    ready: &Sender<ReadyCe>,
    notify: &Sender<NotifyRequest>,
) -> Result<usize, journal::JournalError> {
    let records = journal::replay(storage)?;
    let mut resumed = 0;
    for record in records {
        if record.skipped_lines > 0 {
            tracing::warn!(ce = %record.ce_id, lines = record.skipped_lines, "torn journal lines ignored");
        }
        for event in &record.events {
            let owner = (record.ce_id.clone(), record.folder.clone());
            ingest.event_owners.insert(&event.event_id, owner);
        }
        match crate::fs_atomic::remove_abandoned_temps(&record.folder) {
            Ok(0) => {}
            Ok(count) => tracing::info!(ce = %record.ce_id, count, "half-written files of the previous run removed"),
            Err(err) => tracing::warn!(ce = %record.ce_id, "{}: {err}", record.folder.display()),
        }
        let step = record.next_step();
        let folder_name = record
            .folder
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let stage = match step {
            NextStep::AwaitEvents => Some(CeStage::Open),
            NextStep::Fetch { .. } => Some(CeStage::Fetching),
            NextStep::Process => Some(CeStage::Processing),
            NextStep::Notify | NextStep::Done => None,
        };
        if let Some(stage) = stage {
            ingest.shared.activate(&folder_name);
            ingest.shared.metrics.enter_ce_stage(stage);
        }
        tracing::info!(ce = %record.ce_id, ?step, "resuming consolidated event");
        resumed += 1;
        match step {
            NextStep::AwaitEvents => {
                let restored = RestoredCe {
                    ce_id: record.ce_id.clone(),
                    folder: folder_name.clone(),
                    events: record
                        .events
                        .iter()
                        .map(|e| RestoredEvent {
                            event_id: e.event_id.clone(),
                            camera: e.camera.clone(),
                            label: e.label.clone(),
                            start_time: e.start_time,
                            end_time: e.end_time,
                        })
                        .collect(),
                    last_activity: record.last_activity,
                };
                ingest
                    .openers
                    .insert(record.ce_id.clone(), (record.camera.clone(), record.label.clone()));
                match ingest.lifecycle.restore_open_ce(restored) {
                    Ok(actions) => ingest.apply(actions),
                    Err(err) => tracing::error!(ce = %record.ce_id, "cannot resume: {err}"),
                }
            }
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
                    image_url: None,
                    video_url: summary.map(|path| path.display().to_string()),
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
