//! Frigate's MQTT messages (inputs), decoded into types, leniently.
//!
//! - `topic`: which topics are ours and [`subscriptions`] (`events`, `reviews`,
//!   `tracked_object_update`, `available`, under a configurable prefix).
//! - `message`: [`FrigateMessage`] and [`parse_message`], the one entry point per received message.
//! - `event`: `events` payloads ([`EventMessage`], [`FrigateEvent`], [`EventSnapshot`]).
//! - `review`: `reviews` payloads ([`ReviewMessage`], [`Review`], [`ReviewData`]).
//! - `genai`: the GenAI summary of a review item ([`GenAiMetadata`], [`ThreatLevel`]).
//! - `tracked_object`: `tracked_object_update` payloads ([`TrackedObjectUpdate`]).
//! - `sub_label`: [`SubLabel`], the name given to a recognised object, in either shape Frigate sends.
//! - `frigate_id`: the check on event and review ids ([`CameraName`](crate::frigate::CameraName)
//!   checks camera names), so neither can become a path, a URL segment or a forged log line.
//! - `error`: [`PayloadError`], whose one-line messages name the topic and the field at fault.
//!
//! Decoding is pure: bytes in, typed values out. The MQTT client, logging and metrics live in the
//! ingest stage.

mod error;
mod event;
mod frigate_id;
mod genai;
mod message;
mod review;
mod sub_label;
mod topic;
mod tracked_object;

pub use error::PayloadError;
pub use event::{EventKind, EventMessage, EventSnapshot, FrigateEvent, PixelBox, SnapshotAttribute};
pub use genai::{GenAiMetadata, ThreatLevel};
pub use message::{parse_message, FrigateMessage};
pub use review::{Review, ReviewData, ReviewKind, ReviewMessage, Severity};
pub use sub_label::SubLabel;
pub use topic::subscriptions;
pub use tracked_object::{TrackedObjectUpdate, TrackedObjectUpdateKind};
