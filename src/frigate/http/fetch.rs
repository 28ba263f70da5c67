//! The public face of the fetch side: [`FrigateClient`] and the order in which clip sources are tried.
//!
//! Owns the fallback chain export → event clip(s) → recordings by range, the bounds of each fetch
//! (the clip deadline over the whole chain, the size caps), and the rules that turn "404 everywhere"
//! into [`FetchError::NoRecording`] and a spent deadline into [`FetchError::ClipDeadline`]. It may
//! not speak HTTP itself nor write files; it composes `export`, `download` and `routes`.

use std::path::Path;

use super::client::{FetchPolicy, HttpClient};
use super::deadline::Deadline;
use super::download::{self, Bounds, Media};
use super::error::{FetchError, RetryOn};
use super::export::ExportApi;
use super::routes;

/// Which source a clip came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClipSource {
    /// Frigate's export API (the preferred source: exactly the asked range).
    Export {
        /// Frigate's id of the (now deleted) export.
        export_id: String,
    },
    /// The clip of one tracked event.
    EventClip {
        /// The event whose clip was used.
        event_id: String,
    },
    /// A clip cut from the camera's recordings by time range.
    RecordingRange,
}

/// A clip that is in place at its destination.
#[derive(Debug)]
pub struct FetchedClip {
    /// The source that delivered it.
    pub source: ClipSource,
    /// Its size in bytes.
    pub bytes: u64,
    /// What went wrong on the way without stopping the clip (a source that failed before the one
    /// that worked, an export left undeleted on Frigate), oldest first, for the caller to log.
    pub setbacks: Vec<FetchError>,
}

/// A client of one Frigate server's HTTP API. It can be shared by threads (`&self` everywhere).
#[derive(Debug)]
pub struct FrigateClient {
    /// Transport with timeouts and retries.
    http: HttpClient,
    /// The export flow, with the server's flavour remembered once probed.
    exports: ExportApi,
}

impl FrigateClient {
    /// A client of the Frigate at `base_url` (e.g. `http://frigate:5000`), running every request under
    /// `policy`. Connects lazily: nothing is sent until the first fetch.
    pub fn new(base_url: &str, policy: FetchPolicy) -> Self {
        FrigateClient {
            http: HttpClient::new(base_url, policy),
            exports: ExportApi::default(),
        }
    }

    /// Fetches `camera`'s footage over `[start_ts, end_ts]` (epoch seconds) to `dest`, trying in turn:
    /// the export API; the clip of each of `event_ids` (404 moves to the next id; 400 and 5xx are
    /// retried); the recordings-by-range clip. All of it runs within the policy's clip deadline, and
    /// each download within its clip size cap. Returns [`FetchError::ClipDeadline`] when the deadline
    /// cut the chain short, [`FetchError::NoRecording`] when every clip source answered 404,
    /// otherwise the last source's error. `dest` is either the complete, checked MP4 or absent.
    pub fn fetch_clip(
        &self,
        camera: &str,
        start_ts: f64,
        end_ts: f64,
        event_ids: &[String],
        dest: &Path,
    ) -> Result<FetchedClip, FetchError> {
        let policy = self.http.policy();
        let bounds = Bounds {
            deadline: Deadline::after(policy.clip_deadline),
            max_bytes: policy.max_clip_bytes,
        };
        let out_of_time = |last: FetchError| FetchError::ClipDeadline {
            camera: camera.to_string(),
            limit: bounds.deadline.limit(),
            last: Box::new(last),
        };
        let mut setbacks = Vec::new();
        match self
            .exports
            .fetch(&self.http, camera, (start_ts, end_ts), dest, bounds, &mut setbacks)
        {
            Ok((export_id, bytes)) => {
                return Ok(FetchedClip {
                    source: ClipSource::Export { export_id },
                    bytes,
                    setbacks,
                })
            }
            Err(error) if bounds.deadline.expired() => return Err(out_of_time(error)),
            Err(error) => setbacks.push(error),
        }
        let mut every_clip_absent = true;
        for event_id in event_ids {
            let path = routes::event_clip(event_id);
            let rule = RetryOn::ServerTroubleOrNotReady;
            match download::download(&self.http, &path, dest, Media::Mp4, rule, bounds) {
                Ok(bytes) => {
                    let source = ClipSource::EventClip {
                        event_id: event_id.clone(),
                    };
                    return Ok(FetchedClip {
                        source,
                        bytes,
                        setbacks,
                    });
                }
                Err(error) if bounds.deadline.expired() => return Err(out_of_time(error)),
                Err(error) => {
                    every_clip_absent &= is_not_found(&error);
                    setbacks.push(error);
                }
            }
        }
        let path = routes::recording_clip(camera, start_ts, end_ts);
        match download::download(&self.http, &path, dest, Media::Mp4, RetryOn::ServerTrouble, bounds) {
            Ok(bytes) => Ok(FetchedClip {
                source: ClipSource::RecordingRange,
                bytes,
                setbacks,
            }),
            Err(error) if bounds.deadline.expired() => Err(out_of_time(error)),
            Err(error) if every_clip_absent && is_not_found(&error) => Err(FetchError::NoRecording {
                camera: camera.to_string(),
            }),
            Err(error) => Err(error),
        }
    }

    /// Downloads the snapshot JPEG of `event_id` to `dest` atomically, within the policy's image
    /// deadline and size cap; returns its size in bytes.
    pub fn fetch_snapshot(&self, event_id: &str, dest: &Path) -> Result<u64, FetchError> {
        self.fetch_image(&routes::event_snapshot(event_id), dest)
    }

    /// Downloads `camera`'s most recent frame (JPEG) to `dest` atomically, within the policy's image
    /// deadline and size cap; returns its size in bytes.
    pub fn latest_frame(&self, camera: &str, dest: &Path) -> Result<u64, FetchError> {
        self.fetch_image(&routes::latest_frame(camera), dest)
    }

    /// Downloads the JPEG at `path` to `dest` within the image bounds.
    fn fetch_image(&self, path: &str, dest: &Path) -> Result<u64, FetchError> {
        let policy = self.http.policy();
        let bounds = Bounds {
            deadline: Deadline::after(policy.image_deadline),
            max_bytes: policy.max_image_bytes,
        };
        download::download(&self.http, path, dest, Media::Jpeg, RetryOn::ServerTrouble, bounds)
    }
}

/// Whether Frigate said the thing does not exist.
fn is_not_found(error: &FetchError) -> bool {
    matches!(error, FetchError::Http { status: 404, .. })
}
