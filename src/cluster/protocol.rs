//! The cluster's topics and messages, and the storage-relative paths they
//! carry (each host mounts the shared storage where it likes).
//!
//! Pure: builds and parses topics and JSON payloads; never connects.

use crate::ce_report::CeOutcome;
use serde::{Deserialize, Serialize};
use std::path::{Component, Path, PathBuf};

/// Why a cluster message or path was refused.
#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    /// The payload is not the message the topic carries.
    #[error("cluster message on {topic}: {message}")]
    Malformed {
        /// The topic.
        topic: String,
        /// The parser's description.
        message: String,
    },
    /// A path in a message leaves the storage folder or is absolute.
    #[error("path '{}' is not inside the storage folder", path.display())]
    OutsideStorage {
        /// The path as received or given.
        path: PathBuf,
    },
}

/// The topics under the cluster's root topic.
#[derive(Debug, Clone)]
pub struct ClusterTopics {
    /// The root, e.g. `frigate_buffer/cluster`.
    root: String,
}

/// What a cluster topic carries.
#[derive(Debug, Clone, PartialEq)]
pub enum ClusterTopic {
    /// A worker took a job.
    Claims,
    /// A worker finished a job.
    Results,
    /// A worker came or went; the topic's last level is its id.
    WorkerStatus(String),
}

impl ClusterTopics {
    /// The topics under `root`.
    pub fn new(root: &str) -> Self {
        Self {
            root: root.trim_end_matches('/').to_string(),
        }
    }

    /// Where the ingest node publishes jobs.
    pub fn jobs(&self) -> String {
        format!("{}/jobs", self.root)
    }

    /// The shared subscription by which the workers of `group` share the jobs.
    pub fn shared_jobs(&self, group: &str) -> String {
        format!("$share/{group}/{}/jobs", self.root)
    }

    /// Where workers announce the jobs they take.
    pub fn claims(&self) -> String {
        format!("{}/claims", self.root)
    }

    /// Where workers publish what they made.
    pub fn results(&self) -> String {
        format!("{}/results", self.root)
    }

    /// Where worker `id` says `online` or `offline` (also its last will).
    pub fn worker_status(&self, id: &str) -> String {
        format!("{}/workers/{id}", self.root)
    }

    /// What the ingest node subscribes to.
    pub fn ingest_subscriptions(&self) -> Vec<String> {
        vec![self.claims(), self.results(), format!("{}/workers/+", self.root)]
    }

    /// What `topic` carries, if it is one the ingest node reads.
    pub fn classify(&self, topic: &str) -> Option<ClusterTopic> {
        let rest = topic.strip_prefix(&self.root)?.strip_prefix('/')?;
        match rest {
            "claims" => Some(ClusterTopic::Claims),
            "results" => Some(ClusterTopic::Results),
            _ => rest
                .strip_prefix("workers/")
                .filter(|id| !id.is_empty() && !id.contains('/'))
                .map(|id| ClusterTopic::WorkerStatus(id.to_string())),
        }
    }
}

/// A camera's clip in a job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobClip {
    /// Camera name.
    pub camera: String,
    /// The clip, relative to the storage folder.
    pub clip: PathBuf,
}

/// A CE to process, published by the ingest node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobMessage {
    /// CE id.
    pub ce_id: String,
    /// Delivery attempt, from 1.
    pub attempt: u32,
    /// The CE folder, relative to the storage folder.
    pub folder: PathBuf,
    /// Export window start (epoch seconds); t = 0 of every clip.
    pub window_start: f64,
    /// Export window length in seconds.
    pub window_seconds: f64,
    /// Cameras with a clip.
    pub clips: Vec<JobClip>,
    /// Cameras without one, with the reason.
    pub failed: Vec<(String, String)>,
}

/// A worker's word that it took attempt `attempt` of a CE's job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimMessage {
    /// CE id.
    pub ce_id: String,
    /// The attempt taken.
    pub attempt: u32,
    /// The worker's id.
    pub worker: String,
}

