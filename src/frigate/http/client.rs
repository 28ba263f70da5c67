//! The HTTP transport to Frigate: timeouts, retries with exponential back-off, and plain exchanges.
//!
//! Owns the HTTP agent and the [`FetchPolicy`]. It knows nothing of exports, clips or files: callers
//! pass paths from `routes` and decide what an answer means.

use std::thread;
use std::time::Duration;

use serde::de::DeserializeOwned;

use super::error::{FetchError, RetryOn};

/// Timeouts, retry budget and export patience of every request to Frigate.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchPolicy {
    /// Longest wait for the TCP (and TLS) connection, so a dead host fails fast.
    pub connect_timeout: Duration,
    /// Longest silence on an open connection (per read), so a stalled download fails instead of hanging;
    /// it does not cap the length of a large, steadily flowing download.
    pub read_timeout: Duration,
    /// Tries per request, counting the first: a blip (5xx, reset, timeout) costs a retry, not the clip.
    pub attempts: u32,
    /// Pause before the first retry; each further retry doubles it.
    pub backoff_initial: Duration,
    /// Ceiling of the doubling pause, so a long outage does not stretch one pause without bound.
    pub backoff_max: Duration,
    /// Pause between two looks at a running export.
    pub export_poll_interval: Duration,
    /// How long an export may run before the clip is fetched another way.
    pub export_timeout: Duration,
}

impl Default for FetchPolicy {
    /// Values suited to a Frigate on the local network: 5 s to connect, 30 s of silence, 4 tries with
    /// pauses 0.5, 1, 2 s (ceiling 8 s), an export looked at every second for up to 2 minutes.
    fn default() -> Self {
        FetchPolicy {
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(30),
            attempts: 4,
            backoff_initial: Duration::from_millis(500),
            backoff_max: Duration::from_secs(8),
            export_poll_interval: Duration::from_secs(1),
            export_timeout: Duration::from_secs(120),
        }
    }
}

/// The pause before retry number `retry` (0 for the first retry): `backoff_initial * 2^retry`,
/// capped at `backoff_max`.
pub fn backoff_delay(policy: &FetchPolicy, retry: u32) -> Duration {
    let factor = 2u32.saturating_pow(retry);
    policy.backoff_initial.saturating_mul(factor).min(policy.backoff_max)
}

/// The HTTP methods the Frigate contract uses.
#[derive(Debug, Clone, Copy)]
pub enum Method {
    /// Reads: lists, statuses, files.
    Get,
    /// Starting an export, deleting exports on Frigate 0.18.
    Post,
    /// Deleting an export on Frigate 0.17.
    Delete,
}

/// A complete answer whose body was read as text, whatever its status.
#[derive(Debug)]
pub struct Answer {
    /// The HTTP status code.
    pub status: u16,
    /// The body, as text (JSON for every API route that uses this).
    pub body: String,
}

impl Answer {
    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// A connection pool to one Frigate instance, with the policy applied to every request.
#[derive(Debug)]
pub struct HttpClient {
    /// The pooled HTTP agent, configured with the policy's timeouts.
    agent: ureq::Agent,
    /// Frigate's base URL without a trailing slash, e.g. `http://frigate:5000`.
    base_url: String,
    /// Timeouts and retry budget.
    policy: FetchPolicy,
}

impl HttpClient {
    /// A client of the Frigate at `base_url` (trailing slashes are ignored).
    pub fn new(base_url: &str, policy: FetchPolicy) -> Self {
        let config = ureq::Agent::config_builder()
            .timeout_connect(Some(policy.connect_timeout))
            .timeout_per_read(Some(policy.read_timeout))
            .http_status_as_error(false)
            .build();
        HttpClient {
            agent: ureq::Agent::new_with_config(config),
            base_url: base_url.trim_end_matches('/').to_string(),
            policy,
        }
    }

    /// The policy every request runs under.
    pub fn policy(&self) -> &FetchPolicy {
        &self.policy
    }

    /// The full URL of a `path` that starts with `/`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Runs `attempt` until it succeeds, fails in a way `rule` does not cover, or the policy's attempts
    /// are spent, pausing with exponential back-off between tries. Returns the last result.
    pub fn retrying<T>(
        &self,
        rule: RetryOn,
        mut attempt: impl FnMut() -> Result<T, FetchError>,
    ) -> Result<T, FetchError> {
        let mut retry = 0;
        loop {
            match attempt() {
                Err(error) if retry + 1 < self.policy.attempts && rule.covers(&error) => {
                    thread::sleep(backoff_delay(&self.policy, retry));
                    retry += 1;
                }
                result => return result,
            }
        }
    }

