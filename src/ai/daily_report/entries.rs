//! The CEs of one local calendar day, as the daily report lists them: title and threat level
//! from `analysis_result.json`, start time and cameras from the journal.
//!
//! Reads CE folders only. Discarded and canceled CEs are left out: they have no clip to review.

use crate::ai::outputs::read_analysis_result;
use crate::ce::journal::{histories, Conclusion, JournalError};
use chrono::{DateTime, Local, NaiveDate};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One CE in a daily report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportEntry {
    /// `ce_<int start_ts>_<8 hex>`.
    pub ce_id: String,
    /// The AI analysis title; `None` when the CE has no analysis.
    pub title: Option<String>,
    /// The AI analysis summary; `None` when the CE has no analysis.
    pub summary: Option<String>,
    /// 0 normal, 1 worth a look, 2 likely threat; `None` without analysis.
    pub threat_level: Option<u8>,
    /// Start, local time, `YYYY-MM-DD HH:MM:SS`.
    pub time: String,
    /// The CE's cameras.
    pub cameras: Vec<String>,
}

/// The CEs that started on `date` (local time) under `storage`, in start order. Journals that
/// cannot be read are left out (the stats page counts them).
///
/// # Errors
/// [`JournalError::Read`] when a CE parent folder cannot be listed.
pub fn day_entries(storage: &Path, date: NaiveDate) -> Result<Vec<ReportEntry>, JournalError> {
    let mut ces: Vec<_> = histories(storage)?
        .ces
        .into_iter()
        .filter(|ce| !matches!(ce.concluded, Some((_, Conclusion::Discarded | Conclusion::Canceled))))
        .filter_map(|ce| local_time(ce.start_time).map(|start| (start, ce)))
        .filter(|(start, _)| start.date_naive() == date)
        .collect();
    ces.sort_by_key(|(start, _)| *start);
    Ok(ces
        .into_iter()
        .map(|(start, ce)| {
            let analysis = read_analysis_result(&ce.folder);
            ReportEntry {
                ce_id: ce.ce_id,
                title: analysis.as_ref().map(|record| record.result.title.clone()),
                summary: analysis.as_ref().map(|record| record.result.short_summary.clone()),
                threat_level: analysis.as_ref().map(|record| record.result.potential_threat_level),
                time: start.format("%Y-%m-%d %H:%M:%S").to_string(),
                cameras: ce.cameras,
            }
        })
        .collect())
}

/// Epoch seconds as local time; `None` out of range.
pub fn local_time(epoch_seconds: f64) -> Option<DateTime<Local>> {
    DateTime::from_timestamp_millis((epoch_seconds * 1000.0).round() as i64).map(|utc| utc.with_timezone(&Local))
}
