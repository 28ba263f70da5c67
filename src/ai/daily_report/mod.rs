//! The daily review: once a day, the previous day's CEs (titles, threat levels, times, cameras)
//! are sent to the OpenAI-compatible endpoint with a report prompt, and its answer is saved as
//! `<storage>/daily_reports/<date>.md` with `<date>.json` beside it.
//!
//! - [`entries`]: the day's CEs, from their journals and `analysis_result.json`.
//! - [`prompt`]: the built-in report prompt and the placeholders a prompt file may use.
//! - [`store`]: saving, listing, reading and pruning the reports.
//!
//! Owns [`generate_report`], "build + ask + save" for one date; when it runs is the service's
//! (`service::daily_report_thread`). It reads CE folders and writes only under `daily_reports/`.

pub mod entries;
pub mod prompt;
pub mod store;

pub use entries::{day_entries, ReportEntry};
pub use prompt::{ReportPrompt, BUILT_IN_PROMPT};
pub use store::{list_reports, prune_reports, read_report, save_report, SavedReport, REPORTS_DIR};

use crate::ai::client::AiClient;
use crate::ai::error::AiError;
use crate::ce::journal::JournalError;
use chrono::NaiveDate;
use std::path::{Path, PathBuf};

/// Why a daily report was not made.
#[derive(Debug, thiserror::Error)]
pub enum DailyReportError {
    /// The CE folders could not be listed.
    #[error("daily report: {0}")]
    Journal(#[from] JournalError),
    /// The report prompt file could not be read.
    #[error("{}: cannot read the report prompt (settings.report_prompt_file): {source}", path.display())]
    Prompt {
        /// The prompt file.
        path: PathBuf,
        /// The I/O failure.
        source: std::io::Error,
    },
    /// The endpoint gave no report.
    #[error("daily report for {date}: {source}")]
    Ai {
        /// The report's date.
        date: NaiveDate,
        /// Why.
        source: AiError,
    },
    /// The report could not be written.
    #[error("{}: cannot save the daily report: {source}", path.display())]
    Save {
        /// The file or folder.
        path: PathBuf,
        /// The I/O failure.
        source: std::io::Error,
    },
}

/// Builds the list of `date`'s CEs (local time), asks `client` for a report with `prompt`, and
/// saves it under `<storage>/daily_reports/`. A day without CEs is reported too, so the page
/// shows every day the service ran, but without asking the endpoint: there is nothing to review,
/// and a service started for the first time does not spend a request on an empty yesterday.
///
/// # Errors
/// See [`DailyReportError`]; nothing is saved on an error.
pub fn generate_report(
    storage: &Path,
    date: NaiveDate,
    client: &AiClient,
    prompt: &ReportPrompt,
) -> Result<SavedReport, DailyReportError> {
    let entries = day_entries(storage, date)?;
    let (model, markdown) = if entries.is_empty() {
        (
            String::new(),
            format!("# {date}\n\nNo consolidated events were recorded on this day.\n"),
        )
    } else {
        let (system, user) = prompt.render(date, &entries)?;
        let markdown = client
            .complete_text(&system, &user)
            .map_err(|source| DailyReportError::Ai { date, source })?;
        (client.model().to_string(), markdown)
    };
    let report = SavedReport {
        date,
        generated_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        model,
        ces: entries,
        markdown,
    };
    save_report(storage, &report)?;
    Ok(report)
}
