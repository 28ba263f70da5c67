//! The HTTP transport to Frigate: timeouts, retries with exponential back-off, redirects that stay on
//! Frigate's origin, and plain exchanges.
//!
//! Owns the HTTP agent and the [`FetchPolicy`]. It knows nothing of exports, clips or files: callers
//! pass paths from `routes`, the [`Deadline`] of their fetch, and decide what an answer means.

use std::thread;
use std::time::Duration;

use serde::de::DeserializeOwned;
use ureq::http::header::LOCATION;
use ureq::http::Response;

use super::deadline::Deadline;
use super::error::{FetchError, RetryOn};
use super::redirect::{self, Origin, MAX_REDIRECTS};
use super::FetchSettings;

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
    /// The time budget of one clip, over every source and try together (export wait included).
    pub clip_deadline: Duration,
    /// The most bytes one clip download may have; a longer body is cut and that try fails.
    pub max_clip_bytes: u64,
    /// The time budget of one snapshot or live frame, over every try together.
    pub image_deadline: Duration,
    /// The most bytes one snapshot or live frame may have.
    pub max_image_bytes: u64,
}

impl Default for FetchPolicy {
    /// Values suited to a Frigate on the local network: 5 s to connect, 30 s of silence, 4 tries with
    /// pauses 0.5, 1, 2 s (ceiling 8 s), an export looked at every second for up to 2 minutes; a clip
    /// gets the export's 2 minutes plus 5 for downloads and at most 2 GiB, an image 60 s and 32 MiB.
    fn default() -> Self {
        FetchPolicy {
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(30),
            attempts: 4,
            backoff_initial: Duration::from_millis(500),
            backoff_max: Duration::from_secs(8),
            export_poll_interval: Duration::from_secs(1),
            export_timeout: Duration::from_secs(120),
            clip_deadline: Duration::from_secs(420),
            max_clip_bytes: 2 << 30,
            image_deadline: Duration::from_secs(60),
            max_image_bytes: 32 << 20,
        }
    }
}

