//! The ingest thread: owns the MQTT message stream and the CE lifecycle. Each
//! Frigate message is parsed, fed to the lifecycle, and every resulting action
//! is journaled before it is acted on (folder created, notification asked,
//! closed CE handed to the fetch thread). Malformed messages are counted and
//! dropped; nothing stops the thread but shutdown.

use super::clock::now_epoch;
use super::messages::{FetchJob, FetchRequest, NotifyRequest, ReviewAnalysis, SnapshotJob};
use super::shared::ServiceShared;
use crate::ai::{write_analysis_result, AnalysisRecord, AnalysisResult};
use crate::ce::journal::{self, CeRecord, JournalStep, NextStep};
use crate::ce::lifecycle::{
    EventKind, EventUpdate, Lifecycle, LifecycleAction, RestoreError, RestoredCe, RestoredEvent,
};
use crate::cluster::protocol::ClusterTopics;
use crate::frigate::mqtt::{
    self as frigate_mqtt, FrigateEvent, FrigateMessage, GenAiMetadata, ReviewKind, ReviewMessage,
};
use crate::metrics::{CeFinalState, CeStage, ErrorKind, MqttTopic};
use crate::mqtt_link::{Delivery, Inbound};
use crate::notify::{CeFacts, Milestone};
use crate::recent_ids::RecentIds;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use paho_mqtt as mqtt;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Converts a parsed Frigate event into the lifecycle's input.
fn event_update(kind: &frigate_mqtt::EventKind, event: &FrigateEvent) -> EventUpdate {
    EventUpdate {
        kind: match kind {
            frigate_mqtt::EventKind::New => EventKind::New,
            frigate_mqtt::EventKind::Update => EventKind::Update,
            frigate_mqtt::EventKind::End => EventKind::End,
        },
        id: event.id.clone(),
        camera: event.camera.to_string(),
        label: event.label.clone(),
        sub_label: event.sub_label.as_ref().map(|s| s.name.clone()),
        start_time: event.start_time,
        end_time: event.end_time,
        current_zones: event.current_zones.clone(),
        entered_zones: event.entered_zones.clone(),
        false_positive: event.false_positive,
    }
}

/// State of the ingest thread.
pub struct Ingest {
    /// CE grouping.
    lifecycle: Lifecycle,
    /// Root of `events/`.
    events_dir: PathBuf,
    /// Frigate's topic prefix.
    topic_prefix: String,
    /// Closed CEs out.
    fetch: Sender<FetchRequest>,
    /// Notifications out.
    notify: Sender<NotifyRequest>,
    /// Metrics and the active-CE set.
    shared: ServiceShared,
    /// Camera and label of each open CE's first event, for notifications.
    openers: HashMap<String, (String, String)>,
    /// CEs just opened whose first event's snapshot has not been asked for yet.
    awaiting_snapshot: HashSet<String>,
    /// The CE (id, folder) of each recent Frigate event, to place GenAI summaries.
    event_owners: RecentIds<(String, PathBuf)>,
    /// Frigate's GenAI summaries out, when `ai_mode: frigate`.
    reviews: Option<Sender<ReviewAnalysis>>,
    /// In cluster mode, where the cluster's messages go.
    cluster: Option<ClusterRoute>,
    /// Journal lines whose write failed (storage full or read-only), in order; the MQTT message
    /// being handled is not acknowledged until they are written.
    unwritten: RefCell<Vec<(PathBuf, JournalStep)>>,
}

/// Where the ingest thread hands on what it decides.
pub struct IngestLinks {
    /// Closed CEs and snapshots out.
    pub fetch: Sender<FetchRequest>,
    /// Notifications out.
    pub notify: Sender<NotifyRequest>,
    /// Frigate's GenAI summaries out, when `ai_mode: frigate`.
    pub reviews: Option<Sender<ReviewAnalysis>>,
    /// In cluster mode, where the cluster's messages go.
    pub cluster: Option<ClusterRoute>,
}

/// First pause before writing unwritten journal lines again; it doubles up to
/// [`JOURNAL_RETRY_MAX`].
const JOURNAL_RETRY_FIRST: Duration = Duration::from_millis(500);
/// Longest pause between tries of unwritten journal lines.
const JOURNAL_RETRY_MAX: Duration = Duration::from_secs(30);

/// Where the ingest thread sends the cluster's claims, results and worker
/// statuses (cluster mode): to the dispatcher, delivery and all, so each is
/// acknowledged once the dispatcher has journaled it.
pub struct ClusterRoute {
    /// The cluster's topics.
    pub topics: ClusterTopics,
    /// The dispatcher's inbox.
    pub dispatcher: Sender<Delivery>,
}

