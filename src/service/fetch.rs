//! The fetch stage: owns the HTTP client to Frigate and the threads that use it.
//!
//! - The snapshot lane: one thread that downloads the snapshot of each new CE's first event and
//!   announces it (the notifier puts it on the CE's `new` notification, see `first_picture`), so a
//!   snapshot never waits behind clip exports; then hands it to the quick-title thread, when
//!   there is one.
//! - The clip workers (`settings.fetch_workers`): each downloads one camera's clip at a time, within
//!   the clip deadline and size cap, so one slow camera or CE does not hold up the clips of others.
//! - The stage thread ([`run_fetch`]): takes closed CEs (skipping clips already fetched before a
//!   restart), hands their clips to idle workers in the order of [`FetchBoard`], journals each
//!   result as it comes, and hands a CE to the coordinator once all its clips are done.
//!
//! On shutdown, downloads under way complete or end at their deadline; clips not begun are left to
//! the journal and their CEs resume at the next start. It may not touch a CE's files other than its
//! clips, snapshot and journal.

use super::clock::now_epoch;
use super::fetch_board::{ClipTask, FetchBoard};
use super::messages::{FetchRequest, NotifyRequest, ReadyCe, SnapshotJob};
use super::quick_title::QuickTitleJob;
use super::shared::ServiceShared;
use super::topology::Edge;
use crate::ce::journal::{self, JournalStep};
use crate::ce_folder::camera_dir;
use crate::frigate::http::FrigateClient;
use crate::metrics::{CeStage, ErrorKind};
use crate::notify::{CeFacts, Milestone};
use crossbeam_channel::{select, Receiver, Sender, TrySendError};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// File name of a camera's clip inside its folder.
pub fn clip_file_name(camera: &str) -> String {
    format!("{camera}-1.mp4")
}

/// The snapshot lane's channel and where the lane sends what it saved.
pub struct Links {
    /// The lane's channel (`service_channels.snapshots`).
    pub snapshot_lane: Edge<SnapshotJob>,
    /// Where saved snapshots are announced.
    pub snapshots: SnapshotLinks,
}

/// Where the snapshot lane sends snapshot notifications, and how it links files.
pub struct SnapshotLinks {
    /// Notifications out.
    pub notify: Sender<NotifyRequest>,
    /// Base URL of this service's files (`network.public_url`).
    pub public_url: String,
    /// Where saved snapshots go to be titled, when quick titles are on.
    pub quick_titles: Option<QuickTitles>,
}

/// The quick-title thread's inbox and how long after its snapshot a CE is titled.
pub struct QuickTitles {
    /// Snapshots to title (bounded by `service_channels.quick_titles`; beyond it a new CE gets
    /// no title).
    pub jobs: Sender<QuickTitleJob>,
    /// `ai.quick_title_delay_seconds`.
    pub delay: Duration,
}

/// The result of one clip download, from a worker to the stage thread.
struct ClipDone {
    /// What was downloaded.
    task: ClipTask,
    /// Where the clip is and its size, or why there is none.
    result: Result<(PathBuf, u64), String>,
}

/// Downloads the snapshot of a new CE's first event and announces it.
fn fetch_snapshot(client: &FrigateClient, job: &SnapshotJob, links: &SnapshotLinks, shared: &ServiceShared) {
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
        facts: facts.clone(),
        journal: None,
    });
    if let Some(quick_titles) = &links.quick_titles {
        let title_job = QuickTitleJob {
            facts,
            folder: job.folder.clone(),
            snapshot: dest,
            due: Instant::now() + quick_titles.delay,
        };
        // Never blocks the lane: a full queue means the endpoint is far behind.
        if let Err(TrySendError::Full(_)) = quick_titles.jobs.try_send(title_job) {
            tracing::warn!(ce = %job.ce_id, "no quick title: too many snapshots waiting for one");
        }
    }
}

/// Downloads one camera's clip into `<CE folder>/<camera>/`.
fn fetch_clip(client: &FrigateClient, task: &ClipTask) -> Result<(PathBuf, u64), String> {
    let folder = camera_dir(&task.folder, &task.camera).map_err(|err| err.to_string())?;
    let dest = folder.join(clip_file_name(&task.camera));
    std::fs::create_dir_all(&folder).map_err(|err| format!("{}: {err}", folder.display()))?;
    let clip = client
        .fetch_clip(&task.camera, task.window_start, task.window_end, &task.event_ids, &dest)
        .map_err(|err| err.to_string())?;
    tracing::info!(ce = %task.ce_id, camera = %task.camera, source = ?clip.source, bytes = clip.bytes, "clip fetched");
    for setback in &clip.setbacks {
        tracing::debug!(ce = %task.ce_id, camera = %task.camera, "on the way to the clip: {setback}");
    }
    Ok((dest, clip.bytes))
}

/// Spawns a named thread of the fetch stage.
fn spawn(name: String, body: impl FnOnce() + Send + 'static) -> JoinHandle<()> {
    std::thread::Builder::new()
        .name(name)
        .spawn(body)
        .expect("spawning a fetch thread")
}

