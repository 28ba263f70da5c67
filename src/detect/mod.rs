//! The detector's pure CPU side: everything around the model except running it.
//!
//! - [`letterbox`]: native ↔ model-input geometry and the CPU letterbox preprocessor.
//! - [`yolo_output`]: recognising the output tensor's layout and decoding candidates.
//! - [`nms`]: class-aware non-maximum suppression.
//! - [`labels`]: class names from a names file.
//! - [`postprocess`]: raw output → sidecar detections in native pixels.
//!
//! The inference session (ONNX Runtime) and the GPU preprocessing live with the
//! GPU owner; they follow the geometry defined here.

pub mod labels;
pub mod letterbox;
pub mod nms;
pub mod postprocess;
pub mod yolo_output;
