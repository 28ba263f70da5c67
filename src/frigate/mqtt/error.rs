//! The one error type of Frigate MQTT payload decoding.
//!
//! Owns the wording of payload errors: every message is a single line that starts with the topic
//! the payload arrived on and, for a field of the wrong kind, names the field's dotted path. It may
//! not decide what happens to a bad message; the ingest stage logs it, counts it and drops it.

/// Longest part of a rejected `available` payload quoted in an error, in characters.
const QUOTED_PAYLOAD_CHARS: usize = 64;

/// Why a payload on one of our topics could not be decoded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PayloadError {
    /// The payload is not one well-formed JSON document.
    #[error("{topic}: invalid JSON at line {line} column {column}: {message}")]
    InvalidJson {
        /// The MQTT topic the payload arrived on.
        topic: String,
        /// 1-based line of the first offending byte.
        line: usize,
        /// 1-based column of the first offending byte.
        column: usize,
        /// The JSON parser's description, without its position.
        message: String,
    },
    /// The JSON is well formed, but a field is missing or holds the wrong kind of value.
    #[error("{topic}: {field_path}: {message}")]
    InvalidField {
        /// The MQTT topic the payload arrived on.
        topic: String,
        /// Dotted path of the field at fault, e.g. `after.start_time`; `payload` for the document itself.
        field_path: String,
        /// What is wrong with the value, without its position in the payload.
        message: String,
    },
    /// An `available` payload other than `online` or `offline`.
    #[error("{topic}: expected `online` or `offline`, got {payload:?}")]
    InvalidAvailability {
        /// The MQTT topic the payload arrived on.
        topic: String,
        /// The start of the payload (lossily decoded as UTF-8), so a log line stays short.
        payload: String,
    },
}

impl PayloadError {
    /// Describes a JSON decoding failure at `field_path` (as `serde_path_to_error` writes it, `.`
    /// for the document), telling syntax errors from type errors by the parser's classification.
    pub(super) fn from_json(topic: &str, field_path: &str, error: &serde_json::Error) -> Self {
        let message = message_without_position(error);
        if error.classify() == serde_json::error::Category::Data {
            Self::InvalidField {
                topic: topic.to_owned(),
                field_path: if field_path == "." { "payload" } else { field_path }.to_owned(),
                message,
            }
        } else {
            Self::InvalidJson {
                topic: topic.to_owned(),
                line: error.line(),
                column: error.column(),
                message,
            }
        }
    }

    /// Describes an `available` payload that is neither `online` nor `offline`.
    pub(super) fn invalid_availability(topic: &str, payload: &[u8]) -> Self {
        Self::InvalidAvailability {
            topic: topic.to_owned(),
            payload: String::from_utf8_lossy(payload)
                .chars()
                .take(QUOTED_PAYLOAD_CHARS)
                .collect(),
        }
    }
}

/// The parser's message without the ` at line L column C` that `serde_json` appends, so that our
/// own wording can place the position (or leave it out) once.
fn message_without_position(error: &serde_json::Error) -> String {
    let full = error.to_string();
    let position = format!(" at line {} column {}", error.line(), error.column());
    match full.strip_suffix(&position) {
        Some(message) => message.to_owned(),
        None => full,
    }
}
