//! The one error type of the Frigate HTTP fetch side.
//!
//! Owns the failure vocabulary and the rule of which failures are worth another attempt. It may not
//! perform I/O; every message is one line that names the URL, camera, export or file at fault.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use thiserror::Error;

/// Why a clip, snapshot or frame could not be fetched from Frigate.
#[derive(Debug, Error)]
pub enum FetchError {
    /// Frigate has no recording of this camera for the asked range (every source answered 404).
    #[error("camera {camera}: Frigate has no recording for the requested range")]
    NoRecording {
        /// The camera whose footage is missing.
        camera: String,
    },
    /// Frigate answered with a status that is not a success.
    #[error("{url}: HTTP {status}")]
    Http {
        /// The full URL that was requested.
        url: String,
        /// The HTTP status code Frigate answered with.
        status: u16,
    },
    /// The request never got a complete answer: connect failure, timeout, or a connection cut mid-body.
    #[error("{url}: {message}")]
    Transport {
        /// The full URL that was requested.
        url: String,
        /// What the transport reported.
        message: String,
    },
    /// The body arrived but is not the media that was asked for; nothing was left under `path`.
    #[error("{url} gave an unusable file for {}: {reason}", path.display())]
    BadClip {
        /// The full URL that was downloaded.
        url: String,
        /// The destination the file was meant for.
        path: PathBuf,
        /// What is wrong with the body.
        reason: String,
    },
    /// A JSON answer of Frigate did not have the expected shape.
    #[error("{url}: unexpected answer: {reason}")]
    BadAnswer {
        /// The full URL that was requested.
        url: String,
        /// What was expected and not found.
        reason: String,
    },
    /// Frigate refused to start an export (unknown camera, no recordings in range, queue full).
    #[error("camera {camera}: Frigate refused the export (HTTP {status}): {message}")]
    ExportRefused {
        /// The camera the export was asked for.
        camera: String,
        /// The HTTP status of the refusal.
        status: u16,
        /// Frigate's own explanation, as it sent it.
        message: String,
    },
    /// Frigate dropped an export before it finished (its job failed or its entry vanished).
    #[error("camera {camera}: export {export_id} failed on Frigate")]
    ExportFailed {
        /// The camera the export was for.
        camera: String,
        /// Frigate's id of the export.
        export_id: String,
    },
    /// An export was still running when the export time limit ran out.
    #[error("camera {camera}: export {export_id} not finished after {} s", waited.as_secs_f64())]
    ExportTimedOut {
        /// The camera the export was for.
        camera: String,
        /// Frigate's id of the export.
        export_id: String,
        /// How long the export was waited for.
        waited: Duration,
    },
    /// A request ran into the time budget of its fetch (the clip deadline, or the image deadline).
    #[error("{url}: given up at the fetch deadline of {} s", limit.as_secs_f64())]
    DeadlineReached {
        /// The full URL that was requested.
        url: String,
        /// The budget that ran out.
        limit: Duration,
    },
    /// No source delivered the camera's clip within the clip deadline.
    #[error(
        "camera {camera}: clip not fetched within settings.clip_fetch_timeout_seconds ({} s); last try: {last}",
        limit.as_secs_f64()
    )]
    ClipDeadline {
        /// The camera whose clip was fetched.
        camera: String,
        /// The budget that ran out.
        limit: Duration,
        /// The failure of the last source tried.
        last: Box<FetchError>,
    },
    /// The body was longer than allowed; the download was cut and nothing was left under `path`.
    #[error("{url} sent more than {cap} bytes for {}; download cut", path.display())]
    TooLarge {
        /// The full URL that was downloaded.
        url: String,
        /// The destination the file was meant for.
        path: PathBuf,
        /// The most bytes allowed.
        cap: u64,
    },
    /// Frigate answered with a redirect that is not followed (another host, or too many hops).
    #[error("{url}: {reason}")]
    RedirectRefused {
        /// The full URL that answered with the redirect.
        url: String,
        /// Where it pointed and why it was not followed.
        reason: String,
    },
    /// Writing the downloaded file to local disk failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The local file or folder being written.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
}

