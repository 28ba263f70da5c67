//! The stage threads, one file each.

mod accelerator_owner;
mod ai_analysis;
mod encoder_feeder;
mod probe;
mod writer;

pub use accelerator_owner::{AcceleratorOwner, OwnerLinks};
pub use ai_analysis::AiAnalysisStage;
pub use encoder_feeder::{EncoderFeeder, COMPILATION_ERROR_LOG};
pub use probe::ProbeStage;
pub use writer::WriterStage;