    /// Opens a GET of `url` and hands back the body to stream, or an `Http` error for a non-2xx status.
    /// One try; the caller wraps it in [`HttpClient::retrying`] together with its reading of the body.
    pub fn open(&self, url: &str) -> Result<ureq::Body, FetchError> {
        let response = self.agent.get(url).call().map_err(|error| transport(url, &error))?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(FetchError::Http {
                url: url.to_string(),
                status,
            });
        }
        Ok(response.into_body())
    }

    /// One request to `path` with an optional JSON body, read completely; any status is an answer.
    fn exchange_once(&self, method: Method, url: &str, json: Option<&serde_json::Value>) -> Result<Answer, FetchError> {
        let sent = match (method, json) {
            (Method::Get, _) => self.agent.get(url).call(),
            (Method::Delete, _) => self.agent.delete(url).call(),
            (Method::Post, Some(json)) => self
                .agent
                .post(url)
                .content_type("application/json")
                .send(json.to_string()),
            (Method::Post, None) => self.agent.post(url).send_empty(),
        };
        let mut response = sent.map_err(|error| transport(url, &error))?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .read_to_string()
            .map_err(|error| transport(url, &error))?;
        Ok(Answer { status, body })
    }

    /// A request to `path`, retried on transport failures and 5xx; other statuses (2xx, 4xx) are returned
    /// as answers for the caller to judge.
    pub fn exchange(&self, method: Method, path: &str, json: Option<&serde_json::Value>) -> Result<Answer, FetchError> {
        let url = self.url(path);
        self.retrying(RetryOn::ServerTrouble, || {
            let answer = self.exchange_once(method, &url, json)?;
            if answer.status >= 500 {
                return Err(FetchError::Http {
                    url: url.clone(),
                    status: answer.status,
                });
            }
            Ok(answer)
        })
    }

    /// GETs `path` (with retries) and parses its JSON; a non-2xx status is an `Http` error.
    pub fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, FetchError> {
        let answer = self.exchange(Method::Get, path, None)?;
        if !answer.is_success() {
            return Err(FetchError::Http {
                url: self.url(path),
                status: answer.status,
            });
        }
        parse_json(&self.url(path), &answer.body)
    }
}

/// Parses a JSON answer of `url`, naming the URL when it does not fit `T`.
pub fn parse_json<T: DeserializeOwned>(url: &str, body: &str) -> Result<T, FetchError> {
    serde_json::from_str(body).map_err(|error| FetchError::BadAnswer {
        url: url.to_string(),
        reason: error.to_string(),
    })
}

/// A transport failure of `url`.
fn transport(url: &str, error: &ureq::Error) -> FetchError {
    FetchError::Transport {
        url: url.to_string(),
        message: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(initial_ms: u64, max_ms: u64) -> FetchPolicy {
        FetchPolicy {
            backoff_initial: Duration::from_millis(initial_ms),
            backoff_max: Duration::from_millis(max_ms),
            ..FetchPolicy::default()
        }
    }

    #[test]
    fn backoff_doubles_from_initial_up_to_the_ceiling() {
        let policy = policy(500, 4000);
        let delays: Vec<u128> = (0..6).map(|retry| backoff_delay(&policy, retry).as_millis()).collect();
        assert_eq!(delays, vec![500, 1000, 2000, 4000, 4000, 4000]);
    }

    #[test]
    fn backoff_does_not_overflow_on_huge_retry_counts() {
        let policy = policy(500, 8000);
        assert_eq!(backoff_delay(&policy, 40).as_millis(), 8000);
        assert_eq!(backoff_delay(&policy, u32::MAX).as_millis(), 8000);
    }

    #[test]
    fn retrying_stops_after_the_attempt_budget_and_returns_the_last_error() {
        let client = HttpClient::new(
            "http://127.0.0.1:9",
            FetchPolicy {
                attempts: 3,
                ..policy(0, 0)
            },
        );
        let mut tries = 0;
        let result: Result<(), FetchError> = client.retrying(RetryOn::ServerTrouble, || {
            tries += 1;
            Err(FetchError::Http {
                url: "u".into(),
                status: 500 + tries,
            })
        });
        assert_eq!(tries, 3);
        assert!(matches!(result, Err(FetchError::Http { status: 503, .. })));
    }

    #[test]
    fn retrying_gives_up_at_once_on_an_uncovered_error() {
        let client = HttpClient::new(
            "http://127.0.0.1:9",
            FetchPolicy {
                attempts: 4,
                ..policy(0, 0)
            },
        );
        let mut tries = 0;
        let result: Result<(), FetchError> = client.retrying(RetryOn::ServerTrouble, || {
            tries += 1;
            Err(FetchError::Http {
                url: "u".into(),
                status: 404,
            })
        });
        assert_eq!(tries, 1);
        assert!(result.is_err());
    }

    #[test]
    fn urls_join_base_and_path_without_doubled_slashes() {
        let client = HttpClient::new("http://frigate:5000//", FetchPolicy::default());
        assert_eq!(client.url("/api/exports"), "http://frigate:5000/api/exports");
    }
}
