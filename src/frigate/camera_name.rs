//! [`CameraName`]: a Frigate camera name, checked once where it enters the service (MQTT payloads,
//! the `cameras:` configuration).
//!
//! Owns the rule of what a camera name may contain. Frigate itself only allows `[A-Za-z0-9_-]`,
//! so a name that passes is always one plain path segment (never `.`, `..`, empty, absolute or
//! with a separator) and holds no control character; folder and file names are built from it
//! safely. It may not decide what to do with a rejected name; the caller reports it.

use std::fmt;

/// A camera name made only of ASCII letters, digits, `_` and `-`, and not empty.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Deserialize, serde::Serialize)]
#[serde(try_from = "String", into = "String")]
pub struct CameraName(String);

/// Why a string is not a camera name; its message quotes the name with escapes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CameraNameError {
    /// The name is the empty string.
    #[error("camera name must not be empty")]
    Empty,
    /// The name holds a character Frigate does not allow in a camera name.
    #[error("camera name {name:?} may only contain letters, digits, '_' and '-'")]
    InvalidCharacter {
        /// The rejected name.
        name: String,
    },
}

impl CameraName {
    /// Checks `name` against Frigate's camera name rule.
    pub fn parse(name: &str) -> Result<Self, CameraNameError> {
        if name.is_empty() {
            return Err(CameraNameError::Empty);
        }
        if !name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-'))
        {
            return Err(CameraNameError::InvalidCharacter { name: name.to_owned() });
        }
        Ok(Self(name.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CameraName {
    type Error = CameraNameError;

    fn try_from(name: String) -> Result<Self, Self::Error> {
        Self::parse(&name)
    }
}

impl From<CameraName> for String {
    fn from(name: CameraName) -> Self {
        name.0
    }
}

impl AsRef<str> for CameraName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl AsRef<std::path::Path> for CameraName {
    fn as_ref(&self) -> &std::path::Path {
        self.0.as_ref()
    }
}

impl PartialEq<str> for CameraName {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for CameraName {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for CameraName {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

impl fmt::Display for CameraName {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frigate_camera_names_are_accepted() {
        for name in ["front_door", "Garage-2", "cam1", "_", "-"] {
            assert_eq!(CameraName::parse(name).unwrap().as_str(), name);
        }
    }

    #[test]
    fn names_that_could_leave_a_folder_or_forge_a_log_line_are_rejected() {
        assert_eq!(CameraName::parse(""), Err(CameraNameError::Empty));
        for name in [
            ".",
            "..",
            "../../../x",
            "/abs/path",
            "a/b",
            "a\\b",
            "cam\u{1b}[31m",
            "cam\nINFO forged",
            "front door",
            "caméra",
            "cam\0",
        ] {
            assert_eq!(
                CameraName::parse(name),
                Err(CameraNameError::InvalidCharacter { name: name.into() }),
                "{name:?}"
            );
        }
    }

    #[test]
    fn the_error_quotes_control_characters_escaped() {
        let error = CameraName::parse("cam\u{1b}[31m").unwrap_err().to_string();
        assert_eq!(
            error,
            r#"camera name "cam\u{1b}[31m" may only contain letters, digits, '_' and '-'"#
        );
    }

    #[test]
    fn deserialising_checks_the_name() {
        assert_eq!(
            serde_json::from_str::<CameraName>(r#""porch""#).unwrap(),
            CameraName::parse("porch").unwrap()
        );
        let error = serde_json::from_str::<CameraName>(r#""../x""#).unwrap_err().to_string();
        assert!(error.starts_with(r#"camera name "../x" may only contain"#), "{error}");
    }
}
