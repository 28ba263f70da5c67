//! State the service's threads share: the metrics registry and the set of
//! CE folders still being worked on (which retention and the API's keep and
//! delete must not touch).

use crate::metrics::ServiceMetrics;
use parking_lot::RwLock;
use std::collections::HashSet;
use std::sync::Arc;

/// Handles every service thread holds.
#[derive(Clone)]
pub struct ServiceShared {
    /// Counters, gauges and histograms for `/metrics`.
    pub metrics: Arc<ServiceMetrics>,
    /// Folder names of CEs not finished yet.
    active: Arc<RwLock<HashSet<String>>>,
}

impl ServiceShared {
    /// Fresh shared state.
    pub fn new(metrics: ServiceMetrics) -> Self {
        Self {
            metrics: Arc::new(metrics),
            active: Arc::default(),
        }
    }

    /// Marks CE folder `folder` as being worked on.
    pub fn activate(&self, folder: &str) {
        self.active.write().insert(folder.to_string());
    }

    /// Marks CE folder `folder` as done.
    pub fn deactivate(&self, folder: &str) {
        self.active.write().remove(folder);
    }

    /// Whether CE folder `folder` is being worked on.
    pub fn is_active(&self, folder: &str) -> bool {
        self.active.read().contains(folder)
    }
}
