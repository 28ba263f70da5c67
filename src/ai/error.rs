//! `AiError`: why an AI analysis produced no result.
//!
//! Owns only the error type shared by the request (`client`) and the answer parser (`parse`).
//! Every message is one line and never contains the API key.

use thiserror::Error;

use super::hourly_cap::CapExceeded;

/// How many characters of an answer or error body an error message quotes.
pub const QUOTED_CHARS: usize = 200;

/// Why an AI analysis produced no result.
#[derive(Debug, Error)]
pub enum AiError {
    /// There were no frames to send, so no request was made.
    #[error("no AI frames to analyse")]
    NoFrames,
    /// The hourly frame cap refused the request before anything was sent.
    #[error(transparent)]
    CapExceeded(#[from] CapExceeded),
    /// The endpoint could not be reached or the exchange broke off (after the retry).
    #[error("AI request to {url} failed: {reason}")]
    Transport {
        /// The chat-completions URL that was called.
        url: String,
        /// The client library's reason, with the API key removed.
        reason: String,
    },
    /// The endpoint answered with a non-success HTTP status (after the retry for 5xx).
    #[error("AI endpoint {url} answered HTTP {status}: {body_head:?}")]
    Status {
        /// The chat-completions URL that was called.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// The first [`QUOTED_CHARS`] characters of the response body, with the API key removed.
        body_head: String,
    },
    /// The answer is not the JSON object the system prompt asks for.
    #[error("AI answer is malformed: {reason}; it starts {answer_head:?}")]
    Malformed {
        /// What is wrong with it.
        reason: String,
        /// The first [`QUOTED_CHARS`] characters of the answer, to see what the model said.
        answer_head: String,
    },
}

impl AiError {
    /// A [`AiError::Malformed`] quoting the start of `answer`.
    pub fn malformed(reason: impl Into<String>, answer: &str) -> Self {
        Self::Malformed {
            reason: reason.into(),
            answer_head: head(answer),
        }
    }
}

/// The first [`QUOTED_CHARS`] characters of `text`.
pub fn head(text: &str) -> String {
    text.chars().take(QUOTED_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_quotes_200_characters_on_one_line() {
        let answer = format!("line one\nline two {}", "é".repeat(300));
        let error = AiError::malformed("no JSON object", &answer);
        let AiError::Malformed { answer_head, .. } = &error else {
            panic!("expected Malformed, got {error:?}");
        };
        assert_eq!(answer_head.chars().count(), 200);
        let message = error.to_string();
        assert!(!message.contains('\n'), "{message}");
        assert!(message.starts_with("AI answer is malformed: no JSON object; it starts \"line one\\nline two é"));
    }
}
