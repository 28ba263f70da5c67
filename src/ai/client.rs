//! The OpenAI-compatible chat-completions client that sends the AI frames (SPEC §8) and new CEs'
//! snapshots for their quick title.
//!
//! Owns the request (URL, headers, body), the timeout, the single retry and the hourly frame
//! cap. It renders nothing and writes no files; the answer is parsed by `parse`. The API key is
//! sent only in the `Authorization` header and never appears in errors or `Debug` output.

use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde_json::{json, Value};

use super::error::{head, AiError};
use super::frame_render::AiFrameJpeg;
use super::hourly_cap::HourlyFrameCap;
use super::parse::{completion_text, parse_chat_completion, AnalysisResult};
use super::prompt::{user_text, AnalysisContext, SYSTEM_PROMPT};
use super::quick_title::{quick_title_text, QuickTitle, QUICK_TITLE_PROMPT};

/// How long one request may take, sending the images included (SPEC §8).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Frames allowed per rolling hour (SPEC §8, `ai.frames_per_hour_cap`).
pub const DEFAULT_FRAMES_PER_HOUR_CAP: usize = 200;

/// Sampling temperature: low, so descriptions stay factual and the JSON shape is kept.
const TEMPERATURE: f64 = 0.3;

/// Shown instead of the API key.
const REDACTED: &str = "<redacted>";

/// Where and how to reach the endpoint.
#[derive(Clone)]
pub struct AiSettings {
    /// Endpoint root, e.g. `https://api.openai.com`, `http://localhost:11434` (Ollama) or
    /// `https://generativelanguage.googleapis.com/v1beta/openai` (Gemini); see
    /// [`chat_completions_url`].
    pub base_url: String,
    /// Bearer token, when the endpoint needs one (`ai.api_key`, env `AI_API_KEY`).
    pub api_key: Option<String>,
    /// Model name sent in the body, e.g. `gpt-4o-mini`.
    pub model: String,
    /// Limit for one whole request; see [`DEFAULT_TIMEOUT`].
    pub timeout: Duration,
    /// Most frames sent per rolling hour; see [`DEFAULT_FRAMES_PER_HOUR_CAP`].
    pub frames_per_hour_cap: usize,
}

impl AiSettings {
    /// Settings for `model` at `base_url` with the SPEC defaults for timeout and cap.
    pub fn new(base_url: impl Into<String>, api_key: Option<String>, model: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            api_key,
            model: model.into(),
            timeout: DEFAULT_TIMEOUT,
            frames_per_hour_cap: DEFAULT_FRAMES_PER_HOUR_CAP,
        }
    }
}

impl fmt::Debug for AiSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AiSettings")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| REDACTED))
            .field("model", &self.model)
            .field("timeout", &self.timeout)
            .field("frames_per_hour_cap", &self.frames_per_hour_cap)
            .finish()
    }
}

/// Sends AI frames to an OpenAI-compatible endpoint and parses the answer. Shareable between
/// threads; the hourly cap is shared by all calls on one client.
pub struct AiClient {
    /// Endpoint, key, model and limits.
    settings: AiSettings,
    /// `POST` target, derived once from `settings.base_url`.
    url: String,
    /// HTTP agent with the timeout applied and HTTP statuses returned rather than raised.
    agent: ureq::Agent,
    /// Frames sent within the last hour.
    cap: Mutex<HourlyFrameCap>,
}

