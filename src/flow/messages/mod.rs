//! The typed messages of each pipeline edge, one file per edge:
//!
//! | edge | file |
//! |---|---|
//! | driver → metadata-probe | `probe` |
//! | metadata-probe / driver → job router → accelerator owner | `accelerator` |
//! | accelerator owner → contour/JSON writer | `writer` |
//! | accelerator owner → encoder feeder | `encoder` |
//! | accelerator owner → AI analysis | `ai` |
//! | stages → driver | `events` |
//!
//! `ce` holds the CE description every message shares.

pub mod accelerator;
pub mod ai;
pub mod ce;
pub mod encoder;
pub mod events;
pub mod probe;
pub mod writer;

pub use accelerator::{AcceleratorJob, AiFramesJob, CompileJob, DetectJob, OwnerMessage};
pub use ai::AiRequest;
pub use ce::{CameraClip, CeJob, CeProgress};
pub use encoder::EncoderMessage;
pub use events::PipelineEvent;
pub use probe::ProbeRequest;
pub use writer::{SampledFrame, WriterMessage};
