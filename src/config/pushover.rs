//! The `notifications.pushover:` section: Pushover as an optional second notifier, under the
//! previous service's key names.
//!
//! Owns the section's serde shape, its validation (an enabled notifier needs both keys) and
//! its defaults. It does not send anything (see `service::pushover`).

use super::error::ConfigError;
pub use crate::notify::PushoverSettings;
use serde::Deserialize;
use std::path::Path;

/// Pushover's message endpoint.
pub const PUSHOVER_API_URL: &str = "https://api.pushover.net/1/messages.json";

/// `notifications.pushover.*`
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawPushover {
    /// Send notifications to Pushover too.
    pub enabled: Option<bool>,
    /// The user (or group) key messages go to.
    pub pushover_user_key: Option<String>,
    /// The application's API token.
    pub pushover_api_token: Option<String>,
    /// Only this device of the user (absent: all of them).
    pub device: Option<String>,
    /// The sound name (absent: the user's default).
    pub default_sound: Option<String>,
    /// 1: the message is HTML; 0: plain text.
    pub html: Option<u8>,
    /// The endpoint messages are posted to (a proxy, or a test server).
    pub api_url: Option<String>,
}

impl PushoverSettings {
    /// The notifier the section describes: `None` when it is not enabled.
    pub fn from_raw(raw: RawPushover, source: &Path) -> Result<Option<PushoverSettings>, ConfigError> {
        if !raw.enabled.unwrap_or(false) {
            return Ok(None);
        }
        let required = |value: Option<String>, key: &str| {
            value
                .map(|text| text.trim().to_string())
                .filter(|text| !text.is_empty())
                .ok_or_else(|| {
                    ConfigError::invalid(source, key, "required when notifications.pushover.enabled is true")
                })
        };
        let token = required(raw.pushover_api_token, "notifications.pushover.pushover_api_token")?;
        let user = required(raw.pushover_user_key, "notifications.pushover.pushover_user_key")?;
        let html = match raw.html.unwrap_or(1) {
            0 => false,
            1 => true,
            other => {
                return Err(ConfigError::invalid(
                    source,
                    "notifications.pushover.html",
                    format!("must be 0 or 1, got {other}"),
                ))
            }
        };
        let optional = |value: Option<String>| {
            value
                .map(|text| text.trim().to_string())
                .filter(|text| !text.is_empty())
        };
        Ok(Some(PushoverSettings {
            token,
            user,
            device: optional(raw.device),
            sound: optional(raw.default_sound),
            html,
            api_url: optional(raw.api_url).unwrap_or_else(|| PUSHOVER_API_URL.to_string()),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(enabled: bool, token: Option<&str>) -> RawPushover {
        RawPushover {
            enabled: Some(enabled),
            pushover_user_key: Some("u123".into()),
            pushover_api_token: token.map(str::to_string),
            ..RawPushover::default()
        }
    }

    #[test]
    fn disabled_or_absent_is_no_notifier() {
        let source = Path::new("config.yaml");
        assert_eq!(
            PushoverSettings::from_raw(RawPushover::default(), source).unwrap(),
            None
        );
        assert_eq!(PushoverSettings::from_raw(raw(false, None), source).unwrap(), None);
    }

    #[test]
    fn enabled_takes_the_previous_services_defaults() {
        let settings = PushoverSettings::from_raw(raw(true, Some(" a456 ")), Path::new("config.yaml"))
            .unwrap()
            .unwrap();
        assert_eq!(
            settings,
            PushoverSettings {
                token: "a456".into(),
                user: "u123".into(),
                device: None,
                sound: None,
                html: true,
                api_url: PUSHOVER_API_URL.into(),
            }
        );
    }

    #[test]
    fn enabled_without_a_token_names_the_key() {
        let error = PushoverSettings::from_raw(raw(true, Some("  ")), Path::new("config.yaml")).unwrap_err();
        let text = error.to_string();
        assert!(text.contains("config.yaml"), "{text}");
        assert!(text.contains("notifications.pushover.pushover_api_token"), "{text}");
    }

    #[test]
    fn html_other_than_zero_or_one_is_refused() {
        let bad = RawPushover {
            html: Some(2),
            ..raw(true, Some("a456"))
        };
        let text = PushoverSettings::from_raw(bad, Path::new("config.yaml"))
            .unwrap_err()
            .to_string();
        assert!(text.contains("notifications.pushover.html"), "{text}");
    }
}