impl FetchPolicy {
    /// The default policy with the user's fetch settings applied.
    pub fn for_settings(settings: &FetchSettings) -> Self {
        FetchPolicy {
            read_timeout: settings.stall_timeout,
            export_timeout: settings.export_timeout,
            clip_deadline: settings.clip_deadline,
            max_clip_bytes: settings.max_clip_bytes,
            ..FetchPolicy::default()
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
    /// The origin redirects must stay on; `None` (a base URL that does not parse) follows none.
    origin: Option<Origin>,
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
            // Redirects are followed here, by `get`, and only on Frigate's origin.
            .max_redirects(0)
            .build();
        let base_url = base_url.trim_end_matches('/').to_string();
        HttpClient {
            agent: ureq::Agent::new_with_config(config),
            origin: Origin::of(&base_url),
            base_url,
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

    /// Runs `attempt` until it succeeds, fails in a way `rule` does not cover, the policy's attempts
    /// are spent, or `deadline` passes, pausing with exponential back-off between tries (never past the
    /// deadline). Returns the last result.
    pub fn retrying<T>(
        &self,
        rule: RetryOn,
        deadline: &Deadline,
        mut attempt: impl FnMut() -> Result<T, FetchError>,
    ) -> Result<T, FetchError> {
        let mut retry = 0;
        loop {
            match attempt() {
                Err(error) if retry + 1 < self.policy.attempts && rule.covers(&error) && !deadline.expired() => {
                    thread::sleep(backoff_delay(&self.policy, retry).min(deadline.remaining()));
                    retry += 1;
                }
                result => return result,
            }
        }
    }

    /// A GET of `url` within `deadline`, following redirects that stay on Frigate's origin (at most
    /// [`MAX_REDIRECTS`]); a redirect elsewhere is a [`FetchError::RedirectRefused`]. Any status is
    /// an answer.
    fn get(&self, url: &str, deadline: &Deadline) -> Result<Response<ureq::Body>, FetchError> {
        let mut current = url.to_string();
        for _ in 0..=MAX_REDIRECTS {
            let response = self
                .agent
                .get(&current)
                .config()
                .timeout_global(Some(budget(deadline)))
                .build()
                .call()
                .map_err(|error| transport(&current, &error, deadline))?;
            let location = response.headers().get(LOCATION).and_then(|value| value.to_str().ok());
            let Some(location) = location.filter(|_| response.status().is_redirection()) else {
                return Ok(response);
            };
            let refused = |reason| FetchError::RedirectRefused {
                url: current.clone(),
                reason,
            };
            let origin = self
                .origin
                .as_ref()
                .ok_or_else(|| refused(format!("redirect to {location:?} refused: no origin to keep")))?;
            current = redirect::target(origin, &current, location).map_err(refused)?;
        }
        Err(FetchError::RedirectRefused {
            url: url.to_string(),
            reason: format!("more than {MAX_REDIRECTS} redirects"),
        })
    }

    /// Opens a GET of `url` and hands back the body to stream, or an `Http` error for a non-2xx status.
    /// One try; the caller wraps it in [`HttpClient::retrying`] together with its reading of the body.
    /// The body's reads stay bounded by `deadline`.
    pub fn open(&self, url: &str, deadline: &Deadline) -> Result<ureq::Body, FetchError> {
        let response = self.get(url, deadline)?;
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
    /// Only a GET follows redirects; a POST or DELETE answered with one gets it as its answer.
    fn exchange_once(
        &self,
        method: Method,
        url: &str,
        json: Option<&serde_json::Value>,
        deadline: &Deadline,
    ) -> Result<Answer, FetchError> {
        let budget = Some(budget(deadline));
        let sent = match (method, json) {
            (Method::Get, _) => self.get(url, deadline),
            (Method::Delete, _) => self
                .agent
                .delete(url)
                .config()
                .timeout_global(budget)
                .build()
                .call()
                .map_err(|error| transport(url, &error, deadline)),
            (Method::Post, Some(json)) => self
                .agent
                .post(url)
                .config()
                .timeout_global(budget)
                .build()
                .content_type("application/json")
                .send(json.to_string())
                .map_err(|error| transport(url, &error, deadline)),
            (Method::Post, None) => self
                .agent
                .post(url)
                .config()
                .timeout_global(budget)
                .build()
                .send_empty()
                .map_err(|error| transport(url, &error, deadline)),
        };
        let mut response = sent?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .read_to_string()
            .map_err(|error| transport(url, &error, deadline))?;
        Ok(Answer { status, body })
    }

    /// A request to `path` within `deadline`, retried on transport failures and 5xx; other statuses
    /// (2xx, 3xx, 4xx) are returned as answers for the caller to judge.
    pub fn exchange(
        &self,
        method: Method,
        path: &str,
        json: Option<&serde_json::Value>,
        deadline: &Deadline,
    ) -> Result<Answer, FetchError> {
        let url = self.url(path);
        self.retrying(RetryOn::ServerTrouble, deadline, || {
            let answer = self.exchange_once(method, &url, json, deadline)?;
            if answer.status >= 500 {
                return Err(FetchError::Http {
                    url: url.clone(),
                    status: answer.status,
                });
            }
            Ok(answer)
        })
    }

    /// GETs `path` (with retries, within `deadline`) and parses its JSON; a non-2xx status is an
    /// `Http` error.
    pub fn get_json<T: DeserializeOwned>(&self, path: &str, deadline: &Deadline) -> Result<T, FetchError> {
        let answer = self.exchange(Method::Get, path, None, deadline)?;
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

/// What is left of `deadline` as a request's overall timeout; never zero, which would mean no limit
/// to some transports.
fn budget(deadline: &Deadline) -> Duration {
    deadline.remaining().max(Duration::from_millis(1))
}

/// A transport failure of `url`: [`FetchError::DeadlineReached`] once `deadline` has passed (the
/// request was cut by it), otherwise [`FetchError::Transport`].
pub fn transport(url: &str, error: &dyn std::fmt::Display, deadline: &Deadline) -> FetchError {
    if deadline.expired() {
        return FetchError::DeadlineReached {
            url: url.to_string(),
            limit: deadline.limit(),
        };
    }
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
        let deadline = Deadline::after(Duration::from_secs(60));
        let result: Result<(), FetchError> = client.retrying(RetryOn::ServerTrouble, &deadline, || {
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
        let deadline = Deadline::after(Duration::from_secs(60));
        let result: Result<(), FetchError> = client.retrying(RetryOn::ServerTrouble, &deadline, || {
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
    fn retrying_stops_at_the_deadline_with_attempts_left() {
        let client = HttpClient::new(
            "http://127.0.0.1:9",
            FetchPolicy {
                attempts: 1000,
                ..policy(20, 20)
            },
        );
        let mut tries = 0;
        let deadline = Deadline::after(Duration::from_millis(200));
        let began = std::time::Instant::now();
        let result: Result<(), FetchError> = client.retrying(RetryOn::ServerTrouble, &deadline, || {
            tries += 1;
            Err(FetchError::Http {
                url: "u".into(),
                status: 503,
            })
        });
        assert!(matches!(result, Err(FetchError::Http { status: 503, .. })));
        assert!(began.elapsed() < Duration::from_secs(5), "{:?}", began.elapsed());
        assert!((2..=11).contains(&tries), "{tries} tries in 200 ms with 20 ms pauses");
    }

    #[test]
    fn urls_join_base_and_path_without_doubled_slashes() {
        let client = HttpClient::new("http://frigate:5000//", FetchPolicy::default());
        assert_eq!(client.url("/api/exports"), "http://frigate:5000/api/exports");
    }
}
