//! What a CE's journal says about it: the fold of its lines into a
//! [`CeRecord`] and the step to resume from.
//!
//! Pure: takes parsed lines, returns plain data. It neither reads the disk
//! (clip files are checked by `replay`) nor acts on the next step.

use super::entry::{JournalEntry, JournalStep};
use crate::notify::Status;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The state of one unfinished CE, as replayed from its journal.
#[derive(Debug, Clone, PartialEq)]
pub struct CeRecord {
    /// The CE folder on disk, where outputs go and relative paths start.
    pub folder: PathBuf,
    /// `ce_<int start_ts>_<8 hex>`, for notifications and logs.
    pub ce_id: String,
    /// Camera of the opening event, named in notifications before the close.
    pub camera: String,
    /// Label of the opening event, named in notifications.
    pub label: String,
    /// Start of the opening event, epoch seconds.
    pub start_time: f64,
    /// The CE's kept Frigate events in join order (discarded ones removed).
    pub events: Vec<JournalEvent>,
    /// When the CE was last opened, joined or had an event end (epoch seconds):
    /// the close timer runs `event_gap_seconds` from here.
    pub last_activity: f64,
    /// The shared clip window, once the CE closed.
    pub window: Option<CloseWindow>,
    /// Camera → clip on disk (absolute, or joined to `folder`). After
    /// [`replay()`](super::replay()) only clips that exist and are non-empty.
    pub clips: BTreeMap<String, PathBuf>,
    /// Camera → why its clip could not be fetched; not retried.
    pub failed_clips: BTreeMap<String, String>,
    /// The CE's latest job publication to the cluster's workers, if any.
    pub dispatch: Option<JobDispatch>,
    /// Whether every clip has its detection sidecar.
    pub sidecars_done: bool,
    /// Where the summary video stands.
    pub summary: SummaryOutcome,
    /// Notifications already asked for (due, or sent), in order, so none is
    /// asked for twice; a due one still unsent is sent again by
    /// [`unsent_notifications`](super::unsent_notifications).
    pub notified: Vec<Status>,
    /// Lines that could not be used (torn by a crash, before the `opened`
    /// line, or about an unknown event), for a warning.
    pub skipped_lines: usize,
}

/// Where a CE's cluster job stands: its latest attempt and who took it.
#[derive(Debug, Clone, PartialEq)]
pub struct JobDispatch {
    /// The latest attempt published.
    pub attempt: u32,
    /// The worker that claimed that attempt, once one did.
    pub worker: Option<String>,
}

/// One Frigate event of the CE.
#[derive(Debug, Clone, PartialEq)]
pub struct JournalEvent {
    /// Frigate's event id.
    pub event_id: String,
    /// The event's camera.
    pub camera: String,
    /// The event's label.
    pub label: String,
    /// The event's start, epoch seconds.
    pub start_time: f64,
    /// The event's end, epoch seconds; `None` while it is still running.
    pub end_time: Option<f64>,
}

impl JournalEvent {
    /// Whether the event is still running (the CE must not close).
    pub fn is_open(&self) -> bool {
        self.end_time.is_none()
    }
}

/// The clip window fixed when the CE closed.
#[derive(Debug, Clone, PartialEq)]
pub struct CloseWindow {
    /// Window start, epoch seconds: t = 0 of every clip.
    pub start: f64,
    /// Window end, epoch seconds.
    pub end: f64,
    /// Every camera whose clip the CE needs.
    pub cameras: Vec<String>,
    /// The camera named in notifications.
    pub primary: String,
}

/// Where the summary video stands.
#[derive(Debug, Clone, PartialEq)]
pub enum SummaryOutcome {
    /// Not produced yet.
    Pending,
    /// Written to this path (absolute, or joined to the CE folder).
    Done(PathBuf),
    /// Failed with this one-line reason; not retried.
    Failed(String),
}

/// The step an unfinished CE resumes from.
#[derive(Debug, Clone, PartialEq)]
pub enum NextStep {
    /// The CE is still open: wait for events and run its close timer.
    AwaitEvents,
    /// Fetch the clips of these cameras (neither on disk nor failed).
    Fetch {
        /// The cameras, in the order the close listed them.
        cameras: Vec<String>,
    },
    /// Generate the sidecars and the summary video.
    Process,
    /// Send the `clip_ready` notification.
    Notify,
    /// Everything is done; record `finished`.
    Done,
}

