//! A cluster worker (`frigate-buffer worker`): takes CE jobs from the shared
//! subscription, runs each through its own pipeline (its GPUs, or the CPU)
//! into the shared storage, and tells the ingest node on `claims` when it
//! takes one and on `results` when it is done.
//!
//! Owns its pipeline and an ephemeral MQTT session, nothing else: it never
//! writes a CE's journal or sends a notification (the ingest node does both
//! from the result). On SIGTERM it leaves the shared subscription, finishes
//! what it holds within the drain limit and announces `offline`, upon which
//! the ingest node publishes anything left again.

use super::protocol::{
    self, from_storage_relative, to_storage_relative, ClaimMessage, ClusterTopics, JobMessage, ProtocolError,
    ResultMessage,
};
use crate::assemble::{start_pipeline, StartError};
use crate::ce_report::CeOutcome;
use crate::config::Config;
use crate::flow::messages::{CameraClip, CeJob};
use crate::mqtt_link::{self, Availability, Inbound, LinkProfile, MqttLinkError, SessionKind};
use crate::pipeline::ce_loop::{run_ce_loop, CeLoopHooks};
use crate::pipeline::ce_run::CeDriver;
use crate::pipeline::Pipeline;
use crossbeam_channel::Receiver;
use paho_mqtt as mqtt;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Longest time shutdown waits for the jobs in hand.
const DRAIN_LIMIT: Duration = Duration::from_secs(60);

/// Longest wait for the broker to confirm a claim or a result.
const PUBLISH_LIMIT: Duration = Duration::from_secs(10);

