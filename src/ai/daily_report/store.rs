//! The saved daily reports: `<storage>/daily_reports/<YYYY-MM-DD>.md` (the report as the endpoint
//! wrote it) and `<YYYY-MM-DD>.json` (the same report with its date, model, time and CEs).
//!
//! Owns that folder: writing both files atomically, listing and reading them, and deleting those
//! older than the retention. It touches nothing else under the storage path.

use super::entries::ReportEntry;
use super::DailyReportError;
use crate::fs_atomic::write_atomic;
use crate::fs_read::read_regular_file;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

/// The folder under the storage path that holds the reports.
pub const REPORTS_DIR: &str = "daily_reports";

/// How a report's date is written in its file names.
const DATE_FORMAT: &str = "%Y-%m-%d";

/// One daily report, as `<date>.json` holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedReport {
    /// The day reported on, `YYYY-MM-DD`.
    #[serde(with = "iso_date")]
    pub date: NaiveDate,
    /// When the report was made, RFC 3339 in UTC.
    pub generated_at: String,
    /// The model that wrote it; empty when the day had no CEs and no model was asked.
    pub model: String,
    /// The CEs it was asked about.
    pub ces: Vec<ReportEntry>,
    /// The report, Markdown as the endpoint wrote it (also `<date>.md`).
    pub markdown: String,
}

/// `YYYY-MM-DD` in JSON.
mod iso_date {
    use super::DATE_FORMAT;
    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the date as `YYYY-MM-DD`.
    pub fn serialize<S: Serializer>(date: &NaiveDate, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&date.format(DATE_FORMAT))
    }

    /// Reads a `YYYY-MM-DD` date.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
        let text = String::deserialize(deserializer)?;
        NaiveDate::parse_from_str(&text, DATE_FORMAT).map_err(serde::de::Error::custom)
    }
}

/// The reports folder under `storage`.
fn reports_dir(storage: &Path) -> PathBuf {
    storage.join(REPORTS_DIR)
}

/// `<storage>/daily_reports/<date>.<extension>`.
fn report_path(storage: &Path, date: NaiveDate, extension: &str) -> PathBuf {
    reports_dir(storage).join(format!("{}.{extension}", date.format(DATE_FORMAT)))
}

/// Writes `report` as `<date>.json` and `<date>.md`, each atomically, replacing an earlier report
/// of the same date.
///
/// # Errors
/// [`DailyReportError::Save`] naming the folder or file that could not be written.
pub fn save_report(storage: &Path, report: &SavedReport) -> Result<(), DailyReportError> {
    let dir = reports_dir(storage);
    fs::create_dir_all(&dir).map_err(|source| DailyReportError::Save { path: dir, source })?;
    let json = serde_json::to_vec_pretty(report).expect("a report always encodes as JSON");
    for (path, bytes) in [
        (report_path(storage, report.date, "json"), json.as_slice()),
        (report_path(storage, report.date, "md"), report.markdown.as_bytes()),
    ] {
        write_atomic(&path, bytes).map_err(|source| DailyReportError::Save { path, source })?;
    }
    Ok(())
}

/// The dates of the saved reports, newest first. A missing folder lists none; files that are
/// not `<YYYY-MM-DD>.json` are ignored.
pub fn list_reports(storage: &Path) -> std::io::Result<Vec<NaiveDate>> {
    let listing = match fs::read_dir(reports_dir(storage)) {
        Ok(listing) => listing,
        Err(error) if error.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error),
    };
    let mut dates = Vec::new();
    for dir_entry in listing {
        let name = dir_entry?.file_name();
        let date = name
            .to_str()
            .and_then(|name| name.strip_suffix(".json"))
            .and_then(|stem| NaiveDate::parse_from_str(stem, DATE_FORMAT).ok());
        dates.extend(date);
    }
    dates.sort_unstable_by(|a, b| b.cmp(a));
    Ok(dates)
}

/// The report of `date`; `None` when there is none.
///
/// # Errors
/// An I/O error when the file exists but cannot be read, `InvalidInput` when it is no regular
/// file (a pipe would block the reader), `InvalidData` when it is not a report.
pub fn read_report(storage: &Path, date: NaiveDate) -> std::io::Result<Option<SavedReport>> {
    let Some(bytes) = read_regular_file(&report_path(storage, date, "json"))? else {
        return Ok(None);
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|error| std::io::Error::new(ErrorKind::InvalidData, error))
}

/// Deletes the reports dated more than `retention_days` before `today` (both files); returns
/// their dates.
///
/// # Errors
/// [`DailyReportError::Save`] naming the folder or file that could not be listed or removed.
pub fn prune_reports(
    storage: &Path,
    today: NaiveDate,
    retention_days: u32,
) -> Result<Vec<NaiveDate>, DailyReportError> {
    let cutoff = today - chrono::Days::new(u64::from(retention_days));
    let dates = list_reports(storage).map_err(|source| DailyReportError::Save {
        path: reports_dir(storage),
        source,
    })?;
    let old: Vec<NaiveDate> = dates.into_iter().filter(|date| *date < cutoff).collect();
    for date in &old {
        for extension in ["md", "json"] {
            let path = report_path(storage, *date, extension);
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(error) if error.kind() == ErrorKind::NotFound => {}
                Err(source) => return Err(DailyReportError::Save { path, source }),
            }
        }
    }
    Ok(old)
}
