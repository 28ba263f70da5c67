//! The long-running service (`frigate-buffer run`): Frigate MQTT in, CEs
//! out. Threads, in the order work flows:
//!
//! - `ingest`: MQTT messages → CE lifecycle → journal → folders, fetch jobs.
//! - `fetch`: clips from Frigate's HTTP API for each closed CE (a small pool
//!   of workers, `fetch_board` their bookkeeping) and new CEs' snapshots (a
//!   lane of their own).
//! - `coordinator`: the pipeline (probe → accelerator → writer/encoder) per
//!   CE; in cluster mode `dispatcher` instead, which publishes each CE as a
//!   job for the workers (`crate::cluster`) and takes their results.
//! - `quick_title`: a quick AI title for each new CE from its snapshot, when
//!   the AI analysis and `ai.quick_title_enabled` are on.
//! - `notifier`: rate-limited Home Assistant notifications over MQTT; a CE's
//!   `new` waits briefly for its snapshot (`first_picture`).
//! - `pushover`: the same notifications to Pushover, when enabled (its own rate limit).
//! - `outbox`: publishes the dispatcher's jobs (cluster mode).
//! - `daily_report_thread`: the daily review, when AI analysis is configured.
//!
//! `topology` creates the bounded, gauged channels between them.
//! `conclusions` ends a processed CE the same way in both modes: journal,
//! metrics, `clip_ready` and `finalized`.
//! `resume` re-queues unfinished CEs from their journals at start-up;
//! `crate::mqtt_link` sets up the persistent-session MQTT connection. On shutdown
//! (SIGTERM/SIGINT) ingest stops handing work on, each thread downstream
//! drains what it has (notifications published while still connected), then
//! the link closes and ingest stops.

pub mod clock;
pub mod conclusions;
pub mod coordinator;
pub mod daily_report_thread;
pub mod dispatcher;
pub mod fetch;
pub mod fetch_board;
pub mod first_picture;
pub mod ingest;
pub mod messages;
pub mod notifier;
pub mod outbox;
pub mod pushover;
pub mod quick_title;
pub mod resume;
pub mod retention_thread;
pub mod shared;
pub mod topology;

use crate::api::{spawn_api, ApiConfig, ApiError, ApiHooks};
use crate::assemble::{start_pipeline, StartError};
use crate::ce::journal::JournalError;
use crate::ce::lifecycle::{CameraFilter, Lifecycle, LifecycleConfig};
use crate::cluster::ledger::LedgerTimeouts;
use crate::cluster::protocol::ClusterTopics;
use crate::config::Config;
use crate::frigate::http::{FetchPolicy, FrigateClient};
use crate::frigate::mqtt::subscriptions;
use crate::metrics::ServiceMetrics;
use crate::mqtt_link::{self, Delivery, LinkProfile, MqttLinkError};
use crate::pipeline::Pipeline;
use conclusions::{ConclusionSettings, Conclusions};
use crossbeam_channel::Receiver;
use ingest::{ClusterRoute, Ingest, IngestLinks};
use messages::{ReadyCe, ReviewAnalysis};
use shared::ServiceShared;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use topology::{Edge, ServiceChannels};

/// Longest time shutdown waits for CEs in flight before leaving them to the journal.
const DRAIN_LIMIT: Duration = Duration::from_secs(60);

