//! The wall clock the service's threads stamp journals, notifications and timers with.

/// Current time in epoch seconds.
pub fn now_epoch() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}
