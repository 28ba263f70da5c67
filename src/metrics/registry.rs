//! The service's own counters and gauges, shared as `Arc<ServiceMetrics>`.
//!
//! Owns every number the service (MQTT link, CE coordinator, stages, storage
//! watcher) reports about itself, as lock-free atomics that any thread may bump.
//! It does not format anything (that is `exposition`) and does not measure
//! anything itself: callers report what happened.

use super::histogram::LatencyHistogram;
use crate::encode::ffmpeg_pipe::H264Codec;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

/// A fixed set of values one metric is broken down by, so every series
/// exists (at zero) from start-up and no label value is ever made up at run
/// time.
pub trait LabelSet: Copy + 'static {
    /// Every value, in exposition order.
    const ALL: &'static [Self];
    /// The label value as written in the exposition.
    fn label(self) -> &'static str;
    /// Position of this value in [`LabelSet::ALL`].
    fn index(self) -> usize;
}

/// Declares a [`LabelSet`] enum: each variant with the label value it
/// stands for.
macro_rules! label_set {
    (
        $(#[$doc:meta])*
        $name:ident { $($(#[$variant_doc:meta])* $variant:ident => $label:literal,)+ }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$variant_doc])* $variant,)+
        }

        impl LabelSet for $name {
            const ALL: &'static [Self] = &[$(Self::$variant,)+];

            fn label(self) -> &'static str {
                match self {
                    $(Self::$variant => $label,)+
                }
            }

            fn index(self) -> usize {
                self as usize
            }
        }
    };
}

label_set! {
    /// The Frigate MQTT topic a malformed message arrived on.
    MqttTopic {
        /// `frigate/events`.
        Events => "events",
        /// `frigate/reviews`.
        Reviews => "reviews",
        /// `frigate/tracked_object_update`.
        TrackedObjectUpdate => "tracked_object_update",
        /// `frigate/available`.
        Available => "available",
        /// Any other topic.
        Other => "other",
    }
}

label_set! {
    /// The kind of work that failed, for `errors_total{kind}`.
    ErrorKind {
        /// Reading a clip's metadata.
        Probe => "probe",
        /// Decoding video frames.
        Decode => "decode",
        /// Running the object detector.
        Detect => "detect",
        /// Encoding the summary video or preview.
        Encode => "encode",
        /// Fetching clips or snapshots from Frigate.
        Fetch => "fetch",
        /// Reading or appending the CE journal.
        Journal => "journal",
        /// Calling the AI endpoint.
        Ai => "ai",
        /// Sending a notification.
        Notify => "notify",
        /// Writing a CE's outputs to a full storage.
        Storage => "storage",
        /// A CE set aside at start-up (`-quarantined`): its journal could not be replayed.
        Quarantine => "quarantine",
    }
}

label_set! {
    /// How a consolidated event ended, for `ces_total{state}`.
    CeFinalState {
        /// Summary produced and `clip_ready` sent.
        Finished => "finished",
        /// Processing gave up.
        Failed => "failed",
        /// Too short; its folder was removed.
        Discarded => "discarded",
        /// Too long; its folder was suffixed `-canceled`.
        Canceled => "canceled",
    }
}

label_set! {
    /// Where a consolidated event still in flight is, for `ces_in_flight{stage}`.
    CeStage {
        /// Collecting Frigate events, close timer running.
        Open => "open",
        /// Closed; exporting clips from Frigate.
        Fetching => "fetching",
        /// Clips on disk; sidecars, summary video and AI in progress.
        Processing => "processing",
    }
}

label_set! {
    /// The pipeline step a frame passed through, for `frames_total{stage}`.
    FrameStage {
        /// Decoded from a clip.
        Decode => "decode",
        /// Run through the detector.
        Detect => "detect",
        /// Cropped and composed into a summary frame.
        Render => "render",
        /// Handed to the encoder.
        Encode => "encode",
    }
}

impl MqttTopic {
    /// Classifies a full MQTT topic (`frigate/events`, `frigate/reviews`, ...)
    /// by its last segment, so the configured topic prefix does not matter.
    pub fn classify(topic: &str) -> Self {
        let last_segment = topic.rsplit('/').next().unwrap_or(topic);
        Self::ALL
            .iter()
            .copied()
            .find(|known| *known != Self::Other && known.label() == last_segment)
            .unwrap_or(Self::Other)
    }
}

/// One atomic value per label of `L`.
#[derive(Debug)]
pub struct LabelledValues<L: LabelSet> {
    /// Indexed by [`LabelSet::index`].
    values: Box<[AtomicU64]>,
    /// Ties the storage to its label set.
    labels: PhantomData<L>,
}

impl<L: LabelSet> LabelledValues<L> {
    /// All values at zero.
    fn new() -> Self {
        Self {
            values: L::ALL.iter().map(|_| AtomicU64::new(0)).collect(),
            labels: PhantomData,
        }
    }

    /// Adds `amount` to the value of `label`.
    fn add(&self, label: L, amount: u64) {
        self.values[label.index()].fetch_add(amount, Ordering::Relaxed);
    }

    /// Takes one from the value of `label`, stopping at zero so an unmatched
    /// leave can never wrap a gauge round to 2^64.
    fn decrement(&self, label: L) {
        // The closure always returns `Some`, so the update cannot fail.
        let _ = self.values[label.index()].fetch_update(Ordering::Relaxed, Ordering::Relaxed, |value| {
            Some(value.saturating_sub(1))
        });
    }

    /// The current value of `label`.
    pub fn get(&self, label: L) -> u64 {
        self.values[label.index()].load(Ordering::Relaxed)
    }

    /// Every label with its current value, in [`LabelSet::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        L::ALL.iter().map(|label| (label.label(), self.get(*label)))
    }
}

/// Upper bounds of the `ce_close_to_summary_seconds` buckets.
pub const CE_CLOSE_TO_SUMMARY_BUCKETS: [Duration; 8] = [
    Duration::from_secs(5),
    Duration::from_secs(10),
    Duration::from_secs(20),
    Duration::from_secs(30),
    Duration::from_secs(60),
    Duration::from_secs(120),
    Duration::from_secs(300),
    Duration::from_secs(600),
];

label_set! {
    /// The FFmpeg encoder that wrote a summary video, for `summaries_encoded_total{encoder}`.
    SummaryEncoder {
        /// libx264 on the CPU.
        Libx264 => "libx264",
        /// NVENC on an NVIDIA GPU.
        H264Nvenc => "h264_nvenc",
    }
}

impl From<H264Codec> for SummaryEncoder {
    fn from(codec: H264Codec) -> Self {
        match codec {
            H264Codec::Libx264 => Self::Libx264,
            H264Codec::Nvenc { .. } => Self::H264Nvenc,
        }
    }
}

/// Every service-level metric; lock-free, shared as `Arc<ServiceMetrics>`.
#[derive(Debug)]
pub struct ServiceMetrics {
    /// MQTT messages received, well-formed or not.
    mqtt_messages: AtomicU64,
    /// MQTT messages that could not be parsed, by topic.
    mqtt_malformed: LabelledValues<MqttTopic>,
    /// Failures by kind of work.
    errors: LabelledValues<ErrorKind>,
    /// Consolidated events by how they ended.
    ces: LabelledValues<CeFinalState>,
    /// Consolidated events in flight by stage.
    ces_in_flight: LabelledValues<CeStage>,
    /// Time from a CE's close to its summary video being ready.
    ce_close_to_summary: LatencyHistogram,
    /// Frames through each pipeline step.
    frames: LabelledValues<FrameStage>,
    /// The encoder this run writes summaries with, as its position in `SummaryEncoder::ALL`.
    summary_encoder: AtomicUsize,
    /// Summary videos written, by encoder.
    summaries_encoded: LabelledValues<SummaryEncoder>,
    /// Bytes under the storage folder, as last measured by the caller.
    storage_bytes: AtomicU64,
}

impl ServiceMetrics {
    /// All metrics at zero (as [`Default`]).
    pub fn new() -> Self {
        Self {
            mqtt_messages: AtomicU64::new(0),
            mqtt_malformed: LabelledValues::new(),
            errors: LabelledValues::new(),
            ces: LabelledValues::new(),
            ces_in_flight: LabelledValues::new(),
            ce_close_to_summary: LatencyHistogram::new(&CE_CLOSE_TO_SUMMARY_BUCKETS),
            frames: LabelledValues::new(),
            summary_encoder: AtomicUsize::new(SummaryEncoder::Libx264.index()),
            summaries_encoded: LabelledValues::new(),
            storage_bytes: AtomicU64::new(0),
        }
    }

    /// Counts one MQTT message received.
    pub fn record_mqtt_message(&self) {
        self.mqtt_messages.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one MQTT message that could not be parsed.
    pub fn record_mqtt_malformed(&self, topic: MqttTopic) {
        self.mqtt_malformed.add(topic, 1);
    }

    /// Counts one failure of `kind`.
    pub fn record_error(&self, kind: ErrorKind) {
        self.errors.add(kind, 1);
    }

    /// Counts one CE that reached its final state.
    pub fn record_ce_final_state(&self, state: CeFinalState) {
        self.ces.add(state, 1);
    }

    /// Counts one CE entering `stage`.
    pub fn enter_ce_stage(&self, stage: CeStage) {
        self.ces_in_flight.add(stage, 1);
    }

    /// Counts one CE leaving `stage` (never below zero).
    pub fn leave_ce_stage(&self, stage: CeStage) {
        self.ces_in_flight.decrement(stage);
    }

    /// Records how long a CE took from close to summary video.
    pub fn observe_ce_close_to_summary(&self, latency: Duration) {
        self.ce_close_to_summary.observe(latency);
    }

    /// Counts `count` frames through `stage`.
    pub fn add_frames(&self, stage: FrameStage, count: u64) {
        self.frames.add(stage, count);
    }

    /// Records the encoder chosen at start-up for every summary of this run.
    pub fn set_summary_encoder(&self, encoder: SummaryEncoder) {
        self.summary_encoder.store(encoder.index(), Ordering::Relaxed);
    }

    /// Counts one summary video written by the encoder of this run.
    pub fn record_summary_encoded(&self) {
        let encoder = SummaryEncoder::ALL[self.summary_encoder.load(Ordering::Relaxed)];
        self.summaries_encoded.add(encoder, 1);
    }

    /// Records the bytes now under the storage folder.
    pub fn set_storage_bytes(&self, bytes: u64) {
        self.storage_bytes.store(bytes, Ordering::Relaxed);
    }

    /// MQTT messages received so far.
    pub fn mqtt_messages(&self) -> u64 {
        self.mqtt_messages.load(Ordering::Relaxed)
    }

    /// Malformed MQTT messages by topic.
    pub fn mqtt_malformed(&self) -> &LabelledValues<MqttTopic> {
        &self.mqtt_malformed
    }

    /// Failures by kind.
    pub fn errors(&self) -> &LabelledValues<ErrorKind> {
        &self.errors
    }

    /// CEs by final state.
    pub fn ces(&self) -> &LabelledValues<CeFinalState> {
        &self.ces
    }

    /// CEs in flight by stage.
    pub fn ces_in_flight(&self) -> &LabelledValues<CeStage> {
        &self.ces_in_flight
    }

    /// The close-to-summary latency histogram.
    pub fn ce_close_to_summary(&self) -> &LatencyHistogram {
        &self.ce_close_to_summary
    }

    /// Frames by pipeline step.
    pub fn frames(&self) -> &LabelledValues<FrameStage> {
        &self.frames
    }

    /// Summary videos written, by encoder.
    pub fn summaries_encoded(&self) -> &LabelledValues<SummaryEncoder> {
        &self.summaries_encoded
    }

    /// Bytes under the storage folder, as last recorded.
    pub fn storage_bytes(&self) -> u64 {
        self.storage_bytes.load(Ordering::Relaxed)
    }
}

impl Default for ServiceMetrics {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_topics_by_last_segment() {
        assert_eq!(MqttTopic::classify("frigate/events"), MqttTopic::Events);
        assert_eq!(
            MqttTopic::classify("nvr/frigate/tracked_object_update"),
            MqttTopic::TrackedObjectUpdate
        );
        assert_eq!(MqttTopic::classify("available"), MqttTopic::Available);
        assert_eq!(MqttTopic::classify("frigate/stats"), MqttTopic::Other);
        assert_eq!(MqttTopic::classify("frigate/other"), MqttTopic::Other);
    }

    #[test]
    fn label_indexes_match_their_position_in_all() {
        for (position, kind) in ErrorKind::ALL.iter().enumerate() {
            assert_eq!(kind.index(), position);
        }
        assert_eq!(ErrorKind::ALL.len(), 10);
        assert_eq!(ErrorKind::Notify.label(), "notify");
        assert_eq!(ErrorKind::Storage.label(), "storage");
        assert_eq!(ErrorKind::Quarantine.label(), "quarantine");
    }

    #[test]
    fn counters_add_per_label() {
        let metrics = ServiceMetrics::new();
        metrics.record_error(ErrorKind::Fetch);
        metrics.record_error(ErrorKind::Fetch);
        metrics.record_error(ErrorKind::Ai);
        metrics.add_frames(FrameStage::Decode, 250);
        metrics.record_mqtt_message();
        metrics.record_mqtt_malformed(MqttTopic::Reviews);
        assert_eq!(metrics.errors().get(ErrorKind::Fetch), 2);
        assert_eq!(metrics.errors().get(ErrorKind::Ai), 1);
        assert_eq!(metrics.errors().get(ErrorKind::Probe), 0);
        assert_eq!(metrics.frames().get(FrameStage::Decode), 250);
        assert_eq!(metrics.mqtt_messages(), 1);
        assert_eq!(metrics.mqtt_malformed().get(MqttTopic::Reviews), 1);
    }

    #[test]
    fn in_flight_gauge_moves_between_stages_and_stops_at_zero() {
        let metrics = ServiceMetrics::new();
        metrics.enter_ce_stage(CeStage::Open);
        metrics.enter_ce_stage(CeStage::Open);
        metrics.leave_ce_stage(CeStage::Open);
        metrics.enter_ce_stage(CeStage::Fetching);
        metrics.leave_ce_stage(CeStage::Processing);
        let in_flight: Vec<_> = metrics.ces_in_flight().iter().collect();
        assert_eq!(in_flight, vec![("open", 1), ("fetching", 1), ("processing", 0)]);
    }
}
