//! The dispatcher thread (cluster mode, on the ingest node): in place of a
//! local pipeline, each CE whose clips are on disk is published as a job on
//! the cluster's jobs topic (QoS 1), for exactly one worker of the shared
//! subscription to take. Workers' claims, results and comings and goings
//! arrive here from the ingest thread; the [`JobLedger`] decides what is
//! published again, and each result is concluded like a local one.
//!
//! Every publication and claim is journaled first, so a restarted ingest
//! node waits for the job a worker still holds instead of publishing it
//! again. It never calls the MQTT client: jobs go out through the outbox
//! thread, because the client takes no call while the delivery this thread
//! may be holding is unreleased.

use super::conclusions::{journal_step, Conclusions, Verdict};
use super::messages::{ReadyCe, ReviewAnalysis};
use super::shared::ServiceShared;
use crate::ce::journal::{JobDispatch, JournalStep};
use crate::cluster::ledger::{JobLedger, LedgerTimeouts};
use crate::cluster::protocol::{
    self, from_storage_relative, to_storage_relative, ClaimMessage, ClusterTopic, ClusterTopics, JobClip, JobMessage,
    ProtocolError, ResultMessage,
};
use crate::metrics::MqttTopic;
use crate::mqtt_link::Delivery;
use crossbeam_channel::{select, Receiver, Sender};
use paho_mqtt as mqtt;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The dispatcher's inputs.
pub struct DispatcherLinks {
    /// CEs whose clips are on disk.
    pub ready: Receiver<ReadyCe>,
    /// Frigate's GenAI summaries (`ai_mode: frigate`); never sends otherwise.
    pub reviews: Receiver<ReviewAnalysis>,
    /// Messages on the cluster's claims, results and worker topics, each
    /// acknowledged once dropped.
    pub cluster: Receiver<Delivery>,
}

/// The ingest node's side of the cluster.
pub struct Dispatcher {
    /// Jobs out, to the outbox thread.
    outbox: Sender<mqtt::Message>,
    /// The cluster's topics.
    topics: ClusterTopics,
    /// Root of the storage shared with the workers.
    storage: PathBuf,
    /// Jobs out.
    ledger: JobLedger,
    /// The folder of each CE out, by id, for its journal.
    folders: HashMap<String, PathBuf>,
    /// Journal, metrics and notifications of finished CEs.
    conclusions: Conclusions,
    /// Metrics.
    shared: ServiceShared,
}

impl Dispatcher {
    /// A dispatcher publishing through `outbox`.
    pub fn new(
        outbox: Sender<mqtt::Message>,
        topics: ClusterTopics,
        storage: PathBuf,
        timeouts: LedgerTimeouts,
        conclusions: Conclusions,
        shared: ServiceShared,
    ) -> Self {
        Self {
            outbox,
            topics,
            storage,
            ledger: JobLedger::new(timeouts),
            folders: HashMap::new(),
            conclusions,
            shared,
        }
    }

    /// Runs until `ready` closes. Jobs still out stay in the journals; their
    /// results wait in the broker's session for the next start.
    pub fn run(mut self, links: DispatcherLinks) {
        let tick = crossbeam_channel::tick(Duration::from_millis(250));
        // Their senders go when the ingest thread stops; a closed channel is then never again ready.
        let (mut cluster, mut reviews) = (Some(links.cluster), Some(links.reviews));
        loop {
            select! {
                recv(links.ready) -> ce => match ce {
                    Ok(ce) => self.dispatch(ce),
                    Err(_) => break,
                },
                recv(cluster.clone().unwrap_or_else(crossbeam_channel::never)) -> delivery => match delivery {
                    Ok(delivery) => {
                        // CEs resumed at start-up are all queued before the first
                        // cluster message: track them first, so their results count.
                        while let Ok(ce) = links.ready.try_recv() {
                            self.dispatch(ce);
                        }
                        self.on_message(&delivery.message);
                        // Acknowledged once its effect is journaled.
                        drop(delivery);
                    }
                    Err(_) => cluster = None,
                },
                recv(reviews.clone().unwrap_or_else(crossbeam_channel::never)) -> review => match review {
                    Ok(review) => self.conclusions.take_review(review),
                    Err(_) => reviews = None,
                },
                recv(tick) -> _ => {
                    for job in self.ledger.overdue(Instant::now()) {
                        tracing::warn!(ce = %job.ce_id, attempt = job.attempt, "job not done by a worker; publishing it again");
                        self.publish(job);
                    }
                },
            }
        }
        if !self.ledger.is_empty() {
            tracing::info!(
                jobs = self.ledger.len(),
                "jobs still with workers; their results are taken at next start"
            );
        }
    }

