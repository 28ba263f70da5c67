//! Per-stage counters and queue gauges.
//!
//! Owns the numbers each stage reports about itself (items handled, errors,
//! time spent busy, memory in use on its GPU) and the depth of every bounded channel, in a form a
//! `/metrics` endpoint, the `bench` command or a progress display can read
//! from any thread without locks.

use super::owner_board::OwnerBoard;
use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Counters of one stage thread.
#[derive(Debug)]
pub struct StageCounters {
    /// Stage name as shown in metrics (`probe`, `accelerator`, ...).
    pub name: &'static str,
    /// Messages fully handled.
    items: AtomicU64,
    /// Messages whose handling failed.
    errors: AtomicU64,
    /// Jobs the stage's device failed and its fallback backend ran.
    fallbacks: AtomicU64,
    /// Nanoseconds spent handling messages (not waiting for them).
    busy_nanos: AtomicU64,
    /// Ordinal of the stage's GPU, [`NO_DEVICE`] until its owner reports memory.
    device_ordinal: AtomicU64,
    /// Bytes in use on that GPU, as last reported.
    device_used_bytes: AtomicU64,
    /// When the stage started, the denominator of the busy fraction.
    started: Instant,
}

/// [`StageCounters::device_ordinal`] of a stage that reported no GPU memory.
const NO_DEVICE: u64 = u64::MAX;

/// Memory in use on one GPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DeviceMemory {
    /// The device's ordinal.
    pub ordinal: usize,
    /// Bytes in use on the device (by every process), as the driver reports.
    pub used_bytes: u64,
}

/// A point-in-time copy of [`StageCounters`].
#[derive(Debug, Clone, Serialize)]
pub struct StageSnapshot {
    /// Stage name.
    pub name: &'static str,
    /// Messages handled.
    pub items: u64,
    /// Messages that failed.
    pub errors: u64,
    /// Jobs run again on a fallback backend.
    pub fallbacks: u64,
    /// Seconds spent busy.
    pub busy_seconds: f64,
    /// Busy time over wall time since the stage started.
    pub busy_fraction: f64,
    /// Memory last reported in use on the stage's GPU; `None` off the GPU.
    pub device_memory: Option<DeviceMemory>,
}

impl StageCounters {
    /// New zeroed counters for stage `name`.
    pub fn new(name: &'static str) -> Arc<Self> {
        Arc::new(Self {
            name,
            items: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            fallbacks: AtomicU64::new(0),
            busy_nanos: AtomicU64::new(0),
            device_ordinal: AtomicU64::new(NO_DEVICE),
            device_used_bytes: AtomicU64::new(0),
            started: Instant::now(),
        })
    }

    /// Records one handled message and how long it kept the stage busy.
    pub fn record(&self, busy: Duration, ok: bool) {
        self.items.fetch_add(1, Ordering::Relaxed);
        if !ok {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
        let nanos = u64::try_from(busy.as_nanos()).unwrap_or(u64::MAX);
        self.busy_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// Sets the number of jobs a fallback backend ran (the backend counts them).
    pub fn set_fallbacks(&self, total: u64) {
        self.fallbacks.store(total, Ordering::Relaxed);
    }

    /// Records the memory in use on the stage's GPU (its owner reports it).
    pub fn set_device_memory(&self, memory: DeviceMemory) {
        self.device_used_bytes.store(memory.used_bytes, Ordering::Relaxed);
        self.device_ordinal.store(memory.ordinal as u64, Ordering::Relaxed);
    }

    /// The memory last reported in use on the stage's GPU; `None` off the GPU.
    pub fn device_memory(&self) -> Option<DeviceMemory> {
        let ordinal = self.device_ordinal.load(Ordering::Relaxed);
        (ordinal != NO_DEVICE).then(|| DeviceMemory {
            ordinal: ordinal as usize,
            used_bytes: self.device_used_bytes.load(Ordering::Relaxed),
        })
    }

    /// Copies the counters.
    pub fn snapshot(&self) -> StageSnapshot {
        let busy_seconds = self.busy_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let wall = self.started.elapsed().as_secs_f64().max(1e-9);
        StageSnapshot {
            name: self.name,
            items: self.items.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            fallbacks: self.fallbacks.load(Ordering::Relaxed),
            busy_seconds,
            busy_fraction: (busy_seconds / wall).min(1.0),
            device_memory: self.device_memory(),
        }
    }
}

/// Reads the current depth of one bounded channel.
pub struct QueueGauge {
    /// Channel name (the edge it carries: `probe`, `accelerator`, ...).
    pub name: &'static str,
    /// Capacity the channel was created with.
    pub capacity: usize,
    /// Returns the number of queued messages.
    depth: Box<dyn Fn() -> usize + Send + Sync>,
}

impl QueueGauge {
    /// A gauge over a receiver end (holding a receiver never delays shutdown,
    /// which waits for the senders to go).
    pub fn new<T: Send + 'static>(
        name: &'static str,
        capacity: usize,
        receiver: crossbeam_channel::Receiver<T>,
    ) -> Self {
        Self {
            name,
            capacity,
            depth: Box::new(move || receiver.len()),
        }
    }

    /// Messages waiting in the channel now.
    pub fn depth(&self) -> usize {
        (self.depth)()
    }
}

/// Everything a reader of pipeline metrics needs.
#[derive(Clone, Default)]
pub struct PipelineTelemetry {
    /// One entry per stage thread.
    pub stages: Vec<Arc<StageCounters>>,
    /// One entry per bounded channel.
    pub queues: Vec<Arc<QueueGauge>>,
    /// The accelerator owners' board (queued frames, rotation, faults); `None` outside a pipeline.
    pub owners: Option<Arc<OwnerBoard>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_items_errors_and_busy_time() {
        let counters = StageCounters::new("writer");
        counters.record(Duration::from_millis(30), true);
        counters.record(Duration::from_millis(20), false);
        let snapshot = counters.snapshot();
        assert_eq!((snapshot.items, snapshot.errors), (2, 1));
        assert!((snapshot.busy_seconds - 0.05).abs() < 1e-9);
    }

    #[test]
    fn gauge_reads_queue_depth() {
        let (tx, rx) = crossbeam_channel::bounded::<u8>(4);
        let gauge = QueueGauge::new("probe", 4, rx);
        tx.send(1).unwrap();
        tx.send(2).unwrap();
        assert_eq!(gauge.depth(), 2);
    }
}
