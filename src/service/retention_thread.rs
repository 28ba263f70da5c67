//! The retention thread: once at start-up and then hourly, deletes CE folders
//! older than `retention_days` (never `saved/`, never an active CE) and
//! refreshes the storage-size gauge.

use super::shared::ServiceShared;
use crate::metrics::disk_usage_bytes;
use crate::retention::sweep;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

/// Time between two sweeps.
const SWEEP_INTERVAL: Duration = Duration::from_secs(3600);

/// Sweeps until `shutdown` is set.
pub fn run_retention(storage: &Path, retention_days: f64, shared: &ServiceShared, shutdown: &AtomicBool) {
    let mut next = Instant::now();
    while !shutdown.load(Ordering::Relaxed) {
        if Instant::now() >= next {
            match sweep(storage, SystemTime::now(), retention_days, &|folder| {
                shared.is_active(folder)
            }) {
                Ok(report) if !report.deleted.is_empty() => tracing::info!(
                    deleted = report.deleted.len(),
                    freed_bytes = report.freed_bytes,
                    "old consolidated events deleted"
                ),
                Ok(_) => {}
                Err(err) => tracing::error!("retention: {err}"),
            }
            shared.metrics.set_storage_bytes(disk_usage_bytes(storage));
            next = Instant::now() + SWEEP_INTERVAL;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}