/// Why the worker could not run.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The pipeline could not start.
    #[error("{0}")]
    Start(#[from] StartError),
    /// The MQTT connection could not be set up.
    #[error("{0}")]
    Mqtt(#[from] MqttLinkError),
    /// The shared storage is not there.
    #[error("{}: not a folder; mount the ingest node's storage here (network.storage_path)", path.display())]
    NoStorage {
        /// The `events/` folder looked for.
        path: PathBuf,
    },
}

/// This worker's id: `cluster.worker_id`, or host name and process id.
fn worker_id(config: &Config) -> String {
    config.cluster.worker_id.clone().unwrap_or_else(|| {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        let host: String = host
            .trim()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' })
            .collect();
        let host = if host.is_empty() { "worker".to_string() } else { host };
        format!("{host}-{}", std::process::id())
    })
}

/// Runs a worker until `shutdown` is set, then drains and returns.
pub fn run_worker(config: &Config, shutdown: Arc<AtomicBool>) -> Result<(), WorkerError> {
    let events = config.storage_path.join("events");
    if !events.is_dir() {
        return Err(WorkerError::NoStorage { path: events });
    }
    let id = worker_id(config);
    let topics = ClusterTopics::new(&config.cluster.topic);
    let jobs = topics.shared_jobs(&config.cluster.group);
    let profile = LinkProfile {
        client_id: format!("frigate-buffer-worker-{id}"),
        topics: vec![jobs.clone()],
        session: SessionKind::Ephemeral,
        availability: Availability {
            topic: topics.worker_status(&id),
            retained: false,
        },
    };
    let link = mqtt_link::open(&config.mqtt, profile)?;
    let (pipeline, backends) = start_pipeline(config)?;
    tracing::info!(worker = %id, backend = backends.accelerator, storage = %config.storage_path.display(), "worker pipeline started");
    let give_up = || shutdown.load(Ordering::Relaxed);
    if let Err(err) = link.connect(&config.mqtt, &give_up) {
        pipeline.shutdown();
        return Err(err.into());
    }
    tracing::info!(worker = %id, subscription = %jobs, "taking jobs");
    let worker = Worker {
        id,
        topics,
        storage: config.storage_path.clone(),
        client: link.client.clone(),
        held: HashMap::new(),
    };
    worker.serve(&pipeline, config, &link.inbox, &shutdown, &jobs);
    link.close();
    pipeline.shutdown();
    Ok(())
}

/// A job as this worker runs it.
struct TakenJob {
    /// The pipeline's job, paths under this host's storage.
    job: CeJob,
    /// Cameras without a clip, with the reason.
    failed: Vec<(String, String)>,
    /// The attempt taken.
    attempt: u32,
}

/// A worker's state.
struct Worker {
    /// Its id, in claims, results and its status topic.
    id: String,
    /// The cluster's topics.
    topics: ClusterTopics,
    /// Root of the shared storage on this host.
    storage: PathBuf,
    /// Publishes claims and results.
    client: mqtt::AsyncClient,
    /// The latest attempt taken of each CE in hand.
    held: HashMap<String, u32>,
}

impl Worker {
    /// Takes jobs until `shutdown`; then leaves the subscription and
    /// finishes the jobs in hand, within the drain limit.
    fn serve(self, pipeline: &Pipeline, config: &Config, inbox: &Receiver<Inbound>, shutdown: &AtomicBool, jobs: &str) {
        let mut driver = CeDriver::new(pipeline, config.plan.clone());
        let mut serving = Serving {
            worker: self,
            shutdown,
            jobs,
        };
        run_ce_loop(pipeline, &mut driver, inbox, &mut serving, DRAIN_LIMIT);
    }

    /// Claims a job and submits it (a new attempt of a CE in hand is claimed
    /// only: the work is already under way).
    fn take(&mut self, message: &mqtt::Message, driver: &mut CeDriver<'_>) {
        let job =
            match protocol::parse::<JobMessage>(message.topic(), message.payload()).and_then(|job| self.resolve(job)) {
                Ok(job) => job,
                Err(err) => {
                    tracing::warn!("job dropped: {err}");
                    return;
                }
            };
        let TakenJob {
            job: ce_job,
            failed,
            attempt,
        } = job;
        let under_way = self.held.insert(ce_job.id.clone(), attempt).is_some();
        self.publish(
            self.topics.claims(),
            &ClaimMessage {
                ce_id: ce_job.id.clone(),
                attempt,
                worker: self.id.clone(),
            },
        );
        tracing::info!(ce = %ce_job.id, attempt, under_way, "job taken");
        if !under_way {
            driver.submit(Arc::new(ce_job), failed, true);
        }
    }

    /// The pipeline's job for `job`, its paths under this host's storage.
    fn resolve(&self, job: JobMessage) -> Result<TakenJob, ProtocolError> {
        let under_storage = |path: &Path| from_storage_relative(&self.storage, path);
        let clips = job
            .clips
            .iter()
            .map(|clip| {
                Ok(CameraClip {
                    camera: clip.camera.clone(),
                    clip: under_storage(&clip.clip)?,
                })
            })
            .collect::<Result<Vec<_>, ProtocolError>>()?;
        let folder = under_storage(&job.folder)?;
        Ok(TakenJob {
            job: CeJob::new(job.ce_id, folder, job.window_start, job.window_seconds, clips),
            failed: job.failed,
            attempt: job.attempt,
        })
    }

    /// Publishes a finished CE's outcome, paths relative to the storage.
    fn report(&mut self, outcome: CeOutcome) {
        let attempt = self.held.remove(&outcome.ce_id).unwrap_or(0);
        tracing::info!(ce = %outcome.ce_id, summary = ?outcome.summary, error = ?outcome.summary_error, "job done");
        match outcome.try_map_paths(|path| to_storage_relative(&self.storage, path)) {
            Ok(outcome) => {
                let result = ResultMessage {
                    attempt,
                    worker: self.id.clone(),
                    outcome,
                };
                self.publish(self.topics.results(), &result);
            }
            Err(err) => tracing::error!("cannot report a result: {err}"),
        }
    }

    /// Publishes `message` at QoS 1 and waits for the broker (this thread
    /// holds no delivery: an ephemeral session acknowledges on receipt).
    fn publish(&self, topic: String, message: &impl serde::Serialize) {
        let payload = serde_json::to_vec(message).expect("a cluster message serialises");
        let message = mqtt::Message::new(topic.as_str(), payload, mqtt::QOS_1);
        if let Err(err) = self.client.publish(message).wait_for(PUBLISH_LIMIT) {
            tracing::error!("cannot publish on {topic}: {err}");
        }
    }
}

/// The worker's side of the CE loop.
struct Serving<'a> {
    /// The worker.
    worker: Worker,
    /// Set on SIGTERM.
    shutdown: &'a AtomicBool,
    /// The shared subscription, left when draining.
    jobs: &'a str,
}

impl CeLoopHooks for Serving<'_> {
    type Input = Inbound;

    fn take(&mut self, inbound: Inbound, driver: &mut CeDriver<'_>) {
        match inbound {
            Inbound::Message(delivery) => self.worker.take(&delivery.message, driver),
            Inbound::ConnectionLost => tracing::warn!("MQTT connection lost; reconnecting"),
        }
    }

    fn finished(&mut self, outcome: CeOutcome, _driver: &mut CeDriver<'_>) {
        self.worker.report(outcome);
    }

    fn stop_requested(&self) -> bool {
        self.shutdown.load(Ordering::Relaxed)
    }

    fn draining(&mut self, in_hand: usize) {
        if let Err(err) = self.worker.client.unsubscribe(self.jobs).wait_for(PUBLISH_LIMIT) {
            tracing::warn!("cannot leave {}: {err}", self.jobs);
        }
        tracing::info!(in_hand, "shutting down: finishing the jobs in hand");
    }
}
