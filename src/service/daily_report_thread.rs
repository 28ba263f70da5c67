//! The daily review thread: when AI analysis is configured, once the local clock passes
//! `settings.daily_report_schedule_hour`, writes the previous day's review if it is not saved yet
//! (so a service started after that hour catches up), then deletes reviews older than
//! `settings.daily_report_retention_days`. A failed review is tried again after [`RETRY_AFTER`].
//!
//! Decides only when; what a review holds and where it goes is
//! [`crate::ai::daily_report::generate_report`]'s.

use crate::ai::daily_report::{generate_report, list_reports, prune_reports, ReportPrompt};
use crate::ai::AiClient;
use crate::config::ReportSettings;
use chrono::{Local, NaiveDate, NaiveDateTime, Timelike};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How often the clock is looked at.
const CHECK_INTERVAL: Duration = Duration::from_secs(30);

/// How long after a failed review it is tried again.
pub const RETRY_AFTER: Duration = Duration::from_secs(30 * 60);

/// Writes the reviews until `shutdown` is set.
pub fn run_daily_reports(storage: &Path, client: &AiClient, settings: &ReportSettings, shutdown: &AtomicBool) {
    let prompt = ReportPrompt {
        file: settings.prompt_file.clone(),
        known_person_name: settings.known_person_name.clone(),
    };
    let mut next_check = Instant::now();
    let mut pruned_on: Option<NaiveDate> = None;
    while !shutdown.load(Ordering::Relaxed) {
        if Instant::now() >= next_check {
            next_check = Instant::now() + CHECK_INTERVAL;
            let now = Local::now().naive_local();
            if let Some(date) = report_due(now, settings.daily_report_hour) {
                let saved = list_reports(storage).is_ok_and(|dates| dates.contains(&date));
                if !saved {
                    match generate_report(storage, date, client, &prompt) {
                        Ok(report) => tracing::info!(%date, ces = report.ces.len(), "daily review written"),
                        Err(err) => {
                            tracing::error!("{err}");
                            next_check = Instant::now() + RETRY_AFTER;
                        }
                    }
                }
            }
            if pruned_on != Some(now.date()) {
                pruned_on = Some(now.date());
                match prune_reports(storage, now.date(), settings.daily_report_retention_days) {
                    Ok(removed) if !removed.is_empty() => {
                        tracing::info!(deleted = removed.len(), "old daily reviews deleted")
                    }
                    Ok(_) => {}
                    Err(err) => tracing::error!("{err}"),
                }
            }
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The day whose review is due at local time `now`: yesterday, once `hour` has come; `None`
/// before that.
pub fn report_due(now: NaiveDateTime, hour: u32) -> Option<NaiveDate> {
    (now.hour() >= hour).then(|| now.date().pred_opt()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yesterday_is_due_from_the_scheduled_hour_on() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let at = |hour, minute| day.and_hms_opt(hour, minute, 0).unwrap();
        assert_eq!(report_due(at(0, 59), 1), None);
        assert_eq!(report_due(at(1, 0), 1), NaiveDate::from_ymd_opt(2026, 2, 28));
        assert_eq!(report_due(at(23, 59), 1), NaiveDate::from_ymd_opt(2026, 2, 28));
        assert_eq!(report_due(at(0, 0), 0), NaiveDate::from_ymd_opt(2026, 2, 28));
    }
}