/// What a worker made of a job; paths relative to the storage folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultMessage {
    /// The attempt processed.
    pub attempt: u32,
    /// The worker's id.
    pub worker: String,
    /// The CE's outcome.
    pub outcome: CeOutcome,
}

/// Parses a JSON payload of `topic`.
pub fn parse<T: for<'de> Deserialize<'de>>(topic: &str, payload: &[u8]) -> Result<T, ProtocolError> {
    serde_json::from_slice(payload).map_err(|err| ProtocolError::Malformed {
        topic: topic.to_string(),
        message: err.to_string(),
    })
}

/// `path` relative to `storage`; refused when it is not inside.
pub fn to_storage_relative(storage: &Path, path: &Path) -> Result<PathBuf, ProtocolError> {
    path.strip_prefix(storage)
        .map(Path::to_path_buf)
        .map_err(|_| ProtocolError::OutsideStorage {
            path: path.to_path_buf(),
        })
}

/// A received storage-relative `path` under this host's `storage`; refused
/// when absolute or when it climbs out with `..`.
pub fn from_storage_relative(storage: &Path, path: &Path) -> Result<PathBuf, ProtocolError> {
    let inside = path.components().all(|part| matches!(part, Component::Normal(_)));
    if inside && path.components().next().is_some() {
        Ok(storage.join(path))
    } else {
        Err(ProtocolError::OutsideStorage {
            path: path.to_path_buf(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_and_their_classification() {
        let topics = ClusterTopics::new("fb/cluster/");
        assert_eq!(topics.jobs(), "fb/cluster/jobs");
        assert_eq!(topics.shared_jobs("workers"), "$share/workers/fb/cluster/jobs");
        assert_eq!(topics.classify("fb/cluster/claims"), Some(ClusterTopic::Claims));
        assert_eq!(topics.classify("fb/cluster/results"), Some(ClusterTopic::Results));
        assert_eq!(
            topics.classify("fb/cluster/workers/gpu-a-17"),
            Some(ClusterTopic::WorkerStatus("gpu-a-17".into()))
        );
        for other in [
            "fb/cluster/jobs",
            "fb/clusterx/claims",
            "fb/cluster/workers/",
            "frigate/events",
        ] {
            assert_eq!(topics.classify(other), None, "{other}");
        }
    }

    #[test]
    fn paths_travel_relative_and_never_leave_storage() {
        let here = Path::new("/srv/storage");
        let there = Path::new("/mnt/nfs/fb");
        let clip = here.join("events/100_0badf00d/porch/porch-1.mp4");
        let relative = to_storage_relative(here, &clip).unwrap();
        assert_eq!(relative, Path::new("events/100_0badf00d/porch/porch-1.mp4"));
        assert_eq!(
            from_storage_relative(there, &relative).unwrap(),
            Path::new("/mnt/nfs/fb/events/100_0badf00d/porch/porch-1.mp4")
        );
        assert!(to_storage_relative(here, Path::new("/etc/passwd")).is_err());
        for hostile in ["/etc/passwd", "events/../../etc/passwd", "", "./events"] {
            assert!(from_storage_relative(there, Path::new(hostile)).is_err(), "{hostile}");
        }
    }

    #[test]
    fn a_job_round_trips_and_garbage_names_its_topic() {
        let job = JobMessage {
            ce_id: "ce_100_0badf00d".into(),
            attempt: 2,
            folder: "events/100_0badf00d".into(),
            window_start: 100.0,
            window_seconds: 12.5,
            clips: vec![JobClip {
                camera: "porch".into(),
                clip: "events/100_0badf00d/porch/porch-1.mp4".into(),
            }],
            failed: vec![("yard".into(), "HTTP 404".into())],
        };
        let bytes = serde_json::to_vec(&job).unwrap();
        assert_eq!(parse::<JobMessage>("t/jobs", &bytes).unwrap(), job);
        let err = parse::<JobMessage>("t/jobs", b"{\"ce_id\": 5}").unwrap_err();
        assert!(err.to_string().starts_with("cluster message on t/jobs: "), "{err}");
    }
}
