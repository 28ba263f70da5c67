//! The staged pipeline: fixed OS threads joined by bounded channels.
//!
//! - `topology`: the wiring ([`Pipeline`]), start-up and draining shutdown.
//! - `stage`: the loop every stage thread runs.
//! - `stages`: metadata-probe, accelerator owner, contour/JSON writer, encoder feeder.
//! - `messages`: the typed messages of each edge.
//! - `frame_pool`: fixed pools of frame buffers.
//! - `telemetry`: per-stage counters and queue gauges.
//! - `ce_run`: drives one or more CEs through the stages (probe → detect →
//!   sidecars → plan → compile).

pub mod ce_run;
pub mod frame_pool;
pub mod messages;
pub mod stage;
pub mod stages;
pub mod telemetry;
pub mod topology;

pub use topology::{Pipeline, PipelineParts};
