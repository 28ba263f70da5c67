//! The consolidated-event (CE) lifecycle as a pure state machine.
//!
//! Frigate event messages ([`EventUpdate`]) and clock ticks go in; the
//! [`LifecycleAction`]s the service must carry out (create, discard, cancel or
//! close a CE folder, notify, export) come out, ready to be journaled. Time is
//! always passed in; nothing here reads a clock, a file or the network.
//! Decisions run on event time (the times in Frigate's messages, see
//! `event_clock`), so messages delivered late or all at once group as the
//! incidents happened.
//!
//! - [`input`]: the lifecycle's view of a Frigate event message.
//! - [`config`]: timings and camera/label/zone filters.
//! - [`filters`]: whether a message qualifies to start or join a CE.
//! - [`ce_id`]: CE ids and folder names (deterministic, replayable).
//! - [`actions`]: the transitions reported to the service.
//! - [`event_clock`]: "now" on Frigate's timeline, with its guards against bad clocks.
//! - `state`: one open CE, its close and maximum-length timers and export window; [`OpenCe`] status.
//! - [`restore`]: the open CEs taken back from the journal after a restart.
//! - `machine`: [`Lifecycle`], the state machine itself.

pub mod actions;
pub mod ce_id;
pub mod config;
pub mod event_clock;
pub mod filters;
pub mod input;
mod machine;
pub mod restore;
mod state;

pub use actions::{CeMember, LifecycleAction};
pub use ce_id::CeIdentity;
pub use config::{CameraFilter, LifecycleConfig, ZoneFilter};
pub use input::{EventKind, EventUpdate};
pub use machine::Lifecycle;
pub use restore::{RestoreError, RestoredCe, RestoredEvent};
pub use state::OpenCe;