/// Frigate's GenAI summary in the shape of our own analysis.
fn analysis_of(metadata: &GenAiMetadata) -> AnalysisResult {
    AnalysisResult {
        title: metadata.title.clone(),
        scene: metadata.scene.clone(),
        short_summary: metadata.short_summary.clone(),
        confidence: metadata.confidence.unwrap_or(0.0),
        potential_threat_level: metadata.potential_threat_level.get(),
    }
}

impl Ingest {
    /// The ingest state of a service whose CEs live under `events_dir`, with no CE open yet.
    pub fn new(
        lifecycle: Lifecycle,
        events_dir: PathBuf,
        topic_prefix: String,
        links: IngestLinks,
        shared: ServiceShared,
    ) -> Ingest {
        Ingest {
            lifecycle,
            events_dir,
            topic_prefix,
            fetch: links.fetch,
            notify: links.notify,
            shared,
            openers: HashMap::new(),
            awaiting_snapshot: HashSet::new(),
            event_owners: RecentIds::default(),
            reviews: links.reviews,
            cluster: links.cluster,
            unwritten: RefCell::new(Vec::new()),
        }
    }

    /// Metrics and the active-CE set.
    pub fn shared(&self) -> &ServiceShared {
        &self.shared
    }

    /// Takes back a CE replayed from its journal: its events are placed again (for GenAI
    /// summaries), and, when it was still open, it is open again with its close timer running.
    ///
    /// # Errors
    /// The lifecycle's [`RestoreError`] when the open CE cannot be restored (already open, or one
    /// of its events in another CE); nothing of it is kept then.
    pub fn restore(&mut self, record: &CeRecord) -> Result<(), RestoreError> {
        for event in &record.events {
            let owner = (record.ce_id.clone(), record.folder.clone());
            self.event_owners.insert(&event.event_id, owner);
        }
        if record.next_step() != NextStep::AwaitEvents {
            return Ok(());
        }
        let restored = RestoredCe {
            ce_id: record.ce_id.clone(),
            folder: record.folder_name(),
            events: record
                .events
                .iter()
                .map(|event| RestoredEvent {
                    event_id: event.event_id.clone(),
                    camera: event.camera.clone(),
                    label: event.label.clone(),
                    start_time: event.start_time,
                    end_time: event.end_time,
                })
                .collect(),
        };
        self.openers
            .insert(record.ce_id.clone(), (record.camera.clone(), record.label.clone()));
        match self.lifecycle.restore_open_ce(restored, now_epoch()) {
            Ok(actions) => {
                self.apply(actions);
                Ok(())
            }
            Err(err) => {
                self.openers.remove(&record.ce_id);
                Err(err)
            }
        }
    }

