//! The tunables of the CE lifecycle: timings and event filters.
//!
//! Owns the plain, already validated settings the state machine reads; the
//! YAML keys and their validation live in the configuration module.

/// Which labels of one camera may start or join a CE.
#[derive(Debug, Clone, PartialEq)]
pub struct CameraFilter {
    /// Frigate camera name, matched exactly.
    pub name: String,
    /// Labels accepted from this camera, matched exactly; empty accepts any label.
    pub labels: Vec<String>,
    /// This camera's own zone filter (`cameras[].event_filters`); `None` uses the global one.
    pub zone_filter: Option<ZoneFilter>,
}

/// Zones an event must be in to count, and the labels that count anywhere (`event_filters`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ZoneFilter {
    /// Zones an event must be in (or have entered), case-insensitive; empty disables the filter.
    pub tracked_zones: Vec<String>,
    /// Labels or sub labels (case-insensitive) that count without being in a tracked zone.
    pub exceptions: Vec<String>,
}

/// Settings of the CE lifecycle (`settings.*`, `cameras[]`, `event_filters.*`).
#[derive(Debug, Clone, PartialEq)]
pub struct LifecycleConfig {
    /// Seconds of quiet after which a new event opens a new CE, and after the
    /// last event's end at which the CE closes.
    pub event_gap_seconds: f64,
    /// Events shorter than this are noise and are discarded on `end`.
    pub minimum_event_seconds: f64,
    /// An event this long or longer (a parked car, a stuck tracker) cancels its CE.
    pub max_event_length_seconds: f64,
    /// Seconds of clip exported before the first event's start.
    pub export_buffer_before: f64,
    /// Seconds of clip exported after the last event's end.
    pub export_buffer_after: f64,
    /// Cameras whose events count; empty accepts every camera.
    pub cameras: Vec<CameraFilter>,
    /// The zone filter of cameras without their own.
    pub zone_filter: ZoneFilter,
}

impl Default for LifecycleConfig {
    /// The documented defaults: 120 s gap, 5 s minimum, 120 s maximum, 5 s/30 s
    /// buffers, no filters.
    fn default() -> Self {
        LifecycleConfig {
            event_gap_seconds: 120.0,
            minimum_event_seconds: 5.0,
            max_event_length_seconds: 120.0,
            export_buffer_before: 5.0,
            export_buffer_after: 30.0,
            cameras: Vec::new(),
            zone_filter: ZoneFilter::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_documented_ones() {
        let config = LifecycleConfig::default();
        assert_eq!(config.event_gap_seconds, 120.0);
        assert_eq!(config.minimum_event_seconds, 5.0);
        assert_eq!(config.max_event_length_seconds, 120.0);
        assert_eq!(config.export_buffer_before, 5.0);
        assert_eq!(config.export_buffer_after, 30.0);
        assert!(config.cameras.is_empty() && config.zone_filter == ZoneFilter::default());
    }
}
