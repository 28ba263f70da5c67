//! The staged pipeline: fixed OS threads joined by bounded channels. What travels on them
//! (messages, frame pools, telemetry) is `crate::flow`'s.
//!
//! - `topology`: the wiring ([`Pipeline`]), start-up and draining shutdown.
//! - `stage`: the loop every stage thread runs.
//! - `stages`: metadata-probe, accelerator owner, contour/JSON writer, encoder feeder.
//! - `job_router`: hands each accelerator job to the least-busy owner in rotation.
//! - `ce_run`: drives one or more CEs through the stages (probe → detect →
//!   sidecars → plan → compile).
//! - `ce_loop`: the loop of a long-running driver (the service's coordinator, a cluster
//!   worker): input, events, outcomes, drain.

pub mod ce_loop;
pub mod ce_run;
pub mod job_router;
pub mod stage;
pub mod stages;
pub mod topology;

pub use topology::{Pipeline, PipelineParts};
