//! What flows between the pipeline's stages, below both the pipeline that wires them and the
//! accelerator backends that fill them: the typed message of each edge, the fixed pools of
//! frame buffers those messages carry, and the per-stage counters and gauges every stage keeps.
//! Owns vocabulary only: no thread, channel wiring or backend lives here.
//!
//! - `failure`: why a camera or a summary failed ([`failure::PipelineError`]), with its kind.
//! - `messages`: the typed messages of each edge.
//! - `frame_pool`: fixed pools of frame buffers.
//! - `telemetry`: per-stage counters, queue gauges and device memory.
//! - `owner_board`: per accelerator owner, queued frames, rotation, faults (what the job router
//!   balances by and `/metrics` shows).

pub mod failure;
pub mod frame_pool;
pub mod messages;
pub mod owner_board;
pub mod telemetry;
