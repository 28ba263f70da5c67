//! The settings of the stats page and the daily review (`settings.stats_refresh_seconds`,
//! `settings.daily_report_*`, `settings.report_*`), under the previous service's key names.
//!
//! Owns their defaults and validation only; the daily review runs only when the `ai:` section is
//! configured, which `config::runtime` decides.

use super::raw::RawSettings;
use super::ConfigError;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The stats page and the daily review.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportSettings {
    /// How long the stats page's figures are reused before the CE folders are read again.
    pub stats_refresh: Duration,
    /// Local hour (0-23) at which the previous day's review is written.
    pub daily_report_hour: u32,
    /// Days a review is kept.
    pub daily_report_retention_days: u32,
    /// The review's prompt file; `None`: the built-in prompt.
    pub prompt_file: Option<PathBuf>,
    /// A person the household knows, named in the prompt.
    pub known_person_name: Option<String>,
}

impl Default for ReportSettings {
    /// The previous service's defaults: 60 s, 01:00, 90 days.
    fn default() -> Self {
        Self {
            stats_refresh: Duration::from_secs(60),
            daily_report_hour: 1,
            daily_report_retention_days: 90,
            prompt_file: None,
            known_person_name: None,
        }
    }
}

impl ReportSettings {
    /// Reads and checks the keys; `resolve` makes a relative prompt file relative to the
    /// configuration file.
    ///
    /// # Errors
    /// [`ConfigError::InvalidKey`] naming the key when a value is out of range.
    pub fn from_raw(
        settings: &RawSettings,
        source: &Path,
        resolve: impl Fn(PathBuf) -> PathBuf,
    ) -> Result<Self, ConfigError> {
        let defaults = Self::default();
        let refresh = settings
            .stats_refresh_seconds
            .unwrap_or(defaults.stats_refresh.as_secs());
        if refresh == 0 {
            return Err(ConfigError::invalid(
                source,
                "settings.stats_refresh_seconds",
                "must be at least 1",
            ));
        }
        let hour = settings
            .daily_report_schedule_hour
            .unwrap_or(defaults.daily_report_hour);
        if hour > 23 {
            return Err(ConfigError::invalid(
                source,
                "settings.daily_report_schedule_hour",
                format!("must be an hour from 0 to 23, got {hour}"),
            ));
        }
        let retention = settings
            .daily_report_retention_days
            .unwrap_or(defaults.daily_report_retention_days);
        if retention == 0 {
            return Err(ConfigError::invalid(
                source,
                "settings.daily_report_retention_days",
                "must be at least 1",
            ));
        }
        Ok(Self {
            stats_refresh: Duration::from_secs(refresh),
            daily_report_hour: hour,
            daily_report_retention_days: retention,
            prompt_file: settings
                .report_prompt_file
                .clone()
                .filter(|path| !path.as_os_str().is_empty())
                .map(resolve),
            known_person_name: settings
                .report_known_person_name
                .clone()
                .filter(|name| !name.trim().is_empty()),
        })
    }
}
