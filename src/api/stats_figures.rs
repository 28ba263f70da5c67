//! The figures behind `/api/stats`: CEs per day (the last [`DAYS`] local days), per camera and by
//! outcome, the median and 95th percentile of their processing time (journal `opened` →
//! `finished`), errors by kind and storage used; and their cache.
//!
//! Owns the figures' JSON shape, their computation and their cache: the CE folders are read
//! (through [`crate::ce::journal::histories`]) at most once per `settings.stats_refresh_seconds`.
//! Errors and storage come from the service's metrics text (the `/metrics` hook), the API's one
//! window onto the metrics. It only reads, and knows no route.

use super::error::RequestError;
use crate::ce::journal::{histories, CeHistory, Conclusion};
use chrono::{DateTime, Local, NaiveDate};
use serde::Serialize;
use std::collections::BTreeMap;
use std::future::Future;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How many local days the per-day counts cover, today included.
pub const DAYS: usize = 14;

/// Name of the errors counter in the metrics text; its label is `kind`.
const ERRORS_METRIC: &str = "frigate_buffer_errors_total{kind=\"";

/// Name of the storage gauge in the metrics text.
const STORAGE_METRIC: &str = "frigate_buffer_storage_bytes";

/// The figures `/api/stats` answers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    /// When the CE folders were read, epoch seconds.
    pub generated_at: f64,
    /// How long these figures are reused; the page refreshes as often.
    pub refresh_seconds: u64,
    /// Every CE with a readable journal.
    pub total_ces: usize,
    /// CEs by the local day they started, oldest first, the last [`DAYS`] days.
    pub days: Vec<DayCount>,
    /// CEs by camera (a CE counts for each of its cameras), most first.
    pub cameras: Vec<CameraCount>,
    /// CEs by how they ended: `finished`, `summary_failed`, `discarded`, `canceled`,
    /// `in_progress`.
    pub outcomes: BTreeMap<&'static str, usize>,
    /// Opening → finishing of the finished CEs.
    pub processing: ProcessingTimes,
    /// `errors_total` by kind, since the service started.
    pub errors: BTreeMap<String, u64>,
    /// Journals that could not be read.
    pub unreadable_journals: usize,
    /// Bytes under the storage folder, as last measured by the service.
    pub storage_bytes: Option<u64>,
}

/// CEs of one local day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayCount {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// CEs that started that day.
    pub ces: usize,
}

/// CEs of one camera.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CameraCount {
    /// The camera.
    pub camera: String,
    /// CEs it took part in.
    pub ces: usize,
}

/// Processing times of the finished CEs, seconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProcessingTimes {
    /// How many finished CEs were measured.
    pub count: usize,
    /// Their median; `None` without any.
    pub median_seconds: Option<f64>,
    /// Their 95th percentile (nearest rank); `None` without any.
    pub p95_seconds: Option<f64>,
}

/// The last figures and when they were computed, shared by the requests. One request at a time
/// computes; those arriving meanwhile wait for its figures instead of each reading every journal.
#[derive(Clone)]
pub struct StatsCache {
    /// How long figures are reused.
    refresh: Duration,
    /// The last figures.
    last: Arc<Mutex<Option<(Instant, Stats)>>>,
    /// Held while figures are being computed.
    computing: Arc<tokio::sync::Mutex<()>>,
}

