//! Home Assistant notifications (SPEC §3.3), without any MQTT I/O.
//!
//! Owns what is published and when: the JSON payload, the human text of each
//! milestone, the `clear_tag` chain that makes Home Assistant replace a CE's
//! earlier notification, and the rate limit. Publishing the bytes belongs to
//! the notifier stage; this module never touches the network or the disk.
//!
//! - [`payload`]: the wire object [`Notification`] and its [`Status`]/[`Phase`].
//! - [`builder`]: turns a CE milestone into a [`Notification`] with its text and `clear_tag`.
//! - [`pushover`]: the same notification as a Pushover message (fields, priority, GIF).
//! - [`rate_limit`]: at most 2 notifications per 5 s, 10 waiting, one `overflow` notice.

pub mod builder;
pub mod payload;
pub mod pushover;
pub mod rate_limit;

pub use builder::{CeFacts, Milestone, NotificationBuilder};
pub use payload::{event_file_url, player_url, Notification, Phase, PreviousPhase, Status};
pub use pushover::{pushover_message, PushoverMessage, PushoverSettings};
pub use rate_limit::RateLimiter;