impl CeRecord {
    /// The CE's folder name under `events/` (the last part of [`CeRecord::folder`]).
    pub fn folder_name(&self) -> String {
        self.folder
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// Folds a CE's journal lines, in file order, into its record. Paths are
    /// resolved against `folder`. `None` when no `opened` line exists (the CE
    /// never durably began). `unreadable_lines` is carried into
    /// `skipped_lines`.
    pub(super) fn fold(folder: &Path, entries: Vec<JournalEntry>, unreadable_lines: usize) -> Option<CeRecord> {
        let mut entries = entries.into_iter();
        let mut skipped_lines = unreadable_lines;
        let mut record = loop {
            let entry = entries.next()?;
            match entry.step {
                JournalStep::Opened {
                    ce_id,
                    camera,
                    label,
                    start_time,
                    folder: _,
                } => {
                    break CeRecord {
                        folder: folder.to_path_buf(),
                        ce_id,
                        camera,
                        label,
                        start_time,
                        events: Vec::new(),
                        last_activity: entry.ts,
                        window: None,
                        clips: BTreeMap::new(),
                        failed_clips: BTreeMap::new(),
                        dispatch: None,
                        sidecars_done: false,
                        summary: SummaryOutcome::Pending,
                        notified: Vec::new(),
                        skipped_lines: 0,
                    }
                }
                _ => skipped_lines += 1,
            }
        };
        for entry in entries {
            if !record.apply(entry) {
                skipped_lines += 1;
            }
        }
        record.skipped_lines = skipped_lines;
        Some(record)
    }

    /// Applies one line after `opened`; `false` when it could not be used.
    fn apply(&mut self, entry: JournalEntry) -> bool {
        match entry.step {
            JournalStep::Opened { .. } => return false,
            JournalStep::EventJoined {
                event_id,
                camera,
                label,
                start_time,
            } => {
                self.last_activity = entry.ts;
                if self.event_mut(&event_id).is_none() {
                    self.events.push(JournalEvent {
                        event_id,
                        camera,
                        label,
                        start_time,
                        end_time: None,
                    });
                }
            }
            JournalStep::EventEnded { event_id, end_time } => {
                let Some(event) = self.event_mut(&event_id) else {
                    return false;
                };
                event.end_time = Some(end_time);
                self.last_activity = entry.ts;
            }
            JournalStep::EventDiscarded { event_id } => {
                let before = self.events.len();
                self.events.retain(|event| event.event_id != event_id);
                return self.events.len() < before;
            }
            JournalStep::Closed {
                window_start,
                window_end,
                cameras,
                primary,
            } => {
                self.window = Some(CloseWindow {
                    start: window_start,
                    end: window_end,
                    cameras,
                    primary,
                });
            }
            JournalStep::ClipFetched { camera, path, .. } => {
                self.failed_clips.remove(&camera);
                self.clips.insert(camera, self.folder.join(path));
            }
            JournalStep::ClipFailed { camera, error } => {
                self.clips.remove(&camera);
                self.failed_clips.insert(camera, error);
            }
            JournalStep::Dispatched { attempt } => self.dispatch = Some(JobDispatch { attempt, worker: None }),
            JournalStep::Claimed { attempt, worker } => match &mut self.dispatch {
                Some(dispatch) if dispatch.attempt == attempt => dispatch.worker = Some(worker),
                _ => return false,
            },
            JournalStep::SidecarsDone => self.sidecars_done = true,
            JournalStep::SummaryDone { path } => {
                self.summary = SummaryOutcome::Done(self.folder.join(path));
            }
            JournalStep::SummaryFailed { error } => self.summary = SummaryOutcome::Failed(error),
            JournalStep::NotificationDue { milestone, .. } => {
                let status = milestone.status();
                if !self.notified.contains(&status) {
                    self.notified.push(status);
                }
            }
            JournalStep::Notified { status } => {
                if !self.notified.contains(&status) {
                    self.notified.push(status);
                }
            }
            // Terminal lines end replay before a record is built; one that is
            // followed by more lines says nothing about what is still to do.
            JournalStep::Finished | JournalStep::Discarded | JournalStep::Canceled => {}
        }
        true
    }

    /// The kept event with this Frigate id.
    fn event_mut(&mut self, event_id: &str) -> Option<&mut JournalEvent> {
        self.events.iter_mut().find(|event| event.event_id == event_id)
    }

    /// The first step not yet completed: still open → await events; a needed
    /// clip neither on disk nor failed → fetch; sidecars or summary pending →
    /// process; `clip_ready` not sent → notify; else done.
    pub fn next_step(&self) -> NextStep {
        let Some(window) = &self.window else {
            return NextStep::AwaitEvents;
        };
        let missing: Vec<String> = window
            .cameras
            .iter()
            .filter(|camera| !self.clips.contains_key(*camera) && !self.failed_clips.contains_key(*camera))
            .cloned()
            .collect();
        if !missing.is_empty() {
            NextStep::Fetch { cameras: missing }
        } else if !self.sidecars_done || self.summary == SummaryOutcome::Pending {
            NextStep::Process
        } else if !self.notified.contains(&Status::ClipReady) {
            NextStep::Notify
        } else {
            NextStep::Done
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ce::journal::entry::porch_opened;

    fn entry(ts: f64, step: JournalStep) -> JournalEntry {
        JournalEntry { ts, step }
    }

    fn opened() -> JournalEntry {
        entry(100.0, porch_opened())
    }

    fn joined(ts: f64, event_id: &str, camera: &str) -> JournalEntry {
        entry(
            ts,
            JournalStep::EventJoined {
                event_id: event_id.to_string(),
                camera: camera.to_string(),
                label: "person".to_string(),
                start_time: ts - 0.5,
            },
        )
    }

    fn ended(ts: f64, event_id: &str) -> JournalEntry {
        entry(
            ts,
            JournalStep::EventEnded {
                event_id: event_id.to_string(),
                end_time: ts,
            },
        )
    }

    fn closed(ts: f64) -> JournalEntry {
        entry(
            ts,
            JournalStep::Closed {
                window_start: 94.5,
                window_end: 150.0,
                cameras: vec!["drive".to_string(), "porch".to_string()],
                primary: "porch".to_string(),
            },
        )
    }

    fn fetched(ts: f64, camera: &str) -> JournalEntry {
        entry(
            ts,
            JournalStep::ClipFetched {
                camera: camera.to_string(),
                path: PathBuf::from(format!("{camera}/{camera}-1.mp4")),
                bytes: 10,
            },
        )
    }

    fn fold(entries: Vec<JournalEntry>) -> CeRecord {
        CeRecord::fold(Path::new("/s/events/100_0badf00d"), entries, 0).expect("opened")
    }

    /// The journal of a CE closed over two cameras, both clips fetched.
    fn fetched_both() -> Vec<JournalEntry> {
        vec![
            opened(),
            joined(100.0, "e1", "porch"),
            joined(104.0, "e2", "drive"),
            ended(112.0, "e1"),
            ended(120.0, "e2"),
            closed(240.0),
            fetched(250.0, "drive"),
            fetched(260.0, "porch"),
        ]
    }

    #[test]
    fn a_cluster_job_remembers_its_latest_attempt_and_claimer() {
        let dispatched = |ts: f64, attempt: u32| entry(ts, JournalStep::Dispatched { attempt });
        let claimed = |ts: f64, attempt: u32, worker: &str| {
            entry(
                ts,
                JournalStep::Claimed {
                    attempt,
                    worker: worker.to_string(),
                },
            )
        };
        let mut entries = fetched_both();
        assert_eq!(fold(entries.clone()).dispatch, None);
        entries.extend([dispatched(261.0, 1), claimed(262.0, 1, "gpu-a")]);
        let record = fold(entries.clone());
        assert_eq!(record.next_step(), NextStep::Process);
        assert_eq!(
            record.dispatch,
            Some(JobDispatch {
                attempt: 1,
                worker: Some("gpu-a".to_string())
            })
        );
        // Published again: unclaimed until a claim of the new attempt; a stale one is skipped.
        entries.extend([dispatched(300.0, 2), claimed(301.0, 1, "gpu-a")]);
        let record = fold(entries.clone());
        assert_eq!(
            record.dispatch,
            Some(JobDispatch {
                attempt: 2,
                worker: None
            })
        );
        assert_eq!(record.skipped_lines, 1);
        entries.push(claimed(302.0, 2, "gpu-b"));
        assert_eq!(fold(entries).dispatch.unwrap().worker.as_deref(), Some("gpu-b"));
    }

    #[test]
    fn open_ce_awaits_events_with_activity_and_open_events() {
        let record = fold(vec![
            opened(),
            joined(100.0, "e1", "porch"),
            joined(104.0, "e2", "drive"),
            ended(112.0, "e1"),
        ]);
        assert_eq!(record.next_step(), NextStep::AwaitEvents);
        assert_eq!(record.ce_id, "ce_100_0badf00d");
        assert_eq!(record.last_activity, 112.0);
        let ends: Vec<(&str, Option<f64>, bool)> = record
            .events
            .iter()
            .map(|e| (e.event_id.as_str(), e.end_time, e.is_open()))
            .collect();
        assert_eq!(ends, [("e1", Some(112.0), false), ("e2", None, true)]);
    }

    #[test]
    fn discarded_event_leaves_the_ce() {
        let record = fold(vec![
            opened(),
            joined(100.0, "e1", "porch"),
            joined(101.0, "e2", "drive"),
            entry(
                103.0,
                JournalStep::EventDiscarded {
                    event_id: "e2".to_string(),
                },
            ),
        ]);
        assert_eq!(record.events.len(), 1);
        assert_eq!(record.events[0].event_id, "e1");
        assert_eq!(record.last_activity, 101.0);
        assert_eq!(record.skipped_lines, 0);
    }

    #[test]
    fn closed_ce_fetches_cameras_without_clip_or_failure() {
        let mut entries = fetched_both();
        entries.truncate(6);
        assert_eq!(
            fold(entries.clone()).next_step(),
            NextStep::Fetch {
                cameras: vec!["drive".to_string(), "porch".to_string()]
            }
        );
        entries.push(fetched(250.0, "porch"));
        entries.push(entry(
            251.0,
            JournalStep::ClipFailed {
                camera: "drive".to_string(),
                error: "404".to_string(),
            },
        ));
        let record = fold(entries);
        assert_eq!(record.next_step(), NextStep::Process);
        assert_eq!(
            record.clips["porch"],
            Path::new("/s/events/100_0badf00d/porch/porch-1.mp4")
        );
        assert_eq!(record.window.as_ref().map(|w| w.start), Some(94.5));
    }

    #[test]
    fn processing_needs_sidecars_and_a_summary_outcome() {
        let mut entries = fetched_both();
        entries.push(entry(270.0, JournalStep::SidecarsDone));
        assert_eq!(fold(entries.clone()).next_step(), NextStep::Process);
        entries.push(entry(
            280.0,
            JournalStep::SummaryFailed {
                error: "encoder".to_string(),
            },
        ));
        assert_eq!(fold(entries).next_step(), NextStep::Notify);
    }

    #[test]
    fn notify_then_done() {
        let mut entries = fetched_both();
        entries.push(entry(270.0, JournalStep::SidecarsDone));
        entries.push(entry(
            280.0,
            JournalStep::SummaryDone {
                path: PathBuf::from("100_0badf00d_summary.mp4"),
            },
        ));
        entries.push(entry(281.0, JournalStep::Notified { status: Status::New }));
        let record = fold(entries.clone());
        assert_eq!(record.next_step(), NextStep::Notify);
        assert_eq!(
            record.summary,
            SummaryOutcome::Done(PathBuf::from("/s/events/100_0badf00d/100_0badf00d_summary.mp4"))
        );
        entries.push(entry(
            282.0,
            JournalStep::Notified {
                status: Status::ClipReady,
            },
        ));
        let record = fold(entries);
        assert_eq!(record.next_step(), NextStep::Done);
        assert_eq!(record.notified, [Status::New, Status::ClipReady]);
    }

    #[test]
    fn without_opened_there_is_no_record() {
        let entries = vec![joined(100.0, "e1", "porch")];
        assert_eq!(CeRecord::fold(Path::new("/s"), entries, 1), None);
    }

    #[test]
    fn unusable_lines_are_counted() {
        let record = CeRecord::fold(
            Path::new("/s"),
            vec![joined(99.0, "e0", "porch"), opened(), ended(101.0, "unknown"), opened()],
            1,
        )
        .expect("opened");
        assert_eq!(record.skipped_lines, 4);
        assert_eq!(record.last_activity, 100.0);
    }
}
