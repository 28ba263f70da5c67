//! Rebuilding an open CE after a restart.
//!
//! Owns the description of a CE taken back from its journal and why the
//! lifecycle may refuse it. Reads no file: the journal module folds the
//! journal, the service fills this in.

use serde::{Deserialize, Serialize};

/// A member event of a CE being restored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestoredEvent {
    /// Frigate event id, so its later `end` finds the CE.
    pub event_id: String,
    /// Camera that saw it.
    pub camera: String,
    /// Object label.
    pub label: String,
    /// Frigate's start time (epoch seconds).
    pub start_time: f64,
    /// Frigate's end time; `None` while Frigate still tracks it.
    pub end_time: Option<f64>,
}

/// An open CE as journaled before a restart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestoredCe {
    /// `ce_<int start_ts>_<8 hex>`.
    pub ce_id: String,
    /// Its folder under `events/`.
    pub folder: String,
    /// Member events in join order (discarded ones already left out); the
    /// latest of their starts and ends is its last activity, from which its
    /// close timer is re-armed.
    pub events: Vec<RestoredEvent>,
}

/// Why a restored CE cannot be taken back.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RestoreError {
    /// The CE is already open in the lifecycle.
    #[error("{ce_id}: restored twice")]
    AlreadyOpen {
        /// The CE.
        ce_id: String,
    },
    /// A restored event already belongs to another open CE.
    #[error("{ce_id}: event {event_id} already belongs to {other_ce_id}")]
    EventInAnotherCe {
        /// The CE being restored.
        ce_id: String,
        /// The shared event.
        event_id: String,
        /// The CE that holds it.
        other_ce_id: String,
    },
}