/// Why the service could not run.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The pipeline could not start.
    #[error("{0}")]
    Start(#[from] StartError),
    /// The MQTT connection could not be set up.
    #[error("{0}")]
    Mqtt(#[from] MqttLinkError),
    /// The HTTP API could not start.
    #[error("{0}")]
    Api(#[from] ApiError),
    /// The journal could not be replayed.
    #[error("{0}")]
    Journal(#[from] JournalError),
    /// The storage folder is unusable.
    #[error("{path}: {source}")]
    Storage {
        /// The folder.
        path: String,
        /// The I/O failure.
        source: std::io::Error,
    },
    /// `network.api_host`/`api_port` do not name an address to listen on.
    #[error("network.api_host/api_port {address}: {source}")]
    ApiAddress {
        /// The address as configured, `host:port`.
        address: String,
        /// Why it does not resolve.
        source: std::io::Error,
    },
}

fn lifecycle_config(config: &Config) -> LifecycleConfig {
    LifecycleConfig {
        event_gap_seconds: config.ce.event_gap_seconds,
        minimum_event_seconds: config.ce.minimum_event_seconds,
        max_event_length_seconds: config.ce.max_event_length_seconds,
        export_buffer_before: config.ce.export_buffer_before,
        export_buffer_after: config.ce.export_buffer_after,
        cameras: config
            .cameras
            .iter()
            .map(|c| CameraFilter {
                name: c.name.to_string(),
                labels: c.labels.clone(),
                zone_filter: c.event_filters.clone(),
            })
            .collect(),
        zone_filter: config.event_filters.clone(),
    }
}

fn spawn(name: &str, body: impl FnOnce() + Send + 'static) -> std::thread::JoinHandle<()> {
    std::thread::Builder::new()
        .name(format!("fb-{name}"))
        .spawn(body)
        .expect("spawning a service thread")
}

/// What the thread that processes CEs reads.
struct ProcessorInputs {
    /// CEs whose clips are on disk.
    ready: Receiver<ReadyCe>,
    /// Frigate's GenAI summaries.
    reviews: Receiver<ReviewAnalysis>,
    /// The cluster's messages (cluster mode).
    cluster: Receiver<Delivery>,
    /// The dispatcher's jobs out, to the outbox thread (cluster mode).
    outbox: Edge<paho_mqtt::Message>,
}

/// Starts the thread that processes CEs: the coordinator around `pipeline`,
/// or without one (cluster mode) the dispatcher.
fn spawn_processor(
    config: &Config,
    pipeline: Option<Pipeline>,
    link: &mqtt_link::MqttLink,
    inputs: ProcessorInputs,
    conclusions: Conclusions,
    shared: &ServiceShared,
) -> std::thread::JoinHandle<()> {
    match pipeline {
        Some(pipeline) => {
            let params = config.plan.clone();
            let links = coordinator::CoordinatorLinks {
                ready: inputs.ready,
                reviews: inputs.reviews,
            };
            spawn("coordinator", move || {
                coordinator::run_coordinator(pipeline, params, links, conclusions, DRAIN_LIMIT)
            })
        }
        None => {
            let timeouts = LedgerTimeouts {
                claim: config.cluster.claim_timeout,
                job: config.cluster.job_timeout,
            };
            let Edge {
                tx: outbox,
                rx: outbox_rx,
            } = inputs.outbox;
            let client = link.client.clone();
            let outbox_thread = spawn("outbox", move || outbox::run_outbox(outbox_rx, client));
            let dispatcher = dispatcher::Dispatcher::new(
                outbox,
                ClusterTopics::new(&config.cluster.topic),
                config.storage_path.clone(),
                timeouts,
                conclusions,
                shared.clone(),
            );
            let links = dispatcher::DispatcherLinks {
                ready: inputs.ready,
                reviews: inputs.reviews,
                cluster: inputs.cluster,
            };
            spawn("dispatcher", move || {
                dispatcher.run(links);
                let _ = outbox_thread.join();
            })
        }
    }
}

/// Runs the service until `shutdown` is set, then drains and returns.
pub fn run_service(config: &Config, shutdown: Arc<AtomicBool>) -> Result<(), ServiceError> {
    let events_dir = config.storage_path.join("events");
    std::fs::create_dir_all(&events_dir).map_err(|source| ServiceError::Storage {
        path: events_dir.display().to_string(),
        source,
    })?;
    // A cluster's ingest node processes nothing itself: no pipeline, no GPU.
    let metrics = ServiceMetrics::new();
    let pipeline = if config.cluster.enabled {
        tracing::info!(jobs = %ClusterTopics::new(&config.cluster.topic).jobs(), storage = %config.storage_path.display(), "cluster mode: consolidated events go to workers");
        None
    } else {
        let (pipeline, backends) = start_pipeline(config)?;
        tracing::info!(backend = backends.accelerator, storage = %config.storage_path.display(), "pipeline started");
        metrics.set_summary_encoder(backends.encoder.into());
        Some(pipeline)
    };
    let shared = ServiceShared::new(metrics);
    let started_at = std::time::Instant::now();
    let channels = ServiceChannels::new(&config.pipeline.service_channels);
    let mut telemetry = pipeline.as_ref().map(|p| p.telemetry().clone()).unwrap_or_default();
    telemetry.queues.extend(channels.gauges.iter().cloned());
    let bind = format!("{}:{}", config.api.host, config.api.port);
    let bind = bind
        .parse()
        .or_else(|_| {
            std::net::ToSocketAddrs::to_socket_addrs(&bind)?
                .next()
                .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "resolves to no address"))
        })
        .map_err(|source| ServiceError::ApiAddress {
            address: bind.clone(),
            source,
        })?;
    let (metrics_shared, active_shared) = (shared.clone(), shared.clone());
    let api = spawn_api(
        ApiConfig {
            bind,
            storage: config.storage_path.clone(),
            token: config.api.token.clone(),
            stats_refresh: config.reports.stats_refresh,
        },
        ApiHooks {
            metrics: Arc::new(move || {
                crate::metrics::render(&metrics_shared.metrics, &telemetry, started_at.elapsed().as_secs_f64())
            }),
            is_active: Arc::new(move |folder| active_shared.is_active(folder)),
        },
    )?;
    tracing::info!(address = %api.local_addr(), "HTTP API listening");
    let cluster_topics = config
        .cluster
        .enabled
        .then(|| ClusterTopics::new(&config.cluster.topic));
    let mut topics = subscriptions(&config.mqtt.topic_prefix);
    topics.extend(cluster_topics.iter().flat_map(ClusterTopics::ingest_subscriptions));
    let link = mqtt_link::open(&config.mqtt, LinkProfile::service(&config.mqtt, topics))?;

    let ServiceChannels {
        fetch: Edge {
            tx: fetch_tx,
            rx: fetch_rx,
        },
        ready: Edge {
            tx: ready_tx,
            rx: ready_rx,
        },
        notify: Edge {
            tx: notify_tx,
            rx: notify_rx,
        },
        reviews: Edge {
            tx: reviews_tx,
            rx: reviews_rx,
        },
        cluster: Edge {
            tx: cluster_tx,
            rx: cluster_rx,
        },
        outbox,
        snapshots,
        quick_titles: quick_title_edge,
        gauges: _,
    } = channels;

    let notifications = config.notifications.clone();
    let (pushover_tx, pushover_thread) = match notifications.pushover {
        Some(settings) => {
            let (tx, rx) = crossbeam_channel::bounded(64);
            let client = pushover::PushoverClient::new(settings);
            (
                Some(tx),
                Some(spawn("pushover", move || pushover::run_pushover(rx, client))),
            )
        }
        None => (None, None),
    };
    let outputs = notifier::NotifierOutputs {
        client: link.client.clone(),
        topic: notifications.topic,
        home_assistant: notifications.enabled,
        pushover: pushover_tx,
        public_url: notifications.public_url,
    };
    let notifier = spawn("notifier", move || notifier::run_notifier(notify_rx, outputs));
    let frigate = FrigateClient::new(&config.frigate_url, FetchPolicy::for_settings(&config.fetch));
    let fetch_workers = config.fetch.workers;
    let (ready_for_fetch, fetch_shared, fetch_stop) = (ready_tx.clone(), shared.clone(), shutdown.clone());
    let (quick_titles, quick_title_thread) = match config
        .ai
        .as_ref()
        .and_then(|ai| ai.quick_title_delay.map(|delay| (ai, delay)))
    {
        Some((ai, delay)) => {
            let Edge { tx: jobs, rx: jobs_rx } = quick_title_edge;
            let (client, notify, shared) = (crate::assemble::ai_client(ai), notify_tx.clone(), shared.clone());
            let thread = spawn("quick-title", move || {
                quick_title::run_quick_titles(jobs_rx, client, notify, shared)
            });
            (Some(fetch::QuickTitles { jobs, delay }), Some(thread))
        }
        None => (None, None),
    };
    let links = fetch::Links {
        snapshot_lane: snapshots,
        snapshots: fetch::SnapshotLinks {
            notify: notify_tx.clone(),
            public_url: config.notifications.public_url.clone(),
            quick_titles,
        },
    };
    let fetcher = spawn("fetch", move || {
        fetch::run_fetch(
            fetch_rx,
            frigate,
            ready_for_fetch,
            links,
            fetch_shared,
            &fetch_stop,
            fetch_workers,
        )
    });
    let conclusions = Conclusions::new(
        ConclusionSettings {
            public_url: config.notifications.public_url.clone(),
            frigate_genai: config.frigate_genai,
        },
        notify_tx.clone(),
        shared.clone(),
    );
    let inputs = ProcessorInputs {
        ready: ready_rx,
        reviews: reviews_rx,
        cluster: cluster_rx,
        outbox,
    };
    let processor = spawn_processor(config, pipeline, &link, inputs, conclusions, &shared);

    let notify_resume = notify_tx.clone();
    let retention_shared = shared.clone();
    let ingest_links = IngestLinks {
        fetch: fetch_tx.clone(),
        notify: notify_tx,
        reviews: config.frigate_genai.then_some(reviews_tx),
        cluster: cluster_topics.map(|topics| ClusterRoute {
            topics,
            dispatcher: cluster_tx,
        }),
    };
    let mut ingest = Ingest::new(
        Lifecycle::new(lifecycle_config(config)),
        events_dir,
        config.mqtt.topic_prefix.clone(),
        ingest_links,
        shared,
    );
    // Before resuming, which journals new due notifications of its own.
    let unsent = conclusions::resend_unsent(&config.storage_path, &notify_resume);
    let resumed = unsent.and_then(|unsent| {
        if unsent > 0 {
            tracing::info!(count = unsent, "notifications the broker never accepted sent again");
        }
        resume::resume(
            &config.storage_path,
            &mut ingest,
            &fetch_tx,
            &ready_tx,
            &notify_resume,
            &config.notifications.public_url,
        )
    });
    drop((fetch_tx, ready_tx, notify_resume));
    // Retention starts once the journals are replayed: a resumed CE is marked active by then
    // (so it is kept), and a folder being quarantined is not swept from under the resume.
    let (storage, retention_days, retention_stop) =
        (config.storage_path.clone(), config.retention_days, shutdown.clone());
    let retention = spawn("retention", move || {
        retention_thread::run_retention(&storage, retention_days, &retention_shared, &retention_stop)
    });
    let daily_reports = config.ai.as_ref().map(|ai| {
        let (storage, client, settings, stop) = (
            config.storage_path.clone(),
            crate::assemble::ai_client(ai),
            config.reports.clone(),
            shutdown.clone(),
        );
        spawn("daily-report", move || {
            daily_report_thread::run_daily_reports(&storage, &client, &settings, &stop)
        })
    });
    let (ingest_stop, ingest_draining) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
    let mut ingest_thread = None;
    let started = resumed.map_err(ServiceError::from).and_then(|count| {
        if count > 0 {
            tracing::info!(count, "unfinished consolidated events resumed");
        }
        // The ingest thread drains the link's inbox from before the connection
        // exists: the persistent session's queued messages arrive at once.
        let (inbox, stop, draining) = (link.inbox.clone(), ingest_stop.clone(), ingest_draining.clone());
        ingest_thread = Some(spawn("ingest", move || ingest.run(&inbox, &stop, &draining)));
        let give_up = || shutdown.load(Ordering::Relaxed);
        let connected = link.connect(&config.mqtt, &give_up);
        if connected.is_ok() {
            tracing::info!(broker = %link.uri, "listening for Frigate events");
            while !shutdown.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        connected.map_err(ServiceError::from)
    });
    if started.is_err() {
        // The fetch, retention and processing threads run until shutdown is
        // set; without this a failed start would wait for them forever while
        // the HTTP API went on answering.
        shutdown.store(true, Ordering::Relaxed);
    }
    // Shutdown order: the ingest thread goes on consuming (and journaling,
    // so every message is acknowledged after its effect) while it stops
    // handing work on; the fetch, processing and notifier threads drain,
    // the notifier publishing over the still-connected link; only then the
    // link closes and the ingest thread stops.
    tracing::info!("shutting down: draining fetches, consolidated events and notifications in flight");
    ingest_draining.store(true, Ordering::Relaxed);
    let _ = fetcher.join();
    if let Some(quick_title_thread) = quick_title_thread {
        let _ = quick_title_thread.join();
    }
    let _ = processor.join();
    let _ = notifier.join();
    // The notifier's end closed the Pushover queue: it sends what waits, then ends.
    if let Some(pushover) = pushover_thread {
        let _ = pushover.join();
    }
    if started.is_ok() {
        link.close();
    }
    link.stop_handing_over();
    ingest_stop.store(true, Ordering::Relaxed);
    if let Some(ingest) = ingest_thread {
        let _ = ingest.join();
    }
    let _ = retention.join();
    if let Some(daily_reports) = daily_reports {
        let _ = daily_reports.join();
    }
    if let Err(err) = api.stop() {
        tracing::warn!("{err}");
    }
    started
}