    /// Consumes the link's deliveries and ticks the close timers until `stop`
    /// is set. Each delivery is dropped, which lets the MQTT client acknowledge
    /// it, only after its effect is journaled. Once `draining` is set it still
    /// consumes and journals, but hands nothing on (see [`Ingest::hand_nothing_on`]).
    pub fn run(mut self, inbox: &Receiver<Inbound>, stop: &AtomicBool, draining: &AtomicBool) {
        let mut handing_on = true;
        while !stop.load(Ordering::Relaxed) {
            if handing_on && draining.load(Ordering::Relaxed) {
                self.hand_nothing_on();
                handing_on = false;
            }
            let now = now_epoch();
            let wait = self
                .lifecycle
                .next_deadline(now)
                .map_or(Duration::from_millis(500), |at| {
                    Duration::from_secs_f64((at - now).clamp(0.0, 0.5))
                });
            match inbox.recv_timeout(wait) {
                Ok(Inbound::Message(delivery)) => self.on_delivery(delivery, stop),
                Ok(Inbound::ConnectionLost) => tracing::warn!("MQTT connection lost; reconnecting"),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            let actions = self.lifecycle.on_tick(now_epoch());
            self.apply(actions);
        }
    }

    /// Lets the threads downstream drain while this one goes on consuming:
    /// closes its channels to the fetch thread, the notifier and the
    /// coordinator. What it journals from now on (a CE opened or closed) is
    /// resumed at the next start; the MQTT messages are acknowledged as usual.
    fn hand_nothing_on(&mut self) {
        let (closed_fetch, _) = crossbeam_channel::bounded(0);
        self.fetch = closed_fetch;
        let (closed_notify, _) = crossbeam_channel::bounded(0);
        self.notify = closed_notify;
        if let Some(reviews) = &mut self.reviews {
            let (closed_reviews, _) = crossbeam_channel::bounded(0);
            *reviews = closed_reviews;
        }
    }

    /// Hands a cluster message to the dispatcher; handles a Frigate one here.
    fn on_delivery(&mut self, delivery: Delivery, stop: &AtomicBool) {
        if let Some(route) = &self.cluster {
            if route.topics.classify(delivery.message.topic()).is_some() {
                let _ = route.dispatcher.send(delivery);
                return;
            }
        }
        self.on_message(&delivery.message);
        self.write_unwritten(stop);
        // Dropping the delivery acknowledges the message: only now that its effect is journaled.
        drop(delivery);
    }

    /// Writes the journal lines whose first write failed, trying again with growing pauses
    /// while the message that caused them is held unacknowledged (the broker keeps the rest
    /// queued meanwhile). Gives up only when the service stops, after the link has closed:
    /// the broker then delivers the message again at the next start.
    fn write_unwritten(&mut self, stop: &AtomicBool) {
        let mut pause = JOURNAL_RETRY_FIRST;
        loop {
            let pending = std::mem::take(self.unwritten.get_mut());
            let mut left = pending
                .into_iter()
                .skip_while(|(folder, step)| !folder.is_dir() || journal::append(folder, now_epoch(), step).is_ok());
            let Some(first) = left.next() else {
                return;
            };
            let mut still = vec![first];
            still.extend(left);
            let count = still.len();
            *self.unwritten.get_mut() = still;
            if stop.load(Ordering::Relaxed) {
                tracing::error!("stopping with {count} journal line(s) unwritten; the MQTT message is not acknowledged and is delivered again at the next start");
                self.unwritten.get_mut().clear();
                return;
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(JOURNAL_RETRY_MAX);
        }
    }

    fn on_message(&mut self, message: &mqtt::Message) {
        match frigate_mqtt::parse_message(&self.topic_prefix, message.topic(), message.payload()) {
            Ok(Some(parsed)) => {
                self.shared.metrics.record_mqtt_message();
                match parsed {
                    FrigateMessage::Event(event) => {
                        let update = event_update(&event.kind, &event.after);
                        let actions = self.lifecycle.on_event(&update, now_epoch());
                        self.apply(actions);
                    }
                    FrigateMessage::Review(review) if review.kind == ReviewKind::Genai => self.on_genai(&review),
                    _ => {}
                }
            }
            Ok(None) => {}
            Err(err) => {
                self.shared
                    .metrics
                    .record_mqtt_malformed(MqttTopic::classify(message.topic()));
                tracing::warn!("malformed message dropped: {err}");
            }
        }
    }

    /// Writes Frigate's GenAI summary into the CE holding one of the review's
    /// events and hands it to the coordinator (only with `ai_mode: frigate`).
    fn on_genai(&mut self, review: &ReviewMessage) {
        let Some(reviews) = &self.reviews else {
            return;
        };
        let data = &review.after.data;
        let Some(metadata) = &data.metadata else {
            tracing::warn!(review = %review.after.id, "GenAI review without metadata ignored");
            return;
        };
        let owner = data.detections.iter().find_map(|id| self.event_owners.get(id));
        let Some((ce_id, folder)) = owner.filter(|(_, folder)| folder.is_dir()).cloned() else {
            tracing::info!(review = %review.after.id, "GenAI review of no current consolidated event ignored");
            return;
        };
        let result = analysis_of(metadata);
        let record = AnalysisRecord::new(result.clone(), "frigate-genai", 0, chrono::Utc::now());
        if let Err(err) = write_analysis_result(&folder, &record) {
            self.shared.metrics.record_error(ErrorKind::Ai);
            tracing::error!("{err}");
            return;
        }
        tracing::info!(ce = %ce_id, review = %review.after.id, "Frigate GenAI summary recorded");
        let _ = reviews.send(ReviewAnalysis { ce_id, folder, result });
    }

    fn folder(&self, folder: &str) -> PathBuf {
        self.events_dir.join(folder)
    }

    /// Appends `step` to the CE's journal; a line that cannot be written (storage full or
    /// read-only) is kept, and written before the message that caused it is acknowledged.
    fn journal(&self, folder: &Path, step: JournalStep) {
        let mut unwritten = self.unwritten.borrow_mut();
        if unwritten.is_empty() {
            match journal::append(folder, now_epoch(), &step) {
                Ok(()) => return,
                Err(err) => {
                    self.shared.metrics.record_error(ErrorKind::Journal);
                    tracing::error!("{err}; the MQTT message stays unacknowledged until the line is written");
                }
            }
        }
        // Behind an unwritten line, in order.
        unwritten.push((folder.to_path_buf(), step));
    }

    fn notify(&self, ce_id: &str, milestone: Milestone) {
        let (camera, label) = self.openers.get(ce_id).cloned().unwrap_or_default();
        let facts = CeFacts {
            ce_id: ce_id.to_string(),
            camera,
            label,
            camera_count: 1,
            image_url: None,
            video_url: None,
            player_url: None,
            threat_level: 0,
        };
        let journal = None;
        let _ = self.notify.send(NotifyRequest {
            milestone,
            facts,
            journal,
        });
    }

    /// Journals each action, then carries it out.
    pub fn apply(&mut self, actions: Vec<LifecycleAction>) {
        for action in actions {
            let path = match action.folder() {
                Some(folder) => self.folder(folder),
                None => self.folder_of(action.ce_id()),
            };
            if let LifecycleAction::CeOpened { folder, .. } = &action {
                self.shared.activate(folder);
                self.shared.metrics.enter_ce_stage(CeStage::Open);
                if let Err(err) = std::fs::create_dir_all(&path) {
                    tracing::error!("{}: {err}", path.display());
                }
            }
            self.journal(&path, JournalStep::from(&action));
            self.carry_out(action, path);
        }
    }

    /// Carries out one journaled action on the CE in `path`.
    fn carry_out(&mut self, action: LifecycleAction, path: PathBuf) {
        match action {
            LifecycleAction::CeOpened {
                ce_id, camera, label, ..
            } => {
                tracing::info!(ce = %ce_id, camera, label, "consolidated event opened");
                self.openers.insert(ce_id.clone(), (camera, label));
                self.awaiting_snapshot.insert(ce_id.clone());
                self.notify(&ce_id, Milestone::New);
            }
            LifecycleAction::EventJoined {
                ce_id,
                event_id,
                camera,
                label,
                ..
            } => {
                self.event_owners.insert(&event_id, (ce_id.clone(), path.clone()));
                if self.awaiting_snapshot.remove(&ce_id) {
                    let snapshot = SnapshotJob {
                        ce_id,
                        folder: path,
                        camera,
                        event_id,
                        label,
                    };
                    let _ = self.fetch.send(FetchRequest::Snapshot(snapshot));
                }
            }
            LifecycleAction::EventEnded { .. } | LifecycleAction::EventDiscarded { .. } => {}
            LifecycleAction::CeDiscarded { ce_id, folder } => {
                if let Err(err) = std::fs::remove_dir_all(&path) {
                    tracing::warn!("{}: {err}", path.display());
                }
                self.finish_open(&folder, CeFinalState::Discarded);
                tracing::info!(ce = %ce_id, "consolidated event discarded (events too short)");
                self.notify(&ce_id, Milestone::Discarded);
                self.openers.remove(&ce_id);
            }
            LifecycleAction::CeCanceled { ce_id, folder } => {
                let canceled = self.folder(&format!("{folder}-canceled"));
                if let Err(err) = std::fs::rename(&path, &canceled) {
                    tracing::warn!("{}: {err}", path.display());
                }
                self.finish_open(&folder, CeFinalState::Canceled);
                tracing::info!(ce = %ce_id, "consolidated event canceled (event too long)");
                self.notify(&ce_id, Milestone::Canceled);
                self.openers.remove(&ce_id);
            }
            LifecycleAction::CeClosed {
                ce_id,
                window_start,
                window_end,
                cameras,
                events,
                ..
            } => {
                let mut event_ids: BTreeMap<String, Vec<String>> = BTreeMap::new();
                for member in events {
                    event_ids.entry(member.camera).or_default().push(member.event_id);
                }
                let label = self.openers.remove(&ce_id).map(|(_, label)| label).unwrap_or_default();
                tracing::info!(ce = %ce_id, ?cameras, "consolidated event closed");
                self.shared.metrics.leave_ce_stage(CeStage::Open);
                self.shared.metrics.enter_ce_stage(CeStage::Fetching);
                let job = FetchJob {
                    ce_id,
                    folder: path,
                    window_start,
                    window_end,
                    cameras,
                    event_ids,
                    label,
                    fetched: BTreeMap::new(),
                    failed: BTreeMap::new(),
                    closed_at: now_epoch(),
                };
                let _ = self.fetch.send(FetchRequest::Clips(job));
            }
        }
    }

    /// Accounts for an open CE that ended without a summary.
    fn finish_open(&self, folder: &str, state: CeFinalState) {
        self.shared.deactivate(folder);
        self.shared.metrics.leave_ce_stage(CeStage::Open);
        self.shared.metrics.record_ce_final_state(state);
    }

    /// Folder of a CE: its id without the `ce_` prefix (see `ce::lifecycle::CeIdentity`).
    fn folder_of(&self, ce_id: &str) -> PathBuf {
        self.folder(ce_id.strip_prefix("ce_").unwrap_or(ce_id))
    }
}