/// Journals the result of one clip download; returns the result as the board takes it.
fn journal_clip(done: ClipDone, shared: &ServiceShared) -> (ClipTask, Result<PathBuf, String>) {
    let ClipDone { task, result } = done;
    let (step, result) = match result {
        Ok((path, bytes)) => (
            JournalStep::ClipFetched {
                camera: task.camera.clone(),
                path: path.clone(),
                bytes,
            },
            Ok(path),
        ),
        Err(error) => {
            shared.metrics.record_error(ErrorKind::Fetch);
            tracing::error!(ce = %task.ce_id, camera = %task.camera, "clip not fetched: {error}");
            (
                JournalStep::ClipFailed {
                    camera: task.camera.clone(),
                    error: error.clone(),
                },
                Err(error),
            )
        }
    };
    if let Err(err) = journal::append(&task.folder, now_epoch(), &step) {
        shared.metrics.record_error(ErrorKind::Journal);
        tracing::error!(ce = %task.ce_id, "{err}");
    }
    (task, result)
}

/// Hands a complete CE to the coordinator; false when the coordinator is gone.
fn hand_on(ce: ReadyCe, ready: &Sender<ReadyCe>, shared: &ServiceShared) -> bool {
    shared.metrics.leave_ce_stage(CeStage::Fetching);
    shared.metrics.enter_ce_stage(CeStage::Processing);
    ready.send(ce).is_ok()
}

/// Runs until `requests` closes and the downloads under way have ended; every CE taken ends as one
/// [`ReadyCe`], or, once `shutdown` is set and some of its clips had not begun, is left to the
/// journal (the next start fetches the rest), so shutdown never waits on downloads not yet begun.
/// `workers` clips are downloaded at once (at least one).
pub fn run_fetch(
    requests: Receiver<FetchRequest>,
    client: FrigateClient,
    ready: Sender<ReadyCe>,
    links: Links,
    shared: ServiceShared,
    shutdown: &AtomicBool,
    workers: usize,
) {
    let client = Arc::new(client);
    let Links {
        snapshot_lane: Edge {
            tx: snapshot_tx,
            rx: snapshot_rx,
        },
        snapshots: links,
    } = links;
    let snapshot_lane = {
        let (client, shared) = (client.clone(), shared.clone());
        spawn("fb-snapshots".into(), move || {
            for job in snapshot_rx {
                fetch_snapshot(&client, &job, &links, &shared);
            }
        })
    };
    let workers = workers.max(1);
    // At most `workers` clips are handed out at once, so neither channel ever holds more.
    let (task_tx, task_rx) = crossbeam_channel::bounded::<ClipTask>(workers);
    let (done_tx, done_rx) = crossbeam_channel::bounded::<ClipDone>(workers);
    let pool: Vec<JoinHandle<()>> = (0..workers)
        .map(|n| {
            let (client, tasks, done) = (client.clone(), task_rx.clone(), done_tx.clone());
            spawn(format!("fb-fetch-{n}"), move || {
                for task in tasks {
                    let result = fetch_clip(&client, &task);
                    if done.send(ClipDone { task, result }).is_err() {
                        return;
                    }
                }
            })
        })
        .collect();
    drop((task_rx, done_tx));

    let mut board = FetchBoard::default();
    let mut open = true;
    let closed = crossbeam_channel::never();
    'stage: loop {
        if shutdown.load(Ordering::Relaxed) {
            for ce_id in board.abandon_waiting() {
                tracing::info!(ce = %ce_id, "shutting down: clip fetch left for the next start");
            }
        } else {
            while board.running() < workers {
                let Some(task) = board.next_task() else { break };
                // The workers outlive this loop, so the channel is open.
                let _ = task_tx.send(task);
            }
        }
        if !open && board.is_empty() {
            break;
        }
        select! {
            recv(if open { &requests } else { &closed }) -> request => match request {
                Ok(FetchRequest::Snapshot(job)) => {
                    let _ = snapshot_tx.send(job);
                }
                Ok(FetchRequest::Clips(job)) if shutdown.load(Ordering::Relaxed) => {
                    tracing::info!(ce = %job.ce_id, "shutting down: clip fetch left for the next start");
                }
                Ok(FetchRequest::Clips(job)) => {
                    if let Some(ce) = board.add(job) {
                        if !hand_on(ce, &ready, &shared) {
                            break 'stage;
                        }
                    }
                }
                Err(_) => open = false,
            },
            recv(done_rx) -> done => {
                let Ok(done) = done else { break 'stage };
                let (task, result) = journal_clip(done, &shared);
                if let Some(ce) = board.finish(&task.ce_id, &task.camera, result) {
                    if !hand_on(ce, &ready, &shared) {
                        break 'stage;
                    }
                }
            },
        }
    }
    drop((task_tx, snapshot_tx));
    for worker in pool {
        let _ = worker.join();
    }
    let _ = snapshot_lane.join();
}
