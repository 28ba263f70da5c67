//! The fetch side's settings, as the configuration resolves them: how long exports and
//! downloads may take, how large a clip may be, how many download at once.

use std::time::Duration;

/// How clips are fetched from Frigate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FetchSettings {
    /// How long a Frigate export may run before the clip is fetched another way.
    pub export_timeout: Duration,
    /// How long one camera's clip may take, over every source and try together.
    pub clip_deadline: Duration,
    /// The most bytes one clip may have.
    pub max_clip_bytes: u64,
    /// How long a request may go without a byte from Frigate.
    pub stall_timeout: Duration,
    /// How many clips are downloaded at once.
    pub workers: usize,
}
