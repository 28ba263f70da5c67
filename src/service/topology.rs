//! The channels between the service's threads, as ARCHITECTURE.md draws them:
//!
//! ```text
//! MQTT ──▶ ingest ──fetch──▶ fetch stage ──ready──▶ coordinator ──▶ the pipeline
//!            │                    │                  (cluster: dispatcher ──outbox──▶ MQTT jobs)
//!            ├──reviews (GenAI)───┼────────────────▶ coordinator / dispatcher
//!            ├──cluster (claims, results)──────────▶ dispatcher
//!            └──notify──▶ notifier ◀──notify── fetch stage, coordinator, resume
//! fetch stage ──snapshots──▶ snapshot lane ──quick_titles──▶ quick-title thread
//! ```
//!
//! Owns creating every one of them bounded, with the capacities of the pipeline preset's
//! `service_channels`, and a [`QueueGauge`] on each, so `/metrics` shows how full each is
//! (`queue_depth{queue="service_…"}`). It spawns no thread: `run_service` hands each end to its
//! thread.

use super::messages::{FetchRequest, NotifyRequest, ReadyCe, ReviewAnalysis, SnapshotJob};
use super::quick_title::QuickTitleJob;
use crate::config::ServiceChannelCapacities;
use crate::flow::telemetry::QueueGauge;
use crate::mqtt_link::Delivery;
use crossbeam_channel::{Receiver, Sender};
use paho_mqtt as mqtt;
use std::sync::Arc;

/// Both ends of one channel.
pub struct Edge<T> {
    /// The sending end (cloned by every producer).
    pub tx: Sender<T>,
    /// The receiving end (the consumer's).
    pub rx: Receiver<T>,
}

/// Every channel of the service.
pub struct ServiceChannels {
    /// Ingest (and resume) → fetch stage: closed CEs and snapshot requests.
    pub fetch: Edge<FetchRequest>,
    /// Fetch stage (and resume) → coordinator or dispatcher: CEs with their clips on disk.
    pub ready: Edge<ReadyCe>,
    /// Everyone → notifier: notifications.
    pub notify: Edge<NotifyRequest>,
    /// Ingest → coordinator or dispatcher: Frigate's GenAI summaries.
    pub reviews: Edge<ReviewAnalysis>,
    /// Ingest → dispatcher: the cluster's claims, results and worker statuses.
    pub cluster: Edge<Delivery>,
    /// Dispatcher → outbox thread: cluster jobs to publish.
    pub outbox: Edge<mqtt::Message>,
    /// Fetch stage → snapshot lane: new CEs' snapshots to download.
    pub snapshots: Edge<SnapshotJob>,
    /// Snapshot lane → quick-title thread: snapshots to title (when quick titles are on).
    pub quick_titles: Edge<QuickTitleJob>,
    /// One gauge per channel, for `/metrics`.
    pub gauges: Vec<Arc<QueueGauge>>,
}

impl ServiceChannels {
    /// Every channel, bounded by `capacities`.
    pub fn new(capacities: &ServiceChannelCapacities) -> Self {
        let mut gauges = Vec::new();
        let fetch = edge("service_fetch", capacities.fetch, &mut gauges);
        let ready = edge("service_ready", capacities.ready, &mut gauges);
        let notify = edge("service_notify", capacities.notify, &mut gauges);
        let reviews = edge("service_reviews", capacities.reviews, &mut gauges);
        let cluster = edge("service_cluster", capacities.cluster, &mut gauges);
        let outbox = edge("service_outbox", capacities.outbox, &mut gauges);
        let snapshots = edge("service_snapshots", capacities.snapshots, &mut gauges);
        let quick_titles = edge("service_quick_titles", capacities.quick_titles, &mut gauges);
        Self {
            fetch,
            ready,
            notify,
            reviews,
            cluster,
            outbox,
            snapshots,
            quick_titles,
            gauges,
        }
    }
}

/// A bounded channel named `name`, its gauge added to `gauges`.
fn edge<T: Send + 'static>(name: &'static str, capacity: usize, gauges: &mut Vec<Arc<QueueGauge>>) -> Edge<T> {
    let (tx, rx) = crossbeam_channel::bounded(capacity);
    gauges.push(Arc::new(QueueGauge::new(name, capacity, rx.clone())));
    Edge { tx, rx }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_channel_is_bounded_and_gauged() {
        let capacities = ServiceChannelCapacities {
            fetch: 2,
            ready: 3,
            notify: 4,
            reviews: 5,
            cluster: 6,
            outbox: 7,
            snapshots: 8,
            quick_titles: 9,
        };
        let channels = ServiceChannels::new(&capacities);
        let named: Vec<(&str, usize)> = channels.gauges.iter().map(|g| (g.name, g.capacity)).collect();
        assert_eq!(
            named,
            [
                ("service_fetch", 2),
                ("service_ready", 3),
                ("service_notify", 4),
                ("service_reviews", 5),
                ("service_cluster", 6),
                ("service_outbox", 7),
                ("service_snapshots", 8),
                ("service_quick_titles", 9)
            ]
        );
        let message = || mqtt::Message::new("t", "x", 1);
        for _ in 0..7 {
            channels.outbox.tx.try_send(message()).unwrap();
        }
        assert!(channels.outbox.tx.try_send(message()).is_err(), "the outbox is bounded");
        assert_eq!(channels.gauges[5].depth(), 7);
        assert_eq!(channels.ready.tx.capacity(), Some(3));
    }
}
