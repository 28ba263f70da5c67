//! What the process's resident memory is made of, for the `bench` reports: the peak, and now
//! the anonymous pages (heap, stacks, buffers: ours and the libraries' allocations) against the
//! file-backed ones (mapped library code and data such as CUDA, cuDNN and ONNX Runtime).
//!
//! Owns reading `/proc/self/status` and `/proc/self/smaps_rollup`; figures are 0 where the
//! kernel does not offer them.

use serde::Serialize;

/// The process's memory, MiB.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct MemoryReport {
    /// Peak resident set size (`VmHWM`).
    pub peak_rss_mib: f64,
    /// Resident set size now.
    pub rss_mib: f64,
    /// Anonymous resident pages now (heap, stacks, allocations of every library).
    pub anonymous_mib: f64,
    /// File-backed resident pages now (mapped libraries and files), `rss − anonymous`.
    pub file_backed_mib: f64,
}

impl MemoryReport {
    /// This process's figures now.
    pub fn now() -> Self {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let rollup = std::fs::read_to_string("/proc/self/smaps_rollup").unwrap_or_default();
        Self::from_proc(&status, &rollup)
    }

    /// The figures from the text of `/proc/<pid>/status` and `/proc/<pid>/smaps_rollup`.
    fn from_proc(status: &str, rollup: &str) -> Self {
        let rss = kib(rollup, "Rss:");
        let anonymous = kib(rollup, "Anonymous:");
        Self {
            // The two files are read one after the other: the peak is at least what came after.
            peak_rss_mib: kib(status, "VmHWM:").max(rss) / 1024.0,
            rss_mib: rss / 1024.0,
            anonymous_mib: anonymous / 1024.0,
            file_backed_mib: (rss - anonymous).max(0.0) / 1024.0,
        }
    }
}

/// The kB figure of the line starting with `key`, 0 when absent.
fn kib(text: &str, key: &str) -> f64 {
    text.lines()
        .find(|line| line.starts_with(key))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|kb| kb.parse().ok())
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rss_splits_into_anonymous_and_file_backed_pages() {
        let status = "Name:\tfrigate-buffer\nVmPeak:\t 9000000 kB\nVmHWM:\t 1206272 kB\nVmRSS:\t 1100000 kB\n";
        let rollup = "55d0c0000000-7ffd00000000 ---p 00000000 00:00 0 [rollup]\nRss:             1048576 kB\nPss:              1000000 kB\nAnonymous:        262144 kB\n";
        let report = MemoryReport::from_proc(status, rollup);
        assert_eq!(report.peak_rss_mib, 1178.0);
        assert_eq!(report.rss_mib, 1024.0);
        assert_eq!(report.anonymous_mib, 256.0);
        assert_eq!(report.file_backed_mib, 768.0);
    }

    #[test]
    fn this_process_has_resident_memory() {
        let report = MemoryReport::now();
        assert!(report.rss_mib > 1.0, "{report:?}");
        assert!(report.peak_rss_mib >= report.rss_mib, "{report:?}");
        assert!(
            report.anonymous_mib + report.file_backed_mib <= report.rss_mib + 0.01,
            "{report:?}"
        );
    }
}
