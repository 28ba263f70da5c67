//! The ids Frigate gives events and review items (`"<start_ts>-<6 chars>"`), checked as they are
//! decoded.
//!
//! Owns the rule for an id read from MQTT: not empty, only ASCII letters, digits, `.`, `_` and
//! `-`, and not `.` or `..`. An id that passes is one plain segment in a URL or a path and holds
//! no control character. It may not look at anything but the id.

use serde::{de, Deserialize, Deserializer};

/// Reads an id and rejects one that is not a plain Frigate id.
pub(super) fn frigate_id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let id = String::deserialize(deserializer)?;
    check(&id).map_err(de::Error::custom)?;
    Ok(id)
}

/// `Ok` when `id` is a plain Frigate id, else what is wrong with it.
fn check(id: &str) -> Result<(), String> {
    let plain = id
        .bytes()
        .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-'));
    if id.is_empty() || id == "." || id == ".." || !plain {
        return Err(format!(
            "id {id:?} is not a Frigate id (letters, digits, '.', '_' and '-', not '.' or '..')"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frigate_ids_pass() {
        for id in ["1719302408.721564-4xm2ka", "a", "1607123955.475377-mxklsc"] {
            assert_eq!(check(id), Ok(()), "{id}");
        }
    }

    #[test]
    fn ids_that_could_leave_a_url_or_forge_a_log_line_are_rejected() {
        for id in [
            "",
            ".",
            "..",
            "../x",
            "a/b",
            "/abs",
            "a\\b",
            "id\u{1b}[31m",
            "id\nforged",
            "a b",
            "a?b",
        ] {
            assert!(check(id).is_err(), "{id:?}");
        }
        assert_eq!(
            check("x\u{1b}").unwrap_err(),
            r#"id "x\u{1b}" is not a Frigate id (letters, digits, '.', '_' and '-', not '.' or '..')"#
        );
    }
}
