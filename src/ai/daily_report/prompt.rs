//! The report prompt: the built-in one or the user's `settings.report_prompt_file`, with the
//! placeholders the previous service filled in, so its prompt files keep working:
//! `{report_date_string}` and `{date}` (the date, `YYYY-MM-DD`), `{report_start_time}` and
//! `{report_end_time}` (the day's first and last second), `{list_of_event_json_objects}` and
//! `{event_list}` (the day's CEs as a JSON list) and `{known_person_name}`
//! (`settings.report_known_person_name`, `Unspecified` when unset).
//!
//! Owns the prompt text only; it sends nothing.

use super::entries::ReportEntry;
use super::DailyReportError;
use chrono::NaiveDate;
use std::path::PathBuf;

/// The prompt used when no `settings.report_prompt_file` is set.
pub const BUILT_IN_PROMPT: &str = include_str!("../../../assets/daily/report_prompt.txt");

/// What `{known_person_name}` becomes when no name is configured (as the previous service did).
const UNSPECIFIED_PERSON: &str = "Unspecified";

/// The user text of a day without CEs.
const NO_EVENTS: &str = "No consolidated events were recorded on this date.";

/// Which prompt to send and what to fill in.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportPrompt {
    /// `settings.report_prompt_file`: read at each report, so edits apply without a restart.
    pub file: Option<PathBuf>,
    /// `settings.report_known_person_name`.
    pub known_person_name: Option<String>,
}

impl ReportPrompt {
    /// The system prompt and the user text for `date`'s `entries`.
    ///
    /// # Errors
    /// [`DailyReportError::Prompt`] when the prompt file cannot be read.
    pub fn render(&self, date: NaiveDate, entries: &[ReportEntry]) -> Result<(String, String), DailyReportError> {
        let template = match &self.file {
            Some(path) => std::fs::read_to_string(path).map_err(|source| DailyReportError::Prompt {
                path: path.clone(),
                source,
            })?,
            None => BUILT_IN_PROMPT.to_string(),
        };
        let list = serde_json::to_string_pretty(entries).unwrap_or_else(|_| "[]".to_string());
        let day = date.format("%Y-%m-%d").to_string();
        let known_person = self
            .known_person_name
            .as_deref()
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .unwrap_or(UNSPECIFIED_PERSON);
        let system = template
            .replace("{date}", &day)
            .replace("{report_date_string}", &day)
            .replace("{report_start_time}", &format!("{day} 00:00:00"))
            .replace("{report_end_time}", &format!("{day} 23:59:59"))
            .replace("{list_of_event_json_objects}", &list)
            .replace("{event_list}", &list)
            .replace("{known_person_name}", known_person);
        let user = if entries.is_empty() {
            NO_EVENTS.to_string()
        } else {
            list
        };
        Ok((system, user))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_and_the_name_defaults() {
        let entry = ReportEntry {
            ce_id: "ce_1_0badf00d".to_string(),
            title: Some("Courier".to_string()),
            summary: None,
            threat_level: Some(0),
            time: "2026-03-01 08:00:00".to_string(),
            cameras: vec!["porch".to_string()],
        };
        let date = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let (system, user) = ReportPrompt::default().render(date, &[entry]).unwrap();
        assert!(system.contains("Daily review - 2026-03-01"), "{system}");
        assert!(system.contains("\"Unspecified\""), "{system}");
        assert!(system.contains("\"title\": \"Courier\""), "{system}");
        assert!(!system.contains("{known_person_name}"), "{system}");
        assert!(user.contains("\"Courier\""));
        let named = ReportPrompt {
            file: None,
            known_person_name: Some(" Alice ".to_string()),
        };
        let (system, user) = named.render(date, &[]).unwrap();
        assert!(system.contains("\"Alice\""));
        assert_eq!(user, NO_EVENTS);
    }
}
