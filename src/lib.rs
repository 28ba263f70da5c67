//! frigate-buffer turns Frigate NVR's per-object events into consolidated
//! events (CEs): per-camera detection sidecars, one cropped multi-camera
//! summary video and its preview GIF.
//!
//! The map, stage by stage (see `pipeline::topology` for the wiring):
//!
//! - [`pipeline`]: the staged pipeline of fixed OS threads and bounded
//!   channels: metadata-probe → job router → accelerator owner(s) → contour/JSON
//!   writer and encoder feeder; the CE driver.
//! - [`flow`]: what travels between the stages: the typed messages of each edge, frame
//!   pools, telemetry.
//! - [`accelerator`]: the accelerator owner's backends (CPU and NVIDIA) behind
//!   one trait, and the start-up choice of backend per stage.
//! - [`media`]: in-process MP4 demuxing, clip probing, locating FFmpeg.
//! - [`inference`]: ONNX Runtime loaded at run time, the model file, the detector session.
//! - [`detect`]: letterbox preprocessing, YOLO output decoding, NMS, labels.
//! - [`motion`]: motion masks and their contours (the motion fallback).
//! - [`sidecar`]: `detection.json`, its format and durable I/O.
//! - [`timeline`]: pure algorithms: camera timeline, slices, crops, smoothing,
//!   the render schedule, AI frame choice.
//! - [`render`]: CPU crop/resize, text overlay, JPEG.
//! - [`encode`]: video encoders for the encoder feeder, the preview GIF.
//! - [`gpu`]: NVIDIA libraries loaded at run time: CUDA context, NVDEC, kernels
//!   (NVRTC), nvJPEG, the NVENC probe.
//! - [`config`]: YAML + environment → validated runtime configuration.
//! - [`ce_folder`], [`offline`], [`assemble`]: offline runs of a CE folder and
//!   building a pipeline from a configuration; [`ce_report`]: a finished CE's
//!   `metadata.json` and `summary.txt`.
//! - [`fs_atomic`]: durable atomic writes; [`shipped_files`]: files shipped beside the binary;
//!   [`runtime_libraries`]: the ONNX Runtime build and CUDA libraries the setup installed, loaded
//!   at start-up.
//! - [`bench`]: throughput measurements of the stages, and of many CEs at once.
//! - [`ai`]: the optional AI analysis of a CE: its frames, the endpoint client, the answer.
//! - [`service`]: `frigate-buffer run`: MQTT ingest, fetch, coordinator, notifier threads.
//! - [`mqtt_link`]: the persistent-session MQTT connection the service and the cluster workers
//!   share.
//! - [`cluster`]: scale-out across hosts: jobs over MQTT shared subscriptions, `frigate-buffer worker`.
//! - [`ce`]: the CE lifecycle state machine and the durable journal.
//! - [`frigate`]: Frigate's MQTT messages and HTTP API client.
//! - [`notify`]: Home Assistant notification payloads and the rate limit.
//! - [`api`]: the HTTP API: viewer page, CE index, keep/delete, files, /healthz, /metrics.
//! - [`metrics`]: Prometheus metrics; [`retention`]: deletion of old CE folders.
//! - [`recent_ids`]: a bounded memory of recent ids; [`log_fields`]: the human-readable log's
//!   escaping of event fields.

#![deny(clippy::undocumented_unsafe_blocks)]
#![deny(missing_docs)]

pub mod accelerator;
pub mod ai;
pub mod api;
pub mod assemble;
pub mod bench;
pub mod ce;
pub mod ce_folder;
pub mod ce_report;
pub mod cluster;
pub mod config;
pub mod detect;
pub mod encode;
pub mod flow;
pub mod frigate;
pub mod fs_atomic;
pub mod fs_read;
pub mod gpu;
pub mod inference;
pub mod log_fields;
pub mod media;
pub mod metrics;
pub mod motion;
pub mod mqtt_link;
pub mod notify;
pub mod offline;
pub mod pipeline;
pub mod recent_ids;
pub mod render;
pub mod retention;
pub mod runtime_libraries;
pub mod service;
pub mod shipped_files;
pub mod sidecar;
pub mod timeline;