impl StatsCache {
    /// An empty cache that keeps figures for `refresh`.
    pub fn new(refresh: Duration) -> Self {
        Self {
            refresh,
            last: Arc::new(Mutex::new(None)),
            computing: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// How long figures are reused.
    pub fn refresh(&self) -> Duration {
        self.refresh
    }

    /// The cached figures while fresh; else those `compute` gives, kept for the next requests.
    /// One computation at a time: requests arriving meanwhile wait and take its figures.
    pub async fn get_or_compute(
        &self,
        compute: impl Future<Output = Result<Stats, RequestError>>,
    ) -> Result<Stats, RequestError> {
        if let Some(stats) = self.fresh() {
            return Ok(stats);
        }
        let _turn = self.computing.lock().await;
        if let Some(stats) = self.fresh() {
            return Ok(stats);
        }
        let stats = compute.await?;
        *self.last.lock().unwrap_or_else(PoisonError::into_inner) = Some((Instant::now(), stats.clone()));
        Ok(stats)
    }

    /// The cached figures when still fresh.
    fn fresh(&self) -> Option<Stats> {
        let last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        last.as_ref()
            .filter(|(at, _)| at.elapsed() < self.refresh)
            .map(|(_, stats)| stats.clone())
    }
}

/// The figures for the CE folders under `storage` and the metrics text `metrics`, as of `now`.
pub fn compute(storage: &Path, metrics: &str, refresh: Duration, now: DateTime<Local>) -> Result<Stats, RequestError> {
    let found = histories(storage).map_err(|error| RequestError::Io {
        path: storage.to_path_buf(),
        source: std::io::Error::other(error.to_string()),
    })?;
    let today = now.date_naive();
    let days: Vec<NaiveDate> = (0..DAYS as u64)
        .rev()
        .filter_map(|back| today.checked_sub_days(chrono::Days::new(back)))
        .collect();
    let mut per_day: BTreeMap<NaiveDate, usize> = days.iter().map(|day| (*day, 0)).collect();
    let mut per_camera: BTreeMap<&str, usize> = BTreeMap::new();
    let mut outcomes: BTreeMap<&'static str, usize> =
        ["finished", "summary_failed", "discarded", "canceled", "in_progress"]
            .into_iter()
            .map(|outcome| (outcome, 0))
            .collect();
    let mut processing = Vec::new();
    for ce in &found.ces {
        if let Some(count) = start_day(ce).and_then(|day| per_day.get_mut(&day)) {
            *count += 1;
        }
        for camera in &ce.cameras {
            *per_camera.entry(camera).or_default() += 1;
        }
        *outcomes.entry(outcome_name(ce)).or_default() += 1;
        if matches!(
            ce.concluded,
            Some((_, Conclusion::Finished | Conclusion::SummaryFailed))
        ) {
            processing.extend(ce.processing_seconds());
        }
    }
    let mut cameras: Vec<CameraCount> = per_camera
        .into_iter()
        .map(|(camera, ces)| CameraCount {
            camera: camera.to_string(),
            ces,
        })
        .collect();
    cameras.sort_by(|a, b| b.ces.cmp(&a.ces).then_with(|| a.camera.cmp(&b.camera)));
    processing.sort_by(f64::total_cmp);
    Ok(Stats {
        generated_at: now.timestamp_millis() as f64 / 1000.0,
        refresh_seconds: refresh.as_secs(),
        total_ces: found.ces.len(),
        days: per_day
            .into_iter()
            .map(|(date, ces)| DayCount {
                date: date.format("%Y-%m-%d").to_string(),
                ces,
            })
            .collect(),
        cameras,
        outcomes,
        processing: ProcessingTimes {
            count: processing.len(),
            median_seconds: median(&processing),
            p95_seconds: nearest_rank(&processing, 0.95),
        },
        errors: errors_by_kind(metrics),
        unreadable_journals: found.unreadable.len(),
        storage_bytes: metric_value(metrics, STORAGE_METRIC).map(|bytes| bytes as u64),
    })
}

/// The local day a CE started.
fn start_day(ce: &CeHistory) -> Option<NaiveDate> {
    DateTime::from_timestamp_millis((ce.start_time * 1000.0).round() as i64)
        .map(|utc| utc.with_timezone(&Local).date_naive())
}

/// The outcome a CE counts under.
fn outcome_name(ce: &CeHistory) -> &'static str {
    match ce.concluded {
        None => "in_progress",
        Some((_, Conclusion::Finished)) => "finished",
        Some((_, Conclusion::SummaryFailed)) => "summary_failed",
        Some((_, Conclusion::Discarded)) => "discarded",
        Some((_, Conclusion::Canceled)) => "canceled",
    }
}

/// The median of sorted `values`; `None` when empty.
fn median(sorted: &[f64]) -> Option<f64> {
    let middle = sorted.len() / 2;
    match sorted.len() {
        0 => None,
        len if len % 2 == 1 => Some(sorted[middle]),
        _ => Some((sorted[middle - 1] + sorted[middle]) / 2.0),
    }
}

/// The nearest-rank `quantile` (0..=1) of sorted `values`; `None` when empty.
fn nearest_rank(sorted: &[f64], quantile: f64) -> Option<f64> {
    let rank = (quantile * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len().max(1)) - 1).copied()
}

/// `errors_total` by kind from the metrics text.
fn errors_by_kind(metrics: &str) -> BTreeMap<String, u64> {
    metrics
        .lines()
        .filter_map(|line| line.strip_prefix(ERRORS_METRIC))
        .filter_map(|rest| {
            let (kind, value) = rest.split_once("\"}")?;
            Some((kind.to_string(), value.trim().parse::<f64>().ok()? as u64))
        })
        .collect()
}

/// The value of an unlabelled metric in the metrics text.
fn metric_value(metrics: &str, name: &str) -> Option<f64> {
    metrics.lines().find_map(|line| {
        let rest = line.strip_prefix(name)?;
        let rest = rest.strip_prefix("{}").unwrap_or(rest);
        rest.strip_prefix(' ')?.trim().parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_nearest_rank_percentile() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[10.0, 20.0, 30.0]), Some(20.0));
        assert_eq!(median(&[10.0, 20.0, 30.0, 40.0]), Some(25.0));
        assert_eq!(nearest_rank(&[], 0.95), None);
        let hundred: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(nearest_rank(&hundred, 0.95), Some(95.0));
        assert_eq!(nearest_rank(&[10.0, 20.0, 30.0, 40.0], 0.95), Some(40.0));
    }

    #[test]
    fn errors_and_storage_are_read_from_the_metrics_text() {
        let text = "# HELP frigate_buffer_errors_total Failures.\n\
                    frigate_buffer_errors_total{kind=\"fetch\"} 2\n\
                    frigate_buffer_errors_total{kind=\"ai\"} 0\n\
                    frigate_buffer_storage_bytes{} 123456\n";
        let errors = errors_by_kind(text);
        assert_eq!(errors.get("fetch"), Some(&2));
        assert_eq!(errors.get("ai"), Some(&0));
        assert_eq!(metric_value(text, STORAGE_METRIC), Some(123_456.0));
        assert_eq!(
            metric_value("frigate_buffer_storage_bytes 7\n", STORAGE_METRIC),
            Some(7.0)
        );
    }
}
