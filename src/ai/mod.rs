//! The AI analysis of a CE (SPEC §8): its frames rendered, sent to an OpenAI-compatible
//! endpoint, the answer parsed and written beside the CE's other outputs.
//!
//! - `frame_render`: one source frame + `AiCrop` + label → 1280×720 quality-90 JPEG.
//! - `prompt`: the system prompt and the user text.
//! - `client`: the chat-completions request, timeout, retry and hourly cap.
//! - `hourly_cap`: the rolling count of frames sent per hour.
//! - `quick_title`: the prompt and result of a new CE's quick title from its snapshot.
//! - `parse`: the lenient reading of the answer into `AnalysisResult`.
//! - `error`: `AiError`, why an analysis produced no result.
//! - `outputs`: `ai_frame_analysis/` frames and manifest, `analysis_result.json`.
//! - `daily_report`: the daily review of the previous day's CEs, asked of the same endpoint.
//!
//! Which frames are sent and how each is cropped is decided in `timeline::ai_frames`.

pub mod client;
pub mod daily_report;
pub mod error;
pub mod frame_render;
pub mod hourly_cap;
pub mod outputs;
pub mod parse;
pub mod prompt;
pub mod quick_title;

pub use client::{AiClient, AiSettings};
pub use error::AiError;
pub use frame_render::{
    capped_to_max_width, AiFrameJpeg, AiFrameRenderer, AiRenderError, AI_FRAME_SIZE, AI_JPEG_QUALITY,
};
pub use hourly_cap::{CapExceeded, HourlyFrameCap};
pub use outputs::{
    read_analysis_result, write_ai_frames, write_analysis_result, AiOutputError, AnalysisRecord, ManifestEntry,
};
pub use parse::AnalysisResult;
pub use prompt::AnalysisContext;
pub use quick_title::QuickTitle;