impl fmt::Debug for AiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AiClient")
            .field("settings", &self.settings)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl AiClient {
    /// A client for `settings`; nothing is sent until [`AiClient::analyze`].
    pub fn new(settings: AiSettings) -> Self {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(settings.timeout))
            .http_status_as_error(false)
            .build();
        Self {
            url: chat_completions_url(&settings.base_url),
            cap: Mutex::new(HourlyFrameCap::new(settings.frames_per_hour_cap)),
            agent: ureq::Agent::new_with_config(config),
            settings,
        }
    }

    /// The model name sent with every request (recorded in `analysis_result.json`).
    pub fn model(&self) -> &str {
        &self.settings.model
    }

    /// Sends `frames` (in order) with the prompts for `context` and parses the answer. Refuses
    /// without sending when the frames would exceed the hourly cap (they count once reserved,
    /// even if the request then fails). A transport error or 5xx answer is retried once at once.
    pub fn analyze(&self, frames: &[AiFrameJpeg], context: &AnalysisContext) -> Result<AnalysisResult, AiError> {
        if frames.is_empty() {
            return Err(AiError::NoFrames);
        }
        let text = user_text(context, frames.len());
        let jpegs: Vec<&[u8]> = frames.iter().map(|frame| frame.jpeg.as_slice()).collect();
        self.ask(SYSTEM_PROMPT, &text, &jpegs)
    }

    /// Asks for the quick title of a new CE from `snapshot` (a JPEG) of `label` on `camera`:
    /// one image, counted against the hourly cap like an analysis frame, retried as
    /// [`AiClient::analyze`] is.
    pub fn quick_title(&self, snapshot: &[u8], camera: &str, label: &str) -> Result<QuickTitle, AiError> {
        self.ask(QUICK_TITLE_PROMPT, &quick_title_text(camera, label), &[snapshot])
            .map(QuickTitle::from)
    }

    /// Reserves `jpegs` in the hourly cap, sends them after `text` with the `system` prompt and
    /// parses the answer; a transport error or 5xx answer is retried once at once.
    fn ask(&self, system: &str, text: &str, jpegs: &[&[u8]]) -> Result<AnalysisResult, AiError> {
        self.cap
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .try_reserve(jpegs.len(), Instant::now())?;
        let body = self.request_body(system, text, jpegs);
        parse_chat_completion(&self.post_retrying(&body)?)
    }

    /// [`AiClient::post`], once more at once after a transport error or a 5xx answer.
    fn post_retrying(&self, body: &[u8]) -> Result<String, AiError> {
        match self.post(body) {
            Err(error) if is_retryable(&error) => self.post(body),
            first => first,
        }
    }

    /// Sends a text-only exchange (`system` prompt, `user` text) and returns the answer text as
    /// the model wrote it. No frames, so the hourly frame cap is not touched. A transport error or
    /// 5xx answer is retried once at once.
    pub fn complete_text(&self, system: &str, user: &str) -> Result<String, AiError> {
        let body = json!({
            "model": self.settings.model,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": user},
            ],
            "temperature": TEMPERATURE,
        })
        .to_string()
        .into_bytes();
        completion_text(&self.post_retrying(&body)?)
    }

    /// The chat-completions body: the `system` prompt, then the user `text` followed by one
    /// `data:image/jpeg;base64,` image per JPEG.
    fn request_body(&self, system: &str, text: &str, jpegs: &[&[u8]]) -> Vec<u8> {
        let text = json!({"type": "text", "text": text});
        let images = jpegs.iter().map(|jpeg| {
            let url = format!("data:image/jpeg;base64,{}", BASE64.encode(jpeg));
            json!({"type": "image_url", "image_url": {"url": url}})
        });
        let user_content: Vec<Value> = std::iter::once(text).chain(images).collect();
        json!({
            "model": self.settings.model,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": user_content},
            ],
            "temperature": TEMPERATURE,
        })
        .to_string()
        .into_bytes()
    }

    /// One `POST` of `body`; the response text on a 2xx status.
    fn post(&self, body: &[u8]) -> Result<String, AiError> {
        let mut request = self.agent.post(&self.url).header("Content-Type", "application/json");
        if let Some(key) = &self.settings.api_key {
            request = request.header("Authorization", format!("Bearer {key}"));
        }
        let mut response = request.send(body).map_err(|error| self.transport_error(&error))?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(|error| self.transport_error(&error))?;
        if !(200..300).contains(&status) {
            return Err(AiError::Status {
                url: self.url.clone(),
                status,
                body_head: head(&self.redacted(&text)),
            });
        }
        Ok(text)
    }

    /// [`AiError::Transport`] for `error`, without the API key.
    fn transport_error(&self, error: &ureq::Error) -> AiError {
        AiError::Transport {
            url: self.url.clone(),
            reason: self.redacted(&error.to_string()),
        }
    }

    /// `text` with every occurrence of the API key replaced.
    fn redacted(&self, text: &str) -> String {
        match self.settings.api_key.as_deref() {
            Some(key) if !key.is_empty() => text.replace(key, REDACTED),
            _ => text.to_string(),
        }
    }
}