/// Which failures a request may be repeated for, with back-off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryOn {
    /// Transport failures and 5xx answers: the server or the network had a bad moment.
    ServerTrouble,
    /// As [`RetryOn::ServerTrouble`], and also 400, which Frigate answers for an event clip that is
    /// not ready yet.
    ServerTroubleOrNotReady,
}

impl RetryOn {
    /// Whether `error` is worth another attempt under this rule.
    pub fn covers(self, error: &FetchError) -> bool {
        match error {
            FetchError::Transport { .. } => true,
            FetchError::Http { status, .. } => {
                (500..600).contains(status) || (*status == 400 && self == RetryOn::ServerTroubleOrNotReady)
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(status: u16) -> FetchError {
        FetchError::Http {
            url: "http://frigate/api/x".into(),
            status,
        }
    }

    #[test]
    fn server_trouble_retries_transport_and_5xx_only() {
        let rule = RetryOn::ServerTrouble;
        assert!(rule.covers(&FetchError::Transport {
            url: "u".into(),
            message: "reset".into()
        }));
        assert!(rule.covers(&http(500)));
        assert!(rule.covers(&http(503)));
        assert!(!rule.covers(&http(400)));
        assert!(!rule.covers(&http(404)));
        assert!(!rule.covers(&FetchError::NoRecording { camera: "front".into() }));
    }

    #[test]
    fn not_ready_rule_also_retries_400_but_not_404() {
        let rule = RetryOn::ServerTroubleOrNotReady;
        assert!(rule.covers(&http(400)));
        assert!(rule.covers(&http(502)));
        assert!(!rule.covers(&http(404)));
        assert!(!rule.covers(&http(422)));
    }

    #[test]
    fn bad_clip_message_names_url_and_file_on_one_line() {
        let error = FetchError::BadClip {
            url: "http://frigate:5000/api/events/1-abc/clip.mp4".into(),
            path: PathBuf::from("/ce/front/front-1.mp4"),
            reason: "no MP4 ftyp box in the first 64 bytes".into(),
        };
        let text = error.to_string();
        assert_eq!(
            text,
            "http://frigate:5000/api/events/1-abc/clip.mp4 gave an unusable file for /ce/front/front-1.mp4: \
             no MP4 ftyp box in the first 64 bytes"
        );
        assert!(!text.contains('\n'));
    }

    #[test]
    fn cut_and_refused_downloads_are_not_retried() {
        let too_large = FetchError::TooLarge {
            url: "http://frigate:5000/exports/front_1.mp4".into(),
            path: PathBuf::from("/ce/front/front-1.mp4"),
            cap: 1024,
        };
        assert_eq!(
            too_large.to_string(),
            "http://frigate:5000/exports/front_1.mp4 sent more than 1024 bytes for /ce/front/front-1.mp4; download cut"
        );
        let refused = FetchError::RedirectRefused {
            url: "u".into(),
            reason: "redirect to http://evil:80 refused".into(),
        };
        let late = FetchError::DeadlineReached {
            url: "u".into(),
            limit: Duration::from_secs(20),
        };
        for error in [too_large, refused, late] {
            assert!(!RetryOn::ServerTroubleOrNotReady.covers(&error), "{error}");
        }
    }

    #[test]
    fn clip_deadline_names_camera_setting_and_last_failure() {
        let error = FetchError::ClipDeadline {
            camera: "porch".into(),
            limit: Duration::from_secs(20),
            last: Box::new(FetchError::DeadlineReached {
                url: "http://frigate:5000/api/porch/start/1/end/2/clip.mp4".into(),
                limit: Duration::from_secs(20),
            }),
        };
        assert_eq!(
            error.to_string(),
            "camera porch: clip not fetched within settings.clip_fetch_timeout_seconds (20 s); last try: \
             http://frigate:5000/api/porch/start/1/end/2/clip.mp4: given up at the fetch deadline of 20 s"
        );
    }
}