    /// Publishes a CE's first attempt, or follows the attempt journaled before a restart.
    fn dispatch(&mut self, ce: ReadyCe) {
        let job = match self.job_of(&ce) {
            Ok(job) => job,
            Err(err) => {
                tracing::error!(ce = %ce.ce_id, "cannot publish the job: {err}");
                return;
            }
        };
        self.conclusions.expect(&ce);
        self.folders.insert(ce.ce_id.clone(), ce.folder.clone());
        match ce.dispatched {
            Some(JobDispatch { attempt, worker }) => {
                tracing::info!(ce = %ce.ce_id, attempt, worker = ?worker, "job published before the restart; waiting for its worker");
                self.ledger.track(JobMessage { attempt, ..job }, worker, Instant::now());
            }
            None => self.publish(job),
        }
    }

    /// The job message of `ce`, paths relative to the storage.
    fn job_of(&self, ce: &ReadyCe) -> Result<JobMessage, ProtocolError> {
        let clips = ce
            .clips
            .iter()
            .map(|clip| {
                Ok(JobClip {
                    camera: clip.camera.clone(),
                    clip: to_storage_relative(&self.storage, &clip.clip)?,
                })
            })
            .collect::<Result<_, ProtocolError>>()?;
        Ok(JobMessage {
            ce_id: ce.ce_id.clone(),
            attempt: 1,
            folder: to_storage_relative(&self.storage, &ce.folder)?,
            window_start: ce.window_start,
            window_seconds: ce.window_seconds,
            clips,
            failed: ce.failed.clone(),
        })
    }

    /// Journals and publishes one attempt of a job.
    fn publish(&mut self, job: JobMessage) {
        if let Some(folder) = self.folders.get(&job.ce_id) {
            journal_step(folder, &JournalStep::Dispatched { attempt: job.attempt });
        }
        let payload = serde_json::to_vec(&job).expect("a job serialises");
        tracing::info!(ce = %job.ce_id, attempt = job.attempt, "job published");
        let _ = self
            .outbox
            .send(mqtt::Message::new(self.topics.jobs(), payload, mqtt::QOS_1));
        self.ledger.track(job, None, Instant::now());
    }

    fn on_message(&mut self, message: &mqtt::Message) {
        let topic = message.topic();
        let handled = match self.topics.classify(topic) {
            Some(ClusterTopic::Claims) => protocol::parse(topic, message.payload()).map(|claim| self.on_claim(&claim)),
            Some(ClusterTopic::Results) => {
                protocol::parse(topic, message.payload()).and_then(|result| self.on_result(result))
            }
            Some(ClusterTopic::WorkerStatus(worker)) => {
                self.on_worker_status(&worker, &message.payload_str());
                Ok(())
            }
            None => Ok(()),
        };
        if let Err(err) = handled {
            self.shared.metrics.record_mqtt_malformed(MqttTopic::Other);
            tracing::warn!("malformed message dropped: {err}");
        }
    }

    fn on_claim(&mut self, claim: &ClaimMessage) {
        if self.ledger.claim(claim, Instant::now()) {
            tracing::info!(ce = %claim.ce_id, attempt = claim.attempt, worker = %claim.worker, "job taken");
            if let Some(folder) = self.folders.get(&claim.ce_id) {
                let step = JournalStep::Claimed {
                    attempt: claim.attempt,
                    worker: claim.worker.clone(),
                };
                journal_step(folder, &step);
            }
        } else {
            tracing::debug!(ce = %claim.ce_id, attempt = claim.attempt, worker = %claim.worker, "stale claim ignored");
        }
    }

    fn on_result(&mut self, result: ResultMessage) -> Result<(), ProtocolError> {
        let outcome = result
            .outcome
            .try_map_paths(|path| from_storage_relative(&self.storage, path))?;
        let Some(job) = self.ledger.complete(&outcome.ce_id) else {
            tracing::info!(ce = %outcome.ce_id, worker = %result.worker, "result of a job no longer out ignored");
            return Ok(());
        };
        tracing::info!(ce = %outcome.ce_id, attempt = result.attempt, worker = %result.worker, "job done");
        match self.conclusions.conclude(&outcome) {
            Verdict::Concluded => {
                self.folders.remove(&outcome.ce_id);
            }
            Verdict::RetryAfter(delay) => self.ledger.give_back(job, Instant::now() + delay),
        }
        Ok(())
    }

    fn on_worker_status(&mut self, worker: &str, status: &str) {
        if status != "offline" {
            tracing::info!(worker, status, "worker status");
            return;
        }
        let given_back = self.ledger.worker_gone(worker, Instant::now());
        tracing::warn!(worker, jobs = ?given_back, "worker went away; its jobs are published again");
    }
}