/// Whether a failed attempt is worth one more: the exchange broke off, or the server failed.
fn is_retryable(error: &AiError) -> bool {
    match error {
        AiError::Transport { .. } => true,
        AiError::Status { status, .. } => (500..600).contains(status),
        _ => false,
    }
}

/// The `POST` target for `base_url` (trailing `/` ignored): unchanged when it already ends in
/// `/chat/completions`; `{base_url}/chat/completions` when its last path segment is an API
/// version (`v1`, `v1beta`, …) or `openai` (Gemini's OpenAI endpoint); otherwise
/// `{base_url}/v1/chat/completions`.
pub fn chat_completions_url(base_url: &str) -> String {
    let base = base_url.trim_end_matches('/');
    if base.ends_with("/chat/completions") {
        return base.to_string();
    }
    let last_segment = base.rsplit('/').next().unwrap_or_default();
    let mut chars = last_segment.chars();
    let is_version = chars.next() == Some('v') && chars.next().is_some_and(|c| c.is_ascii_digit());
    if is_version || last_segment == "openai" {
        format!("{base}/chat/completions")
    } else {
        format!("{base}/v1/chat/completions")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_get_exactly_one_version_segment() {
        let cases = [
            ("https://api.openai.com", "https://api.openai.com/v1/chat/completions"),
            ("https://api.openai.com/", "https://api.openai.com/v1/chat/completions"),
            (
                "https://api.openai.com/v1",
                "https://api.openai.com/v1/chat/completions",
            ),
            (
                "http://localhost:11434/v1/",
                "http://localhost:11434/v1/chat/completions",
            ),
            ("http://10.0.0.5:8000", "http://10.0.0.5:8000/v1/chat/completions"),
            (
                "https://generativelanguage.googleapis.com/v1beta/openai/",
                "https://generativelanguage.googleapis.com/v1beta/openai/chat/completions",
            ),
            ("http://gw/v1/chat/completions", "http://gw/v1/chat/completions"),
            ("http://vision.local/api", "http://vision.local/api/v1/chat/completions"),
        ];
        for (base, expected) in cases {
            assert_eq!(chat_completions_url(base), expected, "{base}");
        }
    }

    #[test]
    fn debug_output_hides_the_key() {
        let settings = AiSettings::new("http://x", Some("sk-very-secret".into()), "m");
        let client = AiClient::new(settings.clone());
        for shown in [format!("{settings:?}"), format!("{client:?}")] {
            assert!(!shown.contains("sk-very-secret"), "{shown}");
            assert!(shown.contains("<redacted>"), "{shown}");
        }
        assert_eq!(settings.timeout, Duration::from_secs(60));
        assert_eq!(settings.frames_per_hour_cap, 200);
    }

    #[test]
    fn only_transport_errors_and_server_failures_are_retried() {
        let status = |status| AiError::Status {
            url: String::new(),
            status,
            body_head: String::new(),
        };
        assert!(is_retryable(&status(500)));
        assert!(is_retryable(&status(503)));
        assert!(!is_retryable(&status(401)));
        assert!(!is_retryable(&status(429)));
        assert!(is_retryable(&AiError::Transport {
            url: String::new(),
            reason: String::new()
        }));
        assert!(!is_retryable(&AiError::malformed("x", "y")));
    }

    #[test]
    fn an_empty_frame_list_sends_nothing() {
        let client = AiClient::new(AiSettings::new("http://127.0.0.1:9", None, "m"));
        let context = AnalysisContext::local(vec!["a".into()], 0.0, 1.0).unwrap();
        assert!(matches!(client.analyze(&[], &context), Err(AiError::NoFrames)));
    }
}
