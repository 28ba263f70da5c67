//! A lock-free latency histogram with fixed bucket bounds.
//!
//! Owns the bucket counts and the running sum of observed durations. It knows
//! nothing of metric names or the text format; `exposition` turns a
//! [`HistogramSnapshot`] into Prometheus lines.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Counts durations into buckets whose upper bounds are fixed at construction.
#[derive(Debug)]
pub struct LatencyHistogram {
    /// Inclusive upper bounds, ascending; the `+Inf` bucket is implicit.
    bounds: &'static [Duration],
    /// Observations per bucket (not cumulative); one more entry than
    /// `bounds`, the last one holding observations above every bound.
    bucket_counts: Box<[AtomicU64]>,
    /// Sum of all observations in nanoseconds, so it can be added without a
    /// compare-and-swap loop on a float.
    sum_nanos: AtomicU64,
}

/// A point-in-time copy of a [`LatencyHistogram`], in Prometheus terms.
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramSnapshot {
    /// Upper bound in seconds of each finite bucket, with the cumulative
    /// number of observations at or below it.
    pub cumulative_buckets: Vec<(f64, u64)>,
    /// Number of observations; also the value of the `+Inf` bucket. Computed
    /// from the same bucket reads, so the two can never disagree.
    pub count: u64,
    /// Sum of all observations in seconds.
    pub sum_seconds: f64,
}

impl LatencyHistogram {
    /// An empty histogram over `bounds`, which must be ascending.
    pub fn new(bounds: &'static [Duration]) -> Self {
        debug_assert!(bounds.windows(2).all(|pair| pair[0] < pair[1]));
        Self {
            bounds,
            bucket_counts: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum_nanos: AtomicU64::new(0),
        }
    }

    /// Records one observation in the first bucket whose bound is at or
    /// above it.
    pub fn observe(&self, value: Duration) {
        let bucket = self.bounds.partition_point(|bound| *bound < value);
        self.bucket_counts[bucket].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(value.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// Copies the histogram with cumulative bucket counts.
    pub fn snapshot(&self) -> HistogramSnapshot {
        let mut running = 0;
        let mut cumulative_buckets = Vec::with_capacity(self.bounds.len());
        for (bound, bucket) in self.bounds.iter().zip(self.bucket_counts.iter()) {
            running += bucket.load(Ordering::Relaxed);
            cumulative_buckets.push((bound.as_secs_f64(), running));
        }
        let overflow = self.bucket_counts[self.bounds.len()].load(Ordering::Relaxed);
        HistogramSnapshot {
            cumulative_buckets,
            count: running + overflow,
            sum_seconds: self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOUNDS: [Duration; 3] = [Duration::from_secs(5), Duration::from_secs(10), Duration::from_secs(20)];

    #[test]
    fn counts_are_cumulative_and_bounds_inclusive() {
        let histogram = LatencyHistogram::new(&BOUNDS);
        for seconds in [1, 5, 6, 10, 25, 30] {
            histogram.observe(Duration::from_secs(seconds));
        }
        let snapshot = histogram.snapshot();
        assert_eq!(snapshot.cumulative_buckets, vec![(5.0, 2), (10.0, 4), (20.0, 4)]);
        assert_eq!(snapshot.count, 6);
        assert!((snapshot.sum_seconds - 77.0).abs() < 1e-9);
    }

    #[test]
    fn sub_second_observations_keep_their_fraction_in_the_sum() {
        let histogram = LatencyHistogram::new(&BOUNDS);
        histogram.observe(Duration::from_millis(250));
        histogram.observe(Duration::from_millis(1500));
        let snapshot = histogram.snapshot();
        assert!((snapshot.sum_seconds - 1.75).abs() < 1e-9);
        assert_eq!(snapshot.cumulative_buckets[0], (5.0, 2));
    }

    #[test]
    fn empty_histogram_reports_zeroes() {
        let snapshot = LatencyHistogram::new(&BOUNDS).snapshot();
        assert_eq!(snapshot.count, 0);
        assert_eq!(snapshot.sum_seconds, 0.0);
        assert!(snapshot.cumulative_buckets.iter().all(|(_, n)| *n == 0));
    }
}
