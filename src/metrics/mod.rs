//! Service observability: the metrics registry, its Prometheus text
//! exposition, and the storage size gauge's measurement.
//!
//! - [`registry`]: [`ServiceMetrics`], the lock-free counters and gauges the
//!   service bumps, and the fixed label sets they are broken down by.
//! - [`histogram`]: the lock-free latency histogram.
//! - [`exposition`]: [`render`], the Prometheus text format over the service
//!   metrics and the pipeline telemetry.
//! - [`disk_usage_bytes`]: the bytes under a folder, for `storage_bytes`.
//!
//! This module serves nothing over HTTP and changes no file; it only counts,
//! measures and formats.

pub mod exposition;
pub mod histogram;
pub mod registry;

pub use exposition::render;
pub use histogram::{HistogramSnapshot, LatencyHistogram};
pub use registry::{
    CeFinalState, CeStage, ErrorKind, FrameStage, LabelSet, LabelledValues, MqttTopic, ServiceMetrics, SummaryEncoder,
    CE_CLOSE_TO_SUMMARY_BUCKETS,
};

use std::fs;
use std::path::Path;

/// Sums the sizes of the regular files under `path` (or of `path` itself if
/// it is a file), without following symbolic links, so a link out of storage
/// is never counted. Entries that vanish or cannot be read while walking
/// count as zero: the figure is a gauge, not an inventory.
pub fn disk_usage_bytes(path: &Path) -> u64 {
    let mut total: u64 = 0;
    let mut pending = vec![path.to_path_buf()];
    while let Some(current) = pending.pop() {
        let Ok(metadata) = fs::symlink_metadata(&current) else {
            continue;
        };
        if metadata.is_file() {
            total = total.saturating_add(metadata.len());
        } else if metadata.is_dir() {
            if let Ok(entries) = fs::read_dir(&current) {
                pending.extend(entries.flatten().map(|entry| entry.path()));
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_nested_files_and_skips_symlinks() {
        let storage = tempfile::tempdir().expect("temp dir");
        let outside = tempfile::tempdir().expect("temp dir");
        fs::write(outside.path().join("big.bin"), vec![0u8; 10_000]).expect("write");
        let nested = storage.path().join("events").join("1700000000_abcdef12");
        fs::create_dir_all(&nested).expect("mkdir");
        fs::write(storage.path().join("a.txt"), b"hello").expect("write");
        fs::write(nested.join("clip.mp4"), vec![0u8; 1000]).expect("write");
        std::os::unix::fs::symlink(outside.path(), storage.path().join("escape")).expect("link");
        std::os::unix::fs::symlink(outside.path().join("big.bin"), nested.join("big.bin")).expect("link");
        assert_eq!(disk_usage_bytes(storage.path()), 1005);
        assert_eq!(disk_usage_bytes(&nested.join("clip.mp4")), 1000);
    }

    #[test]
    fn missing_folder_is_empty() {
        let storage = tempfile::tempdir().expect("temp dir");
        assert_eq!(disk_usage_bytes(&storage.path().join("absent")), 0);
    }
}
