//! The daily review page (`GET /daily`) and its data: `GET /api/daily` lists the saved reports'
//! dates, newest first; `GET /api/daily/{date}` answers one report (`YYYY-MM-DD`, else 400).
//!
//! Owns serving the reports only; they are made and pruned by the service
//! ([`crate::ai::daily_report`]). It only reads.

use super::error::{run_blocking, RequestError};
use super::pages::assembled;
use super::state::AppState;
use crate::ai::daily_report::{list_reports, read_report, SavedReport, REPORTS_DIR};
use axum::extract::{Path as UrlPath, State};
use axum::response::Html;
use axum::Json;
use chrono::NaiveDate;
use serde::Serialize;
use std::sync::OnceLock;

/// The page, embedded at build time.
const DAILY_HTML: &str = include_str!("../../assets/daily/index.html");

/// The list `/api/daily` answers.
#[derive(Debug, Serialize)]
pub struct ReportList {
    /// The saved reports' dates, `YYYY-MM-DD`, newest first.
    pub dates: Vec<String>,
}

/// Answers `GET /daily` with the page.
pub async fn daily_page() -> Html<&'static str> {
    static PAGE: OnceLock<String> = OnceLock::new();
    Html(assembled(&PAGE, DAILY_HTML))
}

/// Answers `GET /api/daily`.
pub async fn list_daily(State(state): State<AppState>) -> Result<Json<ReportList>, RequestError> {
    let storage = state.storage.clone();
    let dates = run_blocking(move || {
        list_reports(&storage).map_err(|source| RequestError::Io {
            path: storage.join(REPORTS_DIR),
            source,
        })
    })
    .await?;
    Ok(Json(ReportList {
        dates: dates.iter().map(|date| date.format("%Y-%m-%d").to_string()).collect(),
    }))
}

/// Answers `GET /api/daily/{date}`: 400 for a date that is not `YYYY-MM-DD`, 404 when no report
/// of that day is saved.
pub async fn get_daily(
    State(state): State<AppState>,
    UrlPath(date): UrlPath<String>,
) -> Result<Json<SavedReport>, RequestError> {
    let day = parse_date(&date)?;
    let storage = state.storage.clone();
    let report = run_blocking(move || {
        read_report(&storage, day).map_err(|source| RequestError::Io {
            path: storage.join(REPORTS_DIR),
            source,
        })
    })
    .await?;
    report
        .map(Json)
        .ok_or_else(|| RequestError::NotFound(format!("daily report {date}")))
}

/// A `YYYY-MM-DD` date, exactly ten characters (no sign, no padding tricks).
fn parse_date(text: &str) -> Result<NaiveDate, RequestError> {
    let bad = || RequestError::BadRequest(format!("{text:?} is not a date (YYYY-MM-DD)"));
    if text.len() != 10
        || !text.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        })
    {
        return Err(bad());
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_real_iso_dates_are_accepted() {
        assert_eq!(
            parse_date("2026-03-01").unwrap(),
            NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()
        );
        for bad in [
            "2026-02-30",
            "2026-3-01",
            "+2026-03-01",
            "../../etc",
            "2026-03-01x",
            "20260301",
            "",
        ] {
            assert!(matches!(parse_date(bad), Err(RequestError::BadRequest(_))), "{bad}");
        }
    }
}
