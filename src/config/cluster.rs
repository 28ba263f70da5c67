//! The `cluster:` section: scale-out across hosts on the user's MQTT broker
//! (an ingest node publishes CE jobs, workers share them). Validation only.

use super::raw::RawCluster;
use super::ConfigError;
use std::path::Path;
use std::time::Duration;

/// How this process takes part in a cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterSettings {
    /// `run` publishes CE jobs to workers instead of processing them itself.
    pub enabled: bool,
    /// Root of the cluster's topics.
    pub topic: String,
    /// Shared-subscription group of the workers.
    pub group: String,
    /// This worker's id, when set; otherwise host name and process id.
    pub worker_id: Option<String>,
    /// How long a published job may wait for a worker to take it.
    pub claim_timeout: Duration,
    /// How long a taken job may run before it is published again.
    pub job_timeout: Duration,
}

/// A topic level: not empty, no `/` and no wildcard.
fn is_topic_level(text: &str) -> bool {
    !text.is_empty() && !text.contains(['/', '+', '#'])
}

impl ClusterSettings {
    /// Validates the section of configuration file `source`.
    pub(super) fn from_raw(raw: RawCluster, source: &Path) -> Result<Self, ConfigError> {
        let invalid = |key: &str, message: String| ConfigError::invalid(source, key, message);
        let topic = raw.topic.unwrap_or_else(|| "frigate_buffer/cluster".into());
        if topic.is_empty() || topic.contains(['+', '#']) || topic.starts_with('$') {
            return Err(invalid("cluster.topic", format!("'{topic}' is not a topic root")));
        }
        let group = raw.group.unwrap_or_else(|| "frigate-buffer".into());
        if !is_topic_level(&group) {
            return Err(invalid("cluster.group", format!("'{group}' is not a group name")));
        }
        if let Some(id) = raw.worker_id.as_deref().filter(|id| !is_topic_level(id)) {
            return Err(invalid("cluster.worker_id", format!("'{id}' is not a topic level")));
        }
        let seconds = |key: &str, value: Option<f64>, default: f64| match value.unwrap_or(default) {
            value if value.is_finite() && value > 0.0 => Ok(Duration::from_secs_f64(value)),
            value => Err(invalid(
                key,
                format!("must be a positive number of seconds, got {value}"),
            )),
        };
        Ok(Self {
            enabled: raw.enabled.unwrap_or(false),
            topic: topic.trim_end_matches('/').to_string(),
            group,
            worker_id: raw.worker_id,
            claim_timeout: seconds("cluster.claim_timeout_seconds", raw.claim_timeout_seconds, 30.0)?,
            job_timeout: seconds("cluster.job_timeout_seconds", raw.job_timeout_seconds, 1800.0)?,
        })
    }
}
