//! The consolidated-event (CE) lifecycle as a pure state machine.
//!
//! Frigate event messages ([`EventUpdate`]) and clock ticks go in; the
//! [`LifecycleAction`]s the service must carry out (create, discard, cancel or
//! close a CE folder, notify, export) come out, ready to be journaled. Time is
//! always passed in; nothing here reads a clock, a file or the network.
//!
//! - [`input`]: the lifecycle's view of a Frigate event message.
//! - [`config`]: timings and camera/label/zone filters.
//! - [`filters`]: whether a message qualifies to start or join a CE.
//! - [`ce_id`]: CE ids and folder names (deterministic, replayable).
//! - [`actions`]: the transitions reported to the service.
//! - `state`: one open CE, its close timer and export window; [`OpenCe`] status.
//! - [`restore`]: rebuilding open CEs from the journal after a restart.
//! - `machine`: [`Lifecycle`], the state machine itself.

pub mod actions;
pub mod ce_id;
pub mod config;
pub mod filters;
pub mod input;
mod machine;
pub mod restore;
mod state;

pub use actions::{CeMember, LifecycleAction};
pub use ce_id::CeIdentity;
pub use config::{CameraFilter, LifecycleConfig};
pub use input::{EventKind, EventUpdate};
pub use machine::Lifecycle;
pub use restore::{RestoreError, RestoredCe, RestoredEvent};
pub use state::OpenCe;
